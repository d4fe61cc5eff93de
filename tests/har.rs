//! The HAR parser over DevTools-style exports: which entries count, what each observation
//! carries, and one clear error (with position) for every kind of broken file.

#[path = "har/gen.rs"]
mod gen;

use gateway_doctor::har::{self, HarItem, ResourceClass, BODY_CAP};
use gateway_doctor::{Kind, Result};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/har/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn scan(text: &str) -> Result<(Vec<HarItem>, har::HarSummary)> {
    let mut v = Vec::new();
    let s = har::scan_str(text, &mut |i| {
        v.push(i);
        Ok(())
    })?;
    Ok((v, s))
}

fn err(text: &str) -> String {
    match scan(text) {
        Ok(_) => panic!("expected an error for {:?}", &text[..text.len().min(80)]),
        Err(e) => e.to_string(),
    }
}

#[test]
fn chrome_export_entries_and_fields() {
    let (items, summary) = scan(&fixture("chrome-shop.har")).unwrap();
    assert_eq!(summary.entries, 9);
    assert_eq!(summary.version.as_deref(), Some("1.2"));
    assert_eq!(summary.creator.as_deref(), Some("WebInspector 537.36"));
    let classes: Vec<_> = items.iter().map(|i| i.class).collect();
    use ResourceClass::*;
    assert_eq!(
        classes,
        [Document, Document, Other, Xhr, Xhr, Xhr, Other, Xhr, Document]
    );
    let failed: Vec<_> = items.iter().filter(|i| i.failed).map(|i| i.index).collect();
    assert_eq!(failed, [1, 2, 3, 4, 8], "301/204/200 are not failures");

    let doc = &items[1].observation;
    assert_eq!(doc.status, Some(502));
    assert_eq!(doc.status_line.as_deref(), Some("HTTP/2.0 502"));
    assert_eq!(doc.header("server"), Some("nginx/1.18.0"));
    assert!(doc
        .body
        .as_deref()
        .unwrap()
        .contains("<center>nginx/1.18.0</center>"));
    assert_eq!(doc.browser.as_deref(), Some("chrome"));
    assert_eq!(doc.observed_at.as_deref(), Some("2026-11-21T16:03:10.120Z"));
    assert_eq!(doc.net_error, None);

    // The base64 body is decoded before the engine sees it.
    let xhr = &items[3].observation;
    assert_eq!(xhr.method.as_deref(), Some("POST"));
    assert_eq!(
        xhr.body.as_deref(),
        Some("<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n")
    );

    // Chrome's `_error` becomes the network error; no status.
    let dns = &items[4].observation;
    assert_eq!(dns.status, None);
    assert_eq!(dns.net_error.as_deref(), Some("net::ERR_NAME_NOT_RESOLVED"));
    assert_eq!(
        items[8].observation.net_error.as_deref(),
        Some("net::ERR_ABORTED")
    );

    // A 204 without text is an empty body, not an unknown one.
    assert_eq!(items[5].observation.body.as_deref(), Some(""));
    // The redirect's location stays a header; the entry is not a failure.
    assert_eq!(items[0].observation.status, Some(301));
}

#[test]
fn firefox_export_without_resource_type() {
    let (items, summary) = scan(&fixture("firefox-wiki.har")).unwrap();
    assert_eq!(summary.entries, 6);
    assert_eq!(summary.creator.as_deref(), Some("Firefox 128.0"));
    use ResourceClass::*;
    let classes: Vec<_> = items.iter().map(|i| i.class).collect();
    // Sec-Fetch-Dest document/style/empty/empty, then Accept: text/html, then image/png MIME.
    assert_eq!(classes, [Document, Other, Xhr, Xhr, Document, Other]);
    let failed: Vec<_> = items.iter().filter(|i| i.failed).map(|i| i.index).collect();
    assert_eq!(failed, [0, 1, 2, 3, 5]);

    let doc = &items[0].observation;
    assert_eq!(doc.status_line.as_deref(), Some("HTTP/1.1 502 Proxy Error"));
    assert_eq!(doc.browser.as_deref(), Some("firefox/128"));
    assert_eq!(doc.header("Server"), Some("Apache/2.4.57 (Debian)"));
    assert_eq!(
        doc.observed_at.as_deref(),
        Some("2026-11-21T17:03:12.345+01:00")
    );

    assert_eq!(
        items[2].observation.body.as_deref(),
        Some(""),
        "empty text is a blank body"
    );
    let none = &items[3].observation;
    assert_eq!(none.status, None);
    assert_eq!(
        none.net_error.as_deref(),
        Some("no response (HAR status 0)")
    );
}

#[test]
fn rows_select_failed_document_and_xhr_entries() {
    let text = fixture("chrome-shop.har");
    let rows = har::diagnose_str(&text, false).unwrap();
    let idx: Vec<_> = rows.iter().map(|r| r.index).collect();
    assert_eq!(
        idx,
        [1, 3, 4, 8],
        "the failed favicon (image) is not listed"
    );
    let all: Vec<_> = har::diagnose_str(&text, true)
        .unwrap()
        .iter()
        .map(|r| r.index)
        .collect();
    assert_eq!(all, [0, 1, 3, 4, 5, 7, 8]);
    let ff: Vec<_> = har::diagnose_str(&fixture("firefox-wiki.har"), false)
        .unwrap()
        .iter()
        .map(|r| r.index)
        .collect();
    assert_eq!(ff, [0, 2, 3]);
    // Rows carry the full diagnosis of the entry.
    assert_eq!(rows[0].status, Some(502));
    assert_eq!(rows[0].diagnosis.schema, gateway_doctor::SCHEMA);
    assert_eq!(
        rows[2].net_error.as_deref(),
        Some("net::ERR_NAME_NOT_RESOLVED")
    );
}

/// End-to-end verdicts: these depend on the engine (H2) recognising the pages.
#[test]
fn verdicts_for_fixture_entries() {
    let rows = har::diagnose_str(&fixture("chrome-shop.har"), false).unwrap();
    let nginx = &rows[0].diagnosis;
    assert_eq!(
        (nginx.kind, nginx.family.as_str(), nginx.code),
        (Kind::ServerError, "nginx", Some(502))
    );
    let dns = &rows[2].diagnosis;
    assert_eq!(
        (dns.kind, dns.family.as_str()),
        (Kind::NetworkError, "network")
    );
    assert_eq!(
        rows[3].diagnosis.kind,
        Kind::Ok,
        "ERR_ABORTED is the user stopping: no alarm"
    );
    let ff = har::diagnose_str(&fixture("firefox-wiki.har"), false).unwrap();
    assert_eq!(ff[0].diagnosis.family, "apache");
    assert_eq!(ff[0].diagnosis.code, Some(502));
}

#[test]
fn generated_har_with_many_entries() {
    let mut buf = Vec::new();
    let g = gen::write_har(&mut buf, 1_500, 300).unwrap();
    let text = String::from_utf8(buf).unwrap();
    let (items, summary) = scan(&text).unwrap();
    assert_eq!(summary.entries, 1_500);
    assert_eq!(items.len(), 1_500);
    assert!(items.iter().enumerate().all(|(k, i)| i.index == k));
    let rows = har::diagnose_str(&text, false).unwrap();
    assert_eq!(rows.len(), g.failed_doc_xhr);
    assert!(
        g.failed_doc_xhr >= 30,
        "generator makes enough failures: {g:?}"
    );
    assert_eq!(har::diagnose_str(&text, true).unwrap().len(), g.doc_xhr);
    // The streaming reader and the string parser agree.
    let mut streamed = 0;
    har::scan_reader(std::io::Cursor::new(text.as_bytes()), &mut |i| {
        streamed += usize::from(har::row_for(&i, false).is_some());
        Ok(())
    })
    .unwrap();
    assert_eq!(streamed, g.failed_doc_xhr);
}

#[test]
fn huge_body_is_capped() {
    let big = "x".repeat(3 * BODY_CAP);
    let text = format!(
        r#"{{"log":{{"version":"1.2","entries":[{{"_resourceType":"document","request":{{"url":"https://a.example/"}},
        "response":{{"status":500,"content":{{"size":{},"text":"{big}"}}}}}}]}}}}"#,
        big.len()
    );
    let (items, _) = scan(&text).unwrap();
    let o = &items[0].observation;
    assert!(o.body.as_ref().unwrap().len() <= BODY_CAP);
    assert!(o.body_truncated);
    // A base64 body that was cut while parsing decodes its whole quanta and is flagged.
    let b64 = "QUJD".repeat(BODY_CAP); // "ABC" × BODY_CAP, 4 × BODY_CAP chars
    let text = format!(
        r#"{{"log":{{"version":"1.2","entries":[{{"request":{{"url":"u"}},"response":{{"status":500,
        "content":{{"mimeType":"text/html","encoding":"base64","text":"{b64}"}}}}}}]}}}}"#
    );
    let (items, _) = scan(&text).unwrap();
    let body = items[0].observation.body.clone().unwrap();
    assert_eq!(body.len(), BODY_CAP);
    assert!(body.starts_with("ABCABC"));
    assert!(items[0].observation.body_truncated);
}

#[test]
fn lenient_fields_and_minimal_entries() {
    // Status as a string, missing response, null error: still read, not rejected.
    let text = r#"{"log":{"entries":[
        {"request":{"url":"https://a.example/","headers":[{"name":"Accept","value":"text/html"}]},
         "response":{"status":"503","_error":null,"content":{"text":null}}},
        {"request":{"url":"https://b.example/"}}
    ]}}"#;
    let (items, summary) = scan(text).unwrap();
    assert_eq!(
        summary.version, None,
        "absent version is accepted (HAR says 1.1)"
    );
    assert_eq!(items[0].observation.status, Some(503));
    assert_eq!(items[0].class, ResourceClass::Document);
    assert_eq!(items[1].observation.status, None);
    assert!(items[1].failed);
    // Empty version string means 1.1 per the HAR spec.
    let (_, s) = scan(r#"{"log":{"version":"","entries":[]}}"#).unwrap();
    assert_eq!(s.version.as_deref(), Some("1.1"));
}

#[test]
fn broken_files_give_one_line_with_position() {
    let good = fixture("chrome-shop.har");
    // Malformed: a missing comma between two members.
    let e = err(&good.replacen("\"status\": 502,", "\"status\": 502", 1));
    assert!(e.contains("line ") && e.contains("column "), "{e}");
    assert!(!e.contains('\n'), "one line: {e}");
    // Truncated in the middle.
    let e = err(&good[..good.len() / 2]);
    assert!(
        e.contains("EOF") && e.contains("truncated") && e.contains("line "),
        "{e}"
    );
    // Wrong HAR version, with its position.
    let e = err(&good.replacen("\"version\": \"1.2\"", "\"version\": \"2.0\"", 1));
    assert!(e.contains("unsupported HAR version \"2.0\""), "{e}");
    assert!(e.contains("line 3"), "position of the version: {e}");
    // Not a HAR at all.
    assert!(err("[1,2,3]").contains("expected a HAR file"));
    assert!(err("{\"foo\": 1}").contains("no \"log\" member"));
    assert!(err("").contains("EOF"));
    assert!(err("\u{0}\u{1}PK\u{3}\u{4}").contains("line 1 column 1"));
    assert!(err("{\"log\":{\"entries\":{}}}").contains("list of HAR entries"));
    assert!(err("{\"log\":{\"version\":\"1.2\"}} trailing").contains("trailing characters"));
    // An entry that is not an object is skipped with a warning naming it, not fatal.
    let (items, s) = scan("{\"log\":{\"entries\":[1, {\"request\":{\"url\":\"u\"}}]}}").unwrap();
    assert_eq!((items.len(), s.entries, s.skipped), (1, 2, 1));
    assert_eq!(items[0].index, 1);
    assert!(
        s.warnings[0].starts_with("entry 0: invalid type: a number"),
        "{:?}",
        s.warnings
    );
}

#[test]
fn never_panics_on_any_prefix_or_corruption() {
    let good = fixture("firefox-wiki.har");
    let bytes = good.as_bytes();
    for cut in (0..bytes.len()).step_by(37) {
        if let Ok(prefix) = std::str::from_utf8(&bytes[..cut]) {
            assert!(
                scan(prefix).is_err(),
                "a prefix of {cut} bytes must be an error"
            );
        }
    }
    // Flip bytes all over the file: any result is fine, a panic is not.
    for pos in (0..bytes.len()).step_by(53) {
        let mut b = bytes.to_vec();
        b[pos] = b"{}[],:\"0\\x"[pos % 10];
        if let Ok(s) = std::str::from_utf8(&b) {
            let _ = scan(s);
        }
    }
}

#[test]
fn callback_error_stops_the_scan_and_is_returned() {
    let text = fixture("chrome-shop.har");
    let mut seen = 0;
    let e = har::scan_str(&text, &mut |_| {
        seen += 1;
        if seen == 3 {
            Err(gateway_doctor::Error::Io("disk full".into()))
        } else {
            Ok(())
        }
    })
    .unwrap_err();
    assert_eq!(e, gateway_doctor::Error::Io("disk full".into()));
    assert_eq!(seen, 3);
}

/// One entry whose body is `text` (already JSON-escaped), as a HAR.
fn one_body_har(text: &str, base64: bool) -> String {
    let enc = if base64 {
        r#""encoding":"base64","#
    } else {
        ""
    };
    format!(
        r#"{{"log":{{"version":"1.2","entries":[{{"_resourceType":"document","request":{{"url":"https://a.example/"}},"response":{{"status":502,"content":{{"mimeType":"text/html",{enc}"text":"{text}"}}}}}}]}}}}"#
    )
}

fn stream(text: &str) -> Result<(Vec<HarItem>, har::HarSummary)> {
    let mut v = Vec::new();
    let s = har::scan_reader(text.as_bytes(), &mut |i| {
        v.push(i);
        Ok(())
    })?;
    Ok((v, s))
}

/// The streaming reader cuts long strings before parsing them; around the cut (escapes,
/// multi-byte characters, surrogate pairs straddling it) it must read what the string parser
/// reads, up to the body cap, and flag the cut.
#[test]
fn streaming_cut_agrees_with_the_string_parser() {
    let cap = har::STRING_CAP;
    let units = [
        "a",
        "é",
        "€",
        "😀",
        "\\n",
        "\\\"",
        "\\\\",
        "\\u00e9",
        "\\ud83d\\ude00",
        "\\/",
        "<b>",
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..60 {
        // A string of random units that ends a little before, at or after the cap.
        let mut s = String::new();
        let target = cap - 40 + round * 3;
        while s.len() < target {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            s.push_str(units[(seed % units.len() as u64) as usize]);
        }
        let har = one_body_har(&s, false);
        let (a, _) = scan(&har).unwrap();
        let (b, _) = stream(&har).unwrap_or_else(|e| panic!("round {round}: {e}"));
        let (oa, ob) = (&a[0].observation, &b[0].observation);
        let (ba, bb) = (oa.body.as_deref().unwrap(), ob.body.as_deref().unwrap());
        assert!(
            !bb.contains('\u{FDD0}'),
            "round {round}: the cut mark leaked"
        );
        // Both are cut at BODY_CAP bytes at most; the stream may cut earlier (at STRING_CAP
        // bytes as written), never differently before that.
        assert!(ba.starts_with(bb), "round {round}: stream read other text");
        if !ob.body_truncated {
            assert_eq!((bb, oa.body_truncated), (ba, false), "round {round}");
        }
        assert!(!oa.body_truncated || ob.body_truncated, "round {round}");
        // Longer than the cap by more than one escape or character: cut.
        assert!(s.len() <= cap + 12 || ob.body_truncated, "round {round}");
        assert!(bb.len() >= ba.len().min(BODY_CAP / 2), "round {round}");
    }
}

/// A 40 MB base64 body streams through in bounded memory and decodes to its first BODY_CAP
/// bytes, flagged as cut.
#[test]
fn huge_base64_body_is_cut_while_streaming() {
    let page = "<html><title>502 Bad Gateway</title><center>nginx</center>";
    let mut raw = page.as_bytes().to_vec();
    raw.resize(30_000_000, b' ');
    let b64 = base64_encode(&raw);
    let har = one_body_har(&b64, true);
    let (items, _) = stream(&har).unwrap();
    let o = &items[0].observation;
    let body = o.body.as_deref().unwrap();
    assert!(body.starts_with(page));
    assert!(
        body.len() <= BODY_CAP && body.len() >= BODY_CAP - 3,
        "{}",
        body.len()
    );
    assert!(o.body_truncated);
    assert_eq!(
        har::diagnose_str(&har, false).unwrap()[0].diagnosis.family,
        "nginx"
    );
}

fn base64_encode(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(b.len() / 3 * 4 + 4);
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for k in 0..c.len() + 1 {
            out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
        }
    }
    while out.len() % 4 != 0 {
        out.push('=');
    }
    out
}

/// A BOM and a JSONP wrapper, on both paths; a bare name or broken wrapper is still refused.
#[test]
fn bom_and_jsonp_on_both_paths() {
    let good = fixture("firefox-wiki.har");
    for text in [
        format!("\u{FEFF}{good}"),
        format!("onInputData({good})"),
        format!("\u{FEFF}  onInputData ( {good} ) ;\n"),
    ] {
        let (a, sa) = scan(&text).unwrap();
        let (b, sb) = stream(&text).unwrap();
        assert_eq!((a.len(), b.len()), (6, 6));
        assert_eq!(sa, sb);
        assert_eq!(sa.jsonp, text.contains("onInputData"));
    }
    for bad in [
        "onInputData",
        "\u{FEFF}",
        "callback(",
        "x({\"log\":{}}) trailing",
    ] {
        assert!(scan(bad).is_err(), "{bad}");
        assert!(stream(bad).is_err(), "{bad}");
    }
}

/// Classification follows the request's intent over the response's MIME type.
#[test]
fn request_intent_outranks_response_mime() {
    let entry = |accept: &str, url: &str, mime: &str| {
        format!(
            r#"{{"request":{{"url":"{url}","headers":[{{"name":"Accept","value":"{accept}"}}]}},"response":{{"status":404,"content":{{"mimeType":"{mime}","text":"<h1>Not Found</h1>"}}}}}}"#
        )
    };
    let har = format!(
        r#"{{"log":{{"entries":[{},{},{},{},{}]}}}}"#,
        entry(
            "image/avif,image/webp,*/*",
            "https://a.example/logo",
            "text/html"
        ),
        entry("text/css,*/*;q=0.1", "https://a.example/site", "text/html"),
        entry("*/*", "https://a.example/img/icon.svg", "image/svg+xml"),
        entry("*/*", "https://a.example/pic.png?v=2", "text/html"),
        entry("application/json", "https://a.example/api/x", "text/html"),
    );
    let (items, s) = scan(&har).unwrap();
    let classes: Vec<_> = items.iter().map(|i| i.class).collect();
    use ResourceClass::*;
    assert_eq!(classes, [Other, Other, Other, Other, Xhr]);
    // Failures of every type are counted; the default rows are the document/XHR ones.
    assert_eq!((s.failed, s.failed_doc_xhr), (5, 1));
    let rows: Vec<_> = items
        .iter()
        .filter_map(|i| {
            har::select(
                i,
                har::Select {
                    successful: false,
                    other_types: true,
                },
            )
        })
        .collect();
    assert_eq!(rows.len(), 5);
}

/// Rows carry the context support needs: redirect chain, page, main document, repeats.
#[test]
fn rows_carry_redirects_pages_and_repeats() {
    let har = r#"{"log":{"pages":[{"id":"p1","title":"Shop"}],"entries":[
      {"pageref":"p1","_resourceType":"document","request":{"method":"GET","url":"http://s.example/"},
       "response":{"status":301,"redirectURL":"https://s.example/","headers":[]},
       "timings":{"blocked":-1,"dns":12.5,"connect":20,"ssl":9,"send":0,"wait":30,"receive":1}},
      {"pageref":"p1","_resourceType":"document","request":{"method":"GET","url":"https://s.example/"},
       "response":{"status":302,"headers":[{"name":"Location","value":"/home"}]}},
      {"pageref":"p1","_resourceType":"document","serverIPAddress":"192.0.2.1","request":{"method":"GET","url":"https://s.example/home"},
       "response":{"status":503,"headers":[{"name":"Server","value":"nginx"}],"content":{"text":"<h1>503 Service Temporarily Unavailable</h1><hr><center>nginx</center>"}}},
      {"pageref":"p1","_resourceType":"xhr","request":{"method":"GET","url":"https://s.example/api"},"response":{"status":500}},
      {"pageref":"p1","_resourceType":"xhr","request":{"method":"GET","url":"https://s.example/api"},"response":{"status":500}}
    ]}}"#;
    let rows = har::diagnose_str(har, false).unwrap();
    assert_eq!(rows.iter().map(|r| r.index).collect::<Vec<_>>(), [2, 3, 4]);
    let doc = &rows[0];
    assert_eq!(
        doc.redirected_from,
        ["http://s.example/", "https://s.example/"]
    );
    assert!(
        doc.main_document,
        "the redirect target of the page's first document"
    );
    assert_eq!(doc.page_title.as_deref(), Some("Shop"));
    assert_eq!(doc.server_ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(
        doc.evidence_headers,
        [gateway_doctor::Header::new("Server", "nginx")]
    );
    assert!(!rows[1].main_document);
    assert_eq!((rows[1].repeat_of, rows[2].repeat_of), (None, Some(3)));
    let (items, _) = scan(har).unwrap();
    let t = &items[0].timings;
    assert_eq!(
        (t.blocked, t.dns, t.tls, t.wait),
        (None, Some(12.5), Some(9.0), Some(30.0))
    );
}

/// A failed XHR/fetch without a vendor to name is worded as the API call it is, not as a
/// page the visitor opened; a document keeps the engine's page wording.
#[test]
fn api_failures_are_worded_as_api_failures() {
    let entry = |rtype: &str, status: u16| {
        format!(
            r#"{{"_resourceType":"{rtype}","request":{{"url":"https://api.example/v1/items"}},"response":{{"status":{status},"headers":[{{"name":"content-type","value":"application/json"}}],"content":{{"mimeType":"application/json","text":"{{\"error\":\"x\"}}"}}}}}}"#
        )
    };
    let har = format!(
        r#"{{"log":{{"entries":[{},{},{},{}]}}}}"#,
        entry("xhr", 404),
        entry("fetch", 500),
        entry("xhr", 403),
        entry("document", 404)
    );
    let rows = har::diagnose_str(&har, false).unwrap();
    let titles: Vec<&str> = rows
        .iter()
        .map(|r| r.diagnosis.title.text.as_ref())
        .collect();
    assert_eq!(
        titles[..3],
        [
            "The API address the page called doesn't exist (error 404)",
            "The website's API failed (error 500) — it's not your device",
            "The website's API refused the page's request (error 403)",
        ]
    );
    assert_eq!(rows[0].diagnosis.title.args, ["404"]);
    // The page itself keeps the engine's wording, computed by the engine.
    let (items, _) = scan(&har).unwrap();
    assert_eq!(
        rows[3].diagnosis.title,
        gateway_doctor::diagnose(&items[3].observation).title
    );
    assert!(!titles[3].contains("API"));
}

/// Odd JSONP endings: the string and streaming paths agree on each (both read, or both refuse).
#[test]
fn jsonp_endings_agree_on_both_paths() {
    let inner = r#"{"log":{"entries":[]}}"#;
    for text in [
        format!("x({inner}"),
        format!("x({inner} ;)"),
        format!("x({inner}));\n;"),
        format!("x({inner})garbage"),
        "x(\"abc\")".to_string(),
        "x(1)".to_string(),
        format!("cb ( {inner} ) ; "),
    ] {
        let a = scan(&text).map(|(_, s)| s.entries);
        let b = stream(&text).map(|(_, s)| s.entries);
        assert_eq!(a.is_ok(), b.is_ok(), "{text}: {a:?} vs {b:?}");
    }
}
