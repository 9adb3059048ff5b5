//! The typed filters of a search or a count: [`BusinessFilters`] and [`ProspectFilters`], one
//! setter per filter the documents define (written at build time by `build/filters.rs`), and
//! what they share ([`FilterSet`]): the filters as JSON until the request is sent, then
//! checked against the generated (strict) filters type; when it refuses them, each filter
//! apart, so that the error names it.

use std::ops::{Bound, RangeBounds};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::transport::error::Error;
use crate::validate::quoted;

include!(concat!(env!("OUT_DIR"), "/filters.rs"));

/// What a filters builder may be. Sealed.
pub trait Sealed {}

/// A filter the search's request cannot hold: where, and the rule it breaks.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    field: String,
    rule: String,
}

impl Refused {
    pub(crate) fn new(field: impl Into<String>, rule: impl std::fmt::Display) -> Self {
        Self {
            field: field.into(),
            rule: rule.to_string(),
        }
    }

    pub(crate) fn into_error(self) -> Error {
        Error::invalid_request(self.field, self.rule)
    }
}

/// The filters set so far, as their JSON; those that could not be made, by name, with the
/// rule they break (a setter called again replaces its filter's refusal too).
#[derive(Debug, Clone, Default)]
pub(crate) struct FilterSet {
    fields: Map<String, Value>,
    broken: std::collections::BTreeMap<String, String>,
}

impl FilterSet {
    fn refuse(&mut self, name: &str, rule: String) {
        self.fields.remove(name);
        self.broken.insert(name.into(), rule);
    }

    pub(crate) fn values<I>(mut self, name: &str, values: I, negate: bool) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let values: Vec<Value> = values
            .into_iter()
            .map(|v| Value::String(v.into()))
            .collect();
        self.broken.remove(name);
        let mut filter = Map::new();
        filter.insert("values".into(), values.into());
        if negate {
            filter.insert("negate".into(), true.into());
        }
        // A flag set before the values is kept.
        if let Some(Value::Object(before)) = self.fields.remove(name) {
            for (key, value) in before {
                if key != "values" && key != "negate" {
                    filter.insert(key, value);
                }
            }
        }
        self.fields.insert(name.into(), filter.into());
        self
    }

    pub(crate) fn flag(mut self, name: &str, flag: &str, value: bool) -> Self {
        let filter = self
            .fields
            .entry(name)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(filter) = filter {
            filter.insert(flag.into(), value.into());
        }
        self
    }

    pub(crate) fn exists(mut self, name: &str, value: bool) -> Self {
        self.broken.remove(name);
        let mut filter = Map::new();
        filter.insert("value".into(), value.into());
        self.fields.insert(name.into(), filter.into());
        self
    }

    pub(crate) fn range(mut self, name: &str, range: &impl RangeBounds<i64>, negate: bool) -> Self {
        // The service's bounds are inclusive; an excluded bound is moved to the next integer.
        let gte = match range.start_bound() {
            Bound::Included(&n) => Some(Some(n)),
            Bound::Excluded(&n) => Some(n.checked_add(1)),
            Bound::Unbounded => None,
        };
        let lte = match range.end_bound() {
            Bound::Included(&n) => Some(Some(n)),
            Bound::Excluded(&n) => Some(n.checked_sub(1)),
            Bound::Unbounded => None,
        };
        self.broken.remove(name);
        if gte == Some(None) || lte == Some(None) {
            self.refuse(name, "a bound past the range of 64-bit integers".into());
            return self;
        }
        let mut filter = Map::new();
        if let Some(Some(gte)) = gte {
            filter.insert("gte".into(), gte.into());
        }
        if let Some(Some(lte)) = lte {
            filter.insert("lte".into(), lte.into());
        }
        if let (Some(Some(gte)), Some(Some(lte))) = (gte, lte) {
            if gte > lte {
                self.refuse(name, format!("the range {gte} to {lte} is empty"));
                return self;
            }
        }
        if negate {
            filter.insert("negate".into(), true.into());
        }
        self.fields.insert(name.into(), filter.into());
        self
    }

    pub(crate) fn typed(mut self, name: &str, filter: &impl Serialize) -> Self {
        self.broken.remove(name);
        match serde_json::to_value(filter) {
            Ok(value) => {
                self.fields.insert(name.into(), value);
            }
            Err(e) => self.refuse(name, e.to_string()),
        }
        self
    }

    /// The filters' JSON, checked against `T` (the generated filters type). When `T` refuses
    /// them, each filter is checked on its own, so that the error names the filter and, in a
    /// list, the first value it refuses.
    pub(crate) fn checked<T: DeserializeOwned>(self) -> Result<Value, Refused> {
        if let Some((name, rule)) = self.broken.into_iter().next() {
            return Err(Refused::new(format!("filters.{name}"), rule));
        }
        for (name, value) in &self.fields {
            if value
                .get("values")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
            {
                return Err(Refused::new(
                    format!("filters.{name}"),
                    "no values: leave the filter out to select everything",
                ));
            }
        }
        let all = Value::Object(self.fields);
        let Err(whole) = serde_json::from_value::<T>(all.clone()) else {
            return Ok(all);
        };
        let accepts = |name: &str, value: &Value| {
            let mut one = Map::new();
            one.insert(name.into(), value.clone());
            serde_json::from_value::<T>(Value::Object(one)).map(|_| ())
        };
        for (name, value) in all.as_object().into_iter().flatten() {
            let Err(error) = accepts(name, value) else {
                continue;
            };
            // In a list, the first value refused on its own.
            if let Some(values) = value.get("values").and_then(Value::as_array) {
                for (index, one) in values.iter().enumerate() {
                    let mut alone = value.clone();
                    alone["values"] = Value::Array(vec![one.clone()]);
                    if let Err(error) = accepts(name, &alone) {
                        let shown = one.as_str().map_or_else(|| one.to_string(), quoted);
                        return Err(Refused::new(
                            format!("filters.{name}.values[{index}]"),
                            format!("{shown}: {}", bounded(&error)),
                        ));
                    }
                }
            }
            return Err(Refused::new(format!("filters.{name}"), bounded(&error)));
        }
        Err(Refused::new("filters", bounded(&whole)))
    }
}

/// The generated type's words for a refusal, at most [`RULE_LIMIT`] characters: a pattern can
/// be a kilobyte of alternatives.
fn bounded(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.char_indices().nth(RULE_LIMIT) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// The longest refusal quoted from the generated type.
const RULE_LIMIT: usize = 160;
