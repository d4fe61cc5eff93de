//! Fuzzes the streaming HAR parser (`gateway-doctor har`, `diagnoseHar`).
//!
//! The reader and the string entry points share one serde walker but take different serde_json
//! paths (`from_reader` vs `from_str`), so beyond "no panic" this checks they agree: same
//! success/failure, same entries in the same order. Every diagnosis it yields must also meet
//! the engine's invariants.
#![no_main]

use gateway_doctor::har;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let mut from_reader = Vec::new();
    let r = har::scan_reader(data, &mut |item| {
        from_reader.push((item.index, item.failed, item.observation.status));
        if let Some(row) = har::row_for(&item, true) {
            common::check(&row.diagnosis);
        }
        Ok(())
    });
    // from_str needs UTF-8; the reader path reports invalid UTF-8 as an error itself.
    if let Ok(text) = std::str::from_utf8(data) {
        let mut from_str = Vec::new();
        let s = har::scan_str(text, &mut |item| {
            from_str.push((item.index, item.failed, item.observation.status));
            Ok(())
        });
        assert_eq!(r.is_ok(), s.is_ok(), "reader {r:?} vs str {s:?}");
        if r.is_ok() {
            assert_eq!(from_reader, from_str);
            assert_eq!(r.as_ref().ok(), s.as_ref().ok());
        }
        if let Ok(rows) = har::diagnose_str(text, false) {
            for row in &rows {
                common::check(&row.diagnosis);
            }
        }
    }
});
