//! What a call costs: this crate's `Client`, the generated client under it, and hand-written
//! `reqwest` + `serde_json` sending the same JSON (the floor), against a minimal loopback server
//! that answers at once, sequentially and with 64 calls in flight.
//!
//! ```sh
//! taskset -c 0 cargo bench --bench client --features test-util
//! ```
//!
//! The contenders run in interleaved rounds (their order rotates), and what is reported is the
//! median over rounds of each one's ratio to the floor in the same round: machines here are
//! shared and noisy, and a ratio measured side by side survives that where absolute times do
//! not. Wall time per call includes the server's share; CPU time per call is the client
//! thread's alone (`/proc/thread-self/schedstat`), the server runs on a thread of its own.
//! See BENCHMARKS.md for the numbers and what they mean.

use std::future::Future;
use std::time::{Duration, Instant};

mod support;

use explorium::generated::types;
use explorium::{Client, ProspectEvent};

const KEY: &str = "bench-key-0123456789";
const ENROLLMENT_KEY: &str = "tech_executives_monitor";
const IDS: [&str; 2] = [
    "20ae6cbf564ee683e66685e429844a5ff8ffc30f",
    "4c485f009d59e319dc039cdf3e935b85014e6a33",
];

fn rounds() -> usize {
    std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(21)
}

/// CPU time this thread has run, from the scheduler's own account.
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .unwrap_or_default()
}

struct Contenders {
    client: Client,
    raw: reqwest::Client,
    url: String,
}

impl Contenders {
    async fn ours(&self) {
        let created = self
            .client
            .prospects()
            .enroll(ENROLLMENT_KEY)
            .prospect_ids(IDS)
            .event_types([
                ProspectEvent::ProspectChangedRole,
                ProspectEvent::ProspectChangedCompany,
            ])
            .send()
            .await
            .expect("explorium call");
        std::hint::black_box(created);
    }

    async fn generated(&self) {
        let body = types::ProspectsEnrollmentsAddRequest {
            enrollment_key: ENROLLMENT_KEY.try_into().unwrap(),
            prospect_ids: IDS.iter().map(|id| (*id).try_into().unwrap()).collect(),
            event_types: vec![
                ProspectEvent::ProspectChangedRole,
                ProspectEvent::ProspectChangedCompany,
            ],
            request_context: None,
        };
        let created = self
            .client
            .generated()
            .add_prospects_enrollments()
            .body(body)
            .send()
            .await
            .expect("generated call")
            .into_inner();
        std::hint::black_box(created);
    }

    /// What a careful hand-written client does: typed bodies both ways, a timeout.
    async fn floor(&self) {
        #[derive(serde::Serialize)]
        struct Add<'a> {
            enrollment_key: &'a str,
            prospect_ids: &'a [&'a str],
            event_types: &'a [&'a str],
        }
        #[derive(serde::Deserialize)]
        struct Created {
            enrollment_id: String,
        }
        let response = self
            .raw
            .post(&self.url)
            .header("api_key", KEY)
            .json(&Add {
                enrollment_key: ENROLLMENT_KEY,
                prospect_ids: &IDS,
                event_types: &["prospect_changed_role", "prospect_changed_company"],
            })
            .send()
            .await
            .expect("reqwest call");
        let created: Created = response
            .error_for_status()
            .expect("200")
            .json()
            .await
            .expect("json");
        std::hint::black_box(created.enrollment_id);
    }

    async fn run(&self, which: usize) {
        match which {
            0 => self.ours().await,
            1 => self.generated().await,
            _ => self.floor().await,
        }
    }
}

const NAMES: [&str; 3] = [
    "explorium Client",
    "generated client",
    "reqwest + serde_json",
];

/// Per call: (wall, CPU of this thread).
async fn measure<F: Future<Output = ()>>(
    calls: usize,
    batch: impl FnOnce() -> F,
) -> (Duration, Duration) {
    let cpu = thread_cpu();
    let started = Instant::now();
    batch().await;
    (
        started.elapsed() / calls as u32,
        thread_cpu().saturating_sub(cpu) / calls as u32,
    )
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn report(title: &str, wall: &mut [Vec<f64>; 3], cpu: &mut [Vec<f64>; 3]) {
    println!("\n{title}");
    println!(
        "| contender | wall µs/call | wall ratio to floor | CPU µs/call | CPU ratio to floor |"
    );
    println!("|---|---|---|---|---|");
    for which in 0..3 {
        let mut wall_ratios: Vec<f64> = wall[which]
            .iter()
            .zip(&wall[2])
            .map(|(a, b)| a / b)
            .collect();
        let mut cpu_ratios: Vec<f64> = cpu[which].iter().zip(&cpu[2]).map(|(a, b)| a / b).collect();
        println!(
            "| {} | {:.1} | {:.3} | {:.1} | {:.3} |",
            NAMES[which],
            median(&mut wall[which].clone()),
            median(&mut wall_ratios),
            median(&mut cpu[which].clone()),
            median(&mut cpu_ratios),
        );
    }
}

fn main() {
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
        let contenders = std::sync::Arc::new(Contenders {
            client,
            raw: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            url: format!("http://{addr}/v1/prospects/events/enrollments"),
        });
        for which in 0..3 {
            for _ in 0..200 {
                contenders.run(which).await;
            }
        }

        // For a profiler: one contender only, sequentially, then stop.
        if let Some(which) = std::env::var("BENCH_ONLY").ok().and_then(|v| v.parse().ok()) {
            for _ in 0..2000 {
                contenders.run(which).await;
            }
            return;
        }
        let rounds = rounds();
        const SEQUENTIAL: usize = 400;
        const IN_FLIGHT: usize = 64;
        const PER_TASK: usize = 40;
        let mut wall: [Vec<f64>; 3] = Default::default();
        let mut cpu: [Vec<f64>; 3] = Default::default();
        let mut wall64: [Vec<f64>; 3] = Default::default();
        let mut cpu64: [Vec<f64>; 3] = Default::default();
        for round in 0..rounds {
            for step in 0..3 {
                let which = (round + step) % 3;
                let (w, c) = measure(SEQUENTIAL, || async {
                    for _ in 0..SEQUENTIAL {
                        contenders.run(which).await;
                    }
                })
                .await;
                wall[which].push(w.as_secs_f64() * 1e6);
                cpu[which].push(c.as_secs_f64() * 1e6);

                let (w, c) = measure(IN_FLIGHT * PER_TASK, || async {
                    let mut tasks = tokio::task::JoinSet::new();
                    for _ in 0..IN_FLIGHT {
                        let contenders = contenders.clone();
                        tasks.spawn(async move {
                            for _ in 0..PER_TASK {
                                contenders.run(which).await;
                            }
                        });
                    }
                    while tasks.join_next().await.is_some() {}
                })
                .await;
                wall64[which].push(w.as_secs_f64() * 1e6);
                cpu64[which].push(c.as_secs_f64() * 1e6);
            }
        }
        println!(
            "{rounds} rounds; each: {SEQUENTIAL} sequential calls, then {IN_FLIGHT} tasks × {PER_TASK} calls, per contender, order rotating"
        );
        report("sequential (medians over rounds)", &mut wall, &mut cpu);
        report("64 in flight (medians over rounds)", &mut wall64, &mut cpu64);
    });
}
