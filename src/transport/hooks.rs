//! The generated client's calls: progenitor's `exec` hook, which the generated code requires,
//! sends each request it builds through the same retry engine and rate-limit state as every
//! other call of the client.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use tracing::Instrument;

use super::call::call_span;
use super::error::ErrorKind;
use super::retry::{self, Ended, Verdict};
use super::status::status_kind;
use crate::client::Shared;
use crate::generated;

// `REPEATABLE_POSTS`: the operation ids of the `POST`s that may be repeated (they only read,
// or leave the same state), from `openapi/families.yaml`.
include!(concat!(env!("OUT_DIR"), "/repeatable_posts.rs"));

/// For the generated client: `PATCH` replaces, `GET` and `DELETE` are idempotent; a `POST`
/// that only reads (match, search, stats, enrich, usage, fetched events) or leaves the same
/// state (a webhook registration) is retried like a read; any other `POST` is taken to create.
fn is_idempotent(method: &Method, operation_id: &str) -> bool {
    method != Method::POST || REPEATABLE_POSTS.binary_search(&operation_id).is_ok()
}

impl Shared {
    /// A request the generated client built, sent under the same policy as every other call.
    async fn exec_generated(
        &self,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        let span = call_span(operation_id, request.method());
        let started = Instant::now();
        let idempotent = is_idempotent(request.method(), operation_id);
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
