// Firefox end-to-end harness: Debian's firefox-esr, headless, driven over WebDriver BiDi by
// puppeteer-core, with dist/firefox installed as a temporary add-on (BiDi webExtension.install,
// Firefox 138+), against the error zoo on 127.0.0.1.
//
// Firefox does not expose an extension's background script to automation, and BiDi refuses to
// navigate a tab to a moz-extension:// URL. So the harness opens one extension page (the popup
// page, as a tab) from the browser's chrome context (needs --remote-allow-system-access), and
// runs `browser.*` calls inside that page with BiDi script.evaluate: tabs.create, the badge
// (action.getBadgeText) and the stored state (the GET_STATE message the popup itself uses).
// The add-on's moz-extension UUID is pinned by pref so the page URL is known in advance.
//
// Privacy: every proxied protocol is pointed at the local sinkhole proxy (loopback is never
// proxied), so anything that tries to leave the machine is recorded there.

import puppeteer from 'puppeteer-core';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startZoo, startSinkhole, closedPort } from '../zoo/server.mjs';
import { waitFor } from '../e2e/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DIST_FIREFOX = process.env.GD_DIST_FIREFOX || path.resolve(here, '../../dist/firefox');
export const FIREFOX = process.env.GD_FIREFOX || '/usr/bin/firefox-esr';
const UUID = '0f6c2a3e-8d3f-4c55-9a3e-6a7e57d0c70a';

export function requireFirefoxBuild() {
  if (!existsSync(path.join(DIST_FIREFOX, 'manifest.json'))) {
    throw new Error(`${DIST_FIREFOX}/manifest.json is missing: run \`make build\` first`);
  }
  if (!existsSync(FIREFOX)) throw new Error(`${FIREFOX} not found: run \`make setup\` (apt firefox-esr)`);
}

export async function launchFirefox({ privacy = true, prefs = {} } = {}) {
  requireFirefoxBuild();
  const manifest = JSON.parse(readFileSync(path.join(DIST_FIREFOX, 'manifest.json'), 'utf8'));
  const addonId = manifest.browser_specific_settings.gecko.id;
  const zoo = await startZoo();
  const sink = await startSinkhole();
  const refusedPort = await closedPort();
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    args: ['--remote-allow-system-access'],
    // Release builds ignore `services.settings.server` (Remote Settings would sync from
    // firefox.settings.services.mozilla.com at start) unless this is set.
    env: { ...process.env, MOZ_REMOTE_SETTINGS_DEVTOOLS: '1' },
    extraPrefsFirefox: {
      'extensions.webextensions.uuids': JSON.stringify({ [addonId]: UUID }),
      // Everything not on loopback goes to the sinkhole (manual proxy config).
      'network.proxy.type': 1,
      'network.proxy.http': '127.0.0.1',
      'network.proxy.http_port': sink.port,
      'network.proxy.ssl': '127.0.0.1',
      'network.proxy.ssl_port': sink.port,
      'network.proxy.no_proxies_on': '',
      'network.proxy.allow_hijacking_localhost': false,
      // Firefox's own background services, off so the sinkhole only sees the extension.
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'browser.safebrowsing.update.enabled': false,
      'browser.safebrowsing.provider.mozilla.updateURL': '',
      'extensions.getAddons.cache.enabled': false,
      'extensions.update.enabled': false,
      'app.normandy.enabled': false,
      'browser.region.network.url': '',
      'browser.search.geoSpecificDefaults': false,
      'services.settings.server': 'http://127.0.0.1:9/',
      'network.trr.mode': 5,
      // A test file's own prefs (e.g. optional-permission prompts off).
      ...prefs,
    },
  });
  const conn = browser.connection;
  const h = { browser, zoo, sink, refusedPort, addonId, uuid: UUID, extOrigin: `moz-extension://${UUID}` };
  try {
    await browser.installExtension(DIST_FIREFOX);
    // Open the popup page as a tab from the chrome context (BiDi cannot navigate there).
    const chrome = await conn.send('browsingContext.getTree', { 'moz:scope': 'chrome' });
    const win = chrome.result.contexts.find((c) => c.url.startsWith('chrome://browser/'));
    const url = `${h.extOrigin}/popup.html?tab=0`;
    await conn.send('script.evaluate', {
      expression: `(() => { const t = gBrowser.addTab(${JSON.stringify(url)}, { triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal() }); gBrowser.selectedTab = t; return true; })()`,
      target: { context: win.context },
      awaitPromise: false,
    });
    const ctx = await waitFor(async () => {
      const tree = await conn.send('browsingContext.getTree', {});
      return tree.result.contexts.find((c) => c.url.startsWith(h.extOrigin))?.context;
    }, { what: 'the extension page tab', timeout: 20_000 });
    // The context can report its URL before the extension document (with `browser.*`) is in it.
    await waitFor(async () => {
      const r = (await conn.send('script.evaluate', {
        expression: "typeof browser !== 'undefined' && !!browser.runtime && document.readyState === 'complete'",
        target: { context: ctx },
        awaitPromise: false,
      })).result;
      return r.type === 'success' && r.result.value === true;
    }, { what: 'the extension page to load', timeout: 20_000 });
    /** Runs `fn(arg)` inside the extension page (full `browser.*` API); JSON in, JSON out. */
    h.ext = async (fn, arg) => {
      const expression = `(async () => JSON.stringify(await (${fn.toString()})(${JSON.stringify(arg ?? null)})))()`;
      const r = (await conn.send('script.evaluate', { expression, target: { context: ctx }, awaitPromise: true })).result;
      if (r.type !== 'success') throw new Error(`in extension page: ${r.exceptionDetails?.text}`);
      return r.result.value === undefined ? undefined : JSON.parse(r.result.value);
    };
    /**
     * Clicks `selector` in the extension page with real (trusted) pointer input, BiDi
     * input.performActions: what APIs that need a user gesture (permissions.request) require.
     */
    h.clickTrusted = async (selector) => {
      const r = (await conn.send('script.evaluate', {
        expression: `document.querySelector(${JSON.stringify(selector)})`,
        target: { context: ctx }, awaitPromise: false, resultOwnership: 'root',
      })).result;
      if (r.type !== 'success' || !r.result.sharedId) throw new Error(`no element ${selector}`);
      const origin = { type: 'element', element: { sharedId: r.result.sharedId } };
      await conn.send('input.performActions', {
        context: ctx,
        actions: [{
          type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' },
          actions: [
            { type: 'pointerMove', x: 0, y: 0, origin },
            { type: 'pointerDown', button: 0 },
            { type: 'pointerUp', button: 0 },
          ],
        }],
      });
    };
  } catch (e) {
    await browser.close().catch(() => {});
    await zoo.close();
    await sink.close();
    throw e;
  }
  h.openTab = (url) => h.ext(async (u) => (await browser.tabs.create({ url: u, active: false })).id, url);
  h.closeTab = (tabId) => h.ext((t) => browser.tabs.remove(t), tabId);
  h.badge = (tabId) => h.ext((t) => browser.action.getBadgeText({ tabId: t }), tabId);
  h.state = async (tabId) => {
    const r = await h.ext((t) => browser.runtime.sendMessage({ type: 'gd/get_state', tabId: t }), tabId);
    if (!r || !r.ok) throw new Error(`GET_STATE failed: ${JSON.stringify(r)}`);
    return r.state;
  };
  h.tabStatus = (tabId) => h.ext((t) => browser.tabs.get(t).then((x) => x.status), tabId);
  h.waitForBadge = (tabId, text, opts = {}) =>
    waitFor(async () => (await h.badge(tabId)) === text, { what: `badge "${text}" on tab ${tabId}`, timeout: 20_000, ...opts });
  h.waitForState = (tabId, pred = (s) => s && s.diagnosis && !s.partial) =>
    waitFor(async () => {
      const s = await h.state(tabId);
      return pred(s) ? s || true : null;
    }, { what: `state of tab ${tabId}`, timeout: 20_000 });
  /** Closes everything; fails when anything reached the sinkhole (unless `privacy: false`). */
  h.close = async () => {
    await browser.close().catch(() => {});
    await zoo.close().catch(() => {});
    await sink.close().catch(() => {});
    if (privacy && sink.seen.length) {
      throw new Error(`privacy: requests tried to leave the machine:\n${sink.seen.map((x) => `${x.method} ${x.url}`).join('\n')}`);
    }
  };
  return h;
}
