// The popup end to end (Chromium + dist/chrome + the error zoo): it shows the stored diagnosis
// with its data-* attributes and plain words, a calm empty state, page-derived text only as
// text (hostile markup never runs), every control reachable by keyboard, and it looks right in
// light and dark mode (screenshots under dist/e2e-screens/ for a human to look at).
//
// Needs `make build` first. Run: node --test --test-concurrency=1 tests/e2e/popup.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  launch, waitFor, REPO, nginxRoute, HOSTILE,
} from './harness.mjs';

const SHOTS = process.env.GD_SCREENSHOT_DIR || path.join(REPO, 'dist/e2e-screens');

let h;
before(async () => {
  h = await launch();
  mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  // The privacy proof (nothing leaves the machine) is tests/e2e's privacy test (H3a's harness).
  await h?.close();
});

/** Opens `popup.html?tab=<id>` (plus extra query) as a page and waits for it to render. */
async function popup(tabId, extra = '', { width = 400, height = 900 } = {}) {
  const p = await h.openExtensionPage(`popup.html?tab=${tabId}${extra}`, { width, height });
  await p.waitForSelector('#app:not([data-state="loading"])', { timeout: 10_000 });
  return p;
}

async function failingTab(pathname) {
  const tabId = await h.openTab(h.zoo.url(pathname));
  const state = await h.waitForState(tabId);
  return { tabId, state };
}

test('a diagnosed tab: data-* attributes, plain-words headline, remedies as buttons', async () => {
  // The real nginx page from tests/corpus, as the zoo's catalogue serves it.
  const { tabId, state } = await failingTab('/nginx-502');
  const d = state.diagnosis;
  const p = await popup(tabId);
  const data = await p.evaluate(() => ({ ...document.getElementById('app').dataset }));
  assert.equal(data.state, 'diagnosed');
  assert.equal(data.kind, d.kind);
  assert.equal(data.family, d.family);
  assert.equal(data.fault, d.fault);
  assert.equal(data.code, String(d.code));
  // What the zoo's catalogue says a correct engine finds.
  assert.equal(data.family, 'nginx');
  assert.equal(data.fault, 'site');
  assert.equal(data.code, '502');
  assert.equal(await p.textContent('#headline'), "The website's server is failing — it's not your device");
  // The engine's title is shown unless it only repeats the headline.
  const titleEl = await p.$('#diag-title');
  const headline = await p.textContent('#headline');
  if (titleEl) assert.ok((await titleEl.textContent()).trim().length > 0);
  else assert.equal(d.title.text.toLowerCase(), headline.toLowerCase(), 'title hidden only when it repeats the headline');

  // Every visitor remedy is listed in rank order; the ones with an action are real buttons.
  const visitor = d.remedies.filter((r) => r.audience !== 'owner');
  const owner = d.remedies.filter((r) => r.audience === 'owner');
  assert.ok(visitor.length > 0, 'the engine offers the visitor something to do');
  const listed = await p.$$eval('#remedies > li', (lis) => lis.map((li) => li.dataset.remedy));
  assert.deepEqual(listed, visitor.map((r) => r.id));
  for (const r of visitor.filter((x) => x.action && x.action.type !== 'copy_text')) {
    assert.ok(await p.$(`li[data-remedy="${r.id}"] button`), `remedy ${r.id} has a button`);
  }
  // "I run this site" adds the owner remedies.
  await p.check('#owner');
  const withOwner = await p.$$eval('#remedies > li', (lis) => lis.map((li) => li.dataset.remedy));
  assert.deepEqual(withOwner, visitor.concat(owner).map((r) => r.id));
  await p.uncheck('#owner');

  // "Why we think so" lists the engine's evidence.
  await p.click('#why > summary');
  const ev = await p.$$eval('#why .evidence li .detail', (els) => els.map((e) => e.textContent));
  assert.deepEqual(ev, d.evidence.map((e) => e.detail));

  await p.screenshot({ path: path.join(SHOTS, 'popup-nginx-502-light.png'), fullPage: true });
  await p.emulateMedia({ colorScheme: 'dark' });
  await p.screenshot({ path: path.join(SHOTS, 'popup-nginx-502-dark.png'), fullPage: true });
  // Dark mode really switches the palette.
  const bg = await p.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(bg, 'rgb(255, 255, 255)');
  assert.deepEqual(p.errors, []);
  await p.close();
  await h.closeTab(tabId);
});

test('a healthy tab: calm "Nothing wrong detected on this page"', async () => {
  const tabId = await h.openTab(h.zoo.url('/healthy?popup-empty'));
  await h.waitForLoad(tabId);
  const p = await popup(tabId);
  assert.equal(await p.getAttribute('#app', 'data-state'), 'empty');
  assert.equal(await p.textContent('#headline'), 'Nothing wrong detected on this page');
  assert.equal(await p.$$eval('#remedies', (x) => x.length), 0);
  await p.screenshot({ path: path.join(SHOTS, 'popup-empty-light.png'), fullPage: true });
  assert.deepEqual(p.errors, []);
  await p.close();
  await h.closeTab(tabId);
});

test('hostile page-derived text is rendered as text and never executes', async () => {
  // 1) A real hostile error page through the whole pipeline.
  h.zoo.set('/hostile-502', {
    status: 502,
    headers: { 'content-type': 'text/html', server: `nginx ${HOSTILE}`, 'x-request-id': HOSTILE },
    body: `<html><head><title>${HOSTILE} 502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway ${HOSTILE}</h1></center><hr><center>nginx</center>\u202Egnp.exe</body></html>`,
  });
  const { tabId } = await failingTab('/hostile-502');
  {
    const p0 = await popup(tabId);
    await p0.click('#why > summary');
    const r0 = await p0.evaluate(() => ({
      pwned: window.__pwned,
      injected: document.querySelectorAll('#app img, #app script, #app [onerror]').length,
    }));
    assert.deepEqual(r0, { pwned: undefined, injected: 0 }, 'engine-derived text from a hostile page');
    assert.deepEqual(p0.errors, []);
    await p0.close();
  }
  // 2) Hostile strings in every field the popup shows, written straight into the stored state
  //    so the test does not depend on which fields the engine copies from the page.
  await h.sw(async ({ t, bad }) => {
    const key = `tab:${t}`;
    const s = (await chrome.storage.session.get(key))[key];
    const m = (text) => ({ id: 'x_not_a_key', text });
    s.url = `http://127.0.0.1/${bad}`;
    s.diagnosis.title = m(bad);
    s.diagnosis.summary = m(bad);
    s.diagnosis.family = bad;
    s.diagnosis.evidence = [{ source: 'body', detail: bad }, { source: bad, detail: 'x' }];
    s.diagnosis.ids = [{ kind: bad, value: bad }];
    s.diagnosis.remedies = [
      { id: 'hard_refresh', audience: 'visitor', title: m(bad), steps: [m(bad)], action: { type: 'reload_bypass_cache' } },
      { id: 'status_page', audience: 'visitor', title: m(`status ${bad}`), steps: [], action: { type: 'open_url', url: 'javascript:window.__pwned=3' } },
      { id: 'flush_dns', audience: 'visitor', title: m('dns'), steps: [], action: { type: 'copy_text', text: bad } },
    ];
    await chrome.storage.session.set({ [key]: s });
  }, { t: tabId, bad: HOSTILE });
  const p = await popup(tabId);
  await p.click('#why > summary');
  const r = await p.evaluate(() => ({
    pwned: window.__pwned,
    injected: document.querySelectorAll('#app img, #app script, #app iframe, #app object, #app [onerror]').length,
    text: document.getElementById('app').textContent,
  }));
  assert.equal(r.pwned, undefined, 'no page script ran in the popup');
  assert.equal(r.injected, 0, 'no element was created from page text');
  assert.ok(r.text.includes('<img src=x onerror="window.__pwned=1">'), 'markup shown literally');
  assert.ok(!r.text.includes('\u202E'), 'bidi override neutralised');
  // A javascript: "status page" is refused by the background, no tab opens, nothing runs.
  const pagesBefore = h.context.pages().length;
  await p.click('li[data-remedy="status_page"] button');
  await waitFor(() => p.evaluate(() => document.getElementById('app').dataset.lastOutcome === 'failed'), { what: 'open_url refused' });
  assert.equal(h.context.pages().length, pagesBefore);
  assert.equal(await p.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(p.errors, []);
  await p.close();
  await h.closeTab(tabId);
});

test('keyboard alone reaches every control and can use them', async () => {
  const { tabId, state } = await failingTab(nginxRoute(h.zoo, '/popup-keyboard'));
  const p = await popup(tabId);
  // Tab through the page; open every <details> reached so its contents join the tab order.
  const reached = new Set();
  await p.evaluate(() => document.body.focus());
  for (let i = 0; i < 120; i++) {
    await p.keyboard.press('Tab');
    const info = await p.evaluate(() => {
      const a = document.activeElement;
      if (!a || a === document.body) return null;
      if (!a.dataset.k) a.dataset.k = String(Math.random());
      const details = a.tagName === 'SUMMARY' ? a.parentElement : null;
      return { k: a.dataset.k, summaryClosed: !!details && !details.open };
    });
    if (!info) continue;
    reached.add(info.k);
    if (info.summaryClosed) await p.keyboard.press('Enter');
  }
  const missed = await p.evaluate((keys) => {
    const sel = 'button, input, summary, a[href], select, textarea, [tabindex="0"]';
    return [...document.querySelectorAll(sel)]
      .filter((el) => !el.disabled && el.offsetParent !== null && !el.closest('[hidden]'))
      // A radio group is one tab stop (arrow keys move inside it): the checked radio counts.
      .filter((el) => !(el.type === 'radio' && !el.checked))
      .filter((el) => !keys.includes(el.dataset.k))
      .map((el) => el.outerHTML.slice(0, 80));
  }, [...reached]);
  assert.deepEqual(missed, [], 'controls not reachable with Tab');
  // Arrow keys move inside the report format group and switch the preview.
  await p.focus('#fmt-markdown');
  await p.keyboard.press('ArrowRight');
  assert.equal(await p.isChecked('#fmt-json'), true);
  // Space toggles the owner switch.
  await p.focus('#owner');
  await p.keyboard.press('Space');
  assert.equal(await p.isChecked('#owner'), true);
  // Every input has a label.
  const unlabelled = await p.$$eval('input', (els) => els.filter((el) => !el.labels || el.labels.length === 0).map((el) => el.id));
  assert.deepEqual(unlabelled, []);
  assert.ok(state.diagnosis);
  await p.close();
  await h.closeTab(tabId);
});

test('options: "I run this site" default and report defaults carry into the popup', async () => {
  const o = await h.context.newPage();
  await o.goto(`${h.extOrigin}/options.html`);
  await o.waitForSelector('#app[data-state="ready"]');
  await o.check('#opt-owner');
  await o.check('#opt-include_excerpt');
  await o.waitForFunction(() => document.getElementById('saved').textContent.length > 0);
  assert.ok(await o.$('#open-replay'), 'options link to the replay page');
  const { tabId } = await failingTab(nginxRoute(h.zoo, '/popup-options-default'));
  const p = await popup(tabId);
  assert.equal(await p.isChecked('#owner'), true);
  assert.equal(await p.isChecked('#report-include_excerpt'), true);
  assert.equal(await p.isChecked('#report-keep_query'), false);
  // Put the defaults back for the other tests.
  await o.uncheck('#opt-owner');
  await o.uncheck('#opt-include_excerpt');
  await Promise.all([o.close(), p.close()]);
  await h.closeTab(tabId);
});
