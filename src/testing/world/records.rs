//! The world as tests read it ([`WorldBusiness`], [`WorldProspect`]), and the server's
//! methods to insert and read rows.

use super::{Biz, InvalidEntity, Person, TestBusiness, TestProspect, World};
use crate::testing::LocalServer;

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
