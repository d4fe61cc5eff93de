//! Classifies every page of the real-world corpus (`tests/corpus`, see its README for where
//! each page comes from) and requires the right family and code for each, and no server-error
//! alarm on the `not-an-error` near-misses. The corpus is part of the repository: a missing
//! `cases.json` is a failure, never a skip.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gateway_doctor::{diagnose, Header, Kind, Observation};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    file: String,
    status: Option<u16>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    family: String,
    code: Option<u32>,
}

fn corpus_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    assert!(
        dir.join("cases.json").is_file(),
        "{}/cases.json missing: the corpus is part of the repository",
        dir.display()
    );
    dir
}

fn load(dir: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(dir.join("cases.json")).expect("read cases.json");
    serde_json::from_str(&text).expect("parse cases.json")
}

fn observe(dir: &Path, c: &Case, with_headers: bool) -> Observation {
    let bytes = std::fs::read(dir.join(&c.file)).unwrap_or_else(|e| panic!("{}: {e}", c.file));
    Observation {
        url: "https://example.com/".into(),
        status: c.status,
        headers: if with_headers {
            c.headers
                .iter()
                .map(|(k, v)| Header::new(k.clone(), v.clone()))
                .collect()
        } else {
            Vec::new()
        },
        body: Some(String::from_utf8_lossy(&bytes).into_owned()),
        ..Default::default()
    }
}

#[test]
fn corpus_families_and_codes() {
    let dir = corpus_dir();
    let cases = load(&dir);
    // Every page file must be listed (and so tested): catches a case silently not run.
    let files = std::fs::read_dir(dir.join("pages")).unwrap().count();
    assert_eq!(cases.len(), files, "cases.json and pages/ disagree");
    assert!(
        cases.len() >= 30,
        "corpus unexpectedly small: {}",
        cases.len()
    );

    let mut failures = Vec::new();
    let mut checked = 0;
    for c in &cases {
        let d = diagnose(&observe(&dir, c, true));
        checked += 1;
        if c.family == "not-an-error" {
            if matches!(d.kind, Kind::ServerError | Kind::NetworkError) {
                failures.push(format!(
                    "{}: near-miss raised {:?} ({})",
                    c.file, d.kind, d.family
                ));
            }
        } else if d.family != c.family {
            failures.push(format!(
                "{}: family {} (want {})",
                c.file, d.family, c.family
            ));
        }
        if d.code != c.code {
            failures.push(format!("{}: code {:?} (want {:?})", c.file, d.code, c.code));
        }
        if c.family != "not-an-error" && d.kind == Kind::Ok {
            failures.push(format!("{}: error page diagnosed as ok", c.file));
        }
    }
    assert_eq!(checked, cases.len());
    assert!(
        failures.is_empty(),
        "corpus failures:\n{}",
        failures.join("\n")
    );
}

/// Real pages often arrive without the headers the corpus lists (support tickets, saved
/// pages). Every page whose body alone is distinctive must still get its family; this prints
/// the ones that need headers so a regression in body recognition is visible.
#[test]
fn corpus_without_headers() {
    let dir = corpus_dir();
    let mut need_headers = Vec::new();
    let mut alarms = Vec::new();
    for c in load(&dir) {
        let d = diagnose(&observe(&dir, &c, false));
        if c.family == "not-an-error" {
            if d.kind == Kind::ServerError {
                alarms.push(c.file.clone());
            }
        } else if d.family != c.family {
            need_headers.push(format!("{} -> {}", c.file, d.family));
        }
    }
    println!("pages needing headers to name the vendor: {need_headers:#?}");
    assert!(
        alarms.is_empty(),
        "near-misses alarmed without headers: {alarms:?}"
    );
    // Body-only recognition must cover the rest of the corpus. These pages name their vendor
    // only with the network's evidence: a Cloudflare page without `cf-ray`/`server: cloudflare`
    // is only a page that looks like Cloudflare's (any site can serve one), the AWS load
    // balancer's page looks like any nginx-style 502, and Traefik's text is Go's.
    let expected = [
        "pages/cloudflare-host-502-a.html -> generic",
        "pages/cloudflare-host-502-b.html -> generic",
        "pages/cloudflare-host-522.html -> generic",
        "pages/cloudflare-cdn-403.html -> generic",
        "pages/aws-alb-502.html -> generic",
    ];
    assert_eq!(
        need_headers, expected,
        "pages whose family needs headers changed"
    );
}
