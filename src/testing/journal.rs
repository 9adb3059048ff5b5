//! What reached the server: one record per request answered, in order.

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
    /// The path, without the query string.
    pub path: String,
    /// The body, if it was JSON.
    pub body: Option<Value>,
    /// What the `api_key` header held (never the key itself).
    pub api_key: KeyCheck,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// The schema validation of the body.
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

/// The records, in the order the answers were ready.
#[derive(Debug, Default)]
pub(super) struct Journal {
    entries: Vec<RecordedRequest>,
}

impl Journal {
    pub(super) fn push(&mut self, entry: RecordedRequest) {
        self.entries.push(entry);
    }

    pub(super) fn entries(&self) -> Vec<RecordedRequest> {
        self.entries.clone()
    }

    pub(super) fn count(&self, operation_id: &str) -> usize {
        self.entries
            .iter()
            .filter(|r| r.operation_id.as_deref() == Some(operation_id))
            .count()
    }
}
