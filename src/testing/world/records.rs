//! The world as tests see it: rows to insert ([`TestBusiness`], [`TestProspect`]), rows read
//! back ([`WorldBusiness`], [`WorldProspect`]), and the server's methods for both.

use std::borrow::Cow;
use std::fmt;

use fastrand::Rng;

use super::vocab::{Vocab, CITIES, INDUSTRIES, TECHS};
use super::{generate, Biz, Contact, Person, Place, World};
use crate::testing::LocalServer;

/// A row the world refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidEntity {
    /// The field at fault (`country_code`, `business_id`, ...).
    pub field: &'static str,
    /// Its value.
    pub value: String,
    /// What is wrong with it.
    pub reason: String,
}

impl InvalidEntity {
    pub(super) fn new(field: &'static str, value: &str, reason: &str) -> Self {
        Self {
            field,
            value: value.to_string(),
            reason: reason.to_string(),
        }
    }
}

impl fmt::Display for InvalidEntity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} `{}` {}", self.field, self.value, self.reason)
    }
}

impl std::error::Error for InvalidEntity {}

/// Where a row to insert is, as a test gives it.
#[derive(Debug, Clone, PartialEq, Default)]
struct PlaceParts {
    country_code: Option<String>,
    region_code: Option<String>,
    city: Option<String>,
}

/// The country, region and city setters of a row to insert, each with its default.
macro_rules! place_setters {
    ($country:literal, $region:literal, $city:literal) => {
        #[doc = concat!("Its country: an alpha-2 code of the document's list, lower case (`us`). Default: ", $country, ".")]
        pub fn country_code(mut self, code: impl Into<String>) -> Self {
            self.place.country_code = Some(code.into());
            self
        }

        #[doc = concat!("Its region: an ISO 3166-2 code of the document's list, lower case (`us-ca`). Default: ", $region, ".")]
        pub fn region_code(mut self, code: impl Into<String>) -> Self {
            self.place.region_code = Some(code.into());
            self
        }

        #[doc = concat!("Its city. Default: ", $city, ".")]
        pub fn city(mut self, city: impl Into<String>) -> Self {
            self.place.city = Some(city.into());
            self
        }
    };
}

/// A business for [`LocalServer::insert_business`]: what a test knows of it. Every field not
/// set is made up from the name, deterministically, as for a seeded business.
///
/// ```
/// use explorium::testing::TestBusiness;
///
/// let acme = TestBusiness::new("Acme Rockets")
///     .domain("acme-rockets.com")
///     .country_code("us")
///     .region_code("us-ca")
///     .city("San Diego")
///     .company_size("51-200")
///     .tech("Salesforce");
/// # let _ = acme;
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[must_use]
pub struct TestBusiness {
    name: String,
    business_id: Option<String>,
    domain: Option<String>,
    without_website: bool,
    linkedin_url: Option<String>,
    place: PlaceParts,
    company_size: Option<String>,
    company_revenue: Option<String>,
    naics: Option<String>,
    founded_year: Option<u16>,
    techs: Vec<String>,
    description: Option<String>,
}

impl TestBusiness {
    /// A business by name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Its id: 32 lower-case hex digits. Default: made from the name.
    pub fn business_id(mut self, id: impl Into<String>) -> Self {
        self.business_id = Some(id.into());
        self
    }

    /// Its domain (`acme.com`; a URL such as `https://www.acme.com/` is taken down to its
    /// domain). Default: the name's, in the country's top-level domain.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(crate::testing::matching::domain_of(&domain.into()));
        self
    }

    /// It has no website (nor domain). Default: it has one.
    pub fn without_website(mut self) -> Self {
        self.without_website = true;
        self
    }

    /// Its LinkedIn page. Default: `https://www.linkedin.com/company/<the name's slug>`.
    pub fn linkedin_url(mut self, url: impl Into<String>) -> Self {
        self.linkedin_url = Some(url.into());
        self
    }

    place_setters!(
        "the region's, or one made up",
        "none when the country is set, else one made up",
        "none when the country or region is set, else one made up"
    );

    /// Its number of employees, a value of the document's range enum (`51-200`). Default:
    /// made up.
    pub fn company_size(mut self, size: impl Into<String>) -> Self {
        self.company_size = Some(size.into());
        self
    }

    /// Its yearly revenue, a value of the document's range enum (`10M-25M`). Default: made up.
    pub fn company_revenue(mut self, revenue: impl Into<String>) -> Self {
        self.company_revenue = Some(revenue.into());
        self
    }

    /// Its industry, as a NAICS code (or a prefix of one) of the world's industries
    /// (`541512`, `5415`, `62`...). Default: made up.
    pub fn naics(mut self, code: impl Into<String>) -> Self {
        self.naics = Some(code.into());
        self
    }

    /// The year it was founded. Default: made up.
    pub fn founded_year(mut self, year: u16) -> Self {
        self.founded_year = Some(year);
        self
    }

    /// A technology it uses, one of the world's (`Salesforce`, `JavaScript`...); may be
    /// called several times. Default: made up.
    pub fn tech(mut self, tech: impl Into<String>) -> Self {
        self.techs.push(tech.into());
        self
    }

    /// Its description. Default: one made from its name, size, industry and place.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    fn into_biz(self, world: &World) -> Result<Biz, InvalidEntity> {
        let vocab = world.vocab();
        let mut rng = Rng::with_seed(crate::testing::synth::hash(&self.name));
        let mut business = generate::sample_business(&mut rng, vocab, self.name.clone());
        if let Some(id) = self.business_id {
            check_id("business_id", &id, 32)?;
            business.id = id;
        }
        if self.without_website {
            business.domain = None;
        } else if let Some(domain) = self.domain {
            business.domain = Some(domain);
        }
        business.linkedin = self.linkedin_url;
        business.place = place(vocab, self.place, business.place)?;
        if let Some(size) = self.company_size {
            business.size = enum_index("company_size", &size, &vocab.sizes)?;
        }
        if let Some(revenue) = self.company_revenue {
            business.revenue = enum_index("company_revenue", &revenue, &vocab.revenues)?;
        }
        if let Some(code) = self.naics {
            let found = INDUSTRIES
                .iter()
                .position(|i| i.naics.starts_with(code.as_str()));
            business.industry = found.ok_or_else(|| {
                InvalidEntity::new("naics", &code, "is not an industry of the world")
            })? as u8;
        }
        if let Some(year) = self.founded_year {
            business.founded = year;
        }
        if !self.techs.is_empty() {
            business.techs = self
                .techs
                .iter()
                .map(|tech| {
                    let found = TECHS
                        .iter()
                        .position(|(name, _, _)| name.eq_ignore_ascii_case(tech));
                    found.map(|i| i as u8).ok_or_else(|| {
                        InvalidEntity::new("tech", tech, "is not a technology of the world")
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        business.description = self.description;
        business.seed = crate::testing::synth::hash(&business.id);
        Ok(business)
    }
}

/// A prospect for [`LocalServer::insert_prospect`], working at a business of the world. Every
/// field not set is made up from the name, deterministically.
///
/// ```
/// use explorium::testing::TestProspect;
///
/// let jane = TestProspect::new("Jane", "Doe", "8adce3ca1cef0c986b22310e369a0793")
///     .job_title("VP of Engineering")
///     .job_level("vice president")
///     .job_department("engineering")
///     .email("jane.doe@apple.com");
/// # let _ = jane;
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[must_use]
pub struct TestProspect {
    first_name: String,
    last_name: String,
    business_id: String,
    prospect_id: Option<String>,
    job_title: Option<String>,
    job_department: Option<String>,
    job_level: Option<String>,
    email: Option<Option<String>>,
    phone_number: Option<Option<String>>,
    linkedin_url: Option<String>,
    place: PlaceParts,
    experience_months: Option<u16>,
    current_role_months: Option<u16>,
}

impl TestProspect {
    /// A prospect by name, at the business with this id (seeded or inserted).
    pub fn new(
        first_name: impl Into<String>,
        last_name: impl Into<String>,
        business_id: impl Into<String>,
    ) -> Self {
        Self {
            first_name: first_name.into(),
            last_name: last_name.into(),
            business_id: business_id.into(),
            ..Self::default()
        }
    }

    /// Its id: 40 lower-case hex digits. Default: made from the name and business.
    pub fn prospect_id(mut self, id: impl Into<String>) -> Self {
        self.prospect_id = Some(id.into());
        self
    }

    /// Its job title. Default: the one its level and department give.
    pub fn job_title(mut self, title: impl Into<String>) -> Self {
        self.job_title = Some(title.into());
        self
    }

    /// Its department, a value of the document's enum (`engineering`). Default: made up.
    pub fn job_department(mut self, department: impl Into<String>) -> Self {
        self.job_department = Some(department.into());
        self
    }

    /// Its seniority, a value of the document's enum (`director`). Default: made up.
    pub fn job_level(mut self, level: impl Into<String>) -> Self {
        self.job_level = Some(level.into());
        self
    }

    /// Its professional email. Default: `first.last@<the company's domain>`, for most.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(Some(email.into()));
        self
    }

    /// It has no professional email. Default: most have one.
    pub fn without_email(mut self) -> Self {
        self.email = Some(None);
        self
    }

    /// Its phone number (`+14155550100`). Default: made up, for some.
    pub fn phone_number(mut self, phone: impl Into<String>) -> Self {
        self.phone_number = Some(Some(phone.into()));
        self
    }

    /// It has no phone number. Default: some have one.
    pub fn without_phone_number(mut self) -> Self {
        self.phone_number = Some(None);
        self
    }

    /// Its LinkedIn profile. Default: `https://www.linkedin.com/in/<first>-<last>-<id>`.
    pub fn linkedin_url(mut self, url: impl Into<String>) -> Self {
        self.linkedin_url = Some(url.into());
        self
    }

    place_setters!(
        "its company's, unless the region is set",
        "its company's, unless the country is set",
        "its company's, unless the country or region is set"
    );

    /// Its months of experience. Default: made up.
    pub fn experience_months(mut self, months: u16) -> Self {
        self.experience_months = Some(months);
        self
    }

    /// Its months in its current role. Default: made up, at most its experience.
    pub fn current_role_months(mut self, months: u16) -> Self {
        self.current_role_months = Some(months);
        self
    }

    fn into_person(self, world: &World) -> Result<Person, InvalidEntity> {
        let vocab = world.vocab();
        let business = world.business_index(&self.business_id).ok_or_else(|| {
            InvalidEntity::new("business_id", &self.business_id, "is not in the world")
        })?;
        let mut rng = Rng::with_seed(crate::testing::synth::hash(&format!(
            "{} {} {}",
            self.first_name, self.last_name, self.business_id
        )));
        let company = world.business(business);
        let mut person = generate::sample_person(&mut rng, vocab, company, business);
        person.first = Cow::Owned(self.first_name);
        person.last = Cow::Owned(self.last_name);
        if let Some(id) = self.prospect_id {
            check_id("prospect_id", &id, 40)?;
            person.id = id;
        }
        if let Some(department) = self.job_department {
            person.department = enum_index("job_department", &department, &vocab.departments)?;
        }
        if let Some(level) = self.job_level {
            person.level = enum_index("job_level", &level, &vocab.levels)?;
        }
        person.title = self.job_title;
        match self.email {
            Some(Some(email)) => person.email = Contact::Given(email),
            Some(None) => person.email = Contact::None,
            None => {}
        }
        match self.phone_number {
            Some(Some(phone)) => person.phone = Contact::Given(phone),
            Some(None) => person.phone = Contact::None,
            None => {}
        }
        person.linkedin = self.linkedin_url;
        person.place = place(vocab, self.place, person.place)?;
        if let Some(months) = self.experience_months {
            person.experience = months;
            person.role = person.role.min(months);
        }
        if let Some(months) = self.current_role_months {
            person.role = months;
        }
        Ok(person)
    }
}

fn check_id(field: &'static str, id: &str, digits: usize) -> Result<(), InvalidEntity> {
    let hex = id.len() == digits && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if hex {
        Ok(())
    } else {
        Err(InvalidEntity::new(
            field,
            id,
            &format!("is not {digits} lower-case hex digits"),
        ))
    }
}

fn enum_index(field: &'static str, value: &str, values: &[String]) -> Result<u8, InvalidEntity> {
    values
        .iter()
        .position(|v| v == value)
        .map(|i| i as u8)
        .ok_or_else(|| InvalidEntity::new(field, value, &format!("is not one of {values:?}")))
}

/// The place the codes and city say, `default` where they say nothing.
fn place(vocab: &Vocab, parts: PlaceParts, default: Place) -> Result<Place, InvalidEntity> {
    let PlaceParts {
        country_code: country,
        region_code: region,
        city,
    } = parts;
    if country.is_none() && region.is_none() && city.is_none() {
        return Ok(default);
    }
    let region_index = match &region {
        Some(code) => Some(vocab.region(code).ok_or_else(|| {
            InvalidEntity::new(
                "region_code",
                code,
                "is not a region of the document's list",
            )
        })?),
        None => None,
    };
    let country_index = match (&country, region_index) {
        (Some(code), _) => vocab.country(code).ok_or_else(|| {
            InvalidEntity::new(
                "country_code",
                code,
                "is not a country of the document's list",
            )
        })?,
        (None, Some(region)) => generate::region_country(vocab, region).unwrap_or(default.country),
        (None, None) => default.country,
    };
    if let (Some(region), Some(code)) = (region_index, &region) {
        if generate::region_country(vocab, region) != Some(country_index) {
            return Err(InvalidEntity::new(
                "region_code",
                code,
                "is not a region of the country",
            ));
        }
    }
    let keep_default = country.is_none() && region.is_none();
    let metro = city
        .as_deref()
        .and_then(|c| CITIES.iter().find(|(name, _, _)| *name == c))
        .map_or("", |(_, _, metro)| metro);
    Ok(Place {
        country: country_index,
        region: if keep_default {
            default.region
        } else {
            region_index
        },
        city: match city {
            Some(city) => Some(Cow::Owned(city)),
            None if keep_default => default.city,
            None => None,
        },
        metro: if keep_default && metro.is_empty() {
            default.metro
        } else {
            metro
        },
    })
}

/// A business of the world, as [`LocalServer::businesses`] reads it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WorldBusiness {
    /// 32 lower-case hex digits.
    pub business_id: String,
    /// Its name.
    pub name: String,
    /// Its domain, if it has a website.
    pub domain: Option<String>,
    /// `https://www.<domain>`, if it has a website.
    pub website: Option<String>,
    /// Its LinkedIn page.
    pub linkedin_url: String,
    /// Alpha-2, lower case.
    pub country_code: String,
    /// Lower case, as the document lists it.
    pub country_name: String,
    /// ISO 3166-2, lower case.
    pub region_code: Option<String>,
    /// Lower case, as the document lists it.
    pub region_name: Option<String>,
    /// Its city, if known.
    pub city: Option<String>,
    /// Its employees range.
    pub company_size: String,
    /// Its yearly revenue range.
    pub company_revenue: String,
    /// Its number-of-locations range.
    pub number_of_locations: String,
    /// The year it was founded.
    pub founded_year: u16,
    /// Its 2017 NAICS code.
    pub naics: String,
    /// Its LinkedIn category.
    pub linkedin_category: String,
    /// Its Google category.
    pub google_category: String,
    /// The technologies it uses.
    pub tech_stack: Vec<String>,
}

/// A prospect of the world, as [`LocalServer::prospects_of`] reads it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WorldProspect {
    /// 40 lower-case hex digits.
    pub prospect_id: String,
    /// The business it works at.
    pub business_id: String,
    /// Its first name.
    pub first_name: String,
    /// Its last name.
    pub last_name: String,
    /// First and last.
    pub full_name: String,
    /// Its job title.
    pub job_title: String,
    /// Its department (the document's enum).
    pub job_department: String,
    /// Its seniority (the document's enum).
    pub job_level: String,
    /// Its professional email, if it has one.
    pub email: Option<String>,
    /// Its phone number, if it has one.
    pub phone_number: Option<String>,
    /// Its LinkedIn profile.
    pub linkedin_url: String,
    /// Where it lives: alpha-2, lower case.
    pub country_code: String,
    /// ISO 3166-2, lower case.
    pub region_code: Option<String>,
    /// Its city, if known.
    pub city: Option<String>,
    /// Its company's name.
    pub company_name: String,
}

impl World {
    pub(crate) fn read_business(&self, business: &Biz) -> WorldBusiness {
        let industry = self.industry(business);
        WorldBusiness {
            business_id: business.id.clone(),
            name: business.name.clone(),
            domain: business.domain.clone(),
            website: self.website(business),
            linkedin_url: self.linkedin(business),
            country_code: self.country_code(&business.place).to_string(),
            country_name: self.country_name(&business.place).to_string(),
            region_code: self.region_code(&business.place).map(String::from),
            region_name: self.region_name(&business.place).map(String::from),
            city: business.place.city.as_deref().map(String::from),
            company_size: self.size(business).to_string(),
            company_revenue: self.revenue(business).to_string(),
            number_of_locations: self.number_of_locations(business).to_string(),
            founded_year: business.founded,
            naics: industry.naics.to_string(),
            linkedin_category: industry.linkedin.to_string(),
            google_category: industry.google.to_string(),
            tech_stack: self.techs(business).map(|t| t.0.to_string()).collect(),
        }
    }

    pub(crate) fn read_person(&self, person: &Person) -> WorldProspect {
        WorldProspect {
            prospect_id: person.id.clone(),
            business_id: self.company(person).id.clone(),
            first_name: person.first.to_string(),
            last_name: person.last.to_string(),
            full_name: self.full_name(person),
            job_title: self.title(person).into_owned(),
            job_department: self.department(person).to_string(),
            job_level: self.level(person).to_string(),
            email: self.email(person),
            phone_number: self.phone(person),
            linkedin_url: self.person_linkedin(person),
            country_code: self.country_code(&person.place).to_string(),
            region_code: self.region_code(&person.place).map(String::from),
            city: person.place.city.as_deref().map(String::from),
            company_name: self.company(person).name.clone(),
        }
    }
}

impl LocalServer {
    /// Adds a business to the world, as if the service knew it: match, fetch, stats,
    /// autocomplete and enrich answer it like a seeded one. Returns its id.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use explorium::testing::{LocalServer, TestBusiness};
    ///
    /// let server = LocalServer::start().await?;
    /// let id = server.insert_business(TestBusiness::new("Acme Rockets").domain("acme-rockets.com"))?;
    /// assert_eq!(server.business(&id).unwrap().domain.as_deref(), Some("acme-rockets.com"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn insert_business(&self, business: TestBusiness) -> Result<String, InvalidEntity> {
        self.with_world(|world| {
            let business = business.into_biz(world)?;
            world.add_business(business)
        })
    }

    /// Adds a prospect to the world, at a business already in it. Returns its id.
    pub fn insert_prospect(&self, prospect: TestProspect) -> Result<String, InvalidEntity> {
        self.with_world(|world| {
            let person = prospect.into_person(world)?;
            world.add_person(person)
        })
    }

    /// Every business of the world: the seeded ones, in order, then the inserted ones.
    pub fn businesses(&self) -> Vec<WorldBusiness> {
        self.with_world(|world| {
            world
                .businesses()
                .map(|(_, b)| world.read_business(b))
                .collect()
        })
    }

    /// The business with this id, if the world has it.
    pub fn business(&self, business_id: &str) -> Option<WorldBusiness> {
        self.with_world(|world| {
            let index = world.business_index(business_id)?;
            Some(world.read_business(world.business(index)))
        })
    }

    /// The prospects working at the business with this id (none if it is unknown).
    pub fn prospects_of(&self, business_id: &str) -> Vec<WorldProspect> {
        self.with_world(|world| {
            let Some(index) = world.business_index(business_id) else {
                return Vec::new();
            };
            world
                .people_of(index)
                .into_iter()
                .map(|p| world.read_person(world.person(p)))
                .collect()
        })
    }

    /// The prospect with this id, if the world has it.
    pub fn prospect(&self, prospect_id: &str) -> Option<WorldProspect> {
        self.with_world(|world| {
            let index = world.person_index(prospect_id)?;
            Some(world.read_person(world.person(index)))
        })
    }

    /// How many prospects the world has, seeded and inserted.
    pub fn prospect_count(&self) -> usize {
        self.with_world(|world| world.people().count())
    }
}
