//! The enrich family against loopback servers that answer exactly what each test needs: bulk
//! jobs (input checked and de-duplicated, 50 a request, one outcome per input in input order,
//! fewer rows than asked, a row that does not decode, a 403 mid-job, a 429 with Retry-After on
//! a paused clock, progress, deadline), one entity enriched, custom enrichments.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use explorium::enrich::{EnrichOutcome, Enrichment};
use explorium::{enrichments, ErrorKind, RetryPolicy};
use serde_json::{json, Value};
use support::*;

fn client(responder: &RawResponder) -> explorium::ClientBuilder {
    raw_client(responder)
}

/// The ids a bulk request asked for, under `field`.
fn asked(body: &[u8], field: &str) -> Vec<String> {
    let body: Value = serde_json::from_slice(body).unwrap();
    body[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_string())
        .collect()
}

/// A firmographics row for `id`, with a field the documents do not know.
fn row(id: &str) -> Value {
    json!({"business_id": id, "data": {"business_id": id, "name": format!("n-{id}"), "added_later": [1, 2]}})
}

/// A firmographics job over `ids`, against `responder`.
async fn firmographics(
    responder: &RawResponder,
    ids: &[String],
) -> explorium::bulk::Report<explorium::enrich::EnrichedId<Firmographics>> {
    client(responder)
        .build()
        .unwrap()
        .businesses()
        .enrich_all(enrichments::Firmographics, ids)
        .send()
        .await
}

/// The output type of the firmographics enrichment.
type Firmographics = <enrichments::Firmographics as Enrichment>::Output;

fn bulk_answer(rows: Vec<Value>) -> String {
    let total = rows.len();
    raw_response(
        "200 OK",
        &[],
        &json!({"data": rows, "total_results": total, "response_context": {"correlation_id": "c-1", "request_status": "success", "time_took_in_seconds": 0.1}}).to_string(),
    )
}

#[tokio::test]
async fn enrich_all_checks_dedupes_chunks_by_50_and_keeps_input_order() {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    let responder = RawResponder::answering(move |head, body| {
        assert!(
            head.starts_with("POST /v1/businesses/firmographics/bulk_enrich "),
            "{head}"
        );
        let ids = asked(body, "business_ids");
        seen.lock().unwrap().push(ids.clone());
        // Every id but those ending in 7 has a row; a row the answer repeats counts once.
        let mut rows: Vec<Value> = ids
            .iter()
            .filter(|id| !id.ends_with('7'))
            .map(|id| row(id))
            .collect();
        rows.push(row(&ids[0]));
        Some(bulk_answer(rows))
    })
    .await;
    let client = client(&responder).build().unwrap();
    let mut ids: Vec<String> = (0..120).map(business_id).collect();
    ids.insert(3, "NOT-HEX".into());
    ids.insert(10, business_id(5)); // a duplicate of input 6
    ids.push(String::new());
    let progress = Arc::new(Mutex::new(Vec::new()));
    let heard = progress.clone();
    let report = client
        .businesses()
        .enrich_all(enrichments::Firmographics, &ids)
        .concurrency(3)
        .on_progress(move |p| heard.lock().unwrap().push((p.done_ids, p.total_ids)))
        .send()
        .await;
    assert_eq!(report.outcomes.len(), ids.len());
    assert_eq!(report.requests, 3);
    assert_eq!(report.attempts, 3);
    assert!(report.stopped.is_none());
    let sent = bodies.lock().unwrap().clone();
    let mut sizes: Vec<usize> = sent.iter().map(Vec::len).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [20, 50, 50]);
    assert_eq!(
        sent.iter().flatten().count(),
        120,
        "each valid id sent once"
    );
    for (index, outcome) in report.outcomes.iter().enumerate() {
        assert_eq!(outcome.index, index);
        assert_eq!(outcome.id, ids[index]);
        match &outcome.outcome {
            EnrichOutcome::Enriched { data } => {
                assert_eq!(
                    data.name.as_deref(),
                    Some(format!("n-{}", ids[index]).as_str())
                );
            }
            EnrichOutcome::NotFound => assert!(ids[index].ends_with('7')),
            EnrichOutcome::Invalid { rule } => {
                assert!(index == 3 || index == ids.len() - 1, "{index}");
                assert!(
                    rule.starts_with(&format!("business_ids[{index}]")),
                    "{rule}"
                );
                assert!(rule.contains("32 lowercase hex"), "{rule}");
            }
            EnrichOutcome::Duplicate { first_index } => {
                assert_eq!((index, *first_index), (10, 6));
            }
            other => panic!("{index}: {other:?}"),
        }
    }
    let progress = progress.lock().unwrap().clone();
    assert_eq!(progress.len(), 3);
    assert_eq!(progress.last(), Some(&(ids.len(), ids.len())));
}

#[tokio::test]
async fn a_403_mid_job_stops_it_at_once_and_the_rest_is_not_attempted() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let responder = RawResponder::answering(move |_, body| {
        let ids = asked(body, "prospect_ids");
        if counted.fetch_add(1, Ordering::SeqCst) == 1 {
            return Some(raw_response("403 Forbidden", &[], r#"{"detail": "out of credits"}"#));
        }
        let rows = ids
            .iter()
            .map(|id| json!({"prospect_id": id, "data": {"emails": [{"address": "a@b.c", "type": "work"}]}}))
            .collect();
        Some(bulk_answer(rows))
    })
    .await;
    let client = client(&responder).build().unwrap();
    let ids: Vec<String> = (0..1_000).map(prospect_id).collect();
    let report = client
        .prospects()
        .enrich_all(enrichments::ContactsInformation, &ids)
        .concurrency(1)
        .send()
        .await;
    assert_eq!(responder.requests(), 2, "nothing sent after the 403");
    assert_eq!(report.requests, 2);
    let stopped = report.stopped.as_ref().expect("the 403 is said");
    assert_eq!(stopped.kind(), ErrorKind::OutOfCredits);
    let count =
        |f: fn(&EnrichOutcome<_>) -> bool| report.outcomes.iter().filter(|o| f(&o.outcome)).count();
    assert_eq!(count(|o| matches!(o, EnrichOutcome::Enriched { .. })), 50);
    assert_eq!(count(|o| matches!(o, EnrichOutcome::Failed { .. })), 50);
    assert_eq!(count(|o| matches!(o, EnrichOutcome::NotAttempted)), 900);
}

#[tokio::test]
async fn fewer_rows_than_asked_and_a_row_that_does_not_decode_fail_only_their_ids() {
    let responder = RawResponder::answering(|_, body| {
        let ids = asked(body, "business_ids");
        let rows = vec![
            row(&ids[0]),
            // `data` of the wrong shape: only this id fails.
            json!({"business_id": ids[1], "data": "not an object"}),
            json!({"business_id": ids[2], "data": null}),
            json!({"no_id": true}),
        ];
        Some(bulk_answer(rows))
    })
    .await;
    let ids: Vec<String> = (0..5).map(business_id).collect();
    let report = firmographics(&responder, &ids).await;
    let outcomes: Vec<&EnrichOutcome<_>> = report.outcomes.iter().map(|o| &o.outcome).collect();
    assert!(matches!(outcomes[0], EnrichOutcome::Enriched { .. }));
    match outcomes[1] {
        EnrichOutcome::Failed { error } => {
            assert_eq!(error.kind(), ErrorKind::Decode);
            assert!(error.to_string().contains("row did not decode"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    for outcome in &outcomes[2..] {
        assert!(matches!(outcome, EnrichOutcome::NotFound), "{outcome:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_429_with_retry_after_is_waited_out_and_its_attempts_counted() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let responder = RawResponder::answering(move |_, body| {
        if counted.fetch_add(1, Ordering::SeqCst) == 0 {
            return Some(raw_response(
                "429 Too Many Requests",
                &["Retry-After: 30"],
                "{}",
            ));
        }
        Some(bulk_answer(
            asked(body, "business_ids")
                .iter()
                .map(|id| row(id))
                .collect(),
        ))
    })
    .await;
    let client = client(&responder)
        .retry(RetryPolicy::default())
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let report = client
        .businesses()
        .enrich_all(enrichments::Firmographics, [business_id(1)])
        .send()
        .await;
    assert!(matches!(
        report.outcomes[0].outcome,
        EnrichOutcome::Enriched { .. }
    ));
    assert_eq!((report.requests, report.attempts), (1, 2));
    assert!(
        started.elapsed() >= Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn no_request_starts_after_the_job_deadline() {
    let responder = RawResponder::answering(|_, body| {
        Some(raw_response(
            "429 Too Many Requests",
            &["Retry-After: 100"],
            &{
                let _ = body;
                "{}".to_string()
            },
        ))
    })
    .await;
    let client = client(&responder)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let ids: Vec<String> = (0..200).map(business_id).collect();
    let report = client
        .businesses()
        .enrich_all(enrichments::Firmographics, &ids)
        .concurrency(1)
        .deadline(Duration::ZERO)
        .send()
        .await;
    assert_eq!(responder.requests(), 0);
    assert!(report
        .outcomes
        .iter()
        .all(|o| matches!(o.outcome, EnrichOutcome::NotAttempted)));
}

#[tokio::test]
async fn one_entity_takes_either_shape_and_an_invalid_id_is_never_sent() {
    let answers = Mutex::new(vec![
        json!({"data": [{"emails": [{"address": "x@y.z"}]}, {"phone_numbers": []}], "entity_id": "e"}),
        json!({"data": {"emails": [], "new_field": 1}, "response_context": {"correlation_id": "c-9", "request_status": "success", "time_took_in_seconds": 1}}),
    ]);
    let responder = RawResponder::answering(move |head, body| {
        assert!(
            head.starts_with("POST /v1/prospects/contacts_information/enrich "),
            "{head}"
        );
        let body: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(body["prospect_id"], prospect_id(7));
        let next = answers.lock().unwrap().remove(0);
        Some(raw_response("200 OK", &[], &next.to_string()))
    })
    .await;
    let client = client(&responder).build().unwrap();
    let many = client
        .prospects()
        .enrich(enrichments::ContactsInformation, prospect_id(7))
        .send()
        .await
        .unwrap();
    assert_eq!(many.data().len(), 2);
    let one = client
        .prospects()
        .enrich(enrichments::ContactsInformation, prospect_id(7))
        .send()
        .await
        .unwrap();
    assert_eq!(one.data().len(), 1);
    assert_eq!(
        (one.attempts(), one.context().unwrap().correlation_id()),
        (1, "c-9")
    );
    let error = client
        .prospects()
        .enrich(enrichments::ContactsInformation, business_id(7))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert_eq!(error.field(), Some("prospect_id"));
    assert_eq!(responder.requests(), 2);
}

#[tokio::test]
async fn parameters_are_the_generated_type_and_sent_with_every_request() {
    let responder = RawResponder::answering(|_, body| {
        let body: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(
            body["parameters"],
            json!({"topics": ["ai"], "min_score": 70})
        );
        Some(bulk_answer(Vec::new()))
    })
    .await;
    let client = client(&responder).build().unwrap();
    let parameters = explorium::generated::types::BomboraIntentEnrichmentParams {
        topics: vec!["ai".into()],
        min_score: Some(70),
    };
    let report = client
        .businesses()
        .enrich_all(enrichments::BomboraIntent, [business_id(1), business_id(2)])
        .parameters(parameters)
        .send()
        .await;
    assert_eq!(responder.requests(), 1);
    assert!(report
        .outcomes
        .iter()
        .all(|o| matches!(o.outcome, EnrichOutcome::NotFound)));
    assert_eq!(enrichments::BomboraIntent::NAME, "bombora_intent");
    assert_eq!(
        enrichments::BomboraIntent::BULK_ENRICH.path,
        "/v1/businesses/bombora_intent/bulk_enrich"
    );
    assert_eq!(enrichments::ALL.len(), 20);
}

#[tokio::test]
async fn a_custom_enrichment_goes_to_its_path_and_a_bad_id_sends_nothing() {
    let responder = RawResponder::answering(|head, body| {
        if head.starts_with("POST /v1/custom_enrichments/my_enrichment-1/enrich ") {
            let id = serde_json::from_slice::<Value>(body).unwrap()["business_id"].clone();
            return Some(bulk_answer(vec![
                json!({"business_id": id, "data": {"score": 4}}),
            ]));
        }
        assert!(
            head.starts_with("POST /v1/custom_enrichments/my_enrichment-1/bulk_enrich "),
            "{head}"
        );
        let rows = asked(body, "business_ids")
            .iter()
            .map(|id| json!({"business_id": id, "data": {"score": 3}}))
            .collect();
        Some(bulk_answer(rows))
    })
    .await;
    let client = client(&responder).build().unwrap();
    let report = client
        .custom_enrichment("my_enrichment-1")
        .enrich_all([business_id(1)])
        .send()
        .await;
    match &report.outcomes[0].outcome {
        EnrichOutcome::Enriched { data } => assert_eq!(data["score"], 3),
        other => panic!("{other:?}"),
    }
    // One business: the single operation, its row's data.
    let one = client
        .custom_enrichment("my_enrichment-1")
        .enrich(business_id(2))
        .send()
        .await
        .unwrap();
    assert_eq!(one.data().len(), 1);
    assert_eq!(one.data()[0]["score"], 4, "{:?}", one.data());
    let error = client
        .custom_enrichment("../credits")
        .enrich(business_id(1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.field(), Some("custom_enrichment_id"), "{error}");
    assert_eq!(error.operation(), Some("enrich_with_custom_enrichment"));
    // `Custom` through the entity handle has no id for its path: refused, nothing sent.
    let error = client
        .businesses()
        .enrich(explorium::enrich::Custom, business_id(1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.field(), Some("custom_enrichment_id"), "{error}");
    let report = client
        .custom_enrichment("../credits")
        .enrich_all([business_id(1)])
        .send()
        .await;
    match &report.outcomes[0].outcome {
        EnrichOutcome::Failed { error } => {
            assert_eq!(error.field(), Some("custom_enrichment_id"), "{error}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(responder.requests(), 2);
}

#[tokio::test]
async fn a_key_with_a_quote_echoed_escaped_in_a_row_is_scrubbed() {
    // The key `sk"quoted-key` can only be echoed in JSON with its quote escaped, so it never
    // appears as it is in the body.
    let responder = RawResponder::answering(|_, body| {
        let rows = asked(body, "business_ids")
            .iter()
            .map(|id| json!({"business_id": id, "data": {"business_id": id, "name": "sk\"quoted-key"}}))
            .collect();
        Some(bulk_answer(rows))
    })
    .await;
    let client = explorium::Client::builder()
        .api_key("sk\"quoted-key")
        .base_url(responder.base_url())
        .build()
        .unwrap();
    let report = client
        .businesses()
        .enrich_all(enrichments::Firmographics, [business_id(1)])
        .send()
        .await;
    match &report.outcomes[0].outcome {
        EnrichOutcome::Enriched { data } => {
            let name = data.name.as_deref().unwrap_or_default();
            assert!(!name.contains("quoted-key"), "{name}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn rows_answered_in_another_order_go_to_their_own_ids() {
    // As many rows as ids, but reversed: taking them by position would swap every outcome.
    let responder = RawResponder::answering(|_, body| {
        let rows = asked(body, "business_ids")
            .iter()
            .rev()
            .map(|id| row(id))
            .collect();
        Some(bulk_answer(rows))
    })
    .await;
    let ids: Vec<String> = (0..4).map(business_id).collect();
    let report = firmographics(&responder, &ids).await;
    for outcome in &report.outcomes {
        match &outcome.outcome {
            EnrichOutcome::Enriched { data } => {
                assert_eq!(
                    data.name.as_deref(),
                    Some(format!("n-{}", outcome.id).as_str())
                )
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn a_row_is_matched_by_its_entitys_id_field_written_any_way_json_allows() {
    // Prospect rows: `prospect_id` is the row's id; a `business_id` beside it (the prospect's
    // company) is not. Escaped characters in an id are the same id; an id longer than any id,
    // or one that is not a string, matches nobody, and only that row's input is affected (the
    // second makes the answer be read row by row).
    let responder = RawResponder::answering(|_, body| {
        let ids = asked(body, "prospect_ids");
        let escaped = format!("\\u00{:x}{}", ids[1].as_bytes()[0], &ids[1][1..]);
        let rows = [
            format!(
                r#"{{"business_id": "{}", "prospect_id": "{}", "data": {{"mobile_phone": "0"}}}}"#,
                business_id(1),
                ids[0]
            ),
            format!(r#"{{"prospect_id": "{escaped}", "data": {{"mobile_phone": "1"}}}}"#),
            format!(
                r#"{{"prospect_id": "{}0", "data": {{"mobile_phone": "2"}}}}"#,
                ids[2]
            ),
            r#"{"prospect_id": 3, "data": {"mobile_phone": "3"}}"#.to_string(),
            // Business-first matching would give this row to nobody, or to the wrong input.
            format!(
                r#"{{"business_id": "{}", "prospect_id": "{}", "data": {{"mobile_phone": "4"}}}}"#,
                ids[0], ids[4]
            ),
        ];
        Some(raw_response(
            "200 OK",
            &[],
            &format!(r#"{{"data": [{}], "total_results": 5}}"#, rows.join(",")),
        ))
    })
    .await;
    let client = client(&responder).build().unwrap();
    let ids: Vec<String> = (0..5).map(prospect_id).collect();
    let report = client
        .prospects()
        .enrich_all(enrichments::ContactsInformation, &ids)
        .send()
        .await;
    let phone = |i: usize| match &report.outcomes[i].outcome {
        EnrichOutcome::Enriched { data } => data.mobile_phone.clone().unwrap(),
        other => format!("{other:?}"),
    };
    assert_eq!(phone(0), "0");
    assert_eq!(phone(1), "1");
    assert_eq!(phone(2), "NotFound");
    assert_eq!(phone(3), "NotFound");
    assert_eq!(phone(4), "4");
    let ids_back: Vec<&str> = report.outcomes.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids_back, ids, "every outcome has its input id");
}

#[tokio::test]
async fn a_row_that_gives_data_twice_fails_its_id_and_no_other() {
    // Read as written (no escape, no key in it): the answer is read row by row, and the row
    // that does not decode still names its id.
    let responder = RawResponder::answering(|_, body| {
        let ids = asked(body, "business_ids");
        let body = format!(
            r#"{{"data": [{{"business_id": "{0}", "data": {{"business_id": "{0}", "name": "a"}}, "data": {{"business_id": "{0}", "name": "b"}}}}, {{"business_id": "{1}", "data": {{"business_id": "{1}", "name": "ok"}}}}], "total_results": 2}}"#,
            ids[0], ids[1]
        );
        Some(raw_response("200 OK", &[], &body))
    })
    .await;
    let ids: Vec<String> = (0..2).map(business_id).collect();
    let report = firmographics(&responder, &ids).await;
    match &report.outcomes[0].outcome {
        EnrichOutcome::Failed { error } => {
            assert_eq!(error.kind(), ErrorKind::Decode);
            assert!(
                error.to_string().contains("duplicate field `data`"),
                "{error}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&report.outcomes[1].outcome, EnrichOutcome::Enriched { data } if data.name.as_deref() == Some("ok")),
        "{:?}",
        report.outcomes[1]
    );
}

#[tokio::test]
async fn a_job_with_invalid_ids_or_a_bad_custom_id_gives_each_input_its_own_outcome() {
    let responder = RawResponder::answering(|_, body| {
        let rows = asked(body, "business_ids")
            .iter()
            .map(|id| row(id))
            .collect();
        Some(bulk_answer(rows))
    })
    .await;
    let client = client(&responder).build().unwrap();
    let name = |outcome: &EnrichOutcome<Firmographics>| match outcome {
        EnrichOutcome::Enriched { data } => data.name.clone().unwrap_or_default(),
        other => format!("{other:?}"),
    };
    // One request, with an invalid id and a duplicate among the valid ones.
    let ids = vec![
        business_id(1),
        "nope".into(),
        business_id(2),
        business_id(1),
    ];
    let report = client
        .businesses()
        .enrich_all(enrichments::Firmographics, &ids)
        .send()
        .await;
    let said: Vec<String> = report.outcomes.iter().map(|o| name(&o.outcome)).collect();
    assert_eq!(said[0], format!("n-{}", business_id(1)));
    assert!(said[1].starts_with("Invalid"), "{}", said[1]);
    assert_eq!(said[2], format!("n-{}", business_id(2)));
    assert_eq!(said[3], "Duplicate { first_index: 0 }");
    let back: Vec<&String> = report.outcomes.iter().map(|o| &o.id).collect();
    assert_eq!(back, ids.iter().collect::<Vec<_>>());
    assert!(report
        .outcomes
        .iter()
        .enumerate()
        .all(|(i, o)| o.index == i));

    // A custom enrichment id that breaks its rule, over three requests' worth of ids: nothing
    // sent, every valid id failed with it, the invalid one still invalid.
    let mut ids: Vec<String> = (0..120).map(business_id).collect();
    ids[7] = "nope".into();
    let before = responder.requests();
    let report = client
        .custom_enrichment("not/an id")
        .enrich_all(&ids)
        .send()
        .await;
    assert_eq!(responder.requests(), before, "nothing sent");
    for (i, outcome) in report.outcomes.iter().enumerate() {
        assert_eq!(outcome.id, ids[i]);
        match (&outcome.outcome, i) {
            (EnrichOutcome::Invalid { .. }, 7) => {}
            (EnrichOutcome::Failed { error }, _) => {
                assert!(
                    error.to_string().contains("custom_enrichment_id"),
                    "{error}"
                )
            }
            (other, _) => panic!("{i}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_job_of_one_id_keeps_no_room_for_a_request_of_fifty() {
    let responder = RawResponder::answering(|_, body| {
        Some(bulk_answer(
            asked(body, "business_ids")
                .iter()
                .map(|id| row(id))
                .collect(),
        ))
    })
    .await;
    let client = client(&responder).build().unwrap();
    let report = client
        .businesses()
        .enrich_all(enrichments::Firmographics, [business_id(1)])
        .send()
        .await;
    assert!(matches!(
        report.outcomes[0].outcome,
        EnrichOutcome::Enriched { .. }
    ));
    assert!(
        report.outcomes.capacity() < 8,
        "{}",
        report.outcomes.capacity()
    );
}

#[tokio::test(start_paused = true)]
async fn a_job_of_one_request_that_never_ran_or_met_a_403_keeps_its_verdicts() {
    let responder = RawResponder::answering(|_, _| {
        Some(raw_response(
            "403 Forbidden",
            &[],
            r#"{"detail": "out of credits"}"#,
        ))
    })
    .await;
    let client = client(&responder).build().unwrap();
    let ids = vec![
        business_id(1),
        "nope".into(),
        business_id(1),
        business_id(2),
    ];
    // The deadline passed before the one request could start: nothing sent.
    let report = client
        .businesses()
        .enrich_all(enrichments::Firmographics, &ids)
        .deadline(Duration::ZERO)
        .send()
        .await;
    assert_eq!(responder.requests(), 0);
    let kinds = |report: &explorium::bulk::Report<_>| -> Vec<String> {
        report
            .outcomes
            .iter()
            .map(|o: &explorium::enrich::EnrichedId<_>| {
                let text = format!("{:?}", o.outcome);
                text.split([' ', '{'])
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(
        kinds(&report),
        ["NotAttempted", "Invalid", "Duplicate", "NotAttempted"]
    );
    // A 403: the request's ids failed with it, the others keep their verdicts.
    let report = client
        .businesses()
        .enrich_all(enrichments::Firmographics, &ids)
        .send()
        .await;
    assert_eq!(kinds(&report), ["Failed", "Invalid", "Duplicate", "Failed"]);
    assert!(report.stopped.is_some());
    let back: Vec<&String> = report.outcomes.iter().map(|o| &o.id).collect();
    assert_eq!(back, ids.iter().collect::<Vec<_>>());
}
