// The popup and its actions in Firefox ESR (headless), where the browser API differs from
// Chrome's: the popup renders the stored diagnosis with its data-* attributes; "clear this
// site's cache" cannot be limited to one origin in Firefox, so it asks before emptying the whole
// cache (and only then does it); auto-retry schedules its countdown with an alarm; "sign me
// out" deletes this host's cookies through the cookies API and its storage by host:port (Firefox's
// browsingData has no `origins`, and its `hostnames` must carry a non-default port), and nothing
// of another host; "reload without the cache" on a form answer loads the address with a GET
// instead of re-posting; an auto-retry check redirected to another origin is "can't tell".
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

test('sign-out in Firefox: asks first, then only this host\'s cookies and storage go', async () => {
  const [A, B] = ['127.0.0.1', 'localhost'];
  const port = h.zoo.port;
  const gdCookies = () => h.ext(async () => (await browser.cookies.getAll({}))
    .filter((c) => c.name.startsWith('gd_ff_')).map((c) => `${c.name}@${c.domain}`).sort());
  await h.ext(async ({ a, b, p }) => {
    await browser.cookies.set({ url: `http://${a}:${p}/`, name: 'gd_ff_a', value: '1' });
    await browser.cookies.set({ url: `http://${b}:${p}/`, name: 'gd_ff_b', value: '1' });
    return true;
  }, { a: A, b: B, p: port });
  assert.deepEqual(await gdCookies(), ['gd_ff_a@127.0.0.1', 'gd_ff_b@localhost']);
  // This host's local storage, written by a page of it.
  const siteTab = await h.openTab(h.zoo.url('/healthy?ff-signout-a', A));
  await waitFor(async () => (await h.tabStatus(siteTab)) === 'complete', { what: 'site tab load' });
  const storage = (op) => h.ext(async ({ t, o }) => (await browser.scripting.executeScript({
    target: { tabId: t },
    func: (x) => {
      if (x === 'set') localStorage.setItem('gd_keep', '1');
      return localStorage.getItem('gd_keep');
    },
    args: [o],
  }))[0].result, { t: siteTab, o: op });
  assert.equal(await storage('set'), '1');

  h.zoo.set('/ff-signout', { status: 502, headers: { 'content-length': '0' }, body: '' });
  const tabId = await h.openTab(h.zoo.url('/ff-signout', A));
  await h.waitForState(tabId);
  await showPopup(tabId);
  await click('#do-sign_out_site');
  await waitFor(() => h.ext(() => !document.getElementById('confirm').hidden), { what: 'confirm panel' });
  const text = await h.ext(() => document.getElementById('confirm-text').textContent);
  assert.match(text, /cookies of 127\.0\.0\.1 \(1\)/, text);
  assert.match(text, new RegExp(`data 127\\.0\\.0\\.1:${port} saved`), 'Firefox scopes storage by host:port, and says so');
  assert.deepEqual(await gdCookies(), ['gd_ff_a@127.0.0.1', 'gd_ff_b@localhost'], 'nothing deleted before consent');
  await click('#confirm-yes');
  await waitFor(async () => (await app()).lastOutcome === 'signed_out', { what: 'signed_out' });
  assert.deepEqual(await gdCookies(), ['gd_ff_b@localhost'], 'only this host\'s cookie went');
  await h.ext((t) => browser.tabs.reload(t).then(() => true), siteTab);
  await waitFor(async () => (await h.tabStatus(siteTab)) === 'complete', { what: 'site tab reload' });
  assert.equal(await storage('get'), null, 'this host\'s local storage deleted');
  await h.closeTab(siteTab);
  await h.closeTab(tabId);
});

test('reload without the cache on a form answer in Firefox: warns, loads with a GET, never re-posts', async () => {
  h.zoo.set('/ff-post-form', {
    status: 200,
    headers: { 'content-type': 'text/html' },
    body: '<!doctype html><title>Order</title><form method=post action=/ff-post-502><input type=hidden name=item value=book></form>',
  });
  nginxRoute(h.zoo, '/ff-post-502');
  const tabId = await h.openTab(h.zoo.url('/ff-post-form'));
  await waitFor(async () => (await h.tabStatus(tabId)) === 'complete', { what: 'form page load' });
  await h.ext((t) => browser.scripting.executeScript({ target: { tabId: t }, func: () => { document.forms[0].submit(); } }).then(() => true), tabId);
  await h.waitForState(tabId, (st) => st && st.diagnosis && st.observation.method === 'POST');
  const sent = (m) => h.zoo.requests('/ff-post-502').filter((r) => r.method === m).length;
  assert.equal(sent('POST'), 1);
  await showPopup(tabId);
  await click('#remedies li[data-action="reload_bypass_cache"] > button');
  await waitFor(() => h.ext(() => !document.getElementById('confirm').hidden), { what: 'confirm panel' });
  assert.match(await h.ext(() => document.getElementById('confirm-text').textContent), /form you sent \(POST\)/);
  assert.equal(sent('POST') + sent('GET'), 1, 'nothing sent before the choice');
  await click('#confirm-yes');
  await waitFor(() => sent('GET') >= 1, { what: 'a GET load of the address' });
  await waitFor(async () => (await app()).lastOutcome === 'reloaded_get', { what: 'reloaded_get' });
  assert.equal(sent('POST'), 1, 'the form was never sent again');
  await h.closeTab(tabId);
});

test('auto-retry in Firefox: a check redirected to another origin is not "the site is back"', async () => {
  // The visitor has a session on 127.0.0.1, where the page fails; a visitor without cookies is
  // sent to a login page on another origin (localhost) that answers 200.
  const port = h.zoo.port;
  h.zoo.set('/ff-login', { status: 200, headers: { 'content-type': 'text/html' }, body: '<!doctype html><title>Sign in</title>' });
  h.zoo.set('/ff-retry-login', {
    status: 502,
    headers: { 'content-type': 'text/html', server: 'nginx' },
    body: NGINX_502,
    anonymous: { status: 302, headers: { location: `http://localhost:${port}/ff-login` }, body: '' },
  });
  await h.ext((p) => browser.cookies.set({ url: `http://127.0.0.1:${p}/`, name: 'gd_ff_session', value: '1' }).then(() => true), port);
  const tabId = await h.openTab(h.zoo.url('/ff-retry-login'));
  await h.waitForState(tabId);
  const tabLoads = () => h.zoo.requests('/ff-retry-login').filter((r) => r.headers.cookie);
  assert.equal(tabLoads().length, 1);
  await h.ext((t) => { location.search = `?tab=${t}&retry_first_delay_s=1`; return true; }, tabId).catch(() => {});
  await waitFor(async () => {
    try {
      return await h.ext(() => !!document.querySelector('#remedies li[data-action="auto_retry"] > button'));
    } catch {
      return false;
    }
  }, { what: 'popup with the retry hook' });
  await click('#remedies li[data-action="auto_retry"] > button');
  await waitFor(() => h.zoo.requests('/ff-login').length >= 1, { what: 'the check followed the redirect', timeout: 20_000 });
  await waitFor(() => tabLoads().length >= 2, { what: 'the tab reloaded once', timeout: 20_000 });
  const s = await h.waitForState(tabId, (st) => st && st.retry && st.retry.attempt >= 1);
  assert.equal(s.retry.last_verdict, 'unclear');
  assert.equal(s.retry.redirected_to, `localhost:${port}`);
  assert.notEqual(s.retry.outcome, 'recovered');
  assert.ok(!s.tried.some((x) => x.outcome === 'recovered'));
  await click('#retry-cancel').catch(() => {});
  await h.ext((p) => browser.cookies.remove({ url: `http://127.0.0.1:${p}/`, name: 'gd_ff_session' }).then(() => true), port);
  await h.closeTab(tabId);
});
