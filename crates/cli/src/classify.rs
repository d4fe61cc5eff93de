//! `gateway-doctor classify [FILE|-] [--status N] [--header 'Name: value']... [--url URL]
//! [--net-error CODE] [--os OS] [--json]`: diagnose one page body.
//!
//! Without FILE there is no body (useful with `--net-error`, or `--status` alone); `-` reads
//! stdin. Bodies that are not UTF-8 are decoded lossily, as a browser would show them.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use gateway_doctor::{diagnose, Audience, Diagnosis, Error, Header, Observation};

use crate::args::{self, Arg::*};
use crate::{out_error, say, CmdResult};

pub const HELP: &str = "\
usage: gateway-doctor classify [FILE|-] [options]

Diagnoses one page: its body (FILE, or - for stdin; none with --net-error or a bare status),
status and headers, as the extension would.

options:
  --status N                HTTP status (100-999)
  --header 'Name: value'    a response header (repeatable)
  --url URL                 the page's address
  --net-error CODE          the browser's network error, e.g. net::ERR_NAME_NOT_RESOLVED
  --os OS                   the visitor's OS (win, mac, linux, cros, android, openbsd), for
                            OS-specific remedy steps
  --json                    the diagnosis as JSON
  -h, --help                this text
";

/// What the command line asked for.
#[derive(Default)]
struct Opts {
    file: Option<PathBuf>,
    stdin: bool,
    status: Option<String>,
    headers: Vec<String>,
    url: Option<String>,
    net_error: Option<String>,
    os: Option<String>,
    json: bool,
}

fn opts(argv: Vec<OsString>) -> Result<Option<Opts>, Error> {
    let mut p = args::parser(argv);
    let mut o = Opts::default();
    let mut files = 0;
    while let Some(arg) = p.next().map_err(|e| args::error(e, "classify"))? {
        match arg {
            Short('h') | Long("help") => return Ok(None),
            Long("status") => o.status = Some(args::text(&mut p, "--status")?),
            Long("header") => o.headers.push(args::text(&mut p, "--header")?),
            Long("url") => o.url = Some(args::text(&mut p, "--url")?),
            Long("net-error") => o.net_error = Some(args::text(&mut p, "--net-error")?),
            Long("os") => o.os = Some(args::text(&mut p, "--os")?),
            Long("json") => o.json = true,
            Value(v) => {
                files += 1;
                if v == "-" {
                    o.stdin = true;
                } else {
                    o.file = Some(args::path(v));
                }
            }
            other => return Err(args::unexpected(other, "classify")),
        }
    }
    if files > 1 {
        return Err(Error::bad_input(format!(
            "classify takes one FILE (or -), got {files}"
        )));
    }
    Ok(Some(o))
}

pub fn run(argv: Vec<OsString>) -> CmdResult {
    let Some(o) = opts(argv)? else {
        return say(HELP);
    };
    let obs = observation(&o)?;
    let d = diagnose(&obs);
    let mut out = std::io::stdout().lock();
    if o.json {
        serde_json::to_writer_pretty(&mut out, &d)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
            .map_err(out_error)?;
    } else {
        out.write_all(human(&d).as_bytes()).map_err(out_error)?;
    }
    out.flush().map_err(out_error)?;
    Ok(ExitCode::SUCCESS)
}

fn observation(o: &Opts) -> Result<Observation, Error> {
    let body = if o.stdin {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Error::Io(format!("cannot read stdin: {e}")))?;
        Some(String::from_utf8_lossy(&buf).into_owned())
    } else if let Some(path) = &o.file {
        let buf = std::fs::read(path)
            .map_err(|e| Error::Io(format!("cannot read {}: {e}", path.display())))?;
        Some(String::from_utf8_lossy(&buf).into_owned())
    } else {
        None
    };
    let status = match &o.status {
        None => None,
        Some(s) => Some(
            s.trim()
                .parse::<u16>()
                .ok()
                .filter(|n| (100..=999).contains(n))
                .ok_or_else(|| {
                    Error::bad_input(format!(
                        "invalid status '{}' (want 100-999)",
                        gateway_doctor::report::clean(s, 40)
                    ))
                })?,
        ),
    };
    let mut headers = Vec::new();
    for h in &o.headers {
        let shown = gateway_doctor::report::clean(h, 80);
        let (name, value) = h.split_once(':').ok_or_else(|| {
            Error::bad_input(format!("malformed header '{shown}' (want 'Name: value')"))
        })?;
        let name = name.trim();
        let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if name.is_empty() || !name.chars().all(token) {
            return Err(Error::bad_input(format!(
                "malformed header '{shown}' (bad header name)"
            )));
        }
        headers.push(Header::new(name, value.trim()));
    }
    let net_error = o.net_error.as_deref().map(str::trim).map(str::to_string);
    if net_error.as_deref() == Some("") {
        return Err(Error::bad_input("--net-error needs a code"));
    }
    Ok(Observation {
        url: o.url.clone().unwrap_or_default(),
        status,
        headers,
        body,
        net_error,
        os: o.os.clone(),
        ..Default::default()
    })
}

/// The summary a person reads in a terminal: what, whose fault, evidence, what to do.
fn human(d: &Diagnosis) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(o, "{}", d.title.text);
    let _ = writeln!(o, "{}", d.summary.text);
    let _ = writeln!(o);
    let mut line = format!("family: {}", d.family);
    if let Some(v) = &d.variant {
        let _ = write!(line, "  variant: {v}");
    }
    if let Some(c) = d.code {
        let _ = write!(line, "  code: {c}");
    }
    let _ = writeln!(o, "{line}");
    let _ = writeln!(
        o,
        "kind: {}  fault: {}  confidence: {:.2}",
        enum_name(&d.kind),
        enum_name(&d.fault),
        d.confidence
    );
    if let Some(r) = d.retry_after_s {
        let _ = writeln!(o, "retry after: {r} s");
    }
    if !d.ids.is_empty() {
        let _ = writeln!(o, "ids:");
        for id in &d.ids {
            let _ = writeln!(o, "  {}: {}", id.kind, id.value);
        }
    }
    if !d.evidence.is_empty() {
        let _ = writeln!(o, "evidence:");
        for e in &d.evidence {
            let sig = e
                .signature
                .as_deref()
                .map(|s| format!(" [{s}]"))
                .unwrap_or_default();
            let _ = writeln!(o, "  - {}{sig}", e.detail);
        }
    }
    let visitor: Vec<_> = d
        .remedies
        .iter()
        .filter(|r| r.audience == Audience::Visitor)
        .take(5)
        .collect();
    if !visitor.is_empty() {
        let _ = writeln!(o, "what you can do:");
        for (i, r) in visitor.iter().enumerate() {
            let _ = writeln!(o, "  {}. {} ({})", i + 1, r.title.text, r.id);
            for s in &r.steps {
                let _ = writeln!(o, "     {}", s.text);
            }
        }
    }
    let owner: Vec<_> = d
        .remedies
        .iter()
        .filter(|r| r.audience == Audience::Owner)
        .take(3)
        .collect();
    if !owner.is_empty() {
        let _ = writeln!(o, "if you run this site:");
        for r in owner {
            let _ = writeln!(o, "  - {} ({})", r.title.text, r.id);
        }
    }
    o
}

/// The serde (snake_case) name of a unit enum value.
fn enum_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j.as_str().map(str::to_string))
        .unwrap_or_default()
}
