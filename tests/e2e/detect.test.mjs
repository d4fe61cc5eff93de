// Detection end to end in Chromium: every zoo page gets the right badge, tooltip, stored
// diagnosis and popup; healthy pages get nothing (no badge, no state, no script injected);
// network errors (refused, DNS) are diagnosed from the error alone; web pages cannot reach the
// extension; and nothing the extension does leaves the machine.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, waitFor } from './harness.mjs';
import { FAULT_COLORS } from '../../extension/lib/observe.js';

let h;
before(async () => { h = await launch(); });
after(async () => { await h?.close(); });

const hexToRgba = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).concat(255);

/** Opens `url`, waits for the badge, checks badge/colour/tooltip/state against `expect`. */
async function expectDiagnosed(url, expect) {
  const tabId = await h.openTab(url);
  await h.waitForBadge(tabId, expect.badge, { timeout: 20_000 });
  const s = await h.waitForState(tabId);
  const d = s.diagnosis;
  assert.equal(s.url, url);
  assert.equal(s.tabId, tabId);
  for (const k of ['family', 'kind', 'fault', 'code']) {
    if (expect[k] !== undefined) assert.equal(d[k], expect[k], `${url}: diagnosis.${k}`);
  }
  // Chrome resets per-tab badge values when its own error page commits (empty body, network
  // error); the background re-applies them when the tab completes, so poll rather than read once.
  const want = hexToRgba(FAULT_COLORS[d.fault] || FAULT_COLORS.unknown);
  await waitFor(async () => JSON.stringify(await h.badgeColor(tabId)) === JSON.stringify(want),
    { what: `${url}: badge colour ${want} for fault ${d.fault}`, timeout: 10_000 });
  // Polled like the colour: the commit of the browser's error page resets it until re-applied.
  await waitFor(async () => /^Gateway Doctor — \S/.test(await h.title(tabId)),
    { what: `${url}: tooltip carries the diagnosis title`, timeout: 10_000 });
  assert.ok(Array.isArray(d.remedies) && d.remedies.length > 0, `${url}: remedies offered`);
  assert.ok(s.timing && Number.isFinite(s.timing.badge_ms), 'time to badge recorded');
  return { tabId, state: s };
}

test('every error page in the zoo: badge, colour, tooltip, stored diagnosis, popup data-*', async (t) => {
  const pages = h.zoo.pages.filter((p) => p.expect && p.expect.badge);
  assert.ok(pages.length >= 6, 'the zoo has the required pages');
  for (const p of pages) {
    await t.test(p.label, async () => {
      const { tabId, state } = await expectDiagnosed(h.zoo.url(p.path), p.expect);
      assert.equal(state.observation.status, p.status);
      assert.equal(state.observation.method, 'GET');
      if (p.body === '') {
        assert.deepEqual([state.body.length, state.body.blank], [0, true], 'an empty body is known to be empty');
      } else {
        assert.ok(state.body && state.body.length > 0, 'the body was read from the page');
        assert.equal(state.observation.body, null, 'the body itself is not stored, only its summary');
      }
      const popup = await h.openPopup(tabId);
      try {
        const app = popup.locator('#app[data-state="diagnosed"]');
        await app.waitFor({ timeout: 10_000 });
        assert.equal(await app.getAttribute('data-kind'), state.diagnosis.kind);
        assert.equal(await app.getAttribute('data-family'), state.diagnosis.family);
        assert.equal(await app.getAttribute('data-fault'), state.diagnosis.fault);
        assert.equal(await app.getAttribute('data-code'), state.diagnosis.code == null ? '' : String(state.diagnosis.code));
        assert.ok((await popup.locator('#headline, .headline').first().innerText()).trim().length > 5, 'headline shown');
        assert.ok(await popup.locator('[data-remedy]').count() > 0, 'remedy buttons shown');
        // No placeholder leaks into the text (a null appended to the DOM reads "null").
        assert.doesNotMatch(await popup.locator('#app').innerText(), /\b(null|undefined|NaN)\b|\[object /);
      } finally {
        await popup.close();
      }
      await h.closeTab(tabId);
    });
  }
});

test('Cloudflare: the page names the Ray ID; the two variations get different faults', async () => {
  const host = await expectDiagnosed(h.zoo.url('/cloudflare-host-502?v=ray'), { badge: '502' });
  const cdn = await expectDiagnosed(h.zoo.url('/cloudflare-cdn-502?v=ray'), { badge: '502' });
  assert.notEqual(host.state.diagnosis.fault, cdn.state.diagnosis.fault, 'host failure vs Cloudflare failure');
  const ray = (s) => (s.diagnosis.ids || []).find((i) => i.kind === 'cf-ray');
  assert.ok(ray(host.state), 'Ray ID of the host failure');
  assert.match(ray(cdn.state).value, /7d1c0ffee0c0ffee/);
});

test('connection refused: diagnosed from the network error alone', async () => {
  const url = `http://127.0.0.1:${h.refusedPort}/`;
  const { state } = await expectDiagnosed(url, { badge: 'OFF', kind: 'network_error' });
  assert.equal(state.observation.net_error, 'net::ERR_CONNECTION_REFUSED');
  assert.equal(state.observation.status, null);
  assert.equal(state.body, null, 'nothing read from a browser error page');
});

test('DNS failure (broken.test mapped to NOTFOUND inside Chromium)', async () => {
  const { state } = await expectDiagnosed('http://broken.test/', { badge: 'DNS', kind: 'network_error', fault: 'network' });
  assert.equal(state.observation.net_error, 'net::ERR_NAME_NOT_RESOLVED');
});

test('healthy 200 pages (including one imitating Cloudflare): no badge, no state, nothing injected', async () => {
  const before = await h.stats();
  const healthyBefore = await h.sw(() => globalThis.gdDebug.healthy);
  const urls = [h.zoo.url('/healthy?n=1'), h.zoo.url('/forged-cloudflare-200?n=1')];
  const tabs = [];
  for (const u of urls) tabs.push(await h.openTab(u));
  for (const t of tabs) await h.waitForLoad(t);
  // Wait until the worker has handled both onCompleted events (in-memory counter, no sleep).
  await waitFor(async () => (await h.sw(() => globalThis.gdDebug.healthy)) >= healthyBefore + 2, { what: 'healthy loads handled' });
  for (const t of tabs) {
    assert.equal(await h.badge(t), '', 'no badge');
    assert.equal(await h.state(t), null, 'no state');
  }
  const after = await h.stats();
  assert.equal(after.injections, before.injections, 'scripting.executeScript was not called');
  // The page itself shows no trace of the extension either.
  const page = await h.pageOf(tabs[0]);
  assert.equal(await page.evaluate(() => document.documentElement.outerHTML.includes('gateway')), false);
  for (const t of tabs) await h.closeTab(t);
});

test('a failing tab that loads a healthy page is cleared (badge and state)', async () => {
  const url = h.zoo.url('/nginx-502?n=clear');
  const { tabId } = await expectDiagnosed(url, { badge: '502' });
  await h.navigate(tabId, h.zoo.url('/healthy?n=clear'));
  await h.waitForBadge(tabId, '');
  await h.waitForState(tabId, (s) => s === null);
  await h.closeTab(tabId);
});

test('closing a tab drops its state', async () => {
  const { tabId } = await expectDiagnosed(h.zoo.url('/google-502?n=close'), { badge: '502' });
  await h.closeTab(tabId);
  await h.waitForState(tabId, (s) => s === null);
});

test('web pages cannot reach the extension or its state', async () => {
  const page = await h.context.newPage();
  await page.goto(h.zoo.url('/healthy?n=hostile'));
  const r = await page.evaluate(async (id) => {
    const out = { runtime: typeof chrome !== 'undefined' && !!chrome.runtime && typeof chrome.runtime.sendMessage };
    try {
      // Without externally_connectable, pages have no messaging API into the extension.
      await chrome.runtime.sendMessage(id, { type: 'gd/run_action', tabId: 1, remedyId: 'hard_refresh' });
      out.sent = true;
    } catch (e) {
      out.error = String(e && e.message);
    }
    try {
      const res = await fetch(`chrome-extension://${id}/manifest.json`);
      out.fetched = res.status;
    } catch (e) {
      out.fetchError = true;
    }
    return out;
  }, h.extId);
  assert.notEqual(r.sent, true, `a page sent a message: ${JSON.stringify(r)}`);
  assert.notEqual(r.fetched, 200, 'extension files are not web-accessible');
  await page.close();
});

test('messages from the extension\'s own pages are validated', async () => {
  const page = await h.context.newPage();
  await page.goto(`${h.extOrigin}/popup.html?tab=999999`);
  const res = await page.evaluate(async () => Promise.all([
    chrome.runtime.sendMessage({ type: 'gd/nope' }),
    chrome.runtime.sendMessage({ type: 'gd/get_state', tabId: 'x' }),
    chrome.runtime.sendMessage({ type: 'gd/run_action', tabId: 999999, remedyId: 'hard_refresh' }),
    chrome.runtime.sendMessage({ type: 'gd/get_state', tabId: 999999 }),
    chrome.runtime.sendMessage({ type: 'gd/diagnose', observation: { status: 'not a number' } }),
    chrome.runtime.sendMessage({ type: 'gd/get_version' }),
  ]));
  assert.equal(res[0].ok, false);
  assert.match(res[0].error, /unknown message type/);
  assert.equal(res[1].ok, false);
  assert.equal(res[2].ok, false, 'no action for a tab without a diagnosis');
  assert.deepEqual(res[3], { state: null, ok: true });
  assert.equal(res[4].ok, false, 'malformed observation → error value');
  assert.equal(res[5].ok, true, 'the worker keeps serving after a bad request');
  assert.ok(res[5].version.engine);
  await page.close();
});

test('privacy: the extension fetched nothing; nothing reached the sinkhole; the detector works', async () => {
  const fromExtension = h.requests.filter((r) => r.fromExtension && /^https?:/.test(r.url));
  assert.deepEqual(fromExtension, [], 'detection and the popup make no network request at all');
  h.assertPrivacy();
  // Negative control: a request to a foreign host is caught by both detectors.
  await h.sw(() => fetch('http://telemetry.example/ping').catch(() => null));
  await waitFor(() => h.sink.seen.length > 0, { what: 'sinkhole sees the control request' });
  assert.ok(h.privacyViolations().some((v) => v.includes('telemetry.example')));
  h.sink.seen.length = 0;
  h.requests.splice(0, h.requests.length, ...h.requests.filter((r) => !r.url.includes('telemetry.example')));
});
