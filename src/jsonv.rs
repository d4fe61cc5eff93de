//! Field extraction from a parsed `serde_json::Value`, shared by reports and HAR entries.
//!
//! Why not `#[derive(Deserialize)]`: every derived struct monomorphises its own
//! `deserialize_struct` for each deserializer (1.5–6 KB of WASM apiece, ~20 structs), while
//! one `Value` deserializer serves all of them and these helpers are a few hundred bytes.
//! Errors carry the path of the offending field; [`locate`] turns that path back into
//! serde_json's `line L column C` when the caller still has the text.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserializer;
use serde_json::{Map, Value};

pub(crate) type Obj = Map<String, Value>;

/// One step of a path into a JSON document.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Seg {
    Key(&'static str),
    Idx(usize),
}

/// A field that is present but unusable, with where it sits.
#[derive(Debug)]
pub(crate) struct Bad {
    /// Innermost segment first (segments are added while the error travels outwards).
    rev_path: Vec<Seg>,
    pub msg: String,
}

pub(crate) type R<T> = std::result::Result<T, Bad>;

impl Bad {
    pub fn new(msg: impl Into<String>) -> Self {
        Bad {
            rev_path: Vec::new(),
            msg: msg.into(),
        }
    }

    fn within(mut self, s: Seg) -> Self {
        self.rev_path.push(s);
        self
    }

    /// The same error one object further out, under `key`.
    pub fn under(self, key: &'static str) -> Self {
        self.within(Seg::Key(key))
    }

    /// Outermost segment first.
    pub fn path(&self) -> Vec<Seg> {
        self.rev_path.iter().rev().copied().collect()
    }
}

impl fmt::Display for Bad {
    /// `diagnosis.evidence[2].source: unknown variant …`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in self.rev_path.iter().rev() {
            match s {
                Seg::Key(k) if first => f.write_str(k)?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Idx(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        if !first {
            f.write_str(": ")?;
        }
        f.write_str(&self.msg)
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[inline(never)]
pub(crate) fn invalid(v: &Value, expected: &str) -> Bad {
    Bad::new(format!("invalid type: {}, expected {expected}", kind_of(v)))
}

#[inline(never)]
/// `unknown variant `x`, expected one of `a`, `b`` (serde's wording).
fn unknown_variant(s: &str, ids: &[&str]) -> Bad {
    let mut m = format!(
        "unknown variant `{}`, expected one of ",
        crate::report::clean(s, 40)
    );
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            m.push_str(", ");
        }
        m.push('`');
        m.push_str(id);
        m.push('`');
    }
    Bad::new(m)
}

/// The first unusable field met while reading one document.
pub(crate) type Slot = Cell<Option<Bad>>;

/// Reads the fields of one JSON object. A read never fails: a field of the wrong type (or a
/// required one missing) is recorded in the shared [`Slot`] (the first one only) and the read
/// returns the default, and the caller checks the slot once at the end ([`finish`]). Readers
/// built this way are plain struct literals of calls, without a `?` and its drop code per
/// field, which is what keeps them small in WASM.
pub(crate) struct Rd<'a> {
    /// `None` when the object is absent: every read gives its default.
    o: Option<&'a Obj>,
    /// Where this object sits in its parent, for error paths.
    at: Option<(&'a Rd<'a>, Seg, Option<usize>)>,
    slot: &'a Slot,
}

impl<'a> Rd<'a> {
    /// The reader of a whole document; `what` names the object it must be.
    pub fn root(v: &'a Value, what: &str, slot: &'a Slot) -> Self {
        let rd = Rd {
            o: v.as_object(),
            at: None,
            slot,
        };
        if rd.o.is_none() {
            rd.fail(None, invalid(v, what));
        }
        rd
    }

    /// Records `bad` (at `key` under this object) unless an earlier error is already kept.
    #[inline(never)]
    fn fail(&self, key: Option<&'static str>, mut bad: Bad) {
        if let Some(prev) = self.slot.take() {
            self.slot.set(Some(prev));
            return;
        }
        if let Some(k) = key {
            bad = bad.under(k);
        }
        let mut node = self;
        while let Some((parent, seg, idx)) = node.at {
            if let Some(i) = idx {
                bad = bad.within(Seg::Idx(i));
            }
            bad = bad.within(seg);
            node = parent;
        }
        self.slot.set(Some(bad));
    }

    /// `o[key]`, with `null` read as absent.
    #[inline(never)]
    pub fn get(&self, key: &'static str) -> Option<&'a Value> {
        self.o?.get(key).filter(|v| !v.is_null())
    }

    /// `o[key]` or a `missing field` error.
    #[inline(never)]
    pub fn need(&self, key: &'static str) -> Option<&'a Value> {
        let v = self.get(key);
        if v.is_none() {
            self.fail(None, Bad::new(format!("missing field `{key}`")));
        }
        v
    }

    /// `v` (the value at `key`) when `ok`, else an invalid-type error and `None`.
    fn check<T>(&self, key: &'static str, v: &Value, ok: Option<T>, what: &str) -> Option<T> {
        if ok.is_none() {
            self.fail(Some(key), invalid(v, what));
        }
        ok
    }

    #[inline(never)]
    fn str_of(&self, key: &'static str, v: Option<&'a Value>) -> Option<&'a str> {
        let v = v?;
        self.check(key, v, v.as_str(), "a string")
    }

    pub fn str(&self, key: &'static str) -> Option<&'a str> {
        self.str_of(key, self.get(key))
    }

    /// A required string.
    pub fn need_str(&self, key: &'static str) -> &'a str {
        self.str_of(key, self.need(key)).unwrap_or("")
    }

    #[inline(never)]
    pub fn opt_string(&self, key: &'static str) -> Option<String> {
        self.str(key).map(str::to_string)
    }

    /// A string, `""` when absent.
    #[inline(never)]
    pub fn string(&self, key: &'static str) -> String {
        self.str(key).unwrap_or("").to_string()
    }

    #[inline(never)]
    pub fn flag(&self, key: &'static str) -> bool {
        let v = self.get(key);
        v.and_then(|v| self.check(key, v, v.as_bool(), "a boolean"))
            .unwrap_or(false)
    }

    /// A non-negative integer no larger than `max` (floats are refused, as serde does).
    #[inline(never)]
    pub fn uint(&self, key: &'static str, max: u64) -> Option<u64> {
        let v = self.get(key)?;
        let n = self.check(key, v, v.as_u64(), "a non-negative integer")?;
        if n > max {
            let msg = format!("invalid value: integer too large (max {max})");
            self.fail(Some(key), Bad::new(msg));
            return None;
        }
        Some(n)
    }

    /// Any number, as `f64`.
    #[inline(never)]
    pub fn number(&self, key: &'static str) -> Option<f64> {
        let v = self.get(key)?;
        self.check(key, v, v.as_f64(), "a number")
    }

    /// A string that must be one of `ids` (its index); `need` makes it required.
    #[inline(never)]
    pub fn one_of(&self, key: &'static str, ids: &[&str], need: bool) -> Option<usize> {
        let v = if need { self.need(key) } else { self.get(key) };
        let s = self.str_of(key, v)?;
        let i = ids.iter().position(|id| *id == s);
        if i.is_none() {
            self.fail(Some(key), unknown_variant(s, ids));
        }
        i
    }

    /// The object at `key` (absent: a reader that gives defaults).
    #[inline(never)]
    pub fn obj(&'a self, key: &'static str) -> Rd<'a> {
        let v = self.get(key);
        Rd {
            o: v.and_then(|v| self.check(key, v, v.as_object(), "an object")),
            at: Some((self, Seg::Key(key), None)),
            slot: self.slot,
        }
    }

    /// The list at `key` (absent: empty).
    #[inline(never)]
    pub fn list(&self, key: &'static str) -> &'a [Value] {
        let v = self.get(key);
        v.and_then(|v| self.check(key, v, v.as_array(), "a list"))
            .map_or(&[], Vec::as_slice)
    }

    /// A reader for item `i` (`v`) of the list at `key`; `what` names the object it must be.
    #[inline(never)]
    pub fn item(&'a self, key: &'static str, i: usize, v: &'a Value, what: &str) -> Rd<'a> {
        let rd = Rd {
            o: v.as_object(),
            at: Some((self, Seg::Key(key), Some(i))),
            slot: self.slot,
        };
        if rd.o.is_none() {
            rd.fail(None, invalid(v, what));
        }
        rd
    }

    /// A list of strings.
    #[inline(never)]
    pub fn strings(&self, key: &'static str) -> Vec<String> {
        let mut out = Vec::new();
        for (i, v) in self.list(key).iter().enumerate() {
            match v.as_str() {
                Some(s) => out.push(s.to_string()),
                None => self.fail(None, invalid(v, "a string").within(Seg::Idx(i)).under(key)),
            }
        }
        out
    }

    /// Records an error about `key` found by the caller.
    pub fn bad(&self, key: &'static str, bad: Bad) {
        self.fail(Some(key), bad);
    }
}

/// The first error recorded while reading, if any.
pub(crate) fn finish<T>(slot: &Slot, value: T) -> R<T> {
    match slot.take() {
        Some(b) => Err(b),
        None => Ok(value),
    }
}

/// Parses `json` and reads it with `f`; errors are one line, `{what}: … at line L column C`.
#[inline(never)]
pub(crate) fn read_json<T>(json: &str, what: &str, f: fn(&Value) -> R<T>) -> crate::Result<T> {
    let bad = |e: serde_json::Error| crate::Error::bad_input(format!("{what}: {e}"));
    let v: Value = serde_json::from_str(json).map_err(bad)?;
    f(&v).map_err(|b| bad(locate(json, &b)))
}

/// The error for `bad` with serde_json's position of the field it names: the text is walked
/// again (only on this error path) down `bad`'s path, and serde_json attaches its `line L
/// column C` to the error raised there. A missing field points at the end of its object.
#[inline(never)]
pub(crate) fn locate(json: &str, bad: &Bad) -> serde_json::Error {
    let path = bad.path();
    let msg = bad.to_string();
    let mut de = serde_json::Deserializer::from_str(json);
    match (PathSeed {
        path: &path,
        msg: &msg,
    })
    .deserialize(&mut de)
    {
        Err(e) => e,
        // Not reachable for a path the Value walk produced; still an error, without position.
        Ok(()) => de::Error::custom(msg),
    }
}

struct PathSeed<'p> {
    path: &'p [Seg],
    msg: &'p str,
}

impl<'de> DeserializeSeed<'de> for PathSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        // Always inside `deserialize_any`: serde_json adds its position to errors raised by
        // the visitor, not to one raised out here.
        d.deserialize_any(self)
    }
}

impl PathSeed<'_> {
    fn here<E: de::Error>(&self) -> Result<(), E> {
        Err(E::custom(self.msg))
    }
}

impl<'de> Visitor<'de> for PathSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<String>()? {
            if matches!(self.path.first(), Some(Seg::Key(want)) if *want == k) {
                return map.next_value_seed(PathSeed {
                    path: &self.path[1..],
                    msg: self.msg,
                });
            }
            map.next_value::<IgnoredAny>()?;
        }
        self.here()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            if matches!(self.path.first(), Some(Seg::Idx(want)) if *want == i) {
                seq.next_element_seed(PathSeed {
                    path: &self.path[1..],
                    msg: self.msg,
                })?;
                return self.here();
            }
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return self.here();
            }
            i += 1;
        }
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.here()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.here()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.here()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.here()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.here()
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.here()
    }
}

// Here, with the other readers of JSON from JavaScript, and not in the speed-compiled crate:
// it runs on the small observation without its body (see wasm.rs).

/// Replaces the escapes of lone UTF-16 surrogates in JSON text (`"\ud83d"` without its low
/// half) with `\ufffd`. Page text read in JavaScript and cut at a length can end in half an
/// emoji; `JSON.stringify` then writes a lone-surrogate escape that serde_json rightly
/// rejects, which would turn a diagnosable page into an error. Linear; borrows when there is
/// nothing to fix.
// Only the WASM boundary calls it; native builds compile it for its tests.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn json_without_lone_surrogates(json: &str) -> std::borrow::Cow<'_, str> {
    fn surrogate(b: &[u8], i: usize) -> Option<u16> {
        // b[i] == '\\' && b[i+1] == 'u'
        let hex = std::str::from_utf8(b.get(i + 2..i + 6)?).ok()?;
        let v = u16::from_str_radix(hex, 16).ok()?;
        (0xd800..=0xdfff).contains(&v).then_some(v)
    }
    let b = json.as_bytes();
    if !json.contains("\\ud") && !json.contains("\\uD") {
        return std::borrow::Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len());
    let mut i = 0;
    let mut copied = 0;
    while i + 1 < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        if b[i + 1] != b'u' {
            i += 2; // any other escape, including an escaped backslash
            continue;
        }
        match surrogate(b, i) {
            Some(0xd800..=0xdbff)
                if b.get(i + 6) == Some(&b'\\')
                    && b.get(i + 7) == Some(&b'u')
                    && surrogate(b, i + 6).is_some_and(|lo| lo >= 0xdc00) =>
            {
                i += 12; // a proper pair
            }
            Some(_) => {
                out.push_str(&json[copied..i]);
                out.push_str("\\ufffd");
                i += 6;
                copied = i;
            }
            None => i += 6.min(b.len() - i),
        }
    }
    out.push_str(&json[copied..]);
    std::borrow::Cow::Owned(out)
}

/// `json` made pure ASCII for JavaScript: each other character becomes its UTF-16 `\\uXXXX`
/// escape(s), which JSON reads as the same character (serde_json writes non-ASCII only inside
/// strings). JavaScript decodes the text from UTF-8, then parses it; one em dash in the
/// remedies makes V8 build a two-byte string, and decoding plus `JSON.parse` of a typical
/// 5 KB diagnosis took ~17.7 µs against ~12.1 µs for the escaped, one-byte text (Node 20).
/// Here, compiled for size, rather than in the speed-compiled crate, where it cost 1.5 KB.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn ascii_json(json: String) -> String {
    if json.is_ascii() {
        return json;
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(json.len() + 64);
    let mut rest = json.as_str();
    while let Some(i) = rest.bytes().position(|b| !b.is_ascii()) {
        out.push_str(&rest[..i]);
        let ch = rest[i..]
            .chars()
            .next()
            .unwrap_or(char::REPLACEMENT_CHARACTER);
        rest = &rest[i + ch.len_utf8()..];
        let mut units = [0u16; 2];
        for &u in ch.encode_utf16(&mut units).iter() {
            out.push_str("\\u");
            for shift in [12, 8, 4, 0] {
                out.push(char::from(HEX[usize::from((u >> shift) & 0xf)]));
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogate_escapes_are_replaced() {
        let f = |s: &str| json_without_lone_surrogates(s).into_owned();
        assert_eq!(f(r#"{"b":"ok"}"#), r#"{"b":"ok"}"#);
        assert_eq!(f(r#"{"b":"x\ud83d"}"#), r#"{"b":"x\ufffd"}"#);
        assert_eq!(f(r#"{"b":"\ude00y"}"#), r#"{"b":"\ufffdy"}"#);
        assert_eq!(f(r#"{"b":"\ud83d\ude00"}"#), r#"{"b":"\ud83d\ude00"}"#);
        assert_eq!(f(r#"{"b":"\\ud83d"}"#), r#"{"b":"\\ud83d"}"#);
        assert_eq!(
            f(r#"{"b":"\ud83d\ud83d\ude00"}"#),
            r#"{"b":"\ufffd\ud83d\ude00"}"#
        );
        assert_eq!(f(r#"{"b":"\u00e9\ud8"}"#), r#"{"b":"\u00e9\ud8"}"#);
        let fixed = f(r#"{"body":"cut \ud83d"}"#);
        let v: serde_json::Value = serde_json::from_str(&fixed).unwrap();
        assert_eq!(v["body"], "cut \u{fffd}");
    }

    #[test]
    fn diagnosis_json_is_ascii_and_means_the_same() {
        let mut d = crate::diagnose(&crate::Observation {
            status: Some(502),
            body: Some("<h1>502 Bad Gateway</h1><p>Ungültige Antwort</p>".into()),
            ..Default::default()
        });
        d.summary.text = "Ungültige Antwort — bitte später 🙂 \u{2028} \\ \"q\"".into();
        let json = ascii_json(serde_json::to_string(&d).unwrap());
        assert!(json.is_ascii(), "{json}");
        assert!(
            json.contains(r"\u2014") && json.contains(r"\ud83d\ude42"),
            "{json}"
        );
        let back: crate::Diagnosis = serde_json::from_str(&json).unwrap();
        assert_eq!(back, d);
        // ASCII text is passed through as serde_json wrote it.
        d.summary.text = "plain".into();
        d.title.text = "plain".into();
        d.evidence.clear();
        d.remedies.clear();
        let plain = serde_json::to_string(&d).unwrap();
        assert!(plain.is_ascii(), "{plain}");
        assert_eq!(ascii_json(plain.clone()), plain);
    }
}
