//! `gateway-doctor report FILE.json [--json]`: re-diagnose a Gateway Doctor report with
//! today's engine and compare with the diagnosis recorded in it.
//!
//! Exit 0 when kind, family, variant, code and fault all match, 1 when any differs (the
//! differences are printed), 2 on bad input.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::process::ExitCode;

use gateway_doctor::report::{self, fault_id, kind_id, Replay};
use gateway_doctor::Error;

use crate::args::{self, Arg::*};
use crate::{out_error, say, CmdResult};

pub const HELP: &str = "\
usage: gateway-doctor report FILE.json|- [--json]

Re-diagnoses a Gateway Doctor report (the JSON the popup copies, or `har --report N` writes)
with today's engine and compares kind, family, variant, code and fault with the recorded
diagnosis.

options:
  --json        the replay as JSON
  -h, --help    this text

exit status: 0 today's engine agrees, 1 it differs, 2 the file is not a readable report
";

/// Reports are a few KB; anything far larger is not one, and is not read into memory.
const MAX_REPORT_BYTES: u64 = 8 * 1024 * 1024;

pub fn run(argv: Vec<OsString>) -> CmdResult {
    let mut p = args::parser(argv);
    let (mut json, mut files) = (false, Vec::new());
    while let Some(arg) = p.next().map_err(|e| args::error(e, "report"))? {
        match arg {
            Short('h') | Long("help") => return say(HELP),
            Long("json") => json = true,
            Value(v) => files.push(v),
            other => return Err(args::unexpected(other, "report")),
        }
    }
    let [path] = files.as_slice() else {
        return Err(Error::bad_input(
            "usage: gateway-doctor report FILE.json|- [--json]",
        ));
    };
    let text = read_text(path)?;
    let replay = report::replay_json(&text)?;
    let mut out = std::io::stdout().lock();
    let written = if json {
        serde_json::to_writer_pretty(&mut out, &replay)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        print_human(&mut out, &replay)
    };
    written.and_then(|()| out.flush()).map_err(out_error)?;
    Ok(if replay.agrees {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn read_text(path: &std::ffi::OsStr) -> Result<String, Error> {
    let shown = args::escaped_lossy(path);
    let mut buf = Vec::new();
    let res = if path == "-" {
        std::io::stdin()
            .take(MAX_REPORT_BYTES + 1)
            .read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_REPORT_BYTES + 1).read_to_end(&mut buf))
    };
    res.map_err(|e| Error::Io(format!("cannot read {shown}: {e}")))?;
    if buf.len() as u64 > MAX_REPORT_BYTES {
        return Err(Error::bad_input(format!(
            "{shown} is larger than {} MiB: not a Gateway Doctor report",
            MAX_REPORT_BYTES >> 20
        )));
    }
    // A BOM (Windows editors write one when a ticket's attachment is saved) is not content.
    if buf.starts_with(b"\xef\xbb\xbf") {
        buf.drain(..3);
    }
    String::from_utf8(buf).map_err(|e| {
        Error::bad_input(format!(
            "{shown} is not UTF-8 text (invalid byte at offset {})",
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
