// Shared harness for the Chromium end-to-end tests, `make demo` and scripts/bench-e2e.mjs.
//
// Launches Debian's /usr/bin/chromium (headless unless GD_HEADED=1 with a DISPLAY) through
// playwright-core with the built extension from dist/chrome, against the error zoo on 127.0.0.1.
// Nothing may leave the machine:
//   - `--host-resolver-rules` maps `*.zoo.test` to 127.0.0.1 and makes `broken.test` fail DNS
//     inside Chromium (no lookup is sent);
//   - `--proxy-server` points every other host at a local sinkhole proxy that records what
//     arrives; loopback and the test hosts bypass it. `assertPrivacy()` checks that the sinkhole
//     saw nothing and that every request the browser reported went to a local/test host.

import { chromium } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startZoo, startSinkhole, closedPort } from '../zoo/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '../..');
export const DIST_CHROME = process.env.GD_DIST_CHROME || path.join(REPO, 'dist/chrome');
export const CHROMIUM = process.env.GD_CHROMIUM || '/usr/bin/chromium';

/** Hosts a page or the extension may contact during tests. */
export const LOCAL_HOSTS = ['127.0.0.1', 'localhost', 'broken.test'];
export const TEST_DOMAIN = 'zoo.test';

/** Throws a readable error when the extension has not been built. */
export function requireBuild() {
  const need = ['manifest.json', 'background.js'];
  for (const f of need) {
    if (!existsSync(path.join(DIST_CHROME, f))) {
      throw new Error(`${path.join(DIST_CHROME, f)} is missing: run \`make build\` first`);
    }
  }
  const pkg = path.join(DIST_CHROME, 'pkg');
  if (!existsSync(pkg)) throw new Error(`${pkg} is missing: run \`make build\` first`);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: run \`make setup\` (apt chromium)`);
}

/** Polls `fn` until it returns a truthy value; throws with `what` and the last value on timeout. */
export async function waitFor(fn, { timeout = 15_000, interval = 50, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  let lastErr;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; last value: ${
        JSON.stringify(last)?.slice(0, 500)}${lastErr ? `; last error: ${lastErr.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

function isAllowedUrl(u) {
  let url;
  try {
    url = new URL(u);
  } catch {
    return false;
  }
  if (['chrome-extension:', 'data:', 'about:', 'blob:', 'chrome:', 'chrome-error:', 'devtools:'].includes(url.protocol)) {
    return true;
  }
  const h = url.hostname;
  return LOCAL_HOSTS.includes(h) || h === TEST_DOMAIN || h.endsWith(`.${TEST_DOMAIN}`);
}

/**
 * Starts zoo + sinkhole + Chromium with the extension. Options:
 *   extension: false → no extension (baseline for the benchmark)
 *   headless: override (default: headless unless GD_HEADED=1 and DISPLAY is set)
 *   args: extra Chromium flags
 *   privacy: false → close() does not fail on requests that left the machine (default: it does)
 */
export async function launch({ extension = true, headless, args = [], zoo: zooOpt, privacy = true } = {}) {
  if (extension) requireBuild();
  const zoo = zooOpt || await startZoo();
  const sink = await startSinkhole();
  const refusedPort = await closedPort();
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'gd-e2e-'));
  const head = headless ?? !(process.env.GD_HEADED === '1' && process.env.DISPLAY);
  const flags = [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--no-default-browser-check',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-domain-reliability', '--disable-client-side-phishing-detection',
    '--metrics-recording-only', '--disable-default-apps',
    // Chromium's own background traffic (component updater pings update.googleapis.com, the
    // GAIA cookie check pings accounts.google.com, even with --disable-component-update) is
    // pointed at a blocked local port, so the sinkhole below stays silent unless the EXTENSION
    // sends something. Port 9 is on Chromium's unsafe-port list: no connection is even tried.
    '--gaia-url=http://127.0.0.1:9/', '--component-updater=url-source=http://127.0.0.1:9/',
    `--host-resolver-rules=MAP broken.test ~NOTFOUND, MAP *.${TEST_DOMAIN} 127.0.0.1`,
    `--proxy-server=http://127.0.0.1:${sink.port}`,
    `--proxy-bypass-list=*.${TEST_DOMAIN};broken.test;127.0.0.1;localhost`,
    ...(extension ? [`--disable-extensions-except=${DIST_CHROME}`, `--load-extension=${DIST_CHROME}`] : []),
    ...args,
  ];
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: head,
    args: flags,
    // Playwright adds --disable-extensions by default; the extension is the point here.
    ignoreDefaultArgs: extension ? ['--disable-extensions'] : [],
    viewport: { width: 1000, height: 700 },
  });

  const requests = [];
  context.on('request', (r) => {
    let frameUrl = '';
    try {
      frameUrl = r.frame().url();
    } catch { /* service worker requests have no frame */ }
    const fromServiceWorker = !!r.serviceWorker?.();
    requests.push({
      url: r.url(),
      resourceType: r.resourceType(),
      fromServiceWorker,
      frameUrl,
      // Requests made by the extension itself: its service worker and its own pages.
      fromExtension: fromServiceWorker || frameUrl.startsWith('chrome-extension://'),
    });
  });

  const h = {
    context, zoo, sink, refusedPort, userDataDir, requests, extId: null, headless: head,
    extensionEnabled: extension,
  };

  // Playwright keeps one Worker object across a CDP stop/start of the extension's service worker
  // (no close/serviceworker events), and evaluate() on a stopped worker hangs. So the worker's
  // running status is tracked through a CDP session (ServiceWorker domain) on a control page,
  // and a stopped worker is started again with ServiceWorker.startWorker before evaluating.
  const controlPage = await context.newPage();
  const cdp = await context.newCDPSession(controlPage);
  let running = 'unknown';
  let runningWaiters = [];
  cdp.on('ServiceWorker.workerVersionUpdated', (e) => {
    for (const v of e.versions) {
      if (!String(v.scriptURL).startsWith('chrome-extension://')) continue;
      running = v.runningStatus;
      runningWaiters = runningWaiters.filter((f) => !f(running));
    }
  });
  await cdp.send('ServiceWorker.enable');
  const waitRunning = (status) => new Promise((resolve, reject) => {
    if (running === status) return resolve();
    const t = setTimeout(() => reject(new Error(`service worker not ${status} after 20 s (is ${running})`)), 20_000);
    runningWaiters.push((st) => {
      if (st !== status) return false;
      clearTimeout(t);
      resolve();
      return true;
    });
    return undefined;
  });
  h.workerStatus = () => running;
  h.controlPage = controlPage;

  const extWorker = () => context.serviceWorkers().filter((w) => w.url().startsWith('chrome-extension://')).at(-1);
  /** The extension's service worker handle, started if it was stopped. */
  h.worker = async () => {
    if (h.extId && running !== 'running') await h.wakeWorker();
    return extWorker() || context.waitForEvent('serviceworker', { timeout: 20_000 });
  };

  if (extension) {
    const w = await h.worker();
    h.extId = new URL(w.url()).host;
    h.extOrigin = `chrome-extension://${h.extId}`;
    if (running === 'unknown') running = 'running';
  }

  /** Runs `fn(arg)` in the service worker, starting it first if it was stopped. */
  h.sw = async (fn, arg) => {
    for (let attempt = 0; ; attempt++) {
      const w = await h.worker();
      try {
        return await w.evaluate(fn, arg);
      } catch (e) {
        if (attempt < 3 && /closed|destroyed|Target|detached|context/i.test(e.message)) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        throw e;
      }
    }
  };

  // Playwright announces the worker when its target exists, before its module has run: the
  // static imports still load, and no webRequest listener is registered yet. A navigation in that
  // window is invisible to the extension (the browser dispatches events only to listeners it
  // knows), so the first step of a fresh browser lost its badge now and then on a loaded 2-core
  // CI machine. A visitor's first failing page comes long after the install; tests wait for the
  // module body (which sets gdDebug and registers every listener in one synchronous run).
  if (extension) {
    await waitFor(() => h.sw(() => typeof globalThis.gdDebug === 'object' && chrome.webRequest.onCompleted.hasListeners()),
      { what: 'the extension\'s listeners registered', timeout: 20_000 });
  }

  /** Stops the extension's service worker (CDP ServiceWorker.stopAllWorkers), as Chrome does when idle. */
  h.stopWorker = async () => {
    const stopped = waitRunning('stopped');
    await cdp.send('ServiceWorker.stopAllWorkers');
    await stopped;
  };

  /** Starts the worker again without any browser event (CDP ServiceWorker.startWorker). */
  h.wakeWorker = async () => {
    if (running === 'running') return;
    const up = waitRunning('running');
    if (running !== 'starting') await cdp.send('ServiceWorker.startWorker', { scopeURL: `${h.extOrigin}/` });
    await up;
  };

  /** Opens `url` in a new tab from the worker; resolves to the tab id. */
  h.openTab = async (url, { active = true } = {}) => h.sw(async ({ u, a }) => (await chrome.tabs.create({ url: u, active: a })).id, { u: url, a: active });
  h.navigate = (tabId, url) => h.sw(({ t, u }) => chrome.tabs.update(t, { url: u }).then(() => true), { t: tabId, u: url });
  h.closeTab = (tabId) => h.sw((t) => chrome.tabs.remove(t).then(() => true), tabId);
  /** The Playwright page showing tab `tabId` (matched by URL; give tests unique URLs). */
  h.pageOf = async (tabId) => {
    const url = await h.sw((t) => chrome.tabs.get(t).then((x) => x.url || x.pendingUrl), tabId);
    return waitFor(() => context.pages().find((p) => p.url() === url), { what: `page for tab ${tabId} (${url})` });
  };
  /** Tab id of a Playwright page, matched by URL. */
  h.tabIdOf = (page) => waitFor(() => h.sw((u) => chrome.tabs.query({}).then((tabs) => {
    const m = tabs.filter((t) => t.url === u);
    return m.length === 1 ? m[0].id : null;
  }), page.url()), { what: `tab id of ${page.url()}` });

  h.badge = (tabId) => h.sw((t) => chrome.action.getBadgeText({ tabId: t }), tabId);
  h.badgeColor = (tabId) => h.sw((t) => chrome.action.getBadgeBackgroundColor({ tabId: t }), tabId);
  h.title = (tabId) => h.sw((t) => chrome.action.getTitle({ tabId: t }), tabId);
  h.state = (tabId) => h.sw((t) => chrome.storage.session.get(`tab:${t}`).then((o) => o[`tab:${t}`] || null), tabId);
  h.stats = () => h.sw(() => chrome.storage.session.get('stats').then((o) => o.stats || { injections: 0, diagnoses: 0 }));
  h.tabStatus = (tabId) => h.sw((t) => chrome.tabs.get(t).then((x) => x.status), tabId);
  h.alarms = () => h.sw(() => chrome.alarms.getAll());

  /**
   * Waits until the tab's stored state satisfies `pred(state)`; returns the state. By default:
   * the full diagnosis, not the header-only one shown while the page is still read.
   */
  h.waitForState = (tabId, pred = (s) => s && s.diagnosis && !s.partial, opts = {}) =>
    waitFor(async () => {
      const s = await h.state(tabId);
      return pred(s) ? s || true : null;
    }, { what: `state of tab ${tabId}`, ...opts });

  /**
   * What the worker saw of tab `tabId`, for timeout messages: its counters, the tab's state and
   * pending entry, the tab itself. Tells a failure that never got its badge from a late one.
   */
  h.workerView = async (tabId) => {
    const seen = await h.sw((t) => Promise.all([
      globalThis.gdDebug,
      chrome.storage.session.get([`tab:${t}`, `pending:${t}`]),
      chrome.tabs.get(t).then((x) => ({ url: x.url, status: x.status })).catch((err) => String(err)),
    ]), tabId).catch((err) => `(worker not reachable: ${err.message})`);
    return JSON.stringify(seen).slice(0, 1500);
  };

  /** Waits until the badge of `tabId` reads `text`. */
  h.waitForBadge = (tabId, text, opts = {}) =>
    waitFor(async () => (await h.badge(tabId)) === text, { what: `badge "${text}" on tab ${tabId}`, ...opts })
      .catch(async (e) => {
        e.message += `\nworker saw: ${await h.workerView(tabId)}`;
        throw e;
      });

  /** Waits for the tab to finish loading. */
  h.waitForLoad = (tabId, opts = {}) => waitFor(async () => (await h.tabStatus(tabId)) === 'complete', { what: `tab ${tabId} load`, ...opts });

  /**
   * Opens an extension page (`popup.html?tab=3`, `replay.html`) in a new tab. Script errors
   * and dialogs (dismissed) are collected in `page.errors`, for tests that assert none.
   */
  h.openExtensionPage = async (file, { width, height } = {}) => {
    const p = await context.newPage();
    const errors = [];
    p.on('pageerror', (e) => errors.push(e.message));
    p.on('dialog', (d) => {
      errors.push(`dialog: ${d.message()}`);
      d.dismiss();
    });
    if (width && height) await p.setViewportSize({ width, height });
    await p.goto(`${h.extOrigin}/${file}`);
    p.errors = errors;
    return p;
  };

  /** Opens the popup for `tabId` as a page (`popup.html?tab=<id>`). */
  h.openPopup = async (tabId) => {
    const p = await context.newPage();
    await p.goto(`${h.extOrigin}/popup.html?tab=${tabId}`);
    return p;
  };

  /**
   * Privacy violations: any request that actually tried to leave the machine (it reached the
   * sinkhole proxy, whoever made it), and any request the extension itself (service worker or
   * extension page) addressed to a host that is not local. Fixture pages' own subresources (the
   * Google page's robot image) are blocked by the zoo's CSP before any connection and are the
   * page's doing, not the extension's.
   */
  h.privacyViolations = () => [
    ...requests.filter((r) => r.fromExtension && !isAllowedUrl(r.url))
      .map((r) => `extension request: ${r.url} (${r.fromServiceWorker ? 'service worker' : r.frameUrl})`),
    ...sink.seen.map((s) => `reached sinkhole proxy: ${s.method} ${s.url}`),
  ];
  h.assertPrivacy = () => {
    const v = h.privacyViolations();
    if (v.length) throw new Error(`requests left the machine or went to unexpected hosts:\n${v.join('\n')}`);
  };

  /**
   * Closes everything, writes this run's network log to dist/e2e-network/<script>.json and
   * enforces the privacy rule for every file that uses this harness (issue 6 item 6): it throws
   * when anything tried to leave the machine, unless launched with `privacy: false`.
   */
  h.close = async () => {
    await context.close().catch(() => {});
    await sink.close().catch(() => {});
    if (!zooOpt) await zoo.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
    const violations = h.privacyViolations();
    try {
      const dir = process.env.GD_E2E_NETLOG_DIR || path.join(REPO, 'dist/e2e-network');
      mkdirSync(dir, { recursive: true });
      const name = path.basename(process.argv[1] || 'run').replace(/\.m?js$/, '');
      writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({
        script: process.argv[1], at: new Date().toISOString(), extension: extension ? h.extId : null,
        requests, sinkhole: sink.seen, violations,
      }, null, 1));
    } catch { /* the log is a convenience; the assertion below is the check */ }
    if (privacy && violations.length) {
      throw new Error(`privacy: requests left the machine or went to unexpected hosts:\n${violations.join('\n')}`);
    }
  };
  return h;
}

/** nginx/1.18.0's own 502 page (from tests/corpus), for routes a test sets up itself. */
export const NGINX_502 = readFileSync(path.join(REPO, 'tests/corpus/pages/nginx-502-1.18.0.html'), 'utf8');

/** Markup that runs script if a page ever inserts pasted or received text as HTML. */
export const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

/** A raw `curl -i` response: nginx's 503 page after its status line and headers. */
export const RAW_NGINX_503 = 'HTTP/1.1 503 Service Unavailable\r\nServer: nginx/1.24.0\r\nContent-Type: text/html\r\n\r\n<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx/1.24.0</center></body></html>';

/**
 * A 502 page with a secret in every place a support report must leave out: the query and the
 * fragment of its address (`SECRET_PAGE_QUERY`), a cookie, a debug header and a comment in the
 * body. `server` and `x-request-id` are headers a report keeps.
 */
export const SECRETS = ['S3CRET-QUERY', 'S3CRET-FRAG', 'S3CRET-COOKIE', 'S3CRET-HEADER', 'S3CRET-BODY'];
export const SECRET_PAGE = Object.freeze({
  status: 502,
  headers: {
    'content-type': 'text/html',
    server: 'nginx/1.18.0',
    'set-cookie': 'sid=S3CRET-COOKIE; Path=/',
    'x-debug-token': 'S3CRET-HEADER',
    'x-request-id': 'req-4242',
  },
  body: `${NGINX_502}<!-- S3CRET-BODY -->`,
});
export const SECRET_PAGE_QUERY = '?token=S3CRET-QUERY#S3CRET-FRAG';

/** Makes the zoo answer `pathname` with `NGINX_502`; returns `pathname`. */
export function nginxRoute(zoo, pathname) {
  zoo.set(pathname, { status: 502, headers: { 'content-type': 'text/html', server: 'nginx/1.18.0' }, body: NGINX_502 });
  return pathname;
}

/** The extension's version (from the built manifest). */
export function builtVersion() {
  return JSON.parse(readFileSync(path.join(DIST_CHROME, 'manifest.json'), 'utf8')).version;
}

/** p-th percentile (0–100) of numbers, nearest-rank. */
export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
