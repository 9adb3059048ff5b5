//! What an entity of the world is, in the documents' terms: codes and names of its place,
//! its ranges, industry and technologies, a prospect's title, email, phone and LinkedIn URL.

use std::borrow::Cow;

use super::tables::{self, CALLING_CODES, INDUSTRIES, ROLES, TECHS, TOPICS};
use super::vocab::{self, Vocab};
use super::{slug, Biz, Contact, Person, Place, World};

impl World {
    pub(crate) fn vocab(&self) -> &'static Vocab {
        super::vocab()
    }

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

    pub(crate) fn industry(&self, business: &Biz) -> &'static tables::Industry {
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
                TOPICS[usize::from(*topic) % TOPICS.len()],
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
