//! The partner's webhook: register ([`Webhooks::register`]), get, delete, and check
//! connectivity ([`CheckConnectivity`]). Receiving what it delivers is [`crate::webhook`].

use std::fmt;
use std::num::NonZeroU64;

use chrono::{DateTime, Utc};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::Method;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::client::Client;
use crate::events::enrollment::Deleted;
use crate::events::lifecycle::{self, is_gone};
use crate::events::rules;
use crate::generated::types;
use crate::time::{served_time, IntoTimestamp};
use crate::transport::call::{Decoded, Operation};
use crate::transport::context::{pick_context, Acknowledged, ResponseContext};
use crate::transport::error::Error;
use crate::transport::server_text::Scrub;
use crate::validate::quoted;

/// Registering a URL again leaves the same state (that URL, a secret the last answer holds):
/// repeating it cannot do harm the caller did not ask for.
const REGISTER: Operation = Operation::new("add_webhook", Method::POST, "/v1/webhooks", true);

const GET: Operation = Operation::new(
    "get_webhook",
    Method::GET,
    "/v1/webhooks/{partner_id}",
    true,
);

const DELETE: Operation = Operation::new(
    "delete_webhook",
    Method::DELETE,
    "/v1/webhooks/{partner_id}",
    true,
);

/// Each attempt delivers test events to the receiver: not repeated when it may have run.
const CHECK: Operation = Operation::new(
    "check_webhook_connectivity",
    Method::POST,
    "/v1/webhooks/check_connectivity",
    false,
);

/// Most events one simulation may deliver.
const MAX_SIMULATED_EVENTS: u64 = 10;

/// What a path segment keeps unescaped: RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The partner's webhook, from [`Client::webhooks`]. A partner has one webhook: one URL that
/// receives every event of every enrollment, signed with one secret.
#[derive(Debug, Clone)]
pub struct Webhooks {
    client: Client,
}

impl Webhooks {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Registers `url` as the partner's webhook and returns it with its signing secret.
    ///
    /// **This replaces the partner's webhook, if it has one, and rotates the secret.** A
    /// partner has exactly one webhook: registering sends every event of every enrollment to
    /// the new URL, and deliveries are signed with the new secret from then on, so a receiver
    /// still verifying with the old one rejects them all. Register once, at set-up, not each
    /// time a process starts; use [`Webhooks::get`] to read the current one.
    ///
    /// `url` must be `https` (plain `http` only on a loopback host, for a receiver under test),
    /// with no user name or password; `partner_id` must not be empty. Both are checked before
    /// sending. Repeating a registration leaves the same state, so it is retried like an
    /// idempotent call; the secret returned is the one in force.
    ///
    /// ```no_run
    /// # async fn run(client: explorium::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use explorium::webhook::Verifier;
    /// use secrecy::ExposeSecret;
    ///
    /// let webhook = client
    ///     .webhooks()
    ///     .register("my_partner_id", "https://example.com/explorium-events")
    ///     .await?;
    /// store_in_a_vault(webhook.secret().expose_secret());
    /// let verifier = Verifier::new(webhook.secret())?;
    /// # let _ = verifier;
    /// # Ok(())
    /// # }
    /// # fn store_in_a_vault(_: &str) {}
    /// ```
    pub async fn register(
        &self,
        partner_id: impl Into<String>,
        url: impl Into<String>,
    ) -> Result<Webhook, Error> {
        let body = types::WebhookAddRequest {
            partner_id: partner_id.into(),
            webhook_url: url.into(),
            request_context: None,
        };
        rules::partner_id(&body.partner_id)
            .and_then(|()| rules::webhook_url(&body.webhook_url))
            .map_err(|e| e.with_operation(REGISTER.id))?;
        self.client.execute(&REGISTER, &body).await
    }

    /// The partner's webhook, with its current secret; `None` if the server knows none for
    /// `partner_id` (it answers 404).
    pub async fn get(&self, partner_id: impl Into<String>) -> Result<Option<Webhook>, Error> {
        let path = partner_path(&GET, &partner_id.into())?;
        match self
            .client
            .shared()
            .call::<Webhook>(&GET, &path, None)
            .await
        {
            Ok(webhook) => Ok(Some(webhook)),
            Err(error) if is_gone(&error) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Deletes the partner's webhook: events are no longer delivered (they can still be
    /// fetched). Idempotent: [`Deleted::AlreadyGone`] when the server knows no webhook for
    /// `partner_id`.
    pub async fn delete(&self, partner_id: impl Into<String>) -> Result<Deleted, Error> {
        let path = partner_path(&DELETE, &partner_id.into())?;
        lifecycle::delete(&self.client, &DELETE, &path, None).await
    }

    /// Asks the server to send a test event to the partner's registered webhook, or simulated
    /// events with [`CheckConnectivity::simulate`]. Does nothing until
    /// [`CheckConnectivity::send`].
    pub fn check_connectivity(&self, partner_id: impl Into<String>) -> CheckConnectivity {
        CheckConnectivity {
            client: self.client.clone(),
            partner_id: partner_id.into(),
            event_name: None,
            number_of_events: None,
            event_time: None,
        }
    }
}

/// `/v1/webhooks/{partner_id}`, the id checked and escaped.
fn partner_path(operation: &Operation, partner_id: &str) -> Result<String, Error> {
    rules::partner_id(partner_id).map_err(|e| e.with_operation(operation.id))?;
    Ok(operation.path.replace(
        "{partner_id}",
        &utf8_percent_encode(partner_id, SEGMENT).to_string(),
    ))
}

/// A request to check the webhook's connectivity, from [`Webhooks::check_connectivity`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `.send().await`"]
pub struct CheckConnectivity {
    client: Client,
    partner_id: String,
    event_name: Option<String>,
    number_of_events: Option<u64>,
    event_time: Option<Result<DateTime<Utc>, String>>,
}

impl CheckConnectivity {
    /// Simulate events of this type instead of the plain test event: a
    /// [`WebhookSimulationEventType`](crate::generated::types::WebhookSimulationEventType), or
    /// its wire string (`new_office`, `funding_round`, ...), checked when sent. Simulated
    /// events may carry names outside the crate's enums (`award`, `funding_round`): a receiver
    /// sees them as [`EventName::Unknown`](crate::EventName::Unknown). Default: none.
    pub fn simulate(mut self, event_name: impl ToString) -> Self {
        self.event_name = Some(event_name.to_string());
        self
    }

    /// How many simulated events to deliver, 1 to 10 (checked when sent). Default: the
    /// server's (the documentation does not say how many).
    pub fn number_of_events(mut self, events: u64) -> Self {
        self.number_of_events = Some(events);
        self
    }

    /// The `event_time` the simulated events carry; the same forms as
    /// [`FetchProspectEvents::since`](crate::prospects::FetchProspectEvents::since). Default:
    /// the server's.
    pub fn event_time(mut self, time: impl IntoTimestamp) -> Self {
        self.event_time = Some(time.into_timestamp());
        self
    }

    /// The body [`send`](Self::send) would send, as the generated type, or the first rule it
    /// breaks. Nothing is sent.
    pub fn body(&self) -> Result<types::WebhookCheckConnectivityRequest, Error> {
        rules::partner_id(&self.partner_id)?;
        let event_name = self
            .event_name
            .as_deref()
            .map(|name| {
                name.parse::<types::WebhookSimulationEventType>().map_err(|_| {
                    Error::invalid_request(
                        "simulation.event_name",
                        format!("{} is not an event type the simulation knows (e.g. \"new_office\")", quoted(name)),
                    )
                })
            })
            .transpose()?;
        let number_of_events = self
            .number_of_events
            .map(|n| {
                NonZeroU64::new(n)
                    .filter(|n| n.get() <= MAX_SIMULATED_EVENTS)
                    .ok_or_else(|| {
                        Error::invalid_request(
                            "simulation.number_of_events",
                            format!("{n} is not between 1 and {MAX_SIMULATED_EVENTS}"),
                        )
                    })
            })
            .transpose()?;
        let event_time = match &self.event_time {
            None => None,
            Some(Ok(time)) => Some(*time),
            Some(Err(text)) => Some(crate::time::given_time("simulation.event_time", text)?),
        };
        let simulating = event_name.is_some() || number_of_events.is_some() || event_time.is_some();
        Ok(types::WebhookCheckConnectivityRequest {
            partner_id: self.partner_id.clone(),
            request_context: None,
            simulation: simulating.then_some(types::WebhookSimulation {
                event_name,
                event_time,
                number_of_events,
            }),
        })
    }

    /// Checks the request and sends it; returns the server's context for the call. The
    /// service's schema answers nothing else (its page says it returns what the receiver
    /// answered). Each attempt delivers events, so an attempt whose outcome is unknown is not
    /// repeated.
    pub async fn send(self) -> Result<Option<ResponseContext>, Error> {
        let body = self.body().map_err(|e| e.with_operation(CHECK.id))?;
        let answered: Acknowledged = self.client.execute(&CHECK, &body).await?;
        Ok(answered.context)
    }
}

/// The partner's webhook: where events go, and the secret they are signed with.
///
/// The secret is held in a [`SecretString`]: it appears in no `Debug` output, no error and no
/// trace. Hand it to [`Verifier::new`](crate::webhook::Verifier::new) as it is, or read it with
/// [`secrecy::ExposeSecret`] to store it.
#[derive(Clone)]
pub struct Webhook {
    url: String,
    secret: SecretString,
    created_at: Option<DateTime<Utc>>,
    last_modified: Option<DateTime<Utc>>,
    context: Option<ResponseContext>,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.url)
            .field("secret", &"[redacted]")
            .field("created_at", &self.created_at)
            .field("last_modified", &self.last_modified)
            .field("context", &self.context)
            .finish()
    }
}

impl Webhook {
    /// The URL events are delivered to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The secret deliveries are signed with, as Explorium returned it (base64url): what
    /// [`Verifier::new`](crate::webhook::Verifier::new) takes.
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }

    /// When the webhook was first registered; `None` if the server sent no readable time.
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        self.created_at
    }

    /// When the webhook was last registered (a new URL and secret); `None` if the server sent
    /// no readable time.
    pub fn last_modified(&self) -> Option<DateTime<Utc>> {
        self.last_modified
    }

    /// The server's context for the call.
    pub fn context(&self) -> Option<&ResponseContext> {
        self.context.as_ref()
    }
}

/// The wire shape of a webhook answer. The times are informational: unreadable, they are
/// dropped rather than costing the secret.
#[derive(Deserialize)]
struct WireWebhook {
    webhook_url: String,
    webhook_secret: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    last_modified_time: Option<String>,
    #[serde(default)]
    response_context: Option<Box<RawValue>>,
    #[serde(default)]
    request_context: Option<Box<RawValue>>,
}

impl Decoded for Webhook {
    const HOLDS_SECRET: bool = true;

    /// The secret is kept as sent: it is the caller's, and the HMAC key.
    fn decode(body: &[u8], scrub: Scrub<'_>) -> serde_json::Result<Self> {
        let wire: WireWebhook = serde_json::from_slice(body)?;
        let time = |text: Option<String>| text.as_deref().and_then(served_time);
        Ok(Self {
            url: scrub.text(&wire.webhook_url),
            secret: SecretString::from(wire.webhook_secret),
            created_at: time(wire.created_at),
            last_modified: time(wire.last_modified_time),
            context: pick_context(wire.response_context, wire.request_context, scrub),
        })
    }

    fn correlation_id(&self) -> Option<&str> {
        self.context.as_ref().map(ResponseContext::correlation_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_ids_are_escaped_as_one_path_segment() {
        assert_eq!(
            partner_path(&GET, "ExpTest").unwrap(),
            "/v1/webhooks/ExpTest"
        );
        assert_eq!(
            partner_path(&GET, "a/b?c#d é").unwrap(),
            "/v1/webhooks/a%2Fb%3Fc%23d%20%C3%A9"
        );
        for bad in ["", " ", "..", ".", " x", "a\nb"] {
            let error = partner_path(&DELETE, bad).unwrap_err();
            assert_eq!(error.field(), Some("partner_id"), "{bad:?}");
            assert_eq!(error.operation(), Some("delete_webhook"));
        }
    }

    #[test]
    fn the_secret_is_in_no_debug_output() {
        let webhook = Webhook::decode(
            br#"{"webhook_url": "https://h/x", "webhook_secret": "s3cr3t-value", "created_at": "2025-03-16T11:35:17.720Z", "last_modified_time": "garbage"}"#,
            Scrub::new("sk-test"),
        )
        .unwrap();
        let debug = format!("{webhook:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert_eq!(
            webhook.created_at().unwrap().to_rfc3339(),
            "2025-03-16T11:35:17.720+00:00"
        );
        assert_eq!(
            webhook.last_modified(),
            None,
            "an unreadable time is dropped"
        );
    }

    #[test]
    fn simulations_are_checked() {
        let client = Client::builder().api_key("k").build().unwrap();
        let check = client.webhooks().check_connectivity("p");
        assert!(
            check.body().unwrap().simulation.is_none(),
            "no simulation unless asked"
        );
        let body = check
            .clone()
            .simulate("funding_round")
            .number_of_events(3)
            .body()
            .unwrap();
        let simulation = body.simulation.unwrap();
        assert_eq!(simulation.number_of_events.map(NonZeroU64::get), Some(3));
        for (check, field) in [
            (check.clone().simulate("nonsense"), "simulation.event_name"),
            (
                check.clone().number_of_events(0),
                "simulation.number_of_events",
            ),
            (
                check.clone().number_of_events(11),
                "simulation.number_of_events",
            ),
            (
                check.clone().event_time("tomorrow"),
                "simulation.event_time",
            ),
        ] {
            assert_eq!(check.body().unwrap_err().field(), Some(field));
        }
    }
}
