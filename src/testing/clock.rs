//! The server's wall clock, driven by Tokio's: on a paused clock, wall time advances with it,
//! so event times, webhook times and delivery timestamps agree with the test's notion of now.

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, SecondsFormat, Utc};
use tokio::time::Instant;

/// Wall time at start, plus the Tokio time elapsed since.
#[derive(Debug, Clone, Copy)]
pub(super) struct Clock {
    wall: SystemTime,
    instant: Instant,
}

impl Clock {
    pub(super) fn start() -> Self {
        Self {
            wall: SystemTime::now(),
            instant: Instant::now(),
        }
    }

    pub(super) fn now(&self) -> SystemTime {
        self.wall + self.instant.elapsed()
    }
}

/// Unix seconds, as the `X-Timestamp` header carries them.
pub(super) fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// As the webhook pages write times: `2025-03-16T11:35:17.720Z`.
pub(super) fn iso_millis_z(time: SystemTime) -> String {
    DateTime::<Utc>::from(time).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// As the events pages write times (Python's `isoformat`): `2024-07-01T00:00:00+00:00`.
pub(super) fn iso_offset(time: SystemTime) -> String {
    DateTime::<Utc>::from(time).to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// The calendar year of a time, UTC.
pub(super) fn year(time: SystemTime) -> u16 {
    use chrono::Datelike;
    u16::try_from(DateTime::<Utc>::from(time).year()).unwrap_or(2025)
}
