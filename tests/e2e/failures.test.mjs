// Failures that are not a finished response (issue 13 item 4), end to end in Chromium:
// - a 502 whose body drips in slowly is badged from its status and headers at once, and the
//   diagnosis is refined once the page has arrived;
// - a redirect loop (Chromium reports it to webRequest as an abort) is diagnosed, cookies first;
// - a download that works leaves the tab's page and its diagnosis alone; a 502 served as a
//   download (Chromium shows its own error page for it) is diagnosed from its headers;
// - an address with userinfo is read, and the password is never shown or stored.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, waitFor, NGINX_502 } from './harness.mjs';

let h;
before(async () => { h = await launch(); });
after(async () => { await h?.close(); });

test('a 502 whose body drips for 12 s: badged at once from the headers, refined when complete', async () => {
  const page = await h.context.newPage();
  await page.goto(h.zoo.url('/healthy?drip=1'));
  const tabId = await h.tabIdOf(page);
  const url = h.zoo.url('/drip?ms=12000&status=502');
  const t0 = Date.now();
  const nav = page.goto(url, { timeout: 30_000 }).catch((e) => e);
  await h.waitForBadge(tabId, '502', { timeout: 5_000 });
  const early = Date.now() - t0;
  const partial = await h.state(tabId);
  assert.ok(early < 5_000, `badge after ${early} ms, long before the body finished`);
  assert.equal(partial.url, url);
  assert.equal(partial.partial, true, 'diagnosed from status and headers only');
  assert.equal(partial.diagnosis.code, 502);
  assert.equal(partial.diagnosis.family, 'nginx', 'the server header names nginx');
  // The popup shows it, and says the page is still arriving.
  const popup = await h.openPopup(tabId);
  await popup.locator('#app[data-state="diagnosed"]').waitFor({ timeout: 10_000 });
  assert.equal(await popup.locator('#partial').count(), 1);
  await popup.close();
  await nav;
  const full = await h.waitForState(tabId, (s) => s && s.diagnosis && !s.partial, { timeout: 20_000 });
  assert.ok(Date.now() - t0 >= 11_000, 'the full diagnosis came once the page was complete');
  assert.match(full.body.excerpt, /nginx/, 'the page text, footer included, was read');
  assert.equal(await h.badge(tabId), '502');
  await page.close();
});

test('a redirect loop: diagnosed (not taken for an abort), cookies first', async () => {
  const page = await h.context.newPage();
  await page.goto(h.zoo.url('/healthy?loop=1'));
  const tabId = await h.tabIdOf(page);
  const url = h.zoo.url('/loop?n=1');
  await page.goto(url).catch(() => {});
  await h.waitForBadge(tabId, 'LOOP');
  const s = await h.waitForState(tabId);
  assert.equal(s.url, url);
  assert.equal(s.observation.net_error, 'net::ERR_TOO_MANY_REDIRECTS');
  assert.equal(s.diagnosis.variant, 'redirect_loop');
  assert.equal(s.diagnosis.kind, 'network_error');
  assert.deepEqual(s.diagnosis.remedies.filter((r) => r.audience === 'visitor').map((r) => r.id),
    ['clear_site_cookies', 'private_window', 'contact_site_owner']);
  assert.equal(s.diagnosis.remedies[0].action.type, 'sign_out_site');
  // The popup's first button is the cookie removal, and it asks before deleting anything.
  const popup = await h.openPopup(tabId);
  await popup.locator('#do-clear_site_cookies').click();
  await popup.locator('#confirm:not([hidden])').waitFor({ timeout: 10_000 });
  await popup.close();
  await page.close();
});

test('downloads: a good one leaves the tab\'s diagnosis alone; a failed one is diagnosed from its headers', async () => {
  h.zoo.set('/dl-502', {
    status: 502,
    headers: { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment; filename="export.csv"', server: 'nginx' },
    body: 'a,b\n1,2\n',
  });
  h.zoo.set('/dl-200', {
    status: 200,
    headers: { 'content-type': 'text/csv', 'content-disposition': 'attachment; filename="ok.csv"' },
    body: 'a,b\n',
  });
  // A failing page with links to two downloads, one fine and one failing.
  h.zoo.set('/page-with-downloads', {
    status: 503,
    headers: { 'content-type': 'text/html', server: 'nginx' },
    body: NGINX_502.replace(/502 Bad Gateway/g, '503 Service Temporarily Unavailable') +
      '<a id="good" href="/dl-200">y</a> <a id="bad" href="/dl-502">x</a>',
  });
  const page = await h.context.newPage();
  const url = h.zoo.url('/page-with-downloads');
  await page.goto(url);
  const tabId = await h.tabIdOf(page);
  await h.waitForBadge(tabId, '503');
  const before = await h.waitForState(tabId);

  // The good download: the browser saves it, the tab keeps its page, badge and diagnosis.
  const hits = h.zoo.hits('/dl-200');
  await page.click('#good');
  await waitFor(() => h.zoo.hits('/dl-200') > hits, { what: 'the download was requested' });
  // A later failing load in another tab bounds the wait for the download's events.
  const probe = await h.openTab(h.zoo.url('/nginx-502?probe=dl'));
  await h.waitForBadge(probe, '502');
  await h.closeTab(probe);
  assert.equal(page.url(), url, 'the tab still shows its page');
  assert.equal(await h.badge(tabId), '503', 'the badge is still the page\'s');
  assert.equal((await h.state(tabId)).url, before.url, 'the stored diagnosis is still the page\'s');

  // The failed download: Chromium shows its own error page in the tab, so it is diagnosed, from
  // the status and headers (the body is a file, not an error page, and is not read).
  await page.click('#bad');
  const s = await h.waitForState(tabId, (x) => x && x.url === h.zoo.url('/dl-502') && x.diagnosis && !x.partial);
  await h.waitForBadge(tabId, '502');
  assert.equal(s.diagnosis.code, 502);
  assert.equal(s.diagnosis.family, 'nginx');
  assert.equal(s.body, null, 'the file was not read as a page');
  await page.close();
});

test('an address with a user name and password: the page is read; the password is nowhere', async () => {
  const page = await h.context.newPage();
  await page.goto(h.zoo.url('/healthy?ui=1'));
  const tabId = await h.tabIdOf(page);
  const clean = h.zoo.url('/nginx-502?ui=1');
  await page.goto(clean.replace('http://', 'http://visitor:S3cretPw@'));
  await h.waitForBadge(tabId, '502');
  const s = await h.waitForState(tabId);
  assert.equal(s.url, clean, 'stored without userinfo');
  assert.equal(s.observation.url, clean);
  assert.ok(s.body && s.body.length > 0, 'the body was read');
  assert.equal(s.diagnosis.family, 'nginx');
  const everything = JSON.stringify(await h.sw(() => chrome.storage.session.get(null)));
  assert.ok(!everything.includes('S3cretPw') && !everything.includes('visitor:'), 'no userinfo in storage');
  const popup = await h.openPopup(tabId);
  await popup.locator('#app[data-state="diagnosed"]').waitFor({ timeout: 10_000 });
  const text = await popup.evaluate(() => document.documentElement.outerHTML);
  assert.ok(!text.includes('S3cretPw'), 'the popup never shows the password');
  await popup.close();
  await page.close();
});

test('privacy: nothing left the machine', () => {
  h.assertPrivacy();
});
