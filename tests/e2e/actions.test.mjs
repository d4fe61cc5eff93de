// Each popup action's real effect, end to end (Chromium + dist/chrome + the error zoo):
//   hard refresh       → the zoo sees Cache-Control: no-cache / Pragma: no-cache
//   hard refresh of a form answer (POST) → warns, offers a GET load; the form is never re-sent
//   auto-retry         → checks without cookies, no reload while still failing, reloads once
//                        the zoo returns 200; survives the service worker being stopped; a check
//                        redirected to a login page on another origin is "can't tell": one
//                        reload of the tab, never "the site is back"
//   clear site cache   → this origin's cached entry is gone, another origin's is intact, and
//                        this origin's cookies and localStorage are intact
//   sign me out        → asks first, naming the shared parent domain; then only a.zoo.test's
//                        cookies and storage go (b.zoo.test's and zoo.test's stay); the
//                        parent-domain cookie only with the button that says so
//   private window     → refused without incognito access, with an explanation
//   status page        → opens in a new tab only on click
//   flush DNS          → shows the command with a working copy button
//   copy report        → the preview is exactly what is copied; no query string by default
//
// Needs `make build` first. Run: node --test --test-concurrency=1 tests/e2e/actions.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, waitFor } from './harness.mjs';

let h;
before(async () => {
  h = await launch();
  // Chromium refuses to grant permissions to extension origins, so the clipboard is read back
  // from a zoo page (same browser, same clipboard).
  await h.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.zoo.origin });
});

async function readClipboard() {
  const page = await h.context.newPage();
  try {
    await page.goto(h.zoo.url('/healthy?clipboard'));
    await page.bringToFront();
    return await page.evaluate(() => navigator.clipboard.readText());
  } finally {
    await page.close();
  }
}
after(async () => {
  await h?.close();
});

const nginx = (status, title = 'Bad Gateway') =>
  `<html>\r\n<head><title>${status} ${title}</title></head>\r\n<body>\r\n<center><h1>${status} ${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;

/**
 * A failing route: an nginx page by default; `empty: true` gives an empty-body 502, for which
 * the engine's ranking (blank_5xx) offers clearing the site's cache and a private window.
 */
function failRoute(pathname, { status = 502, headers = {}, empty = false } = {}) {
  if (empty) {
    h.zoo.set(pathname, { status, headers: { 'content-length': '0', ...headers }, body: '' });
    return;
  }
  h.zoo.set(pathname, {
    status,
    headers: { 'content-type': 'text/html', server: 'nginx', ...headers },
    body: nginx(status, status === 503 ? 'Service Temporarily Unavailable' : 'Bad Gateway'),
  });
}

async function popup(tabId, extra = '') {
  const p = await h.context.newPage();
  p.errors = [];
  p.on('pageerror', (e) => p.errors.push(e.message));
  await p.setViewportSize({ width: 400, height: 900 });
  await p.goto(`${h.extOrigin}/popup.html?tab=${tabId}${extra}`);
  await p.waitForSelector('#app[data-state="diagnosed"]', { timeout: 10_000 });
  return p;
}

/** The popup button for the first remedy with this action type; fails clearly when absent. */
async function actionButton(p, type) {
  const sel = `#remedies li[data-action="${type}"] > button`;
  const btn = await p.$(sel);
  if (!btn) {
    const offered = await p.$$eval('#remedies > li', (lis) => lis.map((li) => `${li.dataset.remedy}:${li.dataset.action}`));
    throw new Error(`no remedy with action ${type} offered; popup lists ${offered.join(', ')}`);
  }
  return btn;
}

const lastOutcome = (p) => p.evaluate(() => document.getElementById('app').dataset.lastOutcome || '');

test('hard refresh reloads bypassing the cache (the server sees no-cache)', async () => {
  failRoute('/act-hard-refresh');
  const tabId = await h.openTab(h.zoo.url('/act-hard-refresh'));
  await h.waitForState(tabId);
  const p = await popup(tabId);
  const before = h.zoo.requests('/act-hard-refresh').length;
  await (await actionButton(p, 'reload_bypass_cache')).click();
  const reload = await waitFor(() => h.zoo.requests('/act-hard-refresh').slice(before)
    .find((r) => r.headers['cache-control'] === 'no-cache' && r.headers.pragma === 'no-cache'), { what: 'a no-cache reload' });
  assert.equal(reload.method, 'GET');
  // The reload can reach the zoo before the worker's reply reaches the popup, so wait for it.
  await waitFor(async () => (await lastOutcome(p)) === 'reloaded', { what: 'reloaded outcome in the popup' });
  const s = await h.waitForState(tabId, (st) => st && (st.tried || []).some((x) => x.outcome === 'reloaded'));
  assert.equal(s.tried.filter((x) => x.outcome === 'reloaded').length, 1, 'recorded once');
  await p.close();
  await h.closeTab(tabId);
});

test('reload without the cache on a form answer (POST): warns, offers a GET load, never re-posts', async () => {
  // Only a hidden field: a visible one makes Chromium ask its autofill server about the form,
  // a request that would leave the machine.
  h.zoo.set('/act-post-form', {
    status: 200,
    headers: { 'content-type': 'text/html' },
    body: '<!doctype html><title>Order</title><form method=post action=/act-post-502><input type=hidden name=item value=book><button id=send>Buy</button></form>',
  });
  failRoute('/act-post-502');
  const form = await h.context.newPage();
  await form.goto(h.zoo.url('/act-post-form'));
  await Promise.all([form.waitForURL(/act-post-502/), form.click('#send')]);
  const tabId = await h.tabIdOf(form);
  const s = await h.waitForState(tabId, (st) => st && st.diagnosis && st.observation.method === 'POST');
  assert.equal(s.observation.status, 502);
  const sent = (m) => h.zoo.requests('/act-post-502').filter((r) => r.method === m).length;
  assert.equal(sent('POST'), 1);
  const p = await popup(tabId);
  await (await actionButton(p, 'reload_bypass_cache')).click();
  await p.waitForSelector('#confirm:not([hidden])');
  assert.match(await p.textContent('#confirm-text'), /answer to a form you sent \(POST\).*send the form again/);
  assert.equal(await p.textContent('#confirm-yes'), 'Load the address again, without re-sending the form');
  assert.equal(await p.evaluate(() => document.activeElement.id), 'confirm-no');
  assert.equal(sent('POST'), 1, 'nothing sent before the choice');
  assert.equal(sent('GET'), 0);
  await p.click('#confirm-yes');
  await waitFor(() => sent('GET') >= 1, { what: 'a GET load of the address' });
  await waitFor(async () => (await lastOutcome(p)) === 'reloaded_get', { what: 'reloaded_get outcome' });
  await h.waitForState(tabId, (st) => st && st.observation && st.observation.method === 'GET');
  assert.equal(sent('POST'), 1, 'the form was never sent again');
  const st = await h.state(tabId);
  assert.ok(st.tried.some((x) => x.outcome === 'reloaded_get'), 'recorded');
  await p.close();
  await form.close();
});

test('auto-retry: countdown, cookie-less checks, no reload while failing, reload when back', async () => {
  // Retry-After: 1 makes the first check come after 1 s; a cookie lets us tell the tab's own
  // requests (with cookie) from the extension's checks (credentials: 'omit').
  failRoute('/act-retry', { status: 503, headers: { 'retry-after': '1', 'set-cookie': 'gd_sid=abc; Path=/' } });
  const tabId = await h.openTab(h.zoo.url('/act-retry'));
  await h.waitForState(tabId);
  // No test hook here: the 1 s first wait must come from the server's Retry-After.
  const p = await popup(tabId);
  await (await actionButton(p, 'auto_retry')).click();
  await p.waitForSelector('#retry-text[data-next-at]', { timeout: 5000 });
  assert.match(await p.textContent('#retry-text'), /Checking again in \d+:\d\d \(check 1 of \d+\)/);
  assert.ok(await p.$('#retry-cancel'), 'a cancel button is offered');
  const s0 = await h.state(tabId);
  assert.equal(s0.retry.active, true);
  assert.equal(s0.diagnosis.retry_after_s, 1, 'the engine read Retry-After');
  assert.equal(s0.retry.retry_after_s, 1, 'the schedule honours it');
  assert.ok(s0.retry.next_at - s0.retry.started_at <= 1000, 'first check after Retry-After (1 s), not the 5 s default');
  assert.ok((await h.alarms()).some((a) => a.name === `retry:${tabId}`), 'alarm backstop set');

  const checks = () => h.zoo.requests('/act-retry').filter((r) => !r.headers.cookie);
  const tabLoads = () => h.zoo.requests('/act-retry').filter((r) => r.headers.cookie);
  await waitFor(() => checks().length >= 1, { what: 'first cookie-less check', timeout: 10_000 });
  assert.equal(tabLoads().length, 0, 'the failed first navigation had no cookie yet; no reload happened');
  const s1 = await h.waitForState(tabId, (st) => st && st.retry && st.retry.attempt >= 1);
  assert.equal(s1.retry.last_status, 503);
  assert.equal(s1.retry.active, true);
  // The countdown moved on to check 2.
  await waitFor(async () => /check 2 of/.test(await p.textContent('#retry-text')), { what: 'countdown for check 2' });

  h.zoo.flip('/act-retry', 200);
  await waitFor(() => tabLoads().length >= 1, { what: 'the tab reloaded after the site came back', timeout: 20_000 });
  await h.waitForBadge(tabId, '', { timeout: 10_000 });
  assert.equal(tabLoads().length, 1, 'exactly one reload: no error pages flashing');
  // The open popup says why the failure is gone.
  await p.waitForSelector('#app[data-state="empty"] #status', { timeout: 5000 });
  assert.match(await p.textContent('#status'), /The site is back/);
  assert.ok(checks().length >= 2);
  await p.close();
  await h.closeTab(tabId);
});

test('auto-retry: a check sent to a login page on another origin is not "the site is back"', async () => {
  // The visitor has a session on 127.0.0.1 and the page fails for it (502); a visitor without
  // cookies — like the quiet check — is sent to a login page on another origin, which answers
  // 200. That 200 says nothing about the page.
  const login = h.zoo.url('/act-login?next=act-retry-login', 'login.zoo.test');
  h.zoo.set('/act-login', { status: 200, headers: { 'content-type': 'text/html' }, body: '<!doctype html><title>Sign in</title><h1>Sign in</h1>' });
  h.zoo.set('/act-retry-login', {
    status: 502,
    headers: { 'content-type': 'text/html', server: 'nginx' },
    body: nginx(502),
    anonymous: { status: 302, headers: { location: login }, body: '' },
  });
  await h.context.addCookies([{ name: 'gd_session', value: '1', url: `${h.zoo.origin}/` }]);
  const tabId = await h.openTab(h.zoo.url('/act-retry-login'));
  await h.waitForState(tabId);
  const tabLoads = () => h.zoo.requests('/act-retry-login').filter((r) => r.headers.cookie);
  const checks = () => h.zoo.requests('/act-retry-login').filter((r) => !r.headers.cookie);
  assert.equal(tabLoads().length, 1);
  const p = await popup(tabId, '&retry_first_delay_s=1');
  await (await actionButton(p, 'auto_retry')).click();
  await waitFor(() => h.zoo.requests('/act-login').length >= 1, { what: 'the check followed the redirect to the login page' });
  // Loading the tab with the visitor's cookies is the real check: once.
  await waitFor(() => tabLoads().length >= 2, { what: 'the tab reloaded once to see for itself' });
  const s = await h.waitForState(tabId, (st) => st && st.retry && st.retry.attempt >= 1 && st.observation.status === 502
    && Date.parse(st.at) > st.retry.reloaded_at);
  assert.equal(s.retry.last_verdict, 'unclear');
  assert.equal(s.retry.redirected_to, `login.zoo.test:${h.zoo.port}`);
  assert.equal(s.retry.active, true, 'still watching, not declared fixed');
  assert.notEqual(s.retry.outcome, 'recovered');
  assert.ok(!s.tried.some((x) => x.outcome === 'recovered'), `tried: ${JSON.stringify(s.tried)}`);
  assert.ok(s.tried.some((x) => x.outcome === 'unclear_reloaded'));
  // The popup says why, and never "the site is back".
  await p.waitForSelector('#retry-note[data-verdict="unclear"]', { timeout: 10_000 });
  assert.match(await p.textContent('#retry-note'), /another site \(login\.zoo\.test:\d+\)/);
  assert.doesNotMatch(await p.textContent('#app'), /The site is back/);
  // The next check (5 s later) can't tell either: no second reload.
  await h.waitForState(tabId, (st) => st && st.retry && st.retry.attempt >= 2, { timeout: 15_000 });
  assert.ok(checks().length >= 2);
  assert.equal(tabLoads().length, 2, 'reloaded once, not at every check');
  await p.click('#retry-cancel');
  await waitFor(async () => (await h.state(tabId)).retry.outcome === 'cancelled', { what: 'cancelled' });
  await h.context.clearCookies({ name: 'gd_session' });
  await p.close();
  await h.closeTab(tabId);
});

test('auto-retry: when the reload fails again after a good check, the popup does not say "back"', async () => {
  // Visitors without cookies (the quiet check) get a 200 from this very address; the visitor's
  // own page, with its session cookie, still fails.
  h.zoo.set('/act-retry-anon-ok', {
    status: 502,
    headers: { 'content-type': 'text/html', server: 'nginx' },
    body: nginx(502),
    anonymous: { status: 200, headers: { 'content-type': 'text/html' }, body: '<!doctype html><title>Welcome</title>' },
  });
  await h.context.addCookies([{ name: 'gd_session2', value: '1', url: `${h.zoo.origin}/` }]);
  const tabId = await h.openTab(h.zoo.url('/act-retry-anon-ok'));
  await h.waitForState(tabId);
  const tabLoads = () => h.zoo.requests('/act-retry-anon-ok').filter((r) => r.headers.cookie);
  const p = await popup(tabId, '&retry_first_delay_s=1');
  await (await actionButton(p, 'auto_retry')).click();
  await waitFor(() => tabLoads().length >= 2, { what: 'the reload after the good check' });
  await h.waitForState(tabId, (st) => st && st.retry && st.retry.outcome === 'recovered' && Date.parse(st.at) > st.retry.ended_at);
  await waitFor(async () => (await p.getAttribute('#retry-text', 'data-outcome')) === 'reload_failed', { what: 'reload_failed shown' });
  assert.match(await p.textContent('#retry-text'), /reloading the page failed again/);
  assert.doesNotMatch(await p.textContent('#app'), /The site is back/);
  await h.context.clearCookies({ name: 'gd_session2' });
  await p.close();
  await h.closeTab(tabId);
});

test('auto-retry survives the service worker being stopped (alarm backstop + resume)', async () => {
  failRoute('/act-retry-sleep', { status: 503 });
  const tabId = await h.openTab(h.zoo.url('/act-retry-sleep'));
  await h.waitForState(tabId);
  const p = await popup(tabId, '&retry_first_delay_s=3');
  await (await actionButton(p, 'auto_retry')).click();
  await p.waitForSelector('#retry-text[data-next-at]', { timeout: 5000 });
  await p.close();
  h.zoo.flip('/act-retry-sleep', 200);
  // Kill the worker before the first check: its setTimeout dies with it; only the persisted
  // schedule and the alarm can bring the retry back.
  await h.stopWorker();
  const start = Date.now();
  await waitFor(() => h.zoo.requests('/act-retry-sleep').length >= 3, {
    what: 'check + reload after the worker was stopped', timeout: 45_000, interval: 250,
  });
  await h.waitForBadge(tabId, '', { timeout: 10_000 });
  console.log(`# retry resumed ${Math.round((Date.now() - start) / 100) / 10} s after the worker was stopped`);
  await h.closeTab(tabId);
});

test('the countdown survives the worker being stopped while the popup is open', async () => {
  failRoute('/act-retry-popup-stop', { status: 503 });
  const tabId = await h.openTab(h.zoo.url('/act-retry-popup-stop'));
  await h.waitForState(tabId);
  const p = await popup(tabId, '&retry_first_delay_s=40');
  await (await actionButton(p, 'auto_retry')).click();
  await p.waitForSelector('#retry-text[data-next-at]', { timeout: 5000 });
  const nextAt = await p.getAttribute('#retry-text', 'data-next-at');
  const before = await p.textContent('#retry-text');
  await h.stopWorker();
  // The open popup keeps counting down on its own…
  await waitFor(async () => (await p.textContent('#retry-text')) !== before, { what: 'countdown ticking' });
  // …and a freshly opened popup (which wakes the worker) shows the same schedule.
  await p.reload();
  await p.waitForSelector('#retry-text[data-next-at]', { timeout: 10_000 });
  assert.equal(await p.getAttribute('#retry-text', 'data-next-at'), nextAt);
  assert.ok((await h.alarms()).some((a) => a.name === `retry:${tabId}`), 'alarm still armed');
  await p.click('#retry-cancel');
  await waitFor(async () => (await p.getAttribute('#retry-text', 'data-outcome')) === 'cancelled', { what: 'cancel after restart' });
  await p.close();
  await h.closeTab(tabId);
});

test('auto-retry cancel stops the countdown and the alarm', async () => {
  failRoute('/act-retry-cancel', { status: 503 });
  const tabId = await h.openTab(h.zoo.url('/act-retry-cancel'));
  await h.waitForState(tabId);
  const p = await popup(tabId);
  await (await actionButton(p, 'auto_retry')).click();
  await p.waitForSelector('#retry-cancel', { timeout: 5000 });
  await p.click('#retry-cancel');
  await waitFor(async () => (await p.getAttribute('#retry-text', 'data-outcome')) === 'cancelled', { what: 'cancelled shown' });
  const s = await h.state(tabId);
  assert.equal(s.retry.active, false);
  assert.ok(!(await h.alarms()).some((a) => a.name === `retry:${tabId}`), 'alarm cleared');
  const retryId = s.diagnosis.remedies.find((r) => r.action && r.action.type === 'auto_retry').id;
  assert.ok(s.tried.some((x) => x.id === retryId && x.outcome === 'cancelled'), 'cancel recorded under the remedy id');
  await p.close();
  await h.closeTab(tabId);
});

test('auto-retry stops when the visitor navigates elsewhere', async () => {
  failRoute('/act-retry-leave', { status: 503 });
  const tabId = await h.openTab(h.zoo.url('/act-retry-leave'));
  await h.waitForState(tabId);
  const p = await popup(tabId, '&retry_first_delay_s=2');
  await (await actionButton(p, 'auto_retry')).click();
  await p.waitForSelector('#retry-text[data-next-at]', { timeout: 5000 });
  await p.close();
  await h.navigate(tabId, h.zoo.url('/healthy?left-retry'));
  await h.waitForLoad(tabId);
  await waitFor(async () => !(await h.alarms()).some((a) => a.name === `retry:${tabId}`), { what: 'retry alarm cleared' });
  const n = h.zoo.requests('/act-retry-leave').length;
  await new Promise((r) => setTimeout(r, 3500)); // past the first check time
  assert.equal(h.zoo.requests('/act-retry-leave').length, n, 'no check and no reload of a page the visitor left');
  const url = await h.sw((t) => chrome.tabs.get(t).then((x) => x.url), tabId);
  assert.match(url, /left-retry/);
  await h.closeTab(tabId);
});

/** A healthy page on `host` where we can fetch, set cookies and read storage. */
async function sitePage(host, tag) {
  const page = await h.context.newPage();
  await page.goto(h.zoo.url(`/healthy?site=${tag}`, host));
  return page;
}
const cachedServe = (page, p) => page.evaluate(async (u) => (await (await fetch(u)).text()).match(/id=serve>(\d+)/)[1], p);

test('clear site cache: this origin only; other origin cache and this origin cookies intact', async () => {
  const A = '127.0.0.1';
  const B = 'localhost';
  const pa = await sitePage(A, 'cache-a');
  const pb = await sitePage(B, 'cache-b');
  // Warm both caches and prove they serve from cache (same counter twice, one server hit).
  const a1 = await cachedServe(pa, '/cacheable/clear-a');
  assert.equal(await cachedServe(pa, '/cacheable/clear-a'), a1, 'origin A entry is cached');
  const b1 = await cachedServe(pb, '/cacheable/clear-b');
  assert.equal(await cachedServe(pb, '/cacheable/clear-b'), b1, 'origin B entry is cached');
  for (const pg of [pa, pb]) {
    await pg.evaluate(() => {
      document.cookie = 'gd_keep=1; max-age=3600; path=/';
      localStorage.setItem('gd_keep', '1');
    });
  }
  failRoute('/act-clear-cache', { empty: true });
  const tabId = await h.openTab(h.zoo.url('/act-clear-cache', A));
  await h.waitForState(tabId);
  const p = await popup(tabId);
  await (await actionButton(p, 'clear_site_cache')).click();
  await waitFor(async () => (await lastOutcome(p)) === 'cache_cleared', { what: 'cache_cleared outcome' });

  const hitsA = h.zoo.requests('/cacheable/clear-a').length;
  const hitsB = h.zoo.requests('/cacheable/clear-b').length;
  assert.notEqual(await cachedServe(pa, '/cacheable/clear-a'), a1, 'origin A had to fetch again');
  assert.equal(h.zoo.requests('/cacheable/clear-a').length, hitsA + 1);
  assert.equal(await cachedServe(pb, '/cacheable/clear-b'), b1, 'origin B still served from cache');
  assert.equal(h.zoo.requests('/cacheable/clear-b').length, hitsB, 'origin B: no new request');
  // Sign-ins survive: cookies and localStorage of the cleared origin are untouched.
  const cookiesA = await h.context.cookies(`http://${A}:${h.zoo.port}/`);
  assert.ok(cookiesA.some((c) => c.name === 'gd_keep'), 'origin A cookie intact');
  await pa.reload();
  assert.equal(await pa.evaluate(() => localStorage.getItem('gd_keep')), '1', 'origin A localStorage intact');
  await Promise.all([p.close(), pa.close(), pb.close()]);
  await h.closeTab(tabId);
});

test('sign me out: only this host\'s cookies and storage; the shared parent domain named, deleted only when chosen', async () => {
  const [A, B, P] = ['a.zoo.test', 'b.zoo.test', 'zoo.test'];
  const at = (host) => `http://${host}:${h.zoo.port}/`;
  // The zoo.test cookies in the browser, as name@domain (".x" = a domain cookie).
  const jar = async () => (await h.context.cookies())
    .filter((c) => c.domain.replace(/^\./, '').endsWith(P)).map((c) => `${c.name}@${c.domain}`).sort();
  const plant = () => h.context.addCookies([
    { name: 'gd_a', value: '1', url: at(A) }, // host-only, a.zoo.test
    { name: 'gd_a_dom', value: '1', domain: `.${A}`, path: '/' }, // Domain=a.zoo.test
    { name: 'gd_sid', value: 'a', url: at(A) }, // same name as the shared one below
    { name: 'gd_sid', value: 'shared', domain: `.${P}`, path: '/' }, // Domain=zoo.test: every host under it
    { name: 'gd_b', value: '1', url: at(B) }, // a sibling's own
    { name: 'gd_root', value: '1', url: at(P) }, // host-only zoo.test: a.zoo.test never gets it
  ]);
  await plant();
  assert.deepEqual(await jar(), ['gd_a@a.zoo.test', 'gd_a_dom@.a.zoo.test', 'gd_b@b.zoo.test', 'gd_root@zoo.test',
    'gd_sid@.zoo.test', 'gd_sid@a.zoo.test']);
  const pa = await sitePage(A, 'signout-a');
  const pb = await sitePage(B, 'signout-b');
  for (const pg of [pa, pb]) await pg.evaluate(() => localStorage.setItem('gd_keep', '1'));

  failRoute('/act-sign-out', { empty: true });
  const tabId = await h.openTab(h.zoo.url('/act-sign-out', A));
  await h.waitForState(tabId);
  const p = await popup(tabId);
  await p.click('#do-sign_out_site');
  await p.waitForSelector('#confirm:not([hidden])');
  const text = await p.textContent('#confirm-text');
  assert.match(text, /cookies of a\.zoo\.test \(3\)/, text);
  assert.match(text, new RegExp(`http://a\\.zoo\\.test:${h.zoo.port} saved`), 'names the storage it deletes');
  assert.match(text, /whole domain zoo\.test \(1\)/, 'names the shared parent domain');
  assert.match(text, /every site under zoo\.test shares them/);
  assert.equal(await p.textContent('#confirm-yes'), 'Delete only the cookies of a.zoo.test');
  assert.equal(await p.textContent('#confirm-yes-shared'), 'Also delete the cookies of zoo.test (every site under it)');
  assert.equal(await p.evaluate(() => document.activeElement.id), 'confirm-no', 'the safe choice has the focus');
  assert.equal((await jar()).length, 6, 'nothing deleted before consent');

  await p.click('#confirm-yes');
  await waitFor(async () => (await lastOutcome(p)) === 'signed_out', { what: 'signed_out outcome' });
  assert.deepEqual(await jar(), ['gd_b@b.zoo.test', 'gd_root@zoo.test', 'gd_sid@.zoo.test'],
    'a.zoo.test\'s own cookies gone; the sibling\'s, the parent\'s and the shared one kept');
  assert.match(await p.textContent('#status'), /Deleted the cookies of a\.zoo\.test \(3\)/);
  await pa.reload();
  assert.equal(await pa.evaluate(() => localStorage.getItem('gd_keep')), null, 'a.zoo.test storage deleted');
  await pb.reload();
  assert.equal(await pb.evaluate(() => localStorage.getItem('gd_keep')), '1', 'b.zoo.test storage kept');

  // The other button: the shared parent-domain cookie goes too; still nothing of b.zoo.test or
  // zoo.test's own.
  await plant();
  const p2 = await popup(tabId);
  await p2.click('#do-sign_out_site');
  await p2.waitForSelector('#confirm-yes-shared');
  await p2.click('#confirm-yes-shared');
  await waitFor(async () => (await lastOutcome(p2)) === 'signed_out_shared', { what: 'signed_out_shared outcome' });
  assert.deepEqual(await jar(), ['gd_b@b.zoo.test', 'gd_root@zoo.test']);
  await Promise.all([p.close(), p2.close(), pa.close(), pb.close()]);
  await h.closeTab(tabId);
});

test('private window: refused without incognito access, with how to allow it', async () => {
  failRoute('/act-private', { empty: true });
  const tabId = await h.openTab(h.zoo.url('/act-private'));
  await h.waitForState(tabId);
  const p = await popup(tabId);
  const windowsBefore = await h.sw(() => chrome.windows.getAll().then((w) => w.length));
  await (await actionButton(p, 'open_private_window')).click();
  await waitFor(async () => (await lastOutcome(p)) === 'private_refused', { what: 'private_refused' });
  assert.equal(await p.getAttribute('#status', 'role'), 'alert');
  assert.match(await p.textContent('#status'), /Allow in Incognito/);
  assert.equal(await h.sw(() => chrome.windows.getAll().then((w) => w.length)), windowsBefore);
  await p.close();
  await h.closeTab(tabId);
});

test('status page opens in a new tab only when clicked', async () => {
  failRoute('/act-status');
  const tabId = await h.openTab(h.zoo.url('/act-status'));
  await h.waitForState(tabId);
  const statusUrl = h.zoo.url('/healthy?status-page');
  // The real catalog links real status pages; point this one at the zoo so nothing leaves.
  await h.sw(async ({ t, u }) => {
    const key = `tab:${t}`;
    const s = (await chrome.storage.session.get(key))[key];
    s.diagnosis.remedies.unshift({ id: 'status_page', audience: 'visitor', title: { id: 'x', text: 'Status page' }, steps: [], action: { type: 'open_url', url: u } });
    await chrome.storage.session.set({ [key]: s });
  }, { t: tabId, u: statusUrl });
  const p = await popup(tabId);
  assert.equal(h.zoo.requests('/healthy').filter((r) => r.url.includes('status-page')).length, 0, 'nothing opened by itself');
  const opened = h.context.waitForEvent('page', { timeout: 10_000 });
  await (await actionButton(p, 'open_url')).click();
  const np = await opened;
  await np.waitForLoadState();
  assert.equal(np.url(), statusUrl);
  // The new tab can load before the worker's reply reaches the popup, so wait for it.
  await waitFor(async () => (await lastOutcome(p)) === 'opened', { what: 'opened outcome in the popup' });
  await Promise.all([np.close(), p.close()]);
  await h.closeTab(tabId);
});

test('flush DNS for a DNS failure: the command with a working copy button', async () => {
  const tabId = await h.openTab('http://broken.test/');
  const s = await h.waitForState(tabId);
  assert.equal(s.diagnosis.kind, 'network_error');
  const p = await popup(tabId);
  const cmd = await p.$('#remedies .cmd');
  assert.ok(cmd, 'a DNS command is shown');
  const text = await cmd.textContent();
  const row = await cmd.evaluateHandle((c) => c.parentElement.querySelector('button'));
  await row.click();
  assert.equal(await readClipboard(), text);
  assert.match(await p.textContent('#remedies'), /chrome:\/\/net-internals\/#dns/);
  await p.close();
  await h.closeTab(tabId);
});

test('copy report: preview is what gets copied; no query string unless kept', async () => {
  const page = h.zoo.pages.find((x) => x.path === '/cloudflare-cdn-502');
  const tabId = await h.openTab(h.zoo.url(`${page.path}?token=s3cret-query#frag`));
  const s = await h.waitForState(tabId);
  const p = await popup(tabId);
  await p.click('#report > summary');
  // The preview is empty until the details' toggle starts loading it ("Loading…"): wait for text
  // that is neither, or an empty preview would pass for a built one.
  await waitFor(async () => {
    const text = await p.textContent('#report-preview');
    return text.trim() !== '' && !/Loading/.test(text);
  }, { what: 'report preview' });
  const preview = await p.textContent('#report-preview');
  assert.ok(!(await p.$('#report-preview.error')), `report built: ${preview}`);
  assert.ok(!preview.includes('s3cret-query'), 'query string removed by default');
  assert.ok(!preview.includes('#frag'), 'fragment removed');
  const ray = s.diagnosis.ids.find((i) => i.kind === 'cf-ray');
  assert.ok(ray, 'the engine extracted the Ray ID from cf-ray');
  assert.ok(preview.includes(ray.value.split('-')[0]), 'Ray ID in the report');
  await p.click('#copy-md');
  await waitFor(async () => (await p.evaluate(() => document.getElementById('app').dataset.copiedFormat)) === 'markdown', { what: 'copied' });
  assert.equal(await readClipboard(), preview, 'clipboard = preview');
  // JSON preview and copy.
  await p.check('#fmt-json');
  const json = await p.textContent('#report-preview');
  JSON.parse(json);
  // Keeping the query string is opt-in and warned about.
  assert.match(await p.textContent('#report-keep_query-warn'), /personal data/);
  await p.check('#report-keep_query');
  await waitFor(async () => (await p.textContent('#report-preview')).includes('s3cret-query'), { what: 'query kept' });
  const mail = await p.getAttribute('#mail-owner', 'href');
  assert.match(mail, /^mailto:\?subject=/);
  assert.ok(mail.length <= 2000);
  // Recorded under the diagnosis' copy_report remedy (e.g. contact_site_owner) for the report.
  const reportId = (s.diagnosis.remedies.find((r) => r.action && r.action.type === 'copy_report') || { id: 'copy_report' }).id;
  const st = await h.waitForState(tabId, (x) => x && x.tried.some((t) => t.id === reportId));
  assert.equal(st.tried.find((t) => t.id === reportId).outcome, 'copied');
  await p.close();
  await h.closeTab(tabId);
});
