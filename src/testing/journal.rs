//! What reached the server: one record per request answered, in order.

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

use super::FaultKind;

/// One request as the server received it, and what it did with it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The operation the method and path route to, if any.
    pub operation_id: Option<String>,
    /// The method, upper case.
    pub method: String,
    /// The path, percent-decoded, without the query string.
    pub path: String,
    /// The query string as sent (still percent-encoded), if any.
    pub query: Option<String>,
    /// The body, if it was JSON. A number beyond `f64` (`1e400`) is held as the largest
    /// finite `f64` of its sign, as the service's decoder makes it infinite.
    pub body: Option<Value>,
    /// What the `api_key` header held (never the key itself).
    pub api_key: KeyCheck,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// The schema validation of the parameters and the body.
    pub validation: Validation,
    /// The fault served instead of (or on top of) the normal answer.
    pub fault: Option<FaultKind>,
    /// The status answered; `None` when the connection was closed without a response.
    pub status: Option<u16>,
}

/// What the `api_key` header of a request held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyCheck {
    /// The header was absent.
    Missing,
    /// A key the server was configured with.
    Accepted,
    /// Some other key.
    Rejected,
    /// The request was answered (by a fault, or a 404/405) before the key was checked; the
    /// header was present.
    NotChecked,
}

/// The schema validation of a request body.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Validation {
    /// The request was answered before validation (fault, routing, key, rate limit).
    NotRun,
    /// The body satisfied the operation's schema.
    Valid,
    /// The body was rejected: the FastAPI-style `detail` entries answered with the 422.
    Invalid(Vec<Value>),
}

/// The most recent records, in the order the answers were ready, and a count per operation
/// of every request ever recorded.
#[derive(Debug)]
pub(super) struct Journal {
    entries: VecDeque<RecordedRequest>,
    capacity: usize,
    counts: HashMap<String, usize>,
}

impl Journal {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            capacity,
            counts: HashMap::new(),
        }
    }

    pub(super) fn push(&mut self, entry: RecordedRequest) {
        if let Some(operation_id) = &entry.operation_id {
            *self.counts.entry(operation_id.clone()).or_default() += 1;
        }
        if self.capacity == 0 {
            return;
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    pub(super) fn entries(&self) -> Vec<RecordedRequest> {
        self.entries.iter().cloned().collect()
    }

    pub(super) fn count(&self, operation_id: &str) -> usize {
        self.counts.get(operation_id).copied().unwrap_or(0)
    }
}
