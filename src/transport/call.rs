//! One call and its attempts: one span per call, attempts through the retry engine, and for
//! each attempt the request out, a bounded body in, and a success decoded; a failure is made
//! into an [`Error`] by the `status` room.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::{HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use tracing::Instrument;

use super::error::{Error, ErrorKind};
use super::rate_limit::Permit;
use super::retry::{self, Ended, Verdict};
use super::server_text::{Scrub, CORRELATION_ID_LIMIT};
use super::status::transport_error;
use crate::client::Shared;

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
    pub(super) fn consequence(&self) -> &'static str {
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

pub(super) fn call_span(operation_id: &'static str, method: &Method) -> tracing::Span {
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
        self.call_counted(operation, path, body).await.0
    }

    /// [`Shared::call`], and how many attempts it made (the first included), whatever its
    /// outcome: what a caller was charged for may be read from it.
    pub(crate) async fn call_counted<T: Decoded>(
        &self,
        operation: &Operation,
        path: &str,
        body: Option<Bytes>,
    ) -> (Result<T, Error>, u32) {
        let url = &self.url(path);
        self.run_call_counted(
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
        attempt: F,
        judge: impl Fn(&Result<T, Error>) -> Verdict,
    ) -> Result<T, Error>
    where
        T: Decoded,
        F: FnMut(Duration, Permit<'a>, tracing::Span) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        self.run_call_counted(operation, attempt, judge).await.0
    }

    /// [`Shared::run_call`], and the number of attempts it made.
    pub(crate) async fn run_call_counted<'a, T, F, Fut>(
        &'a self,
        operation: &Operation,
        mut attempt: F,
        judge: impl Fn(&Result<T, Error>) -> Verdict,
    ) -> (Result<T, Error>, u32)
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
        let result = result.map_err(|error| {
            let error = error.with_operation(operation.id).with_attempts(attempts);
            tracing::warn!(parent: &span, error = %error, "call failed");
            error
        });
        (result, attempts)
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
    /// a larger body is read no further. A body that arrives in one chunk is that chunk, not a
    /// copy. From a second chunk on, the announced length (at most the limit, and at most
    /// [`MAX_RESERVED`]) is reserved once, so the body is copied once, not regrown by
    /// doubling; past it, memory grows with what arrives. Either way it never exceeds the limit.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        operation: &Operation,
        status: StatusCode,
    ) -> Result<Option<Bytes>, Error> {
        let limit = self.max_response_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Ok(None);
        }
        let announced = response.content_length().unwrap_or(0).min(MAX_RESERVED);
        // A body that arrives in one chunk is kept as it came, not copied.
        let mut first: Option<Bytes> = None;
        let mut body: Vec<u8> = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(e, operation).with_status(status))?
        {
            let held = first.as_ref().map_or(0, Bytes::len) + body.len();
            if held.saturating_add(chunk.len()) > limit {
                return Ok(None);
            }
            match first.take() {
                None if body.is_empty() => first = Some(chunk),
                earlier => {
                    if let Some(earlier) = earlier {
                        body.reserve(usize::try_from(announced).unwrap_or(0).max(earlier.len()));
                        body.extend_from_slice(&earlier);
                    }
                    body.extend_from_slice(&chunk);
                }
            }
        }
        Ok(Some(match first {
            Some(only) => only,
            None => Bytes::from(body),
        }))
    }

    /// A server has no business echoing the key; if one does, it stops here.
    pub(super) fn scrub(&self) -> Scrub<'_> {
        Scrub::new(self.api_key.expose_secret())
    }
}

/// The most memory reserved ahead for a body a server announces (16 MiB): a page of 500 rows
/// is about 400 KB. A larger body still arrives, grown as it comes.
const MAX_RESERVED: u64 = 16 << 20;

/// The learned rate limit forbids sending before the call's deadline.
pub(crate) fn unsent_rate_limited(wait: Duration) -> Error {
    Error::new(
        ErrorKind::RateLimited,
        "the rate limit window is spent and resets after this call's deadline; not sent",
    )
    .with_retry_after(Some(wait))
}
