use super::*;

fn incoming(body: &[u8]) -> Incoming<'_> {
    Incoming {
        path: "/",
        query: None,
        content_type: Some("application/json"),
        body,
    }
}

#[test]
fn an_operation_from_a_new_document_is_routed_and_validated_with_no_code_change() {
    let mut document: Value = serde_json::from_str(MERGED_DOCUMENT).unwrap();
    let add = document["paths"]["/v1/businesses/events/enrollments"]["post"].clone();
    let mut post = add.clone();
    post["operationId"] = json!("add_partner_businesses_enrollments");
    document["paths"]["/v1/partners/{partner_id}/enrollments"] = json!({ "post": post });
    let spec = Spec::parse(&document.to_string()).unwrap();
    let Route::Operation(operation) = spec.route("POST", "/v1/partners/p-1/enrollments") else {
        panic!("not routed");
    };
    assert_eq!(operation.id, "add_partner_businesses_enrollments");
    assert_eq!(operation.effect, Effect::CreateEnrollment);
    let bad = br#"{"enrollment_key": "k", "business_ids": [], "event_types": ["new_office"]}"#;
    let Err(Rejection::Invalid(details)) = operation.validate(&incoming(bad)) else {
        panic!("accepted");
    };
    let locs: Vec<&Value> = details.iter().map(|d| &d["loc"]).collect();
    assert_eq!(
        locs,
        [
            &json!(["body", "enrollment_key"]),
            &json!(["body", "business_ids"])
        ]
    );
}

fn routed_id<'a>(spec: &'a Spec, method: &str, path: &str) -> Option<&'a str> {
    match spec.route(method, path) {
        Route::Operation(operation) => Some(&operation.id),
        _ => None,
    }
}

#[test]
fn a_literal_path_wins_over_a_template_for_its_method_only() {
    let spec = spec().unwrap();
    let check = "/v1/webhooks/check_connectivity";
    assert_eq!(
        routed_id(spec, "POST", check),
        Some("check_webhook_connectivity")
    );
    // Starlette, like this server, falls through to the template for other methods.
    assert_eq!(routed_id(spec, "GET", check), Some("get_webhook"));
    assert_eq!(routed_id(spec, "DELETE", check), Some("delete_webhook"));
    assert_eq!(
        routed_id(spec, "GET", "/v1/webhooks/partner-1"),
        Some("get_webhook")
    );
    assert_eq!(
        routed_id(spec, "DELETE", "/v1/webhooks/partner-1"),
        Some("delete_webhook")
    );
    assert_eq!(routed_id(spec, "POST", "/v1/webhooks"), Some("add_webhook"));
}

#[test]
fn a_template_matches_one_non_empty_segment_and_names_its_methods_otherwise() {
    let spec = spec().unwrap();
    let Route::WrongMethod(allowed) = spec.route("POST", "/v1/webhooks/partner-1") else {
        panic!("not a 405");
    };
    assert_eq!(allowed, ["GET", "DELETE"]);
    let Route::WrongMethod(allowed) = spec.route("PUT", "/v1/webhooks/check_connectivity") else {
        panic!("not a 405");
    };
    assert_eq!(allowed, ["POST", "GET", "DELETE"]);
    for path in ["/v1/webhooks/", "/v1/webhooks/a/b", "/v1/webhooks/a/"] {
        assert!(matches!(spec.route("GET", path), Route::NotFound), "{path}");
    }
}

/// The effect each of the 69 operations gets from its shapes.
fn expected_effect(id: &str) -> Effect {
    match id {
        "add_prospects_enrollments" | "add_businesses_enrollments" => Effect::CreateEnrollment,
        "update_prospects_enrollments" | "update_businesses_enrollments" => {
            Effect::UpdateEnrollment
        }
        "get_prospects_enrollments" | "get_businesses_enrollments" => Effect::ListEnrollments,
        "delete_prospects_enrollments" | "delete_businesses_enrollments" => {
            Effect::DeleteEnrollment
        }
        "fetch_prospects_events" | "fetch_businesses_events" => Effect::FetchEvents,
        "add_webhook" => Effect::RegisterWebhook,
        "get_webhook" => Effect::GetWebhook,
        "delete_webhook" => Effect::DeleteWebhook,
        "check_webhook_connectivity" => Effect::CheckWebhookConnectivity,
        "match_businesses" | "match_prospects" => Effect::Match,
        "fetch_businesses" | "fetch_prospects" => Effect::Fetch,
        "fetch_stats" | "prospect_fetch_stats" => Effect::Stats,
        "businesses_autocomplete" | "prospects_autocomplete" => Effect::Autocomplete,
        "get_active_credits_summary" => Effect::CreditsSummary,
        "get_credit_aggregation" => Effect::CreditsAggregation,
        "healthcheck" | "healthcheck_bytes" | "version" => Effect::Text,
        "enrich_with_custom_enrichment" | "bulk_enrich_with_custom_enrichment" => Effect::Enrich,
        enrich if enrich.ends_with("_enrich") => Effect::Enrich,
        other => panic!("an operation the server does not know: {other}"),
    }
}

#[test]
fn each_operation_gets_its_effect_from_its_shapes() {
    let spec = spec().unwrap();
    assert_eq!(spec.operations.len(), 69);
    for operation in &spec.operations {
        assert_eq!(
            operation.effect,
            expected_effect(&operation.id),
            "{}",
            operation.id
        );
    }
    let listed = |id| spec.operation(id).unwrap().listed_arrays.clone();
    assert_eq!(
        listed("get_prospects_enrollments"),
        ["event_types", "prospect_ids"]
    );
    assert_eq!(
        listed("get_businesses_enrollments"),
        ["event_types", "business_ids"]
    );
}

#[test]
fn only_the_health_and_version_operations_need_no_key() {
    let spec = spec().unwrap();
    let open: Vec<&str> = spec
        .operations
        .iter()
        .filter(|o| !o.secured)
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(open, ["healthcheck", "version"]);
}

#[test]
fn every_operation_of_the_merged_document_is_routed() {
    let spec = spec().unwrap();
    for operation in &spec.operations {
        // Each path, its templates filled in, routes back to its operation.
        let path: Vec<&str> = operation
            .path
            .split('/')
            .map(|s| if s.starts_with('{') { "1" } else { s })
            .collect();
        let path = path.join("/");
        assert_eq!(
            routed_id(spec, &operation.method, &path),
            Some(operation.id.as_str()),
            "{} {path}",
            operation.method
        );
    }
    let document: Value = serde_json::from_str(MERGED_DOCUMENT).unwrap();
    let declared: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| METHODS.contains(&k.as_str()))
                .count()
        })
        .sum();
    assert_eq!(spec.operations.len(), declared);
}
