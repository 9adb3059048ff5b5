//! The HTTP side: accepting connections, and each request's way through the server (faults,
//! routing, key, rate limit, validation, state), recorded in the journal.

use std::convert::Infallible;
use std::io;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::journal::{KeyCheck, RecordedRequest, Validation};
use super::rate_limit::{check_rate, rate_limit_body};
use super::spec::Route;
use super::state::{apply, error_response};
use super::{fault, FaultKind, Shared};

const MAX_REQUEST_BODY: usize = 1 << 20;

pub(super) type Body = BoxBody<Bytes, io::Error>;

pub(super) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
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
    fn record(&self, mut entry: RecordedRequest, response: Response<Body>) -> Response<Body> {
        entry.status = Some(response.status().as_u16());
        self.lock().journal.push(entry);
        response
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
            .map(|limit| check_rate(&mut state.windows, owner, limit));
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
