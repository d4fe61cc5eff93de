// @ts-check
// Per-tab state and per-site failure history, kept in `storage.session` so that it survives the
// service worker being stopped (issue 6 item 4) but never touches disk or outlives the browser
// session. Everything here is bounded (issue 6 item 3, issue 13 item 3):
//   - one `tab:<id>` entry per open tab, removed when the tab closes or loads a healthy page; it
//     holds what the popup and the report need (the diagnosis, the observation without the page
//     body, a capped excerpt), never the body itself;
//   - all `tab:` entries together stay under TAB_BYTES_BUDGET: the least recently used tabs'
//     entries are replaced by a small "expired" marker (the popup says "reload to re-check");
//   - a write the browser refuses (Chromium's storage.session holds 10 MB in all) evicts the
//     oldest entries and is tried again, so a new failure is never left without its state;
//   - `tried` keeps the last MAX_TRIED remedies;
//   - `sites` keeps at most MAX_SITES origins × MAX_FAILURES_PER_SITE timestamps inside
//     FAILURE_WINDOW_MS.
// storage.session is only readable by trusted extension contexts by default (Chrome
// `setAccessLevel` defaults to TRUSTED_CONTEXTS), so web pages and content scripts cannot read
// or forge it.

import { api } from './browser.js';
import { MSG } from './protocol.js';

/**
 * @typedef {Engine.Diagnosis} Diagnosis (extension/types/engine.d.ts)
 * @typedef {Engine.Observation} Observation
 * @typedef {Engine.BodySummary} BodySummary
 * @typedef {Engine.Retry} Retry the auto-retry's record (src/retry.rs)
 */
/**
 * One `tab:<id>` entry: what the popup and the report need of the tab's last failure.
 * @typedef {Object} TabState
 * @property {number} tabId
 * @property {string | null} [url]
 * @property {string} [at]
 * @property {boolean} [expired]
 * @property {string} [requestId]
 * @property {Observation} [observation]
 * @property {Diagnosis} [diagnosis]
 * @property {BodySummary | null} [body]
 * @property {Retry | null} [retry]
 * @property {Array<{id: string, outcome: string, at: string}>} [tried]
 * @property {any} [api] the page's failing API calls (lib/api-watch.js)
 * @property {any} [timing]
 * @property {boolean} [partial]
 */

export const MAX_TRIED = 20;
export const MAX_SITES = 200;
export const MAX_FAILURES_PER_SITE = 20;
export const FAILURE_WINDOW_MS = 24 * 60 * 60 * 1000;
/**
 * Bytes all `tab:` entries may take together: 6 MB of Chromium's 10 MB storage.session quota
 * (https://developer.chrome.com/docs/extensions/reference/api/storage#property-session), the rest
 * left for pending failures, site history and a write in flight. One entry is ~5-15 KB, so
 * hundreds of failing tabs fit before any is evicted.
 */
export const TAB_BYTES_BUDGET = 6 * 1024 * 1024;
/** How often a refused write is retried after evicting (each round frees more). */
const WRITE_ATTEMPTS = 4;

const SITES_KEY = 'sites';
const STATS_KEY = 'stats';
/** `{[tabId]: [bytes, lastUsedMs]}` of every `tab:` entry: the LRU bookkeeping. */
const INDEX_KEY = 'tab-index';
const tabKey = (tabId) => `tab:${tabId}`;

/**
 * storage.session holds this module's own JSON entries; @types/chrome types what `get` reads as
 * `unknown`, the shapes are the typedefs above and are checked where they are built.
 * @returns {{ get(keys: string | string[] | null): Promise<Record<string, any>>,
 *   set(items: Record<string, unknown>): Promise<void>, remove(keys: string | string[]): Promise<void> }}
 */
function store() {
  return api.storage.session;
}

const encoder = new TextEncoder();

/**
 * What a value costs against Chromium's storage.session quota, estimated from above. Chromium
 * does not count JSON text: measured with `getBytesInUse` (Chromium 156), a string costs its
 * UTF-8 bytes plus 8, and every number, boolean or null 32 bytes, an object `{a: 1}` 96. So a
 * diagnosis with many small fields costs ~1.5× its JSON. This counts 32 bytes for every value,
 * key and container on top of the UTF-8 text, which is never less than what Chromium counts.
 */
export function quotaBytes(value) {
  if (typeof value === 'string') return encoder.encode(value).length + 32;
  if (Array.isArray(value)) return value.reduce((n, v) => n + quotaBytes(v), 32);
  if (value && typeof value === 'object') {
    let n = 32;
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) n += encoder.encode(k).length + 32 + quotaBytes(v);
    }
    return n;
  }
  return 32;
}

/** What an entry costs against the quota: its key and its value (see `quotaBytes`). */
export function entryBytes(key, value) {
  return encoder.encode(key).length + quotaBytes(value);
}

/** The marker left for a tab whose diagnosis was evicted: small, and says what to do. */
export function expiredState(state, now = Date.now()) {
  return { tabId: state.tabId, url: state.url || null, expired: true, at: new Date(now).toISOString() };
}

/**
 * The tab's state, or null.
 * @returns {Promise<TabState | null>}
 */
export async function getTabState(tabId) {
  const key = tabKey(tabId);
  const got = await store().get(key);
  return /** @type {TabState | undefined} */ (got[key]) || null;
}

// Every write of `tab:` entries and of the index goes through one chain inside this worker
// instance: two events for one tab (onCompleted + a retry tick) cannot lose each other's writes,
// and the byte budget is computed over a consistent index.
let chain = Promise.resolve();
function serial(fn) {
  const run = chain.catch(() => {}).then(fn);
  chain = run;
  return run;
}

/** Replaces the tab's state (caps `tried`). */
export function setTabState(tabId, state) {
  return serial(() => writeTab(tabId, state));
}

async function readIndex() {
  const got = await store().get(INDEX_KEY);
  const idx = got[INDEX_KEY];
  if (!idx || typeof idx !== 'object' || Array.isArray(idx)) return {};
  // Only well-formed rows count; anything else is dropped on the next write.
  return Object.fromEntries(Object.entries(idx).filter(([, v]) => Array.isArray(v) && v.length >= 2));
}

/** Pure: the bytes all entries of `idx` take together. */
export function indexBytes(idx) {
  return Object.values(idx).reduce((n, v) => n + (Array.isArray(v) ? Number(v[0]) || 0 : 0), 0);
}

/**
 * Pure: which tabs to expire so that `idx` (after the entry of `keepTab` was set to its new size)
 * stays within `budget` — the least recently used first, never `keepTab`, never an entry that is
 * already an expired marker (`expired` set). Returns the tab ids, oldest first.
 */
export function evictionOrder(idx, keepTab, budget, expired = new Set()) {
  let total = indexBytes(idx);
  if (total <= budget) return [];
  const out = [];
  const candidates = Object.entries(idx)
    .filter(([id]) => id !== String(keepTab) && !expired.has(id))
    .sort((a, b) => (a[1][1] || 0) - (b[1][1] || 0));
  for (const [id, [bytes]] of candidates) {
    if (total <= budget) break;
    out.push(Number(id));
    total -= Number(bytes) || 0;
  }
  return out;
}

/** Writes `tabId`'s state within the budget, evicting least recently used tabs as needed. */
async function writeTab(tabId, state) {
  const s = { ...state, tabId };
  if (Array.isArray(s.tried) && s.tried.length > MAX_TRIED) s.tried = s.tried.slice(-MAX_TRIED);
  const key = tabKey(tabId);
  const now = Date.now();
  for (let attempt = 1; ; attempt++) {
    const idx = await readIndex();
    idx[tabId] = [entryBytes(key, s), now];
    const expiredIds = new Set(Object.keys(idx).filter((id) => idx[id][2] === 1));
    // After a refused write (the quota is shared with other keys, or an older version's
    // entries fill it), each round halves what the tab entries may take.
    const budget = attempt === 1 ? TAB_BYTES_BUDGET : Math.min(TAB_BYTES_BUDGET, indexBytes(idx)) / 2 ** (attempt - 1);
    const items = { [key]: s };
    for (const id of evictionOrder(idx, tabId, budget, expiredIds)) {
      const old = await getTabState(id);
      if (!old) {
        delete idx[id];
        continue;
      }
      const marker = expiredState(old, now);
      items[tabKey(id)] = marker;
      idx[id] = [entryBytes(tabKey(id), marker), idx[id][1], 1];
    }
    items[INDEX_KEY] = idx;
    try {
      await store().set(items);
      break;
    } catch (e) {
      // Quota exceeded (the message differs per browser): evict harder and try again. Entries
      // the index does not know (written by an older version) are indexed first so they can go.
      if (attempt >= WRITE_ATTEMPTS) throw e;
      await indexUnknownEntries();
    }
  }
  notifyStateChanged(tabId);
  return s;
}

/** Adds `tab:` entries missing from the index, as least recently used. */
async function indexUnknownEntries() {
  const all = await store().get(null);
  const idx = all[INDEX_KEY] && typeof all[INDEX_KEY] === 'object' ? all[INDEX_KEY] : {};
  let changed = false;
  for (const [k, v] of Object.entries(all)) {
    if (!k.startsWith('tab:')) continue;
    const id = k.slice(4);
    if (idx[id]) continue;
    idx[id] = [entryBytes(k, v), 0, v && v.expired ? 1 : 0];
    changed = true;
  }
  if (changed) await store().set({ [INDEX_KEY]: idx });
}

/** Marks the tab's entry as just used (the popup showed it): it is evicted last. */
export function touchTabState(tabId) {
  return serial(async () => {
    const idx = await readIndex();
    if (!idx[tabId]) return;
    idx[tabId][1] = Date.now();
    await store().set({ [INDEX_KEY]: idx });
  });
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

/**
 * `fn(current|null) -> next|null|undefined`; null deletes the entry, undefined keeps it as is.
 * Resolves to the stored state (or null). `fn` runs inside the write chain: it must not call
 * another function of this module that writes (that would wait for itself).
 * @param {number} tabId
 * @param {(cur: TabState | null) => TabState | null | undefined | Promise<TabState | null | undefined>} fn
 */
export function updateTabState(tabId, fn) {
  return serial(async () => {
    const cur = await getTabState(tabId);
    const next = await fn(cur);
    if (next === undefined) return cur;
    if (next === null) {
      await removeTab(tabId);
      return null;
    }
    return writeTab(tabId, next);
  });
}

async function removeTab(tabId) {
  const idx = await readIndex();
  await store().remove(tabKey(tabId));
  if (idx[tabId]) {
    delete idx[tabId];
    await store().set({ [INDEX_KEY]: idx });
  }
  notifyStateChanged(tabId);
}

export function clearTabState(tabId) {
  return serial(() => removeTab(tabId));
}

/**
 * All tab states (for resuming retries and tests).
 * @returns {Promise<TabState[]>}
 */
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

/**
 * Forgets the tab's pending failure; with `requestId`, only when it is that request's (a newer
 * failure of the tab noted meanwhile must still be finished if the worker stops).
 */
export async function clearPending(tabId, requestId) {
  const key = pendingKey(tabId);
  if (requestId) {
    const got = await store().get(key);
    if (!got[key] || (got[key].requestId && got[key].requestId !== requestId)) return;
  }
  await store().remove(key);
}

export async function allPending() {
  const all = await store().get(null);
  return Object.entries(all).filter(([k]) => k.startsWith('pending:')).map(([, v]) => v);
}

let statsChain = Promise.resolve();

/**
 * Counters the e2e tests read to prove behaviour (e.g. that no script was injected into a
 * healthy page): `{injections, diagnoses, ignored_errors}`. Numbers only: nothing about the pages
 * themselves (addresses, titles) is kept, since these ship in every build (issue 13 item 6).
 */
export function bumpStats(field) {
  statsChain = statsChain.catch(() => {}).then(async () => {
    const got = await store().get(STATS_KEY);
    const s = got[STATS_KEY] || { injections: 0, diagnoses: 0 };
    s[field] = (s[field] || 0) + 1;
    await store().set({ [STATS_KEY]: s });
  });
  return statsChain;
}

export async function getStats() {
  const got = await store().get(STATS_KEY);
  return got[STATS_KEY] || { injections: 0, diagnoses: 0 };
}
