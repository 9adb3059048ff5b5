//! What the server keeps between requests (enrollments, injected events, webhooks, pending
//! faults, the journals, the rate-limit windows, the id generator), and each operation's effect
//! on it.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::time::SystemTime;

use super::json::field as get;
use hyper::{Response, StatusCode};
use serde_json::{json, Map, Value};
use tokio::time::Instant;

use super::credits::{self, Ledger};
use super::deliveries::{self, Delivery, Outgoing};
use super::events::{Query, StoredEvent};
use super::journal::Journal;
use super::rate_limit::Windows;
use super::serve::{json_response, Body};
use super::spec::{Effect, Operation, Spec};
use super::webhooks::{self, StoredWebhook};
use super::world::{Entity, World, WorldConfig};
use super::Fault;

/// An enrollment the server keeps.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StoredEnrollment {
    /// The id the server generated.
    pub enrollment_id: String,
    /// The caller's key for it.
    pub enrollment_key: String,
    /// The path it was created on (`/v1/prospects/events/enrollments`, ...).
    pub path: String,
    /// Its lists (`prospect_ids`, `event_types`, ...): the last body accepted for it, less
    /// `enrollment_key`, `enrollment_id` and `request_context`.
    pub lists: Map<String, Value>,
    pub(super) owner: usize,
    /// Creation order, for listing.
    pub(super) order: u64,
}

pub(super) struct State {
    pub(super) enrollments: HashMap<String, StoredEnrollment>,
    pub(super) faults: VecDeque<Fault>,
    pub(super) journal: Journal,
    pub(super) windows: Windows,
    pub(super) events: Vec<StoredEvent>,
    /// By API key (its index) and partner id.
    pub(super) webhooks: BTreeMap<(usize, String), StoredWebhook>,
    pub(super) deliveries: VecDeque<Delivery>,
    pub(super) ledger: Ledger,
    /// Made on first use: most tests never need it.
    world: Option<World>,
    world_config: WorldConfig,
    /// The year at start, for company ages.
    year: u16,
    journal_capacity: usize,
    ids: RandomState,
    counter: u64,
}

impl State {
    pub(super) fn new(
        journal_capacity: usize,
        world_config: WorldConfig,
        credits: u64,
        year: u16,
    ) -> Self {
        Self {
            ledger: Ledger::new(credits),
            world: None,
            world_config,
            year,
            enrollments: HashMap::new(),
            faults: VecDeque::new(),
            journal: Journal::new(journal_capacity),
            windows: Windows::default(),
            events: Vec::new(),
            webhooks: BTreeMap::new(),
            deliveries: VecDeque::new(),
            journal_capacity,
            ids: RandomState::new(),
            counter: 0,
        }
    }

    /// The world, made on first use.
    pub(super) fn world(&mut self) -> &mut World {
        let (config, year) = (self.world_config, self.year);
        self.world.get_or_insert_with(|| World::new(config, year))
    }

    pub(super) fn hex(&mut self) -> u64 {
        self.counter += 1;
        self.ids.hash_one(self.counter)
    }

    /// 32 hex digits: correlation ids, event ids.
    pub(super) fn correlation_id(&mut self) -> String {
        format!("{:016x}{:016x}", self.hex(), self.hex())
    }

    /// Stores an enrollment, in creation order.
    pub(super) fn insert_enrollment(
        &mut self,
        enrollment_id: String,
        enrollment_key: String,
        path: String,
        lists: Map<String, Value>,
        owner: usize,
    ) {
        self.counter += 1;
        let enrollment = StoredEnrollment {
            enrollment_id: enrollment_id.clone(),
            enrollment_key,
            path,
            lists,
            owner,
            order: self.counter,
        };
        self.enrollments.insert(enrollment_id, enrollment);
    }

    /// Keeps an injected event, and signs a delivery of it for each webhook of each API key
    /// with an enrollment watching it: its entity among the enrollment's ids, its name among
    /// the enrollment's event types, and its key, if the event names one. One delivery per
    /// webhook and enrollment key.
    pub(super) fn push_event(&mut self, event: StoredEvent, now: SystemTime) -> Vec<Outgoing> {
        let ids_field = format!("{}_ids", event.entity_type.as_str());
        let lists = |e: &StoredEnrollment, field: &str, wanted: &str| {
            e.lists
                .get(field)
                .and_then(Value::as_array)
                .is_some_and(|items| items.iter().any(|item| item == wanted))
        };
        let mut watching: Vec<(usize, &str)> = self
            .enrollments
            .values()
            .filter(|e| {
                event
                    .enrollment_key
                    .as_ref()
                    .is_none_or(|key| *key == e.enrollment_key)
            })
            .filter(|e| lists(e, &ids_field, &event.entity_id))
            .filter(|e| lists(e, "event_types", &event.event_name))
            .map(|e| (e.owner, e.enrollment_key.as_str()))
            .collect();
        watching.sort_unstable();
        watching.dedup();
        let mut outgoing = Vec::new();
        for (owner, enrollment_key) in watching {
            for webhook in self.webhooks.values().filter(|w| w.owner == owner) {
                let payload = deliveries::Payload {
                    tenant_id: deliveries::tenant_id(owner),
                    partner_id: &webhook.partner_id,
                    event_id: &event.event_id,
                    event_name: &event.event_name,
                    entity_id: &event.entity_id,
                    entity_type: event.entity_type.as_str(),
                    data: &event.data,
                    enrollment_key,
                };
                outgoing.push(Outgoing::new(
                    deliveries::DeliveryKind::Event,
                    webhook,
                    &payload,
                    now,
                ));
            }
        }
        self.events.push(event);
        outgoing
    }

    /// Records a delivery attempt, forgetting the oldest beyond the journal's capacity.
    pub(super) fn record_delivery(&mut self, delivery: Delivery) {
        if self.journal_capacity == 0 {
            return;
        }
        if self.deliveries.len() == self.journal_capacity {
            self.deliveries.pop_front();
        }
        self.deliveries.push_back(delivery);
    }
}

/// A valid request, as the state sees it.
pub(super) struct Call<'a> {
    pub(super) spec: &'a Spec,
    pub(super) operation: &'a Operation,
    /// Its path and query parameters, converted and defaulted.
    pub(super) params: Map<String, Value>,
    /// The path asked for, under the server's prefix: path parameters are read from it.
    pub(super) path: &'a str,
    /// The API key's index: what the service calls the account.
    pub(super) owner: usize,
    pub(super) body: Map<String, Value>,
    pub(super) context_name: &'a str,
    pub(super) started: Instant,
    pub(super) now: SystemTime,
}

impl Call<'_> {
    /// A string field of the body (`""` if absent: the schema requires those read).
    pub(super) fn text(&self, field: &str) -> String {
        self.body
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    }

    /// The documented success body: the response context, then `fields`.
    pub(super) fn success(&self, state: &mut State, fields: Map<String, Value>) -> Response<Body> {
        self.answer(state, "success", fields)
    }

    /// A 200 answer: the response context with this `request_status`, then `fields`.
    pub(super) fn answer(
        &self,
        state: &mut State,
        status: &str,
        fields: Map<String, Value>,
    ) -> Response<Body> {
        let mut body = Map::new();
        body.insert(
            self.context_name.into(),
            response_context(state, self.started, status),
        );
        body.extend(fields);
        json_response(StatusCode::OK, &Value::Object(body))
    }
}

/// The documented `ResponseContext`.
pub(super) fn response_context(state: &mut State, started: Instant, status: &str) -> Value {
    json!({
        "correlation_id": state.correlation_id(),
        "request_status": status,
        "time_took_in_seconds": started.elapsed().as_secs_f64(),
    })
}

/// What the server answers a valid request.
pub(super) enum Answer {
    Ready(Response<Body>),
    /// Deliveries to make first, then the answer to give (a connectivity check).
    Deliver(webhooks::Check),
}

/// The operation's effect on the state, and its answer.
pub(super) fn apply(state: &mut State, call: Call<'_>) -> Answer {
    let response = match call.operation.effect {
        Effect::CreateEnrollment => create_enrollment(state, call),
        Effect::UpdateEnrollment => update_enrollment(state, call),
        Effect::ListEnrollments => list_enrollments(state, &call),
        Effect::DeleteEnrollment => delete_enrollment(state, &call),
        Effect::FetchEvents => fetch_events(state, &call),
        Effect::RegisterWebhook => webhooks::register(state, &call),
        Effect::GetWebhook => webhooks::get(state, &call),
        Effect::DeleteWebhook => webhooks::delete(state, &call),
        Effect::CheckWebhookConnectivity => return webhooks::check(state, &call),
        Effect::Match | Effect::Fetch | Effect::Stats | Effect::Autocomplete | Effect::Enrich => {
            data(state, &call)
        }
        Effect::CreditsSummary => credits::summary(state, &call),
        Effect::CreditsAggregation => credits::aggregation(state, &call),
        Effect::Text => text(&call),
        Effect::NotSimulated => {
            let operation = call.operation;
            let details = format!(
                "the local server does not simulate {} ({} {})",
                operation.id, operation.method, operation.path
            );
            error_response(state, StatusCode::NOT_IMPLEMENTED, &details)
        }
    };
    Answer::Ready(response)
}

/// What the data operations answer, from the world.
fn data(state: &mut State, call: &Call<'_>) -> Response<Body> {
    let operation = call.operation;
    let request = operation.request.as_ref().map(|r| call.spec.resolve(r));
    let fields: Vec<&str> = request
        .and_then(|r| r["properties"].as_object())
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let entity = Entity::of(&operation.path, &fields).unwrap_or(Entity::Business);
    let response = operation.response.clone().unwrap_or(Value::Null);
    let spec = call.spec;
    let invalid = |details: Vec<Value>| {
        json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({ "detail": details }),
        )
    };
    match operation.effect {
        Effect::Match => {
            let request = operation.request.clone().unwrap_or(Value::Null);
            let fields = super::matching::answer(spec, state.world(), entity, &request, &call.body);
            call.success(state, fields)
        }
        Effect::Fetch => {
            match super::search::fetch(spec, state.world(), entity, &response, &call.body) {
                Err(details) => invalid(details),
                Ok(page) => {
                    // `full` rows cost a credit each; a preview is free.
                    let cost = if get(&call.body, "mode") == "full" {
                        page.rows as u64
                    } else {
                        0
                    };
                    credits::charged(state, call, cost, "success", page.fields)
                }
            }
        }
        Effect::Stats => {
            match super::search::stats(spec, state.world(), entity, &response, &call.body) {
                Err(details) => invalid(details),
                Ok(fields) => call.success(state, fields),
            }
        }
        Effect::Autocomplete => match super::autocomplete::answer(state.world(), &call.params) {
            Err(details) => invalid(details),
            Ok(items) => json_response(StatusCode::OK, &Value::Array(items)),
        },
        _ => {
            let enriched =
                super::enrich::answer(spec, state.world(), operation, &call.params, &call.body);
            let status = if enriched.found { "success" } else { "miss" };
            credits::charged(state, call, enriched.cost, status, enriched.fields)
        }
    }
}

/// The bare strings: the version is the document's; a payload check answers as many
/// characters as asked; a health check, `OK`.
fn text(call: &Call<'_>) -> Response<Body> {
    let body = if call.operation.path.contains("version") {
        call.spec.version.clone()
    } else if let Some(bytes) = call.params.values().find_map(Value::as_i64) {
        "x".repeat(bytes.clamp(0, 1_000_000) as usize)
    } else {
        "OK".to_string()
    };
    json_response(StatusCode::OK, &Value::String(body))
}

/// The fields an enrollment's body holds besides its lists.
const NOT_LISTS: [&str; 3] = ["enrollment_key", "enrollment_id", "request_context"];

fn create_enrollment(state: &mut State, mut call: Call<'_>) -> Response<Body> {
    let enrollment_key = call.text("enrollment_key");
    let enrollment_id = format!("en_{:08x}", state.hex() as u32);
    let mut lists = std::mem::take(&mut call.body);
    for field in NOT_LISTS {
        lists.remove(field);
    }
    state.insert_enrollment(
        enrollment_id.clone(),
        enrollment_key.clone(),
        call.operation.path.clone(),
        lists,
        call.owner,
    );
    enrollment_answer(state, &call, &enrollment_key, &enrollment_id)
}

fn update_enrollment(state: &mut State, mut call: Call<'_>) -> Response<Body> {
    let enrollment_key = call.text("enrollment_key");
    let enrollment_id = call.text("enrollment_id");
    let found = state.enrollments.get_mut(&enrollment_id).filter(|e| {
        e.owner == call.owner && e.path == call.operation.path && e.enrollment_key == enrollment_key
    });
    let Some(enrollment) = found else {
        let details = format!("enrollment `{enrollment_id}` with key `{enrollment_key}` not found");
        return error_response(state, StatusCode::NOT_FOUND, &details);
    };
    let mut lists = std::mem::take(&mut call.body);
    for field in NOT_LISTS {
        lists.remove(field);
    }
    enrollment.lists = lists;
    enrollment_answer(state, &call, &enrollment_key, &enrollment_id)
}

fn enrollment_answer(state: &mut State, call: &Call<'_>, key: &str, id: &str) -> Response<Body> {
    let correlation_id = state.correlation_id();
    let took = call.started.elapsed().as_secs_f64();
    json_response(
        StatusCode::OK,
        &success_body(call.context_name, &correlation_id, took, key, id),
    )
}

/// The calling key's enrollments on this path, in creation order, each with every list the
/// documented shape requires (empty for one stored by `insert_enrollment`).
fn list_enrollments(state: &mut State, call: &Call<'_>) -> Response<Body> {
    let mut mine: Vec<&StoredEnrollment> = state
        .enrollments
        .values()
        .filter(|e| e.owner == call.owner && e.path == call.operation.path)
        .collect();
    mine.sort_by_key(|e| e.order);
    let listed: Vec<Value> = mine
        .into_iter()
        .map(|e| {
            let mut item = Map::new();
            item.insert("enrollment_id".into(), e.enrollment_id.clone().into());
            item.insert("enrollment_key".into(), e.enrollment_key.clone().into());
            for field in &call.operation.listed_arrays {
                let list = e.lists.get(field).cloned().unwrap_or(json!([]));
                item.insert(field.clone(), list);
            }
            Value::Object(item)
        })
        .collect();
    let mut fields = Map::new();
    fields.insert("enrollments".into(), listed.into());
    call.success(state, fields)
}

/// Removes one of the calling key's enrollments on this path; any other id is not found.
fn delete_enrollment(state: &mut State, call: &Call<'_>) -> Response<Body> {
    let enrollment_id = call.text("enrollment_id");
    let mine = state
        .enrollments
        .get(&enrollment_id)
        .is_some_and(|e| e.owner == call.owner && e.path == call.operation.path);
    if !mine {
        let details = format!("enrollment `{enrollment_id}` not found");
        return error_response(state, StatusCode::NOT_FOUND, &details);
    }
    state.enrollments.remove(&enrollment_id);
    let mut fields = Map::new();
    fields.insert("status".into(), "success".into());
    call.success(state, fields)
}

/// The injected events matching the ids, event types and window asked for.
fn fetch_events(state: &mut State, call: &Call<'_>) -> Response<Body> {
    match Query::read(&call.body, call.now) {
        Err(details) => json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({ "detail": details }),
        ),
        Ok(query) => {
            let events = query.answer(&state.events);
            let mut fields = Map::new();
            fields.insert("output_events".into(), events.into());
            call.success(state, fields)
        }
    }
}

/// The documented success body, its context named `context_name`.
pub(super) fn success_body(
    context_name: &str,
    correlation_id: &str,
    took: f64,
    key: &str,
    id: &str,
) -> Value {
    let mut body = Map::new();
    body.insert(
        context_name.into(),
        json!({"correlation_id": correlation_id, "request_status": "success", "time_took_in_seconds": took}),
    );
    body.insert("enrollment_key".into(), key.into());
    body.insert("enrollment_id".into(), id.into());
    Value::Object(body)
}

/// The documented general error body.
pub(super) fn error_response(
    state: &mut State,
    status: StatusCode,
    details: &str,
) -> Response<Body> {
    json_response(
        status,
        &json!({"details": details, "correlation_id": state.correlation_id()}),
    )
}
