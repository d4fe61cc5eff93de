//! The lenient per-entry field reader of the HAR parser (`har.rs`): fields read from a parsed
//! `serde_json::Value`, where a field of an unexpected type is recorded (with its path) and read
//! as absent, so that one odd entry becomes a warning naming entry and field instead of losing
//! the file. Everything else reads JSON through serde derive (`model.rs`, `report.rs`).

use std::cell::Cell;
use std::fmt;

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

    #[inline(never)]
    pub fn opt_string(&self, key: &'static str) -> Option<String> {
        self.str(key).map(str::to_string)
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
