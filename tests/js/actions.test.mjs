// Remedy executors (extension/lib/actions.js) against a recording fake of the WebExtension API:
// what each action deletes, reloads or opens, what it refuses without consent, and the
// auto-retry loop (check without cookies/cache, reload only when back, cap, navigation, resume).
import test from 'node:test';
import assert from 'node:assert/strict';

const calls = [];
const session = new Map();
const alarms = new Map();
const fake = {
  tabs: new Map(),
  chromium: true,
  incognitoAllowed: false,
};

function record(name, ...args) {
  calls.push({ name, args });
}

globalThis.chrome = {
  runtime: { id: 'test', getURL: (p) => `chrome-extension://test/${p}` },
  i18n: { getMessage: () => '' },
  storage: {
    session: {
      async get(key) {
        if (key === null) return Object.fromEntries(session);
        return session.has(key) ? { [key]: structuredClone(session.get(key)) } : {};
      },
      async set(obj) {
        for (const [k, v] of Object.entries(obj)) session.set(k, structuredClone(v));
      },
      async remove(key) {
        session.delete(key);
      },
    },
  },
  tabs: {
    async reload(tabId, props) { record('tabs.reload', tabId, props); },
    async get(tabId) {
      if (!fake.tabs.has(tabId)) throw new Error(`No tab with id: ${tabId}`);
      return { id: tabId, url: fake.tabs.get(tabId) };
    },
    async create(props) { record('tabs.create', props); return { id: 999 }; },
  },
  alarms: {
    async create(name, info) { alarms.set(name, info); record('alarms.create', name, info); },
    async clear(name) { record('alarms.clear', name); return alarms.delete(name); },
  },
  windows: {
    async create(props) {
      record('windows.create', props);
      if (props.incognito && !fake.incognitoAllowed) throw new Error('Incognito mode is not allowed');
      return { id: 5 };
    },
  },
  extension: { async isAllowedIncognitoAccess() { return fake.incognitoAllowed; } },
  browsingData: {
    async remove(opts, types) { record('browsingData.remove', opts, types); },
    async removeCache(opts) { record('browsingData.removeCache', opts); },
    removeCacheStorage: async () => {},
  },
};

const A = await import('../../extension/lib/actions.js');
const { getTabState } = await import('../../extension/lib/state.js');

let clock = 1_000_000;
A.__setClock(() => clock);

const URL1 = 'http://127.0.0.1:8080/broken?id=7';
function seed(tabId, o = {}) {
  const state = {
    tabId,
    url: o.url || URL1,
    observation: { url: o.url || URL1, method: o.method || 'GET', status: 502 },
    diagnosis: { kind: 'server_error', family: 'nginx', code: 502, retry_after_s: o.retryAfter, remedies: [] },
    at: clock,
    tried: [],
    retry: null,
  };
  session.set(`tab:${tabId}`, state);
  fake.tabs.set(tabId, o.url || URL1);
}
const named = (n) => calls.filter((c) => c.name === n);
function reset() {
  calls.length = 0;
  session.clear();
  alarms.clear();
  fake.tabs.clear();
}

test('hard refresh reloads the tab bypassing the cache and is recorded', async () => {
  reset();
  seed(1);
  const r = await A.handleAction(1, { id: 'hard_refresh', action: { type: 'reload_bypass_cache' } });
  assert.equal(r.outcome, 'reloaded');
  assert.deepEqual(named('tabs.reload').map((c) => c.args), [[1, { bypassCache: true }]]);
  const s = await getTabState(1);
  assert.equal(s.tried.length, 1);
  assert.equal(s.tried[0].id, 'hard_refresh');
  assert.equal(s.tried[0].outcome, 'reloaded');
  assert.match(s.tried[0].at, /^\d{4}-\d\d-\d\dT/);
});

test('clear cache removes only cache types of only this origin, then reloads', async () => {
  reset();
  seed(2);
  const r = await A.handleAction(2, { id: 'clear_site_cache', action: { type: 'clear_site_cache' } });
  assert.equal(r.outcome, 'cache_cleared');
  const rm = named('browsingData.remove');
  assert.equal(rm.length, 1);
  assert.deepEqual(rm[0].args[0], { origins: ['http://127.0.0.1:8080'] });
  assert.deepEqual(rm[0].args[1], { cache: true, cacheStorage: true });
  assert.ok(!('cookies' in rm[0].args[1]) && !('localStorage' in rm[0].args[1]));
  assert.equal(named('browsingData.removeCache').length, 0, 'never the whole cache');
  assert.equal(named('tabs.reload').length, 1);
});

test('without origin-scoped cache clearing (Firefox) nothing is removed until confirmed', async () => {
  reset();
  seed(3);
  const saved = chrome.browsingData.removeCacheStorage;
  delete chrome.browsingData.removeCacheStorage;
  try {
    const ask = await A.handleAction(3, { id: 'clear_site_cache', action: { type: 'clear_site_cache' } });
    assert.equal(ask.needs_confirm, 'whole_cache');
    assert.equal(named('browsingData.remove').length + named('browsingData.removeCache').length, 0);
    assert.equal(named('tabs.reload').length, 0);
    assert.equal((await getTabState(3)).tried.length, 0, 'a question is not an attempt');
    const r = await A.handleAction(3, { id: 'clear_site_cache', action: { type: 'clear_site_cache' } }, { confirmed: true });
    assert.equal(r.outcome, 'whole_cache_cleared');
    assert.deepEqual(named('browsingData.removeCache').map((c) => c.args[0]), [{}]);
    assert.equal(named('browsingData.remove').length, 0, 'cookies/storage untouched');
  } finally {
    chrome.browsingData.removeCacheStorage = saved;
  }
});

test('sign-out asks first, then deletes cookies + localStorage of this origin only', async () => {
  reset();
  seed(4);
  const ask = await A.handleAction(4, 'sign_out_site', {});
  assert.equal(ask.needs_confirm, 'sign_out');
  assert.deepEqual(ask.message.args, ['127.0.0.1:8080']);
  assert.equal(named('browsingData.remove').length, 0);
  const r = await A.handleAction(4, 'sign_out_site', { confirmed: true });
  assert.equal(r.outcome, 'signed_out');
  const rm = named('browsingData.remove');
  assert.deepEqual(rm.map((c) => c.args), [[{ origins: ['http://127.0.0.1:8080'] }, { cookies: true, localStorage: true }]]);
  assert.equal((await getTabState(4)).tried.at(-1).id, 'sign_out_site');
});

test('private window: refused → explanation; allowed → opens the page', async () => {
  reset();
  seed(5);
  fake.incognitoAllowed = false;
  const r = await A.handleAction(5, { id: 'private_window', action: { type: 'open_private_window' } });
  assert.equal(r.outcome, 'private_refused');
  assert.equal(r.message.id, 'ui_private_refused');
  fake.incognitoAllowed = true;
  const r2 = await A.handleAction(5, { id: 'private_window', action: { type: 'open_private_window' } });
  assert.equal(r2.outcome, 'opened_private');
  assert.deepEqual(named('windows.create').at(-1).args[0], { url: URL1, incognito: true });
  fake.incognitoAllowed = false;
});

test('open_url opens only http(s) links in a new tab', async () => {
  reset();
  seed(6);
  const ok = await A.handleAction(6, { id: 'status_page', action: { type: 'open_url', url: 'https://www.cloudflarestatus.com/' } });
  assert.equal(ok.outcome, 'opened');
  assert.deepEqual(named('tabs.create')[0].args[0], { url: 'https://www.cloudflarestatus.com/', active: true });
  const bad = await A.handleAction(6, { id: 'status_page', action: { type: 'open_url', url: 'javascript:alert(1)' } });
  assert.equal(bad.outcome, 'failed');
  assert.equal(named('tabs.create').length, 1);
});

test('copy actions are recorded; unknown remedies fail politely', async () => {
  reset();
  seed(7);
  assert.equal((await A.handleAction(7, { id: 'copy_report', action: { type: 'copy_report' } }, { outcome: 'copied' })).outcome, 'copied');
  assert.equal((await A.handleAction(7, { id: 'wait', steps: [] })).outcome, 'failed');
  assert.deepEqual((await getTabState(7)).tried.map((t) => t.outcome), ['copied', 'failed']);
});

// --- auto-retry -------------------------------------------------------------------------------

function fakeFetch(statuses) {
  const seen = [];
  globalThis.fetch = async (url, init) => {
    seen.push({ url, init });
    const s = statuses.shift();
    if (s === 'neterr') throw new TypeError('Failed to fetch');
    return { status: s, body: null };
  };
  return seen;
}

test('auto-retry: POST is refused, GET starts a countdown honouring Retry-After', async () => {
  reset();
  seed(8, { method: 'POST' });
  const r = await A.handleAction(8, { id: 'auto_retry', action: { type: 'auto_retry' } });
  assert.equal(r.outcome, 'retry_refused_not_get');
  assert.equal(alarms.size, 0);
  seed(9, { retryAfter: 2 });
  const r2 = await A.handleAction(9, { id: 'auto_retry', action: { type: 'auto_retry' } });
  assert.equal(r2.outcome, 'retry_started');
  const s = await getTabState(9);
  assert.equal(s.retry.next_at, clock + 2000);
  assert.ok(alarms.has('retry:9'), 'alarm backstop set');
  await A.cancelRetry(9);
  assert.ok(!alarms.has('retry:9'));
  const after = await getTabState(9);
  assert.equal(after.retry.active, false);
  assert.equal(after.retry.outcome, 'cancelled');
  assert.equal(after.tried.at(-1).outcome, 'cancelled');
});

test('auto-retry checks without cookies/cache and reloads only when the site is back', async () => {
  reset();
  seed(10);
  const seen = fakeFetch([502, 'neterr', 200]);
  await A.handleAction(10, 'auto_retry', { first_delay_s: 5 });
  // Not due yet: nothing fetched.
  await A.runRetryCheck(10);
  assert.equal(seen.length, 0);
  clock += 5000;
  await A.runRetryCheck(10);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].url, URL1);
  assert.equal(seen[0].init.credentials, 'omit');
  assert.equal(seen[0].init.cache, 'no-store');
  assert.equal(named('tabs.reload').length, 0, 'no reload while still failing');
  let s = await getTabState(10);
  assert.equal(s.retry.attempt, 1);
  assert.equal(s.retry.last_status, 502);
  clock = s.retry.next_at;
  await A.onRetryAlarm({ name: 'retry:10' });
  s = await getTabState(10);
  assert.equal(s.retry.last_status, null);
  assert.equal(named('tabs.reload').length, 0);
  clock = s.retry.next_at;
  await A.onRetryAlarm({ name: 'retry:10' });
  s = await getTabState(10);
  assert.equal(s.retry.outcome, 'recovered');
  assert.deepEqual(named('tabs.reload').map((c) => c.args), [[10, { bypassCache: true }]]);
  assert.ok(!alarms.has('retry:10'));
  assert.equal(s.tried.at(-1).outcome, 'recovered');
});

test('auto-retry stops when the tab went elsewhere, and at the cap', async () => {
  reset();
  seed(11);
  const seen = fakeFetch([]);
  await A.handleAction(11, 'auto_retry', {});
  fake.tabs.set(11, 'https://elsewhere.example/');
  clock += 60_000;
  await A.runRetryCheck(11);
  assert.equal(seen.length, 0, 'no check for a page the visitor left');
  assert.equal((await getTabState(11)).retry.outcome, 'navigated_away');
  assert.equal(named('tabs.reload').length, 0);

  seed(12);
  fakeFetch([503, 503, 503, 503]);
  await A.handleAction(12, 'auto_retry', { max_attempts: 3 });
  for (let i = 0; i < 5; i++) {
    const s = await getTabState(12);
    if (!s.retry.active) break;
    clock = s.retry.next_at;
    await A.runRetryCheck(12);
  }
  const s = await getTabState(12);
  assert.equal(s.retry.outcome, 'gave_up');
  assert.equal(s.retry.attempt, 3);
  assert.equal(named('tabs.reload').length, 0);
});

test('resumeRetries re-arms active retries after a worker restart', async () => {
  reset();
  seed(13);
  fakeFetch([]);
  await A.handleAction(13, 'auto_retry', {});
  alarms.clear();
  calls.length = 0;
  await A.resumeRetries();
  assert.ok(alarms.has('retry:13'));
  await A.cancelRetry(13);
  await A.onRetryAlarm({ name: 'not-ours' });
});
