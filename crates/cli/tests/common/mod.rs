//! Helpers shared by the CLI's integration tests. Every `tests/*.rs` is a crate of its own that
//! includes this module with `mod common;`, and none uses every helper, hence `dead_code`.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built `gateway-doctor` binary, with no arguments yet.
pub fn exe() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gateway-doctor"))
}

/// Runs the binary with `args` (any OsStr, so tests can pass non-UTF-8 arguments).
pub fn run<S: AsRef<OsStr>>(args: &[S]) -> Output {
    exe().args(args).output().expect("run gateway-doctor")
}

/// `tests/<rel>` of the repository (two levels above this crate).
pub fn repo_tests(rel: &str) -> String {
    format!(
        "{}/tests/{rel}",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
    )
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A path in a scratch directory of this test binary's own (`CARGO_CRATE_NAME` is the test
/// file's name), so test binaries running at once never share a file.
pub fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(env!("CARGO_CRATE_NAME"));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Writes `content` to `tmp(name)` and returns the path as a string argument.
pub fn write_tmp(name: &str, content: impl AsRef<[u8]>) -> String {
    let p = tmp(name);
    std::fs::write(&p, content).unwrap();
    p.to_string_lossy().into_owned()
}

/// Bad input as issue 15 asks for it: exit 2, exactly one `gateway-doctor: …` line on stderr
/// containing every needle, no panic, and nothing on stdout (a table header or `[` before the
/// error would make `--json` output unparseable).
pub fn assert_bad_input(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("gateway-doctor: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "stderr {err:?} lacks {n:?}");
    }
    assert!(o.stdout.is_empty(), "stdout: {}", stdout(o));
}
