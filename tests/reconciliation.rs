//! Adds that cannot duplicate: an add whose outcome is unknown is reconciled by listing the
//! enrollments before anything is repeated. On tokio's paused clock, client and server on one
//! current-thread runtime; the journal shows every request that reached the server.

mod support;

use std::time::Duration;

use explorium::testing::{Fault, LocalServer};
use explorium::{ErrorKind, RetryPolicy};
use serde_json::json;
use support::*;

const ADD: &str = "add_prospects_enrollments";
const LIST: &str = "get_prospects_enrollments";

/// The operations the journal recorded, in order.
fn operations(server: &LocalServer) -> Vec<String> {
    server
        .journal()
        .into_iter()
        .map(|r| r.operation_id.unwrap_or_default())
        .collect()
}

/// A list answer holding the enrollment `support::enroll` asks for, as `en_0000beef`.
fn listed_with_the_enrollment() -> serde_json::Value {
    json!({
        "response_context": {"correlation_id": "c0ffee", "request_status": "success", "time_took_in_seconds": 0.1},
        "enrollments": [
            {"enrollment_id": "en_00000001", "enrollment_key": "tech_executives_monitor",
             "prospect_ids": [PROSPECT_ID], "event_types": ["prospect_changed_company"]},
            {"enrollment_id": "en_0000beef", "enrollment_key": "tech_executives_monitor",
             "prospect_ids": [PROSPECT_ID], "event_types": ["prospect_changed_role"], "ttl_days": 365}
        ]
    })
}

fn empty_list() -> serde_json::Value {
    json!({"enrollments": []})
}

#[tokio::test(start_paused = true)]
async fn a_connection_broken_after_sending_is_reconciled_then_added_once() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    server.inject(Fault::close_connection().on(ADD));
    server.inject(Fault::respond(200, empty_list()).on(LIST));
    let created = enroll(&client).await.unwrap();
    assert_eq!(operations(&server), [ADD, LIST, ADD]);
    assert_eq!(
        server.enrollment_count(),
        1,
        "exactly one enrollment exists"
    );
    assert!(server.enrollment(created.enrollment_id()).is_some());
}

#[tokio::test(start_paused = true)]
async fn a_503_on_an_add_is_reconciled_and_an_identical_listed_enrollment_is_returned_not_repeated()
{
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    server.inject(Fault::status(503).on(ADD));
    server.inject(Fault::respond(200, listed_with_the_enrollment()).on(LIST));
    let found = enroll(&client).await.unwrap();
    assert_eq!(
        found.enrollment_id(),
        "en_0000beef",
        "same key, ids and events"
    );
    assert_eq!(found.context().unwrap().correlation_id(), "c0ffee");
    assert_eq!(operations(&server), [ADD, LIST], "the add was not repeated");
}

#[tokio::test(start_paused = true)]
async fn a_stall_past_the_timeout_is_reconciled_and_the_stalled_add_is_never_processed() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    server.inject(Fault::stall(Duration::from_secs(60)).on(ADD));
    server.inject(Fault::respond(200, empty_list()).on(LIST));
    enroll(&client).await.unwrap();
    // Long past the stall: the server dropped the stalled request with its connection, before
    // processing (or journaling) it.
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(
        server.enrollment_count(),
        1,
        "exactly one enrollment exists"
    );
    assert_eq!(operations(&server), [LIST, ADD]);
}

#[tokio::test(start_paused = true)]
async fn with_reconciliation_off_an_unknown_outcome_ends_the_call_without_listing() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    server.inject(Fault::close_connection().on(ADD));
    let error = enroll_unreconciled(&client).await.unwrap_err();
    assert_eq!((error.kind(), error.attempts()), (ErrorKind::Connection, 1));
    assert!(
        error.to_string().contains("may or may not exist"),
        "{error}"
    );
    assert_eq!(operations(&server), [ADD]);
}

#[tokio::test(start_paused = true)]
async fn a_list_that_fails_for_good_ends_the_call_saying_the_enrollment_may_exist() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    server.inject(Fault::status(502).on(ADD));
    server.inject(Fault::status(403).on(LIST));
    let error = enroll(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::OutOfCredits, "the list's failure");
    assert_eq!(error.operation(), Some(ADD));
    assert_eq!(error.attempts(), 2);
    assert!(!error.is_retryable());
    let text = error.to_string();
    assert!(
        text.contains("listing the enrollments") && text.contains("may or may not exist"),
        "{text}"
    );
    assert_eq!(operations(&server), [ADD, LIST]);
}

#[tokio::test(start_paused = true)]
async fn a_list_that_fails_transiently_is_repeated_then_reconciles() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server)
        .retry(RetryPolicy::default().max_attempts(4))
        .build()
        .unwrap();
    server.inject(Fault::status(504).on(ADD));
    server.inject(Fault::close_connection().on(LIST));
    server.inject(Fault::respond(200, listed_with_the_enrollment()).on(LIST));
    let found = enroll(&client).await.unwrap();
    assert_eq!(found.enrollment_id(), "en_0000beef");
    assert_eq!(operations(&server), [ADD, LIST, LIST]);
}

#[tokio::test(start_paused = true)]
async fn attempts_bound_reconciliation_and_the_last_error_says_the_enrollment_may_exist() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server)
        .retry(RetryPolicy::default().max_attempts(2))
        .build()
        .unwrap();
    server.inject(Fault::status(500).on(ADD).times(2));
    server.inject(Fault::respond(200, empty_list()).on(LIST));
    let error = enroll(&client).await.unwrap_err();
    assert_eq!((error.kind(), error.attempts()), (ErrorKind::Server, 2));
    assert!(
        error.to_string().contains("may or may not exist"),
        "{error}"
    );
    // The second attempt listed, found nothing, and added in the same attempt.
    assert_eq!(operations(&server), [ADD, LIST, ADD]);
    assert_eq!(server.enrollment_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_refused_connection_is_repeated_without_listing() {
    // Nothing listens on the port once the server is dropped: nothing was sent, nothing to
    // reconcile; with no server at all, every attempt is refused.
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    drop(server);
    let error = enroll(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection);
    assert_eq!(error.attempts(), 3, "repeated as safe: {error}");
    assert!(
        !error.to_string().contains("may or may not exist"),
        "{error}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_different_enrollment_under_the_same_key_is_not_taken_for_the_add() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    server.inject(Fault::status(503).on(ADD));
    // Same key and ids, other event types; then same key and events, more ids.
    server.inject(Fault::respond(
        200,
        json!({"enrollments": [
            {"enrollment_id": "en_1", "enrollment_key": "tech_executives_monitor",
             "prospect_ids": [PROSPECT_ID], "event_types": ["prospect_changed_role", "prospect_changed_company"]},
            {"enrollment_id": "en_2", "enrollment_key": "tech_executives_monitor",
             "prospect_ids": [PROSPECT_ID, prospect_id(7)], "event_types": ["prospect_changed_role"]},
            {"enrollment_id": "en_3", "enrollment_key": "other_key",
             "prospect_ids": [PROSPECT_ID], "event_types": ["prospect_changed_role"]}
        ]}),
    )
    .on(LIST));
    let created = enroll(&client).await.unwrap();
    assert!(created.enrollment_id().starts_with("en_"));
    assert!(!["en_1", "en_2", "en_3"].contains(&created.enrollment_id()));
    assert_eq!(operations(&server), [ADD, LIST, ADD]);
    assert_eq!(server.enrollment_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn with_the_servers_own_list_a_broken_add_leaves_exactly_one_enrollment() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    server.inject(Fault::close_connection().on(ADD));
    let created = enroll(&client).await.unwrap();
    assert_eq!(operations(&server), [ADD, LIST, ADD]);
    assert_eq!(server.enrollment_count(), 1);
    assert!(server.enrollment(created.enrollment_id()).is_some());
}

#[tokio::test(start_paused = true)]
async fn an_identical_enrollment_that_already_exists_is_returned_after_an_unknown_outcome() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    let existing = enroll(&client).await.unwrap();
    server.inject(Fault::status(503).on(ADD));
    let found = enroll(&client).await.unwrap();
    assert_eq!(found.enrollment_id(), existing.enrollment_id());
    assert_eq!(server.enrollment_count(), 1);
    assert_eq!(operations(&server), [ADD, ADD, LIST]);
}

#[tokio::test(start_paused = true)]
async fn a_list_that_is_still_failing_when_attempts_run_out_leaves_an_error_that_is_not_retryable()
{
    for list_fault in [Fault::status(503), Fault::status(429).retry_after(1)] {
        let server = LocalServer::start().await.unwrap();
        let client = builder_for(&server).build().unwrap();
        server.inject(Fault::status(502).on(ADD));
        server.inject(list_fault.on(LIST).times(5));
        let error = enroll(&client).await.unwrap_err();
        assert_eq!(operations(&server), [ADD, LIST, LIST]);
        // A list error would be retryable on its own; here the add may have been processed.
        assert!(!error.is_retryable(), "{error:?}");
        assert!(
            error.to_string().contains("may or may not exist"),
            "{error}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_408_on_an_add_says_the_enrollment_may_exist() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    server.inject(Fault::status(408));
    let error = enroll_unreconciled(&client).await.unwrap_err();
    assert!(!error.is_retryable());
    assert!(
        error.to_string().contains("may or may not exist"),
        "{error}"
    );
}
