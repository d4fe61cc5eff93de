//! The browser wiring: the worker's message loop, the `File` as a `Read`, values to and from JS.
//!
//! Worker protocol (the page is `extension/replay.js`):
//! - worker → page `{type: "ready"}` once the module runs and listens;
//! - page → worker `{type: "scan", blob: Blob, all: bool}`, one per worker;
//! - worker → page `{type: "progress", bytes, total, entries}` at most every 100 ms;
//! - worker → page `{type: "rows", rows: [HarRow…]}` as rows are found, in file order;
//! - worker → page `{type: "done", summary, rows, shown, bytes, ms, wasmMemory}` or
//!   `{type: "error", message}`, last.
//!
//! Cancel: the page terminates the worker (it reads synchronously and sees no message until
//! the scan ends).

use std::io::Read;

use gateway_doctor::har::Select;
use gateway_doctor::{Error, Observation};
use js_sys::{Object, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, DedicatedWorkerGlobalScope, FileReaderSync, MessageEvent};

use crate::{scan, Sink, ROW_CAP};

/// Bytes read from the file at once: large enough that the per-read cost (a slice, a
/// synchronous read, one copy into WASM memory) vanishes, small next to the module's memory.
const SLICE: f64 = 1024.0 * 1024.0;

fn js_error(e: impl std::fmt::Display) -> JsValue {
    js_sys::Error::new(&e.to_string()).into()
}

/// The CLI's `--json` text of a value, parsed by the engine's `JSON.parse`. Not
/// serde-wasm-bindgen's serializer: it hands an `f32` over as the nearest `f64`, so a
/// confidence of 0.94 arrived as 0.9399999976158142 (tests/js/replay-module.test.mjs compares
/// every fixture with the CLI and caught it); serde_json writes the shortest decimal.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let json = serde_json::to_string(value).map_err(js_error)?;
    js_sys::JSON::parse(&json)
}

fn message(kind: &str) -> Object {
    let o = Object::new();
    set(&o, "type", &kind.into());
    o
}

fn set(o: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(o, &key.into(), value);
}

/// The page's `diagnose` for a pasted page: `diagnosePage(observation) -> diagnosis`.
#[wasm_bindgen(js_name = diagnosePage)]
pub fn diagnose_page(observation: JsValue) -> Result<JsValue, JsValue> {
    let obs: Observation = serde_wasm_bindgen::from_value(observation)
        .map_err(|e| js_error(format!("observation: {e}")))?;
    to_js(&gateway_doctor::diagnose(&obs))
}

/// `replayReportText(reportJson) -> {diagnosis, recorded, recorded_versions, agrees,
/// differences}`: today's engine on what a pasted report carries.
#[wasm_bindgen(js_name = replayReportText)]
pub fn replay_report_text(report_json: &str) -> Result<JsValue, JsValue> {
    let r = gateway_doctor::report::replay_json(report_json).map_err(js_error)?;
    to_js(&r)
}

/// A `Blob` as a `Read`: 1 MB slices through `FileReaderSync` (workers only).
struct BlobRead {
    blob: Blob,
    reader: FileReaderSync,
    pos: f64,
    total: f64,
    buf: Vec<u8>,
    at: usize,
}

impl BlobRead {
    fn fill(&mut self) -> Result<(), JsValue> {
        let end = (self.pos + SLICE).min(self.total);
        let slice = self.blob.slice_with_f64_and_f64(self.pos, end)?;
        let bytes = Uint8Array::new(&self.reader.read_as_array_buffer(&slice)?.into());
        self.buf.resize(bytes.length() as usize, 0);
        bytes.copy_to(&mut self.buf);
        self.pos = end;
        self.at = 0;
        Ok(())
    }
}

impl Read for BlobRead {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.buf.len() {
            if self.pos >= self.total {
                return Ok(0);
            }
            self.fill().map_err(|e| {
                let msg = e
                    .dyn_ref::<js_sys::Error>()
                    .map(|e| String::from(e.message()))
                    .unwrap_or_else(|| format!("{e:?}"));
                std::io::Error::other(format!("reading the file: {msg}"))
            })?;
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

struct Post {
    scope: DedicatedWorkerGlobalScope,
    total: f64,
}

impl Post {
    fn send(&self, msg: &Object) {
        if let Err(e) = self.scope.post_message(msg) {
            gloo_console::error!("replay worker: postMessage failed", e);
        }
    }
}

impl Sink for Post {
    fn now(&self) -> f64 {
        js_sys::Date::now()
    }
    fn progress(&mut self, bytes: u64, entries: usize) {
        let m = message("progress");
        set(&m, "bytes", &(bytes as f64).into());
        set(&m, "total", &self.total.into());
        set(&m, "entries", &(entries as f64).into());
        self.send(&m);
    }
    fn rows(&mut self, rows: Vec<gateway_doctor::har::HarRow>) {
        let m = message("rows");
        match to_js(&rows) {
            Ok(v) => set(&m, "rows", &v),
            Err(e) => {
                gloo_console::error!("replay worker: rows not converted", e);
                return;
            }
        }
        self.send(&m);
    }
}

/// One `scan` message: the whole file, then `done` or `error`.
fn run_scan(scope: &DedicatedWorkerGlobalScope, data: &JsValue) -> Result<Object, JsValue> {
    let blob: Blob = Reflect::get(data, &"blob".into())?
        .dyn_into()
        .map_err(|_| js_error("scan: no file"))?;
    let all = Reflect::get(data, &"all".into())?.is_truthy();
    let total = blob.size();
    let reader = BlobRead {
        blob,
        reader: FileReaderSync::new()?,
        pos: 0.0,
        total,
        buf: Vec::new(),
        at: 0,
    };
    let mut post = Post {
        scope: scope.clone(),
        total,
    };
    let sel = Select {
        successful: all,
        other_types: false,
    };
    let t0 = js_sys::Date::now();
    let done = scan(reader, sel, ROW_CAP, &mut post).map_err(|e: Error| js_error(e))?;
    let ms = js_sys::Date::now() - t0;
    // Figures for whoever watches the worker's console (the README's were measured so).
    gloo_console::info!(format!(
        "replay worker: {} bytes, {} entries, {} rows in {:.0} ms",
        done.bytes, done.summary.entries, done.rows, ms
    ));
    let m = message("done");
    set(&m, "summary", &to_js(&done.summary)?);
    set(&m, "rows", &(done.rows as f64).into());
    set(&m, "shown", &(done.shown as f64).into());
    set(&m, "bytes", &(done.bytes as f64).into());
    set(&m, "ms", &ms.into());
    // WASM memory never shrinks: its size now is the scan's peak, the figure that shows the
    // bound holds (tests/e2e/replay-stream.test.mjs).
    let memory = wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length();
    set(&m, "wasmMemory", &(memory as f64).into());
    Ok(m)
}

/// `startReplayWorker()`: called once by `replay-worker.js`; listens for the page's `scan`
/// message and says `ready`.
#[wasm_bindgen(js_name = startReplayWorker)]
pub fn start_replay_worker() -> Result<(), JsValue> {
    let scope: DedicatedWorkerGlobalScope = js_sys::global()
        .dyn_into()
        .map_err(|_| js_error("startReplayWorker: not in a dedicated worker"))?;
    let target = scope.clone();
    let listener = gloo_events::EventListener::new(&scope, "message", move |ev| {
        let Some(ev) = ev.dyn_ref::<MessageEvent>() else {
            return;
        };
        let data = ev.data();
        let kind = Reflect::get(&data, &"type".into())
            .ok()
            .and_then(|t| t.as_string());
        if kind.as_deref() != Some("scan") {
            gloo_console::warn!("replay worker: unknown message", data);
            return;
        }
        let reply = run_scan(&target, &data).unwrap_or_else(|e| {
            let m = message("error");
            let text = e
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .unwrap_or_else(|| format!("{e:?}"));
            set(&m, "message", &text.into());
            m
        });
        if let Err(e) = target.post_message(&reply) {
            gloo_console::error!("replay worker: postMessage failed", e);
        }
    });
    // The worker lives for one scan and is then terminated: the listener lives as long.
    listener.forget();
    scope.post_message(&message("ready"))
}
