//! The one pass over a normalised body: every signature phrase found by a prefix-filtered
//! matcher, plus what sits next to the anchor phrases (the page's error code, "try again in
//! 30 seconds", request ids such as Cloudflare's Ray ID).
//!
//! This loop and the normaliser are where a large page spends its time.

use std::sync::OnceLock;

use crate::normalize::Normalized;
use crate::signatures as sig;

/// `Scan::first` value of a phrase that does not occur.
pub const NO_MATCH: u32 = u32::MAX;

fn matcher() -> &'static phrases::Matcher {
    static M: OnceLock<phrases::Matcher> = OnceLock::new();
    M.get_or_init(|| phrases::Matcher::new(sig::PATTERNS))
}

/// Finds the signature phrases in normalised text: at each candidate position, two lookups
/// in small hash tables, then a direct comparison with the few phrases filed there.
///
/// Why not Aho-Corasick: an earlier version compiled the ~320 phrases into a full DFA
/// (~6,500 states x ~40 byte classes, 0.7 MB). Its table does not fit the L1/L2 caches, so a
/// scan cost ~5 ns per byte even natively (`make bench`), and building it took milliseconds
/// on the first diagnosis. Matches only count at word boundaries anyway (see [`scan`]), so
/// a phrase that starts with a word byte can only start where a word starts: at most one
/// position in five of ordinary text is a candidate.
///
/// A phrase of 8 bytes or more is filed under its first 8 bytes, a shorter one under its
/// first 3. Keying long phrases on 3 bytes made every "the" of a page compare ~30 phrases
/// ("the proxy server…", "the server is…") and every "gateway" or "cloudflare" run a
/// byte-wise comparison with phrases that only share their first word; on 8 bytes a
/// candidate meets only phrases that really start like it, and a second 8-byte word refuses
/// most of those before any byte loop. The work per candidate is bounded (the phrases of two
/// buckets), so adversarial input stays linear.
mod phrases {
    use crate::chunk::{self, Chunk};

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
    /// Phrases at least this long are filed under this many bytes.
    const LONG: usize = 8;
    /// log2 of each table's slot count: 4,096 slots of 2 bytes, 8 KB per table, for ~320
    /// phrases, so that most lookups of a non-phrase land on an empty slot.
    const TABLE_BITS: u32 = 12;

    /// Slot of a 3-byte key (short phrases).
    fn slot3(w: u64) -> usize {
        ((w as u32 & 0x00ff_ffff).wrapping_mul(0x9E37_79B1) >> (32 - TABLE_BITS)) as usize
    }

    /// Slot of an 8-byte key (long phrases).
    fn slot8(w: u64) -> usize {
        (w.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - TABLE_BITS)) as usize
    }

    /// The 8 bytes at `t[i..]` as a little-endian word, zero-padded past the end. The
    /// normalised text holds no NUL (control bytes are dropped), so padding matches nothing.
    fn word8(t: &[u8], i: usize) -> u64 {
        match t.get(i..i + 8) {
            Some(b) => u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            None => {
                let mut b = [0u8; 8];
                let rest = t.get(i..).unwrap_or(&[]);
                for (d, s) in b.iter_mut().zip(rest) {
                    *d = *s;
                }
                u64::from_le_bytes(b)
            }
        }
    }

    /// Mask of the first `n` bytes (n <= 8) of a little-endian word.
    fn mask(n: usize) -> u64 {
        if n >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * n)) - 1
        }
    }

    /// A phrase in its bucket: bytes 0..8 and 8..16 with their masks, so that most
    /// candidates are refused by one or two 64-bit comparisons.
    struct Entry {
        head: u64,
        mask: u64,
        head2: u64,
        mask2: u64,
        pattern: u16,
        /// The phrase's length, here so that most candidates never load the phrase itself.
        len: u16,
    }

    pub struct Matcher {
        /// Slot -> bucket number + 1 (0 = empty), for short phrases by their first 3 bytes
        /// and for long ones by their first 8. Phrases whose keys share a slot share a bucket.
        short: Vec<u16>,
        long: Vec<u16>,
        /// Bucket -> its range of `entries`.
        buckets: Vec<(u16, u16)>,
        /// Bucket -> a mask of all its phrases: a scan's [`Pending::live`] at its start, copied
        /// whole rather than rebuilt bucket by bucket on every call.
        all_live: Vec<u64>,
        entries: Vec<Entry>,
        /// Pattern -> its bucket and its place there (its bit in [`Pending::live`]).
        bucket_of: Vec<(u16, u8)>,
        /// Non-word bytes that start a phrase (`(`, `/`, `!`): the only non-word positions
        /// worth a lookup.
        nonword_start: [bool; 256],
        /// The same bytes for the chunked search (see [`Matcher::for_each`]), repeated to fill
        /// the array, with a mask that is 0 when there are none; `None` when there are more
        /// than it holds, and the search goes byte by byte.
        nonword_few: Option<([u8; NONWORD_FEW], u16)>,
        patterns: &'static [&'static str],
    }

    /// Non-word phrase starts the chunked search compares with each chunk (3 today).
    const NONWORD_FEW: usize = 4;

    impl Matcher {
        pub fn new(patterns: &'static [&'static str]) -> Matcher {
            let mut nonword_start = [false; 256];
            // (table, slot, pattern) for every phrase the filter can find.
            let mut filed: Vec<(bool, usize, usize)> = Vec::with_capacity(patterns.len());
            for (p, pat) in patterns.iter().enumerate() {
                let b = pat.as_bytes();
                // build.rs guarantees the length; a shorter phrase could never be found.
                if b.len() < MIN_LEN {
                    continue;
                }
                if !WORD[b[0] as usize] {
                    nonword_start[b[0] as usize] = true;
                }
                let w = word8(b, 0);
                let long = b.len() >= LONG;
                filed.push((long, if long { slot8(w) } else { slot3(w) }, p));
            }
            let mut short = vec![0u16; 1 << TABLE_BITS];
            let mut long = vec![0u16; 1 << TABLE_BITS];
            let mut buckets = Vec::new();
            let mut entries = Vec::with_capacity(filed.len());
            let mut bucket_of = vec![(u16::MAX, 0); patterns.len()];
            // One bucket per occupied slot, its phrases contiguous in `entries`. Quadratic in
            // the ~320 phrases, once per worker start, and no sort routine (written when each
            // library sort cost kilobytes of a 250 KB module budget; it stays, it is correct).
            for k in 0..filed.len() {
                let (is_long, slot, _) = filed[k];
                let table = if is_long { &mut long } else { &mut short };
                // Filed already, with the earlier phrase that opened this slot's bucket.
                if table[slot] != 0 {
                    continue;
                }
                let b = buckets.len() as u16;
                let from = entries.len() as u16;
                for &(_, _, p) in filed[k..].iter().filter(|f| (f.0, f.1) == (is_long, slot)) {
                    let pat = patterns[p].as_bytes();
                    let place = entries.len() - from as usize;
                    // A bucket's phrases are bits of one u64 in a scan's `live`. Phrases that
                    // share their first 8 bytes (16 "http err…" today) or a slot stay far
                    // below that; `every_bucket_fits_its_live_mask` checks the real data.
                    assert!(place < 64, "more than 64 phrases in one bucket");
                    entries.push(Entry {
                        head: word8(pat, 0),
                        mask: mask(pat.len()),
                        head2: word8(pat, 8),
                        mask2: mask(pat.len().saturating_sub(8)),
                        pattern: p as u16,
                        len: pat.len() as u16,
                    });
                    bucket_of[p] = (b, place as u8);
                }
                buckets.push((from, entries.len() as u16));
                table[slot] = b + 1;
            }
            let starts: Vec<u8> = (0..=255u8).filter(|&b| nonword_start[b as usize]).collect();
            let nonword_few = match starts.len() {
                0 => Some(([0; NONWORD_FEW], 0)),
                k if k <= NONWORD_FEW => Some((std::array::from_fn(|j| starts[j % k]), u16::MAX)),
                _ => None,
            };
            let all_live = buckets
                .iter()
                .map(|&(a, b)| u64::MAX >> (64 - (b - a)))
                .collect();
            Matcher {
                short,
                long,
                buckets,
                all_live,
                entries,
                bucket_of,
                nonword_start,
                nonword_few,
                patterns,
            }
        }

        /// Calls `f(pattern, start, end)` for every occurrence of a phrase that starts at a
        /// word boundary when the phrase starts with a word byte (any occurrence otherwise),
        /// in order of `end`, the longer phrase first when two end together. When `f` returns
        /// true it has no use for further occurrences of that phrase, and gets none: on a page
        /// that repeats its phrases (an article about 502 errors) most of the work was
        /// comparing and reporting occurrences the caller then ignored. A bucket whose
        /// phrases are all done is not even looked at.
        pub fn for_each(&self, text: &[u8], mut f: impl FnMut(usize, usize, usize) -> bool) {
            let n = text.len();
            if n < MIN_LEN {
                return;
            }
            let mut st = Pending {
                found: Vec::new(),
                reported: 0,
                live: self.all_live.clone(),
            };
            // Candidates: where a word starts, and the few non-word bytes that start a phrase.
            // Sixteen bytes at a time: a mask of word bytes gives the word starts (a word byte
            // after a non-word one), compared with the phrase-starting non-word bytes, and
            // only those positions are visited, in order.
            let last = n - MIN_LEN;
            let mut pos = 0;
            if let Some((nonword, on)) = self.nonword_few {
                // 1 when the byte before `pos` is a word byte.
                let mut carry = 0u16;
                while pos + chunk::LEN <= n && pos <= last {
                    let c = Chunk::load(text, pos);
                    let word = c.word();
                    let others = nonword.iter().fold(0, |m, &b| m | c.eq(b)) & on;
                    let mut starts = (word & !((word << 1) | carry)) | others;
                    carry = word >> (chunk::LEN - 1);
                    while starts != 0 {
                        let i = pos + starts.trailing_zeros() as usize;
                        if i > last {
                            break;
                        }
                        starts &= starts - 1;
                        self.visit(text, i, &mut st, &mut f);
                    }
                    pos += chunk::LEN;
                }
            }
            // The rest byte by byte: the last bytes, or the whole text when more non-word
            // bytes start phrases than a chunk is compared with.
            while pos <= last {
                let c = text[pos];
                let start = if WORD[c as usize] {
                    pos == 0 || !WORD[text[pos - 1] as usize]
                } else {
                    self.nonword_start[c as usize]
                };
                if start {
                    self.visit(text, pos, &mut st, &mut f);
                }
                pos += 1;
            }
            st.report(self, n, &mut f);
        }

        /// A candidate position: its first bytes lead to two buckets (short and long
        /// phrases), and buckets whose phrases are all done are not even called for (an
        /// article that repeats "502 bad gateway" and "cloudflare" meets them on every line).
        #[inline(always)]
        fn visit(
            &self,
            text: &[u8],
            i: usize,
            st: &mut Pending,
            f: &mut impl FnMut(usize, usize, usize) -> bool,
        ) {
            let w = word8(text, i);
            let (short, long) = (self.short[slot3(w)], self.long[slot8(w)]);
            if st.is_live(short) || st.is_live(long) {
                self.candidate(text, i, w, [short, long], st, f);
            }
        }

        /// The phrases of the two buckets a candidate's first bytes lead to, compared with
        /// the text at `i`. Out of line: most candidates lead nowhere, and the loop that
        /// finds them keeps its registers when this is not inlined into it (natively, 11%
        /// fewer instructions for the scan of a 64 KB text page, counted with callgrind;
        /// wasm-opt inlines it again in the WASM build, where V8 allocates the registers).
        #[inline(never)]
        fn candidate(
            &self,
            text: &[u8],
            i: usize,
            w: u64,
            slots: [u16; 2],
            st: &mut Pending,
            f: &mut impl FnMut(usize, usize, usize) -> bool,
        ) {
            for slot in slots {
                self.bucket(text, i, w, slot, st, f);
            }
        }

        /// The phrases of one bucket (slot value, 0 = none) compared with the text at `i`.
        fn bucket(
            &self,
            text: &[u8],
            i: usize,
            w: u64,
            slot: u16,
            st: &mut Pending,
            f: &mut impl FnMut(usize, usize, usize) -> bool,
        ) {
            // Per slot: the scan calls for the pair when either one is live, and reporting
            // for the first may have finished the second.
            if !st.is_live(slot) {
                return;
            }
            if st.reported < st.found.len() {
                st.report(self, i, f);
            }
            let from = self.buckets[slot as usize - 1].0 as usize;
            let mut w2 = None;
            // Only the phrases the caller still wants: an article that repeats "cloudflare"
            // meets its bucket's done phrases on every line.
            let mut live = st.live[slot as usize - 1];
            while live != 0 {
                let e = &self.entries[from + live.trailing_zeros() as usize];
                live &= live - 1;
                if w & e.mask != e.head {
                    continue;
                }
                let len = e.len as usize;
                if len > 8 {
                    let w2 = *w2.get_or_insert_with(|| word8(text, i + 8));
                    if w2 & e.mask2 != e.head2
                        || (len > 16
                            && text.get(i + 16..i + len)
                                != Some(&self.patterns[e.pattern as usize].as_bytes()[16..]))
                    {
                        continue;
                    }
                }
                // Kept in order of end by insertion (no sort routine, see `new`): matches
                // arrive in order of start, so only those that overlap this one and end later
                // move; an equal end stays first (longer phrase).
                let end = (i + len) as u32;
                let mut at = st.found.len();
                while at > st.reported && st.found[at - 1].0 > end {
                    at -= 1;
                }
                st.found.insert(at, (end, e.pattern));
            }
        }
    }

    /// One scan's state besides its position.
    struct Pending {
        /// (end, pattern) in order of end; those from `reported` on are not reported yet. An
        /// occurrence is reported once the scan has passed its end: no later one (it starts
        /// further on) can end before it. So only overlapping ones wait here.
        found: Vec<(u32, u16)>,
        reported: usize,
        /// Per bucket, its phrases the caller is not done with: bit `j` is its entry `j`.
        live: Vec<u64>,
    }

    impl Pending {
        /// Whether a slot value (bucket number + 1, 0 = none) names a bucket with a phrase
        /// the caller is not done with.
        fn is_live(&self, slot: u16) -> bool {
            slot != 0 && self.live[slot as usize - 1] != 0
        }

        /// Reports the found occurrences that end at or before `upto`.
        fn report(
            &mut self,
            m: &Matcher,
            upto: usize,
            f: &mut impl FnMut(usize, usize, usize) -> bool,
        ) {
            while let Some(&(end, p)) = self.found.get(self.reported) {
                if end as usize > upto {
                    break;
                }
                self.reported += 1;
                let (end, p) = (end as usize, p as usize);
                let (b, place) = m.bucket_of[p];
                let bit = 1u64 << place;
                if self.live[b as usize] & bit != 0 && f(p, end - m.patterns[p].len(), end) {
                    self.live[b as usize] &= !bit;
                }
            }
            if self.reported == self.found.len() {
                self.found.clear();
                self.reported = 0;
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
        fn agrees_with_naive_search_on_near_matches() {
            // Texts glued from real phrases, their prefixes (cut inside the first or second
            // 8-byte word, where the filter decides) and word or non-word bytes.
            let pats = crate::signatures::PATTERNS;
            let m = Matcher::new(pats);
            let mut rng = crate::testutil::Rng::new(0x2545_f491_4f6c_dd1du64);
            let mut rnd = |k: usize| rng.below(k);
            for _ in 0..300 {
                let mut text = String::new();
                for _ in 0..12 {
                    let pat = pats[rnd(pats.len())];
                    let cut = match rnd(4) {
                        0 => pat.len(),
                        _ => pat.floor_char_boundary(rnd(pat.len() + 1)),
                    };
                    text.push_str(&pat[..cut]);
                    text.push_str(["", " ", "x", "(", " 502 ", "."][rnd(6)]);
                }
                assert_eq!(run(&m, &text), naive(pats, &text), "text {text:?}");
            }
        }

        #[test]
        fn chunked_and_bytewise_search_agree_with_naive_search() {
            // Phrase sets with no non-word starts, a few (the chunked search) and more than a
            // chunk is compared with (byte by byte), on texts of every length around the
            // chunk size, words crossing chunk edges included.
            // (At least MIN_LEN bytes each, as build.rs requires.)
            static NONE: &[&str] = &["aba", "abc", "b c", "cab", "ééa", "a_b"];
            static FEW: &[&str] = &["abc", "(ab", "/cc", "!a b", "c a", "((("];
            static MANY: &[&str] = &["abc", "(ab", "/cc", "!a b", "#bb", "$c.", "%a ", "c a"];
            let alphabet = [
                "a", "b", "c", " ", "(", "/", "!", "#", "$", "%", "_", "é", ".",
            ];
            let mut rng = crate::testutil::Rng::new(0x2545_f491_4f6c_dd1du64);
            let mut rnd = |k: usize| rng.below(k);
            for pats in [NONE, FEW, MANY] {
                let m = Matcher::new(pats);
                assert_eq!(m.nonword_few.is_some(), pats != MANY);
                for len in 0..80 {
                    for _ in 0..20 {
                        let text: String =
                            (0..len).map(|_| alphabet[rnd(alphabet.len())]).collect();
                        assert_eq!(run(&m, &text), naive(pats, &text), "text {text:?}");
                    }
                }
            }
        }

        #[test]
        fn every_bucket_fits_its_live_mask() {
            let m = Matcher::new(crate::signatures::PATTERNS);
            let most = m.buckets.iter().map(|&(a, b)| b - a).max().unwrap_or(0);
            // `new` refuses more than 64; this says how close the data is.
            assert!(most <= 32, "a bucket of {most} phrases");
            for (p, &(b, place)) in m.bucket_of.iter().enumerate() {
                let (from, _) = m.buckets[b as usize];
                assert_eq!(
                    m.entries[from as usize + place as usize].pattern as usize,
                    p
                );
            }
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

pub(crate) fn is_word(b: u8) -> bool {
    phrases::WORD[b as usize]
}

/// Scans the normalised text of `body` once. Linear in its length plus the number of matches.
pub fn scan(n: &Normalized, body: &str) -> Scan {
    let text = n.fold.as_bytes();
    // Request ids get their case back from the part of the body that was normalised: past
    // the cap, the search would be work the cap exists to bound.
    let read = &body.as_bytes()[..n.read.min(body.len())];
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
                // Nested id phrases ("cloudflare ray id:", "ray id:", "id:") read the same
                // token: search the body for its original case once.
                let orig = match s.page_ids.iter().find(|(_, t)| t.eq_ignore_ascii_case(tok)) {
                    Some((_, t)) => t.clone(),
                    None => original_case(read, tok),
                };
                s.page_ids.push((p as u16, orig));
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

/// `tok` (lower case, from the normalised text) as the page wrote it: its last occurrence in
/// the raw body that starts a token, compared ignoring ASCII case. Request ids are
/// case-sensitive (CloudFront's `x-amz-cf-id`-style ids, Akamai's references), and the
/// normaliser keeps only the lower-cased text. When the page spelled it with an entity or
/// across markup, nothing matches and the lower-case form is what there is.
///
/// From the end because that is where error pages print their ids (a Cloudflare page's Ray ID
/// is in its footer, after kilobytes of inline CSS), and with Knuth-Morris-Pratt (on the
/// reversed id) so that a body built to nearly match (megabytes of `aaaa…` against an id
/// `aaaa…1`) still costs one pass.
fn original_case(body: &[u8], tok: &str) -> String {
    let p: Vec<u8> = tok.bytes().rev().collect();
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
    for i in (0..body.len()).rev() {
        let c = body[i].to_ascii_lowercase();
        while k > 0 && c != p[k] {
            k = fail[k - 1];
        }
        if c == p[k] {
            k += 1;
        }
        if k == m {
            // body[i..i + m] is the id; it must start a token.
            if i == 0 || !is_token_byte(body[i - 1]) {
                if let Ok(orig) = std::str::from_utf8(&body[i..i + m]) {
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
        // The last occurrence that starts a token; a border of the id must not hide an
        // earlier match.
        assert_eq!(original_case(b"AB12 ab12 xAB12", "ab12"), "ab12");
        assert_eq!(original_case(b"ABab1 x-BAbab1 yABAB1", "abab1"), "ABab1");
        assert_eq!(original_case(b"ABAB1 xABABAB1", "abab1"), "ABAB1");
        // Written with an entity: no raw match, the lower-case form stays.
        assert_eq!(original_case(b"id: &#65;b12", "ab12"), "ab12");
    }

    #[test]
    fn request_id_search_stays_within_the_normalised_part() {
        // Every request id the scan reads from `body` cut at `cap`: one per id phrase that
        // matched ("cloudflare ray id:", "ray id:"…), all the same token here.
        let ids = |body: &str, cap: usize| -> Vec<String> {
            let n = crate::normalize::normalize(body, true, cap);
            assert_eq!(n.read, body.len().min(cap));
            let ids: Vec<String> = scan(&n, body)
                .page_ids
                .into_iter()
                .map(|(_, t)| t)
                .collect();
            assert!(!ids.is_empty(), "no id in {body:?}");
            ids
        };
        // The same id in upper case past the cap must not be what the scan returns (nor be
        // searched for: the cap bounds the work on a 5 MB page).
        let cap = 4096;
        let long = format!("Cloudflare Ray ID: ab12cd {} AB12CD", "x ".repeat(cap));
        assert!(ids(&long, cap).iter().all(|t| t == "ab12cd"));
        // Within the cap, the upper-case spelling wins as the page's own.
        assert!(ids("Cloudflare Ray ID: AB12CD", cap)
            .iter()
            .all(|t| t == "AB12CD"));
    }
}
