//! The remedy catalog (placeholder until the engine lands).
use crate::model::Remedy;

pub fn catalog() -> Vec<Remedy> {
    Vec::new()
}
