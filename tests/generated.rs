//! The generated layer (`explorium::generated`) decodes what the service documents.

use explorium::generated::types;

const DOCUMENTED_EXAMPLE: &str = r#"{
  "request_context": {"correlation_id": "1234", "request_status": "success", "time_took_in_seconds": 0.515},
  "enrollment_key": "tech_executives_monitor",
  "enrollment_id": "en_8d52c3f1"
}"#;

const SCHEMA_SHAPE: &str = r#"{
  "response_context": {"correlation_id": "5678", "request_status": "miss", "time_took_in_seconds": 1.5},
  "enrollment_key": "tech_executives_monitor",
  "enrollment_id": "en_8d52c3f1"
}"#;

#[test]
fn documented_request_context_shape_decodes_through_generated_types() {
    let add: types::ProspectsEnrollmentsAddResponse =
        serde_json::from_str(DOCUMENTED_EXAMPLE).unwrap();
    let context = add.request_context.expect("request_context kept");
    assert_eq!(context.correlation_id, "1234");
    assert_eq!(context.request_status, types::RequestStatus::Success);
    assert!(add.response_context.is_none());
    assert_eq!(add.enrollment_id, "en_8d52c3f1");

    let update: types::ProspectsEnrollmentsUpdateResponse =
        serde_json::from_str(DOCUMENTED_EXAMPLE).unwrap();
    assert!(update.request_context.is_some());
    let business: types::BusinessesEnrollmentsUpdateResponse =
        serde_json::from_str(DOCUMENTED_EXAMPLE).unwrap();
    assert!(business.request_context.is_some());
}

#[test]
fn schema_response_context_shape_decodes_through_generated_types() {
    for decoded in [
        serde_json::from_str::<types::ProspectsEnrollmentsAddResponse>(SCHEMA_SHAPE)
            .map(|r| r.response_context),
        serde_json::from_str::<types::ProspectsEnrollmentsUpdateResponse>(SCHEMA_SHAPE)
            .map(|r| r.response_context),
        serde_json::from_str::<types::BusinessesEnrollmentsUpdateResponse>(SCHEMA_SHAPE)
            .map(|r| r.response_context),
    ] {
        let context = decoded.unwrap().expect("response_context kept");
        assert_eq!(context.correlation_id, "5678");
        assert_eq!(context.request_status, types::RequestStatus::Miss);
    }
}

#[test]
fn generated_request_types_refuse_extra_fields_like_the_schema() {
    let with_ttl = r#"{"enrollment_key": "tech_executives_monitor", "prospect_ids": ["20ae6cbf564ee683e66685e429844a5ff8ffc30f"],
        "event_types": ["prospect_changed_role"], "ttl_days": 365}"#;
    let error =
        serde_json::from_str::<types::ProspectsEnrollmentsAddRequest>(with_ttl).unwrap_err();
    assert!(error.to_string().contains("ttl_days"), "{error}");
}
