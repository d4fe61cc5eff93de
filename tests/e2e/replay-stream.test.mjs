// The replay page with big HAR files (Chromium + dist/chrome), the files generated on disk:
//   - a 254 MiB HAR (≈190,000 entries, ~2,000 failed documents/XHRs, 5 MB base64 bodies) is
//     read through the file input by the page's Worker: the progress bar moves, the page keeps
//     answering and painting, rows appear before the end, and the counts at the end are the
//     generator's; the worker's WASM memory stays bounded;
//   - Cancel mid-way stops the reading: no more progress, the page idle, the worker gone;
//   - 100,000 failed entries (which used to end in a WASM trap) are all counted, the table
//     showing the first 5,000 and saying so.
//
// Needs `make build` first. Run: node --test --test-concurrency=1 tests/e2e/replay-stream.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, waitFor } from './harness.mjs';
import { writeBigHar, writeFailuresHar } from './big-har.mjs';

let h;
let tmp;
let big;
const BIG = () => path.join(tmp, 'big.har');
before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gd-replay-stream-'));
  big = writeBigHar(BIG());
  h = await launch();
});
after(async () => {
  try {
    h?.assertPrivacy();
  } finally {
    await h?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
});

async function replayPage() {
  const p = await h.openExtensionPage('replay.html');
  await p.waitForSelector('#app[data-state="idle"]', { timeout: 15_000 });
  // Counts animation frames: a page whose thread is blocked paints none.
  await p.evaluate(() => {
    window.__frames = 0;
    const tick = () => { window.__frames++; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  return p;
}

const sample = (p) => p.evaluate(() => {
  const bar = document.getElementById('har-progress');
  return {
    state: document.getElementById('app').dataset.state,
    value: bar ? bar.value : null,
    max: bar ? bar.max : null,
    rows: document.querySelectorAll('#har-table tbody tr').length,
    frames: window.__frames,
  };
});

test('a 254 MiB HAR: progress, a responsive page, rows before the end, the right counts', { timeout: 600_000 }, async () => {
  assert.ok(big.size > 245 * 1024 * 1024 && big.size <= 256 * 1024 * 1024, `generated ${big.size} bytes`);
  assert.ok(big.failedDocXhr > 1000 && big.failedDocXhr < 5000, `${big.failedDocXhr} rows fit the table`);
  const p = await replayPage();
  await p.setInputFiles('#file', BIG());
  const seen = [];
  const answers = [];
  for (;;) {
    const t0 = Date.now();
    const s = await sample(p);
    answers.push(Date.now() - t0);
    seen.push(s);
    if (s.state !== 'reading') break;
    await new Promise((r) => setTimeout(r, 150));
  }
  const last = seen[seen.length - 1];
  assert.equal(last.state, 'diagnosed', await p.textContent('#result'));
  const reading = seen.filter((s) => s.state === 'reading' && s.value != null);
  const values = new Set(reading.map((s) => s.value));
  assert.ok(values.size >= 5, `the bar moved: ${[...values].join(', ')}`);
  assert.ok(reading.some((s) => s.rows > 0 && s.value < s.max / 2), 'rows shown before half the file was read');
  // The page answered every sample quickly and kept painting while the worker read.
  // A page that parsed on its own thread (as it did before the worker) answered nothing for the
  // whole parse (18 s for 50,000 entries). 9 answers in 10 within 500 ms, none above 2 s: on
  // this shared 2-core machine the worker and other builds compete with the page's thread.
  const sorted = [...answers].sort((a, b) => a - b);
  const p90 = sorted[Math.floor(sorted.length * 0.9)];
  const slowest = sorted[sorted.length - 1];
  assert.ok(answers.length >= 10 && p90 < 500 && slowest < 2000, `answers while reading (ms): ${answers.join(', ')}`);
  const during = reading[reading.length - 1].frames - reading[0].frames;
  assert.ok(during > 10, `${during} frames painted while reading`);

  const data = await p.evaluate(() => ({ ...document.getElementById('app').dataset }));
  assert.equal(data.mode, 'har');
  assert.equal(data.rows, String(big.failedDocXhr));
  assert.equal(await p.locator('#har-table tbody tr').count(), big.failedDocXhr);
  const sum = await p.evaluate(() => ({ ...document.getElementById('har-summary').dataset }));
  assert.equal(sum.entries, String(big.entries));
  assert.equal(sum.failed, String(big.failed));
  assert.equal(sum.failedDocXhr, String(big.failedDocXhr));
  assert.match(await p.textContent('#har-summary'), new RegExp(`^${big.failedDocXhr} failed .* big\\.har$`));
  // The first failure is opened: an nginx 502 document.
  assert.equal(data.family, 'nginx');
  assert.equal(data.code, '502');
  // Memory is the CLI's bound, not the file's size: the worker's WASM memory at its peak.
  const mem = Number(sum.wasmMemory);
  assert.ok(mem > 0 && mem < 32 * 1024 * 1024, `WASM memory ${mem} bytes`);
  console.log(`# 254 MiB HAR: ${big.size} bytes, ${big.entries} entries, read in ${sum.ms} ms; worker WASM memory ${mem} bytes; page answers p90 ${p90} ms, slowest ${slowest} ms`);
  assert.equal(p.workers().length, 0, 'the worker is gone once done');
  assert.deepEqual(p.errors, []);
  await p.close();
});

test('Cancel mid-way: the reading stops, the page is idle and the worker gone', { timeout: 300_000 }, async () => {
  const p = await replayPage();
  await p.setInputFiles('#file', BIG());
  await waitFor(async () => {
    const s = await sample(p);
    return s.state === 'reading' && s.value > s.max / 10;
  }, { what: 'a tenth read', timeout: 120_000 });
  assert.equal(p.workers().length, 1, 'one worker reads');
  await p.click('#har-cancel');
  const data = await p.evaluate(() => ({ ...document.getElementById('app').dataset }));
  assert.equal(data.state, 'idle');
  assert.equal(data.worker, undefined);
  assert.equal(await p.locator('#har-progress').count(), 0);
  assert.equal(await p.isHidden('#result'), true, 'cancel clears the rows read so far');
  assert.match(await p.textContent('#file-info'), /big\.har: reading cancelled/);
  await waitFor(() => p.workers().length === 0, { what: 'worker terminated', timeout: 5_000 });
  // Nothing arrives later: still idle, still no table.
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await sample(p)).state, 'idle');
  assert.equal(await p.locator('#har-table').count(), 0);
  assert.deepEqual(p.errors, []);
  await p.close();
});

test('100,000 failed entries: no trap, all counted, the first 5,000 shown', { timeout: 300_000 }, async () => {
  const file = path.join(tmp, 'failures.har');
  const gen = writeFailuresHar(file);
  const p = await replayPage();
  await p.setInputFiles('#file', file);
  await p.waitForSelector('#app[data-state="diagnosed"], #app[data-state="error"]', { timeout: 240_000 });
  const data = await p.evaluate(() => ({ ...document.getElementById('app').dataset }));
  assert.equal(data.state, 'diagnosed', await p.textContent('#result'));
  assert.equal(data.rows, String(gen.failedDocXhr));
  const sum = await p.evaluate(() => ({ ...document.getElementById('har-summary').dataset }));
  assert.equal(sum.entries, String(gen.entries));
  assert.equal(sum.shown, '5000');
  assert.equal(await p.locator('#har-table tbody tr').count(), 5000);
  assert.match(await p.textContent('#har-capped'), /first 5000 of 100000/);
  console.log(`# 100,000 failures: ${gen.size} bytes in ${sum.ms} ms; worker WASM memory ${sum.wasmMemory} bytes`);
  assert.deepEqual(p.errors, []);
  await p.close();
});
