//! What the world knows of an entity, under the property names the documents use for it
//! (several names for one fact where the documents differ: `name` and `company_name`,
//! `region` and `region_name`...). The answers are made from these by [`crate::testing::synth`].

use serde_json::{json, Value};

use super::vocab::{self, SKILLS};
use super::World;
use crate::testing::synth::{hash, Facts};

/// Seniority levels as the enrichments' `JobLevel` names them.
const ENRICHMENT_LEVELS: &[(&str, &str)] = &[
    ("founder", "owner"),
    ("c-suite", "cxo"),
    ("president", "cxo"),
    ("board member", "cxo"),
    ("vice president", "vp"),
    ("senior manager", "manager"),
    ("senior non-managerial", "senior"),
    ("junior", "entry"),
    ("advisor", "partner"),
    ("freelancer", "non-managerial"),
];

/// Departments as the enrichments' `JobDepartmentEnrichment` names them, where its name is
/// not the department's with a capital.
const ENRICHMENT_DEPARTMENTS: &[(&str, &str)] = &[
    ("healthcare", "Health"),
    ("customer success", "Customer service"),
    ("support", "Customer service"),
    ("trade", "Trades"),
    ("creative", "Media"),
];

fn set(facts: &mut Facts, names: &[&str], value: Value) {
    for name in names {
        facts.insert((*name).to_string(), value.clone());
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

impl World {
    /// What the world knows of a business.
    pub(crate) fn business_facts(&self, index: u32) -> Facts {
        let business = self.business(index);
        let industry = self.industry(business);
        let place = &business.place;
        let mut facts = Facts::new();
        set(
            &mut facts,
            &["business_id", "entity_id"],
            business.id.clone().into(),
        );
        set(
            &mut facts,
            &["name", "company_name", "display_name"],
            business.name.clone().into(),
        );
        let website = self.website(business);
        set(&mut facts, &["domain"], json!(business.domain));
        set(
            &mut facts,
            &["website", "company_website", "url", "company_url"],
            json!(website),
        );
        set(
            &mut facts,
            &["logo", "business_logo"],
            json!(website.as_ref().map(|w| format!("{w}/logo.png"))),
        );
        set(
            &mut facts,
            &["linkedin_profile", "company_linkedin", "linkedin_url"],
            self.linkedin(business).into(),
        );
        set(
            &mut facts,
            &["country_name"],
            self.country_name(place).into(),
        );
        set(
            &mut facts,
            &["country_code", "company_country_code"],
            self.country_code(place).into(),
        );
        let region = json!(self.region_name(place));
        set(
            &mut facts,
            &["region", "region_name", "company_region"],
            region,
        );
        let city = json!(place.city.as_deref());
        set(&mut facts, &["city_name", "company_city", "city"], city);
        let number = 1 + business.seed % 900;
        set(
            &mut facts,
            &["street", "company_street"],
            format!("{number} Market Street").into(),
        );
        set(
            &mut facts,
            &["zip_code", "company_zip_code"],
            format!("{:05}", hash(&business.id) % 100_000).into(),
        );
        set(&mut facts, &["naics"], industry.naics.into());
        set(
            &mut facts,
            &["naics_description"],
            industry.naics_description.into(),
        );
        set(&mut facts, &["sic_code"], industry.sic.into());
        set(
            &mut facts,
            &["sic_code_description"],
            industry.sic_description.into(),
        );
        set(
            &mut facts,
            &["linkedin_industry_category", "linkedin_category"],
            industry.linkedin.into(),
        );
        set(&mut facts, &["google_category"], industry.google.into());
        set(
            &mut facts,
            &["number_of_employees_range"],
            self.size(business).into(),
        );
        set(
            &mut facts,
            &["yearly_revenue_range"],
            self.revenue(business).into(),
        );
        let description = business.description.clone().unwrap_or_else(|| {
            format!(
                "{}: {}, {} employees, based in {}.",
                business.name,
                industry.naics_description,
                self.size(business),
                self.location_label(place)
            )
        });
        set(
            &mut facts,
            &["business_description", "description"],
            description.into(),
        );
        // Companies with a billion or more in revenue are listed.
        let listed = self
            .vocab()
            .revenues
            .iter()
            .position(|r| r == "1B-10B")
            .is_some_and(|i| usize::from(business.revenue) >= i);
        let ticker = listed.then(|| {
            super::slug(&business.name, "")
                .to_uppercase()
                .chars()
                .take(4)
                .collect::<String>()
        });
        set(&mut facts, &["ticker"], json!(ticker));
        set(&mut facts, &["is_ipo"], Value::Bool(listed));
        let techs: Vec<_> = self.techs(business).collect();
        set(
            &mut facts,
            &["full_tech_stack"],
            json!(techs.iter().map(|t| t.0).collect::<Vec<_>>()),
        );
        for (_, _, key) in vocab::TECHS {
            let in_category: Vec<&str> =
                techs.iter().filter(|t| t.2 == *key).map(|t| t.0).collect();
            facts.insert((*key).to_string(), json!(in_category));
        }
        let names: Vec<&str> = techs.iter().map(|t| t.0).collect();
        set(
            &mut facts,
            &["technologies_used_by_company_website"],
            names.join(", ").into(),
        );
        let mut categories: Vec<&str> = techs.iter().map(|t| t.1).collect();
        categories.dedup();
        set(
            &mut facts,
            &["technologies_categories"],
            categories.join(", ").into(),
        );
        let topics: Vec<(&str, &str)> = self.topics(business).collect();
        let topic_objects: Vec<Value> = topics
            .iter()
            .map(|(topic, level)| json!({"topic": topic, "intent_level": level}))
            .collect();
        set(
            &mut facts,
            &["business_intent_topics"],
            topic_objects.into(),
        );
        if let Some((_, level)) = topics.first() {
            let names: Vec<&str> = topics.iter().map(|(t, _)| *t).collect();
            set(&mut facts, &["intent_topics"], names.join(", ").into());
            set(&mut facts, &["level_of_intent"], (*level).into());
            set(
                &mut facts,
                &["topic_count"],
                topics.len().to_string().into(),
            );
        }
        let events: Vec<&str> = self.events(business).map(|(e, _)| e).collect();
        set(&mut facts, &["events"], json!(events));
        set(
            &mut facts,
            &["parent_company_id", "ultimate_parent_id"],
            business.id.clone().into(),
        );
        set(
            &mut facts,
            &["parent_company_name", "ultimate_parent_name"],
            business.name.clone().into(),
        );
        set(&mut facts, &["subsidiaries"], json!([]));
        set(
            &mut facts,
            &["organization_tree"],
            json!([{"level": 0, "companies": [{"id": business.id, "name": business.name, "parent_id": null}]}]),
        );
        if let Some(other) = self.lookalike(index) {
            let other = self.business(other);
            set(
                &mut facts,
                &["lookalike_business_id"],
                other.id.clone().into(),
            );
            set(
                &mut facts,
                &["lookalike_business_name"],
                other.name.clone().into(),
            );
            set(
                &mut facts,
                &["lookalike_website"],
                json!(self.website(other)),
            );
            set(
                &mut facts,
                &["lookalike_description"],
                format!("{}, in the same industry", other.name).into(),
            );
            set(
                &mut facts,
                &["lookalike_number_of_employees_range"],
                self.size(other).into(),
            );
            set(
                &mut facts,
                &["lookalike_revenue_range"],
                self.revenue(other).into(),
            );
            set(
                &mut facts,
                &["lookalike_naics_description"],
                self.industry(other).naics_description.into(),
            );
            set(
                &mut facts,
                &["lookalike_country_location"],
                self.country_code(&other.place).into(),
            );
        }
        facts
    }

    /// The next business of the same industry, in world order.
    fn lookalike(&self, index: u32) -> Option<u32> {
        let industry = self.business(index).industry;
        let count = self.business_count() as u32;
        (1..count.min(5_000))
            .map(|step| (index + step) % count)
            .find(|other| self.business(*other).industry == industry)
    }

    /// What the world knows of a prospect, and of its company under the `company_` names.
    pub(crate) fn person_facts(&self, index: u32) -> Facts {
        let person = self.person(index);
        let company = self.company(person);
        let full_name = self.full_name(person);
        let mut facts = Facts::new();
        set(
            &mut facts,
            &["prospect_id", "entity_id"],
            person.id.clone().into(),
        );
        set(&mut facts, &["business_id"], company.id.clone().into());
        set(&mut facts, &["first_name"], person.first.to_string().into());
        set(&mut facts, &["last_name"], person.last.to_string().into());
        set(
            &mut facts,
            &["full_name", "name", "display_name"],
            full_name.into(),
        );
        set(
            &mut facts,
            &["country_name"],
            self.country_name(&person.place).into(),
        );
        set(
            &mut facts,
            &["region_name", "region"],
            json!(self.region_name(&person.place)),
        );
        set(&mut facts, &["city"], json!(person.place.city.as_deref()));
        let linkedin = self.person_linkedin(person);
        set(&mut facts, &["linkedin"], linkedin.clone().into());
        set(&mut facts, &["linkedin_url_array"], json!([linkedin]));
        set(&mut facts, &["company_name"], company.name.clone().into());
        set(&mut facts, &["domain"], json!(company.domain));
        set(
            &mut facts,
            &["company_website"],
            json!(self.website(company)),
        );
        set(
            &mut facts,
            &["company_linkedin"],
            self.linkedin(company).into(),
        );
        let title = self.title(person).into_owned();
        set(&mut facts, &["job_title"], title.clone().into());
        set(&mut facts, &["experience"], json!([title]));
        let department = self.department(person);
        let enrichment_department = ENRICHMENT_DEPARTMENTS
            .iter()
            .find(|(d, _)| *d == department)
            .map_or_else(|| capitalized(department), |(_, e)| (*e).to_string());
        set(
            &mut facts,
            &["job_department"],
            enrichment_department.into(),
        );
        set(&mut facts, &["job_department_main"], department.into());
        set(&mut facts, &["job_department_array"], json!([department]));
        let level = self.level(person);
        let enrichment_level = ENRICHMENT_LEVELS
            .iter()
            .find(|(l, _)| *l == level)
            .map_or(level, |(_, e)| e);
        set(
            &mut facts,
            &["job_seniority_level"],
            enrichment_level.into(),
        );
        set(&mut facts, &["job_level_main"], level.into());
        set(&mut facts, &["job_level_array"], json!([level]));
        let skills = SKILLS
            .iter()
            .find(|(d, _)| *d == department)
            .map_or(&[][..], |(_, s)| s);
        set(&mut facts, &["skills"], json!(skills));
        set(
            &mut facts,
            &["gender", "age_group", "interests"],
            Value::Null,
        );
        let email = self.email(person);
        let mut emails = Vec::new();
        if let Some(email) = &email {
            emails.push(json!({"address": email, "type": "professional"}));
        }
        if let Some(personal) = self.personal_email(person) {
            emails.push(json!({"address": personal, "type": "personal"}));
        }
        set(&mut facts, &["emails"], emails.into());
        set(
            &mut facts,
            &["professions_email", "professional_email"],
            json!(email),
        );
        set(
            &mut facts,
            &["professional_email_status"],
            json!(email.as_ref().map(|_| "valid")),
        );
        let hashed = email
            .as_ref()
            .map(|e| format!("{:016x}{:016x}", hash(e), hash(&e.to_uppercase())));
        set(&mut facts, &["professional_email_hashed"], json!(hashed));
        let phone = self.phone(person);
        let phones: Vec<Value> = phone.iter().map(|p| json!({"phone_number": p})).collect();
        set(&mut facts, &["phone_numbers"], phones.into());
        set(&mut facts, &["mobile_phone", "phone_number"], json!(phone));
        facts
    }
}
