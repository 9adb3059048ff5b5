//! The search family against loopback servers: a page that never ends, the cursor shape, the
//! limit and the extra rows of a last page, rules checked before sending, laziness; and
//! against the local world: stats and search agree.

mod support;

use std::sync::{Arc, Mutex};

use explorium::testing::LocalServer;
use explorium::{Client, ErrorKind};
use futures_util::{StreamExt, TryStreamExt};
use serde_json::{json, Value};
use support::*;

fn client(responder: &RawResponder) -> Client {
    raw_client(responder).build().unwrap()
}

fn businesses(from: usize, count: usize) -> Vec<Value> {
    (from..from + count)
        .map(|n| json!({"business_id": business_id(n), "name": format!("b{n}"), "new_field": {}}))
        .collect()
}

#[tokio::test]
async fn a_page_that_never_ends_stops_at_the_limit_without_the_extra_rows() {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    let responder = RawResponder::answering(move |head, body| {
        assert!(head.starts_with("POST /v1/businesses "), "{head}");
        let body: Value = serde_json::from_slice(body).unwrap();
        let page = body["page"].as_u64().unwrap() as usize;
        seen.lock().unwrap().push(body);
        // Always a full page (more than asked, even), and always more pages.
        let rows = businesses((page - 1) * 100, 120);
        Some(raw_response(
            "200 OK",
            &[],
            &json!({"data": rows, "total_results": 1_000_000, "page": page, "total_pages": 1_000_000}).to_string(),
        ))
    })
    .await;
    let rows: Vec<_> = client(&responder)
        .businesses()
        .search()
        .limit(250)
        .page_size(100)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), 250);
    // 120 + 120 rows, then 10 of page 3 (which starts at row 200): the rest never yielded.
    assert_eq!(rows[249].business_id, business_id(209));
    let bodies = bodies.lock().unwrap();
    assert_eq!(bodies.len(), 3);
    assert_eq!(bodies[0]["size"], 250);
    assert_eq!(bodies[0]["page_size"], 100);
    assert_eq!(bodies[0]["mode"], "full");
}

#[tokio::test]
async fn the_cursor_shape_is_followed_until_it_ends() {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    let responder = RawResponder::answering(move |_, body| {
        let body: Value = serde_json::from_slice(body).unwrap();
        let n = seen.lock().unwrap().len();
        seen.lock().unwrap().push(body);
        let page = if n < 2 {
            json!({"size": 10, "next_cursor": format!("c{}", n + 1)})
        } else {
            json!({"size": 3})
        };
        let rows = businesses(n * 10, if n < 2 { 10 } else { 3 });
        Some(raw_response(
            "200 OK",
            &[],
            &json!({"data": rows, "page": page}).to_string(),
        ))
    })
    .await;
    let rows: Vec<_> = client(&responder)
        .businesses()
        .search()
        .limit(1_000)
        .page_size(10)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), 23);
    let bodies = bodies.lock().unwrap();
    assert_eq!(bodies.len(), 3);
    assert_eq!(bodies[1]["next_cursor"], "c1");
    assert_eq!(bodies[2]["next_cursor"], "c2");
}

#[tokio::test]
async fn rules_are_checked_before_anything_is_sent_and_the_stream_is_lazy() {
    let responder = RawResponder::answering(|_, _| {
        Some(raw_response(
            "200 OK",
            &[],
            &json!({"data": businesses(0, 5), "page": 1, "total_pages": 9}).to_string(),
        ))
    })
    .await;
    let client = client(&responder);
    for (search, field) in [
        (
            client.businesses().search().limit(30).page_size(100),
            "page_size",
        ),
        (client.businesses().search().page_size(10), "limit"),
        (client.businesses().search().limit(60_001), "limit"),
        (
            client.businesses().search().limit(100).page_size(501),
            "page_size",
        ),
        (
            client.businesses().search().limit(100).exclude(["nope"]),
            "exclude[0]",
        ),
        (
            client
                .businesses()
                .search()
                .limit(100)
                .exclude((0..1_001).map(business_id)),
            "exclude",
        ),
    ] {
        let mut stream = Box::pin(search.stream());
        let error = stream.next().await.unwrap().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidRequest);
        assert_eq!(error.field(), Some(field), "{error}");
        assert!(stream.next().await.is_none());
    }
    assert_eq!(responder.requests(), 0);
    let stream = client
        .businesses()
        .search()
        .limit(100)
        .page_size(5)
        .stream();
    assert_eq!(
        responder.requests(),
        0,
        "nothing sent before the stream is polled"
    );
    let first: Vec<_> = stream.take(2).try_collect().await.unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(
        responder.requests(),
        1,
        "one page for two rows; dropped, nothing more"
    );
}

#[tokio::test]
async fn a_failing_page_ends_the_stream_with_its_error() {
    let responder = RawResponder::start(vec![
        raw_response(
            "200 OK",
            &[],
            &json!({"data": businesses(0, 2), "page": 1, "total_pages": 5}).to_string(),
        ),
        raw_response("403 Forbidden", &[], "{}"),
    ])
    .await;
    let items: Vec<_> = client(&responder)
        .businesses()
        .search()
        .limit(10)
        .page_size(2)
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 3);
    assert_eq!(
        items[2].as_ref().unwrap_err().kind(),
        ErrorKind::OutOfCredits
    );
}

#[tokio::test]
async fn on_the_local_world_stats_count_what_search_streams() {
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    let stats = client.businesses().stats().send().await.unwrap();
    assert!(stats.total_results > 0);
    let want = u64::try_from(stats.total_results).unwrap().min(120);
    let rows: Vec<_> = client
        .businesses()
        .search()
        .limit(want)
        .page_size(want.min(50))
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len() as u64, want);
    let suggestions = client
        .businesses()
        .autocomplete("country_code".parse().unwrap(), "uni")
        .await
        .unwrap();
    let _ = suggestions;
}

#[tokio::test]
async fn typed_filters_select_on_the_local_world_and_stats_agree() {
    use explorium::search::{BusinessFilters, ProspectFilters};
    let server = LocalServer::start().await.unwrap();
    let client = client_for(&server);
    let filters = BusinessFilters::new()
        .company_size(["11-50", "51-200"])
        .has_website(true);
    let total = client
        .businesses()
        .stats()
        .filters(filters.clone())
        .send()
        .await
        .unwrap()
        .total_results;
    assert!(total > 0);
    let rows: Vec<_> = client
        .businesses()
        .search()
        .filters(filters)
        .limit(u64::try_from(total).unwrap().min(2_000))
        .page_size(100)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len() as i64, total.min(2_000));
    for row in &rows {
        let size = row
            .number_of_employees_range
            .as_ref()
            .map(ToString::to_string);
        assert!(
            matches!(size.as_deref(), Some("11-50" | "51-200")),
            "{size:?}"
        );
        assert!(row.website.is_some());
    }
    // Negated: the others. The two add up to everything.
    let others = client
        .businesses()
        .stats()
        .filters(BusinessFilters::new().not_company_size(["11-50", "51-200"]))
        .send()
        .await
        .unwrap()
        .total_results;
    let sized = client
        .businesses()
        .stats()
        .filters(BusinessFilters::new().company_size(["11-50", "51-200"]))
        .send()
        .await
        .unwrap()
        .total_results;
    let all = client
        .businesses()
        .stats()
        .send()
        .await
        .unwrap()
        .total_results;
    assert_eq!(others + sized, all);

    let leaders = ProspectFilters::new()
        .job_level(["manager", "director"])
        .total_experience_months(24..)
        .job_title(["engineer"])
        .job_title_include_related_job_titles(true);
    let counted = client
        .prospects()
        .stats()
        .filters(leaders.clone())
        .send()
        .await
        .unwrap()
        .total_results;
    let streamed = client
        .prospects()
        .search()
        .filters(leaders)
        .limit(500)
        .page_size(100)
        .stream()
        .try_fold(0i64, |n, _| async move { Ok(n + 1) })
        .await
        .unwrap();
    assert_eq!(streamed, counted.min(500));
}

#[tokio::test]
async fn a_filter_value_that_breaks_its_rule_is_named_and_nothing_is_sent() {
    use explorium::search::{BusinessFilters, ProspectFilters};
    let responder = RawResponder::start(Vec::new()).await;
    let client = client(&responder);
    let cases: Vec<(BusinessFilters, &str, &str)> = vec![
        (
            BusinessFilters::new().company_size(["11-50", "12-49"]),
            "filters.company_size.values[1]",
            "\"12-49\": unknown variant",
        ),
        (
            BusinessFilters::new().country_code(["us", "USA"]),
            "filters.country_code.values[1]",
            "\"USA\": doesn't match pattern",
        ),
        (
            BusinessFilters::new().company_revenue(Vec::<String>::new()),
            "filters.company_revenue",
            "no values",
        ),
    ];
    for (filters, field, rule) in cases {
        let error = client
            .businesses()
            .search()
            .filters(filters.clone())
            .limit(100)
            .stream()
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{error}");
        assert_eq!(error.field(), Some(field), "{error}");
        assert!(error.to_string().contains(rule), "{error}");
        assert_eq!(error.operation(), Some("fetch_businesses"));
        let error = client
            .businesses()
            .stats()
            .filters(filters)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error.field(), Some(field), "{error}");
        assert_eq!(error.operation(), Some("fetch_stats"));
    }
    let error = client
        .prospects()
        .stats()
        .filters(ProspectFilters::new().current_role_months(std::ops::RangeInclusive::new(30, 12)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.field(),
        Some("filters.current_role_months"),
        "{error}"
    );
    assert!(error.to_string().contains("empty"), "{error}");
    let error = client
        .prospects()
        .stats()
        .filters(ProspectFilters::new().job_level(["manager", "boss"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.field(),
        Some("filters.job_level.values[1]"),
        "{error}"
    );
    assert_eq!(responder.requests(), 0);
    // A setter called again replaces its filter's refusal with the new filter.
    let fixed = ProspectFilters::new()
        .current_role_months(std::ops::RangeInclusive::new(30, 12))
        .current_role_months(12..=30);
    let sent =
        explorium::search::IntoFilters::<explorium::prospects::Prospects>::into_filters(fixed);
    assert!(sent.is_ok(), "{sent:?}");
}

#[tokio::test]
async fn typed_filters_send_exactly_their_json() {
    use explorium::search::ProspectFilters;
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    let responder = RawResponder::answering(move |_, body| {
        seen.lock()
            .unwrap()
            .push(serde_json::from_slice::<Value>(body).unwrap());
        Some(raw_response(
            "200 OK",
            &[],
            r#"{"total_results": 0, "stats": {}}"#,
        ))
    })
    .await;
    let client = client(&responder);
    client
        .prospects()
        .stats()
        .filters(
            ProspectFilters::new()
                .job_title_include_related_job_titles(true)
                .job_title(["cto"])
                .not_country_code(["us"])
                .total_experience_months(12..60)
                .has_email(true),
        )
        .send()
        .await
        .unwrap();
    let sent = bodies.lock().unwrap()[0]["filters"].clone();
    assert_eq!(
        sent,
        json!({
            "job_title": {"values": ["cto"], "include_related_job_titles": true},
            "country_code": {"values": ["us"], "negate": true},
            "total_experience_months": {"gte": 12, "lte": 59},
            "has_email": {"value": true},
        })
    );
}
