//! What a failed attempt means: an unsuccessful status, an undecodable body or a broken
//! connection made into an [`Error`], what the server said scrubbed and quoted bounded, and
//! what an ambiguous failure means for a call that is not idempotent.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use super::call::Operation;
use super::error::{Error, ErrorKind, FieldError};
use super::retry;
use super::server_text::{quote, CORRELATION_ID_LIMIT, DETAIL_LIMIT, EXCERPT_LIMIT};
use crate::client::{Shared, MAX_REDIRECTS};

impl Shared {
    /// The body as a JSON document with the key scrubbed from every string (`Null` if it is
    /// not JSON), and the excerpt an error keeps: from the scrubbed document when there is
    /// one, so a key escaped in the JSON text is not quoted either.
    fn inspect(&self, body: &[u8]) -> (Value, String) {
        let scrub = self.scrub();
        match serde_json::from_slice::<Value>(body) {
            Ok(mut document) => {
                scrub.json(&mut document);
                let excerpt = quote(&document.to_string(), EXCERPT_LIMIT);
                (document, excerpt)
            }
            Err(_) => (
                Value::Null,
                scrub.quote(&String::from_utf8_lossy(body), EXCERPT_LIMIT),
            ),
        }
    }

    /// serde's message can quote the body, so it is quoted like the body, and the source kept
    /// only when its text is the same.
    pub(super) fn decode_error(
        &self,
        status: StatusCode,
        body: &[u8],
        error: serde_json::Error,
    ) -> Error {
        let (_, excerpt) = self.inspect(body);
        let said = error.to_string();
        let quoted = self.scrub().quote(&said, EXCERPT_LIMIT);
        let decode = Error::new(
            ErrorKind::Decode,
            format!("undecodable {status} response: {quoted}"),
        )
        .with_status(status)
        .with_body_excerpt(Some(excerpt));
        if quoted == said {
            decode.with_source(error)
        } else {
            decode
        }
    }

    /// The error an unsuccessful status is. `body` is `None` when it was over the limit.
    pub(super) fn status_error(
        &self,
        operation: &Operation,
        status: StatusCode,
        body: Option<&[u8]>,
        header_correlation_id: Option<String>,
        server_wait: Option<Duration>,
    ) -> Error {
        let (parsed, excerpt) = match body {
            Some(body) => {
                let (parsed, excerpt) = self.inspect(body);
                (parsed, Some(excerpt))
            }
            None => (Value::Null, None),
        };
        let string_at = |pointer: &str| parsed.pointer(pointer).and_then(Value::as_str);
        let correlation_id = string_at("/correlation_id")
            .or_else(|| string_at("/response_context/correlation_id"))
            .or_else(|| string_at("/request_context/correlation_id"))
            .map(|id| quote(id, CORRELATION_ID_LIMIT))
            .or(header_correlation_id);
        let server_message = ["/details", "/message", "/detail", "/error"]
            .iter()
            .find_map(|p| string_at(p))
            .map(|said| quote(said, EXCERPT_LIMIT));
        let retry_after = server_wait.or_else(|| {
            parsed
                .get("retry_after")
                .and_then(Value::as_u64)
                .map(Duration::from_secs)
        });
        let kind = status_kind(status);
        let mut what = match kind {
            ErrorKind::Validation => "the server rejected the request as invalid".to_string(),
            ErrorKind::Unauthorized => "the API key was refused (401)".into(),
            ErrorKind::OutOfCredits => "out of credits, or the key may not do this (403)".into(),
            ErrorKind::NotFound => "not found (404)".into(),
            ErrorKind::RateLimited => "rate limited (429)".into(),
            ErrorKind::Server => format!("server error ({status})"),
            _ if status.is_redirection() => format!(
                "redirect ({status}) not followed: only 307 and 308 redirects within the base \
                 URL's origin are, {MAX_REDIRECTS} in a row at most"
            ),
            _ => format!("unexpected status {status}"),
        };
        if body.is_none() {
            what = format!(
                "{what} (its body, larger than the {}-byte limit, was not read)",
                self.max_response_bytes
            );
        }
        // What would be repeated if the call were idempotent, and is not because it is not
        // (5xx, 408): it may have been processed.
        if !operation.idempotent && retry::is_retryable(kind, Some(status), true) {
            what = format!("{what}; {}", operation.consequence());
        }
        let message = match server_message {
            Some(said) => format!("{what}: {said}"),
            None => what,
        };
        let details = match kind {
            ErrorKind::Validation => validation_details(&parsed),
            _ => Vec::new(),
        };
        Error::new(kind, message)
            .with_status(status)
            .with_correlation_id(correlation_id)
            .with_retry_after(retry_after)
            .with_details(details)
            .with_body_excerpt(excerpt)
            .with_safe_to_repeat(operation.idempotent)
    }
}

/// The kind of failure a status is, for handwritten and generated calls alike.
pub(super) fn status_kind(status: StatusCode) -> ErrorKind {
    match status.as_u16() {
        422 => ErrorKind::Validation,
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::OutOfCredits,
        404 => ErrorKind::NotFound,
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::UnexpectedStatus,
    }
}

/// FastAPI's `{"detail": [{"loc": ["body", "prospect_ids", 3], "msg", "type"}]}`, from a
/// scrubbed document; each string bounded.
fn validation_details(body: &Value) -> Vec<FieldError> {
    let Some(entries) = body.get("detail").and_then(Value::as_array) else {
        return Vec::new();
    };
    entries
        .iter()
        .map(|entry| {
            let mut field = String::new();
            let loc = entry
                .get("loc")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            for (position, segment) in loc.iter().enumerate() {
                match segment {
                    Value::String(name) if position == 0 && name == "body" && loc.len() > 1 => {}
                    Value::String(name) => {
                        if !field.is_empty() {
                            field.push('.');
                        }
                        field.push_str(name);
                    }
                    other => field.push_str(&format!("[{other}]")),
                }
            }
            let text = |key: &str| {
                quote(
                    entry.get(key).and_then(Value::as_str).unwrap_or_default(),
                    DETAIL_LIMIT,
                )
            };
            FieldError {
                field: quote(&field, DETAIL_LIMIT),
                message: text("msg"),
                kind: text("type"),
            }
        })
        .collect()
}

pub(super) fn transport_error(error: reqwest::Error, operation: &Operation) -> Error {
    // Nothing reached the server if no connection was made.
    let safe = error.is_connect() || operation.idempotent;
    let kind = if error.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Connection
    };
    let mut message = String::from(match (error.is_connect(), error.is_timeout()) {
        (true, true) => "timed out connecting; nothing was sent",
        (true, false) => "could not connect; nothing was sent",
        (false, true) => "timed out",
        (false, false) => "connection failed",
    });
    // reqwest's own text is generic; its causes say what happened.
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        cause = inner.source();
    }
    if !safe {
        message.push_str("; ");
        message.push_str(operation.consequence());
    }
    Error::new(kind, message)
        .with_safe_to_repeat(safe)
        .with_source(error.without_url())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_details_render_fields_like_the_builders() {
        let body = serde_json::json!({"detail": [
            {"loc": ["body", "prospect_ids", 3], "msg": "String should match pattern", "type": "string_pattern_mismatch"},
            {"loc": ["body", "enrollment_key"], "msg": "too short", "type": "string_too_short"},
            {"loc": ["body"], "msg": "Field required", "type": "missing"},
        ]});
        let fields: Vec<String> = validation_details(&body)
            .into_iter()
            .map(|d| d.field)
            .collect();
        assert_eq!(fields, ["prospect_ids[3]", "enrollment_key", "body"]);
    }
}
