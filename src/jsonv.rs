//! Field extraction from a parsed `serde_json::Value`, shared by reports and HAR entries.
//!
//! Why not `#[derive(Deserialize)]`: every derived struct monomorphises its own
//! `deserialize_struct` for each deserializer (1.5–6 KB of WASM apiece, ~20 structs), while
//! one `Value` deserializer serves all of them and these helpers are a few hundred bytes.
//! Errors carry the path of the offending field; [`locate`] turns that path back into
//! serde_json's `line L column C` when the caller still has the text.

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
pub(crate) fn as_obj<'a>(v: &'a Value, what: &str) -> R<&'a Obj> {
    v.as_object().ok_or_else(|| invalid(v, what))
}

#[inline(never)]
pub(crate) fn as_str(v: &Value) -> R<&str> {
    v.as_str().ok_or_else(|| invalid(v, "a string"))
}

#[inline(never)]
pub(crate) fn as_bool(v: &Value) -> R<bool> {
    v.as_bool().ok_or_else(|| invalid(v, "a boolean"))
}

/// A non-negative integer no larger than `max` (floats are refused, as serde does for ints).
#[inline(never)]
pub(crate) fn as_uint(v: &Value, max: u64) -> R<u64> {
    match v.as_u64() {
        Some(n) if n <= max => Ok(n),
        Some(_) => Err(Bad::new(format!(
            "invalid value: integer too large (max {max})"
        ))),
        None => Err(invalid(v, "a non-negative integer")),
    }
}

/// Any number as `f64` (for `confidence`).
#[inline(never)]
pub(crate) fn as_f64(v: &Value) -> R<f64> {
    v.as_f64().ok_or_else(|| invalid(v, "a number"))
}

/// `o[key]` converted by `f`; absent or `null` is `None`. Errors name the key.
///
/// The helpers here are `#[inline(never)]` (and `field` only generic in its converter): at
/// opt-level z LLVM otherwise inlines each of them into every field read, which made the
/// readers several KB each in WASM.
pub(crate) fn field<'a, T>(
    o: &'a Obj,
    key: &'static str,
    f: impl FnOnce(&'a Value) -> R<T>,
) -> R<Option<T>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => f(v).map(Some).map_err(|e| e.within(Seg::Key(key))),
    }
}

/// Like [`field`], but absence is an error (`missing field `key``).
pub(crate) fn required<'a, T>(
    o: &'a Obj,
    key: &'static str,
    f: impl FnOnce(&'a Value) -> R<T>,
) -> R<T> {
    field(o, key, f)?.ok_or_else(|| Bad::new(format!("missing field `{key}`")))
}

#[inline(never)]
pub(crate) fn opt_string(o: &Obj, key: &'static str) -> R<Option<String>> {
    field(o, key, |v| as_str(v).map(str::to_string))
}

/// A string field, `""` when absent.
#[inline(never)]
pub(crate) fn string(o: &Obj, key: &'static str) -> R<String> {
    Ok(opt_string(o, key)?.unwrap_or_default())
}

#[inline(never)]
pub(crate) fn flag(o: &Obj, key: &'static str) -> R<bool> {
    Ok(field(o, key, as_bool)?.unwrap_or(false))
}

/// A list whose items are converted by `f`; absent is empty. Errors name the index.
pub(crate) fn list<T>(o: &Obj, key: &'static str, f: impl Fn(&Value) -> R<T>) -> R<Vec<T>> {
    let Some(items) = items(o, key)? else {
        return Ok(Vec::new());
    };
    // A plain loop: `collect::<Result<Vec<_>, _>>()` costs an iterator adapter per item type.
    let mut out = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        out.push(f(v).map_err(|e| e.within(Seg::Idx(i)).under(key))?);
    }
    Ok(out)
}

/// `o[key]` as a list; absent or `null` is `None`.
#[inline(never)]
pub(crate) fn items<'a>(o: &'a Obj, key: &'static str) -> R<Option<&'a Vec<Value>>> {
    field(o, key, |v| v.as_array().ok_or_else(|| invalid(v, "a list")))
}

/// A string that must be one of `ids`; returns its index.
#[inline(never)]
pub(crate) fn one_of(v: &Value, ids: &[&str]) -> R<usize> {
    let s = as_str(v)?;
    ids.iter().position(|id| *id == s).ok_or_else(|| {
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
    })
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
