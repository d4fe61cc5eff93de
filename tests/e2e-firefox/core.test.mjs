// The core detection path in Firefox ESR (headless): a 502 with a body, an empty 502 and a
// network error get the right badge and stored diagnosis; a healthy page gets nothing; nothing
// leaves the machine.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchFirefox } from './harness.mjs';
import { waitFor } from '../e2e/harness.mjs';

let h;
before(async () => { h = await launchFirefox(); });
after(async () => { await h?.close(); });

test('502 with a body: badge, diagnosis, body read from the page', async () => {
  const url = h.zoo.url('/nginx-502?ff=1');
  const tabId = await h.openTab(url);
  await h.waitForBadge(tabId, '502');
  const s = await h.waitForState(tabId);
  assert.equal(s.url, url);
  assert.equal(s.observation.status, 502);
  assert.match(s.observation.browser, /^firefox\/\d+$/);
  assert.match(s.body.excerpt, /nginx/);
  assert.equal(s.diagnosis.family, 'nginx');
  assert.equal(s.diagnosis.kind, 'server_error');
  await h.closeTab(tabId);
});

test('Cloudflare (site behind it failing): the Ray ID is read from the headers', async () => {
  const tabId = await h.openTab(h.zoo.url('/cloudflare-host-502?ff=1'));
  await h.waitForBadge(tabId, '502');
  const s = await h.waitForState(tabId);
  assert.equal(s.diagnosis.family, 'cloudflare-host');
  assert.ok(s.diagnosis.ids.some((i) => i.kind === 'cf-ray'));
  await h.closeTab(tabId);
});

test('empty 502: diagnosed from status and headers, body known to be empty', async () => {
  const tabId = await h.openTab(h.zoo.url('/empty-502?ff=1'));
  await h.waitForBadge(tabId, '502');
  const s = await h.waitForState(tabId);
  assert.equal(s.observation.status, 502);
  assert.deepEqual([s.body.length, s.body.blank], [0, true]);
  assert.equal(s.diagnosis.family, 'blank');
  await h.closeTab(tabId);
});

test('connection refused: network error (NS_ERROR_*)', async () => {
  const tabId = await h.openTab(`http://127.0.0.1:${h.refusedPort}/`);
  await h.waitForBadge(tabId, 'OFF');
  const s = await h.waitForState(tabId);
  assert.match(s.observation.net_error, /^NS_ERROR_CONNECTION_REFUSED$/);
  assert.equal(s.diagnosis.kind, 'network_error');
  await h.closeTab(tabId);
});

test('healthy page: no badge, no state', async () => {
  const tabId = await h.openTab(h.zoo.url('/healthy?ff=1'));
  await waitFor(async () => (await h.tabStatus(tabId)) === 'complete', { what: 'healthy load' });
  // A failing load in another tab, handled after this one, bounds the wait without a sleep.
  const probe = await h.openTab(h.zoo.url('/nginx-502?ff=probe'));
  await h.waitForBadge(probe, '502');
  assert.equal(await h.badge(tabId), '');
  assert.equal(await h.state(tabId), null);
  await h.closeTab(tabId);
  await h.closeTab(probe);
});

test('privacy: nothing reached the sinkhole proxy', () => {
  assert.deepEqual(h.sink.seen, []);
});
