//! The data operations: each family's answer from the world, what it costs, and its errors.

use hyper::{Response, StatusCode};
use serde_json::{json, Value};

use super::credits;
use super::json::field as get;
use super::serve::{json_response, Body};
use super::spec::Effect;
use super::state::{Call, State};
use super::world::Entity;

/// What the data operations answer, from the world.
pub(super) fn answer(state: &mut State, call: &Call<'_>) -> Response<Body> {
    let operation = call.operation;
    let request = operation.request.as_ref().map(|r| call.spec.resolve(r));
    let fields: Vec<&str> = request
        .and_then(|r| r["properties"].as_object())
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let entity = Entity::of(&operation.path, &fields).unwrap_or(Entity::Business);
    let response = operation.response.clone().unwrap_or(Value::Null);
    let spec = call.spec;
    let invalid = |details: Vec<Value>| {
        json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({ "detail": details }),
        )
    };
    match operation.effect {
        Effect::Match => {
            let request = operation.request.clone().unwrap_or(Value::Null);
            let fields = super::matching::answer(spec, state.world(), entity, &request, &call.body);
            call.success(state, fields)
        }
        Effect::Fetch => {
            match super::search::fetch(spec, state.world(), entity, &response, &call.body) {
                Err(details) => invalid(details),
                Ok(page) => {
                    // `full` rows cost a credit each; a preview is free.
                    let cost = if get(&call.body, "mode") == "full" {
                        page.rows as u64
                    } else {
                        0
                    };
                    credits::charged(state, call, cost, "success", page.fields)
                }
            }
        }
        Effect::Stats => {
            match super::search::stats(spec, state.world(), entity, &response, &call.body) {
                Err(details) => invalid(details),
                Ok(fields) => call.success(state, fields),
            }
        }
        Effect::Autocomplete => match super::autocomplete::answer(state.world(), &call.params) {
            Err(details) => invalid(details),
            Ok(items) => json_response(StatusCode::OK, &Value::Array(items)),
        },
        _ => {
            let enriched =
                super::enrich::answer(spec, state.world(), operation, &call.params, &call.body);
            let status = if enriched.found { "success" } else { "miss" };
            credits::charged(state, call, enriched.cost, status, enriched.fields)
        }
    }
}

/// The bare strings: the version is the document's; a payload check answers as many
/// characters as asked; a health check, `OK`.
pub(super) fn text(call: &Call<'_>) -> Response<Body> {
    let body = if call.operation.path.contains("version") {
        call.spec.version.clone()
    } else if let Some(bytes) = call.params.values().find_map(Value::as_i64) {
        "x".repeat(bytes.clamp(0, 1_000_000) as usize)
    } else {
        "OK".to_string()
    };
    json_response(StatusCode::OK, &Value::String(body))
}
