//! `explorium::search::{BusinessFilters, ProspectFilters}`, derived from the document
//! progenitor generates from: one setter per filter the search request's `filters` object
//! defines (`POST /v1/businesses`, `POST /v1/prospects`), its kind read from the filter's
//! schema. A filter a new document adds becomes a new setter with no edit.
//!
//! The kinds: a list of values (`values`, required; `negate`): `name(values)` and
//! `not_name(values)`, with a `name_flag(bool)` for each other optional boolean; a yes/no
//! (`value`, required): `name(bool)`; a range of integers (`gte`, `lte`): `name(range)` and
//! `not_name(range)`; any other shape: `name(filter)`, taking the generated type. The values
//! are checked against the generated (strict) filters type when the search is sent.

// Each includer (build.rs, the tests) uses a different subset of these items.
#![allow(dead_code)]

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::view::{typify_name, SCHEMA_REF};

/// What a filter's setter takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A list of strings, with the optional booleans besides `negate`.
    Values { flags: Vec<String> },
    /// One boolean.
    Exists,
    /// A range of integers.
    Range,
    /// The generated type of that name.
    Typed(String),
}

/// One filter of an entity's search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    /// The schema's title and description, for the setter's documentation.
    pub(crate) doc: String,
    /// The values a list takes, when they are an enum.
    pub(crate) allowed: Vec<String>,
}

fn schemas(document: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    document["components"]["schemas"]
        .as_object()
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// `schema` itself, or the component its `$ref` (or its one `allOf` member) names, and that
/// component's name.
fn resolve<'a>(document: &'a Value, schema: &'a Value) -> (Option<&'a str>, &'a Value) {
    let reference = schema.get("$ref").or_else(|| match schema.get("allOf") {
        Some(Value::Array(all)) if all.len() == 1 => all[0].get("$ref"),
        _ => None,
    });
    match reference
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix(SCHEMA_REF))
    {
        Some(name) => match schemas(document).get(name) {
            Some(found) => (Some(name), found),
            None => (None, schema),
        },
        None => (None, schema),
    }
}

fn type_of<'a>(document: &'a Value, schema: &'a Value) -> Option<&'a str> {
    resolve(document, schema)
        .1
        .get("type")
        .and_then(Value::as_str)
}

/// The filters of the search at `path` (`/v1/businesses`), in the document's order.
pub(crate) fn find(document: &Value, path: &str) -> Result<Vec<Filter>, String> {
    let Some(operation) = document["paths"].get(path).and_then(|p| p.get("post")) else {
        return Ok(Vec::new());
    };
    let request = operation
        .pointer("/requestBody/content/application~1json/schema")
        .ok_or_else(|| format!("POST {path} has no JSON request body"))?;
    let (_, request) = resolve(document, request);
    let filters = request
        .pointer("/properties/filters")
        .ok_or_else(|| format!("POST {path}'s request has no `filters`"))?;
    // `filters` may be nullable: the object is the one member that is not `null`.
    let filters = match filters.get("anyOf") {
        Some(Value::Array(any)) => any
            .iter()
            .find(|s| s.get("type").and_then(Value::as_str) != Some("null"))
            .unwrap_or(filters),
        _ => filters,
    };
    let (_, filters) = resolve(document, filters);
    let Some(properties) = filters.get("properties").and_then(Value::as_object) else {
        return Err(format!("POST {path}'s `filters` has no properties"));
    };
    let mut out = Vec::new();
    for (name, schema) in properties {
        if !snake_case(name) {
            return Err(format!(
                "POST {path}: filter `{name}` is not a snake_case name a setter can take"
            ));
        }
        let (component, target) = resolve(document, schema);
        let props = target
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let required: Vec<&str> = target
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let is = |field: &str, ty: &str| {
            props
                .get(field)
                .is_some_and(|s| type_of(document, s) == Some(ty))
        };
        let others: Vec<&String> = props
            .keys()
            .filter(|k| !matches!(k.as_str(), "values" | "negate" | "value" | "gte" | "lte"))
            .collect();
        let mut allowed = Vec::new();
        let kind = if is("values", "array")
            && required == ["values"]
            && others.iter().all(|k| is(k, "boolean"))
            && props["values"]
                .get("items")
                .is_some_and(|items| type_of(document, items) == Some("string"))
        {
            let (_, items) = resolve(document, &props["values"]["items"]);
            if let Some(Value::Array(values)) = items.get("enum") {
                allowed = values
                    .iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect();
            }
            Kind::Values {
                flags: others.iter().map(|k| k.to_string()).collect(),
            }
        } else if is("value", "boolean") && required == ["value"] && others.is_empty() {
            Kind::Exists
        } else if !props.is_empty()
            && props
                .keys()
                .all(|k| matches!(k.as_str(), "gte" | "lte" | "negate"))
            && is("gte", "integer")
            && is("lte", "integer")
            && required.is_empty()
        {
            Kind::Range
        } else {
            let Some(component) = component else {
                return Err(format!(
                    "POST {path}: filter `{name}` is of no kind a setter knows and not a \
                     component schema a setter could take"
                ));
            };
            // Request schemas keep their names (no `…Received` copy).
            Kind::Typed(typify_name(component))
        };
        let text = |s: &Value, field: &str| {
            s.get(field)
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_default()
        };
        let mut doc = text(schema, "title");
        let description = match text(schema, "description") {
            d if d.is_empty() => text(target, "description"),
            d => d,
        };
        if !description.is_empty() {
            if !doc.is_empty() {
                doc.push_str(": ");
            }
            doc.push_str(&description);
        }
        out.push(Filter {
            name: name.clone(),
            kind,
            doc,
            allowed,
        });
    }
    check_names(path, &out)?;
    Ok(out)
}

/// Whether `name` can be (part of) a setter's name.
fn snake_case(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && !matches!(
            name,
            "as" | "async"
                | "await"
                | "box"
                | "break"
                | "const"
                | "continue"
                | "crate"
                | "dyn"
                | "else"
                | "enum"
                | "extern"
                | "false"
                | "fn"
                | "for"
                | "if"
                | "impl"
                | "in"
                | "let"
                | "loop"
                | "match"
                | "mod"
                | "move"
                | "mut"
                | "pub"
                | "ref"
                | "return"
                | "self"
                | "static"
                | "struct"
                | "super"
                | "trait"
                | "true"
                | "type"
                | "unsafe"
                | "use"
                | "where"
                | "while"
                | "yield"
                | "new"
        )
}

/// The setters `filters` make, each once, or the first name two of them would share.
fn check_names(path: &str, filters: &[Filter]) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for filter in filters {
        let mut names = vec![filter.name.clone()];
        match &filter.kind {
            Kind::Values { flags } => {
                names.push(format!("not_{}", filter.name));
                for flag in flags {
                    if !snake_case(flag) {
                        return Err(format!(
                            "POST {path}: filter `{}` has a flag `{flag}` a setter cannot be named after",
                            filter.name
                        ));
                    }
                    names.push(format!("{}_{flag}", filter.name));
                }
            }
            Kind::Range => names.push(format!("not_{}", filter.name)),
            Kind::Exists | Kind::Typed(_) => {}
        }
        for name in names {
            if !seen.insert(name.clone()) {
                return Err(format!(
                    "POST {path}: two filters would both have a setter `{name}`"
                ));
            }
        }
    }
    Ok(())
}

/// Checks that every generated type a filter names is in `code` (progenitor's output).
pub(crate) fn check(filters: &[Filter], code: &str) -> Result<(), String> {
    for filter in filters {
        if let Kind::Typed(name) = &filter.kind {
            if !code.contains(&format!("pub struct {name} "))
                && !code.contains(&format!("pub enum {name} "))
            {
                return Err(format!(
                    "filter `{}`: the generated code has no type `{name}`",
                    filter.name
                ));
            }
        }
    }
    Ok(())
}

/// Text from the document made fit for a doc comment: one line, no markdown links or HTML
/// that rustdoc would read as such.
fn doc_text(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('\\', "\\\\")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The Rust source of one entity's filters builder: `type_name` (`BusinessFilters`) for the
/// handle `handle` (`Businesses`).
pub(crate) fn render(type_name: &str, handle: &str, plural: &str, filters: &[Filter]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        r#"
/// The filters of a {plural} search or count, one setter per filter the documents define:
/// pass it to [`Search::filters`](crate::search::Search::filters) or
/// [`Stats::filters`](crate::search::Stats::filters). Each value is checked against the
/// filter's enum or pattern when the request is sent: a value that breaks one is an
/// [`InvalidRequest`](crate::ErrorKind::InvalidRequest) error naming the filter, the value's
/// index and the rule, and nothing is sent. A setter called again replaces the filter.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct {type_name} {{
    set: crate::search::filters::FilterSet,
}}

impl {type_name} {{
    /// No filter: everything.
    pub fn new() -> Self {{
        Self::default()
    }}
"#
    );
    for filter in filters {
        let name = &filter.name;
        let mut doc = format!("    /// `{name}`");
        if !filter.doc.is_empty() {
            let _ = write!(doc, ": {}", doc_text(&filter.doc));
        }
        if !filter.allowed.is_empty() {
            let shown: Vec<String> = filter
                .allowed
                .iter()
                .map(|v| format!("`{}`", doc_text(v).replace('`', "'")))
                .collect();
            let _ = write!(doc, "\n    ///\n    /// One of: {}.", shown.join(", "));
        }
        match &filter.kind {
            Kind::Values { flags } => {
                let _ = write!(
                    out,
                    r#"
{doc}
    pub fn {name}<I>(self, values: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {{
        Self {{ set: self.set.values("{name}", values, false) }}
    }}

    /// `{name}`, negated: what has none of `values`.
    pub fn not_{name}<I>(self, values: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {{
        Self {{ set: self.set.values("{name}", values, true) }}
    }}
"#
                );
                for flag in flags {
                    let _ = write!(
                        out,
                        r#"
    /// `{name}`'s `{flag}`.
    pub fn {name}_{flag}(self, {flag}: bool) -> Self {{
        Self {{ set: self.set.flag("{name}", "{flag}", {flag}) }}
    }}
"#
                    );
                }
            }
            Kind::Exists => {
                let _ = write!(
                    out,
                    r#"
{doc}
    pub fn {name}(self, value: bool) -> Self {{
        Self {{ set: self.set.exists("{name}", value) }}
    }}
"#
                );
            }
            Kind::Range => {
                let _ = write!(
                    out,
                    r#"
{doc}
    ///
    /// A range of integers: `12..=60`, `6..`, `..24`.
    pub fn {name}(self, range: impl ::std::ops::RangeBounds<i64>) -> Self {{
        Self {{ set: self.set.range("{name}", &range, false) }}
    }}

    /// `{name}`, negated: what is outside `range`.
    pub fn not_{name}(self, range: impl ::std::ops::RangeBounds<i64>) -> Self {{
        Self {{ set: self.set.range("{name}", &range, true) }}
    }}
"#
                );
            }
            Kind::Typed(ty) => {
                let _ = write!(
                    out,
                    r#"
{doc}
    ///
    /// The generated type: [`{ty}`](crate::generated::types::{ty}).
    pub fn {name}(self, filter: crate::generated::types::{ty}) -> Self {{
        Self {{ set: self.set.typed("{name}", &filter) }}
    }}
"#
                );
            }
        }
    }
    let _ = write!(
        out,
        r#"}}

impl crate::search::filters::Sealed for {type_name} {{}}

impl crate::search::IntoFilters<crate::client::{handle}> for {type_name} {{
    fn into_filters(self) -> Result<::serde_json::Value, crate::search::filters::Refused> {{
        self.set.checked::<<crate::client::{handle} as crate::search::Searched>::Filters>()
    }}
}}
"#
    );
    out
}

/// The module's source (both entities' builders) from `document`, checked against `code`.
pub(crate) fn generate(document: &Value, code: &str) -> Result<String, String> {
    let mut out = String::from(
        "// Written by build/filters.rs from the generator's view of the merged document. Never \
         edited by hand.\n",
    );
    for (path, type_name, handle, plural) in [
        (
            "/v1/businesses",
            "BusinessFilters",
            "Businesses",
            "businesses",
        ),
        ("/v1/prospects", "ProspectFilters", "Prospects", "prospects"),
    ] {
        let filters = find(document, path)?;
        check(&filters, code)?;
        out.push_str(&render(type_name, handle, plural, &filters));
    }
    Ok(out)
}
