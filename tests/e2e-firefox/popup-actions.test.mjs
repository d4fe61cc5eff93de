// The popup and its actions in Firefox ESR (headless), where the browser API differs from
// Chrome's: the popup renders the stored diagnosis with its data-* attributes; "clear this
// site's cache" cannot be limited to one origin in Firefox, so it asks before emptying the whole
// cache (and only then does it); auto-retry schedules its countdown with an alarm.
//
// The harness's extension page IS popup.html; each test points it at a tab with ?tab=<id>.
// Needs `make build` first. Run: node --test --test-concurrency=1 tests/e2e-firefox/popup-actions.test.mjs
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchFirefox } from './harness.mjs';
import { waitFor, nginxRoute } from '../e2e/harness.mjs';

let h;
before(async () => { h = await launchFirefox(); });
after(async () => { await h?.close(); });

/** Re-renders the harness's extension page as the popup for `tabId`. */
async function showPopup(tabId) {
  await h.ext((t) => { location.search = `?tab=${t}`; return true; }, tabId).catch(() => {});
  return waitFor(async () => {
    try {
      return await h.ext((t) => (location.search === `?tab=${t}`
        && document.getElementById('app').dataset.state !== 'loading'
        ? { ...document.getElementById('app').dataset } : null), tabId);
    } catch {
      return null; // the page is navigating
    }
  }, { what: `popup for tab ${tabId}`, timeout: 20_000 });
}

const click = (sel) => h.ext((s) => { document.querySelector(s).click(); return true; }, sel);
const app = () => h.ext(() => ({ ...document.getElementById('app').dataset }));

test('popup shows the stored diagnosis (data-*, plain words)', async () => {
  const tabId = await h.openTab(h.zoo.url(nginxRoute(h.zoo, '/ff-popup')));
  const s = await h.waitForState(tabId);
  const data = await showPopup(tabId);
  assert.equal(data.state, 'diagnosed');
  assert.equal(data.kind, s.diagnosis.kind);
  assert.equal(data.family, 'nginx');
  assert.equal(data.fault, 'site');
  assert.equal(data.code, '502');
  assert.equal(await h.ext(() => document.getElementById('headline').textContent), "The website's server is failing — it's not your device");
  await h.closeTab(tabId);
});

test('clear cache in Firefox: asks first (whole cache), clears only after consent', async () => {
  h.zoo.set('/ff-clear', { status: 502, headers: { 'content-length': '0' }, body: '' });
  const tabId = await h.openTab(h.zoo.url('/ff-clear'));
  await h.waitForState(tabId);
  await showPopup(tabId);
  await click('#remedies li[data-action="clear_site_cache"] > button');
  await waitFor(() => h.ext(() => !document.getElementById('confirm').hidden), { what: 'confirm panel' });
  assert.match(await h.ext(() => document.getElementById('confirm-text').textContent), /whole cache/);
  const s1 = await h.state(tabId);
  assert.ok(!s1.tried.some((x) => /cache/.test(x.outcome)), 'nothing done before consent');
  await click('#confirm-yes');
  await waitFor(async () => (await app()).lastOutcome === 'whole_cache_cleared', { what: 'whole_cache_cleared' });
  await h.closeTab(tabId);
});

test('auto-retry in Firefox: countdown from the stored schedule, alarm armed, cancel', async () => {
  h.zoo.set('/ff-retry', {
    status: 503,
    headers: { 'content-type': 'text/html', server: 'nginx', 'retry-after': '60' },
    body: '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>',
  });
  const tabId = await h.openTab(h.zoo.url('/ff-retry'));
  await h.waitForState(tabId);
  await showPopup(tabId);
  await click('#remedies li[data-action="auto_retry"] > button');
  await waitFor(() => h.ext(() => !!document.querySelector('#retry-text[data-next-at]')), { what: 'countdown' });
  const s = await h.state(tabId);
  assert.equal(s.retry.active, true);
  assert.equal(s.retry.retry_after_s, 60);
  assert.ok(await h.ext((t) => browser.alarms.get(`retry:${t}`).then((a) => !!a), tabId), 'alarm armed');
  await click('#retry-cancel');
  await waitFor(async () => (await h.state(tabId)).retry.outcome === 'cancelled', { what: 'cancelled' });
  await h.closeTab(tabId);
});
