//! Signature data compiled in from `signatures/` (placeholder until the engine lands).
pub const VERSION: &str = "0";
