//! Partners' webhooks: the add, get, delete and check-connectivity operations.

use std::fmt;
use std::time::SystemTime;

use base64::engine::general_purpose::URL_SAFE;
use base64::Engine as _;
use hyper::{Response, StatusCode};
use serde_json::{json, Map, Value};
use tokio::time::Instant;

use super::clock::{iso_millis_z, iso_offset};
use super::deliveries::{tenant_id, Delivery, DeliveryKind, Outgoing, Payload};
use super::serve::{json_response, Body};
use super::state::{error_response, response_context, Answer, Call, State};

/// The bytes of a fresh webhook secret, before base64url.
const SECRET_BYTES: usize = 32;

/// A partner's webhook as the server keeps it.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct StoredWebhook {
    /// The partner it belongs to.
    pub partner_id: String,
    /// Where deliveries go.
    pub webhook_url: String,
    /// The secret deliveries are signed with, as the server answered it (base64url). Not in
    /// `Debug` output.
    pub webhook_secret: String,
    /// When the partner first registered a webhook.
    pub created_at: SystemTime,
    /// When it was last registered (which rotated the secret).
    pub last_modified_time: SystemTime,
    pub(super) owner: usize,
}

impl fmt::Debug for StoredWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredWebhook")
            .field("partner_id", &self.partner_id)
            .field("webhook_url", &self.webhook_url)
            .field("webhook_secret", &"[redacted]")
            .field("created_at", &self.created_at)
            .field("last_modified_time", &self.last_modified_time)
            .finish_non_exhaustive()
    }
}

/// A fresh secret: 32 random bytes, base64url with padding (what Python's
/// `urlsafe_b64encode` makes, and the documentation's receiver decodes).
pub(super) fn fresh_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    // The system generator does not fail on the platforms Tokio runs on; if it ever did, a
    // secret of zeros is still a valid (if guessable) secret for a test server.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    URL_SAFE.encode(bytes)
}

/// The event a connectivity check sends without a simulation: the first of the simulation
/// types the webhooks page lists.
const CHECK_EVENT_NAME: &str = "new_office";

/// The `enrollment_key` of connectivity-check events (no enrollment is involved).
pub const CHECK_ENROLLMENT_KEY: &str = "webhook_connectivity_check";

/// The documented fields of a webhook, as the add and get operations answer them.
fn webhook_fields(webhook: &StoredWebhook) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("created_at".into(), iso_millis_z(webhook.created_at).into());
    fields.insert(
        "last_modified_time".into(),
        iso_millis_z(webhook.last_modified_time).into(),
    );
    fields.insert("webhook_url".into(), webhook.webhook_url.clone().into());
    fields.insert(
        "webhook_secret".into(),
        webhook.webhook_secret.clone().into(),
    );
    fields
}

fn not_found(state: &mut State, partner_id: &str) -> Response<Body> {
    let details = format!("no webhook registered for partner `{partner_id}`");
    error_response(state, StatusCode::NOT_FOUND, &details)
}

/// `POST /v1/webhooks`: the partner's one webhook, created or replaced, with a fresh secret.
pub(super) fn register(state: &mut State, call: &Call<'_>) -> Response<Body> {
    let partner_id = call.text("partner_id");
    let webhook_url = call.text("webhook_url");
    let webhook_secret = fresh_secret();
    let webhook = state
        .webhooks
        .entry((call.owner, partner_id.clone()))
        .and_modify(|webhook| {
            webhook.webhook_url.clone_from(&webhook_url);
            webhook.webhook_secret.clone_from(&webhook_secret);
            webhook.last_modified_time = call.now;
        })
        .or_insert_with(|| StoredWebhook {
            partner_id,
            webhook_url,
            webhook_secret,
            created_at: call.now,
            last_modified_time: call.now,
            owner: call.owner,
        });
    let fields = webhook_fields(webhook);
    call.success(state, fields)
}

fn path_partner<'p>(call: &Call<'p>) -> &'p str {
    call.operation
        .path_parameter(call.path, "partner_id")
        .unwrap_or_default()
}

/// `GET /v1/webhooks/{partner_id}`.
pub(super) fn get(state: &mut State, call: &Call<'_>) -> Response<Body> {
    let partner_id = path_partner(call);
    match state.webhooks.get(&(call.owner, partner_id.to_string())) {
        None => not_found(state, partner_id),
        Some(webhook) => {
            let fields = webhook_fields(webhook);
            call.success(state, fields)
        }
    }
}

/// `DELETE /v1/webhooks/{partner_id}`.
pub(super) fn delete(state: &mut State, call: &Call<'_>) -> Response<Body> {
    let partner_id = path_partner(call);
    match state.webhooks.remove(&(call.owner, partner_id.to_string())) {
        None => not_found(state, partner_id),
        Some(_) => call.success(state, Map::new()),
    }
}

/// `POST /v1/webhooks/check_connectivity`: test events to send, then the answer to give.
pub(super) fn check(state: &mut State, call: &Call<'_>) -> Answer {
    let partner_id = call.text("partner_id");
    let Some(webhook) = state
        .webhooks
        .get(&(call.owner, partner_id.clone()))
        .cloned()
    else {
        return Answer::Ready(not_found(state, &partner_id));
    };
    let simulation = call.body.get("simulation");
    let setting = |field: &str| simulation.and_then(|s| s.get(field));
    let event_name = setting("event_name")
        .and_then(Value::as_str)
        .unwrap_or(CHECK_EVENT_NAME)
        .to_string();
    let count = setting("number_of_events")
        .and_then(Value::as_u64)
        .unwrap_or(1);
    let event_time = setting("event_time")
        .and_then(Value::as_str)
        .map_or_else(|| iso_offset(call.now), String::from);
    let (entity_type, id_digits) = if event_name.starts_with("prospect_") {
        ("prospect", 40)
    } else {
        ("business", 32)
    };
    let data = json!({ "event_name": event_name, "event_time": event_time });
    let mut outgoing = Vec::new();
    for _ in 0..count {
        let mut entity_id = state.correlation_id();
        entity_id.push_str(&state.correlation_id());
        entity_id.truncate(id_digits);
        let event_id = state.correlation_id();
        let payload = Payload {
            tenant_id: tenant_id(call.owner),
            partner_id: &webhook.partner_id,
            event_id: &event_id,
            event_name: &event_name,
            entity_id: &entity_id,
            entity_type,
            data: &data,
            enrollment_key: CHECK_ENROLLMENT_KEY,
        };
        outgoing.push(Outgoing::new(
            DeliveryKind::ConnectivityCheck,
            &webhook,
            &payload,
            call.now,
        ));
    }
    Answer::Deliver(Check {
        outgoing,
        context_name: call.context_name.to_string(),
        started: call.started,
    })
}

/// A connectivity check waiting for its deliveries.
pub(super) struct Check {
    pub(super) outgoing: Vec<Outgoing>,
    context_name: String,
    started: Instant,
}

impl Check {
    /// The answer once the deliveries are made: `request_status` `success` when the receiver
    /// answered each with a 2xx, `failure` otherwise.
    pub(super) fn answer(&self, state: &mut State, deliveries: &[Delivery]) -> Response<Body> {
        let delivered = deliveries.iter().all(|d| {
            d.status()
                .is_some_and(|status| (200..300).contains(&status))
        });
        let status = if delivered { "success" } else { "failure" };
        let mut body = Map::new();
        body.insert(
            self.context_name.clone(),
            response_context(state, self.started, status),
        );
        json_response(StatusCode::OK, &Value::Object(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::Verifier;

    #[test]
    fn fresh_secrets_are_distinct_base64url_of_32_bytes() {
        let (a, b) = (fresh_secret(), fresh_secret());
        assert_ne!(a, b);
        assert_eq!(URL_SAFE.decode(&a).unwrap().len(), SECRET_BYTES);
        assert!(Verifier::new(a.as_str()).is_ok());
    }
}
