//! What `enroll_all` costs, and how close to the rate limit it runs.
//!
//! ```sh
//! taskset -c 0 cargo bench --bench bulk --features test-util
//! ```
//!
//! 1. `enroll_all` of 100,000 ids (5,000 adds) at concurrency 16, pacing off, against a
//!    minimal loopback server that answers at once, side by side with a hand-written reqwest
//!    loop doing the same chunking at the same concurrency; interleaved rounds, median of the
//!    per-round ratios.
//! 2. The same 100,000 ids against the local server rate-limited to 200 requests a minute, on
//!    tokio's paused clock: the virtual time against the limit's minimum (5,000 adds and one
//!    listing at 200 a minute: the last window starts at 25 minutes), and the 429s.

use std::sync::Arc;
use std::time::{Duration, Instant};

mod support;

use explorium::testing::LocalServer;
use explorium::{Client, ProspectEvent};

const KEY: &str = "bench-key-0123456789";
const ENROLLMENT_KEY: &str = "crm_sync";
const IDS: usize = 100_000;
const CONCURRENCY: usize = 16;

fn ids() -> Vec<String> {
    (0..IDS).map(|n| format!("{n:040x}")).collect()
}

async fn ours(client: &Client, ids: &[String]) {
    let report = client
        .prospects()
        .enroll_all(ENROLLMENT_KEY, ids)
        .event_types([ProspectEvent::ProspectChangedCompany])
        .concurrency(CONCURRENCY)
        .send()
        .await;
    assert!(report.is_complete());
}

/// The same chunking and concurrency, written by hand: typed body, a timeout, a checked
/// status, the enrollment id decoded.
async fn hand_written(http: &reqwest::Client, url: &str, ids: &[String]) {
    #[derive(serde::Serialize)]
    struct Add<'a> {
        enrollment_key: &'a str,
        prospect_ids: &'a [String],
        event_types: &'a [&'a str],
    }
    #[derive(serde::Deserialize)]
    struct Created {
        enrollment_id: String,
    }
    let chunks: Arc<Vec<Vec<String>>> = Arc::new(ids.chunks(20).map(<[String]>::to_vec).collect());
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (http, url, chunks, next) =
            (http.clone(), url.to_string(), chunks.clone(), next.clone());
        tasks.spawn(async move {
            loop {
                let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(chunk) = chunks.get(index) else {
                    break;
                };
                let created: Created = http
                    .post(&url)
                    .header("api_key", KEY)
                    .json(&Add {
                        enrollment_key: ENROLLMENT_KEY,
                        prospect_ids: chunk,
                        event_types: &["prospect_changed_company"],
                    })
                    .send()
                    .await
                    .unwrap()
                    .error_for_status()
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                std::hint::black_box(created.enrollment_id);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let ids = ids();

    // 1. Against the instant server.
    let addr = support::start_server();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = Client::builder()
            .api_key(KEY)
            .base_url(format!("http://{addr}"))
            .build()
            .unwrap();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let url = format!("http://{addr}/v1/prospects/events/enrollments");
        ours(&client, &ids[..2000]).await;
        hand_written(&http, &url, &ids[..2000]).await;
        // For a profiler: one contender, once, then stop.
        match std::env::var("BENCH_ONLY").as_deref() {
            Ok("0") => return ours(&client, &ids).await,
            Ok(_) => return hand_written(&http, &url, &ids).await,
            Err(_) => {}
        }
        let (mut ours_s, mut hand_s, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let mut pair = [0.0; 2];
            for which in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
                let started = Instant::now();
                if which == 0 {
                    ours(&client, &ids).await;
                } else {
                    hand_written(&http, &url, &ids).await;
                }
                pair[which] = started.elapsed().as_secs_f64();
            }
            ours_s.push(pair[0]);
            hand_s.push(pair[1]);
            ratios.push(pair[0] / pair[1]);
        }
        println!("enroll_all of {IDS} ids ({} adds) at concurrency {CONCURRENCY}, {rounds} rounds, order alternating", IDS / 20);
        println!("| contender | median seconds | median ratio to hand-written |");
        println!("|---|---|---|");
        println!("| enroll_all | {:.3} | {:.3} |", median(&mut ours_s), median(&mut ratios));
        println!("| hand-written reqwest loop | {:.3} | 1.000 |", median(&mut hand_s));
    });

    if std::env::var_os("BENCH_ONLY").is_some() {
        return;
    }
    // 2. Against the rate-limited local server, on the paused clock.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = LocalServer::builder()
            .rate_limit(200, Duration::from_secs(60))
            .start()
            .await
            .unwrap();
        let client = Client::builder()
            .api_key(server.api_key())
            .base_url(server.base_url())
            .build()
            .unwrap();
        let started = tokio::time::Instant::now();
        let real = Instant::now();
        ours(&client, &ids).await;
        let took = started.elapsed();
        let requests = server.count("add_prospects_enrollments") + server.count("get_prospects_enrollments");
        // 5,001 requests at 200 a window: 25 full windows before the last one starts.
        let minimum = Duration::from_secs(60 * ((requests as u64 - 1) / 200));
        println!(
            "\nrate-limited (200 per 60 s), paused clock: {requests} requests in {:.1} virtual minutes, minimum {:.1}: ratio {:.4}; 429s: {}; real time {:.1} s",
            took.as_secs_f64() / 60.0,
            minimum.as_secs_f64() / 60.0,
            took.as_secs_f64() / minimum.as_secs_f64(),
            server.journal().iter().filter(|r| r.status == Some(429)).count(),
            real.elapsed().as_secs_f64(),
        );
    });
}
