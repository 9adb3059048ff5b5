//! How a call travels: one span per call, attempts through the retry engine, and for each
//! attempt the request out, a bounded body in, the status mapped to [`Error`]. The generated
//! client's calls go through the same engine, by progenitor's `exec` hook.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;
use tracing::Instrument;

use super::error::{Error, ErrorKind, FieldError};
use super::rate_limit::Permit;
use super::retry::{self, Ended, Verdict};
use super::server_text::{quote, Scrub, CORRELATION_ID_LIMIT, DETAIL_LIMIT, EXCERPT_LIMIT};
use crate::client::{Shared, MAX_REDIRECTS};
use crate::generated;

/// An operation of the API, as the handwritten layer calls it. The tests check each against
/// the merged spec through the local server.
#[derive(Debug)]
pub(crate) struct Operation {
    pub(crate) id: &'static str,
    pub(crate) method: Method,
    pub(crate) path: &'static str,
    /// Whether repeating the request cannot act twice. Stated per operation rather than read
    /// from the method: fetching events is a `POST` that only reads.
    pub(crate) idempotent: bool,
}

impl Operation {
    /// What an ambiguous failure means: for an add, that the enrollment may exist.
    fn consequence(&self) -> &'static str {
        if self.method == Method::POST && self.path.ends_with("/enrollments") {
            ENROLLMENT_CONSEQUENCE
        } else {
            SENT_CONSEQUENCE
        }
    }

    pub(crate) const fn new(
        id: &'static str,
        method: Method,
        path: &'static str,
        idempotent: bool,
    ) -> Self {
        Self {
            id,
            method,
            path,
            idempotent,
        }
    }
}

/// For the generated client, which knows only the method: `PATCH` replaces, `GET` and `DELETE`
/// are idempotent; a `POST` is taken to create.
fn is_idempotent(method: &Method) -> bool {
    method != Method::POST
}

/// A successful response body the handwritten layer decodes.
pub(crate) trait Decoded: Sized {
    /// Whether the body holds a secret: then an undecodable body is neither quoted nor
    /// described by serde (whose messages quote values).
    const HOLDS_SECRET: bool = false;

    /// Every string the result keeps has gone through `scrub`.
    fn decode(body: &[u8], scrub: Scrub<'_>) -> serde_json::Result<Self>;

    /// The server's id for the call, for the span: scrubbed and bounded.
    fn correlation_id(&self) -> Option<&str> {
        None
    }
}

const X_CORRELATION_ID: HeaderName = HeaderName::from_static("x-correlation-id");
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What an ambiguous failure of a call that is not idempotent means, for other calls than adds.
const SENT_CONSEQUENCE: &str = "the request was sent, so it may or may not have been processed";

pub(crate) const ENROLLMENT_CONSEQUENCE: &str =
    "the request was sent, so the enrollment may or may not exist: list the enrollments before adding again";

fn call_span(operation_id: &'static str, method: &Method) -> tracing::Span {
    tracing::info_span!(
        "explorium.call",
        operation = operation_id,
        http.method = %method,
        http.status = tracing::field::Empty,
        attempts = tracing::field::Empty,
        correlation_id = tracing::field::Empty,
        elapsed_ms = tracing::field::Empty,
    )
}

impl Shared {
    /// One call: attempts under the retry policy, in one span, with the operation named in
    /// any error.
    pub(crate) async fn call<T: Decoded>(
        &self,
        operation: &Operation,
        path: &str,
        body: Option<Bytes>,
    ) -> Result<T, Error> {
        let url = &self.url(path);
        self.run_call(
            operation,
            |timeout, permit, span| {
                let body = body.clone();
                async move {
                    self.attempt(operation, url, body, timeout, permit, &span)
                        .await
                }
            },
            Verdict::of_result,
        )
        .await
    }

    /// `path` under the base URL.
    pub(crate) fn url(&self, path: &str) -> String {
        // Every call's path: two copies, no formatting machinery.
        let mut url = String::with_capacity(self.base_url.len() + path.len());
        url.push_str(&self.base_url);
        url.push_str(path);
        url
    }

    /// A call whose attempts the caller writes (one request each, usually [`Shared::attempt`]),
    /// judged by `judge`: the span, the engine, and the errors' operation and attempts.
    pub(crate) async fn run_call<'a, T, F, Fut>(
        &'a self,
        operation: &Operation,
        mut attempt: F,
        judge: impl Fn(&Result<T, Error>) -> Verdict,
    ) -> Result<T, Error>
    where
        T: Decoded,
        F: FnMut(Duration, Permit<'a>, tracing::Span) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let span = call_span(operation.id, &operation.method);
        let started = Instant::now();
        let ended = self
            .engine
            .run(
                &span,
                |timeout, permit| attempt(timeout, permit, span.clone()).instrument(span.clone()),
                judge,
            )
            .await;
        let (result, attempts) = match ended {
            Ended::Attempted { output, attempts } => (output, attempts),
            Ended::RateLimited { wait, attempts } => (Err(unsent_rate_limited(wait)), attempts),
        };
        span.record("attempts", attempts);
        span.record("elapsed_ms", started.elapsed().as_millis() as u64);
        match &result {
            Ok(output) => {
                if let Some(correlation_id) = output.correlation_id() {
                    span.record("correlation_id", correlation_id);
                }
                tracing::debug!(parent: &span, "call succeeded");
            }
            Err(error) => {
                if let Some(correlation_id) = error.correlation_id() {
                    span.record("correlation_id", correlation_id);
                }
            }
        }
        result.map_err(|error| {
            let error = error.with_operation(operation.id).with_attempts(attempts);
            tracing::warn!(parent: &span, error = %error, "call failed");
            error
        })
    }

    /// One request of `operation` to `url`, within `timeout`, under `permit`.
    pub(crate) async fn attempt<T: Decoded>(
        &self,
        operation: &Operation,
        url: &str,
        body: Option<Bytes>,
        timeout: Duration,
        permit: Permit<'_>,
        span: &tracing::Span,
    ) -> Result<T, Error> {
        let mut request = self
            .http
            .request(operation.method.clone(), url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .timeout(timeout);
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| transport_error(e, operation))?;
        let status = response.status();
        span.record("http.status", status.as_u16());
        let scrub = self.scrub();
        // What only a failure needs is looked up only then: this is every call's path.
        let (header_correlation_id, server_wait) = if status.is_success() {
            (None, None)
        } else {
            let headers = response.headers();
            (
                [&X_CORRELATION_ID, &X_REQUEST_ID]
                    .into_iter()
                    .find_map(|name| headers.get(name)?.to_str().ok())
                    .map(|id| scrub.quote(id, CORRELATION_ID_LIMIT)),
                retry::server_wait(headers, SystemTime::now()),
            )
        };
        permit.learn(status, response.headers(), server_wait);
        drop(permit);
        let body = self.read_body(response, operation, status).await?;
        match body {
            Some(body) if status.is_success() => T::decode(&body, scrub).map_err(|e| {
                if T::HOLDS_SECRET {
                    Error::new(
                        ErrorKind::Decode,
                        format!("undecodable {status} response (not quoted: it holds a secret)"),
                    )
                    .with_status(status)
                } else {
                    self.decode_error(status, &body, e)
                }
            }),
            None if status.is_success() => Err(Error::new(
                ErrorKind::ResponseTooLarge,
                format!(
                    "{status} response body larger than the {}-byte limit",
                    self.max_response_bytes
                ),
            )
            .with_status(status)),
            // The status and headers say what happened, whatever the size of the body.
            body => Err(self.status_error(
                operation,
                status,
                body.as_deref(),
                header_correlation_id,
                server_wait,
            )),
        }
    }

    /// The body, or `None` past `max_response_bytes`, whether or not a length was announced;
    /// a larger body is read no further. Memory grows with what arrives, never with what the
    /// server announces.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        operation: &Operation,
        status: StatusCode,
    ) -> Result<Option<Vec<u8>>, Error> {
        let limit = self.max_response_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Ok(None);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(e, operation).with_status(status))?
        {
            if body.len().saturating_add(chunk.len()) > limit {
                return Ok(None);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Some(body))
    }

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
    fn decode_error(&self, status: StatusCode, body: &[u8], error: serde_json::Error) -> Error {
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
    fn status_error(
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

    /// A server has no business echoing the key; if one does, it stops here.
    fn scrub(&self) -> Scrub<'_> {
        Scrub::new(self.api_key.expose_secret())
    }

    /// A request the generated client built, sent under the same policy as every other call.
    async fn exec_generated(
        &self,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        let span = call_span(operation_id, request.method());
        let started = Instant::now();
        let idempotent = is_idempotent(request.method());
        let body = match request.body() {
            None => None,
            Some(body) => match body.as_bytes() {
                Some(bytes) => Some(Bytes::copy_from_slice(bytes)),
                // A streamed body cannot be sent twice: one attempt, as it is.
                None => return self.http.execute(request).instrument(span).await,
            },
        };
        let fresh = || {
            let mut attempt =
                reqwest::Request::new(request.method().clone(), request.url().clone());
            *attempt.headers_mut() = request.headers().clone();
            *attempt.body_mut() = body.clone().map(Into::into);
            attempt
        };
        let ended = self
            .engine
            .run(
                &span,
                |timeout, permit| {
                    let mut attempt = fresh();
                    *attempt.timeout_mut() = Some(timeout);
                    let span = &span;
                    async move {
                        let result = self.http.execute(attempt).await;
                        if let Ok(response) = &result {
                            span.record("http.status", response.status().as_u16());
                            let wait = retry::server_wait(response.headers(), SystemTime::now());
                            permit.learn(response.status(), response.headers(), wait);
                        }
                        result
                    }
                    .instrument(span.clone())
                },
                |result| judge_response(result, idempotent),
            )
            .await;
        span.record("elapsed_ms", started.elapsed().as_millis() as u64);
        match ended {
            Ended::Attempted { output, attempts } => {
                span.record("attempts", attempts);
                output
            }
            // Nothing is sent: the generated client gets the 429 the server would have given,
            // made here and marked as such, with the wait in `Retry-After`.
            Ended::RateLimited { wait, attempts } => {
                span.record("attempts", attempts);
                let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                let mut refused = http::Response::new(
                    r#"{"detail": "not sent: the rate limit window is spent past this call's deadline"}"#,
                );
                *refused.status_mut() = StatusCode::TOO_MANY_REQUESTS;
                let headers = refused.headers_mut();
                headers.insert(reqwest::header::RETRY_AFTER, HeaderValue::from(seconds));
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                headers.insert(
                    HeaderName::from_static("x-explorium-client"),
                    HeaderValue::from_static("not-sent"),
                );
                Ok(reqwest::Response::from(refused))
            }
        }
    }
}

/// The learned rate limit forbids sending before the call's deadline.
pub(crate) fn unsent_rate_limited(wait: Duration) -> Error {
    Error::new(
        ErrorKind::RateLimited,
        "the rate limit window is spent and resets after this call's deadline; not sent",
    )
    .with_retry_after(Some(wait))
}

/// The kind of failure a status is, for handwritten and generated calls alike.
fn status_kind(status: StatusCode) -> ErrorKind {
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

/// [`retry::is_retryable`] applied to what the generated client's transport answered.
fn judge_response(result: &reqwest::Result<reqwest::Response>, idempotent: bool) -> Verdict {
    match result {
        Ok(response) if response.status().is_success() => Verdict::Success,
        Ok(response) => {
            let status = response.status();
            Verdict::Failure {
                retryable: retry::is_retryable(status_kind(status), Some(status), idempotent),
                wait: retry::server_wait(response.headers(), SystemTime::now()),
                reason: format!("status {}", status.as_u16()),
                timeout: false,
            }
        }
        Err(error) => {
            let kind = if error.is_timeout() {
                ErrorKind::Timeout
            } else {
                ErrorKind::Connection
            };
            Verdict::Failure {
                retryable: retry::is_retryable(kind, None, idempotent || error.is_connect()),
                wait: None,
                reason: if error.is_timeout() {
                    "timeout".into()
                } else {
                    "connection".into()
                },
                timeout: error.is_timeout(),
            }
        }
    }
}

impl ClientHooks<Arc<Shared>> for generated::Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        self.inner()
            .exec_generated(request, info.operation_id)
            .await
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

fn transport_error(error: reqwest::Error, operation: &Operation) -> Error {
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
