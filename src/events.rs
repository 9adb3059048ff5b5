//! Event types: the generated enums, plus parsing from wire strings with clear errors.

use crate::error::Error;
use crate::generated::types;

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

macro_rules! event_kind {
    ($event:ty, $what:literal) => {
        impl $event {
            #[doc = concat!("Parses a wire string (`", $what, "`), with an error naming the value when it is not one.")]
            pub fn from_wire(value: &str) -> Result<Self, Error> {
                value.parse().map_err(|_| unknown_event("event_type", value, $what))
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

event_kind!(ProspectEvent, "prospect_changed_role");
event_kind!(BusinessEvent, "new_funding_round");

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

pub(crate) fn unknown_event(field: &str, value: &str, example: &str) -> Error {
    let kind = if example.starts_with("prospect") {
        "prospect"
    } else {
        "business"
    };
    Error::invalid_request(
        field,
        format!("{value:?} is not a {kind} event type (e.g. {example:?})"),
    )
}

/// Resolves the setter's inputs: wire strings are parsed here, so `IntoEvent` for strings needs
/// no knowledge of `E`.
pub(crate) fn resolve<E>(inputs: &[Result<E, String>], example: &str) -> Result<Vec<E>, Error>
where
    E: Copy + PartialEq + std::str::FromStr,
{
    let mut events = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.iter().enumerate() {
        let event = match input {
            Ok(event) => *event,
            Err(wire) => wire
                .parse()
                .map_err(|_| unknown_event(&format!("event_types[{index}]"), wire, example))?,
        };
        // Duplicates are dropped, order kept.
        if !events.contains(&event) {
            events.push(event);
        }
    }
    Ok(events)
}
