//! HAR streaming benchmark (plain binary, `harness = false`): generates a ~100 MB Chrome-style
//! HAR in `target/bench/`, runs the optimised CLI on it, and prints peak RSS and entries/s.
//! Fails (exit 1) when peak RSS exceeds the bound, because that means the file is no longer
//! streamed. Run with `cargo bench --bench har` or `scripts/bench-har.sh`.
//!
//! Env: `GD_HAR_BENCH_MB` (default 100) sets the file size.

#[path = "../../../tests/har/gen.rs"]
mod gen;

use std::io::BufWriter;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Instant;

/// Peak RSS bound for the CLI on any HAR size. Streaming keeps it near a few MB; reading the
/// file whole would need more than the file itself.
const BOUND_MB: f64 = 64.0;

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let mb: u64 = std::env::var("GD_HAR_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("create target/bench");
    let path = dir.join(format!("har-{mb}mb.har"));

    let t = Instant::now();
    let file = std::fs::File::create(&path).expect("create HAR");
    let g = gen::write_har_of_size(&mut BufWriter::new(file), mb * 1_000_000).expect("write HAR");
    eprintln!(
        "generated {} ({:.1} MB, {} entries) in {:.1} s",
        path.display(),
        g.bytes as f64 / 1e6,
        g.entries,
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_gateway-doctor"))
        .args(["har", "--json"])
        .arg(&path)
        .env("GATEWAY_DOCTOR_PEAK_RSS", "1")
        .output()
        .expect("run gateway-doctor");
    let secs = t.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        eprintln!("gateway-doctor failed: {stderr}");
        return ExitCode::FAILURE;
    }
    let rows = serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .ok()
        .and_then(|v| v.as_array().map(Vec::len));
    if rows != Some(g.failed_doc_xhr) {
        eprintln!("expected {} rows, got {rows:?}", g.failed_doc_xhr);
        return ExitCode::FAILURE;
    }
    let Some(peak_kb) = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak RSS: "))
        .and_then(|v| v.trim_end_matches(" kB").trim().parse::<f64>().ok())
    else {
        eprintln!("no peak RSS reported (needs Linux /proc): {stderr}");
        return ExitCode::FAILURE;
    };
    let peak_mb = peak_kb / 1024.0;
    let summary = serde_json::json!({
        "har_mb": g.bytes as f64 / 1e6,
        "entries": g.entries,
        "rows": g.failed_doc_xhr,
        "seconds": secs,
        "entries_per_s": g.entries as f64 / secs,
        "mb_per_s": g.bytes as f64 / 1e6 / secs,
        "peak_rss_mb": peak_mb,
        "bound_mb": BOUND_MB,
    });
    let _ = std::fs::write(dir.join("har.json"), format!("{summary:#}\n"));
    println!(
        "har: {:.1} MB, {} entries in {secs:.2} s: {:.0} entries/s, {:.1} MB/s, peak RSS {peak_mb:.1} MB (bound {BOUND_MB} MB)",
        g.bytes as f64 / 1e6,
        g.entries,
        g.entries as f64 / secs,
        g.bytes as f64 / 1e6 / secs
    );
    let _ = std::fs::remove_file(&path);
    if peak_mb > BOUND_MB {
        eprintln!("FAIL: peak RSS {peak_mb:.1} MB exceeds {BOUND_MB} MB");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
