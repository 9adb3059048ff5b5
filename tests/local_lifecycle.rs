//! The local server across the events lifecycle: enrollments listed and deleted, injected
//! events fetched by window, webhooks registered, rotated and deleted, and signed deliveries
//! to a receiver on loopback, verified with `explorium::webhook::Verifier`.

mod support;

use std::convert::Infallible;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use explorium::generated;
use explorium::testing::{
    DeliveryKind, DeliveryOutcome, LocalServer, TestEvent, Validation, CHECK_ENROLLMENT_KEY,
};
use explorium::webhook::{EntityType, Verifier, VerifyError};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use support::*;

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// A delivery as a receiver saw it.
#[derive(Debug, Clone)]
struct Received {
    content_type: String,
    timestamp: String,
    signature: String,
    body: Bytes,
}

/// A webhook receiver on loopback that records each request and answers a chosen status.
struct Receiver {
    url: String,
    status: Arc<AtomicU16>,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhook-handler", listener.local_addr().unwrap());
        let status = Arc::new(AtomicU16::new(200));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (answer, record) = (Arc::clone(&status), Arc::clone(&received));
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (answer, record) = (Arc::clone(&answer), Arc::clone(&record));
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let (answer, record) = (Arc::clone(&answer), Arc::clone(&record));
                    async move {
                        let header = |name: &str| {
                            request
                                .headers()
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_string()
                        };
                        let seen = Received {
                            content_type: header("content-type"),
                            timestamp: header("x-timestamp"),
                            signature: header("x-signature"),
                            body: Bytes::new(),
                        };
                        let body = request.into_body().collect().await.unwrap().to_bytes();
                        record.lock().unwrap().push(Received { body, ..seen });
                        let mut response = Response::new(Full::new(Bytes::from_static(b"{}")));
                        *response.status_mut() =
                            StatusCode::from_u16(answer.load(Ordering::SeqCst)).unwrap();
                        Ok::<_, Infallible>(response)
                    }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            url,
            status,
            received,
            task,
        }
    }

    fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Registers `url` as `partner_id`'s webhook with `key`; returns the answer.
async fn register(server: &LocalServer, key: &str, partner_id: &str, url: &str) -> Value {
    let body = json!({ "partner_id": partner_id, "webhook_url": url });
    let (status, answer) = send_with_key(server, "POST", "/v1/webhooks", &body, Some(key)).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// Enrolls `prospect_ids` for `event_types` with `key`; returns the enrollment id.
async fn enroll_prospects(
    server: &LocalServer,
    key: &str,
    enrollment_key: &str,
    prospect_ids: &[&str],
    event_types: &[&str],
) -> String {
    let body = json!({
        "enrollment_key": enrollment_key,
        "prospect_ids": prospect_ids,
        "event_types": event_types,
    });
    let (status, answer) = send_with_key(server, "POST", PROSPECTS_PATH, &body, Some(key)).await;
    assert_eq!(status, 200, "{answer}");
    answer["enrollment_id"].as_str().unwrap().to_string()
}

/// Asks the server to check `partner_id`'s webhook (`body` holds the partner and simulation).
async fn check(server: &LocalServer, body: Value) -> (u16, Value) {
    send(server, "POST", "/v1/webhooks/check_connectivity", &body).await
}

fn unix(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn secret_of(answer: &Value) -> String {
    answer["webhook_secret"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn enrollments_are_listed_per_key_and_path_in_creation_order_and_deleted_once() {
    let server = LocalServer::builder()
        .api_key("key-a")
        .api_key("key-b")
        .start()
        .await
        .unwrap();
    let first = enroll_prospects(
        &server,
        "key-a",
        "tech_executives_monitor",
        &[PROSPECT_ID],
        &["prospect_changed_role"],
    )
    .await;
    let second = enroll_prospects(
        &server,
        "key-a",
        "sales_prospects",
        &[&prospect_id(2), &prospect_id(3)],
        &["prospect_job_start_anniversary", "prospect_changed_company"],
    )
    .await;
    let other_key = enroll_prospects(
        &server,
        "key-b",
        "theirs",
        &[PROSPECT_ID],
        &["prospect_changed_role"],
    )
    .await;
    let (status, _) = send_with_key(
        &server,
        "POST",
        BUSINESSES_PATH,
        &add_businesses_example(),
        Some("key-a"),
    )
    .await;
    assert_eq!(status, 200);

    let list = |key: &'static str, path: &'static str| {
        let server = &server;
        async move {
            let response = reqwest::Client::new()
                .get(format!("{}{path}", server.base_url()))
                .header("api_key", key)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    let listed = list("key-a", PROSPECTS_PATH).await;
    assert_eq!(listed["response_context"]["request_status"], "success");
    assert_eq!(
        listed["enrollments"],
        json!([
            {
                "enrollment_id": first,
                "enrollment_key": "tech_executives_monitor",
                "prospect_ids": [PROSPECT_ID],
                "event_types": ["prospect_changed_role"],
            },
            {
                "enrollment_id": second,
                "enrollment_key": "sales_prospects",
                "prospect_ids": [prospect_id(2), prospect_id(3)],
                "event_types": ["prospect_job_start_anniversary", "prospect_changed_company"],
            },
        ])
    );
    let businesses = list("key-a", BUSINESSES_PATH).await;
    assert_eq!(businesses["enrollments"].as_array().unwrap().len(), 1);
    assert_eq!(
        businesses["enrollments"][0]["business_ids"],
        add_businesses_example()["business_ids"]
    );
    let theirs = list("key-b", PROSPECTS_PATH).await;
    assert_eq!(theirs["enrollments"][0]["enrollment_id"], json!(other_key));
    assert_eq!(theirs["enrollments"].as_array().unwrap().len(), 1);

    let delete = |key: &'static str, path: &'static str, id: String| {
        let server = &server;
        async move {
            send_with_key(
                server,
                "DELETE",
                path,
                &json!({ "enrollment_id": id }),
                Some(key),
            )
            .await
        }
    };
    // Another key's enrollment, or one on the other path, is not found.
    let (status, answer) = delete("key-a", PROSPECTS_PATH, other_key.clone()).await;
    assert_eq!(status, 404, "{answer}");
    let (status, _) = delete("key-a", BUSINESSES_PATH, first.clone()).await;
    assert_eq!(status, 404);
    let (status, answer) = delete("key-a", PROSPECTS_PATH, first.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "success");
    assert_eq!(answer["response_context"]["request_status"], "success");
    // Deleting it again: the general error body.
    let (status, answer) = delete("key-a", PROSPECTS_PATH, first.clone()).await;
    assert_eq!(status, 404);
    assert!(answer["details"].as_str().unwrap().contains(&first));
    assert_eq!(answer["correlation_id"].as_str().unwrap().len(), 32);

    let listed = list("key-a", PROSPECTS_PATH).await;
    assert_eq!(listed["enrollments"].as_array().unwrap().len(), 1);
    assert_eq!(listed["enrollments"][0]["enrollment_id"], json!(second));
    assert!(server.enrollment(&first).is_none());
    assert!(server.enrollment(&other_key).is_some());
}

#[tokio::test]
async fn an_enrollment_stored_without_lists_is_listed_with_the_required_lists_empty() {
    let server = server_with_documented_enrollments().await;
    let (status, listed) = send_without_body(&server, "GET", PROSPECTS_PATH).await;
    assert_eq!(status, 200);
    assert_eq!(
        listed["enrollments"],
        json!([{
            "enrollment_id": "en_8d52c3f1",
            "enrollment_key": "tech_executives_monitor",
            "event_types": [],
            "prospect_ids": [],
        }])
    );
}

/// Fetches prospect events with `extra` fields added to the ids and event types asked for.
async fn fetch(server: &LocalServer, ids: &[&str], types: &[&str], extra: Value) -> (u16, Value) {
    let mut body = json!({ "prospect_ids": ids, "event_types": types });
    for (field, value) in extra.as_object().unwrap() {
        body[field] = value.clone();
    }
    send(server, "POST", "/v1/prospects/events", &body).await
}

fn event_ids(answer: &Value) -> Vec<&str> {
    answer["output_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn fetch_answers_injected_events_by_ids_types_and_window_most_recent_first() {
    let server = LocalServer::start().await.unwrap();
    let now = server.now();
    let other = prospect_id(7);
    let event = |id: &str, prospect: &str, name: &str, age: Duration| {
        TestEvent::prospect(prospect, name)
            .event_id(id)
            .event_time(now - age)
    };
    for pushed in [
        event("recent", PROSPECT_ID, "prospect_changed_role", DAY),
        event("older", PROSPECT_ID, "prospect_changed_company", 30 * DAY),
        event(
            "at_the_limit",
            PROSPECT_ID,
            "prospect_changed_role",
            90 * DAY,
        ),
        event("too_old", PROSPECT_ID, "prospect_changed_role", 91 * DAY),
        event("other_prospect", &other, "prospect_changed_role", DAY),
        event(
            "other_type",
            PROSPECT_ID,
            "prospect_job_start_anniversary",
            DAY,
        ),
    ] {
        server.push_event(pushed).await;
    }
    server
        .push_event(TestEvent::business(business_id(1), "new_office").event_id("business"))
        .await;
    let types = ["prospect_changed_role", "prospect_changed_company"];

    // The default window: the last 90 days.
    let (status, answer) = fetch(&server, &[PROSPECT_ID], &types, json!({})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(event_ids(&answer), ["recent", "older", "at_the_limit"]);
    assert_eq!(answer["response_context"]["request_status"], "success");
    // The documented shape, time written as the page writes it.
    let first = &answer["output_events"][0];
    assert_eq!(first["prospect_id"], PROSPECT_ID);
    assert_eq!(first["event_name"], "prospect_changed_role");
    assert_eq!(
        first["data"],
        json!({"event_name": "prospect_changed_role"})
    );
    let time = first["event_time"].as_str().unwrap();
    assert!(time.ends_with("+00:00"), "{time}");
    let parsed: SystemTime = chrono::DateTime::parse_from_rfc3339(time).unwrap().into();
    assert_eq!(unix(parsed), unix(now - DAY));

    // An explicit window, both bounds inclusive; an earlier `from` does not reach past 90 days.
    let iso = |time: SystemTime| chrono::DateTime::<chrono::Utc>::from(time).to_rfc3339();
    let window = json!({
        "timestamp_from": iso(now - 30 * DAY),
        "timestamp_to": iso(now - 2 * DAY),
    });
    let (_, answer) = fetch(&server, &[PROSPECT_ID], &types, window).await;
    assert_eq!(event_ids(&answer), ["older"]);
    let (_, answer) = fetch(
        &server,
        &[PROSPECT_ID],
        &types,
        json!({"timestamp_from": "2000-01-01"}),
    )
    .await;
    assert_eq!(event_ids(&answer), ["recent", "older", "at_the_limit"]);
    let (_, answer) = fetch(
        &server,
        &[PROSPECT_ID],
        &types,
        json!({"timestamp_from": iso(now), "timestamp_to": iso(now - DAY)}),
    )
    .await;
    assert_eq!(event_ids(&answer), Vec::<&str>::new());

    // Several ids and types; nulls are no bound.
    let (_, answer) = fetch(
        &server,
        &[PROSPECT_ID, &other],
        &["prospect_changed_role", "prospect_job_start_anniversary"],
        json!({"timestamp_from": null, "timestamp_to": null}),
    )
    .await;
    assert_eq!(
        event_ids(&answer),
        ["recent", "other_prospect", "other_type", "at_the_limit"]
    );

    // Business events from the businesses path only, named by `business_id`.
    let body = json!({"business_ids": [business_id(1)], "event_types": ["new_office"]});
    let (_, answer) = send(&server, "POST", "/v1/businesses/events", &body).await;
    assert_eq!(event_ids(&answer), ["business"]);
    assert_eq!(answer["output_events"][0]["business_id"], business_id(1));

    // An unreadable bound: 422 naming it.
    let (status, answer) = fetch(
        &server,
        &[PROSPECT_ID],
        &types,
        json!({"timestamp_to": "last tuesday"}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(answer["detail"][0]["loc"], json!(["body", "timestamp_to"]));
    assert_eq!(answer["detail"][0]["type"], "value_error");
}

#[tokio::test(start_paused = true)]
async fn the_window_follows_the_paused_clock() {
    let server = LocalServer::start().await.unwrap();
    server
        .push_event(TestEvent::prospect(PROSPECT_ID, "prospect_changed_role").event_id("e1"))
        .await;
    let types = ["prospect_changed_role"];
    let (_, answer) = fetch(&server, &[PROSPECT_ID], &types, json!({})).await;
    assert_eq!(event_ids(&answer), ["e1"]);
    // 91 days later, the event has left the window.
    tokio::time::advance(91 * DAY).await;
    let (_, answer) = fetch(&server, &[PROSPECT_ID], &types, json!({})).await;
    assert_eq!(event_ids(&answer), Vec::<&str>::new());
}

#[tokio::test]
async fn a_pushed_event_is_delivered_signed_and_verifies_with_the_registered_secret() {
    let server = LocalServer::start().await.unwrap();
    let receiver = Receiver::start().await;
    let key = server.api_key().to_string();
    let registered = register(&server, &key, "partner-1", &receiver.url).await;
    let secret = secret_of(&registered);
    enroll_prospects(
        &server,
        &key,
        "tech_executives_monitor",
        &[PROSPECT_ID],
        &["prospect_changed_company"],
    )
    .await;

    let data = json!({"current_company_name": "Headovations"});
    let before = unix(server.now());
    let deliveries = server
        .push_event(
            TestEvent::prospect(PROSPECT_ID, "prospect_changed_company")
                .event_id("3f7e8cf51cfd522ff0cef2249772ec0c")
                .data(data.clone()),
        )
        .await;
    assert_eq!(deliveries.len(), 1);
    let delivery = &deliveries[0];
    assert_eq!(delivery.outcome, DeliveryOutcome::Answered(200));
    assert_eq!(delivery.status(), Some(200));
    assert_eq!(delivery.kind, DeliveryKind::Event);
    assert_eq!(delivery.partner_id, "partner-1");
    assert_eq!(delivery.url, receiver.url);
    assert_eq!(server.deliveries(), deliveries);

    // What the receiver got verifies with the secret `add_webhook` answered.
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let got = &received[0];
    assert_eq!(got.content_type, "application/json");
    assert_eq!(got.body, delivery.body);
    assert_eq!(got.timestamp, delivery.timestamp);
    let sent_at: u64 = got.timestamp.parse().unwrap();
    assert!((before..=unix(server.now())).contains(&sent_at));
    let verifier = Verifier::new(secret.as_str()).unwrap();
    let event = verifier
        .verify(&got.timestamp, &got.signature, &got.body)
        .unwrap();
    assert_eq!(event.event_id(), "3f7e8cf51cfd522ff0cef2249772ec0c");
    assert_eq!(event.event_name().to_string(), "prospect_changed_company");
    assert_eq!(event.entity_type(), &EntityType::Prospect);
    assert_eq!(event.entity_id(), PROSPECT_ID);
    assert_eq!(event.enrollment_key(), "tech_executives_monitor");
    assert_eq!(event.data(), &data);
    assert_eq!(event.partner_id(), Some("partner-1"));
    assert!(event.tenant_id().is_some());
    // Signed over the body as sent: a byte changed no longer verifies.
    let mut tampered = got.body.to_vec();
    tampered[1] ^= 1;
    assert!(matches!(
        verifier.verify(&got.timestamp, &got.signature, &tampered),
        Err(VerifyError::BadSignature)
    ));

    // Events no enrollment watches are stored, not delivered.
    for unwatched in [
        TestEvent::prospect(PROSPECT_ID, "prospect_changed_role"),
        TestEvent::prospect(prospect_id(9), "prospect_changed_company"),
        TestEvent::prospect(PROSPECT_ID, "prospect_changed_company").enrollment_key("another_key"),
        TestEvent::business(business_id(1), "prospect_changed_company"),
    ] {
        assert!(server.push_event(unwatched).await.is_empty());
    }
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn an_event_goes_to_the_webhooks_of_each_key_watching_it_once_per_enrollment_key() {
    let server = LocalServer::builder()
        .api_key("key-a")
        .api_key("key-b")
        .api_key("key-c")
        .start()
        .await
        .unwrap();
    let (receiver_a, receiver_b) = (Receiver::start().await, Receiver::start().await);
    register(&server, "key-a", "partner-a", &receiver_a.url).await;
    register(&server, "key-b", "partner-b", &receiver_b.url).await;
    let role = ["prospect_changed_role"];
    // Two enrollments of key-a under one key, one under another: two deliveries.
    enroll_prospects(&server, "key-a", "monitor_one", &[PROSPECT_ID], &role).await;
    enroll_prospects(&server, "key-a", "monitor_one", &[PROSPECT_ID], &role).await;
    enroll_prospects(&server, "key-a", "monitor_two", &[PROSPECT_ID], &role).await;
    enroll_prospects(&server, "key-b", "theirs", &[PROSPECT_ID], &role).await;
    // key-c watches it, but has no webhook.
    enroll_prospects(&server, "key-c", "no_webhook", &[PROSPECT_ID], &role).await;

    let deliveries = server
        .push_event(TestEvent::prospect(PROSPECT_ID, "prospect_changed_role"))
        .await;
    let mut routed: Vec<(&str, String)> = deliveries
        .iter()
        .map(|d| {
            let body: Value = serde_json::from_slice(&d.body).unwrap();
            (
                d.partner_id.as_str(),
                body["enrollment_key"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    routed.sort();
    assert_eq!(
        routed,
        [
            ("partner-a", "monitor_one".to_string()),
            ("partner-a", "monitor_two".to_string()),
            ("partner-b", "theirs".to_string()),
        ]
    );
    assert_eq!(receiver_a.received().len(), 2);
    assert_eq!(receiver_b.received().len(), 1);

    // Naming an enrollment key narrows it to that key's enrollments.
    let deliveries = server
        .push_event(
            TestEvent::prospect(PROSPECT_ID, "prospect_changed_role").enrollment_key("theirs"),
        )
        .await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].partner_id, "partner-b");
}

#[tokio::test(start_paused = true)]
async fn registering_again_replaces_the_url_and_rotates_the_secret() {
    let server = LocalServer::start().await.unwrap();
    let key = server.api_key().to_string();
    let (old_receiver, new_receiver) = (Receiver::start().await, Receiver::start().await);
    let first = register(&server, &key, "partner-1", &old_receiver.url).await;
    tokio::time::advance(Duration::from_secs(60)).await;
    let second = register(&server, &key, "partner-1", &new_receiver.url).await;
    let (old_secret, new_secret) = (secret_of(&first), secret_of(&second));
    assert_ne!(old_secret, new_secret);
    assert_eq!(second["webhook_url"], json!(new_receiver.url));
    assert_eq!(second["created_at"], first["created_at"]);
    assert_ne!(second["last_modified_time"], first["last_modified_time"]);
    let (_, got) = send_without_body(&server, "GET", "/v1/webhooks/partner-1").await;
    assert_eq!(got["webhook_secret"], json!(new_secret));
    assert_eq!(got["webhook_url"], json!(new_receiver.url));
    assert_eq!(
        server.webhook("partner-1").unwrap().webhook_secret,
        new_secret
    );

    enroll_prospects(
        &server,
        &key,
        "tech_executives_monitor",
        &[PROSPECT_ID],
        &["prospect_changed_role"],
    )
    .await;
    server
        .push_event(TestEvent::prospect(PROSPECT_ID, "prospect_changed_role"))
        .await;
    assert!(old_receiver.received().is_empty());
    let received = new_receiver.received();
    assert_eq!(received.len(), 1);
    let got = &received[0];
    // The paused clock has run ahead of the real one: verify at the server's time.
    let now = server.now();
    let verify = |secret: &str| {
        Verifier::new(secret)
            .unwrap()
            .verify_at(&got.timestamp, &got.signature, &got.body, now)
    };
    assert!(verify(&new_secret).is_ok());
    assert!(matches!(
        verify(&old_secret),
        Err(VerifyError::BadSignature)
    ));
}

#[tokio::test]
async fn webhooks_are_got_and_deleted_per_key_and_unknown_ones_answer_404() {
    let server = LocalServer::builder()
        .api_key("key-a")
        .api_key("key-b")
        .start()
        .await
        .unwrap();
    let receiver = Receiver::start().await;
    let registered = register(&server, "key-a", "partner-1", &receiver.url).await;
    assert_eq!(registered["response_context"]["request_status"], "success");
    assert_eq!(registered["created_at"], registered["last_modified_time"]);
    let created = registered["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");

    let request = |method: &'static str, key: &'static str| {
        let server = &server;
        async move {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let response = reqwest::Client::new()
                .request(
                    method,
                    format!("{}/v1/webhooks/partner-1", server.base_url()),
                )
                .header("api_key", key)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, got) = request("GET", "key-a").await;
    assert_eq!(status, 200);
    for field in [
        "created_at",
        "last_modified_time",
        "webhook_url",
        "webhook_secret",
    ] {
        assert_eq!(got[field], registered[field], "{field}");
    }
    // Another key does not see it, nor delete it.
    assert_eq!(request("GET", "key-b").await.0, 404);
    assert_eq!(request("DELETE", "key-b").await.0, 404);
    let (status, deleted) = request("DELETE", "key-a").await;
    assert_eq!(status, 200);
    assert_eq!(deleted["response_context"]["request_status"], "success");
    let (status, gone) = request("GET", "key-a").await;
    assert_eq!(status, 404);
    assert!(gone["details"].as_str().unwrap().contains("partner-1"));
    assert_eq!(request("DELETE", "key-a").await.0, 404);
    assert!(server.webhook("partner-1").is_none());

    // A deleted webhook receives nothing.
    enroll_prospects(
        &server,
        "key-a",
        "tech_executives_monitor",
        &[PROSPECT_ID],
        &["prospect_changed_role"],
    )
    .await;
    let deliveries = server
        .push_event(TestEvent::prospect(PROSPECT_ID, "prospect_changed_role"))
        .await;
    assert!(deliveries.is_empty());
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn check_connectivity_sends_signed_test_events_and_reports_the_receivers_answer() {
    let server = LocalServer::start().await.unwrap();
    let receiver = Receiver::start().await;
    let key = server.api_key().to_string();
    let secret = secret_of(&register(&server, &key, "partner-1", &receiver.url).await);
    let verifier = Verifier::new(secret.as_str()).unwrap();

    // No simulation: one test event.
    let (status, answer) = check(&server, json!({"partner_id": "partner-1"})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["response_context"]["request_status"], "success");
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let event = verifier
        .verify(
            &received[0].timestamp,
            &received[0].signature,
            &received[0].body,
        )
        .unwrap();
    assert_eq!(event.event_name().to_string(), "new_office");
    assert_eq!(event.entity_type(), &EntityType::Business);
    assert_eq!(event.entity_id().len(), 32);
    assert_eq!(event.enrollment_key(), CHECK_ENROLLMENT_KEY);

    // The documented simulation: three `funding_round` events, at the time asked.
    let (status, answer) = check(&server, json!({
        "partner_id": "partner-1",
        "simulation": {"event_name": "funding_round", "number_of_events": 3, "event_time": "2025-03-16T11:35:17Z"},
    }))
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["response_context"]["request_status"], "success");
    let received = receiver.received();
    assert_eq!(received.len(), 4);
    let mut ids = Vec::new();
    for got in &received[1..] {
        let event = verifier
            .verify(&got.timestamp, &got.signature, &got.body)
            .unwrap();
        assert_eq!(event.event_name().to_string(), "funding_round");
        assert_eq!(event.data()["event_time"], "2025-03-16T11:35:17Z");
        ids.push(event.event_id().to_string());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "event ids are distinct");
    let (_, answer) = check(
        &server,
        json!({
            "partner_id": "partner-1",
            "simulation": {"event_name": "prospect_changed_role"},
        }),
    )
    .await;
    assert_eq!(answer["response_context"]["request_status"], "success");
    let last = receiver.received().pop().unwrap();
    let event = verifier
        .verify(&last.timestamp, &last.signature, &last.body)
        .unwrap();
    assert_eq!(event.entity_type(), &EntityType::Prospect);
    assert_eq!(event.entity_id().len(), 40);

    // The receiver failing: still 200, with `failure`.
    receiver.answer(500);
    let (status, answer) = check(&server, json!({"partner_id": "partner-1"})).await;
    assert_eq!(status, 200);
    assert_eq!(answer["response_context"]["request_status"], "failure");
    let deliveries = server.deliveries();
    assert_eq!(deliveries.len(), 6);
    assert!(deliveries
        .iter()
        .all(|d| d.kind == DeliveryKind::ConnectivityCheck));
    assert_eq!(deliveries[5].outcome, DeliveryOutcome::Answered(500));

    // No webhook for that partner: 404.
    let (status, answer) = check(&server, json!({"partner_id": "partner-2"})).await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(server.deliveries().len(), 6);
}

#[tokio::test]
async fn deliveries_go_to_loopback_addresses_only_and_failures_are_recorded() {
    let server = LocalServer::start().await.unwrap();
    let key = server.api_key().to_string();
    enroll_prospects(
        &server,
        &key,
        "tech_executives_monitor",
        &[PROSPECT_ID],
        &["prospect_changed_role"],
    )
    .await;
    let push = || server.push_event(TestEvent::prospect(PROSPECT_ID, "prospect_changed_role"));

    // The documentation's example URL can be registered, but is never contacted.
    register(
        &server,
        &key,
        "partner-1",
        "https://your-domain.com/webhook-handler",
    )
    .await;
    let deliveries = push().await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].outcome, DeliveryOutcome::NotLoopback);
    assert_eq!(deliveries[0].status(), None);
    let (status, answer) = check(&server, json!({"partner_id": "partner-1"})).await;
    assert_eq!(status, 200);
    assert_eq!(answer["response_context"]["request_status"], "failure");

    // A loopback port where nothing listens: attempted, failed, recorded.
    let (_socket, refusing) = refusing_address();
    register(
        &server,
        &key,
        "partner-1",
        &format!("http://{refusing}/hook"),
    )
    .await;
    let deliveries = push().await;
    assert!(
        matches!(&deliveries[0].outcome, DeliveryOutcome::Failed(error) if !error.is_empty()),
        "{deliveries:?}"
    );
    assert_eq!(server.deliveries().len(), 3);
}

#[tokio::test]
async fn a_receiver_redirecting_is_not_followed() {
    let server = LocalServer::start().await.unwrap();
    let elsewhere = Receiver::start().await;
    let redirect = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nlocation: {}\r\ncontent-length: 0\r\n\r\n",
        elsewhere.url
    );
    let redirecting = RawResponder::start(vec![redirect]).await;
    let key = server.api_key().to_string();
    register(&server, &key, "partner-1", &redirecting.base_url()).await;
    let (status, _) = check(&server, json!({"partner_id": "partner-1"})).await;
    assert_eq!(status, 200);
    assert_eq!(redirecting.requests(), 1);
    assert_eq!(
        server.deliveries()[0].outcome,
        DeliveryOutcome::Answered(307)
    );
    assert!(elsewhere.received().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_receiver_slower_than_the_delivery_timeout_is_recorded_as_failed() {
    let server = LocalServer::builder()
        .delivery_timeout(Duration::from_secs(2))
        .start()
        .await
        .unwrap();
    // Accepts connections, never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let key = server.api_key().to_string();
    register(&server, &key, "partner-1", &url).await;
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let (status, answer) = check(&server, json!({"partner_id": "partner-1"})).await;
    assert_eq!(status, 200);
    assert_eq!(answer["response_context"]["request_status"], "failure");
    assert!(matches!(
        server.deliveries()[0].outcome,
        DeliveryOutcome::Failed(_)
    ));
    silent.abort();
}

#[tokio::test]
async fn the_generated_client_round_trips_every_lifecycle_operation() {
    let server = LocalServer::start().await.unwrap();
    let receiver = Receiver::start().await;
    let client = client_for(&server);
    let client = client.generated();

    let added = client
        .add_prospects_enrollments()
        .body(typed::<generated::types::ProspectsEnrollmentsAddRequest>(
            add_prospects_example(),
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    let listed = client
        .get_prospects_enrollments()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.enrollments.len(), 1);
    assert_eq!(listed.enrollments[0].enrollment_id, added.enrollment_id);
    assert_eq!(listed.enrollments[0].prospect_ids.len(), 2);
    let businesses = client
        .get_businesses_enrollments()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(businesses.enrollments.is_empty());

    let webhook = client
        .add_webhook()
        .body(typed::<generated::types::WebhookAddRequest>(
            json!({"partner_id": "partner-1", "webhook_url": receiver.url}),
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(webhook.webhook_url, receiver.url);
    let got = client
        .get_webhook()
        .partner_id("partner-1")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.webhook_secret, webhook.webhook_secret);
    assert_eq!(got.created_at, webhook.created_at);

    let deliveries = server
        .push_event(TestEvent::prospect(PROSPECT_ID, "prospect_changed_company").event_id("pushed"))
        .await;
    assert_eq!(deliveries[0].outcome, DeliveryOutcome::Answered(200));
    let events = client
        .fetch_prospects_events()
        .body(typed::<generated::types::ProspectsEventsRequest>(json!({
            "event_types": ["prospect_changed_role", "prospect_changed_company"],
            "prospect_ids": [PROSPECT_ID],
        })))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(events.output_events.len(), 1);
    assert_eq!(events.output_events[0].event_id, "pushed");
    assert_eq!(events.output_events[0].prospect_id, PROSPECT_ID);
    let business_events = client
        .fetch_businesses_events()
        .body(typed::<generated::types::BusinessesEventsRequest>(json!({
            "event_types": ["ipo_announcement", "new_investment"],
            "business_ids": ["8adce3ca1cef0c986b22310e369a0793"],
        })))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(business_events.output_events.is_empty());

    let checked = client
        .check_webhook_connectivity()
        .body(typed::<generated::types::WebhookCheckConnectivityRequest>(
            json!({"partner_id": "partner-1", "simulation": {"event_name": "funding_round", "number_of_events": 3}}),
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        checked.response_context.unwrap().request_status.to_string(),
        "success"
    );
    assert_eq!(receiver.received().len(), 4);

    client
        .delete_webhook()
        .partner_id("partner-1")
        .send()
        .await
        .unwrap();
    let error = client
        .get_webhook()
        .partner_id("partner-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));

    let deleted = client
        .delete_prospects_enrollments()
        .body(
            generated::types::ProspectsEnrollmentsDeleteRequest::builder()
                .enrollment_id(added.enrollment_id.clone()),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deleted.status.to_string(), "success");
    let error = client
        .delete_prospects_enrollments()
        .body(
            generated::types::ProspectsEnrollmentsDeleteRequest::builder()
                .enrollment_id(added.enrollment_id),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert!(server
        .journal()
        .iter()
        .all(|r| r.validation == Validation::Valid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_can_be_pushed_from_another_task() {
    let server = Arc::new(LocalServer::start().await.unwrap());
    let pushing = Arc::clone(&server);
    // `tokio::spawn` needs the future to be `Send`: no lock is held across a delivery.
    let deliveries = tokio::spawn(async move {
        pushing
            .push_event(TestEvent::business(business_id(1), "new_office").event_id("spawned"))
            .await
    })
    .await
    .unwrap();
    assert!(deliveries.is_empty());
    let body = json!({"business_ids": [business_id(1)], "event_types": ["new_office"]});
    let (_, answer) = send(&server, "POST", "/v1/businesses/events", &body).await;
    assert_eq!(event_ids(&answer), ["spawned"]);
}
