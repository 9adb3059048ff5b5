//! OpenAPI 3.0 schemas as JSON Schema validators, and their violations in FastAPI's shape.
//!
//! A validator is compiled from the operation's schema and only the components it reaches (not
//! the whole document's, which would be copied and compiled once per operation), as draft 4:
//! the JSON Schema OpenAPI 3.0 extends (boolean exclusive bounds, `$ref` siblings ignored).

use std::collections::BTreeSet;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{paths::LocationSegment, Draft, JsonType, Validator};
use serde_json::{json, Map, Value};

/// The root a validator is compiled from: `schema`, and the components it reaches, translated.
pub(super) fn rooted(schema: &Value, components: &Map<String, Value>) -> Value {
    let mut reached = BTreeSet::new();
    let mut pending = Vec::new();
    references(schema, &mut pending);
    while let Some(name) = pending.pop() {
        if reached.insert(name.clone()) {
            if let Some(component) = components.get(&name) {
                references(component, &mut pending);
            }
        }
    }
    let schemas: Map<String, Value> = reached
        .into_iter()
        .filter_map(|name| {
            let component = components.get(&name)?;
            Some((name, to_json_schema(component)))
        })
        .collect();
    json!({
        "allOf": [to_json_schema(schema)],
        "components": { "schemas": schemas },
    })
}

/// The component names `schema` refers to (`#/components/schemas/<name>`), anywhere in it.
fn references(schema: &Value, into: &mut Vec<String>) {
    match schema {
        Value::Object(object) => {
            for (key, value) in object {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => {
                        if let Some(name) = reference.strip_prefix("#/components/schemas/") {
                            into.push(name.to_string());
                        }
                    }
                    _ => references(value, into),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, into)),
        _ => {}
    }
}

/// A draft 4 validator for a root made by [`rooted`].
pub(super) fn compile(root: &Value) -> Result<Validator, String> {
    jsonschema::options()
        .with_draft(Draft::Draft4)
        .build(root)
        .map_err(|e| e.to_string())
}

/// One entry of a FastAPI-style 422 `detail` list.
pub(crate) fn detail(loc: Vec<Value>, msg: impl Into<String>, kind: &str) -> Value {
    json!({ "loc": loc, "msg": msg.into(), "type": kind })
}

/// Every violation of `value`, in FastAPI's shape, each `loc` starting with `at` (`["body"]`,
/// `["query", "field"]`).
pub(super) fn violations(validator: &Validator, value: &Value, at: &[Value]) -> Vec<Value> {
    validator
        .iter_errors(value)
        .flat_map(|error| to_details(&error, at))
        .collect()
}

/// Maps a schema violation to FastAPI's shape, with `loc` pointing at the offending field
/// (the extra or missing property itself, not the object holding it).
fn to_details(error: &jsonschema::ValidationError<'_>, at: &[Value]) -> Vec<Value> {
    let mut loc: Vec<Value> = at.to_vec();
    for segment in error.instance_path().iter() {
        match segment {
            LocationSegment::Property(name) => loc.push(Value::String(name.to_string())),
            LocationSegment::Index(index) => loc.push(index.into()),
        }
    }
    let at_field = |field: &str| {
        let mut loc = loc.clone();
        loc.push(field.into());
        loc
    };
    let one = |msg: String, kind: &str| vec![detail(loc.clone(), msg, kind)];
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|field| {
                detail(
                    at_field(field),
                    "Extra inputs are not permitted",
                    "extra_forbidden",
                )
            })
            .collect(),
        ValidationErrorKind::Required { property } => vec![detail(
            at_field(property.as_str().unwrap_or_default()),
            "Field required",
            "missing",
        )],
        // A nullable field (`anyOf [null, X]`) that is not null: what X says of it, as
        // pydantic reports an `Optional[X]`.
        ValidationErrorKind::AnyOf { context } if context.len() == 2 => {
            let nullable = context.iter().position(|branch| {
                branch.iter().any(|e| {
                    matches!(
                        e.kind(),
                        ValidationErrorKind::Type {
                            kind: TypeKind::Single(JsonType::Null)
                        }
                    )
                })
            });
            match nullable {
                Some(null) => context[1 - null]
                    .iter()
                    .flat_map(|e| to_details(e, at))
                    .collect(),
                None => one(error.to_string(), "value_error"),
            }
        }
        ValidationErrorKind::Pattern { pattern } => one(
            format!("String should match pattern '{pattern}'"),
            "string_pattern_mismatch",
        ),
        ValidationErrorKind::MinLength { limit } => one(
            format!("String should have at least {limit} characters"),
            "string_too_short",
        ),
        ValidationErrorKind::MaxLength { limit } => one(
            format!("String should have at most {limit} characters"),
            "string_too_long",
        ),
        ValidationErrorKind::MinItems { limit } => one(
            format!("List should have at least {limit} items"),
            "too_short",
        ),
        ValidationErrorKind::MaxItems { limit } => one(
            format!("List should have at most {limit} items"),
            "too_long",
        ),
        ValidationErrorKind::Minimum { limit } => one(
            format!("Input should be greater than or equal to {}", number(limit)),
            "greater_than_equal",
        ),
        ValidationErrorKind::Maximum { limit } => one(
            format!("Input should be less than or equal to {}", number(limit)),
            "less_than_equal",
        ),
        ValidationErrorKind::ExclusiveMinimum { limit } => one(
            format!("Input should be greater than {}", number(limit)),
            "greater_than",
        ),
        ValidationErrorKind::ExclusiveMaximum { limit } => one(
            format!("Input should be less than {}", number(limit)),
            "less_than",
        ),
        ValidationErrorKind::Enum { options } => {
            one(format!("Input should be one of {options}"), "enum")
        }
        ValidationErrorKind::Type { kind } => {
            // Pydantic names the one type it wanted; a nullable field's error names the
            // non-null type (`Optional[str]` answers `string_type`).
            let wanted = match kind {
                TypeKind::Single(wanted) => Some(*wanted),
                TypeKind::Multiple(set) => set.iter().find(|t| *t != JsonType::Null),
            };
            let at_root = loc.len() == 1;
            let (msg, kind) = match wanted {
                Some(JsonType::String) => ("Input should be a valid string", "string_type"),
                Some(JsonType::Array) => ("Input should be a valid list", "list_type"),
                Some(JsonType::Integer) => ("Input should be a valid integer", "int_type"),
                Some(JsonType::Number) => ("Input should be a valid number", "float_type"),
                Some(JsonType::Boolean) => ("Input should be a valid boolean", "bool_type"),
                // The body itself is a model, validated from attributes by FastAPI.
                Some(JsonType::Object) if at_root => (
                    "Input should be a valid dictionary or object to extract fields from",
                    "model_attributes_type",
                ),
                Some(JsonType::Object) => ("Input should be a valid dictionary", "dict_type"),
                Some(JsonType::Null) | None => ("Input should be None", "none_required"),
            };
            one(msg.to_string(), kind)
        }
        _ => one(error.to_string(), "value_error"),
    }
}

/// A limit as pydantic writes it: `60000`, not `60000.0`.
fn number(limit: &Value) -> String {
    match limit.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        _ => limit.to_string(),
    }
}

/// OpenAPI 3.0 schema -> JSON Schema: `nullable: true` becomes a `null` type (or enum value),
/// recursively through every keyword that holds schemas.
pub(super) fn to_json_schema(schema: &Value) -> Value {
    let Some(object) = schema.as_object() else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in object {
        let value = match key.as_str() {
            "properties" | "patternProperties" => Value::Object(
                value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), to_json_schema(v)))
                    .collect(),
            ),
            "items" | "additionalProperties" | "not" => to_json_schema(value),
            "allOf" | "anyOf" | "oneOf" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(to_json_schema)
                    .collect(),
            ),
            "nullable" | "example" => continue,
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    if object.get("nullable") != Some(&Value::Bool(true)) {
        return Value::Object(out);
    }
    if let Some(Value::Array(values)) = out.get_mut("enum") {
        values.push(Value::Null);
    }
    match out.get("type").cloned() {
        Some(Value::String(kind)) => {
            out.insert("type".into(), json!([kind, "null"]));
            Value::Object(out)
        }
        // No `type` to widen (a `$ref`, an `allOf`...): null or the schema.
        _ => json!({ "anyOf": [{ "type": "null" }, out] }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_becomes_a_null_type() {
        let converted =
            to_json_schema(&json!({"type": "object", "nullable": true, "example": null}));
        assert_eq!(converted, json!({"type": ["object", "null"]}));
        let converted = to_json_schema(&json!({"type": "string", "enum": ["a"], "nullable": true}));
        assert_eq!(
            converted,
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
        let converted = to_json_schema(&json!({"$ref": "#/x", "nullable": true}));
        assert_eq!(
            converted,
            json!({"anyOf": [{"type": "null"}, {"$ref": "#/x"}]})
        );
    }

    #[test]
    fn nullable_is_converted_inside_properties_and_items() {
        let converted = to_json_schema(&json!({
            "properties": {"a": {"type": "integer", "nullable": true}},
            "items": {"type": "string", "nullable": true},
        }));
        assert_eq!(
            converted["properties"]["a"]["type"],
            json!(["integer", "null"])
        );
        assert_eq!(converted["items"]["type"], json!(["string", "null"]));
    }

    #[test]
    fn a_root_holds_only_the_components_it_reaches() {
        let components: Map<String, Value> = serde_json::from_value(json!({
            "A": {"properties": {"b": {"$ref": "#/components/schemas/B"}}},
            "B": {"items": {"$ref": "#/components/schemas/C"}},
            "C": {"type": "string"},
            "Unused": {"type": "integer"},
        }))
        .unwrap();
        let root = rooted(&json!({"$ref": "#/components/schemas/A"}), &components);
        let names: Vec<&String> = root["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(names, ["A", "B", "C"]);
    }

    #[test]
    fn a_nullable_field_reports_what_its_type_says() {
        let components = Map::new();
        let schema = json!({"properties": {"f": {"nullable": true, "allOf": [
            {"properties": {"values": {"items": {"type": "string", "pattern": "^[a-z]+$"}}}}
        ]}}});
        let validator = compile(&rooted(&schema, &components)).unwrap();
        let details = violations(
            &validator,
            &json!({"f": {"values": ["US"]}}),
            &["body".into()],
        );
        assert_eq!(details[0]["loc"], json!(["body", "f", "values", 0]));
        assert_eq!(details[0]["type"], "string_pattern_mismatch");
    }
}
