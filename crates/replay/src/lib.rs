//! The replay page's WASM module (`extension/pkg/replay/`).
//!
//! A HAR file is read in a dedicated Worker (`extension/replay-worker.js`), never in the page:
//! the worker reads the `File` in 1 MB slices and feeds them to the core's streaming HAR
//! parser ([`gateway_doctor::har::scan_reader`], the very parser the CLI uses), posting
//! progress and batches of rows to the page as it goes. Memory is the CLI's bound: one slice,
//! one entry, long strings cut, at most [`ROW_CAP`] rows kept for display (all are counted).
//!
//! Why a synchronous `Read` over `FileReaderSync` rather than `Blob.stream()`: serde_json's
//! deserializer pulls its input, and a pull parser cannot wait for a promise. Feeding
//! `Blob.stream()`'s chunks would need a second, push-based JSON parser (with its own error
//! messages and its own bugs) beside the one the CLI's tests, the real-HAR tests and the fuzz
//! target hold honest. A dedicated Worker may block on `FileReaderSync` without freezing the
//! page, so the pull parser runs there unchanged. The price: the worker cannot see a "cancel"
//! message while it reads, so the page cancels by terminating it.
//!
//! The page also loads this module for the small, synchronous jobs (a pasted report, a pasted
//! page), so that it loads only its own module.
//!
//! The scan itself ([`scan`], [`Rows`], [`Throttle`]) is plain Rust, tested natively; only the
//! browser wiring is WASM-specific.

use std::cell::RefCell;
use std::io::Read;

use gateway_doctor::har::{self, HarItem, HarRow, HarSummary, Select};
use gateway_doctor::Result;

/// Rows kept and sent to the page; beyond this they are counted only. 100,000 diagnosed rows
/// (a 26 MB HAR of failures) are ~1 GB of DOM and JS objects: nobody reads past the first
/// thousands, and the summary still counts every one.
pub const ROW_CAP: usize = 5000;
/// Least time between two progress messages (and row batches), in milliseconds: often enough
/// for a bar that moves, rarely enough that posting costs nothing next to parsing.
pub const PROGRESS_EVERY_MS: f64 = 100.0;
/// Rows per batch at most, sent without waiting for the throttle: bounds the batch's JSON in
/// WASM memory and the page's work per message (100,000 failures come ~2,000 per 100 ms).
pub const BATCH: usize = 250;

/// Where the scan reports to: the worker's `postMessage`, or a test's vectors.
pub trait Sink {
    /// Milliseconds on a monotonic clock.
    fn now(&self) -> f64;
    /// `bytes` of the file read so far, `entries` parsed so far.
    fn progress(&mut self, bytes: u64, entries: usize);
    /// Rows found since the last batch, in file order.
    fn rows(&mut self, rows: Vec<HarRow>);
}

/// At most one "due" per `every` milliseconds.
#[derive(Debug, Clone)]
pub struct Throttle {
    every: f64,
    last: Option<f64>,
}

impl Throttle {
    pub fn new(every: f64) -> Self {
        Throttle { every, last: None }
    }

    /// True the first time, then once `every` ms have passed since the last true.
    pub fn due(&mut self, now: f64) -> bool {
        match self.last {
            Some(t) if now - t < self.every => false,
            _ => {
                self.last = Some(now);
                true
            }
        }
    }
}

/// The rows of a scan: every selected entry counted, the first [`ROW_CAP`] diagnosed and kept
/// until the next batch.
#[derive(Debug, Default)]
pub struct Rows {
    sel: Select,
    cap: usize,
    pending: Vec<HarRow>,
    /// Entries the selection takes (shown or not).
    pub selected: usize,
    /// Rows diagnosed and handed to the sink.
    pub shown: usize,
}

impl Rows {
    pub fn new(sel: Select, cap: usize) -> Self {
        Rows {
            sel,
            cap,
            ..Default::default()
        }
    }

    fn take(&mut self, item: &HarItem) {
        if !har::selects(item, self.sel) {
            return;
        }
        self.selected += 1;
        if self.shown < self.cap {
            self.pending.extend(har::select(item, self.sel));
            self.shown += 1;
        }
    }
}

/// How a scan ended.
#[derive(Debug, Clone)]
pub struct Done {
    pub summary: HarSummary,
    /// Rows the selection takes.
    pub rows: usize,
    /// Rows sent (at most [`ROW_CAP`]).
    pub shown: usize,
    pub bytes: u64,
}

struct State<'s, S: Sink> {
    sink: &'s mut S,
    throttle: Throttle,
    bytes: u64,
    entries: usize,
    rows: Rows,
}

impl<S: Sink> State<'_, S> {
    /// Progress and the pending rows, when the throttle allows (or `force`).
    fn tick(&mut self, force: bool) {
        if self.rows.pending.len() >= BATCH {
            self.sink.rows(std::mem::take(&mut self.rows.pending));
        }
        if !(self.throttle.due(self.sink.now()) || force) {
            return;
        }
        if !self.rows.pending.is_empty() {
            self.sink.rows(std::mem::take(&mut self.rows.pending));
        }
        self.sink.progress(self.bytes, self.entries);
    }
}

/// Counts the bytes the parser pulls and lets the scan report progress between reads (a
/// single 90 MB body has no entry boundary to report at).
struct Counted<'a, 's, R, S: Sink> {
    inner: R,
    state: &'a RefCell<State<'s, S>>,
}

impl<R: Read, S: Sink> Read for Counted<'_, '_, R, S> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut st = self.state.borrow_mut();
        st.bytes += n as u64;
        st.tick(false);
        Ok(n)
    }
}

/// Streams a HAR from `reader` through the core's parser, reporting to `sink`: progress and
/// row batches at most every [`PROGRESS_EVERY_MS`], then a last batch and progress at the end.
pub fn scan<R: Read, S: Sink>(reader: R, sel: Select, cap: usize, sink: &mut S) -> Result<Done> {
    let state = RefCell::new(State {
        sink,
        throttle: Throttle::new(PROGRESS_EVERY_MS),
        bytes: 0,
        entries: 0,
        rows: Rows::new(sel, cap),
    });
    // One RefCell for both: the reader and the entry callback never run at the same time (the
    // parser calls one, then the other), so each borrows the state in turn.
    let summary = har::scan_reader(
        Counted {
            inner: reader,
            state: &state,
        },
        &mut |item| {
            let mut st = state.borrow_mut();
            st.entries += 1;
            st.rows.take(&item);
            st.tick(false);
            Ok(())
        },
    )?;
    let mut st = state.into_inner();
    st.tick(true);
    Ok(Done {
        summary,
        rows: st.rows.selected,
        shown: st.rows.shown,
        bytes: st.bytes,
    })
}

#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(test)]
mod tests;
