//! Receiving webhook deliveries: the signature check and the event, with no HTTP framework.
//!
//! Explorium delivers each event as an HTTP `POST` with a JSON body to the partner's one
//! registered URL, signed with the `webhook_secret` it returned when the webhook was registered:
//!
//! - `X-Timestamp`: Unix seconds, as ASCII digits;
//! - `X-Signature`: base64url (padded) of HMAC-SHA256 over `"{X-Timestamp}.{raw body}"`, keyed
//!   with the **base64url-decoded** secret.
//!
//! A [`Verifier`] takes the two header values and the raw body bytes (before any JSON parsing:
//! the signature covers the bytes as sent) and returns the decoded [`Event`] or a
//! [`VerifyError`] saying precisely what was wrong. It works with any server framework:
//!
//! ```
//! use explorium::webhook::{Verifier, VerifyError};
//!
//! fn receive(
//!     verifier: &Verifier,
//!     timestamp: Option<&str>, // the `X-Timestamp` header, if any
//!     signature: Option<&str>, // the `X-Signature` header, if any
//!     body: &[u8],
//! ) -> u16 {
//!     // An absent header is the empty string: reported as `MissingHeader`.
//!     match verifier.verify(timestamp.unwrap_or(""), signature.unwrap_or(""), body) {
//!         Ok(event) => {
//!             // Deduplicate on `event.event_id()`: redelivery is not documented either way.
//!             println!("{} for {}", event.event_name(), event.entity_id());
//!             200
//!         }
//!         Err(VerifyError::UndecodableBody { .. }) => 400,
//!         Err(_) => 401,
//!     }
//! }
//! # let verifier = Verifier::new("c2VjcmV0LWtleS1ieXRlcy1mb3ItdGhlLWRvYy10ZXN0IQ==").unwrap();
//! # assert_eq!(receive(&verifier, None, None, b"{}"), 401);
//! ```
//!
//! # Checks, in order
//!
//! 1. Both headers present (not empty): [`VerifyError::MissingHeader`].
//! 2. `X-Timestamp` is ASCII digits: [`VerifyError::MalformedTimestamp`].
//! 3. `X-Signature` is base64url (padded or not) of 32 bytes: [`VerifyError::MalformedSignature`].
//! 4. The signature matches, compared in constant time: [`VerifyError::BadSignature`].
//! 5. The timestamp is within the tolerance of now (default 300 s, as the documentation's
//!    receiver; [`Verifier::with_tolerance`]), both ways: [`VerifyError::StaleTimestamp`],
//!    [`VerifyError::FutureTimestamp`]. Checked after the signature, so these two mean "authentic
//!    but outside the window" (a replay, or a clock off), never a forgery.
//! 6. The body decodes as an event: [`VerifyError::UndecodableBody`].
//!
//! # Why a dedicated error type
//!
//! [`VerifyError`] is not the crate's [`Error`](crate::Error): that one describes calls this
//! crate makes to Explorium (status, correlation id, retryability, the field of a request), none
//! of which exists when Explorium calls the receiver. A receiver's only decision is what to
//! answer, and a small exhaustive-to-read enum makes that a `match`.
//!
//! The secret is held in a [`secrecy`] box, zeroed when dropped, and appears in no `Debug`
//! output, no error and no trace.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::{constant_time, hmac};
use base64::engine::general_purpose::{STANDARD_PAD_INDIFFERENT, URL_SAFE_PAD_INDIFFERENT};
use base64::Engine as _;
use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::events::event_types::EventName;

/// The header holding the delivery's Unix time in seconds.
pub const TIMESTAMP_HEADER: &str = "X-Timestamp";

/// The header holding the delivery's signature.
pub const SIGNATURE_HEADER: &str = "X-Signature";

/// How far a delivery's timestamp may be from now, either way, by default: 300 seconds, as in
/// the documentation's receiver.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// An HMAC-SHA256 tag is 32 bytes.
const SIGNATURE_LEN: usize = 32;

/// Checks webhook deliveries against a partner's `webhook_secret` and decodes their events.
///
/// Cheap to share: verification takes `&self`.
pub struct Verifier {
    /// The base64url-decoded secret: the HMAC key.
    key: SecretSlice<u8>,
    tolerance: Duration,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("key", &"[redacted]")
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for str {}
    impl Sealed for String {}
    impl Sealed for secrecy::SecretString {}
}

/// A webhook secret as the caller holds it: `str`, `String` or [`SecretString`].
pub trait WebhookSecret: sealed::Sealed {
    /// The secret's text.
    #[doc(hidden)]
    fn secret_text(&self) -> &str;
}

impl WebhookSecret for str {
    fn secret_text(&self) -> &str {
        self
    }
}

impl WebhookSecret for String {
    fn secret_text(&self) -> &str {
        self
    }
}

impl WebhookSecret for SecretString {
    fn secret_text(&self) -> &str {
        self.expose_secret()
    }
}

impl Verifier {
    /// A verifier for the `webhook_secret` exactly as Explorium returned it (base64url; padded
    /// or not; surrounding whitespace ignored). Tolerance: [`DEFAULT_TOLERANCE`].
    ///
    /// The documentation's receiver decodes the secret with Python's `urlsafe_b64decode`, which
    /// also takes `+` and `/`; so does this. Fails with [`VerifyError::InvalidSecret`] (which
    /// quotes nothing of the secret) when it is empty or not base64.
    pub fn new<S: WebhookSecret + ?Sized>(secret: &S) -> Result<Self, VerifyError> {
        let text = secret.secret_text().trim();
        // Python's decoder takes either alphabet (not mixed in one secret, which no encoder
        // produces).
        let mut key = URL_SAFE_PAD_INDIFFERENT
            .decode(text)
            .or_else(|_| STANDARD_PAD_INDIFFERENT.decode(text))
            .map_err(|_| VerifyError::InvalidSecret)?;
        // An exact-size copy, then the decoding buffer (whose capacity may exceed its length,
        // so boxing it could reallocate and free a copy unzeroed) is zeroed.
        let exact: Box<[u8]> = key.as_slice().into();
        key.zeroize();
        if exact.is_empty() {
            return Err(VerifyError::InvalidSecret);
        }
        Ok(Self {
            key: SecretSlice::from(exact),
            tolerance: DEFAULT_TOLERANCE,
        })
    }

    /// How far a delivery's timestamp may be from now, in either direction, before it is
    /// refused as stale or from the future. Whole seconds count (the header has no more).
    /// Default: [`DEFAULT_TOLERANCE`], 300 seconds.
    #[must_use]
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The tolerance in use.
    pub fn tolerance(&self) -> Duration {
        self.tolerance
    }

    /// Verifies a delivery received now: the `X-Timestamp` and `X-Signature` header values
    /// (`""` when absent) and the raw body. See the [module docs](self) for the checks.
    pub fn verify(
        &self,
        timestamp: &str,
        signature: &str,
        body: &[u8],
    ) -> Result<Event, VerifyError> {
        self.verify_at(timestamp, signature, body, SystemTime::now())
    }

    /// [`verify`](Self::verify) as if received at `now`: for tests, and for deliveries queued
    /// before being checked (pass the time they arrived).
    pub fn verify_at(
        &self,
        timestamp: &str,
        signature: &str,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Event, VerifyError> {
        if timestamp.is_empty() {
            return Err(VerifyError::MissingHeader {
                name: TIMESTAMP_HEADER,
            });
        }
        if signature.is_empty() {
            return Err(VerifyError::MissingHeader {
                name: SIGNATURE_HEADER,
            });
        }
        let sent_at = parse_timestamp(timestamp)?;
        let received = URL_SAFE_PAD_INDIFFERENT
            .decode(signature)
            .ok()
            .filter(|tag| tag.len() == SIGNATURE_LEN)
            .ok_or(VerifyError::MalformedSignature)?;
        let expected = self.tag(timestamp, body);
        constant_time::verify_slices_are_equal(expected.as_ref(), &received)
            .map_err(|_| VerifyError::BadSignature)?;
        self.check_window(sent_at, now)?;
        Event::from_slice(body)
    }

    /// The `X-Signature` Explorium sends with `body` at `timestamp`, for this secret: to test a
    /// receiver with deliveries of one's own.
    pub fn signature(&self, timestamp: &str, body: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE.encode(self.tag(timestamp, body))
    }

    /// HMAC-SHA256 over `"{timestamp}.{body}"`, fed in pieces so the body is not copied.
    fn tag(&self, timestamp: &str, body: &[u8]) -> hmac::Tag {
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.key.expose_secret());
        let mut context = hmac::Context::with_key(&key);
        context.update(timestamp.as_bytes());
        context.update(b".");
        context.update(body);
        context.sign()
    }

    fn check_window(&self, sent_at: u64, now: SystemTime) -> Result<(), VerifyError> {
        // Whole seconds on both sides, as the documentation's receiver compares them.
        let now = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        if now >= sent_at {
            let age = Duration::from_secs(now - sent_at);
            if age > self.tolerance {
                return Err(VerifyError::StaleTimestamp { age });
            }
        } else {
            let ahead = Duration::from_secs(sent_at - now);
            if ahead > self.tolerance {
                return Err(VerifyError::FutureTimestamp { ahead });
            }
        }
        Ok(())
    }
}

/// Unix seconds as ASCII digits, nothing else (no sign, space or fraction).
fn parse_timestamp(timestamp: &str) -> Result<u64, VerifyError> {
    if !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VerifyError::MalformedTimestamp);
    }
    timestamp
        .parse()
        .map_err(|_| VerifyError::MalformedTimestamp)
}

/// Why a delivery was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum VerifyError {
    /// [`Verifier::new`]: the secret is empty or not base64. Nothing of it is quoted.
    InvalidSecret,
    /// A header is absent (the empty string was passed).
    MissingHeader {
        /// [`TIMESTAMP_HEADER`] or [`SIGNATURE_HEADER`].
        name: &'static str,
    },
    /// `X-Timestamp` is not Unix seconds in ASCII digits.
    MalformedTimestamp,
    /// `X-Signature` is not base64url of a 32-byte HMAC-SHA256 tag.
    MalformedSignature,
    /// The signature does not match the timestamp and body for this secret: a forgery, a body
    /// altered on the way (or re-serialized before verifying), or another secret (registering a
    /// webhook again rotates it).
    BadSignature,
    /// Authentic, but sent longer ago than the tolerance: a replay, or a slow queue.
    StaleTimestamp {
        /// How long ago it was sent, in whole seconds.
        age: Duration,
    },
    /// Authentic, but dated further in the future than the tolerance: a clock is off.
    FutureTimestamp {
        /// How far ahead, in whole seconds.
        ahead: Duration,
    },
    /// Authentic, but the body is not an event: not JSON, or a field missing or mistyped.
    UndecodableBody {
        /// What serde found.
        source: serde_json::Error,
    },
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidSecret => f.write_str(
                "the webhook secret is not base64url (it is used exactly as Explorium returned it)",
            ),
            Self::MissingHeader { name } => write!(f, "webhook delivery without the {name} header"),
            Self::MalformedTimestamp => {
                write!(f, "{TIMESTAMP_HEADER} is not Unix seconds in ASCII digits")
            }
            Self::MalformedSignature => write!(
                f,
                "{SIGNATURE_HEADER} is not base64url of a 32-byte HMAC-SHA256 signature"
            ),
            Self::BadSignature => write!(
                f,
                "{SIGNATURE_HEADER} does not match the timestamp and body for this secret"
            ),
            Self::StaleTimestamp { age } => write!(
                f,
                "webhook delivery sent {} s ago, beyond the tolerance",
                age.as_secs()
            ),
            Self::FutureTimestamp { ahead } => write!(
                f,
                "webhook delivery dated {} s in the future, beyond the tolerance",
                ahead.as_secs()
            ),
            Self::UndecodableBody { source } => {
                write!(f, "webhook body is not an event: {source}")
            }
        }
    }
}

impl std::error::Error for VerifyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::UndecodableBody { source } => Some(source),
            _ => None,
        }
    }
}

/// One event, as delivered.
///
/// Serializes in the delivery's shape, the name as `event_name` whichever field it came in:
/// to queue or forward an event, or (with the `schemars` feature) to describe it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Event {
    /// Unique per event.
    event_id: String,
    /// What happened.
    event_name: EventName,
    /// Whether `entity_id` is a business or a prospect.
    entity_type: EntityType,
    /// The business or prospect the event is about.
    entity_id: String,
    /// The key the entity was enrolled under.
    enrollment_key: String,
    /// The event's fields, which depend on its type; absent if the delivery had none.
    #[serde(skip_serializing_if = "Value::is_null")]
    #[cfg_attr(feature = "schemars", schemars(default))]
    data: Value,
    /// The partner the webhook belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    partner_id: Option<String>,
    /// The tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant_id: Option<String>,
}

/// The body as sent; `event_type` is the field's name before 2025-10-07.
#[derive(Deserialize)]
struct WireEvent {
    event_id: String,
    #[serde(default)]
    event_name: Option<String>,
    #[serde(default)]
    event_type: Option<String>,
    entity_type: String,
    entity_id: String,
    enrollment_key: String,
    #[serde(default)]
    data: Value,
    #[serde(default)]
    partner_id: Option<String>,
    #[serde(default)]
    tenant_id: Option<String>,
}

impl Event {
    /// Decodes a delivery's body (already verified).
    fn from_slice(body: &[u8]) -> Result<Self, VerifyError> {
        let undecodable = |source| VerifyError::UndecodableBody { source };
        let wire: WireEvent = serde_json::from_slice(body).map_err(undecodable)?;
        // A body in transition may carry both names; the current one wins.
        let name = wire
            .event_name
            .or(wire.event_type)
            .ok_or_else(|| undecodable(serde::de::Error::missing_field("event_name")))?;
        Ok(Self {
            event_id: wire.event_id,
            event_name: EventName::parse(&name),
            entity_type: EntityType::parse(&wire.entity_type),
            entity_id: wire.entity_id,
            enrollment_key: wire.enrollment_key,
            data: wire.data,
            partner_id: wire.partner_id,
            tenant_id: wire.tenant_id,
        })
    }

    /// Unique per event: deduplicate deliveries on it.
    pub fn event_id(&self) -> &str {
        &self.event_id
    }

    /// What happened (`event_name`, or `event_type` in older deliveries).
    pub fn event_name(&self) -> &EventName {
        &self.event_name
    }

    /// Whether [`entity_id`](Self::entity_id) is a business or a prospect.
    pub fn entity_type(&self) -> &EntityType {
        &self.entity_type
    }

    /// The business or prospect the event is about.
    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }

    /// The key the entity was enrolled under: route events by it.
    pub fn enrollment_key(&self) -> &str {
        &self.enrollment_key
    }

    /// The event's fields, which depend on its type (see each event type's documentation page);
    /// `Null` if the delivery had none.
    pub fn data(&self) -> &Value {
        &self.data
    }

    /// The partner the webhook belongs to, when the delivery says.
    pub fn partner_id(&self) -> Option<&str> {
        self.partner_id.as_deref()
    }

    /// The tenant, when the delivery says.
    pub fn tenant_id(&self) -> Option<&str> {
        self.tenant_id.as_deref()
    }
}

/// What kind of entity an event is about. Values the service may add are kept, not refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntityType {
    /// `business`.
    Business,
    /// `prospect`.
    Prospect,
    /// Another value, as sent.
    Unknown(String),
}

impl EntityType {
    fn parse(wire: &str) -> Self {
        match wire {
            "business" => Self::Business,
            "prospect" => Self::Prospect,
            other => Self::Unknown(other.to_string()),
        }
    }

    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Business => "business",
            Self::Prospect => "prospect",
            Self::Unknown(other) => other,
        }
    }
}

/// The wire value, a string.
impl Serialize for EntityType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Any string: `business` and `prospect` are examples, not a limit, as the service may add
/// others.
#[cfg(feature = "schemars")]
impl schemars::JsonSchema for EntityType {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EntityType".into()
    }

    // Distinct from the generated `EntityType` (a closed enum), should both be in one schema.
    fn schema_id() -> std::borrow::Cow<'static, str> {
        concat!(module_path!(), "::EntityType").into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "What kind of entity an event is about: `business` or `prospect`, or a value added later.",
            "examples": ["business", "prospect"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_is_send_sync_static() {
        fn check<T: Send + Sync + 'static>() {}
        check::<VerifyError>();
        check::<Verifier>();
    }

    #[test]
    fn the_secret_never_shows_in_debug() {
        let secret = "c2VjcmV0LWtleS1ieXRlcy1mb3ItdGhlLWRvYy10ZXN0IQ==";
        let verifier = Verifier::new(secret).unwrap();
        let debug = format!("{verifier:?}");
        assert!(!debug.contains(secret), "{debug}");
        assert!(!debug.contains("secret-key"), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");
    }
}
