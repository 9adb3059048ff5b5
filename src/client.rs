//! [`Client`] and [`ClientBuilder`]: key, base URL, timeouts, limits, and the one transport
//! every call goes through.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::Value;
use tracing::Instrument;

use crate::enrollment::{Enrollment, WireEnrollment};
use crate::error::{excerpt, Error, ErrorKind, FieldError};
use crate::generated;

/// Explorium's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.explorium.ai";
/// Default limit for a whole call, connection to last byte.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default limit for establishing a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default limit on a response body: enrollment responses are a few hundred bytes.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 << 20;

const USER_AGENT: &str = concat!("explorium-rust/", env!("CARGO_PKG_VERSION"));
const MAX_REDIRECTS: usize = 5;

/// An operation of the API, as the handwritten layer calls it. `tests/client.rs` checks each
/// against the merged spec through the local server.
#[derive(Debug)]
pub(crate) struct Operation {
    pub(crate) id: &'static str,
    pub(crate) method: Method,
    pub(crate) path: &'static str,
}

impl Operation {
    /// `PATCH` replaces the enrollment's lists, so repeating it is harmless; `POST` creates.
    fn idempotent(&self) -> bool {
        self.method != Method::POST
    }
}

/// A client for the Partner Service API. Cheap to clone: clones share one connection pool.
///
/// ```no_run
/// # async fn run() -> Result<(), explorium::Error> {
/// use explorium::{Client, ProspectEvent};
///
/// let client = Client::from_env()?; // EXPLORIUM_API_KEY, optional EXPLORIUM_BASE_URL
/// let created = client
///     .prospects()
///     .enroll("tech_executives_monitor")
///     .prospect_ids(["20ae6cbf564ee683e66685e429844a5ff8ffc30f"])
///     .event_types([ProspectEvent::ProspectChangedRole])
///     .send()
///     .await?;
/// println!("enrolled as {}", created.enrollment_id());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// Without a trailing slash; operation paths are appended.
    base_url: String,
    max_response_bytes: usize,
    /// Kept only to scrub it from anything a server might echo back.
    api_key: SecretString,
    generated: generated::Client,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("api_key", &"[redacted]")
            .field("max_response_bytes", &self.inner.max_response_bytes)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Configures a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: the key from `EXPLORIUM_API_KEY` (required),
    /// the base URL from `EXPLORIUM_BASE_URL` (default [`DEFAULT_BASE_URL`]).
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// Prospect enrollments: add, update.
    pub fn prospects(&self) -> crate::prospects::Prospects {
        crate::prospects::Prospects::new(self.clone())
    }

    /// Business enrollments: update.
    pub fn businesses(&self) -> crate::businesses::Businesses {
        crate::businesses::Businesses::new(self.clone())
    }

    /// The generated client for the same base URL, sharing this client's connection pool,
    /// API key header, `User-Agent`, timeouts and redirect policy: the way to call operations
    /// this layer does not wrap yet. Its calls skip this layer's validation, body limit and
    /// error mapping.
    pub fn generated(&self) -> &generated::Client {
        &self.inner.generated
    }

    /// The base URL calls go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Sends `body` to `operation` and decodes the enrollment it answers.
    pub(crate) async fn execute(
        &self,
        operation: &Operation,
        body: &impl Serialize,
    ) -> Result<Enrollment, Error> {
        let span = tracing::info_span!(
            "explorium.call",
            operation = operation.id,
            http.method = %operation.method,
            http.status = tracing::field::Empty,
            correlation_id = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = self
            .call(operation, body, &span)
            .instrument(span.clone())
            .await;
        span.record("elapsed_ms", started.elapsed().as_millis() as u64);
        match &result {
            Ok(enrollment) => {
                if let Some(context) = enrollment.context() {
                    span.record("correlation_id", context.correlation_id());
                }
                tracing::debug!(parent: &span, "call succeeded");
            }
            Err(error) => {
                if let Some(correlation_id) = error.correlation_id() {
                    span.record("correlation_id", correlation_id);
                }
                tracing::warn!(parent: &span, error = %error, "call failed");
            }
        }
        result.map_err(|e| e.with_operation(operation.id))
    }

    async fn call(
        &self,
        operation: &Operation,
        body: &impl Serialize,
        span: &tracing::Span,
    ) -> Result<Enrollment, Error> {
        let body = serde_json::to_vec(body).map_err(|e| Error::invalid_request("body", e))?;
        let url = format!("{}{}", self.inner.base_url, operation.path);
        let response = self
            .inner
            .http
            .request(operation.method.clone(), url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .body(body)
            .send()
            .await
            .map_err(|e| transport_error(e, operation))?;
        let status = response.status();
        span.record("http.status", status.as_u16());
        let header_correlation_id = ["x-correlation-id", "x-request-id"]
            .iter()
            .find_map(|name| {
                response
                    .headers()
                    .get(*name)?
                    .to_str()
                    .ok()
                    .map(String::from)
            });
        let header_retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = self.read_body(response, operation, status).await?;
        if status.is_success() {
            return serde_json::from_slice::<WireEnrollment>(&body)
                .map(Enrollment::from)
                .map_err(|e| self.decode_error(status, &body, e));
        }
        Err(self.status_error(
            operation,
            status,
            &body,
            header_correlation_id,
            header_retry_after,
        ))
    }

    /// The body, refused past `max_response_bytes` whether or not a length was announced.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        operation: &Operation,
        status: StatusCode,
    ) -> Result<Vec<u8>, Error> {
        let limit = self.inner.max_response_bytes;
        let too_large = || {
            Error::new(
                ErrorKind::ResponseTooLarge,
                format!("{status} response body larger than the {limit}-byte limit"),
            )
            .with_status(status)
        };
        let announced = response.content_length().unwrap_or(0);
        if announced > limit as u64 {
            return Err(too_large());
        }
        let mut body = Vec::with_capacity(announced as usize);
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(e, operation).with_status(status))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// serde's message can quote the body, so it is scrubbed, and the source kept only when
    /// it quotes nothing secret.
    fn decode_error(&self, status: StatusCode, body: &[u8], error: serde_json::Error) -> Error {
        let text = self.scrub(String::from_utf8_lossy(body).into_owned());
        let said = error.to_string();
        let scrubbed = self.scrub(said.clone());
        let decode = Error::new(
            ErrorKind::Decode,
            format!("undecodable {status} response: {scrubbed}"),
        )
        .with_status(status)
        .with_body_excerpt(Some(excerpt(text.as_bytes())));
        if scrubbed == said {
            decode.with_source(error)
        } else {
            decode
        }
    }

    fn status_error(
        &self,
        operation: &Operation,
        status: StatusCode,
        body: &[u8],
        header_correlation_id: Option<String>,
        header_retry_after: Option<Duration>,
    ) -> Error {
        let text = self.scrub(String::from_utf8_lossy(body).into_owned());
        let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let string_at = |pointer: &str| {
            parsed
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(String::from)
        };
        let correlation_id = string_at("/correlation_id")
            .or_else(|| string_at("/response_context/correlation_id"))
            .or_else(|| string_at("/request_context/correlation_id"))
            .or(header_correlation_id);
        // Bounded like the excerpt: the message goes into logs.
        let server_message = ["/details", "/message", "/detail", "/error"]
            .iter()
            .find_map(|p| string_at(p))
            .map(|said| excerpt(said.as_bytes()));
        let retry_after = header_retry_after.or_else(|| {
            parsed
                .get("retry_after")
                .and_then(Value::as_u64)
                .map(Duration::from_secs)
        });
        let (kind, what) = match status.as_u16() {
            422 => (
                ErrorKind::Validation,
                "the server rejected the request as invalid".to_string(),
            ),
            401 => (
                ErrorKind::Unauthorized,
                "the API key was refused (401)".into(),
            ),
            403 => (
                ErrorKind::OutOfCredits,
                "out of credits, or the key may not do this (403)".into(),
            ),
            404 => (ErrorKind::NotFound, "not found (404)".into()),
            429 => (ErrorKind::RateLimited, "rate limited (429)".into()),
            500..=599 => (ErrorKind::Server, format!("server error ({status})")),
            300..=399 => (
                ErrorKind::UnexpectedStatus,
                format!("redirect ({status}) not followed: only redirects within the base URL's origin are"),
            ),
            _ => (
                ErrorKind::UnexpectedStatus,
                format!("unexpected status {status}"),
            ),
        };
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
            .with_body_excerpt(Some(excerpt(text.as_bytes())))
            .with_safe_to_repeat(operation.idempotent())
    }

    /// A server has no business echoing the key; if one does, it stops here.
    fn scrub(&self, text: String) -> String {
        let key = self.inner.api_key.expose_secret();
        if text.contains(key) {
            text.replace(key, "[redacted]")
        } else {
            text
        }
    }
}

/// FastAPI's `{"detail": [{"loc": ["body", "prospect_ids", 3], "msg", "type"}]}`.
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
                entry
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            FieldError {
                field,
                message: text("msg"),
                kind: text("type"),
            }
        })
        .collect()
}

fn transport_error(error: reqwest::Error, operation: &Operation) -> Error {
    // Nothing reached the server if no connection was made.
    let safe = error.is_connect() || operation.idempotent();
    let kind = if error.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Connection
    };
    let mut message = String::from(if error.is_timeout() {
        "timed out"
    } else {
        "connection failed"
    });
    // reqwest's own text is generic; its causes say what happened.
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        cause = inner.source();
    }
    Error::new(kind, message)
        .with_safe_to_repeat(safe)
        .with_source(error.without_url())
}

/// Configures a [`Client`]. Every setting has a default but the API key.
#[derive(Clone)]
#[must_use]
pub struct ClientBuilder {
    api_key: Option<SecretString>,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    max_response_bytes: usize,
    allow_insecure_http: bool,
    root_certificates: Vec<reqwest::Certificate>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: DEFAULT_BASE_URL.into(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            allow_insecure_http: false,
            root_certificates: Vec::new(),
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("root_certificates", &self.root_certificates.len())
            .finish()
    }
}

impl ClientBuilder {
    /// The settings `EXPLORIUM_API_KEY` and `EXPLORIUM_BASE_URL` give, to adjust further.
    pub fn from_env() -> Result<Self, Error> {
        let key = std::env::var("EXPLORIUM_API_KEY")
            .map_err(|_| Error::configuration("EXPLORIUM_API_KEY is not set (or not UTF-8)"))?;
        let mut builder = Self::default().api_key(key);
        if let Ok(base_url) = std::env::var("EXPLORIUM_BASE_URL") {
            builder = builder.base_url(base_url);
        }
        Ok(builder)
    }

    /// The API key, sent in the `api_key` header. Required. It is held in a redacting type
    /// and marked sensitive: it never appears in `Debug`, errors or traces.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(SecretString::from(key.into()));
        self
    }

    /// Where the API is. Default: [`DEFAULT_BASE_URL`]. May carry a path prefix (a gateway's
    /// `https://gateway.example/explorium`). Must be `https`, except on loopback hosts
    /// (`localhost`, `127.0.0.0/8`, `::1`) or with [`ClientBuilder::allow_insecure_http`].
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Limit for a whole call, from connecting to the last byte of the response. Default:
    /// [`DEFAULT_TIMEOUT`] (30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Limit for establishing a connection. Default: [`DEFAULT_CONNECT_TIMEOUT`] (10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Largest response body accepted; a larger one is an [`ErrorKind::ResponseTooLarge`]
    /// error, read no further. Default: [`DEFAULT_MAX_RESPONSE_BYTES`] (4 MiB).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Allow a plain `http` base URL on a non-loopback host, sending the key unencrypted.
    /// Default: false.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Trust this certificate as a root, besides the system's roots: for a gateway whose
    /// certificate a private authority issued, or a local server over https (see
    /// `LocalServerBuilder::tls` with the `test-util` feature). Build it with
    /// [`reqwest::Certificate::from_pem`] or `from_der`. It relaxes no other check: the
    /// certificate must still name the host of the URL, and be valid now. May be called several
    /// times. Default: the system's roots only.
    pub fn add_root_certificate(mut self, certificate: reqwest::Certificate) -> Self {
        self.root_certificates.push(certificate);
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let api_key = self.api_key.ok_or_else(|| {
            Error::configuration("no API key: call .api_key() or set EXPLORIUM_API_KEY")
        })?;
        let mut key_header = api_key_header(&api_key)?;
        key_header.set_sensitive(true);
        let base_url = checked_base_url(&self.base_url, self.allow_insecure_http)?;

        let mut headers = HeaderMap::new();
        headers.insert("api_key", key_header);
        let origin = Url::parse(&base_url)
            .map_err(|e| Error::configuration(format!("base URL: {e}")))?
            .origin();
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else if attempt.url().origin() == origin {
                attempt.follow()
            } else {
                // The key header would go along: hand the 3xx back instead.
                attempt.stop()
            }
        });
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(USER_AGENT)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .redirect(redirects)
            .tls_certs_merge(self.root_certificates)
            .build()
            .map_err(|e| {
                Error::configuration("the HTTP client could not be built").with_source(e)
            })?;
        let generated = generated::Client::new_with_client(&base_url, http.clone());
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                max_response_bytes: self.max_response_bytes,
                api_key,
                generated,
            }),
        })
    }
}

fn api_key_header(key: &SecretString) -> Result<HeaderValue, Error> {
    let key = key.expose_secret();
    if key.trim().is_empty() {
        return Err(Error::configuration("the API key is empty"));
    }
    if key.trim() != key {
        return Err(Error::configuration(
            "the API key has leading or trailing whitespace (a stray newline?)",
        ));
    }
    // The error is not kept: its text could quote the key.
    HeaderValue::from_str(key).map_err(|_| {
        Error::configuration("the API key has characters not allowed in an HTTP header")
    })
}

/// Parses and checks the base URL; returns it without a trailing slash.
fn checked_base_url(url: &str, allow_insecure_http: bool) -> Result<String, Error> {
    let parsed =
        Url::parse(url).map_err(|e| Error::configuration(format!("base URL {url:?}: {e}")))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| Error::configuration(format!("base URL {url:?} has no host")))?;
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" => {}
        "http" if loopback || allow_insecure_http => {}
        "http" => {
            return Err(Error::configuration(format!(
                "base URL {url:?} is plain http on a non-loopback host: the API key would travel \
                 unencrypted; use https, or allow_insecure_http(true)"
            )))
        }
        other => {
            return Err(Error::configuration(format!(
                "base URL {url:?}: scheme {other:?} is not http(s)"
            )))
        }
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::configuration("base URL must not carry credentials"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::configuration(format!(
            "base URL {url:?} must not have a query or fragment"
        )));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            checked_base_url("https://api.explorium.ai", false).unwrap(),
            "https://api.explorium.ai"
        );
        assert_eq!(
            checked_base_url("https://gw.example/explorium/", false).unwrap(),
            "https://gw.example/explorium"
        );
        assert!(checked_base_url("http://127.0.0.1:8080", false).is_ok());
        assert!(checked_base_url("http://127.1.2.3:8080", false).is_ok());
        assert!(checked_base_url("http://localhost:8080", false).is_ok());
        assert!(checked_base_url("http://[::1]:8080", false).is_ok());
        let refused = checked_base_url("http://api.explorium.ai", false).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Configuration);
        assert!(refused.to_string().contains("unencrypted"), "{refused}");
        assert!(checked_base_url("http://api.explorium.ai", true).is_ok());
        assert!(checked_base_url("ftp://api.explorium.ai", true).is_err());
        assert!(checked_base_url("https://user:pw@api.explorium.ai", false).is_err());
        assert!(checked_base_url("https://api.explorium.ai/?x=1", false).is_err());
        assert!(checked_base_url("not a url", false).is_err());
    }

    #[test]
    fn bad_keys_are_build_errors_that_do_not_quote_them() {
        for key in [
            "",
            "   ",
            "sk-live-7f3a\n",
            "sk-live\u{1}7f3a",
            "sk-live-7f3a\r\nX-Injected: 1",
        ] {
            let error = Client::builder().api_key(key).build().unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Configuration);
            if !key.trim().is_empty() {
                assert!(
                    !format!("{error} {error:?}").contains(key.trim()),
                    "{error:?}"
                );
            }
        }
        let error = Client::builder().build().unwrap_err();
        assert!(error.to_string().contains("no API key"));
    }

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
