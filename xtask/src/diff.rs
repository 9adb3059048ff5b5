//! What changed between two versions of one operation's document: its document-wide fields,
//! the operation itself, and each component schema, down to fields, types, enum values, limits
//! and required-ness; each change says whether users' code may break.
//!
//! Breaking, as this crate's users meet it (the generated types and methods): an operation,
//! field, parameter, response, option or enum value removed; a field or parameter that became
//! required (or was added required); a type, format or reference changed; a limit tightened
//! (`maxItems` lowered, `minLength` raised, a pattern added or changed, `nullable` or extra
//! properties no longer allowed). Additions of optional things, loosened limits and
//! documentation are not.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::extract::METHODS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    FieldAdded,
    FieldRemoved,
    BecameRequired,
    BecameOptional,
    TypeChanged,
    EnumValuesAdded,
    EnumValuesRemoved,
    LimitTightened,
    LimitLoosened,
    LimitChanged,
    OptionAdded,
    OptionRemoved,
    ParameterAdded,
    ParameterRemoved,
    RequestBodyAdded,
    RequestBodyRemoved,
    ResponseAdded,
    ResponseRemoved,
    Moved,
    Documentation,
    Other,
}

/// One change. `at` names the place: `Schema.field.sub[]` (`[]`: the items of a list, `.*`:
/// the values of a map), `parameter tenant (header)`, `request (application/json)`,
/// `response 200 (application/json)`, or a document field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Change {
    pub at: String,
    pub kind: Kind,
    pub detail: String,
    pub breaking: bool,
}

/// How a component schema differs between the two documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemaStatus {
    /// Reached only by the newer document.
    Added,
    /// Reached only by the older document.
    Removed,
    Changed,
}

/// Two versions of one operation's document, compared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocumentDiff {
    pub document: Vec<Change>,
    pub operation: Vec<Change>,
    pub schemas: Vec<(String, SchemaStatus, Vec<Change>)>,
}

impl DocumentDiff {
    pub fn is_empty(&self) -> bool {
        self.document.is_empty() && self.operation.is_empty() && self.schemas.is_empty()
    }
}

fn push(out: &mut Vec<Change>, at: &str, kind: Kind, detail: String, breaking: bool) {
    out.push(Change {
        at: at.to_string(),
        kind,
        detail,
        breaking,
    });
}

/// A value in a line: compact JSON, cut at 60 characters.
fn short(value: Option<&Value>) -> String {
    let Some(value) = value else {
        return "(none)".into();
    };
    let text = value.to_string();
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

/// Keys of both objects, those of `a` first, each once.
fn keys<'a>(a: &'a Map<String, Value>, b: &'a Map<String, Value>) -> Vec<&'a String> {
    let mut keys: Vec<&String> = a.keys().collect();
    keys.extend(b.keys().filter(|k| !a.contains_key(*k)));
    keys
}

fn object(value: Option<&Value>) -> Map<String, Value> {
    value
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// The one method and operation of a one-operation document.
fn the_operation(document: &Value) -> Option<(&str, &str, &Value)> {
    let (path, item) = document.get("paths")?.as_object()?.iter().next()?;
    let (method, operation) = item
        .as_object()?
        .iter()
        .find(|(m, _)| METHODS.contains(&m.as_str()))?;
    Some((method, path, operation))
}

/// Compares two one-operation documents.
pub fn documents(old: &Value, new: &Value) -> DocumentDiff {
    let mut diff = DocumentDiff::default();
    let empty = Map::new();
    let (o, n) = (
        old.as_object().unwrap_or(&empty),
        new.as_object().unwrap_or(&empty),
    );
    for key in keys(o, n) {
        let (a, b) = (o.get(key), n.get(key));
        if a == b || key == "paths" || key == "components" {
            continue;
        }
        if key == "info" {
            let (ai, bi) = (object(a), object(b));
            for field in keys(&ai, &bi) {
                if ai.get(field) != bi.get(field) {
                    let detail = format!("{} -> {}", short(ai.get(field)), short(bi.get(field)));
                    push(
                        &mut diff.document,
                        &format!("info.{field}"),
                        Kind::Other,
                        detail,
                        false,
                    );
                }
            }
        } else {
            let detail = format!("{} -> {}", short(a), short(b));
            push(&mut diff.document, key, Kind::Other, detail, false);
        }
    }
    let (oc, nc) = (object(o.get("components")), object(n.get("components")));
    for section in keys(&oc, &nc) {
        if section != "schemas" && oc.get(section) != nc.get(section) {
            let detail = format!("`components.{section}` changed");
            push(
                &mut diff.document,
                &format!("components.{section}"),
                Kind::Other,
                detail,
                false,
            );
        }
    }
    match (the_operation(old), the_operation(new)) {
        (Some((om, op, oo)), Some((nm, np, no))) => {
            if (om, op) != (nm, np) {
                let detail = format!(
                    "moved from {} {op} to {} {np}",
                    om.to_uppercase(),
                    nm.to_uppercase()
                );
                push(&mut diff.operation, "operation", Kind::Moved, detail, false);
            }
            operation(oo, no, &mut diff.operation);
        }
        (a, b) if a.is_some() != b.is_some() => {
            push(
                &mut diff.operation,
                "operation",
                Kind::Other,
                "operation missing".into(),
                true,
            );
        }
        _ => {}
    }
    let (os, ns) = (object(oc.get("schemas")), object(nc.get("schemas")));
    for name in keys(&ns, &os) {
        match (os.get(name), ns.get(name)) {
            (Some(a), Some(b)) if a != b => {
                let mut changes = Vec::new();
                schema(a, b, name, &mut changes);
                diff.schemas
                    .push((name.clone(), SchemaStatus::Changed, changes));
            }
            (None, Some(_)) => diff
                .schemas
                .push((name.clone(), SchemaStatus::Added, Vec::new())),
            (Some(_), None) => diff
                .schemas
                .push((name.clone(), SchemaStatus::Removed, Vec::new())),
            _ => {}
        }
    }
    diff
}

/// An operation object: parameters, request body, responses, the rest.
pub fn operation(old: &Value, new: &Value, out: &mut Vec<Change>) {
    let (o, n) = (object(Some(old)), object(Some(new)));
    for key in keys(&o, &n) {
        let (a, b) = (o.get(key), n.get(key));
        if a == b {
            continue;
        }
        match key.as_str() {
            "parameters" => parameters(a, b, out),
            "requestBody" => request_body(a, b, out),
            "responses" => responses(a, b, out),
            "summary" | "description" | "tags" | "externalDocs" => push(
                out,
                "operation",
                Kind::Documentation,
                format!("`{key}` changed"),
                false,
            ),
            _ => push(
                out,
                "operation",
                Kind::Other,
                format!("`{key}`: {} -> {}", short(a), short(b)),
                false,
            ),
        }
    }
}

fn parameters(old: Option<&Value>, new: Option<&Value>, out: &mut Vec<Change>) {
    let list = |v: Option<&Value>| -> Vec<(String, Value)> {
        let items = v.and_then(Value::as_array).cloned().unwrap_or_default();
        items
            .into_iter()
            .map(|p| {
                let name = match (
                    p.get("name").and_then(Value::as_str),
                    p.get("in").and_then(Value::as_str),
                ) {
                    (Some(name), Some(place)) => format!("parameter {name} ({place})"),
                    _ => format!("parameter {}", short(p.get("$ref"))),
                };
                (name, p)
            })
            .collect()
    };
    let (a, b) = (list(old), list(new));
    let required = |p: &Value| p.get("required").and_then(Value::as_bool) == Some(true);
    for (at, p) in &b {
        if !a.iter().any(|(k, _)| k == at) {
            let detail = if required(p) { "required" } else { "optional" };
            push(
                out,
                at,
                Kind::ParameterAdded,
                format!("added ({detail})"),
                required(p),
            );
        }
    }
    for (at, p) in &a {
        let Some((_, q)) = b.iter().find(|(k, _)| k == at) else {
            push(out, at, Kind::ParameterRemoved, "removed".into(), true);
            continue;
        };
        if p == q {
            continue;
        }
        required_flag(p, q, at, out);
        if p.get("schema") != q.get("schema") {
            let empty = Value::Object(Map::new());
            schema(
                p.get("schema").unwrap_or(&empty),
                q.get("schema").unwrap_or(&empty),
                at,
                out,
            );
        }
        others(p, q, at, &["required", "schema", "name", "in"], out);
    }
}

fn required_flag(p: &Value, q: &Value, at: &str, out: &mut Vec<Change>) {
    let required = |v: &Value| v.get("required").and_then(Value::as_bool) == Some(true);
    match (required(p), required(q)) {
        (false, true) => push(out, at, Kind::BecameRequired, "now required".into(), true),
        (true, false) => push(out, at, Kind::BecameOptional, "now optional".into(), false),
        _ => {}
    }
}

/// The keys of two objects not in `handled`: documentation, or other changes.
fn others(p: &Value, q: &Value, at: &str, handled: &[&str], out: &mut Vec<Change>) {
    let (o, n) = (object(Some(p)), object(Some(q)));
    for key in keys(&o, &n) {
        if handled.contains(&key.as_str()) || o.get(key) == n.get(key) {
            continue;
        }
        if matches!(
            key.as_str(),
            "description" | "title" | "example" | "examples" | "summary"
        ) {
            push(
                out,
                at,
                Kind::Documentation,
                format!("`{key}` changed"),
                false,
            );
        } else {
            let detail = format!("`{key}`: {} -> {}", short(o.get(key)), short(n.get(key)));
            push(out, at, Kind::Other, detail, false);
        }
    }
}

fn request_body(old: Option<&Value>, new: Option<&Value>, out: &mut Vec<Change>) {
    let at = "request";
    let required = |v: &Value| v.get("required").and_then(Value::as_bool) == Some(true);
    match (old, new) {
        (None, Some(b)) => push(
            out,
            at,
            Kind::RequestBodyAdded,
            "a request body is added".into(),
            required(b),
        ),
        (Some(_), None) => push(
            out,
            at,
            Kind::RequestBodyRemoved,
            "the request body is removed".into(),
            true,
        ),
        (Some(a), Some(b)) => {
            required_flag(a, b, at, out);
            content(a.get("content"), b.get("content"), at, out);
            others(a, b, at, &["required", "content"], out);
        }
        (None, None) => {}
    }
}

fn responses(old: Option<&Value>, new: Option<&Value>, out: &mut Vec<Change>) {
    let (o, n) = (object(old), object(new));
    for code in keys(&o, &n) {
        let at = format!("response {code}");
        match (o.get(code), n.get(code)) {
            (None, Some(_)) => push(out, &at, Kind::ResponseAdded, "added".into(), false),
            (Some(_), None) => push(out, &at, Kind::ResponseRemoved, "removed".into(), true),
            (Some(a), Some(b)) if a != b => {
                content(a.get("content"), b.get("content"), &at, out);
                others(a, b, &at, &["content"], out);
            }
            _ => {}
        }
    }
}

/// A `content` map: media types added or removed, and each one's schema.
fn content(old: Option<&Value>, new: Option<&Value>, at: &str, out: &mut Vec<Change>) {
    let (o, n) = (object(old), object(new));
    for media in keys(&o, &n) {
        let here = format!("{at} ({media})");
        match (o.get(media), n.get(media)) {
            (None, Some(_)) => push(
                out,
                &here,
                Kind::OptionAdded,
                "media type added".into(),
                false,
            ),
            (Some(_), None) => push(
                out,
                &here,
                Kind::OptionRemoved,
                "media type removed".into(),
                true,
            ),
            (Some(a), Some(b)) if a != b => {
                let empty = Value::Object(Map::new());
                schema(
                    a.get("schema").unwrap_or(&empty),
                    b.get("schema").unwrap_or(&empty),
                    &here,
                    out,
                );
                others(a, b, &here, &["schema"], out);
            }
            _ => {}
        }
    }
}

const UPPER: [&str; 5] = [
    "maxItems",
    "maxLength",
    "maximum",
    "maxProperties",
    "exclusiveMaximum",
];
const LOWER: [&str; 5] = [
    "minItems",
    "minLength",
    "minimum",
    "minProperties",
    "exclusiveMinimum",
];

/// A schema (or any value standing for one), recursively.
pub fn schema(old: &Value, new: &Value, at: &str, out: &mut Vec<Change>) {
    if old == new {
        return;
    }
    let (Some(o), Some(n)) = (old.as_object(), new.as_object()) else {
        let detail = format!("{} -> {}", short(Some(old)), short(Some(new)));
        return push(out, at, Kind::TypeChanged, detail, true);
    };
    for key in keys(o, n) {
        let (a, b) = (o.get(key), n.get(key));
        if a == b {
            continue;
        }
        let k = key.as_str();
        match k {
            "properties" => properties(o, n, at, out),
            "required" => required(o, n, at, out),
            "$ref" => {
                let name = |v: &Value| {
                    v.as_str()
                        .unwrap_or_default()
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_string()
                };
                let detail = match (a, b) {
                    (Some(a), Some(b)) => {
                        format!("refers to `{}` instead of `{}`", name(b), name(a))
                    }
                    (None, Some(b)) => format!("now refers to `{}`", name(b)),
                    (Some(a), _) => format!("no longer refers to `{}`", name(a)),
                    (None, None) => continue,
                };
                push(out, at, Kind::TypeChanged, detail, true);
            }
            "type" | "format" | "const" => push(
                out,
                at,
                Kind::TypeChanged,
                format!("`{k}` {} -> {}", short(a), short(b)),
                true,
            ),
            "enum" => enumeration(a, b, at, out),
            "items" => match (a, b) {
                (Some(a), Some(b)) => schema(a, b, &format!("{at}[]"), out),
                _ => push(
                    out,
                    at,
                    Kind::TypeChanged,
                    format!("`items` {} -> {}", short(a), short(b)),
                    true,
                ),
            },
            "additionalProperties" => additional(a, b, at, out),
            "not" => match (a, b) {
                (Some(a), Some(b)) => schema(a, b, &format!("{at}.not"), out),
                _ => push(
                    out,
                    at,
                    Kind::TypeChanged,
                    format!("`not` {} -> {}", short(a), short(b)),
                    true,
                ),
            },
            "anyOf" | "oneOf" | "allOf" => options(k, a, b, at, out),
            "pattern" => {
                let (kind, detail) = match (a, b) {
                    (None, Some(b)) => (
                        Kind::LimitTightened,
                        format!("pattern {} added", short(Some(b))),
                    ),
                    (Some(a), None) => (
                        Kind::LimitLoosened,
                        format!("pattern {} removed", short(Some(a))),
                    ),
                    _ => (
                        Kind::LimitChanged,
                        format!("pattern {} -> {}", short(a), short(b)),
                    ),
                };
                push(out, at, kind, detail, kind != Kind::LimitLoosened);
            }
            "uniqueItems" | "nullable" => {
                let on = |v: Option<&Value>| v.and_then(Value::as_bool) == Some(true);
                // Unique items on: tighter. Nullable off: tighter.
                let tighter = if k == "uniqueItems" { on(b) } else { on(a) };
                let (kind, detail) = match (k, on(b)) {
                    ("uniqueItems", true) => (Kind::LimitTightened, "items must now be unique"),
                    ("uniqueItems", false) => {
                        (Kind::LimitLoosened, "items need no longer be unique")
                    }
                    (_, true) => (Kind::LimitLoosened, "now nullable"),
                    (_, false) => (Kind::LimitTightened, "no longer nullable"),
                };
                push(out, at, kind, detail.into(), tighter);
            }
            "multipleOf" => push(
                out,
                at,
                Kind::LimitChanged,
                format!("`multipleOf` {} -> {}", short(a), short(b)),
                true,
            ),
            _ if UPPER.contains(&k) || LOWER.contains(&k) => limit(k, a, b, at, out),
            "title" | "description" | "example" | "examples" | "externalDocs" => push(
                out,
                at,
                Kind::Documentation,
                format!("`{k}` changed"),
                false,
            ),
            _ => push(
                out,
                at,
                Kind::Other,
                format!("`{k}` {} -> {}", short(a), short(b)),
                false,
            ),
        }
    }
}

fn required_set(o: &Map<String, Value>) -> Vec<String> {
    o.get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn properties(o: &Map<String, Value>, n: &Map<String, Value>, at: &str, out: &mut Vec<Change>) {
    let (a, b) = (object(o.get("properties")), object(n.get("properties")));
    let new_required = required_set(n);
    for field in keys(&a, &b) {
        let here = format!("{at}.{field}");
        match (a.get(field), b.get(field)) {
            (None, Some(_)) => {
                let required = new_required.contains(field);
                let detail = if required {
                    "added (required)"
                } else {
                    "added (optional)"
                };
                push(out, &here, Kind::FieldAdded, detail.into(), required);
            }
            (Some(_), None) => push(out, &here, Kind::FieldRemoved, "removed".into(), true),
            (Some(x), Some(y)) => schema(x, y, &here, out),
            (None, None) => {}
        }
    }
}

/// Required-ness of fields that are in both versions (an added or removed field says its own).
fn required(o: &Map<String, Value>, n: &Map<String, Value>, at: &str, out: &mut Vec<Change>) {
    let (a, b) = (required_set(o), required_set(n));
    let (ap, bp) = (object(o.get("properties")), object(n.get("properties")));
    // In both versions (or in neither, for a `required` without `properties`).
    let kept = |f: &String| ap.contains_key(f) == bp.contains_key(f);
    for field in b.iter().filter(|f| !a.contains(f) && kept(f)) {
        push(
            out,
            &format!("{at}.{field}"),
            Kind::BecameRequired,
            "now required".into(),
            true,
        );
    }
    for field in a.iter().filter(|f| !b.contains(f) && kept(f)) {
        push(
            out,
            &format!("{at}.{field}"),
            Kind::BecameOptional,
            "now optional".into(),
            false,
        );
    }
}

fn enumeration(a: Option<&Value>, b: Option<&Value>, at: &str, out: &mut Vec<Change>) {
    let values = |v: Option<&Value>| v.and_then(Value::as_array).cloned();
    // At most 20 values in a line; the JSON report's `detail` is the same line.
    let list = |values: &[&Value]| {
        let mut text = values
            .iter()
            .take(20)
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        if values.len() > 20 {
            text.push_str(&format!(" and {} more", values.len() - 20));
        }
        text
    };
    match (values(a), values(b)) {
        (Some(a), Some(b)) => {
            let removed: Vec<&Value> = a.iter().filter(|v| !b.contains(v)).collect();
            let added: Vec<&Value> = b.iter().filter(|v| !a.contains(v)).collect();
            if !removed.is_empty() {
                push(
                    out,
                    at,
                    Kind::EnumValuesRemoved,
                    format!("enum values removed: {}", list(&removed)),
                    true,
                );
            }
            if !added.is_empty() {
                push(
                    out,
                    at,
                    Kind::EnumValuesAdded,
                    format!("enum values added: {}", list(&added)),
                    false,
                );
            }
            if removed.is_empty() && added.is_empty() {
                push(out, at, Kind::Other, "enum values reordered".into(), false);
            }
        }
        (None, Some(b)) => push(
            out,
            at,
            Kind::LimitTightened,
            format!("now limited to {} enum values", b.len()),
            true,
        ),
        (Some(a), None) => push(
            out,
            at,
            Kind::LimitLoosened,
            format!("no longer limited to {} enum values", a.len()),
            false,
        ),
        (None, None) => push(
            out,
            at,
            Kind::Other,
            format!("`enum` {} -> {}", short(a), short(b)),
            false,
        ),
    }
}

fn limit(key: &str, a: Option<&Value>, b: Option<&Value>, at: &str, out: &mut Vec<Change>) {
    let upper = UPPER.contains(&key);
    let (x, y) = (a.and_then(Value::as_f64), b.and_then(Value::as_f64));
    let tighter = match (x, y) {
        (None, Some(_)) => true,
        (Some(_), None) => false,
        (Some(x), Some(y)) => {
            if upper {
                y < x
            } else {
                y > x
            }
        }
        // OpenAPI 3.0's boolean exclusiveMaximum / exclusiveMinimum.
        (None, None) => b.and_then(Value::as_bool) == Some(true),
    };
    let kind = if tighter {
        Kind::LimitTightened
    } else {
        Kind::LimitLoosened
    };
    push(
        out,
        at,
        kind,
        format!(
            "`{key}` {} -> {} ({})",
            short(a),
            short(b),
            if tighter { "tightened" } else { "loosened" }
        ),
        tighter,
    );
}

fn additional(a: Option<&Value>, b: Option<&Value>, at: &str, out: &mut Vec<Change>) {
    let allows = |v: Option<&Value>| v.and_then(Value::as_bool) != Some(false);
    match (a, b) {
        (Some(x), Some(y)) if x.is_object() && y.is_object() => {
            schema(x, y, &format!("{at}.*"), out)
        }
        _ if allows(a) && !allows(b) => push(
            out,
            at,
            Kind::LimitTightened,
            "other properties no longer allowed".into(),
            true,
        ),
        _ if !allows(a) && allows(b) => push(
            out,
            at,
            Kind::LimitLoosened,
            "other properties now allowed".into(),
            false,
        ),
        _ => push(
            out,
            at,
            Kind::TypeChanged,
            format!("`additionalProperties` {} -> {}", short(a), short(b)),
            true,
        ),
    }
}

/// `anyOf` / `oneOf` / `allOf`: options in both are matched as equal, the others compared in
/// order; options left over are added or removed.
fn options(key: &str, a: Option<&Value>, b: Option<&Value>, at: &str, out: &mut Vec<Change>) {
    let (Some(a), Some(b)) = (a.and_then(Value::as_array), b.and_then(Value::as_array)) else {
        return push(
            out,
            at,
            Kind::TypeChanged,
            format!("`{key}` {} -> {}", short(a), short(b)),
            true,
        );
    };
    let gone: Vec<&Value> = a.iter().filter(|v| !b.contains(v)).collect();
    let new: Vec<(usize, &Value)> = b
        .iter()
        .enumerate()
        .filter(|(_, v)| !a.contains(v))
        .collect();
    for (x, (index, y)) in gone.iter().zip(&new) {
        schema(x, y, &format!("{at}.{key}[{index}]"), out);
    }
    // An extra `allOf` part tightens; an extra `anyOf` / `oneOf` option loosens.
    let all = key == "allOf";
    for (index, _) in new.iter().skip(gone.len()) {
        push(
            out,
            &format!("{at}.{key}[{index}]"),
            Kind::OptionAdded,
            format!("`{key}` option added"),
            all,
        );
    }
    for _ in gone.iter().skip(new.len()) {
        push(
            out,
            at,
            Kind::OptionRemoved,
            format!("a `{key}` option removed"),
            !all,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(old: Value, new: Value) -> Vec<(String, Kind, bool)> {
        let mut out = Vec::new();
        schema(&old, &new, "S", &mut out);
        out.into_iter()
            .map(|c| (c.at, c.kind, c.breaking))
            .collect()
    }

    #[test]
    fn fields_and_required_ness() {
        let old =
            json!({"type": "object", "required": ["a"], "properties": {"a": {}, "b": {}, "c": {}}});
        let new = json!({"type": "object", "required": ["b", "d"], "properties": {"b": {}, "c": {}, "d": {}, "e": {}}});
        assert_eq!(
            changes(old, new),
            // In the documents' key order: `required` comes first here.
            [
                ("S.b".into(), Kind::BecameRequired, true),
                ("S.a".into(), Kind::FieldRemoved, true),
                ("S.d".into(), Kind::FieldAdded, true),
                ("S.e".into(), Kind::FieldAdded, false),
            ]
        );
    }

    #[test]
    fn enums_limits_types_and_references() {
        let old = json!({"properties": {"x": {"type": "array", "maxItems": 50, "items": {"enum": ["a", "b"]}},
            "y": {"$ref": "#/components/schemas/A"}, "z": {"type": "string", "pattern": "^a$", "minLength": 2}}});
        let new = json!({"properties": {"x": {"type": "array", "maxItems": 20, "items": {"enum": ["a", "c"]}},
            "y": {"$ref": "#/components/schemas/B"}, "z": {"type": "integer", "minLength": 1}}});
        assert_eq!(
            changes(old, new),
            [
                ("S.x".into(), Kind::LimitTightened, true),
                ("S.x[]".into(), Kind::EnumValuesRemoved, true),
                ("S.x[]".into(), Kind::EnumValuesAdded, false),
                ("S.y".into(), Kind::TypeChanged, true),
                ("S.z".into(), Kind::TypeChanged, true),
                ("S.z".into(), Kind::LimitLoosened, false),
                ("S.z".into(), Kind::LimitLoosened, false),
            ]
        );
    }

    #[test]
    fn options_are_matched_before_they_are_compared() {
        let old = json!({"anyOf": [{"type": "string"}, {"type": "null"}], "description": "x"});
        let new = json!({"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}], "description": "y"});
        assert_eq!(
            changes(old, new),
            [
                ("S.anyOf[0]".into(), Kind::OptionAdded, false),
                ("S".into(), Kind::Documentation, false),
            ]
        );
    }

    #[test]
    fn operations_parameters_bodies_responses() {
        let old = json!({"parameters": [{"name": "tenant", "in": "header", "required": false}],
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}},
            "responses": {"200": {"description": "ok"}, "422": {"description": "bad"}}});
        let new = json!({"parameters": [{"name": "q", "in": "query", "required": true}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}},
            "responses": {"200": {"description": "fine"}}});
        let mut out = Vec::new();
        operation(&old, &new, &mut out);
        let found: Vec<(&str, Kind, bool)> = out
            .iter()
            .map(|c| (c.at.as_str(), c.kind, c.breaking))
            .collect();
        assert_eq!(
            found,
            [
                ("parameter q (query)", Kind::ParameterAdded, true),
                ("parameter tenant (header)", Kind::ParameterRemoved, true),
                ("request", Kind::BecameRequired, true),
                ("response 200", Kind::Documentation, false),
                ("response 422", Kind::ResponseRemoved, true),
            ]
        );
    }
}
