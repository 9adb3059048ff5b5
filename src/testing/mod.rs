//! A local Explorium server that enforces the spec, for tests. **Not for production.**
//!
//! Enabled by the `test-util` feature. [`LocalServer`] speaks real HTTP/1.1 on `127.0.0.1`,
//! judges every request by the merged OpenAPI document itself (routes, the `api_key` header,
//! the JSON Schema of each request body), keeps enrollments like the service does, and serves
//! faults on demand, so code that enrolls prospects can be tested with no API key, no network
//! and no hand-written stub.
//!
//! ```
//! use explorium::testing::{Fault, LocalServer};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = LocalServer::start().await?; // 127.0.0.1, a free port
//! let url = format!("{}/v1/prospects/events/enrollments", server.base_url());
//! let body = json!({
//!     "enrollment_key": "tech_executives_monitor",
//!     "prospect_ids": ["20ae6cbf564ee683e66685e429844a5ff8ffc30f"],
//!     "event_types": ["prospect_changed_role"],
//! });
//! let http = reqwest::Client::new();
//!
//! // The next request answers 503; the one after is processed.
//! server.inject(Fault::status(503));
//! let first = http.post(&url).header("api_key", server.api_key()).json(&body).send().await?;
//! assert_eq!(first.status(), 503);
//! let second = http.post(&url).header("api_key", server.api_key()).json(&body).send().await?;
//! assert_eq!(second.status(), 200);
//!
//! // The journal shows what reached the server.
//! assert_eq!(server.count("add_prospects_enrollments"), 2);
//! assert!(server.journal()[0].fault.is_some());
//! # Ok(())
//! # }
//! ```
//!
//! # What it does, in order
//!
//! 1. **Faults.** A scripted [`Fault`] matching the request (by operation, if it names one) is
//!    served first, before anything else: see [`FaultKind`] for what each does.
//! 2. **Routing** by the document: an unknown path answers 404 `{"detail": "Not Found"}`, a known
//!    path with another method 405 `{"detail": "Method Not Allowed"}` and an `Allow` header
//!    (FastAPI's answers).
//! 3. **Authentication**: no `api_key` header, or a key the test did not configure, answers 401
//!    with the documented general error body. The key is never echoed, logged or journaled.
//! 4. **Rate limiting**, when configured with [`LocalServerBuilder::rate_limit`]: a sliding
//!    window per key; `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` on
//!    every authenticated response; 429 with `Retry-After` and the documented body beyond it.
//! 5. **Validation** of the JSON body against the operation's schema (OpenAPI 3.0 `nullable`
//!    translated to JSON Schema): 422 in FastAPI's shape, `loc` pointing at the field
//!    (`["body", "prospect_ids", 3]`), for every violation found.
//! 6. **State**: an operation whose success response carries an `enrollment_id` (the adds and
//!    updates, for prospects and businesses) is simulated: `POST` creates an enrollment (fresh
//!    `enrollment_id`); `PATCH` replaces its lists; an unknown `enrollment_id` answers 404 with
//!    the documented general error body. Every other operation (listing and deleting
//!    enrollments, fetching events, the webhook operations) is routed, authenticated and
//!    validated like the rest, then answers **501** with the general error body naming the
//!    operation: the server keeps no state for it yet, and a made-up success would let a test
//!    pass against behaviour nobody checked.
//!
//! An operation added by a new upstream document is routed (templated paths such as
//! `/v1/webhooks/{partner_id}` included), authenticated and validated with no code change.
//!
//! # Assumed behaviour
//!
//! The documentation does not say these; the server assumes them, and so should no test of
//! real-service behaviour:
//!
//! - an update must name an enrollment created on the same path, with the same
//!   `enrollment_key`, under the same API key, or it is "not found" (404);
//! - enrollment ids look like `en_` and 8 hex digits; correlation ids are 32 hex digits;
//! - requests rejected by the rate limit do not count against it; each request counts once,
//!   whatever its number of ids (a newer documentation page counts ids instead);
//! - authentication is checked before validation; 404/405 before authentication;
//! - request bodies over 1 MiB answer 413;
//! - a request body is validated only for operations that declare one (a `DELETE` of an
//!   enrollment does, with `{enrollment_id}`); path parameters match any one non-empty segment
//!   (their schemas are plain strings);
//! - operations the server does not simulate yet answer 501 after validation (see 6.).

mod fault;
mod spec;

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::hash::{BuildHasher, RandomState};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, Limited};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

pub use fault::{Fault, FaultKind};
use spec::{Effect, Operation, Route, Spec};

/// The API key a server started with [`LocalServer::start`] accepts.
pub const DEFAULT_API_KEY: &str = "explorium-local-test-key";

const MAX_REQUEST_BODY: usize = 1 << 20;

type Body = BoxBody<Bytes, io::Error>;

/// A running local server. Shut down when dropped.
///
/// One per test: each binds its own port and keeps its own state, so tests in parallel do not
/// interfere. It runs on the Tokio runtime that started it.
#[derive(Debug)]
pub struct LocalServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

/// Configures a [`LocalServer`] before it starts.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct LocalServerBuilder {
    api_keys: Vec<String>,
    path_prefix: String,
    rate_limit: Option<RateLimit>,
    port: u16,
}

#[derive(Debug, Clone, Copy)]
struct RateLimit {
    requests: usize,
    window: Duration,
}

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
    owner: usize,
}

struct Shared {
    spec: &'static Spec,
    path_prefix: String,
    api_keys: Vec<String>,
    rate_limit: Option<RateLimit>,
    state: Mutex<State>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field(
                "api_keys",
                &format_args!("[{} redacted]", self.api_keys.len()),
            )
            .field("rate_limit", &self.rate_limit)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct State {
    enrollments: HashMap<String, StoredEnrollment>,
    faults: VecDeque<Fault>,
    journal: Vec<RecordedRequest>,
    windows: HashMap<usize, VecDeque<Instant>>,
    ids: RandomState,
    counter: u64,
}

impl State {
    fn hex(&mut self) -> u64 {
        self.counter += 1;
        self.ids.hash_one(self.counter)
    }

    fn correlation_id(&mut self) -> String {
        format!("{:016x}{:016x}", self.hex(), self.hex())
    }
}

impl LocalServer {
    /// Starts a server on `127.0.0.1` with a free port, accepting [`DEFAULT_API_KEY`], with no
    /// rate limit.
    pub async fn start() -> io::Result<Self> {
        Self::builder().start().await
    }

    /// Configures a server: keys, rate limit, port.
    pub fn builder() -> LocalServerBuilder {
        LocalServerBuilder::default()
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The first key the server accepts.
    pub fn api_key(&self) -> &str {
        &self.shared.api_keys[0]
    }

    /// Queues a fault. Faults are served in the order injected, each to the first requests
    /// it matches.
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push_back(fault);
    }

    /// Every request answered so far (or whose connection was closed by a fault), in that
    /// order. A request is recorded when its answer is ready: one still stalled by
    /// [`Fault::stall`] is not there yet.
    pub fn journal(&self) -> Vec<RecordedRequest> {
        self.shared.lock().journal.clone()
    }

    /// How many requests for `operation_id` reached the server.
    pub fn count(&self, operation_id: &str) -> usize {
        let state = self.shared.lock();
        state
            .journal
            .iter()
            .filter(|r| r.operation_id.as_deref() == Some(operation_id))
            .count()
    }

    /// An enrollment the server keeps, by id.
    pub fn enrollment(&self, enrollment_id: &str) -> Option<StoredEnrollment> {
        self.shared.lock().enrollments.get(enrollment_id).cloned()
    }

    /// Stores an enrollment as if it had been created by the first API key, with no lists; it
    /// can then be updated. To reuse the documentation's ids in update examples.
    pub fn insert_enrollment(&self, path: &str, enrollment_id: &str, enrollment_key: &str) {
        let enrollment = StoredEnrollment {
            enrollment_id: enrollment_id.into(),
            enrollment_key: enrollment_key.into(),
            path: path.into(),
            lists: Map::new(),
            owner: 0,
        };
        self.shared
            .lock()
            .enrollments
            .insert(enrollment_id.into(), enrollment);
    }

    /// How many enrollments the server keeps.
    pub fn enrollment_count(&self) -> usize {
        self.shared.lock().enrollments.len()
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        // Dropping the accept task drops its JoinSet, which aborts every open connection.
        self.accept.abort();
    }
}

impl LocalServerBuilder {
    /// Accept this API key. May be called several times; the first key is
    /// [`LocalServer::api_key`]. Default: [`DEFAULT_API_KEY`] alone.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_keys.push(key.into());
        self
    }

    /// Allow `requests` per key in any sliding `window` (the service documents 200 per 60
    /// seconds). Default: no limit.
    pub fn rate_limit(mut self, requests: usize, window: Duration) -> Self {
        self.rate_limit = Some(RateLimit { requests, window });
        self
    }

    /// Serve the API under this path prefix, as behind a gateway: `/gateway` serves
    /// `/gateway/v1/prospects/events/enrollments`, and nothing outside the prefix. Default:
    /// none.
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = prefix.into();
        self
    }

    /// Listen on this port of `127.0.0.1`. Default: 0, a free port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Binds and starts serving on the current Tokio runtime.
    pub async fn start(self) -> io::Result<LocalServer> {
        let spec = spec::spec().map_err(io::Error::other)?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.port)).await?;
        let addr = listener.local_addr()?;
        let api_keys = if self.api_keys.is_empty() {
            vec![DEFAULT_API_KEY.to_string()]
        } else {
            self.api_keys
        };
        let shared = Arc::new(Shared {
            spec,
            path_prefix: self.path_prefix.trim_end_matches('/').to_string(),
            api_keys,
            rate_limit: self.rate_limit,
            state: Mutex::default(),
        });
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Ok(LocalServer {
            addr,
            shared,
            accept,
        })
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = Arc::clone(&shared);
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |request| handle(Arc::clone(&shared), request));
                    // A connection error (client gone, fault) concerns that connection only.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Returned by the service to make hyper close the connection without a response.
#[derive(Debug)]
struct CloseConnection;

impl std::fmt::Display for CloseConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed on purpose (fault)")
    }
}

impl std::error::Error for CloseConnection {}

async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Body>, CloseConnection> {
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let path = request.uri().path().to_string();
    let key = request
        .headers()
        .get("api_key")
        .map(|v| v.as_bytes().to_vec());
    let user_agent = request
        .headers()
        .get(hyper::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let route = match path.strip_prefix(shared.path_prefix.as_str()) {
        Some(api_path) => shared.spec.route(&method, api_path),
        None => Route::NotFound,
    };
    let operation_id = match &route {
        Route::Operation(operation) => Some(operation.id.clone()),
        _ => None,
    };
    let mut entry = RecordedRequest {
        operation_id,
        method,
        path,
        body: None,
        api_key: if key.is_some() {
            KeyCheck::NotChecked
        } else {
            KeyCheck::Missing
        },
        user_agent,
        validation: Validation::NotRun,
        fault: None,
        status: None,
    };
    let bytes = match Limited::new(request.into_body(), MAX_REQUEST_BODY)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let response = json_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &json!({"detail": "Request body too large"}),
            );
            return Ok(shared.record(entry, response));
        }
    };
    entry.body = serde_json::from_slice(&bytes).ok();

    let fault = shared.take_fault(entry.operation_id.as_deref());
    entry.fault = fault.clone();
    let mut context_name = "response_context";
    match fault {
        None => {}
        Some(FaultKind::Stall(duration)) => tokio::time::sleep(duration).await,
        Some(FaultKind::RequestContextVariant) => context_name = "request_context",
        Some(FaultKind::CloseConnection) => {
            shared.lock().journal.push(entry);
            return Err(CloseConnection);
        }
        Some(kind) => {
            let response = shared.fault_response(&kind);
            return Ok(shared.record(entry, response));
        }
    }
    let response = shared.process(
        route,
        key.as_deref(),
        &bytes,
        &mut entry,
        context_name,
        started,
    );
    Ok(shared.record(entry, response))
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not make every later request panic too.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, mut entry: RecordedRequest, response: Response<Body>) -> Response<Body> {
        entry.status = Some(response.status().as_u16());
        self.lock().journal.push(entry);
        response
    }

    fn take_fault(&self, operation: Option<&str>) -> Option<FaultKind> {
        let mut state = self.lock();
        let index = state.faults.iter().position(|f| f.matches(operation))?;
        let fault = &mut state.faults[index];
        fault.remaining -= 1;
        let kind = fault.kind.clone();
        if fault.remaining == 0 {
            state.faults.remove(index);
        }
        Some(kind)
    }

    fn fault_response(&self, kind: &FaultKind) -> Response<Body> {
        let ok = StatusCode::OK;
        match kind {
            FaultKind::Status {
                status,
                retry_after,
            } => {
                let status =
                    StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let body = if status == StatusCode::TOO_MANY_REQUESTS {
                    rate_limit_body(retry_after.unwrap_or(60))
                } else {
                    let correlation_id = self.lock().correlation_id();
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
                let status =
                    StatusCode::from_u16(*status).unwrap_or(StatusCode::TEMPORARY_REDIRECT);
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
            // Served in `handle`.
            FaultKind::CloseConnection | FaultKind::Stall(_) | FaultKind::RequestContextVariant => {
                json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &json!({"details": "unreachable fault"}),
                )
            }
        }
    }

    fn process(
        &self,
        route: Route<'_>,
        key: Option<&[u8]>,
        body: &[u8],
        entry: &mut RecordedRequest,
        context_name: &str,
        started: Instant,
    ) -> Response<Body> {
        let operation = match route {
            Route::NotFound => {
                return json_response(StatusCode::NOT_FOUND, &json!({"detail": "Not Found"}))
            }
            Route::WrongMethod(allowed) => {
                let mut response = json_response(
                    StatusCode::METHOD_NOT_ALLOWED,
                    &json!({"detail": "Method Not Allowed"}),
                );
                if let Ok(allow) = allowed.join(", ").parse() {
                    response.headers_mut().insert(hyper::header::ALLOW, allow);
                }
                return response;
            }
            Route::Operation(operation) => operation,
        };
        let mut state = self.lock();
        let Some(key) = key else {
            entry.api_key = KeyCheck::Missing;
            return error_response(
                &mut state,
                StatusCode::UNAUTHORIZED,
                "missing API key: send it in the `api_key` header",
            );
        };
        let Some(owner) = self.api_keys.iter().position(|k| k.as_bytes() == key) else {
            entry.api_key = KeyCheck::Rejected;
            return error_response(&mut state, StatusCode::UNAUTHORIZED, "invalid API key");
        };
        entry.api_key = KeyCheck::Accepted;
        let rate = self
            .rate_limit
            .map(|limit| check_rate(&mut state, owner, limit));
        let (limit_headers, retry_after) =
            rate.map_or((Vec::new(), None), |r| (r.headers, r.retry_after));
        let mut response = if let Some(seconds) = retry_after {
            let mut response =
                json_response(StatusCode::TOO_MANY_REQUESTS, &rate_limit_body(seconds));
            response
                .headers_mut()
                .insert(hyper::header::RETRY_AFTER, seconds.into());
            response
        } else {
            match operation.validate(body) {
                Err(details) => {
                    entry.validation = Validation::Invalid(details.clone());
                    json_response(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &json!({ "detail": details }),
                    )
                }
                Ok(body) => {
                    entry.validation = Validation::Valid;
                    let body = match body {
                        Some(Value::Object(map)) => map,
                        _ => Map::new(),
                    };
                    apply(&mut state, operation, owner, body, context_name, started)
                }
            }
        };
        for (name, value) in limit_headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// The operation's effect on the stored enrollments, and its answer.
fn apply(
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

fn success_body(context_name: &str, correlation_id: &str, took: f64, key: &str, id: &str) -> Value {
    let mut body = Map::new();
    body.insert(
        context_name.into(),
        json!({"correlation_id": correlation_id, "request_status": "success", "time_took_in_seconds": took}),
    );
    body.insert("enrollment_key".into(), key.into());
    body.insert("enrollment_id".into(), id.into());
    Value::Object(body)
}

/// What the rate limit says of one request.
struct RateCheck {
    /// `X-RateLimit-*`, for every answer to the request.
    headers: Vec<(&'static str, hyper::header::HeaderValue)>,
    /// `Some(seconds to wait)` when the request is over the limit.
    retry_after: Option<u64>,
}

/// Sliding-window log per key; a request over the limit is not logged.
fn check_rate(state: &mut State, owner: usize, limit: RateLimit) -> RateCheck {
    let now = Instant::now();
    let log = state.windows.entry(owner).or_default();
    while log
        .front()
        .is_some_and(|t| now.duration_since(*t) >= limit.window)
    {
        log.pop_front();
    }
    let reset_in = log.front().map_or(limit.window, |t| {
        limit.window.saturating_sub(now.duration_since(*t))
    });
    let reset_at = (SystemTime::now() + reset_in)
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        + 1;
    let exceeded = log.len() >= limit.requests;
    if !exceeded {
        log.push_back(now);
    }
    let remaining = limit.requests.saturating_sub(log.len());
    let headers = vec![
        ("x-ratelimit-limit", limit.requests.into()),
        ("x-ratelimit-remaining", remaining.into()),
        ("x-ratelimit-reset", reset_at.into()),
    ];
    let retry_after = exceeded.then(|| reset_in.as_secs() + u64::from(reset_in.subsec_nanos() > 0));
    RateCheck {
        headers,
        retry_after,
    }
}

fn rate_limit_body(retry_after: u64) -> Value {
    json!({
        "error": "rate_limit_exceeded",
        "message": "Rate limit exceeded. Please try again later.",
        "retry_after": retry_after,
    })
}

/// The documented general error body.
fn error_response(state: &mut State, status: StatusCode, details: &str) -> Response<Body> {
    json_response(
        status,
        &json!({"details": details, "correlation_id": state.correlation_id()}),
    )
}

fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    raw_response(status, full(body.to_string()))
}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

fn raw_response(status: StatusCode, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_rate_limit_window_slides() {
        let mut state = State::default();
        let limit = RateLimit {
            requests: 2,
            window: Duration::from_secs(60),
        };
        assert_eq!(check_rate(&mut state, 0, limit).retry_after, None);
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(check_rate(&mut state, 0, limit).retry_after, None);
        // The first request leaves the window 30 s from now.
        assert_eq!(check_rate(&mut state, 0, limit).retry_after, Some(30));
        assert_eq!(
            check_rate(&mut state, 1, limit).retry_after,
            None,
            "another key has its own window"
        );
        tokio::time::advance(Duration::from_secs(30)).await;
        let check = check_rate(&mut state, 0, limit);
        assert_eq!(check.retry_after, None, "one slot free again");
        assert_eq!(check.headers[1], ("x-ratelimit-remaining", 0usize.into()));
    }
}
