//! One document per operation from Explorium's full published document: the rule
//! `openapi/README.md` states, in executable form.
//!
//! Each extract holds, copied without change and in the published key order: `openapi`,
//! `info`, `servers`, `paths` with the one path holding the one method, and `components` with
//! `schemas` (the component schemas the operation reaches, breadth-first) and
//! `securitySchemes` (all of them). Breadth-first: the operation's `$ref`s in document order,
//! then those of each schema found, in the order found, each schema once. The layout is
//! two-space indented JSON with a final newline ([`Json::to_pretty`]).

use crate::json::Json;

/// The methods an OpenAPI path item may hold.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The top-level and `components` keys an extract carries.
const CARRIED_TOP: [&str; 5] = ["openapi", "info", "servers", "paths", "components"];
const CARRIED_COMPONENTS: [&str; 2] = ["schemas", "securitySchemes"];

/// One operation's document, ready to write.
#[derive(Debug, Clone)]
pub struct Extract {
    pub operation_id: String,
    pub method: String,
    pub path: String,
    /// The file's content.
    pub text: String,
}

/// The operations of a full document, in its order, and notes on what the extracts leave out.
pub fn extract_all(document: &Json) -> Result<(Vec<Extract>, Vec<String>), String> {
    let top = document
        .as_object()
        .ok_or("the document is not a JSON object")?;
    if document.get("openapi").and_then(Json::as_str).is_none() {
        return Err("no `openapi` version field: not an OpenAPI document".into());
    }
    let mut notes = Vec::new();
    for (key, _) in top {
        if !CARRIED_TOP.contains(&key.as_str()) {
            notes.push(format!(
                "the source's top-level `{key}` is not carried into the extracts (openapi/README.md's rule)"
            ));
        }
    }
    let empty = Vec::new();
    let components = document.get("components");
    for (key, value) in components.and_then(Json::as_object).unwrap_or(&empty) {
        let is_empty = value.as_object().is_some_and(<[_]>::is_empty);
        if !CARRIED_COMPONENTS.contains(&key.as_str()) && !is_empty {
            notes.push(format!(
                "the source's `components.{key}` is not carried into the extracts; a `$ref` into it is refused"
            ));
        }
    }
    let schemas = components.and_then(|c| c.get("schemas"));
    let paths = document
        .get("paths")
        .ok_or("no `paths`: not an OpenAPI document")?
        .as_object()
        .ok_or("`paths` is not an object")?;

    let mut extracts: Vec<Extract> = Vec::new();
    for (path, item) in paths {
        let item = item
            .as_object()
            .ok_or_else(|| format!("`paths.{path}` is not an object"))?;
        for (method, operation) in item {
            if !METHODS.contains(&method.as_str()) {
                notes.push(format!(
                    "`paths.{path}.{method}` is not an operation and is not carried into the extracts"
                ));
                continue;
            }
            let at = format!("{} {path}", method.to_uppercase());
            let operation_id = operation_id(operation, &at)?;
            if let Some(first) = extracts.iter().find(|e| e.operation_id == operation_id) {
                return Err(format!(
                    "operationId `{operation_id}` is used by both {} {} and {at}; each operation's file is named by it",
                    first.method.to_uppercase(),
                    first.path
                ));
            }
            let reached = reached_schemas(operation, schemas, &at)?;
            let mut out = Vec::new();
            for key in ["openapi", "info", "servers"] {
                if let Some(value) = document.get(key) {
                    out.push((key.to_string(), value.clone()));
                }
            }
            let one_method = Json::Object(vec![(method.clone(), operation.clone())]);
            out.push((
                "paths".into(),
                Json::Object(vec![(path.clone(), one_method)]),
            ));
            let mut components = vec![("schemas".to_string(), Json::Object(reached))];
            if let Some(schemes) = document
                .get("components")
                .and_then(|c| c.get("securitySchemes"))
            {
                components.push(("securitySchemes".into(), schemes.clone()));
            }
            out.push(("components".into(), Json::Object(components)));
            let mut text = Json::Object(out).to_pretty();
            text.push('\n');
            extracts.push(Extract {
                operation_id,
                method: method.clone(),
                path: path.clone(),
                text,
            });
        }
    }
    if extracts.is_empty() {
        return Err("the document has no operation under `paths`".into());
    }
    Ok((extracts, notes))
}

/// The operation's `operationId`, which names its file: letters, digits, `_` and `-` only.
fn operation_id(operation: &Json, at: &str) -> Result<String, String> {
    let id = operation
        .get("operationId")
        .ok_or_else(|| format!("{at} has no `operationId`, which names its document"))?
        .as_str()
        .ok_or_else(|| format!("{at}: `operationId` is not a string"))?;
    let safe = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !safe {
        return Err(format!(
            "{at}: operationId `{id}` cannot name a file (letters, digits, `_` and `-` only)"
        ));
    }
    Ok(id.to_string())
}

/// The component schemas `operation` reaches, breadth-first, as `(name, definition)`.
fn reached_schemas(
    operation: &Json,
    schemas: Option<&Json>,
    at: &str,
) -> Result<Vec<(String, Json)>, String> {
    let mut reached: Vec<(String, Json)> = Vec::new();
    let mut refs = Vec::new();
    collect_refs(operation, &mut refs);
    let mut next = 0;
    loop {
        for reference in refs.drain(..) {
            let name = schema_name(&reference)
                .ok_or_else(|| format!("{at}: `$ref: {reference}` is not a `#/components/schemas/` reference; the extraction rule has no place for it"))?;
            if reached.iter().any(|(n, _)| *n == name) {
                continue;
            }
            let definition = schemas.and_then(|s| s.get(&name)).ok_or_else(|| {
                format!("{at}: `$ref: {reference}` names no schema of the document")
            })?;
            reached.push((name, definition.clone()));
        }
        let Some((_, definition)) = reached.get(next) else {
            break;
        };
        collect_refs(definition, &mut refs);
        next += 1;
    }
    Ok(reached)
}

/// Every `$ref` string under `value`, in document order.
fn collect_refs(value: &Json, out: &mut Vec<String>) {
    match value {
        Json::Object(entries) => {
            for (key, value) in entries {
                match (key.as_str(), value) {
                    ("$ref", Json::String(reference)) => out.push(reference.clone()),
                    _ => collect_refs(value, out),
                }
            }
        }
        Json::Array(items) => items.iter().for_each(|item| collect_refs(item, out)),
        _ => {}
    }
}

/// `#/components/schemas/Name` -> `Name` (JSON Pointer escapes undone).
fn schema_name(reference: &str) -> Option<String> {
    let name = reference.strip_prefix("#/components/schemas/")?;
    if name.is_empty() || name.contains('/') {
        return None;
    }
    Some(name.replace("~1", "/").replace("~0", "~"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn doc(paths: &str) -> Json {
        parse(&format!(
            r##"{{"openapi":"3.1.0","info":{{"title":"T","version":"1"}},"paths":{paths},
            "components":{{"schemas":{{"A":{{"properties":{{"b":{{"$ref":"#/components/schemas/B"}}}}}},
            "B":{{"type":"string"}}}}}}}}"##
        ))
        .unwrap()
    }

    #[test]
    fn refuses_an_operation_without_operation_id() {
        let error = extract_all(&doc(r#"{"/x":{"get":{"responses":{}}}}"#)).unwrap_err();
        assert_eq!(
            error,
            "GET /x has no `operationId`, which names its document"
        );
    }

    #[test]
    fn refuses_unsafe_or_repeated_operation_ids() {
        let error = extract_all(&doc(r#"{"/x":{"get":{"operationId":"../x"}}}"#)).unwrap_err();
        assert!(error.contains("cannot name a file"), "{error}");
        let error = extract_all(&doc(
            r#"{"/x":{"get":{"operationId":"a"}},"/y":{"get":{"operationId":"a"}}}"#,
        ))
        .unwrap_err();
        assert!(error.contains("used by both GET /x and GET /y"), "{error}");
    }

    #[test]
    fn refuses_dangling_and_foreign_references() {
        let error = extract_all(&doc(
            r##"{"/x":{"get":{"operationId":"a","x":{"$ref":"#/components/schemas/Z"}}}}"##,
        ))
        .unwrap_err();
        assert!(error.contains("names no schema"), "{error}");
        let error = extract_all(&doc(
            r##"{"/x":{"get":{"operationId":"a","x":{"$ref":"#/components/responses/R"}}}}"##,
        ))
        .unwrap_err();
        assert!(error.contains("has no place for it"), "{error}");
    }

    #[test]
    fn reaches_schemas_breadth_first_and_notes_what_is_left_out() {
        let (extracts, notes) = extract_all(&doc(
            r##"{"/x":{"summary":"s","get":{"operationId":"a","x":{"$ref":"#/components/schemas/A"}}}}"##,
        ))
        .unwrap();
        assert_eq!(extracts.len(), 1);
        let text = &extracts[0].text;
        assert!(text.find("\"A\"").unwrap() < text.find("\"B\"").unwrap());
        assert!(text.ends_with("}\n"));
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("`paths./x.summary`"));
    }

    #[test]
    fn refuses_what_is_not_an_openapi_document() {
        assert!(extract_all(&parse("[]").unwrap()).is_err());
        assert!(extract_all(&parse(r#"{"paths":{}}"#).unwrap())
            .unwrap_err()
            .contains("no `openapi`"));
        assert!(
            extract_all(&parse(r#"{"openapi":"3.1.0","paths":{}}"#).unwrap())
                .unwrap_err()
                .contains("no operation")
        );
    }
}
