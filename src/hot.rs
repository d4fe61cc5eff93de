//! The engine's hot path as its own crate (`gateway-doctor-hot`, manifest in `crates/hot/`),
//! so that it can be compiled for speed while the rest of the WASM module is compiled for size.
//!
//! The module has a 250 KB budget, which only `opt-level = "z"` meets for the whole crate; at
//! "z" a 64 KB page took ~600 µs in WASM and a call with no body ~70 µs, most of it in the
//! normaliser, the phrase scan and serde_json writing the diagnosis. Cargo sets opt-levels per
//! crate (`[profile.release.package.gateway-doctor-hot]` in the root Cargo.toml), and the
//! level survives LTO, so what runs per byte and per call lives here:
//!
//! * [`model`]: the serde contract, whose `Serialize` code is instantiated by [`to_json`];
//! * [`signatures`]: the compiled signature tables (`build.rs`) the scan reads;
//! * [`normalize`] and [`scan`]: one pass each over the body, plain text 16 bytes at a time
//!   (`chunk`: WebAssembly SIMD in the module, SSE2 natively);
//! * [`classify`]: the rules, the decision and the diagnosis around them;
//! * [`remedies`]: the ranked remedies every diagnosis renders (a dozen messages each).
//!
//! Everything else (reports, HAR, the WASM boundary, the CLI) stays in `gateway-doctor`,
//! which re-exports these modules under the same paths. The source files live in `src/` with
//! the rest of the core; this file is only the crate root.
//!
//! Room in the budget came from code that opt-level 2 inflates or that was never needed: no
//! library sort in the scan (each instantiation was kilobytes), lower-casing from build-time
//! runs instead of std's case tables, rare text work (ASCII escaping for JavaScript, JSON
//! surrogate repair) left in the size-compiled crate. Against the all-"z" module, `make bench`
//! went from 2.0x to 3.3x the JavaScript baseline and from ~610 to ~350 µs for the slowest
//! 64 KB pages (README, "Tests", has the latest figures).

mod chunk;
pub mod classify;
pub mod model;
pub mod normalize;
pub mod remedies;
pub mod scan;
pub mod signatures;
#[cfg(test)]
mod testutil;

/// The engine version a diagnosis records: this crate's, kept equal to `gateway-doctor`'s
/// (a test in src/lib.rs checks it).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The JSON text of a diagnosis, as the WASM boundary hands it to JavaScript. Here rather than
/// at the call site because serde's generic code is compiled in the crate that instantiates it.
pub fn to_json(d: &model::Diagnosis) -> serde_json::Result<String> {
    serde_json::to_string(d)
}
