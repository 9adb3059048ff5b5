//! What progenitor generates from: the merged document, restricted to the enabled API families
//! (`openapi/families.yaml`, one cargo feature each), with responses loosened and inline titles
//! made unambiguous. `openapi/README.md` ("The generator's view") states each rule and why.
//!
//! The merged document itself (`openapi/explorium.yaml`, `OUT_DIR/explorium.json`) keeps every
//! upstream rule: the local test server judges requests and answers by it. Only the generated
//! Rust types see this view.

// Each includer uses a different subset of these items.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::spec::{parse_yaml, SpecError};

/// Where a component schema reference points.
pub(crate) const SCHEMA_REF: &str = "#/components/schemas/";

/// The suffix of a response-side copy of a schema that requests use too (see [`loosen`]).
pub(crate) const RECEIVED_SUFFIX: &str = "Received";

/// What typify calls component schema `name`: heck's PascalCase of it, quotes dropped and any
/// other character that is not a letter, digit or `_` read as a word break. The layers derived
/// from the view (`build/enrichments.rs`, `build/filters.rs`) name generated types with it, and
/// check each name against the generated code.
pub(crate) fn typify_name(name: &str) -> String {
    use heck::ToPascalCase;
    name.replace('\'', "")
        .replace(|c: char| !(c.is_alphanumeric() || c == '_'), "-")
        .to_pascal_case()
}

/// Keywords that constrain a value without changing its shape: a response is not checked
/// against them (the service is the authority on what it returns).
const VALUE_RULES: [&str; 14] = [
    "pattern",
    "format",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minProperties",
    "maxProperties",
];

/// `openapi/families.yaml`: the API families, in file order.
#[derive(Debug, Deserialize)]
pub(crate) struct Families {
    pub(crate) families: indexmap_like::Ordered<Family>,
    /// Path patterns of the `POST`s that may be repeated (they only read, or leave the same
    /// state).
    #[serde(default)]
    pub(crate) repeatable_posts: Vec<String>,
}

/// One family: the path patterns of its operations.
#[derive(Debug, Deserialize)]
pub(crate) struct Family {
    pub(crate) description: String,
    pub(crate) paths: Vec<String>,
}

/// A map that keeps the file's order (serde_json's `preserve_order` map, read through JSON).
mod indexmap_like {
    use serde::Deserialize;

    /// Entries in file order.
    #[derive(Debug)]
    pub(crate) struct Ordered<T>(pub(crate) Vec<(String, T)>);

    impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Ordered<T> {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let map = serde_json::Map::deserialize(deserializer)?;
            map.into_iter()
                .map(|(name, value)| {
                    serde_json::from_value(value)
                        .map(|v| (name.clone(), v))
                        .map_err(|e| serde::de::Error::custom(format!("family `{name}`: {e}")))
                })
                .collect::<Result<_, _>>()
                .map(Ordered)
        }
    }
}

/// One operation of the merged document and the family it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Classified {
    pub(crate) operation_id: String,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) family: String,
}

/// Reads `openapi/families.yaml`.
pub(crate) fn read_families(path: &Path) -> Result<Families, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|e| SpecError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    parse_families(&text)
}

/// Parses a families document and checks each pattern.
pub(crate) fn parse_families(text: &str) -> Result<Families, SpecError> {
    let file = "openapi/families.yaml";
    let invalid = |message: String| SpecError::Invalid {
        file: file.into(),
        message,
    };
    let value = parse_yaml(file, text)?;
    let families: Families = serde_json::from_value(value)
        .map_err(|e| invalid(format!("not a families document: {e}")))?;
    if families.families.0.is_empty() {
        return Err(invalid("no family defined".into()));
    }
    for (name, family) in &families.families.0 {
        let feature_like = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !feature_like {
            return Err(invalid(format!(
                "family `{name}`: a family is a cargo feature; use lowercase letters, digits, `_`"
            )));
        }
        for pattern in family.paths.iter().chain(&families.repeatable_posts) {
            let segments: Vec<&str> = segments(pattern);
            let misplaced = segments
                .iter()
                .enumerate()
                .any(|(i, s)| *s == "**" && i + 1 != segments.len());
            if !pattern.starts_with('/') || misplaced {
                return Err(invalid(format!(
                    "family `{name}`: pattern `{pattern}` must start with `/` and may use `**` \
                     only as its last segment"
                )));
            }
        }
    }
    Ok(families)
}

fn segments(path: &str) -> Vec<&str> {
    path.strip_prefix('/').unwrap_or(path).split('/').collect()
}

/// Whether `path` matches `pattern` (`*` one segment, a final `**` one or more).
pub(crate) fn path_matches(pattern: &str, path: &str) -> bool {
    let (pattern, path) = (segments(pattern), segments(path));
    let mut i = 0;
    for (index, want) in pattern.iter().enumerate() {
        if *want == "**" {
            return index == pattern.len() - 1 && path.len() > i;
        }
        match path.get(i) {
            Some(got) if *want == "*" && !got.is_empty() => {}
            Some(got) if got == want => {}
            _ => return false,
        }
        i += 1;
    }
    i == path.len()
}

impl Families {
    /// The operation ids of `document`'s `POST`s that may be repeated (`repeatable_posts`),
    /// sorted.
    pub(crate) fn repeatable_posts(&self, document: &Value) -> Vec<String> {
        let mut out = Vec::new();
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            let Some(id) = item.pointer("/post/operationId").and_then(Value::as_str) else {
                continue;
            };
            if self.repeatable_posts.iter().any(|p| path_matches(p, path)) {
                out.push(id.to_string());
            }
        }
        out.sort();
        out
    }

    /// The `repeatable_posts` patterns no `POST` of `document` matches (a typo would turn
    /// retries off for the operation it meant).
    pub(crate) fn unmatched_repeatable_posts(&self, document: &Value) -> Vec<&str> {
        let posts: Vec<&String> = document["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, item)| item.get("post").is_some())
            .map(|(path, _)| path)
            .collect();
        self.repeatable_posts
            .iter()
            .filter(|pattern| !posts.iter().any(|path| path_matches(pattern, path)))
            .map(String::as_str)
            .collect()
    }

    /// The family names, in file order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.families.0.iter().map(|(name, _)| name.as_str())
    }

    /// Every operation of `document` with its family, in document order. An operation that
    /// matches no family, or more than one, stops the build naming it.
    pub(crate) fn classify(&self, document: &Value) -> Result<Vec<Classified>, SpecError> {
        let mut out = Vec::new();
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let Some(operation_id) = operation.get("operationId").and_then(Value::as_str)
                else {
                    continue;
                };
                let matching: Vec<&str> = self
                    .families
                    .0
                    .iter()
                    .filter(|(_, family)| family.paths.iter().any(|p| path_matches(p, path)))
                    .map(|(name, _)| name.as_str())
                    .collect();
                let family = match matching.as_slice() {
                    [one] => one.to_string(),
                    [] => {
                        return Err(SpecError::Invalid {
                            file: "openapi/families.yaml".into(),
                            message: format!(
                                "operation `{operation_id}` ({} {path}) belongs to no family; \
                                 add its path to one",
                                method.to_uppercase()
                            ),
                        })
                    }
                    many => {
                        return Err(SpecError::Invalid {
                            file: "openapi/families.yaml".into(),
                            message: format!(
                                "operation `{operation_id}` ({} {path}) matches families {}; \
                                 an operation belongs to exactly one",
                                method.to_uppercase(),
                                many.join(", ")
                            ),
                        })
                    }
                };
                out.push(Classified {
                    operation_id: operation_id.into(),
                    method: method.clone(),
                    path: path.clone(),
                    family,
                });
            }
        }
        Ok(out)
    }
}

/// The document progenitor generates from: the operations of the `enabled` families only, the
/// component schemas they reach only, responses loosened ([`loosen_responses`]) and shared
/// inline titles dropped ([`drop_shared_titles`]).
pub(crate) fn generation_view(
    merged: &Value,
    families: &Families,
    enabled: &[String],
) -> Result<Value, SpecError> {
    let classified = families.classify(merged)?;
    let mut view = merged.clone();
    if let Some(paths) = view.get_mut("paths").and_then(Value::as_object_mut) {
        for operation in &classified {
            if enabled.contains(&operation.family) {
                continue;
            }
            if let Some(item) = paths
                .get_mut(&operation.path)
                .and_then(Value::as_object_mut)
            {
                item.shift_remove(&operation.method);
            }
        }
        paths.retain(|_, item| {
            item.as_object()
                .is_some_and(|item| item.keys().any(|k| crate::spec::is_method(k)))
        });
    }
    prune_components(&mut view);
    loosen_responses(&mut view);
    drop_shared_titles(&mut view);
    Ok(view)
}

/// The names of the component schemas `value` refers to directly.
fn refs_in(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(SCHEMA_REF))
            {
                out.insert(name.to_string());
            }
            map.values().for_each(|v| refs_in(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs_in(v, out)),
        _ => {}
    }
}

/// Every component schema reachable from `roots` through references.
fn closure(schemas: &Map<String, Value>, roots: BTreeSet<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = roots.into_iter().collect();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let mut next = BTreeSet::new();
        if let Some(schema) = schemas.get(&name) {
            refs_in(schema, &mut next);
        }
        todo.extend(next.into_iter().filter(|n| !seen.contains(n)));
    }
    seen
}

/// The operations of `document`, each as a JSON object.
fn operations(document: &Value) -> impl Iterator<Item = &Value> {
    document["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(_, item)| item.as_object().into_iter().flatten())
        .filter(|(key, _)| crate::spec::is_method(key))
        .map(|(_, operation)| operation)
}

/// The schemas requests reach (bodies, parameters) and those responses reach.
fn request_and_response_schemas(document: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let schemas = document["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let (mut request, mut response) = (BTreeSet::new(), BTreeSet::new());
    for operation in operations(document) {
        refs_in(&operation["requestBody"], &mut request);
        refs_in(&operation["parameters"], &mut request);
        refs_in(&operation["responses"], &mut response);
    }
    for (_, item) in document["paths"].as_object().into_iter().flatten() {
        refs_in(&item["parameters"], &mut request);
    }
    (closure(&schemas, request), closure(&schemas, response))
}

/// Keeps only the component schemas some operation reaches.
fn prune_components(document: &mut Value) {
    let (request, response) = request_and_response_schemas(document);
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.retain(|name, _| request.contains(name) || response.contains(name));
    }
}

/// Responses decode leniently, requests stay strict.
///
/// Every schema only responses reach loses its value rules ([`VALUE_RULES`]), its `enum` (the
/// known values move to its description) and `additionalProperties: false`: what remains is
/// its shape (types, properties, required, nullable). A schema that requests reach too keeps
/// its rules; responses get a loosened copy named with [`RECEIVED_SUFFIX`] (and so does every
/// shared schema that leads to one), and inline response schemas are loosened in place.
pub(crate) fn loosen_responses(document: &mut Value) {
    let (request, response) = request_and_response_schemas(document);
    let Some(schemas) = document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
    else {
        return;
    };
    // Shared schemas that need a response-side copy: a rule of their own, or a reference to
    // one that needs a copy.
    let shared: Vec<&String> = request.intersection(&response).collect();
    let mut copied: BTreeSet<String> = shared
        .iter()
        .filter(|name| has_value_rules(&schemas[name.as_str()]))
        .map(|name| name.to_string())
        .collect();
    loop {
        let before = copied.len();
        for name in &shared {
            let mut to = BTreeSet::new();
            refs_in(&schemas[name.as_str()], &mut to);
            if to.iter().any(|t| copied.contains(t)) {
                copied.insert(name.to_string());
            }
        }
        if copied.len() == before {
            break;
        }
    }
    let renamed: HashMap<String, String> = copied
        .iter()
        .map(|name| (name.clone(), format!("{name}{RECEIVED_SUFFIX}")))
        .collect();

    let mut out = Map::new();
    for (name, schema) in schemas {
        let response_only = response.contains(&name) && !request.contains(&name);
        if copied.contains(&name) {
            let mut copy = schema.clone();
            rename_refs(&mut copy, &renamed);
            loosen(&mut copy);
            if let Some(map) = copy.as_object_mut() {
                map.insert("title".into(), Value::String(renamed[&name].clone()));
            }
            out.insert(name.clone(), schema);
            out.insert(renamed[&name].clone(), copy);
        } else if response_only {
            let mut schema = schema;
            rename_refs(&mut schema, &renamed);
            loosen(&mut schema);
            out.insert(name, schema);
        } else {
            out.insert(name, schema);
        }
    }
    let mut sorted: Vec<_> = out.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    document["components"]["schemas"] = Value::Object(sorted.into_iter().collect());

    let methods: Vec<(String, String)> = document["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .filter(|(k, _)| crate::spec::is_method(k))
                .map(move |(method, _)| (path.clone(), method.clone()))
        })
        .collect();
    for (path, method) in methods {
        let responses = &mut document["paths"][&path][&method]["responses"];
        for (_, response) in responses.as_object_mut().into_iter().flatten() {
            for (_, media) in response
                .get_mut("content")
                .and_then(Value::as_object_mut)
                .into_iter()
                .flatten()
            {
                if let Some(schema) = media.get_mut("schema") {
                    rename_refs(schema, &renamed);
                    loosen(schema);
                }
            }
        }
    }
}

/// Whether a schema (its own text, references not followed) has a rule [`loosen`] removes.
fn has_value_rules(schema: &Value) -> bool {
    let mut found = false;
    visit_schemas(&mut schema.clone(), &mut |node| {
        found |= VALUE_RULES.iter().any(|k| node.contains_key(*k))
            || node.contains_key("enum")
            || node.get("additionalProperties") == Some(&Value::Bool(false));
    });
    found
}

fn rename_refs(value: &mut Value, renamed: &HashMap<String, String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref") {
                if let Some(new) = reference
                    .strip_prefix(SCHEMA_REF)
                    .and_then(|name| renamed.get(name))
                {
                    *reference = format!("{SCHEMA_REF}{new}");
                }
            }
            map.values_mut().for_each(|v| rename_refs(v, renamed));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, renamed)),
        _ => {}
    }
}

/// Removes the value rules of a schema and of every schema nested in it.
fn loosen(schema: &mut Value) {
    visit_schemas(schema, &mut |node| {
        for key in VALUE_RULES {
            node.shift_remove(key);
        }
        if node.get("additionalProperties") == Some(&Value::Bool(false)) {
            node.shift_remove("additionalProperties");
        }
        if let Some(Value::Array(values)) = node.shift_remove("enum") {
            let known: Vec<String> = values
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| match v {
                    Value::String(s) => format!("`{s}`"),
                    other => format!("`{other}`"),
                })
                .collect();
            let note = format!("Known values: {}.", known.join(", "));
            let description = match node.get("description").and_then(Value::as_str) {
                Some(d) if !d.trim().is_empty() => format!("{}\n\n{note}", d.trim_end()),
                _ => note,
            };
            node.insert("description".into(), Value::String(description));
        }
    });
}

/// Calls `f` on a schema object and on every schema nested in it (properties, items,
/// additionalProperties, allOf/anyOf/oneOf, not), never on `example` or `default` values.
fn visit_schemas(schema: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    if let Value::Object(node) = schema {
        f(node);
    }
    visit_children(schema, f);
}

/// typify names an inline schema after its `title`, and gives schemas with one title one type
/// (all 20 single enrichments' `data` became the bombora one). Where inline schemas of different
/// content share a title, the content most of them have keeps it (none does on a tie) and the
/// others lose it, so each is named after where it is
/// (`BusinessesEnrichResponseFirmographicsOutputSchemaData`). Arrays compare by their items:
/// lists of one id type with different lengths keep sharing the id type.
pub(crate) fn drop_shared_titles(document: &mut Value) {
    // For each title, each content in order of first appearance, with its count.
    let mut by_title: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
    for_each_inline(document, &mut |node| {
        if let Some((title, content)) = titled_content(node) {
            let contents = by_title.entry(title).or_default();
            match contents.iter_mut().find(|(c, _)| *c == content) {
                Some((_, count)) => *count += 1,
                None => contents.push((content, 1)),
            }
        }
    });
    // The content that keeps each shared title.
    let keeper: BTreeMap<String, Option<String>> = by_title
        .into_iter()
        .filter(|(_, contents)| contents.len() > 1)
        .map(|(title, contents)| {
            let most = contents.iter().map(|(_, n)| *n).max().unwrap_or(0);
            let mut commonest = contents.into_iter().filter(|(_, n)| *n == most);
            // No content is the commonest alone: none keeps the title.
            let kept = match (commonest.next(), commonest.next()) {
                (Some((content, _)), None) => Some(content),
                _ => None,
            };
            (title, kept)
        })
        .collect();
    for_each_inline(document, &mut |node| {
        if let Some((title, content)) = titled_content(node) {
            if keeper
                .get(&title)
                .is_some_and(|kept| kept.as_ref() != Some(&content))
            {
                node.shift_remove("title");
            }
        }
    });
}

/// A titled schema's title and what its named type is made of: for an array (a `Vec`,
/// unnamed), its items, which typify names after the array's title; else the schema less
/// its words.
fn titled_content(node: &Map<String, Value>) -> Option<(String, String)> {
    let title = node.get("title")?.as_str()?.to_string();
    let content = match node.get("items") {
        Some(items) if node.get("type") == Some(&Value::String("array".into())) => items.clone(),
        _ => {
            let mut content = node.clone();
            for word in ["title", "description", "example", "default"] {
                content.shift_remove(word);
            }
            Value::Object(content)
        }
    };
    Some((title, content.to_string()))
}

/// Calls `f` on every schema nested in a component schema or an operation, not on the
/// component schemas themselves (whose type is named after their component name).
fn for_each_inline(document: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for schema in schemas.values_mut() {
            visit_children(schema, f);
        }
    }
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        for (key, operation) in item.as_object_mut().into_iter().flatten() {
            if !crate::spec::is_method(key) {
                continue;
            }
            for pointer in ["/requestBody/content", "/responses"] {
                let Some(Value::Object(map)) = operation.pointer_mut(pointer) else {
                    continue;
                };
                for entry in map.values_mut() {
                    for schema in inline_roots(entry) {
                        visit_schemas(schema, f);
                    }
                }
            }
            if let Some(Value::Array(parameters)) = operation.get_mut("parameters") {
                for parameter in parameters {
                    if let Some(schema) = parameter.get_mut("schema") {
                        visit_schemas(schema, f);
                    }
                }
            }
        }
    }
}

/// The schemas of a media type (`{schema}`) or of a response (`{content: {..: {schema}}}`).
fn inline_roots(entry: &mut Value) -> Vec<&mut Value> {
    if entry.get("schema").is_some() {
        return entry.get_mut("schema").into_iter().collect();
    }
    entry
        .get_mut("content")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|content| content.values_mut())
        .filter_map(|media| media.get_mut("schema"))
        .collect()
}

/// [`visit_schemas`] on the schemas nested in `schema`, not on `schema` itself.
fn visit_children(schema: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    let Value::Object(node) = schema else { return };
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = node.get_mut(key) {
            visit_schemas(child, f);
        }
    }
    if let Some(Value::Object(properties)) = node.get_mut("properties") {
        properties.values_mut().for_each(|p| visit_schemas(p, f));
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(options)) = node.get_mut(key) {
            options.iter_mut().for_each(|o| visit_schemas(o, f));
        }
    }
}
