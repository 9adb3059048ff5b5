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

/// The three seed documents, by name: these tests stay true when more are published.
fn upstream() -> Vec<Source> {
    [
        "add_prospects_enrollments",
        "update_businesses_enrollments",
        "update_prospects_enrollments",
    ]
    .iter()
    .map(|name| {
        let path = openapi_dir().join("upstream").join(format!("{name}.yaml"));
        spec::read_source(&path).expect("seed document loads")
    })
    .collect()
}

fn overlay() -> spec::Overlay {
    spec::read_overlay(&openapi_dir().join("overlay.yaml")).expect("overlay loads")
}

fn fourth_document() -> Source {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/add_businesses_enrollments.yaml");
    spec::read_source(&path).expect("fixture loads")
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
    assert_eq!(sources.len(), 3);
    // Each of the three documents repeats the shared schemas.
    for source in &sources {
        assert!(source.document["components"]["schemas"]
            .get("ResponseContext")
            .is_some());
    }
    let merged = merged(sources).unwrap();
    let schemas = merged["components"]["schemas"].as_object().unwrap();
    let names: Vec<&str> = schemas.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "BusinessesEnrollmentsUpdateRequest",
            "BusinessesEnrollmentsUpdateResponse",
            "BusinessesEventIdentifier",
            "HTTPValidationError",
            "ProspectsEnrollmentsAddRequest",
            "ProspectsEnrollmentsAddResponse",
            "ProspectsEnrollmentsUpdateRequest",
            "ProspectsEnrollmentsUpdateResponse",
            "ProspectsEventIdentifier",
            "RequestStatus",
            "ResponseContext",
            "ValidationError",
        ]
    );
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
            && first == "upstream/add_prospects_enrollments.yaml"
            && second == "upstream/zz_newer_page.yaml"),
        "{error:?}"
    );
    let message = error.to_string();
    for needle in [
        "components.schemas.RequestStatus",
        "upstream/add_prospects_enrollments.yaml",
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
    assert_eq!(item.keys().collect::<Vec<_>>(), ["post", "patch"]);
}

#[test]
fn a_fourth_document_adds_its_operation_and_a_generated_method() {
    let mut sources = upstream();
    sources.push(fourth_document());
    let merged = merged(sources).unwrap();
    let item = merged["paths"]["/v1/businesses/events/enrollments"]
        .as_object()
        .unwrap();
    assert_eq!(item.keys().collect::<Vec<_>>(), ["post", "patch"]);
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
    let mut forward = upstream();
    forward.push(fourth_document());
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
    let error = spec::merge_corrected(upstream(), &overlay).unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("upstream/add_prospects_enrollments.yaml:"),
        "{message}"
    );
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
