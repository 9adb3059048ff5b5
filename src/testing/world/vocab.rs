//! What the world's values are drawn from: the document's own lists (enums, and the
//! alternatives of its country and region patterns), and small hand-written tables of what no
//! document lists (cities, industries, technologies, names).
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

/// A city of the hand-written gazetteer: (name, ISO 3166-2 region, urban area name for the
/// `city_region` filter, or `""`). Region codes are checked against the document's list by the
/// tests.
pub(crate) const CITIES: &[(&str, &str, &str)] = &[
    ("San Francisco", "us-ca", "San Francisco--Oakland, CA"),
    (
        "Los Angeles",
        "us-ca",
        "Los Angeles--Long Beach--Anaheim, CA",
    ),
    ("San Diego", "us-ca", "San Diego, CA"),
    ("Cupertino", "us-ca", "San Jose, CA"),
    ("New York", "us-ny", "New York--Jersey City--Newark, NY--NJ"),
    ("Chicago", "us-il", "Chicago, IL--IN"),
    ("Austin", "us-tx", "Austin, TX"),
    ("Houston", "us-tx", "Houston, TX"),
    ("Dallas", "us-tx", "Dallas--Fort Worth--Arlington, TX"),
    ("Seattle", "us-wa", "Seattle--Tacoma, WA"),
    ("Redmond", "us-wa", "Seattle--Tacoma, WA"),
    ("Miami", "us-fl", "Miami--Fort Lauderdale, FL"),
    ("Atlanta", "us-ga", "Atlanta, GA"),
    ("Salt Lake City", "us-ut", "Salt Lake City, UT"),
    ("Boston", "us-ma", "Boston, MA--NH"),
    ("Denver", "us-co", "Denver--Aurora, CO"),
    ("Purchase", "us-ny", "New York--Jersey City--Newark, NY--NJ"),
    ("Toronto", "ca-on", ""),
    ("Vancouver", "ca-bc", ""),
    ("Montreal", "ca-qc", ""),
    ("London", "gb-lnd", ""),
    ("Manchester", "gb-man", ""),
    ("Edinburgh", "gb-edh", ""),
    ("Tel Aviv", "il-ta", ""),
    ("Haifa", "il-ha", ""),
    ("Paris", "fr-75", ""),
    ("Berlin", "de-be", ""),
    ("Munich", "de-by", ""),
    ("Amsterdam", "nl-nh", ""),
    ("Bangalore", "in-ka", ""),
    ("Mumbai", "in-mh", ""),
    ("Tokyo", "jp-13", ""),
    ("Sydney", "au-nsw", ""),
    ("Sao Paulo", "br-sp", ""),
    ("Madrid", "es-m", ""),
    ("Dublin", "ie-d", ""),
    ("Stockholm", "se-ab", ""),
    ("Zurich", "ch-zh", ""),
];

/// The first cities of [`CITIES`] that are in the United States.
pub(crate) const US_CITIES: usize = 17;

/// International calling codes (and the digits after them) by country, for phone numbers.
pub(crate) const CALLING_CODES: &[(&str, &str)] = &[
    ("us", "1"),
    ("ca", "1"),
    ("gb", "44"),
    ("il", "972"),
    ("fr", "33"),
    ("de", "49"),
    ("nl", "31"),
    ("in", "91"),
    ("jp", "81"),
    ("au", "61"),
    ("br", "55"),
    ("es", "34"),
    ("ie", "353"),
    ("se", "46"),
    ("ch", "41"),
];

/// An industry: (2017 NAICS code, its description, SIC code, SIC description, LinkedIn
/// category, Google category, phrases on the websites of its companies).
pub(crate) struct Industry {
    pub(crate) naics: &'static str,
    pub(crate) naics_description: &'static str,
    pub(crate) sic: &'static str,
    pub(crate) sic_description: &'static str,
    pub(crate) linkedin: &'static str,
    pub(crate) google: &'static str,
    pub(crate) keywords: &'static [&'static str],
}

macro_rules! industries {
    ($(($naics:literal, $nd:literal, $sic:literal, $sd:literal, $li:literal, $g:literal, [$($k:literal),*])),* $(,)?) => {
        &[$(Industry { naics: $naics, naics_description: $nd, sic: $sic, sic_description: $sd,
            linkedin: $li, google: $g, keywords: &[$($k),*] }),*]
    };
}

/// The industries companies are in (the documentation's filter examples among them:
/// `541512`, `5611`, `23`, `62`, "software development", "Retail", "Paving contractor"...).
pub(crate) const INDUSTRIES: &[Industry] = industries![
    (
        "541512",
        "Computer Systems Design Services",
        "7373",
        "Computer Integrated Systems Design",
        "software development",
        "Software company",
        ["machine learning", "cloud platform", "saas"]
    ),
    (
        "511210",
        "Software Publishers",
        "7372",
        "Prepackaged Software",
        "software development",
        "Software company",
        ["machine learning", "api", "developer tools"]
    ),
    (
        "541910",
        "Marketing Research and Public Opinion Polling",
        "8732",
        "Commercial Nonphysical Research",
        "Market research",
        "Market researcher",
        ["market research", "consumer insights"]
    ),
    (
        "523110",
        "Investment Banking and Securities Dealing",
        "6211",
        "Security Brokers, Dealers, and Flotation Companies",
        "investment banking",
        "Investment bank",
        ["capital markets", "mergers and acquisitions"]
    ),
    (
        "452210",
        "Department Stores",
        "5311",
        "Department Stores",
        "retail",
        "Retail",
        ["free shipping", "online store"]
    ),
    (
        "237310",
        "Highway, Street, and Bridge Construction",
        "1611",
        "Highway and Street Construction",
        "construction",
        "Paving contractor",
        ["asphalt paving", "road construction"]
    ),
    (
        "236220",
        "Commercial and Institutional Building Construction",
        "1542",
        "General Contractors-Nonresidential Buildings",
        "construction",
        "Construction",
        ["general contractor", "sustainability"]
    ),
    (
        "621111",
        "Offices of Physicians (except Mental Health Specialists)",
        "8011",
        "Offices and Clinics of Doctors of Medicine",
        "hospitals and health care",
        "Medical clinic",
        ["patient portal", "telehealth"]
    ),
    (
        "561110",
        "Office Administrative Services",
        "8741",
        "Management Services",
        "business consulting and services",
        "Business management consultant",
        ["outsourcing", "back office"]
    ),
    (
        "721214",
        "Recreational and Vacation Camps (except Campgrounds)",
        "7032",
        "Sporting and Recreational Camps",
        "recreational facilities",
        "Summer camp",
        ["summer camp", "outdoor activities"]
    ),
    (
        "722511",
        "Full-Service Restaurants",
        "5812",
        "Eating Places",
        "restaurants",
        "Restaurant",
        ["reservations", "catering"]
    ),
    (
        "541110",
        "Offices of Lawyers",
        "8111",
        "Legal Services",
        "law practice",
        "Law firm",
        ["litigation", "legal advice"]
    ),
    (
        "611310",
        "Colleges, Universities, and Professional Schools",
        "8221",
        "Colleges, Universities, and Professional Schools",
        "higher education",
        "University",
        ["admissions", "research"]
    ),
    (
        "336111",
        "Automobile Manufacturing",
        "3711",
        "Motor Vehicles and Passenger Car Bodies",
        "motor vehicle manufacturing",
        "Car manufacturer",
        ["electric vehicles", "sustainability"]
    ),
    (
        "522110",
        "Commercial Banking",
        "6021",
        "National Commercial Banks",
        "banking",
        "Bank",
        ["mortgage", "online banking"]
    ),
    (
        "325412",
        "Pharmaceutical Preparation Manufacturing",
        "2834",
        "Pharmaceutical Preparations",
        "pharmaceutical manufacturing",
        "Pharmaceutical company",
        ["clinical trials", "research"]
    ),
    (
        "484121",
        "General Freight Trucking, Long-Distance, Truckload",
        "4213",
        "Trucking, Except Local",
        "truck transportation",
        "Trucking company",
        ["freight", "logistics"]
    ),
    (
        "312111",
        "Soft Drink Manufacturing",
        "2086",
        "Bottled and Canned Soft Drinks",
        "food and beverage manufacturing",
        "Beverage distributor",
        ["sustainability", "brands"]
    ),
    (
        "334111",
        "Electronic Computer Manufacturing",
        "3571",
        "Electronic Computers",
        "computers and electronics manufacturing",
        "Electronics company",
        ["machine learning", "hardware"]
    ),
];

/// A technology: (name, category as the tech-stack filter names it, the technographics
/// output's key for that category).
pub(crate) const TECHS: &[(&str, &str, &str)] = &[
    (
        "JavaScript",
        "Programming Languages And Frameworks",
        "prog_langs_and_frameworks",
    ),
    (
        "HTML5",
        "Programming Languages And Frameworks",
        "prog_langs_and_frameworks",
    ),
    (
        "React",
        "Programming Languages And Frameworks",
        "prog_langs_and_frameworks",
    ),
    (
        "Python",
        "Programming Languages And Frameworks",
        "prog_langs_and_frameworks",
    ),
    ("Apache", "Platform And Storage", "platform_and_storage"),
    (
        "Amazon Web Services",
        "Platform And Storage",
        "platform_and_storage",
    ),
    ("PostgreSQL", "Platform And Storage", "platform_and_storage"),
    (
        "Google Analytics",
        "Business Intelligence And Analytics",
        "bi_and_analytics",
    ),
    (
        "Tableau",
        "Business Intelligence And Analytics",
        "bi_and_analytics",
    ),
    (
        "Looker",
        "Business Intelligence And Analytics",
        "bi_and_analytics",
    ),
    ("Docker", "Devops And Development", "devops_and_development"),
    ("GitHub", "Devops And Development", "devops_and_development"),
    (
        "Jenkins",
        "Devops And Development",
        "devops_and_development",
    ),
    ("Salesforce", "Customer Management", "customer_management"),
    ("Zendesk", "Customer Management", "customer_management"),
    ("HubSpot", "Marketing", "marketing"),
    ("Marketo", "Marketing", "marketing"),
    ("Slack", "Collaboration", "collaboration"),
    ("Zoom", "Communications", "communications"),
    (
        "Jira",
        "Productivity And Operations",
        "productivity_and_operations",
    ),
    ("Okta", "IT Security", "it_security"),
    ("Cloudflare", "Computer Networks", "computer_networks"),
    ("Shopify", "Ecommerce", "ecommerce"),
    ("Stripe", "Finance And Accounting", "finance_and_accounting"),
    ("Workday", "HR", "hr"),
    ("Figma", "Product And Design", "product_and_design"),
    ("Selenium", "Testing And QA", "testing_and_qa"),
    ("ServiceNow", "IT Management", "it_management"),
    ("Epic Systems", "Health Tech", "health_tech"),
    ("Gong", "Sales", "sales"),
    ("SAP", "Operations Software", "operations_software"),
];

/// Intent topics, as the documentation writes them (`Security:Cloud Security`, ...).
pub(crate) const TOPICS: &[&str] = &[
    "Security:Cloud Security",
    "HR:Employee Benefits",
    "Smartphones:iPhone",
    "cloud: cloud data",
    "cloud: cloud integration",
    "cloud: cloud applications",
    "technology: cloudflare",
    "machine learning & artificial intelligence: openai",
    "technology: iphone",
    "marketing: account based marketing",
    "finance: payroll",
    "data: data warehousing",
];

/// A company the documentation's examples name, with the id they give it; `city` indexes
/// [`CITIES`], `industry` [`INDUSTRIES`], `size` and `revenue` the document's range enums.
pub(crate) struct Documented {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) domain: &'static str,
    pub(crate) city: usize,
    pub(crate) industry: usize,
    pub(crate) size: usize,
    pub(crate) revenue: usize,
}

/// The companies of the documentation's examples: Apple in Cupertino, Microsoft in Redmond
/// (10,001+ employees, 100B-1T), Explorium (51-200, 25M-75M), PepsiCo (10B-100B).
pub(crate) const DOCUMENTED: &[Documented] = &[
    Documented {
        id: "8adce3ca1cef0c986b22310e369a0793",
        name: "Apple",
        domain: "apple.com",
        city: 3,
        industry: 18,
        size: 7,
        revenue: 11,
    },
    Documented {
        id: "a34bacf839b923770b2c360eefa26748",
        name: "Microsoft Corporation",
        domain: "microsoft.com",
        city: 10,
        industry: 1,
        size: 7,
        revenue: 11,
    },
    Documented {
        id: "340c8040bd50cbab9c7df718bbe51cc9",
        name: "Explorium",
        domain: "explorium.ai",
        city: 0,
        industry: 0,
        size: 2,
        revenue: 5,
    },
    Documented {
        id: "e11943a6031a0e6114ae69c257617980",
        name: "PepsiCo",
        domain: "pepsico.com",
        city: 16,
        industry: 17,
        size: 7,
        revenue: 10,
    },
];

pub(crate) const FIRST_NAMES: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Sandra",
    "Mark",
    "Ashley",
    "Steven",
    "Emily",
    "Andrew",
    "Donna",
    "Joshua",
    "Michelle",
    "Kevin",
    "Carol",
    "Brian",
    "Amanda",
    "George",
    "Melissa",
    "Noa",
    "Yael",
    "Amit",
    "Priya",
    "Wei",
    "Hiroshi",
    "Sofia",
    "Lucas",
    "Emma",
    "Liam",
    "Olivia",
    "Mateo",
    "Chloe",
    "Arjun",
];

pub(crate) const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Cohen",
    "Levi",
    "Patel",
    "Sharma",
    "Chen",
    "Tanaka",
    "Muller",
    "Dubois",
    "Rossi",
    "Silva",
    "Kim",
    "Novak",
    "Larsen",
    "Okafor",
];

/// Company names are a word of each list and a kind: "Blue Harbor Labs".
pub(crate) const NAME_WORDS: [&[&str]; 3] = [
    &[
        "Blue", "Red", "Silver", "Golden", "North", "South", "East", "West", "Bright", "Rapid",
        "Clear", "Prime", "Summit", "Urban", "Green", "Iron", "Quantum", "Stellar", "Nova",
        "Atlas", "Pioneer", "Apex", "Vertex", "Lumen", "Cedar", "Maple", "Oak", "River", "Stone",
        "Harbor", "Crystal", "Silk", "Copper", "Falcon", "Eagle", "Orbit", "Pixel", "Signal",
        "Vector", "Willow",
    ],
    &[
        "Harbor",
        "Peak",
        "Bridge",
        "Field",
        "Wave",
        "Path",
        "Point",
        "Forge",
        "Works",
        "Logic",
        "Systems",
        "Dynamics",
        "Labs",
        "Networks",
        "Data",
        "Cloud",
        "Health",
        "Foods",
        "Motors",
        "Capital",
        "Partners",
        "Media",
        "Studio",
        "Energy",
        "Robotics",
        "Analytics",
        "Retail",
        "Freight",
        "Builders",
        "Legal",
        "Pharma",
        "Bank",
        "Ventures",
        "Solutions",
        "Digital",
        "Mobile",
        "Security",
        "Insights",
        "Markets",
        "Designs",
    ],
    &[
        "Inc",
        "LLC",
        "Group",
        "Corp",
        "Co",
        "Ltd",
        "Holdings",
        "Technologies",
    ],
];

/// A department's individual-contributor title, by the document's department value; others
/// are "<Department> Specialist".
pub(crate) const ROLES: &[(&str, &str)] = &[
    ("engineering", "Software Engineer"),
    ("data", "Data Scientist"),
    ("sales", "Account Executive"),
    ("marketing", "Marketing Specialist"),
    ("finance", "Financial Analyst"),
    ("human resources", "HR Business Partner"),
    ("it", "Systems Administrator"),
    ("design", "Product Designer"),
    ("product", "Product Manager"),
    ("legal", "Counsel"),
    ("operations", "Operations Analyst"),
    ("customer success", "Customer Success Manager"),
    ("support", "Support Engineer"),
    ("security", "Security Engineer"),
    ("r&d", "Research Scientist"),
];

/// Skills by department, for profiles.
pub(crate) const SKILLS: &[(&str, &[&str])] = &[
    (
        "engineering",
        &["Rust", "Distributed systems", "Kubernetes", "Python"],
    ),
    ("data", &["Machine learning", "SQL", "Statistics"]),
    ("sales", &["Negotiation", "Salesforce", "Prospecting"]),
    ("marketing", &["SEO", "Content marketing", "HubSpot"]),
    ("finance", &["Financial modeling", "Excel", "Forecasting"]),
];

#[cfg(test)]
mod tests {
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
