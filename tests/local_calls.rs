//! The data families' calls against the local server's world: match, enrich (single, bulk,
//! out of credits mid-job), credits and health.

mod support;

use explorium::enrich::EnrichOutcome;
use explorium::testing::LocalServer;
use explorium::{enrichments, BusinessMatch, ErrorKind, MatchOutcome};
use support::*;

const APPLE: &str = "8adce3ca1cef0c986b22310e369a0793";

#[tokio::test]
async fn match_then_enrich_the_documented_companies() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    let report = client
        .businesses()
        .match_all([
            BusinessMatch::name("Apple").domain("apple.com"),
            BusinessMatch::name("Starbucks").domain("fakeurl.xyz"),
            BusinessMatch::name("PepsiCo, Inc."),
        ])
        .send()
        .await;
    let ids: Vec<String> = report
        .outcomes
        .iter()
        .filter_map(|m| match &m.outcome {
            MatchOutcome::Matched { id } => Some(id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 2, "{:?}", report.outcomes);
    assert_eq!(ids[0], APPLE);
    assert!(matches!(report.outcomes[1].outcome, MatchOutcome::NotFound));
    let enriched = client
        .businesses()
        .enrich_all(enrichments::Firmographics, &ids)
        .send()
        .await;
    for outcome in &enriched.outcomes {
        match &outcome.outcome {
            EnrichOutcome::Enriched { data } => assert!(data.name.is_some()),
            other => panic!("{other:?}"),
        }
    }
    let one = client
        .businesses()
        .enrich(enrichments::Webstack, APPLE)
        .send()
        .await
        .unwrap();
    assert_eq!(one.attempts(), 1);
    assert!(server.used_credits() > 0);
}

#[tokio::test]
async fn out_of_credits_stops_a_bulk_job_at_its_first_refusal() {
    let server = LocalServer::builder().credits(0).start().await.unwrap();
    let client = client_for(&server);
    let summary = client.credits().summary().await.unwrap();
    assert_eq!(summary.remaining_credits, 0);
    let ids: Vec<String> = std::iter::once(APPLE.to_string())
        .chain((0..200).map(business_id))
        .collect();
    let report = client
        .businesses()
        .enrich_all(enrichments::Firmographics, &ids)
        .concurrency(1)
        .send()
        .await;
    assert_eq!(
        report.stopped.as_ref().map(|e| e.kind()),
        Some(ErrorKind::OutOfCredits)
    );
    assert_eq!(report.requests, 1);
    let not_attempted = report
        .outcomes
        .iter()
        .filter(|o| matches!(o.outcome, EnrichOutcome::NotAttempted))
        .count();
    assert_eq!(not_attempted, 201 - 50);
    assert!(client.health().await.is_ok());
}

#[tokio::test]
async fn credit_usage_by_time_and_by_endpoint_adds_up_to_what_was_charged() {
    use explorium::credits::Resolution;
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    let before = server.used_credits();
    client
        .businesses()
        .enrich_all(
            enrichments::Firmographics,
            [APPLE, "a34bacf839b923770b2c360eefa26748"],
        )
        .send()
        .await;
    client
        .businesses()
        .enrich(enrichments::Technographics, APPLE)
        .send()
        .await
        .unwrap();
    let spent = server.used_credits() - before;
    assert_eq!(spent, 3);
    let now = chrono::DateTime::<chrono::Utc>::from(server.now());
    let from = now - chrono::Duration::hours(2);
    let to = now + chrono::Duration::hours(2);
    for resolution in [Resolution::Hour, Resolution::Day, Resolution::Month] {
        let usage = client
            .credits()
            .usage(from, to)
            .per(resolution)
            .send()
            .await
            .unwrap();
        assert_eq!(usage.total_credits(), spent, "{resolution:?}");
        assert_eq!(
            usage.rows().iter().map(|r| r.credits).sum::<u64>(),
            spent,
            "{resolution:?}"
        );
        assert!(usage.rows().iter().all(|r| r.timestamp.is_some()));
        assert_eq!(usage.attempts(), 1);
    }
    let hourly = client
        .credits()
        .usage(from, to)
        .per(Resolution::Hour)
        .send()
        .await
        .unwrap();
    assert!(hourly.rows().len() >= 4, "{:?}", hourly.rows());
    assert!(hourly.rows()[0].other.contains_key("hour"));
    let by_endpoint = client
        .credits()
        .usage(from, to)
        .by_endpoint()
        .timezone("America/New_York")
        .send()
        .await
        .unwrap();
    let endpoints: Vec<(Option<&str>, u64)> = by_endpoint
        .rows()
        .iter()
        .map(|r| (r.endpoint.as_deref(), r.credits))
        .collect();
    assert_eq!(
        endpoints,
        [
            (Some("/v1/businesses/firmographics/bulk_enrich"), 2),
            (Some("/v1/businesses/technographics/enrich"), 1)
        ]
    );
    assert_eq!(by_endpoint.response().timezone, "America/New_York");
}

#[tokio::test]
async fn credit_usage_is_checked_before_it_is_sent() {
    use explorium::credits::Resolution;
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    let cases: Vec<(explorium::credits::Usage, &str, &str)> = vec![
        (
            client.credits().usage("2025-08-24", "2025-08-23"),
            "to_date",
            "is not after from_date",
        ),
        (
            client.credits().usage("2025-08-23", "2025-08-23"),
            "to_date",
            "is not after from_date",
        ),
        (
            client
                .credits()
                .usage("2025-08-01", "2025-08-09")
                .per(Resolution::Hour),
            "to_date",
            "longer than 7 days",
        ),
        (
            client.credits().usage("2025-01-01", "2025-04-01"),
            "to_date",
            "longer than 60 days",
        ),
        (
            client
                .credits()
                .usage("2023-01-01", "2025-04-01")
                .per(Resolution::Month),
            "to_date",
            "longer than 2 years",
        ),
        (
            client.credits().usage("yesterday", "2025-04-01"),
            "from_date",
            "neither an RFC 3339",
        ),
        (
            client.credits().usage("2025-08-01T00:00:00", "2025-08-02"),
            "from_date",
            "no UTC offset",
        ),
        (
            client
                .credits()
                .usage("2025-08-01", "2025-08-02")
                .timezone("New York"),
            "timezone",
            "not a time zone name",
        ),
        (
            client
                .credits()
                .usage("2025-08-01", "2025-08-02")
                .timezone("America//New_York"),
            "timezone",
            "not a time zone name",
        ),
    ];
    for (usage, field, rule) in cases {
        let error = usage.send().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{error}");
        assert_eq!(error.field(), Some(field), "{error}");
        assert!(error.to_string().contains(rule), "{error}");
        assert_eq!(error.operation(), Some("get_credit_aggregation"));
    }
    // By endpoint, the period has no documented limit.
    let long = client
        .credits()
        .usage("2023-01-01", "2025-04-01")
        .by_endpoint()
        .send()
        .await
        .unwrap();
    assert_eq!(long.total_credits(), 0);
    // Two calendar years by month, a leap day among them (731 days).
    client
        .credits()
        .usage("2024-01-01", "2026-01-01")
        .per(Resolution::Month)
        .send()
        .await
        .unwrap();
    assert_eq!(server.count("get_credit_aggregation"), 2);
}

#[tokio::test]
async fn a_usage_row_without_a_count_of_credits_is_an_error_that_names_it() {
    let body = r#"{"response_context": {"correlation_id": "c", "request_status": "success", "time_took_in_seconds": 0.1},
        "from_date": "2025-08-23T00:00:00Z", "to_date": "2025-08-24T00:00:00Z", "mode": "timely", "resolution": "day",
        "timezone": "UTC", "total_credits": 3, "aggregations": [{"timestamp": "2025-08-23T00:00:00Z", "credits": 3},
        {"timestamp": "2025-08-24T00:00:00Z", "credits": -1}]}"#;
    let responder = RawResponder::start(vec![raw_response("200 OK", &[], body)]).await;
    let client = raw_client(&responder).build().unwrap();
    let error = client
        .credits()
        .usage("2025-08-23", "2025-08-24")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
    assert!(
        error.to_string().contains("aggregations[1].credits"),
        "{error}"
    );
    let request = &responder.heads()[0];
    assert!(
        request.starts_with("POST /v1/credits/aggregation "),
        "{request}"
    );
}
