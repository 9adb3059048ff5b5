//! How much the handwritten layer costs over hand-written reqwest code: the same add, sent to
//! the same local server, alternating between the two in one run.
//!
//! ```sh
//! cargo run --release --example overhead
//! ```
//!
//! Prints the median time per call of each, over rounds of calls, and their ratio; and how
//! long the local server takes to start. Machines are
//! shared and noisy: compare the ratio, not the absolute times.

use std::time::{Duration, Instant};

use explorium::testing::LocalServer;
use explorium::{Client, ProspectEvent};
use serde_json::json;

const ROUNDS: usize = 31;
const CALLS_PER_ROUND: usize = 200;
const IDS: [&str; 2] = [
    "20ae6cbf564ee683e66685e429844a5ff8ffc30f",
    "4c485f009d59e319dc039cdf3e935b85014e6a33",
];

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The first start compiles the spec's validators (once per process); later ones do not.
    let started = Instant::now();
    let server = LocalServer::start().await?;
    let first_start = started.elapsed();
    let mut starts = Vec::new();
    for _ in 0..21 {
        let started = Instant::now();
        drop(LocalServer::start().await?);
        starts.push(started.elapsed());
    }
    println!(
        "LocalServer::start: first {first_start:?}, then median {:?}",
        median(&mut starts)
    );
    let client = Client::builder()
        .api_key(server.api_key())
        .base_url(server.base_url())
        .build()?;
    let raw = reqwest::Client::new();
    let url = format!("{}/v1/prospects/events/enrollments", server.base_url());

    let ours = || async {
        let created = client
            .prospects()
            .enroll("tech_executives_monitor")
            .prospect_ids(IDS)
            .event_types([
                ProspectEvent::ProspectChangedRole,
                ProspectEvent::ProspectChangedCompany,
            ])
            .send()
            .await
            .expect("explorium call");
        std::hint::black_box(created);
    };
    let hand_written = || async {
        let response = raw
            .post(&url)
            .header("api_key", server.api_key())
            .json(&json!({
                "enrollment_key": "tech_executives_monitor",
                "prospect_ids": IDS,
                "event_types": ["prospect_changed_role", "prospect_changed_company"],
            }))
            .send()
            .await
            .expect("reqwest call");
        let body: serde_json::Value = response
            .error_for_status()
            .expect("200")
            .json()
            .await
            .expect("json");
        std::hint::black_box(body["enrollment_id"].as_str().map(String::from));
    };

    // Warm both connection pools.
    ours().await;
    hand_written().await;
    let (mut explorium_rounds, mut reqwest_rounds, mut ratios) =
        (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Alternate which goes first, so neither always gets the warmer machine.
        let mut pair = [Duration::ZERO; 2];
        for which in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
            let started = Instant::now();
            for _ in 0..CALLS_PER_ROUND {
                if which == 0 {
                    ours().await;
                } else {
                    hand_written().await;
                }
            }
            pair[which] = started.elapsed() / CALLS_PER_ROUND as u32;
        }
        explorium_rounds.push(pair[0]);
        reqwest_rounds.push(pair[1]);
        ratios.push(pair[0].as_secs_f64() / pair[1].as_secs_f64());
    }
    println!(
        "{ROUNDS} rounds of {CALLS_PER_ROUND} adds each, against the local server on loopback"
    );
    println!(
        "median per call: explorium {:?}, hand-written reqwest {:?}",
        median(&mut explorium_rounds),
        median(&mut reqwest_rounds)
    );
    ratios.sort_by(f64::total_cmp);
    println!(
        "ratio explorium / reqwest: median {:.3} (min {:.3}, max {:.3})",
        ratios[ROUNDS / 2],
        ratios[0],
        ratios[ROUNDS - 1]
    );
    Ok(())
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values[values.len() / 2]
}
