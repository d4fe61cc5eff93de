// Unit tests for extension/lib/observe.js: webRequest details → Observation, header privacy,
// ignorable errors and badge mapping.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  filterHeaders, headerAllowed, isIgnorableError, isWatchedRequest, fromResponse, fromError,
  needsBody, isHealthy, withBody, badgeFor, netErrorBadge, originOf, BODY_CAP, MAX_HEADERS,
  MAX_HEADER_VALUE, FAULT_COLORS, readPage, createRequestTabs,
} from '../../extension/lib/observe.js';

const completed = {
  requestId: '42', url: 'https://shop.example/cart?id=7', method: 'GET', type: 'main_frame',
  tabId: 3, frameId: 0, statusCode: 502, statusLine: 'HTTP/1.1 502 Bad Gateway', timeStamp: 1_763_740_000_000,
  frameType: 'outermost_frame', documentLifecycle: 'active',
  responseHeaders: [
    { name: 'Server', value: 'cloudflare' },
    { name: 'CF-RAY', value: '615ffe6868e315d7-EWR' },
    { name: 'Set-Cookie', value: 'session=secret' },
    { name: 'Content-Type', value: 'text/html; charset=UTF-8' },
    { name: 'Content-Security-Policy', value: "default-src 'none'" },
    { name: 'X-Amz-Cf-Id', value: 'abc==' },
    { name: 'Retry-After', value: '30' },
  ],
};

test('fromResponse keeps status, status line and only allow-listed headers', () => {
  const obs = fromResponse(completed, { browser: 'chrome/156', os: 'linux' });
  assert.equal(obs.url, completed.url);
  assert.equal(obs.status, 502);
  assert.equal(obs.status_line, 'HTTP/1.1 502 Bad Gateway');
  assert.equal(obs.method, 'GET');
  assert.equal(obs.browser, 'chrome/156');
  assert.equal(obs.os, 'linux');
  assert.equal(obs.net_error, null);
  assert.equal(obs.body, null);
  assert.equal(obs.observed_at, new Date(completed.timeStamp).toISOString());
  assert.deepEqual(obs.headers.map((h) => h.name),
    ['server', 'cf-ray', 'content-type', 'x-amz-cf-id', 'retry-after']);
  assert.ok(!JSON.stringify(obs).includes('secret'), 'cookies never enter an observation');
});

test('header allow-list denies credentials even under an allowed prefix', () => {
  assert.equal(headerAllowed('cf-access-jwt-assertion'), false);
  assert.equal(headerAllowed('Authorization'), false);
  assert.equal(headerAllowed('cookie'), false);
  assert.equal(headerAllowed('cf-cache-status'), true);
  assert.equal(headerAllowed('X-Vercel-Id'), true);
});

test('headers are bounded in count and length; binary values decode', () => {
  const many = Array.from({ length: 500 }, (_, i) => ({ name: `x-request-id`, value: `v${i}` }));
  assert.equal(filterHeaders(many).length, MAX_HEADERS);
  const long = filterHeaders([{ name: 'server', value: 'x'.repeat(100_000) }]);
  assert.equal(long[0].value.length, MAX_HEADER_VALUE);
  const bin = filterHeaders([{ name: 'Server', binaryValue: [110, 103, 105, 110, 120] }]);
  assert.deepEqual(bin, [{ name: 'server', value: 'nginx' }]);
  assert.deepEqual(filterHeaders(undefined), []);
  assert.deepEqual(filterHeaders([null, { value: 'x' }, { name: 5 }]), []);
});

test('network errors: user stops, Back/Forward and blockers are ignored; real failures are not', () => {
  for (const e of ['net::ERR_ABORTED', 'NS_BINDING_ABORTED', 'net::ERR_BLOCKED_BY_CLIENT',
    'net::ERR_CACHE_MISS', undefined, '']) {
    assert.equal(isIgnorableError(e), true, String(e));
  }
  for (const e of ['net::ERR_NAME_NOT_RESOLVED', 'net::ERR_CONNECTION_REFUSED', 'NS_ERROR_UNKNOWN_HOST',
    'NS_ERROR_CONNECTION_REFUSED', 'net::ERR_TIMED_OUT']) {
    assert.equal(isIgnorableError(e), false, e);
  }
});

test('only http(s) main frames outside prerender are watched', () => {
  assert.equal(isWatchedRequest(completed), true);
  assert.equal(isWatchedRequest({ ...completed, type: 'sub_frame' }), false);
  assert.equal(isWatchedRequest({ ...completed, documentLifecycle: 'prerender' }), false);
  assert.equal(isWatchedRequest({ ...completed, frameType: 'fenced_frame' }), false);
  assert.equal(isWatchedRequest({ ...completed, url: 'chrome://newtab/' }), false);
  assert.equal(isWatchedRequest({ ...completed, url: 'file:///etc/passwd' }), false);
  // Firefox has neither frameType nor documentLifecycle.
  const ff = { ...completed };
  delete ff.frameType;
  delete ff.documentLifecycle;
  assert.equal(isWatchedRequest(ff), true);
  assert.equal(isWatchedRequest(null), false);
});

test('fromError keeps the error code and no status', () => {
  const obs = fromError({ url: 'http://broken.test/', error: 'net::ERR_NAME_NOT_RESOLVED', timeStamp: 5 });
  assert.equal(obs.status, null);
  assert.equal(obs.net_error, 'net::ERR_NAME_NOT_RESOLVED');
  assert.equal(obs.method, 'GET');
  assert.equal(isHealthy(obs), false);
  assert.equal(needsBody(obs), false);
});

test('healthy vs failed', () => {
  assert.equal(isHealthy(fromResponse({ ...completed, statusCode: 200 })), true);
  assert.equal(isHealthy(fromResponse({ ...completed, statusCode: 304 })), true);
  assert.equal(needsBody(fromResponse({ ...completed, statusCode: 200 })), false);
  assert.equal(needsBody(fromResponse({ ...completed, statusCode: 404 })), true);
  assert.equal(needsBody(fromResponse({ ...completed, statusCode: 502 })), true);
  assert.equal(isHealthy(fromResponse({ ...completed, statusCode: 0 })), false);
});

test('withBody caps and flags truncation; empty and unknown bodies differ', () => {
  const obs = fromResponse(completed);
  const big = withBody(obs, 'a'.repeat(BODY_CAP + 10));
  assert.equal(big.body.length, BODY_CAP);
  assert.equal(big.body_truncated, true);
  assert.deepEqual([withBody(obs, '').body, withBody(obs, '').body_truncated], ['', false]);
  assert.equal(withBody(obs, null).body, null);
});

test('badge: code for HTTP errors, short words for network errors, colour by fault, none for ok/challenge', () => {
  const d = (kind, fault, code) => ({ kind, fault, code });
  assert.deepEqual(badgeFor(d('server_error', 'site', 502), { status: 502 }), { text: '502', color: FAULT_COLORS.site });
  assert.deepEqual(badgeFor(d('server_error', 'cdn', 500), { status: 500 }), { text: '500', color: FAULT_COLORS.cdn });
  assert.equal(badgeFor(d('server_error', 'site', undefined), { status: 503 }).text, '503');
  assert.deepEqual(badgeFor(d('network_error', 'network'), { net_error: 'net::ERR_NAME_NOT_RESOLVED' }),
    { text: 'DNS', color: FAULT_COLORS.network });
  assert.equal(badgeFor(d('network_error', 'site'), { net_error: 'net::ERR_CONNECTION_REFUSED' }).text, 'OFF');
  // Squid's DNS-failure page is a network error that arrived with a status: the badge shows it.
  assert.deepEqual(badgeFor(d('network_error', 'network', 503), { status: 503 }), { text: '503', color: FAULT_COLORS.network });
  assert.equal(badgeFor(d('ok', 'none', 200), { status: 200 }), null);
  assert.equal(badgeFor(d('challenge', 'none', 403), { status: 403 }), null);
  assert.equal(badgeFor(null, {}), null);
  assert.equal(badgeFor(d('server_error', 'weird', 502), { status: 502 }).color, FAULT_COLORS.unknown);
});

test('network error badge words', () => {
  assert.equal(netErrorBadge('NS_ERROR_UNKNOWN_HOST'), 'DNS');
  assert.equal(netErrorBadge('NS_ERROR_CONNECTION_REFUSED'), 'OFF');
  assert.equal(netErrorBadge('net::ERR_CONNECTION_TIMED_OUT'), 'TIME');
  assert.equal(netErrorBadge('NS_ERROR_NET_TIMEOUT'), 'TIME');
  assert.equal(netErrorBadge('net::ERR_INTERNET_DISCONNECTED'), 'NET');
  assert.equal(netErrorBadge('net::ERR_CERT_DATE_INVALID'), 'SSL');
  assert.equal(netErrorBadge('net::ERR_SOMETHING_NEW'), 'ERR');
  for (const e of ['DNS', 'OFF', 'TIME', 'NET', 'SSL', 'PRXY', 'ERR']) assert.ok(e.length <= 4);
});

test('originOf', () => {
  assert.equal(originOf('https://a.example:8443/x?y#z'), 'https://a.example:8443');
  assert.equal(originOf('chrome://settings'), null);
  assert.equal(originOf('not a url'), null);
});

test('readPage returns HTML for HTML documents, capped, with the URL', async () => {
  const html = `<html><head><title>502</title></head><body>${'x'.repeat(100)}</body></html>`;
  globalThis.document = { documentElement: { outerHTML: html }, contentType: 'text/html', readyState: 'complete' };
  globalThis.location = { href: 'http://127.0.0.1/x' };
  try {
    const r = await readPage(50);
    assert.equal(r.html.length, 50);
    assert.equal(r.truncated, true);
    assert.equal(r.url, 'http://127.0.0.1/x');
    assert.equal((await readPage(1e6)).html, html);
    globalThis.document = {
      documentElement: { outerHTML: '<html><body><pre>no healthy upstream</pre></body></html>' },
      body: { textContent: 'no healthy upstream' },
      contentType: 'text/plain',
    };
    assert.equal((await readPage(1e6)).html, 'no healthy upstream');
    // Firefox shows an empty document for an empty body: that is an empty body, not markup.
    globalThis.document = {
      documentElement: { outerHTML: '<html><head></head><body></body></html>', childElementCount: 2 },
      head: { childElementCount: 0 },
      body: { childElementCount: 0, textContent: ' ' },
      contentType: 'text/html',
    };
    assert.equal((await readPage(1e6)).html, '');
    globalThis.document.body = { childElementCount: 1, textContent: '' };
    assert.equal((await readPage(1e6)).html, '<html><head></head><body></body></html>', 'an element is content');
    // A page still being parsed is read once parsed (or after the wait cap).
    let onLoad;
    globalThis.document = {
      documentElement: { outerHTML: '<p>partial' },
      contentType: 'text/html',
      readyState: 'loading',
      addEventListener: (type, fn) => { if (type === 'DOMContentLoaded') onLoad = fn; },
    };
    const pending = readPage(1e6, 5000);
    globalThis.document.documentElement.outerHTML = '<p>complete</p>';
    onLoad();
    assert.equal((await pending).html, '<p>complete</p>');
    globalThis.document.readyState = 'loading';
    const t0 = Date.now();
    await readPage(1e6, 50);
    assert.ok(Date.now() - t0 >= 45, 'the wait is capped, not skipped');
  } finally {
    delete globalThis.document;
    delete globalThis.location;
  }
});

test('requestId → tabId covers Firefox\'s tabId -1 and stays bounded', () => {
  const rt = createRequestTabs(3);
  rt.remember({ requestId: 'a', tabId: 7 });
  assert.equal(rt.tabOf({ requestId: 'a', tabId: -1 }), 7, 'the tab from onBeforeRequest');
  assert.equal(rt.tabOf({ requestId: 'a', tabId: -1 }), -1, 'forgotten once used');
  rt.remember({ requestId: 'b', tabId: 8 });
  assert.equal(rt.tabOf({ requestId: 'b', tabId: 9 }), 9, 'a real tab id wins');
  assert.equal(rt.size, 0);
  rt.remember({ requestId: 'x', tabId: -1 });
  assert.equal(rt.size, 0, 'background requests are not tracked');
  for (let i = 0; i < 10; i++) rt.remember({ requestId: String(i), tabId: i });
  assert.equal(rt.size, 3);
  assert.equal(rt.tabOf({ requestId: '9', tabId: -1 }), 9);
  assert.equal(rt.tabOf({ requestId: '0', tabId: -1 }), -1, 'the oldest were dropped');
});
