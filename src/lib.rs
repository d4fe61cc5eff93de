//! Gateway Doctor's core: recognise an error page, say whose fault it is and what to do.
//!
//! The core is pure Rust with no browser dependency. The extension reaches it through the
//! WASM boundary in `wasm.rs`; the CLI (`src/bin/gateway-doctor.rs`) is a thin layer over the
//! same functions.
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

pub mod error;
pub mod har;
mod jsonv;
pub mod report;
// The module's allocator (wasm32 only); its bookkeeping is tested natively.
#[cfg(any(test, target_arch = "wasm32"))]
mod wasm_alloc;

// The hot path, compiled for speed in its own crate (src/hot.rs), under its usual paths.
pub use gateway_doctor_hot::{classify, model, normalize, remedies, scan, signatures};

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use classify::diagnose;
pub use error::{Error, Result};
pub use model::*;

/// The crate version, from Cargo.toml (crates/hot/Cargo.toml must say the same: tested below).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests {
    #[test]
    fn the_hot_crate_reports_this_crate_version() {
        // Diagnoses carry gateway_doctor_hot::VERSION; reports and the CLI carry this one.
        assert_eq!(gateway_doctor_hot::VERSION, super::VERSION);
    }
}
