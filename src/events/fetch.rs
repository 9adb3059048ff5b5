//! Fetching events: the window's timestamps, checked before sending, and the events as the
//! server reports them, decoded leniently.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use serde_json::value::RawValue;

use crate::events::event_types::EventName;
use crate::time::{given_time, served_time, wire_time};
use crate::transport::context::{pick_context, ResponseContext};
use crate::transport::error::Error;
use crate::transport::server_text::Scrub;
use crate::validate::quoted;

/// One event, as fetching events reports it
/// ([`FetchProspectEvents`](crate::prospects::FetchProspectEvents),
/// [`FetchBusinessEvents`](crate::businesses::FetchBusinessEvents)).
///
/// Serializes with the prospect or business id as `entity_id`, the name as its wire string.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct FetchedEvent {
    /// The event's id, unique per event.
    event_id: String,
    /// The event type, as the server names it.
    event_name: EventName,
    /// When the event happened.
    event_time: DateTime<Utc>,
    /// The prospect or business id (`prospect_id` or `business_id` on the wire).
    entity_id: String,
    /// The event's fields, which depend on its type.
    data: Value,
}

impl FetchedEvent {
    /// The event's id, unique per event: deduplicate on it (a webhook may deliver the same
    /// event).
    pub fn event_id(&self) -> &str {
        &self.event_id
    }

    /// The event type: [`EventName::Prospect`] or [`EventName::Business`] for the values this
    /// crate knows, [`EventName::Unknown`] for any other, kept as sent.
    pub fn event_name(&self) -> &EventName {
        &self.event_name
    }

    /// When the event happened. A time the server sends without an offset is taken as UTC.
    pub fn event_time(&self) -> DateTime<Utc> {
        self.event_time
    }

    /// The prospect or business the event is about.
    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }

    /// The event's fields, as sent: each event type's documentation page lists them.
    pub fn data(&self) -> &Value {
        &self.data
    }
}

/// The wire shape of one event. Unknown fields are ignored.
#[derive(Deserialize)]
struct WireEvent {
    event_id: String,
    event_name: String,
    event_time: String,
    #[serde(alias = "prospect_id", alias = "business_id")]
    entity_id: String,
    #[serde(default)]
    data: Value,
}

#[derive(Deserialize)]
struct WireFetched {
    #[serde(default)]
    output_events: Vec<WireEvent>,
    #[serde(default)]
    response_context: Option<Box<RawValue>>,
    #[serde(default)]
    request_context: Option<Box<RawValue>>,
}

/// What fetching answers: the events (none if the list is absent, as the schema's default
/// says), and the call's context.
pub(crate) struct Fetched {
    pub(crate) events: Vec<FetchedEvent>,
    context: Option<ResponseContext>,
}

impl crate::transport::call::Decoded for Fetched {
    fn decode(body: &[u8], scrub: Scrub<'_>) -> serde_json::Result<Self> {
        let wire: WireFetched = serde_json::from_slice(body)?;
        let events = wire
            .output_events
            .into_iter()
            .map(|event| {
                // An unreadable time is a decode error, with the body kept for the caller.
                let event_time = served_time(&event.event_time).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "event_time {} of event {} is not an ISO 8601 date-time",
                        quoted(&scrub.text(&event.event_time)),
                        quoted(&scrub.text(&event.event_id))
                    ))
                })?;
                let mut data = event.data;
                scrub.json(&mut data);
                Ok(FetchedEvent {
                    event_id: scrub.text(&event.event_id),
                    event_name: EventName::parse(&scrub.text(&event.event_name)),
                    event_time,
                    entity_id: scrub.text(&event.entity_id),
                    data,
                })
            })
            .collect::<serde_json::Result<_>>()?;
        Ok(Self {
            events,
            context: pick_context(wire.response_context, wire.request_context, scrub),
        })
    }

    fn correlation_id(&self) -> Option<&str> {
        self.context.as_ref().map(ResponseContext::correlation_id)
    }
}

/// A fetch's time window, as the caller gave it; checked by [`Window::checked`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Window {
    pub(crate) since: Option<Result<DateTime<Utc>, String>>,
    pub(crate) until: Option<Result<DateTime<Utc>, String>>,
}

impl Window {
    /// `timestamp_from` and `timestamp_to` as sent (RFC 3339, UTC), or the first rule broken.
    pub(crate) fn checked(&self) -> Result<(Option<String>, Option<String>), Error> {
        let parse = |field: &str, given: &Option<Result<DateTime<Utc>, String>>| {
            given
                .as_ref()
                .map(|given| match given {
                    Ok(time) => Ok(*time),
                    Err(text) => given_time(field, text),
                })
                .transpose()
        };
        let since = parse("timestamp_from", &self.since)?;
        let until = parse("timestamp_to", &self.until)?;
        if let (Some(since), Some(until)) = (since, until) {
            if since > until {
                return Err(Error::invalid_request(
                    "timestamp_to",
                    format!(
                        "{} is before timestamp_from {}",
                        wire_time(until),
                        wire_time(since)
                    ),
                ));
            }
        }
        Ok((since.map(wire_time), until.map(wire_time)))
    }
}

/// The window setters of the fetch builders.
macro_rules! window_setters {
    ($builder:ident) => {
        impl $builder {
            /// Only events at or after this time (`timestamp_from`): a
            /// [`chrono::DateTime`], a [`SystemTime`](std::time::SystemTime), a
            /// [`chrono::NaiveDate`], or text in RFC 3339 (`2024-01-01T10:03:03Z`) or as a
            /// date (`2024-01-01`, midnight UTC), checked when sent. Explorium keeps about
            /// the last 3 months of events: an earlier time returns nothing more. Default:
            /// none (the server's whole window).
            pub fn since(mut self, time: impl crate::time::IntoTimestamp) -> Self {
                self.window.since = Some(time.into_timestamp());
                self
            }

            /// Only events at or before this time (`timestamp_to`); the same forms as
            /// `since`, and not before it. Default: none (up to now).
            pub fn until(mut self, time: impl crate::time::IntoTimestamp) -> Self {
                self.window.until = Some(time.into_timestamp());
                self
            }
        }
    };
}

pub(crate) use window_setters;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::call::Decoded;

    fn window(since: Option<&str>, until: Option<&str>) -> Window {
        Window {
            since: since.map(|s| Err(s.to_string())),
            until: until.map(|s| Err(s.to_string())),
        }
    }

    #[test]
    fn timestamps_in_every_accepted_form_are_sent_as_utc() {
        let (since, until) = window(Some("2024-01-01T12:03:03.050+02:00"), Some("2024-02-01"))
            .checked()
            .unwrap();
        assert_eq!(since.as_deref(), Some("2024-01-01T10:03:03.050Z"));
        assert_eq!(until.as_deref(), Some("2024-02-01T00:00:00Z"));
        assert_eq!(window(None, None).checked().unwrap(), (None, None));
    }

    #[test]
    fn bad_timestamps_name_the_field_and_the_rule() {
        let error = window(Some("2024-01-01T10:03:03"), None)
            .checked()
            .unwrap_err();
        assert_eq!(error.field(), Some("timestamp_from"));
        assert!(error.to_string().contains("no UTC offset"), "{error}");
        let error = window(None, Some("yesterday")).checked().unwrap_err();
        assert_eq!(error.field(), Some("timestamp_to"));
        let error = window(Some("2024-02-01"), Some("2024-01-01"))
            .checked()
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "timestamp_to: 2024-01-01T00:00:00Z is before timestamp_from 2024-02-01T00:00:00Z"
        );
        assert!(
            window(Some("2024-01-01"), Some("2024-01-01"))
                .checked()
                .is_ok(),
            "equal is fine"
        );
    }

    #[test]
    fn the_documented_response_decodes_and_unknown_names_and_fields_are_kept_or_ignored() {
        let body = br#"{"response_context": {"correlation_id": "2826", "request_status": "success", "time_took_in_seconds": 0.931},
            "output_events": [
              {"event_name": "prospect_changed_company", "event_time": "2024-07-01T00:00:00+00:00", "event_id": "3f7e",
               "data": {"current_company_name": "Headovations"}, "prospect_id": "4c48", "new": 1},
              {"event_name": "award", "event_time": "2024-06-01T00:00:00", "event_id": "10f4", "data": {}, "business_id": "8adc"}
            ]}"#;
        let fetched = Fetched::decode(body, Scrub::new("sk-test")).unwrap();
        assert_eq!(fetched.correlation_id(), Some("2826"));
        let events = fetched.events;
        assert_eq!(events[0].entity_id(), "4c48");
        assert_eq!(
            events[0].event_name().to_string(),
            "prospect_changed_company"
        );
        assert_eq!(events[0].data()["current_company_name"], "Headovations");
        assert_eq!(events[1].event_name(), &EventName::Unknown("award".into()));
        assert_eq!(
            events[1].event_time().to_rfc3339(),
            "2024-06-01T00:00:00+00:00"
        );
        assert!(Fetched::decode(b"{}", Scrub::new("sk-test"))
            .unwrap()
            .events
            .is_empty());
    }

    #[test]
    fn an_unreadable_event_time_is_a_decode_error_naming_the_event() {
        let body = br#"{"output_events": [{"event_name": "x", "event_time": "soon", "event_id": "e1", "data": {}, "prospect_id": "p"}]}"#;
        let error = Fetched::decode(body, Scrub::new("sk-test"))
            .err()
            .unwrap()
            .to_string();
        assert!(
            error.contains("\"soon\"") && error.contains("\"e1\""),
            "{error}"
        );
    }
}
