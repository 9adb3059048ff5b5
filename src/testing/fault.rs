//! Faults served on demand, scripted per test.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Frame;
use hyper::{Response, StatusCode};
use serde_json::json;

use super::rate_limit::rate_limit_body;
use super::serve::{full, json_response, raw_response, Body};
use super::state::success_body;
use super::Shared;

/// What the server does instead of (or on top of) answering normally.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FaultKind {
    /// Answer this status with the documented general error body
    /// (`{"details", "correlation_id"}`), or for 429 the documented rate-limit body; with a
    /// `Retry-After` header (seconds) when set. The request is not processed.
    Status {
        /// The HTTP status to answer.
        status: u16,
        /// The `Retry-After` header, in seconds.
        retry_after: Option<u64>,
    },
    /// Answer this status with this JSON body, as given. The request is not processed.
    Respond {
        /// The HTTP status to answer.
        status: u16,
        /// The body, sent as `application/json`.
        body: serde_json::Value,
    },
    /// Close the connection without sending a response. The request is not processed.
    CloseConnection,
    /// Wait this long, then process the request and answer normally.
    Stall(Duration),
    /// Answer 200 with a body that is not JSON. The request is not processed.
    MalformedJson,
    /// Announce a full JSON body in `Content-Length`, send half of it, then cut the connection.
    /// The request is not processed.
    TruncatedBody,
    /// Answer 200 with valid JSON of a shape no operation documents. The request is not
    /// processed.
    UnexpectedShape,
    /// Answer 200 with a JSON body of this many bytes (at least 14). The request is not processed.
    OversizedBody {
        /// Size of the body, in bytes.
        bytes: usize,
    },
    /// Answer this redirect status (301, 302, 307, 308) with this `Location`. The request is
    /// not processed.
    Redirect {
        /// The HTTP status to answer.
        status: u16,
        /// The `Location` header.
        location: String,
    },
    /// Process the request normally, but name the response context `request_context`, as the
    /// documentation's examples do, instead of the schema's `response_context`.
    RequestContextVariant,
}

/// A scripted fault: what to do, for how many requests, optionally for one operation only.
///
/// ```
/// use explorium::testing::Fault;
/// use std::time::Duration;
///
/// // The next two requests to any operation answer 503.
/// let outage = Fault::status(503).times(2);
/// // The next add-prospects request answers 429 with `Retry-After: 7`.
/// let throttled = Fault::status(429).retry_after(7).on("add_prospects_enrollments");
/// // The next request hangs for a minute before being answered.
/// let slow = Fault::stall(Duration::from_secs(60));
/// # let _ = (outage, throttled, slow);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct Fault {
    pub(crate) kind: FaultKind,
    pub(crate) remaining: usize,
    pub(crate) operation: Option<String>,
}

impl Fault {
    /// A fault of this kind, served once, to any operation.
    pub fn new(kind: FaultKind) -> Self {
        Self {
            kind,
            remaining: 1,
            operation: None,
        }
    }

    /// Answer `status` (500, 502, 503, 504, 429, ...) without processing the request.
    pub fn status(status: u16) -> Self {
        Self::new(FaultKind::Status {
            status,
            retry_after: None,
        })
    }

    /// Answer `status` with exactly this JSON `body`: a documented error shape, say.
    pub fn respond(status: u16, body: serde_json::Value) -> Self {
        Self::new(FaultKind::Respond { status, body })
    }

    /// Close the connection without a response.
    pub fn close_connection() -> Self {
        Self::new(FaultKind::CloseConnection)
    }

    /// Wait `duration` before answering: longer than the client's timeout to test timeouts.
    pub fn stall(duration: Duration) -> Self {
        Self::new(FaultKind::Stall(duration))
    }

    /// Answer 200 with a body that is not JSON.
    pub fn malformed_json() -> Self {
        Self::new(FaultKind::MalformedJson)
    }

    /// Send half the announced body, then cut the connection.
    pub fn truncated_body() -> Self {
        Self::new(FaultKind::TruncatedBody)
    }

    /// Answer 200 with JSON of an unexpected shape.
    pub fn unexpected_shape() -> Self {
        Self::new(FaultKind::UnexpectedShape)
    }

    /// Answer 200 with a JSON body of `bytes` bytes (at least 14).
    pub fn oversized_body(bytes: usize) -> Self {
        Self::new(FaultKind::OversizedBody { bytes })
    }

    /// Redirect with `status` (301, 302, 307, 308) to `location`.
    pub fn redirect(status: u16, location: impl Into<String>) -> Self {
        Self::new(FaultKind::Redirect {
            status,
            location: location.into(),
        })
    }

    /// Answer normally, but with the documented `request_context` name for the context.
    pub fn request_context_variant() -> Self {
        Self::new(FaultKind::RequestContextVariant)
    }

    /// Serve this fault to the next `n` matching requests (default 1).
    pub fn times(mut self, n: usize) -> Self {
        self.remaining = n;
        self
    }

    /// Serve this fault only to requests for this operation id (default: any request).
    pub fn on(mut self, operation_id: impl Into<String>) -> Self {
        self.operation = Some(operation_id.into());
        self
    }

    /// Add a `Retry-After: seconds` header to a [`Fault::status`] fault (default: none).
    /// Has no effect on other kinds.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        if let FaultKind::Status { retry_after, .. } = &mut self.kind {
            *retry_after = Some(seconds);
        }
        self
    }

    /// The kind of this fault.
    pub fn kind(&self) -> &FaultKind {
        &self.kind
    }

    pub(crate) fn matches(&self, operation: Option<&str>) -> bool {
        self.remaining > 0
            && self
                .operation
                .as_deref()
                .is_none_or(|wanted| Some(wanted) == operation)
    }
}

/// The first queued fault matching `operation`, used up by one.
pub(super) fn take(faults: &mut VecDeque<Fault>, operation: Option<&str>) -> Option<FaultKind> {
    let index = faults.iter().position(|f| f.matches(operation))?;
    let fault = &mut faults[index];
    fault.remaining -= 1;
    let kind = fault.kind.clone();
    if fault.remaining == 0 {
        faults.remove(index);
    }
    Some(kind)
}

/// The answer a fault serves instead of processing the request.
pub(super) fn response(kind: &FaultKind, shared: &Shared) -> Response<Body> {
    let ok = StatusCode::OK;
    match kind {
        FaultKind::Status {
            status,
            retry_after,
        } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = if status == StatusCode::TOO_MANY_REQUESTS {
                rate_limit_body(retry_after.unwrap_or(60))
            } else {
                let correlation_id = shared.lock().correlation_id();
                json!({"details": format!("injected fault: {status}"), "correlation_id": correlation_id})
            };
            let mut response = json_response(status, &body);
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(hyper::header::RETRY_AFTER, (*seconds).into());
            }
            response
        }
        FaultKind::MalformedJson => raw_response(
            ok,
            full(&b"{\"response_context\": <html>502 Bad Gateway</html>"[..]),
        ),
        FaultKind::TruncatedBody => {
            let full = success_body(
                "response_context",
                "0123456789abcdef",
                0.0,
                "truncated_key",
                "en_00000000",
            );
            let full = Bytes::from(full.to_string());
            let mut response =
                raw_response(ok, Truncated(Some(full.slice(..full.len() / 2))).boxed());
            response
                .headers_mut()
                .insert(hyper::header::CONTENT_LENGTH, full.len().into());
            response
        }
        FaultKind::Respond { status, body } => json_response(
            StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body,
        ),
        FaultKind::Redirect { status, location } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::TEMPORARY_REDIRECT);
            let mut response = raw_response(status, full(Bytes::new()));
            if let Ok(location) = location.parse() {
                response
                    .headers_mut()
                    .insert(hyper::header::LOCATION, location);
            }
            response
        }
        FaultKind::UnexpectedShape => {
            json_response(ok, &json!({"status": "ok", "data": [1, 2, 3]}))
        }
        FaultKind::OversizedBody { bytes } => {
            const ENVELOPE: usize = r#"{"padding":""}"#.len();
            let padding = "x".repeat(bytes.saturating_sub(ENVELOPE));
            json_response(ok, &json!({ "padding": padding }))
        }
        // Served by the request pipeline itself.
        FaultKind::CloseConnection | FaultKind::Stall(_) | FaultKind::RequestContextVariant => {
            json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"details": "unreachable fault"}),
            )
        }
    }
}

/// Sends its one chunk, then fails: hyper aborts the connection mid-body.
struct Truncated(Option<Bytes>);

impl hyper::body::Body for Truncated {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        Poll::Ready(Some(match self.0.take() {
            Some(chunk) => Ok(Frame::data(chunk)),
            None => Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "body truncated on purpose (fault)",
            )),
        }))
    }
}
