//! Prints the compiled signature tables as JSON (`cargo run --example dump-signatures`).
//!
//! `scripts/gen-js-baseline.mjs` turns this into the plain-JavaScript `RegExp` classifier the
//! benchmark compares against. Dumping the tables the engine was compiled with (rather than
//! re-reading the TOML) guarantees the baseline sees exactly the engine's data: defaults
//! filled in, status ranges expanded, pattern indexes resolved by build.rs.

use gateway_doctor::signatures as sig;
use serde_json::{json, Value};

fn ranges(r: &[(u16, u16)]) -> Value {
    json!(r.iter().map(|&(lo, hi)| [lo, hi]).collect::<Vec<_>>())
}

fn op(o: sig::HeaderOp) -> &'static str {
    match o {
        sig::HeaderOp::Present => "present",
        sig::HeaderOp::Equals => "equals",
        sig::HeaderOp::Prefix => "prefix",
        sig::HeaderOp::Contains => "contains",
    }
}

fn main() {
    let families: Vec<Value> = sig::FAMILIES
        .iter()
        .map(|f| json!({"id": f.id, "name": f.name, "fault": f.fault}))
        .collect();
    let signatures: Vec<Value> = sig::SIGNATURES
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "family": sig::FAMILIES[s.family as usize].id,
                "status": ranges(s.status),
                "status_none": s.status_none,
                "kind": s.kind,
                "fault": s.fault,
                "variant": s.variant,
                "variants": s.variants.iter().map(|(c, v)| json!([c, v])).collect::<Vec<_>>(),
                "code_from_page": s.code_from_page,
                "min_score": s.min_score,
                "priority": s.priority,
                "max_text": s.max_text,
                "needs_header": s.needs_header,
                "unless": s.unless,
                "body": s.body.iter().map(|b| json!({
                    "patterns": b.patterns,
                    "exact": b.exact,
                    "empty": b.empty,
                    "weight": b.weight,
                    "variant": b.variant,
                })).collect::<Vec<_>>(),
                "headers": s.headers.iter().map(|h| json!({
                    "name": h.name,
                    "op": op(h.op),
                    "value": h.value,
                    "weight": h.weight,
                    "variant": h.variant,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let net_errors: Vec<Value> = sig::NET_ERRORS
        .iter()
        .map(|n| {
            json!({
                "variant": n.variant, "kind": n.kind, "fault": n.fault, "codes": n.codes,
                "prefixes": n.prefixes, "default": n.default,
            })
        })
        .collect();
    let fallbacks: Vec<Value> = sig::FALLBACKS
        .iter()
        .map(|f| {
            json!({
                "id": f.id,
                "status": ranges(f.status),
                "status_none": f.status_none,
                "body": match f.body {
                    sig::BodyCond::Empty => "empty",
                    sig::BodyCond::NonEmpty => "nonempty",
                    sig::BodyCond::Any => "any",
                },
                "kind": f.kind,
                "family": sig::FAMILIES[f.family as usize].id,
                "variant": f.variant,
                "fault": f.fault,
            })
        })
        .collect();
    let out = json!({
        "version": sig::VERSION,
        "body_cap": sig::BODY_CAP,
        "unknown_status_max_text": sig::UNKNOWN_STATUS_MAX_TEXT,
        "roles": {
            "code_after": sig::ROLE_CODE_AFTER,
            "code_before": sig::ROLE_CODE_BEFORE,
            "retry": sig::ROLE_RETRY,
            "page_id": sig::ROLE_PAGE_ID,
        },
        "patterns": sig::PATTERNS,
        "pattern_roles": sig::PATTERN_ROLES,
        "client_faults": sig::CLIENT_FAULTS.iter().map(|(c, f)| json!([c, f])).collect::<Vec<_>>(),
        "code_variants": sig::CODE_VARIANTS.iter().map(|(c, v)| json!([c, v])).collect::<Vec<_>>(),
        "families": families,
        "signatures": signatures,
        "net_errors": net_errors,
        "fallbacks": fallbacks,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&out).expect("tables serialise")
    );
}
