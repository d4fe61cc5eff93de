//! The classifier: status, headers and body in, [`Diagnosis`] out.
//!
//! 1. No status but a network error code → the `network` family (signatures/network.toml).
//! 2. 1xx–3xx → `ok`/`none`, whatever the body says: a page that *talks about* 502 or
//!    Cloudflare must never raise an alarm.
//! 3. Otherwise the body is normalised (normalize.rs) and scanned once by the phrase matcher
//!    (`phrases` below) for every phrase of every signature plus the global anchors (code, retry,
//!    request-id phrases). Each signature whose status filter accepts the response sums the
//!    weights of its matching body/header rules (+2 for an accepted error status); those
//!    reaching `min_score` compete by (priority, has body evidence, score). The body outranks
//!    headers because headers pile up along the proxy chain (every response through Cloudflare
//!    says `server: cloudflare`), while the page is what the failing hop generated.
//! 4. Nothing fired → the first matching fallback (blank page, status only, …).

use std::sync::OnceLock;

use crate::model::*;
use crate::normalize::{normalize, Normalized};
use crate::remedies::{self, RemedyContext};
use crate::signatures::{self as sig, status_in, BodyCond, HeaderOp, SignatureDef};

/// Points an accepted 4xx/5xx status adds to a signature that matched something else.
const STATUS_POINTS: i32 = 2;
const NO_MATCH: u32 = u32::MAX;

fn matcher() -> &'static phrases::Matcher {
    static M: OnceLock<phrases::Matcher> = OnceLock::new();
    M.get_or_init(|| phrases::Matcher::new(sig::PATTERNS))
}

/// Finds the signature phrases in normalised text: a hashed 3-byte-prefix filter, then a
/// direct comparison with the few phrases that share the prefix.
///
/// Why not Aho-Corasick: an earlier version compiled the ~320 phrases into a full DFA
/// (~6,500 states x ~40 byte classes, 0.7 MB). Its table does not fit the L1/L2 caches, so a
/// scan cost ~5 ns per byte even natively (`make bench`), and building it took milliseconds
/// on the first diagnosis. Matches only count at word boundaries anyway (see [`scan`]), so
/// a phrase that starts with a word byte can only start where a word starts: at most one
/// position in five of ordinary text is a candidate, and each costs one lookup in an 8 KB
/// bitset. The work per byte is bounded (a candidate is compared only with the phrases of
/// its prefix, at most `max_bucket` of them), so adversarial input stays linear.
mod phrases {
    /// Bytes that make up words: ASCII letters and digits, `_`, and every byte of a non-ASCII
    /// character (the normalised text is lower case, so lower-case letters are what occur).
    pub const fn word_table() -> [bool; 256] {
        let mut t = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            t[b] = c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
            b += 1;
        }
        t
    }
    pub static WORD: [bool; 256] = word_table();

    /// Shortest phrase the filter handles; build.rs refuses shorter ones.
    pub const MIN_LEN: usize = 3;
    const BITS: usize = 1 << 16;

    fn key(t: &[u8], i: usize) -> u32 {
        u32::from(t[i]) | u32::from(t[i + 1]) << 8 | u32::from(t[i + 2]) << 16
    }

    fn hash(key: u32) -> usize {
        (key.wrapping_mul(0x9E37_79B1) >> 16) as usize
    }

    /// A phrase filed under its prefix: its first (up to) 8 bytes and a mask of them, so that
    /// most candidates are refused by one 64-bit comparison.
    struct Entry {
        head: u64,
        mask: u64,
        pattern: u16,
    }

    pub struct Matcher {
        /// One bit per hash of a phrase's first three bytes.
        bits: Vec<u64>,
        /// Open-addressed (prefix key, range of `entries`); `u32::MAX` = free (keys are 24-bit).
        slots: Vec<(u32, u32, u32)>,
        /// Grouped by prefix key, longest phrase first within a group.
        entries: Vec<Entry>,
        patterns: &'static [&'static str],
    }

    /// The 8 bytes at `t[i..]` (zero-padded past the end) as a little-endian word.
    fn head8(t: &[u8], i: usize) -> u64 {
        let mut b = [0u8; 8];
        let rest = &t[i..];
        let k = rest.len().min(8);
        b[..k].copy_from_slice(&rest[..k]);
        u64::from_le_bytes(b)
    }

    impl Matcher {
        pub fn new(patterns: &'static [&'static str]) -> Matcher {
            let mut bits = vec![0u64; BITS / 64];
            let mut order: Vec<(u32, usize)> = Vec::with_capacity(patterns.len());
            for (p, pat) in patterns.iter().enumerate() {
                let b = pat.as_bytes();
                // build.rs guarantees the length; a shorter phrase could never be found.
                if b.len() < MIN_LEN {
                    continue;
                }
                let k = key(b, 0);
                let h = hash(k);
                bits[h / 64] |= 1 << (h % 64);
                order.push((k, p));
            }
            order.sort_unstable_by_key(|&(k, p)| (k, std::cmp::Reverse(patterns[p].len())));
            let groups = order.windows(2).filter(|w| w[0].0 != w[1].0).count() + 1;
            let size = (groups * 2).next_power_of_two().max(16);
            let mut slots = vec![(u32::MAX, 0u32, 0u32); size];
            let mut entries = Vec::with_capacity(order.len());
            let mut i = 0;
            while i < order.len() {
                let k = order[i].0;
                let from = entries.len() as u32;
                while i < order.len() && order[i].0 == k {
                    let b = patterns[order[i].1].as_bytes();
                    let n = b.len().min(8);
                    entries.push(Entry {
                        head: head8(b, 0),
                        mask: if n == 8 {
                            u64::MAX
                        } else {
                            (1u64 << (8 * n)) - 1
                        },
                        pattern: order[i].1 as u16,
                    });
                    i += 1;
                }
                let mut s = hash(k) & (size - 1);
                while slots[s].0 != u32::MAX {
                    s = (s + 1) & (size - 1);
                }
                slots[s] = (k, from, entries.len() as u32);
            }
            Matcher {
                bits,
                slots,
                entries,
                patterns,
            }
        }

        fn group(&self, k: u32) -> &[Entry] {
            let m = self.slots.len() - 1;
            let mut s = hash(k) & m;
            loop {
                let (sk, from, to) = self.slots[s];
                if sk == k {
                    return &self.entries[from as usize..to as usize];
                }
                if sk == u32::MAX {
                    return &[];
                }
                s = (s + 1) & m;
            }
        }

        /// Calls `f(pattern, start, end)` for every occurrence of a phrase that starts at a
        /// word boundary when the phrase starts with a word byte (any occurrence otherwise),
        /// in order of `end`, the longer phrase first when two end together.
        pub fn for_each(&self, text: &[u8], mut f: impl FnMut(usize, usize, usize)) {
            let n = text.len();
            if n < MIN_LEN {
                return;
            }
            // (end, pattern): found in order of start, reported in order of end.
            let mut found: Vec<(u32, u16)> = Vec::new();
            let mut prev_word = false;
            for i in 0..=n - MIN_LEN {
                let c = text[i];
                let word = WORD[c as usize];
                // Inside a word: only a phrase starting with a word byte could start here,
                // and those need a boundary before them.
                if word && prev_word {
                    continue;
                }
                prev_word = word;
                let k = key(text, i);
                let h = hash(k);
                if self.bits[h / 64] & (1 << (h % 64)) == 0 {
                    continue;
                }
                let head = head8(text, i);
                for e in self.group(k) {
                    if head & e.mask != e.head {
                        continue;
                    }
                    let p = e.pattern as usize;
                    let len = self.patterns[p].len();
                    if len <= 8 || text[i..].starts_with(self.patterns[p].as_bytes()) {
                        found.push(((i + len) as u32, e.pattern));
                    }
                }
            }
            // Stable sort: equal ends keep the order of start, i.e. the longer phrase first.
            found.sort_by_key(|&(end, _)| end);
            for (end, p) in found {
                let end = end as usize;
                f(p as usize, end - self.patterns[p as usize].len(), end);
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::{Matcher, WORD};

        /// Every occurrence, filtered by the same start rule, in order of end then longest.
        fn naive(pats: &[&str], text: &str) -> Vec<(usize, usize, usize)> {
            let t = text.as_bytes();
            let mut v = Vec::new();
            for end in 1..=t.len() {
                let mut here: Vec<(usize, usize, usize)> = pats
                    .iter()
                    .enumerate()
                    .filter(|(_, pat)| t[..end].ends_with(pat.as_bytes()))
                    .map(|(p, pat)| (p, end - pat.len(), end))
                    .filter(|&(p, start, _)| {
                        !(WORD[pats[p].as_bytes()[0] as usize]
                            && start > 0
                            && WORD[t[start - 1] as usize])
                    })
                    .collect();
                here.sort_by_key(|&(_, start, _)| start);
                v.extend(here);
            }
            v
        }

        fn run(m: &Matcher, text: &str) -> Vec<(usize, usize, usize)> {
            let mut got = Vec::new();
            m.for_each(text.as_bytes(), |p, start, end| {
                assert_eq!(&text[start..end], m.patterns[p]);
                got.push((p, start, end));
            });
            got
        }

        #[test]
        fn finds_every_occurrence_at_a_word_start_in_order_of_end() {
            static PATS: &[&str] = &[
                "she",
                "his",
                "hers",
                "ushe",
                "error",
                "error 502",
                "r 5",
                "aaa",
                "(squid/",
                "502 bad gateway",
                "bad gateway",
                "id:",
                "ray id:",
            ];
            let m = Matcher::new(PATS);
            for text in [
                "ushers",
                "she sells his hers",
                "error 502 error 5020",
                "",
                "aa",
                "aaaa aaa",
                "zzz",
                "x(squid/3.1) (squid/",
                "502 bad gateway bad gateway",
                "cloudflare ray id: 1a2b id:x",
                "émoji error 502 ünd error",
            ] {
                assert_eq!(run(&m, text), naive(PATS, text), "text {text:?}");
            }
        }

        #[test]
        fn agrees_with_naive_search_on_the_real_patterns() {
            let pats = crate::signatures::PATTERNS;
            let m = Matcher::new(pats);
            let text = "502 bad gateway nginx cloudflare ray id: 1a2b that's an error error 522 \
                        guru meditation no healthy upstream try again in 30 seconds errors.edgesuite.net \
                        the server encountered a temporary error and could not complete your request";
            let got = run(&m, text);
            assert!(got.len() > 10, "{got:?}");
            assert_eq!(got, naive(pats, text));
        }

        #[test]
        fn every_real_pattern_is_found_alone() {
            let pats = crate::signatures::PATTERNS;
            let m = Matcher::new(pats);
            for (p, pat) in pats.iter().enumerate() {
                let text = format!(" {pat} ");
                assert!(
                    run(&m, &text).iter().any(|&(q, s, _)| q == p && s == 1),
                    "{pat:?} not found"
                );
            }
        }
    }
}

/// What one pass over the normalised body found.
#[derive(Debug)]
pub struct Scan {
    /// Byte offset of the first word-bounded occurrence of each pattern, or `u32::MAX`.
    pub first: Vec<u32>,
    /// First error code the page prints ("Error 522", "502 Bad Gateway").
    pub page_code: Option<u32>,
    /// "try again in 30 seconds" → 30.
    pub retry_s: Option<u32>,
    /// (pattern, token) for request-id phrases ("Cloudflare Ray ID: 615f…").
    pub page_ids: Vec<(u16, String)>,
}

impl Scan {
    fn has(&self, p: u16) -> bool {
        self.first[p as usize] != NO_MATCH
    }
}

fn is_word(b: u8) -> bool {
    phrases::WORD[b as usize]
}

/// Scans the normalised text once. Linear in its length plus the number of matches.
pub fn scan(n: &Normalized) -> Scan {
    let text = n.fold.as_bytes();
    let mut s = Scan {
        first: vec![NO_MATCH; sig::PATTERNS.len()],
        page_code: None,
        retry_s: None,
        page_ids: Vec::new(),
    };
    if text.is_empty() {
        return s;
    }
    matcher().for_each(text, |p, start, end| {
        let pat = sig::PATTERNS[p].as_bytes();
        // Phrases match whole words: "nginx" not in "nginxcontrib", "error 502" not in
        // "error 5020". Only checked where the phrase itself starts/ends with a word char.
        if is_word(pat[0]) && start > 0 && is_word(text[start - 1]) {
            return;
        }
        if is_word(pat[pat.len() - 1]) && end < text.len() && is_word(text[end]) {
            return;
        }
        let role = sig::PATTERN_ROLES[p];
        if s.first[p] == NO_MATCH {
            s.first[p] = start as u32;
        }
        if s.page_code.is_none() {
            if role & sig::ROLE_CODE_AFTER != 0 {
                s.page_code = code_after(text, end);
            }
            if s.page_code.is_none() && role & sig::ROLE_CODE_BEFORE != 0 {
                s.page_code = code_before(text, start);
            }
        }
        if role & sig::ROLE_RETRY != 0 && s.retry_s.is_none() {
            s.retry_s = retry_after(text, end);
        }
        if role & sig::ROLE_PAGE_ID != 0 && !s.page_ids.iter().any(|(q, _)| *q as usize == p) {
            if let Some(tok) = token_after(n.orig.as_bytes(), end) {
                s.page_ids.push((p as u16, tok));
            }
        }
    });
    s
}

fn plausible_code(c: u32) -> bool {
    (400..=599).contains(&c) || (1000..=1999).contains(&c)
}

/// "error 522", "error code: 1016", "http error 503.0" — digits after up to 3 separators.
fn code_after(t: &[u8], mut i: usize) -> Option<u32> {
    let stop = (i + 3).min(t.len());
    while i < stop && matches!(t[i], b' ' | b':' | b'#') {
        i += 1;
    }
    let start = i;
    while i < t.len() && i - start < 5 && t[i].is_ascii_digit() {
        i += 1;
    }
    let len = i - start;
    if !(3..=4).contains(&len) || (i < t.len() && t[i].is_ascii_alphanumeric()) {
        return None;
    }
    let c: u32 = std::str::from_utf8(&t[start..i]).ok()?.parse().ok()?;
    plausible_code(c).then_some(c)
}

/// "502 bad gateway", "522: connection timed out" — digits right before the phrase.
fn code_before(t: &[u8], start: usize) -> Option<u32> {
    let mut i = start;
    let stop = start.saturating_sub(3);
    while i > stop && matches!(t[i - 1], b' ' | b':' | b'-') {
        i -= 1;
    }
    let end = i;
    while i > 0 && end - i < 5 && t[i - 1].is_ascii_digit() {
        i -= 1;
    }
    let len = end - i;
    if !(3..=4).contains(&len) || (i > 0 && t[i - 1].is_ascii_alphanumeric()) || end == start {
        return None;
    }
    let c: u32 = std::str::from_utf8(&t[i..end]).ok()?.parse().ok()?;
    plausible_code(c).then_some(c)
}

/// "try again in 30 seconds" / "in 2 minutes" / "in 30 Sekunden" → seconds.
fn retry_after(t: &[u8], mut i: usize) -> Option<u32> {
    while i < t.len() && t[i] == b' ' {
        i += 1;
    }
    let start = i;
    while i < t.len() && i - start < 6 && t[i].is_ascii_digit() {
        i += 1;
    }
    if i == start {
        return None;
    }
    let n: u32 = std::str::from_utf8(&t[start..i]).ok()?.parse().ok()?;
    while i < t.len() && t[i] == b' ' {
        i += 1;
    }
    let rest = &t[i..t.len().min(i + 8)];
    let mult = if rest.starts_with(b"sec")
        || rest.starts_with(b"sek")
        || rest.starts_with(b"s ")
        || rest == b"s"
    {
        1
    } else if rest.starts_with(b"min") {
        60
    } else if rest.starts_with(b"hour") {
        3600
    } else {
        return None;
    };
    let s = n.checked_mul(mult)?;
    (1..=86_400).contains(&s).then_some(s)
}

/// The id token after a phrase, read from the original-case text.
fn token_after(orig: &[u8], mut i: usize) -> Option<String> {
    while i < orig.len() && orig[i] == b' ' {
        i += 1;
    }
    let start = i;
    while i < orig.len()
        && i - start < 128
        && (orig[i].is_ascii_alphanumeric() || b"._-:=+/".contains(&orig[i]))
    {
        i += 1;
    }
    let tok = std::str::from_utf8(&orig[start..i]).ok()?;
    let tok = tok.trim_end_matches(['.', ':', '-', ',']);
    (tok.len() >= 4 && tok.bytes().any(|b| b.is_ascii_digit())).then(|| tok.to_string())
}

/// Whether markup should be stripped: everything except an explicit plain-text/JSON type.
fn is_html(obs: &Observation) -> bool {
    match obs.header("content-type") {
        Some(ct) => {
            let ct = ct.trim().to_ascii_lowercase();
            !(ct.starts_with("text/plain") || ct.contains("json"))
        }
        None => true,
    }
}

/// Kind from the status (or the code when no status): the engine's default when a
/// signature does not fix it.
fn derived_kind(status: Option<u16>, code: Option<u32>) -> Kind {
    match status.map(u32::from).or(code) {
        Some(401 | 403 | 451) => Kind::Blocked,
        Some(400..=499) => Kind::ClientError,
        _ => Kind::ServerError,
    }
}

fn default_fault(kind: Kind, family: &sig::FamilyDef) -> Fault {
    match kind {
        Kind::ServerError => family.fault,
        Kind::Blocked | Kind::ClientError => Fault::Site,
        Kind::Challenge | Kind::Ok => Fault::None,
        Kind::NetworkError => Fault::Network,
    }
}

fn auto_message(code: Option<u32>, kind: Kind) -> &'static sig::AutoMessageDef {
    // A server error keeps server-error texts even when the page shows a 4xx or 1xxx code
    // (Azure's "Error 403 - This web app is stopped").
    let c = match (kind, code) {
        (Kind::ServerError, Some(c @ 500..=599)) => c as u16,
        (Kind::ServerError, _) => 500,
        (_, Some(c)) if c <= 999 => c as u16,
        _ => 0,
    };
    sig::AUTO_MESSAGES
        .iter()
        .find(|a| status_in(a.codes, c))
        .unwrap_or(&sig::AUTO_MESSAGES[sig::AUTO_MESSAGES.len() - 1])
}

/// The auto summary for a family: vendor-less families get the wording without a vendor name.
fn auto_summary(auto: &sig::AutoMessageDef, family: &sig::FamilyDef) -> &'static str {
    match family.id {
        "generic" | "blank" | "none" => auto.summary_site.unwrap_or(auto.summary),
        _ => auto.summary,
    }
}

fn code_variant(code: Option<u32>) -> Option<&'static str> {
    let c = code?;
    sig::CODE_VARIANTS
        .iter()
        .find(|(k, _)| *k == c)
        .map(|(_, v)| *v)
}

/// Renders a core message with `args`, keeping only as many args as the text uses. Ids and
/// texts without placeholders borrow the built-in strings.
pub fn message(id: &str, args: &[String]) -> Message {
    let (id, text): (Text, &'static str) = match sig::message(id) {
        Some((id, text)) => (Text::Borrowed(id), text),
        None => (Text::Owned(id.to_string()), ""),
    };
    if text.is_empty() {
        return Message {
            text: id.clone(),
            id,
            args: Vec::new(),
        };
    }
    if !text.contains('$') {
        return Message {
            id,
            args: Vec::new(),
            text: Text::Borrowed(text),
        };
    }
    // One pass: copy the text, substituting $1..$9; remember the highest placeholder used.
    let mut out = String::with_capacity(text.len() + 16);
    let mut used = 0usize;
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let d = rest.as_bytes().get(i + 1).copied().unwrap_or(0);
        if (b'1'..=b'9').contains(&d) {
            let n = (d - b'0') as usize;
            used = used.max(n);
            out.push_str(args.get(n - 1).map_or("", String::as_str));
            rest = &rest[i + 2..];
        } else {
            out.push('$');
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    let args: Vec<String> = args.iter().take(used).cloned().collect();
    Message {
        id,
        args,
        text: Text::Owned(out),
    }
}

struct Fired {
    sig: usize,
    score: i32,
    body_hit: bool,
    variant: Option<&'static str>,
    evidence: Vec<Evidence>,
}

/// The response headers, each value trimmed and lower-cased once: the signatures' header
/// rules test them dozens of times per diagnosis.
struct Headers<'a> {
    list: Vec<(&'a str, &'a str, String)>,
}

impl<'a> Headers<'a> {
    fn new(obs: &'a Observation) -> Headers<'a> {
        Headers {
            list: obs
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.as_str(),
                        h.value.as_str(),
                        h.value.trim().to_ascii_lowercase(),
                    )
                })
                .collect(),
        }
    }

    /// (original value, trimmed lower-case value) of the first header called `name`.
    fn get(&self, name: &str) -> Option<(&'a str, &str)> {
        self.list
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v, lower)| (*v, lower.as_str()))
    }
}

fn header_matches(rule: &sig::HeaderRule, v: &str) -> bool {
    match rule.op {
        HeaderOp::Present => !v.is_empty(),
        HeaderOp::Equals => v == rule.value,
        HeaderOp::Prefix => v.starts_with(rule.value),
        HeaderOp::Contains => v.contains(rule.value),
    }
}

fn evaluate(
    idx: usize,
    s: &SignatureDef,
    obs: &Observation,
    headers: &Headers,
    norm: &Normalized,
    sc: &Scan,
    body_allowed: bool,
) -> Option<Fired> {
    match obs.status {
        Some(st) if !status_in(s.status, st) => return None,
        None if !s.status_none => return None,
        _ => {}
    }
    if s.unless.iter().any(|&p| sc.has(p)) {
        return None;
    }
    if s.max_text.is_some_and(|m| norm.fold.len() > m as usize) {
        return None;
    }
    let mut f = Fired {
        sig: idx,
        score: 0,
        body_hit: false,
        variant: None,
        evidence: Vec::new(),
    };
    if body_allowed {
        for rule in s.body {
            let hit: Option<String> = if rule.empty {
                (norm.visible == 0).then(|| "body: empty".to_string())
            } else if let Some(&p) = rule
                .patterns
                .iter()
                .filter(|&&p| sc.has(p))
                .min_by_key(|&&p| sc.first[p as usize])
            {
                f.body_hit = true;
                Some(format!("body: {:?}", sig::PATTERNS[p as usize]))
            } else if let Some(e) = rule.exact.iter().find(|e| norm.fold == **e) {
                f.body_hit = true;
                Some(format!("body is exactly {e:?}"))
            } else {
                None
            };
            if let Some(detail) = hit {
                f.score += rule.weight;
                f.variant = f.variant.or(rule.variant);
                f.evidence.push(Evidence {
                    source: EvidenceSource::Body,
                    detail,
                    signature: Some(s.id.to_string()),
                });
            }
        }
    }
    for rule in s.headers {
        let Some((value, lower)) = headers.get(rule.name) else {
            continue;
        };
        if header_matches(rule, lower) {
            f.score += rule.weight;
            f.variant = f.variant.or(rule.variant);
            f.evidence.push(Evidence {
                source: EvidenceSource::Header,
                detail: format!("{}: {}", rule.name, clip(value, 120)),
                signature: Some(s.id.to_string()),
            });
        }
    }
    if f.score > 0 && obs.status.is_some_and(|st| st >= 400) {
        f.score += STATUS_POINTS;
    }
    // Without a status only the page can say it is an error page: a `server: awselb/2.0`
    // header is on every response of that load balancer, good or bad.
    if obs.status.is_none() && !f.body_hit {
        return None;
    }
    (f.score >= s.min_score).then_some(f)
}

fn clip(s: &str, max: usize) -> &str {
    let s = s.trim();
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Classifies one observation. Never panics; every input gives a diagnosis.
pub fn diagnose(obs: &Observation) -> Diagnosis {
    let net_error = obs
        .net_error
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if obs.status.is_none() {
        if let Some(code) = net_error {
            return network(obs, code);
        }
    }

    let mut evidence = Vec::new();
    if let Some(st) = obs.status {
        evidence.push(Evidence {
            source: EvidenceSource::Status,
            detail: match obs.status_line.as_deref().map(str::trim) {
                Some(l) if !l.is_empty() => format!("status {st} ({})", clip(l, 80)),
                _ => format!("status {st}"),
            },
            signature: None,
        });
    }
    if let Some(code) = net_error {
        evidence.push(Evidence {
            source: EvidenceSource::NetError,
            detail: clip(code, 80).to_string(),
            signature: None,
        });
    }

    // 1xx-3xx never reach the signatures, so a healthy page costs no normalisation at all.
    let informational = obs.status.is_some_and(|s| s < 400);
    let body = obs.body.as_deref().unwrap_or("");
    let norm = if informational {
        Normalized::default()
    } else {
        normalize(body, is_html(obs), sig::BODY_CAP)
    };
    if let Some(total) = norm.cut_from {
        evidence.push(Evidence {
            source: EvidenceSource::Limit,
            detail: format!(
                "body cut at {} of {total} bytes before matching",
                sig::BODY_CAP
            ),
            signature: None,
        });
    }
    if obs.body_truncated {
        evidence.push(Evidence {
            source: EvidenceSource::Limit,
            detail: "body was already truncated when it was read".into(),
            signature: None,
        });
    }

    let sc = if informational {
        None
    } else {
        Some(scan(&norm))
    };

    let mut best: Option<Fired> = None;
    if let Some(sc) = &sc {
        let body_allowed = obs.status.is_some() || norm.fold.len() <= sig::UNKNOWN_STATUS_MAX_TEXT;
        let headers = Headers::new(obs);
        for (i, s) in sig::SIGNATURES.iter().enumerate() {
            if let Some(f) = evaluate(i, s, obs, &headers, &norm, sc, body_allowed) {
                let key = |f: &Fired| (sig::SIGNATURES[f.sig].priority, f.body_hit, f.score);
                if best.as_ref().is_none_or(|b| key(&f) > key(b)) {
                    best = Some(f);
                }
            }
        }
    }

    let page_code = sc.as_ref().and_then(|s| s.page_code);
    let header_retry = retry_after_header(obs);
    let retry = header_retry.or(sc.as_ref().and_then(|s| s.retry_s));
    let mut d = match best {
        Some(f) => from_signature(obs, f, page_code, retry, &mut evidence),
        None => from_fallback(obs, &norm, page_code, retry, &mut evidence),
    };

    // Ids, retry, remedies.
    let family_idx = sig::FAMILIES
        .iter()
        .position(|f| f.id == d.family)
        .unwrap_or(0);
    d.ids = ids(obs, sc.as_ref(), family_idx as u16);
    d.retry_after_s = retry;
    if let Some(r) = retry {
        evidence.push(Evidence {
            source: if header_retry.is_some() {
                EvidenceSource::Header
            } else {
                EvidenceSource::Body
            },
            detail: format!("retry after {r} s"),
            signature: None,
        });
    }
    d.evidence = evidence;
    d
}

struct Plan {
    kind: Kind,
    family: &'static sig::FamilyDef,
    variant: Option<String>,
    code: Option<u32>,
    fault: Fault,
    confidence: f32,
    title: &'static str,
    summary: &'static str,
    remedies: &'static [u16],
    retry: Option<u32>,
}

fn finish(obs: &Observation, p: Plan) -> Diagnosis {
    let code_arg = match (p.code, p.kind) {
        (Some(c), _) => c.to_string(),
        (None, Kind::ServerError) => "5xx".into(),
        (None, Kind::Blocked | Kind::ClientError) => "4xx".into(),
        (None, _) => String::new(),
    };
    let args = [p.family.name.to_string(), code_arg];
    let ctx = RemedyContext {
        os: obs.os.as_deref(),
        provider: p.family.status_page.map(|u| (p.family.name, u)),
        host: host_of(&obs.url),
        retry_s: p.retry,
    };
    Diagnosis {
        schema: SCHEMA,
        kind: p.kind,
        family: p.family.id.to_string(),
        variant: p.variant,
        code: p.code,
        fault: p.fault,
        confidence: (p.confidence * 100.0).round() / 100.0,
        title: message(p.title, &args),
        summary: message(p.summary, &args),
        evidence: Vec::new(),
        ids: Vec::new(),
        retry_after_s: None,
        remedies: remedies::ranked(p.remedies, &ctx),
        engine_version: crate::VERSION.into(),
        signatures_version: sig::VERSION.into(),
    }
}

fn from_signature(
    obs: &Observation,
    f: Fired,
    page_code: Option<u32>,
    retry: Option<u32>,
    evidence: &mut Vec<Evidence>,
) -> Diagnosis {
    let s = &sig::SIGNATURES[f.sig];
    let family = &sig::FAMILIES[s.family as usize];
    let status = obs.status.map(u32::from);
    let code = if s.code_from_page {
        page_code.or(status)
    } else {
        status.or(page_code)
    };
    let kind = s.kind.unwrap_or_else(|| derived_kind(obs.status, code));
    let fault = s.fault.unwrap_or_else(|| default_fault(kind, family));
    let variant = f
        .variant
        .or_else(|| code.and_then(|c| s.variants.iter().find(|(k, _)| *k == c).map(|(_, v)| *v)))
        .or(s.variant)
        .or_else(|| code_variant(code))
        .map(str::to_string);
    // A signature's own texts and ranking describe its server errors (or the fixed kind it
    // declares); the same vendor's 404 or 403 page gets the generic texts for that code.
    let own = s.kind.is_some() || kind == Kind::ServerError;
    let auto = auto_message(code, kind);
    let confidence = (sig::CONFIDENCE_BASE + sig::CONFIDENCE_PER_POINT * f.score as f32)
        .min(sig::CONFIDENCE_CAP);
    evidence.extend(f.evidence);
    finish(
        obs,
        Plan {
            kind,
            family,
            variant,
            code,
            fault,
            confidence,
            title: s.title.filter(|_| own).unwrap_or(auto.title),
            summary: s
                .summary
                .filter(|_| own)
                .unwrap_or(auto_summary(auto, family)),
            remedies: s.remedies.filter(|_| own).unwrap_or(auto.remedies),
            retry,
        },
    )
}

fn from_fallback(
    obs: &Observation,
    norm: &Normalized,
    page_code: Option<u32>,
    retry: Option<u32>,
    evidence: &mut Vec<Evidence>,
) -> Diagnosis {
    let empty = norm.visible == 0;
    let fb = sig::FALLBACKS
        .iter()
        .find(|fb| {
            let status_ok = match obs.status {
                Some(s) => status_in(fb.status, s),
                None => fb.status_none,
            };
            let body_ok = match fb.body {
                BodyCond::Empty => empty,
                BodyCond::NonEmpty => !empty,
                BodyCond::Any => true,
            };
            status_ok && body_ok
        })
        .unwrap_or(&sig::FALLBACKS[sig::FALLBACKS.len() - 1]);
    if empty && obs.status.is_some_and(|s| s >= 400) {
        evidence.push(Evidence {
            source: EvidenceSource::Body,
            detail: "body: empty".into(),
            signature: Some(format!("fallback:{}", fb.id)),
        });
    }
    let family = &sig::FAMILIES[fb.family as usize];
    let code = obs
        .status
        .map(u32::from)
        .or(page_code.filter(|_| fb.kind != Some(Kind::Ok)));
    let kind = fb.kind.unwrap_or_else(|| derived_kind(obs.status, code));
    let auto = auto_message(code, kind);
    finish(
        obs,
        Plan {
            kind,
            family,
            variant: fb
                .variant
                .or_else(|| {
                    if kind == Kind::Ok {
                        None
                    } else {
                        code_variant(code)
                    }
                })
                .map(str::to_string),
            code: if kind == Kind::Ok { None } else { code },
            fault: fb.fault,
            confidence: fb.confidence,
            title: fb.title.unwrap_or(auto.title),
            summary: fb.summary.unwrap_or(auto_summary(auto, family)),
            remedies: fb.remedies.unwrap_or(auto.remedies),
            retry,
        },
    )
}

fn network(obs: &Observation, raw: &str) -> Diagnosis {
    let code = raw.trim();
    // `get` rather than `[..5]`: a net error from a HAR file or `--net-error` may be any
    // text, and byte 5 can fall inside a multi-byte character (found by tests/props.rs).
    let bare = if code
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("net::"))
    {
        &code[5..]
    } else {
        code
    }
    .to_ascii_uppercase();
    let def = sig::NET_ERRORS
        .iter()
        .find(|n| {
            n.codes.contains(&bare.as_str()) || n.prefixes.iter().any(|p| bare.starts_with(p))
        })
        .or_else(|| sig::NET_ERRORS.iter().find(|n| n.default))
        .unwrap_or(&sig::NET_ERRORS[0]);
    let family = sig::family("network").unwrap_or(&sig::FAMILIES[0]);
    let mut d = finish(
        obs,
        Plan {
            kind: def.kind,
            family,
            variant: Some(def.variant.to_string()),
            code: None,
            fault: def.fault,
            confidence: def.confidence,
            title: def.title,
            summary: def.summary,
            remedies: def.remedies,
            retry: None,
        },
    );
    d.evidence = vec![Evidence {
        source: EvidenceSource::NetError,
        detail: clip(code, 80).to_string(),
        signature: Some(format!("net:{}", def.variant)),
    }];
    d.ids = ids(obs, None, 0);
    d
}

fn ids(obs: &Observation, sc: Option<&Scan>, family: u16) -> Vec<RequestId> {
    let mut out: Vec<RequestId> = Vec::new();
    for h in sig::HEADER_IDS {
        let Some(v) = obs
            .header(h.header)
            .map(str::trim)
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        let v = clip(v, 200);
        match h
            .colo
            .and_then(|c| v.rsplit_once('-').map(|(id, colo)| (c, id, colo)))
        {
            Some((colo_kind, id, colo))
                if (2..=4).contains(&colo.len())
                    && colo.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                out.push(RequestId {
                    kind: h.kind.into(),
                    value: id.into(),
                });
                out.push(RequestId {
                    kind: colo_kind.into(),
                    value: colo.to_ascii_uppercase(),
                });
            }
            _ => out.push(RequestId {
                kind: h.kind.into(),
                value: v.into(),
            }),
        }
    }
    if let Some(sc) = sc {
        for p in sig::PAGE_IDS {
            if !p.families.is_empty() && !p.families.contains(&family) {
                continue;
            }
            if out.iter().any(|r| r.kind == p.kind) {
                continue;
            }
            if let Some((_, tok)) = sc.page_ids.iter().find(|(q, _)| *q == p.pattern) {
                out.push(RequestId {
                    kind: p.kind.into(),
                    value: tok.clone(),
                });
            }
        }
    }
    out
}

/// `Retry-After` in seconds: delta-seconds, or an HTTP date relative to the response's `Date`
/// header (else `observed_at`).
pub fn retry_after_header(obs: &Observation) -> Option<u32> {
    let v = obs.header("retry-after")?.trim();
    if let Ok(s) = v.parse::<u64>() {
        return Some(s.min(7 * 86_400) as u32);
    }
    let at = http_date(v)?;
    let base = obs
        .header("date")
        .and_then(http_date)
        .or_else(|| obs.observed_at.as_deref().and_then(rfc3339))?;
    Some(at.saturating_sub(base).min(7 * 86_400) as u32)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn epoch(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<u64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let t = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s;
    u64::try_from(t).ok()
}

/// IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (also tolerates RFC 850's dashes).
pub fn http_date(v: &str) -> Option<u64> {
    let v = v.trim();
    let rest = v.split_once(',').map_or(v, |(_, r)| r).trim();
    let rest = rest.replace('-', " ");
    let mut it = rest.split_whitespace();
    let d: i64 = it.next()?.parse().ok()?;
    let mon = it.next()?.to_ascii_lowercase();
    let mo = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .position(|m| mon.starts_with(m))? as i64
        + 1;
    let mut y: i64 = it.next()?.parse().ok()?;
    if y < 100 {
        y += if y < 70 { 2000 } else { 1900 };
    }
    let mut hms = it.next()?.split(':').map(|x| x.parse::<i64>().ok());
    let (h, mi, s) = (hms.next()??, hms.next()??, hms.next()??);
    epoch(y, mo, d, h, mi, s)
}

/// RFC 3339, e.g. `2026-11-21T17:03:12Z` or with an offset.
pub fn rfc3339(v: &str) -> Option<u64> {
    let v = v.trim();
    if v.len() < 19 || !v.is_char_boundary(19) {
        return None;
    }
    let num = |a: usize, b: usize| v.get(a..b)?.parse::<i64>().ok();
    let t = epoch(
        num(0, 4)?,
        num(5, 7)?,
        num(8, 10)?,
        num(11, 13)?,
        num(14, 16)?,
        num(17, 19)?,
    )? as i64;
    let tz = v[19..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let off = match tz.as_bytes().first() {
        None | Some(b'Z' | b'z') => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let h: i64 = tz.get(1..3)?.parse().ok()?;
            let m: i64 = tz.get(4..6)?.parse().ok()?;
            let o = h * 3600 + m * 60;
            if sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    u64::try_from(t - off).ok()
}

/// Host name of a URL, without port or credentials.
pub fn host_of(url: &str) -> Option<&str> {
    let rest = url.trim().split_once("://")?.1;
    let auth = rest.split(['/', '?', '#']).next()?;
    let host = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split_once(']').map(|(h, _)| &h[1..])?
    } else {
        host.split(':').next()?
    };
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784111777));
        assert_eq!(rfc3339("1994-11-06T08:49:37Z"), Some(784111777));
        assert_eq!(rfc3339("1994-11-06T09:49:37+01:00"), Some(784111777));
        assert_eq!(http_date("garbage"), None);
    }

    #[test]
    fn hosts() {
        assert_eq!(
            host_of("https://user@example.com:8443/x?y"),
            Some("example.com")
        );
        assert_eq!(host_of("http://[::1]:80/"), Some("::1"));
        assert_eq!(host_of("not a url"), None);
    }

    fn obs(status: Option<u16>, body: &str) -> Observation {
        Observation {
            url: "https://www.example.com/".into(),
            status,
            body: Some(body.into()),
            ..Default::default()
        }
    }

    #[test]
    fn oversized_body_is_cut_and_the_cut_is_evidence() {
        let page = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
        let mut body = page.to_string();
        body.push_str(&"<p>padding</p>".repeat(sig::BODY_CAP / 10));
        let d = diagnose(&obs(Some(502), &body));
        assert_eq!(d.family, "nginx");
        assert!(d
            .evidence
            .iter()
            .any(|e| e.source == EvidenceSource::Limit && e.detail.contains("cut at")));
        let mut o = obs(Some(502), page);
        o.body_truncated = true;
        let d = diagnose(&o);
        assert!(d.evidence.iter().any(|e| e.source == EvidenceSource::Limit));
    }

    #[test]
    fn retry_after_date_relative_to_observed_at() {
        let mut o = obs(Some(503), "");
        o.headers = vec![Header::new("Retry-After", "Sat, 21 Nov 2026 16:10:00 GMT")];
        o.observed_at = Some("2026-11-21T17:09:00+01:00".into());
        assert_eq!(diagnose(&o).retry_after_s, Some(60));
        // A date in the past means "now", not a negative wait.
        o.observed_at = Some("2026-11-21T18:00:00Z".into());
        assert_eq!(diagnose(&o).retry_after_s, Some(0));
    }

    #[test]
    fn net_error_with_a_status_is_evidence_not_the_diagnosis() {
        let mut o = obs(Some(502), "");
        o.net_error = Some("net::ERR_HTTP_RESPONSE_CODE_FAILURE".into());
        let d = diagnose(&o);
        assert_eq!(d.family, "blank");
        assert!(d
            .evidence
            .iter()
            .any(|e| e.source == EvidenceSource::NetError));
    }

    #[test]
    fn odd_net_error_text_never_panics() {
        for e in [
            "net:é",
            "néé::ERR",
            "ñ",
            "net::",
            "  ",
            "NET::err_name_not_resolved",
        ] {
            let o = Observation {
                net_error: Some(e.into()),
                ..Default::default()
            };
            let d = diagnose(&o);
            // A blank code is no code: nothing observed at all is the empty-page fallback.
            let want = if e.trim().is_empty() {
                "blank"
            } else {
                "network"
            };
            assert_eq!(d.family, want, "{e:?}");
        }
        let o = Observation {
            net_error: Some("NET::err_name_not_resolved".into()),
            ..Default::default()
        };
        assert_eq!(diagnose(&o).variant.as_deref(), Some("dns"));
    }

    #[test]
    fn informational_statuses_never_alarm() {
        let nginx502 = "<title>502 Bad Gateway</title><h1>502 Bad Gateway</h1><hr>nginx";
        for st in [200, 204, 301, 304] {
            let d = diagnose(&obs(Some(st), nginx502));
            assert_eq!(
                (d.kind, d.family.as_str()),
                (Kind::Ok, "none"),
                "status {st}"
            );
            assert!(d.remedies.is_empty());
        }
    }

    #[test]
    fn codes_around_phrases() {
        assert_eq!(code_after(b"error 522 ray", 5), Some(522));
        assert_eq!(code_after(b"error code: 1016", 10), Some(1016));
        assert_eq!(code_after(b"error 2021", 5), None);
        assert_eq!(code_before(b"x 502 bad gateway", 6), Some(502));
        assert_eq!(code_before(b"a5022 bad", 6), None);
        assert_eq!(retry_after(b"in 30 seconds.", 2), Some(30));
        assert_eq!(retry_after(b"in 2 minutes", 2), Some(120));
        assert_eq!(retry_after(b"in a few minutes", 2), None);
    }
}
