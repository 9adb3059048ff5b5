//! `explorium::enrichments`, derived from the document progenitor generates from: one type per
//! enrichment, found by its paths (`/v1/{entity}/{name}/enrich` and
//! `/v1/{entity}/{name}/bulk_enrich`, both `POST`), tying its operations, its parameters type
//! and its generated output type. A new enrichment document becomes a new type with no edit.
//!
//! Type names are those typify gives the component schemas (heck's PascalCase of the name),
//! and each is checked against the generated code, so a generator that named them otherwise
//! stops the build here, naming the type, rather than in the crate's own code.

// Each includer (build.rs, the tests) uses a different subset of these items.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use heck::ToPascalCase;
use serde_json::Value;

use crate::view::{typify_name, RECEIVED_SUFFIX, SCHEMA_REF};

/// One enrichment of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Enrichment {
    /// `businesses` or `prospects`.
    pub(crate) entity: String,
    /// The path segment: `firmographics`.
    pub(crate) name: String,
    /// The Rust type: `Firmographics`.
    pub(crate) type_name: String,
    pub(crate) single_id: String,
    pub(crate) single_path: String,
    pub(crate) bulk_id: String,
    pub(crate) bulk_path: String,
    /// The generated parameters type, or `None` for an untyped object.
    pub(crate) parameters: Option<String>,
    /// The generated output type (one entity's data).
    pub(crate) output: String,
    /// The generated response types of the single and the bulk operation.
    pub(crate) single_response: String,
    pub(crate) bulk_response: String,
}

/// A `$ref`'s component name.
fn ref_name(schema: &Value) -> Option<&str> {
    schema.get("$ref")?.as_str()?.strip_prefix(SCHEMA_REF)
}

/// What typify calls component `name` (its response-side copy when the view made one).
fn rust_name(document: &Value, name: &str) -> String {
    let received = format!("{name}{RECEIVED_SUFFIX}");
    let name = if document["components"]["schemas"].get(&received).is_some() {
        received.as_str()
    } else {
        name
    };
    typify_name(name)
}

fn operation<'a>(document: &'a Value, path: &str) -> Option<&'a Value> {
    document["paths"].get(path)?.get("post")
}

fn request_schema<'a>(document: &'a Value, op: &'a Value) -> Option<&'a Value> {
    let schema = op.pointer("/requestBody/content/application~1json/schema")?;
    match ref_name(schema) {
        Some(name) => document["components"]["schemas"].get(name),
        None => Some(schema),
    }
}

fn response_ref(op: &Value) -> Option<&str> {
    ref_name(op.pointer("/responses/200/content/application~1json/schema")?)
}

/// The enrichments of `document` (the generator's view, or any merged document), sorted by
/// entity and name. An enrichment with only one of its two operations, or of a shape this
/// layer does not know, is left out with a note saying why.
pub(crate) fn find(document: &Value) -> (Vec<Enrichment>, Vec<String>) {
    let mut found = BTreeMap::new();
    let mut notes = Vec::new();
    let Some(paths) = document["paths"].as_object() else {
        return (Vec::new(), notes);
    };
    for path in paths.keys() {
        let segments: Vec<&str> = path.split('/').collect();
        let ["", "v1", entity, name, "enrich"] = segments[..] else {
            continue;
        };
        if !matches!(entity, "businesses" | "prospects") || name.starts_with('{') {
            continue;
        }
        let bulk_path = format!("/v1/{entity}/{name}/bulk_enrich");
        match describe(document, entity, name, path, &bulk_path) {
            Ok(enrichment) => {
                found.insert((entity.to_string(), name.to_string()), enrichment);
            }
            Err(why) => notes.push(format!("enrichment {entity}/{name} left out: {why}")),
        }
    }
    for path in paths.keys() {
        let segments: Vec<&str> = path.split('/').collect();
        if let ["", "v1", entity @ ("businesses" | "prospects"), name, "bulk_enrich"] = segments[..]
        {
            if operation(document, &format!("/v1/{entity}/{name}/enrich")).is_none() {
                notes.push(format!(
                    "enrichment {entity}/{name} left out: {path} has no single-entity /enrich"
                ));
            }
        }
    }
    (found.into_values().collect(), notes)
}

fn describe(
    document: &Value,
    entity: &str,
    name: &str,
    single_path: &str,
    bulk_path: &str,
) -> Result<Enrichment, String> {
    let single = operation(document, single_path).ok_or("no POST on its /enrich path")?;
    let bulk = operation(document, bulk_path).ok_or_else(|| format!("no POST {bulk_path}"))?;
    let id = |op: &Value| {
        op["operationId"]
            .as_str()
            .map(String::from)
            .ok_or("an operation without operationId")
    };
    let single_response = response_ref(single).ok_or("its /enrich answers no schema reference")?;
    let bulk_response = response_ref(bulk).ok_or("its /bulk_enrich answers no schema reference")?;
    // The output: what a bulk row's `data` refers to.
    let schemas = &document["components"]["schemas"];
    let row = schemas[bulk_response]
        .pointer("/properties/data/items")
        .and_then(ref_name)
        .ok_or("its bulk response's `data` is not a list of rows")?;
    let output = schemas[row]
        .pointer("/properties/data")
        .and_then(ref_name)
        .ok_or("its bulk rows' `data` is not a schema reference")?;
    let request = request_schema(document, bulk).ok_or("its /bulk_enrich takes no JSON body")?;
    let parameters = match request.pointer("/properties/parameters") {
        None => None,
        Some(schema) => ref_name(schema)
            .or_else(|| {
                schema["allOf"]
                    .as_array()
                    .filter(|all| all.len() == 1)
                    .and_then(|all| ref_name(&all[0]))
            })
            .map(|name| rust_name(document, name)),
    };
    Ok(Enrichment {
        entity: entity.to_string(),
        name: name.to_string(),
        type_name: name.to_pascal_case(),
        single_id: id(single)?,
        single_path: single_path.to_string(),
        bulk_id: id(bulk)?,
        bulk_path: bulk_path.to_string(),
        parameters,
        output: rust_name(document, output),
        single_response: rust_name(document, single_response),
        bulk_response: rust_name(document, bulk_response),
    })
}

/// The entity's handle type and its singular, for the docs.
fn entity_names(entity: &str) -> (&'static str, &'static str) {
    if entity == "prospects" {
        ("Prospects", "prospect")
    } else {
        ("Businesses", "business")
    }
}

/// Checks that every generated type an enrichment names is in `code` (progenitor's output).
pub(crate) fn check(enrichments: &[Enrichment], code: &str) -> Result<(), String> {
    for e in enrichments {
        let mut names = vec![&e.output, &e.single_response, &e.bulk_response];
        names.extend(&e.parameters);
        for name in names {
            if !code.contains(&format!("pub struct {name} "))
                && !code.contains(&format!("pub struct {name}("))
            {
                return Err(format!(
                    "enrichment {}/{}: the generated code has no type `{name}`",
                    e.entity, e.name
                ));
            }
        }
    }
    Ok(())
}

/// The Rust source of `explorium::enrichments`' contents, for `include!`.
pub(crate) fn render(enrichments: &[Enrichment]) -> String {
    let mut out = String::from(
        "// Written by build/enrichments.rs from the generator's view of the merged document. \
         Never edited by hand.\n",
    );
    let mut by_name: BTreeMap<&str, Vec<&Enrichment>> = BTreeMap::new();
    for e in enrichments {
        by_name.entry(&e.type_name).or_default().push(e);
    }
    for entity in ["businesses", "prospects"] {
        let (handle, singular) = entity_names(entity);
        let _ = writeln!(
            out,
            "/// The {singular} enrichments, for [`{handle}`](crate::client::{handle}).\n\
             pub mod {entity} {{"
        );
        for e in enrichments.iter().filter(|e| e.entity == entity) {
            let parameters = match &e.parameters {
                Some(name) => format!("crate::generated::types::{name}"),
                None => "::serde_json::Map<::std::string::String, ::serde_json::Value>".into(),
            };
            let _ = write!(
                out,
                r#"
    /// The `{name}` {singular} enrichment: `POST {single_path}` (`{single_id}`) for one
    /// {singular}, `POST {bulk_path}` (`{bulk_id}`) for up to 50. Each {singular}'s data is a
    /// [`{output}`](crate::generated::types::{output}).
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
    pub struct {type_name};

    impl crate::enrich::Sealed for {type_name} {{}}

    impl crate::enrich::Enrichment for {type_name} {{
        type Entity = crate::client::{handle};
        type Parameters = {parameters};
        type Output = crate::generated::types::{output};
        type Response = crate::generated::types::{single_response};
        type BulkResponse = crate::generated::types::{bulk_response};
        const NAME: &'static str = "{name}";
        const ENRICH: crate::enrich::Endpoint = crate::enrich::Endpoint {{
            operation_id: "{single_id}",
            path: "{single_path}",
        }};
        const BULK_ENRICH: crate::enrich::Endpoint = crate::enrich::Endpoint {{
            operation_id: "{bulk_id}",
            path: "{bulk_path}",
        }};
    }}
"#,
                name = e.name,
                single_path = e.single_path,
                single_id = e.single_id,
                bulk_path = e.bulk_path,
                bulk_id = e.bulk_id,
                output = e.output,
                type_name = e.type_name,
                single_response = e.single_response,
                bulk_response = e.bulk_response,
            );
        }
        out.push_str("}\n\n");
    }
    // At the root: every name one entity alone uses; a name both use, prefixed by each.
    for (name, uses) in &by_name {
        if let [e] = uses[..] {
            let _ = writeln!(out, "pub use {}::{name};", e.entity);
        } else {
            for e in uses {
                let (_, singular) = entity_names(&e.entity);
                let prefixed = format!("{}{name}", singular.to_pascal_case());
                let _ = writeln!(
                    out,
                    "/// [`{entity}::{name}`], named apart from the other entity's.\n\
                     pub use {entity}::{name} as {prefixed};",
                    entity = e.entity
                );
            }
        }
    }
    out.push_str(
        "\n/// Every enrichment the documents define: its entity (`businesses`, `prospects`) and \
         name, in that order.\npub const ALL: &[(&str, &str)] = &[\n",
    );
    for e in enrichments {
        let _ = writeln!(out, "    ({:?}, {:?}),", e.entity, e.name);
    }
    out.push_str("];\n");
    out
}

/// [`find`], [`check`] against `code`, [`render`]: the module's source, and the notes (for
/// cargo warnings).
pub(crate) fn generate(document: &Value, code: &str) -> Result<(String, Vec<String>), String> {
    let (enrichments, notes) = find(document);
    check(&enrichments, code)?;
    Ok((render(&enrichments), notes))
}
