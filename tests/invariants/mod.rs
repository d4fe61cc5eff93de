//! What must hold for every diagnosis, whatever the input. One copy for the property tests
//! (`tests/props.rs`) and the fuzz targets (`fuzz/fuzz_targets/common.rs`, through `#[path]`),
//! so the two cannot drift apart. In a folder of its own so cargo does not build it as a test
//! binary.
//!
//! Each check returns a message naming the broken invariant, so proptest shrinks to a
//! readable failure and the fuzzer's panic says what broke.

use gateway_doctor::{Diagnosis, EvidenceSource, Fault, Kind, Observation, SCHEMA};

/// The invariants that need only the diagnosis (the fuzz targets over HAR files and reports
/// have no observation at hand).
pub fn check_diagnosis(d: &Diagnosis) -> Result<(), String> {
    if d.schema != SCHEMA {
        return Err(format!("schema {} != {SCHEMA}", d.schema));
    }
    if !(d.confidence.is_finite() && (0.0..=1.0).contains(&d.confidence)) {
        return Err(format!("confidence {} outside [0,1]", d.confidence));
    }
    // Family network is always a network error, with one exception: the user stopping the
    // load (ERR_ABORTED / NS_BINDING_ABORTED) is family network but kind ok, variant aborted,
    // so it raises no alarm. A network error of another family is a proxy's page about the
    // visitor's network (Squid's DNS failure), so its fault must be the network.
    let aborted = d.kind == Kind::Ok && d.variant.as_deref() == Some("aborted");
    if d.family == "network" && d.kind != Kind::NetworkError && !aborted {
        return Err(format!("family network with kind {:?}", d.kind));
    }
    if d.kind == Kind::NetworkError && d.family != "network" && d.fault != Fault::Network {
        return Err(format!(
            "network_error of family {} blames {:?}, not the network",
            d.family, d.fault
        ));
    }
    // Blaming the CDN takes network evidence: a header, never page text alone.
    if d.fault == Fault::Cdn
        && !d
            .evidence
            .iter()
            .any(|e| e.source == EvidenceSource::Header)
    {
        return Err("fault cdn without any header evidence".into());
    }
    if aborted && d.fault != Fault::None {
        return Err("aborted load must raise no alarm".into());
    }
    if d.family.is_empty()
        || d.family
            .chars()
            .any(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
    {
        return Err(format!(
            "family id {:?} is not a lowercase ascii id",
            d.family
        ));
    }
    if d.kind == Kind::ServerError && d.remedies.is_empty() {
        return Err("server error without remedies".into());
    }
    if d.title.id.is_empty()
        || d.title.text.is_empty()
        || d.summary.id.is_empty()
        || d.summary.text.is_empty()
    {
        return Err("empty title/summary message".into());
    }
    // Remedy ids are stable catalog keys and appear at most once in a ranking.
    let mut seen = std::collections::HashSet::new();
    for r in &d.remedies {
        if r.id.is_empty() || !seen.insert(&*r.id) {
            return Err(format!("remedy id {:?} empty or repeated", r.id));
        }
        if r.title.text.is_empty() {
            return Err(format!("remedy {} has no title", r.id));
        }
    }
    if d.engine_version != gateway_doctor::VERSION {
        return Err(format!("engine_version {}", d.engine_version));
    }
    // The diagnosis must survive the JSON round trip the CLI and extension rely on.
    let json = serde_json::to_string(d).map_err(|e| format!("serialise: {e}"))?;
    let back: Diagnosis = serde_json::from_str(&json).map_err(|e| format!("deserialise: {e}"))?;
    if &back != d {
        return Err("diagnosis does not round-trip through JSON".into());
    }
    Ok(())
}

/// All invariants: [`check_diagnosis`] plus those relating the diagnosis to its input.
pub fn check_invariants(obs: &Observation, d: &Diagnosis) -> Result<(), String> {
    check_diagnosis(d)?;
    let aborted = d.kind == Kind::Ok && d.variant.as_deref() == Some("aborted");
    if aborted && obs.net_error.is_none() {
        return Err("aborted load must come from a net error and raise no alarm".into());
    }
    // A 2xx/3xx answer from the server is never a server or network error.
    if matches!(obs.status, Some(100..=399))
        && obs.net_error.is_none()
        && matches!(d.kind, Kind::ServerError | Kind::NetworkError)
    {
        return Err(format!("status {:?} diagnosed as {:?}", obs.status, d.kind));
    }
    // The badge shows the real HTTP status: whatever the page prints, an error response's
    // code is its status.
    if let Some(st @ 400..=599) = obs.status {
        if d.code != Some(u32::from(st)) {
            return Err(format!("status {st} but code {:?}", d.code));
        }
    }
    if obs.status.is_none()
        && obs.net_error.is_none()
        && obs.body.is_none()
        && d.kind == Kind::ServerError
    {
        return Err("server error claimed with no status, no body and no net error".into());
    }
    Ok(())
}
