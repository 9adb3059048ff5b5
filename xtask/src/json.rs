//! JSON kept as published: object keys in their order, numbers as their text. Extracts are
//! copied from the published document without change, so nothing here reformats a value; only
//! the layout (two-space indentation) is this tool's.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::fmt;

/// A JSON value with its numbers as written and its object keys in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// The number's text, exactly as in the source (`1.0`, `1e-05`, an integer of any size).
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The value under `key`, if this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Object(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The same value as a `serde_json::Value`, for comparing and querying. A number too large
    /// for `f64` becomes its text (it is compared, never written, in that form).
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(text) => {
                serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
            }
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// Two-space indented JSON, `"key": value`, empty containers as `{}` / `[]`, non-ASCII
    /// characters as themselves (UTF-8), no final newline. Strings are escaped as JSON requires
    /// and no more: `"`, `\`, and control characters (`\n`, `\t`, ... or `\u00XX`).
    pub fn to_pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(text) => out.push_str(text),
            Json::String(s) => write_string(out, s),
            Json::Array(items) if items.is_empty() => out.push_str("[]"),
            Json::Object(entries) if entries.is_empty() => out.push_str("{}"),
            Json::Array(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    out.push_str(if index == 0 { "\n" } else { ",\n" });
                    indent(out, depth + 1);
                    item.write(out, depth + 1);
                }
                out.push('\n');
                indent(out, depth);
                out.push(']');
            }
            Json::Object(entries) => {
                out.push('{');
                for (index, (key, value)) in entries.iter().enumerate() {
                    out.push_str(if index == 0 { "\n" } else { ",\n" });
                    indent(out, depth + 1);
                    write_string(out, key);
                    out.push_str(": ");
                    value.write(out, depth + 1);
                }
                out.push('\n');
                indent(out, depth);
                out.push('}');
            }
        }
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Parses JSON text, keeping key order and number text. Errors give the line and column; an
/// object that repeats a key is refused (which of the two was meant is not ours to pick).
pub fn parse(text: &str) -> Result<Json, String> {
    let raw: &RawValue = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    from_raw(raw)
}

fn from_raw(raw: &RawValue) -> Result<Json, String> {
    let text = raw.get().trim_start();
    let fail = |e: serde_json::Error| format!("not JSON: {e}");
    match text.as_bytes().first() {
        Some(b'{') => {
            let Entries(entries) = serde_json::from_str(text).map_err(fail)?;
            let mut out: Vec<(String, Json)> = Vec::with_capacity(entries.len());
            for (key, value) in entries {
                if out.iter().any(|(k, _)| *k == key) {
                    return Err(format!("an object repeats the key `{key}`"));
                }
                out.push((key, from_raw(value)?));
            }
            Ok(Json::Object(out))
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(fail)?;
            items
                .into_iter()
                .map(from_raw)
                .collect::<Result<_, _>>()
                .map(Json::Array)
        }
        Some(b'"') => serde_json::from_str(text).map(Json::String).map_err(fail),
        Some(b't' | b'f') => serde_json::from_str(text).map(Json::Bool).map_err(fail),
        Some(b'n') => Ok(Json::Null),
        _ => Ok(Json::Number(text.trim_end().to_string())),
    }
}

/// An object's entries in order, each value still raw.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, &'de RawValue>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_layout_numbers_and_escapes() {
        let text = "{\n  \"a\": [\n    1.0,\n    1e-05,\n    123456789012345678901234567890\n  ],\n  \"b\": {},\n  \"c\": [],\n  \"d\": \"caf\u{e9} \\\"q\\\" \\\\ \\n \\u0001 \\\\u00a1\",\n  \"e\": null,\n  \"f\": true\n}";
        let json = parse(text).unwrap();
        assert_eq!(json.to_pretty(), text);
    }

    #[test]
    fn unescapes_what_the_source_escaped() {
        let json = parse(r#"{"k":"caf\u00e9 \/ \u2019"}"#).unwrap();
        assert_eq!(json.to_pretty(), "{\n  \"k\": \"caf\u{e9} / \u{2019}\"\n}");
    }

    #[test]
    fn refuses_bad_json_and_repeated_keys() {
        assert!(parse("{\"a\": }").unwrap_err().contains("line 1"));
        assert!(parse("{\"a\": 1, \"a\": 2}")
            .unwrap_err()
            .contains("repeats the key `a`"));
        assert!(parse("").is_err());
    }
}
