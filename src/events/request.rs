//! What the enrollment builders share: the id and event lists and their setters.

use crate::events::event_types::{resolve, EventKind, IntoEvent};
use crate::events::rules;
use crate::transport::error::Error;
use crate::validate;

/// The lists of one request, as the caller gave them; checked by [`Lists::checked`].
#[derive(Debug, Clone)]
pub(crate) struct Lists<E> {
    pub(crate) ids: Vec<String>,
    pub(crate) events: Vec<Result<E, String>>,
}

impl<E> Default for Lists<E> {
    fn default() -> Self {
        Self {
            ids: Vec::new(),
            events: Vec::new(),
        }
    }
}

impl<E: EventKind> Lists<E> {
    pub(crate) fn add_ids<I>(&mut self, ids: I)
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.ids.extend(ids.into_iter().map(Into::into));
    }

    pub(crate) fn add_events<I>(&mut self, events: I)
    where
        I: IntoIterator,
        I::Item: IntoEvent<E>,
    {
        self.events
            .extend(events.into_iter().map(IntoEvent::into_event));
    }

    /// The ids (checked, deduplicated) and events (parsed, deduplicated), or the first rule
    /// broken.
    pub(crate) fn checked(
        &self,
        ids_field: &str,
        hex_len: usize,
        max_ids: usize,
    ) -> Result<(Vec<String>, Vec<E>), Error> {
        let ids = validate::ids(ids_field, &self.ids, hex_len, max_ids)?;
        let events = resolve(&self.events)?;
        rules::not_empty("event_types", &events)?;
        Ok((ids, events))
    }
}

/// An enrollment request body, serialized straight from lists already checked: the JSON of the
/// generated request type (`body()` of each builder; a test checks they agree), without
/// building it, which would check every id a second time (typify's regular expression) and
/// copy every string. For adds (`enrollment_id: None`), updates, and deletes (only
/// `enrollment_id`).
pub(crate) struct EnrollmentBody<'a, E> {
    pub(crate) enrollment_id: Option<&'a str>,
    pub(crate) enrollment_key: Option<&'a str>,
    pub(crate) ids_field: &'static str,
    pub(crate) ids: &'a [&'a str],
    pub(crate) events: &'a [E],
}

impl<E: serde::Serialize> serde::Serialize for EnrollmentBody<'_, E> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        if let Some(id) = self.enrollment_id {
            map.serialize_entry("enrollment_id", id)?;
        }
        if let Some(key) = self.enrollment_key {
            map.serialize_entry("enrollment_key", key)?;
            map.serialize_entry(self.ids_field, self.ids)?;
            map.serialize_entry("event_types", self.events)?;
        }
        map.end()
    }
}

/// Turns the generated types' conversion error (unreachable once `validate` passed, since both
/// check the same schema rule) into ours.
pub(crate) fn conversion<T, E: std::fmt::Display>(
    field: &str,
    result: Result<T, E>,
) -> Result<T, Error> {
    result.map_err(|e| Error::invalid_request(field, e))
}

/// The setters every enrollment and fetch builder has: `$ids` / `$id` for its id list (1 to
/// `$max` after deduplication), `event_types` / `event_type` for its events.
macro_rules! list_setters {
    ($builder:ident, $ids:ident, $id:ident, $event:ty, $what:literal) => {
        list_setters!($builder, $ids, $id, $event, $what, "20");
    };
    ($builder:ident, $ids:ident, $id:ident, $event:ty, $what:literal, $max:literal) => {
        impl $builder {
            #[doc = concat!("Adds ", $what, " ids (", stringify!($ids), "); any iterator of `&str` or `String`.")]
            ///
            /// Checked when sent: each must be the right number of lowercase hex digits, and
            #[doc = concat!("1 to ", $max, " remain after duplicates are dropped (first occurrence kept, order")]
            /// kept). Default: none.
            pub fn $ids<I>(mut self, ids: I) -> Self
            where
                I: IntoIterator,
                I::Item: Into<String>,
            {
                self.lists.add_ids(ids);
                self
            }

            #[doc = concat!("Adds one ", $what, " id. See [`", stringify!($builder), "::", stringify!($ids), "`].")]
            pub fn $id(mut self, id: impl Into<String>) -> Self {
                self.lists.add_ids([id]);
                self
            }

            #[doc = concat!("Adds event types: [`", stringify!($event), "`] values, or their wire strings.")]
            ///
            /// Wire strings are checked when sent; at least one event type is required;
            /// duplicates are dropped (order kept). Default: none.
            pub fn event_types<I>(mut self, events: I) -> Self
            where
                I: IntoIterator,
                I::Item: crate::events::event_types::IntoEvent<$event>,
            {
                self.lists.add_events(events);
                self
            }

            /// Adds one event type. See the `event_types` setter.
            pub fn event_type(mut self, event: impl crate::events::event_types::IntoEvent<$event>) -> Self {
                self.lists.add_events([event]);
                self
            }
        }
    };
}

pub(crate) use list_setters;
