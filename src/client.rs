//! [`Client`] and [`ClientBuilder`]: key, base URL, timeouts, retry policy, limits; the state
//! every call of a client shares; and the entry points per family (`prospects()`,
//! `businesses()`, `webhooks()`) with the handles they return.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use bytes::Bytes;

use crate::generated;
use crate::transport::call::{Decoded, Operation};
use crate::transport::error::Error;
use crate::transport::rate_limit::RateLimiter;
use crate::transport::retry::{Engine, RetryPolicy};

/// Explorium's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.explorium.ai";
/// Default limit for one attempt, connection to last byte.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default limit for establishing a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default limit for a whole call: every attempt and every wait between them.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);
/// Default limit on a response body: enrollment responses are a few hundred bytes.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 << 20;

const USER_AGENT: &str = concat!("explorium-rust/", env!("CARGO_PKG_VERSION"));
pub(crate) const MAX_REDIRECTS: usize = 5;

/// A client for the Partner Service API. Cheap to clone: clones share one connection pool,
/// one retry budget and what the server said of the rate limit.
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
    shared: Arc<Shared>,
    generated: generated::Client,
}

/// What every call of a client and its clones shares, the generated client's included (it
/// is that client's inner type, which its `exec` hook runs requests through).
pub(crate) struct Shared {
    pub(crate) http: reqwest::Client,
    /// Without a trailing slash; operation paths are appended.
    pub(crate) base_url: String,
    pub(crate) max_response_bytes: usize,
    /// Kept only to scrub it from anything a server might echo back.
    pub(crate) api_key: SecretString,
    pub(crate) engine: Engine,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("api_key", &"[redacted]")
            .field("max_response_bytes", &self.max_response_bytes)
            .field("retry", &self.engine.policy)
            .field("timeout", &self.engine.attempt_timeout)
            .field("deadline", &self.engine.deadline)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.shared.fmt(f)
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

    /// Prospects: their enrollments and events (`events`), match (`match`), search
    /// (`search`) and enrichments (`enrich`), each with its family's feature.
    #[cfg(any(
        feature = "events",
        feature = "match",
        feature = "search",
        feature = "enrich"
    ))]
    pub fn prospects(&self) -> Prospects {
        Prospects {
            client: self.clone(),
        }
    }

    /// Businesses: their enrollments and events (`events`), match (`match`), search
    /// (`search`) and enrichments (`enrich`), each with its family's feature.
    #[cfg(any(
        feature = "events",
        feature = "match",
        feature = "search",
        feature = "enrich"
    ))]
    pub fn businesses(&self) -> Businesses {
        Businesses {
            client: self.clone(),
        }
    }

    /// The partner's webhook: register, get, delete, check connectivity.
    #[cfg(feature = "events")]
    #[cfg_attr(docsrs, doc(cfg(feature = "events")))]
    pub fn webhooks(&self) -> crate::webhooks::Webhooks {
        crate::webhooks::Webhooks::new(self.clone())
    }

    /// The generated client for the same base URL, sharing this client's connection pool,
    /// API key header, `User-Agent`, timeouts, redirect policy, retry policy, retry budget and
    /// rate-limit state: its calls go through the same retry engine (an add, `POST`, is
    /// repeated only when the server cannot have acted on it). It is the way to call
    /// operations this layer does not wrap yet; its calls skip this layer's validation, body
    /// limit and error mapping.
    pub fn generated(&self) -> &generated::Client {
        &self.inner.generated
    }

    /// The base URL calls go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.shared.base_url
    }

    /// What every call of this client and its clones shares.
    pub(crate) fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    /// Sends `body` to `operation` and decodes what it answers.
    pub(crate) async fn execute<T: Decoded>(
        &self,
        operation: &Operation,
        body: &impl Serialize,
    ) -> Result<T, Error> {
        let body = json_body(operation, body)?;
        self.inner
            .shared
            .call(operation, operation.path, Some(body))
            .await
    }
}

// The handles `Client` hands out per kind of entity. Each API family adds its methods to them in
// an `impl` block of its own folder (the events family's: `events/prospects.rs`,
// `events/businesses.rs`); a handle is built when a family that has methods on it is.

/// Prospects, from [`Client::prospects`]: what the enabled families do with them.
#[cfg(any(
    feature = "events",
    feature = "match",
    feature = "search",
    feature = "enrich"
))]
#[derive(Debug, Clone)]
pub struct Prospects {
    pub(crate) client: Client,
}

/// Businesses, from [`Client::businesses`]: what the enabled families do with them.
#[cfg(any(
    feature = "events",
    feature = "match",
    feature = "search",
    feature = "enrich"
))]
#[derive(Debug, Clone)]
pub struct Businesses {
    pub(crate) client: Client,
}

/// `body` as JSON, for `operation`.
pub(crate) fn json_body(operation: &Operation, body: &impl Serialize) -> Result<Bytes, Error> {
    serde_json::to_vec(body)
        .map(Bytes::from)
        .map_err(|e| Error::invalid_request("body", e).with_operation(operation.id))
}

/// Configures a [`Client`]. Every setting has a default but the API key.
#[derive(Clone)]
#[must_use]
pub struct ClientBuilder {
    api_key: Option<SecretString>,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    deadline: Duration,
    retry: RetryPolicy,
    requests_per_minute: Option<NonZeroU32>,
    max_response_bytes: usize,
    allow_insecure_http: bool,
    proxy: Option<String>,
    root_certificates: Vec<reqwest::Certificate>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: DEFAULT_BASE_URL.into(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            deadline: DEFAULT_DEADLINE,
            retry: RetryPolicy::default(),
            requests_per_minute: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            allow_insecure_http: false,
            proxy: None,
            root_certificates: Vec::new(),
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("base_url", &redacted(&self.base_url))
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("deadline", &self.deadline)
            .field("retry", &self.retry)
            .field("rate_limit", &self.requests_per_minute)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("proxy", &self.proxy.as_deref().map(redacted))
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

    /// Limit for one attempt, from connecting to the last byte of the response; an attempt
    /// that times out may be retried (see [`RetryPolicy`]). Default: [`DEFAULT_TIMEOUT`]
    /// (30 s). Connecting may take at most nine tenths of it, whatever
    /// [`connect_timeout`](Self::connect_timeout) says, so that an attempt that never
    /// connected always says so (and an add that never left may be retried).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Limit for establishing a connection. Default: [`DEFAULT_CONNECT_TIMEOUT`] (5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Limit for a whole call: every attempt, every wait between attempts, and any wait for
    /// the rate limit to reset. A wait that would end past it is not started: the call ends
    /// with the error at hand. Default: [`DEFAULT_DEADLINE`] (120 s).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Which failures are retried, and how long to wait between attempts. Default:
    /// [`RetryPolicy::default()`] (3 attempts, backoff from 0.5 s capped at 8 s, full
    /// jitter); [`RetryPolicy::disabled()`] turns retries off.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Paces requests on the client side to at most `requests_per_minute`, evenly spread, for
    /// all clones of this client together: for keys shared across processes, where the
    /// server's `X-RateLimit-*` counts (which the client always follows) are spent by others
    /// too. 0 turns pacing off. Default: off.
    pub fn rate_limit(mut self, requests_per_minute: u32) -> Self {
        self.requests_per_minute = NonZeroU32::new(requests_per_minute);
        self
    }

    /// Largest response body accepted, read no further: a larger success is an
    /// [`ErrorKind::ResponseTooLarge`](crate::ErrorKind::ResponseTooLarge) error; a larger
    /// error status keeps its kind and `Retry-After`, its body unread. No memory is set
    /// aside for a length the server announces, so `usize::MAX` means no limit. Default:
    /// [`DEFAULT_MAX_RESPONSE_BYTES`] (4 MiB).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Allow a plain `http` base URL on a non-loopback host, or a proxy with a plain `http`
    /// base URL, sending the key unencrypted. Default: false.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Sends every request through this proxy, an `http://` or `https://` URL (credentials
    /// for the proxy may be in it; errors and `Debug` never quote them).
    ///
    /// With an `https` base URL the proxy only relays an encrypted tunnel: it learns the host
    /// name, never the key or the bodies. With a plain `http` base URL it reads the key and
    /// everything else, so that needs [`allow_insecure_http(true)`](Self::allow_insecure_http).
    ///
    /// Default: none set, in which case `https` base URLs use the proxy the environment names
    /// (`HTTPS_PROXY`, `ALL_PROXY`, less `NO_PROXY`), as corporate networks require, and plain
    /// `http` base URLs never use one: an environment variable must not route the key, in
    /// clear, through a machine the caller did not choose.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
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
        let base =
            Url::parse(&base_url).map_err(|e| Error::configuration(format!("base URL: {e}")))?;
        let origin = base.origin();
        // A stopped redirect is handed back as the 3xx it is: an unexpected status.
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            // 301/302/303 turn a POST, PATCH or DELETE into a GET: its answer is not the
            // call's. The policy cannot see the method, and the API documents no redirects,
            // so they are never followed, a GET's included (it gets a clear UnexpectedStatus,
            // not a wrong answer); 307 and 308 keep method and body. To another origin the key
            // header would go along.
            let keeps_method = matches!(attempt.status().as_u16(), 307 | 308);
            if keeps_method
                && attempt.previous().len() <= MAX_REDIRECTS
                && attempt.url().origin() == origin
            {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        // The per-attempt timeout is set on each request, where the deadline can shorten it.
        // A connect limit below it makes a connect that never ends a connect error, which says
        // nothing was sent; at or above it, the attempt's timeout would end it first, saying
        // nothing of the kind (reqwest checks the request's timeout before anything else).
        let connect_limit = self
            .connect_timeout
            .min(self.timeout.saturating_sub(self.timeout / 10));
        let mut http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(USER_AGENT)
            .connect_timeout(connect_limit)
            .redirect(redirects)
            .tls_certs_merge(self.root_certificates);
        http = match &self.proxy {
            Some(_) if base.scheme() == "http" && !self.allow_insecure_http => {
                return Err(Error::configuration(
                    "a proxy with a plain http base URL would read the API key: use https, or \
                     allow_insecure_http(true)",
                ))
            }
            // The error is not kept: its text could quote the URL.
            Some(proxy) => http.proxy(reqwest::Proxy::all(proxy.as_str()).map_err(|_| {
                Error::configuration(format!(
                    "proxy {} is not a usable proxy URL",
                    redacted(proxy)
                ))
            })?),
            None if base.scheme() == "http" => http.no_proxy(),
            // The environment's proxy sees only the TLS tunnel.
            None => http,
        };
        let http = http.build().map_err(|e| {
            Error::configuration("the HTTP client could not be built").with_source(e.without_url())
        })?;
        let shared = Arc::new(Shared {
            engine: Engine::new(
                self.retry,
                self.timeout,
                self.deadline,
                RateLimiter::new(self.requests_per_minute),
            ),
            http: http.clone(),
            base_url,
            max_response_bytes: self.max_response_bytes,
            api_key,
        });
        let generated = generated::Client::new_with_client(&shared.base_url, http, shared.clone());
        Ok(Client {
            inner: Arc::new(Inner { shared, generated }),
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
    // Not quoted: what does not parse cannot be redacted.
    let parsed = Url::parse(url)
        .map_err(|e| Error::configuration(format!("the base URL is not a valid URL: {e}")))?;
    let url = redacted(url);
    let host = parsed
        .host_str()
        .ok_or_else(|| Error::configuration(format!("base URL {url:?} has no host")))?;
    let loopback = crate::validate::is_loopback_host(host);
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
        return Err(Error::configuration(format!(
            "base URL {url:?} must not carry credentials"
        )));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::configuration(format!(
            "base URL {url:?} must not have a query or fragment"
        )));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

/// `url` fit to quote in an error or `Debug`: credentials, query and fragment (where a key
/// may hide) masked; nothing of it if it does not parse.
pub(crate) fn redacted(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return "(not a valid URL)".into();
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        // Fails only for URLs that cannot have credentials, which then have none to hide.
        let _ = parsed.set_username("***");
        let _ = parsed.set_password(None);
    }
    if parsed.query().is_some() {
        parsed.set_query(Some("***"));
    }
    if parsed.fragment().is_some() {
        parsed.set_fragment(Some("***"));
    }
    parsed.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::error::ErrorKind;

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
    fn configuration_errors_and_debug_never_quote_credentials_or_queries() {
        for url in [
            "https://user:hunter2@api.explorium.ai",
            "http://user:hunter2@api.explorium.ai",
            "https://api.explorium.ai/?api_key=hunter2",
            "http://api.explorium.ai/?api_key=hunter2",
            "ftp://api.explorium.ai/?api_key=hunter2",
            "https://api.explorium.ai/#hunter2",
            "https://hunter2@/?api_key=hunter2",
            "not a url?api_key=hunter2",
        ] {
            let builder = Client::builder().api_key("k-1").base_url(url);
            let debug = format!("{builder:?}");
            let error = builder.build().unwrap_err();
            let text = format!("{error} {error:?} {debug}");
            assert!(!text.contains("hunter2"), "{text}");
        }
        let error = Client::builder()
            .api_key("k-1")
            .proxy("http://user:hunter2@[::1")
            .build()
            .unwrap_err();
        assert!(
            !format!("{error} {error:?}").contains("hunter2"),
            "{error:?}"
        );
        assert_eq!(
            redacted("https://u:p@h.example/x?k=v#f"),
            "https://***@h.example/x?***#***"
        );
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
}
