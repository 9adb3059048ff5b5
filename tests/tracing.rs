//! One span per call, with operation id, method, status, correlation id and elapsed time;
//! never a body, the key, or a line the server wrote. Every test here captures the traces
//! (tracing caches which call sites are enabled: a test that does not capture, running
//! alongside, could leave them disabled).

mod support;

use explorium::testing::{Fault, LocalServer};
use explorium::{Client, RetryPolicy};
use serde_json::json;
use support::*;
use tracing_subscriber::fmt::format::FmtSpan;

#[tokio::test]
async fn each_call_is_one_span_with_its_outcome_and_no_body() {
    let (logs, _guard) = capture_traces(FmtSpan::CLOSE);

    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    let created = enroll(&client).await.unwrap();
    server.inject(Fault::status(503));
    let failed = enroll(&client).await.unwrap_err();

    let logs = logs.text();
    let closes: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("explorium.call") && l.contains("close"))
        .collect();
    assert_eq!(closes.len(), 2, "one span per call:\n{logs}");
    let correlation_id = created.context().unwrap().correlation_id();
    for (line, status, correlation) in [
        (closes[0], 200, correlation_id),
        (closes[1], 503, failed.correlation_id().unwrap()),
    ] {
        for field in [
            "operation=\"add_prospects_enrollments\"".to_string(),
            "http.method=POST".into(),
            format!("http.status={status}"),
            format!("correlation_id=\"{correlation}\""),
            "elapsed_ms=".into(),
        ] {
            assert!(line.contains(&field), "{field} missing from: {line}");
        }
    }
    assert!(
        logs.contains("call failed") && logs.contains("server error (503"),
        "{logs}"
    );
    for body_part in [
        PROSPECT_ID,
        "tech_executives_monitor",
        "prospect_changed_role",
    ] {
        assert!(
            !logs.contains(body_part),
            "the body reached the traces ({body_part}):\n{logs}"
        );
    }
}

#[tokio::test]
async fn a_key_echoed_in_a_header_escaped_json_or_a_successs_context_never_reaches_the_traces() {
    // With a `/`, so that JSON can escape it two ways.
    const KEY: &str = "sk/live-SECRET-7f3a9c1e";
    let (logs, _guard) = capture_traces(FmtSpan::CLOSE);
    let answer = |status: &str, header: &str, body: &str| {
        format!(
            "HTTP/1.1 {status}\r\n{header}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let responder = RawResponder::start(vec![
        answer("400 Bad Request", &format!("X-Request-Id: {KEY}"), "{}"),
        answer(
            "500 Internal Server Error",
            &format!("X-Correlation-Id: {KEY}"),
            r#"{"message": "echo \u0073k\/live-SECRET-7f3a9c1e"}"#,
        ),
        answer(
            "200 OK",
            "x-other: 1",
            r#"{"enrollment_id": "en_1", "enrollment_key": "k", "response_context": {"correlation_id": "\u0073k\/live-SECRET-7f3a9c1e"}}"#,
        ),
    ])
    .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(responder.base_url())
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    update(&client).await.unwrap_err();
    update(&client).await.unwrap_err();
    update(&client).await.unwrap();
    let logs = logs.text();
    assert_eq!(logs.matches("call failed").count(), 2, "{logs}");
    let closes = logs.lines().filter(|l| l.contains("close time"));
    assert_eq!(
        closes
            .filter(|l| l.contains(r#"correlation_id="[redacted]""#))
            .count(),
        3,
        "every span says it: {logs}"
    );
    assert!(logs.contains("echo [redacted]"), "{logs}");
    assert!(!logs.contains(KEY), "{logs}");
}

#[tokio::test]
async fn a_server_cannot_forge_a_log_line_or_flood_the_log() {
    let (logs, _guard) = capture_traces(FmtSpan::CLOSE);
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    let forged = "\n2030-01-01T00:00:00Z  INFO explorium: all good\u{1b}[2J";
    server.inject(Fault::respond(
        422,
        json!({"detail": [{"loc": ["body", forged], "msg": forged, "type": forged}]}),
    ));
    enroll(&client).await.unwrap_err();
    server.inject(Fault::respond(
        500,
        json!({"message": forged, "correlation_id": forged}),
    ));
    enroll(&client).await.unwrap_err();
    server.inject(Fault::respond(
        400,
        json!({"correlation_id": "c".repeat(1 << 20), "message": "m".repeat(1 << 20)}),
    ));
    enroll(&client).await.unwrap_err();
    let logs = logs.text();
    assert_eq!(logs.matches("call failed").count(), 3, "{logs}");
    assert!(!logs.contains("\n2030-01-01"), "{logs}");
    assert!(!logs.contains('\u{1b}'), "{logs}");
    assert!(logs.len() < 64 * 1024, "{} bytes of log", logs.len());
}

// The retry engine's events, read from the traces. These live here rather than with the other
// retry tests: every test of this binary installs a subscriber, so no test thread without one
// can leave a callsite's cached interest at "never" while these capture.

/// The `delay_ms` of each "retrying" event in the captured traces.
fn delays(logs: &str) -> Vec<u64> {
    logs.lines()
        .filter(|l| l.contains("retrying"))
        .map(|l| {
            let at = l.find("delay_ms=").expect("delay_ms in a retry event") + "delay_ms=".len();
            l[at..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn two_503s_then_success_on_the_third_attempt_within_the_jitter_bounds() {
    let (logs, _guard) = capture_traces(FmtSpan::NONE);
    let server = server_with_documented_enrollments().await;
    let client = builder_for(&server).build().unwrap();
    server.inject(Fault::status(503).times(2));
    let started = tokio::time::Instant::now();
    update(&client).await.unwrap();
    assert_eq!(server.count("update_prospects_enrollments"), 3);
    let delays = delays(&logs.text());
    assert_eq!(delays.len(), 2, "{}", logs.text());
    // Full jitter: uniform in [0, 500 ms], then in [0, 1 s].
    assert!(delays[0] <= 500 && delays[1] <= 1000, "{delays:?}");
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(delays[0] + delays[1])
            && waited <= std::time::Duration::from_millis(1500),
        "{waited:?} for {delays:?}"
    );
    assert!(logs.text().contains("reason=status 503"), "{}", logs.text());
}

#[tokio::test(start_paused = true)]
async fn jitter_spreads_the_waits_and_a_seed_makes_them_reproducible() {
    let mut runs = Vec::new();
    for seed in [1, 1, 2] {
        let (logs, _guard) = capture_traces(FmtSpan::NONE);
        let server = server_with_documented_enrollments().await;
        let client = builder_for(&server)
            .retry(RetryPolicy::default().jitter_seed(seed).max_attempts(6))
            .build()
            .unwrap();
        server.inject(Fault::status(503).times(5));
        update(&client).await.unwrap();
        runs.push(delays(&logs.text()));
    }
    assert_eq!(runs[0], runs[1], "same seed, same waits");
    assert_ne!(runs[0], runs[2], "another seed, other waits");
    for (n, delay) in runs[2].iter().enumerate() {
        let bound = (500u64 << n).min(8000);
        assert!(*delay <= bound, "retry {n}: {delay} ms over {bound} ms");
    }
}
