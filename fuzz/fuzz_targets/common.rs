//! Shared by the fuzz targets: invariants every diagnosis must satisfy, whatever the input.
//! They mirror `tests/props.rs`; a violation aborts so libFuzzer saves the input.

use gateway_doctor::{Diagnosis, Kind, SCHEMA};

pub fn check(d: &Diagnosis) {
    assert_eq!(d.schema, SCHEMA);
    assert!(
        d.confidence.is_finite() && (0.0..=1.0).contains(&d.confidence),
        "confidence {}",
        d.confidence
    );
    // network_error iff family network, except a load the user stopped (kind ok, variant
    // aborted), which is family network without an alarm.
    let aborted = d.kind == Kind::Ok && d.variant.as_deref() == Some("aborted");
    assert!(
        (d.kind == Kind::NetworkError) == (d.family == "network") || aborted,
        "kind {:?} family {}",
        d.kind,
        d.family
    );
    assert!(
        d.kind != Kind::ServerError || !d.remedies.is_empty(),
        "server error without remedies"
    );
    // Every diagnosis crosses the WASM boundary and the CLI as JSON: it must round-trip.
    let json = serde_json::to_string(d).expect("diagnosis serialises");
    let back: Diagnosis = serde_json::from_str(&json).expect("diagnosis deserialises");
    assert_eq!(&back, d, "diagnosis JSON round trip");
}
