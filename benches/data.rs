//! What the data calls cost: decoding against the floor, a search's memory, bulk jobs at the
//! rate limit.
//!
//! ```sh
//! taskset -c 0 cargo bench --bench data --features test-util
//! ```
//!
//! 1. Decoding: a fetch page of 500 businesses (`search()..stream()`) and a bulk firmographics
//!    answer of 50 (`enrich_all`), against hand-written reqwest + serde_json decoding the same
//!    bytes into the same generated types (the floor). The bodies are taken once from the local
//!    server and answered as fixed bytes by a minimal loopback server on its own thread.
//!    Interleaved rounds, order rotating, median of the per-round ratios.
//! 2. Memory: a search of 60,000 rows at page size 500 from the local server, against a search
//!    of one page. Each measured in a child process of its own (the server in another), as the
//!    growth of peak resident memory (`VmHWM`, reset through `/proc/self/clear_refs` just
//!    before) over the resident memory before the stream.
//! 3. `enrich_all` of 10,000 ids and `match_all` of 10,000 inputs against the local server
//!    limited to 200 requests a minute, on tokio's paused clock: virtual time and 429s.
//!
//! `BENCH_PART=1|2|3` runs one part; `BENCH_ROUNDS=N` the rounds of parts 1 and 2;
//! `BENCH_PART=1 BENCH_ONLY=page|page-floor|bulk|bulk-floor` one round of one contender of
//! part 1, for a profiler.

use std::convert::Infallible;
use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use explorium::enrich::EnrichOutcome;
use explorium::enrichments::Firmographics;
use explorium::generated::types;
use explorium::testing::LocalServer;
use explorium::{BusinessMatch, Client, MatchOutcome};
use futures_util::StreamExt;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

const KEY: &str = "bench-key-0123456789";
const SETUP_KEY: &str = "bench-setup-key-0123456789";
const PAGE: u64 = 500;
const BULK: usize = 50;

fn rounds(default: usize) -> usize {
    std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// CPU time this thread has run, from the scheduler's own account.
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .unwrap_or_default()
}

fn current_thread(paused: bool) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(paused)
        .build()
        .unwrap()
}

fn client(base_url: &str, key: &str) -> Client {
    Client::builder()
        .api_key(key)
        .base_url(base_url)
        .build()
        .unwrap()
}

/// `POST base/path` with `body` by hand, the answer's bytes.
async fn post_raw(
    http: &reqwest::Client,
    url: String,
    key: &str,
    body: serde_json::Value,
) -> Bytes {
    let response = http
        .post(url)
        .header("api_key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.bytes().await.unwrap()
}

// ---------------------------------------------------------------------------------------------
// 1. Decoding

/// The two bodies, taken once from the local server: a page of 500 businesses, and the bulk
/// firmographics answer for 50 of them; with those 50 ids.
async fn bodies() -> (Bytes, Bytes, Vec<String>) {
    let server = LocalServer::builder()
        .api_key(KEY)
        .world_size(1_000, 2_000)
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let page = post_raw(
        &http,
        format!("{}/v1/businesses", server.base_url()),
        KEY,
        serde_json::json!({"mode": "full", "size": PAGE, "page_size": PAGE, "page": 1}),
    )
    .await;
    let parsed: serde_json::Value = serde_json::from_slice(&page).unwrap();
    let ids: Vec<String> = parsed["data"].as_array().unwrap()[..BULK]
        .iter()
        .map(|row| row["business_id"].as_str().unwrap().to_string())
        .collect();
    let bulk = post_raw(
        &http,
        format!(
            "{}/v1/businesses/firmographics/bulk_enrich",
            server.base_url()
        ),
        KEY,
        serde_json::json!({"business_ids": ids}),
    )
    .await;
    (page, bulk, ids)
}

/// A server on its own thread answering `page` to the fetch and `bulk` to everything else, at
/// once, after reading each request whole.
fn fixed_server(page: Bytes, bulk: Bytes) -> SocketAddr {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        current_thread(false).block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            sender.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                stream.set_nodelay(true).unwrap();
                let (page, bulk) = (page.clone(), bulk.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        move |request: Request<hyper::body::Incoming>| {
                            let answer = if request.uri().path() == "/v1/businesses" {
                                page.clone()
                            } else {
                                bulk.clone()
                            };
                            async move {
                                use http_body_util::BodyExt;
                                let _ = request.into_body().collect().await;
                                Ok::<_, Infallible>(
                                    Response::builder()
                                        .header("content-type", "application/json")
                                        .body(Full::new(answer))
                                        .unwrap(),
                                )
                            }
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    receiver.recv().unwrap()
}

struct Decoding {
    client: Client,
    raw: reqwest::Client,
    base: String,
    ids: Vec<String>,
}

impl Decoding {
    async fn page_ours(&self) {
        let mut rows = std::pin::pin!(self
            .client
            .businesses()
            .search()
            .limit(PAGE)
            .page_size(PAGE)
            .stream());
        let mut n = 0;
        while let Some(row) = rows.next().await {
            std::hint::black_box(row.unwrap());
            n += 1;
        }
        assert_eq!(n, PAGE);
    }

    async fn page_floor(&self) {
        let page: types::BusinessesFetchResponse = self
            .raw
            .post(format!("{}/v1/businesses", self.base))
            .header("api_key", KEY)
            .json(&serde_json::json!({"mode": "full", "size": PAGE, "page_size": PAGE, "page": 1}))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page.data.len() as u64, PAGE);
        for row in page.data {
            std::hint::black_box(row);
        }
    }

    async fn bulk_ours(&self) {
        let report = self
            .client
            .businesses()
            .enrich_all(Firmographics, &self.ids)
            .send()
            .await;
        let mut n = 0;
        for outcome in report.outcomes {
            if let EnrichOutcome::Enriched { data } = outcome.outcome {
                std::hint::black_box(data);
                n += 1;
            }
        }
        assert_eq!(n, BULK);
    }

    async fn bulk_floor(&self) {
        let answer: types::BusinessesBulkEnrichResponseFirmographicsOutputSchema = self
            .raw
            .post(format!(
                "{}/v1/businesses/firmographics/bulk_enrich",
                self.base
            ))
            .header("api_key", KEY)
            .json(&serde_json::json!({"business_ids": self.ids}))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer.data.len(), BULK);
        for row in answer.data {
            std::hint::black_box(row);
        }
    }

    async fn run(&self, case: usize, floor: bool) {
        match (case, floor) {
            (0, false) => self.page_ours().await,
            (0, true) => self.page_floor().await,
            (_, false) => self.bulk_ours().await,
            (_, true) => self.bulk_floor().await,
        }
    }
}

fn decoding() {
    let runtime = current_thread(false);
    let (page, bulk, ids) = runtime.block_on(bodies());
    println!(
        "bodies: page of {PAGE} businesses {} bytes, bulk firmographics of {BULK} {} bytes",
        page.len(),
        bulk.len()
    );
    let addr = fixed_server(page, bulk);
    let base = format!("http://{addr}");
    let contenders = Decoding {
        client: client(&base, KEY),
        raw: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        base,
        ids,
    };
    let rounds = rounds(21);
    const CALLS: [usize; 2] = [20, 200];
    const CASES: [&str; 2] = ["fetch page of 500", "bulk firmographics of 50"];
    runtime.block_on(async {
        for case in 0..2 {
            for floor in [false, true] {
                contenders.run(case, floor).await;
            }
        }
        // For a profiler: one contender, one round, then stop.
        if let Ok(only) = std::env::var("BENCH_ONLY") {
            let case = usize::from(only.starts_with("bulk"));
            for _ in 0..CALLS[case] {
                contenders.run(case, only.ends_with("floor")).await;
            }
            return;
        }
        // [case][floor] per round: wall and CPU per call, in µs.
        let mut wall = [[Vec::new(), Vec::new()], [Vec::new(), Vec::new()]];
        let mut cpu = [[Vec::new(), Vec::new()], [Vec::new(), Vec::new()]];
        for round in 0..rounds {
            for case in 0..2 {
                let order = if round % 2 == 0 {
                    [false, true]
                } else {
                    [true, false]
                };
                for floor in order {
                    let (c, started) = (thread_cpu(), Instant::now());
                    for _ in 0..CALLS[case] {
                        contenders.run(case, floor).await;
                    }
                    let n = CALLS[case] as f64;
                    wall[case][floor as usize].push(started.elapsed().as_secs_f64() * 1e6 / n);
                    cpu[case][floor as usize]
                        .push(thread_cpu().saturating_sub(c).as_secs_f64() * 1e6 / n);
                }
            }
        }
        println!("\n{rounds} rounds, order alternating");
        println!("| call | wall µs/call | wall ratio | CPU µs/call | CPU ratio |");
        println!("|---|---|---|---|---|");
        for case in 0..2 {
            let ratio = |v: &[Vec<f64>; 2]| {
                let mut r: Vec<f64> = v[0].iter().zip(&v[1]).map(|(a, b)| a / b).collect();
                median(&mut r)
            };
            let (wr, cr) = (ratio(&wall[case]), ratio(&cpu[case]));
            for floor in [false, true] {
                println!(
                    "| {}: {} | {:.0} | {:.3} | {:.0} | {:.3} |",
                    CASES[case],
                    if floor { "floor" } else { "ours" },
                    median(&mut wall[case][floor as usize].clone()),
                    if floor { 1.0 } else { wr },
                    median(&mut cpu[case][floor as usize].clone()),
                    if floor { 1.0 } else { cr },
                );
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// 2. Memory

/// A field of `/proc/self/status`, in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field}"));
    let kib: u64 = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kib * 1024
}

/// Resets the peak resident memory to the current one; the resident memory then.
fn reset_peak() -> u64 {
    std::fs::write("/proc/self/clear_refs", "5").expect("clear_refs");
    status_bytes("VmRSS:")
}

/// The child that serves: the local world of 60,000 businesses; prints its URL, serves until
/// its stdin closes.
fn serve_world() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = LocalServer::builder()
            .api_key(KEY)
            .world_size(60_000, 60_000)
            .credits(1_000_000_000)
            .start()
            .await
            .unwrap();
        println!("{}", server.base_url());
        std::io::stdout().flush().unwrap();
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            while std::io::stdin().lock().read_line(&mut line).unwrap_or(0) > 0 {}
        })
        .await
        .unwrap();
    });
}

/// The child that measures: `limit` rows by `stream()`, or (`floor`) one page's bytes decoded
/// by serde_json into the generated type; prints the peak's growth and the rows.
fn measure_search(base: &str, limit: u64, floor: bool) {
    let runtime = current_thread(false);
    runtime.block_on(async {
        let client = client(base, KEY);
        let raw = reqwest::Client::new();
        // Warm both (connection, first allocations), then measure.
        let _ = client.health().await;
        let before = reset_peak();
        let mut rows = 0u64;
        if floor {
            let page = post_raw(
                &raw,
                format!("{base}/v1/businesses"),
                KEY,
                serde_json::json!({"mode": "full", "size": PAGE, "page_size": PAGE, "page": 1}),
            )
            .await;
            let decoded: types::BusinessesFetchResponse = serde_json::from_slice(&page).unwrap();
            rows = decoded.data.len() as u64;
            std::hint::black_box((&page, &decoded));
        } else {
            let mut stream = std::pin::pin!(client
                .businesses()
                .search()
                .limit(limit)
                .page_size(PAGE)
                .stream());
            while let Some(row) = stream.next().await {
                std::hint::black_box(row.unwrap());
                rows += 1;
            }
        }
        let peak = status_bytes("VmHWM:");
        println!("{} {rows}", peak.saturating_sub(before));
    });
}

fn memory() {
    let exe = std::env::current_exe().unwrap();
    let mut server = std::process::Command::new(&exe)
        .env("BENCH_ROLE", "serve")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut base = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut base)
        .unwrap();
    let base = base.trim().to_string();
    let cases: [(&str, u64, bool); 3] = [
        ("stream of 60,000 rows", 60_000, false),
        ("stream of one page (500 rows)", PAGE, false),
        (
            "floor: one page's bytes + serde_json into the generated page",
            PAGE,
            true,
        ),
    ];
    let rounds = rounds(5);
    let mut peaks = [Vec::new(), Vec::new(), Vec::new()];
    let mut ratios = Vec::new();
    for round in 0..rounds {
        let mut got = [0.0; 3];
        for k in 0..3 {
            let which = (k + round) % 3;
            let (_, limit, floor) = cases[which];
            let started = Instant::now();
            let out = std::process::Command::new(&exe)
                .env("BENCH_ROLE", "measure")
                .env("BENCH_BASE", &base)
                .env("BENCH_LIMIT", limit.to_string())
                .env("BENCH_FLOOR", if floor { "1" } else { "0" })
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8(out.stdout).unwrap();
            let mut fields = text.split_whitespace();
            let peak: f64 = fields.next().unwrap().parse().unwrap();
            let rows: u64 = fields.next().unwrap().parse().unwrap();
            assert_eq!(rows, limit);
            eprintln!(
                "round {round}: {}: {:.2} MiB in {:.1} s",
                cases[which].0,
                peak / 1048576.0,
                started.elapsed().as_secs_f64()
            );
            got[which] = peak;
            peaks[which].push(peak);
        }
        ratios.push(got[0] / got[1]);
    }
    // The live heap, exactly: each case once more under valgrind's DHAT (deterministic), whose
    // peak ("t-gmax") counts every live allocation of the process at its highest.
    let mut heap = Vec::new();
    for (name, limit, floor) in cases {
        let out = std::process::Command::new("valgrind")
            .args(["--tool=dhat", "--dhat-out-file=/dev/null"])
            .arg(&exe)
            .env("BENCH_ROLE", "measure")
            .env("BENCH_BASE", &base)
            .env("BENCH_LIMIT", limit.to_string())
            .env("BENCH_FLOOR", if floor { "1" } else { "0" })
            .output();
        let peak = out.ok().and_then(|out| {
            let text = String::from_utf8_lossy(&out.stderr).into_owned();
            let line = text.lines().find(|l| l.contains("At t-gmax:"))?.to_string();
            let bytes = line.split("At t-gmax:").nth(1)?.split("bytes").next()?;
            bytes.trim().replace(',', "").parse::<f64>().ok()
        });
        heap.push((name, peak));
    }
    drop(server.stdin.take());
    let _ = server.wait();
    match heap.iter().map(|(_, p)| *p).collect::<Option<Vec<f64>>>() {
        Some(peaks) => {
            println!("\nPeak live heap of the whole process (valgrind --tool=dhat, t-gmax):");
            println!("| | MiB | / one page |");
            println!("|---|---|---|");
            for (k, (name, _)) in heap.iter().enumerate() {
                println!(
                    "| {name} | {:.3} | {:.3} |",
                    peaks[k] / 1048576.0,
                    peaks[k] / peaks[1]
                );
            }
        }
        None => println!("\n(valgrind not found or failed: no heap measurement)"),
    }
    println!("\n{rounds} rounds, order rotating; growth of peak resident memory over the resident memory before");
    println!("| | median MiB | |");
    println!("|---|---|---|");
    for k in 0..3 {
        println!(
            "| {} | {:.2} | |",
            cases[k].0,
            median(&mut peaks[k].clone()) / 1048576.0
        );
    }
    println!(
        "60,000 rows / one page: median ratio {:.3}",
        median(&mut ratios)
    );
    println!(
        "size_of::<types::Business>() = {} bytes ({} KiB for a page's 500, before their strings)",
        std::mem::size_of::<types::Business>(),
        std::mem::size_of::<types::Business>() * PAGE as usize / 1024
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Bulk jobs at the rate limit

fn rate_limited() {
    let runtime = current_thread(true);
    runtime.block_on(async {
        let server = LocalServer::builder()
            .api_key(KEY)
            .api_key(SETUP_KEY)
            .world_size(10_000, 10_000)
            .credits(1_000_000_000)
            .rate_limit(200, Duration::from_secs(60))
            .start()
            .await
            .unwrap();
        // The inputs, by another key (the limit is per key): the world's 10,000 businesses.
        let setup = client(&server.base_url(), SETUP_KEY);
        let mut rows = std::pin::pin!(setup
            .businesses()
            .search()
            .limit(10_000)
            .page_size(PAGE)
            .stream());
        let (mut ids, mut inputs) = (Vec::new(), Vec::new());
        while let Some(row) = rows.next().await {
            let row = serde_json::to_value(row.unwrap()).unwrap();
            ids.push(row["business_id"].as_str().unwrap().to_string());
            let mut input = BusinessMatch::name(row["name"].as_str().unwrap_or("unnamed"));
            if let Some(domain) = row["domain"].as_str() {
                input = input.domain(domain);
            }
            inputs.push(input);
        }
        assert_eq!(ids.len(), 10_000);
        let client = client(&server.base_url(), KEY);
        let count_429 = |server: &LocalServer| {
            server
                .journal()
                .iter()
                .filter(|r| r.status == Some(429))
                .count()
        };
        let report_line = |what: &str,
                           requests: usize,
                           took: Duration,
                           ok: String,
                           n429: usize,
                           real: Duration| {
            // `requests` at 200 a window: the last one may start after (requests - 1) / 200
            // full windows.
            let minimum = 60 * ((requests as u64).saturating_sub(1) / 200);
            println!(
                "| {what} | {requests} | {:.2} s | {minimum} s | {ok} | {n429} | real {:.1} s |",
                took.as_secs_f64(),
                real.as_secs_f64()
            );
        };
        println!("| job | requests | virtual time | minimum | done + not found | 429s | |");
        println!("|---|---|---|---|---|---|---|");
        for (what, n) in [("enrich_all", 10_000), ("enrich_all", 50_000)] {
            let ids: Vec<String> = if n <= ids.len() {
                ids.clone()
            } else {
                // Past the world: distinct ids the server knows nothing of (not found).
                ids.iter()
                    .cloned()
                    .chain((ids.len()..n).map(|k| format!("{k:032x}")))
                    .collect()
            };
            let before = (
                server.count("businesses_firmographics_bulk_enrich"),
                count_429(&server),
            );
            let (started, real) = (tokio::time::Instant::now(), Instant::now());
            let report = client
                .businesses()
                .enrich_all(Firmographics, &ids)
                .send()
                .await;
            let took = started.elapsed();
            let enriched = report
                .outcomes
                .iter()
                .filter(|o| matches!(o.outcome, EnrichOutcome::Enriched { .. }))
                .count();
            let not_found = report
                .outcomes
                .iter()
                .filter(|o| matches!(o.outcome, EnrichOutcome::NotFound))
                .count();
            let ok = format!("{enriched} + {not_found}");
            assert!(report.stopped.is_none());
            report_line(
                &format!("{what} of {n}"),
                server.count("businesses_firmographics_bulk_enrich") - before.0,
                took,
                ok,
                count_429(&server) - before.1,
                real.elapsed(),
            );
            // A fresh window for the next job.
            tokio::time::sleep(Duration::from_secs(61)).await;
        }
        for n in [10_000usize, 50_000] {
            let inputs: Vec<BusinessMatch> = (0..n)
                .map(|k| {
                    if k < inputs.len() {
                        inputs[k].clone()
                    } else {
                        BusinessMatch::name(format!("No Such Company {k}"))
                    }
                })
                .collect();
            let before = (server.count("match_businesses"), count_429(&server));
            let (started, real) = (tokio::time::Instant::now(), Instant::now());
            let report = client.businesses().match_all(inputs).send().await;
            let took = started.elapsed();
            let matched = report
                .outcomes
                .iter()
                .filter(|o| matches!(o.outcome, MatchOutcome::Matched { .. }))
                .count();
            let not_found = report
                .outcomes
                .iter()
                .filter(|o| matches!(o.outcome, MatchOutcome::NotFound))
                .count();
            let ok = format!("{matched} + {not_found}");
            assert!(report.stopped.is_none());
            report_line(
                &format!("match_all of {n}"),
                server.count("match_businesses") - before.0,
                took,
                ok,
                count_429(&server) - before.1,
                real.elapsed(),
            );
            tokio::time::sleep(Duration::from_secs(61)).await;
        }
    });
}

fn main() {
    match std::env::var("BENCH_ROLE").as_deref() {
        Ok("serve") => return serve_world(),
        Ok("measure") => {
            let base = std::env::var("BENCH_BASE").unwrap();
            let limit = std::env::var("BENCH_LIMIT").unwrap().parse().unwrap();
            let floor = std::env::var("BENCH_FLOOR").as_deref() == Ok("1");
            return measure_search(&base, limit, floor);
        }
        _ => {}
    }
    let part = std::env::var("BENCH_PART").ok();
    let runs = |n: &str| part.as_deref().is_none_or(|p| p == n);
    if runs("1") {
        println!("## 1. Decoding");
        decoding();
    }
    if runs("2") {
        println!("\n## 2. Memory of a search");
        memory();
    }
    if runs("3") {
        println!("\n## 3. Bulk jobs at the rate limit (200 per 60 s), paused clock");
        rate_limited();
    }
}
