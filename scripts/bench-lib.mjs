// Shared by the benchmark (scripts/bench.sh), the JS baseline generator and the JS parity /
// baseline tests: the fixture and real-page corpus loaders (case.toml read with smol-toml) and
// the wasm loader for Node.

import fs from 'node:fs';
import { parse as parseTomlText } from 'smol-toml';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------
// TOML: the fixtures' case.toml files, read with smol-toml (a devDependency, installed by `make
// setup`'s `npm ci` before any reader runs). A parse error names the file.

export function parseToml(src, name = 'toml') {
  try {
    return parseTomlText(src);
  } catch (e) {
    throw new Error(`${name}: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// WASM under Node: the `--target web` glue exports `initSync`, which takes the module bytes,
// so no fetch() of a file:// URL is needed.

// The service worker's module (scripts/build-wasm.sh builds one directory per module).
export const PKG_DIR = path.join(ROOT, 'extension', 'pkg', 'worker');

export async function loadWasm(pkgDir = PKG_DIR) {
  const glue = path.join(pkgDir, 'gateway_doctor_worker.js');
  const wasmPath = path.join(pkgDir, 'gateway_doctor_worker_bg.wasm');
  if (!fs.existsSync(glue) || !fs.existsSync(wasmPath)) return null;
  const mod = await import(glue);
  mod.initSync({ module: fs.readFileSync(wasmPath) });
  return { ...mod, wasmPath, wasmBytes: fs.statSync(wasmPath).size };
}

// ---------------------------------------------------------------------------------------------
// Corpus: one observation per page, from tests/fixtures/<case>/ and tests/corpus/ (real pages,
// provenance in tests/corpus/README.md). Both are part of the repository, so a missing folder
// throws: a test or benchmark must never quietly run on fewer pages.

// GD_CORPUS points at another corpus of the same layout (cases.json + pages/).
export const CORPUS_DIR = process.env.GD_CORPUS || path.join(ROOT, 'tests', 'corpus');

/** Throws unless `file` exists; `what` says which part of the repository is missing. */
function requireFile(file, what) {
  if (!fs.existsSync(file)) throw new Error(`${file} missing: ${what} is part of the repository`);
}

/**
 * Every golden fixture as `{ name, dir, bodyFile, observation, expect }`. The observation is
 * built exactly like tests/golden.rs and the CLI build it: headers sorted by name (a TOML
 * table is a BTreeMap there), body read as UTF-8 with invalid bytes replaced.
 */
export function loadFixtures(root = path.join(ROOT, 'tests', 'fixtures')) {
  requireFile(root, 'the golden fixture folder');
  return fs.readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const dir = path.join(root, name);
      const c = parseToml(fs.readFileSync(path.join(dir, 'case.toml'), 'utf8'), `${name}/case.toml`);
      const headers = Object.keys(c.headers || {}).sort().map((k) => ({ name: k, value: String(c.headers[k]) }));
      const bodyFile = c.body ? path.join(dir, c.body) : null;
      const observation = { url: c.url ?? '', headers };
      if (c.status !== undefined) observation.status = c.status;
      if (bodyFile) observation.body = fs.readFileSync(bodyFile).toString('utf8');
      if (c.net_error !== undefined) observation.net_error = c.net_error;
      if (c.os !== undefined) observation.os = c.os;
      if (c.body_truncated) observation.body_truncated = true;
      return { name, dir, bodyFile, observation, expect: c.expect || {}, case: c };
    });
}

/** The real-page corpus as `{ name, bodyFile, observation, expect }`; throws if it is absent. */
export function loadCorpus(root = CORPUS_DIR) {
  const list = path.join(root, 'cases.json');
  requireFile(list, 'the real-page corpus');
  return JSON.parse(fs.readFileSync(list, 'utf8')).map((c) => {
    const bodyFile = path.join(root, c.file);
    const observation = {
      url: 'https://www.example.com/',
      headers: Object.entries(c.headers || {}).map(([name, value]) => ({ name, value: String(value) })),
      body: fs.readFileSync(bodyFile).toString('utf8'),
    };
    if (c.status !== null && c.status !== undefined) observation.status = c.status;
    return { name: `corpus/${path.basename(c.file)}`, bodyFile, observation, expect: { family: c.family, code: c.code } };
  });
}

/**
 * What `gateway-doctor classify --json` prints for an observation, by running the native CLI
 * (built by `cargo test`/`cargo build`; nothing is built here). The arguments carry exactly
 * what the observation holds, so the CLI builds the same Observation.
 */
export function cliArgs(obs, bodyFile) {
  const args = ['classify'];
  if (bodyFile) args.push(bodyFile);
  if (obs.status !== undefined && obs.status !== null) args.push('--status', String(obs.status));
  for (const h of obs.headers || []) args.push('--header', `${h.name}: ${h.value}`);
  if (obs.url) args.push('--url', obs.url);
  if (obs.net_error) args.push('--net-error', obs.net_error);
  if (obs.os) args.push('--os', obs.os);
  args.push('--json');
  return args;
}

/** Newest native CLI binary in target/ (debug or release), or null. */
export function findCli() {
  const cands = ['target/debug/gateway-doctor', 'target/release/gateway-doctor']
    .map((p) => path.join(ROOT, p))
    .filter((p) => fs.existsSync(p))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return cands[0] || null;
}
