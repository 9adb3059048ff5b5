//! What a successful enrollment call returns, decoded leniently: unknown fields are ignored,
//! and the informational context never costs the data.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize, Serializer};

use crate::events::EventName;

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

    /// The enrollment's key, as the caller chose it.
    pub fn enrollment_key(&self) -> &str {
        &self.enrollment_key
    }

    /// The server's context for the call: correlation id, status, time taken. The server sends
    /// it as `response_context` (the schema) or `request_context` (the documented examples);
    /// `None` only if it sent neither.
    pub fn context(&self) -> Option<&ResponseContext> {
        self.context.as_ref()
    }
}

/// The server's account of one call.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ResponseContext {
    /// The server's id for the call.
    correlation_id: String,
    /// `success`, `miss` or `failure`, as the server reports it.
    request_status: RequestStatus,
    /// How long the server says it took, in seconds.
    #[serde(
        rename = "time_took_in_seconds",
        serialize_with = "seconds",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<f64>"))]
    time_took: Option<Duration>,
}

fn seconds<S: Serializer>(took: &Option<Duration>, serializer: S) -> Result<S::Ok, S::Error> {
    took.map(|took| took.as_secs_f64()).serialize(serializer)
}

impl ResponseContext {
    /// The server's id for the call: quote it to Explorium's support.
    pub fn correlation_id(&self) -> &str {
        &self.correlation_id
    }

    /// `success`, `miss` (nothing matched) or `failure`, as the server reports it.
    pub fn request_status(&self) -> &RequestStatus {
        &self.request_status
    }

    /// How long the server says it took; `None` if it sent no usable number.
    pub fn time_took(&self) -> Option<Duration> {
        self.time_took
    }
}

/// A request's status as the server reports it. Values the server may add later are kept as
/// [`RequestStatus::Unknown`] rather than failing the call.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestStatus {
    /// The request was processed.
    Success,
    /// The request found no matching data.
    Miss,
    /// The request encountered an error.
    Failure,
    /// A value this version of the crate does not know, as sent.
    Unknown(String),
}

impl RequestStatus {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Success => "success",
            Self::Miss => "miss",
            Self::Failure => "failure",
            Self::Unknown(other) => other,
        }
    }
}

/// The wire value, a string.
impl Serialize for RequestStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Any string: the three known values are examples, not a limit, as the server may add others.
#[cfg(feature = "schemars")]
impl schemars::JsonSchema for RequestStatus {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RequestStatus".into()
    }

    // Distinct from the generated `RequestStatus` (a closed enum), should both be in one schema.
    fn schema_id() -> std::borrow::Cow<'static, str> {
        concat!(module_path!(), "::RequestStatus").into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A request's status as the server reports it: `success`, `miss` (nothing matched) or `failure`, or a value added later.",
            "examples": ["success", "miss", "failure"],
        })
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for RequestStatus {
    fn from(value: String) -> Self {
        match value.as_str() {
            "success" => Self::Success,
            "miss" => Self::Miss,
            "failure" => Self::Failure,
            _ => Self::Unknown(value),
        }
    }
}

/// The wire shape of every enrollment response. Unknown fields are ignored.
#[derive(Deserialize)]
pub(crate) struct WireEnrollment {
    enrollment_id: String,
    enrollment_key: String,
    #[serde(default)]
    response_context: Option<WireContext>,
    #[serde(default)]
    request_context: Option<WireContext>,
}

#[derive(Deserialize)]
pub(crate) struct WireContext {
    #[serde(default)]
    correlation_id: Option<String>,
    #[serde(default)]
    request_status: Option<String>,
    #[serde(default)]
    time_took_in_seconds: Option<f64>,
}

impl crate::transport::Decoded for Enrollment {
    fn decode(body: &[u8]) -> serde_json::Result<Self> {
        serde_json::from_slice::<WireEnrollment>(body).map(Self::from)
    }

    fn correlation_id(&self) -> Option<&str> {
        self.context.as_ref().map(ResponseContext::correlation_id)
    }
}

impl WireContext {
    /// The correlation id of the context under either name, for the call's span.
    pub(crate) fn correlation_id<'a>(
        response: &'a Option<WireContext>,
        request: &'a Option<WireContext>,
    ) -> Option<&'a str> {
        response
            .as_ref()
            .or(request.as_ref())
            .and_then(|c| c.correlation_id.as_deref())
    }

    /// The context under either name (the schema's first), as leniently as it came.
    pub(crate) fn pick(
        response: Option<WireContext>,
        request: Option<WireContext>,
    ) -> Option<ResponseContext> {
        response.or(request).map(|c| ResponseContext {
            correlation_id: c.correlation_id.unwrap_or_default(),
            request_status: RequestStatus::from(c.request_status.unwrap_or_default()),
            time_took: c
                .time_took_in_seconds
                .and_then(|s| Duration::try_from_secs_f64(s).ok()),
        })
    }
}

impl From<WireEnrollment> for Enrollment {
    fn from(wire: WireEnrollment) -> Self {
        Self {
            enrollment_id: wire.enrollment_id,
            enrollment_key: wire.enrollment_key,
            context: WireContext::pick(wire.response_context, wire.request_context),
        }
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

/// What listing answers: the enrollments, and the context of the call.
#[derive(Deserialize)]
pub(crate) struct Listed {
    enrollments: Vec<WireListed>,
    #[serde(default)]
    response_context: Option<WireContext>,
    #[serde(default)]
    request_context: Option<WireContext>,
}

impl Listed {
    /// The enrollments, and the call's context.
    pub(crate) fn into_parts(self) -> (Vec<ListedEnrollment>, Option<ResponseContext>) {
        let enrollments = self
            .enrollments
            .into_iter()
            .map(|wire| ListedEnrollment {
                enrollment_id: wire.enrollment_id,
                enrollment_key: wire.enrollment_key,
                ids: wire.ids,
                event_types: wire
                    .event_types
                    .iter()
                    .map(|n| EventName::parse(n))
                    .collect(),
            })
            .collect();
        let context = WireContext::pick(self.response_context, self.request_context);
        (enrollments, context)
    }
}

impl crate::transport::Decoded for Listed {
    fn decode(body: &[u8]) -> serde_json::Result<Self> {
        serde_json::from_slice(body)
    }

    fn correlation_id(&self) -> Option<&str> {
        WireContext::correlation_id(&self.response_context, &self.request_context)
    }
}

/// A call that answers nothing but its context: deletes, the connectivity check. Whatever else
/// the body holds is ignored.
#[derive(Deserialize)]
pub(crate) struct Acknowledged {
    #[serde(default)]
    response_context: Option<WireContext>,
    #[serde(default)]
    request_context: Option<WireContext>,
}

impl Acknowledged {
    pub(crate) fn into_context(self) -> Option<ResponseContext> {
        WireContext::pick(self.response_context, self.request_context)
    }
}

impl crate::transport::Decoded for Acknowledged {
    fn decode(body: &[u8]) -> serde_json::Result<Self> {
        serde_json::from_slice(body)
    }

    fn correlation_id(&self) -> Option<&str> {
        WireContext::correlation_id(&self.response_context, &self.request_context)
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
    use super::*;

    fn decode(json: &str) -> Enrollment {
        serde_json::from_str::<WireEnrollment>(json).unwrap().into()
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
}
