// "Open a saved copy (Wayback Machine)" end to end in Chromium: offered for a 502, it opens
// https://web.archive.org/web/2/<the page's address, fragment dropped> in a new tab, and only when
// clicked.
//
// Why this file runs with `privacy: false`: the tab the click opens really navigates to the
// archive, and a tab opened by the extension (tabs.create) starts loading before Playwright can
// attach a route to it (tried: context.route never saw it). Chromium sends every non-local host
// to the harness's sinkhole proxy, which records the attempt and answers nothing, so nothing
// leaves the machine. Instead of the harness's blanket "the sinkhole saw nothing" check, this
// file asserts something narrower and stronger: the sinkhole saw nothing at all before the click,
// and after it only connections to web.archive.org:443 — and the new tab's address is exactly
// the expected one.
//
// Needs `make build` first. Run: node --test --test-concurrency=1 tests/e2e/wayback.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, waitFor } from './harness.mjs';

let h;
before(async () => {
  h = await launch({ privacy: false });
});
after(async () => {
  if (!h) return;
  await h.close();
  const other = h.privacyViolations().filter((v) => v !== 'reached sinkhole proxy: CONNECT web.archive.org:443');
  assert.deepEqual(other, [], 'nothing but the clicked archive link tried to leave');
});

const nginx502 = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

test('saved copy: a 502 offers the Wayback Machine copy, opened in a new tab only on click', async () => {
  h.zoo.set('/rem-wayback', { status: 502, headers: { 'content-type': 'text/html', server: 'nginx' }, body: nginx502 });
  const pageUrl = h.zoo.url('/rem-wayback?id=7', 'wb.zoo.test');
  const tabId = await h.openTab(`${pageUrl}#section`);
  await h.waitForState(tabId);
  const p = await h.openExtensionPage(`popup.html?tab=${tabId}`, { width: 400, height: 900 });
  await p.waitForSelector('#app[data-state="diagnosed"]', { timeout: 10_000 });
  const btn = await p.$('#remedies li[data-remedy="read_saved_copy"] > button');
  assert.ok(btn, 'the saved-copy remedy is offered for a 502');
  assert.match(await btn.textContent(), /Open a saved copy \(Wayback Machine\)/);
  assert.deepEqual(h.sink.seen, [], 'nothing sent anywhere before the click');
  const want = `https://web.archive.org/web/2/${pageUrl}`;
  const archiveTabs = () => h.sw(() => chrome.tabs.query({}).then((ts) => ts
    .filter((t) => /^https:\/\/web\.archive\.org\//.test(t.pendingUrl || t.url || ''))
    .map((t) => ({ id: t.id, url: t.pendingUrl || t.url }))));
  assert.deepEqual(await archiveTabs(), []);
  await btn.click();
  // The page's address with its query, without the fragment; one tab.
  const opened = await waitFor(async () => {
    const ts = await archiveTabs();
    return ts.length ? ts : null;
  }, { what: 'the archive tab' });
  assert.deepEqual(opened.map((t) => t.url), [want]);
  await h.sw((id) => chrome.tabs.remove(id), opened[0].id);
  await waitFor(async () => (await p.evaluate(() => document.getElementById('app').dataset.lastOutcome)) === 'opened', { what: 'opened outcome' });
  const s = await h.state(tabId);
  assert.ok(s.tried.some((x) => x.id === 'read_saved_copy' && x.outcome === 'opened'));
  for (const v of h.sink.seen) assert.equal(`${v.method} ${v.url}`, 'CONNECT web.archive.org:443');
  await p.close();
  await h.closeTab(tabId);
});
