// Failures that are not a finished response, in Firefox (see tests/e2e/failures.test.mjs):
// a slowly dripping 502 is badged from its headers long before it completes, then refined; a
// redirect loop is diagnosed; an address with a user name and password is read, and the password
// is nowhere.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchFirefox } from './harness.mjs';

let h;
// Firefox asks before it opens an address with a user name and password ("You are about to log
// in to the site …"); a visitor answers yes, which this pref stands for.
before(async () => { h = await launchFirefox({ prefs: { 'network.http.phishy-userpass-length': 255 } }); });
after(async () => { await h?.close(); });

test('a 502 whose body drips for 12 s: badged from the headers at once, refined when complete', async () => {
  const url = h.zoo.url('/drip?ms=12000&status=502&ff=1');
  const t0 = Date.now();
  const tabId = await h.openTab(url);
  await h.waitForBadge(tabId, '502', { timeout: 6_000 });
  const partial = await h.waitForState(tabId, (s) => s && s.partial);
  assert.ok(Date.now() - t0 < 8_000, 'diagnosed from the headers long before the body finished');
  assert.equal(partial.url, url);
  assert.equal(partial.diagnosis.family, 'nginx');
  const full = await h.waitForState(tabId, (s) => s && s.diagnosis && !s.partial);
  assert.ok(Date.now() - t0 >= 11_000, 'refined once the page was complete');
  assert.match(full.body.excerpt, /nginx/);
  assert.equal(await h.badge(tabId), '502');
  await h.closeTab(tabId);
});

test('a redirect loop: diagnosed, cookies first', async () => {
  const url = h.zoo.url('/loop?ff=1');
  const tabId = await h.openTab(url);
  await h.waitForBadge(tabId, 'LOOP');
  const s = await h.waitForState(tabId);
  assert.equal(s.url, url);
  assert.equal(s.diagnosis.variant, 'redirect_loop');
  assert.equal(s.diagnosis.remedies[0].id, 'clear_site_cookies');
  await h.closeTab(tabId);
});

test('an address with a user name and password: the page is read; the password is nowhere', async () => {
  const clean = h.zoo.url('/nginx-502?ff=ui');
  const tabId = await h.openTab(clean.replace('http://', 'http://visitor:S3cretPw@'));
  await h.waitForBadge(tabId, '502');
  const s = await h.waitForState(tabId);
  assert.equal(s.url, clean, 'stored without userinfo');
  assert.ok(s.body && s.body.length > 0, 'the body was read');
  const everything = await h.ext(() => browser.storage.session.get(null));
  assert.ok(!JSON.stringify(everything).includes('S3cretPw'), 'no password in storage');
  await h.closeTab(tabId);
});

test('privacy: nothing reached the sinkhole proxy', () => {
  assert.deepEqual(h.sink.seen, []);
});
