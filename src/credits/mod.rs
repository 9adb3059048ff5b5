//! The credits family: the account's active credit balance ([`Credits::summary`]) and what it
//! spent over a period ([`Credits::usage`]).

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::Method;
use serde_json::{Map, Value};

use crate::client::Client;
use crate::data::{post_object, Typed};
use crate::generated::types::{ActiveCreditSummaryResponse, CreditAggregationResponse};
use crate::time::{given_time, served_time, wire_time, IntoTimestamp};
use crate::transport::call::Operation;
use crate::transport::context::ResponseContext;
use crate::transport::error::Error;
use crate::validate::quoted;
use crate::ErrorKind;

const SUMMARY: Operation = Operation::new(
    "get_active_credits_summary",
    Method::GET,
    "/v1/credits",
    true,
);

/// A POST that only reads: retried like a read.
const AGGREGATION: Operation = Operation::new(
    "get_credit_aggregation",
    Method::POST,
    "/v1/credits/aggregation",
    true,
);

/// The longest `timezone` sent (the IANA names are at most 32 characters).
const MAX_TIMEZONE: usize = 64;

/// The account's credits, from [`Client::credits`].
#[derive(Debug, Clone)]
pub struct Credits {
    client: Client,
}

impl Client {
    /// The account's credits: balance and usage.
    pub fn credits(&self) -> Credits {
        Credits {
            client: self.clone(),
        }
    }
}

impl Credits {
    /// The active credits: allocated and remaining. A read, retried like one; free.
    pub async fn summary(&self) -> Result<ActiveCreditSummaryResponse, Error> {
        let typed: Typed<ActiveCreditSummaryResponse> = self
            .client
            .shared()
            .call(&SUMMARY, SUMMARY.path, None)
            .await?;
        Ok(typed.value)
    }

    /// The credits spent from `from` (included) to `to` (excluded), per day unless told
    /// otherwise: see [`Usage`]. A read, retried like one; free.
    pub fn usage(&self, from: impl IntoTimestamp, to: impl IntoTimestamp) -> Usage {
        Usage {
            client: self.client.clone(),
            from: from.into_timestamp(),
            to: to.into_timestamp(),
            by: UsageBy::Time(Resolution::Day),
            timezone: None,
        }
    }
}

/// The length of a usage bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Resolution {
    /// An hour; a period of at most 7 days.
    Hour,
    /// A day; a period of at most 60 days.
    Day,
    /// A calendar month; a period of at most 2 calendar years.
    Month,
}

impl Resolution {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Month => "month",
        }
    }

    /// The end of the longest period starting at `from` that the service aggregates at this
    /// resolution (its documentation's limits: 7 days, 60 days, 2 calendar years), and those
    /// limits in words; `None` past the range of dates.
    fn longest_from(self, from: DateTime<Utc>) -> (Option<DateTime<Utc>>, &'static str) {
        match self {
            Self::Hour => (from.checked_add_signed(TimeDelta::days(7)), "7 days"),
            Self::Day => (from.checked_add_signed(TimeDelta::days(60)), "60 days"),
            Self::Month => (from.checked_add_months(chrono::Months::new(24)), "2 years"),
        }
    }
}

/// How the spent credits are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UsageBy {
    /// By time bucket (the service's `timely` mode).
    Time(Resolution),
    /// By endpoint (the service's `endpoints` mode).
    Endpoint,
}

/// The credits spent over a period, from [`Credits::usage`]. Checked before anything is sent:
/// both times parse, `from` comes before `to`, the period fits the resolution's limit (7 days
/// by hour, 60 by day, 2 years by month) and the time zone is a time zone name. Does nothing
/// until [`Usage::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `.send().await`"]
pub struct Usage {
    client: Client,
    from: Result<DateTime<Utc>, String>,
    to: Result<DateTime<Utc>, String>,
    by: UsageBy,
    timezone: Option<String>,
}

impl Usage {
    /// Buckets of this length. Default: [`Resolution::Day`].
    pub fn per(mut self, resolution: Resolution) -> Self {
        self.by = UsageBy::Time(resolution);
        self
    }

    /// One row per endpoint instead of per time bucket.
    pub fn by_endpoint(mut self) -> Self {
        self.by = UsageBy::Endpoint;
        self
    }

    /// The time zone of the buckets' boundaries, an IANA name (`America/New_York`). Default:
    /// UTC (nothing sent).
    pub fn timezone(mut self, timezone: impl Into<String>) -> Self {
        self.timezone = Some(timezone.into());
        self
    }

    /// Checks the request, sends it and returns the usage.
    pub async fn send(self) -> Result<CreditUsage, Error> {
        let with_op = |e: Error| e.with_operation(AGGREGATION.id);
        let body = self.body().map_err(with_op)?;
        let (result, attempts) = post_object::<Typed<CreditAggregationResponse>>(
            &self.client,
            &AGGREGATION,
            AGGREGATION.path,
            &body,
        )
        .await;
        let typed = result?;
        CreditUsage::new(typed.value, typed.context, attempts).map_err(with_op)
    }

    fn body(&self) -> Result<Map<String, Value>, Error> {
        let time = |field: &str, given: &Result<DateTime<Utc>, String>| match given {
            Ok(time) => Ok(*time),
            Err(text) => given_time(field, text),
        };
        let (from, to) = (time("from_date", &self.from)?, time("to_date", &self.to)?);
        if from >= to {
            return Err(Error::invalid_request(
                "to_date",
                format!(
                    "{} is not after from_date {}",
                    wire_time(to),
                    wire_time(from)
                ),
            ));
        }
        let mut body = Map::new();
        body.insert("from_date".into(), wire_time(from).into());
        body.insert("to_date".into(), wire_time(to).into());
        match self.by {
            UsageBy::Time(resolution) => {
                let (longest, limit) = resolution.longest_from(from);
                if longest.is_none_or(|longest| to > longest) {
                    return Err(Error::invalid_request(
                        "to_date",
                        format!(
                            "the period is longer than {limit}, the most the service aggregates \
                             by {}",
                            resolution.as_str()
                        ),
                    ));
                }
                body.insert("mode".into(), "timely".into());
                body.insert("resolution".into(), resolution.as_str().into());
            }
            UsageBy::Endpoint => {
                body.insert("mode".into(), "endpoints".into());
            }
        }
        if let Some(timezone) = &self.timezone {
            let name_like = timezone.split('/').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_+-".contains(&b))
            });
            if !name_like || timezone.len() > MAX_TIMEZONE {
                return Err(Error::invalid_request(
                    "timezone",
                    format!(
                        "{} is not a time zone name like UTC or America/New_York",
                        quoted(timezone)
                    ),
                ));
            }
            body.insert("timezone".into(), timezone.as_str().into());
        }
        Ok(body)
    }
}

/// The credits spent over a period, from [`Usage::send`].
#[derive(Debug, Clone)]
pub struct CreditUsage {
    total_credits: u64,
    rows: Vec<UsageRow>,
    response: CreditAggregationResponse,
    context: Option<ResponseContext>,
    attempts: u32,
}

/// One bucket of a period (by time) or one endpoint (by endpoint), with the credits it spent.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UsageRow {
    /// The credits spent.
    pub credits: u64,
    /// When the bucket starts (by time): `None` by endpoint, or when the service sent no
    /// time that parses (then its `timestamp` stays in `other`).
    pub timestamp: Option<DateTime<Utc>>,
    /// The endpoint (by endpoint).
    pub endpoint: Option<String>,
    /// The row's other fields, as sent: `hour` and `date` by hour; `date`, `day_name` and
    /// `day_of_week` by day; `year`, `month`, `month_name` and `month_abbr` by month.
    pub other: Map<String, Value>,
}

impl CreditUsage {
    fn new(
        mut response: CreditAggregationResponse,
        context: Option<ResponseContext>,
        attempts: u32,
    ) -> Result<Self, Error> {
        let bad = |message: String| Error::new(ErrorKind::Decode, message);
        let total_credits = u64::try_from(response.total_credits).map_err(|_| {
            bad(format!(
                "total_credits: {} is not a count of credits",
                response.total_credits
            ))
        })?;
        let mut rows = Vec::with_capacity(response.aggregations.len());
        for (index, mut other) in std::mem::take(&mut response.aggregations)
            .into_iter()
            .enumerate()
        {
            // A whole number, written as an integer or as a float (`3.0`).
            let count = |n: &serde_json::Number| {
                n.as_u64().or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && (0.0..9.0e15).contains(f))
                        .map(|f| f as u64)
                })
            };
            let credits = match other.remove("credits") {
                None => return Err(bad(format!("aggregations[{index}].credits: missing"))),
                Some(value) => match value.as_number().and_then(count) {
                    Some(credits) => credits,
                    None => {
                        return Err(bad(format!(
                            "aggregations[{index}].credits: {} is not a count of credits",
                            quoted(&value.to_string())
                        )))
                    }
                },
            };
            // Taken out of `other` only when they are what they should be.
            let timestamp = other
                .get("timestamp")
                .and_then(Value::as_str)
                .and_then(served_time);
            if timestamp.is_some() {
                other.remove("timestamp");
            }
            let endpoint = match other.remove("endpoint") {
                Some(Value::String(text)) => Some(text),
                Some(kept) => {
                    other.insert("endpoint".into(), kept);
                    None
                }
                None => None,
            };
            rows.push(UsageRow {
                credits,
                timestamp,
                endpoint,
                other,
            });
        }
        Ok(Self {
            total_credits,
            rows,
            response,
            context,
            attempts,
        })
    }

    /// The credits spent over the whole period.
    pub fn total_credits(&self) -> u64 {
        self.total_credits
    }

    /// The rows, in the service's order: time buckets from the earliest, or endpoints.
    pub fn rows(&self) -> &[UsageRow] {
        &self.rows
    }

    /// The rows, owned.
    pub fn into_rows(self) -> Vec<UsageRow> {
        self.rows
    }

    /// The rest of the answer, as the generated type has it (the period, mode, resolution and
    /// time zone as the service echoes them); its `aggregations` are in [`CreditUsage::rows`].
    pub fn response(&self) -> &CreditAggregationResponse {
        &self.response
    }

    /// The server's account of the call.
    pub fn context(&self) -> Option<&ResponseContext> {
        self.context.as_ref()
    }

    /// Attempts the call made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}
