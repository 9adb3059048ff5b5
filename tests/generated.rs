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
    assert_eq!(context.request_status.to_string(), "success");
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
        assert_eq!(context.request_status.to_string(), "miss");
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
    // A response's `format` is not checked (openapi/README.md): the time is the string sent.
    assert_eq!(event.event_time, "2024-07-01T00:00:00+00:00");
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
    // A response's enum is open (openapi/README.md): event names are strings.
    let names: Vec<String> = listing.enrollments[0]
        .event_types
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(names, ["prospect_changed_role", "prospect_changed_company"]);
    let businesses: types::BusinessesEnrollmentsGetResponse = serde_json::from_str(
        r#"{"enrollments": [{"enrollment_id": "en_1", "enrollment_key": "key1", "business_ids": [], "event_types": ["new_office"]}]}"#,
    )
    .unwrap();
    assert_eq!(
        businesses.enrollments[0].event_types[0].to_string(),
        "new_office"
    );
    // A name the enum does not list decodes too.
    let unknown: types::BusinessesEnrollmentsGetResponse = serde_json::from_str(
        r#"{"enrollments": [{"enrollment_id": "en_1", "enrollment_key": "key1", "business_ids": [], "event_types": ["brand_new_event"]}]}"#,
    )
    .unwrap();
    assert_eq!(
        unknown.enrollments[0].event_types[0].to_string(),
        "brand_new_event"
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
    assert_eq!(deleted.status.to_string(), "success");
}

/// A firmographics answer the strict upstream schema refuses four times over: a country the
/// pattern does not list, a size range the enum does not have, an over-long name, a field the
/// schema does not declare. The generated response types decode it (responses are lenient,
/// `openapi/README.md`), so a value the service adds never costs a page or a batch.
#[cfg(feature = "enrich")]
#[test]
fn generated_response_types_decode_values_the_strict_schema_refuses() {
    let long_name = "n".repeat(300);
    let answer = serde_json::json!({
        "response_context": {"correlation_id": "c", "request_status": "partial", "time_took_in_seconds": 0.1},
        "data": {
            "business_id": "NOT-A-HEX-ID",
            "name": long_name,
            "country_name": "atlantis",
            "number_of_employees_range": "1000000+",
            "website": "not a url",
            "added_later_by_the_service": {"x": 1}
        },
        "entity_id": "8adce3ca1cef0c986b22310e369a0793"
    });
    let decoded: types::BusinessesEnrichResponseFirmographicsOutputSchema =
        serde_json::from_value(answer).expect("lenient response types decode it");
    let context = decoded.response_context.expect("context kept");
    assert_eq!(context.request_status.to_string(), "partial");
    let Some(
        types::BusinessesEnrichResponseFirmographicsOutputSchemaData::FirmographicsOutputSchema(
            data,
        ),
    ) = decoded.data
    else {
        panic!("one firmographics object");
    };
    assert_eq!(data.country_name.as_deref(), Some("atlantis"));
    assert_eq!(
        data.number_of_employees_range
            .map(|r| r.to_string())
            .as_deref(),
        Some("1000000+")
    );
    assert_eq!(data.name.map(|n| n.len()), Some(300));
}

/// Requests stay strict: a business match input over 256 characters is refused by the
/// generated request type, as by the service.
#[cfg(feature = "match")]
#[test]
fn generated_request_types_keep_the_upstream_rules() {
    let long = "n".repeat(257);
    let refused = serde_json::from_value::<types::BusinessesMatchRequest>(
        serde_json::json!({"businesses_to_match": [{"name": long}]}),
    );
    assert!(refused.is_err());
    let accepted = serde_json::from_value::<types::BusinessesMatchRequest>(
        serde_json::json!({"businesses_to_match": [{"name": "Explorium"}]}),
    );
    assert!(accepted.is_ok());
}
