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

/// The fetch-prospects-events example response of the documentation page (one event).
const FETCH_PROSPECTS_EXAMPLE: &str = r#"{
  "response_context": {"correlation_id": "2826dd3eca6b4625aeddc30a3b96e11d", "request_status": "success", "time_took_in_seconds": 0.931},
  "output_events": [
    {
      "event_name": "prospect_changed_company",
      "event_time": "2024-07-01T00:00:00+00:00",
      "event_id": "3f7e8cf51cfd522ff0cef2249772ec0c",
      "data": {"event_name": "prospect_changed_company", "current_company_name": "Headovations"},
      "prospect_id": "4c485f009d59e319dc039cdf3e935b85014e6a33"
    }
  ]
}"#;

/// The fetch-businesses-events example response of the documentation page.
const FETCH_BUSINESSES_EXAMPLE: &str = r#"{
  "response_context": {"correlation_id": "e96ef2125e0d45568f370cee53428106", "request_status": "success", "time_took_in_seconds": 4.299},
  "output_events": [
    {
      "event_name": "new_investment",
      "event_time": "2025-01-20T00:00:00+00:00",
      "event_id": "60392c31a409901d75d071565d09dda4",
      "data": {"event_name": "new_investment", "investment_amount": 430000013312},
      "business_id": "8adce3ca1cef0c986b22310e369a0793"
    }
  ]
}"#;

/// The get-prospects-enrollments example response of the documentation page.
const LIST_PROSPECTS_EXAMPLE: &str = r#"{
  "response_context": {"correlation_id": "1234", "request_status": "success", "time_took_in_seconds": 0.515},
  "enrollments": [
    {
      "enrollment_id": "en_8d52c3f1",
      "enrollment_key": "tech_executives_monitor",
      "prospect_ids": ["20ae6cbf564ee683e66685e429844a5ff8ffc30f", "4c485f009d59e319dc039cdf3e935b85014e6a33"],
      "event_types": ["prospect_changed_role", "prospect_changed_company"]
    }
  ]
}"#;

#[test]
fn documented_fetch_events_responses_decode_through_generated_types() {
    let prospects: types::ProspectsEventsResponse =
        serde_json::from_str(FETCH_PROSPECTS_EXAMPLE).unwrap();
    let event = &prospects.output_events[0];
    assert_eq!(event.event_name, "prospect_changed_company");
    assert_eq!(
        event.prospect_id,
        "4c485f009d59e319dc039cdf3e935b85014e6a33"
    );
    assert_eq!(event.event_time.to_rfc3339(), "2024-07-01T00:00:00+00:00");
    assert_eq!(event.data["current_company_name"], "Headovations");

    let businesses: types::BusinessesEventsResponse =
        serde_json::from_str(FETCH_BUSINESSES_EXAMPLE).unwrap();
    assert_eq!(
        businesses.output_events[0].business_id,
        "8adce3ca1cef0c986b22310e369a0793"
    );

    // "No data is returned" when nothing happened: no `output_events` is an empty list.
    let empty: types::ProspectsEventsResponse = serde_json::from_str(
        r#"{"response_context": {"correlation_id": "1", "request_status": "miss", "time_took_in_seconds": 0.1}}"#,
    )
    .unwrap();
    assert!(empty.output_events.is_empty());
}

#[test]
fn documented_enrollment_listing_decodes_through_generated_types() {
    let listing: types::ProspectsEnrollmentsGetResponse =
        serde_json::from_str(LIST_PROSPECTS_EXAMPLE).unwrap();
    assert_eq!(
        listing.enrollments[0].event_types,
        [
            types::EventName::ProspectChangedRole,
            types::EventName::ProspectChangedCompany
        ]
    );
    let businesses: types::BusinessesEnrollmentsGetResponse = serde_json::from_str(
        r#"{"enrollments": [{"enrollment_id": "en_1", "enrollment_key": "key1", "business_ids": [], "event_types": ["new_office"]}]}"#,
    )
    .unwrap();
    assert_eq!(
        businesses.enrollments[0].event_types,
        [types::EventName::NewOffice]
    );
}

#[test]
fn fetch_requests_with_timestamps_serialize_through_generated_types() {
    let request = types::ProspectsEventsRequest::builder()
        .prospect_ids(vec!["20ae6cbf564ee683e66685e429844a5ff8ffc30f"
            .parse()
            .unwrap()])
        .event_types(vec![types::ProspectsEventIdentifier::ProspectChangedRole])
        .timestamp_from(Some("2024-01-01T10:03:03.050Z".to_string()))
        .timestamp_to(Some("2024-03-31".to_string()));
    let request = types::ProspectsEventsRequest::try_from(request).unwrap();
    let body = serde_json::to_value(&request).unwrap();
    assert_eq!(body["timestamp_from"], "2024-01-01T10:03:03.050Z");
    assert_eq!(body["timestamp_to"], "2024-03-31");
}

#[test]
fn documented_delete_response_decodes_through_generated_types() {
    // The page's example answer has no response context at all.
    let deleted: types::BusinessesEnrollmentsDeleteResponse =
        serde_json::from_str(r#"{"status": "success"}"#).unwrap();
    assert_eq!(deleted.status, types::RequestStatus::Success);
}
