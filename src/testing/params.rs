//! Path and query parameters: read from the request as FastAPI reads them (the text converted
//! to the declared type, the default when absent), then judged by their schemas.

use jsonschema::Validator;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use super::schema::{self, detail};

/// Where a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum In {
    Path,
    Query,
}

impl In {
    fn as_str(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
        }
    }
}

/// One declared parameter.
#[derive(Debug)]
pub(super) struct Param {
    pub(super) name: String,
    pub(super) location: In,
    required: bool,
    /// The JSON type its text converts to (`integer`, `boolean`, ...), from its schema.
    kind: String,
    default: Option<Value>,
    validator: Validator,
}

impl Param {
    /// The parameter an OpenAPI `parameters` entry declares (headers and cookies are not
    /// read: none is declared once the overlay removed `tenant`), with its schema resolved by
    /// `resolve`.
    pub(super) fn read(
        entry: &Value,
        resolve: impl Fn(&Value) -> Value,
        components: &Map<String, Value>,
    ) -> Result<Option<Self>, String> {
        let location = match entry["in"].as_str() {
            Some("path") => In::Path,
            Some("query") => In::Query,
            _ => return Ok(None),
        };
        let name = entry["name"].as_str().unwrap_or_default().to_string();
        let schema = entry.get("schema").cloned().unwrap_or(Value::Null);
        let resolved = resolve(&schema);
        let validator = schema::compile(&schema::rooted(&schema, components))
            .map_err(|e| format!("parameter {name}: {e}"))?;
        Ok(Some(Self {
            required: entry["required"] == Value::Bool(true) || location == In::Path,
            kind: resolved["type"].as_str().unwrap_or("string").to_string(),
            default: resolved.get("default").cloned(),
            name,
            location,
            validator,
        }))
    }

    /// The value of its text, or the 422 detail of text that is not of its type.
    fn convert(&self, text: &str, loc: &[Value]) -> Result<Value, Value> {
        match self.kind.as_str() {
            "integer" => text.trim().parse::<i64>().map(Value::from).map_err(|_| {
                detail(
                    loc.to_vec(),
                    "Input should be a valid integer, unable to parse string as an integer",
                    "int_parsing",
                )
            }),
            "number" => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Value::from)
                .ok_or_else(|| {
                    detail(
                        loc.to_vec(),
                        "Input should be a valid number, unable to parse string as a number",
                        "float_parsing",
                    )
                }),
            "boolean" => match text.trim().to_ascii_lowercase().as_str() {
                "1" | "on" | "t" | "true" | "y" | "yes" => Ok(Value::Bool(true)),
                "0" | "off" | "f" | "false" | "n" | "no" => Ok(Value::Bool(false)),
                _ => Err(detail(
                    loc.to_vec(),
                    "Input should be a valid boolean, unable to interpret input",
                    "bool_parsing",
                )),
            },
            _ => Ok(Value::String(text.to_string())),
        }
    }
}

/// The value of each parameter of `params` (its default when absent and it has one), or every
/// 422 detail: `path` is the operation's template and `actual` the decoded path asked for;
/// `query` the raw query string.
pub(super) fn read(
    params: &[Param],
    template: &str,
    actual: &str,
    query: Option<&str>,
) -> Result<Map<String, Value>, Vec<Value>> {
    let pairs = query_pairs(query.unwrap_or_default());
    let mut values = Map::new();
    let mut errors = Vec::new();
    for param in params {
        let text = match param.location {
            In::Path => path_segment(template, actual, &param.name),
            // FastAPI reads the last of repeated scalar parameters.
            In::Query => pairs
                .iter()
                .rev()
                .find(|(name, _)| *name == param.name)
                .map(|(_, value)| value.clone()),
        };
        let loc = vec![
            Value::from(param.location.as_str()),
            param.name.clone().into(),
        ];
        let Some(text) = text else {
            if let Some(default) = &param.default {
                values.insert(param.name.clone(), default.clone());
            } else if param.required {
                errors.push(detail(loc, "Field required", "missing"));
            }
            continue;
        };
        match param.convert(&text, &loc) {
            Err(error) => errors.push(error),
            Ok(value) => {
                let found = schema::violations(&param.validator, &value, &loc);
                if found.is_empty() {
                    values.insert(param.name.clone(), value);
                } else {
                    errors.extend(found);
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

/// The segment of `actual` at the place of `{name}` in `template`.
fn path_segment(template: &str, actual: &str, name: &str) -> Option<String> {
    let wanted = format!("{{{name}}}");
    template
        .split('/')
        .zip(actual.split('/'))
        .find_map(|(t, a)| (t == wanted).then(|| a.to_string()))
}

/// `a=1&b=x+y` as decoded pairs (`+` is a space, as in forms).
fn query_pairs(query: &str) -> Vec<(String, String)> {
    let decode = |text: &str| {
        percent_decode_str(&text.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn param(entry: Value) -> Param {
        Param::read(&entry, |s| s.clone(), &Map::new())
            .unwrap()
            .unwrap()
    }

    #[test]
    fn query_text_is_converted_defaulted_and_judged() {
        let params = [
            param(json!({"name": "field", "in": "query", "required": true,
                "schema": {"type": "string", "enum": ["country", "job_title"]}})),
            param(json!({"name": "semantic_search", "in": "query",
                "schema": {"type": "boolean", "default": false}})),
        ];
        let read = |q| read(&params, "/x", "/x", Some(q));
        let values = read("field=job_title&other=1").unwrap();
        assert_eq!(values["field"], "job_title");
        assert_eq!(values["semantic_search"], false);
        assert_eq!(
            read("field=country&semantic_search=yes").unwrap()["semantic_search"],
            true
        );
        let errors = read("semantic_search=maybe").unwrap_err();
        let kinds: Vec<&Value> = errors.iter().map(|e| &e["type"]).collect();
        assert_eq!(kinds, [&json!("missing"), &json!("bool_parsing")]);
        assert_eq!(errors[0]["loc"], json!(["query", "field"]));
        assert_eq!(read("field=nope").unwrap_err()[0]["type"], "enum");
        assert_eq!(
            read("field=a%20b&field=job+title").unwrap_err()[0]["type"],
            "enum"
        );
    }

    #[test]
    fn a_path_integer_is_parsed_and_bounded() {
        let params = [param(json!({"name": "n", "in": "path", "required": true,
            "schema": {"type": "integer", "maximum": 1000000.0}}))];
        let read = |actual| read(&params, "/h/{n}", actual, None);
        assert_eq!(read("/h/12").unwrap()["n"], 12);
        let error = &read("/h/ten").unwrap_err()[0];
        assert_eq!(
            (&error["loc"], &error["type"]),
            (&json!(["path", "n"]), &json!("int_parsing"))
        );
        let error = &read("/h/1000001").unwrap_err()[0];
        assert_eq!(error["type"], "less_than_equal");
        assert_eq!(
            error["msg"],
            "Input should be less than or equal to 1000000"
        );
    }
}
