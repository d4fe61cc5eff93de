// Unit tests for extension/lib/state.js against an in-memory storage.session.
import test from 'node:test';
import assert from 'node:assert/strict';
import { installFakeChrome } from './fake-chrome.mjs';

const fake = installFakeChrome();
const st = await import('../../extension/lib/state.js');

test('set/get/clear a tab; broadcasts a change each time', async () => {
  fake.sent.length = 0;
  assert.equal(await st.getTabState(1), null);
  await st.setTabState(1, { url: 'http://a/', diagnosis: { code: 502 }, tried: [] });
  assert.deepEqual(await st.getTabState(1), { url: 'http://a/', diagnosis: { code: 502 }, tried: [], tabId: 1 });
  await st.clearTabState(1);
  assert.equal(await st.getTabState(1), null);
  assert.deepEqual(fake.sent.map((m) => [m.type, m.tabId]), [['gd/state_changed', 1], ['gd/state_changed', 1]]);
});

test('tried is capped', async () => {
  const tried = Array.from({ length: 100 }, (_, i) => ({ id: 'hard_refresh', outcome: 'done', at: String(i) }));
  const s = await st.setTabState(2, { url: 'x', tried });
  assert.equal(s.tried.length, st.MAX_TRIED);
  assert.equal(s.tried.at(-1).at, '99', 'the newest are kept');
});

test('updateTabState serialises concurrent read-modify-write per tab', async () => {
  await st.setTabState(3, { url: 'x', tried: [] });
  await Promise.all(Array.from({ length: 15 }, (_, i) => st.updateTabState(3, (cur) => ({
    ...cur, tried: cur.tried.concat({ id: `r${i}`, outcome: 'done', at: '' }),
  }))));
  assert.equal((await st.getTabState(3)).tried.length, 15, 'no update lost');
  assert.equal(await st.updateTabState(3, () => undefined).then((s) => s.tried.length), 15, 'undefined keeps');
  assert.equal(await st.updateTabState(3, () => null), null);
  assert.equal(await st.getTabState(3), null, 'null deletes');
  // A throwing updater rejects but does not wedge the chain.
  await assert.rejects(st.updateTabState(3, () => { throw new Error('x'); }));
  assert.equal((await st.updateTabState(3, () => ({ url: 'y' }))).url, 'y');
});

test('allTabStates lists only tab entries', async () => {
  await st.recordSiteFailure('http://z');
  const tabs = await st.allTabStates();
  assert.ok(tabs.every((s) => Number.isInteger(s.tabId)));
  assert.ok(tabs.some((s) => s.tabId === 3));
});

test('site failure history is windowed and bounded', async () => {
  const now = 1_800_000_000_000;
  for (let i = 0; i < 50; i++) await st.recordSiteFailure('https://shop.example', now + i);
  assert.equal(await st.recentFailures('https://shop.example', now + 100), st.MAX_FAILURES_PER_SITE);
  assert.equal(await st.recentFailures('https://shop.example', now + st.FAILURE_WINDOW_MS + 100), 0);
  assert.equal(await st.recentFailures('https://other.example', now), 0);
  await st.recordSiteFailure(null);
  await st.recordSiteFailure('null');
  assert.ok(!Object.keys(fake.data.get('sites')).includes('null'));
});

test('addFailure evicts the stalest sites beyond MAX_SITES and drops expired entries', () => {
  let sites = {};
  const now = 1_000_000;
  for (let i = 0; i < st.MAX_SITES + 30; i++) sites = st.addFailure(sites, `https://s${i}.example`, now + i);
  assert.equal(Object.keys(sites).length, st.MAX_SITES);
  assert.ok(!('https://s0.example' in sites), 'oldest evicted');
  assert.ok(`https://s${st.MAX_SITES + 29}.example` in sites, 'newest kept');
  const later = st.addFailure(sites, 'https://new.example', now + st.FAILURE_WINDOW_MS + 1e6);
  assert.deepEqual(Object.keys(later), ['https://new.example'], 'expired sites dropped');
  // Garbage in the store does not break it.
  assert.deepEqual(st.addFailure({ 'https://x': 'junk' }, 'https://y', 5), { 'https://y': [5] });
});

test('stats count injections with bounded URL list', async () => {
  for (let i = 0; i < 60; i++) await st.bumpStats('injections', `http://h/${i}`);
  await st.bumpStats('diagnoses');
  const s = await st.getStats();
  assert.equal(s.injections, 60);
  assert.equal(s.diagnoses, 1);
  assert.equal(s.injected_urls.length, 50);
  assert.equal(s.injected_urls.at(-1), 'http://h/59');
});
