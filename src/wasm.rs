//! The wasm-bindgen boundary: serde types in, serde types out, errors converted once.
//!
//! Everything here is a thin shim over the pure core so that native tests cover the logic and
//! this file only covers the conversion.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::Error;

/// Converts the core's one error type into a JS `Error` with a readable message.
impl From<Error> for JsValue {
    fn from(e: Error) -> JsValue {
        js_sys::Error::new(&e.to_string()).into()
    }
}

// Values cross the boundary as JSON text, through the engine's JSON.stringify/JSON.parse and
// serde_json, rather than serde-wasm-bindgen's object walking: the module needs serde_json
// anyway (reports, HAR), and serde-wasm-bindgen plus its per-type instantiations cost ~50 KB of
// the 250 KB size budget (measured on a release build's name section). The shapes are the
// same plain objects the CLI's `--json` prints.

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, Error> {
    json_to_js(serde_json::to_string(value))
}

/// serde_json's text of a result as a JS value, made ASCII first for a faster decode and parse
/// on the JS side (see `ascii_json`); every export's result goes through here.
fn json_to_js(json: serde_json::Result<String>) -> Result<JsValue, Error> {
    let json = json.map_err(|e| Error::bad_input(format!("cannot convert result: {e}")))?;
    js_sys::JSON::parse(&crate::jsonv::ascii_json(json))
        .map_err(|_| Error::bad_input("cannot convert result to JSON"))
}

/// The JSON text of a JS value, for the readers in `report` (`serde_json::Value` walked by
/// hand: one deserializer in the module instead of one per derived struct, see `jsonv`).
fn js_json(value: JsValue, what: &str) -> Result<String, Error> {
    let json = js_sys::JSON::stringify(&value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| Error::bad_input(format!("{what}: expected an object")))?;
    // Page text cut in JS can end in half a surrogate pair; diagnose it rather than refuse it.
    Ok(crate::jsonv::json_without_lone_surrogates(&json).into_owned())
}

#[wasm_bindgen]
extern "C" {
    /// The platform's UTF-8 encoder (workers, pages and Node all have one).
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    /// `encodeInto(string, bytes) -> {read, written}`: UTF-16 to UTF-8 in native code, lone
    /// surrogates as U+FFFD.
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, s: &js_sys::JsString, dest: &js_sys::Uint8Array) -> Encoded;
    type Encoded;
    #[wasm_bindgen(method, getter)]
    fn written(this: &Encoded) -> u32;
}

/// A JS string as UTF-8, encoded by `TextEncoder.encodeInto` straight into Rust's memory.
/// wasm-bindgen's own conversion (`as_string`) copies ASCII in a JavaScript loop, one
/// `charCodeAt` per character: ~100 µs of a ~480 µs diagnosis of a 64 KB page in `make bench`.
fn utf8_of(s: &js_sys::JsString) -> Result<String, Error> {
    // At most 3 UTF-8 bytes per UTF-16 unit (a surrogate pair is 2 units for 4 bytes).
    let mut buf: Vec<u8> = Vec::with_capacity(s.length() as usize * 3);
    // SAFETY: the view covers `buf`'s capacity and is dropped before `buf` is touched again;
    // no Rust code runs while the encoder writes, so nothing can allocate, grow the memory
    // and detach the view in between.
    let view = unsafe { js_sys::Uint8Array::view_mut_raw(buf.as_mut_ptr(), buf.capacity()) };
    // A new encoder per body: stateless and cheap next to the copy, and a cached one (a
    // thread_local) cost ~3 KB of the size budget.
    let written = TextEncoder::new().encode_into(s, &view).written() as usize;
    drop(view);
    // SAFETY: the encoder initialised the first `written` bytes (never more than the view).
    unsafe { buf.set_len(written.min(buf.capacity())) };
    // TextEncoder writes valid UTF-8; checked all the same, as an error rather than a trap.
    String::from_utf8(buf).map_err(|_| Error::bad_input("body: the encoder wrote invalid UTF-8"))
}

/// `diagnose(observation) -> diagnosis`. A malformed observation gives a JS `Error`, never a
/// trap, so the worker keeps serving.
#[wasm_bindgen]
pub fn diagnose(observation: JsValue) -> Result<JsValue, JsValue> {
    // The body is the one big field. Read as a string it costs one UTF-16 -> UTF-8 copy;
    // through JSON.stringify + escaping + parsing it cost more than the diagnosis itself on
    // a 64 KB page (`make bench`). The other fields still go through the JSON reader, with
    // its type checks; a body that is not a string stays there to be refused with the rest.
    let key = JsValue::from_str("body");
    let body = js_sys::Reflect::get(&observation, &key)
        .ok()
        .and_then(|b| b.dyn_into::<js_sys::JsString>().ok())
        .map(|b| utf8_of(&b))
        .transpose()?;
    let rest = match (&body, observation.dyn_ref::<js_sys::Object>()) {
        (Some(_), Some(o)) => {
            let copy = js_sys::Object::assign(&js_sys::Object::new(), o);
            js_sys::Reflect::delete_property(&copy, &key)?;
            copy.into()
        }
        _ => observation,
    };
    let mut obs = crate::report::observation_from_json(&js_json(rest, "observation")?)?;
    if body.is_some() {
        obs.body = body;
    }
    let (d, plan) = crate::classify::diagnose_planned(&obs);
    // Serialised by the speed-compiled crate (see src/hot.rs) rather than by `to_js`, with
    // `"remedies": []` where the remedies go, so that the key keeps its place.
    let out = json_to_js(gateway_doctor_hot::to_json(&d))?;
    js_sys::Reflect::set(&out, &"remedies".into(), &remedies_for(plan)?)?;
    Ok(out)
}

/// The remedies a plan renders to, as frozen JS objects shared by the diagnoses with that
/// plan: the last few plans are kept with their remedies. Rendering a dozen remedies,
/// serialising them and `JSON.parse` of the ~5 KB of text was about half of a small page's
/// diagnosis (`make bench`, Node profile), and visitors meet the same few plans over and
/// over. Frozen, so that no caller can change what another one receives (module code is
/// strict: an attempt throws).
fn remedies_for(plan: crate::remedies::RemedyPlan) -> Result<JsValue, Error> {
    // SAFETY: wasm32-unknown-unknown without atomics runs one thread, and nothing below
    // re-enters this function while the borrow lives.
    let cache = unsafe { &mut *REMEDIES.0.get() };
    if let Some(i) = cache.iter().position(|(p, _)| *p == plan) {
        return Ok(cache[i].1.clone());
    }
    let value = to_js(&plan.render())?;
    freeze(&value);
    if cache.len() >= REMEDY_PLANS_KEPT {
        cache.remove(0);
    }
    cache.push((plan, value.clone()));
    Ok(value)
}

/// Plans whose remedies are kept (a few KB of JS objects each).
const REMEDY_PLANS_KEPT: usize = 8;

struct RemedyCache(core::cell::UnsafeCell<Vec<(crate::remedies::RemedyPlan, JsValue)>>);
// SAFETY: one thread (see `remedies_for`).
unsafe impl Sync for RemedyCache {}
static REMEDIES: RemedyCache = RemedyCache(core::cell::UnsafeCell::new(Vec::new()));

/// `Object.freeze` of a parsed JSON value and everything in it.
fn freeze(v: &JsValue) {
    if let Some(o) = v.dyn_ref::<js_sys::Object>() {
        for x in js_sys::Object::values(o).iter() {
            freeze(&x);
        }
        js_sys::Object::freeze(o);
    }
}

/// The whole remedy catalog (every remedy with its steps), for the extension's help pages.
#[wasm_bindgen(js_name = remedyCatalog)]
pub fn remedy_catalog() -> Result<JsValue, JsValue> {
    Ok(to_js(&crate::remedies::catalog())?)
}

/// Crate version and signature data version.
#[wasm_bindgen]
pub fn version() -> Result<JsValue, JsValue> {
    #[derive(Serialize)]
    struct V {
        engine: &'static str,
        signatures: &'static str,
    }
    Ok(to_js(&V {
        engine: crate::VERSION,
        signatures: crate::signatures::VERSION,
    })?)
}

// --- Support workflow (H4): reports and HAR files -------------------------------------------

/// `buildReport(input) -> {report, json, markdown}`: the redacted support report. `input` is
/// `report::ReportInput` (observation, diagnosis, remedies tried, switches, local time…).
#[wasm_bindgen(js_name = buildReport)]
pub fn build_report(input: JsValue) -> Result<JsValue, JsValue> {
    // Read through `serde_json::Value` (one deserializer for all support types) with the
    // field path and position in errors.
    let mut input = crate::report::ReportInput::from_json(&js_json(input, "report input")?)?;
    if input.generated_at.is_none() {
        // SystemTime traps on wasm32-unknown-unknown; the JS clock is the one to ask.
        let now = js_sys::Date::new_0().to_iso_string();
        input.generated_at = now.as_string().and_then(|s| crate::report::to_utc(&s));
    }
    let built = crate::report::build_all(&input);
    // `report` is the parsed `json`: one serialiser (serde_json) for both keeps a second,
    // wasm-bindgen-specific serialiser of every report type out of the module (size budget).
    let report = js_sys::JSON::parse(&built.json)?;
    let out = js_sys::Object::new();
    js_sys::Reflect::set(&out, &"report".into(), &report)?;
    js_sys::Reflect::set(&out, &"json".into(), &built.json.into())?;
    js_sys::Reflect::set(&out, &"markdown".into(), &built.markdown.into())?;
    Ok(out.into())
}

/// `bodySummary(body: string) -> {length, blank, excerpt}`: what the extension stores of a page
/// body after diagnosing it (the body itself is not kept); `buildReport` takes it back as
/// `body_summary`.
#[wasm_bindgen(js_name = bodySummary)]
pub fn body_summary(body: &js_sys::JsString) -> Result<JsValue, JsValue> {
    Ok(to_js(&crate::report::body_summary(&utf8_of(body)?))?)
}

/// `replayReport(reportJson: string) -> {diagnosis, recorded, recorded_versions, agrees,
/// differences}`: today's engine on what the report carries, compared with its diagnosis.
#[wasm_bindgen(js_name = replayReport)]
pub fn replay_report(report_json: &str) -> Result<JsValue, JsValue> {
    Ok(to_js(&crate::report::replay_json(report_json)?)?)
}

/// `diagnoseHar(harText: string, all: bool) -> [{index, url, method, status, net_error,
/// resource_type, started_at, diagnosis}]`: the failed document/XHR entries (all of them with
/// `all`), parsed by the same streaming parser as the CLI.
#[wasm_bindgen(js_name = diagnoseHar)]
pub fn diagnose_har(har_text: &str, all: bool) -> Result<JsValue, JsValue> {
    Ok(to_js(&crate::har::diagnose_str(har_text, all)?)?)
}
