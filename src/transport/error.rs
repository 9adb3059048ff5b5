//! The crate's one error type.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

/// Most validation details [`Error`]'s `Display` lists; [`Error::validation_details`] keeps
/// them all.
const DISPLAYED_DETAILS: usize = 10;

/// Everything that can go wrong, from building the client to decoding a response.
///
/// Match on [`Error::kind`]; read the details with the accessors. The text never holds the API
/// key, a request body, or more than a short excerpt of a response body; what the server said
/// is quoted bounded, with control characters escaped, so it cannot forge a log line.
pub struct Error {
    inner: Box<Inner>,
}

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The client could not be built (missing or malformed key, base URL refused).
    Configuration,
    /// Refused before sending: a field breaks a rule of the API's schema. Nothing was sent.
    InvalidRequest,
    /// The server rejected the request as invalid (422); see [`Error::validation_details`].
    Validation,
    /// 401: the API key is missing or not valid.
    Unauthorized,
    /// 403: the account is out of credits (or the key may not do this).
    OutOfCredits,
    /// 404: for an update, the enrollment id and key name no enrollment of this account.
    NotFound,
    /// 429: over the rate limit; see [`Error::retry_after`].
    RateLimited,
    /// 5xx: the server failed.
    Server,
    /// Another status the API does not document (400, 3xx, ...).
    UnexpectedStatus,
    /// No complete response within the client's timeout.
    Timeout,
    /// The connection failed or broke before a complete response arrived.
    Connection,
    /// A response arrived but is not what the API documents; see [`Error::body_excerpt`].
    Decode,
    /// The response body is larger than the client's limit.
    ResponseTooLarge,
}

/// One entry of the server's 422 `detail` list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldError {
    /// Where: `prospect_ids[3]` (the server's `loc`, less its leading `body`).
    pub field: String,
    /// What is wrong, as the server says it.
    pub message: String,
    /// The server's error type (`string_pattern_mismatch`, `missing`, ...).
    pub kind: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

struct Inner {
    kind: ErrorKind,
    operation: Option<&'static str>,
    message: String,
    field: Option<String>,
    status: Option<StatusCode>,
    correlation_id: Option<String>,
    retry_after: Option<Duration>,
    details: Vec<FieldError>,
    body_excerpt: Option<String>,
    /// Whether repeating the call cannot create a second enrollment.
    safe_to_repeat: bool,
    /// An add whose outcome is still unknown when the call ended: repeating it could enroll
    /// twice, whatever the kind of the last error.
    outcome_unknown: bool,
    /// Attempts made, the first included; 0 when nothing was sent.
    attempts: u32,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                operation: None,
                message: message.into(),
                field: None,
                status: None,
                correlation_id: None,
                retry_after: None,
                details: Vec::new(),
                body_excerpt: None,
                safe_to_repeat: false,
                outcome_unknown: false,
                attempts: 0,
                source: None,
            }),
        }
    }

    pub(crate) fn configuration(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Configuration, message)
    }

    /// `field` breaks `rule`: `prospect_ids[3]: "ABC" is not 40 lowercase hex characters`.
    pub(crate) fn invalid_request(field: impl Into<String>, rule: impl fmt::Display) -> Self {
        let field = field.into();
        let mut error = Self::new(ErrorKind::InvalidRequest, format!("{field}: {rule}"));
        error.inner.field = Some(field);
        error
    }

    pub(crate) fn with_operation(mut self, operation: &'static str) -> Self {
        self.inner.operation = Some(operation);
        self
    }

    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_correlation_id(mut self, correlation_id: Option<String>) -> Self {
        self.inner.correlation_id = correlation_id;
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.inner.retry_after = retry_after;
        self
    }

    pub(crate) fn with_details(mut self, details: Vec<FieldError>) -> Self {
        self.inner.details = details;
        self
    }

    pub(crate) fn with_body_excerpt(mut self, excerpt: Option<String>) -> Self {
        self.inner.body_excerpt = excerpt;
        self
    }

    /// The call was an add whose outcome is still unknown: never retryable.
    pub(crate) fn with_outcome_unknown(mut self) -> Self {
        self.inner.safe_to_repeat = false;
        self.inner.outcome_unknown = true;
        self
    }

    pub(crate) fn with_safe_to_repeat(mut self, safe: bool) -> Self {
        self.inner.safe_to_repeat = safe;
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.inner.attempts = attempts;
        self
    }

    /// The same error, its message rewritten by `reword` (which gets the current one).
    pub(crate) fn reworded(mut self, reword: impl FnOnce(&str) -> String) -> Self {
        self.inner.message = reword(&self.inner.message);
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The operation id (`add_prospects_enrollments`, ...), when the error came from a call.
    pub fn operation(&self) -> Option<&'static str> {
        self.inner.operation
    }

    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// The server's correlation id for the failed request, from the error body, the response
    /// context, or an `X-Correlation-Id` / `X-Request-Id` header: quote it to Explorium's
    /// support. At most 128 bytes are kept.
    pub fn correlation_id(&self) -> Option<&str> {
        self.inner.correlation_id.as_deref()
    }

    /// For [`ErrorKind::InvalidRequest`], the offending field, with its index in the list the
    /// caller gave (`prospect_ids[3]`).
    pub fn field(&self) -> Option<&str> {
        self.inner.field.as_deref()
    }

    /// For [`ErrorKind::Validation`], the server's list of what is wrong, every entry (the
    /// `Display` text lists the first ten). Each string is bounded to 256 bytes.
    pub fn validation_details(&self) -> &[FieldError] {
        &self.inner.details
    }

    /// How long the server asked to wait (`Retry-After`, or `retry_after` in a 429 body).
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// The start of the response body (at most 512 bytes), kept when it could not be decoded
    /// or explains an error status.
    pub fn body_excerpt(&self) -> Option<&str> {
        self.inner.body_excerpt.as_deref()
    }

    /// Whether the same call may succeed if repeated later, **and** repeating it cannot create
    /// a second enrollment. The client's retry engine asks the same question, so a call that
    /// ends with a retryable error ended because its attempts, budget or deadline ran out.
    ///
    /// True for rate limiting (the request was refused, not processed), and for timeouts,
    /// connection failures, 408 and 500/502/503/504 of idempotent calls (`PATCH` replaces the
    /// lists; `GET` and `DELETE`). For an add (`POST`), a timeout, a broken connection or a
    /// 5xx may come after the server created the enrollment: only failures to connect at all
    /// count as retryable. Never true for other 4xx, nor for invalid requests or responses.
    pub fn is_retryable(&self) -> bool {
        !self.inner.outcome_unknown
            && super::retry::is_retryable(
                self.inner.kind,
                self.inner.status,
                self.inner.safe_to_repeat,
            )
    }

    /// How many attempts the call made, the first included: more than one when it was
    /// retried; 0 when nothing was sent (an invalid request, a spent rate limit).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// Whether this is a timeout.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        if let Some(operation) = inner.operation {
            write!(f, "{operation}: ")?;
        }
        f.write_str(&inner.message)?;
        for detail in inner.details.iter().take(DISPLAYED_DETAILS) {
            write!(f, "; {detail}")?;
        }
        if let Some(more) = inner.details.len().checked_sub(DISPLAYED_DETAILS) {
            if more > 0 {
                write!(f, "; and {more} more")?;
            }
        }
        if let Some(retry_after) = inner.retry_after {
            write!(f, " (retry after {}s)", retry_after.as_secs())?;
        }
        if inner.attempts > 1 {
            write!(f, " (after {} attempts)", inner.attempts)?;
        }
        if let Some(correlation_id) = &inner.correlation_id {
            write!(f, " [correlation id {correlation_id}]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let mut debug = f.debug_struct("Error");
        debug.field("kind", &inner.kind);
        debug.field("message", &inner.message);
        for (name, value) in [
            ("operation", inner.operation.map(str::to_string)),
            ("field", inner.field.clone()),
            ("status", inner.status.map(|s| s.to_string())),
            ("correlation_id", inner.correlation_id.clone()),
            ("body_excerpt", inner.body_excerpt.clone()),
        ] {
            if let Some(value) = value {
                debug.field(name, &value);
            }
        }
        if !inner.details.is_empty() {
            debug.field("details", &inner.details);
        }
        if let Some(retry_after) = inner.retry_after {
            debug.field("retry_after", &retry_after);
        }
        if inner.attempts > 0 {
            debug.field("attempts", &inner.attempts);
        }
        if let Some(source) = &inner.source {
            debug.field("source", source);
        }
        debug.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_static() {
        fn assert_bounds<T: Send + Sync + 'static>() {}
        assert_bounds::<Error>();
        assert_bounds::<ErrorKind>();
    }

    #[test]
    fn error_is_one_pointer_wide() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn invalid_request_names_field_and_rule() {
        let error = Error::invalid_request(
            "prospect_ids[3]",
            "\"ABC\" is not 40 lowercase hex characters",
        );
        assert_eq!(
            error.to_string(),
            "prospect_ids[3]: \"ABC\" is not 40 lowercase hex characters"
        );
        assert_eq!(error.field(), Some("prospect_ids[3]"));
        assert_eq!(error.kind(), ErrorKind::InvalidRequest);
        assert!(!error.is_retryable());
    }

    #[test]
    fn server_errors_are_retryable_only_when_repeating_is_safe() {
        let error = |status: u16, safe: bool| {
            Error::new(ErrorKind::Server, "x")
                .with_status(StatusCode::from_u16(status).unwrap())
                .with_safe_to_repeat(safe)
        };
        assert!(error(503, true).is_retryable());
        assert!(
            !error(503, false).is_retryable(),
            "an add may have been processed"
        );
        assert!(
            !error(501, true).is_retryable(),
            "not implemented will not change"
        );
        assert!(Error::new(ErrorKind::RateLimited, "x").is_retryable());
    }
}
