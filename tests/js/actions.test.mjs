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
  cookies: [],
  chromium: true,
  incognitoAllowed: false,
  granted: [],
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
    async update(tabId, props) {
      record('tabs.update', tabId, props);
      if (fake.closedTabs?.includes(tabId)) throw new Error(`No tab with id: ${tabId}`);
      return { id: tabId, windowId: 7 };
    },
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
    async update(windowId, props) { record('windows.update', windowId, props); return { id: windowId }; },
  },
  extension: { async isAllowedIncognitoAccess() { return fake.incognitoAllowed; } },
  // The optional `notifications` permission: granted only when a test says the visitor agreed.
  permissions: {
    async contains(p) { return (p.permissions || []).every((x) => fake.granted.includes(x)); },
  },
  notifications: {
    async create(id, opts) { record('notifications.create', id, opts); return id; },
    async clear(id) { record('notifications.clear', id); return true; },
  },
  // Cookie jar with the browser's keying: (name, domain, path), where a host-only cookie's domain
  // is the bare host and a domain cookie's is ".domain"; setting an expired cookie deletes the
  // one with the same key and stores nothing (RFC 6265 5.3 step 11 and what browsers do).
  cookies: {
    async getAll(q) {
      record('cookies.getAll', q);
      return fake.cookies.map((c) => ({ ...c, storeId: '0' }));
    },
    async set(d) {
      record('cookies.set', d);
      const host = new URL(d.url).hostname;
      const c = {
        name: d.name, value: d.value, path: d.path || '/', secure: !!d.secure, httpOnly: !!d.httpOnly,
        hostOnly: !d.domain, domain: d.domain ? `.${d.domain.replace(/^\./, '')}` : host,
      };
      const same = (x) => x.name === c.name && x.domain === c.domain && x.path === c.path;
      fake.cookies = fake.cookies.filter((x) => !same(x));
      if (!(d.expirationDate && d.expirationDate * 1000 < Date.now())) fake.cookies.push(c);
      return c;
    },
    async remove(d) { record('cookies.remove', d); },
    async getAllCookieStores() { return [{ id: '0', tabIds: [...fake.tabs.keys()] }]; },
  },
  browsingData: {
    async remove(opts, types) { record('browsingData.remove', opts, types); },
    async removeCache(opts) { record('browsingData.removeCache', opts); },
    removeCacheStorage: async () => {},
  },
};

// The auto-retry's decisions are the engine's (lib/engine.js → extension/pkg/worker): the module
// is instantiated here from its file, so lib/engine.js's init() finds it ready instead of
// fetching a chrome-extension:// URL. A missing build fails: `make test` builds it first.
const { PKG_DIR, loadWasm } = await import('../../scripts/bench-lib.mjs');
assert.ok(await loadWasm(), `${PKG_DIR}: the worker module is missing: run 'make build'`);

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
  fake.cookies = [];
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

/** A cookie as cookies.getAll returns it. */
const cookie = (name, domain, o = {}) => ({
  name, value: 'v', domain, path: '/', secure: false, httpOnly: false, hostOnly: !domain.startsWith('.'), ...o,
});

test('sign-out asks first, naming the host, the cookie count and the storage scope', async () => {
  reset();
  seed(4);
  fake.cookies = [cookie('sid', '127.0.0.1'), cookie('other', 'localhost')];
  const ask = await A.handleAction(4, 'sign_out_site', {});
  assert.equal(ask.needs_confirm, 'sign_out');
  assert.equal(ask.message.id, 'ui_confirm_sign_out');
  assert.deepEqual(ask.message.args, ['127.0.0.1', '1', 'http://127.0.0.1:8080']);
  assert.deepEqual(ask.choices.map((c) => c.id), ['host'], 'no shared cookies: one button');
  assert.equal(named('browsingData.remove').length + named('cookies.set').length, 0, 'nothing deleted before consent');
  assert.equal((await getTabState(4)).tried.length, 0);
  const r = await A.handleAction(4, 'sign_out_site', { confirmed: true, ...ask.choices[0].options });
  assert.equal(r.outcome, 'signed_out');
  assert.deepEqual(fake.cookies.map((c) => c.name), ['other']);
  const rm = named('browsingData.remove');
  // Storage of this origin via browsingData; never `cookies` there (Chrome would widen it to
  // the registrable domain).
  assert.deepEqual(rm.map((c) => c.args), [[{ origins: ['http://127.0.0.1:8080'] }, { localStorage: true, indexedDB: true }]]);
  assert.deepEqual(named('tabs.reload').map((c) => c.args), [[4, { bypassCache: true }]]);
  assert.equal((await getTabState(4)).tried.at(-1).id, 'sign_out_site');
});

test('sign-out deletes only this host\'s cookies; parent-domain ones only when chosen', async () => {
  const URLA = 'https://a.example.com/account';
  const jar = () => [
    cookie('sid', 'a.example.com'), // host-only, this host
    cookie('pref', '.a.example.com'), // Domain=a.example.com: this host (and below it)
    cookie('sid', '.example.com'), // Domain=example.com: shared with every host under it
    cookie('__Secure-t', '.example.com', { secure: true, sameSite: 'no_restriction' }),
    cookie('sid', 'b.example.com'), // a sibling's own
    cookie('root', 'example.com'), // host-only of the parent: a.example.com never gets it
    cookie('deep', 'x.a.example.com'), // a host below: not this host's
    cookie('sid', 'notexample.com'), // a look-alike suffix
  ];
  const names = () => fake.cookies.map((c) => `${c.name}@${c.domain}`).sort();

  reset();
  seed(40, { url: URLA });
  fake.cookies = jar();
  const ask = await A.handleAction(40, 'sign_out_site', {});
  assert.equal(ask.message.id, 'ui_confirm_sign_out_shared');
  assert.deepEqual(ask.message.args, ['a.example.com', '2', 'https://a.example.com', '2', 'example.com']);
  assert.match(ask.message.text, /every site under example\.com/);
  assert.deepEqual(ask.choices.map((c) => c.id), ['host', 'shared']);
  assert.deepEqual(ask.choices[1].label.args, ['example.com']);

  // "Only this host": the two cookies whose domain is a.example.com, nothing else, even the
  // shared cookie with the same name `sid`.
  const r = await A.handleAction(40, 'sign_out_site', { confirmed: true, ...ask.choices[0].options });
  assert.equal(r.outcome, 'signed_out');
  assert.deepEqual(r.message.args, ['2', 'a.example.com', 'https://a.example.com']);
  assert.deepEqual(names(), ['__Secure-t@.example.com', 'deep@x.a.example.com', 'root@example.com',
    'sid@.example.com', 'sid@b.example.com', 'sid@notexample.com']);
  // Each deletion is an expired write with the cookie's own key: host-only without `domain`.
  const sets = named('cookies.set').map((c) => c.args[0]);
  assert.deepEqual(sets.map((d) => [d.name, d.domain, d.path, d.url]), [
    ['sid', undefined, '/', 'http://a.example.com/'],
    ['pref', 'a.example.com', '/', 'http://a.example.com/'],
  ]);
  assert.ok(sets.every((d) => d.expirationDate * 1000 < Date.now()));
  assert.equal(named('cookies.remove').length, 0, 'never remove({url, name}): it may hit the parent cookie');

  // "Also the shared ones": the parent-domain cookies go too; siblings' own and the parent's
  // host-only cookie stay.
  calls.length = 0;
  fake.cookies = jar();
  const r2 = await A.handleAction(40, 'sign_out_site', { confirmed: true, ...ask.choices[1].options });
  assert.equal(r2.outcome, 'signed_out_shared');
  assert.deepEqual(names(), ['deep@x.a.example.com', 'root@example.com', 'sid@b.example.com', 'sid@notexample.com']);
  const secure = named('cookies.set').map((c) => c.args[0]).find((d) => d.name === '__Secure-t');
  assert.equal(secure.url, 'https://example.com/');
  assert.equal(secure.secure, true);
  assert.equal(secure.sameSite, 'no_restriction');
  assert.deepEqual((await getTabState(40)).tried.map((x) => x.outcome), ['signed_out', 'signed_out_shared']);
});

test('sign-out in Firefox: storage scoped by host:port (what Firefox compares), cookies one by one', async () => {
  reset();
  seed(41);
  fake.cookies = [cookie('sid', '127.0.0.1')];
  const saved = chrome.browsingData.removeCacheStorage;
  delete chrome.browsingData.removeCacheStorage;
  try {
    const ask = await A.handleAction(41, 'sign_out_site', {});
    assert.equal(ask.message.args[2], '127.0.0.1:8080', 'the confirmation names the scope Firefox can do');
    const r = await A.handleAction(41, 'sign_out_site', { confirmed: true });
    assert.equal(r.outcome, 'signed_out');
    // A bare '127.0.0.1' would match no stored origin on port 8080: nothing would be removed.
    assert.deepEqual(named('browsingData.remove').map((c) => c.args), [[{ hostnames: ['127.0.0.1:8080'] }, { localStorage: true, indexedDB: true }]]);
    assert.deepEqual(fake.cookies, []);
  } finally {
    chrome.browsingData.removeCacheStorage = saved;
  }
});

test('sign-out says so when a cookie survived the deletion', async () => {
  reset();
  seed(42);
  fake.cookies = [cookie('sid', '127.0.0.1')];
  const realSet = chrome.cookies.set;
  chrome.cookies.set = async () => { throw new Error('refused'); };
  try {
    const r = await A.handleAction(42, 'sign_out_site', { confirmed: true });
    assert.equal(r.outcome, 'failed');
    assert.equal(r.message.id, 'ui_sign_out_partly');
    assert.deepEqual(r.message.args, ['1']);
  } finally {
    chrome.cookies.set = realSet;
  }
});

test('reload without the cache on a POST answer: warns, never re-posts, offers a GET load', async () => {
  reset();
  seed(43, { method: 'POST', url: 'http://127.0.0.1:8080/checkout#done' });
  const remedy = { id: 'hard_refresh', action: { type: 'reload_bypass_cache' } };
  const ask = await A.handleAction(43, remedy);
  assert.equal(ask.needs_confirm, 'post_reload');
  assert.equal(ask.message.id, 'ui_confirm_post_reload');
  assert.deepEqual(ask.message.args, ['POST']);
  assert.deepEqual(ask.choices.map((c) => [c.id, c.options]), [['get', { get_reload: true }]]);
  // A bare "confirmed" (an old popup, a forged message) still does not reload the POST.
  const bare = await A.handleAction(43, remedy, { confirmed: true });
  assert.equal(bare.needs_confirm, 'post_reload');
  assert.equal(named('tabs.reload').length, 0, 'tabs.reload would re-send the form');
  const r = await A.handleAction(43, remedy, { confirmed: true, get_reload: true });
  assert.equal(r.outcome, 'reloaded_get');
  assert.equal(named('tabs.reload').length, 0);
  assert.deepEqual(named('tabs.update').map((c) => c.args), [[43, { url: 'http://127.0.0.1:8080/checkout' }]]);
  assert.deepEqual((await getTabState(43)).tried.map((x) => x.outcome), ['reloaded_get']);
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

/** Each entry: a status, 'neterr', or `{status, url}` (where redirects ended). */
function fakeFetch(statuses) {
  const seen = [];
  globalThis.fetch = async (url, init) => {
    seen.push({ url, init });
    const s = statuses.shift();
    if (s === 'neterr') throw new TypeError('Failed to fetch');
    if (s && typeof s === 'object') return { status: s.status, url: s.url, redirected: true, body: null };
    return { status: s, url, redirected: false, body: null };
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

test('"tell me when it\'s back": one notification naming the host, only when asked and permitted', async () => {
  // Not asked: the site comes back, the tab reloads, no notification.
  reset();
  fake.granted = ['notifications'];
  seed(30);
  fakeFetch([200]);
  await A.handleAction(30, 'auto_retry', { first_delay_s: 1 });
  clock = (await getTabState(30)).retry.next_at;
  await A.runRetryCheck(30);
  assert.equal((await getTabState(30)).retry.outcome, 'recovered');
  assert.equal(named('notifications.create').length, 0, 'no notification nobody asked for');

  // Asked while the countdown runs; still failing at the first check, back at the second.
  reset();
  seed(31);
  fakeFetch([502, 200]);
  await A.handleAction(31, 'auto_retry', { first_delay_s: 1 });
  const on = await A.handleAction(31, 'auto_retry', { notify: true });
  assert.equal(on.outcome, 'notify_on');
  assert.equal((await getTabState(31)).retry.active, true, 'the countdown keeps going');
  clock = (await getTabState(31)).retry.next_at;
  await A.runRetryCheck(31);
  assert.equal(named('notifications.create').length, 0, 'nothing while the site still fails');
  clock = (await getTabState(31)).retry.next_at;
  await A.runRetryCheck(31);
  const n = named('notifications.create');
  assert.equal(n.length, 1);
  assert.equal(n[0].args[1].title, '127.0.0.1 is back');
  assert.equal(n[0].args[1].type, 'basic');
  assert.ok(!JSON.stringify(n[0].args[1]).includes('id=7'), 'the address\'s query stays out of it');

  // Asked, but the permission was revoked since: nothing is shown.
  reset();
  fake.granted = [];
  seed(32);
  fakeFetch([200]);
  await A.handleAction(32, 'auto_retry', { first_delay_s: 1, notify: true });
  assert.equal((await getTabState(32)).retry.notify, true);
  clock = (await getTabState(32)).retry.next_at;
  await A.runRetryCheck(32);
  assert.equal((await getTabState(32)).retry.outcome, 'recovered');
  assert.equal(named('notifications.create').length, 0);
});

test('a click on the "is back" notification shows its tab and window; other ids are left alone', async () => {
  reset();
  fake.granted = ['notifications'];
  seed(33);
  fakeFetch([200]);
  await A.handleAction(33, 'auto_retry', { first_delay_s: 1, notify: true });
  clock = (await getTabState(33)).retry.next_at;
  await A.runRetryCheck(33);
  const [created] = named('notifications.create');
  assert.ok(created, 'the notification was shown');
  const before = calls.length;
  assert.equal(await A.onNotificationClicked(created.args[0]), true);
  const after = calls.slice(before);
  assert.deepEqual(after.map((c) => [c.name, ...c.args]), [
    ['tabs.update', 33, { active: true }],
    ['windows.update', 7, { focused: true }],
    ['notifications.clear', created.args[0]],
  ]);

  // Someone else's notification, or a malformed id: nothing is touched.
  const n = calls.length;
  assert.equal(await A.onNotificationClicked('other-extension:33'), false);
  assert.equal(await A.onNotificationClicked('back:33'), false);
  assert.equal(calls.length, n);

  // The tab was closed since: nothing to show, the notification still goes.
  fake.closedTabs = [34];
  const m = calls.length;
  assert.equal(await A.onNotificationClicked('back:34:1700000000000'), false);
  assert.deepEqual(calls.slice(m).map((c) => c.name), ['tabs.update', 'notifications.clear']);
  fake.closedTabs = [];
});

test('auto-retry: a check redirected to a login page elsewhere is not "recovered"', async () => {
  reset();
  seed(14);
  const login = 'http://login.zoo.test:8080/sso?next=broken';
  const seen = fakeFetch([{ status: 200, url: login }, { status: 200, url: login }, { status: 200, url: login }]);
  await A.handleAction(14, 'auto_retry', { max_attempts: 3 });
  clock = (await getTabState(14)).retry.next_at;
  await A.runRetryCheck(14);
  assert.equal(seen[0].init.redirect, 'follow', 'the check follows redirects to see where they end');
  let s = await getTabState(14);
  assert.notEqual(s.retry.outcome, 'recovered');
  assert.equal(s.retry.active, true, 'still watching');
  assert.equal(s.retry.last_verdict, 'unclear');
  assert.equal(s.retry.redirected_to, 'login.zoo.test:8080');
  // Loading the tab (with the visitor's cookies) is the real check: once.
  assert.deepEqual(named('tabs.reload').map((c) => c.args), [[14, { bypassCache: true }]]);
  assert.ok(!s.tried.some((x) => x.outcome === 'recovered'));
  assert.equal(s.tried.at(-1).outcome, 'unclear_reloaded');
  // The reload failed again (the tab still shows the 502): later checks do not reload again.
  for (let i = 0; i < 2; i++) {
    clock = (await getTabState(14)).retry.next_at;
    await A.runRetryCheck(14);
  }
  s = await getTabState(14);
  assert.equal(named('tabs.reload').length, 1, 'reloaded once, not at every check');
  assert.equal(s.retry.active, false);
  assert.equal(s.retry.outcome, 'unclear', 'cannot tell — not "the site is back"');
  assert.equal(s.tried.at(-1).outcome, 'unclear');
  assert.ok(!alarms.has('retry:14'));
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
