// WASM/native parity: every golden fixture (and every tests/corpus page) goes through the
// built WASM module under Node and through the native CLI (`classify --json`); the two
// Diagnosis JSONs must be exactly equal, field for field (evidence, ids, remedies, messages,
// confidence), since the extension shows the WASM answer and support replays with the CLI.
//
// Builds nothing: `make test` builds extension/pkg (make wasm) and the CLI (cargo test) before
// it runs the JS tests. Skips only when extension/pkg is absent, and says so loudly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { PKG_DIR, loadWasm, loadFixtures, loadCorpus, cliArgs, findCli } from '../../scripts/bench-lib.mjs';

const pkgPresent = fs.existsSync(`${PKG_DIR}/gateway_doctor_worker.js`) && fs.existsSync(`${PKG_DIR}/gateway_doctor_worker_bg.wasm`);
if (!pkgPresent) {
  console.error('\n' + '!'.repeat(78) +
    '\n!!! parity.test: extension/pkg is absent: WASM/native parity NOT CHECKED.' +
    "\n!!! Run 'make build' (or 'make test', which builds it first)." +
    '\n' + '!'.repeat(78) + '\n');
}

/** First differing path between two JSON values, for a readable failure. */
function firstDiff(a, b, at = '') {
  if (Object.is(a, b)) return null;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') {
    return `${at || '.'}: wasm ${JSON.stringify(a)} vs cli ${JSON.stringify(b)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${at}: array vs object`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = firstDiff(a[k], b[k], `${at}.${k}`);
    if (d) return d;
  }
  return null;
}

test('WASM diagnose() equals the native CLI on every fixture and corpus page', { skip: !pkgPresent && 'extension/pkg absent (make build)' }, async () => {
  const cli = findCli();
  assert.ok(cli, "native CLI not built (target/debug/gateway-doctor): run 'cargo test' or 'make test'");
  const wasm = await loadWasm();
  assert.ok(wasm, 'extension/pkg present but did not load');

  const fixtures = loadFixtures();
  assert.ok(fixtures.length >= 150, `only ${fixtures.length} fixtures loaded`);
  const corpus = loadCorpus();
  assert.ok(corpus.length >= 30, `only ${corpus.length} corpus pages loaded`);
  const pages = [...fixtures, ...corpus];
  const diffs = [];
  for (const p of pages) {
    const native = JSON.parse(execFileSync(cli, cliArgs(p.observation, p.bodyFile), { encoding: 'utf8' }));
    // Round-trip through JSON like the extension's messaging does (drops undefined).
    const fromWasm = JSON.parse(JSON.stringify(wasm.diagnose(structuredClone(p.observation))));
    const d = firstDiff(fromWasm, native);
    if (d) diffs.push(`${p.name}: ${d}`);
  }
  assert.deepEqual(diffs, [], `${diffs.length} of ${pages.length} pages differ between WASM and native`);
});

test('WASM and native agree with every phrase, tag and word at every offset of a 16-byte chunk', { skip: !pkgPresent && 'extension/pkg absent (make build)' }, async () => {
  // The normaliser and the scan classify 16 bytes at a time (src/chunk.rs): WebAssembly SIMD
  // in the module, SSE2 natively, each with its own code. Real pages behind prefixes of 0 to
  // 16 bytes (ASCII, upper case, a two-byte letter, a tag, an entity, cut anywhere) put every
  // boundary of theirs in every lane, and the two must still give the very same diagnosis.
  const cli = findCli();
  assert.ok(cli, "native CLI not built (target/debug/gateway-doctor): run 'cargo test' or 'make test'");
  const wasm = await loadWasm();
  const names = ['apache-502-proxy-error', 'cloudflare-cdn-502-cloudflare-nginx', 'cloudflare-host-502',
    'google-502-robot', 'iis-502-german', 'akamai-403-access-denied'];
  const fixtures = loadFixtures().filter((f) => names.includes(f.name));
  assert.equal(fixtures.length, names.length, 'the fixtures this test shifts exist');
  const pad = 'Ab é<i>Z &amp;x  Q';
  const diffs = [];
  let pages = 0;
  for (const f of fixtures) {
    for (let k = 0; k <= 16; k++) {
      const observation = { ...f.observation, body: pad.slice(0, k) + f.observation.body };
      const native = JSON.parse(execFileSync(cli, cliArgs(observation, '-'), { encoding: 'utf8', input: observation.body }));
      const fromWasm = JSON.parse(JSON.stringify(wasm.diagnose(structuredClone(observation))));
      const d = firstDiff(fromWasm, native);
      if (d) diffs.push(`${f.name} + ${k}: ${d}`);
      pages++;
    }
  }
  assert.equal(pages, names.length * 17);
  assert.deepEqual(diffs, [], `${diffs.length} of ${pages} shifted pages differ between WASM and native`);
});

test('WASM diagnose() rejects malformed observations with an Error and keeps serving', { skip: !pkgPresent && 'extension/pkg absent (make build)' }, async () => {
  const wasm = await loadWasm();
  // The body crosses as a plain string and the rest as JSON: a string body must not let
  // bad other fields through, and a body that is not a string is refused like any bad field.
  for (const bad of [{ status: 'x' }, { headers: 5 }, { headers: [{ value: 1 }] }, 'text', 42, null,
    { status: 'x', body: '<h1>502 Bad Gateway</h1>' }, { status: 502, body: 5 }, { status: 502, body: ['x'] }]) {
    assert.throws(() => wasm.diagnose(bad), Error, `accepted ${JSON.stringify(bad)}`);
  }
  // The caller's object is left as it was (the body is read, not taken out of it).
  const obs = { url: 'https://a.example/', status: 502, headers: [{ name: 'server', value: 'nginx' }], body: '<center>nginx</center>' };
  const before = structuredClone(obs);
  assert.equal(wasm.diagnose(obs).family, 'nginx');
  assert.deepEqual(obs, before);
  // Page text cut in the middle of a surrogate pair is diagnosed, not refused.
  assert.equal(wasm.diagnose({ ...obs, body: '<center>nginx</center> \ud83d' }).family, 'nginx');
  // Still answers after the errors.
  const d = wasm.diagnose({ url: 'https://a.example/', status: 502, headers: [], body: '' });
  assert.equal(d.schema, 1);
  assert.equal(d.kind, 'server_error');
});

test('WASM remedies: each diagnosis owns its remedies, rendered for each page', { skip: !pkgPresent && 'extension/pkg absent (make build)' }, async () => {
  // The module used to hand out the remedies of recent plans as shared, frozen objects (a
  // cache in the old src/wasm.rs); crates/worker converts every result afresh through
  // serde-wasm-bindgen, so what matters now is that no state leaks from one call to the next.
  const wasm = await loadWasm();
  const obs = (host) => ({ url: `https://${host}/x`, status: 502, headers: [{ name: 'server', value: 'nginx' }], body: '<center>nginx</center>' });
  const a = wasm.diagnose(obs('a.example'));
  const b = wasm.diagnose(obs('a.example'));
  assert.ok(a.remedies.length > 3);
  assert.deepEqual(a.remedies, b.remedies);
  assert.notEqual(a, b);
  a.tabId = 3;
  a.remedies[0].title.text = 'changed';
  a.remedies.push({});
  assert.equal(b.tabId, undefined);
  assert.notEqual(b.remedies[0].title.text, 'changed');
  assert.deepEqual(wasm.diagnose(obs('a.example')).remedies, b.remedies);
  // `remedies` keeps its place among the keys, as in the native JSON.
  const keys = Object.keys(b);
  assert.equal(keys[keys.indexOf('remedies') + 1], 'engine_version', keys.join());
  // Each host gets its own "down for everyone or just me" link, also after more plans than
  // the module keeps have pushed the first one out.
  const siteLink = (d) => d.remedies.map((r) => r.action?.url).find((u) => u && !u.includes('status'));
  const hosts = Array.from({ length: 12 }, (_, i) => `h${i}.example`);
  for (const h of [...hosts, hosts[0], hosts[11]]) {
    const link = siteLink(wasm.diagnose(obs(h)));
    assert.ok(link && link.includes(h), `${h}: ${link}`);
  }
});
