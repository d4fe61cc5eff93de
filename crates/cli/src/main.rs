//! `gateway-doctor`: the native CLI, a thin layer over the library.
//!
//! Exit codes are part of the interface: 0 success, 1 "differs" (only `report`), 2 bad input
//! or usage, always with one line on stderr and never a panic. Nothing here uses `print!`/
//! `eprint!` (they panic when the pipe is closed): output goes through [`out_error`], which
//! ends the program quietly on a closed pipe, as ripgrep does.

mod args;
mod classify;
mod har;
mod report;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use gateway_doctor::Error;

const USAGE: &str = "\
usage: gateway-doctor <command> [options]

commands:
  classify [FILE|-] [--status N] [--header 'Name: value']... [--url URL]
           [--net-error CODE] [--os OS] [--json]
                                  diagnose one page body
  har FILE.har|- [--all | --all-failed] [--json] [--report N]
                                  diagnose every failed entry of a HAR file
  report FILE.json|- [--json]     re-diagnose a Gateway Doctor report and compare
  version                         print engine and signature versions
  help [COMMAND]                  this text, or a command's own help

'gateway-doctor COMMAND --help' explains each command's options.
Exit status: 0 done, 1 the report's diagnosis differs today (report), 2 bad input or usage.
";

/// What a subcommand returns: the exit code, or an error printed as one line with exit 2.
pub type CmdResult = Result<ExitCode, Error>;

/// The error for a failed write to stdout. A closed pipe (`gateway-doctor har x.har | head`)
/// is not an error: the reader has what it wanted, so the program ends at once with status 0
/// and no message, as ripgrep does. Rust ignores SIGPIPE, so this is where it is handled.
pub fn out_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    Error::Io(format!("cannot write output: {e}"))
}

/// Writes `text` to stdout (help, version), handling a closed pipe.
pub fn say(text: &str) -> CmdResult {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(out_error)?;
    Ok(ExitCode::SUCCESS)
}

/// One line on stderr. A failure to write it (stderr closed) is ignored: there is nowhere
/// left to report it, and panicking over it would be worse.
pub fn warn(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

fn main() -> ExitCode {
    let mut argv = std::env::args_os().skip(1);
    let cmd = argv.next();
    let rest: Vec<OsString> = argv.collect();
    let result = match cmd.as_ref().map(|c| c.to_str()) {
        Some(Some("classify")) => classify::run(rest),
        Some(Some("har")) => har::run(rest),
        Some(Some("report")) => report::run(rest),
        Some(Some("version" | "--version" | "-V")) => say(&format!(
            "gateway-doctor {} (signatures {})\n",
            gateway_doctor::VERSION,
            gateway_doctor::signatures::VERSION
        )),
        Some(Some("help" | "--help" | "-h")) => match rest.first().and_then(|c| c.to_str()) {
            None => say(USAGE),
            Some("classify") => say(classify::HELP),
            Some("har") => say(har::HELP),
            Some("report") => say(report::HELP),
            Some(other) => Err(Error::bad_input(format!(
                "no help for '{}': commands are classify, har, report, version",
                gateway_doctor::report::clean(other, 40)
            ))),
        },
        Some(other) => Err(Error::bad_input(format!(
            "unknown command '{}' (try 'gateway-doctor help')",
            other.map_or_else(
                || args::escaped_lossy(cmd.as_deref().unwrap_or_default()),
                |c| gateway_doctor::report::clean(c, 40)
            )
        ))),
        None => {
            let _ = std::io::stderr().lock().write_all(USAGE.as_bytes());
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            warn(&format!("gateway-doctor: {e}"));
            ExitCode::from(2)
        }
    }
}
