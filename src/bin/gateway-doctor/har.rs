//! `gateway-doctor har FILE.har [--json] [--all]`: diagnose every failed document/XHR entry of
//! a HAR file (`--all`: every document/XHR entry).
//!
//! The file is streamed (see `gateway_doctor::har`): rows are printed as entries are parsed,
//! so a 100 MB HAR needs no more memory than a small one. On a terminal, stderr shows a
//! progress line. Exit 0 after a complete file, 2 on bad input (one line with the position).

use std::cell::Cell;
use std::io::{BufReader, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use gateway_doctor::har::{self, HarRow, ResourceClass};
use gateway_doctor::report::{fault_id, kind_id};
use gateway_doctor::Error;

use crate::args::Args;
use crate::CmdResult;

pub fn run(argv: &[String]) -> CmdResult {
    let args = Args::parse(argv, &[], &["--json", "--all"])?;
    let [path] = args.positional.as_slice() else {
        return Err(Error::bad_input(
            "usage: gateway-doctor har FILE.har [--json] [--all]",
        ));
    };
    let json = args.has("--json");
    let all = args.has("--all");

    let (input, total): (Box<dyn Read>, Option<u64>) = if path == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let f =
            std::fs::File::open(path).map_err(|e| Error::Io(format!("cannot read {path}: {e}")))?;
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

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut rows = 0usize;
    let io_err = |e: std::io::Error| Error::Io(format!("cannot write output: {e}"));
    if json {
        write!(out, "[").map_err(io_err)?;
    } else {
        writeln!(
            out,
            "{:>6}  {:<6}  {:<8}  {:<6}  {:<60}  DIAGNOSIS",
            "#", "STATUS", "TYPE", "METHOD", "URL"
        )
        .map_err(io_err)?;
    }
    let result = har::scan_reader(reader, &mut |item| {
        if let Some(p) = progress.as_mut() {
            p.tick(item.index + 1);
        }
        let Some(row) = har::row_for(&item, all) else {
            return Ok(());
        };
        if json {
            let sep = if rows == 0 { "\n" } else { ",\n" };
            out.write_all(sep.as_bytes()).map_err(io_err)?;
            serde_json::to_writer(&mut out, &row).map_err(|e| io_err(e.into()))?;
        } else {
            print_row(&mut out, &row).map_err(io_err)?;
        }
        rows += 1;
        Ok(())
    });
    if let Some(p) = progress.as_mut() {
        p.clear();
    }
    let summary = result?;
    if json {
        writeln!(out, "\n]").map_err(io_err)?;
    } else {
        writeln!(
            out,
            "\nHAR {} ({}): {} entries, {} {}document/XHR entries{}",
            summary.version.as_deref().unwrap_or("1.1"),
            summary
                .creator
                .as_deref()
                .map(safe)
                .unwrap_or_else(|| "unknown creator".into()),
            summary.entries,
            rows,
            if all { "" } else { "failed " },
            if all {
                ""
            } else {
                " (--all lists successful ones too)"
            },
        )
        .map_err(io_err)?;
    }
    out.flush().map_err(io_err)?;
    drop(out);
    report_peak_rss();
    Ok(ExitCode::SUCCESS)
}

fn print_row(out: &mut impl Write, r: &HarRow) -> std::io::Result<()> {
    let d = &r.diagnosis;
    let status = match (r.status, &r.net_error) {
        (Some(s), _) => s.to_string(),
        (None, _) => "ERR".into(),
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
    writeln!(
        out,
        "{:>6}  {:<6}  {:<8}  {:<6}  {:<60}  {}",
        r.index,
        status,
        kind,
        safe(r.method.as_deref().unwrap_or("")),
        shorten(&safe(&r.url), 60),
        verdict
    )
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
        eprint!("\r{line}\x1b[K");
    }

    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
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
            eprintln!("peak RSS: {kb}");
        }
    }
}
