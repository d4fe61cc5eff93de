//! Real HAR files from public HAR projects' test suites (tests/har/real/, provenance and
//! licences in its README): every file is read, or refused with a one-line reason, and the
//! failed entries match an independent check written here with plain serde_json.

use std::path::{Path, PathBuf};
use std::process::Command;

use gateway_doctor::har::{self, Select};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("tests/har/real")
}

fn files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("tests/har/real")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "har"))
        .collect();
    v.sort();
    v
}

/// What the file should give, worked out without the library: `Err(reason)` when it is not
/// a readable HAR, else the indices of the failed entries (status 0 / absent / ≥ 400 or a
/// browser `_error`).
fn independent(bytes: &[u8]) -> Result<(usize, Vec<usize>), &'static str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| "HAR:")?;
    // HAR Viewer's JSONP: `name(` … `)`.
    let t = text.trim();
    let text = match t.find('(') {
        Some(i)
            if i > 0
                && t[..i]
                    .trim()
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            t[i + 1..]
                .trim_end()
                .trim_end_matches(';')
                .trim_end()
                .trim_end_matches(')')
        }
        _ => text,
    };
    let v: Value = serde_json::from_str(text).map_err(|_| "HAR:")?;
    let log = v.get("log").ok_or("no \"log\" member")?;
    let entries = log
        .get("entries")
        .and_then(Value::as_array)
        .ok_or("no \"entries\" list")?;
    let failed = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            let r = &e["response"];
            let status = match &r["status"] {
                Value::Number(n) => n.as_f64().map(|f| f as i64),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            let error = r["_error"].as_str().is_some_and(|s| !s.trim().is_empty());
            error || !status.is_some_and(|s| (100..=999).contains(&s)) || status >= Some(400)
        })
        .map(|(i, _)| i)
        .collect();
    Ok((entries.len(), failed))
}

#[test]
fn every_real_har_is_read_or_refused_and_failures_match() {
    let files = files();
    assert!(files.len() >= 25, "only {} real HAR files", files.len());
    let readme = std::fs::read_to_string(dir().join("README.md")).expect("provenance README");
    let mut creators = Vec::new();
    let mut refused = Vec::new();
    let mut failed_total = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            readme.contains(&format!("`{name}`")),
            "{name} has no provenance line in the README"
        );
        let bytes = std::fs::read(path).unwrap();
        let expect = independent(&bytes);
        // Both library paths: the string one (WASM) and the stream (CLI).
        let mut by_str = Vec::new();
        let text = String::from_utf8_lossy(&bytes);
        let s = har::scan_str(&text, &mut |i| {
            by_str.push(i);
            Ok(())
        });
        let mut by_stream = Vec::new();
        let r = har::scan_reader(bytes.as_slice(), &mut |i| {
            by_stream.push(i);
            Ok(())
        });
        match expect {
            Err(reason) => {
                for got in [s.map(|_| ()), r.map(|_| ())] {
                    let e = got.expect_err(&name).to_string();
                    assert!(e.contains(reason), "{name}: {e}");
                    assert!(!e.contains('\n'), "{name}: one line: {e}");
                }
                refused.push(name.clone());
            }
            Ok((entries, failed)) => {
                let (s, r) = (s.unwrap(), r.unwrap());
                assert_eq!((s.entries, r.entries), (entries, entries), "{name}");
                assert_eq!(s.failed, failed.len(), "{name}");
                assert_eq!(s, r, "{name}: string and stream agree");
                for items in [&by_str, &by_stream] {
                    let got: Vec<usize> =
                        items.iter().filter(|i| i.failed).map(|i| i.index).collect();
                    assert_eq!(got, failed, "{name}: failed entries");
                    let rows: Vec<usize> = items
                        .iter()
                        .filter_map(|i| {
                            har::select(
                                i,
                                Select {
                                    successful: false,
                                    other_types: true,
                                },
                            )
                        })
                        .map(|r| r.index)
                        .collect();
                    assert_eq!(rows, failed, "{name}: --all-failed rows");
                }
                for w in &s.warnings {
                    println!("{name}: warning: {w}");
                }
                failed_total += failed.len();
                creators.push(s.creator.unwrap_or_default());
            }
        }
    }
    println!("refused: {refused:?}\ncreators: {creators:?}\nfailed entries: {failed_total}");
    // Exactly the files that are not HAR captures are refused.
    assert_eq!(
        refused,
        [
            "har-to-k6-page.har",
            "har-validator-invalid.har",
            "harviewer-not-json.har",
            "harviewer-not-valid.har"
        ]
    );
    // The exporters support meets, all present.
    for c in [
        "WebInspector",
        "Firefox",
        "WebKit Web Inspector",
        "Fiddler",
        "Charles Proxy",
        "Insomnia",
        "Polly.JS",
        "Browsertime",
        "Firebug",
    ] {
        assert!(
            creators.iter().any(|x| x.starts_with(c)),
            "no {c} export in the corpus: {creators:?}"
        );
    }
    assert!(
        failed_total >= 10,
        "the corpus has failures to check: {failed_total}"
    );
}

/// The CLI over every file: exit 0 with rows equal to the failed entries, or exit 2 with one
/// line and nothing on stdout.
#[test]
fn the_cli_reads_every_real_har_or_refuses_in_one_line() {
    for path in files() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let o = Command::new(env!("CARGO_BIN_EXE_gateway-doctor"))
            .args(["har", "--json", "--all-failed"])
            .arg(&path)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        match independent(&std::fs::read(&path).unwrap()) {
            Err(_) => {
                assert_eq!(o.status.code(), Some(2), "{name}: {err}");
                assert_eq!(err.lines().count(), 1, "{name}: {err}");
                assert!(o.stdout.is_empty(), "{name}");
            }
            Ok((_, failed)) => {
                assert_eq!(o.status.code(), Some(0), "{name}: {err}");
                let rows: Value = serde_json::from_slice(&o.stdout).unwrap();
                let idx: Vec<usize> = rows
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["index"].as_u64().unwrap() as usize)
                    .collect();
                assert_eq!(idx, failed, "{name}");
                assert!(!err.contains("panicked"), "{name}: {err}");
            }
        }
    }
}
