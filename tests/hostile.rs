//! A hostile or broken server: keys echoed back in every encoding, contexts of the wrong
//! type, lying lengths, redirects, unbounded and log-forging text, absurd waits, connects
//! that never finish, oversized error bodies. Served by the local server's faults where they
//! can say it, by a raw TCP responder where they cannot. What reaches the traces is checked
//! in `tracing.rs`, where every test captures them.

mod support;

use std::time::Duration;

use explorium::testing::{Fault, LocalServer};
use explorium::{Client, ErrorKind, RetryPolicy};
use serde_json::json;
use support::*;

/// A key with a `/`, so that JSON can escape it two ways: `\u0073k` and `sk\/live`.
const KEY: &str = "sk/live-SECRET-7f3a9c1e";

fn raw_client(responder: &RawResponder) -> explorium::ClientBuilder {
    Client::builder()
        .api_key(KEY)
        .base_url(responder.base_url())
        .retry(RetryPolicy::disabled())
}

fn response(status: &str, headers: &[&str], body: &str) -> String {
    let mut head = format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\n");
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    format!("{head}content-length: {}\r\n\r\n{body}", body.len())
}

fn everything_said(error: &explorium::Error) -> String {
    format!(
        "{error} | {error:?} | {:?} | {:?}",
        error.correlation_id(),
        error.validation_details()
    )
}

#[tokio::test]
async fn a_key_in_a_request_id_header_or_escaped_in_json_is_scrubbed_from_errors() {
    let responder = RawResponder::start(vec![
        response("400 Bad Request", &[&format!("X-Request-Id: {KEY}")], "{}"),
        response(
            "500 Internal Server Error",
            &[&format!("X-Correlation-Id: {KEY}")],
            r#"{"message": "echo \u0073k\/live-SECRET-7f3a9c1e"}"#,
        ),
        response(
            "422 Unprocessable Entity",
            &[],
            r#"{"detail": [{"loc": ["body", "sk\/live-SECRET-7f3a9c1e"], "msg": "\u0073k/live-SECRET-7f3a9c1e", "type": "x"}]}"#,
        ),
        response(
            "200 OK",
            &[],
            r#"{"enrollment_id": 5, "echo": "\u0073k\/live-SECRET-7f3a9c1e"}"#,
        ),
    ])
    .await;
    let client = raw_client(&responder).build().unwrap();
    let mut said = Vec::new();
    for _ in 0..4 {
        let error = update(&client).await.unwrap_err();
        said.push(everything_said(&error));
    }
    let said = said.join("\n");
    assert!(said.contains("[redacted]"), "{said}");
    assert!(!said.contains(KEY), "{said}");
    assert!(!said.contains(r"\u0073k"), "{said}");
    assert!(!said.contains(r"sk\/live"), "{said}");
}

#[tokio::test]
async fn a_key_as_the_correlation_id_of_a_success_is_scrubbed_from_the_enrollment() {
    let server = LocalServer::builder().api_key(KEY).start().await.unwrap();
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .build()
        .unwrap();
    server.inject(Fault::respond(
        200,
        json!({"enrollment_id": "en_1", "enrollment_key": "tech_executives_monitor",
               "response_context": {"correlation_id": KEY, "request_status": "success"}}),
    ));
    let created = enroll(&client).await.unwrap();
    assert_eq!(
        created.context().unwrap().correlation_id(),
        "[redacted]",
        "{created:?}"
    );
}

#[tokio::test]
async fn a_context_of_unexpected_types_never_costs_the_enrollment() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    for context in [
        json!({"correlation_id": "c-1", "request_status": "success", "time_took_in_seconds": "0.5"}),
        json!({"correlation_id": 12345, "request_status": "success"}),
        json!({"correlation_id": "c-1", "request_status": 1}),
        json!({"correlation_id": ["c"], "request_status": {"s": 1}, "time_took_in_seconds": true}),
        json!("n/a"),
        json!([1, 2]),
    ] {
        server.inject(Fault::respond(
            200,
            json!({"enrollment_id": "en_1", "enrollment_key": "tech_executives_monitor", "response_context": context}),
        ));
        let created = enroll(&client)
            .await
            .unwrap_or_else(|e| panic!("{context}: {e:?}"));
        assert_eq!(created.enrollment_id(), "en_1", "{context}");
    }
    // Kept where it could be read.
    server.inject(Fault::respond(
        200,
        json!({"enrollment_id": "en_1", "enrollment_key": "tech_executives_monitor",
               "response_context": {"correlation_id": 12345, "time_took_in_seconds": "0.5"}}),
    ));
    let context = enroll(&client).await.unwrap().context().cloned().unwrap();
    assert_eq!(context.correlation_id(), "12345");
    assert_eq!(context.time_took(), Some(Duration::from_millis(500)));
}

#[tokio::test]
async fn a_number_beyond_f64_in_the_context_never_costs_the_enrollment() {
    let responder = RawResponder::start(vec![response(
        "200 OK",
        &[],
        r#"{"enrollment_id": "en_1", "enrollment_key": "k", "extra": -1e400,
            "response_context": {"correlation_id": "c-1", "time_took_in_seconds": 1e400}}"#,
    )])
    .await;
    let created = enroll(&raw_client(&responder).build().unwrap())
        .await
        .unwrap();
    assert_eq!(created.enrollment_id(), "en_1");
    let context = created.context().unwrap();
    assert_eq!(context.correlation_id(), "c-1");
    assert_eq!(context.time_took(), None);
}

#[tokio::test]
async fn only_a_missing_or_non_string_enrollment_id_or_a_non_object_fails_a_success() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    for body in [
        json!(["en_1", "tech_executives_monitor"]),
        json!({"enrollment_key": "tech_executives_monitor"}),
        json!({"enrollment_id": 1, "enrollment_key": "tech_executives_monitor"}),
    ] {
        server.inject(Fault::respond(200, body.clone()));
        let error = enroll(&client).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode, "{body}: {error:?}");
        assert!(!error.is_retryable());
    }
}

#[tokio::test(start_paused = true)]
async fn a_lying_content_length_with_no_size_limit_allocates_nothing_for_it() {
    let responder = RawResponder::start(vec![
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000000000000000\r\n\r\n{\"enrollment_id\"".into(),
    ])
    .await;
    let client = raw_client(&responder)
        .max_response_bytes(usize::MAX)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    // The rest of the body never comes.
    let error = update(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
}

#[tokio::test]
async fn a_301_302_or_303_is_never_followed_and_is_an_unexpected_status() {
    let server = server_with_documented_enrollments().await;
    let client = client_for(&server);
    let here = format!("{}{PROSPECTS_PATH}", server.base_url());
    for status in [301, 302, 303] {
        for add in [true, false] {
            let before = server.journal().len();
            server.inject(Fault::redirect(status, here.clone()));
            let error = if add {
                enroll(&client).await
            } else {
                update(&client).await
            }
            .unwrap_err();
            assert_eq!(error.kind(), ErrorKind::UnexpectedStatus, "{error:?}");
            assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
            assert!(!error.is_retryable(), "{error:?}");
            assert_eq!(
                server.journal().len(),
                before + 1,
                "{status} was not followed as a GET"
            );
        }
    }
}

#[tokio::test]
async fn a_same_origin_redirect_loop_is_an_unexpected_status() {
    let server = server_with_documented_enrollments().await;
    let client = client_for(&server);
    let here = format!("{}{PROSPECTS_PATH}", server.base_url());
    server.inject(Fault::redirect(307, here).times(100));
    let error = update(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnexpectedStatus, "{error:?}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(307));
    assert!(!error.is_retryable());
    assert!(server.journal().len() <= 7, "{}", server.journal().len());
}

#[tokio::test]
async fn server_text_in_errors_is_bounded_and_on_one_line() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);

    server.inject(Fault::respond(
        400,
        json!({"correlation_id": "c".repeat(1 << 20), "message": "m".repeat(1 << 20)}),
    ));
    let error = enroll(&client).await.unwrap_err();
    assert!(error.correlation_id().unwrap().len() <= 131, "bounded");
    assert!(
        error.to_string().len() < 2048,
        "{}",
        error.to_string().len()
    );

    let details: Vec<_> = (0..5000)
        .map(|n| json!({"loc": ["body", "prospect_ids", n], "msg": "x".repeat(100), "type": "t"}))
        .collect();
    server.inject(Fault::respond(422, json!({ "detail": details })));
    let error = enroll(&client).await.unwrap_err();
    assert_eq!(error.validation_details().len(), 5000, "all kept");
    let shown = error.to_string();
    assert!(shown.len() < 8 * 1024, "{}", shown.len());
    assert!(shown.contains("and 4990 more"), "{shown}");

    let forged = "\n2030-01-01T00:00:00Z  INFO explorium: all good\u{1b}[2J";
    server.inject(Fault::respond(
        422,
        json!({"detail": [{"loc": ["body", forged], "msg": forged, "type": forged}]}),
    ));
    let error = enroll(&client).await.unwrap_err();
    server.inject(Fault::respond(
        500,
        json!({"message": forged, "correlation_id": forged}),
    ));
    let other = enroll(&client).await.unwrap_err();
    for text in [
        error.to_string(),
        other.to_string(),
        other.correlation_id().unwrap().to_string(),
    ] {
        assert!(!text.contains('\n') && !text.contains('\u{1b}'), "{text:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn absurd_waits_saturate_instead_of_overflowing() {
    let far = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(120));
    let responder = RawResponder::start(vec![
        response(
            "503 Service Unavailable",
            &["Retry-After: 99999999999999999999999"],
            "{}",
        ),
        response(
            "429 Too Many Requests",
            &[&format!("Retry-After: {far}")],
            "{}",
        ),
        response(
            "429 Too Many Requests",
            &[
                "X-RateLimit-Remaining: 0",
                "X-RateLimit-Reset: 18446744073709551615",
                "retry-after-ms: 1e300",
            ],
            "{}",
        ),
    ])
    .await;
    let client = raw_client(&responder)
        .retry(RetryPolicy::default())
        .build()
        .unwrap();
    let error = update(&client).await.unwrap_err();
    assert_eq!(error.retry_after(), Some(Duration::from_secs(u64::MAX)));
    assert_eq!(
        error.attempts(),
        1,
        "longer than max_retry_after: not slept"
    );
    let error = update(&client).await.unwrap_err();
    let asked = error.retry_after().unwrap();
    assert!(
        asked > Duration::from_secs(110) && asked <= Duration::from_secs(120),
        "an HTTP date: {asked:?}"
    );
    assert_eq!(error.attempts(), 1);
    let error = update(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    // What was learned of the reset is capped: the next call is not sent, and says when.
    let error = update(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited, "{error:?}");
    assert_eq!(responder.requests(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_connect_that_never_finishes_says_nothing_was_sent_even_past_the_attempts_timeout() {
    let (_listener, _filler, addr) = unanswering_address().await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(format!("http://{addr}"))
        .timeout(Duration::from_secs(1))
        .connect_timeout(Duration::from_secs(5))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let error = enroll(&client).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(error.to_string().contains("nothing was sent"), "{error}");
    assert!(error.is_retryable(), "an add that never left: {error:?}");
}

#[tokio::test]
async fn a_429_or_503_with_a_body_over_the_limit_keeps_its_kind_and_wait() {
    let big = "x".repeat(4096);
    let chunked = format!(
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
        big.len()
    );
    let responder = RawResponder::start(vec![
        response("503 Service Unavailable", &["Retry-After: 7"], &big),
        chunked,
    ])
    .await;
    let client = raw_client(&responder)
        .max_response_bytes(1024)
        .build()
        .unwrap();
    for (kind, status) in [(ErrorKind::Server, 503), (ErrorKind::RateLimited, 429)] {
        let error = update(&client).await.unwrap_err();
        assert_eq!(error.kind(), kind, "{error:?}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
        assert!(error.is_retryable());
        assert!(error.to_string().contains("was not read"), "{error}");
    }
    // A success over the limit is still refused as one.
    let responder = RawResponder::start(vec![response("200 OK", &[], &big)]).await;
    let client = raw_client(&responder)
        .max_response_bytes(1024)
        .build()
        .unwrap();
    let error = update(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ResponseTooLarge);
}
