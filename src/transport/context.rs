//! The server's account of a call (`response_context`, or `request_context` as the documented
//! examples name it), decoded leniently: a field of an unexpected type is dropped, never failing
//! the call. And the answer of a call that returns nothing else.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use super::call::Decoded;
use super::server_text::{Scrub, CORRELATION_ID_LIMIT};

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
    /// The server's id for the call: quote it to Explorium's support. Empty if the server sent
    /// none; at most 128 bytes are kept.
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

/// A context's fields, each kept undecoded until it is known what it holds.
#[derive(Deserialize)]
struct WireContext<'a> {
    #[serde(default, borrow)]
    correlation_id: Option<&'a RawValue>,
    #[serde(default, borrow)]
    request_status: Option<&'a RawValue>,
    #[serde(default, borrow)]
    time_took_in_seconds: Option<&'a RawValue>,
}

/// A field that should be text: a string, or a number kept as written; anything else dropped.
fn text(raw: Option<&RawValue>) -> Option<std::borrow::Cow<'_, str>> {
    let raw = raw?.get();
    if raw.starts_with('"') {
        serde_json::from_str::<std::borrow::Cow<'_, str>>(raw).ok()
    } else if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        Some(raw.into())
    } else {
        None
    }
}

/// A context, field by field: a field of an unexpected type is dropped (a number where text
/// is expected is kept as written), the rest kept. `None` if it is not an object.
pub(crate) fn decode_context(raw: &RawValue, scrub: Scrub<'_>) -> Option<ResponseContext> {
    let fields: WireContext<'_> = serde_json::from_str(raw.get()).ok()?;
    let quoted = |raw| text(raw).map(|said| scrub.quote(&said, CORRELATION_ID_LIMIT));
    Some(ResponseContext {
        correlation_id: quoted(fields.correlation_id).unwrap_or_default(),
        request_status: RequestStatus::from(quoted(fields.request_status).unwrap_or_default()),
        time_took: text(fields.time_took_in_seconds)
            .and_then(|seconds| seconds.trim().parse::<f64>().ok())
            .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok()),
    })
}

/// The context of a response under either name (the schema's first), decoded leniently.
pub(crate) fn pick_context(
    response: Option<Box<RawValue>>,
    request: Option<Box<RawValue>>,
    scrub: Scrub<'_>,
) -> Option<ResponseContext> {
    [response, request]
        .into_iter()
        .flatten()
        .find_map(|raw| decode_context(&raw, scrub))
}

/// A call that answers nothing but its context: deletes, the connectivity check. Whatever else
/// the body holds is ignored.
pub(crate) struct Acknowledged {
    pub(crate) context: Option<ResponseContext>,
}

#[derive(Deserialize)]
struct WireAcknowledged {
    #[serde(default)]
    response_context: Option<Box<RawValue>>,
    #[serde(default)]
    request_context: Option<Box<RawValue>>,
}

impl Decoded for Acknowledged {
    fn decode(body: &[u8], scrub: Scrub<'_>) -> serde_json::Result<Self> {
        let wire: WireAcknowledged = serde_json::from_slice(body)?;
        Ok(Self {
            context: pick_context(wire.response_context, wire.request_context, scrub),
        })
    }

    fn correlation_id(&self) -> Option<&str> {
        self.context.as_ref().map(ResponseContext::correlation_id)
    }
}
