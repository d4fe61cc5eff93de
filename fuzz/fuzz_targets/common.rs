//! Shared by the fuzz targets: the invariants every diagnosis must satisfy, whatever the input.
//! They are the property tests' own checks (`tests/invariants/`), included here so the two
//! cannot drift apart; a violation panics so libFuzzer saves the input.

use gateway_doctor::Diagnosis;

#[allow(dead_code)] // check_invariants needs an observation, which only `diagnose` has
#[path = "../../tests/invariants/mod.rs"]
mod invariants;

pub fn check(d: &Diagnosis) {
    if let Err(e) = invariants::check_diagnosis(d) {
        panic!("invariant broken: {e}\ndiagnosis: {d:#?}");
    }
}
