//! The enrich family: one type per enrichment ([`enrichments`], written at build time from the
//! documents by `build/enrichments.rs`), one entity enriched ([`Enrich`]), any number enriched
//! ([`EnrichAll`]: checked, de-duplicated, 50 a request), and custom enrichments
//! ([`CustomEnrichment`]).

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use bytes::Bytes;
use reqwest::Method;
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::bulk::{self, settings_setters, IdKey, Report, Screened, Settings};
use crate::client::{Businesses, Client, Prospects};
use crate::data::{decode_scrubbed, post_bytes, Entity, ListBody};
use crate::transport::call::{Decoded, Operation};
use crate::transport::context::{pick_context, ResponseContext};
use crate::transport::error::Error;
use crate::transport::server_text::Scrub;
use crate::validate;

/// One type per enrichment the documents define, written at build time from the merged
/// document: a new enrichment document becomes a new type with no code edit. Each ties its
/// operations ([`Enrichment::ENRICH`], [`Enrichment::BULK_ENRICH`]), its parameters type and
/// its generated output type. Under [`businesses`](enrichments::businesses) and
/// [`prospects`](enrichments::prospects), and at the root when only one entity has the name
/// (`LinkedinPosts` is both: [`BusinessLinkedinPosts`](enrichments::BusinessLinkedinPosts),
/// [`ProspectLinkedinPosts`](enrichments::ProspectLinkedinPosts)).
pub mod enrichments {
    include!(concat!(env!("OUT_DIR"), "/enrichments.rs"));
}

/// Most ids one bulk enrichment request may carry.
pub const MAX_IDS_PER_REQUEST: usize = 50;

/// An operation of an enrichment: its id and path in the documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The operation id: `businesses_firmographics_enrich`.
    pub operation_id: &'static str,
    /// The path: `/v1/businesses/firmographics/enrich`.
    pub path: &'static str,
}

impl Endpoint {
    /// A read: these `POST`s change nothing, so they are retried like reads.
    fn operation(&self) -> Operation {
        Operation::new(self.operation_id, Method::POST, self.path, true)
    }
}

#[doc(hidden)]
pub trait Sealed {}

/// An enrichment: one of the types of [`enrichments`], or [`Custom`]. Sealed.
pub trait Enrichment: Sealed + Copy + fmt::Debug + Send + Sync + 'static {
    /// The kind of entity it enriches: [`Businesses`] or [`Prospects`].
    type Entity: Entity;
    /// Its parameters (bombora topics and score, website keywords, a financial date, a traffic
    /// period, LinkedIn's offline mode), the generated type; an object for those that take
    /// none the documents type.
    type Parameters: Serialize + Clone + fmt::Debug + Send + Sync + 'static;
    /// One entity's data: the generated output type.
    type Output: DeserializeOwned + Clone + fmt::Debug + Send + Sync + 'static;
    /// The single operation's whole response, as generated (for [`crate::generated`] users).
    type Response;
    /// The bulk operation's whole response, as generated.
    type BulkResponse;
    /// The enrichment's name in its paths: `firmographics`.
    const NAME: &'static str;
    /// One entity.
    const ENRICH: Endpoint;
    /// Up to 50 entities.
    const BULK_ENRICH: Endpoint;

    /// One entity's data from the single operation's `data`: as it is, unless the answer wraps
    /// it in rows (a custom enrichment's).
    #[doc(hidden)]
    fn single_data(data: Vec<Self::Output>) -> Vec<Self::Output> {
        data
    }
}

/// A custom enrichment of businesses, from [`Client::custom_enrichment`]: its data is whatever
/// object the enrichment defines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Custom;

impl Sealed for Custom {}

impl Enrichment for Custom {
    type Entity = Businesses;
    type Parameters = Map<String, Value>;
    type Output = Map<String, Value>;
    type Response = crate::generated::types::CustomEnrichmentEnrichResponse;
    type BulkResponse = crate::generated::types::CustomEnrichmentEnrichResponse;
    const NAME: &'static str = "custom";
    const ENRICH: Endpoint = Endpoint {
        operation_id: "enrich_with_custom_enrichment",
        path: "/v1/custom_enrichments/{custom_enrichment_id}/enrich",
    };
    const BULK_ENRICH: Endpoint = Endpoint {
        operation_id: "bulk_enrich_with_custom_enrichment",
        path: "/v1/custom_enrichments/{enrichment_id}/bulk_enrich",
    };

    /// The single answer's rows are `{business_id, data}`, as in bulk: each row's `data`; a
    /// row whose `data` is `null` or missing has nothing (as in bulk, where it is
    /// `NotFound`); a row with anything else there is kept whole.
    fn single_data(data: Vec<Self::Output>) -> Vec<Self::Output> {
        data.into_iter()
            .filter_map(|mut row| match row.remove("data") {
                Some(Value::Object(inner)) => Some(inner),
                None | Some(Value::Null) => None,
                Some(other) => {
                    row.insert("data".into(), other);
                    Some(row)
                }
            })
            .collect()
    }
}

/// A custom enrichment, from [`Client::custom_enrichment`].
#[derive(Debug, Clone)]
pub struct CustomEnrichment {
    client: Client,
    id: String,
}

impl Client {
    /// The custom enrichment `id` (defined for the account in Explorium's platform).
    pub fn custom_enrichment(&self, id: impl Into<String>) -> CustomEnrichment {
        CustomEnrichment {
            client: self.clone(),
            id: id.into(),
        }
    }
}

impl CustomEnrichment {
    /// Enriches one business with this enrichment: see [`Enrich`].
    pub fn enrich(&self, business_id: impl Into<String>) -> Enrich<Custom> {
        Enrich {
            client: self.client.clone(),
            id: business_id.into(),
            parameters: None,
            custom_id: Some(self.id.clone()),
        }
    }

    /// Enriches any number of business ids with this enrichment: see [`EnrichAll`].
    pub fn enrich_all<I>(&self, ids: I) -> EnrichAll<Custom>
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let mut job = EnrichAll::new(self.client.clone(), ids);
        job.custom_id = Some(self.id.clone());
        job
    }
}

/// The path of `endpoint`, its one `{template}` segment (a custom enrichment's id) filled in.
fn path_of(endpoint: &Endpoint, custom_id: Option<&str>) -> Result<String, Error> {
    let Some(id) = custom_id else {
        if endpoint.path.contains('{') {
            // `Custom` through the entity handle: there is no id to put in the path.
            return Err(Error::invalid_request(
                "custom_enrichment_id",
                "required: enrich through `client.custom_enrichment(id)`",
            ));
        }
        return Ok(endpoint.path.to_string());
    };
    let valid = !id.is_empty()
        && id.len() <= 256
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !valid {
        return Err(Error::invalid_request(
            "custom_enrichment_id",
            format!(
                "{} is not 1 to 256 ASCII letters, digits, `-`, `_` or `.`",
                validate::quoted(id)
            ),
        ));
    }
    Ok(endpoint
        .path
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                id
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/"))
}

macro_rules! enrich_methods {
    ($handle:ident, $singular:literal) => {
        /// The enrich family's part of the handle.
        impl $handle {
            #[doc = concat!("Enriches one ", $singular, " with `enrichment`: see [`Enrich`].")]
            pub fn enrich<E: Enrichment<Entity = $handle>>(
                &self,
                enrichment: E,
                id: impl Into<String>,
            ) -> Enrich<E> {
                let _ = enrichment;
                Enrich {
                    client: self.client.clone(),
                    id: id.into(),
                    parameters: None,
                    custom_id: None,
                }
            }

            #[doc = concat!("Enriches any number of ", $singular, " ids with `enrichment`, 50 a request: see [`EnrichAll`].")]
            pub fn enrich_all<E: Enrichment<Entity = $handle>, I>(
                &self,
                enrichment: E,
                ids: I,
            ) -> EnrichAll<E>
            where
                I: IntoIterator,
                I::Item: Into<String>,
            {
                let _ = enrichment;
                EnrichAll::new(self.client.clone(), ids)
            }
        }
    };
}

enrich_methods!(Businesses, "business");
enrich_methods!(Prospects, "prospect");

/// One entity's enrichment. Does nothing until [`Enrich::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `.send().await`"]
pub struct Enrich<E: Enrichment> {
    client: Client,
    id: String,
    parameters: Option<E::Parameters>,
    /// A custom enrichment's id.
    custom_id: Option<String>,
}

impl<E: Enrichment> Enrich<E> {
    /// The enrichment's parameters. Default: none sent.
    pub fn parameters(mut self, parameters: E::Parameters) -> Self {
        self.parameters = Some(parameters);
        self
    }

    /// Checks the id, sends the request (retried like a read: it changes nothing, but a
    /// repeated enrichment may be charged again) and returns the entity's data.
    pub async fn send(self) -> Result<Enriched<E::Output>, Error> {
        let operation = E::ENRICH.operation();
        let with_op = |e: Error| e.with_operation(operation.id);
        validate::id(
            <E::Entity as Entity>::ID_FIELD,
            0,
            &self.id,
            <E::Entity as Entity>::HEX_LEN,
        )
        .map_err(|e| {
            // One id, not a list: the field without an index.
            with_op(Error::invalid_request(
                <E::Entity as Entity>::ID_FIELD,
                e.to_string()
                    .split_once(": ")
                    .map_or(String::new(), |(_, rule)| rule.to_string()),
            ))
        })?;
        let mut body = Map::new();
        body.insert(
            <E::Entity as Entity>::ID_FIELD.into(),
            Value::String(self.id),
        );
        let body = with_parameters(body, self.parameters.as_ref()).map_err(with_op)?;
        let path = path_of(&E::ENRICH, self.custom_id.as_deref()).map_err(with_op)?;
        let (result, attempts) = self
            .client
            .shared()
            .call_counted::<WireSingle<E::Output>>(&operation, &path, Some(body))
            .await;
        let wire = result?;
        Ok(Enriched {
            data: E::single_data(wire.data),
            context: wire.context,
            attempts,
        })
    }
}

/// `body` with `parameters` (when given) as JSON.
fn with_parameters<P: Serialize>(
    mut body: Map<String, Value>,
    parameters: Option<&P>,
) -> Result<Bytes, Error> {
    if let Some(parameters) = parameters {
        let value = serde_json::to_value(parameters)
            .map_err(|e| Error::invalid_request("parameters", e))?;
        body.insert("parameters".into(), value);
    }
    serde_json::to_vec(&body)
        .map(Bytes::from)
        .map_err(|e| Error::invalid_request("body", e))
}

/// One entity's enriched data, from [`Enrich::send`].
#[derive(Debug, Clone)]
pub struct Enriched<O> {
    data: Vec<O>,
    context: Option<ResponseContext>,
    attempts: u32,
}

impl<O> Enriched<O> {
    /// The data: usually one record, several for the enrichments that answer a list (the
    /// service answers either shape), none when it has nothing for the entity.
    pub fn data(&self) -> &[O] {
        &self.data
    }

    /// The data, owned.
    pub fn into_data(self) -> Vec<O> {
        self.data
    }

    /// The server's account of the call.
    pub fn context(&self) -> Option<&ResponseContext> {
        self.context.as_ref()
    }

    /// Attempts the call made (more than one after a retry, which may have been charged).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// The service answers one record or a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<O> {
    Many(Vec<O>),
    One(O),
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "O: DeserializeOwned"))]
struct WireSingleBody<O> {
    #[serde(default)]
    data: Option<OneOrMany<O>>,
    #[serde(default)]
    response_context: Option<Box<RawValue>>,
    #[serde(default)]
    request_context: Option<Box<RawValue>>,
}

struct WireSingle<O> {
    data: Vec<O>,
    context: Option<ResponseContext>,
}

impl<O: DeserializeOwned> Decoded for WireSingle<O> {
    fn decode(body: &[u8], scrub: Scrub<'_>) -> serde_json::Result<Self> {
        let wire: WireSingleBody<O> = decode_scrubbed(body, scrub)?;
        Ok(Self {
            data: match wire.data {
                None => Vec::new(),
                Some(OneOrMany::One(one)) => vec![one],
                Some(OneOrMany::Many(many)) => many,
            },
            context: pick_context(wire.response_context, wire.request_context, scrub),
        })
    }

    fn correlation_id(&self) -> Option<&str> {
        self.context.as_ref().map(ResponseContext::correlation_id)
    }
}

/// Enriches any number of ids with one enrichment, from `client.businesses().enrich_all(..)`,
/// `client.prospects().enrich_all(..)` or [`CustomEnrichment::enrich_all`].
///
/// Every id is checked first (an invalid one is [`EnrichOutcome::Invalid`], never sent, and
/// never fails the rest of its request); a repeated id is [`EnrichOutcome::Duplicate`]; the
/// valid, distinct ids go 50 a request in input order, a few requests at a time, through the
/// client's retry engine and rate-limit state. A 403 (out of credits) stops the job at once:
/// what was not sent is [`EnrichOutcome::NotAttempted`]. Never fails as a whole.
#[must_use = "a job does nothing until `.send().await`"]
pub struct EnrichAll<E: Enrichment> {
    client: Client,
    ids: Vec<String>,
    parameters: Option<E::Parameters>,
    custom_id: Option<String>,
    settings: Settings,
    _enrichment: PhantomData<E>,
}

impl<E: Enrichment> Clone for EnrichAll<E> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            ids: self.ids.clone(),
            parameters: self.parameters.clone(),
            custom_id: self.custom_id.clone(),
            settings: self.settings.clone(),
            _enrichment: PhantomData,
        }
    }
}

impl<E: Enrichment> fmt::Debug for EnrichAll<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrichAll")
            .field("enrichment", &E::NAME)
            .field("custom_id", &self.custom_id)
            .field("ids", &self.ids.len())
            .field("parameters", &self.parameters)
            .field("concurrency", &self.settings.concurrency)
            .field("deadline", &self.settings.deadline)
            .finish_non_exhaustive()
    }
}

settings_setters!(EnrichAll<E: Enrichment>);

/// What became of one input id of an [`EnrichAll`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EnrichedId<O> {
    /// Its index in the input.
    pub index: usize,
    /// The id, as given.
    pub id: String,
    /// What became of it.
    pub outcome: EnrichOutcome<O>,
}

/// What became of one input id.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum EnrichOutcome<O> {
    /// Enriched: its data.
    Enriched {
        /// The entity's data, the generated output type.
        data: O,
    },
    /// Sent, and the answer had no data for it (no row, or a row without data).
    NotFound,
    /// Breaks a rule (named in `rule`); never sent.
    Invalid {
        /// The field and the rule, as an [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest) error says them.
        rule: String,
    },
    /// The same id stands earlier in the input, at `first_index`; sent once.
    Duplicate {
        /// The index of its first occurrence.
        first_index: usize,
    },
    /// Its request failed (after the retries the policy allows), or its row did not decode.
    Failed {
        /// Why; shared by the ids of one request.
        error: Arc<Error>,
    },
    /// Not sent: the job's deadline passed or a 403 stopped the job first.
    NotAttempted,
}

impl<E: Enrichment> EnrichAll<E> {
    fn new<I>(client: Client, ids: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Self {
            client,
            ids: ids.into_iter().map(Into::into).collect(),
            parameters: None,
            custom_id: None,
            settings: Settings::default(),
            _enrichment: PhantomData,
        }
    }

    /// The enrichment's parameters, sent with every request. Default: none sent.
    pub fn parameters(mut self, parameters: E::Parameters) -> Self {
        self.parameters = Some(parameters);
        self
    }

    /// Runs the job: see [`EnrichAll`].
    pub async fn send(self) -> Report<EnrichedId<E::Output>> {
        let Self {
            client,
            ids,
            parameters,
            custom_id,
            settings,
            _enrichment,
        } = self;
        let deadline = settings.deadline_from_now();
        let field = <E::Entity as Entity>::IDS_FIELD;
        let verdicts = bulk::screen(field, <E::Entity as Entity>::HEX_LEN, &ids);
        let valid: Vec<usize> = (0..verdicts.len())
            .filter(|&i| matches!(verdicts[i], Screened::Valid))
            .collect();
        let chunks = valid.len().div_ceil(MAX_IDS_PER_REQUEST);
        let mut answers: Vec<Option<Answer<E::Entity, E::Output>>> =
            std::iter::repeat_with(|| None).take(chunks).collect();
        let operation = E::BULK_ENRICH.operation();
        let prepared = path_of(&E::BULK_ENRICH, custom_id.as_deref()).and_then(|path| {
            let parameters = match &parameters {
                Some(p) => Some(
                    serde_json::to_value(p).map_err(|e| Error::invalid_request("parameters", e))?,
                ),
                None => None,
            };
            Ok((path, parameters))
        });
        let (path, parameters) = match prepared {
            Ok(prepared) => prepared,
            Err(error) => {
                // The whole job breaks a rule: every valid id fails with it, nothing sent.
                let error = Arc::new(error.with_operation(operation.id));
                answers.fill_with(|| Some(Answer::Failed(error.clone())));
                return Report {
                    outcomes: assemble(ids, verdicts, &valid, answers),
                    requests: 0,
                    attempts: 0,
                    stopped: None,
                };
            }
        };
        // A job of one request keeps its answer until it ends, and then writes its outcomes
        // once (its rows become them when every id is valid). A longer job writes each answer
        // into its outcomes as it is handed over, and holds none after that. Either way each
        // id joins its outcome at the end: until then the bodies are written from the ids, and
        // the rows matched against them.
        let (mut outcomes, verdicts) = if chunks > 1 {
            (settled(verdicts), Vec::new())
        } else {
            (Vec::new(), verdicts)
        };
        let path: Arc<str> = path.into();
        let operation = Arc::new(operation);
        let total = ids.len();
        let tally = settings
            .run_chunks(
                deadline,
                (&valid, total),
                MAX_IDS_PER_REQUEST,
                |chunk| {
                    let body = ListBody {
                        field,
                        items: chunk.iter().map(|&i| ids[i].as_str()).collect(),
                        parameters: parameters.as_ref(),
                    }
                    .to_bytes();
                    let (client, path, operation) =
                        (client.clone(), path.clone(), operation.clone());
                    Box::pin(async move {
                        post_bytes::<WireBulk<E::Entity, E::Output>>(
                            &client, &operation, &path, body,
                        )
                        .await
                    })
                },
                |index, chunk, result| {
                    let (answer, failed) = Answer::of(&ids, chunk, result);
                    if chunks > 1 {
                        for (outcome, &i) in Outcomes::of(Some(answer), chunk.len()).zip(chunk) {
                            outcomes[i].outcome = outcome;
                        }
                    } else {
                        answers[index] = Some(answer);
                    }
                    failed
                },
            )
            .await;
        tally.report(if chunks > 1 {
            with_ids(outcomes, ids)
        } else {
            assemble(ids, verdicts, &valid, answers)
        })
    }
}

/// The outcomes `verdicts` settle before anything is sent, without their ids: the valid ids
/// not attempted yet.
fn settled<O>(verdicts: Vec<Screened>) -> Vec<EnrichedId<O>> {
    verdicts
        .into_iter()
        .enumerate()
        .map(|(index, verdict)| EnrichedId {
            index,
            id: String::new(),
            outcome: settled_outcome(verdict),
        })
        .collect()
}

/// What a verdict says of its id before anything is sent.
fn settled_outcome<O>(verdict: Screened) -> EnrichOutcome<O> {
    match verdict {
        Screened::Valid => EnrichOutcome::NotAttempted,
        Screened::Invalid(error) => EnrichOutcome::Invalid {
            rule: error.to_string(),
        },
        Screened::Duplicate { first_index } => EnrichOutcome::Duplicate { first_index },
    }
}

/// `outcomes` with their ids, in input order.
fn with_ids<O>(mut outcomes: Vec<EnrichedId<O>>, ids: Vec<String>) -> Vec<EnrichedId<O>> {
    for (outcome, id) in outcomes.iter_mut().zip(ids) {
        outcome.id = id;
    }
    outcomes
}

/// One request's answer for the ids of its chunk, in the chunk's order.
enum Answer<Ent, O> {
    /// The usual answer: row `k` is the chunk's id `k` (the ids are distinct), its data moved
    /// once, from where it was decoded, when the outcomes are written.
    InOrder(Vec<WireRow<Ent, O>>),
    /// Each id's outcome, its row found by its id.
    Matched(Vec<EnrichOutcome<O>>),
    /// The request failed: every id of the chunk, with this error.
    Failed(Arc<Error>),
}

impl<Ent, O> Answer<Ent, O> {
    /// The answer for `chunk` (indexes into `ids`), and how many of its ids failed.
    fn of(
        ids: &[String],
        chunk: &[usize],
        result: Result<WireBulk<Ent, O>, Arc<Error>>,
    ) -> (Self, usize) {
        let wire = match result {
            Ok(wire) => wire,
            Err(error) => return (Self::Failed(error), chunk.len()),
        };
        // The ids of a chunk are valid, so each has its key.
        let key = |i: usize| IdKey::new(&ids[i]);
        let apart = match wire.rows {
            Rows::Decoded(rows) => {
                let in_order = rows.len() == chunk.len()
                    && rows
                        .iter()
                        .zip(chunk)
                        .all(|(row, &i)| row.id.is_some() && row.id == key(i));
                if in_order {
                    return (Self::InOrder(rows), 0);
                }
                rows.into_iter()
                    // A row without an id cannot be told apart: it is nobody's.
                    .filter_map(|row| Some((row.id?, Ok(row.data))))
                    .collect()
            }
            Rows::Apart(rows) => rows,
        };
        let mut rows = std::collections::HashMap::with_capacity(apart.len());
        for (id, row) in apart {
            // A row the answer repeats counts once: the first.
            rows.entry(id).or_insert(row);
        }
        let mut failed = 0;
        let outcomes = chunk
            .iter()
            .map(|&i| match key(i).and_then(|key| rows.remove(&key)) {
                None | Some(Ok(None)) => EnrichOutcome::NotFound,
                Some(Ok(Some(data))) => EnrichOutcome::Enriched { data },
                Some(Err(error)) => {
                    failed += 1;
                    EnrichOutcome::Failed { error }
                }
            })
            .collect();
        (Self::Matched(outcomes), failed)
    }
}

/// The job's outcomes, in input order, written once: each id moved in with its verdict or,
/// when it was valid, what its chunk's answer says of it (not attempted when the chunk has
/// none). `answers` are by chunk of `valid`, all of them kept until now: for a job of one
/// request, or one that sent nothing.
fn assemble<Ent, O>(
    ids: Vec<String>,
    verdicts: Vec<Screened>,
    valid: &[usize],
    mut answers: Vec<Option<Answer<Ent, O>>>,
) -> Vec<EnrichedId<O>> {
    if let [Some(Answer::InOrder(_))] = answers[..] {
        if valid.len() == ids.len() {
            // The usual job of at most a request's worth, every id valid and answered in
            // order: the rows become the outcomes, where they were decoded (the list keeps
            // its allocation). Room for a full request is given back when the outcomes would
            // not fill half of it, as a one-id job's.
            if let Some(Some(Answer::InOrder(rows))) = answers.pop() {
                let mut outcomes: Vec<EnrichedId<O>> = rows
                    .into_iter()
                    .zip(ids)
                    .enumerate()
                    .map(|(index, (row, id))| EnrichedId {
                        index,
                        id,
                        outcome: match row.data {
                            Some(data) => EnrichOutcome::Enriched { data },
                            None => EnrichOutcome::NotFound,
                        },
                    })
                    .collect();
                if outcomes.capacity() / 2 > outcomes.len() {
                    outcomes.shrink_to_fit();
                }
                return outcomes;
            }
        }
    }
    debug_assert_eq!(
        answers.len(),
        valid.chunks(MAX_IDS_PER_REQUEST).len(),
        "an answer (or none) per chunk"
    );
    let mut answers = answers
        .into_iter()
        .zip(valid.chunks(MAX_IDS_PER_REQUEST))
        .flat_map(|(answer, chunk)| Outcomes::of(answer, chunk.len()));
    ids.into_iter()
        .zip(verdicts)
        .enumerate()
        .map(|(index, (id, verdict))| EnrichedId {
            index,
            id,
            outcome: match verdict {
                // Every chunk answers as many ids as it has: the valid ids and the outcomes
                // come out in step.
                Screened::Valid => answers.next().unwrap_or(EnrichOutcome::NotAttempted),
                other => settled_outcome(other),
            },
        })
        .collect()
}

/// A chunk's outcomes, one per id, in the chunk's order.
enum Outcomes<Ent, O> {
    InOrder(std::vec::IntoIter<WireRow<Ent, O>>),
    Matched(std::vec::IntoIter<EnrichOutcome<O>>),
    /// The rest of the chunk's ids (how many), each failed with this error, or not
    /// attempted.
    Each(Option<Arc<Error>>, usize),
}

impl<Ent, O> Outcomes<Ent, O> {
    /// What `answer` says of a chunk of `len` ids: not attempted when there is none.
    fn of(answer: Option<Answer<Ent, O>>, len: usize) -> Self {
        match answer {
            None => Self::Each(None, len),
            Some(Answer::Failed(error)) => Self::Each(Some(error), len),
            Some(Answer::InOrder(rows)) => Self::InOrder(rows.into_iter()),
            Some(Answer::Matched(outcomes)) => Self::Matched(outcomes.into_iter()),
        }
    }
}

impl<Ent, O> Iterator for Outcomes<Ent, O> {
    type Item = EnrichOutcome<O>;

    fn next(&mut self) -> Option<EnrichOutcome<O>> {
        match self {
            Self::InOrder(rows) => rows.next().map(|row| match row.data {
                Some(data) => EnrichOutcome::Enriched { data },
                None => EnrichOutcome::NotFound,
            }),
            Self::Matched(outcomes) => outcomes.next(),
            Self::Each(_, 0) => None,
            Self::Each(error, left) => {
                *left -= 1;
                Some(match error {
                    Some(error) => EnrichOutcome::Failed {
                        error: error.clone(),
                    },
                    None => EnrichOutcome::NotAttempted,
                })
            }
        }
    }
}

/// A bulk answer's body, its rows as `R`: decoded rows ([`WireRow`]) in the one pass nearly
/// every answer takes (the output types are lenient, so a row rarely fails to decode), raw
/// rows when one does not and each is decoded apart.
#[derive(Deserialize)]
#[serde(bound(deserialize = "R: Deserialize<'de>"))]
struct WireBulkBody<R> {
    #[serde(default = "Option::default", deserialize_with = "rows_of_a_request")]
    data: Option<Vec<R>>,
    #[serde(default)]
    response_context: Option<Box<RawValue>>,
    #[serde(default)]
    request_context: Option<Box<RawValue>>,
}

/// A bulk answer's rows, read into room for a request's worth (one row per id asked), so the
/// list is not copied as it grows.
fn rows_of_a_request<'de, D, R>(deserializer: D) -> Result<Option<Vec<R>>, D::Error>
where
    D: serde::Deserializer<'de>,
    R: Deserialize<'de>,
{
    struct List<R>(PhantomData<fn() -> R>);
    impl<'de, R: Deserialize<'de>> Visitor<'de> for List<R> {
        type Value = Option<Vec<R>>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of rows")
        }

        fn visit_none<Er: de::Error>(self) -> Result<Self::Value, Er> {
            Ok(None)
        }

        fn visit_unit<Er: de::Error>(self) -> Result<Self::Value, Er> {
            Ok(None)
        }

        fn visit_some<D: serde::Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_seq(self)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut list: A) -> Result<Self::Value, A::Error> {
            let mut rows = Vec::with_capacity(MAX_IDS_PER_REQUEST);
            while let Some(row) = list.next_element()? {
                rows.push(row);
            }
            Ok(Some(rows))
        }
    }
    deserializer.deserialize_option(List(PhantomData))
}

/// One row of a bulk answer: its id, under the entity's id field (`business_id`,
/// `prospect_id`), and its data. Other fields are ignored; a field given twice fails the row's
/// decoding (then [`RowIdOnly`] tells whose row it was, if its id reads).
struct WireRow<Ent, O> {
    /// `None` when the row has none, or one no input can have (longer than an id).
    id: Option<IdKey>,
    data: Option<O>,
    _entity: PhantomData<fn() -> Ent>,
}

impl<'de, Ent: Entity, O: Deserialize<'de>> Deserialize<'de> for WireRow<Ent, O> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RowVisitor {
            reads_data: true,
            _types: PhantomData,
        })
    }
}

/// The id of a row that did not decode, if that much of it reads: its `data` is skipped
/// unread, however it is written (even twice).
struct RowIdOnly<Ent>(Option<IdKey>, PhantomData<fn() -> Ent>);

impl<'de, Ent: Entity> Deserialize<'de> for RowIdOnly<Ent> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let row = deserializer.deserialize_map(RowVisitor::<Ent, de::IgnoredAny> {
            reads_data: false,
            _types: PhantomData,
        })?;
        Ok(Self(row.id, PhantomData))
    }
}

struct RowVisitor<Ent, O> {
    /// `false`: `data` is skipped like any other field.
    reads_data: bool,
    _types: PhantomData<fn() -> (Ent, O)>,
}

impl<'de, Ent: Entity, O: Deserialize<'de>> Visitor<'de> for RowVisitor<Ent, O> {
    type Value = WireRow<Ent, O>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a row: an object with `{}` and `data`", Ent::ID_FIELD)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut id, mut data) = (None, None);
        while let Some(field) = map.next_key_seed(RowField::<Ent>(PhantomData))? {
            match field {
                Field::Id if id.is_some() => {
                    return Err(de::Error::duplicate_field(Ent::ID_FIELD));
                }
                Field::Id => id = Some(map.next_value::<Option<RowId>>()?),
                Field::Data if data.is_some() => return Err(de::Error::duplicate_field("data")),
                Field::Data if self.reads_data => data = Some(map.next_value::<Option<O>>()?),
                Field::Data | Field::Other => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(WireRow {
            id: id.flatten().and_then(|RowId(key)| key),
            data: data.flatten(),
            _entity: PhantomData,
        })
    }
}

/// A row's field, by its name.
enum Field {
    Id,
    Data,
    Other,
}

/// Reads a row's field name: `Ent`'s id field, `data`, or another.
struct RowField<Ent>(PhantomData<fn() -> Ent>);

impl<'de, Ent: Entity> DeserializeSeed<'de> for RowField<Ent> {
    type Value = Field;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Field, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de, Ent: Entity> Visitor<'de> for RowField<Ent> {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<Er: de::Error>(self, name: &str) -> Result<Field, Er> {
        Ok(if name == Ent::ID_FIELD {
            Field::Id
        } else if name == "data" {
            Field::Data
        } else {
            Field::Other
        })
    }
}

/// A row's id, read without an allocation: its key, `None` when it is longer than any id.
struct RowId(Option<IdKey>);

impl<'de> Deserialize<'de> for RowId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = RowId;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an id")
            }

            fn visit_str<Er: de::Error>(self, id: &str) -> Result<RowId, Er> {
                Ok(RowId(IdKey::new(id)))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// One row's data: `None` when the row had none; `Err` when it did not decode.
type RowData<O> = Result<Option<O>, Arc<Error>>;

/// A bulk answer: decoded in one pass when every row decodes; otherwise again, each row apart,
/// so a row that does not decode fails only its id.
struct WireBulk<Ent, O> {
    rows: Rows<Ent, O>,
    context: Option<ResponseContext>,
}

/// A bulk answer's rows, in the answer's order (an id may repeat).
enum Rows<Ent, O> {
    /// As decoded in one pass: every row decoded.
    Decoded(Vec<WireRow<Ent, O>>),
    /// Decoded row by row: each row with an id, and its data or why it did not decode.
    Apart(Vec<(IdKey, RowData<O>)>),
}

impl<Ent: Entity, O: DeserializeOwned> Decoded for WireBulk<Ent, O> {
    fn decode(body: &[u8], scrub: Scrub<'_>) -> serde_json::Result<Self> {
        if let Ok(wire) = decode_scrubbed::<WireBulkBody<WireRow<Ent, O>>>(body, scrub) {
            let context = pick_context(wire.response_context, wire.request_context, scrub);
            let rows = Rows::Decoded(wire.data.unwrap_or_default());
            return Ok(Self { rows, context });
        }
        let wire: WireBulkBody<Box<RawValue>> = decode_scrubbed(body, scrub)?;
        let context = pick_context(wire.response_context, wire.request_context, scrub);
        let mut rows = Vec::new();
        for raw in wire.data.unwrap_or_default() {
            let (id, row) = match serde_json::from_str::<WireRow<Ent, O>>(raw.get()) {
                Ok(row) => (row.id, Ok(row.data)),
                Err(error) => {
                    // Its id, if that much of it reads.
                    let id = serde_json::from_str::<RowIdOnly<Ent>>(raw.get())
                        .ok()
                        .and_then(|RowIdOnly(id, _)| id);
                    let message = scrub.quote(&error.to_string(), 256);
                    (
                        id,
                        Err(Arc::new(Error::new(
                            crate::ErrorKind::Decode,
                            format!("its row did not decode: {message}"),
                        ))),
                    )
                }
            };
            if let Some(id) = id {
                rows.push((id, row));
            }
        }
        Ok(Self {
            rows: Rows::Apart(rows),
            context,
        })
    }

    fn correlation_id(&self) -> Option<&str> {
        self.context.as_ref().map(ResponseContext::correlation_id)
    }
}
