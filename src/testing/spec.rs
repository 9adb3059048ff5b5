//! The merged OpenAPI document, read as the judge: routes, request-body validators, and what
//! the server does for each operation.
//!
//! Built from the document `build.rs` writes (`OUT_DIR/explorium.json`), never from the
//! generated Rust types, so a generator or wrapper bug shows up as a rejected request.
//!
//! Paths may be templated (`/v1/webhooks/{partner_id}`): a `{name}` segment matches any one
//! non-empty segment. Where a literal path and a template both match (`/v1/webhooks/
//! check_connectivity` and `/v1/webhooks/{partner_id}`), the operation with the method asked
//! for wins, the literal one first; a method neither has is 405. This is how the service's
//! framework (FastAPI/Starlette) routes too.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{paths::LocationSegment, Draft, JsonType, Validator};
use serde_json::{json, Map, Value};

use super::json::{self, JsonError};

const MERGED_DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/explorium.json"));

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Every operation of the merged document.
#[derive(Debug)]
pub(crate) struct Spec {
    operations: Vec<Operation>,
}

/// One operation: its route and, when it takes a JSON body, that body's validator.
#[derive(Debug)]
pub(crate) struct Operation {
    pub(crate) id: String,
    /// Upper case, as on the wire.
    pub(crate) method: String,
    /// As the document writes it, templates included.
    pub(crate) path: String,
    /// What the server does for it once the request is valid.
    pub(crate) effect: Effect,
    /// For [`Effect::ListEnrollments`]: the array fields each listed enrollment requires
    /// (`event_types`, `prospect_ids`...), answered empty when an enrollment has none.
    pub(crate) listed_arrays: Vec<String>,
    body: Option<Body>,
}

/// What the server does for an operation, read from the shapes of its request and success
/// response in the document (see [`Effect::of`]); the behaviour of each is hand-written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    CreateEnrollment,
    UpdateEnrollment,
    ListEnrollments,
    DeleteEnrollment,
    FetchEvents,
    RegisterWebhook,
    GetWebhook,
    DeleteWebhook,
    CheckWebhookConnectivity,
    NotSimulated,
}

impl Effect {
    /// The effect of an operation: `method`, and the properties its request body and its
    /// success response declare.
    fn of(method: &str, path: &str, request: &[&str], response: &[&str]) -> Self {
        let asks = |field| request.contains(&field);
        let answers = |field| response.contains(&field);
        match method {
            "post" if answers("enrollment_id") => Self::CreateEnrollment,
            "patch" | "put" if answers("enrollment_id") => Self::UpdateEnrollment,
            "get" if answers("enrollments") => Self::ListEnrollments,
            "delete" if asks("enrollment_id") => Self::DeleteEnrollment,
            "post" if answers("output_events") => Self::FetchEvents,
            "post" if answers("webhook_secret") => Self::RegisterWebhook,
            "get" if answers("webhook_secret") => Self::GetWebhook,
            "delete" if path.ends_with("/{partner_id}") => Self::DeleteWebhook,
            "post" if asks("partner_id") && asks("simulation") => Self::CheckWebhookConnectivity,
            _ => Self::NotSimulated,
        }
    }
}

#[derive(Debug)]
struct Body {
    required: bool,
    /// The JSON Schema the validator was compiled from.
    schema: Value,
    validator: Validator,
}

/// Where a request lands.
pub(crate) enum Route<'a> {
    Operation(&'a Operation),
    /// The path exists, with these methods only.
    WrongMethod(Vec<&'a str>),
    NotFound,
}

/// The spec, parsed and compiled once per process.
pub(crate) fn spec() -> Result<&'static Spec, String> {
    static SPEC: OnceLock<Result<Spec, String>> = OnceLock::new();
    SPEC.get_or_init(|| Spec::parse(MERGED_DOCUMENT))
        .as_ref()
        .map_err(Clone::clone)
}

impl Spec {
    fn parse(text: &str) -> Result<Self, String> {
        let document: Value =
            serde_json::from_str(text).map_err(|e| format!("merged document: {e}"))?;
        let schemas = document
            .pointer("/components/schemas")
            .cloned()
            .unwrap_or(json!({}));
        let schemas: Map<String, Value> = schemas
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, schema)| (name.clone(), to_json_schema(schema)))
            .collect();
        let mut operations = Vec::new();
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            for method in METHODS {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                let id = operation["operationId"]
                    .as_str()
                    .unwrap_or(method)
                    .to_string();
                let body = match operation.pointer("/requestBody/content/application~1json/schema")
                {
                    None => None,
                    Some(schema) => {
                        // Draft 4 is the JSON Schema OpenAPI 3.0 extends (boolean exclusive
                        // bounds, `$ref` siblings ignored); `nullable` is translated first.
                        let root = json!({
                            "allOf": [to_json_schema(schema)],
                            "components": { "schemas": schemas },
                        });
                        let validator = jsonschema::options()
                            .with_draft(Draft::Draft4)
                            .build(&root)
                            .map_err(|e| format!("{method} {path}: request schema: {e}"))?;
                        let required =
                            operation.pointer("/requestBody/required") == Some(&Value::Bool(true));
                        Some(Body {
                            required,
                            schema: root,
                            validator,
                        })
                    }
                };
                let response = operation
                    .pointer("/responses/200/content/application~1json/schema")
                    .and_then(|schema| resolve(&document, schema));
                let request = operation
                    .pointer("/requestBody/content/application~1json/schema")
                    .and_then(|schema| resolve(&document, schema));
                let effect = Effect::of(
                    method,
                    path,
                    &property_names(request),
                    &property_names(response),
                );
                // The required arrays of a listed enrollment (`enrollments.items`).
                let listed_arrays = response
                    .and_then(|schema| schema.pointer("/properties/enrollments/items"))
                    .and_then(|items| resolve(&document, items))
                    .map(|item| {
                        let arrays = |name: &&str| {
                            item.pointer(&format!("/properties/{name}/type"))
                                == Some(&json!("array"))
                        };
                        required_names(item)
                            .into_iter()
                            .filter(arrays)
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default();
                operations.push(Operation {
                    id,
                    method: method.to_uppercase(),
                    path: path.clone(),
                    effect,
                    listed_arrays,
                    body,
                });
            }
        }
        Ok(Self { operations })
    }

    pub(crate) fn route(&self, method: &str, path: &str) -> Route<'_> {
        // Every operation whose path matches, the most literal path first.
        let mut on_path: Vec<(usize, &Operation)> = self
            .operations
            .iter()
            .filter_map(|o| literal_segments(&o.path, path).map(|literal| (literal, o)))
            .collect();
        on_path.sort_by_key(|(literal, _)| std::cmp::Reverse(*literal));
        match on_path.iter().find(|(_, o)| o.method == method) {
            Some((_, operation)) => Route::Operation(operation),
            None if on_path.is_empty() => Route::NotFound,
            None => {
                let mut allowed: Vec<&str> = Vec::new();
                for (_, operation) in on_path {
                    if !allowed.contains(&operation.method.as_str()) {
                        allowed.push(&operation.method);
                    }
                }
                Route::WrongMethod(allowed)
            }
        }
    }

    pub(crate) fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.id == id)
    }

    /// Operation ids, in document order.
    #[cfg(test)]
    pub(crate) fn operation_ids(&self) -> impl Iterator<Item = &str> {
        self.operations.iter().map(|o| o.id.as_str())
    }
}

/// If `path` matches the `template`, how many of its segments are literal (the rest are
/// `{parameters}`, each matching one non-empty segment).
fn literal_segments(template: &str, path: &str) -> Option<usize> {
    let (mut template, mut path) = (template.split('/'), path.split('/'));
    let mut literal = 0;
    loop {
        match (template.next(), path.next()) {
            (None, None) => return Some(literal),
            (Some(expected), Some(actual)) => {
                if expected.starts_with('{') && expected.ends_with('}') {
                    if actual.is_empty() {
                        return None;
                    }
                } else if expected == actual {
                    literal += 1;
                } else {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// Follows a local `$ref` (`#/components/schemas/X`) to its schema.
fn resolve<'a>(document: &'a Value, schema: &'a Value) -> Option<&'a Value> {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => document.pointer(reference.strip_prefix('#')?),
        None => Some(schema),
    }
}

/// The names of a schema's `properties`.
fn property_names(schema: Option<&Value>) -> Vec<&str> {
    schema
        .and_then(|schema| schema.get("properties"))
        .and_then(Value::as_object)
        .map(|properties| properties.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// The names a schema lists as `required`.
fn required_names(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// One entry of a FastAPI-style 422 `detail` list.
pub(crate) fn detail(loc: Vec<Value>, msg: impl Into<String>, kind: &str) -> Value {
    json!({ "loc": loc, "msg": msg.into(), "type": kind })
}

/// Why a request body is refused.
#[derive(Debug)]
pub(crate) enum Rejection {
    /// 422, with FastAPI's `detail` entries.
    Invalid(Vec<Value>),
    /// 400: FastAPI's answer when its decoder fails in another way than a syntax error (too
    /// deep for it).
    Unparsable,
}

impl Operation {
    /// The value of the path parameter `{name}` in `path`, a path this operation routes.
    pub(crate) fn path_parameter<'p>(&self, path: &'p str, name: &str) -> Option<&'p str> {
        let wanted = format!("{{{name}}}");
        self.path
            .split('/')
            .zip(path.split('/'))
            .find_map(|(template, actual)| (template == wanted).then_some(actual))
    }

    /// The JSON Schema (draft 4) its JSON request body is validated by, if it takes one.
    pub(crate) fn body_schema(&self) -> Option<&Value> {
        self.body.as_ref().map(|body| &body.schema)
    }

    /// Validates the raw request body sent with this `Content-Type`.
    pub(crate) fn validate(
        &self,
        body: &[u8],
        content_type: Option<&str>,
    ) -> Result<Option<Value>, Rejection> {
        let Some(spec) = &self.body else {
            return Ok(None);
        };
        if body.is_empty() {
            return if spec.required {
                Err(Rejection::Invalid(vec![detail(
                    vec!["body".into()],
                    "Field required",
                    "missing",
                )]))
            } else {
                Ok(None)
            };
        }
        if !content_type.is_some_and(is_json_media_type) {
            // FastAPI hands a body of another type to the model as bytes.
            return Err(Rejection::Invalid(vec![detail(
                vec!["body".into()],
                "Input should be a valid dictionary or object to extract fields from",
                "model_attributes_type",
            )]));
        }
        let value = match json::decode(body) {
            Ok(value) => value,
            Err(JsonError::TooDeep) => return Err(Rejection::Unparsable),
            Err(JsonError::Syntax { offset, message }) => {
                let mut entry = detail(
                    vec!["body".into(), offset.into()],
                    "JSON decode error",
                    "json_invalid",
                );
                entry["ctx"] = json!({ "error": message });
                return Err(Rejection::Invalid(vec![entry]));
            }
        };
        let errors: Vec<Value> = spec
            .validator
            .iter_errors(&value)
            .flat_map(|e| to_details(&e))
            .collect();
        if errors.is_empty() {
            Ok(Some(value))
        } else {
            Err(Rejection::Invalid(errors))
        }
    }
}

/// `application/json` or `application/<anything>+json`, parameters allowed, any case: the
/// media types FastAPI decodes as JSON.
fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    let subtype = subtype.to_ascii_lowercase();
    kind.eq_ignore_ascii_case("application") && (subtype == "json" || subtype.ends_with("+json"))
}

/// Maps a schema violation to FastAPI's shape, with `loc` pointing at the offending field
/// (the extra or missing property itself, not the object holding it).
fn to_details(error: &jsonschema::ValidationError<'_>) -> Vec<Value> {
    let mut loc: Vec<Value> = vec!["body".into()];
    for segment in error.instance_path().iter() {
        match segment {
            LocationSegment::Property(name) => loc.push(Value::String(name.to_string())),
            LocationSegment::Index(index) => loc.push(index.into()),
        }
    }
    let at = |field: &str| {
        let mut loc = loc.clone();
        loc.push(field.into());
        loc
    };
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|field| {
                detail(
                    at(field),
                    "Extra inputs are not permitted",
                    "extra_forbidden",
                )
            })
            .collect(),
        ValidationErrorKind::Required { property } => {
            vec![detail(
                at(property.as_str().unwrap_or_default()),
                "Field required",
                "missing",
            )]
        }
        ValidationErrorKind::Pattern { pattern } => {
            vec![detail(
                loc,
                format!("String should match pattern '{pattern}'"),
                "string_pattern_mismatch",
            )]
        }
        ValidationErrorKind::MinLength { limit } => {
            vec![detail(
                loc,
                format!("String should have at least {limit} characters"),
                "string_too_short",
            )]
        }
        ValidationErrorKind::MinItems { limit } => {
            vec![detail(
                loc,
                format!("List should have at least {limit} items"),
                "too_short",
            )]
        }
        ValidationErrorKind::MaxItems { limit } => {
            vec![detail(
                loc,
                format!("List should have at most {limit} items"),
                "too_long",
            )]
        }
        ValidationErrorKind::Enum { options } => {
            vec![detail(
                loc,
                format!("Input should be one of {options}"),
                "enum",
            )]
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
            vec![detail(loc, msg, kind)]
        }
        _ => vec![detail(loc, error.to_string(), "value_error")],
    }
}

/// OpenAPI 3.0 schema -> JSON Schema: `nullable: true` becomes a `null` type (or enum value),
/// recursively through every keyword that holds schemas.
fn to_json_schema(schema: &Value) -> Value {
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
    fn an_operation_from_a_new_document_is_routed_and_validated_with_no_code_change() {
        let mut document: Value = serde_json::from_str(MERGED_DOCUMENT).unwrap();
        let add = document["paths"]["/v1/businesses/events/enrollments"]["post"].clone();
        let mut post = add.clone();
        post["operationId"] = json!("add_partner_businesses_enrollments");
        document["paths"]["/v1/partners/{partner_id}/enrollments"] = json!({ "post": post });
        let spec = Spec::parse(&document.to_string()).unwrap();
        let Route::Operation(operation) = spec.route("POST", "/v1/partners/p-1/enrollments") else {
            panic!("not routed");
        };
        assert_eq!(operation.id, "add_partner_businesses_enrollments");
        assert_eq!(operation.effect, Effect::CreateEnrollment);
        let bad = br#"{"enrollment_key": "k", "business_ids": [], "event_types": ["new_office"]}"#;
        let Err(Rejection::Invalid(details)) = operation.validate(bad, Some("application/json"))
        else {
            panic!("accepted");
        };
        let locs: Vec<&Value> = details.iter().map(|d| &d["loc"]).collect();
        assert_eq!(
            locs,
            [
                &json!(["body", "enrollment_key"]),
                &json!(["body", "business_ids"])
            ]
        );
    }

    fn routed_id<'a>(spec: &'a Spec, method: &str, path: &str) -> Option<&'a str> {
        match spec.route(method, path) {
            Route::Operation(operation) => Some(&operation.id),
            _ => None,
        }
    }

    #[test]
    fn a_literal_path_wins_over_a_template_for_its_method_only() {
        let spec = spec().unwrap();
        let check = "/v1/webhooks/check_connectivity";
        assert_eq!(
            routed_id(spec, "POST", check),
            Some("check_webhook_connectivity")
        );
        // Starlette, like this server, falls through to the template for other methods.
        assert_eq!(routed_id(spec, "GET", check), Some("get_webhook"));
        assert_eq!(routed_id(spec, "DELETE", check), Some("delete_webhook"));
        assert_eq!(
            routed_id(spec, "GET", "/v1/webhooks/partner-1"),
            Some("get_webhook")
        );
        assert_eq!(
            routed_id(spec, "DELETE", "/v1/webhooks/partner-1"),
            Some("delete_webhook")
        );
        assert_eq!(routed_id(spec, "POST", "/v1/webhooks"), Some("add_webhook"));
    }

    #[test]
    fn a_template_matches_one_non_empty_segment_and_names_its_methods_otherwise() {
        let spec = spec().unwrap();
        let Route::WrongMethod(allowed) = spec.route("POST", "/v1/webhooks/partner-1") else {
            panic!("not a 405");
        };
        assert_eq!(allowed, ["GET", "DELETE"]);
        let Route::WrongMethod(allowed) = spec.route("PUT", "/v1/webhooks/check_connectivity")
        else {
            panic!("not a 405");
        };
        assert_eq!(allowed, ["POST", "GET", "DELETE"]);
        for path in ["/v1/webhooks/", "/v1/webhooks/a/b", "/v1/webhooks/a/"] {
            assert!(matches!(spec.route("GET", path), Route::NotFound), "{path}");
        }
    }

    #[test]
    fn each_operation_gets_its_effect_from_its_shapes() {
        let spec = spec().unwrap();
        for operation in &spec.operations {
            let expected = match operation.id.as_str() {
                "add_prospects_enrollments" | "add_businesses_enrollments" => {
                    Effect::CreateEnrollment
                }
                "update_prospects_enrollments" | "update_businesses_enrollments" => {
                    Effect::UpdateEnrollment
                }
                "get_prospects_enrollments" | "get_businesses_enrollments" => {
                    Effect::ListEnrollments
                }
                "delete_prospects_enrollments" | "delete_businesses_enrollments" => {
                    Effect::DeleteEnrollment
                }
                "fetch_prospects_events" | "fetch_businesses_events" => Effect::FetchEvents,
                "add_webhook" => Effect::RegisterWebhook,
                "get_webhook" => Effect::GetWebhook,
                "delete_webhook" => Effect::DeleteWebhook,
                "check_webhook_connectivity" => Effect::CheckWebhookConnectivity,
                other => panic!("an operation the server does not know: {other}"),
            };
            assert_eq!(operation.effect, expected, "{}", operation.id);
        }
        let listed = |id| spec.operation(id).unwrap().listed_arrays.clone();
        assert_eq!(
            listed("get_prospects_enrollments"),
            ["event_types", "prospect_ids"]
        );
        assert_eq!(
            listed("get_businesses_enrollments"),
            ["event_types", "business_ids"]
        );
    }

    #[test]
    fn every_operation_of_the_merged_document_is_routed() {
        let spec = spec().unwrap();
        let ids: Vec<&str> = spec.operation_ids().collect();
        for operation in &spec.operations {
            // Each path, its templates filled in, routes back to its operation.
            let path: Vec<&str> = operation
                .path
                .split('/')
                .map(|s| if s.starts_with('{') { "x-1" } else { s })
                .collect();
            let path = path.join("/");
            assert_eq!(
                routed_id(spec, &operation.method, &path),
                Some(operation.id.as_str()),
                "{} {path}",
                operation.method
            );
        }
        let document: Value = serde_json::from_str(MERGED_DOCUMENT).unwrap();
        let declared: usize = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|item| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .filter(|k| METHODS.contains(&k.as_str()))
                    .count()
            })
            .sum();
        assert_eq!(ids.len(), declared);
    }
}
