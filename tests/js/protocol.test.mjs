// Unit tests for extension/lib/protocol.js: every request type validated, untrusted senders refused.
import test from 'node:test';
import assert from 'node:assert/strict';
import { MSG, validateRequest, isTrustedSender, ok, fail, request } from '../../extension/lib/protocol.js';

test('valid requests pass', () => {
  assert.equal(validateRequest({ type: MSG.GET_STATE, tabId: 0 }), null);
  assert.equal(validateRequest({ type: MSG.RUN_ACTION, tabId: 7, remedyId: 'hard_refresh' }), null);
  assert.equal(validateRequest({ type: MSG.RUN_ACTION, tabId: 7, remedyId: 'auto_retry', options: { x: 1 } }), null);
  assert.equal(validateRequest({ type: MSG.CANCEL_RETRY, tabId: 7 }), null);
  assert.equal(validateRequest({ type: MSG.BUILD_REPORT, tabId: 7, options: { keep_query: false, include_excerpt: true } }), null);
  assert.equal(validateRequest({ type: MSG.BUILD_REPORT, tabId: 7 }), null);
  assert.equal(validateRequest({ type: MSG.DIAGNOSE, observation: { url: 'x', status: 502 } }), null);
  assert.equal(validateRequest({ type: MSG.GET_VERSION }), null);
});

test('malformed requests are refused with a reason', () => {
  const bad = [
    null, 5, 'GET_STATE', [], {},
    { type: 'gd/unknown' },
    { type: MSG.STATE_CHANGED, tabId: 1 }, // a broadcast, not a request
    { type: MSG.GET_STATE },
    { type: MSG.GET_STATE, tabId: -1 },
    { type: MSG.GET_STATE, tabId: '3' },
    { type: MSG.GET_STATE, tabId: 1.5 },
    { type: MSG.RUN_ACTION, tabId: 1 },
    { type: MSG.RUN_ACTION, tabId: 1, remedyId: '<img src=x onerror=alert(1)>' },
    { type: MSG.RUN_ACTION, tabId: 1, remedyId: 'Hard-Refresh' },
    { type: MSG.RUN_ACTION, tabId: 1, remedyId: 'hard_refresh', options: 'yes' },
    { type: MSG.BUILD_REPORT, tabId: 1, options: { keep_query: 'true' } },
    { type: MSG.BUILD_REPORT, tabId: 1, options: [] },
    { type: MSG.DIAGNOSE, observation: 'x' },
    { type: MSG.DIAGNOSE, observation: { body: 'x'.repeat(3 * 1024 * 1024) } },
  ];
  for (const m of bad) {
    const r = validateRequest(m);
    assert.equal(typeof r, 'string', JSON.stringify(m)?.slice(0, 80));
    assert.ok(r.length > 0);
  }
  const cyclic = { url: 'x' };
  cyclic.self = cyclic;
  assert.match(validateRequest({ type: MSG.DIAGNOSE, observation: cyclic }), /JSON/);
});

test('only the extension\'s own pages are trusted', () => {
  const id = 'abcdefghijklmnopabcdefghijklmnop';
  const origin = `chrome-extension://${id}/`;
  assert.equal(isTrustedSender({ id, url: `${origin}popup.html?tab=3` }, id, origin), true);
  assert.equal(isTrustedSender({ id, url: `${origin}replay.html` }, id, origin), true);
  // A content script (if one ever existed) carries the web page's URL and a tab.
  assert.equal(isTrustedSender({ id, url: 'https://evil.example/', tab: { id: 3 } }, id, origin), false);
  assert.equal(isTrustedSender({ id: 'other', url: `${origin}popup.html` }, id, origin), false);
  assert.equal(isTrustedSender({ id, url: `chrome-extension://${id}evil/x` }, id, origin), false);
  assert.equal(isTrustedSender({ id }, id, origin), false);
  assert.equal(isTrustedSender(null, id, origin), false);
  assert.equal(isTrustedSender({ id, url: `${origin}x` }, id, ''), false);
});

test('response helpers', () => {
  assert.deepEqual(ok({ state: null }), { state: null, ok: true });
  assert.deepEqual(ok({ ok: false }), { ok: true }, 'ok cannot be overridden');
  assert.deepEqual(fail(new Error('boom')), { ok: false, error: 'boom' });
  assert.deepEqual(fail('x'), { ok: false, error: 'x' });
});

test('request() validates locally and wraps transport failures', async () => {
  const sent = [];
  const api = { runtime: { sendMessage: async (m) => { sent.push(m); return { ok: true, state: null }; } } };
  assert.deepEqual(await request(api, MSG.GET_STATE, { tabId: 4 }), { ok: true, state: null });
  assert.deepEqual(sent, [{ tabId: 4, type: MSG.GET_STATE }]);
  const bad = await request(api, MSG.GET_STATE, { tabId: 'x' });
  assert.equal(bad.ok, false);
  assert.equal(sent.length, 1, 'invalid requests are not sent');
  const down = { runtime: { sendMessage: async () => { throw new Error('Receiving end does not exist.'); } } };
  assert.deepEqual(await request(down, MSG.GET_VERSION), { ok: false, error: 'Receiving end does not exist.' });
  const silent = { runtime: { sendMessage: async () => undefined } };
  assert.equal((await request(silent, MSG.GET_VERSION)).ok, false);
});
