//! Autocomplete: the world's values of each documented field that contain the query.

use std::collections::{BTreeSet, HashSet};

use super::json::field as get;
use serde_json::{json, Map, Value};

use super::schema::detail;
use super::world::vocab::{title_case, TOPICS};
use super::world::World;

/// At most this many suggestions are answered.
pub const MAX_SUGGESTIONS: usize = 20;

/// The suggestions for a valid request's `field`, `query` and `semantic_search`.
pub(super) fn answer(world: &World, params: &Map<String, Value>) -> Result<Vec<Value>, Vec<Value>> {
    let field = get(params, "field").as_str().unwrap_or_default();
    let query = get(params, "query").as_str().unwrap_or_default();
    let semantic = get(params, "semantic_search").as_bool() == Some(true);
    let Some(values) = suggestions(world, field) else {
        return Err(vec![detail(
            vec!["query".into(), "field".into()],
            format!("the local server has no values for the `{field}` field"),
            "not_modelled",
        )]);
    };
    let wanted = query.trim().to_lowercase();
    // Semantic search also suggests what shares a word's stem with the query (`cloude` finds
    // `cloud: ...`): each word's first five letters.
    let stems: Vec<String> = wanted
        .split_whitespace()
        .map(|w| w.chars().take(5).collect())
        .collect();
    let matches = |text: &str| {
        let text = text.to_lowercase();
        text.contains(&wanted) || (semantic && stems.iter().any(|s| text.contains(s.as_str())))
    };
    Ok(values
        .into_iter()
        .filter(|(label, value)| matches(label) || matches(value))
        .take(MAX_SUGGESTIONS)
        .map(|(label, value)| json!({"query": query, "label": label, "value": value}))
        .collect())
}

/// (label, value) of every value the world has for an autocomplete field, in a stable order.
fn suggestions(world: &World, field: &str) -> Option<Vec<(String, String)>> {
    let vocab = world.vocab();
    let same = |values: Vec<String>| values.into_iter().map(|v| (v.clone(), v)).collect();
    let distinct = |values: &mut dyn Iterator<Item = String>| -> Vec<String> {
        let mut seen = HashSet::new();
        values.filter(|v| seen.insert(v.clone())).collect()
    };
    let businesses = || world.businesses().map(|(_, b)| b);
    Some(match field {
        "country" | "country_code" => {
            let countries: BTreeSet<u16> = businesses().map(|b| b.place.country).collect();
            countries
                .into_iter()
                .filter_map(|c| vocab.countries.get(usize::from(c)))
                .map(|(code, name)| (title_case(name), code.clone()))
                .collect()
        }
        "region_country_code" => {
            let regions: BTreeSet<u32> = businesses().filter_map(|b| b.place.region).collect();
            regions
                .into_iter()
                .filter_map(|r| vocab.regions.get(r as usize))
                .map(|(code, name)| {
                    let country = code.split('-').next().unwrap_or_default().to_uppercase();
                    (format!("{}, {country}", title_case(name)), code.clone())
                })
                .collect()
        }
        "city_region_country" => same(distinct(
            &mut businesses().filter_map(|b| world.city_region_country(&b.place)),
        )),
        "city_region" => same(distinct(
            &mut businesses()
                .map(|b| b.place.metro.to_string())
                .filter(|m| !m.is_empty()),
        )),
        "google_category" => same(distinct(
            &mut businesses().map(|b| world.industry(b).google.to_string()),
        )),
        "linkedin_category" => same(distinct(
            &mut businesses().map(|b| world.industry(b).linkedin.to_string()),
        )),
        "naics_category" => {
            let codes = distinct(&mut businesses().map(|b| world.industry(b).naics.to_string()));
            codes
                .into_iter()
                .map(|code| {
                    let description = super::world::vocab::INDUSTRIES
                        .iter()
                        .find(|i| i.naics == code)
                        .map_or("", |i| i.naics_description);
                    (format!("{code} - {description}"), code)
                })
                .collect()
        }
        "company_tech_stack_tech" => same(distinct(
            &mut businesses().flat_map(|b| world.techs(b).map(|t| t.0.to_string())),
        )),
        "company_tech_stack_categories" => same(distinct(
            &mut businesses().flat_map(|b| world.techs(b).map(|t| t.1.to_string())),
        )),
        "company_name" => same(businesses().map(|b| b.name.clone()).collect()),
        "business_intent_topics" => same(TOPICS.iter().map(|t| t.to_string()).collect()),
        "job_title" => {
            let mut seen = HashSet::new();
            let people = world
                .people()
                .filter(|(_, p)| seen.insert((p.department, p.level, p.title.clone())));
            same(distinct(
                &mut people.map(|(_, p)| world.title(p).into_owned()),
            ))
        }
        "company_size" => same(vocab.sizes.clone()),
        "company_revenue" => same(vocab.revenues.clone()),
        "number_of_locations" => same(vocab.locations.clone()),
        "company_age" => same(vocab.ages.clone()),
        "job_department" => same(vocab.departments.clone()),
        "job_level" => same(vocab.levels.clone()),
        _ => return None,
    })
}
