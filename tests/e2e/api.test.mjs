// A page that loads but whose own backend fails (issue 17 part 1), in Chromium: the apps of
// tests/zoo/spa.mjs. Flagged ("API" badge, popup section) only when the page's own calls keep
// failing; never for another site's beacon, a 401 check, a call the app's retry got through,
// or a healthy app; a failed page keeps its own diagnosis.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, waitFor } from './harness.mjs';
import { defineSpaPages } from '../zoo/spa.mjs';

// Longer than the settle delay (1.5 s) after the app's last call, so a missing badge is a decision.
const QUIET_MS = 2500;

let h;
before(async () => {
  h = await launch();
  // 127.0.0.1 and localhost are different sites; the pages are on 127.0.0.1.
  defineSpaPages(h.zoo, { thirdPartyHost: 'localhost', refusedPort: h.refusedPort });
});
after(async () => { await h?.close(); });

const debug = () => h.sw(() => ({ ...globalThis.gdDebug }));
/** Waits until the app at `base` has settled all its calls (it then fetches `<base>done`). */
const appDone = (base) => waitFor(() => h.zoo.hits(`${base}done`) > 0, { what: `${base} settled` });

test("an app whose own API fails: API badge, the failing calls, diagnosed, no query strings", async () => {
  const url = h.zoo.url('/spa/broken/');
  const tabId = await h.openTab(url);
  await h.waitForBadge(tabId, 'API');
  // The state follows the failures as they come (each judged once they settle): the final one
  // has all three failing calls, each failed twice (the first call and the app's own retry).
  await appDone('/spa/broken/');
  const s = await h.waitForState(tabId, (x) => x && x.api && x.api.failures.reduce((n, f) => n + f.count, 0) === 6);
  assert.equal(s.url, url);
  const byPath = Object.fromEntries(s.api.failures.map((f) => [f.url_path, f]));
  assert.deepEqual(Object.keys(byPath).sort(), ['/spa/broken/api/orders', '/spa/broken/api/stock', '/spa/broken/api/user']);
  assert.equal(byPath['/spa/broken/api/orders'].status, 502);
  assert.equal(byPath['/spa/broken/api/orders'].count, 2);
  assert.equal(byPath['/spa/broken/api/orders'].family, 'nginx');
  assert.equal(byPath['/spa/broken/api/orders'].fault, 'site');
  assert.equal(byPath['/spa/broken/api/stock'].status, null);
  assert.match(byPath['/spa/broken/api/stock'].net_error, /CONNECTION_REFUSED/);
  // The 401 "who am I" check is not a failure.
  assert.ok(!('/spa/broken/api/me' in byPath));
  assert.ok(!JSON.stringify(s.api).includes('S3CRET'), 'no query string in the stored failures');
  // The worst call's diagnosis: from status and headers only, nothing read from the page.
  assert.equal(s.diagnosis.kind, 'server_error');
  assert.equal(s.diagnosis.family, 'nginx');
  assert.equal(s.observation.body, null);
  assert.equal((await h.stats()).injections || 0, 0, 'no script injected for an API failure');
  assert.match(await h.title(tabId), /own requests to the website are failing/);

  const popup = await h.openPopup(tabId);
  const app = popup.locator('#app');
  await waitFor(async () => (await app.getAttribute('data-state')) === 'diagnosed', { what: 'popup diagnosed' });
  assert.match(await popup.locator('#headline').textContent(), /own requests to the website are failing/);
  assert.match(await popup.locator('#api-h').textContent(), /This page's own requests are failing/);
  const lines = await popup.locator('#api-list li').allTextContents();
  assert.ok(lines.some((l) => l.includes('/spa/broken/api/orders → 502 (nginx, the website)')), lines.join('\n'));
  assert.ok(!lines.join('\n').includes('S3CRET'));
  // The remedies of the worst call's diagnosis are offered, but not auto-retry: it checks the
  // page's address, which answers fine.
  assert.ok(await popup.locator('#remedies li').count() > 0);
  assert.equal(await popup.locator('#remedies li[data-action="auto_retry"]').count(), 0);
  assert.ok(!s.diagnosis.remedies.some((r) => r.action && r.action.type === 'auto_retry'));
  await popup.close();

  // A healthy page loaded in the tab forgets it.
  await h.navigate(tabId, h.zoo.url('/spa/ok/?after-broken'));
  await h.waitForBadge(tabId, '');
  await waitFor(async () => (await h.state(tabId)) === null, { what: 'state forgotten' });
  await h.closeTab(tabId);
});

test("another site's failing analytics beacon raises nothing", async () => {
  const before0 = await debug();
  const tabId = await h.openTab(h.zoo.url('/spa/beacon/'));
  await appDone('/spa/beacon/');
  assert.equal(h.zoo.hits('/collect'), 2, 'both beacons were sent and failed');
  await waitFor(async () => (await debug()).apiThirdParty >= before0.apiThirdParty + 2, { what: 'beacon failures seen and left alone' });
  await new Promise((r) => setTimeout(r, QUIET_MS));
  assert.equal(await h.badge(tabId), '');
  assert.equal(await h.state(tabId), null);
  await h.closeTab(tabId);
});

test("a call that fails once and succeeds on the app's own retry raises nothing", async () => {
  const before0 = await debug();
  const tabId = await h.openTab(h.zoo.url('/spa/retry/'));
  await appDone('/spa/retry/');
  assert.equal(h.zoo.hits('/spa/retry/api/orders'), 2, 'the first call failed, the retry got through');
  assert.equal((await debug()).apiFailures, before0.apiFailures + 1, 'the failure was seen');
  // Never shown, not even briefly: sample the badge through the settle delay.
  const end = Date.now() + QUIET_MS;
  while (Date.now() < end) {
    assert.equal(await h.badge(tabId), '');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await h.state(tabId), null);
  assert.equal((await debug()).apiAlarms, before0.apiAlarms);
  await h.closeTab(tabId);
});

test('a healthy app (with a 401 sign-in check) raises nothing', async () => {
  const before0 = await debug();
  const tabId = await h.openTab(h.zoo.url('/spa/ok/'));
  await appDone('/spa/ok/');
  await new Promise((r) => setTimeout(r, QUIET_MS));
  assert.equal(await h.badge(tabId), '');
  assert.equal(await h.state(tabId), null);
  const after0 = await debug();
  assert.equal(after0.apiFailures, before0.apiFailures);
  assert.equal(after0.apiAlarms, before0.apiAlarms);
  await h.closeTab(tabId);
});

test('a failed page whose script calls a failing API still shows the page failure', async () => {
  const before0 = await debug();
  const tabId = await h.openTab(h.zoo.url('/spa/down/'));
  await h.waitForBadge(tabId, '502');
  await appDone('/spa/down/');
  await waitFor(async () => (await debug()).apiFailures >= before0.apiFailures + 4, { what: 'API failures of the failed page seen' });
  await new Promise((r) => setTimeout(r, QUIET_MS));
  assert.equal(await h.badge(tabId), '502');
  const s = await h.waitForState(tabId);
  assert.equal(s.api, undefined);
  assert.equal(s.observation.status, 502);
  assert.equal(s.url, h.zoo.url('/spa/down/'));
  await h.closeTab(tabId);
});
