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

test('stats are numbers only: no page address is kept', async () => {
  for (let i = 0; i < 60; i++) await st.bumpStats('injections', `http://user:pw@h/${i}?q=1`);
  await st.bumpStats('diagnoses');
  const s = await st.getStats();
  assert.equal(s.injections, 60);
  assert.equal(s.diagnoses, 1);
  assert.doesNotMatch(JSON.stringify(fake.data.get('stats')), /http|user|pw/);
});

test('evictionOrder: least recently used first, never the tab being written or an expired one', () => {
  const idx = { 1: [400, 10], 2: [400, 5], 3: [400, 30], 4: [50, 1, 1] };
  assert.deepEqual(st.evictionOrder(idx, 3, 2000), [], 'within budget: nothing');
  assert.deepEqual(st.evictionOrder(idx, 3, 900, new Set(['4'])), [2], 'oldest first');
  assert.deepEqual(st.evictionOrder(idx, 2, 500, new Set(['4'])), [1, 3], 'not the tab being written');
  assert.deepEqual(st.evictionOrder(idx, 3, 0, new Set(['4'])), [2, 1]);
});

test('tab entries stay within the byte budget; old tabs become expired markers', async () => {
  for (const k of [...fake.data.keys()]) fake.data.delete(k);
  const big = 'é'.repeat(Math.ceil(st.TAB_BYTES_BUDGET / 2 / 5));
  for (let tab = 100; tab < 110; tab++) {
    await st.setTabState(tab, { url: `http://h${tab}/`, diagnosis: { code: 502 }, note: big });
  }
  const states = await st.allTabStates();
  const live = states.filter((s) => s.diagnosis);
  const expired = states.filter((s) => s.expired);
  assert.equal(states.length, 10, 'every tab keeps an entry');
  assert.ok(live.some((s) => s.tabId === 109), 'the newest is kept');
  assert.ok(expired.some((s) => s.tabId === 100), 'the oldest expired');
  assert.deepEqual(Object.keys(expired[0]).sort(), ['at', 'expired', 'tabId', 'url']);
  let total = 0;
  for (const [k, v] of fake.data) if (k.startsWith('tab:')) total += st.entryBytes(k, v);
  assert.ok(total <= st.TAB_BYTES_BUDGET, `${total} bytes within the budget`);
});

test('a refused write evicts and is tried again: the new failure is never lost', async () => {
  for (const k of [...fake.data.keys()]) fake.data.delete(k);
  // Entries an older version wrote, unknown to the index, fill a small quota.
  for (let tab = 1; tab <= 5; tab++) fake.data.set(`tab:${tab}`, { tabId: tab, url: `http://o${tab}/`, note: 'x'.repeat(3000) });
  fake.quota = 16_000;
  try {
    const s = await st.setTabState(7, { url: 'http://new/', diagnosis: { code: 503 }, note: 'y'.repeat(3000) });
    assert.equal(s.url, 'http://new/');
    assert.equal((await st.getTabState(7)).diagnosis.code, 503, 'the new state is stored');
    const expired = (await st.allTabStates()).filter((x) => x.expired).map((x) => x.tabId);
    assert.ok(expired.length >= 1, 'older entries made room');
  } finally {
    fake.quota = Infinity;
  }
});

test('updating a tab touches only its own entry; touch makes it evicted last', async () => {
  for (const k of [...fake.data.keys()]) fake.data.delete(k);
  await st.setTabState(1, { url: 'a', diagnosis: {} });
  await st.setTabState(2, { url: 'b', diagnosis: {} });
  await new Promise((r) => setTimeout(r, 5));
  await st.touchTabState(1);
  const idx = fake.data.get('tab-index');
  assert.ok(idx[1][1] > idx[2][1], 'tab 1 is now the most recently used');
  await st.clearTabState(1);
  assert.ok(!('1' in fake.data.get('tab-index')), 'a cleared tab leaves the index');
});

test('clearPending with a request id keeps a newer failure\'s pending entry', async () => {
  await st.setPending(9, { requestId: 'r2', obs: {} });
  await st.clearPending(9, 'r1');
  assert.equal((await st.allPending()).filter((p) => p.tabId === 9).length, 1, 'kept');
  await st.clearPending(9, 'r2');
  assert.equal((await st.allPending()).filter((p) => p.tabId === 9).length, 0, 'removed');
});
