// UI strings (extension/_locales/*/messages.json): en and de complete and consistent, and every
// ui_* key the extension's code asks for exists.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';

const root = new URL('../../extension/', import.meta.url);
const load = (lang) => JSON.parse(readFileSync(new URL(`_locales/${lang}/messages.json`, root), 'utf8'));
const en = load('en');
const de = load('de');
const placeholders = (s) => [...new Set(s.match(/\$\d/g) || [])].sort();

test('en and de have the same keys, all ui_*, each with a message', () => {
  assert.deepEqual(Object.keys(de).sort(), Object.keys(en).sort());
  for (const [lang, msgs] of [['en', en], ['de', de]]) {
    for (const [k, v] of Object.entries(msgs)) {
      assert.match(k, /^ui_[a-z0-9_]+$/, `${lang}: key ${k} must be ui_* (core keys live in locales/core)`);
      assert.equal(typeof v.message, 'string');
      assert.ok(v.message.trim().length > 0, `${lang}:${k} empty`);
      // A lone $ would be read as a placeholder reference by Chrome.
      assert.ok(!/\$(?![\d$])/.test(v.message), `${lang}:${k} has a stray $`);
    }
  }
});

test('placeholders match between languages', () => {
  for (const k of Object.keys(en)) {
    assert.deepEqual(placeholders(de[k].message), placeholders(en[k].message), k);
  }
});

test('German is actually translated', () => {
  const proper = new Set(['ui_ext_name']); // a product name stays as is
  const same = Object.keys(en).filter((k) => !proper.has(k) && en[k].message === de[k].message && en[k].message.length > 12);
  assert.deepEqual(same, [], 'long strings identical in en and de');
});

function sources() {
  const files = ['popup.js', 'options.js', 'background.js'].map((f) => new URL(f, root));
  for (const f of readdirSync(new URL('lib/', root))) if (f.endsWith('.js')) files.push(new URL(`lib/${f}`, root));
  return files.map((u) => { try { return readFileSync(u, 'utf8'); } catch { return ''; } }).join('\n');
}

test('every literal ui_* key used in code exists', () => {
  const src = sources();
  const used = new Set([...src.matchAll(/['"`](ui_[a-z0-9_]*[a-z0-9])['"`]/g)].map((m) => m[1]));
  const missing = [...used].filter((k) => !(k in en));
  assert.deepEqual(missing, []);
});

test('dynamic key families cover every value the code can produce', () => {
  const need = [
    ...['site', 'cdn', 'browser', 'network', 'none', 'unknown'].map((f) => `ui_fault_${f}`),
    ...['status', 'header', 'body', 'net_error', 'url', 'limit'].map((s) => `ui_source_${s}`),
    ...['recovered', 'reload_failed', 'gave_up', 'unclear', 'cancelled', 'navigated_away', 'tab_closed'].map((o) => `ui_retry_outcome_${o}`),
    ...['reloaded', 'reloaded_get', 'retry_started', 'recovered', 'gave_up', 'unclear', 'unclear_reloaded', 'cancelled', 'navigated_away', 'cache_cleared', 'whole_cache_cleared', 'signed_out', 'signed_out_shared', 'opened_private', 'private_refused', 'opened', 'copied', 'copy_failed', 'failed'].map((o) => `ui_tried_${o}`),
    ...['reloaded', 'reloaded_get', 'cache_cleared', 'whole_cache_cleared', 'signed_out', 'opened_private', 'opened', 'retry_started', 'retry_running', 'copied', 'copy_failed', 'failed'].map((o) => `ui_outcome_${o}`),
  ];
  assert.deepEqual(need.filter((k) => !(k in en)), []);
});

test('manifest __MSG_*__ references resolve', () => {
  let manifest;
  try {
    manifest = readFileSync(new URL('../manifest.json', root), 'utf8');
  } catch {
    return; // manifest not written yet
  }
  const refs = [...manifest.matchAll(/__MSG_([A-Za-z0-9_@]+)__/g)].map((m) => m[1]);
  assert.deepEqual(refs.filter((k) => !(k in en)), []);
});
