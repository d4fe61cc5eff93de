// The error zoo itself: statuses, headers, flipping, request recording, caching headers.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startZoo, closedPort, startSinkhole } from '../zoo/server.mjs';

const zoo = await startZoo();
test.after(() => zoo.close());

test('serves catalogue pages with their status and headers', async () => {
  const r = await fetch(zoo.url('/cloudflare-cdn-502'));
  assert.equal(r.status, 502);
  assert.equal(r.headers.get('server'), 'cloudflare');
  assert.match(r.headers.get('cf-ray'), /-FRA$/);
  assert.match(await r.text(), /<center>cloudflare<\/center>/);
  const e = await fetch(zoo.url('/empty-502'));
  assert.equal(e.status, 502);
  assert.equal(await e.text(), '');
  const h = await fetch(zoo.url('/healthy'));
  assert.equal(h.status, 200);
  assert.match(h.headers.get('content-security-policy'), /default-src 'self'/);
});

test('corpus pages lose only their self-refresh', async () => {
  const body = await (await fetch(zoo.url('/cloudflare-host-502'))).text();
  assert.doesNotMatch(body, /http-equiv="refresh"/);
  assert.match(body, /cf-error-code/);
});

test('flip 502 → 200 → 502 and count requests with their cache headers', async () => {
  zoo.reset();
  zoo.flip('/nginx-502', 200);
  assert.equal((await fetch(zoo.url('/nginx-502'), { headers: { 'cache-control': 'no-cache', pragma: 'no-cache' } })).status, 200);
  zoo.flip('/nginx-502', 502);
  const r = await fetch(zoo.url('/nginx-502'));
  assert.equal(r.status, 502);
  assert.match(await r.text(), /nginx/);
  assert.equal(zoo.hits('/nginx-502'), 2);
  const [first] = zoo.requests('/nginx-502');
  assert.equal(first.headers['cache-control'], 'no-cache');
  assert.equal(first.headers.pragma, 'no-cache');
  // Unknown paths flip to a generic nginx 502.
  zoo.flip('/new-flip', 502);
  assert.equal((await fetch(zoo.url('/new-flip'))).status, 502);
  zoo.flip('/new-flip', 200);
  assert.equal((await fetch(zoo.url('/new-flip'))).status, 200);
});

test('cacheable responses count serves; set() adds routes; control endpoints work', async () => {
  const a = await fetch(zoo.url('/cacheable/a'));
  assert.equal(a.headers.get('cache-control'), 'max-age=3600');
  assert.match(await a.text(), /id=serve>1</);
  assert.match(await (await fetch(zoo.url('/cacheable/a'))).text(), /id=serve>2</);
  zoo.set('/custom', { status: 418, headers: { 'x-test': '1' }, body: 'teapot' });
  const c = await fetch(zoo.url('/custom'));
  assert.deepEqual([c.status, c.headers.get('x-test'), await c.text()], [418, '1', 'teapot']);
  await fetch(zoo.url('/__zoo/flip?path=/custom&status=200'));
  assert.equal((await fetch(zoo.url('/custom'))).status, 200);
  const hits = await (await fetch(zoo.url('/__zoo/hits?path=/custom'))).json();
  assert.equal(hits.hits, 2);
});

test('slow route answers late; closed port refuses; sinkhole records', async () => {
  const t0 = Date.now();
  assert.equal((await fetch(zoo.url('/slow?ms=150&status=503'))).status, 503);
  assert.ok(Date.now() - t0 >= 140);
  const port = await closedPort();
  await assert.rejects(fetch(`http://127.0.0.1:${port}/`));
  const sink = await startSinkhole();
  try {
    const r = await fetch(`http://127.0.0.1:${sink.port}/x`);
    assert.equal(r.status, 403);
    assert.equal(sink.seen.length, 1);
  } finally {
    await sink.close();
  }
});
