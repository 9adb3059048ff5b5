//! Match: businesses by domain, URL, LinkedIn URL or name; prospects by email, LinkedIn URL,
//! phone number, or full name with company name. One result per input, in input order.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::spec::Spec;
use super::world::{Entity, World};

/// A URL or domain lower case, without scheme or `www.`.
fn bare(text: &str) -> String {
    let text = text.trim().to_lowercase();
    let text = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .unwrap_or(&text);
    let text = text.strip_prefix("//").unwrap_or(text);
    text.strip_prefix("www.").unwrap_or(text).to_string()
}

/// A domain as a user may write it, as the world keys it: `HTTPS://www.Acme.com/about` is
/// `acme.com`.
pub(crate) fn domain_of(text: &str) -> String {
    let text = bare(text);
    let host = text.split(['/', '?', '#', ':']).next().unwrap_or_default();
    host.trim_end_matches('.').to_string()
}

/// A URL without scheme, `www.`, query or trailing slash, lower case: how LinkedIn URLs are
/// compared.
fn url_key(text: &str) -> String {
    let text = bare(text);
    let text = text.split(['?', '#']).next().unwrap_or_default();
    text.trim_end_matches('/').to_string()
}

/// A name as names are compared: lower-case words, legal suffixes (`Inc`, `LLC`, ...) dropped.
pub(crate) fn name_key(text: &str) -> String {
    const SUFFIXES: &[&str] = &[
        "inc",
        "llc",
        "ltd",
        "corp",
        "corporation",
        "co",
        "company",
        "plc",
        "gmbh",
        "limited",
        "sa",
    ];
    let mut words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    while words.len() > 1 && words.last().is_some_and(|w| SUFFIXES.contains(&w.as_str())) {
        words.pop();
    }
    words.join(" ")
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// The matched rows for the inputs of a valid request, and how many matched.
pub(super) fn answer(
    spec: &Spec,
    world: &World,
    entity: Entity,
    request: &Value,
    body: &Map<String, Value>,
) -> Map<String, Value> {
    let request = spec.resolve(request);
    let properties = request["properties"].as_object();
    let list = properties
        .and_then(|p| p.keys().find(|k| k.ends_with("_to_match")))
        .map_or("", String::as_str);
    let input_schema = request
        .pointer(&format!("/properties/{list}/items"))
        .map(|items| spec.resolve(items));
    let inputs: Vec<&Map<String, Value>> = body
        .get(list)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .collect();
    let index = Index {
        world,
        entity,
        seeded: world.seeded_keys(entity),
        added: Keys::default(),
    };
    let mut matched = 0;
    let rows: Vec<Value> = inputs
        .iter()
        .map(|input| {
            let mut row = Map::new();
            row.insert("input".into(), echo(spec, input_schema, input));
            match index.find(world, entity, input) {
                Ok(id) => {
                    matched += 1;
                    row.insert(entity.id_field().into(), id.into());
                }
                Err((error, kind)) => {
                    row.insert("error".into(), error.into());
                    row.insert("error_type".into(), kind.into());
                }
            }
            Value::Object(row)
        })
        .collect();
    let mut fields = Map::new();
    fields.insert("total_results".into(), rows.len().into());
    fields.insert("total_matches".into(), matched.into());
    fields.insert(format!("matched_{}", entity.plural()), rows.into());
    fields
}

/// The input as the service echoes it: every property of the input schema, `null` for a
/// nullable one not sent (as the documented prospect example shows).
fn echo(spec: &Spec, schema: Option<&Value>, input: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for (name, property) in schema
        .and_then(|s| s["properties"].as_object())
        .into_iter()
        .flatten()
    {
        match input.get(name) {
            Some(value) => {
                out.insert(name.clone(), value.clone());
            }
            None if spec.resolve(property)["nullable"] == Value::Bool(true) => {
                out.insert(name.clone(), Value::Null);
            }
            None => {}
        }
    }
    Value::Object(out)
}

/// What a match input may give to find an entity by.
#[derive(Debug, Clone, Copy)]
enum Key {
    Domain,
    Url,
    Name,
    Email,
    Phone,
}

/// Entities by each key a match input may give, each table made when first asked: once per
/// process for the seeded world (it never changes), per request for the rows a test
/// inserted.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    tables: [OnceLock<HashMap<String, Vec<u32>>>; 5],
}

impl Keys {
    /// The table of `key` for the entities `rows` (indices in the world).
    fn table(
        &self,
        key: Key,
        world: &World,
        entity: Entity,
        rows: Range<u32>,
    ) -> &HashMap<String, Vec<u32>> {
        self.tables[key as usize].get_or_init(|| {
            let mut table: HashMap<String, Vec<u32>> = HashMap::new();
            // Many prospects share a company: its name's key is made once.
            let mut companies: HashMap<u32, String> = HashMap::new();
            for i in rows {
                let keys: Vec<String> = match (entity, key) {
                    (Entity::Business, Key::Domain) => world
                        .business(i)
                        .domain
                        .iter()
                        .map(|d| domain_of(d))
                        .collect(),
                    (Entity::Business, Key::Url) => {
                        vec![url_key(&world.linkedin(world.business(i)))]
                    }
                    (Entity::Business, Key::Name) => vec![name_key(&world.business(i).name)],
                    (Entity::Prospect, Key::Email) => {
                        let person = world.person(i);
                        let emails = world
                            .email(person)
                            .into_iter()
                            .chain(world.personal_email(person));
                        emails.map(|e| e.to_lowercase()).collect()
                    }
                    (Entity::Prospect, Key::Url) => {
                        vec![url_key(&world.person_linkedin(world.person(i)))]
                    }
                    (Entity::Prospect, Key::Phone) => world
                        .phone(world.person(i))
                        .iter()
                        .map(|p| digits(p))
                        .collect(),
                    (Entity::Prospect, Key::Name) => {
                        let person = world.person(i);
                        let company = companies
                            .entry(person.business)
                            .or_insert_with(|| name_key(&world.company(person).name));
                        vec![format!("{}|{company}", name_key(&world.full_name(person)))]
                    }
                    _ => Vec::new(),
                };
                for key in keys {
                    table.entry(key).or_default().push(i);
                }
            }
            table
        })
    }
}

const NOT_FOUND: &str = "not_found";
const INVALID: &str = "validation_error";

/// The seeded world's keys, then the inserted rows'.
struct Index<'a> {
    world: &'a World,
    entity: Entity,
    seeded: &'a Keys,
    added: Keys,
}

impl Index<'_> {
    /// Every entity with this key, seeded ones first, in world order.
    fn all(&self, key: Key, text: &str) -> Vec<u32> {
        let (world, entity) = (self.world, self.entity);
        let seeded_rows = 0..world.added(entity).start;
        let seeded = self.seeded.table(key, world, entity, seeded_rows).get(text);
        let added = self
            .added
            .table(key, world, entity, world.added(entity))
            .get(text);
        seeded.into_iter().chain(added).flatten().copied().collect()
    }

    fn first(&self, key: Key, text: &str) -> Option<u32> {
        self.all(key, text).first().copied()
    }

    /// The id matching one input, or the error and its type.
    fn find(
        &self,
        world: &World,
        entity: Entity,
        input: &Map<String, Value>,
    ) -> Result<String, (String, &'static str)> {
        let text = |key: &str| {
            input
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
        };
        match entity {
            Entity::Business => {
                let found = if let Some(domain) = text("domain").or_else(|| text("url")) {
                    // The domain anchors the match: a name does not rescue an unknown domain.
                    self.first(Key::Domain, &domain_of(domain))
                } else if let Some(url) = text("linkedin_url") {
                    self.first(Key::Url, &url_key(url))
                } else if let Some(name) = text("name") {
                    self.first(Key::Name, &name_key(name))
                } else {
                    return Err((
                        "one of name, domain, url or linkedin_url is required".into(),
                        INVALID,
                    ));
                };
                found
                    .map(|i| world.business(i).id.clone())
                    .ok_or_else(|| ("no business matches the input".into(), NOT_FOUND))
            }
            Entity::Prospect => {
                let other_key = ["email", "linkedin", "phone_number"]
                    .iter()
                    .any(|k| text(k).is_some());
                if text("full_name").is_some() != text("company_name").is_some() && !other_key {
                    return Err((
                        "full_name and company_name must be given together".into(),
                        INVALID,
                    ));
                }
                let within = text("business_id").and_then(|id| world.business_index(id));
                if text("business_id").is_some() && within.is_none() {
                    return Err(("no business has this business_id".into(), NOT_FOUND));
                }
                let at = |i: &u32| within.is_none_or(|b| world.person(*i).business == b);
                let by_name = || {
                    let key = format!(
                        "{}|{}",
                        name_key(text("full_name")?),
                        name_key(text("company_name")?)
                    );
                    self.all(Key::Name, &key).into_iter().find(at)
                };
                let candidates = [
                    text("email").and_then(|e| self.first(Key::Email, &e.trim().to_lowercase())),
                    text("linkedin").and_then(|l| self.first(Key::Url, &url_key(l))),
                    text("phone_number").and_then(|p| self.first(Key::Phone, &digits(p))),
                    by_name(),
                ];
                let any_key = ["email", "linkedin", "phone_number", "full_name"]
                    .iter()
                    .any(|k| text(k).is_some());
                if !any_key {
                    return Err((
                        "one of email, linkedin, phone_number, or full_name with company_name is required".into(),
                        INVALID,
                    ));
                }
                candidates
                    .into_iter()
                    .flatten()
                    .find(at)
                    .map(|i| world.person(i).id.clone())
                    .ok_or_else(|| ("no prospect matches the input".into(), NOT_FOUND))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_urls_and_names_are_normalised_as_users_expect() {
        for text in [
            "acme.com",
            "ACME.com",
            "www.acme.com",
            "https://www.acme.com/",
            "http://acme.com/about?x=1",
            "acme.com.",
        ] {
            assert_eq!(domain_of(text), "acme.com", "{text}");
        }
        assert_eq!(
            url_key("https://www.linkedin.com/company/acme/"),
            url_key("linkedin.com/company/Acme")
        );
        assert_eq!(name_key("Microsoft Corporation"), "microsoft");
        assert_eq!(name_key("  Blue  Harbor, Inc. "), "blue harbor");
        assert_eq!(name_key("Co"), "co");
    }
}
