//! Enrich, single and bulk, for every enrichment the documents define: the output each
//! operation's 200 schema describes, made from the entity's facts (see [`super::synth`]).
//!
//! The answer's shape is read from the response schema: `data` as one output (or a list of
//! them) beside `entity_id` for a single enrichment, `data` as rows `{<id>, data}` beside
//! `total_results` for a bulk one (and for custom enrichments, single or bulk).

use serde_json::{json, Map, Value};

use super::spec::Spec;
use super::synth::{hash, mix, Facts, Synth};
use super::world::{Entity, World};

/// An enrichment's answer: its fields, whether any id was known, and its cost in credits.
pub(super) struct Enriched {
    pub(super) fields: Map<String, Value>,
    pub(super) found: bool,
    pub(super) cost: u64,
}

/// Credits per entity enriched: contacts cost 2 (email only) or 5 (with phone), as the
/// contacts page says; every other enrichment 1.
fn price(contacts: bool, types: &[&str]) -> u64 {
    match (contacts, types) {
        (false, _) => 1,
        (true, ["email"]) => 2,
        (true, _) => 5,
    }
}

pub(super) fn answer(
    spec: &Spec,
    world: &World,
    operation: &super::spec::Operation,
    path_params: &Map<String, Value>,
    body: &Map<String, Value>,
) -> Enriched {
    let fields: Vec<&str> = body.keys().map(String::as_str).collect();
    let entity = Entity::of(&operation.path, &fields).unwrap_or(Entity::Business);
    let single = entity.id_field();
    let many = format!("{single}s");
    let mut ids: Vec<&str> = match body.get(single).and_then(Value::as_str) {
        Some(id) => vec![id],
        None => body
            .get(&many)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect(),
    };
    // Duplicates are enriched (and charged) once, at their first place.
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    let known: Vec<(&str, u32)> = ids
        .iter()
        .filter_map(|id| {
            let index = match entity {
                Entity::Business => world.business_index(id),
                Entity::Prospect => world.person_index(id),
            }?;
            Some((*id, index))
        })
        .collect();
    let response = operation
        .response
        .as_ref()
        .map(|r| spec.resolve(r))
        .unwrap_or(&Value::Null);
    let data = response
        .pointer("/properties/data")
        .map(|d| spec.resolve(d))
        .unwrap_or(&Value::Null);
    let parameters = body.get("parameters").and_then(Value::as_object);
    let types: Vec<&str> = parameters
        .and_then(|p| p.get("contact_types"))
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let synth = Synth::new(spec);
    let salt = hash(&operation.path);
    let output = |schema: &Value, index: u32| -> Value {
        let (mut facts, seed) = match entity {
            Entity::Business => (world.business_facts(index), world.business(index).seed),
            Entity::Prospect => (world.person_facts(index), u64::from(index)),
        };
        restrict_contacts(&mut facts, &types);
        for (name, value) in parameters.into_iter().flatten() {
            facts.insert(name.clone(), value.clone());
        }
        let schema = spec.resolve(schema);
        if is_free_form(schema) {
            // A custom enrichment's fields are the user's own, which no document describes.
            let mut out = Map::new();
            out.insert(
                entity.id_field().into(),
                facts.get(entity.id_field()).cloned().unwrap_or(Value::Null),
            );
            for (name, value) in path_params {
                out.insert(name.clone(), value.clone());
            }
            return Value::Object(out);
        }
        synth.value(schema, &facts, mix(seed, salt))
    };
    let contacts = contact_outputs(spec, data);
    let cost = known.len() as u64 * price(contacts, &types);
    let mut fields = Map::new();
    match data.get("type").and_then(Value::as_str) {
        Some("array") => {
            let row = data
                .get("items")
                .map(|r| spec.resolve(r))
                .unwrap_or(&Value::Null);
            let output_schema = row.pointer("/properties/data").unwrap_or(&Value::Null);
            let rows: Vec<Value> = known
                .iter()
                .map(|(id, index)| {
                    let mut row = Map::new();
                    row.insert(entity.id_field().into(), (*id).into());
                    row.insert("data".into(), output(output_schema, *index));
                    Value::Object(row)
                })
                .collect();
            fields.insert("total_results".into(), rows.len().into());
            fields.insert("data".into(), rows.into());
        }
        _ => {
            let output_schema = one_output(spec, data);
            let value = match known.first() {
                Some((_, index)) => output(output_schema, *index),
                // An unknown id: no data, and a `miss`.
                None => json!([]),
            };
            fields.insert("data".into(), value);
            if response.pointer("/properties/entity_id").is_some() {
                if let Some(id) = ids.first() {
                    fields.insert("entity_id".into(), (*id).into());
                }
            }
        }
    }
    Enriched {
        fields,
        found: !known.is_empty(),
        cost,
    }
}

/// The single-output branch of `data` (`anyOf [Output, array<Output>]`).
fn one_output<'a>(spec: &'a Spec, data: &'a Value) -> &'a Value {
    data.get("anyOf")
        .or_else(|| data.get("oneOf"))
        .and_then(Value::as_array)
        .and_then(|branches| {
            branches
                .iter()
                .map(|b| spec.resolve(b))
                .find(|b| b["type"] != "array" && b["type"] != "null")
        })
        .unwrap_or(data)
}

fn is_free_form(schema: &Value) -> bool {
    schema.get("properties").is_none()
        && schema.get("additionalProperties").is_none()
        && schema.get("anyOf").is_none()
        && schema.get("$ref").is_none()
}

/// Whether an enrichment answers phone numbers: a contacts enrichment, priced per the
/// contact types asked.
fn contact_outputs(spec: &Spec, data: &Value) -> bool {
    let output = match data.get("items") {
        Some(row) => spec
            .resolve(row)
            .pointer("/properties/data")
            .map(|d| spec.resolve(d)),
        None => Some(one_output(spec, data)),
    };
    output
        .and_then(|o| o["properties"].as_object())
        .is_some_and(|p| p.contains_key("phone_numbers") || p.contains_key("mobile_phone"))
}

/// Leaves out the emails or the phones a contacts request did not ask for (`contact_types`;
/// all of them when it names none).
fn restrict_contacts(facts: &mut Facts, types: &[&str]) {
    if types.is_empty() {
        return;
    }
    if !types.contains(&"email") {
        for name in ["emails", "professions_email", "professional_email_status"] {
            facts.insert(name.into(), Value::Null);
        }
    }
    if !types.contains(&"phone") {
        for name in ["phone_numbers", "mobile_phone"] {
            facts.insert(name.into(), Value::Null);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::spec::{Effect, MERGED_DOCUMENT};
    use crate::testing::world::WorldConfig;

    /// A document with one more enrichment, its output schema new: answered by that schema,
    /// with the world's facts where its property names are the world's.
    #[test]
    fn a_new_enrichment_document_gets_answers_valid_by_its_schema_with_no_new_code() {
        let mut document: Value = serde_json::from_str(MERGED_DOCUMENT).unwrap();
        let schemas = &mut document["components"]["schemas"];
        let country = schemas["FirmographicsOutputSchema"]["properties"]["country_name"].clone();
        let website = schemas["FirmographicsOutputSchema"]["properties"]["website"].clone();
        schemas["NewSignalOutputSchema"] = json!({
            "type": "object",
            "required": ["business_id", "signal_level"],
            "properties": {
                "business_id": {"type": "string", "pattern": "^[a-f0-9]{32}$"},
                "name": {"type": "string", "maxLength": 256},
                "country_name": country,
                "website": website,
                "signal_level": {"type": "string", "enum": ["low", "high"]},
                "signal_score": {"type": "integer", "minimum": 1, "maximum": 10},
                "signal_ratio": {"type": "number", "minimum": 0, "maximum": 1},
                "signal_tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "measured_at": {"type": "string", "format": "date-time"},
                "signal_code": {"type": "string", "pattern": "^\\d{2,4}$"},
            },
        });
        let mut response = schemas["BusinessesEnrichResponse_WebstackOutputSchema_"].clone();
        response["properties"]["data"] = json!({"anyOf": [
            {"$ref": "#/components/schemas/NewSignalOutputSchema"},
            {"type": "array", "items": {"$ref": "#/components/schemas/NewSignalOutputSchema"}},
        ]});
        schemas["BusinessesEnrichResponse_NewSignal_"] = response;
        let mut post = document["paths"]["/v1/businesses/webstack/enrich"]["post"].clone();
        post["operationId"] = json!("businesses_new_signal_enrich");
        post["responses"]["200"]["content"]["application/json"]["schema"] =
            json!({"$ref": "#/components/schemas/BusinessesEnrichResponse_NewSignal_"});
        document["paths"]["/v1/businesses/new_signal/enrich"] = json!({ "post": post });
        let spec = Spec::parse(&document.to_string()).unwrap();
        let operation = spec.operation("businesses_new_signal_enrich").unwrap();
        assert_eq!(operation.effect, Effect::Enrich);

        let world = World::new(
            WorldConfig {
                seed: 3,
                businesses: 20,
                prospects: 40,
            },
            2025,
        );
        let validator = jsonschema::draft4::new(&spec.response_root(operation).unwrap()).unwrap();
        for (_, business) in world.businesses() {
            let body: Map<String, Value> =
                serde_json::from_value(json!({"business_id": business.id})).unwrap();
            let enriched = answer(&spec, &world, operation, &Map::new(), &body);
            let mut answer = Value::Object(enriched.fields);
            answer["response_context"] = json!({
                "correlation_id": "0", "request_status": "success", "time_took_in_seconds": 0.0});
            let errors: Vec<String> = validator
                .iter_errors(&answer)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{errors:?}\n{answer}");
            assert_eq!(answer["data"]["name"], business.name.as_str());
            assert_eq!(answer["data"]["business_id"], business.id.as_str());
            assert_eq!(enriched.cost, 1);
        }
    }
}
