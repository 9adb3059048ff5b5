//! The merged OpenAPI document, read as the judge: routes, parameter and request-body
//! validators, the 200 response schemas, and what the server does for each operation.
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

use jsonschema::Validator;
use serde_json::{json, Map, Value};

use super::json::{self, JsonError};
use super::params::Param;
use super::schema::{self, detail};

pub(crate) const MERGED_DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/explorium.json"));

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Every operation of the merged document, and the document itself (its schemas are what the
/// world's vocabulary and the answers are made from).
#[derive(Debug)]
pub(crate) struct Spec {
    document: Value,
    /// `info.version`: what the version operation answers.
    pub(crate) version: String,
    operations: Vec<Operation>,
}

/// One operation: its route, its parameters, and its JSON body's validator if it takes one.
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
    /// Whether it names a security requirement (the `api_key` header): the health and
    /// version operations do not.
    pub(crate) secured: bool,
    pub(super) params: Vec<Param>,
    /// The request body's schema and the 200 response's, as the document writes them.
    pub(crate) request: Option<Value>,
    pub(crate) response: Option<Value>,
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
    Match,
    Fetch,
    Stats,
    Autocomplete,
    Enrich,
    CreditsSummary,
    CreditsAggregation,
    /// A bare string: the health checks and the version.
    Text,
    NotSimulated,
}

/// The shapes an operation's effect is read from.
struct Shapes<'a> {
    method: &'a str,
    path: &'a str,
    /// The properties of the request body and of the 200 response.
    request: Vec<&'a str>,
    response: Vec<&'a str>,
    /// The 200 response's `type`, and the properties of its items when it is an array.
    response_type: Option<&'a str>,
    response_items: Vec<&'a str>,
}

impl Effect {
    fn of(shapes: &Shapes<'_>) -> Self {
        let asks = |field| shapes.request.contains(&field);
        let answers = |field| shapes.response.contains(&field);
        let asks_ids = shapes
            .request
            .iter()
            .any(|f| f.ends_with("_id") || f.ends_with("_ids"));
        match shapes.method {
            "post" if answers("enrollment_id") => Self::CreateEnrollment,
            "patch" | "put" if answers("enrollment_id") => Self::UpdateEnrollment,
            "get" if answers("enrollments") => Self::ListEnrollments,
            "delete" if asks("enrollment_id") => Self::DeleteEnrollment,
            "post" if answers("output_events") => Self::FetchEvents,
            "post" if answers("webhook_secret") => Self::RegisterWebhook,
            "get" if answers("webhook_secret") => Self::GetWebhook,
            "delete" if shapes.path.ends_with("/{partner_id}") => Self::DeleteWebhook,
            "post" if asks("partner_id") && asks("simulation") => Self::CheckWebhookConnectivity,
            "post" if shapes.response.iter().any(|f| f.starts_with("matched_")) => Self::Match,
            "post" if asks("page_size") => Self::Fetch,
            "post" if answers("stats") => Self::Stats,
            "post" if answers("aggregations") => Self::CreditsAggregation,
            "post" if answers("data") && asks_ids => Self::Enrich,
            "get" if answers("remaining_credits") => Self::CreditsSummary,
            "get" if shapes.response_items.contains(&"label") => Self::Autocomplete,
            "get" if shapes.response_type == Some("string") => Self::Text,
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
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let document: Value =
            serde_json::from_str(text).map_err(|e| format!("merged document: {e}"))?;
        let empty = Map::new();
        let components = document
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let secured_by_default = document["security"]
            .as_array()
            .is_some_and(|s| !s.is_empty());
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
                let request = operation
                    .pointer("/requestBody/content/application~1json/schema")
                    .cloned();
                let body = match &request {
                    None => None,
                    Some(schema) => {
                        let root = schema::rooted(schema, components);
                        let validator = schema::compile(&root)
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
                let mut params = Vec::new();
                for entry in operation["parameters"].as_array().into_iter().flatten() {
                    let resolve = |schema: &Value| resolve_in(&document, schema).clone();
                    if let Some(param) = Param::read(entry, resolve, components)
                        .map_err(|e| format!("{method} {path}: {e}"))?
                    {
                        params.push(param);
                    }
                }
                let response = operation
                    .pointer("/responses/200/content/application~1json/schema")
                    .cloned();
                let resolved_response = response.as_ref().map(|s| resolve_in(&document, s));
                let resolved_request = request.as_ref().map(|s| resolve_in(&document, s));
                let items = resolved_response
                    .and_then(|schema| schema.get("items"))
                    .map(|items| resolve_in(&document, items));
                let effect = Effect::of(&Shapes {
                    method,
                    path,
                    request: property_names(resolved_request),
                    response: property_names(resolved_response),
                    response_type: resolved_response.and_then(|s| s["type"].as_str()),
                    response_items: property_names(items),
                });
                let listed_arrays = listed_arrays(&document, resolved_response);
                let secured = match operation.get("security") {
                    Some(security) => security.as_array().is_some_and(|s| !s.is_empty()),
                    None => secured_by_default,
                };
                operations.push(Operation {
                    id,
                    method: method.to_uppercase(),
                    path: path.clone(),
                    effect,
                    listed_arrays,
                    secured,
                    params,
                    request,
                    response,
                    body,
                });
            }
        }
        let version = document
            .pointer("/info/version")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Ok(Self {
            document,
            version,
            operations,
        })
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

    /// Every operation, in document order.
    pub(crate) fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// `schema` with its `$ref`s (and one-schema `allOf`s, the document's way of adding a
    /// description to a reference) followed.
    pub(crate) fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        resolve_in(&self.document, schema)
    }

    /// The JSON Schema (draft 4) of an operation's 200 response: the schema and the
    /// components it reaches, `nullable` translated.
    pub(crate) fn response_root(&self, operation: &Operation) -> Option<Value> {
        let empty = Map::new();
        let components = self
            .document
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        Some(schema::rooted(operation.response.as_ref()?, components))
    }
}

fn resolve_in<'a>(document: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..32 {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            match reference
                .strip_prefix('#')
                .and_then(|pointer| document.pointer(pointer))
            {
                Some(target) => schema = target,
                None => return schema,
            }
        } else if let Some([only]) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            schema = only;
        } else {
            return schema;
        }
    }
    schema
}

/// The required arrays of a listed enrollment (`enrollments.items`).
fn listed_arrays(document: &Value, response: Option<&Value>) -> Vec<String> {
    let Some(item) = response
        .and_then(|schema| schema.pointer("/properties/enrollments/items"))
        .map(|items| resolve_in(document, items))
    else {
        return Vec::new();
    };
    let arrays =
        |name: &&str| item.pointer(&format!("/properties/{name}/type")) == Some(&json!("array"));
    required_names(item)
        .into_iter()
        .filter(arrays)
        .map(String::from)
        .collect()
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

/// The names of a schema's `properties`.
fn property_names(schema: Option<&Value>) -> Vec<&str> {
    schema
        .and_then(|schema| schema.get("properties"))
        .and_then(Value::as_object)
        .map(|properties| properties.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// The names a schema lists as `required`.
pub(crate) fn required_names(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Why a request is refused.
#[derive(Debug)]
pub(crate) enum Rejection {
    /// 422, with FastAPI's `detail` entries.
    Invalid(Vec<Value>),
    /// 400: FastAPI's answer when its decoder fails in another way than a syntax error (too
    /// deep for it).
    Unparsable,
}

/// A request as validation sees it.
pub(crate) struct Incoming<'a> {
    /// The decoded path asked for, under the server's prefix.
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) content_type: Option<&'a str>,
    pub(crate) body: &'a [u8],
}

/// A valid request's parameters and body.
pub(crate) struct Accepted {
    pub(crate) params: Map<String, Value>,
    pub(crate) body: Option<Value>,
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

    /// Validates a request: its parameters, then its body, every violation of both reported
    /// together as FastAPI does.
    pub(crate) fn validate(&self, request: &Incoming<'_>) -> Result<Accepted, Rejection> {
        let params = super::params::read(&self.params, &self.path, request.path, request.query);
        let body = self.validate_body(request.body, request.content_type);
        match (params, body) {
            (Ok(params), Ok(body)) => Ok(Accepted { params, body }),
            (_, Err(Rejection::Unparsable)) => Err(Rejection::Unparsable),
            (params, body) => {
                let mut details = params.err().unwrap_or_default();
                if let Err(Rejection::Invalid(more)) = body {
                    details.extend(more);
                }
                Err(Rejection::Invalid(details))
            }
        }
    }

    /// Validates the raw request body sent with this `Content-Type`.
    fn validate_body(
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
        let errors = schema::violations(&spec.validator, &value, &["body".into()]);
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

#[cfg(test)]
mod tests;
