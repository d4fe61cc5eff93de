//! The engine's hot path as its own crate (`gateway-doctor-hot`, manifest in `crates/hot/`),
//! so that it can be compiled for speed while the rest of the WASM module is compiled for size.
//!
//! The module has a 250 KB budget, which only `opt-level = "z"` meets for the whole crate; at
//! "z" a 64 KB page took ~600 µs in WASM and a call with no body ~70 µs, most of it in the
//! normaliser, the phrase scan and serde_json writing the diagnosis. Cargo sets opt-levels per
//! crate (`[profile.release.package.gateway-doctor-hot]` in the root Cargo.toml), and the
//! level survives LTO, so what runs per byte and per call lives here:
//!
//! * [`model`]: the serde contract, whose `Serialize` code is instantiated by [`to_json`];
//! * [`signatures`]: the compiled signature tables (`build.rs`) the scan reads;
//! * [`normalize`] and [`scan`]: one pass each over the body;
//! * [`classify`]: the rules, the decision and the diagnosis around them;
//! * [`remedies`]: the ranked remedies every diagnosis renders (a dozen messages each).
//!
//! Everything else (reports, HAR, the WASM boundary, the
//! CLI) stays in `gateway-doctor`, which re-exports these modules under the same paths. The
//! source files live in `src/` with the rest of the core; this file is only the crate root.
//! Measured with `make bench` (README, "Speed and size"): see the figures there.

pub mod classify;
pub mod model;
pub mod normalize;
pub mod remedies;
pub mod scan;
pub mod signatures;

/// The engine version a diagnosis records: this crate's, kept equal to `gateway-doctor`'s
/// (a test in src/lib.rs checks it).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The JSON text of a diagnosis, as the WASM boundary hands it to JavaScript. Here rather than
/// at the call site because serde's generic code is compiled in the crate that instantiates it.
///
/// Pure ASCII: any other character is written as its `\\uXXXX` escape(s), which JSON reads as
/// the same character. JavaScript decodes the text from UTF-8, then parses it; one em dash in
/// the remedies makes V8 build a two-byte string, and decoding plus `JSON.parse` of a typical
/// 5 KB diagnosis took ~17.7 µs against ~12.1 µs for the escaped, one-byte text (Node 20).
pub fn to_json(d: &model::Diagnosis) -> serde_json::Result<String> {
    let json = serde_json::to_string(d)?;
    Ok(if json.is_ascii() {
        json
    } else {
        ascii_escaped(&json)
    })
}

/// `json` with each non-ASCII character replaced by its UTF-16 `\\uXXXX` escape(s). serde_json
/// writes non-ASCII only inside strings, where such an escape means the same character.
fn ascii_escaped(json: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(json.len() + 64);
    let mut run = 0; // start of the pending ASCII run
    for (i, ch) in json.char_indices() {
        if ch.is_ascii() {
            continue;
        }
        out.push_str(&json[run..i]);
        run = i + ch.len_utf8();
        let mut units = [0u16; 2];
        for &u in ch.encode_utf16(&mut units).iter() {
            out.push_str("\\u");
            for shift in [12, 8, 4, 0] {
                out.push(char::from(HEX[usize::from((u >> shift) & 0xf)]));
            }
        }
    }
    out.push_str(&json[run..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnosis_json_is_ascii_and_means_the_same() {
        let mut d = classify::diagnose(&model::Observation {
            status: Some(502),
            body: Some("<h1>502 Bad Gateway</h1><p>Ungültige Antwort</p>".into()),
            ..Default::default()
        });
        d.summary.text = "Ungültige Antwort — bitte später 🙂 \u{2028} \\ \"q\"".into();
        let json = to_json(&d).unwrap();
        assert!(json.is_ascii(), "{json}");
        assert!(
            json.contains(r"\u2014") && json.contains(r"\ud83d\ude42"),
            "{json}"
        );
        let back: model::Diagnosis = serde_json::from_str(&json).unwrap();
        assert_eq!(back, d);
        // ASCII text is passed through as serde_json wrote it.
        d.summary.text = "plain".into();
        d.title.text = "plain".into();
        d.evidence.clear();
        d.remedies.clear();
        let plain = serde_json::to_string(&d).unwrap();
        assert!(plain.is_ascii(), "{plain}");
        assert_eq!(to_json(&d).unwrap(), plain);
    }
}
