// Shared by the benchmark (scripts/bench.sh), the JS baseline generator and the JS parity /
// baseline tests: a TOML reader for the subset our data files use, the fixture and real-page
// corpus loaders, and the wasm loader for Node.
//
// Plain ES module, no npm dependencies: it runs before `npm ci` has happened and in CI.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------
// TOML (subset): comments, [table], [a.b], [[array.of.tables]], dotted and quoted keys, basic /
// literal / multi-line strings, integers (dec/hex/underscores), floats, booleans, arrays
// (multi-line, nested), inline tables. Dates are returned as strings. Anything else throws
// with the line number, so a file using an unsupported feature fails loudly instead of
// being read wrong.

export function parseToml(src, name = 'toml') {
  let i = 0;
  const root = {};
  let cur = root;
  const fail = (msg) => {
    const line = src.slice(0, i).split('\n').length;
    throw new Error(`${name}:${line}: ${msg}`);
  };
  const skipWs = () => { while (i < src.length && (src[i] === ' ' || src[i] === '\t')) i++; };
  const skipWsNlComments = () => {
    for (;;) {
      skipWs();
      if (src[i] === '#') { while (i < src.length && src[i] !== '\n') i++; }
      else if (src[i] === '\n' || src[i] === '\r') i++;
      else return;
    }
  };
  const endOfLine = () => {
    skipWs();
    if (src[i] === '#') while (i < src.length && src[i] !== '\n') i++;
    if (src[i] === '\r') i++;
    if (i < src.length && src[i] !== '\n') fail(`expected end of line, found ${JSON.stringify(src[i])}`);
    i++;
  };
  const bareKey = () => {
    const m = /^[A-Za-z0-9_-]+/.exec(src.slice(i, i + 256));
    if (!m) fail('expected a key');
    i += m[0].length;
    return m[0];
  };
  const key = () => {
    const parts = [];
    for (;;) {
      skipWs();
      if (src[i] === '"') parts.push(basicString());
      else if (src[i] === "'") parts.push(literalString());
      else parts.push(bareKey());
      skipWs();
      if (src[i] === '.') { i++; continue; }
      return parts;
    }
  };
  const ESC = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };
  const basicString = () => {
    if (src.startsWith('"""', i)) {
      i += 3;
      if (src[i] === '\r') i++;
      if (src[i] === '\n') i++;
      let out = '';
      for (;;) {
        if (i >= src.length) fail('unterminated """ string');
        if (src.startsWith('"""', i) && !src.startsWith('""""', i)) { i += 3; return out; }
        if (src[i] === '\\') {
          // Line-ending backslash trims the newline and leading whitespace.
          if (/^\\[ \t]*\r?\n/.test(src.slice(i, i + 64))) {
            i++;
            while (/[ \t\r\n]/.test(src[i])) i++;
            continue;
          }
          out += escape();
          continue;
        }
        out += src[i++];
      }
    }
    i++;
    let out = '';
    for (;;) {
      if (i >= src.length || src[i] === '\n') fail('unterminated string');
      if (src[i] === '"') { i++; return out; }
      if (src[i] === '\\') { out += escape(); continue; }
      out += src[i++];
    }
  };
  const escape = () => {
    i++;
    const c = src[i++];
    if (c in ESC) return ESC[c];
    if (c === 'u' || c === 'U') {
      const n = c === 'u' ? 4 : 8;
      const hex = src.slice(i, i + n);
      if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== n) fail(`bad \\${c} escape`);
      i += n;
      return String.fromCodePoint(parseInt(hex, 16));
    }
    return fail(`bad escape \\${c}`);
  };
  const literalString = () => {
    if (src.startsWith("'''", i)) {
      i += 3;
      if (src[i] === '\r') i++;
      if (src[i] === '\n') i++;
      const end = src.indexOf("'''", i);
      if (end < 0) fail("unterminated ''' string");
      let stop = end;
      while (src[stop + 3] === "'") stop++; // up to two quotes may end the content
      const s = src.slice(i, stop);
      i = stop + 3;
      return s;
    }
    i++;
    const end = src.indexOf("'", i);
    const nl = src.indexOf('\n', i);
    if (end < 0 || (nl >= 0 && nl < end)) fail('unterminated literal string');
    const s = src.slice(i, end);
    i = end + 1;
    return s;
  };
  const value = () => {
    skipWs();
    const c = src[i];
    if (c === '"') return basicString();
    if (c === "'") return literalString();
    if (c === '[') {
      i++;
      const arr = [];
      for (;;) {
        skipWsNlComments();
        if (src[i] === ']') { i++; return arr; }
        arr.push(value());
        skipWsNlComments();
        if (src[i] === ',') { i++; continue; }
        if (src[i] === ']') { i++; return arr; }
        fail('expected , or ] in array');
      }
    }
    if (c === '{') {
      i++;
      const obj = {};
      skipWs();
      if (src[i] === '}') { i++; return obj; }
      for (;;) {
        const k = key();
        skipWs();
        if (src[i] !== '=') fail('expected = in inline table');
        i++;
        setPath(obj, k, value());
        skipWs();
        if (src[i] === ',') { i++; skipWs(); continue; }
        if (src[i] === '}') { i++; return obj; }
        fail('expected , or } in inline table');
      }
    }
    const m = /^[^ \t\r\n,\]}#]+/.exec(src.slice(i, i + 128));
    if (!m) fail('expected a value');
    const tok = m[0];
    i += tok.length;
    if (tok === 'true') return true;
    if (tok === 'false') return false;
    if (/^[+-]?(0|[1-9](_?\d)*)$/.test(tok)) return Number(tok.replace(/_/g, ''));
    if (/^0x[0-9A-Fa-f_]+$/.test(tok)) return parseInt(tok.slice(2).replace(/_/g, ''), 16);
    if (/^[+-]?\d[\d_]*(\.\d[\d_]*)?([eE][+-]?\d+)?$/.test(tok)) return Number(tok.replace(/_/g, ''));
    if (/^\d{4}-\d{2}-\d{2}/.test(tok)) return tok; // dates stay strings
    return fail(`unsupported value ${JSON.stringify(tok)}`);
  };
  const setPath = (obj, parts, v) => {
    let o = obj;
    for (const p of parts.slice(0, -1)) {
      if (o[p] === undefined) o[p] = {};
      o = o[p];
      if (typeof o !== 'object' || Array.isArray(o)) fail(`key ${parts.join('.')} is not a table`);
    }
    const last = parts[parts.length - 1];
    if (Object.prototype.hasOwnProperty.call(o, last)) fail(`duplicate key ${parts.join('.')}`);
    o[last] = v;
  };
  const tablePath = (parts, arrayOfTables) => {
    let o = root;
    parts.forEach((p, n) => {
      const last = n === parts.length - 1;
      if (last && arrayOfTables) {
        if (o[p] === undefined) o[p] = [];
        if (!Array.isArray(o[p])) fail(`${parts.join('.')} is not an array of tables`);
        const t = {};
        o[p].push(t);
        o = t;
        return;
      }
      if (o[p] === undefined) o[p] = {};
      o = Array.isArray(o[p]) ? o[p][o[p].length - 1] : o[p];
    });
    return o;
  };

  for (;;) {
    skipWsNlComments();
    if (i >= src.length) return root;
    if (src[i] === '[') {
      const aot = src[i + 1] === '[';
      i += aot ? 2 : 1;
      const k = key();
      if (!src.startsWith(aot ? ']]' : ']', i)) fail('expected ] after table name');
      i += aot ? 2 : 1;
      cur = tablePath(k, aot);
      endOfLine();
      continue;
    }
    const k = key();
    skipWs();
    if (src[i] !== '=') fail('expected =');
    i++;
    setPath(cur, k, value());
    endOfLine();
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
