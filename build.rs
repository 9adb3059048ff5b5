//! Runs the spec pipeline (`build/spec.rs`) on `openapi/`, takes the generator's view of the
//! result for the enabled API families (`build/view.rs`), and runs progenitor on it.
//! Writes only to `OUT_DIR`: `generated.rs` (the client), `explorium.json` (the merged
//! document, every family, for the local test server) and, with the `schemars` feature,
//! `request_types.rs` (each generated request body's type, for the JSON Schema test) and, with
//! the `enrich` feature, `enrichments.rs` (`explorium::enrichments`, `build/enrichments.rs`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[path = "build/enrichments.rs"]
mod enrichments;
#[path = "build/filters.rs"]
mod filters;
#[path = "build/request_types.rs"]
mod request_types;
#[path = "build/spec.rs"]
mod spec;
#[path = "build/view.rs"]
mod view;

fn main() -> ExitCode {
    // A directory is scanned recursively: a new upstream document reruns the pipeline.
    println!("cargo:rerun-if-changed=openapi");
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    match run(&manifest_dir.join("openapi"), &out_dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // A message, not a panic backtrace: the file and the component or path are in it.
            eprintln!("error: the OpenAPI spec pipeline failed\n  {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(openapi_dir: &Path, out_dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let (merged, _sources) = spec::merged_from_dir(openapi_dir)?;
    let families = view::read_families(&openapi_dir.join("families.yaml"))?;
    // A family is generated when the cargo feature of its name is on.
    let enabled: Vec<String> = families
        .names()
        .filter(|name| std::env::var_os(format!("CARGO_FEATURE_{}", name.to_uppercase())).is_some())
        .map(String::from)
        .collect();
    println!("cargo::rustc-check-cfg=cfg(explorium_no_family)");
    if enabled.is_empty() {
        println!("cargo::rustc-cfg=explorium_no_family");
    }
    let view = view::generation_view(&merged, &families, &enabled)?;
    let code = spec::generate(&view)?;
    // The crate's `schemars` feature: the registry its JSON Schema test reads.
    if std::env::var_os("CARGO_FEATURE_SCHEMARS").is_some() {
        let registry = request_types::registry(&view, &code)?;
        std::fs::write(out_dir.join("request_types.rs"), registry)?;
    }
    // The `enrich` family's handwritten layer: one type per enrichment the view defines.
    if std::env::var_os("CARGO_FEATURE_ENRICH").is_some() {
        let (module, notes) = enrichments::generate(&view, &code)?;
        for note in notes {
            println!("cargo::warning={note}");
        }
        std::fs::write(out_dir.join("enrichments.rs"), module)?;
    }
    // The `search` family's handwritten layer: one setter per filter the view defines.
    if std::env::var_os("CARGO_FEATURE_SEARCH").is_some() {
        std::fs::write(out_dir.join("filters.rs"), filters::generate(&view, &code)?)?;
    }
    // The generated client's retry rule: which `POST`s may be repeated. A pattern that
    // matches no operation of the whole document is a mistake in families.yaml.
    let unmatched = families.unmatched_repeatable_posts(&merged);
    if !unmatched.is_empty() {
        return Err(format!(
            "openapi/families.yaml: repeatable_posts {unmatched:?} match no POST of the documents"
        )
        .into());
    }
    let reading: Vec<String> = families
        .repeatable_posts(&view)
        .iter()
        .map(|id| format!("    {id:?},\n"))
        .collect();
    std::fs::write(
        out_dir.join("repeatable_posts.rs"),
        format!(
            "// Written by build.rs from openapi/families.yaml's `repeatable_posts`.\n\
             pub(crate) const REPEATABLE_POSTS: &[&str] = &[\n{}];\n",
            reading.concat()
        ),
    )?;
    std::fs::write(out_dir.join("generated.rs"), code)?;
    std::fs::write(
        out_dir.join("explorium.json"),
        serde_json::to_string(&merged)?,
    )?;
    Ok(())
}
