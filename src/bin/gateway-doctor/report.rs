//! `gateway-doctor report FILE.json [--json]`: re-diagnose a Gateway Doctor report with
//! today's engine and compare with the diagnosis recorded in it.
//!
//! Exit 0 when kind, family, variant, code and fault all match, 1 when any differs (the
//! differences are printed), 2 on bad input.

use std::io::{Read, Write};
use std::process::ExitCode;

use gateway_doctor::report::{self, fault_id, kind_id, Replay};
use gateway_doctor::Error;

use crate::args::Args;
use crate::CmdResult;

/// Reports are a few KB; anything far larger is not one, and is not read into memory.
const MAX_REPORT_BYTES: u64 = 8 * 1024 * 1024;

pub fn run(argv: &[String]) -> CmdResult {
    let args = Args::parse(argv, &[], &["--json"])?;
    let [path] = args.positional.as_slice() else {
        return Err(Error::bad_input(
            "usage: gateway-doctor report FILE.json [--json]",
        ));
    };
    let text = read_text(path)?;
    let replay = report::replay_json(&text)?;
    let mut out = std::io::stdout().lock();
    let written = if args.has("--json") {
        serde_json::to_writer_pretty(&mut out, &replay)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        print_human(&mut out, &replay)
    };
    written.map_err(|e| Error::Io(format!("cannot write output: {e}")))?;
    Ok(if replay.agrees {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn read_text(path: &str) -> Result<String, Error> {
    let mut buf = Vec::new();
    let res = if path == "-" {
        std::io::stdin()
            .take(MAX_REPORT_BYTES + 1)
            .read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_REPORT_BYTES + 1).read_to_end(&mut buf))
    };
    res.map_err(|e| Error::Io(format!("cannot read {path}: {e}")))?;
    if buf.len() as u64 > MAX_REPORT_BYTES {
        return Err(Error::bad_input(format!(
            "{path} is larger than {} MiB: not a Gateway Doctor report",
            MAX_REPORT_BYTES >> 20
        )));
    }
    String::from_utf8(buf).map_err(|e| {
        Error::bad_input(format!(
            "{path} is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

fn verdict(
    kind: &str,
    family: &str,
    variant: Option<&str>,
    code: Option<u32>,
    fault: &str,
) -> String {
    let mut s = format!("{kind} · {family}");
    if let Some(v) = variant {
        s += &format!(" · {v}");
    }
    if let Some(c) = code {
        s += &format!(" · {c}");
    }
    s + &format!(" · fault: {fault}")
}

fn print_human(out: &mut impl Write, r: &Replay) -> std::io::Result<()> {
    let rec = &r.recorded;
    let today = &r.diagnosis;
    writeln!(
        out,
        "recorded: {}  (engine {}, signatures {})",
        verdict(
            kind_id(rec.kind),
            &rec.family,
            rec.variant.as_deref(),
            rec.code,
            fault_id(rec.fault)
        ),
        r.recorded_versions.engine,
        r.recorded_versions.signatures
    )?;
    writeln!(
        out,
        "today:    {}  (engine {}, signatures {})",
        verdict(
            kind_id(today.kind),
            &today.family,
            today.variant.as_deref(),
            today.code,
            fault_id(today.fault)
        ),
        today.engine_version,
        today.signatures_version
    )?;
    writeln!(out, "          {}", today.title.text)?;
    if r.agrees {
        writeln!(out, "today's engine agrees with the recorded diagnosis")
    } else {
        writeln!(out, "today's engine differs from the recorded diagnosis:")?;
        for d in &r.differences {
            writeln!(
                out,
                "  {}: recorded {}, today {}",
                d.field,
                d.recorded.as_deref().unwrap_or("(none)"),
                d.replayed.as_deref().unwrap_or("(none)")
            )?;
        }
        Ok(())
    }
}
