// Hostile error pages (issue 6 item 1) against the background: huge bodies are capped, binary
// junk and deeply nested markup are survived, markup in titles/headers never executes in the
// extension's pages, and a page that tries to talk to the extension changes nothing. The worker
// keeps serving throughout.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, waitFor } from './harness.mjs';
import { BODY_CAP } from '../../extension/lib/observe.js';

let h;
before(async () => { h = await launch(); });
after(async () => { await h?.close(); });

const NGINX_TAIL = '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
const nginxPage = (title, middle = '') =>
  `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n${middle}${NGINX_TAIL}`;

async function diagnosed(path) {
  const tabId = await h.openTab(h.zoo.url(path));
  await h.waitForBadge(tabId, '502', { timeout: 60_000 });
  return { tabId, state: await h.waitForState(tabId) };
}

test('a 10 MB error page: body read capped at 64 KiB and flagged, still diagnosed', async () => {
  // One 10 MB text node: the size is the attack; 750 000 elements would only test layout speed.
  const filler = `<p>${'x'.repeat(10 * 1024 * 1024)}</p>`;
  h.zoo.set('/hostile-huge', {
    status: 502,
    headers: { server: 'nginx', 'content-type': 'text/html' },
    body: nginxPage('502 Bad Gateway', filler),
  });
  const { state } = await diagnosed('/hostile-huge');
  // The stored summary's length is in UTF-8 bytes; the page is ASCII, so bytes = characters.
  assert.equal(state.body.length, BODY_CAP);
  assert.equal(state.observation.body_truncated, true);
  assert.equal(state.diagnosis.kind, 'server_error');
});

test('binary junk, NUL bytes and invalid UTF-8 in the body: diagnosed, no crash', async () => {
  const junk = Buffer.concat([
    Buffer.from(nginxPage('502 Bad Gateway').slice(0, 80)),
    Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0x00, 0xf0, 0x28, 0x8c, 0xbc]),
    Buffer.from(NGINX_TAIL),
  ]);
  h.zoo.set('/hostile-binary', { status: 502, headers: { server: 'nginx', 'content-type': 'text/html' }, body: junk });
  const { state } = await diagnosed('/hostile-binary');
  assert.equal(typeof state.body.length, 'number', 'the body was read (its summary is stored)');
  assert.ok(state.diagnosis.family);
});

test('deeply nested markup (100 000 levels): diagnosed, no crash', async () => {
  const depth = 100_000;
  h.zoo.set('/hostile-nested', {
    status: 502,
    headers: { server: 'nginx', 'content-type': 'text/html' },
    body: nginxPage('502 Bad Gateway', `${'<div>'.repeat(depth)}deep${'</div>'.repeat(depth)}`),
  });
  const { state } = await diagnosed('/hostile-nested');
  assert.ok(state.diagnosis.kind);
});

test('markup and script in title, body and headers never run in the extension\'s pages', async () => {
  const evil = '<img src=x onerror="top.__pwned=1"></title><script>top.__pwned=2</script>\u202Egnp.exe';
  h.zoo.set('/hostile-markup', {
    status: 502,
    headers: {
      server: 'nginx <script>top.__pwned=3</script>',
      'content-type': 'text/html',
      'x-request-id': '"><img src=x onerror=top.__pwned=4>',
    },
    body: nginxPage(evil.replace('</title>', '&lt;/title&gt;'),
      '<a href="javascript:top.__pwned=5">click</a><script>document.title="<img src=x onerror=top.__pwned=6>"</script>'),
  });
  const { tabId, state } = await diagnosed('/hostile-markup');
  assert.ok(state.observation.headers.some((x) => x.value.includes('<script>')), 'the hostile header was kept as data');
  const popup = await h.context.newPage();
  const dialogs = [];
  popup.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  await popup.goto(`${h.extOrigin}/popup.html?tab=${tabId}`);
  await popup.locator('#app[data-state="diagnosed"]').waitFor({ timeout: 10_000 });
  // Open every collapsible section so all page-derived text is rendered.
  await popup.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
  const pwned = await popup.evaluate(() => globalThis.__pwned ?? null);
  assert.equal(pwned, null, 'no page-derived markup executed in the popup');
  assert.equal(await popup.locator('#app img').count(), 0, 'no page-derived element created');
  assert.deepEqual(dialogs, []);
  await popup.close();
});

test('a failing page that tries to talk to the extension changes nothing', async () => {
  // Another tab's diagnosis that the hostile page would like to overwrite.
  const victim = await diagnosed('/nginx-502?victim=1');
  h.zoo.set('/hostile-talker', {
    status: 502,
    headers: { server: 'nginx', 'content-type': 'text/html' },
    body: nginxPage('502 Bad Gateway', `<script>
      const msgs = [{ type: 'gd/run_action', tabId: ${victim.tabId}, remedyId: 'hard_refresh' },
        { type: 'gd/state_changed', tabId: ${victim.tabId} }];
      for (const m of msgs) { window.postMessage(m, '*'); try { parent.postMessage(m, '*'); } catch (e) {} }
      try { chrome.runtime.sendMessage('${h.extId}', msgs[0]); } catch (e) {}
      document.title = 'talked';
    </script>`),
  });
  const before = await h.state(victim.tabId);
  const zooHitsBefore = h.zoo.hits('/nginx-502');
  const { state } = await diagnosed('/hostile-talker');
  assert.ok(state.diagnosis);
  const page = await h.pageOf(state.tabId);
  await waitFor(async () => (await page.title()) === 'talked', { what: 'the hostile script ran' });
  assert.deepEqual(await h.state(victim.tabId), before, 'the other tab\'s diagnosis is untouched');
  assert.equal(h.zoo.hits('/nginx-502'), zooHitsBefore, 'no reload was triggered');
  assert.deepEqual((await h.state(state.tabId)).tried, [], 'no action was run');
});

test('the worker keeps serving after all of that; privacy holds', async () => {
  const v = await h.sw(() => new Promise((resolve) => {
    // From the worker itself: the engine still answers.
    resolve(typeof globalThis.gdDebug === 'object');
  }));
  assert.equal(v, true);
  const tabId = await h.openTab(h.zoo.url('/google-502?after=hostile'));
  await h.waitForBadge(tabId, '502');
  h.assertPrivacy();
});
