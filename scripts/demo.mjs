#!/usr/bin/env node
// `make demo`: shows what the extension does, end to end, on this machine.
//
// Starts the error zoo (tests/zoo) on 127.0.0.1, opens Debian's Chromium with the built
// extension (dist/chrome; `make demo` builds it first), visits every zoo page plus a refused
// connection and a DNS failure, and prints one row per page: what was loaded → the badge → the
// diagnosis → the first remedy offered. The popup of each page is saved as a screenshot under
// dist/demo/. Headless when there is no display; with a DISPLAY the browser stays open for
// clicking around until you close it (or press Ctrl-C). GD_DEMO_HEADLESS=1 forces headless.
//
// Nothing leaves the machine: the zoo is local, DNS failures are simulated inside Chromium, and
// anything else is caught by a local sinkhole proxy (reported at the end).

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launch, waitFor, REPO } from '../tests/e2e/harness.mjs';
import { storeScreenshot } from './store-shots.mjs';

const OUT = path.join(REPO, 'dist/demo');
// Store listing screenshots (1280×800) of a few pages of the zoo.
const STORE_OUT = path.join(REPO, 'dist/store');
const STORE_PAGES = ['/nginx-502', '/cloudflare-host-502', '/cloudflare-cdn-502', '/google-502'];
const headless = process.env.GD_DEMO_HEADLESS === '1' || !process.env.DISPLAY;

function cut(s, n) {
  const t = String(s ?? '').replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

function table(rows, headers) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

async function main() {
  mkdirSync(OUT, { recursive: true });
  mkdirSync(STORE_OUT, { recursive: true });
  let h;
  try {
    h = await launch({ headless, privacy: false }); // reports leaks itself, below
  } catch (e) {
    console.error(`demo: ${e.message}`);
    process.exit(2);
  }
  console.log(`Gateway Doctor demo — Chromium ${headless ? 'headless' : 'with a window'}, error zoo at ${h.zoo.origin}\n`);

  const visits = [
    ...h.zoo.pages.map((p) => ({ label: p.label, url: h.zoo.url(p.path), status: String(p.status), expect: p.expect || {} })),
    { label: 'connection refused', url: `http://127.0.0.1:${h.refusedPort}/`, status: '—', expect: { badge: 'OFF' } },
    { label: 'DNS failure', url: 'http://broken.test/', status: '—', expect: { badge: 'DNS' } },
  ];

  const rows = [];
  let problems = 0;
  let missing = 0; // pages that got no badge/diagnosis at all
  for (const v of visits) {
    const tabId = await h.openTab(v.url, { active: true });
    const want = v.expect.badge ?? null;
    let state = null;
    let badge = '';
    try {
      if (want) {
        await h.waitForBadge(tabId, want, { timeout: 20_000 });
        state = await h.waitForState(tabId);
      } else {
        await h.waitForLoad(tabId);
      }
      badge = await h.badge(tabId);
    } catch (e) {
      badge = await h.badge(tabId).catch(() => '?');
      state = await h.state(tabId).catch(() => null);
      missing += 1;
      console.error(`  ! ${v.label}: ${cut(e.message, 160)}`);
    }
    const d = state && state.diagnosis;
    const first = d && d.remedies && d.remedies[0];
    // ✓ when the diagnosis names the family the zoo catalogue expects for this page.
    const expected = v.expect.family;
    const verdict = !want ? (badge ? '✗ alarm' : '✓') : !d ? '✗' : expected && d.family !== expected ? `✗ want ${expected}` : '✓';
    if (verdict.startsWith('✗')) problems += 1;
    rows.push([
      verdict,
      cut(v.label, 42),
      v.status,
      badge || '—',
      d ? cut(`${d.family}${d.variant ? `/${d.variant}` : ''} · ${d.fault} · ${d.title.text}`, 70) : 'no alarm (healthy)',
      first ? cut(first.title.text, 44) : '—',
    ]);
    // The popup for this tab, as the visitor would see it.
    const popup = await h.context.newPage();
    await popup.setViewportSize({ width: 420, height: 640 });
    await popup.goto(`${h.extOrigin}/popup.html?tab=${tabId}`);
    await popup.locator('#app:not([data-state="loading"])').waitFor({ timeout: 10_000 }).catch(() => {});
    await popup.screenshot({ path: path.join(OUT, `${slug(v.label)}.png`), fullPage: true });
    await popup.close();
    if (d && STORE_PAGES.some((p) => v.url === h.zoo.url(p))) {
      await storeScreenshot(h, tabId, path.join(STORE_OUT, `${slug(v.label)}-1280x800.png`));
    }
  }

  console.log(table(rows, ['', 'page', 'status', 'badge', 'diagnosis (family · whose fault · title)', 'first remedy']));
  console.log(`\nPopup screenshots: ${path.relative(process.cwd(), OUT) || OUT}/*.png`);
  console.log(`Store screenshots (1280×800): ${path.relative(process.cwd(), STORE_OUT) || STORE_OUT}/*.png`);
  const leaks = h.privacyViolations();
  console.log(leaks.length ? `\nPRIVACY: ${leaks.length} request(s) tried to leave the machine:\n${leaks.join('\n')}`
    : '\nPrivacy: no request left the machine (sinkhole proxy saw nothing; the extension fetched nothing).');
  if (problems) console.log(`\n${problems} page(s) did not get the expected badge or family (✗ above).`);

  if (!headless) {
    console.log('\nThe browser stays open: click the toolbar icon on any tab to try the remedies.');
    console.log('Close the browser window or press Ctrl-C to end the demo.');
    await new Promise((resolve) => {
      h.context.on('close', resolve);
      process.once('SIGINT', resolve);
    });
  }
  await h.close();
  process.exit(missing || leaks.length ? 1 : 0);
}

main().catch((e) => {
  console.error(`demo failed: ${e.stack || e}`);
  process.exit(1);
});
