//! The CLI never panics and never leaves half an answer: non-UTF-8 arguments, closed pipes,
//! per-command help, and the HAR shapes other tools write (byte-order mark, JSONP, private
//! fields of any shape), run as the built binary.

mod common;

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Output, Stdio};

use common::{run, stderr, stdout, tmp, write_tmp};

fn bin() -> Command {
    common::exe()
}

fn fixture(path: &str) -> String {
    common::repo_tests(path)
}

fn assert_bad_input(o: &Output, needle: &str) {
    common::assert_bad_input(o, &[needle]);
}

fn os(b: &[u8]) -> &OsStr {
    OsStr::from_bytes(b)
}

#[test]
fn non_utf8_arguments_are_one_line_errors() {
    let nginx = fixture("fixtures/nginx-502-1.24/body.html");
    let o = run(&[os(b"classify"), os(b"--net-error"), os(b"net::ERR_\xff")]);
    assert_bad_input(&o, "--net-error: 'net::ERR_\\xFF' is not valid UTF-8");
    let o = run(&[
        os(b"classify"),
        os(nginx.as_bytes()),
        os(b"--header"),
        os(b"Server: ngi\xffnx"),
    ]);
    assert_bad_input(&o, "--header");
    let o = run(&[os(b"classify"), os(b"--url=https://a.example/\xfe")]);
    assert_bad_input(&o, "--url");
    // A file name is a path: any bytes the system allows; here one that does not exist.
    let o = run(&[os(b"har"), os(b"/nonexistent/\xff.har")]);
    assert_bad_input(&o, "cannot read /nonexistent/\\xFF.har");
    let o = run(&[os(b"report"), os(b"/nonexistent/\xff.json")]);
    assert_bad_input(&o, "cannot read /nonexistent/\\xFF.json");
    let o = run(&[os(b"classify"), os(b"--\xff")]);
    assert_bad_input(&o, "unknown option");
    let o = run(&[os(b"\xffclassify")]);
    assert_bad_input(&o, "unknown command '\\xFFclassify'");
    // And a real file whose name is not UTF-8 is read.
    let odd = tmp("x").with_file_name(OsStr::from_bytes(b"page-\xff.html"));
    std::fs::copy(&nginx, &odd).unwrap();
    let o = bin()
        .arg("classify")
        .arg(&odd)
        .args(["--status", "502"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("family: nginx"), "{}", stdout(&o));
}

/// The reader closes its end before the CLI writes: the CLI ends quietly with status 0, as
/// ripgrep does, instead of panicking on EPIPE.
fn closed_pipe(args: &[&str]) -> Output {
    let mut child = bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let big = write_tmp(
        "big.html",
        "<h1>502 Bad Gateway</h1><p>nginx</p>".repeat(20_000),
    );
    let chrome = fixture("har/chrome-shop.har");
    for args in [
        vec!["--help"],
        vec!["version"],
        vec!["classify", "--help"],
        vec!["classify", &big, "--status", "502", "--json"],
        vec!["classify", &big, "--status", "502"],
        vec!["har", &chrome, "--all"],
        vec!["har", &chrome, "--json"],
        vec!["har", &chrome, "--report", "1"],
    ] {
        let o = closed_pipe(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).is_empty(), "{args:?}: {}", stderr(&o));
    }
    // Reading one byte and then closing (`| head -c1`) is the same.
    let mut child = bin()
        .args(["classify", &big, "--status", "502", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 1];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    assert_eq!(&first, b"{");
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(matches!(o.status.code(), Some(0)), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"));
}

#[test]
fn each_command_has_its_own_help() {
    for (cmd, needle) in [
        ("classify", "--net-error CODE"),
        ("har", "--all-failed"),
        ("report", "exit status: 0 today's engine agrees"),
    ] {
        for args in [vec![cmd, "--help"], vec![cmd, "-h"], vec!["help", cmd]] {
            let o = run(&args);
            assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
            let out = stdout(&o);
            assert!(
                out.starts_with(&format!("usage: gateway-doctor {cmd}")),
                "{args:?}: {out}"
            );
            assert!(out.contains(needle), "{args:?}: {out}");
        }
    }
    let usage = stdout(&run(&["--help"]));
    assert!(usage.contains("--os OS"), "{usage}");
    assert!(usage.contains("--all-failed"), "{usage}");
    assert!(stdout(&run(&["classify", "--help"])).contains("--os OS"));
    assert_bad_input(&run(&["help", "nope"]), "no help for 'nope'");
    assert_bad_input(
        &run(&["har", "x.har", "--bogus"]),
        "unknown option '--bogus' (see 'gateway-doctor har --help')",
    );
    assert_bad_input(&run(&["classify", "--status"]), "--status needs a value");
    assert_bad_input(
        &run(&["har", "--json=yes", "x.har"]),
        "--json takes no value",
    );
}

#[test]
fn har_with_a_byte_order_mark_is_read() {
    let text = std::fs::read_to_string(fixture("har/chrome-shop.har")).unwrap();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    let path = write_tmp("bom.har", &bom);
    let plain = run(&["har", "--json", &fixture("har/chrome-shop.har")]);
    let o = run(&["har", "--json", &path]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(o.stdout, plain.stdout);
    // From stdin too (the streaming path).
    let mut child = bin()
        .args(["har", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&bom).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.stdout, plain.stdout);
}

#[test]
fn har_in_a_jsonp_wrapper_is_read() {
    let text = std::fs::read_to_string(fixture("har/firefox-wiki.har")).unwrap();
    let path = write_tmp("wrapped.harp", format!("onInputData({text});\n"));
    let o = run(&["har", &path]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("JSONP: 6 entries"), "{}", stdout(&o));
    let plain = run(&["har", "--json", &fixture("har/firefox-wiki.har")]);
    assert_eq!(run(&["har", "--json", &path]).stdout, plain.stdout);
}

#[test]
fn odd_private_fields_are_warnings_not_errors() {
    // chrome-har's `_initiator` URL string, a Polly.JS header list, a `_resourceType` number,
    // a header value that is an object.
    let har = r#"{"log": {"version": "1.2", "creator": {"name": "x", "version": "1"}, "entries": [
      {"_initiator": "https://a.example/app.js", "_resourceType": 7,
       "request": {"method": "GET", "url": "https://a.example/api",
                   "headers": [{"name": "Accept", "value": ["application/json"]}]},
       "response": {"status": 502, "headers": [{"name": "server", "value": ["nginx"]},
                    {"name": "x-odd", "value": {"a": 1}}],
                    "content": {"mimeType": "text/html", "text": "<h1>502 Bad Gateway</h1><hr><center>nginx</center>"}}}
    ]}}"#;
    let path = write_tmp("odd.har", har);
    let o = run(&["har", "--json", &path]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows[0]["status"], 502);
    assert_eq!(rows[0]["resource_type"], "xhr", "Accept: application/json");
    assert_eq!(rows[0]["diagnosis"]["family"], "nginx");
    let err = stderr(&o);
    assert!(
        err.starts_with("gateway-doctor: warning: entry 0: _resourceType: invalid type: a number"),
        "{err}"
    );
    assert!(err.contains("(read as absent)"), "{err}");
}

#[test]
fn har_report_writes_the_redacted_report_of_one_entry() {
    let chrome = fixture("har/chrome-shop.har");
    let o = run(&["har", &chrome, "--report", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json = stdout(&o);
    let r = gateway_doctor::report::parse(&json).expect("a report");
    assert_eq!(r.response.status, Some(502));
    assert_eq!(r.request.url, "https://shop.example/", "query dropped");
    assert!(!json.contains("CHROME-QUERY-SECRET"));
    // It is the report of the row's diagnosis, and replays to it.
    let rows = gateway_doctor::har::diagnose_str(&std::fs::read_to_string(&chrome).unwrap(), false)
        .unwrap();
    let row = rows.iter().find(|r| r.index == 1).unwrap();
    assert_eq!(r.diagnosis.family, row.diagnosis.family);
    assert!(gateway_doctor::report::replay(&r).agrees);
    // And `report` agrees with it, from the file support attaches to the ticket.
    let path = write_tmp("entry1.json", &json);
    assert_eq!(run(&["report", &path]).status.code(), Some(0));
    assert_bad_input(
        &run(&["har", &chrome, "--report", "99"]),
        "has no entry 99 (it has 9 entries",
    );
    assert_bad_input(
        &run(&["har", &chrome, "--report", "x"]),
        "--report wants an entry number",
    );
}
