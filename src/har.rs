//! HAR 1.1/1.2 files (Chrome, Firefox, Safari, Fiddler, Charles, Insomnia, Polly.JS, …): find
//! the failed entries and diagnose each one.
//!
//! HAR files of a busy page reach 100 MB and more, so the parser streams: serde_json's
//! streaming `Deserializer` drives a `DeserializeSeed` that walks `log.entries` and hands each
//! entry to a callback as soon as it is parsed, then drops it. Each entry is parsed into a
//! `serde_json::Value` and converted by hand; nothing builds a `Value` of the whole file. On
//! the streaming path a byte filter ([`Prefilter`]) also cuts every JSON string longer than
//! [`STRING_CAP`] before serde_json sees it, so one 93 MB base64 body costs ~180 KB, not twice
//! its size: memory is bounded by the entry's structure, not by its largest body. The WASM
//! build runs the same parser on a string it already holds.
//!
//! What other tools read, this reads: a UTF-8 byte-order mark (Fiddler), a JSONP wrapper
//! (`onInputData({...})`, HAR Viewer's format), private `_` fields of any shape (chrome-har's
//! `_initiator` as a URL string) and header values written as lists (Polly.JS). A field of an
//! unexpected type is read as absent and reported as a warning naming the entry and field;
//! only a file that is not JSON, not a HAR, or of another HAR version is refused.

use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use serde_json::Value;

use crate::lenient::{finish, invalid, Bad, Rd, Slot};
use crate::model::{Diagnosis, EvidenceSource, Header, Kind, Message, Observation};
use crate::{Error, Result};

/// Largest decoded body handed to the engine per entry; longer ones are cut and flagged.
pub const BODY_CAP: usize = 128 * 1024;
/// Largest raw `content.text` kept while parsing (base64 of [`BODY_CAP`] plus slack).
const TEXT_CAP: usize = BODY_CAP / 3 * 4 + 64;
/// Longest JSON string (in bytes as written) the streaming reader passes on whole; the rest
/// of a longer one is dropped before parsing and the cut marked with [`CUT_MARK`].
pub const STRING_CAP: usize = TEXT_CAP + 1024;
/// What a cut string ends with after parsing: U+FDD0, a Unicode noncharacter ("not for
/// interchange"), which no real body or URL ends with.
const CUT_MARK: char = '\u{FDD0}';
/// Warnings kept per file; the rest are counted.
const MAX_WARNINGS: usize = 20;
/// Redirects remembered while streaming (to give a row the chain that led to it).
const MAX_REDIRECTS: usize = 64;
/// URLs kept in one redirect chain.
const MAX_CHAIN: usize = 10;
/// Distinct failures remembered to group repeats.
const MAX_FAILURE_KEYS: usize = 4096;
/// Pages (`log.pages`) remembered for their titles.
const MAX_PAGES: usize = 1024;

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

/// Which entries become rows. The default is the failed document/XHR entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Select {
    /// Successful entries too (`--all`).
    pub successful: bool,
    /// Images, scripts, styles… too (`--all-failed`).
    pub other_types: bool,
}

/// The phases of an entry's time, in milliseconds; `None` where the HAR says -1 (not
/// applicable) or nothing. `f32`: the same float formatting the diagnosis' confidence already
/// brings into the WASM build.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Timings {
    #[serde(serialize_with = "crate::model::opt_f32_shortest")]
    pub blocked: Option<f32>,
    #[serde(serialize_with = "crate::model::opt_f32_shortest")]
    pub dns: Option<f32>,
    #[serde(serialize_with = "crate::model::opt_f32_shortest")]
    pub connect: Option<f32>,
    /// HAR's `ssl`.
    #[serde(serialize_with = "crate::model::opt_f32_shortest")]
    pub tls: Option<f32>,
    #[serde(serialize_with = "crate::model::opt_f32_shortest")]
    pub send: Option<f32>,
    #[serde(serialize_with = "crate::model::opt_f32_shortest")]
    pub wait: Option<f32>,
    #[serde(serialize_with = "crate::model::opt_f32_shortest")]
    pub receive: Option<f32>,
    /// The entry's `time`.
    #[serde(serialize_with = "crate::model::opt_f32_shortest")]
    pub total: Option<f32>,
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
    pub timings: Timings,
    pub server_ip: Option<String>,
    /// `pageref`.
    pub page: Option<String>,
    /// The page's title from `log.pages` (when the pages come before the entries).
    pub page_title: Option<String>,
    /// The URLs whose redirects led to this entry, first one first.
    pub redirected_from: Vec<String>,
    /// The first document of its page (or a redirect target of it): the page itself.
    pub main_document: bool,
    /// An earlier failed entry with the same method, URL, status and error.
    pub repeat_of: Option<usize>,
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
    pub failed: bool,
    /// The page's own document failed: what the visitor saw.
    pub main_document: bool,
    /// Index of the first row with the same method, URL, status and error.
    pub repeat_of: Option<usize>,
    pub page: Option<String>,
    pub page_title: Option<String>,
    pub server_ip: Option<String>,
    pub timings: Timings,
    pub redirected_from: Vec<String>,
    /// The response headers the diagnosis rests on (as the HAR recorded them).
    pub evidence_headers: Vec<Header>,
}

/// What the whole file held.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HarSummary {
    pub version: Option<String>,
    /// `creator.name creator.version`, e.g. `WebInspector 537.36` or `Firefox 128.0`.
    pub creator: Option<String>,
    pub entries: usize,
    /// Failed entries of every type.
    pub failed: usize,
    /// Failed document/XHR entries (the default rows).
    pub failed_doc_xhr: usize,
    /// Entries that were not objects, skipped.
    pub skipped: usize,
    /// The file was wrapped in a JSONP call (`onInputData(...)`).
    pub jsonp: bool,
    /// Fields read as absent because of their shape, one line each (at most a few).
    pub warnings: Vec<String>,
    /// Warnings beyond those kept.
    pub more_warnings: usize,
}

/// Streams a HAR from a reader, calling `on_entry` for every entry in order.
pub fn scan_reader<R: Read>(
    reader: R,
    on_entry: &mut dyn FnMut(HarItem) -> Result<()>,
) -> Result<HarSummary> {
    let mut filter = Prefilter::new(reader);
    let mut de = serde_json::Deserializer::from_reader(&mut filter);
    let mut summary = drive(&mut de, on_entry, true)?;
    drop(de);
    summary.jsonp = filter.lex.jsonp;
    Ok(summary)
}

/// The same over a string already in memory (the WASM build, tests).
pub fn scan_str(text: &str, on_entry: &mut dyn FnMut(HarItem) -> Result<()>) -> Result<HarSummary> {
    let (inner, jsonp) = unwrap_text(text);
    let mut de = serde_json::Deserializer::from_str(inner);
    let mut summary = drive(&mut de, on_entry, false)?;
    summary.jsonp = jsonp;
    Ok(summary)
}

/// `text` without a UTF-8 byte-order mark and without a JSONP wrapper `name(` … `)` `;`.
/// On bytes (every boundary used is an ASCII byte): `str` pattern searches cost ~1 KB of the
/// WASM budget.
fn unwrap_text(text: &str) -> (&str, bool) {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let b = text.as_bytes();
    let skip_ws = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let start = skip_ws(0);
    let mut i = start;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b"_$.".contains(&b[i])) {
        i += 1;
    }
    // Not a name (`{`), a number, or a name without `(` (`true`, `null`): plain JSON.
    if i == start || b[start].is_ascii_digit() {
        return (text, false);
    }
    let open = skip_ws(i);
    if b.get(open) != Some(&b'(') {
        return (text, false);
    }
    // Whitespace, `)` and `;` after the value, as the streaming prefilter drops them.
    let mut end = b.len();
    while end > open + 1 && (b[end - 1].is_ascii_whitespace() || b");".contains(&b[end - 1])) {
        end -= 1;
    }
    (&text[open + 1..end], true)
}

/// The table row for an item: `None` unless it is a document/XHR entry that failed (or any
/// document/XHR entry with `all`).
pub fn row_for(item: &HarItem, all: bool) -> Option<HarRow> {
    select(
        item,
        Select {
            successful: all,
            other_types: false,
        },
    )
}

/// Whether `sel` selects the item, without diagnosing it (a caller that only counts the rows
/// beyond those it shows, like the replay page's capped table).
pub fn selects(item: &HarItem, sel: Select) -> bool {
    let doc_xhr = item.class != ResourceClass::Other;
    (item.failed || sel.successful) && (doc_xhr || sel.other_types)
}

/// The row for an item if `sel` selects it.
pub fn select(item: &HarItem, sel: Select) -> Option<HarRow> {
    if !selects(item, sel) {
        return None;
    }
    let o = &item.observation;
    let mut diagnosis = crate::diagnose(o);
    if item.class == ResourceClass::Xhr {
        api_wording(&mut diagnosis);
    }
    Some(HarRow {
        index: item.index,
        url: o.url.clone(),
        method: o.method.clone(),
        status: o.status,
        net_error: o.net_error.clone(),
        resource_type: item.class,
        started_at: o.observed_at.clone(),
        evidence_headers: evidence_headers(o, &diagnosis),
        diagnosis,
        failed: item.failed,
        main_document: item.main_document,
        repeat_of: item.repeat_of,
        page: item.page.clone(),
        page_title: item.page_title.clone(),
        server_ip: item.server_ip.clone(),
        timings: item.timings.clone(),
        redirected_from: item.redirected_from.clone(),
    })
}

/// A failed XHR/fetch is a call the page's script made to an API, not a page the visitor
/// opened: "This page doesn't exist on the website" misleads support. Without a vendor to
/// name (`generic`, `blank`), the title says what failed in API terms. The ids are in
/// `locales/core/` (the extension translates them); the text here is the English one, which a
/// test holds equal to `en.json`.
fn api_wording(d: &mut Diagnosis) {
    if !matches!(d.family.as_str(), "generic" | "blank") {
        return;
    }
    let Some(code) = d.code else { return };
    let (id, head, tail) = match (d.kind, code) {
        (Kind::ClientError, 404 | 410) => (
            "diag_title_api_not_found",
            "The API address the page called doesn't exist (error ",
            ")",
        ),
        (Kind::Blocked, _) => (
            "diag_title_api_refused",
            "The website's API refused the page's request (error ",
            ")",
        ),
        (Kind::ClientError, _) => (
            "diag_title_api_rejected",
            "The website's API rejected the page's request (error ",
            ")",
        ),
        (Kind::ServerError, _) => (
            "diag_title_api_failed",
            "The website's API failed (error ",
            ") — it's not your device",
        ),
        _ => return,
    };
    let code = code.to_string();
    let mut text = String::from(head);
    text.push_str(&code);
    text.push_str(tail);
    d.title = Message {
        id: id.into(),
        text: text.into(),
        args: vec![code],
    };
}

/// The response headers named by the diagnosis' header evidence (`server: nginx`, a
/// `Retry-After` it used), as the HAR has them.
pub fn evidence_headers(o: &Observation, d: &Diagnosis) -> Vec<Header> {
    let mut out: Vec<Header> = Vec::new();
    for e in d
        .evidence
        .iter()
        .filter(|e| e.source == EvidenceSource::Header)
    {
        let name = if e.detail.starts_with("retry after ") {
            "retry-after"
        } else {
            match e.detail.split_once(':') {
                Some((n, _)) => n.trim(),
                None => continue,
            }
        };
        for h in o
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
        {
            if !out.contains(h) {
                out.push(h.clone());
            }
        }
    }
    out
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
// Streaming prefilter

/// A byte filter in front of serde_json's reader: drops a leading byte-order mark and a JSONP
/// wrapper, and cuts every JSON string longer than [`STRING_CAP`] (at a character and escape
/// boundary, never between the halves of a surrogate pair), ending it with [`CUT_MARK`]. It
/// follows JSON's string and escape syntax only; everything else is serde_json's to check,
/// and bytes it cannot judge (a control character inside a cut string) are passed on so that
/// serde_json refuses the file as it would have.
struct Prefilter<R> {
    inner: R,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    lex: Lex,
    eof: bool,
}

#[derive(Default)]
struct Lex {
    /// Still before the first JSON byte (BOM, whitespace, JSONP name).
    head: Vec<u8>,
    started: bool,
    jsonp: bool,
    /// After the top-level value of a JSONP file: `)` and `;` are dropped.
    tail: bool,
    depth: u32,
    in_str: bool,
    /// 1 right after a backslash, 2..=5 while reading `\uXXXX` (4 digits left = 5).
    esc: u8,
    hex: u32,
    /// The last escape was a high surrogate: no cut before its low half.
    high: bool,
    /// Bytes of the current string passed on.
    len: usize,
    cutting: bool,
}

impl<R: Read> Prefilter<R> {
    fn new(inner: R) -> Self {
        Prefilter {
            inner,
            inbuf: vec![0; 64 * 1024],
            out: Vec::with_capacity(64 * 1024),
            pos: 0,
            lex: Lex::default(),
            eof: false,
        }
    }
}

impl<R: Read> Read for Prefilter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.out.len() {
            if self.eof {
                return Ok(0);
            }
            self.out.clear();
            self.pos = 0;
            let n = loop {
                match self.inner.read(&mut self.inbuf) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    r => break r?,
                }
            };
            if n == 0 {
                self.eof = true;
                // A file that is only a BOM and whitespace, or a bare name.
                let head = std::mem::take(&mut self.lex.head);
                let head = head.strip_prefix(BOM).unwrap_or(&head);
                self.out.extend_from_slice(head);
            } else {
                self.lex.feed(&self.inbuf[..n], &mut self.out);
            }
        }
        let k = buf.len().min(self.out.len() - self.pos);
        buf[..k].copy_from_slice(&self.out[self.pos..self.pos + k]);
        self.pos += k;
        Ok(k)
    }
}

impl Lex {
    fn feed(&mut self, mut b: &[u8], out: &mut Vec<u8>) {
        if !self.started {
            b = self.head_bytes(b, out);
        }
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if !self.in_str {
                if self.tail {
                    // After a JSONP file's value: whitespace, one `)`, one `;`.
                    if !(c.is_ascii_whitespace() || c == b')' || c == b';') {
                        out.push(c);
                    }
                    i += 1;
                    continue;
                }
                match c {
                    b'"' => {
                        self.in_str = true;
                        self.len = 0;
                    }
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 0 && self.jsonp {
                            self.tail = true;
                        }
                    }
                    _ => {}
                }
                out.push(c);
                i += 1;
                continue;
            }
            // Inside a string: plain bytes in one run, up to the cap.
            if self.esc == 0 && !self.cutting {
                let room = STRING_CAP.saturating_sub(self.len);
                let limit = b.len().min(i + room);
                let run = b[i..limit]
                    .iter()
                    .position(|&x| x == b'"' || x == b'\\' || x < 0x20)
                    .unwrap_or(limit - i);
                if run > 0 {
                    out.extend_from_slice(&b[i..i + run]);
                    self.len += run;
                    self.high = false;
                    i += run;
                    continue;
                }
                if room == 0 && c != b'"' && c != b'\\' && c >= 0x20 {
                    if c & 0xC0 == 0x80 || self.high {
                        // The middle of a character, or after half a surrogate pair (which
                        // serde_json refuses anyway): not a place to cut.
                        out.push(c);
                        self.len += 1;
                        i += 1;
                        continue;
                    }
                    self.start_cut(out);
                }
            }
            self.string_byte(c, out);
            i += 1;
        }
    }

    fn start_cut(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"\\ufdd0");
        self.cutting = true;
    }

    /// One byte of a string through the escape state machine; passed on unless cutting.
    fn string_byte(&mut self, c: u8, out: &mut Vec<u8>) {
        let keep = !self.cutting;
        match self.esc {
            0 => match c {
                b'"' => {
                    self.in_str = false;
                    self.cutting = false;
                    out.push(c);
                    return;
                }
                b'\\' => {
                    // A cut starts only between escapes, never inside one.
                    if !self.cutting && self.len >= STRING_CAP && !self.high {
                        self.start_cut(out);
                        self.esc = 1;
                        return;
                    }
                    self.esc = 1;
                }
                0..=0x1f => {
                    // Invalid in JSON: let serde_json see it and refuse the file.
                    out.push(c);
                    return;
                }
                _ => self.high = false,
            },
            1 => {
                self.esc = 0;
                match c {
                    b'u' => {
                        self.esc = 5;
                        self.hex = 0;
                    }
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.high = false,
                    _ => {
                        // Not an escape: passed on (with its backslash) for serde_json.
                        if !keep {
                            out.push(b'\\');
                            out.push(c);
                        }
                    }
                }
            }
            _ => {
                self.esc -= 1;
                let d = (c as char).to_digit(16).unwrap_or(0);
                self.hex = self.hex << 4 | d;
                if self.esc == 1 {
                    self.esc = 0;
                    self.high = (0xD800..0xDC00).contains(&self.hex);
                }
            }
        }
        if keep {
            out.push(c);
            self.len += 1;
        }
    }

    /// Before the first JSON byte: a BOM, whitespace and a JSONP `name(` are held back until
    /// it is clear which they are. Returns the rest of `b` for the main loop, starting at the
    /// first byte of the JSON value.
    fn head_bytes<'a>(&mut self, b: &'a [u8], out: &mut Vec<u8>) -> &'a [u8] {
        for (i, &c) in b.iter().enumerate() {
            self.head.push(c);
            if self.head.len() < BOM.len() && BOM.starts_with(&self.head) {
                continue; // a BOM still arriving
            }
            let h = self.head.strip_prefix(BOM).unwrap_or(&self.head);
            let t = h.trim_ascii_start();
            if t.is_empty() {
                continue;
            }
            let ident = t
                .iter()
                .take_while(|&&x| x.is_ascii_alphanumeric() || b"_$.".contains(&x))
                .count();
            let name_then = t[ident..].trim_ascii_start().first().copied();
            if ident > 0 && !t[0].is_ascii_digit() {
                match name_then {
                    None => continue, // the name goes on, or `(` is still to come
                    Some(b'(') => {
                        self.jsonp = true;
                        self.started = true;
                        self.head.clear();
                        return &b[i + 1..];
                    }
                    Some(_) => {} // `true,`, `null}` or garbage: serde_json judges it
                }
            }
            // Plain JSON: what was held, without the BOM and without this byte, which the
            // main loop reads so that it sees a string or bracket start.
            out.extend_from_slice(&h[..h.len() - 1]);
            self.started = true;
            self.head.clear();
            return &b[i..];
        }
        &[]
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `s` without a [`CUT_MARK`] at its end, and whether it had one.
fn uncut(s: &str) -> (&str, bool) {
    match s.strip_suffix(CUT_MARK) {
        Some(t) => (t, true),
        None => (s, false),
    }
}

// ---------------------------------------------------------------------------------------------
// Streaming driver

/// What the driver remembers across entries to fill a row's context.
#[derive(Default)]
struct Memory {
    /// `(target URL, chain of URLs that led to it)`, newest last.
    redirects: Vec<(String, Vec<String>)>,
    /// `pageref` → URL of its main document.
    page_main: Keyed<String>,
    /// `pageref` → title, from `log.pages`.
    page_titles: Keyed<String>,
    /// Failure key → index of its first entry.
    failures: Keyed<usize>,
}

/// A small map on a sorted `Vec` (binary search). Not `HashMap`: hashing and its tables cost
/// several KB of the WASM size budget, and these maps hold a few thousand keys at most.
struct Keyed<V>(Vec<(String, V)>);

impl<V> Default for Keyed<V> {
    fn default() -> Self {
        Keyed(Vec::new())
    }
}

impl<V> Keyed<V> {
    fn get(&self, k: &str) -> Option<&V> {
        let i = self.0.binary_search_by(|(x, _)| x.as_str().cmp(k)).ok()?;
        Some(&self.0[i].1)
    }

    /// Inserts unless `k` is there or the map holds `max` keys.
    fn insert(&mut self, k: String, v: V, max: usize) {
        if self.0.len() >= max {
            return;
        }
        if let Err(i) = self.0.binary_search_by(|(x, _)| x.as_str().cmp(&k)) {
            self.0.insert(i, (k, v));
        }
    }
}

struct Ctx<'a> {
    on_entry: &'a mut dyn FnMut(HarItem) -> Result<()>,
    /// An error from the callback, kept aside so it is reported as itself rather than as a
    /// JSON error with a position.
    sink_error: Option<Error>,
    summary: HarSummary,
    browser: Option<String>,
    saw_log: bool,
    saw_entries: bool,
    /// Reading through the [`Prefilter`]: strings may carry a [`CUT_MARK`].
    streamed: bool,
    memory: Memory,
}

impl Ctx<'_> {
    /// Keeps a warning line. The CLI prints them; WASM's `diagnoseHar` returns rows only, so
    /// there the lines are not even formatted.
    fn warn(&mut self, line: impl FnOnce() -> String) {
        if cfg!(target_arch = "wasm32") {
            return;
        }
        if self.summary.warnings.len() < MAX_WARNINGS {
            let line = line();
            self.summary.warnings.push(line);
        } else {
            self.summary.more_warnings += 1;
        }
    }
}

const SINK_STOPPED: &str = "stopped by the entry callback";

fn drive<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    on_entry: &mut dyn FnMut(HarItem) -> Result<()>,
    streamed: bool,
) -> Result<HarSummary> {
    let mut ctx = Ctx {
        on_entry,
        sink_error: None,
        summary: HarSummary::default(),
        browser: None,
        saw_log: false,
        saw_entries: false,
        streamed,
        memory: Memory::default(),
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
    if !ctx.saw_entries {
        // HAR requires the list (it may be empty); a log without one is not a capture (HAR
        // Viewer's "not-valid" sample, a pages-only file).
        return Err(Error::bad_input(
            "not a HAR capture: \"log\" has no \"entries\" list",
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
                                // A number (`1.2`) or another odd shape: it is only a label.
                                ctx.warn(|| {
                                    format!(
                                        "log.version: {} (read as absent)",
                                        invalid(&v, "a string").msg
                                    )
                                });
                                continue;
                            };
                            // The HAR spec says an empty version means 1.1.
                            if !matches!(v, "1.1" | "1.2" | "") {
                                return Err(de::Error::custom(format!(
                                    "unsupported HAR version \"{}\" (this tool reads 1.1 and 1.2)",
                                    crate::report::clean(v, 20)
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
                        "pages" => {
                            let pages: Value = map.next_value()?;
                            for p in pages.as_array().map_or(&[][..], Vec::as_slice) {
                                let s = |k| p.get(k).and_then(Value::as_str);
                                if let (Some(id), Some(title)) = (s("id"), s("title")) {
                                    ctx.memory.page_titles.insert(
                                        id.into(),
                                        crate::report::clean(title, 300),
                                        MAX_PAGES,
                                    );
                                }
                            }
                        }
                        "entries" => {
                            ctx.saw_entries = true;
                            map.next_value_seed(Seed {
                                ctx: &mut *ctx,
                                level: Level::Entries,
                            })?
                        }
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
            let (item, bad) = entry(&raw, index, ctx.browser.as_deref(), ctx.streamed);
            drop(raw);
            if let Some(b) = bad {
                let what = if item.is_some() {
                    "read as absent"
                } else {
                    "entry skipped"
                };
                ctx.warn(|| format!("entry {index}: {b} ({what})"));
            }
            let Some(mut item) = item else {
                ctx.summary.skipped += 1;
                continue;
            };
            remember(&mut ctx.memory, &mut item);
            if item.failed {
                ctx.summary.failed += 1;
                if item.class != ResourceClass::Other {
                    ctx.summary.failed_doc_xhr += 1;
                }
            }
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

/// Fills the item's context from earlier entries (redirect chain, main document, repeats)
/// and remembers what later ones need. Bounded: a few thousand keys at most.
fn remember(m: &mut Memory, item: &mut HarItem) {
    let url = item.observation.url.clone();
    if let Some(i) = m.redirects.iter().position(|(t, _)| *t == url) {
        item.redirected_from = m.redirects.remove(i).1;
    }
    if let Some(p) = &item.page {
        item.page_title = m.page_titles.get(p).cloned();
    }
    if item.class == ResourceClass::Document {
        let page = item.page.clone().unwrap_or_default();
        match m.page_main.get(&page) {
            None => {
                item.main_document = true;
                m.page_main.insert(page, url.clone(), MAX_PAGES);
            }
            Some(main) => item.main_document = item.redirected_from.first() == Some(main),
        }
    }
    let o = &item.observation;
    if let (Some(300..=399), Some(target)) = (o.status, item_redirect_target(o)) {
        let mut chain = item.redirected_from.clone();
        chain.push(url.clone());
        if chain.len() > MAX_CHAIN {
            chain.drain(..chain.len() - MAX_CHAIN);
        }
        if m.redirects.len() >= MAX_REDIRECTS {
            m.redirects.remove(0);
        }
        m.redirects.push((target, chain));
    }
    if item.failed {
        let mut key = String::new();
        for part in [
            o.method.as_deref().unwrap_or(""),
            url.as_str(),
            o.net_error.as_deref().unwrap_or(""),
        ] {
            key.push_str(part);
            key.push('\n');
        }
        key.push_str(&o.status.unwrap_or(0).to_string());
        match m.failures.get(&key) {
            Some(&first) => item.repeat_of = Some(first),
            None => m.failures.insert(key, item.index, MAX_FAILURE_KEYS),
        }
    }
}

/// Where a redirect points: `Location` resolved against the entry's URL (HAR's `redirectURL`
/// is kept in the observation's headers as `location` when the response had none).
fn item_redirect_target(o: &Observation) -> Option<String> {
    let loc = o
        .header("location")
        .map(str::trim)
        .filter(|l| !l.is_empty())?;
    Some(resolve(&o.url, loc))
}

/// `reference` resolved against `base`, enough for redirects: absolute, scheme-relative,
/// path-absolute and path-relative references (no `..` folding).
fn resolve(base: &str, reference: &str) -> String {
    if reference.contains("://") {
        return reference.to_string();
    }
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    if let Some(r) = reference.strip_prefix("//") {
        return format!("{}{r}", &base[..scheme_end]);
    }
    let authority_end = base[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(base.len(), |i| scheme_end + i);
    if reference.starts_with('/') {
        return format!("{}{reference}", &base[..authority_end]);
    }
    let path_end = base[authority_end..]
        .find(['?', '#'])
        .map_or(base.len(), |i| authority_end + i);
    let dir_end = base[authority_end..path_end]
        .rfind('/')
        .map_or(authority_end, |i| authority_end + i + 1);
    if reference.starts_with('?') {
        return format!("{}{reference}", &base[..path_end]);
    }
    let sep = if dir_end == authority_end { "/" } else { "" };
    format!("{}{sep}{reference}", &base[..dir_end])
}

// ---------------------------------------------------------------------------------------------
// Entry conversion: each entry arrives as one `serde_json::Value` (bounded by the entry, not
// the file) and is read by hand, so the CLI's stream and WASM's string share one converter
// and the WASM build carries one JSON deserializer instead of one per entry struct. Only the
// fields used are read (postData, cookies, … are dropped with the entry).

/// The entry fields the classifier uses, borrowed from the entry's `Value`.
struct RawEntry<'a> {
    resource_type: Option<&'a str>,
    initiator_kind: Option<&'a str>,
    url: &'a str,
    request_headers: Vec<(&'a str, String)>,
    mime_type: Option<&'a str>,
}

/// Converts one `log.entries` item: the item (`None` when the entry is not an object) and the
/// first field that was read as absent because of its shape, if any.
fn entry(
    v: &Value,
    index: usize,
    browser: Option<&str>,
    streamed: bool,
) -> (Option<HarItem>, Option<Bad>) {
    // Only the CLI streams (and so cuts strings); knowing it at compile time keeps the
    // cut-mark handling out of the WASM build.
    let streamed = streamed && cfg!(not(target_arch = "wasm32"));
    let slot = Slot::default();
    let e = Rd::root(v, "a HAR entry object", &slot);
    if !v.is_object() {
        return (None, slot.take());
    }
    let (req, resp) = (e.obj("request"), e.obj("response"));
    let content = resp.obj("content");
    let url_raw = req.str("url").unwrap_or("");
    let (url, _) = if streamed {
        uncut(url_raw)
    } else {
        (url_raw, false)
    };
    // chrome-har (sitespeed.io) writes `_initiator` as the initiator's URL; DevTools as an
    // object with a `type`. Either is fine, and any other shape just says nothing.
    let initiator_kind = match v.get("_initiator") {
        Some(Value::Object(o)) => o.get("type").and_then(Value::as_str),
        _ => None,
    };
    let raw = RawEntry {
        resource_type: e.str("_resourceType"),
        initiator_kind,
        url,
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
    let (body, body_truncated) = decode_body(&content, status.is_some(), streamed);
    let mut resp_headers: Vec<Header> = headers(&resp)
        .into_iter()
        .map(|(n, v)| Header::new(n, v))
        .collect();
    // HAR's `redirectURL` is the Location the browser followed; keep it where the engine and
    // the redirect chain look for it when the headers lack it (Firefox omits some).
    if let Some(r) = resp
        .str("redirectURL")
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        if !resp_headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("location"))
        {
            resp_headers.push(Header::new("location", r));
        }
    }
    let t = e.obj("timings");
    let ms = |k: &'static str| {
        t.get(k)
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(|v| v as f32)
    };
    let timings = Timings {
        blocked: ms("blocked"),
        dns: ms("dns"),
        connect: ms("connect"),
        tls: ms("ssl"),
        send: ms("send"),
        wait: ms("wait"),
        receive: ms("receive"),
        total: e
            .get("time")
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(|v| v as f32),
    };
    let item = HarItem {
        index,
        class,
        failed,
        observation: Observation {
            url: url.to_string(),
            method: req.opt_string("method"),
            status,
            status_line,
            headers: resp_headers,
            body,
            body_truncated,
            net_error,
            browser: browser.map(str::to_string),
            os: None,
            observed_at: e.opt_string("startedDateTime"),
        },
        timings,
        server_ip: e
            .str("serverIPAddress")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| crate::report::clean(s, 64)),
        page: e.opt_string("pageref"),
        page_title: None,
        redirected_from: Vec::new(),
        main_document: false,
        repeat_of: None,
    };
    (Some(item), finish(&slot, ()).err())
}

/// `headers: [{name, value}]` of a request or response. A value written as a list (Polly.JS
/// records repeated headers so) is joined with `, `, as HTTP folds repeated fields; a number
/// or boolean is read as its text.
fn headers<'a>(o: &'a Rd<'a>) -> Vec<(&'a str, String)> {
    let mut out = Vec::new();
    for (i, v) in o.list("headers").iter().enumerate() {
        let h = o.item("headers", i, v, "a header object");
        let name = h.str("name").unwrap_or("");
        let value = match h.get("value") {
            None => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(parts)) => {
                let mut joined = String::new();
                for p in parts.iter().filter_map(Value::as_str) {
                    if !joined.is_empty() {
                        joined.push_str(", ");
                    }
                    joined.push_str(p);
                }
                joined
            }
            Some(Value::Bool(b)) => if *b { "true" } else { "false" }.into(),
            // Integers only: formatting a float would bring ~17 KB of float printing into the
            // WASM build for a header nobody writes as 1.5.
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => match n.as_i64() {
                Some(i) => i.to_string(),
                None => n.as_u64().unwrap_or(0).to_string(),
            },
            Some(other) => {
                h.bad("value", invalid(other, "a string or a list of strings"));
                continue;
            }
        };
        out.push((name, value));
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
    /// What the request was for. The browser's own word first (Chrome's `_resourceType`,
    /// `Sec-Fetch-Dest`), then what the request asked for (`X-Requested-With`, `Accept`, the
    /// URL's extension), and only then the response's MIME type: an image request answered
    /// with an HTML error page is still an image, and an SVG is an image, not XML data.
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
        if let Some(a) = req("accept") {
            let a = a.trim();
            if a.contains("text/html") || a.contains("xhtml") {
                return ResourceClass::Document;
            }
            if a.starts_with("image/")
                || a.starts_with("text/css")
                || a.starts_with("font/")
                || a.starts_with("video/")
                || a.starts_with("audio/")
            {
                return ResourceClass::Other;
            }
            if a.contains("json") || a.starts_with("text/event-stream") {
                return ResourceClass::Xhr;
            }
        }
        if static_extension(self.url) {
            return ResourceClass::Other;
        }
        let mime = self.mime_type.unwrap_or("").to_ascii_lowercase();
        if is_static_mime(&mime) {
            return ResourceClass::Other;
        }
        if mime.starts_with("text/html") || mime.contains("xhtml") {
            return ResourceClass::Document;
        }
        if mime.contains("json") || mime.contains("xml") || mime.starts_with("text/plain") {
            return ResourceClass::Xhr;
        }
        if self.initiator_kind == Some("script") {
            return ResourceClass::Xhr;
        }
        ResourceClass::Other
    }
}

/// The URL's path ends in the extension of an image, style, script, font or media file. On
/// bytes, as [`unwrap_text`].
fn static_extension(url: &str) -> bool {
    let b = url.as_bytes();
    let end = b
        .iter()
        .position(|&c| c == b'?' || c == b'#')
        .unwrap_or(b.len());
    let path = &b[..end];
    // The last segment, when there is a path after `scheme://host`.
    let slashes = path.iter().filter(|&&c| c == b'/').count();
    let Some(seg) = path.rsplit(|&c| c == b'/').next().filter(|_| slashes >= 3) else {
        return false;
    };
    let Some(dot) = seg.iter().rposition(|&c| c == b'.') else {
        return false;
    };
    const STATIC: [&str; 22] = [
        "png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico", "bmp", "css", "js", "mjs",
        "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3", "ogg", "map",
    ];
    let ext = &seg[dot + 1..];
    STATIC
        .iter()
        .any(|s| ext.eq_ignore_ascii_case(s.as_bytes()))
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
fn decode_body(c: &Rd, has_response: bool, streamed: bool) -> (Option<String>, bool) {
    let Some(t) = c.str("text") else {
        let size = c.get("size").and_then(lenient_int);
        let empty = has_response && size == Some(0);
        return (empty.then(String::new), false);
    };
    let (t, was_cut) = if streamed { uncut(t) } else { (t, false) };
    let mut end = t.len().min(TEXT_CAP);
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    let (text, text_cut) = (&t[..end], end < t.len() || was_cut);
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
    fn api_wording_is_the_catalog_text() {
        let en: serde_json::Value =
            serde_json::from_str(include_str!("../locales/core/en.json")).unwrap();
        for (kind, code) in [
            (Kind::ClientError, 404),
            (Kind::Blocked, 403),
            (Kind::ClientError, 400),
            (Kind::ServerError, 502),
        ] {
            let mut d = crate::diagnose(&Observation {
                status: Some(code as u16),
                ..Default::default()
            });
            d.family = "generic".into();
            d.kind = kind;
            api_wording(&mut d);
            let id = d.title.id.to_string();
            assert!(id.starts_with("diag_title_api_"), "{id}");
            let want = en[&id]["message"]
                .as_str()
                .unwrap()
                .replace("$1", &code.to_string());
            assert_eq!(d.title.text.as_ref(), want, "{id}");
        }
    }

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
