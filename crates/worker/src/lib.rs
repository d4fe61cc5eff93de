//! The service worker's WebAssembly module: the wasm-bindgen boundary over the core.
//!
//! Values cross as JS values through serde-wasm-bindgen and the core's own serde types (one
//! definition of each shape, in `gateway_doctor::model` and `gateway_doctor::report`): no JSON
//! text in between. Results are written with `Serializer::json_compatible()`, so they are the
//! plain objects the CLI's `--json` prints (`None` as `null`, maps as objects), which the
//! extension stores in `storage.session` and compares as JSON. The TypeScript names in the
//! signatures (`Observation`, `Diagnosis`, …) are declared by the core's types themselves
//! (tsify, the core's `ts` feature) into this module's `.d.ts`. The remedy catalog's strings
//! are made JS strings once and reused (`intern_remedies`).
//!
//! Everything here is a thin shim over the pure core so that native tests cover the logic and
//! this file only covers the conversion.

use gateway_doctor::report::{self, ReportInput};
use gateway_doctor::retry;
use gateway_doctor::{Error, Observation};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// The core's one error type as a JS `Error` with a readable message.
fn js_error(e: Error) -> JsValue {
    js_sys::Error::new(&e.to_string()).into()
}

/// A result as a plain JS value (see the module comment).
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_error(Error::bad_input(format!("cannot convert result: {e}"))))
}

/// Makes the built-in strings of the remedies at `indexes` (into the catalog) JS strings, once
/// per remedy for the life of the module.
///
/// A diagnosis is mostly catalog text: a page without a body gives ~5 KB of JSON, most of it
/// a dozen remedies whose ids, message ids and English texts are built-in strings (the core
/// borrows them, `model::Text`). serde-wasm-bindgen hands every string to
/// `JsValue::from_str`, which copies and decodes it in JS (one `TextDecoder.decode` per
/// string: about a third of such a diagnosis, Node profile) unless wasm-bindgen's
/// `enable-interning` finds it in its intern cache and passes the JS string it holds
/// (<https://docs.rs/wasm-bindgen/latest/wasm_bindgen/fn.intern.html>). JS strings are
/// immutable: sharing them shares no state between calls.
///
/// Per remedy as plans name it rather than the whole catalog at the first call: interning
/// all ~480 catalog strings took 5 to 14 ms in a freshly started module (Node), on the path
/// of a cold worker's first badge; a first plan's dozen remedies cost ~1 ms there.
fn intern_remedies(indexes: &[u16]) {
    use gateway_doctor::signatures::{ActionDef, ACTION_TYPES, REMEDIES};
    use std::cell::RefCell;
    use wasm_bindgen::intern;
    thread_local! {
        /// Whether the catalog entry at each index is interned.
        static DONE: RefCell<Vec<bool>> = const { RefCell::new(Vec::new()) };
    }
    DONE.with_borrow_mut(|done| {
        if done.is_empty() {
            done.resize(REMEDIES.len(), false);
            for t in ACTION_TYPES {
                intern(t);
            }
            intern(gateway_doctor::VERSION);
            intern(gateway_doctor::signatures::VERSION);
        }
        for &i in indexes {
            let (Some(r), Some(false)) = (REMEDIES.get(i as usize), done.get(i as usize)) else {
                continue;
            };
            done[i as usize] = true;
            intern(r.id);
            let os_steps = r.os_steps.iter().flat_map(|(_, steps)| steps.iter());
            for m in std::iter::once(&r.title).chain(r.steps).chain(os_steps) {
                intern(m.id);
                intern(m.text);
            }
            for (_, command) in r.os_copy {
                intern(command);
            }
            match r.action {
                ActionDef::CopyText(text) => _ = intern(text),
                ActionDef::OpenUrl(url) if !url.contains('{') => _ = intern(url),
                _ => {}
            }
        }
    });
}

/// A JS value as `T`; a malformed one is an error naming the field's path
/// (`observation: headers[0].name: invalid type: …`), never a trap.
fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsValue> {
    serde_path_to_error::deserialize(serde_wasm_bindgen::Deserializer::from(value)).map_err(|e| {
        js_error(Error::bad_input(format!(
            "{what}: {}",
            report::path_error(&e)
        )))
    })
}

/// `diagnose(observation) -> diagnosis`. A malformed observation gives a JS `Error`, never a
/// trap, so the worker keeps serving.
#[wasm_bindgen(unchecked_return_type = "Diagnosis")]
pub fn diagnose(
    #[wasm_bindgen(unchecked_param_type = "Observation")] observation: JsValue,
) -> Result<JsValue, JsValue> {
    let obs: Observation = from_js(observation, "observation")?;
    // `gateway_doctor::diagnose`, with the plan's built-in strings interned before to_js converts them.
    let (mut d, plan) = gateway_doctor::classify::diagnose_planned(&obs);
    intern_remedies(plan.indexes);
    d.remedies = plan.render();
    to_js(&d)
}

/// The whole remedy catalog (every remedy with its steps), for the extension's help pages.
#[wasm_bindgen(js_name = remedyCatalog, unchecked_return_type = "Remedy[]")]
pub fn remedy_catalog() -> Result<JsValue, JsValue> {
    to_js(&gateway_doctor::remedies::catalog())
}

/// Crate version and signature data version.
#[wasm_bindgen(unchecked_return_type = "{ engine: string; signatures: string }")]
pub fn version() -> Result<JsValue, JsValue> {
    #[derive(Serialize)]
    struct V {
        engine: &'static str,
        signatures: &'static str,
    }
    to_js(&V {
        engine: gateway_doctor::VERSION,
        signatures: gateway_doctor::signatures::VERSION,
    })
}

// --- Support workflow (H4): reports and HAR files -------------------------------------------

/// `buildReport(input) -> {report, json, markdown}`: the redacted support report. `input` is
/// `report::ReportInput` (observation, diagnosis, remedies tried, switches, local time…).
#[wasm_bindgen(js_name = buildReport, unchecked_return_type = "BuiltReport")]
pub fn build_report(
    #[wasm_bindgen(unchecked_param_type = "ReportInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    let mut input: ReportInput = from_js(input, "report input")?;
    if input.generated_at.is_none() {
        // SystemTime traps on wasm32-unknown-unknown; the JS clock is the one to ask.
        let now = js_sys::Date::new_0().to_iso_string();
        input.generated_at = now.as_string().and_then(|s| report::to_utc(&s));
    }
    to_js(&report::build_all(&input))
}

/// `bodySummary(body) -> {length, blank, excerpt, text_length, page_code}`: what the extension
/// stores of a page body after diagnosing it (the body itself is not kept); `buildReport`
/// takes it back as `body_summary`.
#[wasm_bindgen(js_name = bodySummary, unchecked_return_type = "BodySummary")]
pub fn body_summary(body: &str) -> Result<JsValue, JsValue> {
    to_js(&report::body_summary(body))
}

// The replay page's functions (replayReport, diagnoseHar) live in its own module
// (crates/replay); nothing the service worker or popup loads calls them.

// --- Auto-retry (lib/actions.js): the schedule's decisions -----------------------------------
//
// The service worker keeps the `Retry` record in the tab's state and does the waking, checking
// and reloading; every decision about the record is one of these calls (gateway_doctor::retry).
// Clocks are the caller's `Date.now()`.

/// A JS clock value (ms since the epoch) as the core's `u64`; NaN and negatives read as 0 (the
/// epoch), which every decision treats as "long ago".
fn ms(v: f64) -> u64 {
    // `as` saturates and maps NaN to 0.
    v.round() as u64
}

/// `retryStart(start) -> {retry} | {refused}`: a new retry with its first check scheduled, or
/// why this load must not be retried (`not_get`, `no_url`, `bad_scheme`: only GETs over
/// http(s)).
#[wasm_bindgen(js_name = retryStart, unchecked_return_type = "RetryStarted")]
pub fn retry_start(
    #[wasm_bindgen(unchecked_param_type = "RetryStart")] start: JsValue,
) -> Result<JsValue, JsValue> {
    let start: retry::RetryStart = from_js(start, "retry start")?;
    to_js(&retry::RetryStarted::from(retry::start(&start)))
}

/// `retryClassify(url, status, finalUrl) -> {verdict, redirected_to}`: what one quiet check
/// says about the watched page. The worker's check goes through `retryAfterCheck`, which
/// applies it; on its own it lets the verdicts be tested through the module that ships.
#[wasm_bindgen(js_name = retryClassify, unchecked_return_type = "CheckVerdict")]
pub fn retry_classify(
    url: &str,
    status: Option<u16>,
    final_url: Option<String>,
) -> Result<JsValue, JsValue> {
    to_js(&retry::classify(url, status, final_url.as_deref()))
}

/// `retryAfterCheck(retry, {status, error, final_url, now}) -> Retry`: the state after one
/// check (recovered, scheduled again, or ended at the cap).
#[wasm_bindgen(js_name = retryAfterCheck, unchecked_return_type = "Retry")]
pub fn retry_after_check(
    #[wasm_bindgen(unchecked_param_type = "Retry")] retry: JsValue,
    #[wasm_bindgen(unchecked_param_type = "RetryCheck")] check: JsValue,
) -> Result<JsValue, JsValue> {
    let retry: retry::Retry = from_js(retry, "retry")?;
    let check: retry::RetryCheck = from_js(check, "retry check")?;
    to_js(&retry::after_check(&retry, &check))
}

/// `retryReloadNeeded(prev, next) -> boolean`: reload the tab after this check?
#[wasm_bindgen(js_name = retryReloadNeeded)]
pub fn retry_reload_needed(
    #[wasm_bindgen(unchecked_param_type = "Retry | null | undefined")] prev: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Retry | null | undefined")] next: JsValue,
) -> Result<bool, JsValue> {
    let prev: Option<retry::Retry> = from_js(prev, "previous retry")?;
    let next: Option<retry::Retry> = from_js(next, "next retry")?;
    Ok(retry::reload_needed(prev.as_ref(), next.as_ref()))
}

/// `retryStop(retry, outcome, now) -> Retry | null`: ends a retry for a reason that is not a
/// check (cancelled, navigated away, tab closed); `null` stays `null`.
#[wasm_bindgen(js_name = retryStop, unchecked_return_type = "Retry | null")]
pub fn retry_stop(
    #[wasm_bindgen(unchecked_param_type = "Retry | null | undefined")] retry: JsValue,
    #[wasm_bindgen(unchecked_param_type = "RetryOutcome")] outcome: JsValue,
    now: f64,
) -> Result<JsValue, JsValue> {
    let retry: Option<retry::Retry> = from_js(retry, "retry")?;
    let outcome: retry::RetryOutcome = from_js(outcome, "outcome")?;
    to_js(&retry.map(|r| retry::stop(&r, outcome, ms(now))))
}

/// `retryIsDue(retry, now) -> boolean`: is the scheduled check due (a little early counts)?
#[wasm_bindgen(js_name = retryIsDue)]
pub fn retry_is_due(
    #[wasm_bindgen(unchecked_param_type = "Retry | null | undefined")] retry: JsValue,
    now: f64,
) -> Result<bool, JsValue> {
    let retry: Option<retry::Retry> = from_js(retry, "retry")?;
    Ok(retry::is_due(retry.as_ref(), ms(now)))
}

/// `retryWakePlan(nextAt, now) -> {timer_ms, alarm_when}`: an in-worker timer for short waits,
/// and the backstop alarm's time.
#[wasm_bindgen(js_name = retryWakePlan, unchecked_return_type = "WakePlan")]
pub fn retry_wake_plan(next_at: f64, now: f64) -> Result<JsValue, JsValue> {
    to_js(&retry::wake_plan(ms(next_at), ms(now)))
}

/// `retrySameDocument(a, b) -> boolean`: the same page, the fragment aside (has the visitor
/// navigated elsewhere?).
#[wasm_bindgen(js_name = retrySameDocument)]
pub fn retry_same_document(a: &str, b: &str) -> bool {
    retry::same_document(a, b)
}
