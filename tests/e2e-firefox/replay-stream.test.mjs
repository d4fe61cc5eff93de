// The replay page with big HAR files in Firefox ESR (headless, dist/firefox), the files
// generated on disk (tests/e2e/big-har.mjs), as tests/e2e/replay-stream.test.mjs does in
// Chromium: a 254 MiB HAR read by the page's module Worker with a moving progress bar, a page
// that keeps answering and painting, rows before the end and the generator's counts at the end;
// Cancel mid-way; 100,000 failed entries counted without a trap.
//
// Firefox: the page is opened with browser.tabs.create and driven with BiDi script.evaluate
// (see replay.test.mjs); the file input is fed with BiDi input.setFiles. BiDi does not list a
// page's workers, so "the worker is gone" is the page's own `data-worker` plus no progress after.
//
// Needs `make build` first. Run: node --test --test-concurrency=1 tests/e2e-firefox/replay-stream.test.mjs
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchFirefox } from './harness.mjs';
import { waitFor } from '../e2e/harness.mjs';
import { writeBigHar, writeFailuresHar } from '../e2e/big-har.mjs';

let h;
let tmp;
let big;
const BIG = () => path.join(tmp, 'big.har');
before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gd-ff-replay-stream-'));
  big = writeBigHar(BIG());
  h = await launchFirefox();
});
after(async () => {
  try {
    await h?.close(); // throws if anything reached the sinkhole proxy
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
});

let pageSeq = 0;
/** A fresh replay page in a new tab, engine loaded; `run(fn, arg)` evaluates `fn(arg)` in it. */
async function replayPage() {
  const conn = h.browser.connection;
  const url = `${h.extOrigin}/replay.html?gdstream=${++pageSeq}`;
  const tabId = await h.ext((u) => browser.tabs.create({ url: u, active: true }).then((t) => t.id), url);
  const ctx = await waitFor(async () => {
    const tree = await conn.send('browsingContext.getTree', {});
    return tree.result.contexts.find((c) => c.url === url)?.context;
  }, { what: 'replay page context', timeout: 20_000 });
  const run = async (fn, arg) => {
    const expression = `(async () => JSON.stringify(await (${fn.toString()})(${JSON.stringify(arg ?? null)})))()`;
    const r = (await conn.send('script.evaluate', { expression, target: { context: ctx }, awaitPromise: true })).result;
    if (r.type !== 'success') throw new Error(`in replay.html: ${r.exceptionDetails?.text}`);
    return r.result.value === undefined ? undefined : JSON.parse(r.result.value);
  };
  await waitFor(() => run(() => document.getElementById('app')?.dataset.state === 'idle'), { what: 'replay page ready', timeout: 20_000 });
  await run(() => {
    window.__gdErrors = [];
    window.addEventListener('error', (ev) => window.__gdErrors.push(`error: ${ev.message}`));
    window.addEventListener('unhandledrejection', (ev) => window.__gdErrors.push(`rejection: ${ev.reason}`));
    // Counts animation frames: a page whose thread is blocked paints none.
    window.__frames = 0;
    const tick = () => { window.__frames++; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
    return true;
  });
  const setFile = async (file) => {
    const el = await conn.send('script.evaluate', {
      expression: "document.getElementById('file')", target: { context: ctx }, awaitPromise: false, resultOwnership: 'root',
    });
    await conn.send('input.setFiles', { context: ctx, element: { sharedId: el.result.result.sharedId }, files: [file] });
  };
  return {
    run,
    setFile,
    data: () => run(() => ({ ...document.getElementById('app').dataset })),
    summary: () => run(() => ({ ...document.getElementById('har-summary').dataset })),
    errors: () => run(() => window.__gdErrors),
    sample: () => run(() => {
      const bar = document.getElementById('har-progress');
      return {
        state: document.getElementById('app').dataset.state,
        value: bar ? bar.value : null,
        max: bar ? bar.max : null,
        rows: document.querySelectorAll('#har-table tbody tr').length,
        frames: window.__frames,
      };
    }),
    close: () => h.closeTab(tabId),
  };
}

test('a 254 MiB HAR: progress, a responsive page, rows before the end, the right counts', { timeout: 600_000 }, async () => {
  const p = await replayPage();
  await p.setFile(BIG());
  const seen = [];
  const answers = [];
  for (;;) {
    const t0 = Date.now();
    const s = await p.sample();
    answers.push(Date.now() - t0);
    seen.push(s);
    if (s.state !== 'reading') break;
    await new Promise((r) => setTimeout(r, 150));
  }
  assert.equal(seen[seen.length - 1].state, 'diagnosed', await p.run(() => document.getElementById('result').textContent));
  const reading = seen.filter((s) => s.state === 'reading' && s.value != null);
  const values = new Set(reading.map((s) => s.value));
  assert.ok(values.size >= 5, `the bar moved: ${[...values].join(', ')}`);
  assert.ok(reading.some((s) => s.rows > 0 && s.value < s.max / 2), 'rows shown before half the file was read');
  // A page that parsed on its own thread (as it did before the worker) answered nothing for the
  // whole parse (18 s for 50,000 entries). 9 answers in 10 within 500 ms, none above 2 s: on
  // this shared 2-core machine the worker and other builds compete with the page's thread.
  const sorted = [...answers].sort((a, b) => a - b);
  const p90 = sorted[Math.floor(sorted.length * 0.9)];
  const slowest = sorted[sorted.length - 1];
  assert.ok(answers.length >= 10 && p90 < 500 && slowest < 2000, `answers while reading (ms): ${answers.join(', ')}`);
  const during = reading[reading.length - 1].frames - reading[0].frames;
  assert.ok(during > 10, `${during} frames painted while reading`);

  const data = await p.data();
  assert.equal(data.mode, 'har');
  assert.equal(data.rows, String(big.failedDocXhr));
  assert.equal(data.family, 'nginx');
  assert.equal(await p.run(() => document.querySelectorAll('#har-table tbody tr').length), big.failedDocXhr);
  const sum = await p.summary();
  assert.equal(sum.entries, String(big.entries));
  assert.equal(sum.failed, String(big.failed));
  assert.equal(sum.failedDocXhr, String(big.failedDocXhr));
  const mem = Number(sum.wasmMemory);
  assert.ok(mem > 0 && mem < 32 * 1024 * 1024, `WASM memory ${mem} bytes`);
  console.log(`# Firefox, 254 MiB HAR: ${big.size} bytes, ${big.entries} entries, read in ${sum.ms} ms; worker WASM memory ${mem} bytes; page answers p90 ${p90} ms, slowest ${slowest} ms`);
  assert.equal(data.worker, undefined, 'the worker is gone once done');
  assert.deepEqual(await p.errors(), []);
  await p.close();
});

test('Cancel mid-way: the reading stops and the page is idle', { timeout: 300_000 }, async () => {
  const p = await replayPage();
  await p.setFile(BIG());
  await waitFor(async () => {
    const s = await p.sample();
    return s.state === 'reading' && s.value > s.max / 10;
  }, { what: 'a tenth read', timeout: 120_000 });
  assert.equal((await p.data()).worker, 'running');
  await p.run(() => { document.getElementById('har-cancel').click(); return true; });
  const data = await p.data();
  assert.equal(data.state, 'idle');
  assert.equal(data.worker, undefined);
  assert.equal(await p.run(() => document.getElementById('result').hidden), true, 'cancel clears the rows read so far');
  assert.match(await p.run(() => document.getElementById('file-info').textContent), /big\.har: reading cancelled/);
  await new Promise((r) => setTimeout(r, 1000));
  const after = await p.sample();
  assert.equal(after.state, 'idle');
  assert.equal(after.value, null, 'no progress bar came back');
  assert.equal(await p.run(() => document.getElementById('har-table')), null);
  assert.deepEqual(await p.errors(), []);
  await p.close();
});

test('100,000 failed entries: no trap, all counted, the first 5,000 shown', { timeout: 300_000 }, async () => {
  const file = path.join(tmp, 'failures.har');
  const gen = writeFailuresHar(file);
  const p = await replayPage();
  await p.setFile(file);
  const data = await waitFor(async () => {
    const d = await p.data();
    return ['diagnosed', 'error'].includes(d.state) ? d : null;
  }, { what: '100,000 failures read', timeout: 240_000 });
  assert.equal(data.state, 'diagnosed', await p.run(() => document.getElementById('result').textContent));
  assert.equal(data.rows, String(gen.failedDocXhr));
  const sum = await p.summary();
  assert.equal(sum.entries, String(gen.entries));
  assert.equal(sum.shown, '5000');
  assert.equal(await p.run(() => document.querySelectorAll('#har-table tbody tr').length), 5000);
  assert.match(await p.run(() => document.getElementById('har-capped').textContent), /first 5000 of 100000/);
  assert.deepEqual(await p.errors(), []);
  await p.close();
});
