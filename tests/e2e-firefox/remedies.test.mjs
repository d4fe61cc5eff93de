// Issue 17 part 2 in Firefox ESR (headless):
//   shortcut           → Firefox registered _execute_action (Alt+Shift+G) from dist/firefox
//   saved copy         → offered for a 502; the click opens exactly
//                        https://web.archive.org/web/2/<page> in a new tab, nothing before it
//   tell me when back  → a trusted click on "Tell me when it's back" requests the optional
//                        `notifications` permission (Firefox grants it without a prompt with
//                        extensions.webextOptionalPermissionPrompts off, standing in for the
//                        visitor's "Allow"); when the site answers again the tab reloads and one
//                        notification "<host> is back" is shown
//   don't diagnose     → a listed host's failure gets no diagnosis
//   restricted access  → with host access taken away (permissions.remove, what the user does
//                        in about:addons) a failing page is invisible; the popup says it can't
//                        see the tab instead of "nothing wrong", and its button (the visitor's
//                        "Allow") gives access back, after which the page is diagnosed again
//
// Privacy: launched with `privacy: false` because the saved-copy tab really navigates and
// Firefox sends it to the sinkhole proxy (which answers nothing: no byte leaves the machine).
// The after hook asserts the narrower rule instead: the sinkhole saw nothing but connections to
// web.archive.org:443, and the test checks it saw nothing at all before the click.
//
// Needs `make build` first. Run: node --test --test-concurrency=1 tests/e2e-firefox/remedies.test.mjs
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchFirefox } from './harness.mjs';
import { waitFor, nginxRoute } from '../e2e/harness.mjs';

let h;
before(async () => {
  h = await launchFirefox({ privacy: false, prefs: { 'extensions.webextOptionalPermissionPrompts': false } });
});
after(async () => {
  if (!h) return;
  await h.close();
  const other = h.sink.seen.filter((x) => `${x.method} ${x.url}` !== 'CONNECT web.archive.org:443');
  assert.deepEqual(other, [], 'nothing but the clicked archive link tried to leave');
});

async function showPopup(tabId, extra = '') {
  const search = `?tab=${tabId}${extra}`;
  await h.ext((q) => { location.search = q; return true; }, search).catch(() => {});
  return waitFor(async () => {
    try {
      return await h.ext((q) => (location.search === q
        && document.getElementById('app').dataset.state !== 'loading'
        ? { ...document.getElementById('app').dataset } : null), search);
    } catch {
      return null; // the page is navigating
    }
  }, { what: `popup for tab ${tabId}`, timeout: 20_000 });
}

test('a keyboard shortcut opens the popup: Firefox registered _execute_action', async () => {
  const cmds = await h.ext(() => browser.commands.getAll());
  const action = cmds.find((c) => c.name === '_execute_action');
  assert.ok(action, JSON.stringify(cmds));
  assert.equal(action.shortcut, 'Alt+Shift+G');
});

test('saved copy: opened in a new tab with exactly the archive address, only on click', async () => {
  const path = nginxRoute(h.zoo, '/ff-wayback');
  const pageUrl = h.zoo.url(`${path}?id=7`);
  const tabId = await h.openTab(`${pageUrl}#frag`);
  await h.waitForState(tabId);
  await showPopup(tabId);
  assert.match(await h.ext(() => document.querySelector('#remedies li[data-remedy="read_saved_copy"] > button').textContent),
    /Open a saved copy \(Wayback Machine\)/);
  assert.deepEqual(h.sink.seen, [], 'nothing sent anywhere before the click');
  const want = `https://web.archive.org/web/2/${pageUrl}`;
  await h.ext(() => { document.querySelector('#remedies li[data-remedy="read_saved_copy"] > button').click(); return true; });
  const tabs = await waitFor(async () => {
    const ts = await h.ext(() => browser.tabs.query({}).then((all) => all.map((t) => ({ id: t.id, url: t.url }))));
    // A tab still loading may not report its url yet.
    const m = ts.filter((t) => (t.url || '').startsWith('https://web.archive.org/'));
    return m.length ? m : null;
  }, { what: 'the archive tab' });
  assert.deepEqual(tabs.map((t) => t.url), [want]);
  await h.closeTab(tabs[0].id);
  await h.closeTab(tabId);
});

test('tell me when it\'s back: permission asked in the click, one notification when the site answers', async () => {
  const path = nginxRoute(h.zoo, '/ff-notify');
  const url = h.zoo.url(path);
  const tabId = await h.openTab(url);
  await h.waitForState(tabId);
  await showPopup(tabId, '&retry_first_delay_s=2');
  assert.equal(await h.ext(() => browser.permissions.contains({ permissions: ['notifications'] })), false);
  await h.ext(() => { document.querySelector('#remedies li[data-action="auto_retry"] > button').click(); return true; });
  await waitFor(() => h.ext(() => !!document.getElementById('retry-notify')), { what: 'the notify button' });
  await h.clickTrusted('#retry-notify');
  await waitFor(() => h.ext(() => !!document.getElementById('retry-notify-on')), { what: 'notification on' });
  assert.equal(await h.ext(() => browser.permissions.contains({ permissions: ['notifications'] })), true);
  assert.equal((await h.state(tabId)).retry.notify, true);
  // A notification may close by itself before a poll sees it: getAll() is sampled and the
  // created ids are also collected from onShown/onClosed, which reach every extension page.
  await h.ext(() => {
    window.notes = new Set();
    const add = (id) => window.notes.add(id);
    browser.notifications.onShown?.addListener(add);
    browser.notifications.onClosed.addListener(add);
    return true;
  });
  const seen = async () => h.ext(async () => {
    for (const [id, n] of Object.entries(await browser.notifications.getAll())) window.notes.add(`${id}|${n.title}`);
    return [...window.notes];
  });
  assert.deepEqual(await seen(), [], 'nothing while the site still fails');
  // The site comes back.
  h.zoo.set(path, { status: 200, headers: { 'content-type': 'text/html' }, body: '<title>ok</title>back' });
  await waitFor(async () => (await h.state(tabId).catch(() => null))?.retry?.outcome === 'recovered'
    || (await h.badge(tabId)) === '', { what: 'the retry to see the site back', timeout: 60_000 });
  const shown = await waitFor(async () => {
    const list = await seen();
    return list.length ? list : null;
  }, { what: 'the notification', timeout: 15_000 });
  const titled = shown.filter((x) => x.includes('|'));
  assert.ok(titled.every((x) => x.endsWith('|127.0.0.1 is back')), JSON.stringify(shown));
  assert.equal(new Set(shown.map((x) => x.split('|')[0])).size, 1, `one notification: ${JSON.stringify(shown)}`);
  await h.closeTab(tabId);
});

test('don\'t diagnose: a listed host\'s failure is left alone', async () => {
  const path = nginxRoute(h.zoo, '/ff-quiet');
  // *.zoo.test is not mapped to loopback in Firefox; the listed host is 127.0.0.1 itself here.
  await h.ext(() => browser.storage.local.set({ quiet_sites: ['127.0.0.1'] }));
  const quietTab = await h.openTab(h.zoo.url(path));
  await waitFor(async () => (await h.tabStatus(quietTab)) === 'complete', { what: 'quiet tab load' });
  // localhost is the same zoo under another host name, not on the list: diagnosed.
  const loudTab = await h.openTab(h.zoo.url(path, 'localhost'));
  await h.waitForState(loudTab);
  assert.equal(await h.state(quietTab), null);
  assert.equal(await h.badge(quietTab), '');
  await h.ext(() => browser.storage.local.set({ quiet_sites: [] }));
  await h.closeTab(quietTab);
  await h.closeTab(loudTab);
});

test('restricted site access: the popup says it cannot see the tab, and its button gives access back', async () => {
  // Firefox lets the user (and the extension) take MV3 host access away; the extension page
  // then sees neither the failure nor the tab's address.
  // Last in the file: the profile stays without host access if the grant below fails.
  assert.equal(await h.ext(() => browser.permissions.remove({ origins: ['<all_urls>'] })), true);
  assert.equal(await h.ext(() => browser.permissions.contains({ origins: ['<all_urls>'] })), false);
  const path = nginxRoute(h.zoo, '/ff-hidden');
  const tabId = await h.openTab(h.zoo.url(path));
  await waitFor(async () => (await h.tabStatus(tabId)) === 'complete', { what: 'hidden tab load' });
  assert.equal(await h.state(tabId), null, 'the failure is invisible without host access');
  const data = await showPopup(tabId);
  assert.equal(data.state, 'restricted');
  assert.match(await h.ext(() => document.getElementById('headline').textContent), /can't see this tab/);
  assert.match(await h.ext(() => document.getElementById('grant-access').textContent), /Allow Gateway Doctor on all sites/);
  // The visitor's "Allow" (prompts off for this profile, see the top of the file).
  await h.clickTrusted('#grant-access');
  await waitFor(() => h.ext(() => !document.getElementById('status').hidden), { what: 'the grant outcome' });
  assert.match(await h.ext(() => document.getElementById('status').textContent), /Access given/);
  assert.equal(await h.ext(() => browser.permissions.contains({ origins: ['<all_urls>'] })), true);
  await h.ext((t) => browser.tabs.reload(t), tabId);
  await h.waitForState(tabId);
  assert.equal(await h.badge(tabId), '502', 'seen again once allowed');
  await h.closeTab(tabId);
});
