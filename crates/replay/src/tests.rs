//! The scan as the worker runs it, on readers that split the file where the browser might.

use std::io::Read;

use super::*;

/// Records what the worker would post; the clock advances 1 ms per call.
#[derive(Default)]
struct Rec {
    clock: std::cell::Cell<f64>,
    progress: Vec<(u64, usize)>,
    batches: Vec<Vec<HarRow>>,
}

impl Sink for Rec {
    fn now(&self) -> f64 {
        let t = self.clock.get() + 1.0;
        self.clock.set(t);
        t
    }
    fn progress(&mut self, bytes: u64, entries: usize) {
        self.progress.push((bytes, entries));
    }
    fn rows(&mut self, rows: Vec<HarRow>) {
        self.batches.push(rows);
    }
}

/// Hands out `data` in the given pieces, one per read (as `Blob` slices would arrive).
struct Pieces<'a> {
    data: &'a [u8],
    cuts: Vec<usize>,
    at: usize,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let next = self
            .cuts
            .iter()
            .copied()
            .find(|&c| c > self.at)
            .unwrap_or(self.data.len());
        let n = buf.len().min(next - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn rows_json(rec: &Rec) -> String {
    let all: Vec<&HarRow> = rec.batches.iter().flatten().collect();
    serde_json::to_string(&all).unwrap()
}

fn run(data: &[u8], cuts: Vec<usize>, sel: Select, cap: usize) -> (Result<Done>, Rec) {
    let mut rec = Rec::default();
    let r = scan(Pieces { data, cuts, at: 0 }, sel, cap, &mut rec);
    (r, rec)
}

/// A small HAR with what the byte prefilter treats specially: a BOM, a JSONP wrapper, escapes
/// (a surrogate pair, `\"`), a multi-byte character, a failed document, a failed XHR, a
/// redirect and a repeat.
const SMALL: &str = concat!(
    "\u{FEFF}onInputData({\"log\":{\"version\":\"1.2\",\"creator\":{\"name\":\"WebInspector\",\"version\":\"537.36\"},",
    "\"entries\":[",
    "{\"request\":{\"method\":\"GET\",\"url\":\"https://shop.example/a\",\"headers\":[]},",
    "\"response\":{\"status\":302,\"headers\":[{\"name\":\"Location\",\"value\":\"/b\"}],\"content\":{\"size\":0}},\"_resourceType\":\"document\"},",
    "{\"request\":{\"method\":\"GET\",\"url\":\"https://shop.example/b\",\"headers\":[]},",
    "\"response\":{\"status\":502,\"statusText\":\"Bad Gateway\",\"headers\":[{\"name\":\"Server\",\"value\":\"nginx\"}],",
    "\"content\":{\"mimeType\":\"text/html\",\"text\":\"<html><title>502 Bad Gateway</title><center>nginx</center> caf\u{e9} \\ud83d\\ude00 \\\"q\\\"</html>\"}},\"_resourceType\":\"document\"},",
    "{\"request\":{\"method\":\"POST\",\"url\":\"https://api.shop.example/cart\",\"headers\":[]},",
    "\"response\":{\"status\":503,\"headers\":[{\"name\":\"Retry-After\",\"value\":\"30\"}],\"content\":{\"mimeType\":\"application/json\",\"encoding\":\"base64\",\"text\":\"eyJlcnJvciI6InVuYXZhaWxhYmxlIn0=\"}},\"_resourceType\":\"fetch\"},",
    "{\"request\":{\"method\":\"GET\",\"url\":\"https://shop.example/logo.png\",\"headers\":[]},",
    "\"response\":{\"status\":404,\"headers\":[],\"content\":{}},\"_resourceType\":\"image\"},",
    "{\"request\":{\"method\":\"POST\",\"url\":\"https://api.shop.example/cart\",\"headers\":[]},",
    "\"response\":{\"status\":503,\"headers\":[],\"content\":{}},\"_resourceType\":\"xhr\"}",
    "]}});\n"
);

#[test]
fn every_split_point_gives_the_rows_of_one_piece() {
    let data = SMALL.as_bytes();
    let sel = Select::default();
    let (whole, rec) = run(data, vec![], sel, ROW_CAP);
    let whole = whole.unwrap();
    assert_eq!(whole.summary.entries, 5);
    assert_eq!(whole.summary.failed_doc_xhr, 3);
    assert!(whole.summary.jsonp);
    assert_eq!(whole.rows, 3);
    let want = rows_json(&rec);
    assert!(want.contains("\"family\":\"nginx\""), "{want}");
    assert!(want.contains("\"repeat_of\":2"), "{want}");
    for k in 1..data.len() {
        let (got, rec) = run(data, vec![k], sel, ROW_CAP);
        let got = got.unwrap_or_else(|e| panic!("split at {k}: {e}"));
        assert_eq!(got.summary, whole.summary, "split at {k}");
        assert_eq!(rows_json(&rec), want, "split at {k}");
    }
}

#[test]
fn a_real_har_read_one_byte_at_a_time() {
    let data = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/har/chrome-shop.har"
    ))
    .unwrap();
    let sel = Select::default();
    let (whole, rec) = run(&data, vec![], sel, ROW_CAP);
    let whole = whole.unwrap();
    let (bytewise, rec1) = run(&data, (1..data.len()).collect(), sel, ROW_CAP);
    let bytewise = bytewise.unwrap();
    assert_eq!(bytewise.summary, whole.summary);
    assert_eq!(rows_json(&rec1), rows_json(&rec));
    // The CLI's rows for the same file (tests/e2e/replay.test.mjs expects these indices).
    let idx: Vec<usize> = rec.batches.iter().flatten().map(|r| r.index).collect();
    assert_eq!(idx, [1, 3, 4, 8]);
    // Progress: bytes never go back, and the last report is the whole file with every entry.
    assert!(rec1
        .progress
        .windows(2)
        .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    assert_eq!(
        rec1.progress.last(),
        Some(&(data.len() as u64, whole.summary.entries))
    );
    assert!(
        rec1.progress.len() > 10,
        "throttled, not silenced: {}",
        rec1.progress.len()
    );
}

#[test]
fn rows_beyond_the_cap_are_counted_not_sent() {
    let data = SMALL.as_bytes();
    let (done, rec) = run(data, vec![], Select::default(), 2);
    let done = done.unwrap();
    assert_eq!((done.rows, done.shown), (3, 2));
    assert_eq!(rec.batches.iter().flatten().count(), 2);
}

#[test]
fn a_truncated_file_says_where_and_why() {
    let data = &SMALL.as_bytes()[..SMALL.len() / 2];
    let (r, _) = run(data, vec![100, 101], Select::default(), ROW_CAP);
    let e = r.unwrap_err().to_string();
    assert!(
        e.contains("line 1 column") && e.contains("truncated"),
        "{e}"
    );
}

#[test]
fn throttle_lets_one_through_per_period() {
    let mut t = Throttle::new(100.0);
    assert!(t.due(0.0));
    assert!(!t.due(50.0));
    assert!(!t.due(99.9));
    assert!(t.due(100.0));
    assert!(!t.due(150.0));
    assert!(t.due(250.0));
}

#[test]
fn batches_never_exceed_the_batch_size() {
    // 1,200 failed XHRs in one piece: the throttle alone (a 1 ms clock per call) would send
    // one row per batch here, so use a clock that never advances to see the size bound.
    struct Still(Vec<usize>);
    impl Sink for Still {
        fn now(&self) -> f64 {
            0.0
        }
        fn progress(&mut self, _: u64, _: usize) {}
        fn rows(&mut self, rows: Vec<HarRow>) {
            self.0.push(rows.len());
        }
    }
    let mut har = String::from("{\"log\":{\"version\":\"1.2\",\"entries\":[");
    for i in 0..1200 {
        if i > 0 {
            har.push(',');
        }
        har.push_str(&format!(
            "{{\"request\":{{\"method\":\"GET\",\"url\":\"https://api.example/{i}\"}},\"response\":{{\"status\":503}},\"_resourceType\":\"xhr\"}}"
        ));
    }
    har.push_str("]}}");
    let mut sink = Still(Vec::new());
    let done = scan(har.as_bytes(), Select::default(), ROW_CAP, &mut sink).unwrap();
    assert_eq!(done.rows, 1200);
    assert_eq!(sink.0.iter().sum::<usize>(), 1200);
    assert!(sink.0.iter().all(|&n| n <= BATCH), "{:?}", sink.0);
}
