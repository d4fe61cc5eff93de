//! HAR 1.1/1.2 files (Chrome and Firefox DevTools "Save all as HAR"): find the failed
//! document/XHR entries and diagnose each one.
//!
//! HAR files of a busy page reach 100 MB and more, so the parser streams: serde_json's
//! streaming `Deserializer` drives a `DeserializeSeed` that walks `log.entries` and hands each
//! entry to a callback as soon as it is parsed, then drops it. Nothing builds a `Value` of the
//! whole file, and each body kept is capped ([`BODY_CAP`]), so memory stays bounded by the
//! largest single string in the file rather than by the file. The WASM build runs the same
//! parser on a string.

use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

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
    let parsed = FileSeed(&mut ctx)
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

struct FileSeed<'a, 'b>(&'a mut Ctx<'b>);

impl<'de> DeserializeSeed<'de> for FileSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR file (a JSON object with a \"log\" member)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = map.next_key::<KeyBuf>()? {
            if key.0 == "log" {
                self.0.saw_log = true;
                map.next_value_seed(LogSeed(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct LogSeed<'a, 'b>(&'a mut Ctx<'b>);

impl<'de> DeserializeSeed<'de> for LogSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Creator {
    name: String,
    version: String,
}

impl<'de> Visitor<'de> for LogSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the HAR \"log\" object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = map.next_key::<KeyBuf>()? {
            match key.0.as_str() {
                "version" => {
                    let v: String = map.next_value()?;
                    // The HAR spec says an empty version means 1.1.
                    if !matches!(v.as_str(), "1.1" | "1.2" | "") {
                        return Err(de::Error::custom(format!(
                            "unsupported HAR version \"{}\" (this tool reads 1.1 and 1.2)",
                            v.chars().take(20).collect::<String>()
                        )));
                    }
                    self.0.summary.version = Some(if v.is_empty() { "1.1".into() } else { v });
                }
                "creator" => {
                    let c: Creator = map.next_value()?;
                    if self.0.browser.is_none() && c.name == "WebInspector" {
                        // Chrome's and Edge's DevTools name themselves WebInspector.
                        self.0.browser = Some("chrome".into());
                    }
                    self.0.summary.creator = Some(format!("{} {}", c.name, c.version));
                }
                "browser" => {
                    let c: Creator = map.next_value()?;
                    let major = c.version.split('.').next().unwrap_or("");
                    self.0.browser = Some(if major.is_empty() {
                        c.name.to_ascii_lowercase()
                    } else {
                        format!("{}/{major}", c.name.to_ascii_lowercase())
                    });
                }
                "entries" => map.next_value_seed(EntriesSeed(&mut *self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct EntriesSeed<'a, 'b>(&'a mut Ctx<'b>);

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("\"entries\" as a list of HAR entries")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        // One entry at a time: parsed, handed over, dropped.
        while let Some(raw) = seq.next_element::<RawEntry>()? {
            let index = self.0.summary.entries;
            self.0.summary.entries += 1;
            let item = raw.into_item(index, self.0.browser.as_deref());
            if let Err(e) = (self.0.on_entry)(item) {
                self.0.sink_error = Some(e);
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
// Entry shape: only the fields used; serde skips the rest (postData, cookies, timings, …)
// without keeping them.

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawEntry {
    #[serde(rename = "_resourceType")]
    resource_type: Option<String>,
    #[serde(rename = "_initiator")]
    initiator: Option<RawInitiator>,
    #[serde(rename = "startedDateTime")]
    started: Option<String>,
    request: RawRequest,
    response: RawResponse,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawInitiator {
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawRequest {
    method: Option<String>,
    url: String,
    headers: Vec<RawHeader>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawHeader {
    name: String,
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawResponse {
    #[serde(deserialize_with = "lenient_int")]
    status: Option<i64>,
    #[serde(rename = "statusText")]
    status_text: Option<String>,
    #[serde(rename = "httpVersion")]
    http_version: Option<String>,
    headers: Vec<RawHeader>,
    content: RawContent,
    /// Chrome: `net::ERR_…` (its `localizedFailDescription`); some Firefox versions too.
    #[serde(rename = "_error")]
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawContent {
    #[serde(deserialize_with = "lenient_int")]
    size: Option<i64>,
    #[serde(rename = "mimeType")]
    mime_type: Option<String>,
    text: Option<CappedText>,
    encoding: Option<String>,
}

/// `content.text` cut at [`TEXT_CAP`] bytes while parsing.
struct CappedText {
    text: String,
    cut: bool,
}

impl<'de> Deserialize<'de> for CappedText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = CappedText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<CappedText, E> {
                let mut end = s.len().min(TEXT_CAP);
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                Ok(CappedText {
                    text: s[..end].to_string(),
                    cut: end < s.len(),
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// Numbers as numbers, floats, or numeric strings; anything else is `None` rather than an
/// error, because a HAR with one odd field is still worth reading.
fn lenient_int<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number")
        }
        fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E> {
            Ok(i64::try_from(v).ok())
        }
        fn visit_f64<E>(self, v: f64) -> std::result::Result<Self::Value, E> {
            Ok((v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15).then_some(v as i64))
        }
        fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
            Ok(v.trim().parse().ok())
        }
        fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

impl RawEntry {
    fn into_item(self, index: usize, browser: Option<&str>) -> HarItem {
        let class = self.classify();
        let resp = self.response;
        let status = resp
            .status
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| (100..=999).contains(s));
        let error = resp
            .error
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty());
        let net_error = match (status, error) {
            (_, Some(e)) => Some(e),
            // Firefox writes status 0 without an error code; say what we know.
            (None, None) => Some(
                resp.status_text
                    .as_deref()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .unwrap_or("no response (HAR status 0)")
                    .to_string(),
            ),
            (Some(_), None) => None,
        };
        let failed = net_error.is_some() || status.is_some_and(|s| s >= 400);
        let status_line = status.map(|s| {
            let v = resp.http_version.as_deref().unwrap_or("").trim();
            let t = resp.status_text.as_deref().unwrap_or("").trim();
            let v = if v.is_empty() { "HTTP/1.1" } else { v };
            if t.is_empty() {
                format!("{} {s}", v.to_ascii_uppercase())
            } else {
                format!("{} {s} {t}", v.to_ascii_uppercase())
            }
        });
        let (body, body_truncated) = decode_body(&resp.content, status.is_some());
        HarItem {
            index,
            class,
            failed,
            observation: Observation {
                url: self.request.url,
                method: self.request.method,
                status,
                status_line,
                headers: resp
                    .headers
                    .into_iter()
                    .map(|h| Header::new(h.name, h.value))
                    .collect(),
                body,
                body_truncated,
                net_error,
                browser: browser.map(str::to_string),
                os: None,
                observed_at: self.started,
            },
        }
    }

    /// Chrome writes `_resourceType`; Firefox does not, so fall back to what the request
    /// asked for (`Sec-Fetch-Dest`, `Accept`, `X-Requested-With`), the initiator, and the
    /// response's MIME type.
    fn classify(&self) -> ResourceClass {
        if let Some(t) = self.resource_type.as_deref() {
            return match t.to_ascii_lowercase().as_str() {
                "document" => ResourceClass::Document,
                "xhr" | "fetch" | "eventsource" => ResourceClass::Xhr,
                _ => ResourceClass::Other,
            };
        }
        let req = |name: &str| {
            self.request
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.value.to_ascii_lowercase())
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
        let mime = self
            .response
            .content
            .mime_type
            .as_deref()
            .unwrap_or("")
            .to_ascii_lowercase();
        if mime.starts_with("text/html") || mime.contains("xhtml") {
            return ResourceClass::Document;
        }
        if mime.contains("json") || mime.contains("xml") || mime.starts_with("text/plain") {
            return ResourceClass::Xhr;
        }
        let script = self.initiator.as_ref().and_then(|i| i.kind.as_deref()) == Some("script");
        if script && !is_static_mime(&mime) {
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
/// must see as `Some("")`; an absent text otherwise means "not recorded".
fn decode_body(c: &RawContent, has_response: bool) -> (Option<String>, bool) {
    let Some(t) = &c.text else {
        let empty = has_response && c.size == Some(0);
        return (empty.then(String::new), false);
    };
    let base64 = c
        .encoding
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
    let (mut bytes, mut cut) = if base64 {
        match base64_decode(&t.text) {
            Some(b) => (b, t.cut),
            // Not valid base64 after all: keep nothing rather than garbage.
            None => return (None, false),
        }
    } else {
        (t.text.clone().into_bytes(), t.cut)
    };
    if bytes.len() > BODY_CAP {
        bytes.truncate(BODY_CAP);
        cut = true;
    }
    let text = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    (Some(text), cut)
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
    fn base64_roundtrip_and_padding() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(base64_decode("aGVs\nbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGk").unwrap(), b"hi");
        assert!(base64_decode("a*b").is_none());
    }
}
