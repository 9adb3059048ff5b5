//! `client.prospects()`: enroll and update, against the spec-enforcing local server.

mod support;

use explorium::testing::{LocalServer, Validation};
use explorium::{ErrorKind, ProspectEvent, RequestStatus};
use serde_json::json;
use support::*;

const ID_A: &str = "20ae6cbf564ee683e66685e429844a5ff8ffc30f";
const ID_B: &str = "4c485f009d59e319dc039cdf3e935b85014e6a33";

#[tokio::test]
async fn enroll_then_update_round_trips_and_the_server_keeps_the_new_lists() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);

    let created = client
        .prospects()
        .enroll("tech_executives_monitor")
        .prospect_ids([ID_A, ID_B])
        .event_types([
            ProspectEvent::ProspectChangedRole,
            ProspectEvent::ProspectChangedCompany,
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(created.enrollment_key(), "tech_executives_monitor");
    let context = created.context().expect("context");
    assert_eq!(context.request_status(), &RequestStatus::Success);
    assert_eq!(context.correlation_id().len(), 32);
    assert!(context.time_took().is_some());

    let updated = client
        .prospects()
        .update_enrollment(created.enrollment_id(), "tech_executives_monitor")
        .prospect_id(ID_B)
        .event_type(ProspectEvent::ProspectJobStartAnniversary)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.enrollment_id(), created.enrollment_id());

    let stored = server.enrollment(created.enrollment_id()).unwrap();
    assert_eq!(stored.lists["prospect_ids"], json!([ID_B]));
    assert_eq!(
        stored.lists["event_types"],
        json!(["prospect_job_start_anniversary"])
    );
}

#[tokio::test]
async fn each_call_reaches_the_spec_operation_it_names_exactly_once() {
    let server = server_with_documented_enrollments().await;
    let client = client_for(&server);
    client
        .prospects()
        .enroll("tech_executives_monitor")
        .prospect_id(ID_A)
        .event_type("prospect_changed_role")
        .send()
        .await
        .unwrap();
    client
        .prospects()
        .update_enrollment("en_8d52c3f1", "tech_executives_monitor")
        .prospect_id(ID_A)
        .event_type("prospect_changed_role")
        .send()
        .await
        .unwrap();
    let journal = server.journal();
    let routed: Vec<_> = journal
        .iter()
        .map(|r| (r.operation_id.as_deref(), r.method.as_str()))
        .collect();
    assert_eq!(
        routed,
        [
            (Some("add_prospects_enrollments"), "POST"),
            (Some("update_prospects_enrollments"), "PATCH")
        ]
    );
    assert!(journal.iter().all(|r| r.validation == Validation::Valid));
}

#[tokio::test]
async fn wire_strings_parse_and_duplicates_are_dropped_in_order() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    client
        .prospects()
        .enroll("tech_executives_monitor")
        .prospect_ids(vec![ID_B.to_string(), ID_A.to_string(), ID_B.to_string()])
        .event_types(["prospect_changed_company", "prospect_changed_role"])
        .event_type(ProspectEvent::ProspectChangedCompany)
        .send()
        .await
        .unwrap();
    let sent = server.journal()[0].body.clone().unwrap();
    assert_eq!(sent["prospect_ids"], json!([ID_B, ID_A]));
    assert_eq!(
        sent["event_types"],
        json!(["prospect_changed_company", "prospect_changed_role"])
    );
    assert!(
        sent.get("request_context").is_none(),
        "optional fields are not sent"
    );
}

#[tokio::test]
async fn invalid_requests_are_refused_before_sending_naming_field_index_and_rule() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    let base = || {
        client
            .prospects()
            .enroll("tech_executives_monitor")
            .prospect_id(ID_A)
            .event_type(ProspectEvent::ProspectChangedRole)
    };
    let too_many: Vec<String> = (0..21).map(prospect_id).collect();
    let cases = [
        (
            base().prospect_ids([ID_B, ID_A, "ABC"]),
            "prospect_ids[3]",
            r#"prospect_ids[3]: "ABC" is not 40 lowercase hex characters"#,
        ),
        (
            base().prospect_id(ID_A.to_uppercase()),
            "prospect_ids[1]",
            "is not 40 lowercase hex characters",
        ),
        (
            base().prospect_ids(too_many),
            "prospect_ids",
            "more than the 20",
        ),
        (
            client
                .prospects()
                .enroll("tech_executives_monitor")
                .event_type(ProspectEvent::ProspectChangedRole),
            "prospect_ids",
            "at least one id",
        ),
        (
            client
                .prospects()
                .enroll("tech_executives_monitor")
                .prospect_id(ID_A),
            "event_types",
            "at least one event type",
        ),
        (
            base().event_type("prospect_got_promoted"),
            "event_types[1]",
            r#""prospect_got_promoted" is not a prospect event type"#,
        ),
        (
            client
                .prospects()
                .enroll("abc")
                .prospect_id(ID_A)
                .event_type(ProspectEvent::ProspectChangedRole),
            "enrollment_key",
            "shorter than 4 characters",
        ),
    ];
    for (request, field, rule) in cases {
        let error = request.send().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{error}");
        assert_eq!(error.field(), Some(field), "{error}");
        assert!(error.to_string().contains(rule), "{error}");
        assert!(
            error.to_string().starts_with("add_prospects_enrollments: "),
            "{error}"
        );
        assert!(!error.is_retryable());
    }
    let error = client
        .prospects()
        .update_enrollment("", "tech_executives_monitor")
        .prospect_id(ID_A)
        .event_type(ProspectEvent::ProspectChangedRole)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.field(), Some("enrollment_id"));
    assert!(server.journal().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn body_shows_what_would_be_sent_as_the_generated_type() {
    let client = explorium::Client::builder()
        .api_key("k-123")
        .build()
        .unwrap();
    let body = client
        .prospects()
        .enroll("tech_executives_monitor")
        .prospect_ids([ID_A, ID_A])
        .event_type("prospect_changed_role")
        .body()
        .unwrap();
    assert_eq!(body.prospect_ids.len(), 1);
    assert_eq!(body.event_types, [ProspectEvent::ProspectChangedRole]);
    assert_eq!(&*body.enrollment_key, "tech_executives_monitor");
}

#[test]
fn event_types_parse_from_wire_strings_with_clear_errors() {
    assert_eq!(
        ProspectEvent::from_wire("prospect_changed_role").unwrap(),
        ProspectEvent::ProspectChangedRole
    );
    let error = ProspectEvent::from_wire("prospect_got_promoted").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert_eq!(
        error.to_string(),
        r#"event_type: "prospect_got_promoted" is not a prospect event type (e.g. "prospect_changed_role")"#
    );
    assert_eq!(
        explorium::BusinessEvent::from_wire("new_office").unwrap(),
        explorium::BusinessEvent::NewOffice
    );
    assert!(explorium::BusinessEvent::from_wire("prospect_changed_role").is_err());
}

#[tokio::test]
async fn builders_are_cheap_clones_that_can_be_sent_twice() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    let request = client
        .prospects()
        .enroll("tech_executives_monitor")
        .prospect_id(ID_A)
        .event_type(ProspectEvent::ProspectChangedRole);
    let first = request.clone().send().await.unwrap();
    let second = request.send().await.unwrap();
    assert_ne!(
        first.enrollment_id(),
        second.enrollment_id(),
        "an add is not idempotent: two enrollments"
    );
    assert_eq!(server.enrollment_count(), 2);
}

/// `send()` serializes the checked lists directly, without building the generated type; what
/// reaches the server must be exactly what `body()` shows, for every enrollment builder.
#[tokio::test]
async fn what_send_sends_is_exactly_what_body_shows() {
    let server = server_with_documented_enrollments().await;
    let client = client_for(&server);
    let prospects = [
        prospect_id(3),
        prospect_id(1),
        prospect_id(3),
        prospect_id(2),
    ];
    let businesses = [business_id(7), business_id(7), business_id(8)];
    let events = [
        "prospect_changed_company",
        "prospect_changed_role",
        "prospect_changed_company",
    ];
    let business_events = [
        explorium::BusinessEvent::NewOffice,
        explorium::BusinessEvent::NewFundingRound,
    ];

    let add = client
        .prospects()
        .enroll("tech_executives_monitor")
        .prospect_ids(&prospects)
        .event_types(events);
    let update = client
        .prospects()
        .update_enrollment("en_8d52c3f1", "tech_executives_monitor")
        .prospect_ids(&prospects)
        .event_types(events);
    let business_add = client
        .businesses()
        .enroll("my_b2b_saas_monitor")
        .business_ids(&businesses)
        .event_types(business_events);
    let business_update = client
        .businesses()
        .update_enrollment("en_7b429a01", "my_b2b_saas_monitor")
        .business_ids(&businesses)
        .event_types(business_events);
    let shown = [
        serde_json::to_value(add.body().unwrap()).unwrap(),
        serde_json::to_value(update.body().unwrap()).unwrap(),
        serde_json::to_value(business_add.body().unwrap()).unwrap(),
        serde_json::to_value(business_update.body().unwrap()).unwrap(),
    ];
    add.send().await.unwrap();
    update.send().await.unwrap();
    business_add.send().await.unwrap();
    business_update.send().await.unwrap();
    let sent: Vec<serde_json::Value> = server
        .journal()
        .into_iter()
        .map(|r| r.body.unwrap())
        .collect();
    assert_eq!(sent, shown);
}
