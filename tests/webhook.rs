//! Webhook receiving: signatures checked against vectors computed independently (Python's
//! `hmac`, `hashlib` and `base64`: `tests/fixtures/webhook_vectors.py`), and the event decoded.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use explorium::webhook::{EntityType, Verifier, VerifyError};
use explorium::{BusinessEvent, EventName, ProspectEvent};
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::Value;

const VECTORS: &str = include_str!("fixtures/webhook_vectors.json");

#[derive(Debug, Deserialize)]
struct Vectors {
    tolerance_seconds: u64,
    vectors: Vec<Vector>,
}

#[derive(Debug, Clone, Deserialize)]
struct Vector {
    name: String,
    secret: String,
    timestamp: String,
    signature: String,
    body: String,
    now: u64,
    /// `Ok`, or the error's variant (`MissingHeader:<name>` for that one).
    expect: String,
    event: Option<ExpectedEvent>,
}

#[derive(Debug, Clone, Deserialize)]
struct ExpectedEvent {
    event_id: String,
    event_name: String,
    entity_type: String,
    entity_id: String,
    enrollment_key: String,
    data: Value,
}

fn vectors() -> Vectors {
    serde_json::from_str(VECTORS).expect("the fixture parses")
}

fn vector(name: &str) -> Vector {
    vectors()
        .vectors
        .into_iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no vector {name}"))
}

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

fn verify(vector: &Vector) -> Result<explorium::webhook::Event, VerifyError> {
    let verifier = Verifier::new(vector.secret.as_str()).expect("the vector's secret is valid");
    verifier.verify_at(
        &vector.timestamp,
        &vector.signature,
        vector.body.as_bytes(),
        at(vector.now),
    )
}

/// The variant's name, as the fixture spells it.
fn kind(error: &VerifyError) -> String {
    match error {
        VerifyError::InvalidSecret => "InvalidSecret".into(),
        VerifyError::MissingHeader { name } => format!("MissingHeader:{name}"),
        VerifyError::MalformedTimestamp => "MalformedTimestamp".into(),
        VerifyError::MalformedSignature => "MalformedSignature".into(),
        VerifyError::BadSignature => "BadSignature".into(),
        VerifyError::StaleTimestamp { .. } => "StaleTimestamp".into(),
        VerifyError::FutureTimestamp { .. } => "FutureTimestamp".into(),
        VerifyError::UndecodableBody { .. } => "UndecodableBody".into(),
        other => format!("{other:?}"),
    }
}

#[test]
fn every_vector_gives_exactly_the_expected_outcome() {
    let vectors = vectors();
    assert_eq!(vectors.tolerance_seconds, 300);
    for vector in &vectors.vectors {
        let outcome = verify(vector).map_err(|e| kind(&e));
        match (&outcome, vector.expect.as_str()) {
            (Ok(_), "Ok") => {}
            (Err(kind), expected) => assert_eq!(kind, expected, "{}", vector.name),
            (Ok(event), expected) => panic!("{}: accepted {event:?}, not {expected}", vector.name),
        }
    }
}

#[test]
fn the_fixture_covers_every_error_a_delivery_can_get() {
    let expected: Vec<String> = vectors().vectors.into_iter().map(|v| v.expect).collect();
    for kind in [
        "Ok",
        "MissingHeader:X-Timestamp",
        "MissingHeader:X-Signature",
        "MalformedTimestamp",
        "MalformedSignature",
        "BadSignature",
        "StaleTimestamp",
        "FutureTimestamp",
        "UndecodableBody",
    ] {
        assert!(expected.iter().any(|e| e == kind), "no vector for {kind}");
    }
}

#[test]
fn accepted_deliveries_decode_to_the_event_sent() {
    for vector in vectors().vectors.iter().filter(|v| v.expect == "Ok") {
        let event = verify(vector).unwrap();
        let expected = vector.event.as_ref().unwrap();
        assert_eq!(event.event_id(), expected.event_id, "{}", vector.name);
        assert_eq!(event.event_name().to_string(), expected.event_name);
        assert_eq!(event.entity_type().as_str(), expected.entity_type);
        assert_eq!(event.entity_id(), expected.entity_id);
        assert_eq!(event.enrollment_key(), expected.enrollment_key);
        assert_eq!(event.data(), &expected.data);
    }
}

#[test]
fn event_names_are_typed_when_known_and_kept_when_not() {
    let documented = verify(&vector("documented_payload")).unwrap();
    assert_eq!(
        documented.event_name(),
        &EventName::Business(BusinessEvent::NewProduct)
    );
    assert_eq!(documented.entity_type(), &EntityType::Business);
    assert_eq!(documented.partner_id(), Some("ExpTest"));
    assert_eq!(documented.tenant_id(), Some("con_NJEwX2IUhNNbaRDC"));

    // Deliveries before 2025-10-07 named the field `event_type`.
    let older = verify(&vector("older_event_type_field")).unwrap();
    assert_eq!(
        older.event_name(),
        &EventName::Prospect(ProspectEvent::ProspectChangedCompany)
    );
    assert_eq!(older.entity_type(), &EntityType::Prospect);

    // Simulated events use names the enums do not list.
    let simulated = verify(&vector("simulated_unknown_event_name")).unwrap();
    assert_eq!(simulated.event_name(), &EventName::Unknown("award".into()));
}

#[test]
fn a_body_with_both_field_names_takes_the_current_one() {
    let verifier = Verifier::new(vector("documented_payload").secret.as_str()).unwrap();
    let body = br#"{"event_id": "e1", "event_name": "new_office", "event_type": "closing_office",
        "entity_id": "8adce3ca1cef0c986b22310e369a0793", "entity_type": "business", "enrollment_key": "k1"}"#;
    let timestamp = "1767225600";
    let signature = verifier.signature(timestamp, body);
    let event = verifier
        .verify_at(timestamp, &signature, body, at(1767225600))
        .unwrap();
    assert_eq!(
        event.event_name(),
        &EventName::Business(BusinessEvent::NewOffice)
    );
    assert_eq!(event.data(), &Value::Null, "no `data`: null");
}

#[test]
fn signature_computes_what_the_independent_vectors_hold() {
    for vector in vectors().vectors.iter().filter(|v| v.expect == "Ok") {
        if vector.name.starts_with("unpadded_signature") {
            continue; // deliberately stripped of its padding
        }
        let verifier = Verifier::new(vector.secret.as_str()).unwrap();
        assert_eq!(
            verifier.signature(&vector.timestamp, vector.body.as_bytes()),
            vector.signature,
            "{}",
            vector.name
        );
    }
}

#[test]
fn stale_and_future_errors_say_how_far_off() {
    match verify(&vector("stale_timestamp")) {
        Err(VerifyError::StaleTimestamp { age }) => assert_eq!(age, Duration::from_secs(301)),
        other => panic!("{other:?}"),
    }
    match verify(&vector("future_timestamp")) {
        Err(VerifyError::FutureTimestamp { ahead }) => {
            assert_eq!(ahead, Duration::from_secs(301))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_tolerance_is_configurable_both_ways() {
    let stale = vector("stale_timestamp");
    let verifier = Verifier::new(stale.secret.as_str())
        .unwrap()
        .with_tolerance(Duration::from_secs(600));
    assert_eq!(verifier.tolerance(), Duration::from_secs(600));
    let check =
        |v: &Vector| verifier.verify_at(&v.timestamp, &v.signature, v.body.as_bytes(), at(v.now));
    assert!(check(&stale).is_ok());
    assert!(check(&vector("future_timestamp")).is_ok());

    let strict = Verifier::new(stale.secret.as_str())
        .unwrap()
        .with_tolerance(Duration::from_secs(10));
    let ok = vector("oldest_accepted");
    assert!(matches!(
        strict.verify_at(&ok.timestamp, &ok.signature, ok.body.as_bytes(), at(ok.now)),
        Err(VerifyError::StaleTimestamp { .. })
    ));
}

#[test]
fn secrets_that_are_not_base64_are_refused_without_being_quoted() {
    for secret in [
        "",
        "   ",
        "your_generated_secret_key",
        "not base64 at all!",
        "a=b=",
    ] {
        let error = Verifier::new(secret).unwrap_err();
        assert!(matches!(error, VerifyError::InvalidSecret), "{secret:?}");
        let text = format!("{error} {error:?}");
        if !secret.trim().is_empty() {
            assert!(!text.contains(secret), "{text}");
        }
    }
}

#[test]
fn the_secret_is_accepted_as_str_string_or_secret_string_and_never_shown() {
    let secret = vector("documented_payload").secret;
    let from_string = Verifier::new(&secret).unwrap();
    let from_secret = Verifier::new(&secrecy::SecretString::from(secret.clone())).unwrap();
    let body = b"{}";
    assert_eq!(
        from_string.signature("1", body),
        from_secret.signature("1", body)
    );
    let debug = format!("{from_string:?}");
    assert!(!debug.contains(&secret), "{debug}");
    // Errors name the header and the rule, never the secret.
    let bad = vector("wrong_secret");
    let error = verify(&bad).unwrap_err();
    assert!(!error.to_string().contains(&secret));
    assert!(error.to_string().contains("X-Signature"), "{error}");
}

#[test]
fn undecodable_bodies_keep_serdes_reason() {
    let error = verify(&vector("body_without_event_id")).unwrap_err();
    let VerifyError::UndecodableBody { .. } = &error else {
        panic!("{error:?}");
    };
    assert!(error.to_string().contains("event_id"), "{error}");
    assert!(std::error::Error::source(&error).is_some());
    let error = verify(&vector("body_without_event_name")).unwrap_err();
    assert!(error.to_string().contains("event_name"), "{error}");
}

fn documented() -> Vector {
    vector("documented_payload")
}

/// Flips bit `bit` (0..7, so the text stays ASCII) of byte `index` of `text`.
fn flip(text: &str, index: usize, bit: u8) -> String {
    let mut bytes = text.as_bytes().to_vec();
    bytes[index] ^= 1 << bit;
    String::from_utf8(bytes).expect("ASCII stays ASCII")
}

proptest! {
    #[test]
    fn any_single_bit_change_to_the_body_fails(index in any::<prop::sample::Index>(), bit in 0u8..8) {
        let v = documented();
        let mut body = v.body.clone().into_bytes();
        let index = index.index(body.len());
        body[index] ^= 1 << bit;
        let verifier = Verifier::new(v.secret.as_str()).unwrap();
        let outcome = verifier.verify_at(&v.timestamp, &v.signature, &body, at(v.now));
        prop_assert!(matches!(outcome, Err(VerifyError::BadSignature)), "{outcome:?}");
    }

    #[test]
    fn any_single_bit_change_to_the_timestamp_fails(index in any::<prop::sample::Index>(), bit in 0u8..7) {
        let v = documented();
        let timestamp = flip(&v.timestamp, index.index(v.timestamp.len()), bit);
        let verifier = Verifier::new(v.secret.as_str()).unwrap();
        // Judged at the altered time where it is one, so the window cannot be what fails.
        let now = timestamp.parse().unwrap_or(v.now);
        let outcome = verifier.verify_at(&timestamp, &v.signature, v.body.as_bytes(), at(now));
        prop_assert!(
            matches!(outcome, Err(VerifyError::BadSignature | VerifyError::MalformedTimestamp)),
            "{outcome:?}"
        );
    }

    #[test]
    fn any_single_bit_change_to_the_signature_fails(index in any::<prop::sample::Index>(), bit in 0u8..7) {
        let v = documented();
        let signature = flip(&v.signature, index.index(v.signature.len()), bit);
        let verifier = Verifier::new(v.secret.as_str()).unwrap();
        let outcome = verifier.verify_at(&v.timestamp, &signature, v.body.as_bytes(), at(v.now));
        prop_assert!(
            matches!(outcome, Err(VerifyError::BadSignature | VerifyError::MalformedSignature)),
            "{outcome:?}"
        );
    }

    #[test]
    fn inside_the_window_passes_and_outside_fails_by_direction(offset in -1000i64..1000) {
        let v = documented();
        let now = v.now.checked_add_signed(offset).unwrap();
        let verifier = Verifier::new(v.secret.as_str()).unwrap();
        let outcome = verifier.verify_at(&v.timestamp, &v.signature, v.body.as_bytes(), at(now));
        match offset {
            -300..=300 => prop_assert!(outcome.is_ok(), "{outcome:?}"),
            301.. => prop_assert!(
                matches!(outcome, Err(VerifyError::StaleTimestamp { .. })),
                "{:?}",
                outcome
            ),
            _ => prop_assert!(
                matches!(outcome, Err(VerifyError::FutureTimestamp { .. })),
                "{:?}",
                outcome
            ),
        }
    }

    #[test]
    fn arbitrary_headers_and_bodies_are_refused_without_panicking(
        timestamp in ".{0,24}",
        signature in ".{0,64}",
        body in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let verifier = Verifier::new(documented().secret.as_str()).unwrap();
        prop_assert!(verifier.verify(&timestamp, &signature, &body).is_err());
    }

    #[test]
    fn event_names_round_trip_whatever_their_text(name in ".{0,40}") {
        prop_assert_eq!(EventName::parse(&name).to_string(), name);
    }
}
