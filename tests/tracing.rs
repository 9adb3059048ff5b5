//! One span per call, with operation id, method, status, correlation id and elapsed time;
//! never a body.

mod support;

use explorium::testing::{Fault, LocalServer};
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
