//! The spec pipeline: overlay, merge rules, determinism, generation, and the committed
//! `openapi/explorium.yaml`.

#[path = "../build/spec.rs"]
mod spec;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use spec::{Source, SpecError};

fn openapi_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi")
}

/// Every upstream document, as the build reads them. Tests derive what they expect from these
/// rather than from a fixed list, so they stay true when a new document is dropped in.
fn upstream() -> Vec<Source> {
    spec::read_upstream(&openapi_dir().join("upstream")).expect("upstream documents load")
}

/// The upstream documents less `name`, and that one document: a document "dropped in".
fn upstream_without(name: &str) -> (Vec<Source>, Source) {
    let (held_out, rest): (Vec<Source>, Vec<Source>) =
        upstream().into_iter().partition(|s| s.name == name);
    let held_out = held_out
        .into_iter()
        .next()
        .expect("the held-out document exists");
    (rest, held_out)
}

/// The first document (in file-name order) that defines `components.schemas.<name>`.
fn first_defining(sources: &[Source], name: &str) -> String {
    sources
        .iter()
        .find(|s| s.document["components"]["schemas"].get(name).is_some())
        .map(|s| s.name.clone())
        .expect("some document defines it")
}

fn overlay() -> spec::Overlay {
    spec::read_overlay(&openapi_dir().join("overlay.yaml")).expect("overlay loads")
}

fn merged(sources: Vec<Source>) -> Result<Value, SpecError> {
    spec::merge_corrected(sources, &overlay()).map(|(merged, _)| merged)
}

/// A copy of an upstream document under another file name.
fn renamed(source: &Source, name: &str) -> Source {
    Source {
        name: name.into(),
        document: source.document.clone(),
    }
}

#[test]
fn committed_merged_document_is_fresh() {
    let (merged, sources) = spec::merged_from_dir(&openapi_dir()).expect("pipeline runs");
    let expected = spec::to_yaml(&merged, &sources).expect("YAML writes");
    let committed_path = openapi_dir().join("explorium.yaml");
    if std::env::var_os("EXPLORIUM_UPDATE_OPENAPI").is_some() {
        std::fs::write(&committed_path, &expected).expect("openapi/explorium.yaml is writable");
        return;
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == expected,
        "openapi/explorium.yaml is stale: it is not what the pipeline produces from \
         openapi/upstream/ and openapi/overlay.yaml. Refresh it with:\n\n    {}\n",
        spec::REFRESH_COMMAND
    );
}

#[test]
fn the_written_yaml_parses_back_to_the_merged_value() {
    let (merged, sources) = spec::merged_from_dir(&openapi_dir()).unwrap();
    let text = spec::to_yaml(&merged, &sources).unwrap();
    assert_eq!(spec::parse_yaml("explorium.yaml", &text).unwrap(), merged);
}

#[test]
fn identical_shared_components_collapse_into_one_copy() {
    let sources = upstream();
    // Every document with a 422 answer repeats the shared validation-error schema.
    let with_422 = |s: &&Source| s.document.to_string().contains(r#""422""#);
    let repeats = sources
        .iter()
        .filter(with_422)
        .filter(|s| {
            s.document["components"]["schemas"]
                .get("HTTPValidationError")
                .is_some()
        })
        .count();
    assert_eq!(repeats, sources.iter().filter(with_422).count());
    assert!(repeats > 1);

    // The merged components are exactly the union of the corrected documents' names: one copy
    // each, nothing renamed or dropped.
    let mut corrected = sources.clone();
    spec::apply_overlay(&overlay(), &mut corrected).unwrap();
    let mut expected: Vec<String> = corrected
        .iter()
        .flat_map(|s| {
            s.document["components"]["schemas"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
        })
        .collect();
    expected.sort();
    expected.dedup();
    let merged = merged(sources).unwrap();
    let names: Vec<&String> = merged["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(names, expected.iter().collect::<Vec<_>>());
    assert_eq!(
        merged["components"]["securitySchemes"]
            .as_object()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_component_redefined_differently_is_rejected_naming_it_and_both_files() {
    let mut sources = upstream();
    let first_file = first_defining(&sources, "RequestStatus");
    let mut conflicting = renamed(&sources[0], "upstream/zz_newer_page.yaml");
    let paths = conflicting.document["paths"].as_object_mut().unwrap();
    paths.clear(); // only the component clashes, not the operation
    conflicting.document["components"]["schemas"]["RequestStatus"]["enum"] =
        json!(["success", "miss", "failure", "partial"]);
    sources.push(conflicting);

    let error = merged(sources).unwrap_err();
    assert!(
        matches!(&error, SpecError::ComponentConflict { section, name, first, second }
            if section == "schemas" && name == "RequestStatus"
            && *first == first_file
            && second == "upstream/zz_newer_page.yaml"),
        "{error:?}"
    );
    let message = error.to_string();
    for needle in [
        "components.schemas.RequestStatus",
        first_file.as_str(),
        "upstream/zz_newer_page.yaml",
    ] {
        assert!(message.contains(needle), "{needle} missing from: {message}");
    }
}

#[test]
fn the_same_method_on_the_same_path_twice_is_rejected() {
    let mut sources = upstream();
    let update_prospects = sources
        .iter()
        .find(|s| s.name == "upstream/update_prospects_enrollments.yaml")
        .unwrap();
    sources.push(renamed(update_prospects, "upstream/zz_copy.yaml"));
    let error = merged(sources).unwrap_err();
    assert!(
        matches!(&error, SpecError::PathConflict { path, method, second, .. }
            if path == "/v1/prospects/events/enrollments" && method == "patch" && second == "upstream/zz_copy.yaml"),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("PATCH /v1/prospects/events/enrollments"),
        "{error}"
    );
}

#[test]
fn different_methods_on_one_path_merge_into_one_path_item() {
    let merged = merged(upstream()).unwrap();
    let item = merged["paths"]["/v1/prospects/events/enrollments"]
        .as_object()
        .unwrap();
    // Four documents, one path item, methods in the fixed order.
    assert_eq!(
        item.keys().collect::<Vec<_>>(),
        ["get", "post", "delete", "patch"]
    );
}

#[test]
fn a_document_dropped_in_adds_its_operation_and_a_generated_method() {
    let (without, dropped_in) = upstream_without("upstream/add_businesses_enrollments.json");
    let before = merged(without.clone()).unwrap();
    assert!(before["paths"]["/v1/businesses/events/enrollments"]
        .get("post")
        .is_none());
    let code = spec::generate(&before).unwrap();
    assert!(!code.contains("pub fn add_businesses_enrollments("));

    let mut with = without;
    with.push(dropped_in);
    let merged = merged(with).unwrap();
    let item = merged["paths"]["/v1/businesses/events/enrollments"]
        .as_object()
        .unwrap();
    assert_eq!(item["post"]["operationId"], "add_businesses_enrollments");
    // The overlay applied to it too.
    assert_eq!(merged["openapi"], "3.0.3");
    assert!(
        merged["components"]["schemas"]["BusinessesEnrollmentsAddResponse"]["properties"]
            .get("request_context")
            .is_some()
    );

    let code = spec::generate(&merged).unwrap();
    assert!(
        code.contains("pub fn add_businesses_enrollments("),
        "no generated method"
    );
    assert!(
        code.contains("pub struct BusinessesEnrollmentsAddRequest"),
        "no generated request type"
    );
}

#[test]
fn merged_output_is_byte_identical_whatever_the_input_order() {
    let forward = upstream();
    let mut backward = forward.clone();
    backward.reverse();
    let overlay = overlay();
    let (a, names) = spec::merge_corrected(forward, &overlay).unwrap();
    let (b, _) = spec::merge_corrected(backward, &overlay).unwrap();
    assert_eq!(
        spec::to_yaml(&a, &names).unwrap(),
        spec::to_yaml(&b, &names).unwrap()
    );
}

#[test]
fn overlay_declares_openapi_3_0_and_accepts_either_response_context() {
    let merged = merged(upstream()).unwrap();
    assert_eq!(merged["openapi"], "3.0.3");
    for name in [
        "ProspectsEnrollmentsAddResponse",
        "ProspectsEnrollmentsUpdateResponse",
        "BusinessesEnrollmentsAddResponse",
        "BusinessesEnrollmentsUpdateResponse",
    ] {
        let schema = &merged["components"]["schemas"][name];
        assert_eq!(
            schema["required"],
            json!(["enrollment_key", "enrollment_id"]),
            "{name}"
        );
        assert_eq!(
            schema["properties"]["request_context"], schema["properties"]["response_context"],
            "{name}"
        );
    }
    // The correction does not touch `ResponseContext` itself, nor add `ttl_days` anywhere.
    assert_eq!(
        merged["components"]["schemas"]["ResponseContext"]["required"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert!(!serde_json::to_string(&merged).unwrap().contains("ttl_days"));
}

#[test]
fn upstream_files_are_left_untouched() {
    for source in spec::read_upstream(&openapi_dir().join("upstream")).unwrap() {
        assert_eq!(source.document["openapi"], "3.1.0", "{}", source.name);
    }
}

#[test]
fn an_overlay_action_that_matches_nothing_is_an_error() {
    let overlay = spec::parse_overlay(
        "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - target: $.components.schemas.Gone\n    description: stale\n    remove: true\n",
    )
    .unwrap();
    let error = spec::merge_corrected(upstream(), &overlay).unwrap_err();
    assert!(
        matches!(&error, SpecError::Overlay { action: 1, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("matches nothing"), "{error}");
}

#[test]
fn an_overlay_action_without_a_reason_is_rejected() {
    let error = spec::parse_overlay(
        "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - target: $\n    update: {openapi: 3.0.3}\n",
    )
    .unwrap_err();
    assert!(error.to_string().contains("description"), "{error}");
}

#[test]
fn a_document_still_declaring_3_1_is_rejected_naming_the_file() {
    let overlay = spec::parse_overlay(
        "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - target: $.info\n    description: no version fix\n    update: {x-note: n}\n",
    )
    .unwrap();
    let sources = upstream();
    let first = format!("{}:", sources[0].name);
    let error = spec::merge_corrected(sources, &overlay).unwrap_err();
    let message = error.to_string();
    assert!(message.starts_with(&first), "{message}");
    assert!(message.contains("3.1.0"), "{message}");
}

#[test]
fn invalid_yaml_is_reported_with_its_file_name() {
    let error = spec::parse_yaml("upstream/broken.yaml", "paths: [unclosed\n").unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("upstream/broken.yaml: invalid YAML"),
        "{error}"
    );
}

#[test]
fn every_upstream_operation_gets_a_generated_method() {
    let sources = upstream();
    let ids: Vec<String> = sources
        .iter()
        .flat_map(|s| s.document["paths"].as_object().unwrap().values())
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|operation| operation["operationId"].as_str().map(String::from))
        .collect();
    assert!(ids.len() >= 14, "{ids:?}");
    let code = spec::generate(&merged(sources).unwrap()).unwrap();
    for id in &ids {
        assert!(
            code.contains(&format!("pub fn {id}(")),
            "no method for {id}"
        );
    }
}

#[test]
fn the_0_2_273_documents_are_corrected_as_the_overlay_says() {
    let merged = merged(upstream()).unwrap();
    let text = serde_json::to_string(&merged).unwrap();
    // No `tenant` header parameter left anywhere.
    assert!(!text.contains(r#""name":"tenant""#), "tenant header kept");
    // The fetch-events responses have the documented shape.
    for (path, schema, entity) in [
        (
            "/v1/prospects/events",
            "ProspectsEventsResponse",
            "prospect_id",
        ),
        (
            "/v1/businesses/events",
            "BusinessesEventsResponse",
            "business_id",
        ),
    ] {
        let response = &merged["paths"][path]["post"]["responses"]["200"]["content"]
            ["application/json"]["schema"];
        assert_eq!(
            response,
            &json!({"$ref": format!("#/components/schemas/{schema}")})
        );
        let items = &merged["components"]["schemas"][schema]["properties"]["output_events"]
            ["items"]["$ref"];
        let event = items.as_str().unwrap().rsplit('/').next().unwrap();
        let required = &merged["components"]["schemas"][event]["required"];
        assert!(
            required.as_array().unwrap().contains(&json!(entity)),
            "{event}"
        );
    }
    // Timestamps are plain (nullable) strings; listed event types are the one enum.
    for request in ["ProspectsEventsRequest", "BusinessesEventsRequest"] {
        for field in ["timestamp_from", "timestamp_to"] {
            let property = &merged["components"]["schemas"][request]["properties"][field];
            assert_eq!(property["type"], "string", "{request}.{field}");
            assert!(property.get("anyOf").is_none(), "{request}.{field}");
            assert_eq!(property["nullable"], true, "{request}.{field}");
        }
    }
    for listed in ["ProspectsEnrollment", "BusinessesEnrollment"] {
        let items = &merged["components"]["schemas"][listed]["properties"]["event_types"]["items"];
        assert_eq!(
            items,
            &json!({"$ref": "#/components/schemas/EventName"}),
            "{listed}"
        );
    }
    assert!(merged["components"]["schemas"]
        .get("InternalEventIdentifier")
        .is_none());

    // The data families' documents: no construct the generator or OpenAPI 3.0 refuses.
    assert!(
        !text.contains(r#""pattern":"(?i)"#),
        "a Python-only inline flag left"
    );
    assert!(
        !text.contains(r#""exclusiveMinimum":0"#),
        "a 3.1 exclusiveMinimum left"
    );
    assert!(!text.contains(r#""required":[]"#), "an empty required left");
    let schemas = merged["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        if schema.get("enum").is_some() {
            assert_eq!(schema["type"], "string", "{name}: an enum without its type");
        }
        for (field, property) in schema["properties"].as_object().into_iter().flatten() {
            let options = property["anyOf"].as_array().map(Vec::len).unwrap_or(0);
            let all_strings = property["anyOf"]
                .as_array()
                .is_some_and(|o| o.iter().all(|o| o["type"] == "string"));
            assert!(
                options == 0 || !all_strings,
                "{name}.{field}: anyOf of strings left"
            );
        }
    }
    let score = &schemas["CompanyRatingsByEmployeesOutputSchema"]["properties"]["company_score"];
    assert!(score["items"]["items"].is_object(), "tuple-form items left");
    for item in merged["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            if let Some(security) = operation.get("security") {
                assert_eq!(
                    security,
                    &json!([{"APIKeyHeader": []}]),
                    "{}",
                    operation["operationId"]
                );
            }
        }
    }
}
