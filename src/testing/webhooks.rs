//! Partners' webhooks, and the signed deliveries the server makes to them.

use std::fmt;
use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::URL_SAFE;
use base64::Engine as _;
use bytes::Bytes;
use hyper::{Response, StatusCode};
use serde::Serialize;
use serde_json::{json, Map, Value};
use tokio::time::Instant;

use super::clock::{iso_millis_z, iso_offset, unix_seconds};
use super::serve::{json_response, Body};
use super::state::{error_response, response_context, Answer, Call, State};
use crate::webhook::{Verifier, SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// How long the server waits for a receiver's answer to a delivery by default.
pub const DEFAULT_DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

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

/// One delivery the server attempted: what it sent, and what came of it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Delivery {
    /// Why it was sent.
    pub kind: DeliveryKind,
    /// The partner whose webhook it went to.
    pub partner_id: String,
    /// The URL it was sent to.
    pub url: String,
    /// The delivered event's `event_id`.
    pub event_id: String,
    /// The `X-Timestamp` header sent: Unix seconds.
    pub timestamp: String,
    /// The `X-Signature` header sent.
    pub signature: String,
    /// The body sent, exactly: what the signature covers.
    pub body: Bytes,
    /// What came of it.
    pub outcome: DeliveryOutcome,
}

impl Delivery {
    /// The receiver's status, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self.outcome {
            DeliveryOutcome::Answered(status) => Some(status),
            _ => None,
        }
    }
}

/// Why the server delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryKind {
    /// An event pushed with [`LocalServer::push_event`](super::LocalServer::push_event), for an
    /// enrollment watching it.
    Event,
    /// A test event sent by `POST /v1/webhooks/check_connectivity`.
    ConnectivityCheck,
}

/// What came of a delivery.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DeliveryOutcome {
    /// The receiver answered this status.
    Answered(u16),
    /// No answer: the connection was refused or broken, or the receiver took longer than
    /// [`LocalServerBuilder::delivery_timeout`](super::LocalServerBuilder::delivery_timeout).
    /// The error's text.
    Failed(String),
    /// Not attempted: the URL is not `http` or `https` to a loopback IP address (`127.0.0.0/8`,
    /// `[::1]`). The local server delivers nowhere else.
    NotLoopback,
}

/// The documented payload of a delivery, in the documented field order.
#[derive(Serialize)]
pub(super) struct Payload<'a> {
    pub(super) tenant_id: String,
    pub(super) partner_id: &'a str,
    pub(super) event_id: &'a str,
    pub(super) event_name: &'a str,
    pub(super) entity_id: &'a str,
    pub(super) entity_type: &'a str,
    pub(super) data: &'a Value,
    pub(super) enrollment_key: &'a str,
}

/// A delivery ready to send: signed, not yet attempted.
#[derive(Debug)]
pub(super) struct Outgoing {
    kind: DeliveryKind,
    partner_id: String,
    url: String,
    event_id: String,
    timestamp: String,
    signature: String,
    body: Bytes,
}

impl Outgoing {
    /// `payload` for `webhook`, signed at `now` as the webhooks page documents: HMAC-SHA256
    /// over `"{timestamp}.{body}"` keyed with the base64url-decoded secret.
    pub(super) fn new(
        kind: DeliveryKind,
        webhook: &StoredWebhook,
        payload: &Payload<'_>,
        now: SystemTime,
    ) -> Self {
        // Serializing borrowed strings and a `Value` cannot fail.
        let body = Bytes::from(serde_json::to_vec(payload).unwrap_or_default());
        let timestamp = unix_seconds(now).to_string();
        // The server made the secret, so it decodes; an empty signature would show if not.
        let signature = Verifier::new(webhook.webhook_secret.as_str())
            .map(|verifier| verifier.signature(&timestamp, &body))
            .unwrap_or_default();
        Self {
            kind,
            partner_id: webhook.partner_id.clone(),
            url: webhook.webhook_url.clone(),
            event_id: payload.event_id.to_string(),
            timestamp,
            signature,
            body,
        }
    }

    /// Sends it, if the URL is a loopback one, and says what came of it.
    pub(super) async fn send(self, http: &Deliverer) -> Delivery {
        let outcome = if !is_loopback(&self.url) {
            DeliveryOutcome::NotLoopback
        } else {
            match http.client() {
                Err(error) => DeliveryOutcome::Failed(error),
                Ok(client) => {
                    let sent = client
                        .post(&self.url)
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .header(TIMESTAMP_HEADER, &self.timestamp)
                        .header(SIGNATURE_HEADER, &self.signature)
                        .body(self.body.clone())
                        .send()
                        .await;
                    match sent {
                        Ok(response) => DeliveryOutcome::Answered(response.status().as_u16()),
                        Err(error) => DeliveryOutcome::Failed(error.to_string()),
                    }
                }
            }
        };
        Delivery {
            kind: self.kind,
            partner_id: self.partner_id,
            url: self.url,
            event_id: self.event_id,
            timestamp: self.timestamp,
            signature: self.signature,
            body: self.body,
            outcome,
        }
    }
}

/// `http` or `https` to a loopback IP address. Host names (`localhost` included) are refused:
/// resolving them could lead elsewhere.
fn is_loopback(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    let host = url.host_str().unwrap_or_default();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    matches!(url.scheme(), "http" | "https")
        && host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The HTTP client deliveries go through, made on first use.
#[derive(Debug)]
pub(super) struct Deliverer {
    timeout: Duration,
    client: OnceLock<Result<reqwest::Client, String>>,
}

impl Deliverer {
    pub(super) fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            client: OnceLock::new(),
        }
    }

    fn client(&self) -> Result<&reqwest::Client, String> {
        self.client
            .get_or_init(|| {
                // No redirects and no proxy: a delivery goes to the loopback URL it names, and
                // nowhere else.
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .no_proxy()
                    .timeout(self.timeout)
                    .user_agent("explorium-local-server")
                    .build()
                    .map_err(|e| format!("delivery client: {e}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// The `tenant_id` deliveries carry for an API key (its index): made up, like `con_...` in the
/// documentation's example.
pub(super) fn tenant_id(owner: usize) -> String {
    format!("local_tenant_{}", owner + 1)
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

    #[test]
    fn only_loopback_ip_urls_are_delivered_to() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "https://127.0.0.1/hook",
            "http://127.1.2.3:1/",
            "http://[::1]:9000/hook",
        ] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "https://your-domain.com/webhook-handler",
            "http://localhost:8080/hook",
            "http://10.0.0.1/hook",
            "http://0.0.0.0:80/",
            "ftp://127.0.0.1/hook",
            "http://127.0.0.1.example.com/",
            "not a url",
            "",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
    }

    #[test]
    fn fresh_secrets_are_distinct_base64url_of_32_bytes() {
        let (a, b) = (fresh_secret(), fresh_secret());
        assert_ne!(a, b);
        assert_eq!(URL_SAFE.decode(&a).unwrap().len(), SECRET_BYTES);
        assert!(Verifier::new(a.as_str()).is_ok());
    }
}
