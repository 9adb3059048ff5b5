//! The builders and the schema agree: what a builder accepts, the spec-enforcing server
//! accepts; what a builder refuses, the schema would have refused. Seeded, so reproducible.

mod support;

use explorium::testing::LocalServer;
use explorium::ErrorKind;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use serde_json::json;
use support::*;

const KNOWN: &str = "20ae6cbf564ee683e66685e429844a5ff8ffc30f";

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x0e8b_1071),
        ..Config::default()
    })
}

/// Mostly valid ids, with repeats, and every way of being wrong.
fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[0-9a-f]{40}",
        2 => Just(KNOWN.to_string()),
        1 => "[0-9a-f]{39}",
        1 => "[0-9a-f]{41}",
        1 => "[0-9A-F]{40}",
        1 => "[0-9a-g]{40}",
        1 => ".{0,42}",
    ]
}

fn event() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["prospect_changed_role", "prospect_changed_company", "prospect_job_start_anniversary"])
            .prop_map(String::from),
        1 => "[a-z_]{0,30}",
    ]
}

/// Valid lists (with repeats) most of the time; otherwise anything.
fn ids() -> impl Strategy<Value = Vec<String>> {
    let valid = prop_oneof![4 => "[0-9a-f]{40}", 1 => Just(KNOWN.to_string())];
    prop_oneof![3 => prop::collection::vec(valid, 1..=23), 2 => prop::collection::vec(id(), 0..26)]
}

fn events() -> impl Strategy<Value = Vec<String>> {
    let known = prop::sample::select(vec![
        "prospect_changed_role",
        "prospect_changed_company",
        "prospect_job_start_anniversary",
    ])
    .prop_map(String::from);
    prop_oneof![3 => prop::collection::vec(known, 1..4), 1 => prop::collection::vec(event(), 0..4)]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![4 => "[a-z_]{4,30}", 1 => ".{0,6}"]
}

#[test]
fn accepted_by_the_builder_means_accepted_by_the_server_and_refused_means_invalid_by_the_schema() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(LocalServer::start()).unwrap();
    let client = client_for(&server);
    let (accepted, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let cases = (key(), ids(), events());
    runner()
        .run(&cases, |(key, ids, events)| {
            let request = client
                .prospects()
                .enroll(key.clone())
                .prospect_ids(ids.clone())
                .event_types(events.clone());
            match request.body() {
                Ok(_) => {
                    accepted.set(accepted.get() + 1);
                    let sent = runtime.block_on(request.send());
                    prop_assert!(
                        sent.is_ok(),
                        "builder accepted, server refused: {:?}",
                        sent.err()
                    );
                }
                Err(error) => {
                    refused.set(refused.get() + 1);
                    prop_assert_eq!(error.kind(), ErrorKind::InvalidRequest);
                    let raw =
                        json!({"enrollment_key": key, "prospect_ids": ids, "event_types": events});
                    let (status, answer) =
                        runtime.block_on(send(&server, "POST", PROSPECTS_PATH, &raw));
                    prop_assert_eq!(
                        status,
                        422,
                        "builder refused ({}), schema accepted: {}",
                        error,
                        answer
                    );
                }
            }
            Ok(())
        })
        .unwrap();
    // The generators reach both sides often enough to mean something.
    let (accepted, refused) = (accepted.get(), refused.get());
    assert!(
        accepted >= 40 && refused >= 40,
        "accepted {accepted}, refused {refused}"
    );
}

/// Business ids: 32 hex; the same shapes of wrongness.
fn business_ids() -> impl Strategy<Value = Vec<String>> {
    let valid = "[0-9a-f]{32}";
    let any = prop_oneof![6 => "[0-9a-f]{32}", 1 => "[0-9a-f]{31}", 1 => "[0-9a-f]{40}", 1 => "[0-9A-F]{32}", 1 => ".{0,34}"];
    prop_oneof![3 => prop::collection::vec(valid, 1..=23), 2 => prop::collection::vec(any, 0..26)]
}

fn business_events() -> impl Strategy<Value = Vec<String>> {
    let known = prop::sample::select(vec![
        "ipo_announcement",
        "new_office",
        "cost_cutting",
        "hiring_in_unknown_department",
    ])
    .prop_map(String::from);
    let any = prop_oneof![4 => known.clone(), 1 => "[a-z_]{0,30}"];
    prop_oneof![3 => prop::collection::vec(known, 1..4), 1 => prop::collection::vec(any, 0..4)]
}

#[test]
fn business_updates_agree_with_the_schema_too() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(server_with_documented_enrollments());
    let client = client_for(&server);
    let (accepted, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    runner()
        .run(&(business_ids(), business_events()), |(ids, events)| {
            let request = client
                .businesses()
                .update_enrollment("en_7b429a01", "my_b2b_saas_monitor")
                .business_ids(ids.clone())
                .event_types(events.clone());
            match request.body() {
                Ok(_) => {
                    accepted.set(accepted.get() + 1);
                    let sent = runtime.block_on(request.send());
                    prop_assert!(
                        sent.is_ok(),
                        "builder accepted, server refused: {:?}",
                        sent.err()
                    );
                }
                Err(error) => {
                    refused.set(refused.get() + 1);
                    let raw = json!({
                        "enrollment_key": "my_b2b_saas_monitor",
                        "enrollment_id": "en_7b429a01",
                        "business_ids": ids,
                        "event_types": events,
                    });
                    let (status, answer) =
                        runtime.block_on(send(&server, "PATCH", BUSINESSES_PATH, &raw));
                    prop_assert_eq!(
                        status,
                        422,
                        "builder refused ({}), schema accepted: {}",
                        error,
                        answer
                    );
                }
            }
            Ok(())
        })
        .unwrap();
    let (accepted, refused) = (accepted.get(), refused.get());
    assert!(
        accepted >= 40 && refused >= 40,
        "accepted {accepted}, refused {refused}"
    );
}

/// Up to 45 ids for a fetch (at most 40 distinct allowed), with repeats and wrong ones.
fn fetch_ids() -> impl Strategy<Value = Vec<String>> {
    let valid = prop_oneof![6 => "[0-9a-f]{40}", 1 => Just(KNOWN.to_string())];
    prop_oneof![3 => prop::collection::vec(valid, 1..=45), 1 => prop::collection::vec(id(), 0..45)]
}

#[test]
fn fetch_requests_agree_with_the_schema_including_forty_unique_ids() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(LocalServer::start()).unwrap();
    let client = client_for(&server);
    let (accepted, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    runner()
        .run(&(fetch_ids(), events()), |(ids, events)| {
            let request = client
                .prospects()
                .events()
                .prospect_ids(ids.clone())
                .event_types(events.clone());
            match request.body() {
                Ok(body) => {
                    accepted.set(accepted.get() + 1);
                    let unique: std::collections::HashSet<_> = body.prospect_ids.iter().collect();
                    prop_assert_eq!(unique.len(), body.prospect_ids.len(), "sent unique");
                    let error = runtime.block_on(request.send()).err();
                    prop_assert!(
                        error
                            .as_ref()
                            .is_none_or(|e| e.kind() != ErrorKind::Validation),
                        "builder accepted, server refused: {:?}",
                        error
                    );
                }
                Err(error) => {
                    refused.set(refused.get() + 1);
                    prop_assert_eq!(error.kind(), ErrorKind::InvalidRequest);
                    let raw = json!({"prospect_ids": ids, "event_types": events});
                    let (status, answer) =
                        runtime.block_on(send(&server, "POST", "/v1/prospects/events", &raw));
                    prop_assert_eq!(
                        status,
                        422,
                        "builder refused ({}), schema accepted: {}",
                        error,
                        answer
                    );
                }
            }
            Ok(())
        })
        .unwrap();
    let (accepted, refused) = (accepted.get(), refused.get());
    assert!(
        accepted >= 40 && refused >= 40,
        "accepted {accepted}, refused {refused}"
    );
}

/// A time between 1970 and 2100, to the millisecond, and an offset of up to ±14 h in whole
/// minutes (RFC 3339 has no seconds in offsets).
fn instant() -> impl Strategy<Value = (i64, i32)> {
    (
        0i64..4_102_444_800_000,
        (-840i32..=840).prop_map(|minutes| minutes * 60),
    )
}

#[test]
fn a_window_is_accepted_exactly_when_it_is_in_order_and_sent_as_the_same_instants() {
    use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone, Utc};
    let server = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(LocalServer::start())
        .unwrap();
    let client = client_for(&server);
    runner()
        .run(
            &(instant(), instant(), any::<bool>()),
            |((from, offset), (to, _), as_text)| {
                let from_utc = Utc.timestamp_millis_opt(from).unwrap();
                let to_utc = Utc.timestamp_millis_opt(to).unwrap();
                let zone = FixedOffset::east_opt(offset).unwrap();
                let fetch = client
                    .prospects()
                    .events()
                    .prospect_id(KNOWN)
                    .event_type("prospect_changed_role");
                // The same instant as text in its own offset, or as a `DateTime` of that offset.
                let fetch = if as_text {
                    fetch.since(
                        from_utc
                            .with_timezone(&zone)
                            .to_rfc3339_opts(SecondsFormat::Millis, false),
                    )
                } else {
                    fetch.since(from_utc.with_timezone(&zone))
                };
                let result = fetch.until(to_utc).body();
                match result {
                    Ok(body) => {
                        prop_assert!(from <= to);
                        let sent = |text: Option<String>| {
                            DateTime::parse_from_rfc3339(&text.unwrap())
                                .unwrap()
                                .with_timezone(&Utc)
                        };
                        prop_assert_eq!(sent(body.timestamp_from), from_utc);
                        prop_assert_eq!(sent(body.timestamp_to), to_utc);
                    }
                    Err(error) => {
                        prop_assert!(from > to, "{}", error);
                        prop_assert_eq!(error.field(), Some("timestamp_to"));
                    }
                }
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn webhook_urls_are_accepted_exactly_when_https_or_http_on_loopback() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(LocalServer::start()).unwrap();
    let client = client_for(&server);
    let hosts = vec![
        ("example.com", false),
        ("hooks.partner.example:8443", false),
        ("10.0.0.1", false),
        ("localhost", true),
        ("127.0.0.1:9000", true),
        ("127.8.9.10", true),
        ("[::1]:8080", true),
        ("[2001:db8::1]", false),
    ];
    let scheme = prop::sample::select(vec!["https", "http", "ftp", "wss"]);
    let cases = (
        scheme,
        prop::sample::select(hosts),
        "(/[a-z0-9_-]{0,8}){0,3}",
        any::<bool>(),
    );
    runner()
        .run(&cases, |(scheme, (host, loopback), path, credentials)| {
            let userinfo = if credentials { "user:pw@" } else { "" };
            let url = format!("{scheme}://{userinfo}{host}{path}");
            let expected = !credentials && (scheme == "https" || (scheme == "http" && loopback));
            let before = server.count("add_webhook");
            let result = runtime.block_on(client.webhooks().register("ExpTest", url.clone()));
            let reached = server.count("add_webhook") > before;
            prop_assert_eq!(reached, expected, "{}: {:?}", url, result.err());
            if !expected {
                let error = result.unwrap_err();
                prop_assert_eq!(error.field(), Some("webhook_url"));
            }
            Ok(())
        })
        .unwrap();
}
