//! Times: those a server sends (event times, a webhook's dates), read leniently, and those a
//! caller gives (a fetch window, a simulated event's time), as [`IntoTimestamp`] values checked
//! when the request is sent.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};

use crate::transport::error::Error;
use crate::validate::quoted;

/// A time as a server may send it: RFC 3339, an ISO date-time without offset (UTC, as Python's
/// `isoformat` writes naive times), or a date (midnight UTC).
pub(crate) fn served_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    if let Ok(time) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(time.and_utc());
    }
    given_date(text)
}

fn given_date(text: &str) -> Option<DateTime<Utc>> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

/// A caller's time, parsed: RFC 3339 (`2024-01-01T10:03:03.050Z`, `2024-01-01T12:03:03+02:00`)
/// or a date (`2024-01-01`, midnight UTC). A date-time without an offset is refused: it could
/// be meant as local time or UTC.
pub(crate) fn given_time(field: &str, text: &str) -> Result<DateTime<Utc>, Error> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    if let Some(time) = given_date(text) {
        return Ok(time);
    }
    let rule = if NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok() {
        "has no UTC offset: add `Z` or `+hh:mm`"
    } else {
        "is neither an RFC 3339 date-time (2024-01-01T10:03:03Z) nor a date (2024-01-01)"
    };
    Err(Error::invalid_request(
        field,
        format!("{} {rule}", quoted(text)),
    ))
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for &str {}
    impl Sealed for String {}
    impl Sealed for &String {}
    impl Sealed for std::time::SystemTime {}
    impl Sealed for chrono::NaiveDate {}
    impl<Tz: chrono::TimeZone> Sealed for chrono::DateTime<Tz> {}
}

/// A point in time for a fetch window: a [`chrono::DateTime`] in any time zone, a
/// [`SystemTime`](std::time::SystemTime), a [`chrono::NaiveDate`] (midnight UTC), or text,
/// parsed when the request is sent: RFC 3339 (`2024-01-01T10:03:03.050Z`) or a date
/// (`2024-01-01`). Text without a UTC offset is refused, as ambiguous.
pub trait IntoTimestamp: sealed::Sealed {
    /// `Ok(time)`, or `Err(text)` to be parsed when the request is sent.
    #[doc(hidden)]
    fn into_timestamp(self) -> Result<DateTime<Utc>, String>;
}

impl IntoTimestamp for &str {
    fn into_timestamp(self) -> Result<DateTime<Utc>, String> {
        Err(self.to_string())
    }
}

impl IntoTimestamp for String {
    fn into_timestamp(self) -> Result<DateTime<Utc>, String> {
        Err(self)
    }
}

impl IntoTimestamp for &String {
    fn into_timestamp(self) -> Result<DateTime<Utc>, String> {
        Err(self.clone())
    }
}

impl IntoTimestamp for std::time::SystemTime {
    fn into_timestamp(self) -> Result<DateTime<Utc>, String> {
        // chrono's own conversion panics past its range; this one says so instead.
        let out_of_range = || "a time outside the range of dates".to_string();
        match self.duration_since(std::time::UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs())
                .ok()
                .and_then(|secs| DateTime::from_timestamp(secs, after.subsec_nanos()))
                .ok_or_else(out_of_range),
            Err(before) => {
                let before = before.duration();
                i64::try_from(before.as_secs())
                    .ok()
                    .and_then(|secs| DateTime::from_timestamp(-secs, 0))
                    .and_then(|t| {
                        t.checked_sub_signed(chrono::TimeDelta::nanoseconds(i64::from(
                            before.subsec_nanos(),
                        )))
                    })
                    .ok_or_else(out_of_range)
            }
        }
    }
}

impl IntoTimestamp for NaiveDate {
    fn into_timestamp(self) -> Result<DateTime<Utc>, String> {
        Ok(self.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
    }
}

impl<Tz: TimeZone> IntoTimestamp for DateTime<Tz> {
    fn into_timestamp(self) -> Result<DateTime<Utc>, String> {
        Ok(self.with_timezone(&Utc))
    }
}

/// RFC 3339 in UTC with `Z`, as the documentation's example writes it; fractions of a second
/// only when there are any.
pub(crate) fn wire_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}
