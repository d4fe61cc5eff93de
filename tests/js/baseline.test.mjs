// The plain-JavaScript RegExp baseline (scripts/gen-js-baseline.mjs, generated from the same
// signature tables the engine compiles in) must give the engine's answer on every fixture and
// every page of tests/corpus: the benchmark's "WASM vs JS" comparison is only fair if both
// classify the same way. Compared with the native CLI's `classify --json`; tests/js/parity
// proves the WASM build gives the CLI's answer too.
//
// Needs the native binaries `cargo test` builds (target/debug/gateway-doctor and
// target/debug/examples/dump-signatures); builds nothing itself.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT, loadFixtures, loadCorpus, cliArgs, findCli } from '../../scripts/bench-lib.mjs';
import { generate } from '../../scripts/gen-js-baseline.mjs';

const dumpBin = ['target/debug/examples/dump-signatures', 'target/release/examples/dump-signatures']
  .map((p) => path.join(ROOT, p))
  .filter((p) => fs.existsSync(p))
  .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
const cli = findCli();
const missing = !dumpBin || !cli;
if (missing) {
  const msg = `baseline.test: native binaries missing (${!cli ? 'gateway-doctor' : 'examples/dump-signatures'}); run 'cargo test' first`;
  // In CI (make test builds them first) a missing binary is a failure, not a skip.
  if (process.env.CI) throw new Error(msg);
  console.error(`\n!!! ${msg} — baseline comparison SKIPPED !!!\n`);
}

test('JS RegExp baseline classifies every fixture and corpus page like the engine', { skip: missing }, async () => {
  const tables = JSON.parse(execFileSync(dumpBin, { encoding: 'utf8', maxBuffer: 64 << 20 }));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gd-baseline-'));
  const file = path.join(dir, 'baseline.mjs');
  fs.writeFileSync(file, generate(tables));
  const { diagnose } = await import(file);

  const fixtures = loadFixtures();
  const corpus = loadCorpus();
  // Catches a loader that silently finds nothing (tests/golden.rs and tests/corpus.rs count
  // them too).
  assert.ok(fixtures.length >= 150, `only ${fixtures.length} fixtures loaded`);
  assert.ok(corpus.length >= 30, `only ${corpus.length} corpus pages loaded`);

  const diffs = [];
  for (const p of [...fixtures, ...corpus]) {
    const d = JSON.parse(execFileSync(cli, cliArgs(p.observation, p.bodyFile), { encoding: 'utf8' }));
    const want = { kind: d.kind, family: d.family, code: d.code ?? null, variant: d.variant ?? null, fault: d.fault };
    const got = diagnose(p.observation);
    if (JSON.stringify(got) !== JSON.stringify(want)) diffs.push(`${p.name}: engine ${JSON.stringify(want)} baseline ${JSON.stringify(got)}`);
  }
  assert.deepEqual(diffs, [], `baseline differs from the engine on ${diffs.length} pages`);
  fs.rmSync(dir, { recursive: true, force: true });
});
