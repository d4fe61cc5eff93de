//! Body normalisation: one linear pass from raw HTML/text to the form signatures are written in.
//!
//! * tags become a word break; `<script>`, `<style>` and comments are dropped with their
//!   content (nginx's MSIE padding, Cloudflare's inline JS); the `src`/`href` values of tags are
//!   kept as words, because some vendors are only recognisable by them (Heroku's
//!   `herokucdn.com/error-pages/…` iframe, Cloudflare's challenge script);
//! * HTML entities are decoded (`&amp;`, `&nbsp;`, `&#8217;`, `&#x2019;`, Akamai's `&#32;&#35;`);
//! * curly and mojibake apostrophes/quotes/dashes (’ ‘ “ ” – — … and the UTF-8-read-as-1252
//!   forms `â€™` `â€œ` `â€“`) become `'` `"` `-` `...`;
//! * every run of whitespace (including NBSP) becomes one space; text is trimmed;
//! * letters are lower-cased (Latin, Greek, Cyrillic… where the lower case keeps the UTF-8
//!   length). Only `fold` is kept: the few case-sensitive things read from a page, request ids
//!   such as CloudFront's, are looked up again in the raw body (`scan::original_case`), which
//!   is cheaper than writing a second, original-case copy of every page.
//!
//! Nothing here backtracks: each input byte is looked at a bounded number of times, so
//! adversarial input (megabytes of `<`, unterminated tags or comments) stays linear.

use crate::chunk::{self, Chunk};

/// The normalised text of a body.
#[derive(Debug, Default, Clone)]
pub struct Normalized {
    /// Lower-cased normalised text (valid UTF-8).
    pub fold: String,
    /// Bytes of visible text, single spaces between words included (not counting `src`/`href`
    /// values). 0 = blank page, the only use of it.
    pub visible: usize,
    /// `Some(original_len)` when the body was cut at the cap.
    pub cut_from: Option<usize>,
    /// Bytes of the body that were read: its length, or where it was cut.
    pub read: usize,
}

/// Normalises `body`, reading at most `cap` bytes (cut at a character boundary). `html` =
/// strip markup; plain-text bodies keep `<` as text.
pub fn normalize(body: &str, html: bool, cap: usize) -> Normalized {
    let (body, cut_from) = if body.len() > cap {
        let mut end = cap;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        (&body[..end], Some(body.len()))
    } else {
        (body, None)
    };
    let mut out = Out {
        // Never more than the input (see `Out`); the slack is for peace of mind only.
        fold: vec![0; body.len() + 8],
        w: 0,
        pending_space: false,
        upper_a_circ_at: usize::MAX,
        visible: 0,
        in_attr: false,
    };
    let b = body.as_bytes();
    let n = b.len();
    let mut i = 0;
    while i < n {
        let c = b[i];
        if html && c == b'<' {
            if b[i..].starts_with(b"<!--") {
                i = find(b, i + 4, b"-->").map_or(n, |j| j + 3);
                out.space();
                continue;
            }
            let next = b.get(i + 1).copied().unwrap_or(0);
            if next.is_ascii_alphabetic() || next == b'/' || next == b'!' || next == b'?' {
                let (end, raw_text) = tag(b, i, &mut out);
                out.space();
                i = end;
                if let Some(close) = raw_text {
                    // Skip script/style content up to the matching close tag.
                    i = find_ci(b, i, close).unwrap_or(n);
                }
                continue;
            }
        }
        if c == b'&' {
            if let Some((ch, len)) = entity(&b[i..]) {
                out.push_char(ch);
                i += len;
                continue;
            }
        }
        if PLAIN_LOWER[c as usize] != 0 {
            // Fast path: a run of printable ASCII that needs no decision byte by byte, copied
            // lower-cased in the same loop. Single spaces between words stay in the run (most
            // text is words and single spaces); a space before another space or a special
            // byte ends it, so runs of whitespace are still folded by `push_ascii`. The
            // output position lives in a local while the run lasts: through `out` it would
            // be reloaded after every byte stored (a `u8` store may alias anything).
            out.flush_space();
            // The rest of the body and as much of `fold` from `w`, indexed alike: the
            // compiler then drops the bounds check of each store. `fold` always has that
            // room (see `Out`).
            let src = &b[i..];
            let dst = &mut out.fold[out.w..][..src.len()];
            let mut k = 0;
            // Sixteen bytes at a time while 17 remain (the 17th says whether a space in the
            // 16th place is single). A chunk is stored whole, lower-cased: bytes past the end
            // of the run land beyond `w`, where the output is written again or cut off.
            while k + chunk::LEN < src.len() {
                let here = Chunk::load(src, k);
                let run = here.plain() | (here.eq(b' ') & Chunk::load(src, k + 1).plain());
                here.to_ascii_lowercase().store(dst, k);
                if run != u16::MAX {
                    k += run.trailing_ones() as usize;
                    break;
                }
                k += chunk::LEN;
            }
            // The rest, byte by byte (also where the loop above stopped: its byte ends the
            // run at once).
            while k < src.len() {
                let l = PLAIN_LOWER[src[k] as usize];
                if l != 0 {
                    dst[k] = l;
                } else if src[k] == b' ' && k + 1 < src.len() && is_plain(src[k + 1]) {
                    dst[k] = b' ';
                } else {
                    break;
                }
                k += 1;
            }
            i += k;
            out.w += k;
            // Counts the single spaces inside the run too; only `visible == 0` matters.
            out.visible += k;
        } else if c < 0x80 {
            out.push_ascii(c);
            i += 1;
        } else {
            // `body` is a &str, so this is a valid UTF-8 sequence.
            let len = utf8_len(c);
            let ch = body[i..i + len].chars().next().unwrap_or('\u{fffd}');
            out.push_char(ch);
            i += len;
        }
    }
    // The buffer only ever receives whole UTF-8 sequences.
    out.fold.truncate(out.w);
    let fold = String::from_utf8(out.fold).unwrap_or_default();
    Normalized {
        fold,
        visible: out.visible,
        cut_from,
        read: n,
    }
}

/// Printable ASCII other than space and the two bytes the loop must look at (`<`, `&`),
/// lower-cased; 0 for every other byte. A table: this is asked for nearly every byte of a
/// page.
static PLAIN_LOWER: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0x21;
    while c <= 0x7e {
        if c != b'<' && c != b'&' {
            t[c as usize] = c.to_ascii_lowercase();
        }
        c += 1;
    }
    t
};

/// Whether `PLAIN_LOWER` has `c`: printable ASCII other than space, `<` and `&`.
pub(crate) fn is_plain(c: u8) -> bool {
    PLAIN_LOWER[c as usize] != 0
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

/// First index >= `from` where `needle` starts.
fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= hay.len() {
        return None;
    }
    let first = needle[0];
    let mut i = from;
    while i + needle.len() <= hay.len() {
        if hay[i] == first && hay[i..].starts_with(needle) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Like [`find`], ASCII case-insensitive; `needle` is lower case.
fn find_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let mut i = from;
    while i + needle.len() <= hay.len() {
        if hay[i] == b'<' && hay[i..i + needle.len()].eq_ignore_ascii_case(needle) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// [`NAME_BYTES`] bit: ASCII letters, digits, `-` and `:`.
const TAG_NAME: u8 = 1;
/// [`NAME_BYTES`] bit: ASCII letters, digits, `-` and `_`.
const ATTR_NAME: u8 = 2;

/// The bytes of tag and attribute names, by class bits. A table: markup-heavy pages spend a
/// good part of their normalisation in these two loops (callgrind), and one lookup per byte
/// is cheaper than the five comparisons it replaces.
static NAME_BYTES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() || b == b'-' {
            t[c] = TAG_NAME | ATTR_NAME;
        } else if b == b':' {
            t[c] = TAG_NAME;
        } else if b == b'_' {
            t[c] = ATTR_NAME;
        }
        c += 1;
    }
    t
};

/// Parses the tag starting at `b[start] == '<'`. Returns the index after its `>` and, for an
/// opening `<script>`/`<style>`, the close tag whose content must be skipped. Emits `src` and
/// `href` values as words.
fn tag(b: &[u8], start: usize, out: &mut Out) -> (usize, Option<&'static [u8]>) {
    let n = b.len();
    let mut i = start + 1;
    let closing = b.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    let name_start = i;
    while i < n && NAME_BYTES[b[i] as usize] & TAG_NAME != 0 {
        i += 1;
    }
    let name = &b[name_start..i];
    let raw: Option<&'static [u8]> = if closing {
        None
    } else if name.eq_ignore_ascii_case(b"script") {
        Some(b"</script")
    } else if name.eq_ignore_ascii_case(b"style") {
        Some(b"</style")
    } else {
        None
    };
    // Attributes: name[=value], value quoted or not. A '>' inside quotes does not end the tag;
    // an unterminated tag swallows the rest of the body, as in a browser.
    // The last attribute name read (empty after a value): only `src` and `href` matter,
    // compared once at its `=` rather than lower-cased byte by byte.
    let mut attr: &[u8] = &[];
    while i < n {
        let c = b[i];
        if c == b'>' {
            return (i + 1, raw);
        }
        if c.is_ascii_alphabetic() {
            let name_start = i;
            while i < n && NAME_BYTES[b[i] as usize] & ATTR_NAME != 0 {
                i += 1;
            }
            attr = &b[name_start..i];
            continue;
        }
        if c == b'=' {
            i += 1;
            while i < n && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let keep = attr.eq_ignore_ascii_case(b"src") || attr.eq_ignore_ascii_case(b"href");
            let quote = match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    i += 1;
                    Some(q)
                }
                _ => None,
            };
            let vstart = i;
            // To the closing quote, or for an unquoted value to whitespace or `>`; the rest
            // of the body when there is none.
            let rest = &b[i..];
            i += match quote {
                Some(q) => rest.iter().position(|&v| v == q),
                None => rest
                    .iter()
                    .position(|&v| v.is_ascii_whitespace() || v == b'>'),
            }
            .unwrap_or(rest.len());
            if keep {
                out.attr_value(&b[vstart..i]);
            }
            if quote.is_some() && i < n {
                i += 1;
            }
            attr = &[];
            continue;
        }
        i += 1;
    }
    (n, raw)
}

/// The output: `fold[..w]` is the text so far. `fold` is allocated at the input's length
/// and written by index, which is cheaper than `Vec::push` byte by byte. It never needs
/// more: every step writes at most the bytes it consumes (an entity is longer than its
/// char's UTF-8, a char's lower case has its length, a replacement is shorter), and a
/// pending space stands for at least one consumed byte that wrote nothing (whitespace, a
/// tag's `<`, an attribute's `=`).
struct Out {
    fold: Vec<u8>,
    w: usize,
    pending_space: bool,
    /// `w` right after an upper-case "Â" was written (the mojibake of a UTF-8 NBSP
    /// starts with it; a lower-case "â" does not).
    upper_a_circ_at: usize,
    visible: usize,
    in_attr: bool,
}

impl Out {
    fn space(&mut self) {
        if self.w != 0 {
            self.pending_space = true;
        }
    }

    fn put(&mut self, c: u8) {
        self.fold[self.w] = c;
        self.w += 1;
    }

    fn text(&self) -> &[u8] {
        &self.fold[..self.w]
    }

    fn flush_space(&mut self) {
        if self.pending_space {
            self.put(b' ');
            self.pending_space = false;
        }
    }

    fn attr_value(&mut self, v: &[u8]) {
        self.space();
        self.in_attr = true;
        for &c in v {
            // Attribute values are URLs: keep ASCII, drop anything else rather than decode it.
            // Most bytes are plain (see `PLAIN_LOWER`) and are copied without `push_ascii`'s
            // whitespace and control checks.
            let l = PLAIN_LOWER[c as usize];
            if l != 0 {
                self.flush_space();
                self.put(l);
            } else if c < 0x80 {
                self.push_ascii(c);
            }
        }
        self.in_attr = false;
        self.space();
    }

    fn push_ascii(&mut self, c: u8) {
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
            self.space();
            return;
        }
        if c < 0x20 || c == 0x7f {
            return;
        }
        self.flush_space();
        self.put(c.to_ascii_lowercase());
        if !self.in_attr {
            self.visible += 1;
        }
    }

    fn push_str(&mut self, s: &str) {
        for c in s.bytes() {
            self.push_ascii(c);
        }
    }

    /// Ends with the mojibake prefix "â€" (U+00E2 U+20AC), i.e. the first two bytes of a
    /// UTF-8 punctuation mark read as Windows-1252. Drops it and returns true.
    fn pop_mojibake_prefix(&mut self) -> bool {
        const P: &[u8] = "â€".as_bytes();
        if self.text().ends_with(P) {
            self.w -= P.len();
            self.visible = self.visible.saturating_sub(P.len());
            true
        } else {
            false
        }
    }

    fn push_char(&mut self, ch: char) {
        if ch.is_ascii() {
            self.push_ascii(ch as u8);
            return;
        }
        match ch {
            '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
            | '\u{85}' => {
                // "Â" + NBSP is the mojibake of a UTF-8 NBSP.
                if self.upper_a_circ_at == self.w && self.text().ends_with("â".as_bytes()) {
                    self.w -= 2;
                    // The space before the "Â" merges with this one.
                    if self.text().last() == Some(&b' ') {
                        self.w -= 1;
                    }
                    self.visible = self.visible.saturating_sub(2);
                }
                self.space()
            }
            '\u{200b}'..='\u{200d}' | '\u{feff}' | '\u{ad}' => {}
            '’' | '‘' | 'ʼ' | '′' | '´' | '‛' => self.push_ascii(b'\''),
            '“' | '”' | '„' | '″' => {
                // '“' is also the 1252 reading of the last byte of a UTF-8 en dash (â€“),
                // '”' of an em dash (â€”).
                if self.pop_mojibake_prefix() {
                    self.push_ascii(b'-');
                } else {
                    self.push_ascii(b'"');
                }
            }
            '–' | '—' | '‒' | '−' | '‐' | '‑' => self.push_ascii(b'-'),
            '…' => self.push_str("..."),
            '™' | '˜' if self.pop_mojibake_prefix() => self.push_ascii(b'\''),
            'œ' | '\u{9d}' if self.pop_mojibake_prefix() => self.push_ascii(b'"'),
            '¦' if self.pop_mojibake_prefix() => self.push_str("..."),
            c if c.is_whitespace() => self.space(),
            c if c.is_control() => {}
            c => {
                self.flush_space();
                // Lower-case only when it is one char of the same UTF-8 length (true for
                // Latin, Greek, Cyrillic letters), so that a token's length is the same in
                // the page and in `fold` (see `scan::original_case`).
                let l = lower(c);
                let mut lb = [0u8; 4];
                for &u in l.encode_utf8(&mut lb).as_bytes() {
                    self.put(u);
                }
                if c == 'Â' {
                    self.upper_a_circ_at = self.w;
                }
                if !self.in_attr {
                    self.visible += c.len_utf8();
                }
            }
        }
    }
}

include!(concat!(env!("OUT_DIR"), "/lowercase.rs"));

/// Non-ASCII `c` lower-cased when its lower case is one char of the same UTF-8 length, else
/// `c`: what `char::to_lowercase` gives under that condition, from build.rs's runs (see
/// `lowercase_runs` there for why).
pub fn lower(c: char) -> char {
    let u = c as u32;
    // The last run starting at or before `u`.
    let i = LOWER_RUNS.partition_point(|r| r.0 <= u);
    match i.checked_sub(1).map(|i| LOWER_RUNS[i]) {
        Some((first, last, stride, delta)) if u <= last && (u - first) % stride == 0 => {
            char::from_u32(u.wrapping_add_signed(delta)).unwrap_or(c)
        }
        _ => c,
    }
}

/// Decodes the entity at the start of `s` (`s[0] == '&'`): named (the common ones in error
/// pages) or numeric. Returns the char and the entity's length including `;`.
fn entity(s: &[u8]) -> Option<(char, usize)> {
    let semi = s.iter().take(12).position(|&c| c == b';')?;
    let body = &s[1..semi];
    let ch = if let Some(num) = body.strip_prefix(b"#") {
        let (digits, radix) = match num.first() {
            Some(b'x' | b'X') => (&num[1..], 16),
            _ => (num, 10),
        };
        if digits.is_empty() || digits.len() > 7 {
            return None;
        }
        let text = std::str::from_utf8(digits).ok()?;
        let v = u32::from_str_radix(text, radix).ok()?;
        match v {
            0 => '\u{fffd}',
            // Windows-1252 numeric references browsers remap (&#146; is ’).
            145 | 146 => '\'',
            147 | 148 => '"',
            150 | 151 => '-',
            _ => char::from_u32(v).unwrap_or('\u{fffd}'),
        }
    } else {
        match body {
            b"amp" | b"AMP" => '&',
            b"lt" | b"LT" => '<',
            b"gt" | b"GT" => '>',
            b"quot" | b"QUOT" => '"',
            b"apos" => '\'',
            b"nbsp" | b"ensp" | b"emsp" | b"thinsp" => ' ',
            b"rsquo" | b"lsquo" | b"sbquo" | b"prime" => '\'',
            b"rdquo" | b"ldquo" | b"bdquo" => '"',
            b"ndash" | b"mdash" | b"minus" | b"hyphen" => '-',
            b"hellip" => '…',
            b"bull" => '•',
            b"middot" => '·',
            b"copy" => '©',
            b"reg" => '®',
            b"trade" => '™',
            b"laquo" => '«',
            b"raquo" => '»',
            b"auml" => 'ä',
            b"ouml" => 'ö',
            b"uuml" => 'ü',
            b"Auml" => 'Ä',
            b"Ouml" => 'Ö',
            b"Uuml" => 'Ü',
            b"szlig" => 'ß',
            b"eacute" => 'é',
            b"egrave" => 'è',
            b"agrave" => 'à',
            b"ccedil" => 'ç',
            b"euro" => '€',
            _ => return None,
        }
    };
    Some((ch, semi + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_agrees_with_std_on_every_non_ascii_char() {
        for c in (0x80..=0x10ffffu32).filter_map(char::from_u32) {
            let mut it = c.to_lowercase();
            let want = match (it.next(), it.next()) {
                (Some(l), None) if l.len_utf8() == c.len_utf8() => l,
                _ => c,
            };
            assert_eq!(lower(c), want, "U+{:04X}", c as u32);
        }
    }

    fn norm(s: &str) -> String {
        normalize(s, true, 1 << 20).fold
    }

    #[test]
    fn strips_tags_scripts_comments_and_folds_whitespace() {
        let n = norm("<html><head><title>502 Bad Gateway</title><style>p{x:1}</style></head>\r\n<body><script>var a='<b>';</script><center><h1>502  Bad\tGateway</h1></center><hr><center>nginx</center></body></html>\r\n<!-- a padding -->\r\n");
        assert_eq!(n, "502 bad gateway 502 bad gateway nginx");
    }

    #[test]
    fn decodes_entities_and_apostrophes() {
        assert_eq!(norm("That&#8217;s an error"), "that's an error");
        assert_eq!(norm("That’s all"), "that's all");
        assert_eq!(norm("Thatâ€™s all"), "that's all");
        assert_eq!(norm("HTTP Error 502 â€“ Bad"), "http error 502 - bad");
        assert_eq!(norm("a &amp; b&nbsp;&nbsp;c"), "a & b c");
        assert_eq!(norm("Reference&#32;&#35;18&#46;abc"), "reference #18.abc");
        assert_eq!(norm("Just a moment…"), "just a moment...");
        // "Â" + NBSP is a UTF-8 NBSP read as Windows-1252; "â" + NBSP is a word and a space.
        assert_eq!(norm("a Â\u{a0}b"), "a b");
        assert_eq!(norm("châ\u{a0}b"), "châ b");
        assert_eq!(norm("5 < 6 &unknown; &"), "5 < 6 &unknown; &");
    }

    #[test]
    fn keeps_src_and_href() {
        let n = normalize(
            "<iframe src=\"//www.herokucdn.com/error-pages/application-error.html\"></iframe>Request ID: AbC==",
            true,
            1 << 20,
        );
        assert_eq!(
            n.fold,
            "//www.herokucdn.com/error-pages/application-error.html request id: abc=="
        );
        // Visible text counts the bytes outside attribute values (single spaces between words
        // included: the fast path copies them with the words).
        assert_eq!(n.visible, "Request ID: AbC==".len());
        let only_markup = normalize("<div><img src=\"/x.png\"></div>", true, 100);
        assert_eq!(only_markup.visible, 0);
        assert_eq!(only_markup.fold, "/x.png");
    }

    #[test]
    fn runs_of_every_length_fold_like_split_whitespace() {
        // Runs of plain bytes, single and double spaces, tabs, tags and entities at every
        // offset around the 16-byte chunks of the fast path: the text is its words, lower
        // case, one space apart.
        let pieces = [
            "a", "B", "7", ".", " ", " ", "  ", "\t", "\n", "<b>", "&amp;", "Zq", "x!", "~",
        ];
        let mut rng = crate::testutil::Rng::new(0x9e37_79b9_7f4a_7c15u64);
        let mut rnd = |k: usize| rng.below(k);
        for len in 0..70 {
            for _ in 0..30 {
                let body: String = (0..len).map(|_| pieces[rnd(pieces.len())]).collect();
                let want = body.replace("<b>", " ").replace("&amp;", "&");
                let want = want.split_whitespace().collect::<Vec<_>>().join(" ");
                assert_eq!(norm(&body), want.to_ascii_lowercase(), "body {body:?}");
            }
        }
    }

    #[test]
    fn plain_text_keeps_angle_brackets() {
        assert_eq!(normalize("<b>x</b>", false, 100).fold, "<b>x</b>");
    }

    #[test]
    fn cuts_at_cap_on_char_boundary() {
        let n = normalize("ääääää", true, 5);
        assert_eq!(n.fold, "ää");
        assert_eq!(n.cut_from, Some(12));
        assert_eq!(n.read, 4);
    }

    #[test]
    fn unterminated_constructs_end_the_text() {
        assert_eq!(norm("ok <!-- never closed"), "ok");
        assert_eq!(norm("ok <a title=\"x never closed"), "ok");
        assert_eq!(norm("ok <script>alert(1)"), "ok");
        assert_eq!(norm(&"<".repeat(1000)), "<".repeat(1000));
    }

    #[test]
    fn non_ascii_lowercase_keeps_lengths() {
        let s = "DIENST NICHT VERFÜGBAR İ";
        let n = normalize(s, true, 100);
        assert_eq!(n.fold.len(), s.len());
        assert!(n.fold.starts_with("dienst nicht verfügbar"));
    }
}
