// Auto-retry schedule logic (extension/lib/retry.js): backoff, Retry-After, cap, GET only.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKOFF_S, DEFAULT_MAX_ATTEMPTS, MAX_DELAY_S, ALARM_MIN_DELAY_MS,
  alarmName, tabIdFromAlarm, retryRefusal, delayFor, schedule, startRetry, afterCheck,
  classifyCheck, reloadNeeded, stopRetry, sameDocument, isDue, wakePlan, formatCountdown,
} from '../../extension/lib/retry.js';

const obs = (o = {}) => ({ url: 'https://shop.example/cart?x=1', method: 'GET', status: 502, ...o });
const diag = (o = {}) => ({ kind: 'server_error', family: 'nginx', code: 502, ...o });

test('backoff is Chromium-like: 5 s, 10 s, 30 s, 1 min, 5 min, then 5 min repeated', () => {
  assert.deepEqual(schedule(8), [5, 5, 10, 30, 60, 300, 300, 300]);
  assert.deepEqual(BACKOFF_S, [5, 10, 30, 60, 300]);
  // Monotonic non-decreasing: a retry never speeds up.
  const s = schedule(20);
  for (let i = 1; i < s.length; i++) assert.ok(s[i] >= s[i - 1], `step ${i}: ${s}`);
});

test('a caller-chosen first delay (remedy delay_s / test hook) only moves the first step', () => {
  assert.deepEqual(schedule(3, { firstDelayS: 2 }), [2, 5, 10]);
  assert.equal(delayFor(0, { firstDelayS: 0 }), 5, 'zero is not a delay; default applies');
  assert.equal(delayFor(0, { firstDelayS: -3 }), 5);
  assert.equal(delayFor(0, { firstDelayS: 0.4 }), 5, 'rounds to 0 → default');
});

test('Retry-After is honoured: first check at Retry-After, later ones never sooner', () => {
  assert.equal(delayFor(0, { retryAfterS: 2 }), 2, 'short Retry-After wins over the 5 s default');
  assert.equal(delayFor(0, { retryAfterS: 2, firstDelayS: 9 }), 2, 'server beats caller');
  assert.deepEqual(schedule(4, { retryAfterS: 120 }), [120, 120, 120, 120]);
  assert.deepEqual(schedule(6, { retryAfterS: 45 }), [45, 45, 45, 45, 60, 300]);
  // A day-long Retry-After is clamped so the countdown stays meaningful.
  assert.equal(delayFor(0, { retryAfterS: 86400 }), MAX_DELAY_S);
  assert.equal(delayFor(3, { retryAfterS: 86400 }), MAX_DELAY_S);
  // Garbage is ignored.
  assert.equal(delayFor(0, { retryAfterS: NaN }), 5);
  assert.equal(delayFor(0, { retryAfterS: '7' }), 5);
});

test('only GET over http(s) is retried', () => {
  assert.equal(retryRefusal(obs()), null);
  assert.equal(retryRefusal(obs({ method: 'get' })), null);
  assert.equal(retryRefusal(obs({ method: undefined })), null, 'a navigation without method is a GET');
  assert.equal(retryRefusal(obs({ method: 'POST' })), 'not_get');
  assert.equal(retryRefusal(obs({ method: 'PUT' })), 'not_get');
  assert.equal(retryRefusal(obs({ method: 'HEAD' })), 'not_get');
  assert.equal(retryRefusal(obs({ url: '' })), 'no_url');
  assert.equal(retryRefusal(obs({ url: 'not a url' })), 'no_url');
  assert.equal(retryRefusal(obs({ url: 'file:///etc/passwd' })), 'bad_scheme');
  assert.equal(retryRefusal(obs({ url: 'javascript:alert(1)' })), 'bad_scheme');
  assert.throws(() => startRetry({ observation: obs({ method: 'POST' }), diagnosis: diag(), now: 0 }),
    /not_get/);
});

test('startRetry schedules the first check from Retry-After and records the cap', () => {
  const r = startRetry({ observation: obs(), diagnosis: diag({ retry_after_s: 2 }), now: 1000 });
  assert.equal(r.active, true);
  assert.equal(r.method, 'GET');
  assert.equal(r.url, 'https://shop.example/cart?x=1');
  assert.equal(r.next_at, 3000);
  assert.equal(r.attempt, 0);
  assert.equal(r.max_attempts, DEFAULT_MAX_ATTEMPTS);
  const r2 = startRetry({ observation: obs(), diagnosis: diag(), now: 0, maxAttempts: 3, firstDelayS: 1 });
  assert.equal(r2.next_at, 1000);
  assert.equal(r2.max_attempts, 3);
  assert.equal(startRetry({ observation: obs(), diagnosis: diag(), now: 0, maxAttempts: 1e6 }).max_attempts, 50);
});

test('only the same URL answering < 400 without leaving its origin recovers', () => {
  const url = 'https://shop.example/cart?x=1';
  const v = (status, finalUrl) => classifyCheck({ url, status, finalUrl }).verdict;
  for (const s of [200, 204, 301, 304]) assert.equal(v(s), 'back', String(s));
  assert.equal(v(200, url), 'back', 'no redirect');
  assert.equal(v(200, 'https://shop.example/cart/'), 'back', 'a redirect inside the origin is this site answering');
  for (const s of [500, 502, 503, 504, 520, 429, 408, null, undefined, 0]) assert.equal(v(s), 'down', String(s));
  // A visitor without cookies sent to a login page elsewhere: that page's 200 says nothing.
  assert.deepEqual(classifyCheck({ url, status: 200, finalUrl: 'https://login.example/sso?next=cart' }),
    { verdict: 'unclear', redirectedTo: 'login.example' });
  assert.equal(v(200, 'http://shop.example/cart?x=1'), 'unclear', 'another scheme is another origin');
  assert.equal(v(200, 'https://shop.example:8443/cart'), 'unclear', 'another port is another origin');
  assert.equal(v(502, 'https://login.example/'), 'unclear', 'even a failing page elsewhere is not this page');
  // 4xx to a visitor without cookies: the server answers, but that is no proof the page works.
  for (const s of [401, 403, 404]) assert.equal(v(s), 'unclear', String(s));

  let r = startRetry({ observation: obs(), diagnosis: diag(), now: 0, maxAttempts: 8 });
  r = afterCheck(r, { status: 502, now: 5000 });
  assert.equal(r.active, true);
  assert.equal(r.attempt, 1);
  assert.equal(r.next_at, 10_000, 'second step is 5 s after the first check');
  r = afterCheck(r, { status: null, error: 'Failed to fetch', now: 10_000 });
  assert.equal(r.last_error, 'Failed to fetch');
  assert.equal(r.next_at, 20_000);
  const prev = r;
  r = afterCheck(r, { status: 200, now: 20_000, finalUrl: 'https://shop.example/cart?x=1' });
  assert.equal(r.active, false);
  assert.equal(r.outcome, 'recovered');
  assert.equal(r.next_at, null);
  assert.equal(r.last_status, 200);
  assert.ok(reloadNeeded(prev, r), 'recovered reloads the tab');
});

test('a check redirected to another origin is never "recovered": one reload, then cannot tell', () => {
  const login = 'https://login.example/sso';
  let r = startRetry({ observation: obs(), diagnosis: diag(), now: 0, maxAttempts: 4 });
  let prev = r;
  r = afterCheck(r, { status: 200, finalUrl: login, now: 5000 });
  assert.equal(r.outcome, null, 'not recovered');
  assert.equal(r.active, true, 'still watching');
  assert.equal(r.last_verdict, 'unclear');
  assert.equal(r.redirected_to, 'login.example');
  assert.equal(r.reloaded_at, 5000);
  assert.ok(reloadNeeded(prev, r), 'the tab is reloaded: loading it is the real check');
  // The reload failed again (the pipeline re-diagnosed the tab); later unclear checks do not
  // reload again.
  for (let i = 0; i < 3; i++) {
    prev = r;
    r = afterCheck(r, { status: 200, finalUrl: login, now: r.next_at });
    assert.ok(!reloadNeeded(prev, r), `check ${i + 2}: no second reload`);
    assert.equal(r.reloaded_at, 5000);
  }
  assert.equal(r.active, false);
  assert.equal(r.outcome, 'unclear', 'at the cap: cannot tell, not "still down" and not "back"');
  // A same-origin answer later still recovers.
  let r2 = startRetry({ observation: obs(), diagnosis: diag(), now: 0 });
  r2 = afterCheck(r2, { status: 200, finalUrl: login, now: 5000 });
  r2 = afterCheck(r2, { status: 503, now: r2.next_at });
  assert.equal(r2.last_verdict, 'down');
  prev = r2;
  r2 = afterCheck(r2, { status: 200, now: r2.next_at });
  assert.equal(r2.outcome, 'recovered');
  assert.ok(reloadNeeded(prev, r2));
  // A cap of one: the single unclear check still gets its reload, and ends as "cannot tell".
  const one = startRetry({ observation: obs(), diagnosis: diag(), now: 0, maxAttempts: 1 });
  const end = afterCheck(one, { status: 200, finalUrl: login, now: 5000 });
  assert.equal(end.outcome, 'unclear');
  assert.ok(reloadNeeded(one, end));
});

test('the cap stops the retry after max_attempts failed checks', () => {
  let r = startRetry({ observation: obs(), diagnosis: diag(), now: 0, maxAttempts: 3 });
  let checks = 0;
  while (r.active) {
    r = afterCheck(r, { status: 503, now: r.next_at });
    checks++;
    assert.ok(checks <= 3, 'never more checks than the cap');
  }
  assert.equal(checks, 3);
  assert.equal(r.outcome, 'gave_up');
});

test('stop, navigation and due checks', () => {
  const r = startRetry({ observation: obs(), diagnosis: diag(), now: 0 });
  assert.equal(stopRetry(r, 'cancelled', 7).outcome, 'cancelled');
  assert.equal(stopRetry(r, 'cancelled', 7).active, false);
  assert.equal(stopRetry(null, 'cancelled', 7), null);
  assert.ok(sameDocument('https://a.example/p?q=1#x', 'https://a.example/p?q=1#y'));
  assert.ok(!sameDocument('https://a.example/p?q=1', 'https://a.example/p?q=2'));
  assert.ok(!sameDocument('https://a.example/p', 'https://b.example/p'));
  assert.ok(!sameDocument('garbage', 'https://b.example/p'));
  assert.ok(!isDue(r, 4000));
  assert.ok(isDue(r, 4600), 'within slack');
  assert.ok(isDue(r, 9000));
  assert.ok(!isDue(stopRetry(r, 'cancelled', 1), 9000), 'a stopped retry is never due');
});

test('short waits use a timer plus an alarm backstop; long waits only the alarm', () => {
  assert.deepEqual(wakePlan(5000, 0), { timerMs: 5000, alarmWhen: 7000 }, 'backstop after the timer');
  assert.deepEqual(wakePlan(120_000, 0), { timerMs: null, alarmWhen: 120_000 });
  assert.equal(wakePlan(ALARM_MIN_DELAY_MS + 1, 0).timerMs, null);
  assert.equal(wakePlan(100, 1000).timerMs, 0, 'overdue → now');
  assert.equal(wakePlan(100, 1000).alarmWhen, 2100);
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
