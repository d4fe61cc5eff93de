// The popup in German: with a German UI language every popup string comes from
// _locales/de (and the core's diag_*/remedy_* from locales/core/de via the packager).
//
// Needs `make build` first. Run: node --test --test-concurrency=1 tests/e2e/popup-de.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { launch, REPO, nginxRoute } from './harness.mjs';

// Chromium on Linux takes its UI language from the environment and --lang; set both.
process.env.LANGUAGE = 'de';
process.env.LANG = 'de_DE.UTF-8';
const de = JSON.parse(readFileSync(path.join(REPO, 'extension/_locales/de/messages.json'), 'utf8'));
const SHOTS = process.env.GD_SCREENSHOT_DIR || path.join(REPO, 'dist/e2e-screens');

let h;
before(async () => {
  h = await launch({ args: ['--lang=de', '--accept-lang=de'] });
  mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  await h?.close();
});

test('German UI: headline, headings and buttons from _locales/de', async () => {
  const ui = await h.sw(() => chrome.i18n.getUILanguage());
  assert.match(ui, /^de/, `Chromium UI language is ${ui}: Debian's chromium needs the chromium-l10n `
    + 'package for any language but en-US (make setup installs it)');
  const tabId = await h.openTab(h.zoo.url(nginxRoute(h.zoo, '/popup-de')));
  const s = await h.waitForState(tabId);
  const p = await h.context.newPage();
  await p.setViewportSize({ width: 400, height: 900 });
  await p.goto(`${h.extOrigin}/popup.html?tab=${tabId}`);
  await p.waitForSelector('#app[data-state="diagnosed"]');
  assert.equal(await p.textContent('#headline'), de.ui_headline_site.message);
  assert.equal(await p.textContent('#remedies-h'), de.ui_remedies_heading.message);
  assert.equal(await p.textContent('#why > summary'), de.ui_why_heading.message);
  assert.equal(await p.getAttribute('html', 'lang'), 'de');
  // Core messages are translated too when the packager merged locales/core/de.json.
  let core = {};
  try {
    core = JSON.parse(readFileSync(path.join(REPO, 'locales/core/de.json'), 'utf8'));
  } catch { /* engine locales not there: only the UI strings are checked */ }
  const first = s.diagnosis.remedies.find((r) => r.audience !== 'owner');
  if (core[first.title.id]) {
    assert.equal(await p.textContent(`li[data-remedy="${first.id}"]`).then((t) => t.includes(core[first.title.id].message.split('$')[0].trim())), true);
  }
  await p.screenshot({ path: path.join(SHOTS, 'popup-nginx-502-de.png'), fullPage: true });
  await p.close();
});
