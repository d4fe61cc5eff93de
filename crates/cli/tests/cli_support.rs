//! `gateway-doctor har` and `gateway-doctor report` as a support person runs them: output,
//! exit codes (0 / 1 differs / 2 bad input with one line on stderr) and bounded memory.

#[path = "../../../tests/har/gen.rs"]
mod gen;

mod common;

use std::process::{Command, Output};

use common::{assert_bad_input, stderr, stdout, tmp, write_tmp};
use gateway_doctor::report::{self, RecordedDiagnosis, ReportInput};
use gateway_doctor::{Header, Observation};

fn bin() -> Command {
    common::exe()
}

fn run(args: &[&str]) -> Output {
    common::run(args)
}

fn fixture(name: &str) -> String {
    common::repo_tests(&format!("har/{name}"))
}

/// The `peak RSS: N kB` line the CLI writes on stderr when `GATEWAY_DOCTOR_PEAK_RSS` is set, in kB.
fn peak_rss_kb(err: &str) -> u64 {
    err.lines()
        .find_map(|l| l.strip_prefix("peak RSS: "))
        .and_then(|v| v.trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS line in {err:?}"))
}

/// The table's rows (the lines that start with an entry number), without their detail lines.
fn table_rows(out: &str) -> Vec<&str> {
    out.lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| !l.trim_start().starts_with('↳'))
        .collect()
}

fn first_col(rows: &[&str]) -> Vec<String> {
    rows.iter()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect()
}

#[test]
fn har_table_lists_failed_document_and_xhr_entries() {
    let o = run(&["har", &fixture("chrome-shop.har")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let rows = table_rows(&out);
    assert_eq!(first_col(&rows), ["1", "3", "4", "8"], "{out}");
    assert!(rows[2].contains("net::ERR_NAME_NOT_RESOLVED"), "{out}");
    assert!(rows[0].contains("502") && rows[0].contains("https://shop.example/?utm_source"));
    // Each row has its detail line: timings, server, page, the headers the verdict rests on.
    let detail = out.lines().nth(2).unwrap();
    assert!(detail.trim_start().starts_with('↳'), "{out}");
    assert!(
        detail.contains("wait ") && detail.contains("server 192.0.2.10"),
        "{detail}"
    );
    assert!(detail.contains("evidence server: nginx/1.18.0"), "{detail}");
    // The failed favicon is counted, and named as listable.
    assert!(
        out.contains("9 entries, 5 failed; listed: 4 failed document/XHR entries (1 failed entry of another type: --all-failed lists it)"),
        "{out}"
    );
    assert!(
        stderr(&o).is_empty(),
        "no progress line when stderr is not a terminal"
    );

    let all = stdout(&run(&["har", &fixture("chrome-shop.har"), "--all"]));
    assert!(all.contains("listed: 7 document/XHR entries"), "{all}");
    let all_failed = stdout(&run(&["har", &fixture("chrome-shop.har"), "--all-failed"]));
    assert_eq!(
        first_col(&table_rows(&all_failed)),
        ["1", "2", "3", "4", "8"],
        "{all_failed}"
    );
    assert!(
        all_failed.contains("listed: 5 failed entries"),
        "{all_failed}"
    );
}

#[test]
fn har_json_is_the_rows_with_diagnoses() {
    let o = run(&["har", "--json", &fixture("firefox-wiki.har")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    let rows = rows.as_array().unwrap();
    let idx: Vec<u64> = rows.iter().map(|r| r["index"].as_u64().unwrap()).collect();
    assert_eq!(idx, [0, 2, 3]);
    assert_eq!(rows[0]["status"], 502);
    assert_eq!(rows[0]["resource_type"], "document");
    assert_eq!(rows[0]["main_document"], true);
    assert_eq!(rows[2]["net_error"], "no response (HAR status 0)");
    assert_eq!(rows[0]["diagnosis"]["schema"], 1);
    // The library's rows (and so WASM's diagnoseHar), with the remedies named by id rather
    // than repeated whole in every row.
    let text = std::fs::read_to_string(fixture("firefox-wiki.har")).unwrap();
    let lib = gateway_doctor::har::diagnose_str(&text, false).unwrap();
    // Compared through text on both sides: an f32 confidence prints the same either way but
    // widens to a different f64 when converted straight to a Value.
    let mut lib: serde_json::Value =
        serde_json::from_str(&serde_json::to_string(&lib).unwrap()).unwrap();
    for r in lib.as_array_mut().unwrap() {
        let d = r["diagnosis"].as_object_mut().unwrap();
        let ids: Vec<serde_json::Value> = d["remedies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].clone())
            .collect();
        assert!(!ids.is_empty());
        d.remove("remedies");
        d.insert("remedy_ids".into(), ids.into());
    }
    assert_eq!(lib, serde_json::Value::Array(rows.clone()));
    // An empty selection is still valid JSON.
    let none = write_tmp("empty.har", r#"{"log":{"version":"1.2","entries":[]}}"#);
    let o = run(&["har", "--json", &none]);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap(),
        serde_json::json!([])
    );
}

/// `--json` rows carry no repeated bulk: a thousand identical failures cost a few hundred
/// bytes each, not the ~5 KB of remedies each diagnosis renders.
#[test]
fn har_json_rows_are_compact() {
    let mut buf = Vec::new();
    let g = gen::write_har(&mut buf, 2_000, 10).unwrap();
    let path = write_tmp("compact.har", &buf);
    let o = run(&["har", "--json", &path]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), g.failed_doc_xhr);
    let per_row = o.stdout.len() / g.failed_doc_xhr;
    let full = serde_json::to_string(
        &gateway_doctor::har::diagnose_str(std::str::from_utf8(&buf).unwrap(), false).unwrap(),
    )
    .unwrap()
    .len()
        / g.failed_doc_xhr;
    assert!(
        per_row * 3 < full,
        "{per_row} bytes per row, {full} with whole remedies"
    );
    // Repeats are grouped: the same failing URL points at its first row.
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["repeat_of"].is_null() || r["repeat_of"].as_u64() < r["index"].as_u64()));
}

#[test]
fn har_bad_input_exits_2_with_one_line() {
    let good = std::fs::read_to_string(fixture("chrome-shop.har")).unwrap();
    let trunc = write_tmp("truncated.har", &good[..good.len() * 2 / 3]);
    assert_bad_input(
        &run(&["har", &trunc]),
        &["HAR:", "EOF", "line ", "column ", "truncated"],
    );
    // Rows were found before the file broke off: still nothing on stdout, in either form.
    assert_bad_input(&run(&["har", "--json", &trunc]), &["truncated"]);
    assert_bad_input(&run(&["har", "--all", &trunc]), &["truncated"]);
    let v2 = write_tmp("v2.har", good.replacen("\"1.2\"", "\"2.0\"", 1));
    assert_bad_input(
        &run(&["har", &v2]),
        &["unsupported HAR version \"2.0\"", "line 3"],
    );
    let bad = write_tmp("malformed.har", good.replacen("\"pages\":", "\"pages\"", 1));
    assert_bad_input(&run(&["har", &bad]), &["expected `:`", "line ", "column "]);
    let bin = write_tmp("binary.har", [0x89u8, b'P', b'N', b'G', 0, 0xff, 0xfe]);
    assert_bad_input(&run(&["har", &bin]), &["line 1 column 1"]);
    assert_bad_input(
        &run(&["har", "/nonexistent/x.har"]),
        &["cannot read /nonexistent/x.har"],
    );
    assert_bad_input(&run(&["har"]), &["usage: gateway-doctor har"]);
    assert_bad_input(
        &run(&["har", "a.har", "--bogus"]),
        &["unknown option '--bogus'"],
    );
    let dir = tmp("");
    assert_bad_input(&run(&["har", dir.to_str().unwrap()]), &["HAR"]);
}

fn sample_report_json() -> (String, gateway_doctor::report::Report) {
    let obs = Observation {
        url: "https://user:pw@shop.example/cart?coupon=SECRET".into(),
        status: Some(502),
        headers: vec![
            Header::new("server", "nginx/1.18.0"),
            Header::new("cookie", "sid=SECRET"),
        ],
        body: Some("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx/1.18.0</center></body></html>".into()),
        ..Default::default()
    };
    let r = report::build(&ReportInput {
        observation: obs,
        ..Default::default()
    });
    // Record exactly what today's engine makes of the report, so this test is about the CLI's
    // exit codes and not about the engine's verdicts.
    let mut r = r;
    r.diagnosis = RecordedDiagnosis::from_diagnosis(&report::replay(&r).diagnosis);
    (report::to_json(&r), r)
}

#[test]
fn report_exit_0_when_today_agrees_and_1_when_it_differs() {
    let (json, r) = sample_report_json();
    assert!(!json.contains("SECRET"));
    let path = write_tmp("agrees.json", &json);
    let o = run(&["report", &path]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("today's engine agrees"),
        "{}",
        stdout(&o)
    );

    let mut other = r.clone();
    other.diagnosis.family = "iis".into();
    let path = write_tmp("differs.json", report::to_json(&other));
    let o = run(&["report", &path]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("differs"), "{out}");
    assert!(
        out.contains(&format!(
            "family: recorded iis, today {}",
            r.diagnosis.family
        )),
        "{out}"
    );

    let o = run(&["report", "--json", &path]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["agrees"], false);
    assert_eq!(v["differences"][0]["field"], "family");
    assert_eq!(v["recorded"]["family"], "iis");
    assert_eq!(v["diagnosis"]["family"], r.diagnosis.family.as_str());

    // stdin works too.
    let mut child = bin()
        .args(["report", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(json.as_bytes())
        .unwrap();
    assert_eq!(child.wait_with_output().unwrap().status.code(), Some(0));
}

#[test]
fn report_bad_input_exits_2_with_one_line() {
    let bad = write_tmp(
        "bad.json",
        "{\n  \"report_schema\": 1,\n  \"diagnosis\": {\n}",
    );
    assert_bad_input(&run(&["report", &bad]), &["report", "line 4 column 1"]);
    let v2 = write_tmp("v2.json", "{\"report_schema\": 2, \"diagnosis\": {}}");
    assert_bad_input(&run(&["report", &v2]), &["unsupported report_schema 2"]);
    let har = fixture("chrome-shop.har");
    assert_bad_input(&run(&["report", &har]), &["not a Gateway Doctor report"]);
    let bin = write_tmp("bin.json", [b'{', 0xff, 0xfe, b'}']);
    assert_bad_input(&run(&["report", &bin]), &["not UTF-8 text", "offset 1"]);
    assert_bad_input(
        &run(&["report", "/nonexistent.json"]),
        &["cannot read /nonexistent.json"],
    );
    assert_bad_input(&run(&["report"]), &["usage: gateway-doctor report"]);
}

/// Budget check (not a timing test): a ~40 MB HAR is read with a peak RSS under a fixed bound,
/// which only holds if the file is streamed. Prints the figure; `scripts/bench-har.sh` does
/// the same for 100 MB with a release build.
#[test]
fn large_har_streams_with_bounded_memory() {
    const BOUND_KB: u64 = 64 * 1024;
    let path = tmp("large.har");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let g = gen::write_har_of_size(&mut f, 40_000_000).unwrap();
    drop(f);
    let start = std::time::Instant::now();
    let o = bin()
        .args(["har", "--json", path.to_str().unwrap()])
        .env("GATEWAY_DOCTOR_PEAK_RSS", "1")
        .output()
        .unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), g.failed_doc_xhr);
    let err = stderr(&o);
    let kb = peak_rss_kb(&err);
    println!(
        "HAR {:.1} MB, {} entries: peak RSS {:.1} MB (bound {} MB), {:.0} entries/s (debug build)",
        g.bytes as f64 / 1e6,
        g.entries,
        kb as f64 / 1024.0,
        BOUND_KB / 1024,
        g.entries as f64 / secs
    );
    assert!(kb < BOUND_KB, "peak RSS {kb} kB exceeds {BOUND_KB} kB");
    let _ = std::fs::remove_file(&path);
}

/// On a terminal, stderr shows a progress line (run under `script`, which gives the CLI a
/// pseudo-terminal); the table still goes to stdout.
#[test]
fn har_progress_on_a_terminal() {
    let path = tmp("progress.har");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    gen::write_har_of_size(&mut f, 8_000_000).unwrap();
    drop(f);
    let cmd = format!(
        "{} har {} > /dev/null",
        env!("CARGO_BIN_EXE_gateway-doctor"),
        path.display()
    );
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("util-linux `script` runs the CLI on a pseudo-terminal");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let tty = String::from_utf8_lossy(&o.stdout);
    assert!(tty.contains("reading HAR: "), "no progress line: {tty:?}");
    assert!(tty.contains("MB (") && tty.contains(" entries"), "{tty:?}");
    let _ = std::fs::remove_file(&path);
}

/// One entry with a 60 MB base64 body (a video, a dump): the reader cuts the string while
/// streaming, so peak memory stays far below the body's size instead of twice it.
#[test]
fn one_huge_body_streams_with_bounded_memory() {
    const BOUND_KB: u64 = 48 * 1024;
    let path = tmp("huge-body.har");
    let body = "PGgxPjUwMiBCYWQgR2F0ZXdheTwvaDE+".to_string() + &"QUFB".repeat(15_000_000);
    std::fs::write(
        &path,
        format!(
            r#"{{"log":{{"version":"1.2","entries":[{{"_resourceType":"document","request":{{"method":"GET","url":"https://v.example/"}},"response":{{"status":502,"content":{{"mimeType":"text/html","encoding":"base64","text":"{body}"}}}}}}]}}}}"#
        ),
    )
    .unwrap();
    drop(body);
    let o = bin()
        .args(["har", "--json", path.to_str().unwrap()])
        .env("GATEWAY_DOCTOR_PEAK_RSS", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows[0]["status"], 502);
    let err = stderr(&o);
    let kb = peak_rss_kb(&err);
    println!("60 MB body: peak RSS {:.1} MB", kb as f64 / 1024.0);
    assert!(kb < BOUND_KB, "peak RSS {kb} kB for one 60 MB body");
    let _ = std::fs::remove_file(&path);
}
