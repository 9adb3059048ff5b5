//! What the server's `X-RateLimit-*` headers taught the client, shared by all its clones, and
//! optional client-side pacing.
//!
//! Explorium allows 200 requests a minute per key in a 60-second sliding window, and says on
//! every response how many are left (`X-RateLimit-Remaining`) and when the window resets
//! (`X-RateLimit-Reset`, Unix seconds). The client counts down from what it last heard,
//! counting its own requests still in flight; when nothing is left it waits for the reset
//! instead of spending a request on a certain 429. After a reset it sends one request and
//! lets its answer say how much room there is, so tasks sharing a client do not stampede a
//! window that has only just begun to free up.

use std::num::NonZeroU32;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use governor::clock::Clock;
use reqwest::header::{HeaderMap, HeaderName};
use reqwest::StatusCode;
use tokio::sync::Notify;
use tokio::time::Instant;

/// How often a waiter looks again while the request sent after a reset is out; that
/// request's permit wakes every waiter when it is answered or dropped, whichever comes first.
const PROBE_PATIENCE: Duration = Duration::from_secs(1);
/// Longest wait for a reset the client takes from `X-RateLimit-Reset`: the documented window
/// is a minute long, so a later reset (a skewed clock, a broken header) is not believed past
/// two; a probe then asks again.
const LONGEST_RESET: Duration = Duration::from_secs(120);
/// Longest wait a 429's `Retry-After` imposes on the other calls (the call itself obeys its
/// policy's `max_retry_after`).
const LONGEST_REFUSAL: Duration = Duration::from_secs(86_400);

/// Shared by all clones of a client.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    window: Mutex<Window>,
    news: Notify,
    pacing: Option<Pacing>,
}

#[derive(Debug, Default)]
struct Window {
    /// What the server last said is left, less what was sent since; `None` until it says.
    remaining: Option<u64>,
    /// When the server said the window resets.
    reset_at: Option<Instant>,
    /// Requests sent and not yet answered.
    in_flight: u64,
    /// A request is out after a reset, to learn how much room there is.
    probing: bool,
}

/// The right to send one request; gives the slot back when dropped.
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    limiter: &'a RateLimiter,
    probe: bool,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut window = self.limiter.lock();
        window.in_flight = window.in_flight.saturating_sub(1);
        if self.probe {
            window.probing = false;
        }
        drop(window);
        self.limiter.news.notify_waiters();
    }
}

impl Permit<'_> {
    /// Learns from a response's headers (and a 429's wait) what is left and when it resets.
    pub(crate) fn learn(&self, status: StatusCode, headers: &HeaderMap, wait: Option<Duration>) {
        const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
        const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");
        let number = |name: &HeaderName| -> Option<u64> {
            headers.get(name)?.to_str().ok()?.trim().parse().ok()
        };
        let now = Instant::now();
        // Any number may come: the arithmetic saturates, the wait is capped.
        let reset_at = number(&RESET).map(|unix| {
            let wait =
                UNIX_EPOCH
                    .checked_add(Duration::from_secs(unix))
                    .map_or(LONGEST_RESET, |reset| {
                        reset
                            .duration_since(SystemTime::now())
                            .unwrap_or(Duration::ZERO)
                    });
            now + wait.min(LONGEST_RESET)
        });
        let mut window = self.limiter.lock();
        if let Some(remaining) = number(&REMAINING) {
            // The other requests in flight may not be counted in this answer yet.
            let others = window.in_flight.saturating_sub(1);
            window.remaining = Some(remaining.saturating_sub(others));
            window.reset_at = reset_at;
        } else if self.probe && status != StatusCode::TOO_MANY_REQUESTS {
            // A server that sends no counts: nothing is known to be spent any more.
            window.remaining = None;
            window.reset_at = None;
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            window.remaining = Some(0);
            let asked = now + wait.unwrap_or(Duration::ZERO).min(LONGEST_REFUSAL);
            window.reset_at = Some(window.reset_at.map_or(asked, |r| r.max(asked)));
        }
    }
}

impl RateLimiter {
    pub(crate) fn new(requests_per_minute: Option<NonZeroU32>) -> Self {
        Self {
            window: Mutex::default(),
            news: Notify::new(),
            pacing: requests_per_minute.map(Pacing::new),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until a request may be sent without a certain 429, or says how long that would
    /// take if it is past `deadline`.
    pub(crate) async fn acquire(&self, deadline: Instant) -> Result<Permit<'_>, Duration> {
        if let Some(pacing) = &self.pacing {
            pacing.wait(deadline).await?;
        }
        loop {
            let now = Instant::now();
            // Registered before the state is read, so no news is missed in between.
            let news = self.news.notified();
            let (wake_at, probe_out) = {
                let mut window = self.lock();
                // Ok(probe): send now; Err((instant, probe out)): wait until then, or for news.
                let decision = match (window.remaining, window.reset_at) {
                    (None, _) => Ok(false),
                    (Some(left), _) if left > 0 => {
                        window.remaining = Some(left - 1);
                        Ok(false)
                    }
                    (Some(_), Some(reset)) if reset > now => Err((reset, false)),
                    _ if window.probing => Err((now + PROBE_PATIENCE, true)),
                    _ => {
                        window.probing = true;
                        Ok(true)
                    }
                };
                match decision {
                    Ok(probe) => {
                        window.in_flight += 1;
                        return Ok(Permit {
                            limiter: self,
                            probe,
                        });
                    }
                    Err(wait) => wait,
                }
            };
            // Waiting on a probe's answer: worth waiting for up to the deadline, it may come
            // at any moment. Waiting for a reset past the deadline is not.
            if wake_at > deadline && !probe_out {
                return Err(wake_at - now);
            }
            // Woken by the reset, or by an answer that may have changed what is left.
            if tokio::time::timeout_at(wake_at.min(deadline), news)
                .await
                .is_err()
                && Instant::now() >= deadline
            {
                return Err(wake_at.saturating_duration_since(Instant::now()));
            }
        }
    }
}

/// Client-side pacing: a GCRA limiter (governor) on Tokio's clock, so it follows a paused
/// test clock like every other wait of the client.
#[derive(Debug)]
struct Pacing {
    limiter: governor::RateLimiter<
        governor::state::NotKeyed,
        governor::state::InMemoryState,
        TokioClock,
        governor::middleware::NoOpMiddleware<Duration>,
    >,
    clock: TokioClock,
}

#[derive(Debug, Clone)]
struct TokioClock {
    start: Instant,
}

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

impl Pacing {
    fn new(per_minute: NonZeroU32) -> Self {
        let clock = TokioClock {
            start: Instant::now(),
        };
        // A burst of one: requests are spread evenly over the minute.
        let quota = governor::Quota::with_period(Duration::from_secs(60) / per_minute.get())
            .unwrap_or_else(|| governor::Quota::per_minute(per_minute));
        Self {
            limiter: governor::RateLimiter::direct_with_clock(quota, clock.clone()),
            clock,
        }
    }

    async fn wait(&self, deadline: Instant) -> Result<(), Duration> {
        loop {
            match self.limiter.check() {
                Ok(()) => return Ok(()),
                Err(not_until) => {
                    let wait = not_until.wait_time_from(self.clock.now());
                    if Instant::now() + wait > deadline {
                        return Err(wait);
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}
