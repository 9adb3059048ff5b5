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
