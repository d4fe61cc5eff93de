//! `gateway-doctor classify`, run as the built binary.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = common::exe();
    c.arg("classify");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run gateway-doctor")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn fixture(name: &str) -> String {
    common::repo_tests(&format!("fixtures/{name}"))
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "stderr: {}", common::stderr(o));
    serde_json::from_slice(&o.stdout).expect("stdout is JSON")
}

fn assert_bad_input(o: &Output, needle: &str) {
    common::assert_bad_input(o, &[needle]);
}

#[test]
fn human_summary_names_family_fault_and_remedies() {
    let o = run(&[
        &fixture("nginx-502-1.24/body.html"),
        "--status",
        "502",
        "--header",
        "Server: nginx/1.24.0",
    ]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("family: nginx"), "{out}");
    assert!(out.contains("code: 502"), "{out}");
    assert!(out.contains("fault: site"), "{out}");
    assert!(out.contains("it's not your device"), "{out}");
    assert!(out.contains("what you can do:"), "{out}");
    assert!(out.contains("(wait_and_retry)"), "{out}");
}

#[test]
fn json_output_is_the_diagnosis() {
    let v = json(&run(&[
        &fixture("cloudflare-host-521/body.html"),
        "--status=521",
        "--header",
        "cf-ray: 7a8b9c0d1e2f3a4b-EWR",
        "--header",
        "server: cloudflare",
        "--json",
    ]));
    assert_eq!(v["schema"], 1);
    assert_eq!(v["family"], "cloudflare-host");
    assert_eq!(v["code"], 521);
    assert_eq!(v["fault"], "site");
    assert_eq!(v["ids"][0]["kind"], "cf-ray");
    assert_eq!(v["ids"][1]["value"], "EWR");
    assert!(v["title"]["text"].as_str().unwrap().contains("Cloudflare"));
}

#[test]
fn reads_stdin_and_tolerates_non_utf8() {
    let mut body = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>\xff\xfe</body></html>".to_vec();
    body.extend_from_slice(&[0xc3, 0x28]);
    let v = json(&run_stdin(&["-", "--status", "502", "--json"], &body));
    assert_eq!(v["family"], "nginx");
}

#[test]
fn status_only_and_net_error_without_a_body() {
    // A status with no body read says nothing about the page: generic, not "a blank page".
    let v = json(&run(&["--status", "502", "--json"]));
    assert_eq!(v["family"], "generic");
    assert_eq!(v["kind"], "server_error");
    assert_eq!(v["code"], 502);
    // An empty body that was read is a blank page.
    let v = json(&run_stdin(&["-", "--status", "502", "--json"], b""));
    assert_eq!(v["family"], "blank");

    let v = json(&run(&[
        "--net-error",
        "net::ERR_NAME_NOT_RESOLVED",
        "--os",
        "win",
        "--json",
    ]));
    assert_eq!(v["family"], "network");
    assert_eq!(v["variant"], "dns");
    assert_eq!(v["remedies"][0]["id"], "flush_dns");
    assert_eq!(v["remedies"][0]["action"]["text"], "ipconfig /flushdns");

    let v = json(&run(&["--net-error", "NS_BINDING_ABORTED", "--json"]));
    assert_eq!(v["kind"], "ok");
}

#[test]
fn a_200_page_never_alarms() {
    let v = json(&run(&[
        &fixture("neg-article-502-howto/body.html"),
        "--status",
        "200",
        "--json",
    ]));
    assert_eq!(v["kind"], "ok");
    assert_eq!(v["family"], "none");
}

#[test]
fn bad_input_exits_2_with_one_line() {
    assert_bad_input(
        &run(&["/nonexistent/page.html"]),
        "cannot read /nonexistent/page.html",
    );
    assert_bad_input(&run(&["--status", "abc"]), "invalid status 'abc'");
    assert_bad_input(&run(&["--status", "99"]), "invalid status");
    assert_bad_input(&run(&["--status", "70000"]), "invalid status");
    assert_bad_input(&run(&["--header", "no colon here"]), "malformed header");
    assert_bad_input(&run(&["--header", ": value"]), "malformed header");
    assert_bad_input(&run(&["--header", "bad name: v"]), "malformed header");
    assert_bad_input(&run(&["--status"]), "--status needs a value");
    assert_bad_input(&run(&["--frobnicate"]), "unknown option");
    assert_bad_input(&run(&["a.html", "b.html"]), "one FILE");
    assert_bad_input(&run(&["--net-error", " "]), "--net-error needs a code");
}
