//! The `schemars` feature, and a conformance test of the generator: for each operation's JSON
//! request body, three judges run side by side on one corpus (the documented examples, the
//! conformance suite's invalid requests, and seeded property-test cases drawn from the upstream
//! schema itself):
//!
//! - the upstream schema, from the merged document (what the service accepts);
//! - the JSON Schema derived from the generated type (what users of the feature consume);
//! - serde: deserializing into the generated type (what the generated layer accepts).
//!
//! Every disagreement with the upstream schema is named by type, field and rule. The known ones
//! are listed in [`KNOWN`] with their reason; any other one fails the test, so a generator
//! upgrade or a new upstream document that typify renders loosely fails CI, not users.

#![cfg(feature = "schemars")]

mod support;

use std::collections::{BTreeMap, BTreeSet};

use explorium::generated::types;
use explorium::testing::request_body_schema;
use jsonschema::paths::LocationSegment;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use serde_json::{json, Map, Value};
use support::*;

/// One operation's JSON request body and the generated type it becomes.
struct RequestType {
    operation: &'static str,
    component: &'static str,
    generated: Option<Generated>,
}

struct Generated {
    name: &'static str,
    schema: fn() -> schemars::Schema,
    deserialize: fn(&Value) -> Result<(), String>,
}

/// Expands the registry `build.rs` writes: one line per operation with a JSON body.
macro_rules! request_types {
    ($($operation:literal, $component:literal, $($generated:ident)?;)*) => {
        &[$(RequestType {
            operation: $operation,
            component: $component,
            generated: request_types!(@generated $($generated)?),
        },)*]
    };
    (@generated) => { None };
    (@generated $generated:ident) => {
        Some(Generated {
            name: stringify!($generated),
            schema: || schemars::schema_for!(types::$generated),
            deserialize: |value| {
                serde_json::from_value::<types::$generated>(value.clone())
                    .map(drop)
                    .map_err(|e| e.to_string())
            },
        })
    };
}

const REQUEST_TYPES: &[RequestType] = include!(concat!(env!("OUT_DIR"), "/request_types.rs"));

/// Who disagrees with the upstream schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Judge {
    /// The JSON Schema derived from the generated type.
    Derived,
    /// `serde_json::from_value` into the generated type.
    Serde,
}

/// Which way it disagrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Direction {
    /// The judge accepts what the upstream schema refuses: looser.
    Accepts,
    /// The judge refuses what the upstream schema accepts: stricter.
    Refuses,
}

/// A disagreement: `field` is the JSON path with indices as `[]`; `rule` the JSON Schema
/// keyword (for [`Judge::Serde`] refusing, `deserialize`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Disagreement {
    judge: Judge,
    direction: Direction,
    type_name: String,
    field: String,
    rule: String,
}

/// A disagreement we know of, and why it is acceptable. `*` matches every type or field: a
/// limitation of the generator, not of one document.
struct Known {
    judges: &'static [Judge],
    direction: Direction,
    type_name: &'static str,
    field: &'static str,
    rule: &'static str,
    reason: &'static str,
}

impl Known {
    fn matches(&self, found: &Disagreement) -> bool {
        let matches = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        self.judges.contains(&found.judge)
            && self.direction == found.direction
            && matches(self.type_name, &found.type_name)
            && matches(self.field, &found.field)
            && self.rule == found.rule
    }
}

const LIST_SIZES: &str = "typify renders an array as a plain `Vec`: neither its `Deserialize` \
    nor the schema derived from it has a length limit. The handwritten builders check list sizes \
    before sending; a body sent through `explorium::generated` directly is checked by the \
    service only (422, as the local test server does).";

const STRING_RULES: &str =
    "typify renders a string with a `pattern`, `minLength` or `maxLength` as a newtype \
    whose `Deserialize` and `FromStr` check the rule, so serde agrees with the upstream schema; \
    but the newtype is `#[serde(transparent)]` over `String`, so the derived schema says only \
    `string`.";

const UNIQUE_ITEMS: &str = "typify recognises `uniqueItems` but renders the set as a plain \
    `Vec` (typify 0.8 has no set type yet): neither its `Deserialize` nor the schema derived from \
    it refuses an item given twice. The handwritten builders drop repeated ids before sending; a \
    body sent through `explorium::generated` directly is checked by the service only.";

const NULL_FOR_ABSENT: &str = "typify renders an optional property as `Option<T>`: serde reads \
    `null` as absent, and schemars describes it as `T` or `null`, where the upstream schema \
    refuses `null` unless the property is `nullable`. Serializing leaves out an absent property \
    (`skip_serializing_if`), so the crate never sends that `null`; only JSON deserialized into a \
    request type, or checked by its derived schema, lets one through. The document does not say \
    the service accepts `null` there, so no correction declares it `nullable`.";

const INTEGER_BOUNDS: &str = "typify enforces an integer's bounds only through the Rust type it \
    picks: `minimum: 1` becomes `NonZeroU64`, and a `maximum` below that type's own is dropped, \
    by its `Deserialize` and by the derived schema alike. The handwritten builders check the \
    maximum before sending (`number_of_events`: 1 to 10).";

/// Every known disagreement, as data (`openapi/README.md` lists them for readers).
const KNOWN: &[Known] = &[
    Known {
        judges: &[Judge::Derived, Judge::Serde],
        direction: Direction::Accepts,
        type_name: "*",
        field: "*",
        rule: "minItems",
        reason: LIST_SIZES,
    },
    Known {
        judges: &[Judge::Derived, Judge::Serde],
        direction: Direction::Accepts,
        type_name: "*",
        field: "*",
        rule: "maxItems",
        reason: LIST_SIZES,
    },
    Known {
        judges: &[Judge::Derived],
        direction: Direction::Accepts,
        type_name: "*",
        field: "*",
        rule: "pattern",
        reason: STRING_RULES,
    },
    Known {
        judges: &[Judge::Derived],
        direction: Direction::Accepts,
        type_name: "*",
        field: "*",
        rule: "minLength",
        reason: STRING_RULES,
    },
    Known {
        judges: &[Judge::Derived],
        direction: Direction::Accepts,
        type_name: "*",
        field: "*",
        rule: "maxLength",
        reason: STRING_RULES,
    },
    Known {
        judges: &[Judge::Derived, Judge::Serde],
        direction: Direction::Accepts,
        type_name: "*",
        field: "*",
        rule: "uniqueItems",
        reason: UNIQUE_ITEMS,
    },
    Known {
        judges: &[Judge::Derived, Judge::Serde],
        direction: Direction::Accepts,
        type_name: "*",
        field: "*",
        rule: "nullable",
        reason: NULL_FOR_ABSENT,
    },
    Known {
        judges: &[Judge::Derived, Judge::Serde],
        direction: Direction::Accepts,
        type_name: "*",
        field: "*",
        rule: "maximum",
        reason: INTEGER_BOUNDS,
    },
];

/// An upstream violation: (field, rule).
type Violation = (String, String);

/// The violations a validator reports, as (field, rule).
fn violations(validator: &jsonschema::Validator, value: &Value) -> BTreeSet<Violation> {
    let mut found = BTreeSet::new();
    for error in validator.iter_errors(value) {
        collect(&error, &mut found);
    }
    found
}

/// One error's violations. An `anyOf` or `oneOf` that no option meets is resolved to the
/// reason of the option the value is meant for, as the upstream schema (with no such
/// combinator) reports it: schemars renders every `Option<T>` as `anyOf [T, null]`, and the
/// validator stops at the `anyOf`, which would hide each rule of `T` behind it. An option
/// failing on `type` alone is of another type than the value: if exactly one option is of the
/// value's type, its violations are the reason; if none is, the value's type is.
fn collect(error: &jsonschema::ValidationError<'_>, found: &mut BTreeSet<Violation>) {
    use jsonschema::error::ValidationErrorKind as Kind;
    if let Kind::AnyOf { context } | Kind::OneOfNotValid { context } = error.kind() {
        let of_another_type = |errors: &Vec<jsonschema::ValidationError<'_>>| {
            errors.iter().all(|e| {
                matches!(e.kind(), Kind::Type { .. }) && e.instance_path() == error.instance_path()
            })
        };
        let of_its_type: Vec<_> = context.iter().filter(|o| !of_another_type(o)).collect();
        match of_its_type.as_slice() {
            [] => {
                found.insert((field(error), rule(error, "type")));
                return;
            }
            [option] => {
                for error in option.iter() {
                    collect(error, found);
                }
                return;
            }
            _ => {}
        }
    }
    found.insert((field(error), rule(error, error.kind().keyword())));
}

/// The JSON path of an error, with indices as `[]`, and the property missing or unexpected
/// rather than the object holding it.
fn field(error: &jsonschema::ValidationError<'_>) -> String {
    let mut field = String::new();
    for segment in error.instance_path().iter() {
        match segment {
            LocationSegment::Property(name) => {
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(&name);
            }
            LocationSegment::Index(_) => field.push_str("[]"),
        }
    }
    let named = match error.kind() {
        jsonschema::error::ValidationErrorKind::Required { property } => {
            property.as_str().map(str::to_string)
        }
        jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
            unexpected.first().cloned()
        }
        _ => None,
    };
    if let Some(name) = named {
        if !field.is_empty() {
            field.push('.');
        }
        field.push_str(&name);
    }
    field
}

/// The rule an error breaks: its keyword, but `nullable` for a `null` refused by `type` or
/// `enum`, as OpenAPI 3.0 says whether `null` is allowed with `nullable`. A `null` where a
/// value of another type is refused is a different disagreement from a wrong type.
fn rule(error: &jsonschema::ValidationError<'_>, keyword: &str) -> String {
    if error.instance().is_null() && matches!(keyword, "type" | "enum") {
        "nullable".to_string()
    } else {
        keyword.to_string()
    }
}

/// The judge of a derived schema. It is draft 2020-12, where `format` is only an annotation
/// unless the validator is told to assert it, as the draft 4 judge of the upstream schema does:
/// where both schemas say `format: date-time`, both judges read it alike.
fn derived_validator(
    schema: &Value,
) -> Result<jsonschema::Validator, jsonschema::ValidationError<'static>> {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
}

/// What one request type's three judges make of one value.
fn judge(
    type_name: &str,
    upstream: &jsonschema::Validator,
    derived: &jsonschema::Validator,
    generated: &Generated,
    value: &Value,
) -> Vec<Disagreement> {
    let expected = violations(upstream, value);
    let derived = violations(derived, value);
    let at = |judge, direction, (field, rule): &Violation| Disagreement {
        judge,
        direction,
        type_name: type_name.to_string(),
        field: field.clone(),
        rule: rule.clone(),
    };
    let mut found: Vec<Disagreement> = expected
        .difference(&derived)
        .map(|v| at(Judge::Derived, Direction::Accepts, v))
        .chain(
            derived
                .difference(&expected)
                .map(|v| at(Judge::Derived, Direction::Refuses, v)),
        )
        .collect();
    match ((generated.deserialize)(value), expected.is_empty()) {
        (Ok(()), false) => {
            found.extend(
                expected
                    .iter()
                    .map(|v| at(Judge::Serde, Direction::Accepts, v)),
            );
        }
        (Err(error), true) => found.push(at(
            Judge::Serde,
            Direction::Refuses,
            &(error, "deserialize".to_string()),
        )),
        _ => {}
    }
    found
}

/// The documented examples and the conformance suite's cases, by operation.
fn suite_cases() -> BTreeMap<&'static str, Vec<Value>> {
    let mut cases: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    cases.entry("add_prospects_enrollments").or_default().extend([
        add_prospects_example(),
        with_field(add_prospects_example(), "ttl_days", json!(365)),
        with_field(add_prospects_example(), "request_context", json!(null)),
        with_field(add_prospects_example(), "request_context", json!({"trace": "x"})),
        with_field(add_prospects_example(), "request_context", json!("text")),
        json!({"enrollment_key": "abc", "prospect_ids": ["ABC"], "event_types": [], "extra": 1}),
    ]);
    cases
        .entry("update_prospects_enrollments")
        .or_default()
        .push(update_prospects_example());
    cases
        .entry("update_businesses_enrollments")
        .or_default()
        .push(update_businesses_example());
    // Valid but for one id given twice: whether each judge sees `uniqueItems` at all.
    cases
        .entry("fetch_prospects_events")
        .or_default()
        .push(json!({
            "prospect_ids": [prospect_id(1), prospect_id(1)],
            "event_types": ["prospect_changed_role"],
        }));
    cases
        .entry("fetch_businesses_events")
        .or_default()
        .push(json!({
            "business_ids": [business_id(1), business_id(1)],
            "event_types": ["new_funding_round"],
        }));
    for (_, path, body, _, _) in invalid_requests() {
        let operation = if path == PROSPECTS_PATH {
            "add_prospects_enrollments"
        } else {
            "update_businesses_enrollments"
        };
        cases.entry(operation).or_default().push(body);
    }
    cases
}

/// The examples an operation's request body carries in the merged document (`example`,
/// `examples.*.value`, the body schema's own `example`), for documents published with them.
fn documented_examples(document: &Value, operation_id: &str) -> Vec<Value> {
    let operations = document["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(_, item)| item.as_object().into_iter().flatten())
        .map(|(_, operation)| operation);
    let mut examples = Vec::new();
    for operation in operations.filter(|o| o["operationId"] == operation_id) {
        let Some(media) = operation.pointer("/requestBody/content/application~1json") else {
            continue;
        };
        let mut schema = &media["schema"];
        if let Some(reference) = schema["$ref"].as_str() {
            schema = document
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or(&Value::Null);
        }
        let named = media["examples"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, example)| &example["value"]);
        examples.extend(
            [&media["example"], &schema["example"]]
                .into_iter()
                .chain(named)
                .filter(|example| !example.is_null())
                .cloned(),
        );
    }
    examples
}

fn with_field(mut body: Value, field: &str, value: Value) -> Value {
    body[field] = value;
    body
}

/// Values drawn from an upstream schema: mostly valid, and near every rule's edge (one item
/// too few or too many, one character short, a pattern's case changed, a required field
/// dropped, an extra one added, a wrong type).
fn drawn_from(schema: &Value, root: &Value) -> BoxedStrategy<Value> {
    if let Some(reference) = schema["$ref"].as_str() {
        let target = root
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("unresolved {reference}"));
        return drawn_from(target, root);
    }
    for combinator in ["allOf", "anyOf", "oneOf"] {
        if let Some(options) = schema[combinator].as_array() {
            let options: Vec<_> = options.iter().map(|s| drawn_from(s, root)).collect();
            return proptest::strategy::Union::new(options).boxed();
        }
    }
    let wrong_type = prop_oneof![
        Just(json!(null)),
        Just(json!(7)),
        Just(json!("text")),
        Just(json!([])),
        Just(json!({})),
    ];
    if let Some(values) = schema["enum"].as_array() {
        let known = prop::sample::select(values.clone());
        let unknown = "[a-z_]{0,12}".prop_map(Value::String);
        return prop_oneof![8 => known, 1 => unknown, 1 => wrong_type].boxed();
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(kind) => vec![kind.as_str()],
        Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => vec!["object", "string", "null"],
    };
    let shaped: Vec<BoxedStrategy<Value>> = types
        .iter()
        .map(|kind| match *kind {
            "object" => object(schema, root),
            "array" => array(schema, root),
            "string" => string(schema),
            "integer" => any::<i32>().prop_map(|n| json!(n)).boxed(),
            "number" => (-1e6..1e6f64).prop_map(|n| json!(n)).boxed(),
            "boolean" => any::<bool>().prop_map(Value::Bool).boxed(),
            _ => Just(Value::Null).boxed(),
        })
        .collect();
    prop_oneof![12 => proptest::strategy::Union::new(shaped), 1 => wrong_type].boxed()
}

fn object(schema: &Value, root: &Value) -> BoxedStrategy<Value> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, property)| {
            let name = name.clone();
            let present = if required.contains(&name.as_str()) {
                0.95
            } else {
                0.5
            };
            prop::option::weighted(present, drawn_from(property, root))
                .prop_map(move |value| value.map(|value| (name.clone(), value)))
                .boxed()
        })
        .collect();
    let extra = prop::option::weighted(0.05, ("[a-z]{1,8}", Just(json!(1))));
    (fields, extra)
        .prop_map(|(fields, extra)| {
            let mut object: Map<String, Value> = fields.into_iter().flatten().collect();
            if let Some((name, value)) = extra {
                object.entry(name).or_insert(value);
            }
            Value::Object(object)
        })
        .boxed()
}

fn array(schema: &Value, root: &Value) -> BoxedStrategy<Value> {
    let bound = |key: &str| schema[key].as_u64().map(|n| n as usize);
    let low = bound("minItems").unwrap_or(0).saturating_sub(1);
    let high = bound("maxItems").unwrap_or(low + 4) + 1;
    let items = prop::collection::vec(drawn_from(&schema["items"], root), low..=high);
    if schema["uniqueItems"] != true {
        return items.prop_map(Value::Array).boxed();
    }
    // The rule's edge: the first item again, in place of the last (the size is another edge).
    (items, prop::bool::weighted(0.25))
        .prop_map(|(mut items, twice)| {
            if let (true, [first, .., last]) = (twice, items.as_mut_slice()) {
                *last = first.clone();
            }
            Value::Array(items)
        })
        .boxed()
}

fn string(schema: &Value) -> BoxedStrategy<Value> {
    let bound = |key: &str| schema[key].as_u64().map(|n| n as usize);
    let low = bound("minLength").unwrap_or(0).saturating_sub(1);
    let high = bound("maxLength").unwrap_or(low + 24) + 1;
    let sized = proptest::string::string_regex(&format!("[a-z0-9_]{{{low},{high}}}"))
        .expect("a valid regex")
        .prop_map(Value::String);
    let Some(pattern) = schema["pattern"].as_str() else {
        return sized.boxed();
    };
    // proptest generates whole strings: the anchors are implied.
    let unanchored = pattern.trim_start_matches('^').trim_end_matches('$');
    let matching = proptest::string::string_regex(unanchored)
        .unwrap_or_else(|e| panic!("pattern {pattern}: {e}"))
        .boxed();
    let shouting = matching.clone().prop_map(|s| s.to_uppercase());
    prop_oneof![
        6 => matching.prop_map(Value::String),
        1 => shouting.prop_map(Value::String),
        1 => sized,
    ]
    .boxed()
}

/// Seeded: the same cases every run.
fn drawn_cases(schema: &Value, count: usize) -> Vec<Value> {
    let strategy = drawn_from(schema, schema);
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x5c4e_3a25),
        ..Config::default()
    });
    (0..count)
        .map(|_| strategy.new_tree(&mut runner).expect("a case").current())
        .collect()
}

#[test]
fn every_request_type_agrees_with_the_upstream_schema_but_for_known_disagreements() {
    let document: Value =
        serde_json::from_str(include_str!(concat!(env!("OUT_DIR"), "/explorium.json"))).unwrap();
    let suite = suite_cases();
    let mut found: BTreeMap<Disagreement, Value> = BTreeMap::new();
    let mut checked = BTreeSet::new();
    for request in REQUEST_TYPES {
        let Some(generated) = &request.generated else {
            panic!(
                "{}: no generated type found for its request body `{}`",
                request.operation, request.component
            );
        };
        let schema = request_body_schema(request.operation).expect("the server knows it");
        let upstream = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .build(&schema)
            .unwrap();
        let derived_schema = (generated.schema)().to_value();
        let derived = derived_validator(&derived_schema)
            .unwrap_or_else(|e| panic!("{}: derived schema: {e}", generated.name));
        let mut cases = drawn_cases(&schema, 512);
        cases.extend(suite.get(request.operation).into_iter().flatten().cloned());
        cases.extend(documented_examples(&document, request.operation));
        for value in cases {
            for disagreement in judge(generated.name, &upstream, &derived, generated, &value) {
                // The shortest example of each is the one reported.
                let example = found.entry(disagreement).or_insert_with(|| value.clone());
                if value.to_string().len() < example.to_string().len() {
                    *example = value.clone();
                }
            }
        }
        checked.insert(request.operation);
    }

    // Every operation of the document with a JSON body was checked: the registry is complete.
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation
                .pointer("/requestBody/content/application~1json")
                .is_some()
            {
                let id = operation["operationId"].as_str().unwrap();
                assert!(checked.contains(id), "{method} {path} ({id}) not checked");
            }
        }
    }

    let unknown: Vec<String> = found
        .iter()
        .filter(|(d, _)| !KNOWN.iter().any(|known| known.matches(d)))
        .map(|(d, example)| {
            let (judge, direction) = match (d.judge, d.direction) {
                (Judge::Derived, Direction::Accepts) => ("its derived schema", "accepts"),
                (Judge::Derived, Direction::Refuses) => ("its derived schema", "refuses"),
                (Judge::Serde, Direction::Accepts) => ("serde", "accepts"),
                (Judge::Serde, Direction::Refuses) => ("serde", "refuses"),
            };
            format!(
                "{}: {judge} {direction} what the upstream schema does not; field `{}`, rule \
                 `{}`; e.g. {example}",
                d.type_name, d.field, d.rule
            )
        })
        .collect();
    assert!(
        unknown.is_empty(),
        "{} unknown disagreement(s) with the upstream schema:\n{}",
        unknown.len(),
        unknown.join("\n")
    );
    // A known disagreement that no longer shows is stale: remove it from the list.
    for known in KNOWN {
        assert!(
            found.keys().any(|d| known.matches(d)),
            "known disagreement no longer seen, remove it: {} `{}` `{}` ({})",
            known.type_name,
            known.field,
            known.rule,
            known.reason
        );
    }
}

#[test]
fn a_rule_behind_an_option_or_a_refused_null_is_named_as_upstream_names_it() {
    let derived = schemars::schema_for!(types::WebhookCheckConnectivityRequest).to_value();
    let derived = derived_validator(&derived).unwrap();
    let upstream = request_body_schema("check_webhook_connectivity").unwrap();
    let upstream = jsonschema::draft4::new(&upstream).unwrap();
    let violation = |field: &str, rule: &str| BTreeSet::from([(field.into(), rule.into())]);
    for judge in [&derived, &upstream] {
        // Behind `anyOf [WebhookSimulation, null]` in the derived schema.
        let zero = json!({"partner_id": "p", "simulation": {"number_of_events": 0}});
        assert_eq!(
            violations(judge, &zero),
            violation("simulation.number_of_events", "minimum")
        );
        let late = json!({"partner_id": "p", "simulation": {"event_time": "late"}});
        assert_eq!(
            violations(judge, &late),
            violation("simulation.event_time", "format")
        );
        // Of none of the options' types.
        let number = json!({"partner_id": "p", "simulation": 7});
        assert_eq!(violations(judge, &number), violation("simulation", "type"));
    }
    let null = json!({"partner_id": "p", "simulation": {"event_name": null}});
    assert_eq!(
        violations(&upstream, &null),
        violation("simulation.event_name", "nullable")
    );
    assert_eq!(violations(&derived, &null), BTreeSet::new());
}

#[tokio::test]
async fn an_enrollment_serializes_in_the_response_shape_and_its_schema_says_so() {
    let server = explorium::testing::LocalServer::start().await.unwrap();
    let enrollment = enroll(&client_for(&server)).await.unwrap();
    let value = serde_json::to_value(&enrollment).unwrap();
    let context = enrollment.context().unwrap();
    assert_eq!(value["enrollment_id"], enrollment.enrollment_id());
    assert_eq!(
        value["response_context"]["correlation_id"],
        context.correlation_id()
    );
    assert_eq!(value["response_context"]["request_status"], "success");
    assert!(value["response_context"]["time_took_in_seconds"].is_number());

    let derived = schemars::schema_for!(explorium::Enrollment).to_value();
    let derived = jsonschema::validator_for(&derived).unwrap();
    assert_eq!(violations(&derived, &value), BTreeSet::new());
    // Any status string, as the server may add some.
    let mut unknown_status = value.clone();
    unknown_status["response_context"]["request_status"] = json!("queued");
    assert!(derived.is_valid(&unknown_status));
    assert!(!derived.is_valid(&json!({"enrollment_id": "en_1"})));

    // And it is what the service documents for the response.
    let document: Value =
        serde_json::from_str(include_str!(concat!(env!("OUT_DIR"), "/explorium.json"))).unwrap();
    let response = json!({
        "allOf": [{"$ref": "#/components/schemas/ProspectsEnrollmentsAddResponse"}],
        "components": document["components"],
    });
    let upstream = jsonschema::draft4::new(&response).unwrap();
    assert_eq!(violations(&upstream, &value), BTreeSet::new());
}

/// `body` as Explorium delivers it, signed, through the verifier: the decoded event.
fn delivered(body: &Value) -> explorium::webhook::Event {
    let verifier = explorium::webhook::Verifier::new("c2VjcmV0LWtleS1ieXRlcw==").unwrap();
    let body = body.to_string();
    let timestamp = "1742125000";
    let signature = verifier.signature(timestamp, body.as_bytes());
    let received = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_742_125_000);
    verifier
        .verify_at(timestamp, &signature, body.as_bytes(), received)
        .unwrap()
}

#[test]
fn a_webhook_event_serializes_as_delivered_and_its_schema_says_so() {
    // The webhooks page's "Event Payload Structure".
    let documented = json!({
        "tenant_id": "con_NJEwX2IUhNNbaRDC",
        "partner_id": "ExpTest",
        "event_id": "event_id_for_company_updates-12345",
        "event_name": "new_product",
        "entity_id": "340c8040bd50cbab9c7df718bbe51cc9",
        "entity_type": "business",
        "data": {
            "link": "https://www.linkedin.com/posts/explorium-ai_ai-gtm-exploriumagentsource-activity-7310662960643768320-osau",
            "product_name": "AgentSource",
            "product_description": "Explorium launches AgentSource, a powerful B2B data API suite designed to fuel AI-driven go-to-market strategies"
        },
        "enrollment_key": "company_updates_demo"
    });
    let derived = schemars::schema_for!(explorium::webhook::Event).to_value();
    let derived = derived_validator(&derived).unwrap();
    assert_eq!(violations(&derived, &documented), BTreeSet::new());
    assert_eq!(
        serde_json::to_value(delivered(&documented)).unwrap(),
        documented
    );

    let older = json!({"event_id": "e1", "event_type": "prospect_changed_company",
        "entity_id": PROSPECT_ID, "entity_type": "prospect", "enrollment_key": "k"});
    let simulated = json!({"event_id": "sim-1", "event_name": "award",
        "entity_id": "8adce3ca1cef0c986b22310e369a0793", "entity_type": "company",
        "enrollment_key": "simulation", "data": {"award_name": "Best Data Platform"}});
    for body in [documented, older, simulated] {
        let event = delivered(&body);
        let value = serde_json::to_value(&event).unwrap();
        assert_eq!(violations(&derived, &value), BTreeSet::new(), "{value}");
        // What it serializes to is a delivery of the same event.
        assert_eq!(delivered(&value), event);
    }

    // Any name, with the known ones as examples.
    let name = schemars::schema_for!(explorium::EventName);
    let examples = name.get("examples").and_then(Value::as_array).unwrap();
    assert!(examples.contains(&json!("prospect_changed_role")));
    assert!(examples.contains(&json!("new_office")));

    let mut nameless = serde_json::to_value(delivered(&json!({"event_id": "e2",
        "event_name": "new_office", "entity_id": "x", "entity_type": "business",
        "enrollment_key": "k"})))
    .unwrap();
    nameless.as_object_mut().unwrap().remove("event_name");
    assert_eq!(
        violations(&derived, &nameless),
        BTreeSet::from([("event_name".into(), "required".into())])
    );
}

#[test]
fn listed_enrollments_and_fetched_events_serialize_as_their_schemas_say() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(explorium::testing::LocalServer::start())
        .unwrap();
    let client = client_for(&server);
    server.inject(explorium::testing::Fault::respond(
        200,
        json!({"enrollments": [{"enrollment_id": "en_1", "enrollment_key": "tech_executives_monitor",
            "prospect_ids": [PROSPECT_ID], "event_types": ["prospect_changed_role", "award"]}]}),
    ));
    let listed = runtime.block_on(client.prospects().enrollments()).unwrap();
    let value = serde_json::to_value(&listed[0]).unwrap();
    assert_eq!(
        value,
        json!({"enrollment_id": "en_1", "enrollment_key": "tech_executives_monitor",
            "ids": [PROSPECT_ID], "event_types": ["prospect_changed_role", "award"]})
    );
    let derived = schemars::schema_for!(explorium::ListedEnrollment).to_value();
    let derived = derived_validator(&derived).unwrap();
    assert_eq!(violations(&derived, &value), BTreeSet::new());

    server.inject(explorium::testing::Fault::respond(
        200,
        json!({"output_events": [{"event_name": "prospect_changed_company",
            "event_time": "2024-07-01T00:00:00+00:00", "event_id": "3f7e",
            "data": {"current_company_name": "Headovations"}, "prospect_id": PROSPECT_ID}]}),
    ));
    let events = runtime
        .block_on(
            client
                .prospects()
                .events()
                .prospect_id(PROSPECT_ID)
                .event_type("prospect_changed_company")
                .send(),
        )
        .unwrap();
    let value = serde_json::to_value(&events[0]).unwrap();
    assert_eq!(value["entity_id"], PROSPECT_ID);
    assert_eq!(value["event_name"], "prospect_changed_company");
    assert_eq!(value["event_time"], "2024-07-01T00:00:00Z");
    let derived = schemars::schema_for!(explorium::FetchedEvent).to_value();
    let derived = derived_validator(&derived).unwrap();
    assert_eq!(violations(&derived, &value), BTreeSet::new());
    assert!(!derived.is_valid(&json!({"event_id": "e"})));
}
