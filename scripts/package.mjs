#!/usr/bin/env node
// Packages the extension for Chrome and Firefox from the single top-level manifest.json:
//   dist/chrome/, dist/firefox/                       unpacked, loadable extensions
//   dist/gateway-doctor-<version>-{chrome,firefox}.zip  the same files, zipped
// The version comes only from Cargo.toml. Locales are the core's strings (locales/core/<lang>.json)
// merged with the UI's (extension/_locales/<lang>/messages.json); a key in both is an error.
//
// No npm dependencies (Node >= 20 built-ins only), so packaging works before `npm ci`.
//
// Usage: node scripts/package.mjs [--strict] [--no-zip]
//   --strict  also fail when a language lacks keys the default language has (make test uses it)
import { execFileSync } from 'node:child_process';
import { deflateRawSync } from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXT = path.join(ROOT, 'extension');
const DIST = path.join(ROOT, 'dist');
const args = new Set(process.argv.slice(2));
const STRICT = args.has('--strict');
const ZIP = !args.has('--no-zip');

// Firefox needs an id for storage/permissions to persist across restarts and for signing.
const GECKO_ID = 'gateway-doctor@gateway-doctor';
// MV3 background scripts of type "module" and storage.session work from 115, but the
// data_collection_permissions key below needs 140 (an ESR), and 142 on Android
// (https://developer.mozilla.org/en-US/docs/Mozilla/Add-ons/WebExtensions/API/storage/session).
const GECKO_MIN = '140.0';
const GECKO_ANDROID_MIN = '142.0';
// Top-level keys Chrome understands but Firefox rejects or warns about.
const CHROME_ONLY_KEYS = ['minimum_chrome_version', 'offline_enabled', 'key', 'update_url',
  'side_panel', 'externally_connectable', 'storage', 'export', 'import', 'differential_fingerprint'];
const CHROME_ONLY_PERMISSIONS = new Set(['sidePanel', 'offscreen', 'favicon', 'tabGroups',
  'readingList', 'system.display', 'system.cpu', 'system.memory', 'system.storage', 'tts',
  'ttsEngine', 'enterprise.platformKeys', 'fontSettings', 'processes', 'declarativeNetRequestFeedback']);
const FIREFOX_ONLY_KEYS = ['browser_specific_settings', 'sidebar_action', 'protocol_handlers'];
// Files of these kinds are what a browser loads; anything else in extension/ (notes, typings,
// tests) stays out of the packages.
const RUNTIME_EXT = new Set(['.js', '.mjs', '.html', '.css', '.json', '.wasm', '.png', '.svg',
  '.ico', '.webp', '.woff2', '.txt']);

function die(msg) {
  console.error(`package: ${msg}`);
  process.exit(1);
}
const readJson = (file) => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    return die(`${path.relative(ROOT, file)}: ${e.message}`);
  }
};
const writeJson = (file, value) => fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');

// --- version from Cargo.toml ([package] section only) -----------------------------------------
function cargoVersion() {
  const toml = fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8');
  const pkg = toml.split(/^\[/m).find((s) => s.startsWith('package]'));
  const m = pkg && pkg.match(/^version\s*=\s*"([^"]+)"/m);
  if (!m) die('no version in the [package] section of Cargo.toml');
  // Browsers accept 1-4 dot-separated integers only: drop any -pre/+build suffix.
  const v = m[1].replace(/[-+].*$/, '');
  if (!/^\d+(\.\d+){0,3}$/.test(v)) die(`Cargo.toml version ${m[1]} is not usable as an extension version`);
  return v;
}

// --- runtime files of extension/ -----------------------------------------------------------------
function extensionFiles() {
  let rels;
  try {
    // Tracked plus untracked-but-not-ignored files: stray ignored junk never ships.
    rels = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '--', 'extension'],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n').filter(Boolean).map((p) => path.relative('extension', p));
  } catch {
    rels = walk(EXT).map((p) => path.relative(EXT, p));  // not a git checkout (e.g. a tarball)
  }
  rels = rels.filter((r) => !r.startsWith('pkg/') && fs.existsSync(path.join(EXT, r)));
  // The wasm-pack output is git-ignored on purpose, so add it explicitly: each module's glue
  // and .wasm from extension/pkg/<module>/ (scripts/build-wasm.sh). The service worker's
  // module must be there; any other module built beside it ships too.
  for (const f of ['pkg/worker/gateway_doctor_worker.js', 'pkg/worker/gateway_doctor_worker_bg.wasm',
    // The replay page's own module (crates/replay), loaded by replay.js and replay-worker.js.
    'pkg/replay/gateway_doctor_replay.js', 'pkg/replay/gateway_doctor_replay_bg.wasm']) {
    if (!fs.existsSync(path.join(EXT, f))) die(`extension/${f} is missing: run scripts/build-wasm.sh (make build) first`);
  }
  const pkg = path.join(EXT, 'pkg');
  for (const dir of fs.readdirSync(pkg, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const f of fs.readdirSync(path.join(pkg, dir.name))) {
      if ((f.endsWith('.js') || f.endsWith('_bg.wasm')) && !f.endsWith('.d.ts')) rels.push(`pkg/${dir.name}/${f}`);
    }
  }
  const skipped = [];
  const files = rels.filter((r) => {
    const base = path.basename(r);
    const keep = !r.startsWith('_locales/') && !base.startsWith('.') && RUNTIME_EXT.has(path.extname(r))
      && !/\.(test|spec)\.m?js$/.test(base) && base !== 'package.json' && !r.endsWith('.d.ts');
    if (!keep && !r.startsWith('_locales/')) skipped.push(r);
    return keep;
  });
  return { files: files.sort(), skipped };
}
function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? walk(p) : [p];
  });
}

// --- locales ------------------------------------------------------------------------------------
const KEY_RE = /^[A-Za-z0-9_@]+$/;  // Chrome's rule for message names
function checkMessages(obj, file) {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) die(`${file}: not a JSON object`);
  for (const [k, v] of Object.entries(obj)) {
    if (!KEY_RE.test(k)) die(`${file}: message key "${k}" has characters browsers reject`);
    if (!v || typeof v.message !== 'string') die(`${file}: "${k}" has no string "message"`);
  }
}
function mergedLocales(defaultLocale) {
  const langs = new Set();
  const uiDir = path.join(EXT, '_locales');
  const coreDir = path.join(ROOT, 'locales', 'core');
  if (fs.existsSync(uiDir)) for (const d of fs.readdirSync(uiDir)) langs.add(d);
  if (fs.existsSync(coreDir)) {
    for (const f of fs.readdirSync(coreDir)) if (f.endsWith('.json')) langs.add(f.slice(0, -5));
  }
  const out = {};
  for (const lang of [...langs].sort()) {
    const merged = {};
    const sources = [
      path.join(coreDir, `${lang}.json`),
      path.join(uiDir, lang, 'messages.json'),
    ];
    for (const file of sources) {
      if (!fs.existsSync(file)) continue;
      const rel = path.relative(ROOT, file);
      const msgs = readJson(file);
      checkMessages(msgs, rel);
      for (const [k, v] of Object.entries(msgs)) {
        // Keys are case-insensitive in Chrome, so "Foo" and "foo" collide too.
        const clash = Object.keys(merged).find((m) => m.toLowerCase() === k.toLowerCase());
        if (clash) die(`duplicate message key "${k}" for language ${lang} (${rel} and an earlier file)`);
        merged[k] = v;
      }
    }
    out[lang] = merged;
  }
  if (defaultLocale && !out[defaultLocale]) die(`default_locale "${defaultLocale}" has no messages`);
  if (defaultLocale) {
    const base = Object.keys(out[defaultLocale]);
    for (const [lang, msgs] of Object.entries(out)) {
      const missing = base.filter((k) => !(k in msgs));
      if (missing.length) {
        const msg = `language ${lang} lacks ${missing.length} key(s) of ${defaultLocale}: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}`;
        if (STRICT) die(msg);
        console.warn(`package: warning: ${msg}`);
      }
    }
  }
  return out;
}

// --- manifests ----------------------------------------------------------------------------------
function backgroundEntry(m) {
  const bg = m.background || {};
  const entry = bg.service_worker || (Array.isArray(bg.scripts) && bg.scripts[0]);
  if (!entry) die('manifest.json has no background.service_worker (or background.scripts)');
  if (Array.isArray(bg.scripts) && bg.scripts.length > 1) {
    die('background.scripts has several files; use one module entry point that imports the rest');
  }
  return entry;
}
function chromeManifest(src, version) {
  const m = structuredClone(src);
  m.version = version;
  m.background = { service_worker: backgroundEntry(src), type: 'module' };
  for (const k of FIREFOX_ONLY_KEYS) delete m[k];
  return m;
}
function firefoxManifest(src, version) {
  const m = structuredClone(src);
  m.version = version;
  // Firefox runs MV3 background code as an event page, not a service worker.
  m.background = { scripts: [backgroundEntry(src)], type: 'module' };
  for (const k of CHROME_ONLY_KEYS) delete m[k];
  for (const k of ['permissions', 'optional_permissions']) {
    if (Array.isArray(m[k])) m[k] = m[k].filter((p) => !CHROME_ONLY_PERMISSIONS.has(p));
  }
  const gecko = { ...(m.browser_specific_settings?.gecko || {}) };
  gecko.id ??= GECKO_ID;
  gecko.strict_min_version ??= GECKO_MIN;
  // Gateway Doctor collects and transmits nothing (no telemetry; reports are only copied by the
  // user). Firefox's built-in consent (140+) needs that said explicitly; older versions ignore it
  // (https://extensionworkshop.com/documentation/develop/firefox-builtin-data-consent/).
  gecko.data_collection_permissions ??= { required: ['none'] };
  m.browser_specific_settings = { ...(m.browser_specific_settings || {}), gecko };
  m.browser_specific_settings.gecko_android ??= { strict_min_version: GECKO_ANDROID_MIN };
  return m;
}
function checkManifestMessages(m, locales, defaultLocale) {
  const refs = [...JSON.stringify(m).matchAll(/__MSG_([A-Za-z0-9_@]+)__/g)].map((x) => x[1]);
  const have = locales[defaultLocale] || {};
  const missing = refs.filter((r) => !(r in have));
  if (missing.length) die(`manifest.json uses messages missing from ${defaultLocale}: ${missing.join(', ')}`);
}
function checkReferencedFiles(m, files, label) {
  const refs = [];
  const add = (p) => typeof p === 'string' && refs.push(p);
  add(m.background?.service_worker);
  (m.background?.scripts || []).forEach(add);
  add(m.action?.default_popup);
  add(m.options_ui?.page);
  add(m.options_page);
  Object.values(m.icons || {}).forEach(add);
  Object.values(m.action?.default_icon || {}).forEach(add);
  for (const r of refs) {
    if (!files.includes(r.replace(/^\.?\//, ''))) die(`${label} manifest refers to ${r}, which is not among the packaged files`);
  }
}

// Shipped JS may import only files of the package: a bare specifier would be an npm runtime
// dependency (there must be none) and a URL would be remote code (forbidden in MV3 and by our
// privacy promise).
function checkImports(files) {
  const re = /(?:\bimport\s*(?:[\w*{}\s,$]+\s*from\s*)?|\bexport\s*[\w*{}\s,$]+\s*from\s*|\bimport\s*\(\s*)['"]([^'"]+)['"]/g;
  for (const rel of files.filter((f) => /\.m?js$/.test(f))) {
    const src = fs.readFileSync(path.join(EXT, rel), 'utf8');
    for (const [, spec] of src.matchAll(re)) {
      if (!/^\.{0,2}\//.test(spec)) die(`extension/${rel} imports "${spec}": only relative imports of packaged files may ship`);
      const target = path.normalize(path.join(path.dirname(rel), spec)).replace(/^\//, '');
      if (!files.includes(target)) die(`extension/${rel} imports "${spec}", which is not among the packaged files`);
    }
  }
}

// --- zip (stored or deflated, fixed timestamps so the same input gives the same zip) --------
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(buf) {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function writeZip(zipPath, dir, names) {
  const DOS_TIME = 0;              // 00:00:00
  const DOS_DATE = (0 << 9) | (1 << 5) | 1;  // 1980-01-01
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const name of names) {
    const data = fs.readFileSync(path.join(dir, name));
    const deflated = deflateRawSync(data, { level: 9 });
    const useDeflate = deflated.length < data.length;
    const body = useDeflate ? deflated : data;
    const nameBuf = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);               // version needed
    lh.writeUInt16LE(0x0800, 6);           // UTF-8 names
    lh.writeUInt16LE(useDeflate ? 8 : 0, 8);
    lh.writeUInt16LE(DOS_TIME, 10);
    lh.writeUInt16LE(DOS_DATE, 12);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(data.length, 22);
    lh.writeUInt16LE(nameBuf.length, 26);
    lh.writeUInt16LE(0, 28);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(0x031e, 4);           // made by: Unix, spec 3.0
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(0x0800, 8);
    ch.writeUInt16LE(useDeflate ? 8 : 0, 10);
    ch.writeUInt16LE(DOS_TIME, 12);
    ch.writeUInt16LE(DOS_DATE, 14);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(data.length, 24);
    ch.writeUInt16LE(nameBuf.length, 28);
    ch.writeUInt32LE((0o100644 << 16) >>> 0, 38);  // -rw-r--r--
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, nameBuf, body);
    centrals.push(ch, nameBuf);
    offset += lh.length + nameBuf.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(names.length, 8);
  end.writeUInt16LE(names.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  fs.writeFileSync(zipPath, Buffer.concat([...locals, cd, end]));
}

/** Files of the repository's top level that ship in every package, beside extension/'s. */
const NOTICES = ['LICENSE-MIT', 'LICENSE-APACHE', 'PRIVACY.md'];

// --- main ---------------------------------------------------------------------------------------
const version = cargoVersion();
const source = readJson(path.join(ROOT, 'manifest.json'));
if (source.manifest_version !== 3) die('manifest.json must be manifest_version 3');
const defaultLocale = source.default_locale;
const locales = mergedLocales(defaultLocale);
checkManifestMessages(source, locales, defaultLocale);
const { files, skipped } = extensionFiles();
checkImports(files);
if (skipped.length) console.log(`package: not shipped (not runtime files): ${skipped.join(', ')}`);

fs.mkdirSync(DIST, { recursive: true });
for (const [browser, manifest] of [['chrome', chromeManifest(source, version)],
  ['firefox', firefoxManifest(source, version)]]) {
  checkReferencedFiles(manifest, files, browser);
  const out = path.join(DIST, browser);
  fs.rmSync(out, { recursive: true, force: true });
  const shipped = [];
  for (const rel of files) {
    fs.mkdirSync(path.dirname(path.join(out, rel)), { recursive: true });
    fs.copyFileSync(path.join(EXT, rel), path.join(out, rel));
    shipped.push(rel);
  }
  // The licence texts travel with every copy (both licences require their notice in copies of
  // the software), and the privacy policy the stores link to is in the package a user can unzip.
  for (const rel of NOTICES) {
    fs.copyFileSync(path.join(ROOT, rel), path.join(out, rel));
    shipped.push(rel);
  }
  for (const [lang, msgs] of Object.entries(locales)) {
    const rel = `_locales/${lang}/messages.json`;
    fs.mkdirSync(path.join(out, '_locales', lang), { recursive: true });
    writeJson(path.join(out, rel), msgs);
    shipped.push(rel);
  }
  writeJson(path.join(out, 'manifest.json'), manifest);
  shipped.push('manifest.json');
  shipped.sort();
  let summary = `dist/${browser}/ (${shipped.length} files)`;
  if (ZIP) {
    const zip = path.join(DIST, `gateway-doctor-${version}-${browser}.zip`);
    for (const old of fs.readdirSync(DIST)) {  // older versions' zips would be mistaken for current
      if (old.startsWith('gateway-doctor-') && old.endsWith(`-${browser}.zip`)) fs.rmSync(path.join(DIST, old));
    }
    writeZip(zip, out, shipped);
    summary += `, ${path.relative(ROOT, zip)} (${fs.statSync(zip).size} bytes)`;
  }
  console.log(`package: ${summary}`);
}
console.log(`package: version ${version}, languages ${Object.keys(locales).join(', ')}`);
