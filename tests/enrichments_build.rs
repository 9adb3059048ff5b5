//! `explorium::enrichments` is derived from the documents at build time (`build/enrichments.rs`):
//! today's 20 enrichments, and a newly published enrichment document (a fixture) becoming a new
//! type with no code edit, through the whole pipeline (merge, overlay, view, progenitor).

#[path = "../build/enrichments.rs"]
mod enrichments;
#[path = "../build/spec.rs"]
mod spec;
#[path = "../build/view.rs"]
mod view;

use std::path::{Path, PathBuf};

fn openapi_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi")
}

/// The generator's view with every family, and progenitor's code for it, from `dir`.
fn view_and_code(dir: &Path) -> (serde_json::Value, String) {
    let (merged, _) = spec::merged_from_dir(dir).expect("pipeline runs");
    let families = view::read_families(&dir.join("families.yaml")).expect("families load");
    let all: Vec<String> = families.names().map(String::from).collect();
    let view = view::generation_view(&merged, &families, &all).expect("view");
    let code = spec::generate(&view).expect("progenitor generates");
    (view, code)
}

#[test]
fn the_documents_define_17_business_and_3_prospect_enrichments() {
    let (merged, _) = spec::merged_from_dir(&openapi_dir()).expect("pipeline runs");
    let (found, notes) = enrichments::find(&merged);
    assert!(notes.is_empty(), "{notes:?}");
    let count = |entity: &str| found.iter().filter(|e| e.entity == entity).count();
    assert_eq!((count("businesses"), count("prospects")), (17, 3));
    let bombora = found.iter().find(|e| e.name == "bombora_intent").unwrap();
    assert_eq!(bombora.type_name, "BomboraIntent");
    assert_eq!(bombora.bulk_id, "businesses_bombora_intent_bulk_enrich");
    assert_eq!(
        bombora.parameters.as_deref(),
        Some("BomboraIntentEnrichmentParams")
    );
    assert_eq!(bombora.output, "BomboraIntentOutputSchema");
    // Untyped parameters stay an object.
    let contacts = found
        .iter()
        .find(|e| e.name == "contacts_information")
        .unwrap();
    assert_eq!(contacts.parameters, None);
    assert_eq!(contacts.output, "ContactsInformationOutputSchema");
}

#[test]
fn a_new_enrichment_document_becomes_a_new_type_with_no_code_edit() {
    // openapi/ copied, with the fixture's two documents among the upstream ones.
    let dir = std::env::temp_dir().join(format!("explorium-enrichments-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("upstream")).unwrap();
    for name in ["overlay.yaml", "families.yaml"] {
        std::fs::copy(openapi_dir().join(name), dir.join(name)).unwrap();
    }
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/new_enrichment");
    for source in [openapi_dir().join("upstream"), fixtures] {
        for entry in std::fs::read_dir(source).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, dir.join("upstream").join(path.file_name().unwrap())).unwrap();
        }
    }
    let (view, code) = view_and_code(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    let (module, notes) = enrichments::generate(&view, &code).expect("the types it names exist");
    assert!(notes.is_empty(), "{notes:?}");
    assert!(module.contains("pub struct EsgScores;"), "{module}");
    assert!(module.contains(r#"operation_id: "businesses_esg_scores_bulk_enrich""#));
    assert!(module.contains(r#"path: "/v1/businesses/esg_scores/enrich""#));
    assert!(module.contains("type Output = crate::generated::types::EsgScoresOutputSchema;"));
    assert!(module.contains("pub use businesses::EsgScores;"));
    assert!(module.contains(r#"("businesses", "esg_scores"),"#));
    assert_eq!(module.matches("pub struct ").count(), 21);
    // And it is valid Rust.
    syn::parse_file(&module).expect("the module parses");
}

#[test]
fn a_generated_type_the_generator_named_otherwise_stops_the_build_naming_it() {
    let (merged, _) = spec::merged_from_dir(&openapi_dir()).expect("pipeline runs");
    let (found, _) = enrichments::find(&merged);
    let error = enrichments::check(&found, "pub struct Nothing {}").unwrap_err();
    assert!(error.contains("the generated code has no type"), "{error}");
}

#[test]
fn an_enrichment_with_only_its_bulk_operation_is_left_out_with_a_note() {
    let (mut merged, _) = spec::merged_from_dir(&openapi_dir()).expect("pipeline runs");
    merged["paths"]
        .as_object_mut()
        .unwrap()
        .shift_remove("/v1/businesses/webstack/enrich");
    let (found, notes) = enrichments::find(&merged);
    assert_eq!(found.len(), 19);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("businesses/webstack"), "{notes:?}");
}
