// The support workflow end to end (Chromium + dist/chrome + the error zoo):
//   - a report copied from the popup contains none of the planted secrets, and replays to the
//     popup's very diagnosis both on the replay page (same data-* values) and in the CLI
//     (`gateway-doctor report` exits 0);
//   - a pasted page body with status and headers is diagnosed, and a script in it never runs;
//   - a HAR file (file chooser and drag-and-drop) gives the table of failed document/XHR entries,
//     each diagnosed, with details on click;
//   - broken input shows one readable line, and nothing leaves the machine.
//
// Needs `make build` first. Run: node --test --test-concurrency=1 tests/e2e/replay.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  launch, waitFor, REPO, NGINX_502, SECRETS, SECRET_PAGE, SECRET_PAGE_QUERY, HOSTILE, RAW_NGINX_503,
} from './harness.mjs';


let h;
let tmp;
before(async () => {
  h = await launch();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gd-replay-'));
});
after(async () => {
  try {
    // Replaying, reading files and diagnosing are local: nothing may have left the machine.
    h?.assertPrivacy();
  } finally {
    await h?.close();
  }
});

/** The native CLI: an existing build, else built once with cargo. */
function cli() {
  for (const p of [process.env.GD_CLI, path.join(REPO, 'target/debug/gateway-doctor'), path.join(REPO, 'target/release/gateway-doctor')]) {
    if (p && existsSync(p)) return p;
  }
  execFileSync('cargo', ['build', '--quiet', '--bin', 'gateway-doctor'], { cwd: REPO, stdio: 'inherit' });
  return path.join(REPO, 'target/debug/gateway-doctor');
}

async function replayPage() {
  const p = await h.openExtensionPage('replay.html');
  await p.waitForSelector('#app[data-state="idle"]', { timeout: 15_000 });
  return p;
}

const rootData = (p) => p.evaluate(() => ({ ...document.getElementById('app').dataset }));

async function waitResult(p) {
  await p.waitForSelector('#app[data-state="diagnosed"], #app[data-state="error"]', { timeout: 15_000 });
  return rootData(p);
}

test('a report copied from the popup: no secrets, and the replay page and CLI reproduce the diagnosis', async () => {
  h.zoo.set('/support-502', SECRET_PAGE);
  const tabId = await h.openTab(h.zoo.url(`/support-502${SECRET_PAGE_QUERY}`));
  const state = await h.waitForState(tabId);

  const popup = await h.openExtensionPage(`popup.html?tab=${tabId}`);
  await popup.waitForSelector('#app[data-state="diagnosed"]', { timeout: 10_000 });
  const popupData = await rootData(popup);
  assert.equal(popupData.family, 'nginx', 'the engine recognises the page');
  await popup.click('#report > summary');
  // Empty until the details' toggle starts loading ("Loading…"): wait for real text.
  await waitFor(async () => {
    const text = await popup.textContent('#report-preview');
    return text.trim() !== '' && !/Loading/.test(text);
  }, { what: 'report preview' });
  const markdown = await popup.textContent('#report-preview');
  await popup.check('#fmt-json');
  const json = await popup.textContent('#report-preview');
  const report = JSON.parse(json);
  assert.equal(report.report_schema, 1);
  for (const s of SECRETS) {
    assert.ok(!json.includes(s), `JSON report leaks ${s}`);
    assert.ok(!markdown.includes(s), `Markdown report leaks ${s}`);
  }
  assert.equal(report.request.url, h.zoo.url('/support-502'));
  const ALLOWED = ['server', 'via', 'cf-ray', 'cf-cache-status', 'cf-error-type', 'x-cache', 'x-amz-cf-id',
    'x-amz-cf-pop', 'x-served-by', 'x-fastly-request-id', 'x-vercel-id', 'x-request-id', 'age',
    'retry-after', 'date', 'content-type', 'content-length'];
  const names = report.response.headers.map((x) => x.name);
  assert.ok(names.every((n) => ALLOWED.includes(n)), `only allow-listed headers: ${names}`);
  assert.ok(names.includes('server') && names.includes('x-request-id'), `useful headers kept: ${names}`);
  assert.equal(report.diagnosis.family, state.diagnosis.family);
  await popup.close();

  // The replay page shows what the popup showed, and says today's engine agrees.
  const p = await replayPage();
  await p.fill('#input', json);
  await p.click('#run');
  const data = await waitResult(p);
  assert.equal(data.state, 'diagnosed', await p.textContent('#result'));
  assert.equal(data.mode, 'report');
  assert.equal(data.agrees, 'true');
  for (const k of ['kind', 'family', 'fault', 'code']) assert.equal(data[k], popupData[k], `data-${k}`);
  assert.match(await p.textContent('#verdict'), /agrees/);
  assert.deepEqual(p.errors, []);

  // A report whose recorded diagnosis differs is flagged field by field.
  const changed = { ...report, diagnosis: { ...report.diagnosis, family: 'iis' } };
  await p.fill('#input', JSON.stringify(changed));
  await p.click('#run');
  await waitFor(async () => (await rootData(p)).agrees === 'false', { what: 'differs' });
  assert.deepEqual(await p.$$eval('#differences li', (lis) => lis.map((li) => li.dataset.field)), ['family']);
  await p.close();

  // The CLI gives the same verdict from the same report.
  const file = path.join(tmp, 'report.json');
  writeFileSync(file, json);
  const out = spawnSync(cli(), ['report', '--json', file], { encoding: 'utf8' });
  assert.equal(out.status, 0, `${out.stdout}${out.stderr}`);
  const replay = JSON.parse(out.stdout);
  assert.equal(replay.agrees, true);
  assert.equal(replay.diagnosis.family, popupData.family);
  assert.equal(String(replay.diagnosis.code), popupData.code);
  await h.closeTab(tabId);
});

test('a pasted page body with status and headers is diagnosed; a script in it never runs', async () => {
  const p = await replayPage();
  await p.fill('#input', `${NGINX_502}${HOSTILE}`);
  await p.click('.page-details > summary');
  await p.fill('#status', '502');
  await p.fill('#headers', `Server: nginx/1.18.0\nX-Evil: ${HOSTILE}`);
  await p.click('#run');
  const data = await waitResult(p);
  assert.equal(data.state, 'diagnosed', await p.textContent('#result'));
  assert.equal(data.mode, 'page');
  assert.equal(data.family, 'nginx');
  assert.equal(data.code, '502');
  assert.equal(await p.evaluate(() => window.__pwned), undefined, 'no pasted script ran');
  assert.equal(await p.$$eval('#app img, #app script', (els) => els.length), 0, 'no element from the paste');
  assert.deepEqual(p.errors, []);

  // A raw HTTP response (curl -i) carries its own status line and headers.
  await p.click('#clear');
  await p.fill('#input', RAW_NGINX_503);
  await p.click('#run');
  await waitFor(async () => (await rootData(p)).code === '503', { what: 'raw response diagnosed' });
  assert.equal((await rootData(p)).family, 'nginx');

  // Bad input: one readable line, no crash.
  await p.click('#clear');
  await p.fill('#input', '{"report_schema": 1, "diagnosis": }');
  await p.click('#run');
  assert.equal((await waitResult(p)).state, 'error');
  assert.match(await p.textContent('#error'), /line 1 column \d+/);
  await p.fill('#input', '{"report_schema": 7}');
  await p.click('#run');
  await waitFor(async () => /unsupported report_schema 7/.test(await p.textContent('#error')), { what: 'schema error' });
  await p.close();
});

test('a HAR file: failed document/XHR entries, each diagnosed, details on click', async () => {
  const p = await replayPage();
  await p.setInputFiles('#file', path.join(REPO, 'tests/har/chrome-shop.har'));
  let data = await waitResult(p);
  assert.equal(data.state, 'diagnosed', await p.textContent('#result'));
  assert.equal(data.mode, 'har');
  assert.equal(data.rows, '4');
  const rows = await p.$$eval('#har-table tbody tr', (trs) => trs.map((tr) => ({ ...tr.dataset })));
  assert.deepEqual(rows.map((r) => r.index), ['1', '3', '4', '8']);
  // The first failure is opened: nginx's 502 document.
  assert.equal(data.family, 'nginx');
  assert.equal(data.code, '502');
  assert.equal(await p.getAttribute('#har-detail', 'data-index'), '1');
  // The chooser is emptied once read, so that choosing the same file again is a change the
  // browser reports (Playwright's setInputFiles would report it either way).
  assert.equal(await p.inputValue('#file'), '');
  assert.match(await p.textContent('#file-info'), /^chrome-shop\.har \(\d+ kB\)$/);
  // Click the DNS failure.
  await p.click('#har-table tbody tr[data-index="4"]');
  data = await rootData(p);
  assert.equal(data.kind, 'network_error');
  assert.equal(await p.getAttribute('#har-detail', 'data-index'), '4');
  assert.match(await p.textContent('#har-detail'), /cdn\.shop-assets\.example/);
  // Successful entries on request.
  await p.check('#har-all');
  await waitFor(async () => (await rootData(p)).rows === '7', { what: '--all rows' });

  // Drag and drop a Firefox HAR (no _resourceType) onto the page.
  const firefox = readFileSync(path.join(REPO, 'tests/har/firefox-wiki.har'), 'utf8');
  await p.evaluate((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'firefox-wiki.har', { type: 'application/json' }));
    document.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, firefox);
  await waitFor(async () => (await p.textContent('#har-summary')).includes('firefox-wiki.har'), { what: 'dropped HAR' });
  data = await rootData(p);
  assert.equal(data.rows, '3');
  assert.equal(data.family, 'apache');

  // A truncated HAR: one line with the position.
  await p.evaluate((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'cut.har', { type: 'application/json' }));
    document.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, firefox.slice(0, 3000));
  await p.waitForSelector('#app[data-state="error"]');
  assert.match(await p.textContent('#error'), /EOF.*line \d+ column \d+.*truncated/);
  // The first file chosen again replaces the error with its table.
  await p.setInputFiles('#file', path.join(REPO, 'tests/har/chrome-shop.har'));
  await p.waitForSelector('#app[data-state="diagnosed"]');
  data = await rootData(p);
  assert.equal(data.rows, '4');
  assert.equal(data.family, 'nginx');
  assert.deepEqual(p.errors, []);
  await p.close();
});
