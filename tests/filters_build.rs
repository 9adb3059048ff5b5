//! `explorium::search::{BusinessFilters, ProspectFilters}` are derived from the documents at
//! build time (`build/filters.rs`): one setter per filter of the search request, its kind read
//! from the filter's schema; a filter a new document adds becomes a new setter.

#[path = "../build/filters.rs"]
mod filters;
#[path = "../build/spec.rs"]
mod spec;
#[path = "../build/view.rs"]
mod view;

use std::path::Path;

use filters::Kind;
use serde_json::json;

/// The generator's view with every family.
fn view() -> serde_json::Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi");
    let (merged, _) = spec::merged_from_dir(&dir).expect("pipeline runs");
    let families = view::read_families(&dir.join("families.yaml")).expect("families load");
    let all: Vec<String> = families.names().map(String::from).collect();
    view::generation_view(&merged, &families, &all).expect("view")
}

#[test]
fn every_filter_of_the_documents_gets_a_setter_of_its_kind() {
    let view = view();
    let businesses = filters::find(&view, "/v1/businesses").unwrap();
    let prospects = filters::find(&view, "/v1/prospects").unwrap();
    assert_eq!((businesses.len(), prospects.len()), (18, 20));
    let kind = |list: &[filters::Filter], name: &str| {
        list.iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no filter {name}"))
            .clone()
    };
    let size = kind(&businesses, "company_size");
    assert_eq!(size.kind, Kind::Values { flags: vec![] });
    assert_eq!(size.allowed.len(), 8);
    assert_eq!(size.allowed[0], "1-10");
    assert_eq!(kind(&businesses, "has_website").kind, Kind::Exists);
    assert_eq!(
        kind(&businesses, "events").kind,
        Kind::Typed("EventTypesFilterBusinessesEventIdentifier".into())
    );
    assert_eq!(
        kind(&businesses, "business_intent_topics").kind,
        Kind::Typed("BusinessIntentTopicsFilter".into())
    );
    assert_eq!(
        kind(&prospects, "total_experience_months").kind,
        Kind::Range
    );
    assert_eq!(
        kind(&prospects, "job_title").kind,
        Kind::Values {
            flags: vec!["include_related_job_titles".into()]
        }
    );
    let source = filters::render("ProspectFilters", "Prospects", "prospects", &prospects);
    for setter in [
        "pub fn job_title<I>(",
        "pub fn not_job_title<I>(",
        "pub fn job_title_include_related_job_titles(",
        "pub fn has_email(self, value: bool)",
        "pub fn current_role_months(self, range: impl ::std::ops::RangeBounds<i64>)",
    ] {
        assert!(source.contains(setter), "{setter}");
    }
}

#[test]
fn a_filter_a_new_document_adds_becomes_a_setter_and_an_unknown_type_stops_the_build() {
    let mut view = view();
    let request = view["paths"]["/v1/businesses"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let filters_ref = view["components"]["schemas"][&request]["properties"]["filters"].clone();
    let name = serde_json::to_string(&filters_ref).unwrap();
    let component = name
        .split("#/components/schemas/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let properties = view["components"]["schemas"][&component]["properties"]
        .as_object_mut()
        .unwrap();
    properties.insert(
        "office_color".into(),
        json!({"allOf": [{"$ref": "#/components/schemas/IncludesFilter_Text_"}],
               "description": "Filter by the <b>color</b> of the [main] office."}),
    );
    properties.insert(
        "founded".into(),
        json!({"allOf": [{"$ref": "#/components/schemas/BrandNewFilter"}]}),
    );
    view["components"]["schemas"]["BrandNewFilter"] =
        json!({"type": "object", "properties": {"since": {"type": "string"}}});
    let found = filters::find(&view, "/v1/businesses").unwrap();
    let source = filters::render("BusinessFilters", "Businesses", "businesses", &found);
    assert!(source.contains("pub fn office_color<I>("));
    assert!(source.contains("pub fn not_office_color<I>("));
    // Text from the document cannot become a link or HTML in the docs.
    assert!(source.contains("&lt;b&gt;color&lt;/b&gt; of the \\[main\\] office"));
    assert!(source.contains("filter: crate::generated::types::BrandNewFilter"));
    let known = "pub struct BusinessIntentTopicsFilter {} \
                 pub struct EventTypesFilterBusinessesEventIdentifier {}";
    let error = filters::check(&found, known).unwrap_err();
    assert!(
        error.contains("`founded`") && error.contains("BrandNewFilter"),
        "{error}"
    );
}
