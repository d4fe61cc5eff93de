// Per-tab state and per-site failure history, kept in `storage.session` so that it survives the
// service worker being stopped (issue 6 item 4) but never touches disk or outlives the browser
// session. Everything here is bounded (issue 6 item 3):
//   - one `tab:<id>` entry per open tab, removed when the tab closes or loads a healthy page;
//   - `tried` keeps the last MAX_TRIED remedies;
//   - `sites` keeps at most MAX_SITES origins × MAX_FAILURES_PER_SITE timestamps inside
//     FAILURE_WINDOW_MS.
// storage.session is only readable by trusted extension contexts by default (Chrome
// `setAccessLevel` defaults to TRUSTED_CONTEXTS), so web pages and content scripts cannot read
// or forge it.

import { api } from './browser.js';
import { MSG } from './protocol.js';

export const MAX_TRIED = 20;
export const MAX_SITES = 200;
export const MAX_FAILURES_PER_SITE = 20;
export const FAILURE_WINDOW_MS = 24 * 60 * 60 * 1000;

const SITES_KEY = 'sites';
const STATS_KEY = 'stats';
const tabKey = (tabId) => `tab:${tabId}`;

function store() {
  return api.storage.session;
}

/** The tab's state, or null. */
export async function getTabState(tabId) {
  const key = tabKey(tabId);
  const got = await store().get(key);
  return got[key] || null;
}

/** Replaces the tab's state (caps `tried`). */
export async function setTabState(tabId, state) {
  const s = { ...state, tabId };
  if (Array.isArray(s.tried) && s.tried.length > MAX_TRIED) s.tried = s.tried.slice(-MAX_TRIED);
  await store().set({ [tabKey(tabId)]: s });
  notifyStateChanged(tabId);
  return s;
}

/**
 * Tells open extension pages (popup, a `popup.html?tab=` tab) that a tab's state changed, so a
 * countdown or a new diagnosis shows without polling. Nobody listening is normal.
 */
export function notifyStateChanged(tabId) {
  try {
    const p = api.runtime.sendMessage({ type: MSG.STATE_CHANGED, tabId });
    if (p && typeof p.catch === 'function') p.catch(() => {});
  } catch { /* no receiver */ }
}

// Read-modify-write per tab is serialised inside this worker instance so two events for one tab
// (onCompleted + a retry tick) cannot lose each other's writes.
const chains = new Map();

/**
 * `fn(current|null) -> next|null|undefined`; null deletes the entry, undefined keeps it as is.
 * Resolves to the stored state (or null).
 */
export function updateTabState(tabId, fn) {
  const prev = chains.get(tabId) || Promise.resolve();
  const run = prev.catch(() => {}).then(async () => {
    const cur = await getTabState(tabId);
    const next = await fn(cur);
    if (next === undefined) return cur;
    if (next === null) {
      await clearTabState(tabId);
      return null;
    }
    return setTabState(tabId, next);
  });
  chains.set(tabId, run);
  run.finally(() => {
    if (chains.get(tabId) === run) chains.delete(tabId);
  }).catch(() => {});
  return run;
}

export async function clearTabState(tabId) {
  await store().remove(tabKey(tabId));
  notifyStateChanged(tabId);
}

/** All tab states (for resuming retries and tests). */
export async function allTabStates() {
  const all = await store().get(null);
  return Object.entries(all)
    .filter(([k]) => k.startsWith('tab:'))
    .map(([, v]) => v);
}

/** Pure: adds `now` to `sites[origin]`, dropping old entries and evicting the stalest sites. */
export function addFailure(sites, origin, now) {
  const out = {};
  for (const [o, times] of Object.entries(sites || {})) {
    const kept = (Array.isArray(times) ? times : []).filter((t) => now - t < FAILURE_WINDOW_MS);
    if (kept.length) out[o] = kept;
  }
  const list = (out[origin] || []).concat(now).slice(-MAX_FAILURES_PER_SITE);
  delete out[origin];
  out[origin] = list;
  const origins = Object.keys(out);
  if (origins.length > MAX_SITES) {
    origins
      .sort((a, b) => out[a][out[a].length - 1] - out[b][out[b].length - 1])
      .slice(0, origins.length - MAX_SITES)
      .forEach((o) => delete out[o]);
  }
  return out;
}

let sitesChain = Promise.resolve();

/** Remembers one failure of `origin` now. */
export function recordSiteFailure(origin, now = Date.now()) {
  if (!origin || origin === 'null') return Promise.resolve();
  sitesChain = sitesChain.catch(() => {}).then(async () => {
    const got = await store().get(SITES_KEY);
    await store().set({ [SITES_KEY]: addFailure(got[SITES_KEY], origin, now) });
  });
  return sitesChain;
}

/** Failures of `origin` inside the window (including the current one once recorded). */
export async function recentFailures(origin, now = Date.now()) {
  const got = await store().get(SITES_KEY);
  const times = (got[SITES_KEY] || {})[origin] || [];
  return times.filter((t) => now - t < FAILURE_WINDOW_MS).length;
}

// A failure whose handling has started but not finished (`pending:<tabId>`). If the worker is
// stopped in between (issue 6 item 4: "at any moment"), the next worker start finishes it.
const pendingKey = (tabId) => `pending:${tabId}`;

export async function setPending(tabId, entry) {
  await store().set({ [pendingKey(tabId)]: { ...entry, tabId } });
}

export async function clearPending(tabId) {
  await store().remove(pendingKey(tabId));
}

export async function allPending() {
  const all = await store().get(null);
  return Object.entries(all).filter(([k]) => k.startsWith('pending:')).map(([, v]) => v);
}

let statsChain = Promise.resolve();

/**
 * Debug counters the e2e tests read to prove behaviour (e.g. that no script was injected into a
 * healthy page): `{injections, injected_urls[], diagnoses}`. Bounded like everything else.
 */
export function bumpStats(field, url) {
  statsChain = statsChain.catch(() => {}).then(async () => {
    const got = await store().get(STATS_KEY);
    const s = got[STATS_KEY] || { injections: 0, injected_urls: [], diagnoses: 0 };
    s[field] = (s[field] || 0) + 1;
    if (field === 'injections' && url) s.injected_urls = s.injected_urls.concat(url).slice(-50);
    await store().set({ [STATS_KEY]: s });
  });
  return statsChain;
}

export async function getStats() {
  const got = await store().get(STATS_KEY);
  return got[STATS_KEY] || { injections: 0, injected_urls: [], diagnoses: 0 };
}
