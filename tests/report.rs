//! The support report: redaction over crafted inputs (every secret is searched for in the whole
//! JSON and Markdown output), its switches, parsing errors and replay.

use gateway_doctor::report::{
    self, RecordedDiagnosis, RemedyTried, Report, ReportInput, ALLOWED_HEADERS, EXCERPT_MAX_CHARS,
    REPORT_SCHEMA, WARN_EXCERPT, WARN_QUERY_KEPT,
};
use gateway_doctor::{diagnose, Header, Observation};

const SECRETS: &[&str] = &[
    "URLUSER",
    "URLPASS",
    "QUERYSECRET",
    "FRAGSECRET",
    "COOKIESECRET",
    "SETCOOKIESECRET",
    "AUTHSECRET",
    "PROXYAUTHSECRET",
    "APIKEYSECRET",
    "CUSTOMHDRSECRET",
    "BODYSECRET",
    "FORMSECRET",
];

const NGINX_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n";

fn hostile_observation() -> Observation {
    Observation {
        url: "https://URLUSER:URLPASS@shop.example:8443/checkout/step2?card=QUERYSECRET&x=1#FRAGSECRET".into(),
        method: Some("POST".into()),
        status: Some(502),
        status_line: Some("HTTP/1.1 502 Bad Gateway".into()),
        headers: vec![
            Header::new("Server", "nginx/1.18.0"),
            Header::new("Date", "Sat, 21 Nov 2026 16:03:12 GMT"),
            Header::new("Content-Type", "text/html"),
            Header::new("X-Request-Id", "req-12345"),
            Header::new("CF-RAY", "8e1f2a3b4c5d6e7f-FRA"),
            Header::new("Set-Cookie", "sid=SETCOOKIESECRET; HttpOnly"),
            Header::new("set-cookie", "other=SETCOOKIESECRET"),
            Header::new("Cookie", "sid=COOKIESECRET"),
            Header::new("Authorization", "Bearer AUTHSECRET"),
            Header::new("Proxy-Authorization", "Basic PROXYAUTHSECRET"),
            Header::new("X-Api-Key", "APIKEYSECRET"),
            Header::new("X-Debug-Token", "CUSTOMHDRSECRET"),
            // Near-misses of allow-listed names must not pass either.
            Header::new("server-timing", "CUSTOMHDRSECRET"),
            Header::new("x-cache-key", "CUSTOMHDRSECRET"),
        ],
        body: Some(format!(
            "{NGINX_502}<!-- BODYSECRET --><form><input name=card value=FORMSECRET></form>"
        )),
        body_truncated: false,
        net_error: None,
        browser: Some("chrome/131".into()),
        os: Some("linux".into()),
        observed_at: Some("2026-11-21T17:03:12.345+01:00".into()),
    }
}

fn input(obs: Observation) -> ReportInput {
    ReportInput {
        diagnosis: Some((&diagnose(&obs)).into()),
        observation: obs,
        body_summary: None,
        remedies_tried: vec![RemedyTried {
            id: "hard_refresh".into(),
            outcome: "still_failing".into(),
            at: Some("2026-11-21T16:04:00Z".into()),
        }],
        recent_failures: 3,
        keep_query: false,
        include_excerpt: false,
        local_time: Some("2026-11-21 17:03:12 +01:00".into()),
        time_zone: Some("Europe/Berlin".into()),
        extension_version: Some("0.1.0".into()),
        browser: Some("chrome/131".into()),
        os: Some("linux".into()),
        generated_at: None,
    }
}

fn assert_absent(out: &str, secrets: &[&str], what: &str) {
    for s in secrets {
        assert!(!out.contains(s), "{what} leaks {s}:\n{out}");
    }
}

#[test]
fn no_secret_reaches_json_or_markdown() {
    let built = report::build_all(&input(hostile_observation()));
    assert_absent(&built.json, SECRETS, "JSON");
    assert_absent(&built.markdown, SECRETS, "Markdown");
    // The serialised report object (what the WASM boundary hands to JS) too.
    assert_absent(
        &serde_json::to_string(&built.report).unwrap(),
        SECRETS,
        "report",
    );
    // No header names beyond the allow-list, in any case spelling.
    for name in [
        "cookie",
        "authorization",
        "x-api-key",
        "x-debug-token",
        "server-timing",
    ] {
        assert!(
            !built
                .json
                .to_ascii_lowercase()
                .contains(&format!("\"{name}\"")),
            "{name}"
        );
    }
    let r = &built.report;
    assert_eq!(r.request.url, "https://shop.example:8443/checkout/step2");
    assert!(!r.request.query_kept);
    assert!(r.warnings.is_empty());
    assert_eq!(r.response.excerpt, None);
    let names: Vec<_> = r.response.headers.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(
        names,
        ["server", "date", "content-type", "x-request-id", "cf-ray"]
    );
    assert!(names.iter().all(|n| ALLOWED_HEADERS.contains(n)));
}

#[test]
fn report_carries_what_support_asks_for() {
    let built = report::build_all(&input(hostile_observation()));
    let r = &built.report;
    assert_eq!(r.report_schema, REPORT_SCHEMA);
    assert_eq!(r.request.method.as_deref(), Some("POST"));
    assert_eq!(r.response.status, Some(502));
    assert_eq!(
        r.response.status_line.as_deref(),
        Some("HTTP/1.1 502 Bad Gateway")
    );
    assert_eq!(r.time.utc.as_deref(), Some("2026-11-21T16:03:12Z"));
    assert_eq!(r.time.local.as_deref(), Some("2026-11-21 17:03:12 +01:00"));
    assert_eq!(r.time.time_zone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(r.client.browser.as_deref(), Some("chrome/131"));
    assert_eq!(r.client.os.as_deref(), Some("linux"));
    assert_eq!(r.versions.extension.as_deref(), Some("0.1.0"));
    assert_eq!(r.versions.engine, gateway_doctor::VERSION);
    assert_eq!(r.versions.signatures, gateway_doctor::signatures::VERSION);
    assert_eq!(r.recent_failures, 3);
    assert_eq!(r.remedies_tried[0].id, "hard_refresh");
    assert_eq!(
        r.response.body_length,
        Some(hostile_observation().body.unwrap().len() as u64)
    );
    let d = diagnose(&hostile_observation());
    assert_eq!(r.diagnosis, RecordedDiagnosis::from_diagnosis(&d));
    assert_eq!(r.ids.len(), d.ids.len());
    // JSON starts with the schema version and round-trips.
    assert!(built
        .json
        .trim_start()
        .starts_with("{\n  \"report_schema\": 1,"));
    assert_eq!(&report::parse(&built.json).unwrap(), r);
    // Markdown names the essentials.
    let md = &built.markdown;
    for needle in [
        "`https://shop.example:8443/checkout/step2`",
        "`502` (`HTTP/1.1 502 Bad Gateway`)",
        "`2026-11-21T16:03:12Z`",
        "`Europe/Berlin`",
        "| `server` | `nginx/1.18.0` |",
        "| `cf-ray` | `8e1f2a3b4c5d6e7f-FRA` |",
        "`hard_refresh`: `still_failing`",
        &format!("family `{}`", d.family),
    ] {
        assert!(md.contains(needle), "markdown lacks {needle}:\n{md}");
    }
}

#[test]
fn keep_query_keeps_query_and_fragment_with_a_warning_but_never_userinfo() {
    let mut i = input(hostile_observation());
    i.keep_query = true;
    let built = report::build_all(&i);
    assert_eq!(
        built.report.request.url,
        "https://shop.example:8443/checkout/step2?card=QUERYSECRET&x=1#FRAGSECRET"
    );
    assert!(built.report.request.query_kept);
    assert_eq!(built.report.warnings, [WARN_QUERY_KEPT]);
    assert!(built
        .markdown
        .contains("**Warning:** the URL keeps its query string"));
    assert_absent(
        &built.json,
        &["URLUSER", "URLPASS", "COOKIESECRET", "AUTHSECRET"],
        "JSON",
    );
    assert_absent(
        &built.markdown,
        &["URLUSER", "URLPASS", "BODYSECRET"],
        "Markdown",
    );
}

#[test]
fn excerpt_is_opt_in_tag_stripped_and_capped() {
    let mut obs = hostile_observation();
    obs.body = Some(format!(
        "<html><head><script>var token='SCRIPTSECRET'</script><style>.a{{}}</style></head>\
         <body><h1>502 Bad Gateway</h1><p>{}</p></body></html>",
        "word ".repeat(2000)
    ));
    let mut i = input(obs);
    i.include_excerpt = true;
    let built = report::build_all(&i);
    let ex = built.report.response.excerpt.clone().expect("excerpt");
    assert!(ex.starts_with("502 Bad Gateway word word"), "{ex}");
    assert!(ex.chars().count() <= EXCERPT_MAX_CHARS + 1 && ex.ends_with('…'));
    assert!(!ex.contains('<') && !ex.contains("SCRIPTSECRET"));
    assert_eq!(built.report.warnings, [WARN_EXCERPT]);
    assert_absent(&built.json, &["SCRIPTSECRET", "<h1>"], "JSON");
    assert!(built.markdown.contains("**Page text excerpt**"));
    // Off by default even when the body is there.
    let built = report::build_all(&input(hostile_observation()));
    assert!(!built.markdown.contains("excerpt"));
}

#[test]
fn hostile_values_cannot_break_out_of_markdown() {
    let mut obs = hostile_observation();
    obs.headers = vec![
        Header::new("server", "x` <img src=x onerror=alert(1)> | y\n## injected"),
        Header::new("via", "\u{202E}evil\u{202C} 1.1 proxy\u{0}\u{1b}[31m"),
    ];
    obs.body = Some("```\n# heading\n<script>alert(1)</script>".into());
    let mut i = input(obs);
    i.include_excerpt = true;
    let built = report::build_all(&i);
    let md = &built.markdown;
    assert!(
        md.contains("| `server` | `` x` <img src=x onerror=alert(1)> \\| y ## injected `` |"),
        "{md}"
    );
    assert!(!md.contains("\n## injected"));
    assert!(md.contains("| `via` | `evil 1.1 proxy[31m` |"), "{md}");
    assert!(!built.json.contains('\u{202E}') && !built.json.contains("\\u001b"));
    // The excerpt fence is longer than any backtick run inside it.
    assert!(md.contains("````text\n``` # heading\n````"), "{md}");
}

#[test]
fn remedy_times_accept_epoch_millis() {
    let json = r#"{"observation":{"url":"https://a.example/x?y"},
        "remedies_tried":[{"id":"wait_and_retry","outcome":"fixed","at":1795719792000}],
        "recent_failures":1,"keep_query":false,"include_excerpt":false}"#;
    let i: ReportInput = serde_json::from_str(json).unwrap();
    let r = report::build(&i);
    assert_eq!(
        r.remedies_tried[0].at.as_deref(),
        Some("2026-11-26T19:03:12Z")
    );
    assert_eq!(r.request.url, "https://a.example/x");
    // Without a diagnosis in the input, the engine supplies one.
    assert_eq!(
        r.diagnosis,
        RecordedDiagnosis::from_diagnosis(&diagnose(&i.observation))
    );
}

#[test]
fn parse_errors_are_one_line_with_position() {
    let e = report::parse("{\"report_schema\": 1,\n  \"diagnosis\": }")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2 column 16"), "{e}");
    assert!(!e.contains('\n'));
    let e = report::parse("{\"report_schema\": 2}")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unsupported report_schema 2"), "{e}");
    let e = report::parse("{\"report_schema\": \"1\"}")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unsupported report_schema \"1\""), "{e}");
    let e = report::parse("{\"schema\": 1}").unwrap_err().to_string();
    assert!(e.contains("not a Gateway Doctor report"), "{e}");
    // Valid JSON of the wrong shape is named as such, not "not valid JSON".
    for wrong in ["[]", "\"report\"", "42"] {
        let e = report::parse(wrong).unwrap_err().to_string();
        assert!(e.contains("a report is a JSON object"), "{e}");
        assert!(!e.contains("not valid JSON"), "{e}");
    }
    // A report without its response cannot be replayed: an error naming the field.
    let (json, _) = {
        let r = built_report(hostile_observation());
        let mut v: serde_json::Value = serde_json::from_str(&report::to_json(&r)).unwrap();
        v.as_object_mut().unwrap().remove("response");
        (v.to_string(), r)
    };
    let e = report::replay_json(&json).unwrap_err().to_string();
    assert!(e.contains("missing field `response`"), "{e}");
    assert!(!e.contains('\n'));
    let e = report::parse(
        "{\"report_schema\": 1, \"response\": {}, \"diagnosis\": {\"kind\": \"meltdown\"}}",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("unknown variant `meltdown`") && e.contains("line 1"),
        "{e}"
    );
}

fn built_report(obs: Observation) -> Report {
    report::build(&input(obs))
}

#[test]
fn replay_reports_each_differing_field() {
    let r = built_report(hostile_observation());
    let today = report::replay(&r).diagnosis;
    // Make the recorded diagnosis equal to what today's engine says of the report: agrees.
    let mut same = r.clone();
    same.diagnosis = RecordedDiagnosis::from_diagnosis(&today);
    let rep = report::replay_json(&report::to_json(&same)).unwrap();
    assert!(rep.agrees && rep.differences.is_empty());
    // Change what was recorded: each changed field is named with both values.
    let mut other = same.clone();
    other.diagnosis.family = "iis".into();
    other.diagnosis.code = Some(999);
    let rep = report::replay_json(&report::to_json(&other)).unwrap();
    assert!(!rep.agrees);
    let fields: Vec<_> = rep.differences.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(fields, ["family", "code"]);
    assert_eq!(rep.differences[0].recorded.as_deref(), Some("iis"));
    assert_eq!(
        rep.differences[0].replayed.as_deref(),
        Some(today.family.as_str())
    );
    assert_eq!(rep.differences[1].recorded.as_deref(), Some("999"));
}

#[test]
fn replay_observation_uses_only_report_contents() {
    let r = built_report(hostile_observation());
    let o = report::replay_observation(&r);
    assert_eq!(o.url, "https://shop.example:8443/checkout/step2");
    assert_eq!(o.status, Some(502));
    assert_eq!(o.header("server"), Some("nginx/1.18.0"));
    assert_eq!(o.header("cookie"), None);
    let dump = format!("{o:?}");
    assert_absent(&dump, SECRETS, "replayed observation");
    // A blank page is replayed as an empty body, not as "no body".
    let mut blank = hostile_observation();
    blank.body = Some("  \n ".into());
    let o = report::replay_observation(&built_report(blank));
    assert_eq!(o.body.as_deref(), Some(""));
    // A network error without a response.
    let net = Observation {
        url: "https://gone.example/".into(),
        net_error: Some("net::ERR_NAME_NOT_RESOLVED".into()),
        ..Default::default()
    };
    let o = report::replay_observation(&built_report(net));
    assert_eq!(
        (o.status, o.net_error.as_deref()),
        (None, Some("net::ERR_NAME_NOT_RESOLVED"))
    );
    assert_eq!(o.body, None);
}

/// End-to-end with the engine: a report built from the engine's own diagnosis replays to the
/// same diagnosis from what the report carries, with and without the excerpt.
#[test]
fn replay_agrees_with_the_recorded_diagnosis() {
    let mut cases = vec![hostile_observation()];
    cases.push(Observation {
        url: "https://gone.example/".into(),
        net_error: Some("net::ERR_NAME_NOT_RESOLVED".into()),
        ..Default::default()
    });
    cases.push(Observation {
        url: "https://blank.example/".into(),
        status: Some(502),
        body: Some(String::new()),
        ..Default::default()
    });
    cases.extend(corpus_observations());
    let failures = replay_disagreements(&cases);
    assert!(
        failures.is_empty(),
        "replay disagrees:\n{}",
        failures.join("\n")
    );
}

/// For every observation, both report variants (with and without excerpt): build the report
/// the popup would copy, replay it, and list the cases where today's engine disagrees.
fn replay_disagreements(cases: &[Observation]) -> Vec<String> {
    let mut failures = Vec::new();
    for obs in cases {
        for excerpt in [false, true] {
            let mut i = input(obs.clone());
            i.include_excerpt = excerpt;
            let r = report::build(&i);
            // Through the JSON text, as support receives it.
            let rep = report::replay_json(&report::to_json(&r)).unwrap();
            if !rep.agrees {
                failures.push(format!(
                    "{} (excerpt {excerpt}, status {:?}): {:?}",
                    obs.url, obs.status, rep.differences
                ));
            }
        }
    }
    failures
}

/// Property over the whole golden set: whatever a diagnosis rests on (a header such as
/// Express's `x-powered-by` or GitHub's `x-github-request-id`, a body phrase) is in its
/// report, so every fixture's report replays to the diagnosis it records. The verdicts come
/// from the engine, not from this test.
#[test]
fn every_golden_fixture_report_replays_to_itself() {
    let cases = golden_observations();
    assert!(cases.len() >= 170, "{} golden fixtures", cases.len());
    let failures = replay_disagreements(&cases);
    assert!(
        failures.is_empty(),
        "{} of {} fixtures' reports do not replay to themselves:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // And the reports of header-decided fixtures do carry the header.
    let express = cases
        .iter()
        .find(|o| o.header("x-powered-by") == Some("Express"))
        .expect("an Express fixture");
    let r = report::build(&input(express.clone()));
    assert!(
        r.response.headers.iter().any(|h| h.name == "x-powered-by"),
        "{:?}",
        r.response.headers
    );
}

/// The observations of `tests/fixtures/<case>/case.toml` (+ body), read as tests/golden.rs
/// reads them.
fn golden_observations() -> Vec<Observation> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fixtures")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|d| {
            let text = std::fs::read_to_string(d.join("case.toml"))
                .unwrap_or_else(|e| panic!("{}: {e}", d.display()));
            let case: toml::Table = toml::from_str(&text).unwrap();
            let s = |k: &str| case.get(k).and_then(|v| v.as_str()).map(str::to_string);
            let body = s("body")
                .map(|b| String::from_utf8_lossy(&std::fs::read(d.join(&b)).unwrap()).into_owned());
            let headers = case
                .get("headers")
                .and_then(|h| h.as_table())
                .map(|t| {
                    t.iter()
                        .map(|(k, v)| Header::new(k.clone(), v.as_str().unwrap_or_default()))
                        .collect()
                })
                .unwrap_or_default();
            Observation {
                // The fixture's name in the URL's fragment (reports drop it), so that a failure
                // names its case.
                url: format!(
                    "{}#{}",
                    s("url").unwrap_or_default(),
                    d.file_name().unwrap().to_string_lossy()
                ),
                status: case
                    .get("status")
                    .and_then(|v| v.as_integer())
                    .map(|n| n as u16),
                headers,
                body,
                body_truncated: case
                    .get("body_truncated")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false),
                net_error: s("net_error"),
                os: s("os"),
                ..Default::default()
            }
        })
        .collect()
}

/// The words a replay pads a body with must never be part of a signature phrase, or padding
/// could change a verdict.
#[test]
fn replay_padding_matches_no_signature_phrase() {
    let word = report::PAD_WORD.trim();
    for p in gateway_doctor::signatures::PATTERNS {
        assert!(
            !p.contains(word),
            "signature phrase {p:?} contains {word:?}"
        );
    }
}

/// Reports carry every header a signature reads (so they replay), which must never open the
/// door to credentials: no signature may read one, and none is reported even if one did.
#[test]
fn signature_headers_never_include_credentials() {
    for s in gateway_doctor::signatures::SIGNATURES {
        for r in s.headers {
            assert!(
                !report::NEVER_REPORTED.contains(&r.name),
                "signature {} reads {}",
                s.id,
                r.name
            );
        }
    }
    for name in report::NEVER_REPORTED {
        assert!(!report::is_allowed_header(name), "{name}");
        assert!(
            !report::is_allowed_header(&name.to_ascii_uppercase()),
            "{name}"
        );
    }
    assert!(report::is_allowed_header("X-Powered-By"));
    assert!(report::is_allowed_header("x-github-request-id"));
    assert!(!report::is_allowed_header("x-api-key"));
}

/// The extension stores a body's summary instead of the body (issue 13 item 3): a report built
/// from the summary says the same about the body as one built from the body itself.
#[test]
fn report_from_body_summary_matches_report_from_body() {
    let bodies = [
        "<html><head><title>502 Bad Gateway</title><style>p{}</style></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
        "   \n ",
        "",
    ];
    let multibyte = "Ошибка 502: シ ステム障害 — 服务器错误 ".repeat(400);
    for body in bodies.into_iter().chain([multibyte.as_str()]) {
        for include_excerpt in [false, true] {
            let obs = Observation {
                url: "https://shop.example/cart".into(),
                status: Some(502),
                body: Some(body.into()),
                ..Default::default()
            };
            let mut with_body = input(obs.clone());
            with_body.include_excerpt = include_excerpt;
            let mut with_summary = input(Observation { body: None, ..obs });
            with_summary.include_excerpt = include_excerpt;
            with_summary.diagnosis = with_body.diagnosis.clone();
            with_summary.body_summary = Some(report::body_summary(body));
            let a = report::build(&with_body);
            let b = report::build(&with_summary);
            assert_eq!(
                a.response,
                b.response,
                "body {:?}… excerpt {include_excerpt}",
                &body.chars().take(20).collect::<String>()
            );
            assert_eq!(a.warnings, b.warnings);
        }
    }
    // The summary's excerpt is capped however long the page is.
    let long = "<p>x</p>".repeat(50_000);
    let s = report::body_summary(&long);
    assert_eq!(s.length, long.len() as u64);
    assert!(s.excerpt.unwrap().chars().count() <= report::EXCERPT_MAX_CHARS + 1);
}

/// The real pages of `tests/corpus` as observations. The corpus is part of the repository, so
/// a missing `cases.json` fails the test instead of quietly replaying fewer cases.
fn corpus_observations() -> Vec<Observation> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let cases = std::fs::read_to_string(dir.join("cases.json"))
        .unwrap_or_else(|e| panic!("{}/cases.json: {e}", dir.display()));
    let cases: Vec<serde_json::Value> = serde_json::from_str(&cases).unwrap();
    assert!(cases.len() >= 30, "corpus has {} cases", cases.len());
    cases
        .iter()
        .map(|c| {
            let file = c["file"].as_str().unwrap();
            let body = std::fs::read(dir.join(file)).unwrap();
            let headers = c["headers"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| Header::new(k.clone(), v.as_str().unwrap_or_default()))
                        .collect()
                })
                .unwrap_or_default();
            Observation {
                url: format!("https://corpus.example/{file}"),
                status: c["status"].as_u64().map(|s| s as u16),
                headers,
                body: Some(String::from_utf8_lossy(&body).into_owned()),
                ..Default::default()
            }
        })
        .collect()
}
