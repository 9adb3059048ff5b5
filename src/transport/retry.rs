//! The retry policy and the engine every call goes through: which failures are retried, how
//! long to wait, and the budget that keeps a failing service from being hammered.
//!
//! One predicate, [`is_retryable`], decides for the engine and for [`Error::is_retryable`]
//! alike, so the two never disagree.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use backon::BackoffBuilder;
use reqwest::header::{HeaderMap, HeaderName, RETRY_AFTER};
use reqwest::StatusCode;
use tokio::time::Instant;

use super::error::{Error, ErrorKind};

/// Default number of attempts, the first one included.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Default upper bound of the first backoff (full jitter: the wait is uniform in `[0, bound]`).
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(500);
/// Default cap on the backoff bound, however many attempts came before.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Default longest server-requested wait (`Retry-After`) the client sleeps through.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Default size of the retry budget, in tokens (AWS standard retry mode's value).
pub const DEFAULT_RETRY_BUDGET: u32 = 500;

/// Tokens a retry spends; a retry after a timeout spends [`TIMEOUT_RETRY_COST`].
const RETRY_COST: u32 = 5;
const TIMEOUT_RETRY_COST: u32 = 10;
/// What a deadline too far to represent stands for: as good as never.
const NO_DEADLINE: Duration = Duration::from_secs(100 * 365 * 86_400);
/// Tokens a call that succeeds at its first attempt gives back.
const SUCCESS_REFUND: u32 = 1;

/// Which failed calls are repeated, and how long the client waits before each repetition.
///
/// Retried: connection failures, timeouts, 408, 429, 500, 502, 503 and 504; never another
/// 4xx, never a response that could not be decoded. An add (`POST`) is repeated only when the
/// server cannot have acted on it: the connection was never made, or the answer was 429.
///
/// The wait before retry *n* is uniform in `[0, min(max_backoff, initial_backoff × 2ⁿ⁻¹)]`
/// ("full jitter"), and never shorter than the server asked with `Retry-After` (seconds or an
/// HTTP date) or `retry-after-ms`. A server wait longer than
/// [`max_retry_after`](Self::max_retry_after), or any wait that would end past the call's
/// deadline, is not slept: the call returns the error at once, with the wait in
/// [`Error::retry_after`].
///
/// Retries spend tokens from a budget shared by all clones of a client (5 tokens, 10 after a
/// timeout); calls that succeed at once give 1 back, calls that succeed after retrying give
/// back what they spent. When the budget is empty, calls fail after one attempt, so a service
/// that is down is not hammered by every task's retries at once.
///
/// ```
/// use std::time::Duration;
/// use explorium::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(200))
///     .max_backoff(Duration::from_secs(20))
///     .max_retry_after(Duration::from_secs(120));
/// let never = RetryPolicy::disabled();
/// # let _ = (patient, never);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    budget: u32,
    jitter_seed: Option<u64>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            budget: DEFAULT_RETRY_BUDGET,
            jitter_seed: None,
        }
    }
}

impl RetryPolicy {
    /// One attempt per call: nothing is retried. Learned rate limits are still respected.
    pub fn disabled() -> Self {
        Self::default().max_attempts(1)
    }

    /// Attempts in all, the first one included; 0 counts as 1. Default:
    /// [`DEFAULT_MAX_ATTEMPTS`] (3).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Upper bound of the first wait; each later bound doubles. Default:
    /// [`DEFAULT_INITIAL_BACKOFF`] (500 ms).
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Cap on the bound of any wait the client chooses (a server's `Retry-After` may ask for
    /// more). Default: [`DEFAULT_MAX_BACKOFF`] (8 s).
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Longest `Retry-After` the client sleeps through; a longer one ends the call at once
    /// with the wait in [`Error::retry_after`]. Default: [`DEFAULT_MAX_RETRY_AFTER`] (60 s).
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Size of the retry budget shared by the client's clones, in tokens: a retry spends 5
    /// (10 after a timeout). Default: [`DEFAULT_RETRY_BUDGET`] (500). 0 disables retries
    /// without changing the rest of the policy.
    pub fn retry_budget(mut self, tokens: u32) -> Self {
        self.budget = tokens;
        self
    }

    /// Seeds the jitter, making the waits reproducible (for tests). Default: a random seed.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    /// The bounds of the waits, before jitter: `initial_backoff`, doubling, capped.
    fn schedule(&self) -> backon::ExponentialBackoff {
        backon::ExponentialBuilder::new()
            .with_min_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff)
            .with_factor(2.0)
            .without_max_times()
            .build()
    }
}

/// The one predicate: may a failure of this kind be repeated? `safe_to_repeat` is true when
/// repeating cannot act twice: the method is idempotent, or the request never reached the
/// server.
pub(crate) fn is_retryable(kind: ErrorKind, status: Option<StatusCode>, safe: bool) -> bool {
    match kind {
        // Refused, not processed: safe for every method.
        ErrorKind::RateLimited => true,
        ErrorKind::Timeout | ErrorKind::Connection => safe,
        ErrorKind::Server => safe && status.is_some_and(|s| matches!(s.as_u16(), 500 | 502..=504)),
        ErrorKind::UnexpectedStatus => safe && status == Some(StatusCode::REQUEST_TIMEOUT),
        _ => false,
    }
}

/// How long the server asked to wait: `retry-after-ms`, then `Retry-After` in seconds or as
/// an HTTP date. Absurd values saturate rather than overflow.
pub(crate) fn server_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    const RETRY_AFTER_MS: HeaderName = HeaderName::from_static("retry-after-ms");
    let text = |name: &HeaderName| headers.get(name)?.to_str().ok().map(str::trim);
    if let Some(ms) = text(&RETRY_AFTER_MS).and_then(|v| v.parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX));
        }
    }
    let value = text(&RETRY_AFTER)?;
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits but too large for a u64: as long as it can be.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// What one attempt's outcome tells the engine.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Done, successfully.
    Success,
    /// Failed; repeat only if `retryable`.
    Failure {
        retryable: bool,
        /// What the server asked to wait, if anything.
        wait: Option<Duration>,
        /// For the trace: `status 503`, `timeout`, `connection`.
        reason: String,
        timeout: bool,
    },
}

impl Verdict {
    /// A call's outcome, judged by the one predicate.
    pub(crate) fn of_result<T>(result: &Result<T, Error>) -> Self {
        match result {
            Ok(_) => Self::Success,
            Err(error) => Self::of_error(error),
        }
    }

    /// The same verdict, with a failure's retryability replaced.
    pub(crate) fn retryable(mut self, retry: bool) -> Self {
        if let Self::Failure { retryable, .. } = &mut self {
            *retryable = retry;
        }
        self
    }

    pub(crate) fn of_error(error: &Error) -> Self {
        Self::Failure {
            retryable: error.is_retryable(),
            wait: error.retry_after(),
            reason: match (error.kind(), error.status()) {
                (_, Some(status)) => format!("status {}", status.as_u16()),
                (ErrorKind::Timeout, None) => "timeout".into(),
                _ => "connection".into(),
            },
            timeout: error.is_timeout(),
        }
    }
}

/// How a call ended.
#[derive(Debug)]
pub(crate) enum Ended<T> {
    /// The last attempt's outcome, and how many attempts were made.
    Attempted { output: T, attempts: u32 },
    /// The learned rate limit forbids sending before `wait` has passed, which is past the
    /// deadline; nothing more was sent.
    RateLimited { wait: Duration, attempts: u32 },
}

/// The retry budget: a token bucket shared by all clones of a client.
#[derive(Debug)]
pub(crate) struct Budget {
    capacity: u32,
    tokens: Mutex<u32>,
}

impl Budget {
    pub(crate) fn new(capacity: u32) -> Self {
        Self {
            capacity,
            tokens: Mutex::new(capacity),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, u32> {
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn try_spend(&self, cost: u32) -> bool {
        let mut tokens = self.lock();
        let spent = *tokens >= cost;
        if spent {
            *tokens -= cost;
        }
        spent
    }

    fn refund(&self, amount: u32) {
        let mut tokens = self.lock();
        *tokens = tokens.saturating_add(amount).min(self.capacity);
    }
}

/// What the engine needs besides the attempts: the policy, the shared budget, the limits.
#[derive(Debug)]
pub(crate) struct Engine {
    pub(crate) policy: RetryPolicy,
    pub(crate) budget: Budget,
    pub(crate) attempt_timeout: Duration,
    pub(crate) deadline: Duration,
    pub(crate) rate: super::rate_limit::RateLimiter,
    jitter: Mutex<fastrand::Rng>,
}

impl Engine {
    pub(crate) fn new(
        policy: RetryPolicy,
        attempt_timeout: Duration,
        deadline: Duration,
        rate: super::rate_limit::RateLimiter,
    ) -> Self {
        let jitter = policy
            .jitter_seed
            .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        Self {
            budget: Budget::new(policy.budget),
            policy,
            attempt_timeout,
            deadline,
            rate,
            jitter: Mutex::new(jitter),
        }
    }

    /// Full jitter: uniform in `[0, bound]`.
    fn jittered(&self, bound: Duration) -> Duration {
        let mut rng = self
            .jitter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        bound.mul_f64(rng.f64())
    }

    /// Runs attempts until one succeeds, one fails for good, the policy or the budget says
    /// stop, or the next wait would end past the deadline. `attempt` gets the time it may take
    /// (the per-attempt timeout, or what is left of the deadline if less) and the rate-limit
    /// permit it runs under; `judge` says what its outcome means.
    pub(crate) async fn run<'a, T, F, Fut>(
        &'a self,
        span: &tracing::Span,
        mut attempt: F,
        judge: impl Fn(&T) -> Verdict,
    ) -> Ended<T>
    where
        F: FnMut(Duration, super::rate_limit::Permit<'a>) -> Fut,
        Fut: Future<Output = T>,
    {
        // A deadline too far to represent is no deadline.
        let deadline = Instant::now()
            .checked_add(self.deadline)
            .unwrap_or_else(|| Instant::now() + NO_DEADLINE);
        let mut schedule = self.policy.schedule();
        let mut attempts = 0;
        let mut spent = 0;
        loop {
            let permit = match self.rate.acquire(deadline).await {
                Ok(permit) => permit,
                Err(wait) => return Ended::RateLimited { wait, attempts },
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                // The wait for the rate limit took what was left: nothing is sent.
                return Ended::RateLimited {
                    wait: Duration::ZERO,
                    attempts,
                };
            }
            attempts += 1;
            let output = attempt(self.attempt_timeout.min(left), permit).await;
            let (wait, reason, timeout) = match judge(&output) {
                Verdict::Success => {
                    self.budget.refund(spent.max(SUCCESS_REFUND));
                    return Ended::Attempted { output, attempts };
                }
                Verdict::Failure {
                    retryable: false, ..
                } => return Ended::Attempted { output, attempts },
                Verdict::Failure {
                    wait,
                    reason,
                    timeout,
                    ..
                } => (wait, reason, timeout),
            };
            let stop = |why: &str| {
                tracing::debug!(parent: span, attempt = attempts, reason = %reason, "not retrying: {why}");
                Ended::Attempted { output, attempts }
            };
            if attempts >= self.policy.max_attempts {
                return stop("no attempts left");
            }
            if wait.is_some_and(|w| w > self.policy.max_retry_after) {
                return stop("the server asked for a wait longer than max_retry_after");
            }
            let backoff = self.jittered(schedule.next().unwrap_or(self.policy.max_backoff));
            let delay = backoff.max(wait.unwrap_or_default());
            if Instant::now()
                .checked_add(delay)
                .is_none_or(|end| end >= deadline)
            {
                return stop("the wait would end past the deadline");
            }
            let cost = if timeout {
                TIMEOUT_RETRY_COST
            } else {
                RETRY_COST
            };
            if !self.budget.try_spend(cost) {
                return stop("the retry budget is spent");
            }
            spent += cost;
            tracing::info!(
                parent: span,
                attempt = attempts,
                delay_ms = delay.as_millis() as u64,
                reason = %reason,
                retry_after_ms = wait.map(|w| w.as_millis() as u64),
                "retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_every_form() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let wait = |name: &str, value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
            server_wait(&headers, now)
        };
        assert_eq!(wait("retry-after", "2"), Some(Duration::from_secs(2)));
        assert_eq!(wait("retry-after", " 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            wait("retry-after", "99999999999"),
            Some(Duration::from_secs(99_999_999_999))
        );
        assert_eq!(
            wait("retry-after", "999999999999999999999999"),
            Some(Duration::from_secs(u64::MAX)),
            "saturates"
        );
        let in_90s = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(wait("retry-after", &in_90s), Some(Duration::from_secs(90)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(wait("retry-after", &past), Some(Duration::ZERO));
        assert_eq!(
            wait("retry-after-ms", "1500"),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(wait("retry-after", "soon"), None);
        assert_eq!(wait("retry-after", "-3"), None);
        assert_eq!(wait("retry-after-ms", "-3"), None);
    }

    #[test]
    fn what_is_retried() {
        let status = |s: u16| Some(StatusCode::from_u16(s).unwrap());
        for s in [500, 502, 503, 504] {
            assert!(is_retryable(ErrorKind::Server, status(s), true), "{s}");
            assert!(!is_retryable(ErrorKind::Server, status(s), false), "{s}");
        }
        assert!(!is_retryable(ErrorKind::Server, status(501), true));
        assert!(is_retryable(ErrorKind::RateLimited, status(429), false));
        assert!(is_retryable(ErrorKind::UnexpectedStatus, status(408), true));
        assert!(!is_retryable(
            ErrorKind::UnexpectedStatus,
            status(400),
            true
        ));
        for kind in [
            ErrorKind::Validation,
            ErrorKind::Unauthorized,
            ErrorKind::OutOfCredits,
            ErrorKind::NotFound,
            ErrorKind::Decode,
            ErrorKind::ResponseTooLarge,
            ErrorKind::InvalidRequest,
        ] {
            assert!(!is_retryable(kind, None, true), "{kind:?}");
        }
        assert!(is_retryable(ErrorKind::Timeout, None, true));
        assert!(!is_retryable(ErrorKind::Timeout, None, false));
    }

    #[test]
    fn the_budget_never_overflows_its_capacity() {
        let budget = Budget::new(10);
        assert!(budget.try_spend(5));
        assert!(budget.try_spend(5));
        assert!(!budget.try_spend(5));
        budget.refund(100);
        assert_eq!(*budget.lock(), 10);
    }

    #[test]
    fn backoff_bounds_double_up_to_the_cap() {
        let bounds: Vec<_> = RetryPolicy::default().schedule().take(6).collect();
        let secs: Vec<f64> = bounds.iter().map(Duration::as_secs_f64).collect();
        assert_eq!(secs, [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]);
    }
}
