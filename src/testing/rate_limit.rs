//! The rate limit: a sliding-window log per API key.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::header::HeaderValue;
use serde_json::{json, Value};
use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
pub(super) struct RateLimit {
    pub(super) requests: usize,
    pub(super) window: Duration,
}

/// When each key's counted requests arrived, by the key's index in the configured keys.
pub(super) type Windows = HashMap<usize, VecDeque<Instant>>;

/// What the rate limit says of one request.
pub(super) struct RateCheck {
    /// `X-RateLimit-*`, for every answer to the request.
    pub(super) headers: Vec<(&'static str, HeaderValue)>,
    /// `Some(seconds to wait)` when the request is over the limit.
    pub(super) retry_after: Option<u64>,
}

/// Sliding-window log per key; a request over the limit is not logged.
pub(super) fn check_rate(windows: &mut Windows, owner: usize, limit: RateLimit) -> RateCheck {
    let now = Instant::now();
    let log = windows.entry(owner).or_default();
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

/// The documented 429 body.
pub(super) fn rate_limit_body(retry_after: u64) -> Value {
    json!({
        "error": "rate_limit_exceeded",
        "message": "Rate limit exceeded. Please try again later.",
        "retry_after": retry_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_rate_limit_window_slides() {
        let mut windows = Windows::default();
        let limit = RateLimit {
            requests: 2,
            window: Duration::from_secs(60),
        };
        assert_eq!(check_rate(&mut windows, 0, limit).retry_after, None);
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(check_rate(&mut windows, 0, limit).retry_after, None);
        // The first request leaves the window 30 s from now.
        assert_eq!(check_rate(&mut windows, 0, limit).retry_after, Some(30));
        assert_eq!(
            check_rate(&mut windows, 1, limit).retry_after,
            None,
            "another key has its own window"
        );
        tokio::time::advance(Duration::from_secs(30)).await;
        let check = check_rate(&mut windows, 0, limit);
        assert_eq!(check.retry_after, None, "one slot free again");
        assert_eq!(check.headers[1], ("x-ratelimit-remaining", 0usize.into()));
    }
}
