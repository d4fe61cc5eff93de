// A page that loads but whose own backend fails (issue 17 part 1), in Firefox ESR: the apps of
// tests/zoo/spa.mjs. Firefox reports fetch as `xmlhttprequest` too and gives the calling
// document's address (`documentUrl`) where Chrome gives its origin (`initiator`).
// Needs `make build` first.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchFirefox } from './harness.mjs';
import { waitFor } from '../e2e/harness.mjs';
import { defineSpaPages } from '../zoo/spa.mjs';

// Longer than the settle delay (1.5 s) after the app's last call, so a missing badge is a decision.
const QUIET_MS = 2500;

let h;
before(async () => {
  h = await launchFirefox();
  // 127.0.0.1 and localhost are different sites; the pages are on 127.0.0.1.
  defineSpaPages(h.zoo, { thirdPartyHost: 'localhost', refusedPort: h.refusedPort });
});
after(async () => { await h?.close(); });

const appDone = (base) => waitFor(() => h.zoo.hits(`${base}done`) > 0, { what: `${base} settled`, timeout: 20_000 });

/** The badge stays empty and no state appears for QUIET_MS (sampled, so a flash is caught). */
async function staysQuiet(tabId) {
  const end = Date.now() + QUIET_MS;
  while (Date.now() < end) {
    assert.equal(await h.badge(tabId), '');
    await new Promise((r) => setTimeout(r, 150));
  }
  assert.equal(await h.state(tabId), null);
}

test("an app whose own API fails: API badge and the failing calls, diagnosed", async () => {
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
  assert.match(byPath['/spa/broken/api/stock'].net_error, /CONNECTION_REFUSED/);
  assert.ok(!JSON.stringify(s.api).includes('S3CRET'), 'no query string in the stored failures');
  assert.equal(s.diagnosis.family, 'nginx');
  assert.match(s.observation.browser, /^firefox\/\d+$/);

  // The popup (the harness's extension page pointed at this tab) shows the section.
  await h.ext((t) => { location.search = `?tab=${t}`; return true; }, tabId).catch(() => {});
  const lines = await waitFor(async () => {
    try {
      return await h.ext(() => {
        const li = [...document.querySelectorAll('#api-list li')].map((x) => x.textContent);
        return li.length ? li : null;
      });
    } catch {
      return null; // navigating
    }
  }, { what: 'popup API section', timeout: 20_000 });
  assert.ok(lines.some((l) => l.includes('/spa/broken/api/orders → 502 (nginx, the website)')), lines.join('\n'));

  // A healthy page loaded in the tab forgets it.
  await h.ext(({ t, u }) => browser.tabs.update(t, { url: u }).then(() => true), { t: tabId, u: h.zoo.url('/spa/ok/?after-broken') });
  await h.waitForBadge(tabId, '');
  await waitFor(async () => (await h.state(tabId)) === null, { what: 'state forgotten', timeout: 20_000 });
  await h.closeTab(tabId);
});

test("another site's failing analytics beacon raises nothing", async () => {
  const tabId = await h.openTab(h.zoo.url('/spa/beacon/'));
  await appDone('/spa/beacon/');
  assert.equal(h.zoo.hits('/collect'), 2, 'both beacons were sent and failed');
  await staysQuiet(tabId);
  await h.closeTab(tabId);
});

test("a call that fails once and succeeds on the app's own retry raises nothing", async () => {
  const tabId = await h.openTab(h.zoo.url('/spa/retry/'));
  await appDone('/spa/retry/');
  assert.equal(h.zoo.hits('/spa/retry/api/orders'), 2, 'the first call failed, the retry got through');
  await staysQuiet(tabId);
  await h.closeTab(tabId);
});

test('a healthy app (with a 401 sign-in check) raises nothing', async () => {
  const tabId = await h.openTab(h.zoo.url('/spa/ok/'));
  await appDone('/spa/ok/');
  await staysQuiet(tabId);
  await h.closeTab(tabId);
});

test('a failed page whose script calls a failing API still shows the page failure', async () => {
  const tabId = await h.openTab(h.zoo.url('/spa/down/'));
  await h.waitForBadge(tabId, '502');
  await appDone('/spa/down/');
  await new Promise((r) => setTimeout(r, QUIET_MS));
  assert.equal(await h.badge(tabId), '502');
  const s = await h.waitForState(tabId);
  assert.equal(s.api, undefined);
  assert.equal(s.observation.status, 502);
  await h.closeTab(tabId);
});
