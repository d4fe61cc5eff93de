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

import init, * as gd from './pkg/gateway_doctor.js';
import { api, browserTag, platformOs, t } from './lib/browser.js';
import {
  isWatchedRequest, isIgnorableError, fromResponse, fromError, needsBody, isHealthy, withBody,
  readPage, badgeFor, originOf, BODY_CAP, READ_WAIT_MS, createRequestTabs,
} from './lib/observe.js';
import {
  getTabState, updateTabState, clearTabState, recordSiteFailure, recentFailures, bumpStats,
  setPending, clearPending, allPending,
} from './lib/state.js';
import { MSG, validateRequest, isTrustedSender, ok, fail } from './lib/protocol.js';
import {
  handleAction, cancelRetry, onRetryAlarm, resumeRetries, EXTRA_REMEDY_IDS,
} from './lib/actions.js';

// In-memory debug counters (lost when the worker stops) for the e2e tests: healthy loads handled
// (no storage write on the healthy path) and the last page-read errors.
const debug = { healthy: 0, readErrors: [] };
globalThis.gdDebug = debug;

const ready = init({ module_or_path: api.runtime.getURL('pkg/gateway_doctor_bg.wasm') });
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
const rememberTab = (details) => requestTabs.remember(details);
const tabOf = (details) => requestTabs.tabOf(details);

/** Calls the engine; a thrown error becomes a neutral diagnosis so the badge still says something. */
async function diagnoseSafely(obs) {
  try {
    await ready;
    return gd.diagnose(obs);
  } catch (e) {
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
  bumpStats('injections', obs.url).catch(() => {});
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
      if (r && typeof r.html === 'string' && stripHash(r.url) === stripHash(obs.url)) {
        const out = withBody(obs, r.html);
        return r.truncated ? { ...out, body_truncated: true } : out;
      }
      debug.readErrors = debug.readErrors.concat(`no usable result: ${r ? r.url : 'none'}`).slice(-10);
      byDocument = false;
    } catch (e) {
      const msg = String((e && e.message) || e);
      debug.readErrors = debug.readErrors.concat(msg.slice(0, 200)).slice(-10);
      if (/error page/i.test(msg)) return withBody(obs, '');
      if (/No tab with id/i.test(msg)) break;
      byDocument = false;
    }
    if (Date.now() + delay > deadline) break;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
  // Unreadable: an explicit zero length still tells us the body was empty.
  return obs.headers.some((h) => h.name === 'content-length' && h.value.trim() === '0')
    ? withBody(obs, '') : obs;
}

function stripHash(url) {
  return String(url || '').split('#')[0];
}

async function setBadge(tabId, diagnosis, obs) {
  const b = badgeFor(diagnosis, obs);
  const title = b
    ? `Gateway Doctor — ${t(diagnosis.title && diagnosis.title.id, diagnosis.title && diagnosis.title.args,
      (diagnosis.title && diagnosis.title.text) || '')}`
    : '';
  try {
    // Text last: calls are handled in order, so whoever sees the text also sees its colour.
    await Promise.all([
      b ? api.action.setBadgeBackgroundColor({ tabId, color: b.color }) : null,
      b && api.action.setBadgeTextColor ? api.action.setBadgeTextColor({ tabId, color: '#ffffff' }) : null,
      // An empty per-tab title falls back to the default title from the manifest.
      api.action.setTitle({ tabId, title }),
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

/** The tab now shows something healthy (or something else): forget its failure. */
async function forgetTab(tabId) {
  // One storage read on the healthy path, for both keys.
  const got = await api.storage.session.get([`tab:${tabId}`, `pending:${tabId}`]);
  const cur = got[`tab:${tabId}`] || null;
  if (got[`pending:${tabId}`]) await clearPending(tabId);
  if (!cur) return;
  if (cur.retry) {
    try { await cancelRetry(tabId); } catch (e) { console.error('cancelRetry', e); }
  }
  await updateTabState(tabId, () => null);
  await clearBadge(tabId);
}

/** Diagnoses `obs` for `tabId`, sets the badge and stores it. */
async function recordFailure(tabId, obs, eventTime, phases = {}) {
  const t0 = performance.now();
  const diagnosis = await diagnoseSafely(obs);
  const diagnoseMs = performance.now() - t0;
  // The badge first: it is what the visitor sees; storage writes follow.
  await setBadge(tabId, diagnosis, obs);
  // Time from the browser's event to the badge being set, and where it went (event → handler
  // start incl. pending write, page read, engine), for scripts/bench-e2e.mjs.
  const timing = {
    event_at: eventTime || null,
    badge_ms: Date.now() - (eventTime || Date.now()),
    ...phases,
    diagnose_ms: Math.round(diagnoseMs * 100) / 100,
  };
  await Promise.all([
    recordSiteFailure(originOf(obs.url)),
    updateTabState(tabId, (cur) => {
      const same = cur && stripHash(cur.url) === stripHash(obs.url);
      return {
        tabId,
        url: obs.url,
        observation: obs,
        diagnosis,
        at: new Date().toISOString(),
        tried: same && Array.isArray(cur.tried) ? cur.tried : [],
        // The auto-retry (lib/actions.js) owns this field; a failed retry load keeps it running.
        retry: same ? cur.retry || null : null,
        timing,
      };
    }),
    bumpStats('diagnoses'),
  ]);
  // Chrome resets a tab's badge when a navigation commits, and onTabUpdated('complete') puts it
  // back from the stored state. A commit + 'complete' that fell between the setBadge above and
  // the state write found no state, so nothing would restore the badge: set it once more now
  // that the state exists (idempotent; the first set still comes first for latency).
  await setBadge(tabId, diagnosis, obs);
}

async function onCompleted(details) {
  if (!isWatchedRequest(details)) return;
  const tabId = tabOf(details);
  if (tabId < 0) return;
  // Without `{browser, os}` for now (finishFailure adds them): healthy or not needs neither,
  // and a failure must be noted as pending before the handler's first wait. env()'s first
  // call after a start asks the browser, and a worker stopped during it lost the failure.
  const obs = fromResponse(details);
  if (isHealthy(obs)) {
    await forgetTab(tabId);
    debug.healthy += 1;
    return;
  }
  if (!needsBody(obs)) return;
  await handleFailure(tabId, obs, details);
}

async function onErrorOccurred(details) {
  if (!isWatchedRequest(details)) return;
  const tabId = tabOf(details);
  if (tabId < 0) return;
  if (isIgnorableError(details.error)) {
    // Counted in session storage (rare event, survives a worker restart) so tests can tell
    // "seen and ignored" from "not handled yet" without sleeping.
    await bumpStats('ignored_errors');
    return;
  }
  await handleFailure(tabId, fromError(details), details);
}

/**
 * Reads the page (HTTP errors only), diagnoses, badges and stores. The failure is first noted as
 * pending so that a worker stopped half-way (the browser may stop it at any moment) finishes it
 * on its next start (`resumePending`).
 */
async function handleFailure(tabId, obs, details) {
  const pending = { obs, documentId: details.documentId || null, eventTime: details.timeStamp || Date.now() };
  await setPending(tabId, pending);
  await finishFailure(tabId, pending);
}

async function finishFailure(tabId, { obs, documentId, eventTime }) {
  let full = { ...obs, ...(await env()) };
  const t0 = Date.now();
  if (!obs.net_error && needsBody(obs)) full = await readBody(tabId, { documentId }, full);
  await recordFailure(tabId, full, eventTime, { start_ms: t0 - (eventTime || t0), read_ms: Date.now() - t0 });
  await clearPending(tabId);
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
      if (tab && fresh && p.obs && (!tab.url || stripHash(tab.url) === stripHash(p.obs.url))) {
        await finishFailure(tabId, p);
      } else {
        await clearPending(tabId);
      }
    } catch (e) {
      console.error('Gateway Doctor: resumePending', e);
      await clearPending(tabId).catch(() => {});
    }
  }
}

/**
 * Chrome resets per-tab badge values when a navigation commits, and a network error page commits
 * after onErrorOccurred; so the badge is re-applied when the tab finishes loading. A tab that
 * finished loading a different URL (Back into the page cache raises no webRequest event) is
 * forgotten.
 */
async function onTabUpdated(tabId, changeInfo, tab) {
  if (changeInfo.status !== 'complete') return;
  const cur = await getTabState(tabId);
  if (!cur) return;
  const url = tab && tab.url;
  if (url && /^https?:/i.test(url) && stripHash(url) !== stripHash(cur.url)) {
    await forgetTab(tabId);
    return;
  }
  await setBadge(tabId, cur.diagnosis, cur.observation);
}

async function onTabRemoved(tabId) {
  const cur = await getTabState(tabId);
  if (cur && cur.retry) {
    try { await cancelRetry(tabId); } catch (e) { console.error('cancelRetry', e); }
  }
  await clearTabState(tabId);
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
    case MSG.GET_STATE:
      await resumed; // a popup that woke the worker sees a half-done diagnosis finished
      return ok({ state: await getTabState(msg.tabId) });
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
      if (!cur) return fail('no diagnosis for this tab');
      if (typeof gd.buildReport !== 'function') return fail('report builder not available');
      const o = msg.options || {};
      const e = await env();
      const report = gd.buildReport({
        observation: cur.observation,
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

const FILTER = { urls: ['<all_urls>'], types: ['main_frame'] };
const guard = (name, fn) => (...args) => {
  fn(...args).catch((e) => console.error(`Gateway Doctor: ${name}`, e));
};

api.webRequest.onBeforeRequest.addListener(rememberTab, FILTER);
api.webRequest.onCompleted.addListener(guard('onCompleted', onCompleted), FILTER, ['responseHeaders']);
api.webRequest.onErrorOccurred.addListener(guard('onErrorOccurred', onErrorOccurred), FILTER);
api.tabs.onUpdated.addListener(guard('tabs.onUpdated', onTabUpdated));
api.tabs.onRemoved.addListener(guard('tabs.onRemoved', onTabRemoved));
api.alarms.onAlarm.addListener(guard('alarms.onAlarm', async (alarm) => {
  if (alarm && typeof alarm.name === 'string' && alarm.name.startsWith('retry:')) {
    await ready;
    await onRetryAlarm(alarm);
  }
}));
api.runtime.onMessage.addListener(onMessage);

// Work a stopped worker left unfinished continues on the next start (issue 6 item 4): failures
// being diagnosed, and auto-retries in progress.
const resumed = ready.then(() => resumePending()).catch((e) => console.error('Gateway Doctor: resumePending', e));
ready.then(() => resumeRetries()).catch((e) => console.error('Gateway Doctor: resumeRetries', e));
