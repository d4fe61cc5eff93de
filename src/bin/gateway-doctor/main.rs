//! `gateway-doctor`: the native CLI, a thin layer over the library.
//!
//! Exit codes are part of the interface: 0 success, 1 "differs" (only `report`), 2 bad input
//! or usage, always with one line on stderr and never a panic.

mod args;
mod classify;
mod har;
mod report;

use std::process::ExitCode;

const USAGE: &str = "\
usage: gateway-doctor <command> [options]

commands:
  classify [FILE|-] [--status N] [--header 'Name: value']... [--url URL]
           [--net-error CODE] [--json]      diagnose one page body
  har FILE.har [--json] [--all]              diagnose every failed entry of a HAR file
  report FILE.json [--json]                  re-diagnose a Gateway Doctor report and compare
  version                                    print engine and signature versions
";

/// What a subcommand returns: the exit code, or an error printed as one line with exit 2.
pub type CmdResult = Result<ExitCode, gateway_doctor::Error>;

fn main() -> ExitCode {
    let mut argv = std::env::args().skip(1);
    let cmd = argv.next();
    let rest: Vec<String> = argv.collect();
    let result = match cmd.as_deref() {
        Some("classify") => classify::run(&rest),
        Some("har") => har::run(&rest),
        Some("report") => report::run(&rest),
        Some("version" | "--version" | "-V") => {
            println!(
                "gateway-doctor {} (signatures {})",
                gateway_doctor::VERSION,
                gateway_doctor::signatures::VERSION
            );
            Ok(ExitCode::SUCCESS)
        }
        Some("help" | "--help" | "-h") => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Some(other) => Err(gateway_doctor::Error::bad_input(format!(
            "unknown command '{other}' (try 'gateway-doctor help')"
        ))),
        None => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("gateway-doctor: {e}");
            ExitCode::from(2)
        }
    }
}
