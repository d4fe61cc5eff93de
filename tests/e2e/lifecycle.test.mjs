// The worker's lifecycle and navigation edge cases, end to end in Chromium:
// - Stop and Back during a load raise no alarm (no badge, no state, no alarm);
// - Back from an error page to a cached healthy page clears the badge;
// - the service worker stopped after a diagnosis loses nothing (state, badge, popup);
// - a stopped worker is woken by the failing load itself and diagnoses it (cold path).
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, waitFor } from './harness.mjs';

let h;
before(async () => { h = await launch(); });
after(async () => { await h?.close(); });

const ignoredCount = async () => (await h.stats()).ignored_errors || 0;

/** Starts a navigation to a slow zoo URL in `page` and waits until the zoo has the request. */
async function startSlowLoad(page, tag) {
  const path = '/slow';
  const before = h.zoo.requests(path).filter((r) => r.url.includes(tag)).length;
  // The response comes after 45 s, well after Playwright's 30 s navigation timeout. With
  // Chromium 156.0.8078.114 the aborted navigation's ERR_ABORTED reached the extension only at
  // that 30 s mark; a response due at exactly 30 s raced it, and when the 502 won the test
  // failed now and then.
  const nav = page.goto(h.zoo.url(`/slow?ms=45000&status=502&tag=${tag}`)).catch((e) => e);
  await waitFor(() => h.zoo.requests(path).filter((r) => r.url.includes(tag)).length > before,
    { what: `zoo received the slow request ${tag}` });
  return nav;
}

async function assertNoAlarm(tabId) {
  assert.equal(await h.badge(tabId), '', 'no badge');
  assert.equal(await h.state(tabId), null, 'no state');
  const alarms = await h.alarms();
  assert.deepEqual(alarms.filter((a) => a.name.includes(String(tabId))), [], 'no alarm for this tab');
}

test('Stop during a load: nothing raised', async () => {
  const page = await h.context.newPage();
  await page.goto(h.zoo.url('/healthy?stop=1'));
  const tabId = await h.tabIdOf(page);
  const ignored = await ignoredCount();
  // The Stop button: CDP Page.stopLoading aborts the pending navigation (net::ERR_ABORTED). The
  // session is opened before the navigation starts, while the page is attached.
  const s = await h.context.newCDPSession(page);
  const nav = await startSlowLoad(page, 'stop1');
  await s.send('Page.stopLoading');
  await nav;
  await waitFor(async () => (await ignoredCount()) > ignored, { what: 'the abort was seen and ignored' });
  await assertNoAlarm(tabId);
  await page.close();
});

test('Back during a load: nothing raised', async () => {
  const page = await h.context.newPage();
  await page.goto(h.zoo.url('/healthy?back=1'));
  await page.goto(h.zoo.url('/healthy?back=2'));
  const tabId = await h.tabIdOf(page);
  const ignored = await ignoredCount();
  const nav = await startSlowLoad(page, 'back1');
  // The Back button (browser-initiated), while the slow load is pending.
  await h.sw((t) => chrome.tabs.goBack(t), tabId);
  await nav;
  await waitFor(async () => (await ignoredCount()) > ignored, { what: 'the aborted load was seen and ignored' });
  await h.waitForLoad(tabId);
  await assertNoAlarm(tabId);
  await page.close();
});

test('Back from an error page to a healthy page clears the badge', async () => {
  const page = await h.context.newPage();
  await page.goto(h.zoo.url('/healthy?bf=1'));
  await page.goto(h.zoo.url('/nginx-502?bf=1'));
  const tabId = await h.tabIdOf(page);
  await h.waitForBadge(tabId, '502');
  await page.goBack();
  await h.waitForBadge(tabId, '');
  await h.waitForState(tabId, (s) => s === null);
  await page.close();
});

test('worker stopped after a diagnosis: state, badge and popup survive', async () => {
  const tabId = await h.openTab(h.zoo.url('/cloudflare-cdn-502?life=1'));
  await h.waitForBadge(tabId, '502');
  // The badge is set before the state is written: wait for the write, not just the badge.
  const before = await h.waitForState(tabId);
  await h.stopWorker();
  assert.equal(h.workerStatus(), 'stopped');
  // The badge is the browser's, the state is in storage.session: both outlive the worker.
  const popup = await h.openPopup(tabId); // its GET_STATE wakes the worker
  try {
    const app = popup.locator('#app[data-state="diagnosed"]');
    await app.waitFor({ timeout: 15_000 });
    assert.equal(await app.getAttribute('data-family'), before.diagnosis.family);
    assert.equal(await app.getAttribute('data-code'), '502');
  } finally {
    await popup.close();
  }
  assert.equal(await h.badge(tabId), '502');
  assert.deepEqual(await h.state(tabId), before, 'state unchanged by the restart');
  await h.closeTab(tabId);
});

test('worker stopped before the failure: the load itself wakes it and gets diagnosed', async () => {
  await h.stopWorker();
  const page = await h.context.newPage(); // no worker involvement
  await page.goto(h.zoo.url('/nginx-502?cold=1'));
  // The webRequest event restarts the worker on its own (no CDP start from the harness).
  await waitFor(() => h.workerStatus() === 'running', { what: 'worker woken by the failing load', timeout: 20_000 });
  const tabId = await h.tabIdOf(page);
  await h.waitForBadge(tabId, '502');
  const s = await h.waitForState(tabId);
  assert.equal(s.observation.status, 502);
  assert.equal(typeof s.body.length, 'number', 'the page was read');
  await page.close();
});

test('worker stopped repeatedly between failures: each is diagnosed, none lost', async () => {
  const tabs = [];
  for (const [i, p] of ['/nginx-502', '/empty-502', '/google-502'].entries()) {
    const page = await h.context.newPage();
    await page.goto(h.zoo.url(`/healthy?rep=${i}`));
    const tabId = await h.tabIdOf(page);
    await h.stopWorker();
    await page.goto(h.zoo.url(`${p}?rep=${i}`)).catch(() => {});
    tabs.push({ page, tabId, path: p });
  }
  for (const { page, tabId, path } of tabs) {
    await h.waitForBadge(tabId, '502', { what: `badge 502 for ${path}` });
    // The badge is set before the state is written; waitForState fails unless a diagnosis lands.
    assert.ok((await h.waitForState(tabId)).diagnosis);
    await page.close();
  }
});

test('worker stopped in the middle of handling a failure: the next start finishes it', async () => {
  // A kill can land between "failure seen" and "badge set" (the browser may stop the worker at any
  // moment). Its trace is a `pending:<tab>` entry and no state/badge yet. Timing a real kill into
  // that window is not deterministic, so the test puts the tab into exactly that condition: a
  // failing page shown, the entry the worker writes before reading the page, nothing else.
  const page = await h.context.newPage();
  await page.goto(h.zoo.url('/nginx-502?mid=1'));
  const tabId = await h.tabIdOf(page);
  const done = await h.waitForState(tabId);
  await h.sw(async ({ t, obs }) => {
    await chrome.storage.session.remove(`tab:${t}`);
    await chrome.action.setBadgeText({ tabId: t, text: '' });
    await chrome.storage.session.set({ [`pending:${t}`]: { tabId: t, obs: { ...obs, body: null }, documentId: null, eventTime: Date.now() } });
  }, { t: tabId, obs: done.observation });
  await h.stopWorker();
  assert.equal(h.workerStatus(), 'stopped');
  await h.wakeWorker(); // plain start-up, no browser event for this tab
  await h.waitForBadge(tabId, '502', { timeout: 20_000 });
  const s = await h.waitForState(tabId);
  assert.equal(s.observation.status, 502);
  assert.match(s.body.excerpt, /nginx/, 'the page was read again after the restart');
  assert.equal(s.diagnosis.family, 'nginx');
  await waitFor(() => h.sw((t) => chrome.storage.session.get(`pending:${t}`).then((o) => !o[`pending:${t}`]), tabId),
    { what: 'pending entry cleared' });
  await page.close();
});

test('a page whose parsing is held up by a slow script is read once parsed (or after the 2 s cap)', async () => {
  const page = await h.context.newPage();
  await page.goto(h.zoo.url('/healthy?slowparse=1'));
  const tabId = await h.tabIdOf(page);
  await page.goto(h.zoo.url('/slow-parse-502?ms=1000&slowparse=1')).catch(() => {});
  await h.waitForBadge(tabId, '502');
  const s = await h.waitForState(tabId);
  // "nginx" stands only in the footer, after the slow script.
  assert.match(s.body.excerpt, /nginx/, 'the text after the slow script was read');
  await page.close();
});

test('a half-done failure left by a stopped worker is dropped when stale or when the tab moved on', async () => {
  const page = await h.context.newPage();
  await page.goto(h.zoo.url('/healthy?stale=1'));
  const tabId = await h.tabIdOf(page);
  const url = page.url();
  // As a worker killed mid-handling leaves it, but 10 minutes old / for another URL.
  await h.sw(({ t, u }) => chrome.storage.session.set({
    [`pending:${t}`]: { tabId: t, obs: { url: u, status: 502, headers: [], body: null, net_error: null }, documentId: null, eventTime: Date.now() - 600_000 },
  }), { t: tabId, u: url });
  await h.stopWorker();
  await h.wakeWorker();
  await waitFor(() => h.sw((t) => chrome.storage.session.get(`pending:${t}`).then((o) => !o[`pending:${t}`]), tabId),
    { what: 'stale pending entry dropped' });
  assert.equal(await h.state(tabId), null, 'no diagnosis from a stale entry');
  assert.equal(await h.badge(tabId), '');
  await page.close();
});

test('privacy: nothing left the machine', () => {
  h.assertPrivacy();
});
