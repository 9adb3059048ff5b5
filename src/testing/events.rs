//! Events a test injects ([`TestEvent`]), and fetching them by ids, event types and time window.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::{json, Map, Value};

use super::clock::iso_offset;
use super::schema::detail;
use crate::webhook::EntityType;

/// How far back fetching events looks: the pages say "the last quarter (3 months)", taken as
/// 90 days. An older event is never answered, whatever `timestamp_from` says.
pub const EVENTS_RETENTION: Duration = Duration::from_secs(90 * 24 * 60 * 60);

/// An event for [`LocalServer::push_event`](super::LocalServer::push_event) to inject: what the
/// service would have detected about a prospect or a business.
///
/// ```
/// use explorium::testing::TestEvent;
/// use serde_json::json;
///
/// let event = TestEvent::prospect("20ae6cbf564ee683e66685e429844a5ff8ffc30f", "prospect_changed_company")
///     .event_id("3f7e8cf51cfd522ff0cef2249772ec0c")
///     .data(json!({"current_company_name": "Headovations"}));
/// # let _ = event;
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct TestEvent {
    pub(super) entity_type: EntityType,
    pub(super) entity_id: String,
    pub(super) event_name: String,
    pub(super) event_id: Option<String>,
    pub(super) event_time: Option<SystemTime>,
    pub(super) data: Option<Value>,
    pub(super) enrollment_key: Option<String>,
}

impl TestEvent {
    /// An event about a prospect (40 hex digits, not checked), named as on the wire
    /// (`prospect_changed_role`, or any other name: the service's simulations use names the
    /// enums do not list).
    pub fn prospect(prospect_id: impl Into<String>, event_name: impl Into<String>) -> Self {
        Self::new(EntityType::Prospect, prospect_id.into(), event_name.into())
    }

    /// An event about a business (32 hex digits, not checked), named as on the wire
    /// (`new_funding_round`, ...).
    pub fn business(business_id: impl Into<String>, event_name: impl Into<String>) -> Self {
        Self::new(EntityType::Business, business_id.into(), event_name.into())
    }

    fn new(entity_type: EntityType, entity_id: String, event_name: String) -> Self {
        Self {
            entity_type,
            entity_id,
            event_name,
            event_id: None,
            event_time: None,
            data: None,
            enrollment_key: None,
        }
    }

    /// The event's id. Default: 32 fresh hex digits, as the service's look.
    pub fn event_id(mut self, event_id: impl Into<String>) -> Self {
        self.event_id = Some(event_id.into());
        self
    }

    /// When it happened; `chrono::DateTime<Utc>` converts. Default: the server's
    /// [now](super::LocalServer::now) when pushed.
    pub fn event_time(mut self, time: impl Into<SystemTime>) -> Self {
        self.event_time = Some(time.into());
        self
    }

    /// Its event-specific fields (see each event type's page). Default:
    /// `{"event_name": <the event's name>}`, as the pages' examples begin.
    pub fn data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// Deliver it only for enrollments with this key. Default: for every enrollment that
    /// watches the entity for this event name.
    pub fn enrollment_key(mut self, key: impl Into<String>) -> Self {
        self.enrollment_key = Some(key.into());
        self
    }
}

/// An injected event, its defaults filled in.
#[derive(Debug, Clone)]
pub(super) struct StoredEvent {
    pub(super) entity_type: EntityType,
    pub(super) entity_id: String,
    pub(super) event_name: String,
    pub(super) event_id: String,
    pub(super) event_time: SystemTime,
    pub(super) data: Value,
    pub(super) enrollment_key: Option<String>,
}

impl StoredEvent {
    pub(super) fn new(
        event: TestEvent,
        fresh_id: impl FnOnce() -> String,
        now: SystemTime,
    ) -> Self {
        let data = event
            .data
            .unwrap_or_else(|| json!({ "event_name": event.event_name }));
        Self {
            event_id: event.event_id.unwrap_or_else(fresh_id),
            event_time: event.event_time.unwrap_or(now),
            entity_type: event.entity_type,
            entity_id: event.entity_id,
            event_name: event.event_name,
            data,
            enrollment_key: event.enrollment_key,
        }
    }
}

/// What a fetch asks for, read from a body the schema accepted.
pub(super) struct Query<'a> {
    /// `prospect` or `business`, from the ids field's name.
    entity: &'a str,
    ids: Vec<&'a str>,
    event_types: Vec<&'a str>,
    from: SystemTime,
    to: Option<SystemTime>,
}

impl<'a> Query<'a> {
    /// The query in `body`, or the 422 `detail` entries of an unreadable timestamp.
    pub(super) fn read(body: &'a Map<String, Value>, now: SystemTime) -> Result<Self, Vec<Value>> {
        let strings = |field: &str| -> Vec<&'a str> {
            body.get(field)
                .and_then(Value::as_array)
                .map(|items| items.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default()
        };
        let (ids_field, entity) = body
            .keys()
            .find_map(|key| Some((key.as_str(), key.strip_suffix("_ids")?)))
            .unwrap_or(("", ""));
        let mut errors = Vec::new();
        let mut bound = |field: &str| match body.get(field).and_then(Value::as_str) {
            None => None,
            Some(text) => parse_time(text).or_else(|| {
                errors.push(detail(
                    vec!["body".into(), field.into()],
                    format!(
                        "Value error, expected an ISO date-time or a YYYY-MM-DD date: '{text}'"
                    ),
                    "value_error",
                ));
                None
            }),
        };
        let (from, to) = (bound("timestamp_from"), bound("timestamp_to"));
        if !errors.is_empty() {
            return Err(errors);
        }
        let oldest = now.checked_sub(EVENTS_RETENTION).unwrap_or(now);
        Ok(Self {
            entity,
            ids: strings(ids_field),
            event_types: strings("event_types"),
            from: from.map_or(oldest, |from| from.max(oldest)),
            to,
        })
    }

    /// The matching events, most recent first (in the order pushed among equal times), in the
    /// documented shape.
    pub(super) fn answer(&self, events: &[StoredEvent]) -> Vec<Value> {
        let mut matching: Vec<&StoredEvent> = events
            .iter()
            .filter(|e| e.entity_type.as_str() == self.entity)
            .filter(|e| self.ids.contains(&e.entity_id.as_str()))
            .filter(|e| self.event_types.contains(&e.event_name.as_str()))
            .filter(|e| e.event_time >= self.from && self.to.is_none_or(|to| e.event_time <= to))
            .collect();
        matching.sort_by_key(|event| std::cmp::Reverse(event.event_time));
        let id_field = format!("{}_id", self.entity);
        matching
            .into_iter()
            .map(|event| {
                let mut output = Map::new();
                output.insert("event_name".into(), event.event_name.clone().into());
                output.insert("event_time".into(), iso_offset(event.event_time).into());
                output.insert("event_id".into(), event.event_id.clone().into());
                output.insert("data".into(), event.data.clone());
                output.insert(id_field.clone(), event.entity_id.clone().into());
                Value::Object(output)
            })
            .collect()
    }
}

/// An ISO 8601 date-time (with an offset, or without: UTC), or a `YYYY-MM-DD` date (its
/// midnight, UTC), as the schema describes `timestamp_from` and `timestamp_to`.
pub(super) fn parse_time(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.into());
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|date| date.and_hms_opt(0, 0, 0))
    })?;
    Some(naive.and_utc().into())
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    #[test]
    fn timestamps_are_read_in_the_forms_the_schema_names() {
        let at = |text| parse_time(text).map(|t| DateTime::<Utc>::from(t).to_rfc3339());
        assert_eq!(
            at("2024-01-01T10:03:03.050Z").as_deref(),
            Some("2024-01-01T10:03:03.050+00:00")
        );
        assert_eq!(
            at("2024-01-01T12:03:03+02:00").as_deref(),
            Some("2024-01-01T10:03:03+00:00")
        );
        assert_eq!(
            at("2024-01-01T10:03:03").as_deref(),
            Some("2024-01-01T10:03:03+00:00")
        );
        assert_eq!(
            at("2024-01-01").as_deref(),
            Some("2024-01-01T00:00:00+00:00")
        );
        for bad in [
            "",
            "yesterday",
            "2024-13-01",
            "2024-01-01T25:00:00Z",
            "1704103383",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }
}
