//! What a successful enrollment call returns, decoded leniently: unknown fields are ignored,
//! and the informational context never costs the data.

use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use crate::events::event_types::EventName;
use crate::transport::context::{decode_context, pick_context, ResponseContext};
use crate::transport::server_text::Scrub;

/// A successful add or update: the enrollment's id and key, and the server's context.
///
/// Serializes in the response's wire shape, the context as `response_context`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Enrollment {
    /// The id the server gave the enrollment.
    enrollment_id: String,
    /// The enrollment's key, as the caller chose it.
    enrollment_key: String,
    /// The server's context for the call.
    #[serde(rename = "response_context", skip_serializing_if = "Option::is_none")]
    context: Option<ResponseContext>,
}

impl Enrollment {
    /// The id the server gave the enrollment: keep it, updates need it.
    pub fn enrollment_id(&self) -> &str {
        &self.enrollment_id
    }

    /// The enrollment's key, as the caller chose it and the server echoed it; empty if the
    /// server did not.
    pub fn enrollment_key(&self) -> &str {
        &self.enrollment_key
    }

    /// The server's context for the call: correlation id, status, time taken. The server sends
    /// it as `response_context` (the schema) or `request_context` (the documented examples);
    /// `None` if it sent neither as an object. The context is informational: a field of an
    /// unexpected type is dropped, never failing the call.
    pub fn context(&self) -> Option<&ResponseContext> {
        self.context.as_ref()
    }
}

/// The wire shape of every enrollment response: only `enrollment_id` must be there, as a
/// string. Unknown fields are ignored; the key and the contexts are kept undecoded, to be
/// decoded leniently apart (a number `1e400` is not even parsed), so that nothing but a
/// missing id can turn a success into an error.
#[derive(Deserialize)]
struct WireEnrollment<'a> {
    enrollment_id: String,
    #[serde(default, borrow)]
    enrollment_key: Option<&'a RawValue>,
    #[serde(default, borrow)]
    response_context: Option<&'a RawValue>,
    #[serde(default, borrow)]
    request_context: Option<&'a RawValue>,
}

/// Refuses serde's sequence form of a struct: `["en_1", "k"]` is no enrollment.
struct ObjectOnly;

impl<'de> Visitor<'de> for ObjectOnly {
    type Value = WireEnrollment<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an enrollment object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        WireEnrollment::deserialize(MapAccessDeserializer::new(map))
    }
}

impl crate::transport::call::Decoded for Enrollment {
    fn decode(body: &[u8], scrub: Scrub<'_>) -> serde_json::Result<Self> {
        let mut json = serde_json::Deserializer::from_slice(body);
        let wire = json.deserialize_map(ObjectOnly)?;
        json.end()?;
        let context = [wire.response_context, wire.request_context]
            .into_iter()
            .flatten()
            .find_map(|raw| decode_context(raw, scrub));
        Ok(Self {
            enrollment_id: scrub.text(&wire.enrollment_id),
            enrollment_key: wire
                .enrollment_key
                .filter(|raw| raw.get().starts_with('"'))
                .and_then(|raw| serde_json::from_str::<std::borrow::Cow<'_, str>>(raw.get()).ok())
                .map(|key| scrub.text(&key))
                .unwrap_or_default(),
            context,
        })
    }

    fn correlation_id(&self) -> Option<&str> {
        self.context.as_ref().map(ResponseContext::correlation_id)
    }
}

impl Enrollment {
    /// An enrollment found by listing, with the list call's context.
    pub(crate) fn found(listed: &ListedEnrollment, context: Option<ResponseContext>) -> Self {
        Self {
            enrollment_id: listed.enrollment_id.clone(),
            enrollment_key: listed.enrollment_key.clone(),
            context,
        }
    }
}

/// One enrollment of the account, as listing them reports it
/// ([`Prospects::enrollments`](crate::prospects::Prospects::enrollments),
/// [`Businesses::enrollments`](crate::businesses::Businesses::enrollments)).
///
/// Serializes with the ids as `ids`, the event types as their wire names.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ListedEnrollment {
    /// The id the server gave the enrollment.
    enrollment_id: String,
    /// The enrollment's key, as its creator chose it.
    enrollment_key: String,
    /// The prospect or business ids it watches (`prospect_ids` or `business_ids` on the wire).
    ids: Vec<String>,
    /// The event types it watches, as the server names them.
    event_types: Vec<EventName>,
}

impl ListedEnrollment {
    /// The id the server gave the enrollment: what updates and deletes take.
    pub fn enrollment_id(&self) -> &str {
        &self.enrollment_id
    }

    /// The enrollment's key, as its creator chose it.
    pub fn enrollment_key(&self) -> &str {
        &self.enrollment_key
    }

    /// The prospect or business ids it watches, in the server's order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// The event types it watches: [`EventName::Prospect`] or [`EventName::Business`] for the
    /// values this crate knows, [`EventName::Unknown`] for any other, kept as sent.
    pub fn event_types(&self) -> &[EventName] {
        &self.event_types
    }
}

/// The wire shape of one listed enrollment. Unknown fields are ignored.
#[derive(Deserialize)]
struct WireListed {
    enrollment_id: String,
    enrollment_key: String,
    #[serde(alias = "prospect_ids", alias = "business_ids")]
    ids: Vec<String>,
    event_types: Vec<String>,
}

#[derive(Deserialize)]
struct WireListing {
    enrollments: Vec<WireListed>,
    #[serde(default)]
    response_context: Option<Box<RawValue>>,
    #[serde(default)]
    request_context: Option<Box<RawValue>>,
}

/// What listing answers: the enrollments, and the context of the call.
pub(crate) struct Listed {
    pub(crate) enrollments: Vec<ListedEnrollment>,
    pub(crate) context: Option<ResponseContext>,
}

impl crate::transport::call::Decoded for Listed {
    fn decode(body: &[u8], scrub: Scrub<'_>) -> serde_json::Result<Self> {
        let wire: WireListing = serde_json::from_slice(body)?;
        let texts = |texts: Vec<String>| texts.iter().map(|t| scrub.text(t)).collect::<Vec<_>>();
        let enrollments = wire
            .enrollments
            .into_iter()
            .map(|listed| ListedEnrollment {
                enrollment_id: scrub.text(&listed.enrollment_id),
                enrollment_key: scrub.text(&listed.enrollment_key),
                ids: texts(listed.ids),
                event_types: texts(listed.event_types)
                    .iter()
                    .map(|name| EventName::parse(name))
                    .collect(),
            })
            .collect();
        Ok(Self {
            enrollments,
            context: pick_context(wire.response_context, wire.request_context, scrub),
        })
    }

    fn correlation_id(&self) -> Option<&str> {
        self.context.as_ref().map(ResponseContext::correlation_id)
    }
}

/// How a delete ended. Either way, the thing is gone now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Deleted {
    /// The server removed it (it answered 200).
    Removed,
    /// The server did not know it (it answered 404 with its own error body): deleted before,
    /// by someone else, by this call's own earlier attempt whose answer was lost, or never
    /// created under this API key. Not an error: a delete is idempotent.
    AlreadyGone,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    use crate::transport::call::Decoded;
    use crate::transport::context::RequestStatus;

    fn decode(json: &str) -> Enrollment {
        Enrollment::decode(json.as_bytes(), Scrub::new("sk-test-1")).unwrap()
    }

    #[test]
    fn either_context_name_decodes_and_unknown_fields_are_ignored() {
        let documented = decode(
            r#"{"request_context": {"correlation_id": "1234", "request_status": "success", "time_took_in_seconds": 0.515},
                "enrollment_key": "tech_executives_monitor", "enrollment_id": "en_8d52c3f1", "new_field": [1]}"#,
        );
        let context = documented.context().unwrap();
        assert_eq!(context.correlation_id(), "1234");
        assert_eq!(context.request_status(), &RequestStatus::Success);
        assert_eq!(context.time_took(), Some(Duration::from_millis(515)));

        let schema = decode(
            r#"{"response_context": {"correlation_id": "5", "request_status": "miss", "time_took_in_seconds": 1},
                "enrollment_key": "k", "enrollment_id": "en_1"}"#,
        );
        assert_eq!(
            schema.context().unwrap().request_status(),
            &RequestStatus::Miss
        );
    }

    #[test]
    fn an_unknown_status_is_kept_and_a_bad_duration_is_dropped() {
        let enrollment = decode(
            r#"{"response_context": {"correlation_id": "5", "request_status": "queued", "time_took_in_seconds": -1},
                "enrollment_key": "k", "enrollment_id": "en_1"}"#,
        );
        let context = enrollment.context().unwrap();
        assert_eq!(
            context.request_status(),
            &RequestStatus::Unknown("queued".into())
        );
        assert_eq!(context.request_status().to_string(), "queued");
        assert_eq!(context.time_took(), None);
    }

    #[test]
    fn no_context_at_all_still_returns_the_enrollment() {
        let enrollment = decode(r#"{"enrollment_key": "k", "enrollment_id": "en_1"}"#);
        assert_eq!(enrollment.enrollment_id(), "en_1");
        assert!(enrollment.context().is_none());
    }

    #[test]
    fn only_a_missing_or_non_string_id_or_a_non_object_fails() {
        for refused in [
            r#"{"enrollment_key": "k"}"#,
            r#"{"enrollment_id": 5, "enrollment_key": "k"}"#,
            r#"["en_1", "k"]"#,
            r#"{"enrollment_id": "en_1"} trailing"#,
        ] {
            assert!(
                Enrollment::decode(refused.as_bytes(), Scrub::new("sk-test-1")).is_err(),
                "{refused}"
            );
        }
        let odd = decode(
            r#"{"enrollment_id": "en_1", "enrollment_key": 7,
                "response_context": {"correlation_id": 42, "request_status": 1, "time_took_in_seconds": "0.5"}}"#,
        );
        assert_eq!(odd.enrollment_key(), "");
        let context = odd.context().unwrap();
        assert_eq!(context.correlation_id(), "42");
        assert_eq!(
            context.request_status(),
            &RequestStatus::Unknown("1".into())
        );
        assert_eq!(context.time_took(), Some(Duration::from_millis(500)));
    }
}
