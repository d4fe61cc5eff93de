//! Gateway Doctor's core: recognise an error page, say whose fault it is and what to do.
//!
//! The core is pure Rust with no browser dependency. The extension reaches it through the
//! service worker's WASM module (`crates/worker`); the CLI (`crates/cli`) is a thin layer over
//! the same functions. With the `ts` feature (enabled by `crates/worker` only) the boundary
//! types also declare themselves to TypeScript (tsify).
//!
//! ```
//! use gateway_doctor::{diagnose, Observation};
//! let obs = Observation {
//!     status: Some(502),
//!     body: Some("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>".into()),
//!     ..Default::default()
//! };
//! let d = diagnose(&obs);
//! assert_eq!(d.family, "nginx");
//! ```

mod chunk;
pub mod classify;
pub mod error;
pub mod har;
mod lenient;
pub mod model;
pub mod normalize;
pub mod remedies;
pub mod report;
pub mod retry;
pub mod scan;
pub mod signatures;
#[cfg(test)]
mod testutil;

pub use classify::diagnose;
pub use error::{Error, Result};
pub use model::*;

/// The crate version, from Cargo.toml: the engine version diagnoses, reports and the CLI carry.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
