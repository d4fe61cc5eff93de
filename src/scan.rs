//! The one pass over a normalised body: every signature phrase found by a prefix-filtered
//! matcher, plus what sits next to the anchor phrases (the page's error code, "try again in
//! 30 seconds", request ids such as Cloudflare's Ray ID).
//!
//! Part of the speed-compiled crate (see `hot.rs`): this loop and the normaliser are where a
//! large page spends its time.

use std::sync::OnceLock;

use crate::normalize::Normalized;
use crate::signatures as sig;

/// `Scan::first` value of a phrase that does not occur.
pub const NO_MATCH: u32 = u32::MAX;

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
        /// Non-word bytes that start a phrase (`(`, `/`, `!`): the only non-word positions
        /// worth a lookup.
        nonword_start: [bool; 256],
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
            let mut nonword_start = [false; 256];
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
                if !WORD[b[0] as usize] {
                    nonword_start[b[0] as usize] = true;
                }
                order.push((k, p));
            }
            // Insertion sort: ~300 entries once per worker start. A library sort would be
            // instantiated at this crate's speed-first opt-level, where each sort routine costs
            // kilobytes of the module's size budget (measured: two sorts were ~20 KB).
            let rank = |&(k, p): &(u32, usize)| (k, std::cmp::Reverse(patterns[p].len()));
            for i in 1..order.len() {
                let mut j = i;
                while j > 0 && rank(&order[j - 1]) > rank(&order[j]) {
                    order.swap(j - 1, j);
                    j -= 1;
                }
            }
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
                nonword_start,
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
        /// in order of `end`, the longer phrase first when two end together. When `f` returns
        /// true it has no use for further occurrences of that phrase, and gets none: on a page
        /// that repeats its phrases (an article about 502 errors) most of the work was
        /// comparing and reporting occurrences the caller then ignored.
        pub fn for_each(&self, text: &[u8], mut f: impl FnMut(usize, usize, usize) -> bool) {
            let n = text.len();
            if n < MIN_LEN {
                return;
            }
            // (end, pattern) in order of end; those from `reported` on are not reported yet. An
            // occurrence is reported once the scan has passed its end: no later one (it
            // starts further on) can end before it. So only overlapping ones wait here.
            let mut found: Vec<(u32, u16)> = Vec::new();
            let mut reported = 0;
            let mut done = vec![false; self.patterns.len()];
            let mut report = |found: &mut Vec<(u32, u16)>,
                              reported: &mut usize,
                              done: &mut [bool],
                              upto: usize| {
                while let Some(&(end, p)) = found.get(*reported) {
                    if end as usize > upto {
                        break;
                    }
                    *reported += 1;
                    let (end, p) = (end as usize, p as usize);
                    if !done[p] && f(p, end - self.patterns[p].len(), end) {
                        done[p] = true;
                    }
                }
                if *reported == found.len() {
                    found.clear();
                    *reported = 0;
                }
            };
            // Candidates: where a word starts, and the few non-word bytes that start a phrase.
            // The rest of a word is skipped in a tight loop, without a lookup.
            let last = n - MIN_LEN;
            let mut next = 0;
            while next <= last {
                let i = next;
                let c = text[i];
                next = i + 1;
                if WORD[c as usize] {
                    while next < n && WORD[text[next] as usize] {
                        next += 1;
                    }
                } else if !self.nonword_start[c as usize] {
                    continue;
                }
                let k = key(text, i);
                let h = hash(k);
                if self.bits[h / 64] & (1 << (h % 64)) == 0 {
                    continue;
                }
                if reported < found.len() {
                    report(&mut found, &mut reported, &mut done, i);
                }
                let head = head8(text, i);
                for e in self.group(k) {
                    if head & e.mask != e.head || done[e.pattern as usize] {
                        continue;
                    }
                    let p = e.pattern as usize;
                    let len = self.patterns[p].len();
                    if len <= 8 || text[i..].starts_with(self.patterns[p].as_bytes()) {
                        // Kept in order of end by insertion (no sort routine, see `new`):
                        // matches arrive in order of start, so only those that overlap this
                        // one and end later move; an equal end stays first (longer phrase).
                        let end = (i + len) as u32;
                        let mut at = found.len();
                        while at > reported && found[at - 1].0 > end {
                            at -= 1;
                        }
                        found.insert(at, (end, e.pattern));
                    }
                }
            }
            report(&mut found, &mut reported, &mut done, n);
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
                false
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
        fn a_phrase_the_caller_is_done_with_is_not_reported_again() {
            static PATS: &[&str] = &["error", "error 502", "bad gateway"];
            let m = Matcher::new(PATS);
            let text = "error 502 bad gateway error 502 bad gateway error";
            let mut got = Vec::new();
            m.for_each(text.as_bytes(), |p, start, _| {
                got.push((p, start));
                p == 0 // done with "error" only
            });
            // "error" once; the others every time, in order of end.
            assert_eq!(got, [(0, 0), (1, 0), (2, 10), (1, 22), (2, 32)]);
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
    pub fn has(&self, p: u16) -> bool {
        self.first[p as usize] != NO_MATCH
    }
}

fn is_word(b: u8) -> bool {
    phrases::WORD[b as usize]
}

/// Scans the normalised text of `body` once. Linear in its length plus the number of matches.
pub fn scan(n: &Normalized, body: &str) -> Scan {
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
            return false;
        }
        if is_word(pat[pat.len() - 1]) && end < text.len() && is_word(text[end]) {
            return false;
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
        let mut id_settled =
            role & sig::ROLE_PAGE_ID == 0 || s.page_ids.iter().any(|(q, _)| *q as usize == p);
        if !id_settled {
            if let Some(tok) = token_after(text, end) {
                s.page_ids
                    .push((p as u16, original_case(body.as_bytes(), tok)));
                id_settled = true;
            }
        }
        // Done with this phrase once it has its first occurrence and nothing it can still
        // yield is missing: the page code, the retry delay, its request id.
        id_settled
            && (role & (sig::ROLE_CODE_AFTER | sig::ROLE_CODE_BEFORE) == 0 || s.page_code.is_some())
            && (role & sig::ROLE_RETRY == 0 || s.retry_s.is_some())
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

/// The id token after a phrase, in the lower-cased text (ASCII by construction).
fn token_after(t: &[u8], mut i: usize) -> Option<&str> {
    while i < t.len() && t[i] == b' ' {
        i += 1;
    }
    let start = i;
    while i < t.len() && i - start < 128 && is_token_byte(t[i]) {
        i += 1;
    }
    let tok = std::str::from_utf8(&t[start..i]).ok()?;
    let tok = tok.trim_end_matches(['.', ':', '-', ',']);
    (tok.len() >= 4 && tok.bytes().any(|b| b.is_ascii_digit())).then_some(tok)
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._-:=+/".contains(&b)
}

/// `tok` (lower case, from the normalised text) as the page wrote it: its first occurrence in
/// the raw body that starts a token, compared ignoring ASCII case. Request ids are
/// case-sensitive (CloudFront's `x-amz-cf-id`-style ids, Akamai's references), and the
/// normaliser keeps only the lower-cased text. When the page spelled it with an entity or
/// across markup, nothing matches and the lower-case form is what there is.
///
/// Knuth-Morris-Pratt, so that a body built to nearly match (megabytes of `aaaa…` against
/// an id `aaaa…1`) still costs one pass.
fn original_case(body: &[u8], tok: &str) -> String {
    let p = tok.as_bytes();
    let m = p.len();
    // fail[i] = length of the longest proper border of p[..=i].
    let mut fail = vec![0usize; m];
    let mut k = 0;
    for i in 1..m {
        while k > 0 && p[i] != p[k] {
            k = fail[k - 1];
        }
        if p[i] == p[k] {
            k += 1;
        }
        fail[i] = k;
    }
    let mut k = 0;
    for (i, &c) in body.iter().enumerate() {
        let c = c.to_ascii_lowercase();
        while k > 0 && c != p[k] {
            k = fail[k - 1];
        }
        if c == p[k] {
            k += 1;
        }
        if k == m {
            let start = i + 1 - m;
            if start == 0 || !is_token_byte(body[start - 1]) {
                if let Ok(orig) = std::str::from_utf8(&body[start..=i]) {
                    return orig.to_string();
                }
            }
            k = fail[k - 1];
        }
    }
    tok.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn request_ids_keep_the_case_the_page_wrote() {
        let body = "<p>CloudFront Request ID: <b>Ab9-QZ==</b></p>";
        let n = crate::normalize::normalize(body, true, 1 << 20);
        let tok = token_after(n.fold.as_bytes(), "cloudfront request id:".len()).unwrap();
        assert_eq!(tok, "ab9-qz==");
        assert_eq!(original_case(body.as_bytes(), tok), "Ab9-QZ==");
        // Only where a token starts; a border of the id must not hide a later match.
        assert_eq!(original_case(b"xAB12 ab12 AaB12", "ab12"), "ab12");
        assert_eq!(original_case(b"- ABABAB1 ABab1", "abab1"), "ABab1");
        // Written with an entity: no raw match, the lower-case form stays.
        assert_eq!(original_case(b"id: &#65;b12", "ab12"), "ab12");
    }
}
