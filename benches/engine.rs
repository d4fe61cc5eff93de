//! Native throughput and latency of `diagnose`, run by `make bench` (scripts/bench.sh).
//!
//! Reads `target/bench/corpus.json` (written by `node scripts/bench.mjs corpus`: every fixture
//! in tests/fixtures, every page of tests/corpus, synthetic 64 KB pages and the
//! adversarial inputs), so the native, WASM and JavaScript numbers are measured on exactly
//! the same bytes. Writes `target/bench/native.json`, which also carries each page's
//! family/kind/code so the JS side can check it gets identical answers.
//!
//! Plain `harness = false` binary: no benchmark framework to compile, and the figures we
//! need (MB/s, p50/p99 per call) are simple to compute directly.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use gateway_doctor::{diagnose, Observation};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
struct Corpus {
    pages: Vec<Page>,
    adversarial: Vec<Page>,
}

#[derive(Deserialize)]
struct Page {
    name: String,
    observation: Observation,
}

fn body_len(o: &Observation) -> usize {
    o.body.as_deref().map_or(0, str::len)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Calls `diagnose` on `obs` until `budget` is spent (at least `min_reps` times) and returns
/// the per-call times in microseconds.
fn time_calls(obs: &Observation, min_reps: usize, budget: Duration) -> Vec<f64> {
    let mut out = Vec::with_capacity(min_reps);
    let start = Instant::now();
    while out.len() < min_reps || start.elapsed() < budget {
        let t = Instant::now();
        std::hint::black_box(diagnose(std::hint::black_box(obs)));
        out.push(t.elapsed().as_secs_f64() * 1e6);
        if out.len() >= 100_000 {
            break;
        }
    }
    out
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would pass other flags. Only run
    // the measurements when asked for a benchmark so `cargo test --all-targets` stays fast.
    if !std::env::args().any(|a| a == "--bench") {
        println!("engine bench: skipped (run with `cargo bench --bench engine` or `make bench`)");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("target/bench");
    let corpus_path = dir.join("corpus.json");
    let corpus: Corpus = match std::fs::read(&corpus_path) {
        Ok(bytes) => serde_json::from_slice(&bytes).expect("target/bench/corpus.json is valid"),
        Err(e) => {
            eprintln!(
                "engine bench: cannot read {}: {e}\nrun `node scripts/bench.mjs corpus` first (make bench does)",
                corpus_path.display()
            );
            std::process::exit(1);
        }
    };

    // Warm-up: first calls build lazily-initialised matchers.
    for p in &corpus.pages {
        std::hint::black_box(diagnose(&p.observation));
    }

    // Each page counts once: its time is the median of its calls, so a fast page measured
    // 10 000 times does not outweigh a slow one measured 50 times. p50/p99 are over pages;
    // MB/s is the corpus's body bytes over the sum of the page times.
    let mut page_us = Vec::new();
    let mut small = Vec::new(); // pages up to 64 KB, the p99 goal's scope
    let mut total_bytes = 0usize;
    let mut total_us = 0.0f64;
    let mut results = Vec::new();
    for p in &corpus.pages {
        let mut times = time_calls(&p.observation, 20, Duration::from_millis(10));
        times.sort_by(f64::total_cmp);
        let med = percentile(&times, 0.5);
        let len = body_len(&p.observation);
        total_bytes += len;
        total_us += med;
        page_us.push(med);
        if len <= 64 * 1024 {
            small.push(med);
        }
        let d = diagnose(&p.observation);
        results.push(json!({
            "name": p.name, "bytes": len, "us": med,
            "kind": d.kind, "family": d.family, "code": d.code,
        }));
    }
    page_us.sort_by(f64::total_cmp);
    small.sort_by(f64::total_cmp);

    let mut adversarial = Vec::new();
    for p in &corpus.adversarial {
        let len = body_len(&p.observation);
        let times = time_calls(&p.observation, 3, Duration::from_millis(300));
        let mean_s = times.iter().sum::<f64>() / times.len() as f64 / 1e6;
        let d = diagnose(&p.observation);
        // The engine reads at most BODY_CAP bytes; MB/s is given for both the input and
        // the part actually scanned.
        let scanned = len.min(gateway_doctor::signatures::BODY_CAP);
        adversarial.push(json!({
            "name": p.name,
            "bytes": len,
            "scanned_bytes": scanned,
            "ms": mean_s * 1e3,
            "mb_s": len as f64 / 1e6 / mean_s,
            "mb_s_scanned": scanned as f64 / 1e6 / mean_s,
            "family": d.family,
            "kind": d.kind,
        }));
    }

    let summary = json!({
        "pages": corpus.pages.len(),
        "bytes": total_bytes,
        "mb_s": total_bytes as f64 / total_us,
        "us_per_page_p50": percentile(&page_us, 0.50),
        "us_per_page_p99": percentile(&page_us, 0.99),
        "us_per_page_max": page_us.last().copied().unwrap_or(0.0),
        "us_per_page_p99_le_64k": percentile(&small, 0.99),
        "adversarial": adversarial,
        "results": results,
    });
    std::fs::create_dir_all(&dir).expect("create target/bench");
    let out = dir.join("native.json");
    std::fs::write(&out, serde_json::to_vec_pretty(&summary).unwrap()).expect("write native.json");
    println!(
        "native: {} pages, {:.1} MB/s, p50 {:.1} µs, p99 {:.1} µs (≤64 KB: {:.1} µs) -> {}",
        corpus.pages.len(),
        summary["mb_s"].as_f64().unwrap_or(0.0),
        summary["us_per_page_p50"].as_f64().unwrap_or(0.0),
        summary["us_per_page_p99"].as_f64().unwrap_or(0.0),
        summary["us_per_page_p99_le_64k"].as_f64().unwrap_or(0.0),
        out.display()
    );
}
