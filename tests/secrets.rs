//! The API key never appears in Debug, Display, an error, a panic message, or tracing output
//! at any level. One test per binary: it installs a panic hook.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use explorium::testing::{Fault, LocalServer};
use explorium::Client;
use support::{capture_traces, enroll};
use tracing_subscriber::fmt::format::FmtSpan;

const KEY: &str = "sk-live-SECRET-7f3a9c1e";

fn describe(error: &explorium::Error) -> String {
    let mut text = format!("{error} | {error:?} | {:?}", error.body_excerpt());
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(&format!(" | {inner} | {inner:?}"));
        source = inner.source();
    }
    text
}

#[test]
fn the_key_never_appears_in_debug_display_errors_panics_or_traces() {
    let (logs, _guard) = capture_traces(FmtSpan::FULL);
    // One thread: the subscriber is this thread's, and the server runs here too.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();

    let mut seen: Vec<String> = Vec::new();
    let mut errors: Vec<explorium::Error> = Vec::new();
    runtime.block_on(async {
        let server = LocalServer::builder().api_key(KEY).start().await.unwrap();
        let builder = Client::builder().api_key(KEY).base_url(server.base_url()).timeout(Duration::from_secs(5)).retry(explorium::RetryPolicy::disabled());
        seen.push(format!("{builder:?}"));
        let client = builder.build().unwrap();
        seen.push(format!("{client:?} {:?}", client.generated()));
        seen.push(format!("{:?}", client.prospects().enroll("tech_executives_monitor").prospect_id(support::PROSPECT_ID)));

        let created = enroll(&client).await.unwrap();
        seen.push(format!("{created:?}"));

        for fault in [
            Fault::status(500),
            Fault::status(429).retry_after(3),
            Fault::respond(422, serde_json::json!({"detail": [{"loc": ["body"], "msg": format!("bad {KEY}"), "type": "x"}]})),
            Fault::respond(400, serde_json::json!({"details": format!("your key {KEY} is odd"), "correlation_id": "c"})),
            Fault::respond(
                200,
                serde_json::json!({"enrollment_key": "abcd", "response_context": format!("echo {KEY}")}),
            ),
            Fault::malformed_json(),
            Fault::truncated_body(),
            Fault::close_connection(),
            Fault::stall(Duration::from_secs(60)),
        ] {
            server.inject(fault);
            errors.push(enroll(&client).await.unwrap_err());
        }
        let wrong_key = Client::builder().api_key("sk-live-other-1").base_url(server.base_url()).build().unwrap();
        errors.push(enroll(&wrong_key).await.unwrap_err());
        errors.push(client.prospects().enroll("abc").send().await.unwrap_err());
        errors.push(Client::builder().api_key(format!("{KEY}\n")).build().unwrap_err());
        for base_url in [format!("https://api.explorium.ai/?api_key={KEY}"), format!("http://user:{KEY}@api.explorium.ai")] {
            let builder = Client::builder().api_key(KEY).base_url(base_url);
            seen.push(format!("{builder:?}"));
            errors.push(builder.build().unwrap_err());
        }

        // A success whose context echoes the key: the enrollment and the span scrub it.
        server.inject(Fault::respond(
            200,
            serde_json::json!({"enrollment_id": "en_1", "enrollment_key": "abcd", "response_context": {"correlation_id": KEY}}),
        ));
        let echoed = enroll(&client).await.unwrap();
        seen.push(format!("{echoed:?}"));
    });
    assert_eq!(errors.len(), 14);
    seen.extend(errors.iter().map(describe));

    // What `.unwrap()` on an error prints.
    let panics = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&panics);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        sink.lock().unwrap().push(info.to_string())
    }));
    for error in errors {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            std::hint::black_box(Err::<(), _>(error)).unwrap()
        }));
        assert!(outcome.is_err());
    }
    std::panic::set_hook(previous);
    let panics = panics.lock().unwrap().join("\n");
    assert!(
        panics.contains("called `Result::unwrap()` on an `Err` value"),
        "the hook saw the panics"
    );

    let logs = logs.text();
    assert!(
        logs.contains("explorium.call") && logs.contains("call failed"),
        "tracing was captured: {logs}"
    );
    assert!(logs.contains("correlation_id"), "{logs}");
    for (what, text) in [
        ("tracing", &logs),
        ("panics", &panics),
        ("debug/display", &seen.join("\n")),
    ] {
        assert!(!text.contains(KEY), "the key leaked in {what}:\n{text}");
    }
}
