//! Event types: the generated enums, plus parsing from wire strings with clear errors.

use crate::generated::types;
use crate::transport::error::Error;

/// A prospect event type (3 values): the generated
/// [`ProspectsEventIdentifier`](crate::generated::types::ProspectsEventIdentifier), so a value
/// Explorium adds to the spec appears here after a rebuild.
///
/// Wire strings parse with [`ProspectEvent::from_wire`], or are accepted as they are by the
/// builders' `event_types` setters.
pub type ProspectEvent = types::ProspectsEventIdentifier;

/// A business event type (39 values): the generated
/// [`BusinessesEventIdentifier`](crate::generated::types::BusinessesEventIdentifier).
pub type BusinessEvent = types::BusinessesEventIdentifier;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::ProspectEvent {}
    impl Sealed for super::BusinessEvent {}
    impl Sealed for &str {}
    impl Sealed for String {}
    impl Sealed for &String {}
    impl Sealed for &super::ProspectEvent {}
    impl Sealed for &super::BusinessEvent {}
}

/// An event type of kind `E`, or its wire string (checked when the request is sent).
///
/// Implemented for `E` itself, `&E`, `&str` and `String`, so `event_types` setters take any of
/// them.
pub trait IntoEvent<E>: sealed::Sealed {
    /// `Ok(event)`, or `Err(wire string)` to be parsed when the request is sent.
    #[doc(hidden)]
    fn into_event(self) -> Result<E, String>;
}

/// What error messages say of an event enum.
pub(crate) trait EventKind: Copy + PartialEq + std::str::FromStr {
    /// `prospect`, `business`.
    const NAME: &'static str;
    /// A valid wire string, quoted in errors.
    const EXAMPLE: &'static str;
}

macro_rules! event_kind {
    ($event:ty, $name:literal, $example:literal) => {
        impl EventKind for $event {
            const NAME: &'static str = $name;
            const EXAMPLE: &'static str = $example;
        }

        impl $event {
            #[doc = concat!("Parses a wire string (`", $example, "`), with an error naming the value when it is not one.")]
            pub fn from_wire(value: &str) -> Result<Self, Error> {
                value.parse().map_err(|_| unknown_event::<Self>("event_type", value))
            }
        }

        impl IntoEvent<$event> for $event {
            fn into_event(self) -> Result<$event, String> {
                Ok(self)
            }
        }

        impl IntoEvent<$event> for &$event {
            fn into_event(self) -> Result<$event, String> {
                Ok(*self)
            }
        }
    };
}

event_kind!(ProspectEvent, "prospect", "prospect_changed_role");
event_kind!(BusinessEvent, "business", "new_funding_round");

impl<E> IntoEvent<E> for &str {
    fn into_event(self) -> Result<E, String> {
        Err(self.to_string())
    }
}

impl<E> IntoEvent<E> for String {
    fn into_event(self) -> Result<E, String> {
        Err(self)
    }
}

impl<E> IntoEvent<E> for &String {
    fn into_event(self) -> Result<E, String> {
        Err(self.clone())
    }
}

pub(crate) fn unknown_event<E: EventKind>(field: &str, value: &str) -> Error {
    let value = crate::validate::quoted(value);
    Error::invalid_request(
        field,
        format!(
            "{value} is not a {} event type (e.g. {:?})",
            E::NAME,
            E::EXAMPLE
        ),
    )
}

/// Resolves the setter's inputs: wire strings are parsed here, so `IntoEvent` for strings needs
/// no knowledge of `E`. Duplicates are dropped, order kept.
pub(crate) fn resolve<E: EventKind>(inputs: &[Result<E, String>]) -> Result<Vec<E>, Error> {
    let mut events = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.iter().enumerate() {
        let event = match input {
            Ok(event) => *event,
            Err(wire) => wire
                .parse()
                .map_err(|_| unknown_event::<E>(&format!("event_types[{index}]"), wire))?,
        };
        if !events.contains(&event) {
            events.push(event);
        }
    }
    Ok(events)
}

/// An event name as the server sends it, open to values this crate does not know: a prospect
/// event, a business event, or anything else, kept as sent.
///
/// The service sends names the enums do not list (its simulated webhook events use `award` and
/// `funding_round`), and may add event types at any time; an unknown name is data, not an
/// error. The raw layer's
/// [`generated::types::EventName`](crate::generated::types::EventName) is the wire string.
///
/// ```
/// use explorium::{BusinessEvent, EventName, ProspectEvent};
///
/// assert_eq!(
///     EventName::parse("prospect_changed_role"),
///     EventName::Prospect(ProspectEvent::ProspectChangedRole)
/// );
/// assert_eq!(
///     EventName::parse("new_office").business(),
///     Some(BusinessEvent::NewOffice)
/// );
/// let unknown = EventName::parse("award");
/// assert_eq!(unknown, EventName::Unknown("award".into()));
/// assert_eq!(unknown.to_string(), "award");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventName {
    /// One of the prospect event types.
    Prospect(ProspectEvent),
    /// One of the business event types.
    Business(BusinessEvent),
    /// A name this version of the crate does not know, as sent.
    Unknown(String),
}

impl EventName {
    /// Reads a wire name; never fails (an unknown name is [`EventName::Unknown`]).
    pub fn parse(wire: &str) -> Self {
        if let Ok(event) = wire.parse() {
            Self::Prospect(event)
        } else if let Ok(event) = wire.parse() {
            Self::Business(event)
        } else {
            Self::Unknown(wire.to_string())
        }
    }

    /// The prospect event, if it is one.
    pub fn prospect(&self) -> Option<ProspectEvent> {
        match self {
            Self::Prospect(event) => Some(*event),
            _ => None,
        }
    }

    /// The business event, if it is one.
    pub fn business(&self) -> Option<BusinessEvent> {
        match self {
            Self::Business(event) => Some(*event),
            _ => None,
        }
    }
}

impl std::fmt::Display for EventName {
    /// The wire name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Prospect(event) => event.fmt(f),
            Self::Business(event) => event.fmt(f),
            Self::Unknown(name) => f.write_str(name),
        }
    }
}

/// The wire name, a string.
impl serde::Serialize for EventName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Any string: the prospect and business event types are examples, not a limit, as the service
/// sends other names too.
#[cfg(feature = "schemars")]
impl schemars::JsonSchema for EventName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EventName".into()
    }

    // Distinct from the generated `EventName` (a closed enum), should both be in one schema.
    fn schema_id() -> std::borrow::Cow<'static, str> {
        concat!(module_path!(), "::EventName").into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // The values of the generated enums, so the examples follow the documents.
        let known: Vec<serde_json::Value> = [
            ProspectEvent::json_schema(generator),
            BusinessEvent::json_schema(generator),
        ]
        .iter()
        .filter_map(|schema| schema.get("enum").and_then(serde_json::Value::as_array))
        .flatten()
        .cloned()
        .collect();
        schemars::json_schema!({
            "type": "string",
            "description": "An event's name: a prospect or business event type, or a name added later or used by simulated events.",
            "examples": known,
        })
    }
}

impl From<&str> for EventName {
    fn from(wire: &str) -> Self {
        Self::parse(wire)
    }
}
