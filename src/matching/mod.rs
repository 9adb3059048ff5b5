//! The match family: businesses and prospects matched to Explorium ids, any number of inputs,
//! 50 a request, one outcome per input in input order ([`MatchAll`]).

use std::fmt;
use std::sync::Arc;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bulk::{settings_setters, Report, Settings};
use crate::client::{Businesses, Client, Prospects};
use crate::data::{decode_scrubbed, post_bytes, Entity, ListBody};
use crate::transport::call::{Decoded, Operation};
use crate::transport::error::{Error, ErrorKind};
use crate::transport::server_text::Scrub;
use crate::validate;

/// Most inputs one match request may carry.
pub const MAX_INPUTS_PER_REQUEST: usize = 50;

/// Longest business name the service takes, in characters.
const MAX_NAME: usize = 256;

/// A business to match: at least one of its fields. Empty fields are not sent (never `null`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BusinessMatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    linkedin_url: Option<String>,
}

/// `Some` unless empty or blank.
fn given(value: impl Into<String>) -> Option<String> {
    let value = value.into();
    (!value.trim().is_empty()).then_some(value)
}

impl BusinessMatch {
    /// A business by its name (at most 256 characters).
    pub fn name(name: impl Into<String>) -> Self {
        Self {
            name: given(name),
            ..Self::default()
        }
    }

    /// A business by its domain (`explorium.ai`).
    pub fn by_domain(domain: impl Into<String>) -> Self {
        Self::default().domain(domain)
    }

    /// Its domain. Default: none.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = given(domain);
        self
    }

    /// Its website's URL. Default: none.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = given(url);
        self
    }

    /// Its LinkedIn page's URL. Default: none.
    pub fn linkedin_url(mut self, url: impl Into<String>) -> Self {
        self.linkedin_url = given(url);
        self
    }
}

/// A prospect to match: at least one of its fields. Empty fields are not sent (never `null`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProspectMatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    full_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    company_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    business_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    linkedin: Option<String>,
}

impl ProspectMatch {
    /// A person by full name; add their company ([`ProspectMatch::company_name`] or
    /// [`ProspectMatch::business_id`]) for a match.
    pub fn full_name(name: impl Into<String>) -> Self {
        Self {
            full_name: given(name),
            ..Self::default()
        }
    }

    /// A person by email address.
    pub fn by_email(email: impl Into<String>) -> Self {
        Self::default().email(email)
    }

    /// A person by LinkedIn profile URL.
    pub fn by_linkedin(url: impl Into<String>) -> Self {
        Self::default().linkedin(url)
    }

    /// Their company's name. Default: none.
    pub fn company_name(mut self, name: impl Into<String>) -> Self {
        self.company_name = given(name);
        self
    }

    /// Their company's Explorium business id (32 lowercase hex). Default: none.
    pub fn business_id(mut self, id: impl Into<String>) -> Self {
        self.business_id = given(id);
        self
    }

    /// Their email address. Default: none.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = given(email);
        self
    }

    /// Their phone number. Default: none.
    pub fn phone_number(mut self, phone: impl Into<String>) -> Self {
        self.phone_number = given(phone);
        self
    }

    /// Their LinkedIn profile URL. Default: none.
    pub fn linkedin(mut self, url: impl Into<String>) -> Self {
        self.linkedin = given(url);
        self
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::BusinessMatch {}
    impl Sealed for super::ProspectMatch {}
}

/// An input of [`MatchAll`]: [`BusinessMatch`] or [`ProspectMatch`]. Sealed.
pub trait MatchInput:
    sealed::Sealed + Serialize + Clone + fmt::Debug + Send + Sync + 'static
{
    /// The request's list field: `businesses_to_match`.
    #[doc(hidden)]
    const FIELD: &'static str;
    /// The operation.
    #[doc(hidden)]
    const OPERATION_ID: &'static str;
    /// Its path.
    #[doc(hidden)]
    const PATH: &'static str;
    /// The kind of entity it matches.
    #[doc(hidden)]
    type Entity: Entity;
    /// The rule this input breaks, if any, for `field[index]`.
    #[doc(hidden)]
    fn check(&self, index: usize) -> Result<(), Error>;
}

impl MatchInput for BusinessMatch {
    const FIELD: &'static str = "businesses_to_match";
    const OPERATION_ID: &'static str = "match_businesses";
    const PATH: &'static str = "/v1/businesses/match";
    type Entity = Businesses;

    fn check(&self, index: usize) -> Result<(), Error> {
        let field = format!("{}[{index}]", Self::FIELD);
        if [&self.name, &self.domain, &self.url, &self.linkedin_url]
            .iter()
            .all(|f| f.is_none())
        {
            return Err(Error::invalid_request(
                field,
                "at least one of name, domain, url, linkedin_url is required",
            ));
        }
        if let Some(name) = &self.name {
            let length = name.chars().count();
            if length > MAX_NAME {
                return Err(Error::invalid_request(
                    format!("{field}.name"),
                    format!("{length} characters, more than {MAX_NAME}"),
                ));
            }
        }
        Ok(())
    }
}

impl MatchInput for ProspectMatch {
    const FIELD: &'static str = "prospects_to_match";
    const OPERATION_ID: &'static str = "match_prospects";
    const PATH: &'static str = "/v1/prospects/match";
    type Entity = Prospects;

    fn check(&self, index: usize) -> Result<(), Error> {
        let field = format!("{}[{index}]", Self::FIELD);
        let fields = [
            &self.full_name,
            &self.company_name,
            &self.business_id,
            &self.email,
            &self.phone_number,
            &self.linkedin,
        ];
        if fields.iter().all(|f| f.is_none()) {
            return Err(Error::invalid_request(
                field,
                "at least one of full_name, company_name, business_id, email, phone_number, \
                 linkedin is required",
            ));
        }
        if let Some(id) = &self.business_id {
            validate::id(&format!("{field}.business_id"), 0, id, 32).map_err(|_| {
                Error::invalid_request(
                    format!("{field}.business_id"),
                    format!(
                        "{} is not 32 lowercase hex characters",
                        validate::quoted(id)
                    ),
                )
            })?;
        }
        Ok(())
    }
}

macro_rules! match_methods {
    ($handle:ident, $input:ident, $plural:literal) => {
        /// The match family's part of the handle.
        impl $handle {
            #[doc = concat!("Matches any number of ", $plural, " to their Explorium ids, 50 a request: see [`MatchAll`].")]
            pub fn match_all<I>(&self, inputs: I) -> MatchAll<$input>
            where
                I: IntoIterator<Item = $input>,
            {
                MatchAll {
                    client: self.client.clone(),
                    inputs: inputs.into_iter().collect(),
                    settings: Settings::default(),
                }
            }
        }
    };
}

match_methods!(Businesses, BusinessMatch, "businesses");
match_methods!(Prospects, ProspectMatch, "prospects");

/// Matches any number of inputs, from `client.businesses().match_all(..)` or
/// `client.prospects().match_all(..)`.
///
/// Every input is checked first (one that breaks a rule is [`MatchOutcome::Invalid`], never
/// sent, and never fails the others of its request); the rest go 50 a request in input order,
/// a few requests at a time, through the client's retry engine (matching only reads, so it is
/// retried like a read) and rate-limit state. A 403 stops the job at once: what was not sent is
/// [`MatchOutcome::NotAttempted`]. Never fails as a whole.
#[derive(Clone)]
#[must_use = "a job does nothing until `.send().await`"]
pub struct MatchAll<I: MatchInput> {
    client: Client,
    inputs: Vec<I>,
    settings: Settings,
}

settings_setters!(MatchAll<I: MatchInput>);

impl<I: MatchInput> fmt::Debug for MatchAll<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MatchAll")
            .field("path", &I::PATH)
            .field("inputs", &self.inputs.len())
            .field("concurrency", &self.settings.concurrency)
            .field("deadline", &self.settings.deadline)
            .finish_non_exhaustive()
    }
}

/// What became of one input of a [`MatchAll`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MatchedInput {
    /// Its index in the input.
    pub index: usize,
    /// What became of it.
    pub outcome: MatchOutcome,
}

/// What became of one input.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum MatchOutcome {
    /// Matched: the entity's Explorium id.
    Matched {
        /// The business id (32 hex) or prospect id (40 hex).
        id: String,
    },
    /// Sent; the service matched nothing to it.
    NotFound,
    /// Breaks a rule (named in `rule`); never sent.
    Invalid {
        /// The field and the rule.
        rule: String,
    },
    /// Its request failed, the service answered an error for it, or its row's id is not one
    /// (32 or 40 lowercase hex; no id at all, `null` or empty, is a miss:
    /// [`MatchOutcome::NotFound`]).
    Failed {
        /// Why; shared by the inputs of one failed request.
        error: Arc<Error>,
    },
    /// Not sent: the job's deadline passed or a 403 stopped the job first.
    NotAttempted,
}

impl<I: MatchInput> MatchAll<I> {
    /// Runs the job: see [`MatchAll`].
    pub async fn send(self) -> Report<MatchedInput> {
        let deadline = self.settings.deadline_from_now();
        let mut outcomes: Vec<MatchedInput> = self
            .inputs
            .iter()
            .enumerate()
            .map(|(index, input)| MatchedInput {
                index,
                outcome: match input.check(index) {
                    Ok(()) => MatchOutcome::NotAttempted,
                    Err(error) => MatchOutcome::Invalid {
                        rule: error.to_string(),
                    },
                },
            })
            .collect();
        let valid: Vec<usize> = (0..outcomes.len())
            .filter(|&i| matches!(outcomes[i].outcome, MatchOutcome::NotAttempted))
            .collect();
        let operation = Arc::new(Operation::new(I::OPERATION_ID, Method::POST, I::PATH, true));
        let (inputs, client) = (&self.inputs, &self.client);
        let total = outcomes.len();
        self.settings
            .run_chunks(
                deadline,
                (&valid, total),
                MAX_INPUTS_PER_REQUEST,
                |chunk| {
                    let body = ListBody {
                        field: I::FIELD,
                        items: chunk.iter().map(|&i| &inputs[i]).collect(),
                        parameters: None,
                    }
                    .to_bytes();
                    let (client, operation) = (client.clone(), operation.clone());
                    Box::pin(async move {
                        post_bytes::<WireMatched<I::Entity>>(&client, &operation, I::PATH, body)
                            .await
                    })
                },
                |_, chunk, result| apply(&mut outcomes, chunk, result, &operation),
            )
            .await
            .report(outcomes)
    }
}

/// Records one request's answer: row `k` answers input `chunk[k]` (the service answers in
/// order, one row per input). An answer with another number of rows cannot be lined up: its
/// inputs fail, saying so. Returns how many failed.
fn apply<Ent>(
    outcomes: &mut [MatchedInput],
    chunk: &[usize],
    result: Result<WireMatched<Ent>, Arc<Error>>,
    operation: &Operation,
) -> usize {
    let rows = match result {
        Err(error) => {
            for &i in chunk {
                outcomes[i].outcome = MatchOutcome::Failed {
                    error: error.clone(),
                };
            }
            return chunk.len();
        }
        Ok(wire) => wire.rows,
    };
    if rows.len() != chunk.len() {
        let error = Arc::new(
            Error::new(
                ErrorKind::Decode,
                format!(
                    "the answer has {} rows for {} inputs: they cannot be lined up",
                    rows.len(),
                    chunk.len()
                ),
            )
            .with_operation(operation.id),
        );
        for &i in chunk {
            outcomes[i].outcome = MatchOutcome::Failed {
                error: error.clone(),
            };
        }
        return chunk.len();
    }
    let mut failed = 0;
    for (&i, row) in chunk.iter().zip(rows) {
        let (kind, message) = match row {
            Row::Matched(id) => {
                outcomes[i].outcome = MatchOutcome::Matched { id };
                continue;
            }
            Row::NotFound => {
                outcomes[i].outcome = MatchOutcome::NotFound;
                continue;
            }
            Row::Error(message) => (
                ErrorKind::Validation,
                format!("the service could not match it: {message}"),
            ),
            Row::BadId(rule) => (ErrorKind::Decode, format!("its row's {rule}")),
        };
        failed += 1;
        outcomes[i].outcome = MatchOutcome::Failed {
            error: Arc::new(Error::new(kind, message).with_operation(operation.id)),
        };
    }
    failed
}

#[derive(Deserialize)]
struct WireMatchedBody {
    #[serde(default, alias = "matched_prospects")]
    matched_businesses: Option<Vec<Option<Value>>>,
}

enum Row {
    Matched(String),
    NotFound,
    /// The service's error for the input.
    Error(String),
    /// The row's id is not one: the field and the rule.
    BadId(String),
}

/// A match answer: each row read apart and leniently (a row of an unexpected shape is not
/// found, never a failed request). A row's id is read from the entity's own id field
/// (`business_id`, `prospect_id`), and must be one.
struct WireMatched<Ent> {
    rows: Vec<Row>,
    _entity: std::marker::PhantomData<fn() -> Ent>,
}

impl<Ent: Entity> Decoded for WireMatched<Ent> {
    fn decode(body: &[u8], scrub: Scrub<'_>) -> serde_json::Result<Self> {
        let wire: WireMatchedBody = decode_scrubbed(body, scrub)?;
        let text = |row: &Value, key: &str| {
            row.get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(String::from)
        };
        let rows = wire
            .matched_businesses
            .unwrap_or_default()
            .into_iter()
            .map(|row| {
                let Some(row) = row else {
                    return Row::NotFound;
                };
                if let Some(error) = text(&row, "error") {
                    let kind = text(&row, "error_type").unwrap_or_default();
                    // A miss is said as an error of its own type: it is not a failure.
                    if kind == "not_found" {
                        return Row::NotFound;
                    }
                    return Row::Error(scrub.quote(&format!("{kind}: {error}"), 256));
                }
                // No id (absent, `null`, empty) is a miss; any other id must be one.
                let field = Ent::ID_FIELD;
                let id = match row.get(field) {
                    None | Some(Value::Null) => return Row::NotFound,
                    Some(Value::String(id)) if id.is_empty() => return Row::NotFound,
                    Some(Value::String(id)) => id,
                    Some(other) => {
                        let kind = match other {
                            Value::Bool(_) => "a boolean",
                            Value::Number(_) => "a number",
                            Value::Array(_) => "a list",
                            _ => "an object",
                        };
                        return Row::BadId(format!("`{field}`: {kind}, not an id"));
                    }
                };
                match validate::id(field, 0, id, Ent::HEX_LEN) {
                    Ok(()) => Row::Matched(id.clone()),
                    Err(_) => Row::BadId(format!(
                        "`{field}`: {} is not {} lowercase hex characters",
                        validate::quoted(&scrub.text(id)),
                        Ent::HEX_LEN
                    )),
                }
            })
            .collect();
        Ok(Self {
            rows,
            _entity: std::marker::PhantomData,
        })
    }
}
