//! Answers made from schemas: a value for any schema of the document, built from what the
//! world knows of an entity (its *facts*, by property name) and made up, deterministically,
//! where it knows nothing.
//!
//! For each property of an object schema: a fact of that name is used when it fits the
//! property's schema (type, enum, pattern, format, length; converted where the schema wants
//! another JSON type: `"541512"` for an integer NAICS, a string for a one-item list); a fact
//! that is `null` leaves an optional property out (the entity has no such value); anything
//! else is made up from the schema alone: an enum value, a string fitting the pattern (one of
//! a pattern's listed alternatives, a hex id, a URL, digits), a date, a number within the
//! bounds. A new enrichment document therefore gets answers with no new code, and the facts
//! the world has (name, country, size, ...) agree across every answer about one entity.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use chrono::{Duration, TimeZone, Utc};
use serde_json::{json, Map, Number, Value};

use super::spec::{required_names, Spec};
use super::world::vocab::alternatives;

/// What the world knows of an entity, by property name.
pub(crate) type Facts = Map<String, Value>;

/// FNV-1a: a stable hash of a text (std's hashers are seeded per process).
pub(crate) fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Mixes two seeds (splitmix64's finalizer).
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const MAX_DEPTH: usize = 8;

/// Makes values of the document's schemas.
pub(crate) struct Synth<'a> {
    spec: &'a Spec,
}

impl<'a> Synth<'a> {
    pub(crate) fn new(spec: &'a Spec) -> Self {
        Self { spec }
    }

    /// A value of `schema` for the entity `facts` describe; `seed` varies what is made up.
    pub(crate) fn value(&self, schema: &Value, facts: &Facts, seed: u64) -> Value {
        self.make(schema, "", facts, seed, 0).unwrap_or(Value::Null)
    }

    /// A value for the property `name`, or `None` to leave it out.
    fn make(
        &self,
        schema: &Value,
        name: &str,
        facts: &Facts,
        seed: u64,
        depth: usize,
    ) -> Option<Value> {
        let schema = self.spec.resolve(schema);
        if let Some(fact) = facts.get(name).filter(|_| !name.is_empty()) {
            if fact.is_null() {
                return None;
            }
            if let Some(value) = self.fit(schema, fact, depth) {
                return Some(value);
            }
        }
        self.invent(schema, name, facts, seed, depth)
    }

    /// `fact` as a value of `schema`, if it can be one.
    fn fit(&self, schema: &Value, fact: &Value, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let schema = self.spec.resolve(schema);
        if let Some(branches) = branches(schema) {
            return branches.iter().find_map(|b| self.fit(b, fact, depth + 1));
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array) {
            let text = scalar_text(fact)?;
            return options.iter().find(|o| o.as_str() == Some(&text)).cloned();
        }
        match schema["type"].as_str() {
            Some("string") => {
                let text = match fact {
                    Value::Array(items) => {
                        let parts: Vec<String> = items.iter().filter_map(scalar_text).collect();
                        parts.join(", ")
                    }
                    other => scalar_text(other)?,
                };
                fits_string(schema, truncated(schema, text))
            }
            Some("integer") => {
                let number = match fact {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => s.parse().ok(),
                    _ => None,
                }?;
                in_bounds(schema, number as f64).then(|| Value::from(number))
            }
            Some("number") => {
                let number = match fact {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.parse().ok(),
                    _ => None,
                }?;
                (in_bounds(schema, number) && number.is_finite()).then(|| json!(number))
            }
            Some("boolean") => fact.as_bool().map(Value::Bool),
            Some("array") => {
                let items = schema.get("items").unwrap_or(&Value::Null);
                let fitted: Vec<Value> = match fact {
                    Value::Array(values) => values
                        .iter()
                        .filter_map(|v| self.fit(items, v, depth + 1))
                        .collect(),
                    scalar => vec![self.fit(items, scalar, depth + 1)?],
                };
                let max = schema["maxItems"]
                    .as_u64()
                    .map_or(usize::MAX, |m| m as usize);
                let fitted: Vec<Value> = fitted.into_iter().take(max).collect();
                (fitted.len() as u64 >= schema["minItems"].as_u64().unwrap_or(0))
                    .then_some(Value::Array(fitted))
            }
            Some("object") | None if fact.is_object() => {
                let object = fact.as_object()?;
                let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
                    return match schema.get("additionalProperties") {
                        Some(values) if values.is_object() => Some(Value::Object(
                            object
                                .iter()
                                .filter_map(|(k, v)| {
                                    Some((k.clone(), self.fit(values, v, depth + 1)?))
                                })
                                .collect(),
                        )),
                        _ => Some(fact.clone()),
                    };
                };
                let mut out = Map::new();
                for (key, sub) in properties {
                    if let Some(value) = object.get(key).and_then(|v| self.fit(sub, v, depth + 1)) {
                        out.insert(key.clone(), value);
                    }
                }
                required_names(schema)
                    .iter()
                    .all(|r| out.contains_key(*r))
                    .then_some(Value::Object(out))
            }
            _ => None,
        }
    }

    /// A value made up for `schema`.
    fn invent(
        &self,
        schema: &Value,
        name: &str,
        facts: &Facts,
        seed: u64,
        depth: usize,
    ) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        if let Some(branches) = branches(schema) {
            let branch = branches
                .iter()
                .find(|b| self.spec.resolve(b)["type"] != "null")?;
            return self.make(branch, name, facts, seed, depth + 1);
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array) {
            let options: Vec<&Value> = options.iter().filter(|o| !o.is_null()).collect();
            return options
                .get(seed as usize % options.len().max(1))
                .map(|v| (*v).clone());
        }
        let kind = schema["type"]
            .as_str()
            .or_else(|| schema.get("properties").map(|_| "object"));
        match kind {
            Some("object") => Some(self.object(schema, facts, seed, depth)),
            Some("array") => {
                let items = schema.get("items").unwrap_or(&Value::Null);
                let item_schema = self.spec.resolve(items);
                let free_form = item_schema["type"] == "object"
                    && item_schema.get("properties").is_none()
                    && item_schema.get("additionalProperties").is_none();
                let min = schema["minItems"].as_u64().unwrap_or(0) as usize;
                let max = schema["maxItems"].as_u64().map_or(3, |m| m as usize);
                let count = if free_form {
                    min
                } else {
                    (1 + seed as usize % 3).clamp(min, max.max(min))
                };
                let singular = name.strip_suffix('s').unwrap_or(name);
                let values: Vec<Value> = (0..count)
                    .filter_map(|i| {
                        self.invent(item_schema, singular, facts, mix(seed, i as u64), depth + 1)
                    })
                    .collect();
                Some(Value::Array(values))
            }
            Some("string") => self.string(schema, name, facts, seed),
            Some("integer") => {
                let (low, high) = bounds(schema, 0.0, 1000.0);
                let (low, high) = (low.ceil() as i64, high.floor() as i64);
                let span = (high - low).max(0) as u64 + 1;
                Some(Value::from(low + (seed % span) as i64))
            }
            Some("number") => {
                let (low, high) = bounds(schema, 0.0, 100.0);
                let unit = (seed % 10_000) as f64 / 10_000.0;
                let value = ((low + unit * (high - low)) * 100.0).round() / 100.0;
                Number::from_f64(value.clamp(low, high)).map(Value::Number)
            }
            Some("boolean") => Some(Value::Bool(seed.is_multiple_of(2))),
            Some("null") => Some(Value::Null),
            _ => Some(json!({})),
        }
    }

    /// An object with every property the schema names that can be made, and the required
    /// ones whatever the facts say.
    fn object(&self, schema: &Value, facts: &Facts, seed: u64, depth: usize) -> Value {
        let mut out = Map::new();
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
                if let Some(value) =
                    self.invent(self.spec.resolve(values), "name", facts, seed, depth + 1)
                {
                    out.insert("name".into(), value);
                }
            }
            return Value::Object(out);
        };
        let required = required_names(schema);
        for (key, sub) in properties {
            let seed = mix(seed, hash(key));
            let value = self.make(sub, key, facts, seed, depth + 1).or_else(|| {
                if required.contains(&key.as_str()) {
                    self.invent(self.spec.resolve(sub), key, &Facts::new(), seed, depth + 1)
                } else {
                    None
                }
            });
            if let Some(value) = value {
                out.insert(key.clone(), value);
            }
        }
        Value::Object(out)
    }

    fn string(&self, schema: &Value, name: &str, facts: &Facts, seed: u64) -> Option<Value> {
        let domain = facts
            .get("domain")
            .and_then(Value::as_str)
            .unwrap_or("example.com");
        let date = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single()?
            - Duration::days((seed % 1000) as i64);
        let mut candidates: Vec<String> = Vec::new();
        match schema["format"].as_str() {
            Some("date-time") => candidates.push(date.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            Some("date") => candidates.push(date.format("%Y-%m-%d").to_string()),
            Some("email") => candidates.push(format!("info@{domain}")),
            Some("uri") => candidates.push(format!("https://www.{domain}")),
            _ => {}
        }
        if let Some(pattern) = schema["pattern"].as_str() {
            if let Matcher::List(_, list) = &*matcher(pattern) {
                if !list.is_empty() {
                    candidates.push(list[seed as usize % list.len()].clone());
                }
            }
            if let Some(example) = schema["example"].as_str() {
                candidates.push(example.to_string());
            }
            let hex = format!(
                "{:016x}{:016x}{:016x}",
                mix(seed, 1),
                mix(seed, 2),
                mix(seed, 3)
            );
            candidates.extend([
                hex[..32].to_string(),
                hex[..40].to_string(),
                format!("https://www.{domain}"),
                domain.to_string(),
                format!("{}", 10 + seed % 90),
                format!("{}", 1000 + seed % 9000),
                format!("+1415555{:04}", seed % 10_000),
            ]);
        } else if candidates.is_empty() {
            let entity = facts
                .get("name")
                .or_else(|| facts.get("full_name"))
                .and_then(Value::as_str);
            let words = name.replace('_', " ");
            candidates.push(match entity {
                Some(entity) if !words.is_empty() => format!("{entity} {words}"),
                _ if !words.is_empty() => format!("{words} {}", seed % 100),
                _ => format!("value {}", seed % 100),
            });
        }
        candidates
            .into_iter()
            .find_map(|candidate| fits_string(schema, truncated(schema, candidate)))
    }
}

/// The branches of an `anyOf` / `oneOf`.
fn branches(schema: &Value) -> Option<&Vec<Value>> {
    schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array)
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Cut to the schema's `maxLength`, in characters.
fn truncated(schema: &Value, text: String) -> String {
    match schema["maxLength"].as_u64() {
        Some(max) if text.chars().count() as u64 > max => text.chars().take(max as usize).collect(),
        _ => text,
    }
}

/// `text` if it satisfies the string schema's pattern, format and length.
fn fits_string(schema: &Value, text: String) -> Option<Value> {
    if (text.chars().count() as u64) < schema["minLength"].as_u64().unwrap_or(0) {
        return None;
    }
    if let Some(pattern) = schema["pattern"].as_str() {
        if !matcher(pattern).matches(&text) {
            return None;
        }
    }
    let format_ok = match schema["format"].as_str() {
        Some("date-time") => chrono::DateTime::parse_from_rfc3339(&text).is_ok(),
        Some("date") => chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").is_ok(),
        Some("email") => text
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.')),
        Some("uri") => text.starts_with("https://") || text.starts_with("http://"),
        _ => true,
    };
    format_ok.then_some(Value::String(text))
}

/// The schema's bounds (exclusive ones made inclusive by one unit), or a range as wide as the
/// defaults' beside the one bound given.
fn bounds(schema: &Value, low: f64, high: f64) -> (f64, f64) {
    let exclusive = |key: &str| schema[key] == Value::Bool(true);
    let min = schema["minimum"].as_f64().map(|m| {
        if exclusive("exclusiveMinimum") {
            m + 1.0
        } else {
            m
        }
    });
    let max = schema["maximum"].as_f64().map(|m| {
        if exclusive("exclusiveMaximum") {
            m - 1.0
        } else {
            m
        }
    });
    match (min, max) {
        (Some(min), Some(max)) => (min, max.max(min)),
        (Some(min), None) => (min, min + (high - low)),
        (None, Some(max)) => (max - (high - low), max),
        (None, None) => (low, high),
    }
}

fn in_bounds(schema: &Value, number: f64) -> bool {
    let (low, high) = bounds(schema, number, number);
    number >= low && number <= high
}

/// How a pattern is checked: a listed alternative (the 20–56 KB country, region and exchange
/// patterns are plain lists), or a regular expression.
enum Matcher {
    List(HashSet<String>, Vec<String>),
    Regex(regress::Regex),
    /// A pattern this engine cannot compile: nothing is checked.
    Any,
}

impl Matcher {
    fn matches(&self, text: &str) -> bool {
        match self {
            Self::List(set, _) => set.contains(text),
            Self::Regex(regex) => regex.find(text).is_some(),
            Self::Any => true,
        }
    }
}

/// The matcher of a pattern, compiled once per process. The document's patterns live as long
/// as the process, so their address finds them without hashing 56 KB texts; the text is
/// compared on a hit, in case the address was another pattern's (a test's short-lived
/// document).
fn matcher(pattern: &str) -> Arc<Matcher> {
    type Cache = Mutex<HashMap<(usize, usize), (String, Arc<Matcher>)>>;
    static MATCHERS: OnceLock<Cache> = OnceLock::new();
    let key = (pattern.as_ptr() as usize, pattern.len());
    let cache = MATCHERS.get_or_init(Mutex::default);
    if let Some((text, found)) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        if text == pattern {
            return Arc::clone(found);
        }
    }
    let made = Arc::new(match alternatives(pattern) {
        Some(list) => Matcher::List(list.iter().cloned().collect(), list),
        None => regress::Regex::new(pattern).map_or(Matcher::Any, Matcher::Regex),
    });
    cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key, (pattern.to_string(), Arc::clone(&made)));
    made
}
