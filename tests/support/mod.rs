//! Shared by the integration tests: the documented examples and a raw HTTP helper.

#![allow(dead_code, unreachable_pub)] // each test file uses a different part; `pub` is for them

use explorium::testing::LocalServer;
use serde_json::{json, Value};

pub const PROSPECTS_PATH: &str = "/v1/prospects/events/enrollments";
pub const BUSINESSES_PATH: &str = "/v1/businesses/events/enrollments";

/// The add-prospects page's example request, less `ttl_days` (the schema forbids it).
pub fn add_prospects_example() -> Value {
    json!({
        "enrollment_key": "tech_executives_monitor",
        "prospect_ids": ["20ae6cbf564ee683e66685e429844a5ff8ffc30f", "4c485f009d59e319dc039cdf3e935b85014e6a33"],
        "event_types": ["prospect_changed_role", "prospect_changed_company"]
    })
}

/// The update-prospects page's example request.
pub fn update_prospects_example() -> Value {
    json!({
        "enrollment_key": "tech_executives_monitor",
        "enrollment_id": "en_8d52c3f1",
        "prospect_ids": ["20ae6cbf564ee683e66685e429844a5ff8ffc30f", "4c485f009d59e319dc039cdf3e935b85014e6a33"],
        "event_types": ["prospect_changed_role", "prospect_changed_company"]
    })
}

/// The add-businesses page's example request.
pub fn add_businesses_example() -> Value {
    json!({
        "enrollment_key": "my_b2b_saas_monitor",
        "business_ids": ["8adce3ca1cef0c986b22310e369a0793", "665595bbb4e724de6f8bc705a5b84753"],
        "event_types": ["ipo_announcement", "new_funding_round", "new_product"]
    })
}

/// The update-businesses page's example request.
pub fn update_businesses_example() -> Value {
    json!({
        "enrollment_key": "my_b2b_saas_monitor",
        "enrollment_id": "en_7b429a01",
        "business_ids": ["8adce3ca1cef0c986b22310e369a0793", "665595bbb4e724de6f8bc705a5b84753"],
        "event_types": ["ipo_announcement", "new_funding_round", "new_product"]
    })
}

/// The conformance suite's invalid requests: (what is wrong, the path (`POST` for prospects,
/// `PATCH` for businesses), the body, the `loc` of the server's first detail, its `type`).
pub fn invalid_requests() -> Vec<(&'static str, &'static str, Value, Value, &'static str)> {
    let with = |base: Value, field: &str, value: Value| {
        let mut body = base;
        body[field] = value;
        body
    };
    let without = |base: Value, field: &str| {
        let mut body = base;
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let add = add_prospects_example;
    let business = update_businesses_example;
    let twenty_one: Vec<String> = (0..21).map(prospect_id).collect();
    vec![
        (
            "bad prospect id",
            PROSPECTS_PATH,
            with(add(), "prospect_ids", json!([prospect_id(1), "ABC"])),
            json!(["body", "prospect_ids", 1]),
            "string_pattern_mismatch",
        ),
        (
            "uppercase hex id",
            PROSPECTS_PATH,
            with(
                add(),
                "prospect_ids",
                json!(["20AE6CBF564EE683E66685E429844A5FF8FFC30F"]),
            ),
            json!(["body", "prospect_ids", 0]),
            "string_pattern_mismatch",
        ),
        (
            "21 ids",
            PROSPECTS_PATH,
            with(add(), "prospect_ids", json!(twenty_one)),
            json!(["body", "prospect_ids"]),
            "too_long",
        ),
        (
            "no ids",
            PROSPECTS_PATH,
            with(add(), "prospect_ids", json!([])),
            json!(["body", "prospect_ids"]),
            "too_short",
        ),
        (
            "no event types",
            PROSPECTS_PATH,
            with(add(), "event_types", json!([])),
            json!(["body", "event_types"]),
            "too_short",
        ),
        (
            "key of 3 characters",
            PROSPECTS_PATH,
            with(add(), "enrollment_key", json!("abc")),
            json!(["body", "enrollment_key"]),
            "string_too_short",
        ),
        (
            "unknown field",
            PROSPECTS_PATH,
            with(add(), "colour", json!("red")),
            json!(["body", "colour"]),
            "extra_forbidden",
        ),
        (
            "unknown event type",
            PROSPECTS_PATH,
            with(add(), "event_types", json!(["prospect_got_promoted"])),
            json!(["body", "event_types", 0]),
            "enum",
        ),
        (
            "missing key",
            PROSPECTS_PATH,
            without(add(), "enrollment_key"),
            json!(["body", "enrollment_key"]),
            "missing",
        ),
        (
            "business id of 40 characters",
            BUSINESSES_PATH,
            with(business(), "business_ids", json!([prospect_id(1)])),
            json!(["body", "business_ids", 0]),
            "string_pattern_mismatch",
        ),
        (
            "missing enrollment id",
            BUSINESSES_PATH,
            without(business(), "enrollment_id"),
            json!(["body", "enrollment_id"]),
            "missing",
        ),
        (
            "ids not an array",
            BUSINESSES_PATH,
            with(
                business(),
                "business_ids",
                json!("8adce3ca1cef0c986b22310e369a0793"),
            ),
            json!(["body", "business_ids"]),
            "list_type",
        ),
        (
            "key not a string",
            PROSPECTS_PATH,
            with(add(), "enrollment_key", json!(12345)),
            json!(["body", "enrollment_key"]),
            "string_type",
        ),
        (
            "nullable context neither null nor an object",
            PROSPECTS_PATH,
            with(add(), "request_context", json!("text")),
            json!(["body", "request_context"]),
            "dict_type",
        ),
        (
            "body not an object",
            PROSPECTS_PATH,
            json!([add()]),
            json!(["body"]),
            "model_attributes_type",
        ),
    ]
}

/// A server holding the enrollments the documentation's update examples name.
pub async fn server_with_documented_enrollments() -> LocalServer {
    let server = LocalServer::start().await.expect("server starts");
    server.insert_enrollment(PROSPECTS_PATH, "en_8d52c3f1", "tech_executives_monitor");
    server.insert_enrollment(BUSINESSES_PATH, "en_7b429a01", "my_b2b_saas_monitor");
    server
}

/// A 40-hex prospect id, distinct per `n`.
pub fn prospect_id(n: usize) -> String {
    format!("{n:040x}")
}

/// A 32-hex business id, distinct per `n`.
pub fn business_id(n: usize) -> String {
    format!("{n:032x}")
}

/// Sends `body` as JSON with the server's key; returns the status and the JSON body (or Null).
pub async fn send(server: &LocalServer, method: &str, path: &str, body: &Value) -> (u16, Value) {
    send_with_key(server, method, path, body, Some(server.api_key())).await
}

/// Sends a request with no body and the server's key; returns the status and the JSON body.
pub async fn send_without_body(server: &LocalServer, method: &str, path: &str) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let response = reqwest::Client::new()
        .request(method, format!("{}{path}", server.base_url()))
        .header("api_key", server.api_key())
        .send()
        .await
        .expect("server answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub async fn send_with_key(
    server: &LocalServer,
    method: &str,
    path: &str,
    body: &Value,
    key: Option<&str>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", server.base_url()))
        .json(body);
    if let Some(key) = key {
        request = request.header("api_key", key);
    }
    let response = request.send().await.expect("server answers");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// A documented example as the generated request type.
pub fn typed<T: serde::de::DeserializeOwned>(example: Value) -> T {
    serde_json::from_value(example).expect("the example fits the generated type")
}

/// A client for `server`, with its key and no retries: each failure shows as it came.
pub fn client_for(server: &LocalServer) -> explorium::Client {
    builder_for(server)
        .retry(explorium::RetryPolicy::disabled())
        .build()
        .expect("client builds")
}

/// A builder for `server`, with its key and the default policy.
pub fn builder_for(server: &LocalServer) -> explorium::ClientBuilder {
    explorium::Client::builder()
        .api_key(server.api_key())
        .base_url(server.base_url())
}

/// The first documented prospect id.
pub const PROSPECT_ID: &str = "20ae6cbf564ee683e66685e429844a5ff8ffc30f";

/// A minimal valid add through the client.
pub async fn enroll(client: &explorium::Client) -> Result<explorium::Enrollment, explorium::Error> {
    client
        .prospects()
        .enroll("tech_executives_monitor")
        .prospect_id(PROSPECT_ID)
        .event_type(explorium::ProspectEvent::ProspectChangedRole)
        .send()
        .await
}

/// The same add as [`enroll`], with reconciliation off: an unknown outcome ends the call.
pub async fn enroll_unreconciled(
    client: &explorium::Client,
) -> Result<explorium::Enrollment, explorium::Error> {
    client
        .prospects()
        .enroll("tech_executives_monitor")
        .prospect_id(PROSPECT_ID)
        .event_type(explorium::ProspectEvent::ProspectChangedRole)
        .reconcile(false)
        .send()
        .await
}

/// A minimal valid update of the documented enrollment `en_8d52c3f1`, through the client.
pub async fn update(client: &explorium::Client) -> Result<explorium::Enrollment, explorium::Error> {
    client
        .prospects()
        .update_enrollment("en_8d52c3f1", "tech_executives_monitor")
        .prospect_id(PROSPECT_ID)
        .event_type(explorium::ProspectEvent::ProspectChangedRole)
        .send()
        .await
}

/// A loopback address where nothing listens, for as long as the socket is held: bound, never
/// listening, so the port cannot be taken by a server of a test running in parallel.
pub fn refusing_address() -> (tokio::net::TcpSocket, std::net::SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}

/// A loopback address whose TCP handshake is never answered, for as long as the returned
/// listener and connection are held: the listener has a backlog of 0 and never accepts, and
/// the one connection its queue holds is taken, so the kernel drops every further SYN.
pub async fn unanswering_address() -> (
    tokio::net::TcpListener,
    tokio::net::TcpStream,
    std::net::SocketAddr,
) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    let listener = socket.listen(0).unwrap();
    let filler = tokio::net::TcpStream::connect(addr).await.unwrap();
    (listener, filler, addr)
}

/// A writer that keeps what is written, for capturing tracing output.
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every tracing event and span of this thread, at every level, until the guard drops.
pub fn capture_traces(
    span_events: tracing_subscriber::fmt::format::FmtSpan,
) -> (Captured, tracing::subscriber::DefaultGuard) {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(span_events)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    // Callsites cache whether any subscriber is interested; one registered by a test on
    // another thread, before this subscriber existed, could keep its "never" and drop the
    // events this test captures. Rebuild the cache now that this subscriber is the default.
    tracing::callsite::rebuild_interest_cache();
    (logs, guard)
}

/// A client of `responder`, with a test key and the default retry policy.
pub fn raw_client(responder: &RawResponder) -> explorium::ClientBuilder {
    explorium::Client::builder()
        .api_key("test-key")
        .base_url(responder.base_url())
}

/// `body` as a raw HTTP/1.1 response with `status` (`"200 OK"`) and extra header lines.
pub fn raw_response(status: &str, headers: &[&str], body: &str) -> String {
    let mut head = format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\n");
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    format!("{head}content-length: {}\r\n\r\n{body}", body.len())
}

/// A 200 an enrollment call decodes, as raw HTTP.
pub fn ok_enrollment_response() -> String {
    let body = r#"{"enrollment_id":"en_8d52c3f1","enrollment_key":"tech_executives_monitor"}"#;
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// A raw HTTP/1.1 responder on loopback that answers each request with the next of the bytes
/// it was given, exactly as given, and closes connections once they run out: for what a
/// well-behaved server never sends.
pub struct RawResponder {
    addr: std::net::SocketAddr,
    requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    heads: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RawResponder {
    pub async fn start(responses: Vec<String>) -> Self {
        let queue = std::sync::Mutex::new(
            responses
                .into_iter()
                .collect::<std::collections::VecDeque<_>>(),
        );
        Self::answering(move |_, _| queue.lock().unwrap().pop_front()).await
    }

    /// A responder that answers each request (its head and body) with what `answer` returns
    /// for it, and closes the connection when it returns `None`.
    pub async fn answering(
        answer: impl Fn(&str, &[u8]) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let queue = std::sync::Arc::new(answer);
        let counter = requests.clone();
        let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let received = heads.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let counter = counter.clone();
                let queue = queue.clone();
                let received = received.clone();
                tokio::spawn(async move {
                    let mut buffer = Vec::new();
                    loop {
                        // One request: the head, then as many bytes as it announces.
                        let head_end = loop {
                            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                                break at + 4;
                            }
                            let mut chunk = [0u8; 4096];
                            match stream.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                            }
                        };
                        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
                        received.lock().unwrap().push(head.clone());
                        let length: usize = head
                            .to_lowercase()
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        while buffer.len() < head_end + length {
                            let mut chunk = [0u8; 4096];
                            match stream.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                            }
                        }
                        let body: Vec<u8> =
                            buffer.drain(..head_end + length).skip(head_end).collect();
                        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let next = queue(&head, &body);
                        let Some(response) = next else { return };
                        if stream.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self {
            addr,
            requests,
            heads,
            task,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The request line and headers of each request that arrived, as sent.
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }

    /// How many complete requests arrived.
    pub fn requests(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for RawResponder {
    fn drop(&mut self) {
        self.task.abort();
    }
}
