// The decisions behind the "this page's own requests are failing" alarm (issue 17 part 1):
// which calls count (first party, 5xx/network), when a tab is flagged, what is shown.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  siteOf, isFirstParty, callKey, displayPath, classify, newTracker, noteResult, stillFailing,
  shouldAlarm, summary, failureOf, observationOf, MAX_TRACKED, MAX_SHOWN,
} from '../../extension/lib/api-watch.js';
import { apiModel, popupModel } from '../../extension/lib/render.js';

test('siteOf: registrable-domain approximation', () => {
  assert.equal(siteOf('api.shop.com'), 'shop.com');
  assert.equal(siteOf('shop.com'), 'shop.com');
  assert.equal(siteOf('a.b.c.shop.com'), 'shop.com');
  assert.equal(siteOf('api.shop.co.uk'), 'shop.co.uk');
  assert.equal(siteOf('shop.co.uk'), 'shop.co.uk');
  assert.equal(siteOf('WWW.Shop.COM.'), 'shop.com');
  assert.equal(siteOf('127.0.0.1'), '127.0.0.1');
  assert.equal(siteOf('localhost'), 'localhost');
  assert.equal(siteOf('[::1]'), '::1');
});

test('isFirstParty: same site only; IP addresses and localhost are sites of their own', () => {
  assert.ok(isFirstParty('https://api.shop.com/v1/orders', 'https://www.shop.com/account'));
  assert.ok(isFirstParty('https://shop.com/api', 'https://shop.com'));
  // Scheme and port do not make another site (like SameSite cookies).
  assert.ok(isFirstParty('http://shop.com:8080/api', 'https://shop.com/'));
  assert.ok(isFirstParty('http://a.zoo.test:1/x', 'http://b.zoo.test:1/'));
  assert.ok(!isFirstParty('https://www.google-analytics.com/g/collect', 'https://www.shop.com/'));
  assert.ok(!isFirstParty('https://shop.com.evil.net/api', 'https://shop.com/'));
  assert.ok(!isFirstParty('https://other.co.uk/api', 'https://shop.co.uk/'));
  assert.ok(!isFirstParty('http://localhost:5/api', 'http://127.0.0.1:5/'));
  assert.ok(!isFirstParty('http://127.0.0.2/api', 'http://127.0.0.1/'));
  // An opaque initiator ("null") or garbage is never first party.
  assert.ok(!isFirstParty('https://shop.com/api', 'null'));
  assert.ok(!isFirstParty('https://shop.com/api', ''));
  assert.ok(!isFirstParty('chrome-extension://abc/x', 'https://shop.com/'));
});

test('classify: 5xx and real network errors fail; 4xx, aborts and blocks are ignored', () => {
  assert.deepEqual(classify({ statusCode: 502 }), { kind: 'failure', status: 502, net_error: null });
  assert.deepEqual(classify({ statusCode: 500 }).kind, 'failure');
  assert.deepEqual(classify({ statusCode: 599 }).kind, 'failure');
  assert.equal(classify({ statusCode: 200 }).kind, 'success');
  assert.equal(classify({ statusCode: 304 }).kind, 'success');
  assert.equal(classify({ statusCode: 401 }).kind, 'ignore');
  assert.equal(classify({ statusCode: 403 }).kind, 'ignore');
  assert.equal(classify({ statusCode: 404 }).kind, 'ignore');
  assert.equal(classify({ statusCode: 429 }).kind, 'ignore');
  assert.equal(classify({ statusCode: 0 }).kind, 'ignore');
  assert.deepEqual(classify({ error: 'net::ERR_CONNECTION_REFUSED' }),
    { kind: 'failure', status: null, net_error: 'net::ERR_CONNECTION_REFUSED' });
  assert.equal(classify({ error: 'NS_ERROR_CONNECTION_REFUSED' }).kind, 'failure');
  assert.equal(classify({ error: 'net::ERR_ABORTED' }).kind, 'ignore');
  assert.equal(classify({ error: 'net::ERR_BLOCKED_BY_CLIENT' }).kind, 'ignore');
  assert.equal(classify({ error: 'NS_BINDING_ABORTED' }).kind, 'ignore');
});

test('displayPath and callKey: no query string or fragment shown; userinfo never kept', () => {
  assert.equal(displayPath('https://shop.com/api/orders?token=S3CRET#x'), '/api/orders');
  assert.equal(displayPath('https://shop.com'), '/');
  assert.equal(displayPath(`https://shop.com/${'a'.repeat(500)}`).length, 201);
  assert.equal(callKey('get', 'https://u:p@shop.com/api?x=1#f'), 'GET https://shop.com/api?x=1');
  assert.notEqual(callKey('GET', 'https://shop.com/api'), callKey('POST', 'https://shop.com/api'));
});

const fail502 = { kind: 'failure', status: 502, net_error: null };
const ok = { kind: 'success' };
const call = (path) => ({ url: `https://shop.com${path}?q=1`, path, headers: [{ name: 'server', value: 'nginx' }], at: 1000 });

test('two distinct failing calls alarm; one does not', () => {
  const t = newTracker('req-1', 'https://shop.com/');
  noteResult(t, 'GET /api/orders', fail502, call('/api/orders'));
  assert.equal(shouldAlarm(t), false);
  noteResult(t, 'GET /api/user', { kind: 'failure', status: 504, net_error: null }, call('/api/user'));
  assert.equal(shouldAlarm(t), true);
  assert.deepEqual(summary(t).map((f) => [f.url_path, f.status, f.count]), [['/api/orders', 502, 1], ['/api/user', 504, 1]]);
});

test('a call that fails again on the app\'s retry alarms; one that then succeeds does not', () => {
  const again = newTracker('p', '');
  noteResult(again, 'GET a', fail502, call('/api/a'));
  noteResult(again, 'GET a', fail502, call('/api/a'));
  assert.equal(shouldAlarm(again), true);
  assert.equal(summary(again)[0].count, 2);

  const recovered = newTracker('p', '');
  noteResult(recovered, 'GET a', fail502, call('/api/a'));
  noteResult(recovered, 'GET a', ok);
  assert.equal(shouldAlarm(recovered), false);
  assert.deepEqual(stillFailing(recovered), []);
  // Another failure after that is a single failure again.
  noteResult(recovered, 'GET b', fail502, call('/api/b'));
  assert.equal(shouldAlarm(recovered), false);
  // Success of another call does not cancel a failure.
  noteResult(recovered, 'GET c', ok);
  noteResult(recovered, 'GET d', fail502, call('/api/d'));
  assert.equal(shouldAlarm(recovered), true);
});

test('ignored outcomes (4xx) change nothing; a healthy app never alarms', () => {
  const t = newTracker('p', '');
  for (let i = 0; i < 10; i++) {
    noteResult(t, `GET /api/${i}`, ok);
    noteResult(t, 'GET /api/me', { kind: 'ignore' });
  }
  assert.equal(shouldAlarm(t), false);
  assert.deepEqual(summary(t), []);
});

test('worst first: most failures, then HTTP before network errors, then the oldest', () => {
  const t = newTracker('p', '');
  noteResult(t, 'GET n', { kind: 'failure', status: null, net_error: 'net::ERR_CONNECTION_RESET' }, call('/n'));
  noteResult(t, 'GET a', fail502, call('/a'));
  noteResult(t, 'GET b', fail502, call('/b'));
  noteResult(t, 'GET b', fail502, call('/b'));
  assert.deepEqual(stillFailing(t).map((c) => c.key), ['GET b', 'GET a', 'GET n']);
  assert.equal(summary(t)[2].net_error, 'net::ERR_CONNECTION_RESET');
});

test('bounded: a polling app cannot grow the tracker or the stored list', () => {
  const t = newTracker('p', '');
  for (let i = 0; i < 500; i++) noteResult(t, `GET /poll/${i}`, fail502, call(`/poll/${i}`));
  assert.equal(t.order.length, MAX_TRACKED);
  assert.equal(Object.keys(t.calls).length, MAX_TRACKED);
  assert.equal(summary(t).length, MAX_SHOWN);
  assert.equal(shouldAlarm(t), true);
});

test('failureOf/observationOf: allow-listed headers, no body, no userinfo', () => {
  const f = failureOf({
    url: 'https://u:pw@shop.com/api/orders?id=7',
    statusCode: 502,
    statusLine: 'HTTP/1.1 502 Bad Gateway',
    responseHeaders: [{ name: 'Server', value: 'nginx' }, { name: 'Set-Cookie', value: 'sid=S3CRET' }, { name: 'X-Request-Id', value: 'r1' }],
    timeStamp: 5000,
  });
  assert.equal(f.url, 'https://shop.com/api/orders?id=7');
  assert.equal(f.path, '/api/orders');
  assert.deepEqual(f.headers.map((h) => h.name), ['server', 'x-request-id']);
  const t = newTracker('p', '');
  noteResult(t, 'POST https://shop.com/api/orders?id=7', fail502, f);
  const obs = observationOf(stillFailing(t)[0], { browser: 'chrome/130', os: 'linux' });
  assert.equal(obs.method, 'POST');
  assert.equal(obs.status, 502);
  assert.equal(obs.body, null);
  assert.equal(obs.net_error, null);
  assert.equal(obs.browser, 'chrome/130');
  assert.equal(obs.observed_at, new Date(5000).toISOString());
  assert.ok(!JSON.stringify(obs).includes('S3CRET'));
});

test('popup model: the API headline and one line per failing call, page text cleaned', () => {
  const state = {
    url: 'https://shop.com/app',
    observation: { url: 'https://shop.com/api/orders', status: 502, headers: [] },
    diagnosis: { kind: 'server_error', family: 'nginx', fault: 'site', code: 502, remedies: [], evidence: [], ids: [] },
    api: {
      page: 'r1',
      failures: [
        { url_path: '/api/orders', status: 502, count: 1, family: 'nginx', fault: 'site' },
        { url_path: '/api/\u202eevil', status: null, net_error: 'net::ERR_CONNECTION_RESET', count: 3, family: 'unknown', fault: 'network' },
      ],
    },
  };
  const m = popupModel(state);
  assert.equal(m.headline, 'This page loaded, but its own requests to the website are failing');
  assert.deepEqual(m.api.failures[0], { path: '/api/orders', code: '502', who: 'nginx, the website', count: 1 });
  assert.equal(m.api.failures[1].path, '/api/\ufffdevil');
  assert.equal(m.api.failures[1].code, 'net::ERR_CONNECTION_RESET');
  assert.equal(m.api.failures[1].who, 'your connection (network, DNS, proxy)');
  assert.equal(apiModel({ failures: [{ url_path: '/a', net_error: 'net::ERR_CONNECTION_RESET', family: 'network', fault: 'site' }] })
    .failures[0].who, 'the website');
  assert.equal(m.api.failures[1].count, 3);
  // A failed page has no API section and keeps its own headline.
  const page = popupModel({ ...state, api: undefined });
  assert.equal(page.api, null);
  assert.notEqual(page.headline, m.headline);
  assert.deepEqual(apiModel(null), { failures: [] });
});
