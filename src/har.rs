//! HAR 1.1/1.2 files (Chrome and Firefox DevTools "Save all as HAR"): find the failed
//! document/XHR entries and diagnose each one.
//!
//! HAR files of a busy page reach 100 MB and more, so the parser streams: serde_json's
//! streaming `Deserializer` drives a `DeserializeSeed` that walks `log.entries` and hands each
//! entry to a callback as soon as it is parsed, then drops it. Each entry is parsed into a
//! `serde_json::Value` and converted by [`entry_from_value`]; nothing builds a `Value` of the
//! whole file, and each body kept is capped ([`BODY_CAP`]), so memory stays bounded by the
//! largest single entry in the file rather than by the file. The WASM build runs the same
//! parser on a string.

use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use serde_json::Value;

use crate::jsonv::{finish, Rd, Slot, R};
use crate::model::{Diagnosis, Header, Observation};
use crate::{Error, Result};

/// Largest decoded body handed to the engine per entry; longer ones are cut and flagged.
pub const BODY_CAP: usize = 128 * 1024;
/// Largest raw `content.text` kept while parsing (base64 of [`BODY_CAP`] plus slack).
const TEXT_CAP: usize = BODY_CAP / 3 * 4 + 64;

/// How an entry was loaded, as far as the HAR tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceClass {
    /// A page or frame navigation.
    Document,
    /// XMLHttpRequest or fetch.
    Xhr,
    /// Images, scripts, styles, fonts, media…
    Other,
}

/// One HAR entry as the engine sees it.
#[derive(Debug, Clone)]
pub struct HarItem {
    /// Position in `log.entries`, from 0.
    pub index: usize,
    pub class: ResourceClass,
    /// Status ≥ 400 or no response (status 0 / a network error).
    pub failed: bool,
    pub observation: Observation,
}

/// One row of the table (`gateway-doctor har`, `diagnoseHar`).
#[derive(Debug, Clone, Serialize)]
pub struct HarRow {
    pub index: usize,
    pub url: String,
    pub method: Option<String>,
    pub status: Option<u16>,
    pub net_error: Option<String>,
    pub resource_type: ResourceClass,
    pub started_at: Option<String>,
    pub diagnosis: Diagnosis,
}

/// What the whole file held.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HarSummary {
    pub version: Option<String>,
    /// `creator.name creator.version`, e.g. `WebInspector 537.36` or `Firefox 128.0`.
    pub creator: Option<String>,
    pub entries: usize,
}

/// Streams a HAR from a reader, calling `on_entry` for every entry in order.
pub fn scan_reader<R: Read>(
    reader: R,
    on_entry: &mut dyn FnMut(HarItem) -> Result<()>,
) -> Result<HarSummary> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    drive(&mut de, on_entry)
}

/// The same over a string already in memory (the WASM build, tests).
pub fn scan_str(text: &str, on_entry: &mut dyn FnMut(HarItem) -> Result<()>) -> Result<HarSummary> {
    let mut de = serde_json::Deserializer::from_str(text);
    drive(&mut de, on_entry)
}

/// The table row for an item: `None` unless it is a document/XHR entry that failed (or any
/// document/XHR entry with `all`).
pub fn row_for(item: &HarItem, all: bool) -> Option<HarRow> {
    if item.class == ResourceClass::Other || !(all || item.failed) {
        return None;
    }
    let o = &item.observation;
    Some(HarRow {
        index: item.index,
        url: o.url.clone(),
        method: o.method.clone(),
        status: o.status,
        net_error: o.net_error.clone(),
        resource_type: item.class,
        started_at: o.observed_at.clone(),
        diagnosis: crate::diagnose(o),
    })
}

/// Every row of a HAR held in a string (what `diagnoseHar(text, all)` returns).
pub fn diagnose_str(text: &str, all: bool) -> Result<Vec<HarRow>> {
    let mut rows = Vec::new();
    scan_str(text, &mut |item| {
        rows.extend(row_for(&item, all));
        Ok(())
    })?;
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// Streaming driver

struct Ctx<'a> {
    on_entry: &'a mut dyn FnMut(HarItem) -> Result<()>,
    /// An error from the callback, kept aside so it is reported as itself rather than as a
    /// JSON error with a position.
    sink_error: Option<Error>,
    summary: HarSummary,
    browser: Option<String>,
    saw_log: bool,
}

const SINK_STOPPED: &str = "stopped by the entry callback";

fn drive<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    on_entry: &mut dyn FnMut(HarItem) -> Result<()>,
) -> Result<HarSummary> {
    let mut ctx = Ctx {
        on_entry,
        sink_error: None,
        summary: HarSummary::default(),
        browser: None,
        saw_log: false,
    };
    let parsed = Seed {
        ctx: &mut ctx,
        level: Level::File,
    }
    .deserialize(&mut *de)
    .and_then(|()| de.end());
    if let Some(e) = ctx.sink_error.take() {
        return Err(e);
    }
    parsed.map_err(json_error)?;
    if !ctx.saw_log {
        return Err(Error::bad_input(
            "not a HAR file: the top-level object has no \"log\" member",
        ));
    }
    Ok(ctx.summary)
}

/// One line with serde_json's position, plus a hint when the file simply ends too early.
fn json_error(e: serde_json::Error) -> Error {
    let hint = if e.is_eof() {
        " (the file ends too early: truncated?)"
    } else {
        ""
    };
    Error::bad_input(format!("HAR: {e}{hint}"))
}

/// Where in the file a [`Seed`] stands.
#[derive(Clone, Copy, PartialEq)]
enum Level {
    /// The top-level object.
    File,
    /// The `log` object.
    Log,
    /// The `log.entries` list.
    Entries,
}

/// One seed type for the three levels, so the WASM build carries a single `deserialize_any`
/// instantiation (~700 bytes each). `deserialize_any` rather than `deserialize_map`/`_seq`
/// because serde_json's own refusal there formats the offending value through serde's
/// `Unexpected`, whose float case pulls ~17 KB of float formatting into the WASM build; the
/// other JSON types are refused by hand below.
struct Seed<'a, 'b> {
    ctx: &'a mut Ctx<'b>,
    level: Level,
}

impl Seed<'_, '_> {
    fn expected(&self) -> &'static str {
        match self.level {
            Level::File => "a HAR file (a JSON object with a \"log\" member)",
            Level::Log => "the HAR \"log\" object",
            Level::Entries => "\"entries\" as a list of HAR entries",
        }
    }

    fn wrong<E: de::Error>(&self, found: &str) -> E {
        E::custom(format!(
            "invalid type: {found}, expected {}",
            self.expected()
        ))
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// `creator`/`browser` as `(name, version)`; odd types read as empty (it is only a label).
fn name_version(v: &Value) -> (&str, &str) {
    let s = |k| v.get(k).and_then(Value::as_str).unwrap_or("");
    (s("name"), s("version"))
}

impl<'de> Visitor<'de> for Seed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expected())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<(), E> {
        Err(self.wrong("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<(), E> {
        Err(self.wrong("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<(), E> {
        Err(self.wrong("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<(), E> {
        Err(self.wrong("a number"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<(), E> {
        Err(self.wrong("a string"))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        Err(self.wrong("null"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let ctx = self.ctx;
        match self.level {
            Level::Entries => {
                return Err(Seed {
                    ctx,
                    level: Level::Entries,
                }
                .wrong("an object"))
            }
            Level::File => {
                while let Some(key) = map.next_key::<KeyBuf>()? {
                    if key.0 == "log" {
                        ctx.saw_log = true;
                        map.next_value_seed(Seed {
                            ctx: &mut *ctx,
                            level: Level::Log,
                        })?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Level::Log => {
                while let Some(key) = map.next_key::<KeyBuf>()? {
                    match key.0.as_str() {
                        "version" => {
                            // As a `Value` like everything else: a typed `String` would add
                            // serde_json's invalid-type path, and with it float formatting, to
                            // the WASM build.
                            let v: Value = map.next_value()?;
                            let Some(v) = v.as_str() else {
                                return Err(de::Error::custom("HAR \"version\" must be a string"));
                            };
                            // The HAR spec says an empty version means 1.1.
                            if !matches!(v, "1.1" | "1.2" | "") {
                                return Err(de::Error::custom(format!(
                                    "unsupported HAR version \"{}\" (this tool reads 1.1 and 1.2)",
                                    v.chars().take(20).collect::<String>()
                                )));
                            }
                            ctx.summary.version = Some(if v.is_empty() { "1.1" } else { v }.into());
                        }
                        "creator" => {
                            let c: Value = map.next_value()?;
                            let (name, version) = name_version(&c);
                            if ctx.browser.is_none() && name == "WebInspector" {
                                // Chrome's and Edge's DevTools name themselves WebInspector.
                                ctx.browser = Some("chrome".into());
                            }
                            ctx.summary.creator = Some(format!("{name} {version}"));
                        }
                        "browser" => {
                            let c: Value = map.next_value()?;
                            let (name, version) = name_version(&c);
                            let major = version.split('.').next().unwrap_or("");
                            ctx.browser = Some(if major.is_empty() {
                                name.to_ascii_lowercase()
                            } else {
                                format!("{}/{major}", name.to_ascii_lowercase())
                            });
                        }
                        "entries" => map.next_value_seed(Seed {
                            ctx: &mut *ctx,
                            level: Level::Entries,
                        })?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        if self.level != Level::Entries {
            return Err(self.wrong("a list"));
        }
        let ctx = self.ctx;
        // One entry at a time: parsed, handed over, dropped.
        while let Some(raw) = seq.next_element::<Value>()? {
            let index = ctx.summary.entries;
            ctx.summary.entries += 1;
            // A malformed entry is a JSON error raised here, so serde_json adds its position.
            let item = entry(&raw, index, ctx.browser.as_deref())
                .map_err(|b| de::Error::custom(format!("entry {index}: {b}")))?;
            drop(raw);
            if let Err(e) = (ctx.on_entry)(item) {
                ctx.sink_error = Some(e);
                return Err(de::Error::custom(SINK_STOPPED));
            }
        }
        Ok(())
    }
}

/// A map key; owned because the streaming reader cannot lend borrowed strings.
struct KeyBuf(String);

impl<'de> Deserialize<'de> for KeyBuf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(KeyBuf)
    }
}

// ---------------------------------------------------------------------------------------------
// Entry conversion: each entry arrives as one `serde_json::Value` (bounded by the entry, not
// the file) and is read by hand, so the CLI's stream and WASM's string share one converter
// and the WASM build carries one JSON deserializer instead of one per entry struct. Only the
// fields used are read (postData, cookies, timings, … are dropped with the entry).

/// Converts one `log.entries` item. `browser` comes from the log's `creator`/`browser`.
/// Absent or `null` fields are "not recorded"; a field of the wrong type is an error naming
/// it (the stream adds the position).
pub fn entry_from_value(v: &Value, index: usize, browser: Option<&str>) -> Result<HarItem> {
    entry(v, index, browser).map_err(|b| Error::bad_input(format!("HAR entry {index}: {b}")))
}

/// The entry fields the engine uses, borrowed from the entry's `Value`.
struct RawEntry<'a> {
    resource_type: Option<&'a str>,
    initiator_kind: Option<&'a str>,
    request_headers: Vec<(&'a str, &'a str)>,
    mime_type: Option<&'a str>,
}

fn entry(v: &Value, index: usize, browser: Option<&str>) -> R<HarItem> {
    let slot = Slot::default();
    let e = Rd::root(v, "a HAR entry object", &slot);
    let (req, resp) = (e.obj("request"), e.obj("response"));
    let content = resp.obj("content");
    let raw = RawEntry {
        resource_type: e.str("_resourceType"),
        initiator_kind: e.obj("_initiator").str("type"),
        request_headers: headers(&req),
        mime_type: content.str("mimeType"),
    };
    let class = raw.classify();
    let status = resp
        .get("status")
        .and_then(lenient_int)
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (100..=999).contains(s));
    let status_text = resp.str("statusText");
    let error = resp.str("_error").map(str::trim).filter(|e| !e.is_empty());
    let net_error = match (status, error) {
        (_, Some(e)) => Some(e.to_string()),
        // Firefox writes status 0 without an error code; say what we know.
        (None, None) => Some(
            status_text
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .unwrap_or("no response (HAR status 0)")
                .to_string(),
        ),
        (Some(_), None) => None,
    };
    let failed = net_error.is_some() || status.is_some_and(|s| s >= 400);
    let http_version = resp.str("httpVersion");
    let status_line = status.map(|s| {
        let v = http_version.unwrap_or("").trim();
        let t = status_text.unwrap_or("").trim();
        let v = if v.is_empty() { "HTTP/1.1" } else { v };
        let mut line = v.to_ascii_uppercase();
        line.push(' ');
        line.push_str(&s.to_string());
        if !t.is_empty() {
            line.push(' ');
            line.push_str(t);
        }
        line
    });
    let (body, body_truncated) = decode_body(&content, status.is_some());
    let item = HarItem {
        index,
        class,
        failed,
        observation: Observation {
            url: req.string("url"),
            method: req.opt_string("method"),
            status,
            status_line,
            headers: headers(&resp)
                .into_iter()
                .map(|(n, v)| Header::new(n, v))
                .collect(),
            body,
            body_truncated,
            net_error,
            browser: browser.map(str::to_string),
            os: None,
            observed_at: e.opt_string("startedDateTime"),
        },
    };
    finish(&slot, item)
}

/// `headers: [{name, value}]` of a request or response, borrowed.
fn headers<'a>(o: &'a Rd<'a>) -> Vec<(&'a str, &'a str)> {
    let mut out = Vec::new();
    for (i, v) in o.list("headers").iter().enumerate() {
        let h = o.item("headers", i, v, "a header object");
        out.push((h.str("name").unwrap_or(""), h.str("value").unwrap_or("")));
    }
    out
}

/// Numbers as numbers, floats, or numeric strings; anything else is `None` rather than an
/// error, because a HAR with one odd field is still worth reading.
fn lenient_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            let f = n.as_f64()?;
            (f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15).then_some(f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl RawEntry<'_> {
    /// Chrome writes `_resourceType`; Firefox does not, so fall back to what the request
    /// asked for (`Sec-Fetch-Dest`, `Accept`, `X-Requested-With`), the initiator, and the
    /// response's MIME type.
    fn classify(&self) -> ResourceClass {
        if let Some(t) = self.resource_type {
            return match t.to_ascii_lowercase().as_str() {
                "document" => ResourceClass::Document,
                "xhr" | "fetch" | "eventsource" => ResourceClass::Xhr,
                _ => ResourceClass::Other,
            };
        }
        let req = |name: &str| {
            self.request_headers
                .iter()
                .find(|h| h.0.eq_ignore_ascii_case(name))
                .map(|h| h.1.to_ascii_lowercase())
        };
        if let Some(dest) = req("sec-fetch-dest") {
            return match dest.trim() {
                "document" | "iframe" | "frame" => ResourceClass::Document,
                "empty" => ResourceClass::Xhr,
                _ => ResourceClass::Other,
            };
        }
        if req("x-requested-with").is_some_and(|v| v.contains("xmlhttprequest")) {
            return ResourceClass::Xhr;
        }
        if req("accept").is_some_and(|a| a.contains("text/html") || a.contains("xhtml")) {
            return ResourceClass::Document;
        }
        let mime = self.mime_type.unwrap_or("").to_ascii_lowercase();
        if mime.starts_with("text/html") || mime.contains("xhtml") {
            return ResourceClass::Document;
        }
        if mime.contains("json") || mime.contains("xml") || mime.starts_with("text/plain") {
            return ResourceClass::Xhr;
        }
        if self.initiator_kind == Some("script") && !is_static_mime(&mime) {
            return ResourceClass::Xhr;
        }
        ResourceClass::Other
    }
}

fn is_static_mime(m: &str) -> bool {
    [
        "image/",
        "font/",
        "video/",
        "audio/",
        "text/css",
        "javascript",
    ]
    .iter()
    .any(|p| m.contains(p))
}

/// The body as text: base64 decoded when so marked, capped at [`BODY_CAP`]. An absent text
/// with `size` 0 on a real response is a genuinely empty body (a blank page), which the engine
/// must see as `Some("")`; an absent text otherwise means "not recorded". Only the first
/// [`TEXT_CAP`] bytes of `text` are ever copied out of the entry.
fn decode_body(c: &Rd, has_response: bool) -> (Option<String>, bool) {
    let Some(t) = c.str("text") else {
        let size = c.get("size").and_then(lenient_int);
        let empty = has_response && size == Some(0);
        return (empty.then(String::new), false);
    };
    let mut end = t.len().min(TEXT_CAP);
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    let (text, text_cut) = (&t[..end], end < t.len());
    let base64 = c
        .str("encoding")
        .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
    let (mut bytes, mut cut) = if base64 {
        match base64_decode(text) {
            Some(b) => (b, text_cut),
            // Not valid base64 after all: keep nothing rather than garbage.
            None => return (None, false),
        }
    } else {
        (text.as_bytes().to_vec(), text_cut)
    };
    if bytes.len() > BODY_CAP {
        bytes.truncate(BODY_CAP);
        cut = true;
    }
    let text = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => lossy(e.as_bytes()),
    };
    (Some(text), cut)
}

/// Invalid UTF-8 sequences replaced by U+FFFD, like `String::from_utf8_lossy` (which costs
/// ~1 KB of WASM more than this loop over `str::from_utf8`).
fn lossy(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (good, rest) = bytes.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                out.push('\u{FFFD}');
                bytes = &rest[e.error_len().unwrap_or(rest.len())..];
            }
        }
    }
}

/// Standard base64 (RFC 4648 §4), whitespace ignored. A cut input decodes up to its last
/// whole quantum. No crate: the WASM build stays small.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc = 0u32;
    let mut n = 0;
    for &c in s.as_bytes() {
        if c.is_ascii_whitespace() {
            continue;
        }
        if c == b'=' {
            break;
        }
        acc = (acc << 6) | val(c)?;
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            n = 0;
        }
    }
    match n {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossy_matches_std() {
        for b in [
            &b"ok"[..],
            b"a\xffb",
            b"\xe2\x82",
            b"x\xe2\x82\xacy\xf0\x9f\x98",
            b"\xc3\x28\xa0\xa1z",
            b"",
        ] {
            assert_eq!(lossy(b), String::from_utf8_lossy(b));
        }
    }

    #[test]
    fn base64_roundtrip_and_padding() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(base64_decode("aGVs\nbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGk").unwrap(), b"hi");
        assert!(base64_decode("a*b").is_none());
    }
}
