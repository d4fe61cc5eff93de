//! Argument reading shared by the subcommands, on top of `lexopt` (no dependencies, ~1 KLoC):
//! it gives `--flag=value`, `--flag value`, `--`, and arguments as `OsString`, so a file name
//! or value that is not UTF-8 becomes one clear error line (or, for paths, just works) instead
//! of the panic `std::env::args()` raises on it.

use std::ffi::OsString;
use std::path::PathBuf;

use gateway_doctor::Error;
pub use lexopt::{Arg, Parser};

/// A parser over the arguments after the subcommand name.
pub fn parser(args: Vec<OsString>) -> Parser {
    Parser::from_args(args)
}

/// The value of an option that takes one, as UTF-8 text. `what` names the option.
pub fn text(p: &mut Parser, what: &str) -> Result<String, Error> {
    let v = p.value().map_err(|e| error(e, ""))?;
    utf8(v, what)
}

/// `v` as UTF-8, or one line naming the option and showing the bytes as `\xNN`.
pub fn utf8(v: OsString, what: &str) -> Result<String, Error> {
    v.into_string().map_err(|v| {
        Error::bad_input(format!(
            "{what}: '{}' is not valid UTF-8",
            escaped_lossy(&v)
        ))
    })
}

/// A file argument: any bytes the OS allows (a non-UTF-8 name is a valid path on Unix).
pub fn path(v: OsString) -> PathBuf {
    PathBuf::from(v)
}

/// The argument with invalid bytes shown as `\xNN` (for error lines).
pub fn escaped_lossy(v: &std::ffi::OsStr) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let mut out = String::new();
        for chunk in v.as_bytes().utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02X}"));
            }
        }
        gateway_doctor::report::clean(&out, 200)
    }
    #[cfg(not(unix))]
    {
        gateway_doctor::report::clean(&v.to_string_lossy(), 200)
    }
}

/// A lexopt error as one line; `cmd` is the subcommand, for the pointer to its help.
pub fn error(e: lexopt::Error, cmd: &str) -> Error {
    let help = if cmd.is_empty() {
        String::new()
    } else {
        format!(" (see 'gateway-doctor {cmd} --help')")
    };
    Error::bad_input(match e {
        lexopt::Error::MissingValue { option: Some(o) } => format!("{o} needs a value"),
        lexopt::Error::MissingValue { option: None } => "an option needs a value".into(),
        lexopt::Error::UnexpectedOption(o) => format!("unknown option '{o}'{help}"),
        lexopt::Error::UnexpectedArgument(a) => {
            format!("unexpected argument '{}'{help}", escaped_lossy(&a))
        }
        lexopt::Error::UnexpectedValue { option, value } => {
            format!("{option} takes no value (got '{}')", escaped_lossy(&value))
        }
        lexopt::Error::NonUnicodeValue(v) => {
            format!("'{}' is not valid UTF-8", escaped_lossy(&v))
        }
        other => other.to_string(),
    })
}

/// An unexpected argument for `cmd` as one line.
pub fn unexpected(arg: Arg<'_>, cmd: &str) -> Error {
    error(arg.unexpected(), cmd)
}
