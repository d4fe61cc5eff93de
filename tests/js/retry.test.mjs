// Auto-retry schedule, through the module the service worker ships (extension/pkg/worker, the
// `retry*` functions over src/retry.rs): backoff, Retry-After, cap, GET only, verdicts, the
// one reload, due checks, wake-ups, and the record's JSON shape in storage.session. The Rust
// unit tests (src/retry.rs) cover every decision; these prove the boundary carries them
// (lenient inputs, `null` for nothing, errors as JS Errors) and that a record an older worker
// stored still reads. Plus what stays in JS (lib/retry.js): alarm names, the popup's countdown.
//
// Builds nothing: `make test` builds extension/pkg (make wasm) first. A missing module fails
// the test: it must never pass without having called the engine.
import test from 'node:test';
import assert from 'node:assert/strict';
import { PKG_DIR, loadWasm } from '../../scripts/bench-lib.mjs';
import { alarmName, tabIdFromAlarm, formatCountdown } from '../../extension/lib/retry.js';

const gd = await loadWasm();
assert.ok(gd, `${PKG_DIR}: the worker module is missing: run 'make build'`);

const URL1 = 'https://shop.example/cart?x=1';
/** A started retry's record (the test fails on a refusal). */
function start(o = {}) {
  const started = gd.retryStart({ url: URL1, method: 'GET', now: 0, ...o });
  assert.ok('retry' in started, `refused: ${JSON.stringify(started)}`);
  return started.retry;
}
/** The delays of a retry whose every check finds the site down, until the cap. */
function delays(o = {}) {
  let r = start(o);
  const out = [r.delay_s];
  for (;;) {
    r = gd.retryAfterCheck(r, { status: 503, now: r.next_at });
    if (!r.active) return out;
    out.push(r.delay_s);
  }
}

test('backoff is Chromium-like: 5 s, 10 s, 30 s, 1 min, 5 min, then 5 min repeated', () => {
  assert.deepEqual(delays({ max_attempts: 8 }), [5, 5, 10, 30, 60, 300, 300, 300]);
  const s = delays({ max_attempts: 20 });
  for (let i = 1; i < s.length; i++) assert.ok(s[i] >= s[i - 1], `step ${i}: ${s}`);
});

test('a caller-chosen first delay only moves the first step; a number that is not positive is no wish', () => {
  assert.deepEqual(delays({ max_attempts: 3, first_delay_s: 2 }), [2, 5, 10]);
  for (const none of [0, -3, 0.4, NaN, Infinity, null, undefined]) {
    assert.equal(start({ first_delay_s: none }).delay_s, 5, `first_delay_s ${none}`);
    assert.equal(start({ retry_after_s: none }).retry_after_s, null, `retry_after_s ${none}`);
    assert.equal(start({ max_attempts: none }).max_attempts, 8, `max_attempts ${none}`);
  }
  // What is not a number is the caller's bug: an Error naming the field, never a silent default.
  for (const bad of ['7', true, [2], { s: 2 }]) {
    assert.throws(() => start({ first_delay_s: bad }), /retry start: first_delay_s: .*invalid type/, JSON.stringify(bad));
  }
});

test('Retry-After is honoured: first check at Retry-After, later ones never sooner, clamped to an hour', () => {
  assert.equal(start({ retry_after_s: 2 }).delay_s, 2, 'short Retry-After wins over the 5 s default');
  assert.equal(start({ retry_after_s: 2, first_delay_s: 9 }).delay_s, 2, 'server beats caller');
  assert.deepEqual(delays({ max_attempts: 4, retry_after_s: 120 }), [120, 120, 120, 120]);
  assert.deepEqual(delays({ max_attempts: 6, retry_after_s: 45 }), [45, 45, 45, 45, 60, 300]);
  const day = start({ retry_after_s: 86400 });
  assert.equal(day.delay_s, 3600);
  assert.equal(day.retry_after_s, 3600, 'the record keeps the clamped value');
  assert.deepEqual(delays({ max_attempts: 3, retry_after_s: 86400 }), [3600, 3600, 3600]);
});

test('only GET over http(s) is retried', () => {
  const refusal = (url, method) => {
    const started = gd.retryStart({ url, method, now: 0 });
    return 'refused' in started ? started.refused : null;
  };
  assert.equal(refusal(URL1, 'GET'), null);
  assert.equal(refusal(URL1, 'get'), null);
  assert.equal(refusal(URL1, undefined), null, 'a navigation without method is a GET');
  assert.equal(refusal(URL1, null), null);
  assert.equal(refusal(URL1, 'POST'), 'not_get');
  assert.equal(refusal(URL1, 'PUT'), 'not_get');
  assert.equal(refusal(URL1, 'HEAD'), 'not_get');
  assert.equal(refusal('', 'GET'), 'no_url');
  assert.equal(refusal('not a url', 'GET'), 'no_url');
  assert.equal(refusal('file:///etc/passwd', 'GET'), 'bad_scheme');
  assert.equal(refusal('javascript:alert(1)', 'GET'), 'bad_scheme');
  assert.deepEqual(gd.retryStart({ url: URL1, method: 'POST', now: 0 }), { refused: 'not_get' });
  assert.throws(() => gd.retryStart({ url: 7, now: 0 }), /retry start: url: .*invalid type/, 'a malformed input names its field');
});

test('startRetry schedules the first check and records the cap, the wish and the remedy', () => {
  const r = start({ retry_after_s: 2, now: 1000, remedy_id: 'wait_and_retry', notify: true });
  assert.deepEqual(r, {
    active: true,
    url: URL1,
    method: 'GET',
    attempt: 0,
    max_attempts: 8,
    next_at: 3000,
    delay_s: 2,
    retry_after_s: 2,
    first_delay_s: null,
    started_at: 1000,
    ended_at: null,
    last_status: null,
    last_error: null,
    last_verdict: null,
    redirected_to: null,
    reloaded_at: null,
    outcome: null,
    remedy_id: 'wait_and_retry',
    notify: true,
  });
  const r2 = start({ max_attempts: 3, first_delay_s: 1 });
  assert.equal(r2.next_at, 1000);
  assert.equal(r2.max_attempts, 3);
  assert.equal(start({ max_attempts: 1e6 }).max_attempts, 50);
});

test('only the same URL answering < 400 without leaving its origin recovers', () => {
  const v = (status, finalUrl) => gd.retryClassify(URL1, status, finalUrl).verdict;
  for (const s of [200, 204, 301, 304]) assert.equal(v(s), 'back', String(s));
  assert.equal(v(200, URL1), 'back', 'no redirect');
  assert.equal(v(200, 'https://shop.example/cart/'), 'back', 'a redirect inside the origin is this site answering');
  for (const s of [500, 502, 503, 504, 520, 429, 408, null, undefined, 0]) assert.equal(v(s), 'down', String(s));
  // A visitor without cookies sent to a login page elsewhere: that page's 200 says nothing.
  assert.deepEqual(gd.retryClassify(URL1, 200, 'https://login.example/sso?next=cart'),
    { verdict: 'unclear', redirected_to: 'login.example' });
  assert.deepEqual(gd.retryClassify(URL1, 200, null), { verdict: 'back', redirected_to: null });
  assert.equal(v(200, 'http://shop.example/cart?x=1'), 'unclear', 'another scheme is another origin');
  assert.equal(v(200, 'https://shop.example:8443/cart'), 'unclear', 'another port is another origin');
  assert.equal(v(502, 'https://login.example/'), 'unclear', 'even a failing page elsewhere is not this page');
  // 4xx to a visitor without cookies: the server answers, but that is no proof the page works.
  for (const s of [401, 403, 404]) assert.equal(v(s), 'unclear', String(s));

  let r = start({ max_attempts: 8 });
  r = gd.retryAfterCheck(r, { status: 502, error: null, final_url: null, now: 5000 });
  assert.equal(r.active, true);
  assert.equal(r.attempt, 1);
  assert.equal(r.last_status, 502);
  assert.equal(r.next_at, 10_000, 'second step is 5 s after the first check');
  r = gd.retryAfterCheck(r, { status: null, error: 'Failed to fetch', now: 10_000 });
  assert.equal(r.last_error, 'Failed to fetch');
  assert.equal(r.last_status, null);
  assert.equal(r.next_at, 20_000);
  const prev = r;
  r = gd.retryAfterCheck(r, { status: 200, now: 20_000, final_url: URL1 });
  assert.equal(r.active, false);
  assert.equal(r.outcome, 'recovered');
  assert.equal(r.next_at, null);
  assert.equal(r.ended_at, 20_000);
  assert.ok(gd.retryReloadNeeded(prev, r), 'recovered reloads the tab');
});

test('a check redirected to another origin is never "recovered": one reload, then cannot tell', () => {
  const login = 'https://login.example/sso';
  let r = start({ max_attempts: 4 });
  let prev = r;
  r = gd.retryAfterCheck(r, { status: 200, final_url: login, now: 5000 });
  assert.equal(r.outcome, null, 'not recovered');
  assert.equal(r.active, true, 'still watching');
  assert.equal(r.last_verdict, 'unclear');
  assert.equal(r.redirected_to, 'login.example');
  assert.equal(r.reloaded_at, 5000);
  assert.ok(gd.retryReloadNeeded(prev, r), 'the tab is reloaded: loading it is the real check');
  for (let i = 0; i < 3; i++) {
    prev = r;
    r = gd.retryAfterCheck(r, { status: 200, final_url: login, now: r.next_at });
    assert.ok(!gd.retryReloadNeeded(prev, r), `check ${i + 2}: no second reload`);
    assert.equal(r.reloaded_at, 5000);
  }
  assert.equal(r.active, false);
  assert.equal(r.outcome, 'unclear', 'at the cap: cannot tell, not "still down" and not "back"');
  assert.equal(gd.retryReloadNeeded(prev, null), false, 'no state, no reload');
});

test('the cap stops the retry after max_attempts failed checks', () => {
  let r = start({ max_attempts: 3 });
  let checks = 0;
  while (r.active) {
    r = gd.retryAfterCheck(r, { status: 503, now: r.next_at });
    checks++;
    assert.ok(checks <= 3, 'never more checks than the cap');
  }
  assert.equal(checks, 3);
  assert.equal(r.outcome, 'gave_up');
});

test('stop, navigation and due checks', () => {
  const r = start();
  const stopped = gd.retryStop(r, 'cancelled', 7);
  assert.deepEqual(stopped, { ...r, active: false, next_at: null, ended_at: 7, outcome: 'cancelled' });
  assert.equal(gd.retryStop(null, 'cancelled', 7), null);
  assert.equal(gd.retryStop(undefined, 'tab_closed', 7), null);
  assert.throws(() => gd.retryStop(r, 'exploded', 7), /outcome: .*unknown variant `exploded`/);
  assert.ok(gd.retrySameDocument('https://a.example/p?q=1#x', 'https://a.example/p?q=1#y'));
  assert.ok(!gd.retrySameDocument('https://a.example/p?q=1', 'https://a.example/p?q=2'));
  assert.ok(!gd.retrySameDocument('https://a.example/p', 'https://b.example/p'));
  assert.ok(!gd.retrySameDocument('garbage', 'https://b.example/p'));
  assert.ok(!gd.retrySameDocument('', URL1), 'a tab without a URL yet is not the watched page');
  assert.ok(!gd.retryIsDue(r, 4000));
  assert.ok(gd.retryIsDue(r, 4600), 'within slack');
  assert.ok(gd.retryIsDue(r, 9000));
  assert.ok(!gd.retryIsDue(stopped, 9000), 'a stopped retry is never due');
  assert.ok(!gd.retryIsDue(null, 9000));
});

test('short waits use a timer plus an alarm backstop; long waits only the alarm', () => {
  assert.deepEqual(gd.retryWakePlan(5000, 0), { timer_ms: 5000, alarm_when: 7000 }, 'backstop after the timer');
  assert.deepEqual(gd.retryWakePlan(120_000, 0), { timer_ms: null, alarm_when: 120_000 });
  assert.equal(gd.retryWakePlan(30_001, 0).timer_ms, null);
  assert.equal(gd.retryWakePlan(100, 1000).timer_ms, 0, 'overdue → now');
  assert.equal(gd.retryWakePlan(100, 1000).alarm_when, 2100);
  // Real clocks: epoch milliseconds pass through the boundary exactly.
  const t = 1_767_225_600_123;
  assert.deepEqual(gd.retryWakePlan(t + 5000, t), { timer_ms: 5000, alarm_when: t + 7000 });
});

test('a record an older worker stored (the JavaScript schedule\'s shape) reads and continues', () => {
  // Written by the JS schedule before src/retry.rs: storage.session outlives a worker, so the
  // next worker reads it. Through JSON, as storage.session hands it back.
  const stored = JSON.parse(JSON.stringify({
    active: true, url: URL1, method: 'GET', attempt: 1, max_attempts: 8, next_at: 1_767_225_610_000,
    delay_s: 5, retry_after_s: null, first_delay_s: 2, started_at: 1_767_225_600_000, ended_at: null,
    last_status: 502, last_error: null, last_verdict: 'down', redirected_to: null, reloaded_at: null,
    outcome: null, notify: true, remedy_id: 'auto_retry',
  }));
  assert.ok(gd.retryIsDue(stored, stored.next_at));
  const next = gd.retryAfterCheck(stored, { status: 503, now: stored.next_at });
  assert.deepEqual(next, {
    ...stored, attempt: 2, next_at: stored.next_at + 10_000, delay_s: 10, last_status: 503,
  });
  // An older record still, without the fields added later.
  const older = { active: true, url: URL1, method: 'GET', attempt: 0, max_attempts: 3, next_at: 5000, delay_s: 5, started_at: 0 };
  const r = gd.retryAfterCheck(older, { status: 200, final_url: 'https://login.example/', now: 5000 });
  assert.equal(r.reloaded_at, 5000);
  assert.equal(r.notify, false);
  assert.ok(!('remedy_id' in r), 'no remedy id: absent, as the JS schedule left it');
});

test('alarm names round-trip and foreign alarms are ignored', () => {
  assert.equal(alarmName(42), 'retry:42');
  assert.equal(tabIdFromAlarm('retry:42'), 42);
  assert.equal(tabIdFromAlarm('retry:'), null);
  assert.equal(tabIdFromAlarm('retry:4x'), null);
  assert.equal(tabIdFromAlarm('other:42'), null);
  assert.equal(tabIdFromAlarm(undefined), null);
});

test('countdown formatting', () => {
  assert.equal(formatCountdown(0), '0:00');
  assert.equal(formatCountdown(-5), '0:00');
  assert.equal(formatCountdown(4001), '0:05', 'rounds up so 0:00 means now');
  assert.equal(formatCountdown(65_000), '1:05');
  assert.equal(formatCountdown(3_725_000), '1:02:05');
});
