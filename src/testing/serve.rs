//! The HTTP side: accepting connections, and each request's way through the server (faults,
//! routing, key, rate limit, validation, state), recorded in the journal.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use percent_encoding::percent_decode_str;
use serde_json::{json, Map, Value};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::journal::{KeyCheck, RecordedRequest, Validation};
use super::json;
use super::rate_limit::{check_rate, rate_limit_body};
use super::spec::{self, Rejection, Route};
use super::state::{apply, error_response, Answer, Call, State};
use super::{fault, FaultKind, Shared};

const MAX_REQUEST_BODY: usize = 1 << 20;

/// Pause after a failed accept (out of file descriptors, say): retrying at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

pub(super) type Body = BoxBody<Bytes, io::Error>;

/// Where connections come from: a [`TcpListener`], or a stand-in in tests.
pub(super) trait Listener {
    fn accept(&self) -> impl Future<Output = io::Result<TcpStream>> + Send;
}

impl Listener for TcpListener {
    async fn accept(&self) -> io::Result<TcpStream> {
        TcpListener::accept(self).await.map(|(stream, _)| stream)
    }
}

pub(super) async fn accept_loop(listener: impl Listener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(stream) => {
                    connections.spawn(connection(stream, Arc::clone(&shared)));
                }
                // Failures concern one connection (reset before accept) or pass (descriptors
                // freed by closing connections): wait a little, then go on.
                Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// One connection: the TLS handshake if the server serves https, then HTTP/1.1.
async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    match &shared.tls {
        None => serve_http(stream, shared).await,
        Some(tls) => {
            // The header-read timeout starts after the handshake: bound the handshake too.
            let handshake = tls.acceptor().accept(stream);
            if let Ok(Ok(stream)) =
                tokio::time::timeout(shared.header_read_timeout, handshake).await
            {
                serve_http(stream, shared).await;
            }
        }
    }
}

async fn serve_http<I>(io: I, shared: Arc<Shared>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let timeout = shared.header_read_timeout;
    let service = hyper::service::service_fn(move |request| handle(Arc::clone(&shared), request));
    // A connection error (client gone, timeout, fault) concerns that connection only.
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(timeout)
        .serve_connection(TokioIo::new(io), service)
        .await;
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
    // Routed decoded, as the service's ASGI server hands FastAPI the path.
    let path = percent_decode_str(request.uri().path())
        .decode_utf8_lossy()
        .into_owned();
    let header = |name| {
        request
            .headers()
            .get(name)
            .and_then(|v: &hyper::header::HeaderValue| v.to_str().ok())
            .map(String::from)
    };
    let query = request.uri().query().map(String::from);
    let user_agent = header(hyper::header::USER_AGENT);
    let content_type = header(hyper::header::CONTENT_TYPE);
    let key = request
        .headers()
        .get("api_key")
        .map(|v| v.as_bytes().to_vec());
    let api_path = path
        .strip_prefix(shared.path_prefix.as_str())
        .map(String::from);
    let route = match &api_path {
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
        query: query.clone(),
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
            let mut response = json_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &json!({"detail": "Request body too large"}),
            );
            // The rest of the body is not read: the connection cannot carry another request,
            // and the client must know not to send one on it.
            response.headers_mut().insert(
                hyper::header::CONNECTION,
                hyper::header::HeaderValue::from_static("close"),
            );
            return Ok(shared.record(entry, response));
        }
    };
    entry.body = json::decode(&bytes).ok();

    let fault = fault::take(&mut shared.lock().faults, entry.operation_id.as_deref());
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
            let response = fault::response(&kind, &shared);
            return Ok(shared.record(entry, response));
        }
    }
    let received = Received {
        key,
        content_type,
        body: bytes,
        path: api_path.unwrap_or_default(),
        query,
        context_name,
        started,
    };
    let response = shared.process(route, &received, &mut entry).await;
    Ok(shared.record(entry, response))
}

/// What the request pipeline needs of a request, once its body is read.
struct Received {
    key: Option<Vec<u8>>,
    content_type: Option<String>,
    body: Bytes,
    /// The path under the server's prefix.
    path: String,
    query: Option<String>,
    /// What the success body calls its response context (a fault may change it).
    context_name: &'static str,
    started: Instant,
}

impl Shared {
    fn record(&self, mut entry: RecordedRequest, response: Response<Body>) -> Response<Body> {
        entry.status = Some(response.status().as_u16());
        self.lock().journal.push(entry);
        response
    }

    /// The answer to a request, once its deliveries, if any, are made.
    async fn process(
        &self,
        route: Route<'_>,
        received: &Received,
        entry: &mut RecordedRequest,
    ) -> Response<Body> {
        let (answer, limit_headers) = self.judge(route, received, entry);
        let mut response = match answer {
            Answer::Ready(response) => response,
            Answer::Deliver(mut check) => {
                let deliveries = self.deliver(std::mem::take(&mut check.outgoing)).await;
                check.answer(&mut self.lock(), &deliveries)
            }
        };
        for (name, value) in limit_headers {
            response.headers_mut().insert(name, value);
        }
        response
    }

    /// Every step of the pipeline but deliveries, under the state's lock: the answer, and the
    /// rate-limit headers to add to it.
    fn judge(
        &self,
        route: Route<'_>,
        received: &Received,
        entry: &mut RecordedRequest,
    ) -> (Answer, Vec<(&'static str, HeaderValue)>) {
        let operation = match route {
            Route::NotFound => {
                let response =
                    json_response(StatusCode::NOT_FOUND, &json!({"detail": "Not Found"}));
                return (Answer::Ready(response), Vec::new());
            }
            Route::WrongMethod(allowed) => {
                let mut response = json_response(
                    StatusCode::METHOD_NOT_ALLOWED,
                    &json!({"detail": "Method Not Allowed"}),
                );
                if let Ok(allow) = allowed.join(", ").parse() {
                    response.headers_mut().insert(hyper::header::ALLOW, allow);
                }
                return (Answer::Ready(response), Vec::new());
            }
            Route::Operation(operation) => operation,
        };
        let mut state = self.lock();
        let owner = if operation.secured {
            match self.authenticate(&mut state, received.key.as_deref(), entry) {
                Ok(owner) => owner,
                Err(response) => return (Answer::Ready(*response), Vec::new()),
            }
        } else {
            0
        };
        // An operation open to all has no key to count against.
        let rate = self
            .rate_limit
            .filter(|_| operation.secured)
            .map(|limit| check_rate(&mut state.windows, owner, limit));
        let (limit_headers, retry_after) =
            rate.map_or((Vec::new(), None), |r| (r.headers, r.retry_after));
        let answer = if let Some(seconds) = retry_after {
            let mut response =
                json_response(StatusCode::TOO_MANY_REQUESTS, &rate_limit_body(seconds));
            response
                .headers_mut()
                .insert(hyper::header::RETRY_AFTER, seconds.into());
            Answer::Ready(response)
        } else {
            let incoming = spec::Incoming {
                path: &received.path,
                query: received.query.as_deref(),
                content_type: received.content_type.as_deref(),
                body: &received.body,
            };
            match operation.validate(&incoming) {
                Err(Rejection::Unparsable) => Answer::Ready(json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({"detail": "There was an error parsing the body"}),
                )),
                Err(Rejection::Invalid(details)) => {
                    entry.validation = Validation::Invalid(details.clone());
                    Answer::Ready(json_response(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &json!({ "detail": details }),
                    ))
                }
                Ok(accepted) => {
                    entry.validation = Validation::Valid;
                    let body = match accepted.body {
                        Some(Value::Object(map)) => map,
                        _ => Map::new(),
                    };
                    let call = Call {
                        spec: self.spec,
                        operation,
                        params: accepted.params,
                        path: &received.path,
                        owner,
                        body,
                        context_name: received.context_name,
                        started: received.started,
                        now: self.clock.now(),
                    };
                    apply(&mut state, call)
                }
            }
        };
        (answer, limit_headers)
    }
}

impl Shared {
    /// The index of the configured key the request sent, or the 401 to answer.
    fn authenticate(
        &self,
        state: &mut State,
        key: Option<&[u8]>,
        entry: &mut RecordedRequest,
    ) -> Result<usize, Box<Response<Body>>> {
        let Some(key) = key else {
            entry.api_key = KeyCheck::Missing;
            return Err(Box::new(error_response(
                state,
                StatusCode::UNAUTHORIZED,
                "missing API key: send it in the `api_key` header",
            )));
        };
        let Some(owner) = self.api_keys.iter().position(|k| k.as_bytes() == key) else {
            entry.api_key = KeyCheck::Rejected;
            return Err(Box::new(error_response(
                state,
                StatusCode::UNAUTHORIZED,
                "invalid API key",
            )));
        };
        entry.api_key = KeyCheck::Accepted;
        Ok(owner)
    }
}

pub(super) fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    raw_response(status, full(body.to_string()))
}

pub(super) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

pub(super) fn raw_response(status: StatusCode, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    use super::*;

    /// Fails every accept, as when the process is out of file descriptors.
    struct Exhausted(Arc<AtomicUsize>);

    impl Listener for Exhausted {
        async fn accept(&self) -> io::Result<TcpStream> {
            self.0.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Err(io::Error::other("too many open files"))
        }
    }

    async fn settle() {
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_accept_is_retried_after_a_pause_not_at_once() {
        let shared = Arc::new(Shared {
            spec: crate::testing::spec::spec().unwrap(),
            path_prefix: String::new(),
            api_keys: Vec::new(),
            rate_limit: None,
            header_read_timeout: Duration::from_secs(30),
            tls: None,
            clock: crate::testing::clock::Clock::start(),
            deliverer: crate::testing::deliveries::Deliverer::new(Duration::from_secs(1)),
            state: Mutex::new(State::new(0, Default::default(), 0, 2025)),
        });
        let calls = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(accept_loop(Exhausted(Arc::clone(&calls)), shared));
        settle().await;
        assert_eq!(calls.load(Ordering::SeqCst), 1, "retried without a pause");
        tokio::time::advance(ACCEPT_BACKOFF).await;
        settle().await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        task.abort();
    }
}
