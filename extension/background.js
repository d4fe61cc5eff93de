// @ts-check
// Gateway Doctor background: notices failed main-frame loads, diagnoses them with the WASM engine
// and shows the result on the toolbar icon. Runs as a module service worker in Chrome and as a
// module background script in Firefox (the packager rewrites `background` for Firefox).
//
// MV3 rules this file follows:
// - Every listener is registered synchronously at top level, so events that wake the worker are
//   delivered (https://developer.chrome.com/docs/extensions/develop/concepts/service-workers/events).
// - No top-level await: a module service worker that awaits at top level fails to register.
//   `ready` starts the WASM initialisation once and every listener awaits it.
// - Nothing lives only in memory that must survive the worker being stopped: per-tab state and
//   failures still being diagnosed (`pending:<tab>`) are in storage.session (lib/state.js), and a
//   new worker finishes what a stopped one left. The in-memory requestId→tabId map only bridges
//   the milliseconds between onBeforeRequest and onCompleted.
// - No script is injected into healthy pages: the page is read only for responses ≥ 400.

import * as gd from './pkg/worker/gateway_doctor_worker.js';
import { engine } from './lib/engine.js';
import { api, browserTag, platformOs, t } from './lib/browser.js';
import {
  isWatchedRequest, isDownload, effectiveError, fromResponse, fromError, needsBody, isHealthy, withBody,
  readPage, badgeFor, originOf, pageKey, withoutUserinfo, BODY_CAP, READ_WAIT_MS, createRequestTabs,
  FAULT_COLORS,
} from './lib/observe.js';
import {
  SETTLE_MS, MAX_SHOWN, isFirstParty, callKey, classify, newTracker, noteResult, stillFailing,
  shouldAlarm, summary, failureOf, observationOf,
} from './lib/api-watch.js';
import {
  getTabState, updateTabState, clearTabState, touchTabState, recordSiteFailure, recentFailures,
  bumpStats, setPending, clearPending, allPending,
} from './lib/state.js';
import { MSG, validateRequest, isTrustedSender, ok, fail } from './lib/protocol.js';
import {
  handleAction, cancelRetry, onRetryAlarm, resumeRetries, onNotificationClicked, EXTRA_REMEDY_IDS,
} from './lib/actions.js';
import { quietSite } from './lib/sites.js';
import { tabIdFromAlarm } from './lib/retry.js';

// In-memory counters (lost when the worker stops) for the e2e tests: healthy loads handled (no
// storage write on the healthy path) and how page reads went. Numbers and browser error classes
// only, never a page's address: this ships in every build (issue 13 item 6).
// apiFailures/apiThirdParty/apiAlarms: the page's own calls that failed, failures of other
// sites' calls left alone, and tabs flagged (issue 17 part 1).
const debug = {
  healthy: 0, readRetries: 0, readFailures: 0, staleDropped: 0, apiFailures: 0, apiThirdParty: 0, apiAlarms: 0,
};
globalThis.gdDebug = debug;

// Started now, at the worker's start, so that the first event rarely waits for it. lib/actions.js
// awaits the same instantiation (lib/engine.js) before its auto-retry decisions.
const ready = engine();
// An unhandled rejection here would be reported once per listener; log it once instead.
ready.catch((e) => console.error('Gateway Doctor: WASM engine failed to load', e));

let envPromise = null;
/** `{browser, os}` for observations; computed once per worker start. */
function env() {
  if (!envPromise) {
    envPromise = Promise.all([browserTag(), platformOs()]).then(([browser, os]) => ({ browser, os }));
  }
  return envPromise;
}

// Firefox can report `tabId: -1` on onCompleted/onErrorOccurred for a request whose
// onBeforeRequest carried the real tab (see issue 4): remembered per requestId, bounded.
const requestTabs = createRequestTabs();
const tabOf = (details) => requestTabs.tabOf(details);

// The newest main-frame request of each tab (tabId → requestId), from onBeforeRequest. A result
// for an older request (its page read took long, the visitor moved on meanwhile) is dropped
// instead of overwriting the newer page's state (issue 13 item 2). In memory only: after a
// worker restart the tab's address decides instead (`isCurrent`).
const latestRequest = new Map();
// The one before it, per tab, for a request that turns out to be a download (the tab keeps its page).
const previousRequest = new Map();
// Redirects per requestId (onBeforeRedirect), to recognise a redirect loop that ends in an
// abort. Bounded like requestTabs: entries go when their request ends.
const redirects = new Map();

/** @returns {undefined} (a webRequest listener that never blocks) */
function onBeforeRequest(details) {
  requestTabs.remember(details);
  if (!isWatchedRequest(details) || !(details.tabId >= 0)) return;
  const before = latestRequest.get(details.tabId);
  if (before !== undefined) previousRequest.set(details.tabId, before);
  latestRequest.delete(details.tabId);
  latestRequest.set(details.tabId, details.requestId);
  // A new page load: the previous page's API failures say nothing about it.
  resetApiWatch(details.tabId);
  if (latestRequest.size > 512) latestRequest.delete(latestRequest.keys().next().value);
  if (previousRequest.size > 512) previousRequest.delete(previousRequest.keys().next().value);
}

/** A download is not a navigation: the tab's newest page is the one before it again. */
function undoDownload(tabId, requestId) {
  if (latestRequest.get(tabId) !== requestId) return;
  const before = previousRequest.get(tabId);
  if (before === undefined) latestRequest.delete(tabId);
  else latestRequest.set(tabId, before);
}

function onBeforeRedirect(details) {
  if (!isWatchedRequest(details)) return;
  redirects.set(details.requestId, (redirects.get(details.requestId) || 0) + 1);
  if (redirects.size > 512) redirects.delete(redirects.keys().next().value);
}

function redirectCount(details) {
  const n = redirects.get(details.requestId) || 0;
  redirects.delete(details.requestId);
  return n;
}

/**
 * Whether a result for `requestId`/`url` still describes what tab `tabId` shows: no newer
 * main-frame request started in it (known while this worker instance saw that request), and the
 * tab, once asked, is still on (or loading) that address.
 */
async function isCurrent(tabId, requestId, url) {
  const latest = latestRequest.get(tabId);
  if (latest !== undefined && requestId && latest !== requestId) return false;
  if (latest !== undefined) return true;
  const tab = await api.tabs.get(tabId).catch(() => null);
  if (!tab) return false;
  const shown = [tab.url, tab.pendingUrl].filter(Boolean).map(pageKey);
  return shown.length === 0 || shown.includes(pageKey(url));
}

/**
 * Calls the engine; a thrown error becomes a neutral diagnosis so the badge still says something.
 * @param {Engine.Observation} obs
 * @returns {Promise<Engine.Diagnosis>} (so the fallback below keeps the engine's shape)
 */
async function diagnoseSafely(obs) {
  try {
    await ready;
    return gd.diagnose(obs);
  } catch (/** @type {any} */ e) {
    console.error('Gateway Doctor: diagnose failed', e);
    const network = !!obs.net_error;
    return {
      schema: 1,
      kind: network ? 'network_error' : obs.status >= 500 ? 'server_error' : 'client_error',
      family: 'unknown',
      code: obs.status || undefined,
      fault: 'unknown',
      confidence: 0,
      title: { id: 'ui_engine_failed', text: 'Gateway Doctor could not analyse this page' },
      summary: { id: 'ui_engine_failed', text: String((e && e.message) || e) },
      evidence: [],
      ids: [],
      remedies: [],
      engine_version: '',
      signatures_version: '',
    };
  }
}

/**
 * Reads the failed page's HTML (text for non-HTML responses) from the tab, capped. Only called for
 * status ≥ 400, never for healthy pages. Chrome's own "HTTP ERROR 5xx" page, shown when the body
 * was empty, cannot be scripted: that refusal tells us the body was empty.
 *
 * onCompleted usually fires before the new document has replaced the previous one (the whole
 * small body arrived before the commit), so the first attempts meet the old document ("Frame with
 * ID 0 was removed", or its URL) or Chrome's error page still committing ("Cannot access contents
 * of the page", later "Frame with ID 0 is showing error page"). The read is retried with a short
 * backoff until it meets the document of this URL, for at most READ_RETRY_MS.
 */
const READ_RETRY_MS = 3000;

async function readBody(tabId, details, obs) {
  // Counted (not awaited) so tests can prove no healthy page is ever read.
  bumpStats('injections').catch(() => {});
  // documentIds pins the read to the very document this response created (Chrome 106+), when
  // the event carries one; otherwise the top frame is read and its URL compared.
  let byDocument = !!details.documentId;
  const deadline = Date.now() + READ_RETRY_MS;
  let delay = 5;
  for (;;) {
    const target = byDocument ? { tabId, documentIds: [details.documentId] } : { tabId, frameIds: [0] };
    try {
      // injectImmediately: do not wait for document_idle; readPage waits for the load event
      // itself (≤ READ_WAIT_MS), which comes sooner.
      const results = await api.scripting.executeScript({
        target, func: readPage, args: [BODY_CAP, READ_WAIT_MS], injectImmediately: true,
      });
      const r = results && results[0] && results[0].result;
      // The page's own address has no userinfo; obs.url has none either (observe.js).
      if (r && typeof r.html === 'string' && pageKey(r.url) === pageKey(obs.url)) {
        const out = withBody(obs, r.html);
        return r.truncated ? { ...out, body_truncated: true } : out;
      }
      byDocument = false;
    } catch (/** @type {any} */ e) {
      const msg = String((e && e.message) || e);
      if (/error page/i.test(msg)) return withBody(obs, '');
      if (/No tab with id/i.test(msg)) break;
      byDocument = false;
    }
    if (Date.now() + delay > deadline) break;
    // A newer navigation replaced this page: nobody will see what this read finds.
    if (latestRequest.has(tabId) && details.requestId && latestRequest.get(tabId) !== details.requestId) break;
    debug.readRetries += 1;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
  debug.readFailures += 1;
  // Unreadable: an explicit zero length still tells us the body was empty.
  return obs.headers.some((h) => h.name === 'content-length' && h.value.trim() === '0')
    ? withBody(obs, '') : obs;
}

async function setBadge(tabId, diagnosis, obs, { apiCalls = false } = {}) {
  // A page whose own requests fail says "API", not a status: the page itself loaded.
  const b = apiCalls
    ? { text: 'API', color: FAULT_COLORS[diagnosis.fault] || FAULT_COLORS.unknown }
    : badgeFor(diagnosis, obs);
  // No title yet (the status-only badge): the manifest's default title.
  const title = apiCalls
    ? `Gateway Doctor — ${t('ui_headline_api', [], API_HEADLINE_EN)}`
    : b && diagnosis.title
      ? `Gateway Doctor — ${t(diagnosis.title.id, diagnosis.title.args, diagnosis.title.text || '')}`
      : '';
  try {
    // Title first, text last: calls are handled in order, so whoever sees the text also sees
    // its colour and tooltip, and whoever sees the colour also sees the tooltip.
    await Promise.all([
      // An empty per-tab title falls back to the default title from the manifest.
      api.action.setTitle({ tabId, title }),
      b ? api.action.setBadgeBackgroundColor({ tabId, color: b.color }) : null,
      b && api.action.setBadgeTextColor ? api.action.setBadgeTextColor({ tabId, color: '#ffffff' }) : null,
      api.action.setBadgeText({ tabId, text: b ? b.text : '' }),
    ]);
  } catch {
    // The tab closed meanwhile; nothing to show.
  }
}

async function clearBadge(tabId) {
  try {
    await Promise.all([
      api.action.setBadgeText({ tabId, text: '' }),
      api.action.setTitle({ tabId, title: '' }),
    ]);
  } catch { /* tab gone */ }
}

/** Shows a stored state on the toolbar icon (an expired marker keeps whatever badge is there). */
function showState(tabId, state) {
  return state && state.diagnosis
    ? setBadge(tabId, state.diagnosis, state.observation, { apiCalls: !!state.api }) : null;
}

/**
 * Forgets the tab's failure when `pred(current)` holds: state and badge, in one step of the
 * state chain, so a failure written in between (the next page's) can neither be deleted nor
 * lose its badge (the race behind issue 13 item 2). An auto-retry of the forgotten page stops.
 */
async function forgetIf(tabId, pred) {
  let forgotten = null;
  await updateTabState(tabId, async (cur) => {
    if (!cur || !(await pred(cur))) return undefined;
    forgotten = cur;
    await clearBadge(tabId);
    return null;
  });
  if (forgotten && forgotten.retry && forgotten.retry.active) {
    // Finds no state any more: it only clears the retry's alarm.
    try { await cancelRetry(tabId); } catch (e) { console.error('cancelRetry', e); }
  }
  return forgotten;
}

/**
 * The page summary a stored state keeps instead of the body (issue 13 item 3): its length, whether
 * it was blank, and the capped text excerpt the report's "include an excerpt" switch offers.
 */
async function bodySummary(obs) {
  if (typeof obs.body !== 'string') return null;
  try {
    await ready;
    return gd.bodySummary(obs.body);
  } catch (e) {
    console.error('Gateway Doctor: bodySummary failed', e);
    return null;
  }
}

/**
 * Diagnoses `obs` (a response of request `requestId` in tab `tabId`) and, unless a newer
 * navigation owns the tab by now, stores it and shows it. `partial`: diagnosed from the status
 * and headers before the page was read (issue 13 item 4); the full diagnosis replaces it.
 * Resolves to whether it was written.
 * @param {number} tabId
 * @param {string} requestId
 * @param {any} obs
 * @param {{eventTime?: number, partial?: boolean, phases?: object}} [opts]
 */
async function recordFailure(tabId, requestId, obs, { eventTime, partial = false, phases = {} } = {}) {
  const t0 = performance.now();
  const diagnosis = await diagnoseSafely(obs);
  const diagnoseMs = performance.now() - t0;
  const body = partial ? null : await bodySummary(obs);
  if (!(await isCurrent(tabId, requestId, obs.url))) {
    debug.staleDropped += 1;
    return false;
  }
  if (requestId && !shownAt.has(requestId) && !partial) {
    // The first diagnosis of this response is shown at once, ahead of the state chain (which may
    // be busy with the previous page's storage writes); the chain step below shows it again, so
    // a forget of the previous page queued before it cannot leave it cleared.
    await setBadge(tabId, diagnosis, obs);
    noteShown(requestId);
  }
  let written = false;
  await updateTabState(tabId, async (cur) => {
    // Checked again inside the chain: a newer request may have started during the awaits above.
    if (requestId && latestRequest.has(tabId) && latestRequest.get(tabId) !== requestId) return undefined;
    // A late header-only diagnosis never replaces the full one of the same response.
    if (partial && cur && cur.requestId === requestId && !cur.partial) return undefined;
    const same = cur && pageKey(cur.url) === pageKey(obs.url);
    // The badge inside the chain step: a forget queued behind this write cannot clear it after.
    await setBadge(tabId, diagnosis, obs);
    const badgeAt = Date.now();
    const firstBadgeAt = (requestId && shownAt.get(requestId)) ||
      (cur && cur.requestId === requestId && cur.timing && cur.timing.first_badge_at) || badgeAt;
    written = true;
    return {
      tabId,
      url: obs.url,
      requestId: requestId || null,
      // Everything but the page body, which can be 64 K characters (~190 KB of multi-byte
      // text): the popup and the report need the summary only.
      observation: { ...obs, body: null },
      body,
      diagnosis,
      partial,
      at: new Date().toISOString(),
      tried: same && Array.isArray(cur.tried) ? cur.tried : [],
      // The auto-retry (lib/actions.js) owns this field; a failed retry load keeps it running.
      retry: same ? cur.retry || null : null,
      // For scripts/bench-e2e.mjs: the browser's event time, when the first badge of this
      // response was shown (the header-only one, when there was one) and the phases of this
      // diagnosis (event → handler start incl. pending write, page read, engine).
      timing: {
        event_at: eventTime || null,
        first_badge_at: firstBadgeAt,
        badge_ms: Math.max(0, firstBadgeAt - (eventTime || firstBadgeAt)),
        final_ms: badgeAt - (eventTime || badgeAt),
        // When this worker instance started (a cold start is part of the time to the badge).
        worker_started_at: Math.round(performance.timeOrigin),
        ...phases,
        diagnose_ms: Math.round(diagnoseMs * 100) / 100,
      },
    };
  });
  if (!written) {
    debug.staleDropped += 1;
    return false;
  }
  if (!partial) await Promise.all([recordSiteFailure(originOf(obs.url)), bumpStats('diagnoses')]);
  return true;
}

// When each response's first badge was shown (requestId → ms), bounded.
const shownAt = new Map();
function noteShown(requestId) {
  shownAt.set(requestId, Date.now());
  if (shownAt.size > 256) shownAt.delete(shownAt.keys().next().value);
}

// Header-only observations of responses ≥ 400 by requestId, so that a response whose body then
// fails (connection reset mid-body) is still diagnosed as the HTTP failure it was. Bounded.
const failedHeaders = new Map();

/**
 * onHeadersReceived: a failure is diagnosed and shown from its status and headers at once, before
 * any of the body arrived (a slowly dripping 502 showed nothing for 10 s+); onCompleted refines it
 * with the page's text.
 */
async function onHeadersReceived(details) {
  if (!isWatchedRequest(details)) return;
  // The visitor's "don't diagnose this site" list (lib/sites.js; an in-memory Set).
  if (await quietSite(details.url)) return;
  const tabId = requestTabs.peek(details);
  if (tabId < 0 || !(details.statusCode >= 400)) {
    if (tabId >= 0 && isDownload(details)) undoDownload(tabId, details.requestId);
    return;
  }
  const obs = fromResponse(details);
  failedHeaders.set(details.requestId, obs);
  if (failedHeaders.size > 64) failedHeaders.delete(failedHeaders.keys().next().value);
  // Only where the status alone cannot be a false alarm: a 403, 429 or 503 may be an anti-bot
  // check ("Just a moment…"), recognised by its text, which gets no badge at all; a 511 is a
  // captive portal. Those wait for the page.
  if (!earlyStatus(obs.status)) return;
  if (!shownAt.has(details.requestId) && latestRequest.get(tabId) === details.requestId) {
    // The status at once, in the neutral colour, before the engine (which a worker just woken
    // for this response may still be compiling) has said whose fault it is.
    await setBadge(tabId, { kind: 'server_error', code: obs.status, fault: 'unknown' }, obs);
    noteShown(details.requestId);
  }
  const full = { ...obs, ...(await env()) };
  await recordFailure(tabId, details.requestId, full, { eventTime: details.timeStamp, partial: true });
}

/** Statuses shown from the headers alone, before the page is read (see onHeadersReceived). */
function earlyStatus(status) {
  return status >= 500 && status <= 599 && status !== 503 && status !== 511;
}

async function onCompleted(details) {
  if (!isWatchedRequest(details)) return;
  const tabId = tabOf(details);
  failedHeaders.delete(details.requestId);
  redirects.delete(details.requestId);
  if (tabId < 0) return;
  const download = isDownload(details);
  if (download && !(details.statusCode >= 400)) {
    undoDownload(tabId, details.requestId);
    return;
  }
  // Without `{browser, os}` for now (finishFailure adds them): healthy or not needs neither,
  // and a failure must be noted as pending before the handler's first wait. env()'s first
  // call after a start asks the browser, and a worker stopped during it lost the failure.
  const obs = fromResponse(details);
  if (isHealthy(obs)) {
    debug.healthy += 1;
    // Only when no newer navigation started in the tab meanwhile (it decides for itself).
    if (latestRequest.has(tabId) && latestRequest.get(tabId) !== details.requestId) return;
    await forgetIf(tabId, () => true);
    await clearPending(tabId);
    return;
  }
  if (!needsBody(obs)) return;
  await handleFailure(tabId, obs, details, { download });
}

async function onErrorOccurred(details) {
  if (!isWatchedRequest(details)) return;
  const tabId = tabOf(details);
  const headers = failedHeaders.get(details.requestId);
  failedHeaders.delete(details.requestId);
  const error = effectiveError(details.error, redirectCount(details));
  if (tabId < 0) return;
  if (!error) {
    // Counted in session storage (rare event, survives a worker restart) so tests can tell
    // "seen and ignored" from "not handled yet" without sleeping.
    await bumpStats('ignored_errors');
    return;
  }
  // A response ≥ 400 whose body then failed: the HTTP failure is the better diagnosis.
  if (headers && !/ABORT/i.test(String(details.error))) {
    await handleFailure(tabId, headers, details);
    return;
  }
  await handleFailure(tabId, fromError({ ...details, error }), details);
}

/**
 * Reads the page (HTTP errors only), diagnoses, badges and stores. The failure is first noted as
 * pending so that a worker stopped half-way (the browser may stop it at any moment) finishes it
 * on its next start (`resumePending`).
 */
async function handleFailure(tabId, obs, details, { download = false } = {}) {
  const pending = {
    obs,
    download,
    requestId: details.requestId || null,
    documentId: details.documentId || null,
    eventTime: details.timeStamp || Date.now(),
  };
  await setPending(tabId, pending);
  await finishFailure(tabId, pending);
}

async function finishFailure(tabId, { obs, requestId, documentId, eventTime, download }) {
  // The visitor's "don't diagnose this site" list (lib/sites.js). Checked here, after the failure
  // is noted as pending, not before: its first read after a worker start waits for storage, and
  // a worker stopped during a wait before the pending note lost the failure.
  if (await quietSite(obs.url)) {
    await clearPending(tabId, requestId);
    return;
  }
  let full = { ...obs, ...(await env()) };
  const t0 = Date.now();
  if (!obs.net_error && !download && needsBody(obs)) full = await readBody(tabId, { documentId, requestId }, full);
  await recordFailure(tabId, requestId, full, {
    eventTime, phases: { start_ms: t0 - (eventTime || t0), read_ms: Date.now() - t0 },
  });
  await clearPending(tabId, requestId);
}

/** Pending failures older than this are stale (the tab has long moved on or been reloaded). */
const PENDING_MAX_AGE_MS = 2 * 60 * 1000;

/** Finishes failures a stopped worker left half-done, if their tab still shows that URL. */
async function resumePending() {
  for (const p of await allPending()) {
    const { tabId } = p;
    try {
      const tab = await api.tabs.get(tabId).catch(() => null);
      const fresh = Date.now() - (p.eventTime || 0) < PENDING_MAX_AGE_MS;
      const cur = await getTabState(tabId);
      // Stopped between writing the full diagnosis and clearing the entry: nothing left to do.
      const done = cur && !cur.partial && cur.diagnosis && p.requestId && cur.requestId === p.requestId;
      if (!done && tab && fresh && p.obs && (!tab.url || pageKey(tab.url) === pageKey(p.obs.url))) {
        await finishFailure(tabId, p);
      } else {
        await clearPending(tabId, p.requestId);
      }
    } catch (e) {
      console.error('Gateway Doctor: resumePending', e);
      await clearPending(tabId, p.requestId).catch(() => {});
    }
  }
}

/**
 * The tab shows `url` now. Chrome and Firefox reset a tab's badge when a document commits (the
 * page's own, or the browser's error page for a network error or an empty 5xx body), so a stored
 * diagnosis of this very page is shown again; with `forget`, a diagnosis of another page is
 * dropped (a page restored by Back from the back/forward cache raises no webRequest event).
 * With `dropApi`, a flag about the previous document's API calls goes whatever the address.
 * One step of the state chain (one storage read) for all of it: this runs on every navigation.
 */
async function reconcile(tabId, url, { forget, dropApi = false }) {
  const web = /^https?:/i.test(String(url || ''));
  if (!web && !dropApi) return;
  const key = pageKey(url);
  await forgetIf(tabId, async (cur) => {
    if (dropApi && cur.api) return true;
    if (!web) return false;
    if (pageKey(cur.url) !== key) return forget;
    // Inside the chain step, like every badge change, so it cannot overtake a forget.
    await showState(tabId, cur);
    return false;
  });
}

const isTopFrame = (d) => d && d.frameId === 0 && d.tabId >= 0 && d.documentLifecycle !== 'prerender';

async function onNavCommitted(details) {
  if (!isTopFrame(details)) return;
  // A new document: its own calls start afresh, and a flag about the previous document's calls
  // goes, also on a reload of the same address (a page a service worker serves raises no
  // main-frame webRequest event that would reset them). Its calls come after its commit, so
  // this never drops the new document's own flag.
  resetApiWatch(details.tabId);
  await reconcile(details.tabId, details.url, { forget: true, dropApi: true });
}

async function onNavError(details) {
  // An error page committed (it resets the badge); the failure itself comes from webRequest.
  if (isTopFrame(details)) await reconcile(details.tabId, details.url, { forget: false });
}

async function onTabUpdated(tabId, changeInfo, tab) {
  if (changeInfo.status !== 'complete' || !tab || !tab.url) return;
  await reconcile(tabId, tab.url, { forget: true });
}

async function onTabRemoved(tabId) {
  latestRequest.delete(tabId);
  resetApiWatch(tabId);
  const cur = await getTabState(tabId);
  if (cur && cur.retry) {
    try { await cancelRetry(tabId); } catch (e) { console.error('cancelRetry', e); }
  }
  await clearTabState(tabId);
  await clearPending(tabId);
}

// ---- the page's own API calls (issue 17 part 1; decisions in lib/api-watch.js) ----
//
// In memory only: a worker stopped mid-load forgets the load's failures and flags nothing
// (a missed alarm, never a false one). The stored state of a flagged tab lives in
// storage.session like a failed page's, so popup, badge re-application and forgetting on the
// next page load treat it the same way.

const API_HEADLINE_EN = "This page loaded, but its own requests to the website are failing";
// Separate from the main-frame map: a busy app's calls must not push page loads out of it.
const apiRequestTabs = createRequestTabs();
/** tabId → tracker of the current page load (api-watch.js `newTracker`). */
const apiTrackers = new Map();
/** tabId → settle timer. */
const apiTimers = new Map();

function resetApiWatch(tabId) {
  apiTrackers.delete(tabId);
  clearTimeout(apiTimers.get(tabId));
  apiTimers.delete(tabId);
}

/**
 * The address of the document that made the call: Firefox gives it (`documentUrl`), Chrome the
 * document's origin (`initiator`), which is all the same-site check needs.
 */
const callerOf = (details) => details.documentUrl || details.initiator || details.originUrl || '';

/** @returns {undefined} (a webRequest listener that never blocks) */
function onApiBeforeRequest(details) {
  if (details.frameId === 0) apiRequestTabs.remember(details);
}

function onApiCompleted(details) {
  noteApiCall(details, classify({ statusCode: details.statusCode }));
}

function onApiError(details) {
  noteApiCall(details, classify({ error: details.error }));
}

function noteApiCall(details, outcome) {
  const tabId = apiRequestTabs.tabOf(details);
  // The top frame's own calls only: an embedded widget's failing backend is not this page's.
  if (tabId < 0 || details.frameId !== 0 || outcome.kind === 'ignore') return;
  const caller = callerOf(details);
  if (!isFirstParty(details.url, caller)) {
    if (outcome.kind === 'failure') debug.apiThirdParty += 1;
    return;
  }
  // The load is named by its main-frame request; after a worker restart (unknown), by the
  // caller's origin, which still keeps two sites' failures apart.
  const page = latestRequest.get(tabId) ?? `origin:${originOf(caller) || caller}`;
  let tracker = apiTrackers.get(tabId);
  if (!tracker || tracker.page !== String(page)) {
    if (outcome.kind !== 'failure') return;
    resetApiWatch(tabId);
    tracker = newTracker(page, caller);
    apiTrackers.set(tabId, tracker);
  }
  noteResult(tracker, callKey(details.method, details.url), outcome, failureOf(details));
  if (outcome.kind === 'failure') debug.apiFailures += 1;
  // Judged once the failures have settled: each new failure (or a success that may end an
  // alarm) restarts the wait, so an app's retry that gets through is seen before anything shows.
  if (outcome.kind === 'failure' || tracker.alarmed) {
    clearTimeout(apiTimers.get(tabId));
    apiTimers.set(tabId, setTimeout(() => {
      apiTimers.delete(tabId);
      judgeApi(tabId, tracker).catch((e) => console.error('Gateway Doctor: judgeApi', e));
    }, SETTLE_MS));
  }
}

async function judgeApi(tabId, tracker) {
  if (apiTrackers.get(tabId) !== tracker) return;
  if (!shouldAlarm(tracker)) {
    if (tracker.alarmed) {
      // The app got through after all: the flag goes (a failed page's state is never touched).
      tracker.alarmed = false;
      await forgetIf(tabId, async (cur) => !!(cur.api && cur.api.page === tracker.page));
    }
    return;
  }
  tracker.alarmed = true;
  const e = await env();
  const failing = stillFailing(tracker).slice(0, MAX_SHOWN);
  const diagnoses = [];
  for (const call of failing) diagnoses.push(await diagnoseSafely(observationOf(call, e)));
  const tab = await api.tabs.get(tabId).catch(() => null);
  if (!tab || !tab.url || apiTrackers.get(tabId) !== tracker) return;
  const failures = summary(tracker).map((f, i) => ({
    ...f,
    family: (diagnoses[i] && diagnoses[i].family) || 'unknown',
    fault: (diagnoses[i] && diagnoses[i].fault) || 'unknown',
  }));
  const obs = observationOf(failing[0], e);
  // Auto-retry checks the tab's address, which answers fine here: it would call the site back
  // while its API still fails. The other remedies (reload without the cache, status pages,
  // telling the owner) hold for the failing call as they are.
  const diagnosis = {
    ...diagnoses[0],
    remedies: (diagnoses[0].remedies || []).filter((r) => !(r.action && r.action.type === 'auto_retry')),
  };
  let written = false;
  await updateTabState(tabId, async (cur) => {
    // A newer page load meanwhile, or the page itself failed: a failed page outranks its calls.
    if (apiTrackers.get(tabId) !== tracker) return undefined;
    if (cur && !cur.api) return undefined;
    await setBadge(tabId, diagnosis, obs, { apiCalls: true });
    written = true;
    return {
      tabId,
      url: withoutUserinfo(tab.url),
      requestId: null,
      observation: obs,
      body: null,
      diagnosis,
      partial: false,
      at: new Date().toISOString(),
      tried: cur && Array.isArray(cur.tried) ? cur.tried : [],
      retry: cur ? cur.retry || null : null,
      api: { page: tracker.page, failures },
    };
  });
  if (written) debug.apiAlarms += 1;
}

// ---- messages from the extension's own pages (protocol.js) ----

function localTime(d = new Date()) {
  const pad = (n) => String(Math.abs(n)).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ` +
    `${off < 0 ? '-' : '+'}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
}

async function handleMessage(msg) {
  switch (msg.type) {
    case MSG.GET_STATE: {
      await resumed; // a popup that woke the worker sees a half-done diagnosis finished
      const state = await getTabState(msg.tabId);
      // Looked at: the last to be evicted when storage runs short.
      if (state) touchTabState(msg.tabId).catch(() => {});
      return ok({ state });
    }
    case MSG.RUN_ACTION: {
      const cur = await getTabState(msg.tabId);
      const listed = cur && cur.diagnosis && Array.isArray(cur.diagnosis.remedies)
        ? cur.diagnosis.remedies.find((r) => r.id === msg.remedyId) : null;
      // Only remedies the diagnosis offers, plus the few the popup offers on its own (the
      // warned sign-out next to "clear cache"); a tab without a diagnosis gets none.
      const remedy = listed || (cur && EXTRA_REMEDY_IDS.includes(msg.remedyId) ? msg.remedyId : null);
      if (!remedy) return fail(`no remedy "${msg.remedyId}" for this tab`);
      // handleAction records the outcome in `tried` itself and never throws.
      return ok({ result: await handleAction(msg.tabId, remedy, msg.options || {}) });
    }
    case MSG.CANCEL_RETRY:
      await cancelRetry(msg.tabId);
      return ok();
    case MSG.BUILD_REPORT: {
      await ready;
      const cur = await getTabState(msg.tabId);
      if (!cur || !cur.diagnosis) return fail('no diagnosis for this tab');
      if (typeof gd.buildReport !== 'function') return fail('report builder not available');
      const o = msg.options || {};
      const e = await env();
      const report = gd.buildReport({
        observation: cur.observation,
        // The stored state has no body, only its summary (length, blank, excerpt).
        body_summary: cur.body || null,
        diagnosis: cur.diagnosis,
        remedies_tried: cur.tried || [],
        recent_failures: await recentFailures(originOf(cur.url)),
        keep_query: o.keep_query === true,
        include_excerpt: o.include_excerpt === true,
        local_time: localTime(),
        time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
        extension_version: api.runtime.getManifest().version,
        browser: e.browser || 'unknown',
        os: e.os || 'unknown',
      });
      return ok({ report });
    }
    case MSG.DIAGNOSE:
      await ready;
      return ok({ diagnosis: gd.diagnose(msg.observation) });
    case MSG.GET_VERSION:
      await ready;
      return ok({ version: { ...gd.version(), extension: api.runtime.getManifest().version } });
    default:
      return fail('unhandled message type');
  }
}

function onMessage(msg, sender, sendResponse) {
  // Broadcasts (STATE_CHANGED) are for pages, not for us.
  if (msg && msg.type === MSG.STATE_CHANGED) return false;
  if (!isTrustedSender(sender, api.runtime.id, api.runtime.getURL(''))) {
    sendResponse(fail('untrusted sender'));
    return false;
  }
  const reason = validateRequest(msg);
  if (reason) {
    sendResponse(fail(reason));
    return false;
  }
  handleMessage(msg).then(sendResponse, (e) => sendResponse(fail(e)));
  return true; // keeps the channel open for the async response (Chrome and Firefox)
}

// ---- listener registration: synchronous, top level ----

/** @type {chrome.webRequest.RequestFilter} */
const FILTER = { urls: ['<all_urls>'], types: ['main_frame'] };
/** @returns {(...args: any[]) => undefined} (webRequest listeners return a BlockingResponse or nothing) */
const guard = (name, fn) => (...args) => {
  fn(...args).catch((e) => console.error(`Gateway Doctor: ${name}`, e));
};

api.webRequest.onBeforeRequest.addListener(onBeforeRequest, FILTER);
api.webRequest.onBeforeRedirect.addListener(onBeforeRedirect, FILTER);
api.webRequest.onHeadersReceived.addListener(guard('onHeadersReceived', onHeadersReceived), FILTER, ['responseHeaders']);
api.webRequest.onCompleted.addListener(guard('onCompleted', onCompleted), FILTER, ['responseHeaders']);
api.webRequest.onErrorOccurred.addListener(guard('onErrorOccurred', onErrorOccurred), FILTER);
// The page's own fetch/XMLHttpRequest calls (both browsers report fetch as xmlhttprequest).
/** @type {chrome.webRequest.RequestFilter} */
const API_FILTER = { urls: ['<all_urls>'], types: ['xmlhttprequest'] };
api.webRequest.onBeforeRequest.addListener(onApiBeforeRequest, API_FILTER);
api.webRequest.onCompleted.addListener(onApiCompleted, API_FILTER, ['responseHeaders']);
api.webRequest.onErrorOccurred.addListener(onApiError, API_FILTER);
api.webNavigation.onCommitted.addListener(guard('webNavigation.onCommitted', onNavCommitted));
api.webNavigation.onErrorOccurred.addListener(guard('webNavigation.onErrorOccurred', onNavError));
api.tabs.onUpdated.addListener(guard('tabs.onUpdated', onTabUpdated));
api.tabs.onRemoved.addListener(guard('tabs.onRemoved', onTabRemoved));
api.alarms.onAlarm.addListener(guard('alarms.onAlarm', async (alarm) => {
  // Only our retry alarms (lib/retry.js names them); others are not ours to handle.
  if (alarm && tabIdFromAlarm(alarm.name) !== null) {
    await ready;
    await onRetryAlarm(alarm);
  }
}));
api.runtime.onMessage.addListener(onMessage);

// "<host> is back" notifications (lib/actions.js notifyBack): a click shows the tab. The
// `notifications` permission is optional, so its namespace exists only once it is granted: at a
// worker start after that (top level, like every listener), or when it is granted while this
// worker runs (Chrome and Firefox add the namespace to running contexts).
let watchingNotifications = false;
function watchNotificationClicks() {
  if (watchingNotifications || !api.notifications || !api.notifications.onClicked) return;
  watchingNotifications = true;
  api.notifications.onClicked.addListener(guard('notifications.onClicked', onNotificationClicked));
}
watchNotificationClicks();
api.permissions.onAdded.addListener(() => watchNotificationClicks());

// Work a stopped worker left unfinished continues on the next start (issue 6 item 4): failures
// being diagnosed, and auto-retries in progress.
// The "don't diagnose" list is read now, alongside the engine's start, not by the first failure's
// handler: a worker woken by a failing load would otherwise wait for it before the first badge.
quietSite('').catch(() => {});
const resumed = ready.then(() => resumePending()).catch((e) => console.error('Gateway Doctor: resumePending', e));
ready.then(() => resumeRetries()).catch((e) => console.error('Gateway Doctor: resumeRetries', e));
