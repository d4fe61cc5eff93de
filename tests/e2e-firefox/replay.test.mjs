// The replay page ("Diagnose a report", replay.html) in Firefox ESR (headless), with dist/firefox:
//   - a report built by the Firefox popup (502 page, and a refused connection with its
//     NS_ERROR_* code) holds none of the planted secrets and replays to the popup's very
//     diagnosis; a tampered report is flagged field by field;
//   - a pasted page body with status and headers, or a raw `curl -i` response, is diagnosed,
//     and a script in the paste never runs;
//   - a HAR file read through the real file input, a Firefox HAR dropped on the page and a
//     pasted HAR give the table of failed document/XHR entries, each diagnosed, with details on
//     click and on Enter;
//   - broken input gives one readable line and the page keeps working; nothing leaves the machine.
//
// Firefox workarounds:
//   - BiDi will not navigate a tab to a moz-extension:// URL (see harness.mjs), so the replay
//     page and the popup are opened with browser.tabs.create from the harness's extension page,
//     and driven with script.evaluate in their own BiDi context.
//   - Firefox's WebDriver BiDi sends no log.entryAdded (console, uncaught errors) for
//     moz-extension:// documents, so each page gets an in-page collector for uncaught errors,
//     rejections and dialogs once it has loaded (a failed load shows as data-state="error").
//   - The file chooser is fed with BiDi input.setFiles (a real File from disk, read by FileReader).
//
// Needs `make build` first. Run: node --test --test-concurrency=1 tests/e2e-firefox/replay.test.mjs
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { launchFirefox } from './harness.mjs';
import {
  waitFor, REPO, NGINX_502, SECRETS, SECRET_PAGE, SECRET_PAGE_QUERY, HOSTILE, RAW_NGINX_503,
} from '../e2e/harness.mjs';

const CHROME_HAR = path.join(REPO, 'tests/har/chrome-shop.har');
const FIREFOX_HAR = path.join(REPO, 'tests/har/firefox-wiki.har');

let h;
before(async () => { h = await launchFirefox(); });
after(async () => { await h?.close(); }); // throws if anything reached the sinkhole proxy

let pageSeq = 0;
/**
 * Opens an extension page (`replay.html`, `popup.html?tab=3`) in a new tab and returns
 * `{ run(fn, arg), … }` to drive it: `fn(arg)` runs in the page (JSON in, JSON out), like `h.ext`.
 */
async function openPage(file, ready) {
  const conn = h.browser.connection;
  // A unique query tells the new tab's BiDi context apart; both pages ignore unknown parameters.
  const url = `${h.extOrigin}/${file}${file.includes('?') ? '&' : '?'}gdpage=${++pageSeq}`;
  const tabId = await h.ext((u) => browser.tabs.create({ url: u, active: true }).then((t) => t.id), url);
  const ctx = await waitFor(async () => {
    const tree = await conn.send('browsingContext.getTree', {});
    return tree.result.contexts.find((c) => c.url === url)?.context;
  }, { what: `context of ${file}`, timeout: 20_000 });
  const run = async (fn, arg) => {
    const expression = `(async () => JSON.stringify(await (${fn.toString()})(${JSON.stringify(arg ?? null)})))()`;
    const r = (await conn.send('script.evaluate', { expression, target: { context: ctx }, awaitPromise: true })).result;
    if (r.type !== 'success') throw new Error(`in ${file}: ${r.exceptionDetails?.text}`);
    return r.result.value === undefined ? undefined : JSON.parse(r.result.value);
  };
  await waitFor(() => run(ready), { what: `${file} ready`, timeout: 20_000 });
  await run(() => {
    window.__gdErrors = [];
    window.addEventListener('error', (ev) => window.__gdErrors.push(`error: ${ev.message}`));
    window.addEventListener('unhandledrejection', (ev) => window.__gdErrors.push(`rejection: ${ev.reason}`));
    for (const k of ['alert', 'confirm', 'prompt']) window[k] = (m) => { window.__gdErrors.push(`dialog: ${m}`); };
    return true;
  });
  const p = {
    tabId,
    ctx,
    run,
    errors: () => run(() => window.__gdErrors),
    text: (sel) => run((s) => document.querySelector(s)?.textContent ?? null, sel),
    click: (sel) => run((s) => { document.querySelector(s).click(); return true; }, sel),
    /** Sets a field as typing would (the page listens to `input`). */
    fill: (sel, value) => run(([s, v]) => {
      const el = document.querySelector(s);
      el.value = v;
      el.dispatchEvent(new Event('input', { bubbles: true }));
      return true;
    }, [sel, value]),
    data: () => run(() => ({ ...document.getElementById('app').dataset })),
    close: () => h.closeTab(tabId),
  };
  return p;
}

/** A fresh replay page, engine loaded (`data-state="idle"`). */
const replayPage = () => openPage('replay.html', () => document.getElementById('app')?.dataset.state === 'idle');

/** Waits for a result (`diagnosed` or `error`) and returns the root data-*. */
async function diagnose(p) {
  await p.click('#run');
  return waitFor(async () => {
    const d = await p.data();
    return ['diagnosed', 'error'].includes(d.state) ? d : null;
  }, { what: 'replay result' });
}

/** Drops `text` as a file named `name` on the page (a synthetic drop: no OS drag in headless). */
const dropFile = (p, name, text) => p.run(([n, t]) => {
  const dt = new DataTransfer();
  dt.items.add(new File([t], n, { type: 'application/json' }));
  return !document.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
}, [name, text]);

/** The report JSON the Firefox popup shows for `tabId`, and the popup's root data-*. */
async function popupReport(tabId) {
  const popup = await openPage(`popup.html?tab=${tabId}`, () => document.getElementById('app')?.dataset.state === 'diagnosed');
  const popupData = await popup.data();
  await popup.click('#report > summary');
  // "Loading…" until the background has built it.
  const preview = async () => {
    const t = await popup.text('#report-preview');
    return t && t.trim() && !/Loading/.test(t) ? t : null;
  };
  const markdown = await waitFor(preview, { what: 'markdown report' });
  await popup.click('#fmt-json');
  const json = await waitFor(async () => {
    const t = await preview();
    return t && t.trimStart().startsWith('{') ? t : null;
  }, { what: 'JSON report' });
  assert.deepEqual(await popup.errors(), []);
  await popup.close();
  return { popupData, markdown, json };
}

test('a report copied from the Firefox popup: no secrets, replays to the popup\'s diagnosis', async () => {
  h.zoo.set('/ff-support-502', SECRET_PAGE);
  const tabId = await h.openTab(h.zoo.url(`/ff-support-502${SECRET_PAGE_QUERY}`));
  const state = await h.waitForState(tabId);
  const { popupData, markdown, json } = await popupReport(tabId);
  for (const s of SECRETS) {
    assert.ok(!json.includes(s), `JSON report leaks ${s}`);
    assert.ok(!markdown.includes(s), `Markdown report leaks ${s}`);
  }
  const report = JSON.parse(json);
  assert.equal(report.report_schema, 1);
  assert.equal(report.request.url, h.zoo.url('/ff-support-502'));
  assert.match(report.client.browser, /^firefox\/\d+$/);
  // Firefox's webRequest gives the headers: only the allow-listed ones are kept.
  const ALLOWED = ['server', 'via', 'cf-ray', 'cf-cache-status', 'cf-error-type', 'x-cache', 'x-amz-cf-id',
    'x-amz-cf-pop', 'x-served-by', 'x-fastly-request-id', 'x-vercel-id', 'x-request-id', 'age',
    'retry-after', 'date', 'content-type', 'content-length'];
  const names = report.response.headers.map((x) => x.name);
  assert.ok(names.every((n) => ALLOWED.includes(n)), `only allow-listed headers: ${names}`);
  assert.ok(names.includes('server') && names.includes('x-request-id'), `useful headers kept: ${names}`);
  assert.equal(report.diagnosis.family, state.diagnosis.family);
  assert.equal(popupData.family, 'nginx', 'the engine recognises the page');

  const p = await replayPage();
  await p.fill('#input', json);
  const data = await diagnose(p);
  assert.equal(data.state, 'diagnosed', await p.text('#result'));
  assert.equal(data.mode, 'report');
  assert.equal(data.agrees, 'true');
  for (const k of ['kind', 'family', 'fault', 'code']) assert.equal(data[k], popupData[k], `data-${k}`);
  assert.match(await p.text('#verdict'), /agrees/);
  assert.match(await p.text('#detected'), /report/);
  // The report's address is shown, without the query the report dropped.
  const meta = await p.text('#report-meta');
  assert.ok(meta.startsWith(h.zoo.url('/ff-support-502')) && !meta.includes('S3CRET'), meta);

  // A report whose recorded diagnosis differs is flagged field by field.
  const changed = { ...report, diagnosis: { ...report.diagnosis, family: 'iis' } };
  await p.fill('#input', JSON.stringify(changed));
  const d2 = await diagnose(p);
  assert.equal(d2.agrees, 'false');
  assert.equal(d2.family, popupData.family, "today's diagnosis, not the recorded one");
  assert.deepEqual(await p.run(() => [...document.querySelectorAll('#differences li')].map((li) => li.dataset.field)), ['family']);

  // The report dropped as text (a selection dragged from a ticket) is read like a paste.
  await p.click('#clear');
  assert.equal(await p.run((t) => {
    const dt = new DataTransfer();
    dt.setData('text/plain', t);
    return !document.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, json), true, 'the page takes the drop');
  const d3 = await waitFor(async () => {
    const d = await p.data();
    return d.state === 'diagnosed' ? d : null;
  }, { what: 'dropped report' });
  assert.equal(d3.mode, 'report');
  assert.equal(d3.agrees, 'true');
  assert.equal(d3.family, popupData.family);
  assert.deepEqual(await p.errors(), []);
  await p.close();
  await h.closeTab(tabId);
});

test('a Firefox network-error report (NS_ERROR_*) replays to the same diagnosis', async () => {
  const tabId = await h.openTab(`http://127.0.0.1:${h.refusedPort}/ff-replay`);
  const state = await h.waitForState(tabId);
  assert.equal(state.observation.net_error, 'NS_ERROR_CONNECTION_REFUSED');
  const { popupData, json } = await popupReport(tabId);
  assert.equal(JSON.parse(json).response.net_error, 'NS_ERROR_CONNECTION_REFUSED');

  const p = await replayPage();
  await p.fill('#input', json);
  const data = await diagnose(p);
  assert.equal(data.state, 'diagnosed', await p.text('#result'));
  assert.equal(data.agrees, 'true', await p.text('#verdict'));
  assert.equal(data.kind, 'network_error');
  for (const k of ['kind', 'family', 'fault', 'code']) assert.equal(data[k], popupData[k], `data-${k}`);
  assert.deepEqual(await p.errors(), []);
  await p.close();
  await h.closeTab(tabId);
});

test('a pasted page body with status and headers is diagnosed; a script in it never runs', async () => {
  const p = await replayPage();
  await p.fill('#input', `${NGINX_502}${HOSTILE}`);
  await p.click('.page-details > summary');
  await p.fill('#status', '502');
  await p.fill('#headers', `Server: nginx/1.18.0\nX-Evil: ${HOSTILE}`);
  let data = await diagnose(p);
  assert.equal(data.state, 'diagnosed', await p.text('#result'));
  assert.equal(data.mode, 'page');
  assert.equal(data.family, 'nginx');
  assert.equal(data.code, '502');
  assert.match(await p.text('#chip-family'), /nginx/);
  assert.notEqual((await p.text('#headline')).trim(), '');
  // The CSP alone would stop the script; no <img>/<script> in the DOM shows the paste stayed text.
  assert.equal(await p.run(() => window.__pwned ?? null), null, 'no pasted script ran');
  assert.equal(await p.run(() => document.querySelectorAll('#app img, #app script').length), 0, 'no element from the paste');

  // The typed status is what the engine sees: the same body as a 504 is a 504.
  await p.fill('#status', '504');
  data = await diagnose(p);
  assert.equal(data.code, '504');

  // A raw HTTP response (curl -i) carries its own status line and headers.
  await p.click('#clear');
  assert.equal((await p.data()).state, 'idle');
  await p.fill('#input', RAW_NGINX_503);
  data = await diagnose(p);
  assert.equal(data.state, 'diagnosed', await p.text('#result'));
  assert.equal(data.code, '503');
  assert.equal(data.family, 'nginx');
  assert.deepEqual(await p.errors(), []);
  await p.close();
});

test('broken input: one readable line each, and the page keeps working', async () => {
  const p = await replayPage();
  const expectError = async (re) => {
    const d = await diagnose(p);
    assert.equal(d.state, 'error', `expected an error, got ${JSON.stringify(d)}`);
    const msg = await p.text('#error');
    assert.match(msg, re);
    assert.ok(!msg.includes('\n'), `one line: ${msg}`);
  };
  await expectError(/Paste or drop something first/);
  await p.fill('#input', '{"report_schema": 1, "diagnosis": }');
  await expectError(/line 1 column \d+/);
  await p.fill('#input', '{"report_schema": 7}');
  await expectError(/unsupported report_schema 7/);
  await p.fill('#input', NGINX_502);
  await p.fill('#status', 'abc');
  await expectError(/status must be a number/);
  await p.fill('#status', '502');
  await p.fill('#headers', 'Server: nginx\nthis is not a header');
  await expectError(/Line 2 of the headers/);
  // The same page, fixed, is diagnosed: the errors did not break anything.
  await p.fill('#headers', 'Server: nginx');
  const d = await diagnose(p);
  assert.equal(d.state, 'diagnosed', await p.text('#result'));
  assert.equal(d.family, 'nginx');
  assert.equal(await p.run(() => document.getElementById('error')), null, 'the error line is gone');
  assert.deepEqual(await p.errors(), []);
  await p.close();
});

test('a HAR file: chosen, dropped or pasted; failed document/XHR entries, each diagnosed', async () => {
  const har = JSON.parse(readFileSync(CHROME_HAR, 'utf8'));
  const docXhr = har.log.entries
    .map((x, i) => ({ i, type: x._resourceType, status: x.response.status }))
    .filter((x) => ['document', 'xhr', 'fetch'].includes(x.type));
  // Failed = an HTTP error or no response at all (DNS failure, aborted).
  const failed = docXhr.filter((x) => x.status >= 400 || x.status === 0);
  assert.ok(failed.length >= 3 && failed.length < docXhr.length, 'the fixture mixes failures and successes');

  const p = await replayPage();
  // The real file input, as the file chooser fills it.
  const el = await h.browser.connection.send('script.evaluate', {
    expression: "document.getElementById('file')", target: { context: p.ctx }, awaitPromise: false, resultOwnership: 'root',
  });
  await h.browser.connection.send('input.setFiles', { context: p.ctx, element: { sharedId: el.result.result.sharedId }, files: [CHROME_HAR] });
  let data = await waitFor(async () => {
    const d = await p.data();
    return ['diagnosed', 'error'].includes(d.state) ? d : null;
  }, { what: 'HAR read from the file input' });
  assert.equal(data.state, 'diagnosed', await p.text('#result'));
  assert.equal(data.mode, 'har');
  assert.equal(data.rows, String(failed.length));
  assert.match(await p.text('#file-info'), /^chrome-shop\.har \(\d+ kB\)$/);
  assert.match(await p.text('#har-summary'), new RegExp(`^${failed.length} failed .* chrome-shop\\.har$`));
  assert.equal(await p.run(() => document.getElementById('input').value), '', 'a HAR stays out of the textarea');
  const rows = await p.run(() => [...document.querySelectorAll('#har-table tbody tr')].map((tr) => ({ ...tr.dataset })));
  assert.deepEqual(rows.map((r) => Number(r.index)), failed.map((x) => x.i));
  for (const r of rows) {
    const st = har.log.entries[r.index].response.status;
    if (st >= 400) assert.equal(r.code, String(st), `row ${r.index}: the HTTP status is the code`);
    assert.ok(r.kind && r.family, `row ${r.index} is diagnosed: ${JSON.stringify(r)}`);
  }
  // The first failure is opened: nginx's 502 document.
  assert.equal(await p.run(() => document.getElementById('har-detail').dataset.index), String(failed[0].i));
  assert.equal(data.family, 'nginx');
  assert.equal(data.code, String(har.log.entries[failed[0].i].response.status));

  // Click the DNS failure: its details replace the first one's.
  const dns = failed.find((x) => x.status === 0 && /NAME_NOT_RESOLVED/.test(har.log.entries[x.i].response._error));
  await p.click(`#har-table tbody tr[data-index="${dns.i}"]`);
  data = await p.data();
  assert.equal(data.kind, 'network_error');
  assert.equal(await p.run(() => document.getElementById('har-detail').dataset.index), String(dns.i));
  assert.match(await p.text('#har-detail'), /cdn\.shop-assets\.example/);
  assert.equal(await p.run((i) => document.querySelector(`#har-table tr[data-index="${i}"]`).getAttribute('aria-selected'), dns.i), 'true');

  // Enter on a focused row opens it too (a real key press, through BiDi input).
  const other = failed.find((x) => x.i !== dns.i && x.i !== failed[0].i);
  await p.run((i) => { document.querySelector(`#har-table tr[data-index="${i}"]`).focus(); return true; }, other.i);
  await h.browser.connection.send('input.performActions', {
    context: p.ctx,
    actions: [{ type: 'key', id: 'kb', actions: [{ type: 'keyDown', value: '\uE007' }, { type: 'keyUp', value: '\uE007' }] }],
  });
  await h.browser.connection.send('input.releaseActions', { context: p.ctx });
  await waitFor(async () => (await p.run(() => document.getElementById('har-detail').dataset.index)) === String(other.i), { what: 'row opened with Enter' });
  assert.equal((await p.data()).code, rows.find((r) => Number(r.index) === other.i).code);

  // Successful entries on request (re-run from the kept text, not re-read).
  await p.click('#har-all');
  await waitFor(async () => (await p.data()).rows === String(docXhr.length), { what: 'all document/XHR rows' });
  assert.deepEqual(await p.run(() => [...document.querySelectorAll('#har-table tbody tr')].map((tr) => Number(tr.dataset.index))), docXhr.map((x) => x.i));

  // Drop a HAR saved by Firefox (no _resourceType) onto the page.
  const firefox = readFileSync(FIREFOX_HAR, 'utf8');
  assert.equal(await dropFile(p, 'firefox-wiki.har', firefox), true, 'the page takes the drop (no navigation)');
  await waitFor(async () => (await p.text('#har-summary'))?.includes('firefox-wiki.har'), { what: 'dropped HAR' });
  data = await p.data();
  assert.equal(data.rows, '3');
  assert.equal(data.family, 'apache');
  assert.equal(data.code, '502');

  // A truncated HAR: one line with the position.
  await dropFile(p, 'cut.har', firefox.slice(0, 3000));
  await waitFor(async () => (await p.data()).state === 'error', { what: 'truncated HAR error' });
  assert.match(await p.text('#error'), /EOF.*line \d+ column \d+.*truncated/);

  // The first file chosen again. A file input reports only a choice that differs from its
  // value (BiDi's setFiles fires `cancel` instead of `change` for the same files, as the
  // chooser does), so this works only because the page empties the input after each read.
  assert.equal(await p.run(() => document.getElementById('file').value), '');
  await h.browser.connection.send('input.setFiles', { context: p.ctx, element: { sharedId: el.result.result.sharedId }, files: [CHROME_HAR] });
  data = await waitFor(async () => {
    const d = await p.data();
    return d.state === 'diagnosed' ? d : null;
  }, { what: 'the same HAR chosen again' });
  assert.equal(data.rows, String(failed.length));
  assert.match(await p.text('#har-summary'), /chrome-shop\.har$/);

  // The same Firefox HAR pasted as text.
  await p.click('#clear');
  await p.fill('#input', firefox);
  data = await diagnose(p);
  assert.equal(data.state, 'diagnosed', await p.text('#result'));
  assert.equal(data.mode, 'har');
  assert.equal(data.rows, '3');
  assert.match(await p.text('#har-summary'), /pasted text/);
  assert.deepEqual(await p.errors(), []);
  await p.close();
});

test('privacy: nothing reached the sinkhole proxy', () => {
  assert.deepEqual(h.sink.seen, []);
});
