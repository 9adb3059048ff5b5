//! Every failure becomes one `explorium::Error` of the right kind, with what a person needs.

mod support;

use std::time::Duration;

use explorium::testing::{Fault, LocalServer};
use explorium::{Client, ErrorKind, RequestStatus};
use support::*;

#[tokio::test]
async fn statuses_map_to_kinds_with_correlation_ids_and_retryability() {
    let server = server_with_documented_enrollments().await;
    let client = client_for(&server);
    for (status, kind, retryable_add, retryable_update) in [
        (401, ErrorKind::Unauthorized, false, false),
        (403, ErrorKind::OutOfCredits, false, false),
        (400, ErrorKind::UnexpectedStatus, false, false),
        (500, ErrorKind::Server, false, true),
        (502, ErrorKind::Server, false, true),
        (503, ErrorKind::Server, false, true),
        (504, ErrorKind::Server, false, true),
        (501, ErrorKind::Server, false, false),
    ] {
        server.inject(Fault::status(status).times(2));
        let add = enroll(&client).await.unwrap_err();
        let patch = update(&client).await.unwrap_err();
        for (error, retryable) in [(&add, retryable_add), (&patch, retryable_update)] {
            assert_eq!(error.kind(), kind, "{status}: {error}");
            assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
            assert_eq!(
                error.correlation_id().map(str::len),
                Some(32),
                "{status}: from the general error body"
            );
            assert_eq!(error.is_retryable(), retryable, "{status}: {error}");
            assert!(error.body_excerpt().unwrap().contains("injected fault"));
        }
        assert!(
            add.to_string().starts_with("add_prospects_enrollments: "),
            "{add}"
        );
    }
    assert_eq!(
        server.enrollment_count(),
        2,
        "no fault created an enrollment"
    );
}

#[tokio::test]
async fn rate_limiting_is_retryable_with_the_servers_retry_after() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    server.inject(Fault::status(429).retry_after(7));
    let error = enroll(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert!(error.is_retryable(), "a refused add was not processed");
    assert!(error.to_string().contains("retry after 7s"), "{error}");

    // The real limiter: the body's `retry_after` and the header agree.
    let limited = LocalServer::builder()
        .rate_limit(1, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    enroll(&client_for(&limited)).await.unwrap();
    // A fresh client: one that heard the first answer would wait for the window instead.
    let error = enroll(&client_for(&limited)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert!(error
        .retry_after()
        .is_some_and(|d| d <= Duration::from_secs(60)));
}

#[tokio::test]
async fn a_server_422_keeps_its_detail_list() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    // What the server would say if its rules were stricter than the published schema's.
    server.inject(Fault::respond(
        422,
        serde_json::json!({"detail": [
            {"loc": ["body", "prospect_ids", 0], "msg": "Prospect is not monitorable", "type": "value_error"},
            {"loc": ["body", "enrollment_key"], "msg": "Key already used", "type": "value_error"},
        ]}),
    ));
    let error = enroll(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    let fields: Vec<&str> = error
        .validation_details()
        .iter()
        .map(|d| d.field.as_str())
        .collect();
    assert_eq!(fields, ["prospect_ids[0]", "enrollment_key"]);
    assert_eq!(error.validation_details()[1].message, "Key already used");
    assert!(
        error
            .to_string()
            .contains("prospect_ids[0]: Prospect is not monitorable"),
        "{error}"
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_huge_server_message_is_cut_in_the_error() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    server.inject(Fault::respond(
        500,
        serde_json::json!({"details": "x".repeat(1 << 20)}),
    ));
    let error = enroll(&client).await.unwrap_err();
    assert!(
        error.to_string().len() < 1024,
        "{} bytes",
        error.to_string().len()
    );
    assert!(error.body_excerpt().unwrap().len() <= 512 + 3);
}

#[tokio::test]
async fn both_documented_429_bodies_give_retry_after() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    server.inject(Fault::respond(
        429,
        serde_json::json!({"code": 429, "message": "Too many", "retry_after": 42}),
    ));
    let error = enroll(&client).await.unwrap_err();
    assert_eq!(error.retry_after(), Some(Duration::from_secs(42)));
    assert!(error.to_string().contains("Too many"), "{error}");
}

#[tokio::test]
async fn malformed_unexpected_and_truncated_bodies_are_decode_or_connection_errors() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);

    server.inject(Fault::malformed_json());
    let error = enroll(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
    assert!(
        error.body_excerpt().unwrap().contains("<html>"),
        "{error:?}"
    );
    assert!(std::error::Error::source(&error).is_some());

    server.inject(Fault::unexpected_shape());
    let error = enroll(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert!(
        error.to_string().contains("enrollment_id"),
        "names the missing field: {error}"
    );

    server.inject(Fault::truncated_body());
    let error = enroll(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection, "{error:?}");
    assert!(
        !error.is_retryable(),
        "an add whose answer broke off may have been processed"
    );

    server.inject(Fault::close_connection());
    let error = update(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection, "{error:?}");
    assert!(error.is_retryable(), "an update is idempotent");
}

#[tokio::test]
async fn oversized_bodies_are_refused_without_reading_them() {
    let server = LocalServer::start().await.unwrap();
    let client = Client::builder()
        .api_key(server.api_key())
        .base_url(server.base_url())
        .max_response_bytes(64 << 10)
        .build()
        .unwrap();
    server.inject(Fault::oversized_body(1 << 20));
    let error = enroll(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ResponseTooLarge);
    assert!(error.to_string().contains("65536-byte limit"), "{error}");

    // The default limit (4 MiB) takes a normal answer, refuses a 5 MiB one.
    let client = client_for(&server);
    server.inject(Fault::oversized_body(5 << 20));
    assert_eq!(
        enroll(&client).await.unwrap_err().kind(),
        ErrorKind::ResponseTooLarge
    );
    enroll(&client).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_stalled_server_is_a_timeout_on_the_paused_clock() {
    let server = server_with_documented_enrollments().await;
    let client = Client::builder()
        .api_key(server.api_key())
        .base_url(server.base_url())
        .timeout(Duration::from_secs(5))
        .retry(explorium::RetryPolicy::disabled())
        .build()
        .unwrap();
    server.inject(Fault::stall(Duration::from_secs(600)).times(2));
    let error = enroll(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    assert!(error.is_timeout());
    assert!(!error.is_retryable(), "the add may have been processed");
    let error = update(&client).await.unwrap_err();
    assert!(error.is_timeout() && error.is_retryable(), "{error:?}");
}

#[tokio::test]
async fn nothing_listening_is_a_retryable_connection_error_even_for_an_add() {
    let (_held, addr) = refusing_address();
    let client = Client::builder()
        .api_key("k-1234")
        .base_url(format!("http://{addr}"))
        .build()
        .unwrap();
    let error = enroll(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection, "{error:?}");
    assert!(error.is_retryable(), "nothing reached a server");
    assert!(
        error
            .to_string()
            .contains("could not connect; nothing was sent"),
        "{error}"
    );
}

#[tokio::test]
async fn the_documented_request_context_variant_decodes() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    server.inject(Fault::request_context_variant());
    let created = enroll(&client).await.unwrap();
    assert_eq!(
        created.context().unwrap().request_status(),
        &RequestStatus::Success
    );
}

#[test]
fn errors_are_send_sync_and_static() {
    fn bounds<T: Send + Sync + 'static + std::error::Error>() {}
    bounds::<explorium::Error>();
}
