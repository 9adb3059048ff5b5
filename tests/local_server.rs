//! The local server: conformance to the spec, state, authentication, rate limit, faults,
//! journal, and the generated client round-tripping against it.

mod support;

use std::time::Duration;

use explorium::generated;
use explorium::testing::{Fault, FaultKind, KeyCheck, LocalServer, Validation};
use serde_json::{json, Value};
use support::*;

#[tokio::test]
async fn documented_example_requests_are_accepted_for_every_enrollment_operation() {
    let server = server_with_documented_enrollments().await;
    for (method, path, body) in [
        ("POST", PROSPECTS_PATH, add_prospects_example()),
        ("POST", BUSINESSES_PATH, add_businesses_example()),
        ("PATCH", PROSPECTS_PATH, update_prospects_example()),
        ("PATCH", BUSINESSES_PATH, update_businesses_example()),
    ] {
        let (status, answer) = send(&server, method, path, &body).await;
        assert_eq!(status, 200, "{method} {path}: {answer}");
        assert_eq!(answer["enrollment_key"], body["enrollment_key"]);
        assert_eq!(answer["response_context"]["request_status"], "success");
        assert!(
            answer["response_context"]["correlation_id"]
                .as_str()
                .unwrap()
                .len()
                == 32
        );
    }
}

/// The documented example requests of the lifecycle operations, in an order where each finds
/// what it needs (the webhook registered before it is checked, got and deleted): (method,
/// path, body or `None`, the operation it routes to).
fn lifecycle_examples() -> Vec<(&'static str, &'static str, Option<Value>, &'static str)> {
    vec![
        ("GET", PROSPECTS_PATH, None, "get_prospects_enrollments"),
        ("GET", BUSINESSES_PATH, None, "get_businesses_enrollments"),
        (
            "DELETE",
            PROSPECTS_PATH,
            Some(json!({"enrollment_id": "en_8d52c3f1"})),
            "delete_prospects_enrollments",
        ),
        (
            "DELETE",
            BUSINESSES_PATH,
            Some(json!({"enrollment_id": "en_7b429a01"})),
            "delete_businesses_enrollments",
        ),
        (
            "POST",
            "/v1/prospects/events",
            Some(json!({
                "event_types": ["prospect_changed_role", "prospect_changed_company"],
                "prospect_ids": ["20ae6cbf564ee683e66685e429844a5ff8ffc30f", "4c485f009d59e319dc039cdf3e935b85014e6a33"],
                "timestamp_from": "2024-01-01T10:03:03.050Z"
            })),
            "fetch_prospects_events",
        ),
        (
            "POST",
            "/v1/businesses/events",
            Some(json!({
                "event_types": ["ipo_announcement", "new_investment"],
                "business_ids": ["8adce3ca1cef0c986b22310e369a0793"]
            })),
            "fetch_businesses_events",
        ),
        (
            "POST",
            "/v1/webhooks",
            Some(
                json!({"partner_id": "your_partner_id", "webhook_url": "https://your-domain.com/webhook-handler"}),
            ),
            "add_webhook",
        ),
        (
            "POST",
            "/v1/webhooks/check_connectivity",
            Some(
                json!({"partner_id": "your_partner_id", "simulation": {"event_name": "funding_round", "number_of_events": 3}}),
            ),
            "check_webhook_connectivity",
        ),
        ("GET", "/v1/webhooks/your_partner_id", None, "get_webhook"),
        (
            "DELETE",
            "/v1/webhooks/your_partner_id",
            None,
            "delete_webhook",
        ),
    ]
}

#[tokio::test]
async fn documented_example_requests_of_the_lifecycle_operations_succeed() {
    let server = server_with_documented_enrollments().await;
    for (method, path, body, operation_id) in lifecycle_examples() {
        let (status, answer) = match &body {
            Some(body) => send(&server, method, path, body).await,
            None => send_without_body(&server, method, path).await,
        };
        assert_eq!(status, 200, "{method} {path}: {answer}");
        assert_eq!(
            answer["response_context"]["correlation_id"]
                .as_str()
                .unwrap()
                .len(),
            32,
            "{operation_id}: {answer}"
        );
        let recorded = server.journal().pop().unwrap();
        assert_eq!(recorded.operation_id.as_deref(), Some(operation_id));
        assert_eq!(recorded.validation, Validation::Valid, "{operation_id}");
        assert_eq!(recorded.api_key, KeyCheck::Accepted);
    }
    // The two documented enrollments were deleted; the webhook too.
    assert_eq!(server.enrollment_count(), 0);
    assert!(server.webhook("your_partner_id").is_none());
    // The documented URL was never contacted: not a loopback one.
    let deliveries = server.deliveries();
    assert_eq!(deliveries.len(), 3);
    assert!(deliveries
        .iter()
        .all(|d| d.outcome == explorium::testing::DeliveryOutcome::NotLoopback));
}

#[tokio::test]
async fn invalid_requests_to_the_newer_operations_are_rejected_naming_the_field() {
    let server = LocalServer::start().await.unwrap();
    let many: Vec<String> = (0..41).map(prospect_id).collect();
    for (method, path, body, loc, kind) in [
        (
            "DELETE",
            PROSPECTS_PATH,
            json!({}),
            json!(["body", "enrollment_id"]),
            "missing",
        ),
        (
            "DELETE",
            BUSINESSES_PATH,
            json!({"enrollment_id": "en_1", "enrollment_key": "key1"}),
            json!(["body", "enrollment_key"]),
            "extra_forbidden",
        ),
        (
            "POST",
            "/v1/prospects/events",
            json!({"event_types": ["prospect_changed_role"], "prospect_ids": many}),
            json!(["body", "prospect_ids"]),
            "too_long",
        ),
        (
            "POST",
            "/v1/businesses/events",
            json!({"event_types": [], "business_ids": [business_id(1)]}),
            json!(["body", "event_types"]),
            "too_short",
        ),
        (
            "POST",
            "/v1/webhooks",
            json!({"partner_id": "p"}),
            json!(["body", "webhook_url"]),
            "missing",
        ),
        (
            "POST",
            "/v1/webhooks/check_connectivity",
            json!({"partner_id": "p", "simulation": {"event_name": "no_such_event"}}),
            json!(["body", "simulation", "event_name"]),
            "enum",
        ),
    ] {
        let (status, answer) = send(&server, method, path, &body).await;
        assert_eq!(status, 422, "{method} {path}: {answer}");
        assert_eq!(answer["detail"][0]["loc"], loc, "{method} {path}: {answer}");
        assert_eq!(
            answer["detail"][0]["type"], kind,
            "{method} {path}: {answer}"
        );
    }
    // Duplicate ids break `uniqueItems`.
    let (status, answer) = send(
        &server,
        "POST",
        "/v1/prospects/events",
        &json!({"event_types": ["prospect_changed_role"], "prospect_ids": [prospect_id(1), prospect_id(1)]}),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["detail"][0]["loc"], json!(["body", "prospect_ids"]));
}

#[tokio::test]
async fn templated_paths_route_by_method_and_name_the_methods_they_allow() {
    let server = LocalServer::start().await.unwrap();
    let (status, answer) = send(&server, "POST", "/v1/webhooks/partner-1", &json!({})).await;
    assert_eq!(status, 405, "{answer}");
    let response = reqwest::Client::new()
        .put(format!("{}/v1/webhooks/partner-1", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, DELETE");
    let (status, _) = send_without_body(&server, "GET", "/v1/webhooks/a/b").await;
    assert_eq!(status, 404);
    // No key: templated operations are authenticated like the rest.
    let (status, _) =
        send_with_key(&server, "GET", "/v1/webhooks/partner-1", &Value::Null, None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_documented_ttl_days_is_rejected_as_the_schema_says() {
    let server = LocalServer::start().await.unwrap();
    let mut body = add_prospects_example();
    body["ttl_days"] = json!(365);
    let (status, answer) = send(&server, "POST", PROSPECTS_PATH, &body).await;
    assert_eq!(status, 422);
    assert_eq!(answer["detail"][0]["loc"], json!(["body", "ttl_days"]));
    assert_eq!(answer["detail"][0]["type"], "extra_forbidden");
}

#[tokio::test]
async fn invalid_requests_are_rejected_with_422_naming_the_field() {
    let server = server_with_documented_enrollments().await;
    for (what, path, body, loc, kind) in invalid_requests() {
        let method = if path == PROSPECTS_PATH {
            "POST"
        } else {
            "PATCH"
        };
        let (status, answer) = send(&server, method, path, &body).await;
        assert_eq!(status, 422, "{what}: {answer}");
        let detail = &answer["detail"][0];
        assert_eq!(detail["loc"], loc, "{what}: {answer}");
        assert_eq!(detail["type"], kind, "{what}: {answer}");
        assert!(!detail["msg"].as_str().unwrap().is_empty(), "{what}");
    }
    // Nothing invalid was stored.
    assert_eq!(server.enrollment_count(), 2);
}

#[tokio::test]
async fn every_violation_of_a_request_is_listed() {
    let server = LocalServer::start().await.unwrap();
    let body =
        json!({"enrollment_key": "abc", "prospect_ids": ["ABC"], "event_types": [], "extra": 1});
    let (status, answer) = send(&server, "POST", PROSPECTS_PATH, &body).await;
    assert_eq!(status, 422);
    let mut locs: Vec<String> = answer["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["loc"].to_string())
        .collect();
    locs.sort();
    assert_eq!(
        locs,
        [
            r#"["body","enrollment_key"]"#,
            r#"["body","event_types"]"#,
            r#"["body","extra"]"#,
            r#"["body","prospect_ids",0]"#
        ]
    );
}

#[tokio::test]
async fn nullable_request_context_accepts_null_and_objects_only() {
    let server = LocalServer::start().await.unwrap();
    for (context, expected) in [
        (json!(null), 200),
        (json!({"trace": "x"}), 200),
        (json!("text"), 422),
    ] {
        let mut body = add_prospects_example();
        body["request_context"] = context.clone();
        let (status, answer) = send(&server, "POST", PROSPECTS_PATH, &body).await;
        assert_eq!(status, expected, "request_context {context}: {answer}");
    }
}

#[tokio::test]
async fn malformed_or_missing_json_bodies_get_422() {
    let server = LocalServer::start().await.unwrap();
    let url = format!("{}{PROSPECTS_PATH}", server.base_url());
    let http = reqwest::Client::new();
    for (body, kind, loc) in [
        // FastAPI: `loc` holds the character offset where the decoder stopped.
        ("{\"enrollment_key\": ", "json_invalid", json!(["body", 19])),
        ("{\"é\": [1,, 2]}", "json_invalid", json!(["body", 9])),
        ("", "missing", json!(["body"])),
    ] {
        let response = http
            .post(&url)
            .header("api_key", server.api_key())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["detail"][0]["type"], kind, "{answer}");
        assert_eq!(answer["detail"][0]["loc"], loc, "{body}: {answer}");
    }
}

/// Sends `body` as is, with this `Content-Type` (or none) and the server's key.
async fn post_raw(server: &LocalServer, content_type: Option<&str>, body: String) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}{PROSPECTS_PATH}", server.base_url()))
        .header("api_key", server.api_key())
        .body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn bodies_not_sent_as_json_are_rejected_as_fastapi_does() {
    let server = LocalServer::start().await.unwrap();
    let body = add_prospects_example().to_string();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/jsonp"),
        Some("json"),
    ] {
        let (status, answer) = post_raw(&server, content_type, body.clone()).await;
        assert_eq!(status, 422, "{content_type:?}: {answer}");
        assert_eq!(answer["detail"][0]["type"], "model_attributes_type");
        assert_eq!(answer["detail"][0]["loc"], json!(["body"]));
    }
    assert_eq!(server.enrollment_count(), 0);
    for content_type in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.explorium+json",
    ] {
        let (status, answer) = post_raw(&server, Some(content_type), body.clone()).await;
        assert_eq!(status, 200, "{content_type}: {answer}");
    }
}

#[tokio::test]
async fn valid_json_beyond_serde_jsons_defaults_is_accepted_where_the_schema_takes_any_value() {
    let server = LocalServer::start().await.unwrap();
    // 200 levels inside the context (serde_json stops at 128), and numbers beyond f64.
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let body = format!(
        r#"{{"enrollment_key": "tech_executives_monitor", "prospect_ids": ["{PROSPECT_ID}"],
            "event_types": ["prospect_changed_role"],
            "request_context": {{"deep": {deep}, "big": 1e400, "long": {long}}}}}"#,
        long = "9".repeat(400),
    );
    let (status, answer) = post_raw(&server, Some("application/json"), body).await;
    assert_eq!(status, 200, "{answer}");
    let recorded = server.journal()[0].body.clone().expect("journaled");
    assert_eq!(recorded["request_context"]["big"], json!(f64::MAX));

    // Where the schema wants a string, a huge number is still a number.
    let body = r#"{"enrollment_key": "tech_executives_monitor", "prospect_ids": [-1e400],
        "event_types": ["prospect_changed_role"]}"#
        .to_string();
    let (status, answer) = post_raw(&server, Some("application/json"), body).await;
    assert_eq!(status, 422);
    assert_eq!(answer["detail"][0]["type"], "string_type");

    // Past what the service's decoder takes, FastAPI's answer to a body it cannot parse.
    let too_deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let body = format!(
        r#"{{"enrollment_key": "tech_executives_monitor", "prospect_ids": ["{PROSPECT_ID}"],
            "event_types": ["prospect_changed_role"], "request_context": {{"deep": {too_deep}}}}}"#
    );
    let (status, answer) = post_raw(&server, Some("application/json"), body).await;
    assert_eq!(
        (status, answer),
        (
            400,
            json!({"detail": "There was an error parsing the body"})
        )
    );
    assert_eq!(server.enrollment_count(), 1);
}

#[tokio::test]
async fn the_journal_keeps_the_most_recent_requests_and_counts_them_all() {
    let server = LocalServer::builder()
        .journal_capacity(2)
        .start()
        .await
        .unwrap();
    for n in 0..5 {
        let mut body = add_prospects_example();
        body["prospect_ids"] = json!([prospect_id(n)]);
        let (status, _) = send(&server, "POST", PROSPECTS_PATH, &body).await;
        assert_eq!(status, 200);
    }
    let journal = server.journal();
    let kept: Vec<&Value> = journal
        .iter()
        .map(|r| &r.body.as_ref().unwrap()["prospect_ids"][0])
        .collect();
    assert_eq!(kept, [&json!(prospect_id(3)), &json!(prospect_id(4))]);
    assert_eq!(server.count("add_prospects_enrollments"), 5);

    let silent = LocalServer::builder()
        .journal_capacity(0)
        .start()
        .await
        .unwrap();
    send(&silent, "POST", PROSPECTS_PATH, &add_prospects_example()).await;
    assert!(silent.journal().is_empty());
    assert_eq!(silent.count("add_prospects_enrollments"), 1);
}

#[tokio::test]
async fn wrong_method_answers_405_and_unknown_path_404() {
    let server = LocalServer::start().await.unwrap();
    // PUT is in no upstream document; the Allow header lists what the path has.
    let response = reqwest::Client::new()
        .put(format!("{}{BUSINESSES_PATH}", server.base_url()))
        .header("api_key", server.api_key())
        .json(&update_businesses_example())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert!(response.headers()["allow"]
        .to_str()
        .unwrap()
        .contains("PATCH"));
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer, json!({"detail": "Method Not Allowed"}));
    let (status, _) = send(&server, "PUT", PROSPECTS_PATH, &json!({})).await;
    assert_eq!(status, 405);
    let (status, answer) = send(&server, "POST", "/v1/nothing/here", &json!({})).await;
    assert_eq!((status, answer), (404, json!({"detail": "Not Found"})));
}

#[tokio::test]
async fn missing_or_unknown_keys_get_401_and_are_never_echoed() {
    let server = LocalServer::builder()
        .api_key("first-configured-key")
        .api_key("second-configured-key")
        .start()
        .await
        .unwrap();
    let (status, answer) = send_with_key(
        &server,
        "POST",
        PROSPECTS_PATH,
        &add_prospects_example(),
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert!(answer["details"].as_str().unwrap().contains("api_key"));
    assert_eq!(answer["correlation_id"].as_str().unwrap().len(), 32);

    let wrong = "sk-not-a-configured-key-1234";
    let (status, answer) = send_with_key(
        &server,
        "POST",
        PROSPECTS_PATH,
        &add_prospects_example(),
        Some(wrong),
    )
    .await;
    assert_eq!(status, 401);
    assert!(!answer.to_string().contains(wrong));

    let (status, _) = send_with_key(
        &server,
        "POST",
        PROSPECTS_PATH,
        &add_prospects_example(),
        Some("second-configured-key"),
    )
    .await;
    assert_eq!(status, 200);

    let journal = server.journal();
    let checks: Vec<KeyCheck> = journal.iter().map(|r| r.api_key).collect();
    assert_eq!(
        checks,
        [KeyCheck::Missing, KeyCheck::Rejected, KeyCheck::Accepted]
    );
    let everything = format!("{journal:?} {server:?}");
    for key in [wrong, "first-configured-key", "second-configured-key"] {
        assert!(!everything.contains(key), "{key} leaked: {everything}");
    }
    assert_eq!(server.enrollment_count(), 1);
}

#[tokio::test]
async fn add_creates_and_update_replaces_the_lists() {
    let server = LocalServer::start().await.unwrap();
    let (_, first) = send(&server, "POST", PROSPECTS_PATH, &add_prospects_example()).await;
    let (_, second) = send(&server, "POST", PROSPECTS_PATH, &add_prospects_example()).await;
    let id = first["enrollment_id"].as_str().unwrap();
    assert!(id.starts_with("en_") && id.len() == 11, "{id}");
    assert_ne!(
        first["enrollment_id"], second["enrollment_id"],
        "ids are fresh"
    );
    assert_ne!(
        first["response_context"]["correlation_id"],
        second["response_context"]["correlation_id"]
    );

    let update = json!({
        "enrollment_key": "tech_executives_monitor",
        "enrollment_id": id,
        "prospect_ids": [prospect_id(7)],
        "event_types": ["prospect_job_start_anniversary"],
    });
    let (status, answer) = send(&server, "PATCH", PROSPECTS_PATH, &update).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["enrollment_id"], id);
    let stored = server.enrollment(id).unwrap();
    assert_eq!(stored.lists["prospect_ids"], json!([prospect_id(7)]));
    assert_eq!(
        stored.lists["event_types"],
        json!(["prospect_job_start_anniversary"])
    );
    assert_eq!(stored.enrollment_key, "tech_executives_monitor");
}

#[tokio::test]
async fn updating_an_unknown_or_mismatched_enrollment_answers_404() {
    let server = LocalServer::builder()
        .api_key("key-one")
        .api_key("key-two")
        .start()
        .await
        .unwrap();
    server.insert_enrollment(PROSPECTS_PATH, "en_8d52c3f1", "tech_executives_monitor");
    let mut unknown_id = update_prospects_example();
    unknown_id["enrollment_id"] = json!("en_00000000");
    let mut other_key = update_prospects_example();
    other_key["enrollment_key"] = json!("someone_elses_key");
    let mut other_path = update_businesses_example();
    other_path["enrollment_id"] = json!("en_8d52c3f1");
    other_path["enrollment_key"] = json!("tech_executives_monitor");
    for (what, path, body, api_key) in [
        ("unknown id", PROSPECTS_PATH, unknown_id, "key-one"),
        ("other enrollment key", PROSPECTS_PATH, other_key, "key-one"),
        (
            "created on the prospects path",
            BUSINESSES_PATH,
            other_path,
            "key-one",
        ),
        (
            "another API key",
            PROSPECTS_PATH,
            update_prospects_example(),
            "key-two",
        ),
    ] {
        let (status, answer) = send_with_key(&server, "PATCH", path, &body, Some(api_key)).await;
        assert_eq!(status, 404, "{what}: {answer}");
        assert!(
            answer["details"].as_str().unwrap().contains("not found"),
            "{what}: {answer}"
        );
        assert!(answer["correlation_id"].is_string(), "{what}: {answer}");
    }
    let (status, _) = send_with_key(
        &server,
        "PATCH",
        PROSPECTS_PATH,
        &update_prospects_example(),
        Some("key-one"),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn rate_limit_headers_and_429_as_documented() {
    let server = LocalServer::builder()
        .rate_limit(2, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let url = format!("{}{PROSPECTS_PATH}", server.base_url());
    let http = reqwest::Client::new();
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let response = http
            .post(&url)
            .header("api_key", server.api_key())
            .json(&add_prospects_example())
            .send()
            .await
            .unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-ratelimit-limit"], "2");
        let reset: u64 = headers["x-ratelimit-reset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(
            reset > now && reset <= now + 62,
            "reset {reset} vs now {now}"
        );
        remaining.push((
            response.status().as_u16(),
            headers["x-ratelimit-remaining"]
                .to_str()
                .unwrap()
                .to_string(),
        ));
        if response.status() == 429 {
            let retry_after: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&retry_after), "{retry_after}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"], "rate_limit_exceeded");
            assert_eq!(body["retry_after"], retry_after);
        }
    }
    assert_eq!(
        remaining,
        [(200, "1".into()), (200, "0".into()), (429, "0".into())]
    );
    assert_eq!(
        server.enrollment_count(),
        2,
        "the limited request was not processed"
    );
}

#[tokio::test]
async fn status_faults_are_served_n_times_to_the_named_operation_only() {
    let server = server_with_documented_enrollments().await;
    server.inject(Fault::status(503).times(2).on("add_prospects_enrollments"));
    let (status, _) = send(
        &server,
        "PATCH",
        PROSPECTS_PATH,
        &update_prospects_example(),
    )
    .await;
    assert_eq!(status, 200, "another operation is not affected");
    let statuses = [
        send(&server, "POST", PROSPECTS_PATH, &add_prospects_example()).await,
        send(&server, "POST", PROSPECTS_PATH, &add_prospects_example()).await,
        send(&server, "POST", PROSPECTS_PATH, &add_prospects_example()).await,
    ];
    assert_eq!(
        statuses.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [503, 503, 200]
    );
    assert!(statuses[0].1["correlation_id"].is_string());
    assert_eq!(server.count("add_prospects_enrollments"), 3);
    assert_eq!(
        server.enrollment_count(),
        3,
        "faulted requests were not processed"
    );
}

#[tokio::test]
async fn a_429_fault_carries_the_chosen_retry_after_and_the_documented_body() {
    let server = LocalServer::start().await.unwrap();
    server.inject(Fault::status(429).retry_after(7));
    let response = reqwest::Client::new()
        .post(format!("{}{PROSPECTS_PATH}", server.base_url()))
        .header("api_key", server.api_key())
        .json(&add_prospects_example())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["retry_after"], 7);
    assert_eq!(body["error"], "rate_limit_exceeded");
}

#[tokio::test]
async fn a_closed_connection_fault_sends_no_response() {
    let server = LocalServer::start().await.unwrap();
    server.inject(Fault::close_connection());
    let result = reqwest::Client::new()
        .post(format!("{}{PROSPECTS_PATH}", server.base_url()))
        .header("api_key", server.api_key())
        .json(&add_prospects_example())
        .send()
        .await;
    let error = result.expect_err("no response");
    assert!(!error.is_timeout() && !error.is_status(), "{error:?}");
    let journal = server.journal();
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].status, None);
    assert_eq!(journal[0].fault, Some(FaultKind::CloseConnection));
    assert_eq!(server.enrollment_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_stall_outlasts_a_client_timeout_on_the_paused_clock() {
    let server = LocalServer::start().await.unwrap();
    server.inject(Fault::stall(Duration::from_secs(120)));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let error = http
        .post(format!("{}{PROSPECTS_PATH}", server.base_url()))
        .header("api_key", server.api_key())
        .json(&add_prospects_example())
        .send()
        .await
        .expect_err("times out");
    assert!(error.is_timeout(), "{error:?}");
}

#[tokio::test(start_paused = true)]
async fn a_stall_shorter_than_the_timeout_is_answered_normally() {
    let server = LocalServer::start().await.unwrap();
    server.inject(Fault::stall(Duration::from_secs(3)));
    let (status, answer) = send(&server, "POST", PROSPECTS_PATH, &add_prospects_example()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(server.enrollment_count(), 1);
}

async fn raw_body(server: &LocalServer) -> Result<(u16, bytes::Bytes), reqwest::Error> {
    let response = reqwest::Client::new()
        .post(format!("{}{PROSPECTS_PATH}", server.base_url()))
        .header("api_key", server.api_key())
        .json(&add_prospects_example())
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.bytes().await?))
}

#[tokio::test]
async fn body_faults_malformed_unexpected_oversized_truncated() {
    let server = LocalServer::start().await.unwrap();

    server.inject(Fault::malformed_json());
    let (status, body) = raw_body(&server).await.unwrap();
    assert_eq!(status, 200);
    assert!(serde_json::from_slice::<Value>(&body).is_err());

    server.inject(Fault::unexpected_shape());
    let (status, body) = raw_body(&server).await.unwrap();
    assert_eq!(status, 200);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert!(body.get("enrollment_id").is_none());

    server.inject(Fault::oversized_body(5 << 20));
    let (status, body) = raw_body(&server).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(body.len(), 5 << 20);

    server.inject(Fault::truncated_body());
    let error = raw_body(&server).await.expect_err("the body is cut");
    assert!(
        error.is_body() || error.is_decode() || error.is_request(),
        "{error:?}"
    );

    assert_eq!(server.enrollment_count(), 0, "none of these was processed");
    let (status, _) = raw_body(&server).await.unwrap();
    assert_eq!(status, 200, "faults are used up");
}

#[tokio::test]
async fn the_request_context_variant_is_processed_and_named_as_documented() {
    let server = LocalServer::start().await.unwrap();
    server.inject(Fault::request_context_variant());
    let (status, answer) = send(&server, "POST", PROSPECTS_PATH, &add_prospects_example()).await;
    assert_eq!(status, 200);
    assert!(answer.get("response_context").is_none());
    assert_eq!(answer["request_context"]["request_status"], "success");
    assert_eq!(server.enrollment_count(), 1);
}

#[tokio::test]
async fn the_journal_records_each_request_exactly_once() {
    let server = LocalServer::start().await.unwrap();
    let (status, _) = send(&server, "POST", PROSPECTS_PATH, &add_prospects_example()).await;
    assert_eq!(status, 200);
    let mut bad = add_prospects_example();
    bad["enrollment_key"] = json!("abc");
    send(&server, "POST", PROSPECTS_PATH, &bad).await;

    let journal = server.journal();
    assert_eq!(journal.len(), 2);
    assert_eq!(server.count("add_prospects_enrollments"), 2);
    let first = &journal[0];
    assert_eq!(
        first.operation_id.as_deref(),
        Some("add_prospects_enrollments")
    );
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("POST", PROSPECTS_PATH)
    );
    assert_eq!(first.body.as_ref(), Some(&add_prospects_example()));
    assert_eq!(first.validation, Validation::Valid);
    assert_eq!(first.status, Some(200));
    assert_eq!(first.fault, None);
    match &journal[1].validation {
        Validation::Invalid(details) => {
            assert_eq!(details[0]["loc"], json!(["body", "enrollment_key"]))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(journal[1].status, Some(422));
}

#[tokio::test]
async fn servers_in_parallel_do_not_share_state() {
    let (a, b) = tokio::join!(LocalServer::start(), LocalServer::start());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_ne!(a.base_url(), b.base_url());
    a.inject(Fault::status(500));
    let (status_b, _) = send(&b, "POST", PROSPECTS_PATH, &add_prospects_example()).await;
    let (status_a, _) = send(&a, "POST", PROSPECTS_PATH, &add_prospects_example()).await;
    assert_eq!((status_a, status_b), (500, 200));
    assert_eq!((a.enrollment_count(), b.enrollment_count()), (0, 1));
}

#[tokio::test]
async fn a_dropped_server_closes_its_connections() {
    use tokio::io::AsyncReadExt;
    let server = LocalServer::start().await.unwrap();
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    tokio::task::yield_now().await;
    drop(server);
    let mut buffer = [0u8; 1];
    // The guard only turns a hang into a failure; the close is immediate.
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buffer))
        .await
        .expect("closed, not hanging");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
}

/// A client whose generated escape hatch the tests call; no retries, so each fault shows.
fn generated_client(server: &LocalServer) -> explorium::Client {
    explorium::Client::builder()
        .api_key(server.api_key())
        .base_url(server.base_url())
        .retry(explorium::RetryPolicy::disabled())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_generated_client_round_trips_the_enrollment_operations() {
    let server = server_with_documented_enrollments().await;
    let client = generated_client(&server);
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
    assert_eq!(
        added.response_context.unwrap().request_status.to_string(),
        "success"
    );

    let mut update = update_prospects_example();
    update["enrollment_id"] = json!(added.enrollment_id);
    let updated = client
        .update_prospects_enrollments()
        .body(typed::<generated::types::ProspectsEnrollmentsUpdateRequest>(update))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.enrollment_id, added.enrollment_id);

    // The builder form of the generated types.
    let body = generated::types::BusinessesEnrollmentsUpdateRequest::builder()
        .enrollment_key("my_b2b_saas_monitor")
        .enrollment_id("en_7b429a01")
        .business_ids(vec![generated::types::BusinessIdsItem::try_from(
            "8adce3ca1cef0c986b22310e369a0793",
        )
        .unwrap()])
        .event_types(vec![
            generated::types::BusinessesEventIdentifier::NewFundingRound,
        ]);
    let business = client
        .update_businesses_enrollments()
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(business.enrollment_id, "en_7b429a01");

    let added_business = client
        .add_businesses_enrollments()
        .body(typed::<generated::types::BusinessesEnrollmentsAddRequest>(
            add_businesses_example(),
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        server
            .enrollment(&added_business.enrollment_id)
            .unwrap()
            .path,
        BUSINESSES_PATH
    );

    assert_eq!(
        server.enrollment(&added.enrollment_id).unwrap().lists["prospect_ids"],
        update_prospects_example()["prospect_ids"]
    );
    assert!(server
        .journal()
        .iter()
        .all(|r| r.validation == Validation::Valid));
}

#[tokio::test]
async fn the_generated_client_reaches_the_templated_and_bodied_delete_operations() {
    let server = LocalServer::start().await.unwrap();
    let client = generated_client(&server);
    let client = client.generated();
    // Neither exists: 404, which the documents do not declare.
    let error = client
        .get_webhook()
        .partner_id("partner-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    let error = client
        .delete_prospects_enrollments()
        .body(generated::types::ProspectsEnrollmentsDeleteRequest::builder().enrollment_id("en_1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    let journal = server.journal();
    assert_eq!(journal[0].path, "/v1/webhooks/partner-1");
    assert_eq!(journal[0].operation_id.as_deref(), Some("get_webhook"));
    assert_eq!(journal[1].method, "DELETE");
    assert_eq!(journal[1].body, Some(json!({"enrollment_id": "en_1"})));
    assert!(journal.iter().all(|r| r.validation == Validation::Valid));
}

#[tokio::test]
async fn the_generated_client_decodes_the_request_context_variant_and_hands_back_undeclared_statuses(
) {
    let server = LocalServer::start().await.unwrap();
    let client = generated_client(&server);
    let client = client.generated();
    server.inject(Fault::request_context_variant());
    let body = serde_json::from_value::<generated::types::ProspectsEnrollmentsAddRequest>(
        add_prospects_example(),
    )
    .unwrap();
    let added = client
        .add_prospects_enrollments()
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(added.response_context.is_none());
    assert!(added.request_context.is_some());

    // An update of an unknown enrollment: 404, which the documents do not declare, so the
    // generated client hands it back as an unexpected response.
    let error = client
        .update_prospects_enrollments()
        .body(
            generated::types::ProspectsEnrollmentsUpdateRequest::builder()
                .enrollment_key("tech_executives_monitor")
                .enrollment_id("en_missing")
                .prospect_ids(vec![generated::types::ProspectIdsItem::try_from(
                    prospect_id(1),
                )
                .unwrap()])
                .event_types(vec![
                    generated::types::ProspectsEventIdentifier::ProspectChangedRole,
                ]),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
}
