//! Bulk jobs against the local server on tokio's paused clock: `enroll_all` and `sync`, paced
//! by the server's rate limit, resumable, observable.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use explorium::bulk::{BulkReport, Outcome, RemovalState};
use explorium::testing::{Fault, LocalServer};
use explorium::{BusinessEvent, ProspectEvent};
use support::*;
use tokio::time::Instant;

const KEY: &str = "crm_sync";
const ADD: &str = "add_prospects_enrollments";
const LIST: &str = "get_prospects_enrollments";

fn ids(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(prospect_id).collect()
}

/// Every id the server watches under `KEY` on the prospects path, with how many enrollments
/// hold it.
async fn watched(client: &explorium::Client) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for enrollment in client.prospects().enrollments().await.unwrap() {
        if enrollment.enrollment_key() == KEY {
            for id in enrollment.ids() {
                *counts.entry(id.to_string()).or_insert(0) += 1;
            }
        }
    }
    counts
}

fn limited_429s(server: &LocalServer) -> usize {
    server
        .journal()
        .iter()
        .filter(|r| r.status == Some(429))
        .count()
}

#[tokio::test(start_paused = true)]
async fn a_thousand_ids_under_a_rate_limit_are_all_enrolled_in_chunks_of_twenty() {
    let server = LocalServer::builder()
        .rate_limit(200, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let client = builder_for(&server).build().unwrap();
    let input = ids(0..1000);
    let report = client
        .prospects()
        .enroll_all(KEY, &input)
        .event_types([ProspectEvent::ProspectChangedCompany])
        .concurrency(8)
        .send()
        .await;
    assert!(report.is_complete(), "{:?}", report.totals());
    assert_eq!(report.totals().added, 1000);
    assert_eq!(report.requests.add, 50);
    assert_eq!(server.count(ADD), 50);
    assert_eq!(limited_429s(&server), 0);
    // Chunks follow the input order: ids 0..20 share an enrollment, 20 starts the next.
    let first = report.outcomes[0].outcome.enrollment_id().unwrap();
    assert_eq!(report.outcomes[19].outcome.enrollment_id(), Some(first));
    assert_ne!(report.outcomes[20].outcome.enrollment_id(), Some(first));
    let watched = watched(&client).await;
    assert_eq!(watched.len(), 1000);
    assert!(watched.values().all(|&n| n == 1));
}

#[tokio::test(start_paused = true)]
async fn a_job_longer_than_the_window_runs_at_the_limit_without_a_storm_of_429s() {
    let server = LocalServer::builder()
        .rate_limit(200, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let client = builder_for(&server).build().unwrap();
    let started = Instant::now();
    // 5,000 ids: one listing and 250 adds, so 251 requests: two windows at least.
    let report = client
        .prospects()
        .enroll_all(KEY, ids(0..5000))
        .event_types([ProspectEvent::ProspectChangedCompany])
        .concurrency(16)
        .send()
        .await;
    let took = started.elapsed();
    assert!(report.is_complete(), "{:?}", report.totals());
    assert_eq!(server.count(ADD), 250);
    assert!(limited_429s(&server) <= 1, "{} 429s", limited_429s(&server));
    // The limit's minimum is one window (60 s); the server's reset is in whole seconds.
    assert!(
        took >= Duration::from_secs(59) && took <= Duration::from_secs(64),
        "{took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn invalid_and_duplicate_ids_are_reported_with_their_index_and_never_sent() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    let input = vec![
        prospect_id(1),
        "NOT-AN-ID".to_string(),
        prospect_id(2),
        prospect_id(1),
    ];
    let report = client
        .prospects()
        .enroll_all(KEY, &input)
        .event_types(["prospect_changed_role"])
        .send()
        .await;
    assert!(matches!(report.outcomes[0].outcome, Outcome::Added { .. }));
    match &report.outcomes[1].outcome {
        Outcome::Invalid { rule } => {
            assert!(rule.contains("prospect_ids[1]"), "{rule}");
            assert!(rule.contains("40 lowercase hex"), "{rule}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        report.outcomes[3].outcome,
        Outcome::Duplicate { first_index: 0 }
    ));
    let sent = &server.journal()[1];
    assert_eq!(sent.operation_id.as_deref(), Some(ADD));
    assert_eq!(
        sent.body.as_ref().unwrap()["prospect_ids"],
        serde_json::json!([prospect_id(1), prospect_id(2)])
    );
    let totals = report.totals();
    assert_eq!((totals.added, totals.invalid, totals.duplicates), (2, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_bad_event_type_fails_every_id_and_sends_nothing() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    let report = client
        .prospects()
        .enroll_all(KEY, ids(0..30))
        .event_types(["prospect_got_promoted"])
        .send()
        .await;
    assert_eq!(report.totals().failed, 30);
    assert!(server.journal().is_empty());
}

#[tokio::test(start_paused = true)]
async fn failed_chunks_name_exactly_their_ids_and_a_rerun_with_them_completes() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    let input = ids(0..100);
    // The 2nd and 3rd adds are refused for good (a 4xx is never retried).
    server.inject(Fault::status(400).on(ADD).times(1));
    let report = client
        .prospects()
        .enroll_all(KEY, &input)
        .event_types([ProspectEvent::ProspectChangedRole])
        .concurrency(1)
        .send()
        .await;
    assert!(!report.is_complete());
    let failed: Vec<String> = report.failed_ids().iter().map(|s| s.to_string()).collect();
    assert_eq!(failed, input[0..20].to_vec(), "the first chunk, exactly");
    let Outcome::Failed { error } = &report.outcomes[0].outcome else {
        panic!()
    };
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));

    let rerun = client
        .prospects()
        .enroll_all(KEY, &failed)
        .event_types([ProspectEvent::ProspectChangedRole])
        .send()
        .await;
    assert!(rerun.is_complete());
    let watched = watched(&client).await;
    assert_eq!(watched.len(), 100);
    assert!(watched.values().all(|&n| n == 1));
}

#[tokio::test(start_paused = true)]
async fn a_job_dropped_half_way_then_run_again_enrolls_nothing_twice() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    let input = ids(0..400);
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    // Boxed, so that dropping it drops the job (and aborts its requests in flight).
    let mut job = Box::pin(
        client
            .prospects()
            .enroll_all(KEY, &input)
            .event_types([ProspectEvent::ProspectChangedRole])
            .concurrency(2)
            .on_progress(move |p| {
                let _ = sender.send(p.done_requests);
            })
            .send(),
    );
    // Stop it once ten requests have completed: the future is dropped mid-flight.
    loop {
        tokio::select! {
            _ = &mut job => panic!("finished before it was dropped"),
            Some(done) = receiver.recv() => if done >= 10 { break },
        }
    }
    drop(job);
    let halfway = watched(&client).await.len();
    assert!(halfway > 0 && halfway < 400, "{halfway}");

    let report = client
        .prospects()
        .enroll_all(KEY, &input)
        .event_types([ProspectEvent::ProspectChangedRole])
        .send()
        .await;
    assert!(report.is_complete());
    // A request in flight when the job was dropped may still have been processed after the
    // look above: the listing of the re-run sees it, and nothing is enrolled twice.
    let totals = report.totals();
    assert!(totals.unchanged >= halfway, "skipped what was there");
    assert_eq!(totals.unchanged + totals.added, 400);
    let watched = watched(&client).await;
    assert_eq!(watched.len(), 400);
    assert!(watched.values().all(|&n| n == 1), "no id enrolled twice");
}

#[tokio::test(start_paused = true)]
async fn progress_is_reported_after_each_request() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    client
        .prospects()
        .enroll_all(KEY, ids(0..45))
        .event_types([ProspectEvent::ProspectChangedRole])
        .on_progress(move |p| sink.lock().unwrap().push((p.done_ids, p.total_ids)))
        .send()
        .await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.first(), Some(&(0, 45)), "after the listing");
    assert_eq!(seen.last(), Some(&(45, 45)));
    assert_eq!(seen.len(), 4, "the listing and three adds");
}

async fn sync(
    client: &explorium::Client,
    input: &[String],
    events: &[ProspectEvent],
) -> BulkReport {
    client
        .prospects()
        .sync(KEY, input)
        .event_types(events.iter().copied())
        .send()
        .await
}

#[tokio::test(start_paused = true)]
async fn sync_adds_removes_and_changes_with_the_fewest_requests() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    let role = [ProspectEvent::ProspectChangedRole];

    // From nothing: 45 ids, three adds.
    let report = sync(&client, &ids(0..45), &role).await;
    assert!(report.is_complete());
    assert_eq!((report.requests.add, report.requests.update), (3, 0));

    // The same again: only the listing.
    let before = server.journal().len();
    let report = sync(&client, &ids(0..45), &role).await;
    assert_eq!(report.totals().unchanged, 45);
    let since: Vec<_> = server.journal()[before..]
        .iter()
        .map(|r| r.operation_id.clone().unwrap())
        .collect();
    assert_eq!(since, [LIST], "a second sync sends nothing but the listing");

    // Drop 5 from the first enrollment and add 3: one update, whose free places take the 3.
    let mut input = ids(5..45);
    input.extend(ids(100..103));
    let report = sync(&client, &input, &role).await;
    assert!(report.is_complete());
    assert_eq!(
        (
            report.requests.add,
            report.requests.update,
            report.requests.delete
        ),
        (0, 1, 0)
    );
    assert_eq!(report.removed.len(), 5);
    let watched = watched(&client).await;
    let mut expected: Vec<String> = input.clone();
    expected.sort();
    let mut actual: Vec<String> = watched.keys().cloned().collect();
    actual.sort();
    assert_eq!(actual, expected);

    // Drop a whole enrollment's ids (20..40): it is deleted.
    let mut input: Vec<String> = ids(5..20);
    input.extend(ids(40..45));
    input.extend(ids(100..103));
    let report = sync(&client, &input, &role).await;
    assert!(report.is_complete());
    assert_eq!(report.requests.delete, 1);
    assert_eq!(watched_len(&client).await, 23);

    // New event types: every enrollment of the key is updated.
    let enrollments = client.prospects().enrollments().await.unwrap().len();
    let report = sync(
        &client,
        &input,
        &[
            ProspectEvent::ProspectChangedRole,
            ProspectEvent::ProspectChangedCompany,
        ],
    )
    .await;
    assert!(report.is_complete());
    assert_eq!(report.requests.update, enrollments);
    assert_eq!(report.totals().updated, 23);
    let report = sync(
        &client,
        &input,
        &[
            ProspectEvent::ProspectChangedCompany,
            ProspectEvent::ProspectChangedRole,
        ],
    )
    .await;
    assert_eq!(report.requests.update, 0, "the same set in another order");
}

async fn watched_len(client: &explorium::Client) -> usize {
    watched(client).await.len()
}

#[tokio::test(start_paused = true)]
async fn the_businesses_side_has_the_same_two_calls() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    let input: Vec<String> = (0..30).map(business_id).collect();
    let report = client
        .businesses()
        .enroll_all("b2b_watch", &input)
        .event_types([BusinessEvent::NewFundingRound])
        .send()
        .await;
    assert!(report.is_complete(), "{:?}", report.totals());
    assert_eq!(server.count("add_businesses_enrollments"), 2);
    let report = client
        .businesses()
        .sync("b2b_watch", &input[..10])
        .event_types([BusinessEvent::NewFundingRound])
        .send()
        .await;
    assert!(report.is_complete(), "{:?}", report.totals());
    assert_eq!(report.removed.len(), 20);
}

#[tokio::test(start_paused = true)]
async fn a_sync_out_of_time_lists_its_removals_as_not_attempted_and_is_not_complete() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    let role = [ProspectEvent::ProspectChangedRole];
    assert!(sync(&client, &ids(0..40), &role).await.is_complete());

    // Dropping 20..40 empties the second enrollment: the only work is its delete.
    let report = client
        .prospects()
        .sync(KEY, ids(0..20))
        .event_types(role)
        .deadline(Duration::ZERO)
        .send()
        .await;
    assert_eq!(report.requests.delete, 0);
    assert_eq!(report.removed.len(), 20);
    assert!(report
        .removed
        .iter()
        .all(|r| matches!(r.state, RemovalState::NotAttempted)));
    assert!(!report.is_complete());
    let totals = report.totals();
    assert_eq!((totals.removed, totals.removals_not_attempted), (0, 20));
    assert_eq!(watched_len(&client).await, 40);

    let report = sync(&client, &ids(0..20), &role).await;
    assert!(report.is_complete());
    assert_eq!(report.totals().removed, 20);
    assert_eq!(watched_len(&client).await, 20);
}

#[tokio::test(start_paused = true)]
async fn the_deadline_counts_from_the_start_of_the_job_and_a_rerun_completes() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    let input = ids(0..60);
    // The listing takes 10 s (a 503, retried after its Retry-After); the first add takes 10 s
    // more. With a 15 s deadline, the second and third adds are never started.
    server.inject(Fault::status(503).retry_after(10).on(LIST));
    server.inject(Fault::stall(Duration::from_secs(10)).on(ADD));
    let report = client
        .prospects()
        .enroll_all(KEY, &input)
        .event_types([ProspectEvent::ProspectChangedRole])
        .concurrency(1)
        .deadline(Duration::from_secs(15))
        .send()
        .await;
    assert!(!report.is_complete());
    assert_eq!(report.requests.add, 1);
    let totals = report.totals();
    assert_eq!((totals.added, totals.not_attempted), (20, 40));
    assert!(matches!(report.outcomes[20].outcome, Outcome::NotAttempted));
    let not_attempted: Vec<String> = report.failed_ids().iter().map(|s| s.to_string()).collect();
    assert_eq!(not_attempted, input[20..60].to_vec());

    let rerun = client
        .prospects()
        .enroll_all(KEY, &not_attempted)
        .event_types([ProspectEvent::ProspectChangedRole])
        .send()
        .await;
    assert!(rerun.is_complete());
    let watched = watched(&client).await;
    assert_eq!(watched.len(), 60);
    assert!(watched.values().all(|&n| n == 1));
}

#[tokio::test(start_paused = true)]
async fn an_id_in_two_enrollments_is_dropped_from_the_second_without_a_removal() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    let role = [ProspectEvent::ProspectChangedRole];
    for range in [0..3, 2..5] {
        client
            .prospects()
            .enroll(KEY)
            .prospect_ids(ids(range))
            .event_types(role)
            .send()
            .await
            .unwrap();
    }
    // Id 2 is in both: the second enrollment loses its copy, and it stays watched.
    let report = sync(&client, &ids(0..5), &role).await;
    assert!(report.is_complete(), "{:?}", report.totals());
    assert!(report.removed.is_empty(), "{:?}", report.removed);
    assert_eq!(report.requests.update, 1);
    let watched = watched(&client).await;
    assert_eq!(watched.len(), 5);
    assert!(watched.values().all(|&n| n == 1));

    // An id in two enrollments that the input leaves out: removed from each.
    client
        .prospects()
        .enroll(KEY)
        .prospect_ids([prospect_id(2), prospect_id(5)])
        .event_types(role)
        .send()
        .await
        .unwrap();
    let mut input = ids(0..2);
    input.extend(ids(3..6));
    let report = sync(&client, &input, &role).await;
    assert!(report.is_complete(), "{:?}", report.totals());
    let removed: Vec<&str> = report.removed.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(removed, [prospect_id(2), prospect_id(2)]);
    assert_eq!(watched_len(&client).await, 5);
}

#[tokio::test(start_paused = true)]
async fn a_sync_whose_updates_outlast_the_deadline_starts_no_delete() {
    let server = LocalServer::start().await.unwrap();
    let client = builder_for(&server).build().unwrap();
    let role = [ProspectEvent::ProspectChangedRole];
    assert!(sync(&client, &ids(0..40), &role).await.is_complete());

    // The first enrollment loses id 19 (an update, which takes 10 s); the second loses all its
    // ids (a delete, which waits for the update). The deadline passes during the update.
    server.inject(Fault::stall(Duration::from_secs(10)).on("update_prospects_enrollments"));
    let report = client
        .prospects()
        .sync(KEY, ids(0..19))
        .event_types(role)
        .deadline(Duration::from_secs(5))
        .send()
        .await;
    assert_eq!((report.requests.update, report.requests.delete), (1, 0));
    assert!(!report.is_complete());
    let totals = report.totals();
    assert_eq!((totals.removed, totals.removals_not_attempted), (1, 20));
    assert_eq!(watched_len(&client).await, 39);
}
