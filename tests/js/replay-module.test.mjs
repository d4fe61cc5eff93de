// The replay page's own module (crates/replay, extension/pkg/replay/) diagnoses a pasted page
// exactly as the native CLI does (`classify --json`), on every golden fixture and corpus page:
// its boundary (serde-wasm-bindgen, JSON-compatible values) is not the service worker's, and
// the page shows its answer beside the popup's.
//
// Builds nothing: `make test` builds extension/pkg (make wasm) and the CLI (cargo test) first.
// A missing module fails the test: it must never pass without having compared anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { PKG_DIR, loadFixtures, loadCorpus, cliArgs, findCli } from '../../scripts/bench-lib.mjs';

const GLUE = path.join(PKG_DIR, '..', 'replay', 'gateway_doctor_replay.js');
const WASM = path.join(PKG_DIR, '..', 'replay', 'gateway_doctor_replay_bg.wasm');

test('diagnosePage() of the replay module equals the native CLI on every fixture and corpus page', async () => {
  assert.ok(fs.existsSync(GLUE) && fs.existsSync(WASM), `${GLUE} missing: run 'make build'`);
  const cli = findCli();
  assert.ok(cli, "native CLI not built (target/debug/gateway-doctor): run 'cargo test' or 'make test'");
  const mod = await import(GLUE);
  mod.initSync({ module: fs.readFileSync(WASM) });
  const pages = [...loadFixtures(), ...loadCorpus()];
  assert.ok(pages.length >= 180, `only ${pages.length} pages loaded`);
  const diffs = [];
  for (const p of pages) {
    const native = JSON.parse(execFileSync(cli, cliArgs(p.observation, p.bodyFile), { encoding: 'utf8' }));
    const page = JSON.parse(JSON.stringify(mod.diagnosePage(structuredClone(p.observation))));
    try {
      assert.deepStrictEqual(page, native);
    } catch {
      diffs.push(p.name);
    }
  }
  assert.deepEqual(diffs, [], `${diffs.length} of ${pages.length} pages differ between the replay module and the CLI`);
});

test('replayReportText() refuses a broken report with its position, and startReplayWorker() only runs in a worker', async () => {
  const mod = await import(GLUE);
  mod.initSync({ module: fs.readFileSync(WASM) });
  assert.throws(() => mod.replayReportText('{"report_schema": 1, "diagnosis": }'), /line 1 column \d+/);
  assert.throws(() => mod.replayReportText('{"report_schema": 7}'), /unsupported report_schema 7/);
  assert.throws(() => mod.startReplayWorker(), /not in a dedicated worker/);
});
