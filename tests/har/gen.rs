//! Generates large Chrome-style HAR files at test/bench time, so the repository does not carry
//! megabytes of fixtures. Shared by `tests/har.rs`, `crates/cli/tests/cli_support.rs` and `crates/cli/benches/har.rs`
//! through `#[path]`.

#![allow(dead_code)]

use std::io::{self, Write};

/// What a generated file holds, so tests can assert exact counts.
#[derive(Debug, Default, Clone, Copy)]
pub struct Generated {
    pub entries: usize,
    /// Failed document/XHR entries (what `gateway-doctor har` lists without `--all`).
    pub failed_doc_xhr: usize,
    /// All document/XHR entries (what `--all` lists).
    pub doc_xhr: usize,
    pub bytes: u64,
}

const NGINX_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// Writes a HAR with `entries` entries whose successful bodies are about `body_bytes` long.
/// Every 10th entry is a document, every 10th+3 an XHR, the rest images and scripts; every
/// 50th entry fails with nginx's 502 page and every 97th with a DNS error.
pub fn write_har(w: &mut impl Write, entries: usize, body_bytes: usize) -> io::Result<Generated> {
    let mut w = Counting { inner: w, n: 0 };
    let mut g = Generated {
        entries,
        ..Default::default()
    };
    write!(
        w,
        "{{\n  \"log\": {{\n    \"version\": \"1.2\",\n    \"creator\": {{\"name\": \"WebInspector\", \"version\": \"537.36\"}},\n    \"pages\": [{{\"startedDateTime\": \"2026-11-21T16:00:00.000Z\", \"id\": \"page_1\", \"title\": \"https://shop.example/\", \"pageTimings\": {{\"onContentLoad\": 812.4, \"onLoad\": 1290.7}}}}],\n    \"entries\": ["
    )?;
    // Already JSON-escaped; repeated whole so no escape sequence is cut in half.
    let unit = "lorem ipsum dolor sit amet, consectetur adipiscing elit \\\"quoted\\\" \\u00e9 ";
    let filler = unit.repeat(body_bytes / unit.len() + 1);
    for i in 0..entries {
        let rtype = match i % 10 {
            0 => "document",
            3 => "xhr",
            5 => "script",
            _ => "image",
        };
        let doc_xhr = matches!(rtype, "document" | "xhr");
        let (status, status_text, error, mime, text): (u16, &str, Option<&str>, &str, String) =
            if i % 97 == 96 {
                (
                    0,
                    "",
                    Some("net::ERR_NAME_NOT_RESOLVED"),
                    "x-unknown",
                    String::new(),
                )
            } else if i % 50 == 0 {
                (
                    502,
                    "Bad Gateway",
                    None,
                    "text/html",
                    json_escape(NGINX_502),
                )
            } else {
                let mime = match rtype {
                    "document" => "text/html",
                    "xhr" => "application/json",
                    "script" => "application/javascript",
                    _ => "image/png",
                };
                (200, "OK", None, mime, filler.clone())
            };
        if doc_xhr {
            g.doc_xhr += 1;
            if status == 0 || status >= 400 {
                g.failed_doc_xhr += 1;
            }
        }
        let sep = if i == 0 { "" } else { "," };
        let server = if status == 502 {
            "nginx/1.18.0"
        } else {
            "nginx"
        };
        let err = error.map_or("null".to_string(), |e| format!("\"{e}\""));
        let (headers, content) = if status == 0 {
            (
                String::new(),
                "{\"size\": 0, \"mimeType\": \"x-unknown\"}".to_string(),
            )
        } else {
            (
                format!(
                    "{{\"name\": \"server\", \"value\": \"{server}\"}}, {{\"name\": \"content-type\", \"value\": \"{mime}\"}}, {{\"name\": \"set-cookie\", \"value\": \"sid=gen{i}; HttpOnly\"}}"
                ),
                format!(
                    "{{\"size\": {}, \"mimeType\": \"{mime}\", \"text\": \"{text}\"}}",
                    text.len()
                ),
            )
        };
        write!(
            w,
            "{sep}\n      {{\n        \"_initiator\": {{\"type\": \"{init}\"}},\n        \"_priority\": \"High\",\n        \"_resourceType\": \"{rtype}\",\n        \"cache\": {{}},\n        \"connection\": \"443\",\n        \"pageref\": \"page_1\",\n        \"request\": {{\"method\": \"GET\", \"url\": \"https://shop.example/item/{i}?session=abc{i}\", \"httpVersion\": \"http/2.0\", \"headers\": [{{\"name\": \"cookie\", \"value\": \"sid=gen{i}\"}}, {{\"name\": \"accept\", \"value\": \"*/*\"}}], \"queryString\": [{{\"name\": \"session\", \"value\": \"abc{i}\"}}], \"cookies\": [], \"headersSize\": -1, \"bodySize\": 0}},\n        \"response\": {{\"status\": {status}, \"statusText\": \"{status_text}\", \"httpVersion\": \"http/2.0\", \"headers\": [{headers}], \"cookies\": [], \"content\": {content}, \"redirectURL\": \"\", \"headersSize\": -1, \"bodySize\": -1, \"_transferSize\": {ts}, \"_error\": {err}}},\n        \"serverIPAddress\": \"192.0.2.10\",\n        \"startedDateTime\": \"2026-11-21T16:00:{sec:02}.{ms:03}Z\",\n        \"time\": 41.5,\n        \"timings\": {{\"blocked\": 1.1, \"dns\": -1, \"ssl\": -1, \"connect\": -1, \"send\": 0.2, \"wait\": 38.9, \"receive\": 1.3, \"_blocked_queueing\": 0.7}}\n      }}",
            init = if rtype == "xhr" { "script" } else { "parser" },
            ts = text.len() + 300,
            sec = (i / 1000) % 60,
            ms = i % 1000,
        )?;
    }
    write!(w, "\n    ]\n  }}\n}}\n")?;
    g.bytes = w.n;
    Ok(g)
}

/// Picks an entry count so the file is about `target_bytes` long.
pub fn write_har_of_size(w: &mut impl Write, target_bytes: u64) -> io::Result<Generated> {
    const BODY: usize = 4000;
    // Measured on this generator: 94.5 MB for 18,348 entries with BODY = 4000.
    let per_entry = 5150;
    write_har(w, (target_bytes / per_entry).max(1) as usize, BODY)
}

fn json_escape(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap();
    quoted[1..quoted.len() - 1].to_string()
}

struct Counting<'a, W: Write> {
    inner: &'a mut W,
    n: u64,
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let k = self.inner.write(buf)?;
        self.n += k as u64;
        Ok(k)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
