//! Calls to the local server whose every 200 answer is checked against the operation's 200
//! schema in the merged document (strict: patterns, enums, bounds), with the `jsonschema`
//! validator. Used by the tests of the data families.

#![allow(dead_code, unreachable_pub)] // each test file uses a different part

use std::sync::OnceLock;

use explorium::testing::{response_schema, LocalServer};
use jsonschema::Validator;
use serde_json::{json, Map, Value};

/// The merged document, as the build wrote it.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        serde_json::from_str(include_str!(concat!(env!("OUT_DIR"), "/explorium.json"))).unwrap()
    })
}

/// Every operation of the document: (id, method, path).
pub fn operations() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (path, item) in document()["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if let Some(id) = operation["operationId"].as_str() {
                out.push((id.to_string(), method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// The method and path of an operation.
pub fn route(operation_id: &str) -> (String, String) {
    let (_, method, path) = operations()
        .into_iter()
        .find(|(id, _, _)| id == operation_id)
        .unwrap_or_else(|| panic!("no operation {operation_id}"));
    (method, path)
}

/// One validator for the 200 schemas of every operation, compiled once per process: a root
/// whose property `<operation id>` is that operation's 200 schema, so each component (and
/// each of the 20–56 KB patterns) is compiled once, not once per operation.
fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let mut properties = Map::new();
        let mut components = Map::new();
        for (id, _, _) in operations() {
            let Some(schema) = response_schema(&id) else {
                continue;
            };
            properties.insert(id, schema["allOf"][0].clone());
            for (name, component) in schema["components"]["schemas"].as_object().unwrap() {
                components.insert(name.clone(), component.clone());
            }
        }
        let root = json!({"properties": properties, "components": {"schemas": components}});
        jsonschema::draft4::new(&root).expect("the 200 schemas compile")
    })
}

/// Panics, naming each violation, unless `body` is valid by the operation's 200 schema.
pub fn assert_valid(operation_id: &str, body: &Value) {
    assert!(
        operations().iter().any(|(id, _, _)| id == operation_id),
        "no operation {operation_id}"
    );
    let errors: Vec<String> = validator()
        .iter_errors(&json!({ operation_id: body }))
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(5)
        .collect();
    assert!(
        errors.is_empty(),
        "{operation_id}: the answer breaks its 200 schema: {errors:#?}\n{}",
        truncate(&body.to_string())
    );
}

fn truncate(text: &str) -> String {
    text.chars().take(2000).collect()
}

/// A client of one server that checks every 200 answer.
pub struct Api<'a> {
    pub server: &'a LocalServer,
    http: reqwest::Client,
}

impl<'a> Api<'a> {
    pub fn new(server: &'a LocalServer) -> Self {
        Self {
            server,
            http: reqwest::Client::new(),
        }
    }

    /// Calls an operation by id: `path` fills its templates (or is the path itself), `query`
    /// is appended, `body` sent as JSON. Returns the status and the JSON answer; a 200 is
    /// checked against the 200 schema.
    pub async fn call_at(
        &self,
        operation_id: &str,
        path: &str,
        query: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let (method, _) = route(operation_id);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut url = format!("{}{path}", self.server.base_url());
        if !query.is_empty() {
            url = format!("{url}?{query}");
        }
        let mut request = self
            .http
            .request(method, url)
            .header("api_key", self.server.api_key());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if status == 200 {
            assert_valid(operation_id, &answer);
        }
        (status, answer)
    }

    /// Calls an operation with a JSON body, at its own path.
    pub async fn call(&self, operation_id: &str, body: Value) -> (u16, Value) {
        let (_, path) = route(operation_id);
        self.call_at(operation_id, &path, "", Some(body)).await
    }

    /// Calls an operation that must answer 200; returns the answer.
    pub async fn ok(&self, operation_id: &str, body: Value) -> Value {
        let (status, answer) = self.call(operation_id, body).await;
        assert_eq!(status, 200, "{operation_id}: {answer}");
        answer
    }

    /// A fetch of `size` rows by pages of `page_size`.
    pub async fn fetch(
        &self,
        operation_id: &str,
        filters: Value,
        size: u64,
        page_size: u64,
        page: u64,
    ) -> Value {
        self.ok(
            operation_id,
            json!({"mode": "full", "size": size, "page_size": page_size, "page": page, "filters": filters}),
        )
        .await
    }
}
