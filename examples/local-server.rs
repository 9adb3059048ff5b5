//! Runs the local Explorium server by hand, to try the API with curl.
//!
//! ```sh
//! cargo run --features test-util --example local-server -- --port 8080 --api-key my-key
//! ```
//!
//! It runs until stopped, so its journal is kept short: the last 100 requests unless
//! `--journal N` says otherwise.

use std::time::Duration;

use explorium::testing::LocalServer;

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
            _ => {
                return Err(format!(
                "unknown flag {flag}; flags: --port N, --api-key KEY, --rate-limit N (per minute), \
                 --journal N (requests kept)"
            )
                .into())
            }
        };
    }
    let server = builder.start().await?;
    println!(
        "Explorium local server on {} (Ctrl-C to stop)",
        server.base_url()
    );
    println!("Try:");
    println!(
        "  curl -s -X POST {}/v1/prospects/events/enrollments -H 'api_key: {}' -H 'Content-Type: application/json' \\\n    \
         -d '{{\"enrollment_key\": \"tech_executives_monitor\", \"prospect_ids\": [\"20ae6cbf564ee683e66685e429844a5ff8ffc30f\"], \"event_types\": [\"prospect_changed_role\"]}}'",
        server.base_url(),
        server.api_key()
    );
    std::future::pending::<()>().await;
    Ok(())
}
