// A browsing session in one tab, as a visitor on a failing site clicks around it (issue 13
// item 2): goto, link clicks, a form GET, reload, Back/Forward, failing and healthy URLs of one
// origin and of several, and a new tab opened from a failing page. After every step the badge
// and the stored diagnosis must match that step's page exactly: no step's diagnosis is lost, and
// no earlier step's diagnosis comes back.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, waitFor } from './harness.mjs';
import { defineSessionPages, expectedAfter as expected, expectTab as expectTabIn } from '../zoo/session.mjs';

let h;
before(async () => {
  h = await launch();
  defineSessionPages(h.zoo);
});
after(async () => { await h?.close(); });

const expectTab = (tabId, want, label) => expectTabIn(h, waitFor, tabId, want, label);

test('one tab walks failing and healthy pages: every step keeps exactly its own diagnosis', async () => {
  const page = await h.context.newPage();
  const url = (p, host) => h.zoo.url(p, host);
  const steps = [];
  const step = async (label, act, want) => {
    await act();
    const tabId = await h.tabIdOf(page);
    await expectTab(tabId, want, `step ${steps.length + 1} (${label})`);
    steps.push(label);
    return tabId;
  };
  const go = (p, host) => async () => { await page.goto(url(p, host)); };
  const click = (selector) => async () => {
    const from = page.url();
    await Promise.all([page.waitForURL((u) => u.href !== from), page.click(selector)]);
  };

  // The repro of the issue: failing → failing (another URL) → failing → healthy → failing → failing.
  await step('goto /s/a 502', go('/s/a'), expected(url('/s/a')));
  await step('goto /s/b 503', go('/s/b'), expected(url('/s/b')));
  await step('goto /s/c 504', go('/s/c'), expected(url('/s/c')));
  await step('goto /s/ok 200', go('/s/ok'), expected(url('/s/ok')));
  await step('goto /s/d 500', go('/s/d'), expected(url('/s/d')));
  await step('goto /s/e 502', go('/s/e'), expected(url('/s/e')));
  // Reload of the same failing URL.
  await step('reload /s/e', async () => { await page.reload(); }, expected(url('/s/e')));
  // A link on the failing page to another failing page, and a form GET from there.
  await step('click link to /s/b', click('#next-b'), expected(url('/s/b')));
  await step('submit GET form', click('#go'), expected(url('/s/a?q=form')));
  // Back and Forward between failing pages (each reloads: error pages are not cached).
  await step('back to /s/b', async () => { await page.goBack(); }, expected(url('/s/b')));
  await step('forward to /s/a?q=form', async () => { await page.goForward(); }, expected(url('/s/a?q=form')));
  // Other origins: failing on b.zoo.test, then failing on c.zoo.test, then healthy on a.zoo.test.
  await step('goto b.zoo.test /s/c', go('/s/c', 'b.zoo.test'), expected(url('/s/c', 'b.zoo.test')));
  await step('goto c.zoo.test /s/d', go('/s/d', 'c.zoo.test'), expected(url('/s/d', 'c.zoo.test')));
  await step('goto a.zoo.test /s/ok', go('/s/ok', 'a.zoo.test'), expected(url('/s/ok', 'a.zoo.test')));
  await step('goto a.zoo.test /s/a', go('/s/a', 'a.zoo.test'), expected(url('/s/a', 'a.zoo.test')));
  // Back to a healthy page (it may come from the back/forward cache: no webRequest event).
  await step('back to a.zoo.test /s/ok', async () => { await page.goBack(); }, expected(url('/s/ok', 'a.zoo.test')));
  await step('forward to a.zoo.test /s/a', async () => { await page.goForward(); }, expected(url('/s/a', 'a.zoo.test')));
  const tabId = await step('goto /s/b 503 again', go('/s/b'), expected(url('/s/b')));

  // A new tab opened from the failing page: it gets its own diagnosis, the opener keeps its own.
  const [popupPage] = await Promise.all([h.context.waitForEvent('page'), page.click('#new-tab')]);
  await popupPage.waitForLoadState();
  const newTab = await h.tabIdOf(popupPage);
  assert.notEqual(newTab, tabId);
  await expectTab(newTab, expected(url('/s/c?tab=new')), 'the new tab');
  await expectTab(tabId, expected(url('/s/b')), 'the opener after the new tab');
  // Later events of the old navigations must not have brought anything back.
  await new Promise((r) => setTimeout(r, 1500));
  await expectTab(tabId, expected(url('/s/b')), 'the opener, settled');
  await expectTab(newTab, expected(url('/s/c?tab=new')), 'the new tab, settled');
  await popupPage.close();
  await page.close();
});

test('rapid failing navigations: the last page wins, nothing stale is written after it', async () => {
  const page = await h.context.newPage();
  // Slow-to-parse failing pages keep the reader busy while the next navigation starts.
  for (let i = 0; i < 4; i++) {
    await page.goto(h.zoo.url(`/s/slowparse?i=${i}`), { waitUntil: 'commit' });
  }
  await page.goto(h.zoo.url('/s/c?final=1'));
  const tabId = await h.tabIdOf(page);
  await expectTab(tabId, expected(h.zoo.url('/s/c?final=1')), 'after rapid navigations');
  await new Promise((r) => setTimeout(r, 3500));
  await expectTab(tabId, expected(h.zoo.url('/s/c?final=1')), 'after the stale reads gave up');
  await page.close();
});
