// The browsing session of tests/e2e/browsing.test.mjs in Firefox: one tab walks failing and
// healthy pages of two origins (127.0.0.1 and localhost) by address, link click, form GET, reload
// and Back/Forward, and a link opens a new tab; after every step the badge and the stored
// diagnosis match that step's page exactly. Clicks are real pointer input (WebDriver BiDi).
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchFirefox } from './harness.mjs';
import { waitFor } from '../e2e/harness.mjs';
import { defineSessionPages, expectedAfter as expected, expectTab as expectTabIn } from '../zoo/session.mjs';

let h;
before(async () => {
  h = await launchFirefox();
  defineSessionPages(h.zoo);
});
after(async () => { await h?.close(); });

const expectTab = (tabId, want, label) => expectTabIn(h, waitFor, tabId, want, label, 20_000);

const tabInfo = (tabId) => h.ext((t) => browser.tabs.get(t).then((x) => ({ url: x.url, status: x.status })), tabId);

/** Waits until the tab has finished loading `url`. */
const loaded = (tabId, url) => waitFor(async () => {
  const x = await tabInfo(tabId);
  return x.url === url && x.status === 'complete';
}, { what: `tab ${tabId} loaded ${url}`, timeout: 20_000 });

/** The BiDi browsing context showing `url`. */
async function contextOf(url) {
  return waitFor(async () => {
    const tree = await h.browser.connection.send('browsingContext.getTree', {});
    return tree.result.contexts.find((c) => c.url === url)?.context;
  }, { what: `browsing context of ${url}` });
}

/** A real click (pointer input) on `selector` in the page at `url`. */
async function click(url, selector) {
  const context = await contextOf(url);
  const r = await h.browser.connection.send('script.evaluate', {
    expression: `(() => { const b = document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect(); return [Math.round(b.x + b.width / 2), Math.round(b.y + b.height / 2)]; })()`,
    target: { context }, awaitPromise: false,
  });
  const [x, y] = r.result.result.value.map((v) => v.value);
  await h.browser.connection.send('input.performActions', {
    context,
    actions: [{
      type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' },
      actions: [{ type: 'pointerMove', x, y }, { type: 'pointerDown', button: 0 }, { type: 'pointerUp', button: 0 }],
    }],
  });
  await h.browser.connection.send('input.releaseActions', { context }).catch(() => {});
}

test('one tab walks failing and healthy pages: every step keeps exactly its own diagnosis', async () => {
  const url = (p, host = '127.0.0.1') => h.zoo.url(p, host);
  const tabId = await h.openTab(url('/s/a'));
  await loaded(tabId, url('/s/a'));
  await expectTab(tabId, expected(url('/s/a')), 'step 1 (open /s/a 502)');
  const steps = [
    ['goto /s/b 503', () => h.ext(({ t, u }) => browser.tabs.update(t, { url: u }).then(() => true), { t: tabId, u: url('/s/b') }), url('/s/b')],
    ['goto /s/c 504', () => h.ext(({ t, u }) => browser.tabs.update(t, { url: u }).then(() => true), { t: tabId, u: url('/s/c') }), url('/s/c')],
    ['goto /s/ok 200', () => h.ext(({ t, u }) => browser.tabs.update(t, { url: u }).then(() => true), { t: tabId, u: url('/s/ok') }), url('/s/ok')],
    ['goto /s/d 500', () => h.ext(({ t, u }) => browser.tabs.update(t, { url: u }).then(() => true), { t: tabId, u: url('/s/d') }), url('/s/d')],
    ['goto /s/e 502', () => h.ext(({ t, u }) => browser.tabs.update(t, { url: u }).then(() => true), { t: tabId, u: url('/s/e') }), url('/s/e')],
    ['reload /s/e', () => h.ext((t) => browser.tabs.reload(t).then(() => true), tabId), url('/s/e')],
    ['click link to /s/b', () => click(url('/s/e'), '#next-b'), url('/s/b')],
    ['submit GET form', () => click(url('/s/b'), '#go'), url('/s/a?q=form')],
    ['back to /s/b', () => h.ext((t) => browser.tabs.goBack(t).then(() => true), tabId), url('/s/b')],
    ['forward to /s/a?q=form', () => h.ext((t) => browser.tabs.goForward(t).then(() => true), tabId), url('/s/a?q=form')],
    ['goto localhost /s/c', () => h.ext(({ t, u }) => browser.tabs.update(t, { url: u }).then(() => true), { t: tabId, u: url('/s/c', 'localhost') }), url('/s/c', 'localhost')],
    ['goto localhost /s/ok', () => h.ext(({ t, u }) => browser.tabs.update(t, { url: u }).then(() => true), { t: tabId, u: url('/s/ok', 'localhost') }), url('/s/ok', 'localhost')],
    ['goto localhost /s/d', () => h.ext(({ t, u }) => browser.tabs.update(t, { url: u }).then(() => true), { t: tabId, u: url('/s/d', 'localhost') }), url('/s/d', 'localhost')],
    ['back to localhost /s/ok', () => h.ext((t) => browser.tabs.goBack(t).then(() => true), tabId), url('/s/ok', 'localhost')],
    ['goto /s/b 503 again', () => h.ext(({ t, u }) => browser.tabs.update(t, { url: u }).then(() => true), { t: tabId, u: url('/s/b') }), url('/s/b')],
  ];
  for (const [i, [label, act, target]] of steps.entries()) {
    await act();
    await loaded(tabId, target);
    await expectTab(tabId, expected(target), `step ${i + 2} (${label})`);
  }

  // A link that opens a new tab: the new tab gets its own diagnosis, the opener keeps its own.
  const before = await h.ext(() => browser.tabs.query({}).then((ts) => ts.map((x) => x.id)));
  await click(url('/s/b'), '#new-tab');
  const newTab = await waitFor(async () => {
    const ids = await h.ext(() => browser.tabs.query({}).then((ts) => ts.map((x) => x.id)));
    return ids.find((id) => !before.includes(id)) ?? null;
  }, { what: 'the new tab' });
  await loaded(newTab, url('/s/c?tab=new'));
  await expectTab(newTab, expected(url('/s/c?tab=new')), 'the new tab');
  await expectTab(tabId, expected(url('/s/b')), 'the opener after the new tab');
  await new Promise((r) => setTimeout(r, 1500));
  await expectTab(tabId, expected(url('/s/b')), 'the opener, settled');
  await h.closeTab(newTab);
  await h.closeTab(tabId);
});

test('privacy: nothing reached the sinkhole proxy', () => {
  assert.deepEqual(h.sink.seen, []);
});
