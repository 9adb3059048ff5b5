//! What the world's values are drawn from: the document's own lists (enums, and the
//! alternatives of its country and region patterns), and small hand-written tables of what no
//! document lists (cities, industries, technologies, names).
//!
//! The hand-written tables are in [`super::tables`].
//!
//! The document's lists are found through the fetch filters that use them (`company_size`'s
//! values are `NumberOfEmployeesRange`, ...), so a renamed component changes nothing here.
//! The country codes and names are two patterns listing the same countries in the same order
//! (ISO 3166-1, by alpha-3 code), as are the region codes and names (ISO 3166-2): zipped, they
//! give each code its name.

use std::collections::HashMap;

use serde_json::Value;

use crate::testing::spec::{Effect, Spec};

/// The document's lists the world uses.
#[derive(Debug, Default)]
pub(crate) struct Vocab {
    /// (alpha-2 code, name), both lower case as the patterns write them.
    pub(crate) countries: Vec<(String, String)>,
    pub(crate) country_index: HashMap<String, u16>,
    /// (ISO 3166-2 code, name), lower case.
    pub(crate) regions: Vec<(String, String)>,
    pub(crate) region_index: HashMap<String, u32>,
    /// The regions of each country, by country index.
    pub(crate) regions_of: Vec<Vec<u32>>,
    pub(crate) sizes: Vec<String>,
    pub(crate) revenues: Vec<String>,
    pub(crate) ages: Vec<String>,
    pub(crate) locations: Vec<String>,
    pub(crate) departments: Vec<String>,
    pub(crate) levels: Vec<String>,
    pub(crate) business_events: Vec<String>,
    pub(crate) intent_levels: Vec<String>,
}

impl Vocab {
    pub(crate) fn read(spec: &Spec) -> Self {
        let filters = |entity: &str| fetch_filters(spec, entity);
        let (business, prospect) = (filters("businesses"), filters("prospects"));
        let business_row = fetch_row(spec, "businesses");
        let values = |filters: Option<&Value>, name: &str| -> Option<Value> {
            let filter = spec.resolve(filters?.pointer(&format!("/properties/{name}"))?);
            Some(
                spec.resolve(filter.pointer("/properties/values/items")?)
                    .clone(),
            )
        };
        let list = |filters: Option<&Value>, name: &str| -> Vec<String> {
            strings(
                values(filters, name)
                    .as_ref()
                    .and_then(|items| items.get("enum")),
            )
        };
        let alternatives_of = |schema: Option<&Value>| {
            schema
                .and_then(|schema| schema["pattern"].as_str())
                .and_then(alternatives)
                .unwrap_or_default()
        };
        let country_codes = alternatives_of(values(business, "country_code").as_ref());
        let region_codes = alternatives_of(values(business, "region_country_code").as_ref());
        let property =
            |name: &str| business_row.and_then(|row| row.pointer(&format!("/properties/{name}")));
        let country_names = alternatives_of(property("country_name"));
        let region_names = alternatives_of(property("region"));
        let intent_levels = business
            .and_then(|f| f.pointer("/properties/business_intent_topics"))
            .map(|f| spec.resolve(f))
            .and_then(|f| f.pointer("/properties/topic_intent_level"))
            .map(|level| strings(spec.resolve(level).get("enum")))
            .unwrap_or_default();
        let mut vocab = Self {
            sizes: list(business, "company_size"),
            revenues: list(business, "company_revenue"),
            ages: list(business, "company_age"),
            locations: list(business, "number_of_locations"),
            departments: list(prospect, "job_department"),
            levels: list(prospect, "job_level"),
            business_events: list(business, "events"),
            intent_levels,
            ..Self::default()
        };
        vocab.countries = zip_named(country_codes, country_names);
        vocab.regions = zip_named(region_codes, region_names);
        for (i, (code, _)) in vocab.countries.iter().enumerate() {
            vocab.country_index.insert(code.clone(), i as u16);
        }
        vocab.regions_of = vec![Vec::new(); vocab.countries.len()];
        for (i, (code, _)) in vocab.regions.iter().enumerate() {
            vocab.region_index.insert(code.clone(), i as u32);
            let country = code.split('-').next().unwrap_or_default();
            if let Some(&c) = vocab.country_index.get(country) {
                vocab.regions_of[usize::from(c)].push(i as u32);
            }
        }
        vocab
    }

    pub(crate) fn country(&self, code: &str) -> Option<u16> {
        self.country_index.get(code).copied()
    }

    pub(crate) fn region(&self, code: &str) -> Option<u32> {
        self.region_index.get(code).copied()
    }
}

/// Codes with their names when both lists are as long (else the codes, named by themselves).
fn zip_named(codes: Vec<String>, names: Vec<String>) -> Vec<(String, String)> {
    if codes.len() == names.len() {
        codes.into_iter().zip(names).collect()
    } else {
        codes.into_iter().map(|code| (code.clone(), code)).collect()
    }
}

fn strings(values: Option<&Value>) -> Vec<String> {
    values
        .and_then(Value::as_array)
        .map(|values| {
            values
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// The fetch operation on `/v1/<entity>`.
fn fetch_operation<'a>(
    spec: &'a Spec,
    entity: &str,
) -> Option<&'a crate::testing::spec::Operation> {
    spec.operations()
        .iter()
        .find(|o| o.effect == Effect::Fetch && o.path.trim_end_matches('/').ends_with(entity))
}

/// The `filters` schema of the fetch operation on `/v1/<entity>`, resolved.
pub(crate) fn fetch_filters<'a>(spec: &'a Spec, entity: &str) -> Option<&'a Value> {
    let request = fetch_operation(spec, entity)?.request.as_ref()?;
    Some(spec.resolve(spec.resolve(request).pointer("/properties/filters")?))
}

/// The schema of one row of the fetch operation on `/v1/<entity>` (`data.items` of its first
/// answer shape), resolved.
pub(crate) fn fetch_row<'a>(spec: &'a Spec, entity: &str) -> Option<&'a Value> {
    let response = spec.resolve(fetch_operation(spec, entity)?.response.as_ref()?);
    let first = match response.get("anyOf").and_then(Value::as_array) {
        Some(shapes) => spec.resolve(shapes.first()?),
        None => response,
    };
    Some(spec.resolve(first.pointer("/properties/data/items")?))
}

/// The alternatives of a pattern that is a plain list, `^(a|b\ c|d\-e)$`, unescaped; `None`
/// for any other pattern.
pub(crate) fn alternatives(pattern: &str) -> Option<Vec<String>> {
    let body = pattern.strip_prefix("^(")?.strip_suffix(")$")?;
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.push(chars.next()?),
            '|' => out.push(std::mem::take(&mut current)),
            '(' | ')' | '[' | ']' | '?' | '*' | '+' | '{' | '}' | '.' | '^' | '$' => return None,
            _ => current.push(c),
        }
    }
    out.push(current);
    Some(out)
}

/// `united states` -> `United States`, as the autocomplete examples label countries.
pub(crate) fn title_case(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::super::tables::{CALLING_CODES, CITIES, DOCUMENTED, INDUSTRIES, TECHS, US_CITIES};
    use super::*;
    use crate::testing::spec::spec;

    #[test]
    fn the_documents_lists_are_found_and_the_tables_fit_them() {
        let vocab = Vocab::read(spec().unwrap());
        assert_eq!(vocab.countries.len(), 250);
        assert_eq!(vocab.regions.len(), 4883);
        let us = vocab.country("us").unwrap();
        assert_eq!(vocab.countries[usize::from(us)].1, "united states");
        assert_eq!(
            vocab.regions[vocab.region("us-ca").unwrap() as usize].1,
            "california"
        );
        for list in [&vocab.sizes, &vocab.revenues, &vocab.ages, &vocab.locations] {
            assert!(!list.is_empty());
        }
        assert!(vocab.departments.contains(&"engineering".to_string()));
        assert!(vocab.levels.contains(&"director".to_string()));
        assert!(vocab.business_events.contains(&"new_product".to_string()));
        assert_eq!(
            vocab.intent_levels,
            ["emerging_intent", "high_intent", "very_high_intent"]
        );
        for (city, region, _) in CITIES {
            assert!(vocab.region(region).is_some(), "{city}: {region}");
        }
        assert!(CITIES[..US_CITIES]
            .iter()
            .all(|(_, r, _)| r.starts_with("us-")));
        assert!(!CITIES[US_CITIES].1.starts_with("us-"));
        for (country, _) in CALLING_CODES {
            assert!(vocab.country(country).is_some(), "{country}");
        }
        for company in DOCUMENTED {
            assert!(company.city < CITIES.len() && company.industry < INDUSTRIES.len());
            assert!(company.size < vocab.sizes.len() && company.revenue < vocab.revenues.len());
        }
        assert_eq!(vocab.revenues[DOCUMENTED[0].revenue], "100B-1T");
        assert_eq!(vocab.sizes[DOCUMENTED[0].size], "10001+");
    }

    #[test]
    fn each_technology_category_is_a_key_of_the_technographics_output() {
        let spec = spec().unwrap();
        let operation = spec.operation("businesses_technographics_enrich").unwrap();
        let response = spec.resolve(operation.response.as_ref().unwrap());
        let output = spec.resolve(&response["properties"]["data"]["anyOf"][0]);
        for (tech, _, key) in TECHS {
            assert!(output["properties"].get(*key).is_some(), "{tech}: {key}");
        }
    }

    #[test]
    fn plain_list_patterns_are_read_and_others_are_not() {
        assert_eq!(
            alternatives(r"^(aruba|åland\ islands|escaldes\-engordany)$").unwrap(),
            ["aruba", "åland islands", "escaldes-engordany"]
        );
        assert_eq!(alternatives("^[a-f0-9]{32}$"), None);
        assert_eq!(alternatives(r"^\+(9[976]\d|7|1)\d{1,12}$"), None);
        assert_eq!(
            title_case("tanzania, united republic of"),
            "Tanzania, United Republic Of"
        );
    }
}
