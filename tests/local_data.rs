//! The local server's world and its data families: every operation answered by its 200
//! schema; match, fetch (filters, pagination, cursor), stats and autocomplete answering from
//! the seeded world and from rows a test inserts; one story from match to out of credits.

#[path = "support/checked.rs"]
mod checked;
mod support;

use checked::{operations, Api};
use explorium::testing::{LocalServer, TestBusiness, TestProspect};
use serde_json::{json, Value};

const APPLE: &str = "8adce3ca1cef0c986b22310e369a0793";

/// A valid request for each operation: (path, query, body). Enrichment parameters the
/// schemas require are given by the enrichment's path segment.
fn valid_request(
    id: &str,
    method: &str,
    path: &str,
    business: &str,
    prospect: &str,
) -> (String, String, Option<Value>) {
    let entity_id = if path.starts_with("/v1/prospects/") {
        prospect
    } else {
        business
    };
    let enrich_parameters = |path: &str| match path.split('/').nth(3).unwrap_or_default() {
        "company_website_keywords" => json!({"keywords": ["machine learning"]}),
        "financial_indicators" => json!({"date": "2025-01-01T00:00:00Z"}),
        "website_traffic" => json!({"month_period": "2024-12"}),
        "bombora_intent" => json!({"topics": ["cloud: cloud data"], "min_score": 50}),
        "linkedin_posts" => json!({"offline_mode": "false"}),
        "contacts_information" => json!({"contact_types": ["email", "phone"]}),
        _ => json!({}),
    };
    let filled = path
        .replace("{partner_id}", "partner-1")
        .replace("{custom_enrichment_id}", "ce-1")
        .replace("{enrichment_id}", "ce-1")
        .replace("{response_bytes}", "16");
    let id_field = if entity_id == prospect {
        "prospect_id"
    } else {
        "business_id"
    };
    let body = match id {
        "match_businesses" => {
            Some(json!({"businesses_to_match": [{"name": "Apple", "domain": "apple.com"}]}))
        }
        "match_prospects" => Some(
            json!({"prospects_to_match": [{"full_name": "Nobody Known", "company_name": "Apple"}]}),
        ),
        "fetch_businesses" => Some(
            json!({"mode": "full", "size": 20, "page_size": 10, "filters": {"country_code": {"values": ["us"]}}}),
        ),
        "fetch_prospects" => Some(
            json!({"mode": "full", "size": 20, "page_size": 10, "filters": {"business_id": {"values": [business]}}}),
        ),
        "fetch_stats" => {
            Some(json!({"filters": {"company_size": {"values": ["11-50", "51-200"]}}}))
        }
        "prospect_fetch_stats" => {
            Some(json!({"filters": {"job_department": {"values": ["engineering", "sales"]}}}))
        }
        "get_credit_aggregation" => Some(
            json!({"from_date": "2025-01-01T00:00:00Z", "to_date": "2025-01-02T00:00:00Z", "mode": "timely", "resolution": "hour"}),
        ),
        "add_webhook" => {
            Some(json!({"partner_id": "partner-1", "webhook_url": "https://example.com/hook"}))
        }
        "check_webhook_connectivity" => Some(json!({"partner_id": "partner-1"})),
        "add_prospects_enrollments" => Some(support::add_prospects_example()),
        "add_businesses_enrollments" => Some(support::add_businesses_example()),
        "update_prospects_enrollments" => Some(support::update_prospects_example()),
        "update_businesses_enrollments" => Some(support::update_businesses_example()),
        "delete_prospects_enrollments" => Some(json!({"enrollment_id": "en_8d52c3f1"})),
        "delete_businesses_enrollments" => Some(json!({"enrollment_id": "en_7b429a01"})),
        "fetch_prospects_events" => {
            Some(json!({"prospect_ids": [prospect], "event_types": ["prospect_changed_role"]}))
        }
        "fetch_businesses_events" => {
            Some(json!({"business_ids": [business], "event_types": ["new_office"]}))
        }
        _ if path.ends_with("/bulk_enrich") => Some(
            json!({format!("{id_field}s"): [entity_id], "parameters": enrich_parameters(path)}),
        ),
        _ if path.ends_with("/enrich") => {
            Some(json!({id_field: entity_id, "parameters": enrich_parameters(path)}))
        }
        _ if method == "GET" || method == "DELETE" => None,
        other => panic!("no valid request written for {other}"),
    };
    let query = if id.ends_with("_autocomplete") {
        "field=country&query=unit"
    } else {
        ""
    };
    (filled, query.to_string(), body)
}

#[tokio::test]
async fn every_operation_answers_a_valid_request_with_a_body_valid_by_its_200_schema() {
    let server = support::server_with_documented_enrollments().await;
    let api = Api::new(&server);
    let prospect = server.prospects_of(APPLE)[0].prospect_id.clone();
    let mut all = operations();
    // Webhooks are registered before they are read, checked and deleted; enrollments updated
    // before they are deleted.
    let rank = |id: &str| match id {
        "add_webhook" => 0,
        id if id.starts_with("delete_") => 2,
        _ => 1,
    };
    all.sort_by_key(|(id, _, _)| rank(id));
    assert_eq!(all.len(), 69);
    for (id, method, path) in &all {
        let (path, query, body) = valid_request(id, method, path, APPLE, &prospect);
        let (status, answer) = api.call_at(id, &path, &query, body).await;
        assert_eq!(status, 200, "{id} {path}: {answer}");
    }
    for (id, _, _) in &all {
        assert_eq!(server.count(id), 1, "{id}");
    }
}

#[tokio::test]
async fn the_documented_match_examples_find_the_companies_they_name_in_input_order() {
    let server = LocalServer::start().await.unwrap();
    let api = Api::new(&server);
    let answer = api
        .ok(
            "match_businesses",
            json!({"businesses_to_match": [
                {"name": "Apple", "domain": "apple.com"},
                {"name": "microsoft", "linkedin_url": "https://linkedin.com/company/microsoft-corporation/"},
                {"name": "Starbucks", "domain": "fakeurl.xyz"},
                {"domain": "HTTPS://WWW.Explorium.AI/about"},
                {"name": "PepsiCo, Inc."},
                {},
            ]}),
        )
        .await;
    assert_eq!(answer["total_results"], 6);
    assert_eq!(answer["total_matches"], 4);
    let rows = answer["matched_businesses"].as_array().unwrap();
    let ids: Vec<&Value> = rows.iter().map(|r| &r["business_id"]).collect();
    assert_eq!(ids[0], APPLE);
    assert_eq!(ids[1], "a34bacf839b923770b2c360eefa26748");
    assert_eq!(
        ids[2],
        &Value::Null,
        "an unknown domain is a miss, whatever the name"
    );
    assert_eq!(ids[3], "340c8040bd50cbab9c7df718bbe51cc9");
    assert_eq!(ids[4], "e11943a6031a0e6114ae69c257617980");
    assert_eq!(rows[2]["error_type"], "not_found");
    assert_eq!(rows[5]["error_type"], "validation_error");
    assert_eq!(
        rows[0]["input"],
        json!({"name": "Apple", "domain": "apple.com"})
    );
}

#[tokio::test]
async fn prospects_match_by_email_linkedin_phone_or_name_with_company() {
    let server = LocalServer::start().await.unwrap();
    let api = Api::new(&server);
    let people = server.prospects_of(APPLE);
    let with_email = people.iter().find(|p| p.email.is_some()).unwrap();
    let with_phone = people.iter().find(|p| p.phone_number.is_some()).unwrap();
    let unique = |name: &str| people.iter().filter(|p| p.full_name == name).count() == 1;
    let other = people
        .iter()
        .skip(2)
        .find(|p| unique(&p.full_name))
        .unwrap();
    let answer = api
        .ok(
            "match_prospects",
            json!({"prospects_to_match": [
                {"email": with_email.email.as_ref().unwrap().to_uppercase()},
                {"linkedin": format!("{}/", other.linkedin_url.replace("https://www.", "http://"))},
                {"phone_number": with_phone.phone_number},
                {"full_name": other.full_name.to_lowercase(), "company_name": "Apple Inc."},
                {"full_name": other.full_name},
                {"email": "nobody@nowhere.example", "business_id": APPLE},
            ]}),
        )
        .await;
    let rows = answer["matched_prospects"].as_array().unwrap();
    assert_eq!(rows[0]["prospect_id"], with_email.prospect_id.as_str());
    assert_eq!(rows[1]["prospect_id"], other.prospect_id.as_str());
    assert_eq!(rows[2]["prospect_id"], with_phone.prospect_id.as_str());
    assert_eq!(rows[3]["prospect_id"], other.prospect_id.as_str());
    assert_eq!(
        rows[4]["error_type"], "validation_error",
        "a full name needs its company"
    );
    assert_eq!(rows[5]["error_type"], "not_found");
    // The input is echoed with every documented field, null when not sent.
    assert_eq!(rows[0]["input"]["linkedin"], Value::Null);
    assert_eq!(answer["total_matches"], 4);
}

#[tokio::test]
async fn more_than_fifty_inputs_or_ids_are_refused_by_the_schema() {
    let server = LocalServer::start().await.unwrap();
    let api = Api::new(&server);
    let inputs: Vec<Value> = (0..51).map(|i| json!({"name": format!("n{i}")})).collect();
    let (status, answer) = api
        .call("match_businesses", json!({"businesses_to_match": inputs}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(answer["detail"][0]["type"], "too_long");
    let ids: Vec<String> = (0..51).map(support::business_id).collect();
    let (status, _) = api
        .call(
            "businesses_firmographics_bulk_enrich",
            json!({"business_ids": ids}),
        )
        .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn filters_copied_from_the_documentation_select_matching_businesses() {
    let server = LocalServer::start().await.unwrap();
    let api = Api::new(&server);
    let businesses = server.businesses();
    let cases = [
        (json!({"country_code": {"values": ["us", "ca"]}}), "country"),
        (
            json!({"region_country_code": {"values": ["us-ca", "us-ga", "us-ut"]}}),
            "region",
        ),
        (
            json!({"company_size": {"values": ["11-50", "51-200"]}}),
            "size",
        ),
        (
            json!({"naics_category": {"values": ["5611", "23"]}}),
            "naics",
        ),
        (
            json!({"google_category": {"values": ["software company"]}}),
            "google",
        ),
        (
            json!({"linkedin_category": {"values": ["Market research"]}}),
            "linkedin",
        ),
        (
            json!({"company_tech_stack_tech": {"values": ["JavaScript", "HTML5", "Apache"]}}),
            "tech",
        ),
        (
            json!({"company_tech_stack_category": {"values": ["Business Intelligence And Analytics", "Devops And Development"]}}),
            "tech category",
        ),
        (
            json!({"city_region_country": {"values": ["Paris, FR", "Tel Aviv, IL", "Miami, FL, US"]}}),
            "city",
        ),
        (
            json!({"city_region": {"values": ["New York--Jersey City--Newark, NY--NJ"]}}),
            "metro",
        ),
        (
            json!({"website_keywords": {"values": ["summer camp", "machine learning"]}}),
            "keywords",
        ),
        (
            json!({"business_intent_topics": {"topics": ["Security:Cloud Security", "HR:Employee Benefits"], "topic_intent_level": "high_intent"}}),
            "topics",
        ),
        (
            json!({"events": {"values": ["increase_in_all_departments", "new_product"], "last_occurrence": 90}}),
            "events",
        ),
        (
            json!({"company_name": {"values": ["Microsoft", "Google"]}}),
            "name",
        ),
        (json!({"has_website": {"value": false}}), "website"),
        (json!({"company_age": {"values": ["20+"]}}), "age"),
        (
            json!({"number_of_locations": {"values": ["0-1", "2-5"]}}),
            "locations",
        ),
        (
            json!({"company_revenue": {"values": ["1T-10T", "100B-1T"]}}),
            "revenue",
        ),
    ];
    for (filters, what) in cases {
        let answer = api
            .fetch("fetch_businesses", filters.clone(), 60_000, 500, 1)
            .await;
        let total = answer["total_results"].as_u64().unwrap();
        assert!(total > 0, "{what}: {filters} selects nothing");
        assert!(
            total < businesses.len() as u64,
            "{what}: {filters} selects everything"
        );
        // Negated, it selects the others.
        let mut negated = filters.clone();
        let (name, filter) = negated.as_object_mut().unwrap().iter_mut().next().unwrap();
        filter["negate"] = json!(true);
        let name = name.clone();
        let others = api.fetch("fetch_businesses", negated, 60_000, 1, 1).await;
        assert_eq!(
            total + others["total_results"].as_u64().unwrap(),
            businesses.len() as u64,
            "{what}: {name} and its negation"
        );
    }
    // Rows agree with the filter.
    let answer = api
        .fetch(
            "fetch_businesses",
            json!({"country_code": {"values": ["us"]}, "company_size": {"values": ["11-50"]}}),
            100,
            100,
            1,
        )
        .await;
    for row in answer["data"].as_array().unwrap() {
        assert_eq!(row["country_name"], "united states");
        assert_eq!(row["number_of_employees_range"], "11-50");
        let known = businesses
            .iter()
            .find(|b| b.business_id == row["business_id"])
            .unwrap();
        assert_eq!(known.name, row["name"].as_str().unwrap());
    }
}

#[tokio::test]
async fn prospect_filters_select_the_people_of_a_business_with_emails() {
    let server = LocalServer::start().await.unwrap();
    let api = Api::new(&server);
    let people = server.prospects_of(APPLE);
    let filters = json!({
        "business_id": {"values": [APPLE]},
        "has_email": {"value": true},
        "job_department": {"values": ["engineering", "sales"]},
    });
    let answer = api
        .fetch("fetch_prospects", filters.clone(), 1000, 500, 1)
        .await;
    let expected = people
        .iter()
        .filter(|p| {
            p.email.is_some() && ["engineering", "sales"].contains(&p.job_department.as_str())
        })
        .count();
    assert!(expected > 0);
    assert_eq!(answer["total_results"], expected);
    for row in answer["data"].as_array().unwrap() {
        assert_eq!(row["business_id"], APPLE);
        assert_eq!(row["company_name"], "Apple");
    }
    for filters in [
        json!({"job_level": {"values": ["director", "manager", "vice president"]}}),
        json!({"total_experience_months": {"gte": 60, "lte": 120}}),
        json!({"current_role_months": {"gte": 12}}),
        json!({"job_title": {"values": ["Software Engineer", "Data Scientist"], "include_related_job_titles": false}}),
        json!({"company_country_code": {"values": ["us"]}, "company_region_country_code": {"values": ["us-tx"]}}),
        json!({"country_code": {"values": ["us", "gb", "de"]}, "has_phone_number": {"value": true}}),
        json!({"company_name": {"values": ["Microsoft"]}}),
    ] {
        let answer = api
            .fetch("fetch_prospects", filters.clone(), 100, 50, 1)
            .await;
        assert!(
            answer["total_results"].as_u64().unwrap() > 0,
            "{filters} selects nobody"
        );
    }
    // Stats count what the fetch finds, for free.
    let before = server.used_credits();
    let stats = api
        .ok("prospect_fetch_stats", json!({"filters": filters}))
        .await;
    assert_eq!(stats["total_results"], expected);
    assert_eq!(stats["stats"]["total_per_location"]["total"], expected);
    assert_eq!(server.used_credits(), before);
}

#[tokio::test]
async fn a_filter_the_world_cannot_apply_or_two_category_filters_answer_422_naming_them() {
    let server = LocalServer::start().await.unwrap();
    let api = Api::new(&server);
    let (status, answer) = api
        .call(
            "fetch_businesses",
            json!({"mode": "full", "size": 10, "page_size": 10, "filters": {
                "google_category": {"values": ["Retail"]}, "naics_category": {"values": ["23"]}}}),
        )
        .await;
    assert_eq!(status, 422);
    let message = answer["detail"][0]["msg"].as_str().unwrap();
    assert!(
        message.contains("google_category") && message.contains("naics_category"),
        "{message}"
    );
    // The schema judges first: an unknown filter is an extra field, a country code in upper
    // case (as a schema example writes it) does not match the pattern.
    let (status, answer) = api
        .call("fetch_businesses", json!({"mode": "full", "size": 10, "page_size": 10, "filters": {"colour": {"values": ["red"]}}}))
        .await;
    assert_eq!(
        (status, &answer["detail"][0]["type"]),
        (422, &json!("extra_forbidden"))
    );
    let (status, answer) = api
        .call("fetch_businesses", json!({"mode": "full", "size": 10, "page_size": 10, "filters": {"country_code": {"values": ["US"]}}}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        answer["detail"][0]["loc"],
        json!(["body", "filters", "country_code", "values", 0])
    );
}

#[tokio::test]
async fn pages_split_what_size_caps_and_a_size_below_page_size_is_refused() {
    let server = LocalServer::start().await.unwrap();
    let api = Api::new(&server);
    let us = json!({"country_code": {"values": ["us"]}});
    let all = api
        .fetch("fetch_businesses", us.clone(), 60_000, 500, 1)
        .await;
    let total = all["total_results"].as_u64().unwrap();
    assert!(total > 250);
    // 250 rows by pages of 100: two pages, the last carrying the remaining 150.
    let first = api.fetch("fetch_businesses", us.clone(), 250, 100, 1).await;
    assert_eq!(
        (first["page"].as_u64(), first["total_pages"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(
        first["total_results"], total,
        "total_results counts every match"
    );
    assert_eq!(first["data"].as_array().unwrap().len(), 100);
    let second = api.fetch("fetch_businesses", us.clone(), 250, 100, 2).await;
    assert_eq!(second["data"].as_array().unwrap().len(), 150);
    let third = api.fetch("fetch_businesses", us.clone(), 250, 100, 3).await;
    assert!(third["data"].as_array().unwrap().is_empty());
    let ids = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["business_id"].as_str().unwrap().to_string())
            .collect()
    };
    let mut seen = ids(&first);
    seen.extend(ids(&second));
    let expected: Vec<String> = ids(&all).into_iter().take(250).collect();
    assert_eq!(seen, expected, "pages are consecutive slices of one order");
    // `exclude` drops ids; preview answers less and costs nothing.
    let excluded = &expected[..2];
    let without = api
        .ok("fetch_businesses", json!({"mode": "preview", "size": 10, "page_size": 10, "exclude": excluded, "filters": us}))
        .await;
    assert_eq!(without["total_results"].as_u64(), Some(total - 2));
    let row = without["data"][0].as_object().unwrap();
    assert!(
        row.contains_key("business_id") && !row.contains_key("naics"),
        "{row:?}"
    );
    let (status, answer) = api
        .call(
            "fetch_businesses",
            json!({"mode": "full", "size": 10, "page_size": 20}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(answer["detail"][0]["loc"], json!(["body", "size"]));
    let (status, answer) = api
        .call(
            "fetch_businesses",
            json!({"mode": "full", "size": 60_001, "page_size": 20}),
        )
        .await;
    assert_eq!(
        (status, &answer["detail"][0]["type"]),
        (422, &json!("less_than_equal"))
    );
}

#[tokio::test]
async fn the_cursor_walks_the_same_rows_as_the_pages() {
    let server = LocalServer::start().await.unwrap();
    let api = Api::new(&server);
    let filters = json!({"country_code": {"values": ["gb"]}});
    let paged = api
        .fetch("fetch_businesses", filters.clone(), 25, 25, 1)
        .await;
    let mut walked = Vec::new();
    let mut cursor = "null".to_string();
    loop {
        let page = api
            .ok("fetch_businesses", json!({"mode": "full", "size": 25, "page_size": 10, "next_cursor": cursor, "filters": filters}))
            .await;
        assert!(page["page"]["size"].as_u64().unwrap() <= 10);
        walked.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["business_id"].clone()),
        );
        match page["page"]["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    let expected: Vec<Value> = paged["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["business_id"].clone())
        .collect();
    assert_eq!(walked, expected);
    let (status, _) = api
        .call(
            "fetch_businesses",
            json!({"mode": "full", "size": 25, "page_size": 10, "next_cursor": "not-a-cursor"}),
        )
        .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn business_stats_break_down_what_the_fetch_finds() {
    let server = LocalServer::start().await.unwrap();
    let api = Api::new(&server);
    let filters = json!({"region_country_code": {"values": ["us-ca", "us-ga", "us-ut"]}, "company_size": {"values": ["1-10", "11-50", "51-200"]}});
    let fetched = api
        .fetch("fetch_businesses", filters.clone(), 60_000, 500, 1)
        .await;
    let stats = api.ok("fetch_stats", json!({"filters": filters})).await;
    let total = fetched["total_results"].clone();
    assert_eq!(stats["total_results"], total);
    let by_category = &stats["stats"]["business_categories_per_location"];
    assert_eq!(by_category["total_per_location"]["total"], total);
    assert!(
        by_category["total_per_location"]["California, US"]
            .as_u64()
            .unwrap()
            > 0
    );
    let sizes: u64 = stats["stats"]["number_of_employees_per_category"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(Some(sizes), total.as_u64());
}

#[tokio::test]
async fn autocomplete_suggests_the_worlds_values_for_each_documented_field() {
    let server = LocalServer::start().await.unwrap();
    let api = Api::new(&server);
    let field_type =
        checked::document()["components"]["schemas"]["AutocompleteType"]["enum"].clone();
    for field in field_type.as_array().unwrap() {
        let field = field.as_str().unwrap();
        for id in ["businesses_autocomplete", "prospects_autocomplete"] {
            let (_, path) = checked::route(id);
            let (status, answer) = api
                .call_at(id, &path, &format!("field={field}"), None)
                .await;
            assert_eq!(status, 200, "{id} {field}: {answer}");
            assert!(
                !answer.as_array().unwrap().is_empty(),
                "{id}: nothing for {field}"
            );
        }
    }
    let (_, path) = checked::route("businesses_autocomplete");
    let (_, countries) = api
        .call_at(
            "businesses_autocomplete",
            &path,
            "field=country&query=unit",
            None,
        )
        .await;
    let values: Vec<&str> = countries
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert!(values.contains(&"us"), "{countries}");
    assert_eq!(countries[0]["query"], "unit");
    let (_, topics) = api
        .call_at(
            "businesses_autocomplete",
            &path,
            "query=cloude&semantic_search=true&field=business_intent_topics",
            None,
        )
        .await;
    assert!(
        topics
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["value"] == "cloud: cloud data"),
        "{topics}"
    );
    let (status, answer) = api
        .call_at("businesses_autocomplete", &path, "field=planet", None)
        .await;
    assert_eq!(
        (status, &answer["detail"][0]["loc"]),
        (422, &json!(["query", "field"]))
    );
    let (status, answer) = api
        .call_at("businesses_autocomplete", &path, "query=x", None)
        .await;
    assert_eq!(
        (status, &answer["detail"][0]["type"]),
        (422, &json!("missing"))
    );
}

#[tokio::test]
async fn inserted_rows_are_matched_found_counted_and_enriched_like_seeded_ones() {
    let server = LocalServer::start().await.unwrap();
    let api = Api::new(&server);
    let acme = server
        .insert_business(
            TestBusiness::new("Acme Rockets")
                .domain("https://www.acme-rockets.example/")
                .country_code("us")
                .region_code("us-tx")
                .city("Austin")
                .company_size("51-200")
                .company_revenue("10M-25M")
                .naics("3364")
                .tech("Salesforce"),
        )
        .unwrap_err();
    // No industry of the world has the NAICS code 3364.
    assert_eq!(acme.field, "naics");
    let acme = server
        .insert_business(
            TestBusiness::new("Acme Rockets")
                .domain("https://www.acme-rockets.example/")
                .region_code("us-tx")
                .city("Austin")
                .company_size("51-200")
                .tech("Salesforce"),
        )
        .unwrap();
    let jane = server
        .insert_prospect(
            TestProspect::new("Jane", "Rocket", &acme)
                .job_title("Head of Propulsion")
                .job_department("engineering")
                .job_level("director")
                .email("jane@acme-rockets.example"),
        )
        .unwrap();
    let matched = api
        .ok("match_businesses", json!({"businesses_to_match": [{"name": "acme rockets", "domain": "acme-rockets.example"}]}))
        .await;
    assert_eq!(
        matched["matched_businesses"][0]["business_id"],
        acme.as_str()
    );
    let found = api
        .fetch("fetch_businesses", json!({"region_country_code": {"values": ["us-tx"]}, "company_tech_stack_tech": {"values": ["salesforce"]}, "company_name": {"values": ["Acme Rockets"]}}), 10, 10, 1)
        .await;
    assert_eq!(found["total_results"], 1);
    assert_eq!(found["data"][0]["city_name"], "Austin");
    let people = api
        .fetch(
            "fetch_prospects",
            json!({"business_id": {"values": [acme]}, "job_title": {"values": ["propulsion"]}}),
            10,
            10,
            1,
        )
        .await;
    assert_eq!(people["data"][0]["prospect_id"], jane.as_str());
    assert_eq!(people["data"][0]["job_title"], "Head of Propulsion");
    let matched = api
        .ok(
            "match_prospects",
            json!({"prospects_to_match": [{"email": "JANE@acme-rockets.example"}]}),
        )
        .await;
    assert_eq!(
        matched["matched_prospects"][0]["prospect_id"],
        jane.as_str()
    );
    let firmographics = api
        .ok(
            "businesses_firmographics_enrich",
            json!({"business_id": acme}),
        )
        .await;
    assert_eq!(firmographics["data"]["number_of_employees_range"], "51-200");
    assert_eq!(firmographics["data"]["region_name"], "texas");
    assert!(server
        .insert_business(TestBusiness::new("Again").business_id(&acme))
        .is_err());
    assert!(server
        .insert_prospect(TestProspect::new("A", "B", "0".repeat(32)))
        .is_err());
}

#[tokio::test]
async fn a_seed_makes_the_same_world_and_another_seed_another() {
    let one = LocalServer::builder()
        .seed(7)
        .world_size(50, 400)
        .start()
        .await
        .unwrap();
    let same = LocalServer::builder()
        .seed(7)
        .world_size(50, 400)
        .start()
        .await
        .unwrap();
    let other = LocalServer::builder()
        .seed(8)
        .world_size(50, 400)
        .start()
        .await
        .unwrap();
    assert_eq!(one.businesses(), same.businesses());
    assert_eq!(one.businesses().len(), 50);
    assert_eq!(one.prospect_count(), 400);
    let ids = |s: &LocalServer| {
        s.businesses()
            .into_iter()
            .skip(4)
            .map(|b| b.business_id)
            .collect::<Vec<_>>()
    };
    assert_ne!(ids(&one), ids(&other));
    // The documented companies keep their documented ids in every world.
    assert_eq!(other.business(APPLE).unwrap().name, "Apple");
    for business in one.businesses() {
        assert_eq!(business.business_id.len(), 32);
        for person in one.prospects_of(&business.business_id) {
            assert_eq!(person.prospect_id.len(), 40);
            assert!(person
                .prospect_id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        }
    }
}

#[tokio::test]
async fn a_company_is_matched_found_with_its_people_enriched_and_the_credits_run_out() {
    let server = LocalServer::builder().credits(20).start().await.unwrap();
    let api = Api::new(&server);
    let matched = api
        .ok(
            "match_businesses",
            json!({"businesses_to_match": [{"domain": "microsoft.com"}]}),
        )
        .await;
    let microsoft = matched["matched_businesses"][0]["business_id"]
        .as_str()
        .unwrap()
        .to_string();
    let found = api
        .fetch("fetch_businesses", json!({"company_name": {"values": ["Microsoft"]}, "city_region_country": {"values": ["Redmond, WA, US"]}}), 10, 10, 1)
        .await;
    assert_eq!(found["data"][0]["business_id"], microsoft.as_str());
    assert_eq!(server.remaining_credits(), 19, "one full row");
    let people = api
        .ok("fetch_prospects", json!({"mode": "preview", "size": 50, "page_size": 50, "filters": {"business_id": {"values": [microsoft]}, "has_email": {"value": true}}}))
        .await;
    let prospect = people["data"][0]["prospect_id"]
        .as_str()
        .unwrap()
        .to_string();
    let firmographics = api
        .ok(
            "businesses_firmographics_enrich",
            json!({"business_id": microsoft}),
        )
        .await;
    let row = &found["data"][0];
    for (enriched, fetched) in [
        ("name", "name"),
        ("country_name", "country_name"),
        ("number_of_employees_range", "number_of_employees_range"),
    ] {
        assert_eq!(firmographics["data"][enriched], row[fetched], "{enriched}");
    }
    let contacts = api
        .ok(
            "prospects_contacts_information_enrich",
            json!({"prospect_id": prospect, "parameters": {"contact_types": ["email"]}}),
        )
        .await;
    let email = contacts["data"]["professions_email"].as_str().unwrap();
    assert!(email.ends_with("@microsoft.com"), "{email}");
    assert!(contacts["data"].get("mobile_phone").is_none(), "email only");
    assert_eq!(
        server.remaining_credits(),
        16,
        "one credit, then two for an email"
    );
    let summary = api
        .call_at("get_active_credits_summary", "/v1/credits", "", None)
        .await
        .1;
    assert_eq!(
        (
            summary["allocated_credits"].as_u64(),
            summary["remaining_credits"].as_u64()
        ),
        (Some(20), Some(16))
    );
    // Five for email and phone, three times: the fourth is refused and costs nothing.
    for _ in 0..3 {
        api.ok(
            "prospects_contacts_information_enrich",
            json!({"prospect_id": prospect}),
        )
        .await;
    }
    let (status, answer) = api
        .call(
            "prospects_contacts_information_enrich",
            json!({"prospect_id": prospect}),
        )
        .await;
    assert_eq!(status, 403);
    assert!(answer["details"]
        .as_str()
        .unwrap()
        .contains("insufficient credits"));
    assert_eq!(server.remaining_credits(), 1);
    // What costs nothing still answers.
    api.ok(
        "prospect_fetch_stats",
        json!({"filters": {"business_id": {"values": [microsoft]}}}),
    )
    .await;
    api.ok(
        "match_businesses",
        json!({"businesses_to_match": [{"name": "Apple"}]}),
    )
    .await;
}
