//! The spec pipeline: upstream OpenAPI documents + the overlay -> one merged OpenAPI 3.0 document
//! -> progenitor's client source.
//!
//! `build.rs` runs it at every build; `tests/spec_pipeline.rs` includes this same file to test
//! the merge rules and to check the committed `openapi/explorium.yaml`. Nothing here writes
//! outside the paths its caller passes in.

// Each includer uses a different subset of these functions.
#![allow(dead_code)]

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

#[path = "document_ops.rs"]
mod document_ops;

use document_ops::{compare_versions, remove_at, update_at};
use serde::Deserialize;
use serde_json::{Map, Value};
use serde_json_path::JsonPath;

/// The command that rewrites `openapi/explorium.yaml`; printed wherever the file is stale.
pub(crate) const REFRESH_COMMAND: &str =
    "EXPLORIUM_UPDATE_OPENAPI=1 cargo test --test spec_pipeline";

/// Methods in the order they are written out under a path.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Whether a key of a path item is an operation (rather than `summary`, `parameters`...).
pub(crate) fn is_method(key: &str) -> bool {
    METHODS.contains(&key)
}

/// Top-level keys in the order they are written out; any other key follows, sorted.
const TOP_LEVEL: [&str; 7] = [
    "openapi",
    "info",
    "servers",
    "security",
    "tags",
    "paths",
    "components",
];

/// Why the pipeline could not produce a document. Every case names the file(s) involved.
#[derive(Debug)]
pub(crate) enum SpecError {
    /// A file or folder could not be read.
    Io { path: PathBuf, message: String },
    /// A file is not a document of the kind expected (YAML syntax, OpenAPI or Overlay shape).
    Invalid { file: String, message: String },
    /// An overlay action is malformed or did not apply.
    Overlay {
        action: usize,
        target: String,
        message: String,
    },
    /// Two documents define the same method on the same path.
    PathConflict {
        path: String,
        method: String,
        first: String,
        second: String,
    },
    /// Two documents define one component name differently.
    ComponentConflict {
        section: String,
        name: String,
        first: String,
        second: String,
    },
    /// Two documents disagree on a document-wide field (openapi version, servers, ...).
    FieldConflict {
        field: String,
        first: String,
        second: String,
    },
    /// progenitor rejected the merged document.
    Generate { message: String },
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, message } => write!(f, "{}: {message}", path.display()),
            Self::Invalid { file, message } => write!(f, "{file}: {message}"),
            Self::Overlay {
                action,
                target,
                message,
            } => {
                write!(
                    f,
                    "openapi/overlay.yaml: action #{action} (target `{target}`): {message}"
                )
            }
            Self::PathConflict {
                path,
                method,
                first,
                second,
            } => write!(
                f,
                "path conflict: `{} {path}` is defined in both {first} and {second}; \
                 one operation per method and path",
                method.to_uppercase()
            ),
            Self::ComponentConflict {
                section,
                name,
                first,
                second,
            } => write!(
                f,
                "component conflict: `components.{section}.{name}` is defined differently in \
                 {first} and {second}; make them identical, or correct one in \
                 openapi/overlay.yaml"
            ),
            Self::FieldConflict {
                field,
                first,
                second,
            } => write!(
                f,
                "`{field}` differs between {first} and {second}; the documents must agree on it"
            ),
            Self::Generate { message } => {
                write!(
                    f,
                    "progenitor could not generate a client from the merged document: {message}"
                )
            }
        }
    }
}

impl std::error::Error for SpecError {}

/// One input document, named by its path relative to the `openapi/` folder.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) name: String,
    pub(crate) document: Value,
}

/// An OpenAPI Overlay 1.0 document.
#[derive(Debug, Deserialize)]
pub(crate) struct Overlay {
    pub(crate) overlay: String,
    pub(crate) info: OverlayInfo,
    #[serde(default)]
    pub(crate) extends: Option<String>,
    pub(crate) actions: Vec<Action>,
}

/// The overlay's `info` object.
#[derive(Debug, Deserialize)]
pub(crate) struct OverlayInfo {
    pub(crate) title: String,
    pub(crate) version: String,
}

/// One overlay action: a JSONPath target and either an update or a removal.
#[derive(Debug, Deserialize)]
pub(crate) struct Action {
    pub(crate) target: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) update: Option<Value>,
    #[serde(default)]
    pub(crate) remove: bool,
}

/// The whole pipeline on an `openapi/` folder: `upstream/*.yaml` (in file-name order), corrected
/// by `overlay.yaml`, merged.
pub(crate) fn merged_from_dir(dir: &Path) -> Result<(Value, Vec<String>), SpecError> {
    let sources = read_upstream(&dir.join("upstream"))?;
    let overlay = read_overlay(&dir.join("overlay.yaml"))?;
    merge_corrected(sources, &overlay)
}

/// Applies the overlay to each source, checks each result is a valid OpenAPI 3.0 document, and
/// merges them. Returns the merged document and the names of its sources.
pub(crate) fn merge_corrected(
    mut sources: Vec<Source>,
    overlay: &Overlay,
) -> Result<(Value, Vec<String>), SpecError> {
    apply_overlay(overlay, &mut sources)?;
    for source in &sources {
        check_openapi(source)?;
    }
    let merged = merge(&sources)?;
    Ok((merged, sources.into_iter().map(|s| s.name).collect()))
}

/// Reads every `*.yaml` / `*.yml` / `*.json` file of `dir`, sorted by file name.
pub(crate) fn read_upstream(dir: &Path) -> Result<Vec<Source>, SpecError> {
    let entries = fs::read_dir(dir).map_err(|e| io_error(dir, e))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| io_error(dir, e))?.path();
        let is_document = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"));
        if is_document && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.is_empty() {
        return Err(SpecError::Invalid {
            file: display_name(dir),
            message: "no upstream document (*.yaml, *.yml, *.json) found".into(),
        });
    }
    paths.iter().map(|path| read_source(path)).collect()
}

/// Reads one document; its name is `upstream/<file name>`.
pub(crate) fn read_source(path: &Path) -> Result<Source, SpecError> {
    let name = display_name(path);
    let text = fs::read_to_string(path).map_err(|e| io_error(path, e))?;
    // JSON is YAML, but a JSON parser reads the extracts (1.5 MB) several times faster.
    let document = match path.extension().and_then(|e| e.to_str()) {
        Some("json") => serde_json::from_str(&text).map_err(|e| SpecError::Invalid {
            file: name.clone(),
            message: format!("invalid JSON: {e}"),
        })?,
        _ => parse_yaml(&name, &text)?,
    };
    if !document.is_object() {
        return Err(SpecError::Invalid {
            file: name,
            message: "not a YAML mapping".into(),
        });
    }
    Ok(Source { name, document })
}

/// Parses YAML (JSON is YAML too) into a JSON value, naming `file` in the error.
pub(crate) fn parse_yaml(file: &str, text: &str) -> Result<Value, SpecError> {
    serde_saphyr::from_str(text).map_err(|e| SpecError::Invalid {
        file: file.into(),
        message: format!("invalid YAML: {e}"),
    })
}

/// Reads and checks the overlay document.
pub(crate) fn read_overlay(path: &Path) -> Result<Overlay, SpecError> {
    let text = fs::read_to_string(path).map_err(|e| io_error(path, e))?;
    parse_overlay(&text)
}

/// Parses an overlay and checks what the Overlay 1.0 format and this project require of it.
pub(crate) fn parse_overlay(text: &str) -> Result<Overlay, SpecError> {
    let file = "openapi/overlay.yaml";
    let value = parse_yaml(file, text)?;
    let overlay: Overlay = serde_json::from_value(value).map_err(|e| SpecError::Invalid {
        file: file.into(),
        message: format!("not an Overlay document: {e}"),
    })?;
    if !overlay.overlay.starts_with("1.0.") {
        return Err(SpecError::Invalid {
            file: file.into(),
            message: format!(
                "overlay version `{}` is not supported (1.0.x only)",
                overlay.overlay
            ),
        });
    }
    for (index, action) in overlay.actions.iter().enumerate() {
        let fail = |message: &str| SpecError::Overlay {
            action: index + 1,
            target: action.target.clone(),
            message: message.into(),
        };
        if action
            .description
            .as_deref()
            .is_none_or(|d| d.trim().is_empty())
        {
            return Err(fail("every correction needs a `description` saying why"));
        }
        if action.remove == action.update.is_some() {
            return Err(fail("needs exactly one of `update` or `remove: true`"));
        }
        JsonPath::parse(&action.target).map_err(|e| fail(&format!("invalid JSONPath: {e}")))?;
    }
    Ok(overlay)
}

/// Applies each action, in order, to each source. An action that matches nothing in any source
/// is an error: a correction that no longer applies must be removed, not silently kept.
pub(crate) fn apply_overlay(overlay: &Overlay, sources: &mut [Source]) -> Result<(), SpecError> {
    for (index, action) in overlay.actions.iter().enumerate() {
        let fail = |message: String| SpecError::Overlay {
            action: index + 1,
            target: action.target.clone(),
            message,
        };
        let path =
            JsonPath::parse(&action.target).map_err(|e| fail(format!("invalid JSONPath: {e}")))?;
        let mut matched = 0;
        for source in sources.iter_mut() {
            let pointers: Vec<String> = path
                .query_located(&source.document)
                .into_iter()
                .map(|node| node.location().to_json_pointer())
                .collect();
            matched += pointers.len();
            // Reverse document order, so removing array elements keeps earlier indices valid.
            for pointer in pointers.iter().rev() {
                let result = match &action.update {
                    Some(update) => update_at(&mut source.document, pointer, update),
                    None => remove_at(&mut source.document, pointer),
                };
                result.map_err(|m| fail(format!("in {}: {m}", source.name)))?;
            }
        }
        if matched == 0 {
            return Err(fail(
                "matches nothing in any upstream document; remove or fix it".into(),
            ));
        }
    }
    Ok(())
}

/// The corrected document must be OpenAPI 3.0.x and deserialize as such.
fn check_openapi(source: &Source) -> Result<(), SpecError> {
    let invalid = |message: String| SpecError::Invalid {
        file: source.name.clone(),
        message,
    };
    match source.document.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") => {}
        Some(v) => {
            return Err(invalid(format!(
                "`openapi: {v}` after the overlay; progenitor accepts only 3.0.x \
                 (see the version correction in openapi/overlay.yaml)"
            )))
        }
        None => {
            return Err(invalid(
                "no `openapi` version field: not an OpenAPI document".into(),
            ))
        }
    }
    serde_json::from_value::<openapiv3::OpenAPI>(source.document.clone())
        .map(drop)
        .map_err(|e| invalid(format!("not a valid OpenAPI 3.0 document: {e}")))
}

/// Merges corrected documents: paths per method, components by name, document-wide fields must
/// agree. The result's key order depends only on the content, never on the input order.
pub(crate) fn merge(sources: &[Source]) -> Result<Value, SpecError> {
    let mut merged = Map::new();
    // Where each merged entry came from, for conflict messages.
    let mut origin: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    let mut best_version: Option<(&str, &str)> = None;

    for source in sources {
        let document = source.document.as_object().expect("sources are objects");
        for (key, value) in document {
            match key.as_str() {
                "paths" => merge_paths(&mut merged, &mut origin, source, value)?,
                "components" => merge_components(&mut merged, &mut origin, source, value)?,
                "tags" => merge_tags(&mut merged, value),
                "info" => {
                    let mut info = value.clone();
                    let version = value.get("version").and_then(Value::as_str).unwrap_or("");
                    let newer = best_version
                        .is_none_or(|(best, _)| compare_versions(version, best).is_gt());
                    if let Some(existing) = merged.get("info") {
                        // The title must agree; the newest version wins.
                        let title = |v: &Value| v.get("title").cloned();
                        if title(existing) != title(value) {
                            return Err(field_conflict("info.title", &origin, source));
                        }
                        if !newer {
                            info = existing.clone();
                        }
                    }
                    if newer {
                        best_version = Some((version, &source.name));
                    }
                    origin.entry("info.title".into()).or_insert(&source.name);
                    merged.insert("info".into(), info);
                }
                _ => match merged.get(key) {
                    None => {
                        origin.insert(key.clone(), &source.name);
                        merged.insert(key.clone(), value.clone());
                    }
                    Some(existing) if existing == value => {}
                    Some(_) => return Err(field_conflict(key, &origin, source)),
                },
            }
        }
    }
    Ok(Value::Object(ordered_document(merged)))
}

fn field_conflict(
    field: &str,
    origin: &std::collections::HashMap<String, &str>,
    source: &Source,
) -> SpecError {
    SpecError::FieldConflict {
        field: field.into(),
        first: origin
            .get(field)
            .copied()
            .unwrap_or("an earlier document")
            .into(),
        second: source.name.clone(),
    }
}

fn merge_paths<'a>(
    merged: &mut Map<String, Value>,
    origin: &mut std::collections::HashMap<String, &'a str>,
    source: &'a Source,
    paths: &Value,
) -> Result<(), SpecError> {
    let paths = paths.as_object().ok_or_else(|| SpecError::Invalid {
        file: source.name.clone(),
        message: "`paths` is not a mapping".into(),
    })?;
    let out = merged
        .entry("paths")
        .or_insert_with(|| Value::Object(Map::new()));
    let out = out.as_object_mut().expect("paths is an object");
    for (path, item) in paths {
        let item = item.as_object().ok_or_else(|| SpecError::Invalid {
            file: source.name.clone(),
            message: format!("`paths.{path}` is not a mapping"),
        })?;
        let out_item = out
            .entry(path.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let out_item = out_item.as_object_mut().expect("path items are objects");
        for (key, value) in item {
            let id = format!("paths.{path}.{key}");
            match out_item.get(key) {
                None => {
                    origin.insert(id, &source.name);
                    out_item.insert(key.clone(), value.clone());
                }
                Some(_) if METHODS.contains(&key.as_str()) => {
                    return Err(SpecError::PathConflict {
                        path: path.clone(),
                        method: key.clone(),
                        first: origin[&id].into(),
                        second: source.name.clone(),
                    })
                }
                Some(existing) if existing == value => {}
                Some(_) => return Err(field_conflict(&id, origin, source)),
            }
        }
    }
    Ok(())
}

fn merge_components<'a>(
    merged: &mut Map<String, Value>,
    origin: &mut std::collections::HashMap<String, &'a str>,
    source: &'a Source,
    components: &Value,
) -> Result<(), SpecError> {
    let not_mapping = |what: String| SpecError::Invalid {
        file: source.name.clone(),
        message: format!("`{what}` is not a mapping"),
    };
    let components = components
        .as_object()
        .ok_or_else(|| not_mapping("components".into()))?;
    let out = merged
        .entry("components")
        .or_insert_with(|| Value::Object(Map::new()));
    let out = out.as_object_mut().expect("components is an object");
    for (section, entries) in components {
        let entries = entries
            .as_object()
            .ok_or_else(|| not_mapping(format!("components.{section}")))?;
        let out_section = out
            .entry(section.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let out_section = out_section.as_object_mut().expect("sections are objects");
        for (name, definition) in entries {
            let id = format!("components.{section}.{name}");
            match out_section.get(name) {
                None => {
                    origin.insert(id, &source.name);
                    out_section.insert(name.clone(), definition.clone());
                }
                Some(existing) if existing == definition => {}
                Some(_) => {
                    return Err(SpecError::ComponentConflict {
                        section: section.clone(),
                        name: name.clone(),
                        first: origin[&id].into(),
                        second: source.name.clone(),
                    })
                }
            }
        }
    }
    Ok(())
}

/// Tags are a union by name; the first description seen is kept.
fn merge_tags(merged: &mut Map<String, Value>, tags: &Value) {
    let out = merged
        .entry("tags")
        .or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(out) = out else { return };
    for tag in tags.as_array().into_iter().flatten() {
        let name = tag.get("name");
        if !out.iter().any(|t| t.get("name") == name) {
            out.push(tag.clone());
        }
    }
}

/// Fixed top-level order; paths sorted, methods in `METHODS` order; components sorted by name.
fn ordered_document(mut merged: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for key in TOP_LEVEL {
        if let Some(value) = merged.shift_remove(key) {
            let value = match key {
                "paths" => Value::Object(sorted_paths(value)),
                "components" => Value::Object(sorted_components(value)),
                "tags" => {
                    let mut tags = value.as_array().cloned().unwrap_or_default();
                    tags.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
                    Value::Array(tags)
                }
                _ => value,
            };
            out.insert(key.into(), value);
        }
    }
    let mut rest: Vec<_> = merged.into_iter().collect();
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    out.extend(rest);
    out
}

fn sorted_paths(paths: Value) -> Map<String, Value> {
    let Value::Object(paths) = paths else {
        return Map::new();
    };
    let mut paths: Vec<_> = paths.into_iter().collect();
    paths.sort_by(|a, b| a.0.cmp(&b.0));
    paths
        .into_iter()
        .map(|(path, item)| {
            let Value::Object(item) = item else {
                return (path, item);
            };
            let mut entries: Vec<_> = item.into_iter().collect();
            // Non-method keys (summary, parameters) first, by name; then methods.
            entries.sort_by_key(|(k, _)| (METHODS.iter().position(|m| m == k), k.clone()));
            (path, Value::Object(entries.into_iter().collect()))
        })
        .collect()
}

fn sorted_components(components: Value) -> Map<String, Value> {
    let Value::Object(components) = components else {
        return Map::new();
    };
    let mut sections: Vec<_> = components.into_iter().collect();
    sections.sort_by(|a, b| a.0.cmp(&b.0));
    sections
        .into_iter()
        .map(|(section, entries)| {
            let Value::Object(entries) = entries else {
                return (section, entries);
            };
            let mut entries: Vec<_> = entries.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            (section, Value::Object(entries.into_iter().collect()))
        })
        .collect()
}

/// The merged document as the YAML committed at `openapi/explorium.yaml`.
pub(crate) fn to_yaml(merged: &Value, sources: &[String]) -> Result<String, SpecError> {
    let body = serde_saphyr::to_string(merged).map_err(|e| SpecError::Generate {
        message: format!("cannot write YAML: {e}"),
    })?;
    let mut out = String::from(
        "# GENERATED: do not edit. The spec pipeline (build/spec.rs) writes this file from\n",
    );
    for source in sources {
        out.push_str(&format!("#   openapi/{source}\n"));
    }
    out.push_str(
        "# corrected by openapi/overlay.yaml. After changing any of them, refresh it with:\n",
    );
    out.push_str(&format!("#   {REFRESH_COMMAND}\n"));
    out.push_str(&body);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// progenitor's client (builder interface, all operations on one `Client`) for the merged
/// document, formatted.
pub(crate) fn generate(merged: &Value) -> Result<String, SpecError> {
    let spec: openapiv3::OpenAPI =
        serde_json::from_value(merged.clone()).map_err(|e| SpecError::Invalid {
            file: "merged document".into(),
            message: format!("not a valid OpenAPI 3.0 document: {e}"),
        })?;
    let mut settings = progenitor::GenerationSettings::default();
    // Every request goes through the crate's retry engine: the shared client state is the
    // inner type, and `Expected` hooks make a missing `exec` implementation a compile error.
    let inner_type =
        "std::sync::Arc<crate::client::Shared>"
            .parse()
            .map_err(|e: proc_macro2::LexError| SpecError::Generate {
                message: e.to_string(),
            })?;
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_inner_type(inner_type)
        .with_hooks(progenitor::HooksMode::Expected);
    // The crate's `schemars` feature; a build script sees features as environment variables.
    if std::env::var_os("CARGO_FEATURE_SCHEMARS").is_some() {
        settings.with_derive("schemars::JsonSchema");
    }
    let mut generator = progenitor::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| SpecError::Generate {
            message: e.to_string(),
        })?;
    let file = syn::parse2(tokens).map_err(|e| SpecError::Generate {
        message: e.to_string(),
    })?;
    Ok(prettyplease::unparse(&file))
}

fn display_name(path: &Path) -> String {
    // `upstream/x.yaml` rather than an absolute path that differs per machine.
    let mut parts: Vec<_> = path
        .iter()
        .rev()
        .take(2)
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    parts.reverse();
    parts.join("/")
}

fn io_error(path: &Path, error: std::io::Error) -> SpecError {
    SpecError::Io {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}
