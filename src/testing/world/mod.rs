//! The world the data operations answer from: seeded businesses and prospects, and the rows a
//! test inserts.
//!
//! The seeded part depends on the seed and the sizes only, so it is made once per process for
//! each (seed, sizes) and shared by every server that asks for it; it is made on the first
//! request that needs it, not at start. Inserted rows belong to their server.

mod facts;
mod generate;
mod records;
pub(crate) mod vocab;

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

pub use records::{InvalidEntity, TestBusiness, TestProspect, WorldBusiness, WorldProspect};

use crate::testing::matching::Keys;
use vocab::{Vocab, CALLING_CODES, INDUSTRIES, ROLES, TECHS};

/// How many businesses the seeded world has by default.
pub const DEFAULT_BUSINESSES: usize = 3_000;

/// How many prospects work at them by default.
pub const DEFAULT_PROSPECTS: usize = 30_000;

/// The seed of the world by default.
pub const DEFAULT_SEED: u64 = 0x0e71_0a1c;

/// What an operation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entity {
    Business,
    Prospect,
}

impl Entity {
    /// The entity of an operation: the one whose ids its request names (`business_id`,
    /// `prospect_ids`...), else the one its path is under (`/v1/prospects/...`).
    pub(crate) fn of(path: &str, request_fields: &[&str]) -> Option<Self> {
        for field in request_fields {
            match field.trim_end_matches('s') {
                "business_id" => return Some(Self::Business),
                "prospect_id" => return Some(Self::Prospect),
                _ => {}
            }
        }
        let first = path.trim_start_matches("/v1/").split('/').next()?;
        match first {
            "businesses" => Some(Self::Business),
            "prospects" => Some(Self::Prospect),
            _ => None,
        }
    }

    /// `business_id`, `prospect_id`.
    pub(crate) fn id_field(self) -> &'static str {
        match self {
            Self::Business => "business_id",
            Self::Prospect => "prospect_id",
        }
    }

    /// `businesses`, `prospects`.
    pub(crate) fn plural(self) -> &'static str {
        match self {
            Self::Business => "businesses",
            Self::Prospect => "prospects",
        }
    }
}

/// The document's vocabulary, read once per process.
pub(crate) fn vocab() -> &'static Vocab {
    static VOCAB: OnceLock<Vocab> = OnceLock::new();
    VOCAB.get_or_init(|| match crate::testing::spec::spec() {
        Ok(spec) => Vocab::read(spec),
        Err(_) => Vocab::default(),
    })
}

/// Where an entity is: a country of the document's list, maybe one of its regions, maybe a city.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Place {
    pub(crate) country: u16,
    pub(crate) region: Option<u32>,
    pub(crate) city: Option<Cow<'static, str>>,
    /// The urban area (`city_region`), or `""`.
    pub(crate) metro: &'static str,
}

/// A business. Indices are into the document's lists ([`Vocab`]) and the hand-written tables.
#[derive(Debug, Clone)]
pub(crate) struct Biz {
    pub(crate) id: String,
    pub(crate) name: String,
    /// `None`: no website.
    pub(crate) domain: Option<String>,
    /// A LinkedIn URL other than the one the name gives.
    pub(crate) linkedin: Option<String>,
    pub(crate) place: Place,
    pub(crate) size: u8,
    pub(crate) revenue: u8,
    pub(crate) founded: u16,
    pub(crate) locations: u8,
    pub(crate) industry: u8,
    pub(crate) techs: Vec<u8>,
    /// (topic, intent level).
    pub(crate) topics: Vec<(u8, u8)>,
    /// (business event, days ago).
    pub(crate) events: Vec<(u8, u16)>,
    pub(crate) description: Option<String>,
    /// Its seeded prospects.
    pub(crate) prospects: Range<u32>,
    /// Varies the values the answers make up for it.
    pub(crate) seed: u64,
}

/// An email or phone number: none, the one the name and company give, or one a test gave.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Contact {
    None,
    Derived,
    Given(String),
}

/// A prospect, working at a business.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub(crate) id: String,
    pub(crate) first: Cow<'static, str>,
    pub(crate) last: Cow<'static, str>,
    /// Its business's index in the world.
    pub(crate) business: u32,
    pub(crate) department: u8,
    pub(crate) level: u8,
    pub(crate) place: Place,
    pub(crate) email: Contact,
    pub(crate) phone: Contact,
    pub(crate) personal_email: bool,
    pub(crate) experience: u16,
    pub(crate) role: u16,
    pub(crate) title: Option<String>,
    pub(crate) linkedin: Option<String>,
}

/// The seeded part of a world.
#[derive(Debug, Default)]
pub(crate) struct Base {
    pub(crate) businesses: Vec<Biz>,
    pub(crate) prospects: Vec<Person>,
    business_ids: HashMap<String, u32>,
    prospect_ids: HashMap<String, u32>,
    /// The match keys of the businesses and of the prospects, made as matches need them.
    keys: [Keys; 2],
}

/// What a server's world is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct WorldConfig {
    pub(crate) seed: u64,
    pub(crate) businesses: usize,
    pub(crate) prospects: usize,
}

impl Default for WorldConfig {
    fn default() -> Self {
        Self {
            seed: DEFAULT_SEED,
            businesses: DEFAULT_BUSINESSES,
            prospects: DEFAULT_PROSPECTS,
        }
    }
}

/// The seeded world for `config`, made once per process.
fn base(config: WorldConfig) -> Arc<Base> {
    static BASES: OnceLock<Mutex<HashMap<WorldConfig, Arc<Base>>>> = OnceLock::new();
    let bases = BASES.get_or_init(Mutex::default);
    let mut bases = bases.lock().unwrap_or_else(PoisonError::into_inner);
    let made = bases.entry(config).or_insert_with(|| {
        Arc::new(generate::generate(
            vocab(),
            config.seed,
            config.businesses,
            config.prospects,
        ))
    });
    Arc::clone(made)
}

/// The rows a server's tests inserted in one table of the world, numbered after the seeded
/// ones: `seeded` is always that table's seeded rows.
#[derive(Debug)]
struct Added<T> {
    rows: Vec<T>,
    ids: HashMap<String, u32>,
}

impl<T> Default for Added<T> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            ids: HashMap::new(),
        }
    }
}

impl<T> Added<T> {
    fn get<'a>(&'a self, seeded: &'a [T], index: u32) -> &'a T {
        let index = index as usize;
        seeded
            .get(index)
            .unwrap_or_else(|| &self.rows[index - seeded.len()])
    }

    fn iter<'a>(&'a self, seeded: &'a [T]) -> impl Iterator<Item = (u32, &'a T)> {
        seeded
            .iter()
            .chain(&self.rows)
            .enumerate()
            .map(|(i, row)| (i as u32, row))
    }

    fn index(&self, seeded: &[T], seeded_ids: &HashMap<String, u32>, id: &str) -> Option<u32> {
        seeded_ids
            .get(id)
            .copied()
            .or_else(|| Some(self.ids.get(id)? + seeded.len() as u32))
    }

    fn insert(
        &mut self,
        field: &'static str,
        id: String,
        row: T,
        exists: bool,
    ) -> Result<String, InvalidEntity> {
        if exists {
            return Err(InvalidEntity::new(field, &id, "is already in the world"));
        }
        self.ids.insert(id.clone(), self.rows.len() as u32);
        self.rows.push(row);
        Ok(id)
    }
}

/// Each row's index, by id.
fn ids_of<T>(rows: &[T], id: impl Fn(&T) -> &str) -> HashMap<String, u32> {
    rows.iter()
        .enumerate()
        .map(|(i, row)| (id(row).to_string(), i as u32))
        .collect()
}

/// A server's world: the seeded part, shared, and the rows its tests inserted.
#[derive(Debug)]
pub(crate) struct World {
    base: Arc<Base>,
    added_businesses: Added<Biz>,
    added_prospects: Added<Person>,
    /// The year company ages are counted from.
    pub(crate) year: u16,
}

impl World {
    pub(crate) fn new(config: WorldConfig, year: u16) -> Self {
        Self {
            base: base(config),
            added_businesses: Added::default(),
            added_prospects: Added::default(),
            year,
        }
    }

    pub(crate) fn vocab(&self) -> &'static Vocab {
        vocab()
    }

    pub(crate) fn business_count(&self) -> usize {
        self.base.businesses.len() + self.added_businesses.rows.len()
    }

    pub(crate) fn business(&self, index: u32) -> &Biz {
        self.added_businesses.get(&self.base.businesses, index)
    }

    /// Every business with its index, seeded ones first, then inserted ones in order.
    pub(crate) fn businesses(&self) -> impl Iterator<Item = (u32, &Biz)> {
        self.added_businesses.iter(&self.base.businesses)
    }

    pub(crate) fn business_index(&self, id: &str) -> Option<u32> {
        self.added_businesses
            .index(&self.base.businesses, &self.base.business_ids, id)
    }

    pub(crate) fn person(&self, index: u32) -> &Person {
        self.added_prospects.get(&self.base.prospects, index)
    }

    /// Every prospect with its index, seeded ones first.
    pub(crate) fn people(&self) -> impl Iterator<Item = (u32, &Person)> {
        self.added_prospects.iter(&self.base.prospects)
    }

    pub(crate) fn person_index(&self, id: &str) -> Option<u32> {
        self.added_prospects
            .index(&self.base.prospects, &self.base.prospect_ids, id)
    }

    /// The match keys of the seeded entities, each table made once per process.
    pub(crate) fn seeded_keys(&self, entity: Entity) -> &Keys {
        match entity {
            Entity::Business => &self.base.keys[0],
            Entity::Prospect => &self.base.keys[1],
        }
    }

    /// The indices of the inserted entities.
    pub(crate) fn added(&self, entity: Entity) -> std::ops::Range<u32> {
        let (seeded, added) = match entity {
            Entity::Business => (self.base.businesses.len(), self.added_businesses.rows.len()),
            Entity::Prospect => (self.base.prospects.len(), self.added_prospects.rows.len()),
        };
        seeded as u32..(seeded + added) as u32
    }

    /// Whether the prospect has a professional email, without making it.
    pub(crate) fn has_email(&self, person: &Person) -> bool {
        match person.email {
            Contact::None => false,
            Contact::Given(_) => true,
            Contact::Derived => self.company(person).domain.is_some(),
        }
    }

    /// Whether the prospect has a phone number, without making it.
    pub(crate) fn has_phone(&self, person: &Person) -> bool {
        match person.phone {
            Contact::None => false,
            Contact::Given(_) => true,
            Contact::Derived => {
                let country = self.country_code(&person.place);
                CALLING_CODES.iter().any(|(c, _)| *c == country)
            }
        }
    }

    /// The prospects working at a business: its seeded ones, then inserted ones.
    pub(crate) fn people_of(&self, business: u32) -> Vec<u32> {
        let seeded = match self.base.businesses.get(business as usize) {
            Some(b) => b.prospects.clone(),
            None => 0..0,
        };
        let added = self
            .added_prospects
            .iter(&[])
            .filter(|(_, p)| p.business == business)
            .map(|(i, _)| i + self.base.prospects.len() as u32);
        seeded.chain(added).collect()
    }

    fn add_business(&mut self, business: Biz) -> Result<String, InvalidEntity> {
        let exists = self.business_index(&business.id).is_some();
        let id = business.id.clone();
        self.added_businesses
            .insert("business_id", id, business, exists)
    }

    fn add_person(&mut self, person: Person) -> Result<String, InvalidEntity> {
        let exists = self.person_index(&person.id).is_some();
        let id = person.id.clone();
        self.added_prospects
            .insert("prospect_id", id, person, exists)
    }

    // What a business is, in the document's terms.

    pub(crate) fn country_code(&self, place: &Place) -> &'static str {
        self.vocab()
            .countries
            .get(usize::from(place.country))
            .map_or("", |c| c.0.as_str())
    }

    pub(crate) fn country_name(&self, place: &Place) -> &'static str {
        self.vocab()
            .countries
            .get(usize::from(place.country))
            .map_or("", |c| c.1.as_str())
    }

    pub(crate) fn region_code(&self, place: &Place) -> Option<&'static str> {
        let region = self.vocab().regions.get(place.region? as usize)?;
        Some(region.0.as_str())
    }

    pub(crate) fn region_name(&self, place: &Place) -> Option<&'static str> {
        let region = self.vocab().regions.get(place.region? as usize)?;
        Some(region.1.as_str())
    }

    /// `San Francisco, CA, US` (the region only in the United States), as the
    /// `city_region_country` filter's examples write places; `None` without a city.
    pub(crate) fn city_region_country(&self, place: &Place) -> Option<String> {
        let city = place.city.as_deref()?;
        let country = self.country_code(place).to_uppercase();
        let region = self
            .region_code(place)
            .and_then(|code| code.split_once('-'))
            .map(|(_, region)| region.to_uppercase());
        Some(match region {
            Some(region) if country == "US" => format!("{city}, {region}, {country}"),
            _ => format!("{city}, {country}"),
        })
    }

    /// `California, US`, as the statistics examples name locations.
    pub(crate) fn location_label(&self, place: &Place) -> String {
        let country = self.country_code(place).to_uppercase();
        match self.region_name(place) {
            Some(region) => format!("{}, {country}", vocab::title_case(region)),
            None => vocab::title_case(self.country_name(place)),
        }
    }

    pub(crate) fn size(&self, business: &Biz) -> &'static str {
        enum_value(&self.vocab().sizes, business.size)
    }

    pub(crate) fn revenue(&self, business: &Biz) -> &'static str {
        enum_value(&self.vocab().revenues, business.revenue)
    }

    pub(crate) fn number_of_locations(&self, business: &Biz) -> &'static str {
        enum_value(&self.vocab().locations, business.locations)
    }

    /// The company-age range (`0-3`, ..., `20+`) its founding year falls in.
    pub(crate) fn age(&self, business: &Biz) -> &'static str {
        let age = self.year.saturating_sub(business.founded);
        let ages = &self.vocab().ages;
        let found = ages.iter().find(|range| {
            let (low, high) = range
                .split_once('-')
                .unwrap_or((range.trim_end_matches('+'), ""));
            let low: u16 = low.parse().unwrap_or(0);
            let high: u16 = high.parse().unwrap_or(u16::MAX);
            age >= low && age < high
        });
        found.or(ages.last()).map_or("", String::as_str)
    }

    pub(crate) fn industry(&self, business: &Biz) -> &'static vocab::Industry {
        &INDUSTRIES[usize::from(business.industry) % INDUSTRIES.len()]
    }

    pub(crate) fn website(&self, business: &Biz) -> Option<String> {
        Some(format!("https://www.{}", business.domain.as_ref()?))
    }

    pub(crate) fn linkedin(&self, business: &Biz) -> String {
        business.linkedin.clone().unwrap_or_else(|| {
            format!(
                "https://www.linkedin.com/company/{}",
                slug(&business.name, "-")
            )
        })
    }

    pub(crate) fn techs<'b>(
        &self,
        business: &'b Biz,
    ) -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> + 'b {
        business
            .techs
            .iter()
            .map(|t| &TECHS[usize::from(*t) % TECHS.len()])
    }

    pub(crate) fn events<'b>(
        &self,
        business: &'b Biz,
    ) -> impl Iterator<Item = (&'static str, u16)> + 'b {
        let names = &self.vocab().business_events;
        business
            .events
            .iter()
            .filter_map(|(event, days)| Some((names.get(usize::from(*event))?.as_str(), *days)))
    }

    pub(crate) fn topics<'b>(
        &self,
        business: &'b Biz,
    ) -> impl Iterator<Item = (&'static str, &'static str)> + 'b {
        let levels = &self.vocab().intent_levels;
        business.topics.iter().map(|(topic, level)| {
            (
                vocab::TOPICS[usize::from(*topic) % vocab::TOPICS.len()],
                enum_value(levels, *level),
            )
        })
    }

    // What a prospect is.

    pub(crate) fn company(&self, person: &Person) -> &Biz {
        self.business(person.business)
    }

    pub(crate) fn full_name(&self, person: &Person) -> String {
        format!("{} {}", person.first, person.last)
    }

    pub(crate) fn department(&self, person: &Person) -> &'static str {
        enum_value(&self.vocab().departments, person.department)
    }

    pub(crate) fn level(&self, person: &Person) -> &'static str {
        enum_value(&self.vocab().levels, person.level)
    }

    pub(crate) fn title<'p>(&self, person: &'p Person) -> Cow<'p, str> {
        if let Some(title) = &person.title {
            return Cow::Borrowed(title);
        }
        let department = self.department(person);
        let role = ROLES.iter().find(|(d, _)| *d == department).map_or_else(
            || format!("{} Specialist", vocab::title_case(department)),
            |(_, r)| r.to_string(),
        );
        let area = vocab::title_case(department);
        Cow::Owned(match self.level(person) {
            "owner" => "Owner".to_string(),
            "founder" => "Founder".to_string(),
            "president" => "President".to_string(),
            "partner" => "Partner".to_string(),
            "board member" => "Board Member".to_string(),
            "c-suite" => format!("Chief {area} Officer"),
            "vice president" => format!("VP of {area}"),
            "director" => format!("Director of {area}"),
            "senior manager" => format!("Senior {area} Manager"),
            "manager" => format!("{area} Manager"),
            "senior non-managerial" => format!("Senior {role}"),
            "junior" => format!("Junior {role}"),
            "advisor" => format!("{area} Advisor"),
            "freelancer" => format!("Freelance {role}"),
            _ => role,
        })
    }

    /// The professional email, if it has one.
    pub(crate) fn email(&self, person: &Person) -> Option<String> {
        match &person.email {
            Contact::None => None,
            Contact::Given(email) => Some(email.clone()),
            Contact::Derived => {
                let domain = self.company(person).domain.as_ref()?;
                Some(format!(
                    "{}.{}@{domain}",
                    slug(&person.first, ""),
                    slug(&person.last, "")
                ))
            }
        }
    }

    /// A personal email, for some.
    pub(crate) fn personal_email(&self, person: &Person) -> Option<String> {
        person.personal_email.then(|| {
            format!(
                "{}{}{}@mail.example",
                slug(&person.first, ""),
                slug(&person.last, ""),
                &person.id[..4]
            )
        })
    }

    /// The phone number (`+` and digits), if it has one.
    pub(crate) fn phone(&self, person: &Person) -> Option<String> {
        match &person.phone {
            Contact::None => None,
            Contact::Given(phone) => Some(phone.clone()),
            Contact::Derived => {
                let country = self.country_code(&person.place);
                let code = CALLING_CODES.iter().find(|(c, _)| *c == country)?.1;
                let digits: String = person
                    .id
                    .bytes()
                    .map(|b| char::from(b'0' + b % 10))
                    .take(10)
                    .collect();
                Some(format!("+{code}{}", digits.replacen('0', "2", 1)))
            }
        }
    }

    pub(crate) fn person_linkedin(&self, person: &Person) -> String {
        person.linkedin.clone().unwrap_or_else(|| {
            format!(
                "https://www.linkedin.com/in/{}-{}-{}",
                slug(&person.first, ""),
                slug(&person.last, ""),
                &person.id[..6]
            )
        })
    }
}

fn enum_value(values: &'static [String], index: u8) -> &'static str {
    values.get(usize::from(index)).map_or("", String::as_str)
}

/// Lower-case ASCII letters and digits of `text`, words joined by `separator`.
pub(crate) fn slug(text: &str, separator: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join(separator)
}
