//! Runs the local Explorium server by hand, to try the API with curl.
//!
//! ```sh
//! cargo run --features test-util --example local-server -- --port 8080 --api-key my-key
//! ```
//!
//! It serves every operation: the events lifecycle, and match, fetch, stats, autocomplete,
//! enrich and credits from its seeded world (`--seed N`, `--world BUSINESSES PROSPECTS`),
//! with `--credits N` credits. It runs until stopped, so its journal is kept short: the last
//! 100 requests unless `--journal N` says otherwise.

use std::time::Duration;

use explorium::testing::LocalServer;

const FLAGS: &str = "--port N, --api-key KEY, --rate-limit N (per minute), --journal N \
    (requests kept), --seed N, --world BUSINESSES PROSPECTS, --credits N";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = LocalServer::builder().journal_capacity(100);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        builder = match flag.as_str() {
            "--port" => builder.port(value()?.parse()?),
            "--api-key" => builder.api_key(value()?),
            "--rate-limit" => builder.rate_limit(value()?.parse()?, Duration::from_secs(60)),
            "--journal" => builder.journal_capacity(value()?.parse()?),
            "--seed" => builder.seed(value()?.parse()?),
            "--credits" => builder.credits(value()?.parse()?),
            "--world" => {
                let businesses = value()?.parse()?;
                builder.world_size(businesses, value()?.parse()?)
            }
            _ => return Err(format!("unknown flag {flag}; flags: {FLAGS}").into()),
        };
    }
    let server = builder.start().await?;
    let (url, key) = (server.base_url(), server.api_key().to_string());
    let apple = "8adce3ca1cef0c986b22310e369a0793";
    println!("Explorium local server on {url} (Ctrl-C to stop)");
    println!("Try:");
    let post = |path: &str, body: &str| {
        println!(
            "  curl -s -X POST {url}{path} -H 'api_key: {key}' -H 'Content-Type: application/json' \\\n    -d '{body}'"
        );
    };
    post(
        "/v1/prospects/events/enrollments",
        r#"{"enrollment_key": "tech_executives_monitor", "prospect_ids": ["20ae6cbf564ee683e66685e429844a5ff8ffc30f"], "event_types": ["prospect_changed_role"]}"#,
    );
    post(
        "/v1/businesses/match",
        r#"{"businesses_to_match": [{"name": "Apple", "domain": "apple.com"}]}"#,
    );
    post(
        "/v1/businesses",
        r#"{"mode": "full", "size": 100, "page_size": 10, "filters": {"country_code": {"values": ["us"]}, "company_size": {"values": ["11-50", "51-200"]}}}"#,
    );
    post(
        "/v1/prospects",
        &format!(
            r#"{{"mode": "full", "size": 10, "page_size": 10, "filters": {{"business_id": {{"values": ["{apple}"]}}, "has_email": {{"value": true}}}}}}"#
        ),
    );
    post(
        "/v1/businesses/firmographics/enrich",
        &format!(r#"{{"business_id": "{apple}"}}"#),
    );
    println!(
        "  curl -s '{url}/v1/businesses/autocomplete?field=country&query=unit' -H 'api_key: {key}'"
    );
    println!("  curl -s {url}/v1/credits -H 'api_key: {key}'");
    std::future::pending::<()>().await;
    Ok(())
}
