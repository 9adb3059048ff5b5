//! The seeded world: businesses and the prospects working at them, made from a seed alone.
//!
//! Every draw comes from one `fastrand` generator seeded with the seed, in a fixed order, so a
//! seed and sizes always make the same world (ids included) with this build of the crate.

use std::borrow::Cow;
use std::collections::HashSet;

use fastrand::Rng;

use super::vocab::{
    self, Vocab, CITIES, DOCUMENTED, FIRST_NAMES, INDUSTRIES, LAST_NAMES, NAME_WORDS, TECHS,
    TOPICS, US_CITIES,
};
use super::{Base, Biz, Contact, Person, Place};

/// Employees-range weights for the number of prospects a business has, by size index.
const PEOPLE_BY_SIZE: [u32; 8] = [1, 3, 6, 10, 14, 20, 28, 36];

/// Departments' weights among prospects (others weigh 1).
const DEPARTMENT_WEIGHTS: &[(&str, u32)] = &[
    ("engineering", 8),
    ("sales", 8),
    ("marketing", 5),
    ("operations", 4),
    ("finance", 4),
    ("human resources", 3),
    ("data", 3),
    ("it", 3),
    ("product", 3),
    ("customer success", 2),
    ("support", 2),
];

/// Seniority levels' weights among prospects (others weigh 1).
const LEVEL_WEIGHTS: &[(&str, u32)] = &[
    ("non-managerial", 12),
    ("senior non-managerial", 7),
    ("manager", 6),
    ("director", 4),
    ("junior", 3),
    ("senior manager", 3),
    ("vice president", 2),
    ("c-suite", 2),
];

pub(super) fn generate(vocab: &Vocab, seed: u64, businesses: usize, prospects: usize) -> Base {
    let mut rng = Rng::with_seed(seed);
    let (cities, us_cities) = cities(vocab);
    let mut names = HashSet::new();
    let mut base = Base::default();
    for (i, company) in DOCUMENTED.iter().take(businesses).enumerate() {
        names.insert(company.name.to_string());
        let mut business = generated_business(
            &mut rng,
            vocab,
            &cities,
            us_cities,
            company.name.to_string(),
        );
        business.id = company.id.to_string();
        business.domain = Some(company.domain.to_string());
        business.place = cities.get(company.city).cloned().unwrap_or(business.place);
        business.industry = company.industry as u8;
        business.size = company.size.min(vocab.sizes.len().saturating_sub(1)) as u8;
        business.revenue = company.revenue.min(vocab.revenues.len().saturating_sub(1)) as u8;
        business.seed = i as u64;
        base.businesses.push(business);
    }
    while base.businesses.len() < businesses {
        let name = company_name(&mut rng, &mut names);
        let mut business = generated_business(&mut rng, vocab, &cities, us_cities, name);
        business.seed = base.businesses.len() as u64;
        base.businesses.push(business);
    }
    let weights: Vec<u32> = base
        .businesses
        .iter()
        .map(|b| PEOPLE_BY_SIZE[usize::from(b.size).min(PEOPLE_BY_SIZE.len() - 1)])
        .collect();
    let total: u64 = weights.iter().map(|w| u64::from(*w)).sum::<u64>().max(1);
    let mut counts: Vec<usize> = weights
        .iter()
        .map(|w| (prospects as u64 * u64::from(*w) / total) as usize)
        .collect();
    let left = prospects.saturating_sub(counts.iter().sum());
    for count in counts.iter_mut().take(left) {
        *count += 1;
    }
    let departments = weighted(&vocab.departments, DEPARTMENT_WEIGHTS);
    let levels = weighted(&vocab.levels, LEVEL_WEIGHTS);
    for (index, count) in counts.into_iter().enumerate() {
        let start = base.prospects.len() as u32;
        for _ in 0..count {
            let person = generated_person(
                &mut rng,
                vocab,
                &base.businesses[index],
                index as u32,
                &cities,
                &departments,
                &levels,
            );
            base.prospects.push(person);
        }
        base.businesses[index].prospects = start..base.prospects.len() as u32;
    }
    base.index();
    base
}

/// The gazetteer's places the document's lists know, and how many of them (first) are in the
/// United States.
fn cities(vocab: &Vocab) -> (Vec<Place>, usize) {
    let cities: Vec<Place> = CITIES
        .iter()
        .filter_map(|(city, region, metro)| Place::of_city(vocab, city, region, metro))
        .collect();
    let us = cities
        .iter()
        .filter(|p| {
            vocab
                .countries
                .get(usize::from(p.country))
                .is_some_and(|c| c.0 == "us")
        })
        .count()
        .min(US_CITIES);
    (cities, us)
}

/// A business made up for `name`, as a seeded one would be.
pub(super) fn sample_business(rng: &mut Rng, vocab: &Vocab, name: String) -> Biz {
    let (cities, us_cities) = cities(vocab);
    generated_business(rng, vocab, &cities, us_cities, name)
}

/// A prospect made up for `company`, as a seeded one would be.
pub(super) fn sample_person(rng: &mut Rng, vocab: &Vocab, company: &Biz, business: u32) -> Person {
    let (cities, _) = cities(vocab);
    let departments = weighted(&vocab.departments, DEPARTMENT_WEIGHTS);
    let levels = weighted(&vocab.levels, LEVEL_WEIGHTS);
    generated_person(
        rng,
        vocab,
        company,
        business,
        &cities,
        &departments,
        &levels,
    )
}

/// Indices of `values`, each repeated as often as its weight in `weights` (1 if absent).
fn weighted(values: &[String], weights: &[(&str, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let weight = weights
            .iter()
            .find(|(name, _)| name == value)
            .map_or(1, |(_, w)| *w);
        out.extend(std::iter::repeat_n(i as u8, weight as usize));
    }
    out
}

fn pick<T: Copy>(rng: &mut Rng, values: &[T], fallback: T) -> T {
    if values.is_empty() {
        fallback
    } else {
        values[rng.usize(..values.len())]
    }
}

pub(super) fn hex_id(rng: &mut Rng, digits: usize) -> String {
    let mut id = format!(
        "{:016x}{:016x}{:016x}",
        rng.u64(..),
        rng.u64(..),
        rng.u64(..)
    );
    id.truncate(digits);
    id
}

fn company_name(rng: &mut Rng, taken: &mut HashSet<String>) -> String {
    loop {
        let [first, second, kind] = NAME_WORDS.map(|words| words[rng.usize(..words.len())]);
        if first == second {
            continue;
        }
        let mut name = format!("{first} {second} {kind}");
        if taken.contains(&name) {
            name = format!("{first} {second} {kind} {}", rng.u16(2..1000));
        }
        if taken.insert(name.clone()) {
            return name;
        }
    }
}

/// The domain name a company's name gives, in its country's usual top-level domain.
pub(super) fn domain_for(name: &str, country: &str) -> String {
    let tld = match country {
        "gb" => "co.uk",
        "il" => "co.il",
        "au" => "com.au",
        "jp" | "in" | "ca" | "de" | "fr" | "nl" | "es" | "ie" | "se" | "ch" | "br" => country,
        _ => "com",
    };
    format!("{}.{tld}", super::slug(name, ""))
}

fn generated_business(
    rng: &mut Rng,
    vocab: &Vocab,
    cities: &[Place],
    us_cities: usize,
    name: String,
) -> Biz {
    let industry = rng.usize(..INDUSTRIES.len()) as u8;
    let sizes = vocab.sizes.len().max(1);
    // Most companies are small.
    let size = [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7][rng.usize(..14)].min(sizes - 1) as u8;
    let revenues = vocab.revenues.len().max(1) as i32;
    let revenue = (i32::from(size) + 2 + rng.i32(-1..=1)).clamp(0, revenues - 1) as u8;
    let roll = rng.u8(..100);
    let place = if cities.is_empty() {
        Place {
            country: 0,
            region: None,
            city: None,
            metro: "",
        }
    } else if roll < 60 || cities.len() <= us_cities {
        cities[rng.usize(..us_cities.max(1).min(cities.len()))].clone()
    } else if roll < 85 {
        cities[rng.usize(us_cities..cities.len())].clone()
    } else {
        let country = rng.usize(..vocab.countries.len().max(1));
        let regions = vocab.regions_of.get(country).map_or(&[][..], Vec::as_slice);
        Place {
            country: country as u16,
            region: (!regions.is_empty()).then(|| regions[rng.usize(..regions.len())]),
            city: None,
            metro: "",
        }
    };
    let country = vocab
        .countries
        .get(usize::from(place.country))
        .map_or("us", |c| c.0.as_str());
    let domain = (rng.u8(..100) >= 4).then(|| domain_for(&name, country));
    let locations = vocab.locations.len().max(1) as i32;
    let mut techs: Vec<u8> = (0..3 + rng.usize(..8))
        .map(|_| rng.usize(..TECHS.len()) as u8)
        .collect();
    techs.sort_unstable();
    techs.dedup();
    let levels = vocab.intent_levels.len().max(1);
    let mut topics: Vec<(u8, u8)> = (0..rng.usize(..4))
        .map(|_| (rng.usize(..TOPICS.len()) as u8, rng.usize(..levels) as u8))
        .collect();
    topics.sort_unstable();
    topics.dedup_by_key(|(topic, _)| *topic);
    let events = vocab.business_events.len().max(1);
    let events = (0..rng.usize(..4))
        .map(|_| (rng.usize(..events) as u8, rng.u16(1..=180)))
        .collect();
    Biz {
        id: hex_id(rng, 32),
        name,
        domain,
        linkedin: None,
        place,
        size,
        revenue,
        founded: rng.u16(1950..=2024),
        locations: (i32::from(size) - 2 + rng.i32(0..=1)).clamp(0, locations - 1) as u8,
        industry,
        techs,
        topics,
        events,
        description: None,
        prospects: 0..0,
        seed: 0,
    }
}

fn generated_person(
    rng: &mut Rng,
    vocab: &Vocab,
    company: &Biz,
    business: u32,
    cities: &[Place],
    departments: &[u8],
    levels: &[u8],
) -> Person {
    let place = if rng.u8(..100) < 85 || cities.is_empty() {
        company.place.clone()
    } else {
        cities[rng.usize(..cities.len())].clone()
    };
    let country = vocab
        .countries
        .get(usize::from(place.country))
        .map_or("", |c| c.0.as_str());
    let has_phone = vocab::CALLING_CODES.iter().any(|(c, _)| *c == country) && rng.u8(..100) < 45;
    let has_email = company.domain.is_some() && rng.u8(..100) < 80;
    let experience = rng.u16(12..=480);
    Person {
        id: hex_id(rng, 40),
        first: Cow::Borrowed(FIRST_NAMES[rng.usize(..FIRST_NAMES.len())]),
        last: Cow::Borrowed(LAST_NAMES[rng.usize(..LAST_NAMES.len())]),
        business,
        department: pick(rng, departments, 0),
        level: pick(rng, levels, 0),
        place,
        email: if has_email {
            Contact::Derived
        } else {
            Contact::None
        },
        phone: if has_phone {
            Contact::Derived
        } else {
            Contact::None
        },
        personal_email: rng.u8(..100) < 30,
        experience,
        role: rng.u16(1..=experience.min(240)),
        title: None,
        linkedin: None,
    }
}

impl Place {
    fn of_city(
        vocab: &Vocab,
        city: &'static str,
        region: &str,
        metro: &'static str,
    ) -> Option<Self> {
        let region = vocab.region(region)?;
        let country = region_country(vocab, region)?;
        Some(Self {
            country,
            region: Some(region),
            city: Some(Cow::Borrowed(city)),
            metro,
        })
    }
}

/// The country a region belongs to.
pub(super) fn region_country(vocab: &Vocab, region: u32) -> Option<u16> {
    let code = &vocab.regions.get(region as usize)?.0;
    vocab.country(code.split('-').next()?)
}

impl Base {
    /// The id look-ups.
    fn index(&mut self) {
        self.business_ids = super::ids_of(&self.businesses, |b| &b.id);
        self.prospect_ids = super::ids_of(&self.prospects, |p| &p.id);
    }
}
