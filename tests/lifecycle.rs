//! The events lifecycle through the handwritten layer: businesses enroll, list and delete
//! enrollments, fetch events, the webhook operations. Each call against the spec-enforcing
//! local server: it reaches the operation it names with a body the schema accepts; the
//! validators refuse what they must before sending; answers decode leniently.

mod support;

use explorium::testing::{Fault, LocalServer, Validation};
use explorium::{BusinessEvent, Deleted, ErrorKind, EventName, ProspectEvent};
use serde_json::json;
use support::*;

/// The last request the server answered: (operation, method, whether its body was valid).
fn last(server: &LocalServer) -> (String, String, bool) {
    let request = server
        .journal()
        .pop()
        .expect("a request reached the server");
    (
        request.operation_id.unwrap_or_default(),
        request.method,
        request.validation != Validation::NotRun
            && !matches!(request.validation, Validation::Invalid(_)),
    )
}

fn expect(server: &LocalServer, operation: &str, method: &str) {
    assert_eq!(
        last(server),
        (operation.to_string(), method.to_string(), true),
        "{operation}"
    );
}

#[tokio::test]
async fn each_new_call_reaches_the_operation_it_names_with_a_body_the_schema_accepts() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);

    let created = client
        .businesses()
        .enroll("my_b2b_saas_monitor")
        .business_ids([
            "8adce3ca1cef0c986b22310e369a0793",
            "665595bbb4e724de6f8bc705a5b84753",
        ])
        .event_types([
            BusinessEvent::IpoAnnouncement,
            BusinessEvent::NewFundingRound,
        ])
        .send()
        .await
        .unwrap();
    expect(&server, "add_businesses_enrollments", "POST");
    let stored = server.enrollment(created.enrollment_id()).unwrap();
    assert_eq!(
        stored.lists["business_ids"][1],
        "665595bbb4e724de6f8bc705a5b84753"
    );

    // What reached the server is checked here; the round trips below check the answers.
    let _ = client.prospects().enrollments().await;
    expect(&server, "get_prospects_enrollments", "GET");
    let _ = client.businesses().enrollments().await;
    expect(&server, "get_businesses_enrollments", "GET");
    let _ = client.prospects().delete_enrollment("en_8d52c3f1").await;
    expect(&server, "delete_prospects_enrollments", "DELETE");
    let _ = client
        .businesses()
        .delete_enrollment(created.enrollment_id())
        .await;
    expect(&server, "delete_businesses_enrollments", "DELETE");
    let _ = client
        .prospects()
        .events()
        .prospect_ids([PROSPECT_ID])
        .event_type(ProspectEvent::ProspectChangedCompany)
        .since("2024-01-01T10:03:03.050Z")
        .until(std::time::SystemTime::now())
        .send()
        .await;
    expect(&server, "fetch_prospects_events", "POST");
    let _ = client
        .businesses()
        .events()
        .business_id("8adce3ca1cef0c986b22310e369a0793")
        .event_type("new_product")
        .since(chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap())
        .send()
        .await;
    expect(&server, "fetch_businesses_events", "POST");
    let _ = client
        .webhooks()
        .register("ExpTest", "https://example.com/webhook-handler")
        .await;
    expect(&server, "add_webhook", "POST");
    let _ = client.webhooks().get("ExpTest").await;
    expect(&server, "get_webhook", "GET");
    let _ = client
        .webhooks()
        .check_connectivity("ExpTest")
        .simulate("funding_round")
        .number_of_events(3)
        .send()
        .await;
    expect(&server, "check_webhook_connectivity", "POST");
    let _ = client.webhooks().delete("ExpTest").await;
    expect(&server, "delete_webhook", "DELETE");

    let sent = server.journal();
    let body = |operation: &str| {
        sent.iter()
            .find(|r| r.operation_id.as_deref() == Some(operation))
            .and_then(|r| r.body.clone())
            .unwrap()
    };
    assert_eq!(
        body("fetch_businesses_events"),
        json!({"business_ids": ["8adce3ca1cef0c986b22310e369a0793"], "entity_type": "business",
               "event_types": ["new_product"], "timestamp_from": "2024-01-01T00:00:00Z"})
    );
    assert_eq!(
        body("fetch_prospects_events")["timestamp_from"],
        "2024-01-01T10:03:03.050Z"
    );
    assert_eq!(
        body("check_webhook_connectivity"),
        json!({"partner_id": "ExpTest", "simulation": {"event_name": "funding_round", "number_of_events": 3}})
    );
    assert_eq!(
        body("delete_prospects_enrollments"),
        json!({"enrollment_id": "en_8d52c3f1"})
    );
}

#[tokio::test]
async fn listing_decodes_event_types_into_the_open_type_and_ignores_unknown_fields() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    server.inject(Fault::respond(
        200,
        json!({
            "response_context": {"correlation_id": "1234", "request_status": "success", "time_took_in_seconds": 0.515},
            "enrollments": [
                {"enrollment_id": "en_8d52c3f1", "enrollment_key": "tech_executives_monitor",
                 "prospect_ids": [PROSPECT_ID], "event_types": ["prospect_changed_role", "award"], "ttl_days": 365}
            ],
            "next_page": null
        }),
    ));
    let listed = client.prospects().enrollments().await.unwrap();
    assert_eq!(listed.len(), 1);
    let enrollment = &listed[0];
    assert_eq!(enrollment.enrollment_id(), "en_8d52c3f1");
    assert_eq!(enrollment.enrollment_key(), "tech_executives_monitor");
    assert_eq!(enrollment.ids(), [PROSPECT_ID]);
    assert_eq!(
        enrollment.event_types(),
        [
            EventName::Prospect(ProspectEvent::ProspectChangedRole),
            EventName::Unknown("award".into())
        ]
    );
    assert_eq!(
        serde_json::to_value(enrollment).unwrap()["event_types"],
        json!(["prospect_changed_role", "award"])
    );

    server.inject(Fault::respond(
        200,
        json!({"enrollments": [{"enrollment_id": "en_1"}]}),
    ));
    let error = client.businesses().enrollments().await.unwrap_err();
    assert_eq!(
        error.kind(),
        ErrorKind::Decode,
        "the data itself is missing"
    );
}

#[tokio::test]
async fn a_delete_of_an_unknown_id_is_already_gone_but_a_missing_route_is_an_error() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    let general = json!({"details": "Enrollment not found", "correlation_id": "abc"});
    server.inject(Fault::respond(404, general.clone()));
    assert_eq!(
        client
            .prospects()
            .delete_enrollment("en_gone")
            .await
            .unwrap(),
        Deleted::AlreadyGone
    );
    server.inject(Fault::respond(404, general));
    assert_eq!(
        client.webhooks().delete("ExpTest").await.unwrap(),
        Deleted::AlreadyGone
    );
    server.inject(Fault::respond(404, json!({"details": "no webhook"})));
    assert!(client.webhooks().get("ExpTest").await.unwrap().is_none());
    server.inject(Fault::respond(200, json!({"status": "success"})));
    assert_eq!(
        client.businesses().delete_enrollment("en_1").await.unwrap(),
        Deleted::Removed
    );

    // A base URL that misses the API: the server's routing 404 is no answer about the id.
    let lost = explorium::Client::builder()
        .api_key(server.api_key())
        .base_url(format!("{}/elsewhere", server.base_url()))
        .build()
        .unwrap();
    let error = lost
        .prospects()
        .delete_enrollment("en_1")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    let error = lost.webhooks().get("ExpTest").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
}

#[tokio::test(start_paused = true)]
async fn fetching_events_is_retried_like_a_read_and_decodes_the_documented_answer() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    server.inject(Fault::status(503).on("fetch_prospects_events"));
    server.inject(Fault::close_connection().on("fetch_prospects_events"));
    server.inject(
        Fault::respond(
            200,
            json!({
                "response_context": {"correlation_id": "2826", "request_status": "success", "time_took_in_seconds": 0.931},
                "output_events": [{
                    "event_name": "prospect_changed_company", "event_time": "2024-07-01T00:00:00+00:00",
                    "event_id": "3f7e8cf51cfd522ff0cef2249772ec0c",
                    "data": {"current_company_name": "Headovations"},
                    "prospect_id": "4c485f009d59e319dc039cdf3e935b85014e6a33"
                }]
            }),
        )
        .on("fetch_prospects_events"),
    );
    let events = client
        .prospects()
        .events()
        .prospect_id(PROSPECT_ID)
        .event_type("prospect_changed_company")
        .send()
        .await
        .unwrap();
    assert_eq!(
        server.count("fetch_prospects_events"),
        3,
        "two failures repeated"
    );
    let event = &events[0];
    assert_eq!(event.event_id(), "3f7e8cf51cfd522ff0cef2249772ec0c");
    assert_eq!(
        event.event_name(),
        &EventName::Prospect(ProspectEvent::ProspectChangedCompany)
    );
    assert_eq!(
        event.entity_id(),
        "4c485f009d59e319dc039cdf3e935b85014e6a33"
    );
    assert_eq!(event.event_time().to_rfc3339(), "2024-07-01T00:00:00+00:00");
    assert_eq!(event.data()["current_company_name"], "Headovations");
}

#[tokio::test(start_paused = true)]
async fn a_connectivity_check_is_not_repeated_but_a_registration_and_reads_are() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    server.inject(Fault::status(503).on("check_webhook_connectivity"));
    let error = client
        .webhooks()
        .check_connectivity("ExpTest")
        .send()
        .await
        .unwrap_err();
    assert_eq!((error.kind(), error.attempts()), (ErrorKind::Server, 1));

    server.inject(Fault::status(503).on("add_webhook"));
    server.inject(
        Fault::respond(
            200,
            json!({"created_at": "2025-03-16T11:35:17.720Z", "last_modified_time": "2025-03-16T11:35:17.720Z",
                   "webhook_url": "https://example.com/hook", "webhook_secret": "c2VjcmV0LWtleQ=="}),
        )
        .on("add_webhook"),
    );
    let webhook = client
        .webhooks()
        .register("ExpTest", "https://example.com/hook")
        .await
        .unwrap();
    assert_eq!(server.count("add_webhook"), 2);
    assert_eq!(webhook.url(), "https://example.com/hook");
    assert!(webhook.created_at().is_some());
    explorium::webhook::Verifier::new(webhook.secret()).expect("the secret makes a verifier");
}

#[tokio::test]
async fn the_webhook_secret_appears_in_no_debug_output_and_no_error() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    const SECRET: &str = "c2VjcmV0LWtleS1uZXZlci10by1iZS1zZWVu";
    server.inject(Fault::respond(
        200,
        json!({"webhook_url": "https://example.com/hook", "webhook_secret": SECRET}),
    ));
    let webhook = client.webhooks().get("ExpTest").await.unwrap().unwrap();
    assert!(!format!("{webhook:?}").contains(SECRET));
    // An answer the client cannot decode: neither quoted nor described.
    server.inject(Fault::respond(
        200,
        json!({"webhook_secret": SECRET, "webhook_url": 7}),
    ));
    let error = client
        .webhooks()
        .register("ExpTest", "https://example.com/hook")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(!format!("{error} {error:?}").contains(SECRET), "{error:?}");
}

#[tokio::test]
async fn the_validators_refuse_before_sending_naming_the_field_and_the_rule() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    let forty_one: Vec<String> = (0..41).map(prospect_id).collect();
    let fetch = || {
        client
            .prospects()
            .events()
            .event_type(ProspectEvent::ProspectChangedRole)
    };
    let cases = vec![
        (
            fetch().prospect_ids(&forty_one).body().unwrap_err(),
            "prospect_ids",
            "41 distinct ids, more than the 40",
        ),
        (
            fetch().body().unwrap_err(),
            "prospect_ids",
            "at least one id",
        ),
        (
            client
                .prospects()
                .events()
                .prospect_id(PROSPECT_ID)
                .body()
                .unwrap_err(),
            "event_types",
            "at least one event type",
        ),
        (
            fetch()
                .prospect_id(PROSPECT_ID)
                .since("2024-01-01T00:00:00")
                .body()
                .unwrap_err(),
            "timestamp_from",
            "no UTC offset",
        ),
        (
            fetch()
                .prospect_id(PROSPECT_ID)
                .until("soon")
                .body()
                .unwrap_err(),
            "timestamp_to",
            "neither an RFC 3339",
        ),
        (
            fetch()
                .prospect_id(PROSPECT_ID)
                .since("2024-03-01")
                .until("2024-02-01")
                .body()
                .unwrap_err(),
            "timestamp_to",
            "is before timestamp_from",
        ),
        (
            client
                .businesses()
                .events()
                .business_id(PROSPECT_ID)
                .event_type("new_office")
                .body()
                .unwrap_err(),
            "business_ids[0]",
            "32 lowercase hex",
        ),
        (
            client
                .businesses()
                .enroll("key")
                .business_id("8adce3ca1cef0c986b22310e369a0793")
                .event_type("new_office")
                .body()
                .unwrap_err(),
            "enrollment_key",
            "shorter than 4",
        ),
    ];
    for (error, field, rule) in cases {
        assert_eq!(error.kind(), ErrorKind::InvalidRequest);
        assert_eq!(error.field(), Some(field), "{error}");
        assert!(error.to_string().contains(rule), "{error}");
    }
    let forty: Vec<String> = (0..40).chain(0..40).map(prospect_id).collect();
    let body = fetch().prospect_ids(&forty).body().unwrap();
    assert_eq!(
        body.prospect_ids.len(),
        40,
        "duplicates dropped: unique as the schema asks"
    );

    let sent = [
        client.prospects().delete_enrollment(" ").await.unwrap_err(),
        client
            .webhooks()
            .register("", "https://example.com/x")
            .await
            .unwrap_err(),
        client
            .webhooks()
            .register("ExpTest", "http://example.com/x")
            .await
            .unwrap_err(),
        client
            .webhooks()
            .register("ExpTest", "https://user:pw@example.com/x")
            .await
            .unwrap_err(),
        client
            .webhooks()
            .register("ExpTest", "/relative")
            .await
            .unwrap_err(),
        client.webhooks().get("..").await.unwrap_err(),
        client
            .webhooks()
            .check_connectivity("ExpTest")
            .number_of_events(11)
            .send()
            .await
            .unwrap_err(),
    ];
    let fields: Vec<_> = sent.iter().map(|e| e.field().unwrap_or_default()).collect();
    assert_eq!(
        fields,
        [
            "enrollment_id",
            "partner_id",
            "webhook_url",
            "webhook_url",
            "webhook_url",
            "partner_id",
            "simulation.number_of_events"
        ]
    );
    assert!(sent
        .iter()
        .all(|e| e.kind() == ErrorKind::InvalidRequest && e.operation().is_some()));
    assert!(server.journal().is_empty(), "nothing was sent");

    // Loopback http is a receiver under test: allowed.
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://[::1]:8080/",
    ] {
        let _ = client.webhooks().register("ExpTest", url).await;
        expect(&server, "add_webhook", "POST");
    }
}

#[tokio::test]
async fn every_send_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    assert_send(&client.prospects().enroll("abcd").send());
    assert_send(&client.businesses().enroll("abcd").send());
    assert_send(&client.prospects().enrollments());
    assert_send(&client.businesses().delete_enrollment("en_1"));
    assert_send(&client.prospects().events().send());
    assert_send(&client.webhooks().register("p", "https://h/"));
    assert_send(&client.webhooks().check_connectivity("p").send());
}

#[tokio::test]
async fn enroll_list_fetch_and_delete_round_trip_through_the_servers_state() {
    use explorium::testing::TestEvent;
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    let business = "8adce3ca1cef0c986b22310e369a0793";

    let prospects = client
        .prospects()
        .enroll("tech_executives_monitor")
        .prospect_ids([PROSPECT_ID])
        .event_types([ProspectEvent::ProspectChangedCompany])
        .send()
        .await
        .unwrap();
    let businesses = client
        .businesses()
        .enroll("my_b2b_saas_monitor")
        .business_id(business)
        .event_types([BusinessEvent::NewFundingRound, BusinessEvent::NewOffice])
        .send()
        .await
        .unwrap();

    let listed = client.prospects().enrollments().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].enrollment_id(), prospects.enrollment_id());
    assert_eq!(listed[0].ids(), [PROSPECT_ID]);
    assert_eq!(
        listed[0].event_types(),
        [EventName::Prospect(ProspectEvent::ProspectChangedCompany)]
    );
    let listed = client.businesses().enrollments().await.unwrap();
    assert_eq!(listed[0].enrollment_id(), businesses.enrollment_id());
    assert_eq!(listed[0].event_types().len(), 2);

    server
        .push_event(
            TestEvent::prospect(PROSPECT_ID, "prospect_changed_company")
                .event_id("3f7e8cf51cfd522ff0cef2249772ec0c")
                .data(json!({"current_company_name": "Headovations"})),
        )
        .await;
    server
        .push_event(TestEvent::business(business, "new_office"))
        .await;
    let events = client
        .prospects()
        .events()
        .prospect_id(PROSPECT_ID)
        .event_type(ProspectEvent::ProspectChangedCompany)
        .since(server.now() - std::time::Duration::from_secs(3600))
        .until(server.now())
        .send()
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_id(), "3f7e8cf51cfd522ff0cef2249772ec0c");
    assert_eq!(events[0].entity_id(), PROSPECT_ID);
    assert_eq!(events[0].data()["current_company_name"], "Headovations");
    // A window that ends before the event finds nothing.
    let none = client
        .prospects()
        .events()
        .prospect_id(PROSPECT_ID)
        .event_type("prospect_changed_company")
        .until(server.now() - std::time::Duration::from_secs(3600))
        .send()
        .await
        .unwrap();
    assert!(none.is_empty());
    let events = client
        .businesses()
        .events()
        .business_id(business)
        .event_types([BusinessEvent::NewOffice, BusinessEvent::NewFundingRound])
        .send()
        .await
        .unwrap();
    assert_eq!(
        events[0].event_name(),
        &EventName::Business(BusinessEvent::NewOffice)
    );

    let prospects_delete = client.prospects();
    assert_eq!(
        prospects_delete
            .delete_enrollment(prospects.enrollment_id())
            .await
            .unwrap(),
        Deleted::Removed
    );
    assert_eq!(
        prospects_delete
            .delete_enrollment(prospects.enrollment_id())
            .await
            .unwrap(),
        Deleted::AlreadyGone
    );
    assert!(client.prospects().enrollments().await.unwrap().is_empty());
    assert_eq!(
        client
            .businesses()
            .delete_enrollment(businesses.enrollment_id())
            .await
            .unwrap(),
        Deleted::Removed
    );
    assert_eq!(server.enrollment_count(), 0);
}

#[tokio::test]
async fn a_registered_webhooks_secret_verifies_what_the_server_delivers() {
    use explorium::testing::{DeliveryKind, TestEvent};
    use explorium::webhook::Verifier;
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    // Nothing listens there: the delivery fails, but what was sent is recorded, signed.
    let url = "http://127.0.0.1:9/hook";
    let webhook = client.webhooks().register("ExpTest", url).await.unwrap();
    assert_eq!(webhook.url(), url);
    assert!(webhook.created_at().is_some());
    let got = client.webhooks().get("ExpTest").await.unwrap().unwrap();
    use secrecy::ExposeSecret;
    assert_eq!(
        got.secret().expose_secret(),
        webhook.secret().expose_secret()
    );

    client
        .prospects()
        .enroll("tech_executives_monitor")
        .prospect_id(PROSPECT_ID)
        .event_type(ProspectEvent::ProspectChangedRole)
        .send()
        .await
        .unwrap();
    let deliveries = server
        .push_event(TestEvent::prospect(PROSPECT_ID, "prospect_changed_role"))
        .await;
    assert_eq!(deliveries.len(), 1);
    let delivery = &deliveries[0];
    let verifier = Verifier::new(webhook.secret()).unwrap();
    let event = verifier
        .verify_at(
            &delivery.timestamp,
            &delivery.signature,
            &delivery.body,
            server.now(),
        )
        .unwrap();
    assert_eq!(event.entity_id(), PROSPECT_ID);
    assert_eq!(event.enrollment_key(), "tech_executives_monitor");

    // Registering again rotates the secret: the old one no longer verifies.
    let rotated = client.webhooks().register("ExpTest", url).await.unwrap();
    assert_ne!(
        rotated.secret().expose_secret(),
        webhook.secret().expose_secret()
    );
    let check = client
        .webhooks()
        .check_connectivity("ExpTest")
        .simulate("funding_round")
        .number_of_events(2)
        .send()
        .await
        .unwrap();
    assert!(check.is_some());
    let checks: Vec<_> = server
        .deliveries()
        .into_iter()
        .filter(|d| d.kind == DeliveryKind::ConnectivityCheck)
        .collect();
    assert_eq!(checks.len(), 2);
    let checked = &checks[0];
    assert!(verifier
        .verify_at(
            &checked.timestamp,
            &checked.signature,
            &checked.body,
            server.now()
        )
        .is_err());
    Verifier::new(rotated.secret())
        .unwrap()
        .verify_at(
            &checked.timestamp,
            &checked.signature,
            &checked.body,
            server.now(),
        )
        .unwrap();

    assert_eq!(
        client.webhooks().delete("ExpTest").await.unwrap(),
        Deleted::Removed
    );
    assert!(client.webhooks().get("ExpTest").await.unwrap().is_none());
    assert_eq!(
        client.webhooks().delete("ExpTest").await.unwrap(),
        Deleted::AlreadyGone
    );
}

#[tokio::test]
async fn a_time_beyond_the_calendar_and_a_url_with_credentials_are_refused_without_panic_or_leak() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    let far = std::time::UNIX_EPOCH + std::time::Duration::from_secs(10u64.pow(15));
    let error = client
        .prospects()
        .events()
        .prospect_ids([PROSPECT_ID])
        .event_types([explorium::ProspectEvent::ProspectChangedRole])
        .since(far)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.kind(),
        explorium::ErrorKind::InvalidRequest,
        "{error}"
    );

    let error = client
        .webhooks()
        .register(
            "partner-1",
            "https://user:hunter2-secret@example.com/events?token=abc",
        )
        .await
        .unwrap_err();
    let said = format!("{error} {error:?}");
    assert!(
        !said.contains("hunter2") && !said.contains("token=abc"),
        "{said}"
    );
    assert!(server.journal().is_empty());
}
