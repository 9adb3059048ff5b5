//! Signed deliveries to webhooks: what is sent, how, where to (loopback only), and the
//! record of each attempt.

use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use super::clock::unix_seconds;
use super::webhooks::StoredWebhook;
use crate::webhook::{Verifier, SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// How long the server waits for a receiver's answer to a delivery by default.
pub const DEFAULT_DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

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
}
