//! Credits: what each call costs, each API key's balance, and the two credits operations.
//!
//! A call that costs more than its key has left answers 403 with the documented message and
//! costs nothing; a call that fits is charged, and the charge recorded (time, path, credits)
//! for the aggregation operation.

use std::collections::BTreeMap;
use std::time::SystemTime;

use chrono::{DateTime, Datelike, Duration, DurationRound, Timelike, Utc};
use hyper::{Response, StatusCode};
use serde_json::{json, Map, Value};

use super::events::parse_time;
use super::schema::detail;
use super::serve::{json_response, Body};
use super::state::{error_response, response_context, Call, State};

/// The credits each API key is allocated by default: enough that no test runs out by
/// accident.
pub const DEFAULT_CREDITS: u64 = 1_000_000;

/// The documented 403 message.
const INSUFFICIENT: &str =
    "You have insufficient credits to perform this operation. Please purchase additional credits.";

/// Each key's allocation and what it spent.
#[derive(Debug)]
pub(super) struct Ledger {
    allocated: u64,
    charges: Vec<Charge>,
}

#[derive(Debug)]
struct Charge {
    owner: usize,
    at: SystemTime,
    path: String,
    credits: u64,
}

impl Ledger {
    pub(super) fn new(allocated: u64) -> Self {
        Self {
            allocated,
            charges: Vec::new(),
        }
    }

    pub(super) fn used(&self, owner: usize) -> u64 {
        self.charges
            .iter()
            .filter(|c| c.owner == owner)
            .map(|c| c.credits)
            .sum()
    }

    pub(super) fn remaining(&self, owner: usize) -> u64 {
        self.allocated.saturating_sub(self.used(owner))
    }

    /// Charges `credits` if the key has them.
    fn charge(&mut self, owner: usize, at: SystemTime, path: &str, credits: u64) -> bool {
        if credits > self.remaining(owner) {
            return false;
        }
        if credits > 0 {
            self.charges.push(Charge {
                owner,
                at,
                path: path.to_string(),
                credits,
            });
        }
        true
    }
}

/// The success answer with `fields` once `cost` is charged, or 403 when the key's balance
/// does not cover it.
pub(super) fn charged(
    state: &mut State,
    call: &Call<'_>,
    cost: u64,
    status: &str,
    fields: Map<String, Value>,
) -> Response<Body> {
    if !state.ledger.charge(call.owner, call.now, call.path, cost) {
        return error_response(state, StatusCode::FORBIDDEN, INSUFFICIENT);
    }
    call.answer(state, status, fields)
}

/// `GET /v1/credits`: the key's allocation and balance.
pub(super) fn summary(state: &mut State, call: &Call<'_>) -> Response<Body> {
    let mut fields = Map::new();
    fields.insert("allocated_credits".into(), state.ledger.allocated.into());
    fields.insert(
        "remaining_credits".into(),
        state.ledger.remaining(call.owner).into(),
    );
    call.success(state, fields)
}

/// The documented 400 body of a refused aggregation.
fn refused(state: &mut State, call: &Call<'_>, code: &str, message: &str) -> Response<Body> {
    let context = response_context(state, call.started, "failure");
    let mut body = Map::new();
    body.insert(call.context_name.into(), context);
    body.insert(
        "error".into(),
        json!({"code": code, "message": message, "details": {
            "from_date": call.body.get("from_date"), "to_date": call.body.get("to_date")}}),
    );
    json_response(StatusCode::BAD_REQUEST, &Value::Object(body))
}

/// `POST /v1/credits/aggregation`: the key's charges between two dates, by time bucket
/// (`timely`) or by endpoint (`endpoints`).
pub(super) fn aggregation(state: &mut State, call: &Call<'_>) -> Response<Body> {
    let mut errors = Vec::new();
    let mut date = |field: &str| {
        let text = call.text(field);
        let parsed = parse_time(&text).map(DateTime::<Utc>::from);
        if parsed.is_none() {
            errors.push(detail(
                vec!["body".into(), field.into()],
                format!("Value error, expected an ISO 8601 date-time: '{text}'"),
                "value_error",
            ));
        }
        parsed
    };
    let (from, to) = (date("from_date"), date("to_date"));
    let (Some(from), Some(to)) = (from, to) else {
        return json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({ "detail": errors }),
        );
    };
    if from > to {
        return refused(
            state,
            call,
            "INVALID_DATE_RANGE",
            "The from_date must be before to_date",
        );
    }
    let mode = call.text("mode");
    let resolution = call.body.get("resolution").and_then(Value::as_str);
    let charges: Vec<&Charge> = state
        .ledger
        .charges
        .iter()
        .filter(|c| c.owner == call.owner)
        .filter(|c| {
            let at = DateTime::<Utc>::from(c.at);
            at >= from && at < to
        })
        .collect();
    let aggregations: Vec<Value> = if mode == "timely" {
        let Some(resolution) = resolution else {
            return refused(
                state,
                call,
                "INVALID_RESOLUTION",
                "Resolution is required for timely mode",
            );
        };
        let (step, longest, name) = match resolution {
            "hour" => (
                Duration::hours(1),
                from.checked_add_signed(Duration::days(7)),
                "7 days",
            ),
            "day" => (
                Duration::days(1),
                from.checked_add_signed(Duration::days(60)),
                "60 days",
            ),
            _ => (
                Duration::days(31),
                from.checked_add_months(chrono::Months::new(24)),
                "2 years",
            ),
        };
        if longest.is_none_or(|longest| to > longest) {
            let message =
                format!("The date range exceeds {name}, the maximum for {resolution} resolution");
            return refused(state, call, "INVALID_DATE_RANGE", &message);
        }
        buckets(from, to, resolution, step)
            .into_iter()
            .map(|(start, end)| {
                let credits: u64 = charges
                    .iter()
                    .filter(|c| {
                        let at = DateTime::<Utc>::from(c.at);
                        at >= start && at < end
                    })
                    .map(|c| c.credits)
                    .sum();
                bucket(start, resolution, credits)
            })
            .collect()
    } else {
        let mut by_endpoint: BTreeMap<&str, u64> = BTreeMap::new();
        for charge in &charges {
            *by_endpoint.entry(charge.path.as_str()).or_default() += charge.credits;
        }
        let mut rows: Vec<(&str, u64)> = by_endpoint.into_iter().collect();
        rows.sort_by_key(|row| std::cmp::Reverse(row.1));
        rows.into_iter()
            .map(|(endpoint, credits)| json!({"endpoint": endpoint, "credits": credits}))
            .collect()
    };
    let mut fields = Map::new();
    fields.insert("from_date".into(), call.text("from_date").into());
    fields.insert("to_date".into(), call.text("to_date").into());
    fields.insert("mode".into(), mode.into());
    if let Some(resolution) = resolution {
        fields.insert("resolution".into(), resolution.into());
    }
    let timezone = call
        .body
        .get("timezone")
        .and_then(Value::as_str)
        .unwrap_or("UTC");
    fields.insert("timezone".into(), timezone.into());
    let total: u64 = charges.iter().map(|c| c.credits).sum();
    fields.insert("total_credits".into(), total.into());
    fields.insert("aggregations".into(), aggregations.into());
    call.success(state, fields)
}

/// The buckets `[start, end)` from the one holding `from` up to `to`.
fn buckets(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    resolution: &str,
    step: Duration,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let start_of = |t: DateTime<Utc>| -> DateTime<Utc> {
        match resolution {
            "month" => t
                .with_day(1)
                .and_then(|t| t.duration_trunc(Duration::days(1)).ok())
                .unwrap_or(t),
            _ => t.duration_trunc(step).unwrap_or(t),
        }
    };
    let next = |t: DateTime<Utc>| -> DateTime<Utc> {
        match resolution {
            "month" => start_of(t + Duration::days(32)),
            _ => t + step,
        }
    };
    let mut out = Vec::new();
    let mut start = start_of(from);
    while start < to && out.len() < 10_000 {
        let end = next(start);
        out.push((start, end));
        start = end;
    }
    out
}

/// One bucket, with the fields the aggregation page shows for its resolution.
fn bucket(start: DateTime<Utc>, resolution: &str, credits: u64) -> Value {
    let mut out = Map::new();
    out.insert(
        "timestamp".into(),
        start.format("%Y-%m-%dT%H:%M:%SZ").to_string().into(),
    );
    match resolution {
        "hour" => {
            out.insert("hour".into(), format!("{:02}:00", start.hour()).into());
            out.insert("date".into(), start.format("%Y-%m-%d").to_string().into());
        }
        "day" => {
            out.insert("date".into(), start.format("%Y-%m-%d").to_string().into());
            out.insert("day_name".into(), start.format("%A").to_string().into());
            out.insert(
                "day_of_week".into(),
                start.weekday().num_days_from_sunday().into(),
            );
        }
        _ => {
            out.insert("year".into(), start.year().into());
            out.insert("month".into(), start.month().into());
            out.insert("month_name".into(), start.format("%B").to_string().into());
            out.insert(
                "month_abbr".into(),
                start.format("%b").to_string().to_uppercase().into(),
            );
        }
    }
    out.insert("credits".into(), credits.into());
    Value::Object(out)
}
