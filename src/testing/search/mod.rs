//! Fetch (search) and stats: the documents' filters applied to the world, pagination by page
//! number or cursor, and the counts statistics report.

mod filters;

use serde_json::{json, Map, Value};

use super::json::field as get;
use super::schema::detail;
use super::spec::Spec;
use super::synth::{mix, Facts, Synth};
use super::world::{Entity, World};
use filters::Query;

/// Only these fields of a row in `preview` mode (and those its schema requires).
const PREVIEW: &[&str] = &[
    "business_id",
    "prospect_id",
    "name",
    "domain",
    "full_name",
    "first_name",
    "last_name",
    "company_name",
    "country_name",
];

/// One row of a fetch answer, made from the entity's facts by the row schema.
fn row(
    spec: &Spec,
    world: &World,
    entity: Entity,
    index: u32,
    schema: &Value,
    preview: bool,
) -> Value {
    let (facts, seed): (Facts, u64) = match entity {
        Entity::Business => (world.business_facts(index), world.business(index).seed),
        Entity::Prospect => (world.person_facts(index), u64::from(index)),
    };
    let mut row = Synth::new(spec).value(schema, &facts, mix(seed, 0xfe7c));
    if preview {
        let required = super::spec::required_names(spec.resolve(schema));
        if let Value::Object(fields) = &mut row {
            fields.retain(|k, _| PREVIEW.contains(&k.as_str()) || required.contains(&k.as_str()));
        }
    }
    row
}

/// What a fetch answers: its fields, and how many rows it holds.
pub(super) struct Page {
    pub(super) fields: Map<String, Value>,
    pub(super) rows: usize,
}

/// A fetch: the filtered entities, the pagination asked for, the rows of the page.
pub(super) fn fetch(
    spec: &Spec,
    world: &World,
    entity: Entity,
    response: &Value,
    body: &Map<String, Value>,
) -> Result<Page, Vec<Value>> {
    let size = get(body, "size").as_u64().unwrap_or(1) as usize;
    let page_size = get(body, "page_size").as_u64().unwrap_or(1) as usize;
    if size < page_size {
        return Err(vec![detail(
            vec!["body".into(), "size".into()],
            format!("Value error, size ({size}) must be greater than or equal to page_size ({page_size})"),
            "value_error",
        )]);
    }
    let query = Query::read(spec, entity, body)?;
    let excluded: Vec<&str> = body
        .get("exclude")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let id = |i: &u32| match entity {
        Entity::Business => world.business(*i).id.as_str(),
        Entity::Prospect => world.person(*i).id.as_str(),
    };
    let matching: Vec<u32> = query
        .run(world)
        .into_iter()
        .filter(|i| !excluded.contains(&id(i)))
        .collect();
    let total = matching.len();
    let reachable = total.min(size);
    let response = spec.resolve(response);
    let shapes: Vec<&Value> = match response.get("anyOf").and_then(Value::as_array) {
        Some(shapes) => shapes.iter().map(|s| spec.resolve(s)).collect(),
        None => vec![response],
    };
    let rows_schema = shapes
        .iter()
        .find_map(|s| s.pointer("/properties/data/items"))
        .unwrap_or(&Value::Null);
    let preview = get(body, "mode") == "preview";
    let mut fields = Map::new();
    let (start, end) = match body.get("next_cursor").and_then(Value::as_str) {
        Some(cursor) => {
            let start = if cursor == "null" {
                0
            } else {
                let after = matching[..reachable].iter().position(|i| id(i) == cursor);
                match after {
                    Some(at) => at + 1,
                    None => {
                        return Err(vec![detail(
                            vec!["body".into(), "next_cursor".into()],
                            "Value error, not a cursor this search returned",
                            "value_error",
                        )])
                    }
                }
            };
            let end = (start + page_size).min(reachable);
            let mut page = Map::new();
            page.insert("size".into(), (end - start).into());
            if end < reachable && end > 0 {
                page.insert("next_cursor".into(), id(&matching[end - 1]).into());
            }
            fields.insert("page".into(), page.into());
            (start, end)
        }
        None => {
            let page = get(body, "page").as_u64().unwrap_or(1).max(1) as usize;
            // The last page carries the remainder: 250 rows by 100 are pages of 100 and 150.
            let pages = if reachable == 0 {
                0
            } else {
                (reachable / page_size).max(1)
            };
            let start = ((page - 1) * page_size).min(reachable);
            let end = if page >= pages {
                reachable
            } else {
                page * page_size
            };
            let (start, end) = if page > pages {
                (reachable, reachable)
            } else {
                (start, end)
            };
            fields.insert("page".into(), page.into());
            fields.insert("total_pages".into(), pages.into());
            (start, end)
        }
    };
    let data: Vec<Value> = matching[start..end]
        .iter()
        .map(|i| row(spec, world, entity, *i, rows_schema, preview))
        .collect();
    let rows = data.len();
    fields.insert("data".into(), data.into());
    fields.insert("total_results".into(), total.into());
    Ok(Page { fields, rows })
}

/// Stats: the count a fetch with these filters finds, and the breakdowns the schema names.
pub(super) fn stats(
    spec: &Spec,
    world: &World,
    entity: Entity,
    response: &Value,
    body: &Map<String, Value>,
) -> Result<Map<String, Value>, Vec<Value>> {
    let query = Query::read(spec, entity, body)?;
    let matching = query.run(world);
    let stats_schema = spec
        .resolve(response)
        .pointer("/properties/stats")
        .map(|s| spec.resolve(s));
    let mut stats = Map::new();
    for name in stats_schema
        .and_then(|s| s["properties"].as_object())
        .into_iter()
        .flat_map(|p| p.keys())
    {
        let breakdown = match (entity, name.as_str()) {
            (Entity::Business, "business_categories_per_location") => {
                per_location(world, &matching, |w, i| {
                    let b = w.business(i);
                    (w.industry(b).google.to_string(), w.location_label(&b.place))
                })
            }
            (Entity::Business, "revenue_per_category") => counts(
                matching
                    .iter()
                    .map(|i| world.revenue(world.business(*i)).to_string()),
            ),
            (Entity::Business, "number_of_employees_per_category") => counts(
                matching
                    .iter()
                    .map(|i| world.size(world.business(*i)).to_string()),
            ),
            (Entity::Prospect, "job_departments_per_location") => {
                per_location(world, &matching, |w, i| {
                    let p = w.person(i);
                    (w.department(p).to_string(), w.location_label(&p.place))
                })
            }
            (Entity::Prospect, "total_per_location") => {
                let mut by = counts(
                    matching
                        .iter()
                        .map(|i| world.location_label(&world.person(*i).place)),
                );
                by.insert("total".into(), matching.len().into());
                by
            }
            _ => continue,
        };
        stats.insert(name.clone(), breakdown.into());
    }
    let mut fields = Map::new();
    fields.insert("total_results".into(), matching.len().into());
    fields.insert("stats".into(), stats.into());
    Ok(fields)
}

fn counts(values: impl Iterator<Item = String>) -> Map<String, Value> {
    let mut out = Map::new();
    for value in values {
        add(&mut out, &value);
    }
    out
}

fn add(map: &mut Map<String, Value>, key: &str) {
    let count = map.get(key).and_then(Value::as_u64).unwrap_or(0);
    map.insert(key.to_string(), (count + 1).into());
}

/// `{category: {location: n, ..., "total": n}, ..., "total_per_location": {...}}`, as the
/// statistics pages show it.
fn per_location(
    world: &World,
    matching: &[u32],
    of: impl Fn(&World, u32) -> (String, String),
) -> Map<String, Value> {
    let mut out = Map::new();
    let mut totals = Map::new();
    for index in matching {
        let (category, location) = of(world, *index);
        if let Value::Object(by) = out.entry(category).or_insert_with(|| json!({})) {
            add(by, &location);
            add(by, "total");
        }
        add(&mut totals, &location);
        add(&mut totals, "total");
    }
    out.insert("total_per_location".into(), totals.into());
    out
}
