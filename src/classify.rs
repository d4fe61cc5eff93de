//! The classifier (placeholder until the engine lands).
use crate::model::*;

pub fn diagnose(obs: &Observation) -> Diagnosis {
    let msg = |id: &str, text: &str| Message { id: id.into(), args: vec![], text: text.into() };
    let body = obs.body.as_deref().unwrap_or("");
    let family = if body.contains(">nginx<") { "nginx" } else { "generic" };
    Diagnosis {
        schema: SCHEMA,
        kind: Kind::ServerError,
        family: family.into(),
        variant: None,
        code: obs.status.map(u32::from),
        fault: Fault::Unknown,
        confidence: 0.0,
        title: msg("diag_title_unknown", "Unknown"),
        summary: msg("diag_summary_unknown", "Unknown"),
        evidence: vec![],
        ids: vec![],
        retry_after_s: None,
        remedies: vec![],
        engine_version: crate::VERSION.into(),
        signatures_version: crate::signatures::VERSION.into(),
    }
}
