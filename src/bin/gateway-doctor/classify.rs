//! `gateway-doctor classify [FILE|-] [--status N] [--header 'Name: value']... [--url URL]
//! [--net-error CODE] [--os OS] [--json]`: diagnose one page body.
//!
//! Without FILE there is no body (useful with `--net-error`, or `--status` alone); `-` reads
//! stdin. Bodies that are not UTF-8 are decoded lossily, as a browser would show them.

use std::io::Read;
use std::process::ExitCode;

use gateway_doctor::{diagnose, Audience, Diagnosis, Error, Header, Observation};

use crate::args::Args;
use crate::CmdResult;

const WITH_VALUE: &[&str] = &["--status", "--header", "--url", "--net-error", "--os"];
const SWITCHES: &[&str] = &["--json"];

pub fn run(argv: &[String]) -> CmdResult {
    let args = Args::parse(argv, WITH_VALUE, SWITCHES)?;
    let obs = observation(&args)?;
    let d = diagnose(&obs);
    if args.has("--json") {
        let json = serde_json::to_string_pretty(&d)
            .map_err(|e| Error::bad_input(format!("cannot write JSON: {e}")))?;
        println!("{json}");
    } else {
        print!("{}", human(&d));
    }
    Ok(ExitCode::SUCCESS)
}

fn observation(args: &Args) -> Result<Observation, Error> {
    if args.positional.len() > 1 {
        return Err(Error::bad_input(format!(
            "classify takes one FILE (or -), got {}",
            args.positional.len()
        )));
    }
    let body = match args.positional.first().map(String::as_str) {
        None => None,
        Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| Error::Io(format!("cannot read stdin: {e}")))?;
            Some(String::from_utf8_lossy(&buf).into_owned())
        }
        Some(path) => {
            let buf =
                std::fs::read(path).map_err(|e| Error::Io(format!("cannot read {path}: {e}")))?;
            Some(String::from_utf8_lossy(&buf).into_owned())
        }
    };
    let status = match args.value("--status") {
        None => None,
        Some(s) => Some(
            s.trim()
                .parse::<u16>()
                .ok()
                .filter(|n| (100..=999).contains(n))
                .ok_or_else(|| Error::bad_input(format!("invalid status '{s}' (want 100-999)")))?,
        ),
    };
    let mut headers = Vec::new();
    for h in args.values("--header") {
        let (name, value) = h.split_once(':').ok_or_else(|| {
            Error::bad_input(format!("malformed header '{h}' (want 'Name: value')"))
        })?;
        let name = name.trim();
        let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if name.is_empty() || !name.chars().all(token) {
            return Err(Error::bad_input(format!(
                "malformed header '{h}' (bad header name)"
            )));
        }
        headers.push(Header::new(name, value.trim()));
    }
    let net_error = args.value("--net-error").map(str::trim).map(str::to_string);
    if net_error.as_deref() == Some("") {
        return Err(Error::bad_input("--net-error needs a code"));
    }
    Ok(Observation {
        url: args.value("--url").unwrap_or_default().to_string(),
        status,
        headers,
        body,
        net_error,
        os: args.value("--os").map(str::to_string),
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
