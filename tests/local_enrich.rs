//! The local server's enrichments, credits and health operations, and the cross-cutting
//! machinery (faults, journal, counts, rate limit, https) on the data routes.

#[path = "support/checked.rs"]
mod checked;
mod support;

use std::time::Duration;

use checked::{operations, Api};
use explorium::testing::{Fault, KeyCheck, LocalServer, TestBusiness, TestProspect};
use serde_json::{json, Value};

const APPLE: &str = "8adce3ca1cef0c986b22310e369a0793";

/// The enrichment operations: (id, path, bulk).
fn enrichments() -> Vec<(String, String, bool)> {
    operations()
        .into_iter()
        .filter(|(_, _, path)| path.ends_with("/enrich") || path.ends_with("/bulk_enrich"))
        .map(|(id, _, path)| {
            let bulk = path.ends_with("/bulk_enrich");
            (id, path, bulk)
        })
        .collect()
}

/// The parameters an enrichment's schema requires (or the page documents), by its path.
fn parameters(path: &str) -> Value {
    match path.split('/').nth(3).unwrap_or_default() {
        "company_website_keywords" => json!({"keywords": ["machine learning", "summer camp"]}),
        "financial_indicators" => json!({"date": "2025-01-01T00:00:00Z"}),
        "website_traffic" => json!({"month_period": "2024-12"}),
        _ => json!({}),
    }
}

fn request(path: &str, bulk: bool, ids: &[String]) -> Value {
    let field = if path.starts_with("/v1/prospects/") {
        "prospect_id"
    } else {
        "business_id"
    };
    if bulk {
        json!({format!("{field}s"): ids, "parameters": parameters(path)})
    } else {
        json!({field: ids[0], "parameters": parameters(path)})
    }
}

/// A spread of entities: documented, seeded at random, without a website, outside the
/// gazetteer, inserted with little; prospects with and without email and phone.
async fn spread(server: &LocalServer) -> (Vec<String>, Vec<String>) {
    let all = server.businesses();
    let mut businesses: Vec<String> = all.iter().take(4).map(|b| b.business_id.clone()).collect();
    businesses.extend(
        all.iter()
            .skip(4)
            .step_by(397)
            .map(|b| b.business_id.clone()),
    );
    businesses.extend(
        all.iter()
            .filter(|b| b.domain.is_none())
            .take(1)
            .map(|b| b.business_id.clone()),
    );
    businesses.extend(
        all.iter()
            .filter(|b| b.city.is_none())
            .take(1)
            .map(|b| b.business_id.clone()),
    );
    let inserted = server
        .insert_business(
            TestBusiness::new("Tiny Shop")
                .without_website()
                .country_code("fr"),
        )
        .unwrap();
    businesses.push(inserted.clone());
    let mut prospects = Vec::new();
    for business in businesses.iter().take(6) {
        let people = server.prospects_of(business);
        prospects.extend(
            people
                .iter()
                .find(|p| p.email.is_some() && p.phone_number.is_some())
                .map(|p| p.prospect_id.clone()),
        );
        prospects.extend(
            people
                .iter()
                .find(|p| p.email.is_none())
                .map(|p| p.prospect_id.clone()),
        );
    }
    let lone = server
        .insert_prospect(
            TestProspect::new("Lone", "Founder", &inserted)
                .job_level("founder")
                .without_email()
                .without_phone_number(),
        )
        .unwrap();
    prospects.push(lone);
    (businesses, prospects)
}

#[tokio::test]
async fn every_enrichment_single_and_bulk_answers_a_spread_of_entities_by_its_200_schema() {
    let server = LocalServer::start().await.unwrap();
    let api = Api::new(&server);
    let (businesses, prospects) = spread(&server).await;
    let enrichments = enrichments();
    assert_eq!(enrichments.len(), 17 * 2 + 3 * 2 + 2);
    for (id, path, bulk) in enrichments {
        let path = path
            .replace("{custom_enrichment_id}", "ce-1")
            .replace("{enrichment_id}", "ce-1");
        let ids = if path.starts_with("/v1/prospects/") {
            &prospects
        } else {
            &businesses
        };
        if bulk {
            let (status, answer) = api
                .call_at(&id, &path, "", Some(request(&path, true, ids)))
                .await;
            assert_eq!(status, 200, "{id}: {answer}");
            assert_eq!(answer["total_results"], ids.len(), "{id}");
        } else {
            for entity in ids {
                let body = request(&path, false, std::slice::from_ref(entity));
                let (status, answer) = api.call_at(&id, &path, "", Some(body)).await;
                assert_eq!(status, 200, "{id}: {answer}");
            }
        }
    }
}

#[tokio::test]
async fn enrichments_agree_with_the_world_and_with_each_other() {
    let server = LocalServer::start().await.unwrap();
    let api = Api::new(&server);
    let apple = server.business(APPLE).unwrap();
    let firmographics = api
        .ok(
            "businesses_firmographics_enrich",
            json!({"business_id": APPLE}),
        )
        .await;
    let data = &firmographics["data"];
    assert_eq!(firmographics["entity_id"], APPLE);
    assert_eq!(data["business_id"], APPLE);
    assert_eq!(data["name"], "Apple");
    assert_eq!(data["country_name"], apple.country_name.as_str());
    assert_eq!(data["region_name"], "california");
    assert_eq!(data["city_name"], "Cupertino");
    assert_eq!(
        data["number_of_employees_range"],
        apple.company_size.as_str()
    );
    assert_eq!(data["yearly_revenue_range"], apple.company_revenue.as_str());
    assert_eq!(data["naics"], apple.naics.as_str());
    assert_eq!(data["website"], "https://www.apple.com");
    let technographics = api
        .ok(
            "businesses_technographics_enrich",
            json!({"business_id": APPLE}),
        )
        .await;
    assert_eq!(
        technographics["data"]["full_tech_stack"],
        json!(apple.tech_stack)
    );
    let traffic = api
        .ok(
            "businesses_website_traffic_enrich",
            json!({"business_id": APPLE, "parameters": {"month_period": "2024-11"}}),
        )
        .await;
    assert_eq!(
        traffic["data"]["month_period"], "2024-11",
        "parameters are echoed where the output names them"
    );
    let lookalikes = api
        .ok(
            "businesses_lookalikes_enrich",
            json!({"business_id": APPLE}),
        )
        .await;
    let other = lookalikes["data"]["lookalike_business_id"]
        .as_str()
        .unwrap();
    assert_eq!(
        server.business(other).unwrap().naics,
        apple.naics,
        "a lookalike is of the same industry"
    );
    // The bulk answer holds, for each id, what the single one answers.
    let bulk = api
        .ok(
            "businesses_firmographics_bulk_enrich",
            json!({"business_ids": [APPLE]}),
        )
        .await;
    assert_eq!(bulk["data"][0]["business_id"], APPLE);
    assert_eq!(bulk["data"][0]["data"], firmographics["data"]);
    // Answers are the same every time.
    let again = api
        .ok(
            "businesses_firmographics_enrich",
            json!({"business_id": APPLE}),
        )
        .await;
    assert_eq!(again["data"], firmographics["data"]);
    let person = server
        .prospects_of(APPLE)
        .into_iter()
        .find(|p| p.email.is_some())
        .unwrap();
    let profile = api
        .ok(
            "prospects_profiles_enrich",
            json!({"prospect_id": person.prospect_id}),
        )
        .await;
    let data = &profile["data"];
    assert_eq!(data["full_name"], person.full_name.as_str());
    assert_eq!(data["job_title"], person.job_title.as_str());
    assert_eq!(data["job_level_main"], person.job_level.as_str());
    assert_eq!(data["job_department_main"], person.job_department.as_str());
    assert_eq!(data["company_name"], "Apple");
    assert_eq!(data["linkedin"], person.linkedin_url.as_str());
    let contacts = api
        .ok(
            "prospects_contacts_information_enrich",
            json!({"prospect_id": person.prospect_id}),
        )
        .await;
    assert_eq!(
        contacts["data"]["professions_email"],
        person.email.unwrap().as_str()
    );
}

#[tokio::test]
async fn unknown_ids_answer_no_data_and_duplicates_are_enriched_once() {
    let server = LocalServer::start().await.unwrap();
    let api = Api::new(&server);
    let unknown = support::business_id(7);
    let single = api
        .ok(
            "businesses_webstack_enrich",
            json!({"business_id": unknown}),
        )
        .await;
    assert_eq!(single["data"], json!([]));
    assert_eq!(single["response_context"]["request_status"], "miss");
    assert_eq!(server.used_credits(), 0, "nothing found, nothing charged");
    let bulk = api
        .ok(
            "businesses_webstack_bulk_enrich",
            json!({"business_ids": [APPLE, unknown, APPLE]}),
        )
        .await;
    assert_eq!(bulk["total_results"], 1);
    assert_eq!(bulk["data"][0]["business_id"], APPLE);
    assert_eq!(server.used_credits(), 1);
    // A malformed id fails the whole batch, as the schema says.
    let (status, answer) = api
        .call(
            "businesses_webstack_bulk_enrich",
            json!({"business_ids": [APPLE, "not-an-id"]}),
        )
        .await;
    assert_eq!(
        (status, &answer["detail"][0]["loc"]),
        (422, &json!(["body", "business_ids", 1]))
    );
    // Custom enrichments answer rows, single or bulk, naming the enrichment.
    let custom = api
        .call_at(
            "enrich_with_custom_enrichment",
            "/v1/custom_enrichments/my-enrichment/enrich",
            "",
            Some(json!({"business_id": APPLE})),
        )
        .await
        .1;
    assert_eq!(
        custom["data"][0]["data"]["custom_enrichment_id"],
        "my-enrichment"
    );
}

#[tokio::test]
async fn contacts_cost_two_credits_for_email_only_and_five_with_phone() {
    let server = LocalServer::builder().credits(100).start().await.unwrap();
    let api = Api::new(&server);
    let people = server.prospects_of(APPLE);
    let ids: Vec<&str> = people
        .iter()
        .take(3)
        .map(|p| p.prospect_id.as_str())
        .collect();
    let cases = [
        (json!({"contact_types": ["email"]}), 2),
        (json!({"contact_types": ["phone"]}), 5),
        (json!({"contact_types": ["email", "phone"]}), 5),
        (json!(null), 5),
    ];
    for (parameters, price) in cases {
        let before = server.used_credits();
        let answer = api
            .ok(
                "prospects_contacts_information_bulk_enrich",
                json!({"prospect_ids": ids, "parameters": parameters}),
            )
            .await;
        assert_eq!(server.used_credits() - before, 3 * price, "{parameters}");
        for row in answer["data"].as_array().unwrap() {
            let data = row["data"].as_object().unwrap();
            if parameters["contact_types"] == json!(["phone"]) {
                assert!(!data.contains_key("emails"), "{data:?}");
            }
            if parameters["contact_types"] == json!(["email"]) {
                assert!(!data.contains_key("phone_numbers"), "{data:?}");
            }
        }
    }
    // Fetching a full page costs a credit a row; a preview and stats cost nothing.
    let before = server.used_credits();
    api.fetch(
        "fetch_prospects",
        json!({"business_id": {"values": [APPLE]}}),
        5,
        5,
        1,
    )
    .await;
    assert_eq!(server.used_credits() - before, 5);
    api.ok(
        "fetch_prospects",
        json!({"mode": "preview", "size": 5, "page_size": 5}),
    )
    .await;
    api.ok("fetch_stats", json!({"filters": {}})).await;
    assert_eq!(server.used_credits() - before, 5);
}

#[tokio::test]
async fn credit_aggregation_reports_the_charges_by_time_and_by_endpoint() {
    let server = LocalServer::start().await.unwrap();
    let api = Api::new(&server);
    api.ok(
        "businesses_firmographics_bulk_enrich",
        json!({"business_ids": [APPLE, "a34bacf839b923770b2c360eefa26748"]}),
    )
    .await;
    api.ok(
        "businesses_technographics_enrich",
        json!({"business_id": APPLE}),
    )
    .await;
    let now = chrono::DateTime::<chrono::Utc>::from(server.now());
    let day = |offset: i64| {
        (now + chrono::Duration::days(offset))
            .format("%Y-%m-%dT00:00:00Z")
            .to_string()
    };
    let hourly = api
        .ok(
            "get_credit_aggregation",
            json!({"from_date": day(0), "to_date": day(1), "mode": "timely", "resolution": "hour"}),
        )
        .await;
    assert_eq!(hourly["total_credits"], 3);
    assert_eq!(hourly["aggregations"].as_array().unwrap().len(), 24);
    let credits: u64 = hourly["aggregations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["credits"].as_u64().unwrap())
        .sum();
    assert_eq!(credits, 3);
    let daily = api
        .ok(
            "get_credit_aggregation",
            json!({"from_date": day(-6), "to_date": day(1), "mode": "timely", "resolution": "day"}),
        )
        .await;
    assert_eq!(daily["aggregations"].as_array().unwrap().len(), 7);
    assert!(daily["aggregations"][6]["day_name"].as_str().is_some());
    let monthly = api
        .ok("get_credit_aggregation", json!({"from_date": day(-60), "to_date": day(1), "mode": "timely", "resolution": "month"}))
        .await;
    assert_eq!(monthly["total_credits"], 3);
    let endpoints = api
        .ok(
            "get_credit_aggregation",
            json!({"from_date": day(0), "to_date": day(1), "mode": "endpoints"}),
        )
        .await;
    assert_eq!(
        endpoints["aggregations"],
        json!([
            {"endpoint": "/v1/businesses/firmographics/bulk_enrich", "credits": 2},
            {"endpoint": "/v1/businesses/technographics/enrich", "credits": 1},
        ])
    );
    for (body, code) in [
        (
            json!({"from_date": day(1), "to_date": day(0), "mode": "timely", "resolution": "day"}),
            "INVALID_DATE_RANGE",
        ),
        (
            json!({"from_date": day(-8), "to_date": day(0), "mode": "timely", "resolution": "hour"}),
            "INVALID_DATE_RANGE",
        ),
        (
            json!({"from_date": day(0), "to_date": day(1), "mode": "timely"}),
            "INVALID_RESOLUTION",
        ),
    ] {
        let (status, answer) = api.call("get_credit_aggregation", body).await;
        assert_eq!((status, &answer["error"]["code"]), (400, &json!(code)));
    }
    let (status, _) = api
        .call(
            "get_credit_aggregation",
            json!({"from_date": "last week", "to_date": day(0), "mode": "endpoints"}),
        )
        .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn health_and_version_answer_without_a_key_and_payloads_have_the_size_asked() {
    let server = LocalServer::builder()
        .rate_limit(1, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{}{path}", server.base_url())).send();
    for _ in 0..3 {
        let health = get("/healthcheck/http").await.unwrap();
        assert_eq!(health.status(), 200, "no key, no rate limit");
        checked::assert_valid("healthcheck", &health.json().await.unwrap());
    }
    let version: Value = get("/version/").await.unwrap().json().await.unwrap();
    checked::assert_valid("version", &version);
    assert_eq!(version, checked::document()["info"]["version"]);
    let api = Api::new(&server);
    let (status, payload) = api
        .call_at(
            "healthcheck_bytes",
            "/healthcheck/http_payload/32",
            "",
            None,
        )
        .await;
    assert_eq!((status, payload.as_str().map(str::len)), (200, Some(32)));
    let response = get("/healthcheck/http_payload/32").await.unwrap();
    assert_eq!(response.status(), 401, "the payload check is secured");
    let (status, _) = api
        .call_at("healthcheck_bytes", "/healthcheck/http_payload/8", "", None)
        .await;
    assert_eq!(status, 429, "the key's one request a minute is spent");
}

#[tokio::test]
async fn a_path_parameter_not_of_its_type_answers_422_at_its_place() {
    let server = LocalServer::start().await.unwrap();
    let api = Api::new(&server);
    let (status, answer) = api
        .call_at(
            "healthcheck_bytes",
            "/healthcheck/http_payload/lots",
            "",
            None,
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        answer["detail"][0]["loc"],
        json!(["path", "response_bytes"])
    );
    assert_eq!(answer["detail"][0]["type"], "int_parsing");
    let (status, answer) = api
        .call_at(
            "healthcheck_bytes",
            "/healthcheck/http_payload/1000001",
            "",
            None,
        )
        .await;
    assert_eq!(
        (status, &answer["detail"][0]["type"]),
        (422, &json!("less_than_equal"))
    );
}

#[tokio::test]
async fn faults_journal_counts_and_rate_limits_work_on_the_data_routes() {
    // Faults are served before the rate limit counts: three requests pass, the fourth not.
    let server = LocalServer::builder()
        .rate_limit(3, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let api = Api::new(&server);
    server.inject(Fault::status(503).on("match_businesses"));
    server.inject(Fault::request_context_variant().on("businesses_firmographics_enrich"));
    let body = json!({"businesses_to_match": [{"domain": "apple.com"}]});
    let (status, _) = api.call("match_businesses", body.clone()).await;
    assert_eq!(status, 503);
    let matched = api.ok("match_businesses", body).await;
    assert_eq!(matched["total_matches"], 1);
    let variant = api
        .ok(
            "businesses_firmographics_enrich",
            json!({"business_id": APPLE}),
        )
        .await;
    assert!(variant.get("request_context").is_some() && variant.get("response_context").is_none());
    let (_, path) = checked::route("businesses_autocomplete");
    api.call_at(
        "businesses_autocomplete",
        &path,
        "field=country&query=isr",
        None,
    )
    .await;
    let (status, limited) = api.call("fetch_stats", json!({"filters": {}})).await;
    assert_eq!(
        (status, &limited["error"]),
        (429, &json!("rate_limit_exceeded"))
    );
    assert_eq!(server.count("match_businesses"), 2);
    assert_eq!(server.count("fetch_stats"), 1);
    let journal = server.journal();
    let autocomplete = journal
        .iter()
        .find(|r| r.operation_id.as_deref() == Some("businesses_autocomplete"))
        .unwrap();
    assert_eq!(
        autocomplete.query.as_deref(),
        Some("field=country&query=isr")
    );
    assert_eq!(autocomplete.api_key, KeyCheck::Accepted);
    assert_eq!(journal[0].status, Some(503));
    assert_eq!(journal.last().unwrap().status, Some(429));
}

#[tokio::test]
async fn the_data_routes_are_served_over_https() {
    let server = LocalServer::builder()
        .tls(["127.0.0.1"])
        .start()
        .await
        .unwrap();
    let root =
        reqwest::Certificate::from_pem(server.certificate_pem().unwrap().as_bytes()).unwrap();
    let http = reqwest::Client::builder()
        .add_root_certificate(root)
        .build()
        .unwrap();
    let answer: Value = http
        .post(format!("{}/v1/businesses/match", server.base_url()))
        .header("api_key", server.api_key())
        .json(&json!({"businesses_to_match": [{"domain": "apple.com"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    checked::assert_valid("match_businesses", &answer);
    assert_eq!(answer["matched_businesses"][0]["business_id"], APPLE);
}
