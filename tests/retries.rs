//! The retry engine under faults, on tokio's paused clock: what is repeated, how long the
//! client waits, and that an add is never sent twice when the server may have acted on it.
//! Client and server share one current-thread runtime, so virtual time only moves when both
//! are idle.

mod support;

use std::time::Duration;

use explorium::testing::{Fault, LocalServer};
use explorium::{ErrorKind, RetryPolicy};
use support::*;
use tokio::time::Instant;

const ADD: &str = "add_prospects_enrollments";
const UPDATE: &str = "update_prospects_enrollments";

fn retrying(server: &LocalServer) -> explorium::Client {
    builder_for(server).build().unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_429_is_retried_even_for_an_add_after_the_servers_retry_after() {
    let server = LocalServer::start().await.unwrap();
    let client = retrying(&server);
    server.inject(Fault::status(429).retry_after(2));
    let started = Instant::now();
    enroll(&client).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.count(ADD), 2, "refused, then processed");
    assert_eq!(server.enrollment_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_longer_than_the_maximum_ends_the_call_at_once() {
    let server = LocalServer::start().await.unwrap();
    let client = retrying(&server);
    server.inject(Fault::status(429).retry_after(3600));
    let started = Instant::now();
    let error = enroll(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(error.attempts(), 1);
    assert!(error.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(server.count(ADD), 1);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_past_the_deadline_is_not_slept() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server)
        .deadline(Duration::from_secs(10))
        .build()
        .unwrap();
    server.inject(Fault::status(429).retry_after(30));
    let started = Instant::now();
    let error = enroll(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn other_4xx_are_never_repeated() {
    let server = server_with_documented_enrollments().await;
    let client = retrying(&server);
    for status in [400, 401, 403, 404, 409, 422] {
        let before = server.count(UPDATE);
        server.inject(Fault::status(status));
        let error = update(&client).await.unwrap_err();
        assert_eq!(error.attempts(), 1, "{status}: {error}");
        assert_eq!(server.count(UPDATE), before + 1, "{status}");
        assert!(!error.is_retryable(), "{status}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_408_is_repeated_for_an_update_only() {
    let server = server_with_documented_enrollments().await;
    let client = retrying(&server);
    server.inject(Fault::status(408));
    update(&client).await.unwrap();
    assert_eq!(server.count(UPDATE), 2);
    server.inject(Fault::status(408));
    let error = enroll_unreconciled(&client).await.unwrap_err();
    assert_eq!((error.attempts(), server.count(ADD)), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn unreconciled_a_5xx_on_an_add_is_returned_at_once_saying_the_enrollment_may_exist() {
    let server = LocalServer::start().await.unwrap();
    let client = retrying(&server);
    for status in [500, 502, 503, 504] {
        server.inject(Fault::status(status));
        let before = server.count(ADD);
        let error = enroll_unreconciled(&client).await.unwrap_err();
        assert_eq!(server.count(ADD), before + 1, "{status}: exactly one POST");
        assert_eq!((error.kind(), error.attempts()), (ErrorKind::Server, 1));
        assert!(!error.is_retryable());
        assert!(
            error.to_string().contains("may or may not exist"),
            "{error}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_connection_dropped_after_sending_repeats_an_update_but_never_an_unreconciled_add() {
    let server = server_with_documented_enrollments().await;
    let client = retrying(&server);

    server.inject(Fault::close_connection());
    update(&client).await.unwrap();
    assert_eq!(server.count(UPDATE), 2);

    server.inject(Fault::close_connection());
    let error = enroll_unreconciled(&client).await.unwrap_err();
    assert_eq!(server.count(ADD), 1, "exactly one POST reached the server");
    assert_eq!(error.kind(), ErrorKind::Connection, "{error:?}");
    assert!(!error.is_retryable());
    assert!(
        error.to_string().contains("may or may not exist"),
        "{error}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stall_past_the_attempt_timeout_is_retried_for_an_update_and_the_deadline_ends_the_call()
{
    let server = server_with_documented_enrollments().await;
    let client = builder_for(&server)
        .timeout(Duration::from_secs(30))
        .deadline(Duration::from_secs(50))
        .build()
        .unwrap();
    server.inject(Fault::stall(Duration::from_secs(3600)).times(5));
    let started = Instant::now();
    let error = update(&client).await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    assert_eq!(error.attempts(), 2, "{error}");
    // 30 s, a wait of at most 0.5 s, then what is left of the 50 s.
    assert!(
        took >= Duration::from_secs(50) && took < Duration::from_secs(51),
        "{took:?}"
    );
    assert!(error.to_string().contains("after 2 attempts"), "{error}");

    // The same stall on an unreconciled add: one attempt, and the error says why it was not repeated.
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    server.inject(Fault::stall(Duration::from_secs(3600)));
    let error = enroll_unreconciled(&client).await.unwrap_err();
    assert_eq!((error.kind(), error.attempts()), (ErrorKind::Timeout, 1));
    assert!(
        error.to_string().contains("may or may not exist"),
        "{error}"
    );
}

#[tokio::test(start_paused = true)]
async fn malformed_json_on_a_200_is_a_decode_error_after_one_attempt() {
    let server = server_with_documented_enrollments().await;
    let client = retrying(&server);
    server.inject(Fault::malformed_json());
    let error = update(&client).await.unwrap_err();
    assert_eq!((error.kind(), error.attempts()), (ErrorKind::Decode, 1));
    assert_eq!(server.count(UPDATE), 1);
}

#[tokio::test(start_paused = true)]
async fn an_empty_budget_fails_fast_for_every_clone() {
    let server = server_with_documented_enrollments().await;
    // Room for two retries (5 tokens each).
    let client = builder_for(&server)
        .retry(RetryPolicy::default().retry_budget(10))
        .build()
        .unwrap();
    let clone = client.clone();
    server.inject(Fault::status(503).times(3));
    let error = update(&client).await.unwrap_err();
    assert_eq!(error.attempts(), 3, "two retries spent the budget");
    server.inject(Fault::status(503));
    let error = update(&clone).await.unwrap_err();
    assert_eq!(error.attempts(), 1, "the clone shares the empty budget");
    assert_eq!(server.count(UPDATE), 4);
    // Successes refill it, one token each.
    for _ in 0..5 {
        update(&client).await.unwrap();
    }
    server.inject(Fault::status(503));
    update(&clone).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_disabled_policy_makes_one_attempt() {
    let server = server_with_documented_enrollments().await;
    let client = client_for(&server);
    server.inject(Fault::status(503));
    let error = update(&client).await.unwrap_err();
    assert_eq!(error.attempts(), 1);
    assert!(error.is_retryable(), "the caller may repeat it");
}

#[tokio::test(start_paused = true)]
async fn sixteen_tasks_sharing_a_client_stay_under_the_servers_rate_limit() {
    let server = LocalServer::builder()
        .rate_limit(20, Duration::from_secs(10))
        .start()
        .await
        .unwrap();
    let client = retrying(&server);
    let started = Instant::now();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..5 {
                    enroll(&client).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let journal = server.journal();
    let limited = journal.iter().filter(|r| r.status == Some(429)).count();
    assert_eq!(server.enrollment_count(), 80, "every call succeeded");
    assert!(limited <= 2, "{limited} requests were refused with 429");
    // 80 requests at 20 per 10 s need three full windows.
    assert!(
        started.elapsed() >= Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn after_a_reset_of_a_sliding_window_tasks_do_not_stampede() {
    let server = LocalServer::builder()
        .rate_limit(4, Duration::from_secs(10))
        .start()
        .await
        .unwrap();
    let client = retrying(&server);
    // A window filled gradually: its slots free one at a time.
    for _ in 0..4 {
        enroll(&client).await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { enroll(&client).await.unwrap() })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let limited = server
        .journal()
        .iter()
        .filter(|r| r.status == Some(429))
        .count();
    assert_eq!(server.enrollment_count(), 12);
    assert!(limited <= 1, "{limited} requests were refused with 429");
}

#[tokio::test(start_paused = true)]
async fn a_spent_window_makes_the_next_call_wait_for_the_reset_instead_of_a_429() {
    let server = LocalServer::builder()
        .rate_limit(2, Duration::from_secs(10))
        .start()
        .await
        .unwrap();
    let client = retrying(&server);
    enroll(&client).await.unwrap();
    enroll(&client).await.unwrap();
    let started = Instant::now();
    enroll(&client).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
    assert!(server.journal().iter().all(|r| r.status == Some(200)));

    // A deadline too short for the reset: refused at once, nothing sent.
    let hurried = builder_for(&server)
        .deadline(Duration::from_secs(3))
        .build()
        .unwrap();
    enroll(&hurried).await.unwrap();
    enroll(&hurried).await.ok();
    let before = server.journal().len();
    let error = enroll(&hurried).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(error.attempts(), 0, "{error}");
    assert!(error.retry_after().is_some());
    assert_eq!(server.journal().len(), before, "nothing was sent");
}

#[tokio::test(start_paused = true)]
async fn client_side_pacing_spreads_requests_evenly() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).rate_limit(120).build().unwrap();
    let started = Instant::now();
    for _ in 0..5 {
        enroll(&client).await.unwrap();
    }
    // One request every 0.5 s: four gaps.
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_generated_client_retries_through_the_same_engine() {
    let server = server_with_documented_enrollments().await;
    let client = retrying(&server);
    let body: explorium::generated::types::ProspectsEnrollmentsUpdateRequest =
        serde_json::from_value(update_prospects_example()).unwrap();

    server.inject(Fault::status(503).times(2));
    let updated = client
        .generated()
        .update_prospects_enrollments()
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    assert_eq!(server.count(UPDATE), 3, "two 503s, then the success");

    // By method: a POST that got a 5xx may have been processed, so it is not repeated.
    let add: explorium::generated::types::ProspectsEnrollmentsAddRequest =
        serde_json::from_value(add_prospects_example()).unwrap();
    server.inject(Fault::status(503));
    let error = client
        .generated()
        .add_prospects_enrollments()
        .body(add.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.count(ADD), 1);

    // A POST that only reads is retried like a read: a count, after two 503s.
    server.inject(Fault::status(503).times(2));
    let stats = client
        .generated()
        .fetch_stats()
        .body(
            serde_json::from_value::<explorium::generated::types::BusinessesStatsRequest>(
                serde_json::json!({"filters": {}}),
            )
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(stats.status(), 200);
    assert_eq!(server.count("fetch_stats"), 3);

    // A 429 is repeated even for a POST.
    server.inject(Fault::status(429).retry_after(1));
    client
        .generated()
        .add_prospects_enrollments()
        .body(add)
        .send()
        .await
        .unwrap();
    assert_eq!(server.count(ADD), 3);
}

#[tokio::test(start_paused = true)]
async fn retry_after_as_an_http_date_and_in_milliseconds_is_obeyed() {
    for header in [
        format!(
            "Retry-After: {}",
            httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(4))
        ),
        "retry-after-ms: 2500".to_string(),
    ] {
        let responder = RawResponder::start(vec![
            format!("HTTP/1.1 503 Service Unavailable\r\n{header}\r\ncontent-length: 0\r\n\r\n"),
            ok_enrollment_response(),
        ])
        .await;
        let client = explorium::Client::builder()
            .api_key("sk-test-1234")
            .base_url(responder.base_url())
            .build()
            .unwrap();
        let started = Instant::now();
        update(&client).await.unwrap();
        let waited = started.elapsed();
        // An HTTP date has whole seconds: 4 s from now is at least 3 s away.
        assert!(
            waited >= Duration::from_millis(2500),
            "{header}: {waited:?}"
        );
        assert_eq!(responder.requests(), 2);
    }
}

#[tokio::test(start_paused = true)]
async fn the_generated_client_gets_a_429_made_here_when_the_window_is_spent_past_its_deadline() {
    let server = LocalServer::builder()
        .rate_limit(1, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let client = builder_for(&server)
        .deadline(Duration::from_secs(5))
        .build()
        .unwrap();
    update(&client).await.ok();
    let before = server.journal().len();
    let body: explorium::generated::types::ProspectsEnrollmentsUpdateRequest =
        serde_json::from_value(update_prospects_example()).unwrap();
    let error = client
        .generated()
        .update_prospects_enrollments()
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(server.journal().len(), before, "nothing was sent");
}
