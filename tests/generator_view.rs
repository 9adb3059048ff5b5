//! The generator's view of the merged document (`build/view.rs`): API families, responses
//! loosened and requests kept strict, shared inline titles; and the merged document's own
//! validity as OpenAPI 3.0.3.

#[path = "../build/spec.rs"]
mod spec;
#[path = "../build/view.rs"]
mod view;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

fn openapi_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi")
}

fn merged() -> Value {
    spec::merged_from_dir(&openapi_dir())
        .expect("pipeline runs")
        .0
}

fn families() -> view::Families {
    view::read_families(&openapi_dir().join("families.yaml")).expect("families load")
}

fn all_families() -> Vec<String> {
    families().names().map(String::from).collect()
}

fn schema<'a>(document: &'a Value, name: &str) -> &'a Value {
    &document["components"]["schemas"][name]
}

/// A schema less its titles (which the view may drop: they name types, they are no rule).
fn rules(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| *k != "title")
                .map(|(k, v)| (k.clone(), rules(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(rules).collect()),
        other => other.clone(),
    }
}

/// The official OpenAPI 3.0 schema (2021-09-28) is the judge, with `format` checked (so every
/// `pattern` must be a valid ECMA-262 regular expression).
#[test]
fn merged_document_is_valid_openapi_3_0_3() {
    let oas: Value = serde_json::from_str(include_str!("fixtures/oas-3.0-schema-2021-09-28.json"))
        .expect("the OAS 3.0 schema parses");
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&oas)
        .expect("the OAS 3.0 schema compiles");
    let document = merged();
    assert_eq!(document["openapi"], "3.0.3");
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .take(10)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not valid OpenAPI 3.0.3:\n{}",
        errors.join("\n")
    );
    // The judge is not a rubber stamp: the defect the overlay corrects is caught.
    let mut broken = document.clone();
    broken["components"]["schemas"]["BusinessesEnrollmentsDeleteResponse"]["required"] = json!([]);
    assert!(!validator.is_valid(&broken));
}

#[test]
fn every_operation_belongs_to_exactly_one_family_and_each_family_is_a_default_feature() {
    let classified = families()
        .classify(&merged())
        .expect("every operation has a family");
    let operations = merged()["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| spec::is_method(k))
        })
        .count();
    assert_eq!(classified.len(), operations);
    let used: BTreeSet<&str> = classified.iter().map(|c| c.family.as_str()).collect();
    assert_eq!(
        used.len(),
        all_families().len(),
        "a family with no operation"
    );

    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let default = manifest
        .lines()
        .find(|l| l.starts_with("default = "))
        .expect("a default feature list");
    for family in all_families() {
        assert!(
            manifest
                .lines()
                .any(|l| l.starts_with(&format!("{family} = ["))),
            "family `{family}` has no cargo feature"
        );
        assert!(
            default.contains(&format!("\"{family}\"")),
            "`{family}` is not a default feature"
        );
    }
    let family_of = |id: &str| {
        classified
            .iter()
            .find(|c| c.operation_id == id)
            .map(|c| c.family.as_str())
    };
    assert_eq!(family_of("add_prospects_enrollments"), Some("events"));
    assert_eq!(family_of("check_webhook_connectivity"), Some("events"));
    assert_eq!(family_of("match_businesses"), Some("match"));
    assert_eq!(family_of("fetch_businesses"), Some("search"));
    assert_eq!(family_of("prospects_autocomplete"), Some("search"));
    assert_eq!(
        family_of("businesses_firmographics_bulk_enrich"),
        Some("enrich")
    );
    assert_eq!(family_of("enrich_with_custom_enrichment"), Some("enrich"));
    assert_eq!(family_of("get_credit_aggregation"), Some("credits"));
    assert_eq!(family_of("version"), Some("health"));
}

#[test]
fn the_repeatable_posts_are_those_that_only_read_and_the_webhook_registration() {
    let merged = merged();
    let reading = families().repeatable_posts(&merged);
    // Repeating a registration leaves the same webhook.
    assert!(reading.iter().any(|id| id == "add_webhook"), "{reading:?}");
    let reading: Vec<String> = reading
        .into_iter()
        .filter(|id| id != "add_webhook")
        .collect();
    // Every enrichment, single and bulk (40 with the custom enrichment), and 9 others.
    let enrich = reading.iter().filter(|id| id.contains("enrich")).count();
    assert_eq!(enrich, 42, "{reading:?}");
    let others: Vec<&str> = reading
        .iter()
        .filter(|id| !id.contains("enrich"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        others,
        [
            "fetch_businesses",
            "fetch_businesses_events",
            "fetch_prospects",
            "fetch_prospects_events",
            "fetch_stats",
            "get_credit_aggregation",
            "match_businesses",
            "match_prospects",
            "prospect_fetch_stats",
        ]
    );
    assert!(families().unmatched_repeatable_posts(&merged).is_empty());
    // What creates is not among them.
    for id in [
        "add_prospects_enrollments",
        "add_businesses_enrollments",
        "add_webhook",
    ] {
        assert!(!reading.iter().any(|r| r == id), "{id}");
    }
}

#[test]
fn an_operation_in_no_family_or_in_two_stops_the_build_naming_it() {
    let mut document = merged();
    document["paths"]["/v2/unheard_of"] =
        json!({"get": {"operationId": "unheard_of", "responses": {}}});
    let error = families().classify(&document).unwrap_err().to_string();
    assert!(
        error.contains("unheard_of") && error.contains("no family"),
        "{error}"
    );

    let overlapping = view::parse_families(
        "families:\n  a: {description: one, paths: [/v1/*]}\n  b: {description: two, paths: ['/v1/**']}\n",
    )
    .unwrap();
    let document = json!({"paths": {"/v1/x": {"get": {"operationId": "x", "responses": {}}}}});
    let error = overlapping.classify(&document).unwrap_err().to_string();
    assert!(error.contains("matches families a, b"), "{error}");
}

#[test]
fn path_patterns_match_segment_by_segment() {
    assert!(view::path_matches("/v1/*/match", "/v1/businesses/match"));
    assert!(!view::path_matches("/v1/*/match", "/v1/match"));
    assert!(!view::path_matches("/v1/*/match", "/v1/businesses/match/x"));
    assert!(view::path_matches(
        "/v1/webhooks/**",
        "/v1/webhooks/{partner_id}"
    ));
    assert!(!view::path_matches("/v1/webhooks/**", "/v1/webhooks"));
    assert!(view::path_matches("/v1/businesses", "/v1/businesses"));
    assert!(!view::path_matches("/v1/businesses", "/v1/businessesx"));
    assert!(
        view::parse_families("families:\n  a: {description: x, paths: ['/v1/**/x']}\n").is_err()
    );
    assert!(view::parse_families("families:\n  Events: {description: x, paths: [/v1]}\n").is_err());
}

#[test]
fn a_family_left_out_generates_none_of_its_operations_nor_the_schemas_only_they_reach() {
    let document = merged();
    let events = view::generation_view(&document, &families(), &["events".into()]).unwrap();
    let ids: BTreeSet<&str> = events["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    assert!(ids.contains("add_prospects_enrollments") && ids.contains("get_webhook"));
    assert!(!ids.contains("match_businesses") && !ids.contains("version"));
    assert_eq!(ids.len(), 14, "{ids:?}");
    let schemas = events["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("ProspectsEnrollmentsAddRequest"));
    assert!(schemas.contains_key("ResponseContext"));
    assert!(!schemas.contains_key("FirmographicsOutputSchema"));
    assert!(!schemas.contains_key("BusinessesMatchRequest"));
    // The whole API: every schema an operation reaches is kept.
    let all = view::generation_view(&document, &families(), &all_families()).unwrap();
    assert!(all["components"]["schemas"]
        .get("FirmographicsOutputSchema")
        .is_some());

    let none = view::generation_view(&document, &families(), &[]).unwrap();
    assert!(none["paths"].as_object().unwrap().is_empty());
    assert!(none["components"]["schemas"]
        .as_object()
        .unwrap()
        .is_empty());
    let code = spec::generate(&none).expect("a client with no operation still generates");
    assert!(code.contains("pub struct Client"));
}

#[test]
fn responses_lose_their_value_rules_and_requests_keep_theirs() {
    let document = merged();
    let view = view::generation_view(&document, &families(), &all_families()).unwrap();

    // A response-only schema: patterns, formats and `additionalProperties: false` gone.
    let firmographics = &schema(&document, "FirmographicsOutputSchema")["properties"];
    let loosened = &schema(&view, "FirmographicsOutputSchema")["properties"];
    let with_pattern = firmographics
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, p)| p.get("pattern").is_some())
        .map(|(name, _)| name.clone())
        .expect("some firmographics field has a pattern upstream");
    assert!(loosened[&with_pattern].get("pattern").is_none());
    let text = schema(&view, "FirmographicsOutputSchema").to_string();
    for rule in ["\"pattern\"", "\"maxLength\"", "\"format\"", "\"minimum\""] {
        assert!(!text.contains(rule), "{rule} left in a response schema");
    }

    // A response-only enum: a plain string, its known values in its description.
    let status = schema(&view, "RequestStatus");
    assert!(status.get("enum").is_none());
    assert_eq!(status["type"], "string");
    assert!(status["description"]
        .as_str()
        .unwrap()
        .contains("`success`"));

    // Requests keep every rule.
    for request in [
        "BusinessesMatchRequest",
        "ProspectsEnrollmentsAddRequest",
        "BusinessesFetchRequest",
    ] {
        assert_eq!(
            rules(schema(&view, request)),
            rules(schema(&document, request)),
            "{request}"
        );
    }

    // A schema both sides use stays strict for requests; responses refer to a loosened copy.
    assert_eq!(
        rules(schema(&view, "RevenueRange")),
        rules(schema(&document, "RevenueRange"))
    );
    let copy = schema(&view, &format!("RevenueRange{}", view::RECEIVED_SUFFIX));
    assert_eq!(copy["type"], "string");
    assert!(copy.get("enum").is_none());
    let input = schema(&view, "BusinessMatchInput");
    assert_eq!(input["properties"]["name"]["maxLength"], 256);
    let echoed = schema(
        &view,
        &format!("BusinessMatchInput{}", view::RECEIVED_SUFFIX),
    );
    assert!(echoed["properties"]["name"].get("maxLength").is_none());
    let responses = view["paths"].to_string()
        + &view["components"]["schemas"]["BusinessesMatchResponse"].to_string();
    assert!(!responses.contains("#/components/schemas/RevenueRange\""));
    let view_text = view.to_string();
    assert!(view_text.contains("\"#/components/schemas/BusinessMatchInputReceived\""));
}

#[test]
fn generated_response_types_neither_deny_fields_nor_check_rules_but_request_types_do() {
    let document = merged();
    let view = view::generation_view(&document, &families(), &all_families()).unwrap();
    let code = spec::generate(&view).unwrap();
    // Each generated type starts at its derive; its attributes follow.
    let item = |name: &str| -> &str {
        code.split("#[derive(")
            .find(|item| item.contains(&format!("pub struct {name} {{")))
            .unwrap_or_else(|| panic!("no struct {name}"))
    };
    assert!(!item("FirmographicsOutputSchema").contains("deny_unknown_fields"));
    assert!(item("BusinessesMatchRequest").contains("deny_unknown_fields"));
    // Each single enrichment's `data` is its own type, not one shared by title.
    assert!(code.contains("pub enum BusinessesEnrichResponseFirmographicsOutputSchemaData"));
    assert!(code.contains("pub enum ProspectsEnrichResponseContactsInformationOutputSchemaData"));
}

#[test]
fn a_title_shared_by_different_schemas_stays_with_the_most_common_one_only() {
    let data = |options: Value| json!({"title": "Data", "anyOf": options});
    let ids = |max: u64| {
        json!({"title": "Ids", "type": "array", "maxItems": max,
               "items": {"type": "string", "pattern": "^[a-f0-9]{32}$"}})
    };
    let mut document = json!({
        "paths": {},
        "components": {"schemas": {
            "A": {"type": "object", "properties": {
                "data": data(json!([{"type": "string"}, {"type": "integer"}])), "ids": ids(20)}},
            "B": {"type": "object", "properties": {
                "data": data(json!([{"type": "boolean"}, {"type": "integer"}])), "ids": ids(50)}},
            "C": {"type": "object", "properties": {
                "data": data(json!([{"type": "boolean"}, {"type": "integer"}])),
                "ids": {"title": "Ids", "type": "array", "items": {"type": "string"}}}}
        }}
    });
    view::drop_shared_titles(&mut document);
    let title = |schema: &str, property: &str| {
        document["components"]["schemas"][schema]["properties"][property]
            .get("title")
            .cloned()
    };
    // `Data`: B and C agree, A differs.
    assert_eq!(title("A", "data"), None);
    assert_eq!(title("B", "data"), Some(json!("Data")));
    assert_eq!(title("C", "data"), Some(json!("Data")));
    // `Ids`: lists of the same items share their item type whatever their length.
    assert_eq!(title("A", "ids"), Some(json!("Ids")));
    assert_eq!(title("B", "ids"), Some(json!("Ids")));
    assert_eq!(title("C", "ids"), None);
}
