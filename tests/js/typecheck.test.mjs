// `make typecheck` (tsc --checkJs over extension/) must bite: the real tree passes, and a copy
// with one deliberate type error fails with that error. Without the second half a tsconfig that
// silently checks nothing (a wrong include, a lost // @ts-check, everything `any`) would pass.
// Needs the wasm build's typings (extension/pkg/*.d.ts, listed in tsconfig.json): without them
// the check fails, as it should.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

function tsc(dir) {
  const r = spawnSync(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A copy of what tsc reads (tsconfig, extension/, the type packages), to break one line of. */
function copyTree() {
  const dir = mkdtempSync(join(tmpdir(), 'gd-typecheck-'));
  cpSync(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  cpSync(join(ROOT, 'extension'), join(dir, 'extension'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Replaces `from` (which must occur exactly once) by `to` in `file` under `dir`. */
function breakLine(dir, file, from, to) {
  const p = join(dir, file);
  const src = readFileSync(p, 'utf8');
  assert.equal(src.split(from).length, 2, `${file} must contain ${JSON.stringify(from)} once`);
  writeFileSync(p, src.replace(from, to));
}

test('the extension JavaScript passes tsc --checkJs', () => {
  const { code, out } = tsc(ROOT);
  assert.equal(code, 0, `tsc reported errors:\n${out}`);
});

test('the check catches a misspelled field of a JSDoc-typed object (a retry record)', () => {
  const dir = copyTree();
  try {
    // `nextAt` is not a field of lib/retry.js's Retry (TabState.retry, via lib/state.js).
    breakLine(dir, 'extension/lib/actions.js', 'await scheduleWake(s.tabId, s.retry.next_at);',
      'await scheduleWake(s.tabId, s.retry.nextAt);');
    const { code, out } = tsc(dir);
    assert.notEqual(code, 0, 'tsc passed a misspelled field');
    assert.match(out, /extension\/lib\/actions\.js\(\d+,\d+\): error TS2551: Property 'nextAt' does not exist on type 'Retry'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the check catches a wrong option passed to a browser API call', () => {
  const dir = copyTree();
  try {
    // browsingData.remove takes `origins` as an array; a lone string is the kind of slip that
    // would clear nothing (or everything) at runtime.
    breakLine(dir, 'extension/lib/actions.js', 'await bd.remove({ origins: [u.origin] }, { localStorage: true, indexedDB: true });',
      'await bd.remove({ origins: u.origin }, { localStorage: true, indexedDB: true });');
    const { code, out } = tsc(dir);
    assert.notEqual(code, 0, 'tsc passed a string where browsingData.remove takes an array');
    assert.match(out, /extension\/lib\/actions\.js\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type '\[string, \.\.\.string\[\]\]|string\[\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every extension script opts in with // @ts-check', () => {
  // checkJs already checks every included file; the pragma keeps editors checking a file opened
  // on its own, and this keeps the two in step.
  const files = spawnSync('git', ['ls-files', 'extension/*.js', 'extension/lib/*.js'], { cwd: ROOT, encoding: 'utf8' })
    .stdout.split('\n').filter(Boolean);
  assert.ok(files.length >= 10, `expected the extension's scripts, got ${files.join(', ')}`);
  for (const f of files) {
    assert.match(readFileSync(join(ROOT, f), 'utf8'), /^\/\/ @ts-check\n/, `${f} lacks // @ts-check on its first line`);
  }
});
