//! The match family against loopback servers: inputs checked before sending, 50 a request,
//! one outcome per input in input order, rows not found or in error, an answer with fewer rows
//! than asked, a 403 mid-job.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use explorium::{BusinessMatch, Client, ErrorKind, MatchOutcome, ProspectMatch};
use serde_json::{json, Value};
use support::*;

fn client(responder: &RawResponder) -> Client {
    raw_client(responder).build().unwrap()
}

/// Answers each business input in order: `id-N` domains match business N, `error.*` domains
/// are in error, the rest are not found.
fn business_answer(body: &[u8]) -> String {
    let body: Value = serde_json::from_slice(body).unwrap();
    let rows: Vec<Value> = body["businesses_to_match"]
        .as_array()
        .unwrap()
        .iter()
        .map(|input| {
            assert!(
                input.as_object().unwrap().values().all(|v| !v.is_null()),
                "no nulls sent"
            );
            let domain = input["domain"].as_str().unwrap_or_default();
            if let Some(n) = domain.strip_prefix("id-") {
                json!({"input": input, "business_id": business_id(n.parse().unwrap()), "added": 1})
            } else if domain.starts_with("error.") {
                json!({"input": input, "error": "bad domain", "error_type": "invalid"})
            } else {
                json!({"input": input, "business_id": null})
            }
        })
        .collect();
    raw_response(
        "200 OK",
        &[],
        &json!({"matched_businesses": rows, "total_results": 1, "total_matches": 1}).to_string(),
    )
}

#[tokio::test]
async fn match_all_keeps_input_order_50_a_request_and_never_sends_an_invalid_input() {
    let responder = RawResponder::answering(|head, body| {
        assert!(head.starts_with("POST /v1/businesses/match "), "{head}");
        Some(business_answer(body))
    })
    .await;
    let mut inputs: Vec<BusinessMatch> = (0..110)
        .map(|n| BusinessMatch::name(format!("company {n}")).domain(format!("id-{n}")))
        .collect();
    inputs[5] = BusinessMatch::name("  ").domain(""); // nothing given
    inputs[6] = BusinessMatch::name("x".repeat(300));
    inputs[7] = BusinessMatch::by_domain("nobody.example");
    inputs[8] = BusinessMatch::by_domain("error.example");
    let report = client(&responder)
        .businesses()
        .match_all(inputs)
        .concurrency(2)
        .send()
        .await;
    assert_eq!((report.requests, report.attempts), (3, 3));
    assert_eq!(report.outcomes.len(), 110);
    for (index, matched) in report.outcomes.iter().enumerate() {
        assert_eq!(matched.index, index);
        match (&matched.outcome, index) {
            (MatchOutcome::Invalid { rule }, 5) => {
                assert!(
                    rule.starts_with("businesses_to_match[5]: at least one of"),
                    "{rule}"
                )
            }
            (MatchOutcome::Invalid { rule }, 6) => {
                assert!(rule.starts_with("businesses_to_match[6].name"), "{rule}")
            }
            (MatchOutcome::NotFound, 7) => {}
            (MatchOutcome::Failed { error }, 8) => {
                assert!(error.to_string().contains("bad domain"), "{error}")
            }
            (MatchOutcome::Matched { id }, _) => assert_eq!(id, &business_id(index)),
            (other, _) => panic!("{index}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_answer_with_fewer_rows_than_inputs_fails_that_request_only() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let responder = RawResponder::answering(move |_, body| {
        if counted.fetch_add(1, Ordering::SeqCst) == 0 {
            return Some(raw_response(
                "200 OK",
                &[],
                r#"{"matched_prospects": [{"input": {}, "prospect_id": "0000000000000000000000000000000000000001"}], "total_results": 1, "total_matches": 1}"#,
            ));
        }
        let body: Value = serde_json::from_slice(body).unwrap();
        let rows: Vec<Value> = body["prospects_to_match"]
            .as_array()
            .unwrap()
            .iter()
            .map(|input| json!({"input": input, "prospect_id": prospect_id(9)}))
            .collect();
        Some(raw_response(
            "200 OK",
            &[],
            &json!({"matched_prospects": rows, "total_results": 1, "total_matches": 1}).to_string(),
        ))
    })
    .await;
    let inputs: Vec<ProspectMatch> = (0..60)
        .map(|n| ProspectMatch::by_email(format!("p{n}@example.com")))
        .collect();
    let report = client(&responder)
        .prospects()
        .match_all(inputs)
        .concurrency(1)
        .send()
        .await;
    for matched in &report.outcomes[..50] {
        match &matched.outcome {
            MatchOutcome::Failed { error } => {
                assert_eq!(error.kind(), ErrorKind::Decode);
                assert!(
                    error.to_string().contains("1 rows for 50 inputs"),
                    "{error}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    for matched in &report.outcomes[50..] {
        assert!(matches!(&matched.outcome, MatchOutcome::Matched { id } if *id == prospect_id(9)));
    }
}

#[tokio::test]
async fn a_403_stops_a_match_job_and_a_bad_business_id_is_refused_before_sending() {
    let responder = RawResponder::answering(|_, _| {
        Some(raw_response(
            "403 Forbidden",
            &[],
            r#"{"detail": "no credits"}"#,
        ))
    })
    .await;
    let mut inputs: Vec<ProspectMatch> = (0..200)
        .map(|n| ProspectMatch::full_name(format!("person {n}")).company_name("acme"))
        .collect();
    inputs[0] = ProspectMatch::full_name("a").business_id("ACME");
    let report = client(&responder)
        .prospects()
        .match_all(inputs)
        .concurrency(1)
        .send()
        .await;
    assert_eq!(responder.requests(), 1);
    assert_eq!(
        report.stopped.as_ref().unwrap().kind(),
        ErrorKind::OutOfCredits
    );
    match &report.outcomes[0].outcome {
        MatchOutcome::Invalid { rule } => {
            assert!(
                rule.starts_with("prospects_to_match[0].business_id"),
                "{rule}"
            )
        }
        other => panic!("{other:?}"),
    }
    let not_attempted = report
        .outcomes
        .iter()
        .filter(|m| matches!(m.outcome, MatchOutcome::NotAttempted))
        .count();
    assert_eq!(not_attempted, 199 - 50);
}

#[tokio::test]
async fn a_prospect_row_is_its_prospect_id_and_an_id_that_is_not_one_fails_its_input() {
    // A `business_id` beside the `prospect_id` (the prospect's company) is not the match; a
    // `prospect_id` that is not 40 hex characters fails only its input, naming the field.
    let responder = RawResponder::answering(|_, _| {
        let rows = json!([
            {"input": {}, "business_id": business_id(1), "prospect_id": prospect_id(2)},
            {"input": {}, "prospect_id": "../../v1/businesses\n"},
            {"input": {}, "business_id": business_id(3)},
        ]);
        Some(raw_response(
            "200 OK",
            &[],
            &json!({"matched_prospects": rows, "total_results": 2, "total_matches": 2}).to_string(),
        ))
    })
    .await;
    let inputs: Vec<ProspectMatch> = (0..3)
        .map(|n| ProspectMatch::by_email(format!("p{n}@example.com")))
        .collect();
    let report = client(&responder)
        .prospects()
        .match_all(inputs)
        .send()
        .await;
    assert!(
        matches!(&report.outcomes[0].outcome, MatchOutcome::Matched { id } if *id == prospect_id(2)),
        "{:?}",
        report.outcomes[0]
    );
    match &report.outcomes[1].outcome {
        MatchOutcome::Failed { error } => {
            assert_eq!(error.kind(), ErrorKind::Decode);
            let text = error.to_string();
            assert!(text.contains("`prospect_id`"), "{text}");
            assert!(text.contains("40 lowercase hex"), "{text}");
            assert!(!text.contains('\n'), "{text}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&report.outcomes[2].outcome, MatchOutcome::NotFound),
        "{:?}",
        report.outcomes[2]
    );
}

#[tokio::test]
async fn a_bad_match_id_is_quoted_unambiguously_and_one_not_a_string_fails_too() {
    let responder = RawResponder::answering(|_, _| {
        let rows = json!([
            {"input": {}, "business_id": "x\" is fine; \"y"},
            {"input": {}, "business_id": 12345},
            {"input": {}, "business_id": ""},
        ]);
        Some(raw_response(
            "200 OK",
            &[],
            &json!({"matched_businesses": rows, "total_results": 1, "total_matches": 0})
                .to_string(),
        ))
    })
    .await;
    let inputs = ["a.com", "b.com", "c.com"].map(BusinessMatch::by_domain);
    let report = client(&responder)
        .businesses()
        .match_all(inputs)
        .send()
        .await;
    let failure = |i: usize| match &report.outcomes[i].outcome {
        MatchOutcome::Failed { error } => {
            assert_eq!(error.kind(), ErrorKind::Decode);
            error.to_string()
        }
        other => panic!("{other:?}"),
    };
    let quoted = failure(0);
    assert!(quoted.contains(r#""x\" is fine; \"y""#), "{quoted}");
    assert!(
        failure(1).contains("`business_id`: a number, not an id"),
        "{}",
        failure(1)
    );
    assert!(
        matches!(&report.outcomes[2].outcome, MatchOutcome::NotFound),
        "an empty id is a miss: {:?}",
        report.outcomes[2]
    );
}
