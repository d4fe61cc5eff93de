//! Property tests for the engine's public API: `diagnose(&Observation) -> Diagnosis`.
//!
//! Three groups:
//! - robustness: arbitrary bytes (lossy UTF-8, NUL, control chars), arbitrary headers, any
//!   status and net error never panic and always give a well-formed diagnosis;
//! - invariants that hold for every diagnosis, whatever the input;
//! - stability: a known error page keeps its diagnosis under padding, whitespace and case
//!   changes that real servers and browsers introduce.
//!
//! Plus adversarial inputs (5 MB of `<`, repeated near-matches, deep nesting, unterminated
//! comments/scripts) whose *result* is asserted here; their speed is measured by
//! `benches/engine.rs` (`make bench`), not timed in a test.

use gateway_doctor::{diagnose, Diagnosis, EvidenceSource, Fault, Header, Kind, Observation};
use proptest::prelude::*;

const NGINX_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

mod invariants;
use invariants::check_invariants;

fn assert_invariants(obs: &Observation) -> Diagnosis {
    let d = diagnose(obs);
    if let Err(e) = check_invariants(obs, &d) {
        panic!("invariant broken: {e}\nobservation: {obs:?}\ndiagnosis: {d:#?}");
    }
    d
}

fn page(status: u16, headers: &[(&str, &str)], body: &str) -> Observation {
    Observation {
        url: "https://example.test/".into(),
        status: Some(status),
        headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
        body: Some(body.into()),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies

/// Header names real and hostile: the ones the engine reads, random tokens, odd case.
fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "server",
            "Server",
            "SERVER",
            "via",
            "cf-ray",
            "CF-RAY",
            "cf-error-type",
            "x-cache",
            "x-amz-cf-id",
            "x-amz-cf-pop",
            "x-served-by",
            "x-vercel-id",
            "retry-after",
            "Retry-After",
            "content-type",
            "x-squid-error",
            "x-powered-by",
            "x-request-id",
            "x-github-request-id",
            "x-fastly-request-id",
            "set-cookie",
            "",
        ])
        .prop_map(String::from),
        "[ -~]{0,24}",
        any::<String>(),
    ]
}

/// Header values: vendor names, numbers (Retry-After), garbage, control chars.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "nginx",
            "nginx/1.18.0",
            "cloudflare",
            "Apache",
            "Microsoft-IIS/10.0",
            "AkamaiGHost",
            "CloudFront",
            "Error from cloudfront",
            "envoy",
            "Varnish",
            "awselb/2.0",
            "Vercel",
            "GitHub.com",
            "Netlify",
            "Google Frontend",
            "tsa_b",
            "0",
            "30",
            "-1",
            "99999999999999999999",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "615ffe6868e315d7-EWR",
            "",
        ])
        .prop_map(String::from),
        any::<String>(),
        "[0-9]{0,25}",
    ]
}

fn headers() -> impl Strategy<Value = Vec<Header>> {
    prop::collection::vec(
        (header_name(), header_value()).prop_map(|(n, v)| Header::new(n, v)),
        0..12,
    )
}

/// Bodies as a browser or HAR file may hand them over: arbitrary bytes decoded lossily
/// (invalid UTF-8 becomes U+FFFD), arbitrary Unicode, and fragments of real error pages
/// glued with junk so the matcher sees partial markup and near-matches.
fn body() -> impl Strategy<Value = Option<String>> {
    let fragments = prop::sample::select(vec![
        "<html>",
        "</html>",
        "<title>",
        "</title>",
        "<h1>",
        "502 Bad Gateway",
        "503 Service Unavailable",
        "504 Gateway Time-out",
        "<center>nginx</center>",
        "cloudflare",
        "Ray ID:",
        "Error 521",
        "Web server is down",
        "502. That’s an error.",
        "That&rsquo;s an error",
        "Twitter is over capacity",
        "Proxy Error",
        "The proxy server received an invalid response from an upstream server",
        "Just a moment...",
        "<!--",
        "-->",
        "<script>",
        "</script>",
        "<style>",
        "&amp;",
        "&#x27;",
        "&#39",
        "&",
        "\0",
        "\u{feff}",
        "\u{202e}",
        "\r\n",
        " ",
        "\t",
        "<",
        ">",
        "Â’",
        "â€™",
    ]);
    prop_oneof![
        Just(None),
        prop::collection::vec(any::<u8>(), 0..2048)
            .prop_map(|b| Some(String::from_utf8_lossy(&b).into_owned())),
        any::<String>().prop_map(Some),
        prop::collection::vec(
            prop_oneof![fragments.prop_map(String::from), "[ -~]{0,8}"],
            0..40
        )
        .prop_map(|v| Some(v.concat())),
    ]
}

fn net_error() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(None),
        1 => prop::sample::select(vec![
            "net::ERR_NAME_NOT_RESOLVED", "net::ERR_CONNECTION_REFUSED", "net::ERR_CONNECTION_RESET",
            "net::ERR_CONNECTION_TIMED_OUT", "net::ERR_TIMED_OUT", "net::ERR_CERT_AUTHORITY_INVALID",
            "net::ERR_SSL_PROTOCOL_ERROR", "net::ERR_INTERNET_DISCONNECTED", "net::ERR_ABORTED",
            "NS_ERROR_UNKNOWN_HOST", "NS_ERROR_CONNECTION_REFUSED", "NS_ERROR_NET_TIMEOUT",
            "NS_BINDING_ABORTED", "NS_ERROR_OFFLINE", "net::ERR_", "", "ERR_NAME_NOT_RESOLVED",
        ])
        .prop_map(|s| Some(s.to_string())),
        1 => any::<String>().prop_map(Some),
    ]
}

fn observation() -> impl Strategy<Value = Observation> {
    (
        prop_oneof![
            Just(String::new()),
            "https?://[a-z0-9.:-]{0,20}/[ -~]{0,20}",
            any::<String>()
        ],
        prop::option::of(
            prop::sample::select(vec!["GET", "POST", "HEAD", "", "get"]).prop_map(String::from),
        ),
        prop::option::of(any::<u16>()),
        prop::option::of(any::<String>()),
        headers(),
        body(),
        any::<bool>(),
        net_error(),
        prop::option::of(
            prop::sample::select(vec![
                "win", "mac", "linux", "cros", "android", "openbsd", "", "??",
            ])
            .prop_map(String::from),
        ),
    )
        .prop_map(
            |(url, method, status, status_line, headers, body, body_truncated, net_error, os)| {
                Observation {
                    url,
                    method,
                    status,
                    status_line,
                    headers,
                    body,
                    body_truncated,
                    net_error,
                    browser: None,
                    os,
                    observed_at: None,
                }
            },
        )
}

// ---------------------------------------------------------------------------------------------
// Robustness and invariants

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any observation at all: no panic, and every invariant holds.
    #[test]
    fn never_panics_and_invariants_hold(obs in observation()) {
        let d = diagnose(&obs);
        prop_assert!(check_invariants(&obs, &d).is_ok(), "{:?}\n{obs:?}\n{d:#?}", check_invariants(&obs, &d));
    }

    /// The engine is a pure function of the observation.
    #[test]
    fn deterministic(obs in observation()) {
        prop_assert_eq!(diagnose(&obs), diagnose(&obs));
    }

    /// Status alone (no body, no headers) still gives a usable answer: 5xx is a server
    /// error with remedies, 2xx/3xx never alarms.
    #[test]
    fn status_alone(status in 100u16..=599) {
        let obs = Observation { status: Some(status), ..Default::default() };
        let d = assert_invariants(&obs);
        if (500..=599).contains(&status) {
            prop_assert_eq!(d.kind, Kind::ServerError, "status {} -> {:?}", status, d);
        }
        if status < 400 {
            prop_assert!(d.kind != Kind::ServerError && d.kind != Kind::NetworkError, "status {} -> {:?}", status, d.kind);
        }
    }

    /// A normal 2xx page made of ordinary prose (no error wording) is not an error page.
    #[test]
    fn ordinary_200_pages_are_ok(words in prop::collection::vec(prop::sample::select(vec![
        "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "welcome", "to", "our",
        "shop", "news", "about", "contact", "login", "price", "order", "today", "<p>", "</p>",
        "<div class=\"x\">", "</div>", "<a href=\"/a\">", "</a>", "&amp;", "2024", "home",
    ]), 1..200)) {
        let body = format!("<!doctype html><html><head><title>Shop</title></head><body>{}</body></html>", words.join(" "));
        let d = assert_invariants(&page(200, &[("content-type", "text/html")], &body));
        prop_assert_eq!(d.kind, Kind::Ok);
        prop_assert_eq!(d.family.as_str(), "none");
        prop_assert_eq!(d.fault, Fault::None);
    }

    /// A network error without a response is a network error whatever junk rides along,
    /// except the user stopping the load (`ERR_ABORTED` / `NS_BINDING_ABORTED`), which is no alarm.
    #[test]
    fn known_net_errors(code in prop::sample::select(vec![
        "net::ERR_NAME_NOT_RESOLVED", "net::ERR_CONNECTION_REFUSED", "net::ERR_CONNECTION_RESET",
        "net::ERR_CONNECTION_TIMED_OUT", "net::ERR_INTERNET_DISCONNECTED", "net::ERR_CERT_DATE_INVALID",
        "NS_ERROR_UNKNOWN_HOST", "NS_ERROR_CONNECTION_REFUSED", "NS_ERROR_NET_TIMEOUT", "NS_ERROR_OFFLINE",
    ]), hs in headers()) {
        let obs = Observation { net_error: Some(code.into()), headers: hs, ..Default::default() };
        let d = assert_invariants(&obs);
        prop_assert_eq!(d.kind, Kind::NetworkError, "{} -> {:?}", code, d);
        prop_assert!(matches!(d.fault, Fault::Network | Fault::Site | Fault::Browser | Fault::Unknown), "{:?}", d.fault);
    }

    // -----------------------------------------------------------------------------------------
    // Stability of a known page

    /// nginx's 502 page stays nginx/502 under the changes real transports make: extra
    /// whitespace between tags, CRLF vs LF, case changes, leading BOM/doctype, trailing padding
    /// comments (nginx's own msie_padding), header name case.
    #[test]
    fn nginx_502_survives_padding_and_case(
        ws in prop::sample::select(vec!["", " ", "\n", "\r\n", "\t\t", "   \n  "]),
        crlf in any::<bool>(),
        upper in any::<bool>(),
        prefix in prop::sample::select(vec!["", "\u{feff}", "<!DOCTYPE html>\n", "\n\n"]),
        pad in 0usize..8,
        server_case in prop::sample::select(vec!["server", "Server", "SERVER"]),
    ) {
        let mut body = NGINX_502.replace('>', &format!(">{ws}"));
        if !crlf {
            body = body.replace("\r\n", "\n");
        }
        if upper {
            body = body.to_uppercase();
        }
        body = format!("{prefix}{body}");
        for _ in 0..pad {
            body.push_str("<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n");
        }
        let d = assert_invariants(&page(502, &[(server_case, "nginx")], &body));
        prop_assert_eq!(d.kind, Kind::ServerError);
        prop_assert_eq!(d.family.as_str(), "nginx");
        prop_assert_eq!(d.code, Some(502));
    }

    /// Without any header, the same body still names nginx (the body alone is evidence).
    #[test]
    fn nginx_502_body_only(ws in "[ \t\r\n]{0,6}") {
        let body = format!("{ws}{NGINX_502}{ws}");
        let d = assert_invariants(&page(502, &[], &body));
        prop_assert_eq!(d.family.as_str(), "nginx");
        prop_assert_eq!(d.code, Some(502));
    }
}

/// Bodies that are a huge number of headers, not a huge body.
#[test]
fn huge_header_list() {
    let mut obs = page(502, &[], NGINX_502);
    obs.headers = (0..50_000)
        .map(|i| Header::new(format!("x-h{i}"), "v".repeat(i % 50)))
        .collect();
    obs.headers.push(Header::new("server", "nginx"));
    let d = assert_invariants(&obs);
    assert_eq!(d.family, "nginx");
}

#[test]
fn nul_and_invalid_utf8_body() {
    let mut bytes = NGINX_502.as_bytes().to_vec();
    bytes.splice(10..10, [0u8, 0xff, 0xfe, 0xc3, 0x28, 0, 0]);
    bytes.extend_from_slice(&[0xed, 0xa0, 0x80, 0, 0xf8]);
    let body = String::from_utf8_lossy(&bytes).into_owned();
    let d = assert_invariants(&page(502, &[("server", "nginx")], &body));
    assert_eq!(d.family, "nginx");
}

// ---------------------------------------------------------------------------------------------
// Adversarial inputs: results asserted here, speed measured in benches/engine.rs.

const MB: usize = 1 << 20;

/// 5 MB of `<` with a 502: no vendor can be read from it, so it must fall back on status,
/// and the oversized body must be cut with the cut shown in evidence.
#[test]
fn adversarial_lt_flood() {
    let body = "<".repeat(5 * MB);
    let d = assert_invariants(&page(502, &[], &body));
    assert_eq!(d.kind, Kind::ServerError);
    assert_eq!(d.code, Some(502));
    assert!(
        !matches!(
            d.family.as_str(),
            "nginx" | "cloudflare-host" | "cloudflare-cdn" | "none" | "blank"
        ),
        "{}",
        d.family
    );
    assert!(
        d.evidence.iter().any(|e| e.source == EvidenceSource::Limit),
        "5 MB body cut without Limit evidence: {:#?}",
        d.evidence
    );
    // The same flood on a 200 page is not an alarm.
    let d = assert_invariants(&page(200, &[], &body));
    assert_eq!(d.kind, Kind::Ok);
}

/// 5 MB of phrases that stop one character short of a signature: a backtracking matcher
/// would go quadratic here. None of them may count as a match.
#[test]
fn adversarial_near_matches_do_not_match() {
    let near = [
        "502 bad gatewa",
        "<center>ngin",
        "that's an erro",
        "twitter is over capacit",
        "cloudflar",
        "web server is dow",
        "proxy erro",
        "error 52",
        "ray id",
        "<hr><center>",
    ];
    let mut body = String::with_capacity(5 * MB + 64);
    let mut i = 0;
    while body.len() < 5 * MB {
        body.push_str(near[i % near.len()]);
        body.push(' ');
        i += 1;
    }
    let d = assert_invariants(&page(200, &[], &body));
    assert_eq!(
        d.kind,
        Kind::Ok,
        "near-matches on a 200 page raised {:?}/{}",
        d.kind,
        d.family
    );
    let d = assert_invariants(&page(502, &[], &body));
    assert!(
        !matches!(
            d.family.as_str(),
            "nginx" | "google" | "twitter" | "cloudflare-host" | "cloudflare-cdn"
        ),
        "near-matches named a vendor: {}",
        d.family
    );
}

/// A real page whose signature sits behind 100k nested tags still parses; the nesting must
/// not make the normaliser recurse (stack overflow) or go quadratic.
#[test]
fn adversarial_deep_nesting() {
    let depth = 100_000;
    let body = format!(
        "{}{}{}",
        "<div>".repeat(depth),
        NGINX_502,
        "</div>".repeat(depth)
    );
    let d = assert_invariants(&page(502, &[("server", "nginx")], &body));
    assert_eq!(d.kind, Kind::ServerError);
    assert_eq!(d.code, Some(502));
    let body = "<a><b><i>".repeat(300_000);
    assert_invariants(&page(502, &[], &body));
}

/// Unterminated comments, scripts, styles and entities at the end of a body: the rest of the
/// body is swallowed or kept, but nothing panics or loops, and the status still decides.
#[test]
fn adversarial_unterminated_constructs() {
    for tail in [
        "<!--",
        "<script>",
        "<style>",
        "<",
        "&",
        "&#",
        "&#x",
        "&#xffffffffffff",
        "<![CDATA[",
        "<title>",
    ] {
        for filler in ["x", "502 bad gateway ", "<"] {
            let body = format!("{NGINX_502}{tail}{}", filler.repeat(MB / filler.len()));
            let d = assert_invariants(&page(502, &[("server", "nginx")], &body));
            assert_eq!(d.family, "nginx", "tail {tail:?} filler {filler:?}");
            assert_eq!(d.code, Some(502));
            let body = format!("{tail}{}", filler.repeat(MB / filler.len()));
            assert_invariants(&page(503, &[], &body));
            assert_invariants(&page(200, &[], &body));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Issue 14: a body is text the site chose, the status and headers come from the network.

/// One golden fixture's network side (status, headers) and its body.
struct Page {
    name: String,
    status: Option<u16>,
    headers: Vec<Header>,
    body: Option<String>,
}

/// Every fixture under tests/fixtures (read with the toml parser, only the fields needed).
fn fixture_pages() -> &'static [Page] {
    static PAGES: std::sync::OnceLock<Vec<Page>> = std::sync::OnceLock::new();
    PAGES.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut out = Vec::new();
        for e in std::fs::read_dir(&dir).expect("tests/fixtures") {
            let path = e.unwrap().path();
            if !path.is_dir() {
                continue;
            }
            let text = std::fs::read_to_string(path.join("case.toml")).expect("case.toml");
            let v: toml::Table = toml::from_str(&text).expect("case.toml parses");
            if v.contains_key("net_error") {
                continue;
            }
            let body = v.get("body").and_then(|b| b.as_str()).map(|b| {
                String::from_utf8_lossy(&std::fs::read(path.join(b)).expect("body file"))
                    .into_owned()
            });
            let headers = v
                .get("headers")
                .and_then(|h| h.as_table())
                .map(|t| {
                    t.iter()
                        .map(|(k, v)| Header::new(k.clone(), v.as_str().unwrap_or("")))
                        .collect()
                })
                .unwrap_or_default();
            out.push(Page {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                status: v
                    .get("status")
                    .and_then(|s| s.as_integer())
                    .map(|s| s as u16),
                headers,
                body,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        // A missing or emptied fixture folder must fail, not pass vacuously.
        assert!(out.len() >= 250, "only {} fixture pages", out.len());
        out
    })
}

/// A header only a CDN puts on a response: the network evidence a `cdn` fault needs.
fn has_cdn_header(headers: &[Header]) -> bool {
    headers.iter().any(|h| {
        let n = h.name.to_ascii_lowercase();
        let v = h.value.trim().to_ascii_lowercase();
        (n == "cf-ray" && !v.is_empty())
            || (n == "server" && (v.starts_with("cloudflare") || v == "akamaighost"))
            || (n == "x-amz-cf-id" && !v.is_empty())
            || (n == "x-fastly-request-id" && !v.is_empty())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// Vendor A's page under vendor B's status and headers: whatever the page says, the fault
    /// is never `cdn` without a CDN header, and `code` is the HTTP status.
    #[test]
    fn swapped_bodies_never_blame_the_cdn_without_a_header(
        a in 0usize..10_000,
        b in 0usize..10_000,
        status in prop::option::of(prop_oneof![400u16..=599, Just(502u16), Just(521u16), Just(404u16)]),
    ) {
        let pages = fixture_pages();
        let (pa, pb) = (&pages[a % pages.len()], &pages[b % pages.len()]);
        let status = status.or(pb.status).or(Some(502));
        let obs = Observation {
            url: "https://www.example.com/".into(),
            status,
            headers: pb.headers.clone(),
            body: pa.body.clone(),
            ..Default::default()
        };
        let d = assert_invariants(&obs);
        prop_assert!(
            d.fault != Fault::Cdn || has_cdn_header(&obs.headers),
            "body of {} under headers of {}: fault cdn without a CDN header ({:?})",
            pa.name, pb.name, d.evidence
        );
        if let Some(st @ 400..=599) = status {
            prop_assert_eq!(d.code, Some(u32::from(st)), "body of {} under {}", pa.name, pb.name);
        }
    }
}

/// The same property over every pair of a few pages that matter most: every Cloudflare page
/// under every non-Cloudflare fixture's headers, exhaustively.
#[test]
fn cloudflare_pages_under_other_headers_never_blame_cloudflare() {
    let pages = fixture_pages();
    let mut checked = 0;
    for pa in pages.iter().filter(|p| p.name.starts_with("cloudflare")) {
        for pb in pages.iter().filter(|p| !has_cdn_header(&p.headers)) {
            let status = pb.status.filter(|s| *s >= 400).unwrap_or(502);
            let obs = Observation {
                url: "https://www.example.com/".into(),
                status: Some(status),
                headers: pb.headers.clone(),
                body: pa.body.clone(),
                ..Default::default()
            };
            let d = assert_invariants(&obs);
            assert_ne!(d.fault, Fault::Cdn, "{} under {}", pa.name, pb.name);
            assert_eq!(
                d.code,
                Some(u32::from(status)),
                "{} under {}",
                pa.name,
                pb.name
            );
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} pairs");
}
