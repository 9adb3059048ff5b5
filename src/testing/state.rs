//! What the server keeps between requests: enrollments, pending faults, the journal, the
//! rate-limit windows, and the id generator.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};

use hyper::{Response, StatusCode};
use serde_json::{json, Map, Value};
use tokio::time::Instant;

use super::journal::Journal;
use super::rate_limit::Windows;
use super::serve::{json_response, Body};
use super::spec::{Effect, Operation};
use super::Fault;

/// An enrollment the server keeps.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StoredEnrollment {
    /// The id the server generated.
    pub enrollment_id: String,
    /// The caller's key for it.
    pub enrollment_key: String,
    /// The path it was created on (`/v1/prospects/events/enrollments`, ...).
    pub path: String,
    /// Its lists (`prospect_ids`, `event_types`, ...): the last body accepted for it, less
    /// `enrollment_key`, `enrollment_id` and `request_context`.
    pub lists: Map<String, Value>,
    pub(super) owner: usize,
}

pub(super) struct State {
    pub(super) enrollments: HashMap<String, StoredEnrollment>,
    pub(super) faults: VecDeque<Fault>,
    pub(super) journal: Journal,
    pub(super) windows: Windows,
    ids: RandomState,
    counter: u64,
}

impl State {
    pub(super) fn new(journal_capacity: usize) -> Self {
        Self {
            enrollments: HashMap::new(),
            faults: VecDeque::new(),
            journal: Journal::new(journal_capacity),
            windows: Windows::default(),
            ids: RandomState::new(),
            counter: 0,
        }
    }

    fn hex(&mut self) -> u64 {
        self.counter += 1;
        self.ids.hash_one(self.counter)
    }

    pub(super) fn correlation_id(&mut self) -> String {
        format!("{:016x}{:016x}", self.hex(), self.hex())
    }
}

/// The operation's effect on the stored enrollments, and its answer.
pub(super) fn apply(
    state: &mut State,
    operation: &Operation,
    owner: usize,
    mut body: Map<String, Value>,
    context_name: &str,
    started: Instant,
) -> Response<Body> {
    let text = |body: &Map<String, Value>, field: &str| {
        body.get(field)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let enrollment_key = text(&body, "enrollment_key");
    let enrollment_id = match operation.effect {
        Effect::CreateEnrollment => {
            let enrollment_id = format!("en_{:08x}", state.hex() as u32);
            for field in ["enrollment_key", "enrollment_id", "request_context"] {
                body.remove(field);
            }
            let enrollment = StoredEnrollment {
                enrollment_id: enrollment_id.clone(),
                enrollment_key: enrollment_key.clone(),
                path: operation.path.clone(),
                lists: body,
                owner,
            };
            state.enrollments.insert(enrollment_id.clone(), enrollment);
            enrollment_id
        }
        Effect::UpdateEnrollment => {
            let enrollment_id = text(&body, "enrollment_id");
            let found = state.enrollments.get_mut(&enrollment_id).filter(|e| {
                e.owner == owner && e.path == operation.path && e.enrollment_key == enrollment_key
            });
            let Some(enrollment) = found else {
                let details =
                    format!("enrollment `{enrollment_id}` with key `{enrollment_key}` not found");
                return error_response(state, StatusCode::NOT_FOUND, &details);
            };
            for field in ["enrollment_key", "enrollment_id", "request_context"] {
                body.remove(field);
            }
            enrollment.lists = body;
            enrollment_id
        }
        Effect::NotSimulated => {
            let details = format!(
                "the local server does not simulate {} ({} {}) yet",
                operation.id, operation.method, operation.path
            );
            return error_response(state, StatusCode::NOT_IMPLEMENTED, &details);
        }
    };
    let correlation_id = state.correlation_id();
    let took = started.elapsed().as_secs_f64();
    json_response(
        StatusCode::OK,
        &success_body(
            context_name,
            &correlation_id,
            took,
            &enrollment_key,
            &enrollment_id,
        ),
    )
}

/// The documented success body, its context named `context_name`.
pub(super) fn success_body(
    context_name: &str,
    correlation_id: &str,
    took: f64,
    key: &str,
    id: &str,
) -> Value {
    let mut body = Map::new();
    body.insert(
        context_name.into(),
        json!({"correlation_id": correlation_id, "request_status": "success", "time_took_in_seconds": took}),
    );
    body.insert("enrollment_key".into(), key.into());
    body.insert("enrollment_id".into(), id.into());
    Value::Object(body)
}

/// The documented general error body.
pub(super) fn error_response(
    state: &mut State,
    status: StatusCode,
    details: &str,
) -> Response<Body> {
    json_response(
        status,
        &json!({"details": details, "correlation_id": state.correlation_id()}),
    )
}
