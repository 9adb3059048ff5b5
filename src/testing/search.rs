//! Fetch (search) and stats: the documents' filters applied to the world, pagination by page
//! number or cursor, and the counts statistics report.

use super::json::field as get;
use serde_json::{json, Map, Value};

use super::matching::name_key;
use super::schema::detail;
use super::spec::Spec;
use super::synth::{mix, Facts, Synth};
use super::world::{vocab, Entity, World};

/// The fields of the world a filter reads: each filter name the documents define, for the
/// entity it filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    CountryCode,
    RegionCode,
    CompanyCountryCode,
    CompanyRegionCode,
    CityRegionCountry,
    CityRegion,
    Size,
    Revenue,
    Age,
    Locations,
    Google,
    Naics,
    Linkedin,
    TechCategory,
    Tech,
    CompanyName,
    WebsiteKeywords,
    Topics,
    Events,
    HasWebsite,
    HasEmail,
    HasPhone,
    JobLevel,
    JobDepartment,
    JobTitle,
    BusinessId,
    Experience,
    Role,
}

impl Field {
    /// The field a filter of this name reads, if the world has it.
    fn of(entity: Entity, name: &str) -> Option<Self> {
        let shared = match name {
            "company_size" => Self::Size,
            "company_revenue" => Self::Revenue,
            "google_category" => Self::Google,
            "naics_category" => Self::Naics,
            "linkedin_category" => Self::Linkedin,
            "company_name" => Self::CompanyName,
            "has_website" => Self::HasWebsite,
            // The prospects page: "city, region, and country of the company location".
            "city_region_country" => Self::CityRegionCountry,
            _ => return Self::of_entity(entity, name),
        };
        Some(shared)
    }

    fn of_entity(entity: Entity, name: &str) -> Option<Self> {
        Some(match (entity, name) {
            (Entity::Business, "country_code") => Self::CompanyCountryCode,
            (Entity::Business, "region_country_code") => Self::CompanyRegionCode,
            (Entity::Business, "company_age") => Self::Age,
            (Entity::Business, "number_of_locations") => Self::Locations,
            (Entity::Business, "company_tech_stack_category") => Self::TechCategory,
            (Entity::Business, "company_tech_stack_tech") => Self::Tech,
            (Entity::Business, "city_region") => Self::CityRegion,
            (Entity::Business, "website_keywords") => Self::WebsiteKeywords,
            (Entity::Business, "business_intent_topics") => Self::Topics,
            (Entity::Business, "events") => Self::Events,
            (Entity::Prospect, "country_code") => Self::CountryCode,
            (Entity::Prospect, "region_country_code") => Self::RegionCode,
            (Entity::Prospect, "company_country_code") => Self::CompanyCountryCode,
            (Entity::Prospect, "company_region_country_code") => Self::CompanyRegionCode,
            (Entity::Prospect, "has_email") => Self::HasEmail,
            (Entity::Prospect, "has_phone_number") => Self::HasPhone,
            (Entity::Prospect, "job_level") => Self::JobLevel,
            (Entity::Prospect, "job_department") => Self::JobDepartment,
            (Entity::Prospect, "job_title") => Self::JobTitle,
            (Entity::Prospect, "business_id") => Self::BusinessId,
            (Entity::Prospect, "total_experience_months") => Self::Experience,
            (Entity::Prospect, "current_role_months") => Self::Role,
            _ => return None,
        })
    }
}

/// What a filter asks, by its shape in the document.
#[derive(Debug)]
enum Test {
    /// `{values, negate}`: any of these (lower case).
    Values(Vec<String>),
    /// `{value, negate}`: has it, or not.
    Exists(bool),
    /// `{gte, lte, negate}`.
    Range(Option<i64>, Option<i64>),
    /// `{topics, topic_intent_level, negate}`: any topic, at this level or above.
    Topics(Vec<String>, Option<usize>),
    /// `{values, last_occurrence, negate}`: any of these events within that many days.
    Events(Vec<String>, i64),
    /// `{values, include_related_job_titles, negate}`.
    Titles(Vec<String>, bool),
}

#[derive(Debug)]
struct Filter {
    field: Field,
    test: Test,
    negate: bool,
}

/// A fetch or stats request's filters, read; or the 422 detail of one the world does not model.
pub(super) struct Query {
    entity: Entity,
    filters: Vec<Filter>,
}

/// The filters among which a request may use one only (the fetch pages: "Only one category
/// filter can be used per request").
const CATEGORY_FILTERS: [&str; 3] = ["google_category", "linkedin_category", "naics_category"];

impl Query {
    pub(super) fn read(
        spec: &Spec,
        entity: Entity,
        body: &Map<String, Value>,
    ) -> Result<Self, Vec<Value>> {
        let filters = body.get("filters").and_then(Value::as_object);
        let schema = vocab::fetch_filters(spec, entity.plural());
        let mut out = Vec::new();
        let mut errors = Vec::new();
        let categories: Vec<&str> = CATEGORY_FILTERS
            .into_iter()
            .filter(|name| filters.is_some_and(|f| f.get(*name).is_some_and(|v| !v.is_null())))
            .collect();
        if categories.len() > 1 {
            errors.push(detail(
                vec!["body".into(), "filters".into()],
                format!(
                    "Value error, only one category filter can be used per request: {}",
                    categories.join(", ")
                ),
                "value_error",
            ));
        }
        for (name, value) in filters.into_iter().flatten() {
            let Some(value) = value.as_object() else {
                continue;
            };
            let loc = vec!["body".into(), "filters".into(), name.clone().into()];
            let shape = schema
                .and_then(|s| s.pointer(&format!("/properties/{name}")))
                .map(|f| spec.resolve(f))
                .and_then(|f| f["properties"].as_object());
            let (Some(field), Some(shape)) = (Field::of(entity, name), shape) else {
                errors.push(detail(
                    loc,
                    format!(
                        "the local server does not model the `{name}` filter of {}",
                        entity.plural()
                    ),
                    "not_modelled",
                ));
                continue;
            };
            let strings = |key: &str| -> Vec<String> {
                value
                    .get(key)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_lowercase)
                    .collect()
            };
            let test = if shape.contains_key("topics") {
                let levels = &super::world::vocab().intent_levels;
                let level = get(value, "topic_intent_level")
                    .as_str()
                    .and_then(|l| levels.iter().position(|x| x == l));
                Test::Topics(strings("topics"), level)
            } else if shape.contains_key("last_occurrence") {
                Test::Events(
                    strings("values"),
                    get(value, "last_occurrence").as_i64().unwrap_or(i64::MAX),
                )
            } else if shape.contains_key("include_related_job_titles") {
                Test::Titles(
                    strings("values"),
                    get(value, "include_related_job_titles").as_bool() == Some(true),
                )
            } else if shape.contains_key("values") {
                Test::Values(strings("values"))
            } else if shape.contains_key("value") {
                Test::Exists(get(value, "value").as_bool().unwrap_or(true))
            } else if shape.contains_key("gte") || shape.contains_key("lte") {
                Test::Range(get(value, "gte").as_i64(), get(value, "lte").as_i64())
            } else {
                errors.push(detail(
                    loc,
                    format!("the local server does not model the shape of `{name}`"),
                    "not_modelled",
                ));
                continue;
            };
            out.push(Filter {
                field,
                test,
                negate: get(value, "negate").as_bool() == Some(true),
            });
        }
        if errors.is_empty() {
            Ok(Self {
                entity,
                filters: out,
            })
        } else {
            Err(errors)
        }
    }

    /// The indices of the entities passing every filter, in world order.
    pub(super) fn run(&self, world: &World) -> Vec<u32> {
        match self.entity {
            Entity::Business => world
                .businesses()
                .filter(|(i, _)| self.filters.iter().all(|f| f.passes(world, *i, None)))
                .map(|(i, _)| i)
                .collect(),
            Entity::Prospect => world
                .people()
                .filter(|(i, p)| {
                    self.filters
                        .iter()
                        .all(|f| f.passes(world, p.business, Some(*i)))
                })
                .map(|(i, _)| i)
                .collect(),
        }
    }
}

impl Filter {
    /// Whether the business (or its prospect `person`) passes.
    fn passes(&self, world: &World, business: u32, person: Option<u32>) -> bool {
        let matched = match &self.test {
            Test::Values(values) | Test::Titles(values, _) if values.is_empty() => true,
            Test::Range(None, None) => true,
            _ => self.matches(world, business, person),
        };
        matched != self.negate
    }

    fn matches(&self, world: &World, business: u32, person: Option<u32>) -> bool {
        let company = world.business(business);
        let person = person.map(|p| world.person(p));
        let any = |candidates: &mut dyn Iterator<Item = &str>| match &self.test {
            Test::Values(values) => any_value(candidates, values),
            _ => false,
        };
        match (self.field, &self.test) {
            (Field::CountryCode, _) => {
                any(&mut person.map(|p| world.country_code(&p.place)).into_iter())
            }
            (Field::RegionCode, _) => {
                any(&mut person.and_then(|p| world.region_code(&p.place)).into_iter())
            }
            (Field::CompanyCountryCode, _) => {
                any(&mut std::iter::once(world.country_code(&company.place)))
            }
            (Field::CompanyRegionCode, _) => {
                any(&mut world.region_code(&company.place).into_iter())
            }
            (Field::CityRegionCountry, _) => {
                let label = world.city_region_country(&company.place);
                any(&mut label.as_deref().into_iter())
            }
            (Field::CityRegion, _) => any(&mut Some(company.place.metro)
                .filter(|m| !m.is_empty())
                .into_iter()),
            (Field::Size, _) => any(&mut std::iter::once(world.size(company))),
            (Field::Revenue, _) => any(&mut std::iter::once(world.revenue(company))),
            (Field::Age, _) => any(&mut std::iter::once(world.age(company))),
            (Field::Locations, _) => any(&mut std::iter::once(world.number_of_locations(company))),
            (Field::Google, _) => any(&mut std::iter::once(world.industry(company).google)),
            (Field::Linkedin, _) => any(&mut std::iter::once(world.industry(company).linkedin)),
            (Field::TechCategory, _) => any(&mut world.techs(company).map(|t| t.1)),
            (Field::Tech, _) => any(&mut world.techs(company).map(|t| t.0)),
            (Field::JobLevel, _) => any(&mut person.map(|p| world.level(p)).into_iter()),
            (Field::JobDepartment, _) => any(&mut person.map(|p| world.department(p)).into_iter()),
            (Field::BusinessId, _) => any(&mut std::iter::once(company.id.as_str())),
            (Field::Naics, Test::Values(codes)) => {
                let naics = world.industry(company).naics;
                codes.iter().any(|code| naics.starts_with(code.as_str()))
            }
            (Field::CompanyName, Test::Values(names)) => {
                let name = name_key(&company.name);
                names
                    .iter()
                    .map(|n| name_key(n))
                    .any(|n| name == n || name.starts_with(&format!("{n} ")))
            }
            (Field::WebsiteKeywords, Test::Values(phrases)) => {
                let keywords = world.industry(company).keywords;
                company.domain.is_some()
                    && phrases
                        .iter()
                        .any(|p| keywords.iter().any(|k| k.contains(p.as_str())))
            }
            (Field::HasWebsite, Test::Exists(wanted)) => company.domain.is_some() == *wanted,
            (Field::HasEmail, Test::Exists(wanted)) => {
                person.is_some_and(|p| world.has_email(p) == *wanted)
            }
            (Field::HasPhone, Test::Exists(wanted)) => {
                person.is_some_and(|p| world.has_phone(p) == *wanted)
            }
            (Field::Experience | Field::Role, Test::Range(gte, lte)) => person.is_some_and(|p| {
                let months = i64::from(if self.field == Field::Experience {
                    p.experience
                } else {
                    p.role
                });
                gte.is_none_or(|g| months >= g) && lte.is_none_or(|l| months <= l)
            }),
            (Field::JobTitle, Test::Titles(titles, related)) => person.is_some_and(|p| {
                let title = world.title(p).to_lowercase();
                titles.iter().any(|wanted| {
                    let words: Vec<&str> = wanted.split_whitespace().collect();
                    let all = words.iter().all(|w| title.contains(w));
                    // Related titles share a significant word (`engineer`, `scientist`).
                    all || (*related && words.iter().any(|w| w.len() >= 5 && title.contains(w)))
                })
            }),
            (Field::Topics, Test::Topics(topics, level)) => {
                world.topics(company).any(|(topic, at)| {
                    let levels = &super::world::vocab().intent_levels;
                    let rank = levels.iter().position(|l| l == at).unwrap_or(0);
                    topics.iter().any(|t| t.eq_ignore_ascii_case(topic))
                        && level.is_none_or(|min| rank >= min)
                })
            }
            (Field::Events, Test::Events(names, days)) => world
                .events(company)
                .any(|(event, ago)| names.iter().any(|n| n == event) && i64::from(ago) <= *days),
            _ => false,
        }
    }
}

/// Whether any candidate equals any value, ignoring ASCII case.
fn any_value(candidates: &mut dyn Iterator<Item = &str>, values: &[String]) -> bool {
    for candidate in candidates {
        if values.iter().any(|v| v.eq_ignore_ascii_case(candidate)) {
            return true;
        }
    }
    false
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::spec::MERGED_DOCUMENT;

    #[test]
    fn a_filter_a_new_document_adds_is_refused_by_name_until_the_world_models_it() {
        let mut document: Value = serde_json::from_str(MERGED_DOCUMENT).unwrap();
        document["components"]["schemas"]["BusinessesFetchFilters"]["properties"]
            ["employee_growth"] = json!({"$ref": "#/components/schemas/RangeFilter_Int_"});
        let spec = Spec::parse(&document.to_string()).unwrap();
        let body: Map<String, Value> = serde_json::from_value(json!({"filters": {
            "employee_growth": {"gte": 10},
            "country_code": {"values": ["us"]},
        }}))
        .unwrap();
        let Err(details) = Query::read(&spec, Entity::Business, &body) else {
            panic!("accepted");
        };
        assert_eq!(details.len(), 1);
        assert_eq!(
            details[0]["loc"],
            json!(["body", "filters", "employee_growth"])
        );
        assert_eq!(details[0]["type"], "not_modelled");
        let body: Map<String, Value> =
            serde_json::from_value(json!({"filters": {"country_code": {"values": ["us"]}}}))
                .unwrap();
        assert!(Query::read(&spec, Entity::Business, &body).is_ok());
    }
}
