//! `gateway-doctor har FILE.har [--all] [--all-failed] [--json] [--report N]`: diagnose the
//! failed entries of a HAR file.
//!
//! The file is streamed (see `gateway_doctor::har`), and so is the output, through a spool:
//! rows are kept in memory up to a few MB, then in an unlinked temporary file, and reach
//! stdout only once the whole file has been read. A broken file therefore leaves stdout empty
//! (one error line on stderr, exit 2) while a 100 MB HAR still needs no more memory than a
//! small one. On a terminal, stderr shows a progress line.

use std::cell::Cell;
use std::ffi::OsString;
use std::io::{BufReader, IsTerminal, Read, Seek, Write};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use gateway_doctor::har::{self, HarItem, HarRow, HarSummary, ResourceClass, Select};
use gateway_doctor::report::{fault_id, kind_id};
use gateway_doctor::Error;

use crate::args::{self, Arg::*};
use crate::{out_error, say, warn, CmdResult};

pub const HELP: &str = "\
usage: gateway-doctor har FILE.har|- [options]

Lists the failed document and XHR/fetch entries of a HAR file (Chrome, Firefox, Safari,
Fiddler, Charles, Insomnia, HAR Viewer's JSONP...) with a diagnosis of each: status, type,
method, address, what broke and whose fault it is, then a line of detail (timings, server
address, the redirects that led there, the page, the response headers the diagnosis rests on).
`*` marks the page's own document; `= #N` a repeat of row N.

options:
  --all           successful document/XHR entries too
  --all-failed    failed entries of every type (images, scripts, styles...) too
  --json          the rows as a JSON array (remedies by id: `classify --json` has them whole)
  --report N      write the redacted support report for entry N (the number in the first
                  column), the same report the extension's popup copies, as JSON
  -h, --help      this text

Fields of an unexpected shape are read as absent and named in a warning on stderr; a file
that is not a HAR is refused with one line (exit 2) and nothing on stdout.
";

struct Opts {
    path: OsString,
    json: bool,
    select: Select,
    report: Option<usize>,
}

fn opts(argv: Vec<OsString>) -> Result<Option<Opts>, Error> {
    let mut p = args::parser(argv);
    let (mut files, mut json, mut select, mut report) =
        (Vec::new(), false, Select::default(), None);
    while let Some(arg) = p.next().map_err(|e| args::error(e, "har"))? {
        match arg {
            Short('h') | Long("help") => return Ok(None),
            Long("json") => json = true,
            Long("all") => select.successful = true,
            Long("all-failed") => select.other_types = true,
            Long("report") => {
                let v = args::text(&mut p, "--report")?;
                report = Some(v.trim().parse::<usize>().map_err(|_| {
                    Error::bad_input(format!(
                        "--report wants an entry number (the first column), got '{}'",
                        gateway_doctor::report::clean(&v, 40)
                    ))
                })?);
            }
            Value(v) => files.push(v),
            other => return Err(args::unexpected(other, "har")),
        }
    }
    let Ok([path]) = <[OsString; 1]>::try_from(files) else {
        return Err(Error::bad_input(
            "usage: gateway-doctor har FILE.har|- [--all] [--all-failed] [--json] [--report N]",
        ));
    };
    Ok(Some(Opts {
        path,
        json,
        select,
        report,
    }))
}

pub fn run(argv: Vec<OsString>) -> CmdResult {
    let Some(o) = opts(argv)? else {
        return say(HELP);
    };
    let shown = args::escaped_lossy(&o.path);
    let (input, total): (Box<dyn Read>, Option<u64>) = if o.path == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let f = std::fs::File::open(&o.path)
            .map_err(|e| Error::Io(format!("cannot read {shown}: {e}")))?;
        let len = f.metadata().ok().map(|m| m.len());
        (Box::new(f), len)
    };
    let read = Rc::new(Cell::new(0u64));
    let reader = BufReader::with_capacity(
        64 * 1024,
        Counting {
            inner: input,
            n: Rc::clone(&read),
        },
    );
    let mut progress = std::io::stderr()
        .is_terminal()
        .then(|| Progress::new(total, Rc::clone(&read)));

    if let Some(n) = o.report {
        let mut found: Option<HarItem> = None;
        let result = har::scan_reader(reader, &mut |item| {
            if let Some(p) = progress.as_mut() {
                p.tick(item.index + 1);
            }
            if item.index == n {
                found = Some(item);
            }
            Ok(())
        });
        if let Some(p) = progress.as_mut() {
            p.clear();
        }
        let summary = result?;
        let Some(item) = found else {
            return Err(Error::bad_input(format!(
                "{shown} has no entry {n} (it has {} entries, numbered from 0)",
                summary.entries
            )));
        };
        let report = gateway_doctor::report::build(&gateway_doctor::report::ReportInput {
            observation: item.observation,
            ..Default::default()
        });
        let mut out = std::io::stdout().lock();
        out.write_all(gateway_doctor::report::to_json(&report).as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush())
            .map_err(out_error)?;
        print_warnings(&summary);
        return Ok(ExitCode::SUCCESS);
    }

    let mut spool = Spool::default();
    let mut rows = 0usize;
    let spool_err = |e: std::io::Error| Error::Io(format!("cannot keep the output aside: {e}"));
    if o.json {
        spool.write_all(b"[").map_err(spool_err)?;
    } else {
        writeln!(
            spool,
            "{:>7}  {:<6}  {:<8}  {:<6}  {:<60}  DIAGNOSIS",
            "#", "STATUS", "TYPE", "METHOD", "URL"
        )
        .map_err(spool_err)?;
    }
    let result = har::scan_reader(reader, &mut |item| {
        if let Some(p) = progress.as_mut() {
            p.tick(item.index + 1);
        }
        let Some(row) = har::select(&item, o.select) else {
            return Ok(());
        };
        if o.json {
            let sep = if rows == 0 { "\n" } else { ",\n" };
            spool.write_all(sep.as_bytes()).map_err(spool_err)?;
            serde_json::to_writer(&mut spool, &json_row(&row)).map_err(|e| spool_err(e.into()))?;
        } else {
            print_row(&mut spool, &row).map_err(spool_err)?;
        }
        rows += 1;
        Ok(())
    });
    if let Some(p) = progress.as_mut() {
        p.clear();
    }
    let summary = result?;
    if o.json {
        spool.write_all(b"\n]\n").map_err(spool_err)?;
    } else {
        writeln!(spool, "\n{}", summary_line(&summary, rows, o.select)).map_err(spool_err)?;
    }
    let mut out = std::io::stdout().lock();
    spool.copy_to(&mut out).map_err(out_error)?;
    out.flush().map_err(out_error)?;
    drop(out);
    print_warnings(&summary);
    report_peak_rss();
    Ok(ExitCode::SUCCESS)
}

/// `HAR 1.2 (WebInspector 537.36): 9 entries, 5 failed; listed: 4 failed document/XHR
/// entries (1 failed entry of another type: --all-failed lists it)`.
fn summary_line(s: &HarSummary, rows: usize, sel: Select) -> String {
    let mut line = format!(
        "HAR {} ({}){}: {} entries, {} failed; listed: {rows} ",
        s.version.as_deref().unwrap_or("1.1"),
        s.creator
            .as_deref()
            .map(safe)
            .unwrap_or_else(|| "unknown creator".into()),
        if s.jsonp { ", JSONP" } else { "" },
        s.entries,
        s.failed,
    );
    line += match (sel.successful, sel.other_types) {
        (false, false) => "failed document/XHR entries",
        (true, false) => "document/XHR entries",
        (false, true) => "failed entries",
        (true, true) => "entries",
    };
    let other = s.failed - s.failed_doc_xhr;
    if !sel.other_types && other > 0 {
        line += &format!(
            " ({other} failed {} of another type: --all-failed lists {})",
            if other == 1 { "entry" } else { "entries" },
            if other == 1 { "it" } else { "them" }
        );
    }
    if !sel.successful {
        line += " (--all adds successful ones)";
    }
    if s.skipped > 0 {
        line += &format!("; {} entries skipped (not objects)", s.skipped);
    }
    line
}

fn print_warnings(s: &HarSummary) {
    for w in &s.warnings {
        warn(&format!("gateway-doctor: warning: {}", safe(w)));
    }
    if s.more_warnings > 0 {
        warn(&format!(
            "gateway-doctor: warning: {} more fields read as absent",
            s.more_warnings
        ));
    }
}

/// A row for `--json`: the diagnosis without its remedies (the same dozen steps for every
/// row of a kind, ~5 KB each: a million-entry HAR wrote 5.4 GB), named by id instead.
fn json_row(r: &HarRow) -> serde_json::Value {
    // Through text: `to_value` widens each f32 (confidence, timings) to a long f64 (0.98 →
    // 0.9800000190734864), text keeps the short form the library and WASM print.
    let mut v: serde_json::Value = serde_json::to_string(r)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    if let Some(d) = v.get_mut("diagnosis").and_then(|d| d.as_object_mut()) {
        d.remove("remedies");
        let ids: Vec<&str> = r.diagnosis.remedies.iter().map(|m| m.id.as_ref()).collect();
        d.insert("remedy_ids".into(), serde_json::json!(ids));
    }
    v
}

fn print_row(out: &mut impl Write, r: &HarRow) -> std::io::Result<()> {
    let d = &r.diagnosis;
    let status = match r.status {
        Some(s) => s.to_string(),
        None => "ERR".into(),
    };
    let kind = match r.resource_type {
        ResourceClass::Document => "document",
        ResourceClass::Xhr => "xhr",
        ResourceClass::Other => "other",
    };
    let mut verdict = format!("{} {}", kind_id(d.kind), d.family);
    if let Some(v) = &d.variant {
        verdict += &format!("/{v}");
    }
    if let Some(c) = d.code {
        verdict += &format!(" {c}");
    }
    verdict += &format!(" (fault: {}) {}", fault_id(d.fault), d.title.text);
    if let Some(e) = &r.net_error {
        verdict = format!("{} → {verdict}", safe(e));
    }
    if let Some(first) = r.repeat_of {
        verdict += &format!(" = #{first}");
    }
    writeln!(
        out,
        "{:>6}{}  {:<6}  {:<8}  {:<6}  {:<60}  {}",
        r.index,
        if r.main_document { "*" } else { " " },
        status,
        kind,
        safe(r.method.as_deref().unwrap_or("")),
        shorten(&safe(&r.url), 60),
        verdict
    )?;
    writeln!(out, "         {}", detail(r))
}

/// The row's second line: timings, server, redirects, page, evidence headers.
fn detail(r: &HarRow) -> String {
    let t = &r.timings;
    let mut parts = Vec::new();
    let ms = |name: &str, v: Option<f32>| v.map(|v| format!("{name} {v:.1}"));
    let phases: Vec<String> = [
        ms("blocked", t.blocked),
        ms("dns", t.dns),
        ms("connect", t.connect),
        ms("tls", t.tls),
        ms("wait", t.wait),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !phases.is_empty() {
        parts.push(format!("{} ms", phases.join(" · ")));
    }
    if let Some(ip) = &r.server_ip {
        parts.push(format!("server {}", safe(ip)));
    }
    if !r.redirected_from.is_empty() {
        let chain: Vec<String> = r
            .redirected_from
            .iter()
            .map(|u| shorten(&safe(u), 80))
            .collect();
        parts.push(format!("redirected from {}", chain.join(" → ")));
    }
    match (&r.page, &r.page_title) {
        (Some(p), Some(t)) => parts.push(format!("page {} ({})", safe(p), shorten(&safe(t), 60))),
        (Some(p), None) => parts.push(format!("page {}", safe(p))),
        _ => {}
    }
    if !r.evidence_headers.is_empty() {
        let hs: Vec<String> = r
            .evidence_headers
            .iter()
            .map(|h| format!("{}: {}", safe(&h.name), shorten(&safe(&h.value), 60)))
            .collect();
        parts.push(format!("evidence {}", hs.join("; ")));
    }
    if parts.is_empty() {
        "↳ (no timings or server recorded)".into()
    } else {
        format!("↳ {}", parts.join(" | "))
    }
}

/// Output kept aside until the HAR has been read whole: in memory up to [`SPOOL_MEM`] bytes,
/// then in a temporary file that is unlinked as soon as it is open (nothing is left behind,
/// even if the process is killed).
#[derive(Default)]
struct Spool {
    mem: Vec<u8>,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

const SPOOL_MEM: usize = 4 << 20;

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(f) = &mut self.file {
            return f.write(buf);
        }
        self.mem.extend_from_slice(buf);
        if self.mem.len() > SPOOL_MEM {
            let mut f = std::io::BufWriter::new(temp_file()?);
            f.write_all(&self.mem)?;
            self.mem = Vec::new();
            self.file = Some(f);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Spool {
    fn copy_to(self, out: &mut impl Write) -> std::io::Result<()> {
        match self.file {
            None => out.write_all(&self.mem),
            Some(f) => {
                let mut f = f.into_inner().map_err(|e| e.into_error())?;
                f.rewind()?;
                std::io::copy(&mut f, out).map(drop)
            }
        }
    }
}

fn temp_file() -> std::io::Result<std::fs::File> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let path = std::env::temp_dir().join(format!(
        "gateway-doctor-{}-{nanos}.spool",
        std::process::id()
    ));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    // Unix keeps the open file and nothing is left behind; on Windows the removal fails while
    // the file is open and it stays in the temporary directory.
    let _ = std::fs::remove_file(&path);
    Ok(f)
}

/// A HAR is untrusted input: no terminal escape sequences or bidi overrides reach the screen.
fn safe(s: &str) -> String {
    gateway_doctor::report::clean(s, 2048)
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Counts the bytes read so the progress line can show how far into the file we are.
struct Counting<R> {
    inner: R,
    n: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.set(self.n.get() + k as u64);
        Ok(k)
    }
}

struct Progress {
    total: Option<u64>,
    read: Rc<Cell<u64>>,
    last: Instant,
    shown: bool,
}

impl Progress {
    fn new(total: Option<u64>, read: Rc<Cell<u64>>) -> Self {
        Progress {
            total,
            read,
            last: Instant::now(),
            shown: false,
        }
    }

    fn tick(&mut self, entries: usize) {
        // The first line at once (a small file may be read in less than the interval, and
        // a line that never appears looks like a hang), then one every 200 ms.
        if self.shown && self.last.elapsed() < Duration::from_millis(200) {
            return;
        }
        self.last = Instant::now();
        self.shown = true;
        let mb = self.read.get() as f64 / 1e6;
        let line = match self.total {
            Some(t) if t > 0 => format!(
                "reading HAR: {mb:.1} / {:.1} MB ({:.0}%), {entries} entries",
                t as f64 / 1e6,
                100.0 * self.read.get() as f64 / t as f64
            ),
            _ => format!("reading HAR: {mb:.1} MB, {entries} entries"),
        };
        let _ = write!(std::io::stderr().lock(), "\r{line}\x1b[K");
    }

    fn clear(&mut self) {
        if self.shown {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
    }
}

/// With `GATEWAY_DOCTOR_PEAK_RSS=1`, prints the process's peak resident set size (Linux
/// `VmHWM`) to stderr, so the memory-bound test and `scripts/bench-har.sh` can check that
/// streaming really bounds memory.
fn report_peak_rss() {
    if std::env::var_os("GATEWAY_DOCTOR_PEAK_RSS").is_none() {
        return;
    }
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
            let kb = line.trim_start_matches("VmHWM:").trim();
            warn(&format!("peak RSS: {kb}"));
        }
    }
}
