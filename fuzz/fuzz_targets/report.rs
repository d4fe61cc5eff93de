//! Fuzzes the support report: parsing and replaying a report a visitor pasted
//! (`gateway-doctor report`, `replayReport`), and building one from an arbitrary input
//! (`buildReport`).
//!
//! Every input goes through both doors: as report JSON to replay, and as a `ReportInput`
//! to build. A built report must parse back and replay (the ticket support receives is
//! always readable), and every diagnosis must meet the engine's invariants.
#![no_main]

use gateway_doctor::report::{self, ReportInput};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(replay) = report::replay_json(&text) {
        common::check(&replay.diagnosis);
    }
    if let Ok(input) = serde_json::from_str::<ReportInput>(&text) {
        let built = report::build_all(&input);
        let parsed = report::parse(&built.json).expect("a built report parses back");
        assert_eq!(parsed, built.report, "report JSON round trip");
        let replay = report::replay(&parsed);
        common::check(&replay.diagnosis);
    }
});
