// Remedy executors. They run in the background (service worker / event page), not in the popup,
// so that an action keeps going after the popup closes — which it does the moment the visitor
// clicks into the page.
//
// Imported by background.js:
//   handleAction(tabId, remedy, options) -> Promise<result>   (RUN_ACTION)
//   cancelRetry(tabId)                                         (CANCEL_RETRY)
//   onRetryAlarm(alarm)                                        (alarms.onAlarm)
//   resumeRetries()                                            (at worker start)
//
// A result is `{outcome, message?, needs_confirm?, retry?}`: `outcome` is a short id recorded in
// `state.tried` (and so in the report), `message` a translatable Message for the popup,
// `needs_confirm` asks the popup to get the visitor's explicit consent and call again with
// `options.confirmed = true`.
//
// Data safety (issue 6 item 5): the only deleting actions are
//   - clear_site_cache: HTTP cache + Cache Storage of THIS origin only (Chrome `origins`);
//     where the browser cannot limit cache removal to one origin (Firefox) nothing is removed
//     until the visitor confirms clearing the whole cache — cookies and storage are never touched;
//   - sign_out_site: cookies + localStorage of this origin/host only, and only with confirmation.

import { api } from './browser.js';
import { getTabState, updateTabState, allTabStates } from './state.js';
import {
  startRetry, afterCheck, stopRetry, isDue, wakePlan, alarmName, tabIdFromAlarm, sameDocument,
  retryRefusal,
} from './retry.js';

/** Remedy ids that are not in a diagnosis' ranked list but the popup may still request. */
export const EXTRA_REMEDY_IDS = Object.freeze(['sign_out_site', 'copy_report']);

/**
 * Action type for a remedy: its own `action.type`, else a built-in one for the few ids the
 * popup offers on its own (the warned sign-out action lives next to "clear cache").
 */
const ACTION_BY_ID = {
  hard_refresh: 'reload_bypass_cache',
  auto_retry: 'auto_retry',
  wait_and_retry: 'auto_retry',
  clear_site_cache: 'clear_site_cache',
  private_window: 'open_private_window',
  open_private_window: 'open_private_window',
  sign_out_site: 'sign_out_site',
  copy_report: 'copy_report',
  contact_site_owner: 'copy_report',
};

/** How long one "is the site back?" check may take before it counts as a failure. */
const CHECK_TIMEOUT_MS = 15_000;

// The clock is a module variable so unit tests can drive time.
let now = () => Date.now();
/** Test hook: replace the clock. */
export function __setClock(fn) {
  now = fn || (() => Date.now());
}

const msg = (id, text, args = []) => ({ id, args, text });

/** `{id, outcome, at}` appended to the tab's `tried` (state.js caps the list). */
export async function recordTried(tabId, id, outcome) {
  const at = new Date(now()).toISOString();
  await updateTabState(tabId, (cur) => {
    if (!cur) return undefined;
    return { ...cur, tried: [...(Array.isArray(cur.tried) ? cur.tried : []), { id, outcome, at }] };
  });
}

function actionTypeOf(remedy, options) {
  if (options && options.sign_out) return 'sign_out_site';
  if (remedy && remedy.action && typeof remedy.action.type === 'string') return remedy.action.type;
  const id = typeof remedy === 'string' ? remedy : remedy && remedy.id;
  return ACTION_BY_ID[id] || null;
}

/** The failed page's URL for this tab (the state's, falling back to the observation's). */
function pageUrl(state) {
  return (state && (state.url || (state.observation && state.observation.url))) || '';
}

function httpOrigin(url) {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : null;
  } catch {
    return null;
  }
}

/**
 * Can this browser remove cache for one origin only? Chrome's browsingData has taken `origins`
 * since Chrome 74 and every MV3 Chrome has it; Firefox's RemovalOptions only scopes cookies and
 * storage (`hostnames`) and always clears the WHOLE cache:
 * https://developer.mozilla.org/docs/Mozilla/Add-ons/WebExtensions/API/browsingData/RemovalOptions
 * We detect the Chromium implementation by its API surface (`removeCacheStorage`, Chromium-only)
 * rather than by trying: a trial call with an ignored `origins` would wipe every site's cache.
 */
export function supportsOriginScopedCache(bd = api.browsingData) {
  return !!bd && typeof bd.remove === 'function' && typeof bd.removeCacheStorage === 'function';
}

/**
 * Runs one remedy for `tabId`. `remedy` is the diagnosis' remedy object (or its id for the
 * built-in ones); `options` carries popup choices (`confirmed`, `first_delay_s`, `outcome` for
 * copy actions…). Never throws: failures come back as `{outcome: 'failed', message}`.
 */
export async function handleAction(tabId, remedy, options = {}) {
  const opts = options && typeof options === 'object' ? options : {};
  const id = (typeof remedy === 'string' ? remedy : remedy && remedy.id) || 'unknown';
  const type = actionTypeOf(remedy, opts);
  const recordAs = type === 'sign_out_site' ? 'sign_out_site' : id;
  let result;
  try {
    const state = await getTabState(tabId);
    switch (type) {
      case 'reload_bypass_cache':
        result = await hardRefresh(tabId);
        break;
      case 'auto_retry':
        result = await beginRetry(tabId, state, remedy, opts);
        break;
      case 'clear_site_cache':
        result = await clearSiteCache(tabId, state, opts);
        break;
      case 'sign_out_site':
        result = await signOutSite(tabId, state, opts);
        break;
      case 'open_private_window':
        result = await openPrivate(state);
        break;
      case 'open_url':
        result = await openUrl(remedy.action.url);
        break;
      case 'copy_text':
      case 'copy_report':
        // Clipboard access needs a document and a user gesture, so the popup copies; the
        // background only records what happened.
        result = { outcome: opts.outcome === 'copy_failed' ? 'copy_failed' : 'copied' };
        break;
      default:
        result = {
          outcome: 'failed',
          message: msg('ui_action_unknown', 'This remedy has nothing to run; follow its steps.'),
        };
    }
  } catch (e) {
    result = {
      outcome: 'failed',
      message: msg('ui_action_failed', `That did not work: ${e && e.message ? e.message : e}`,
        [String((e && e.message) || e)]),
    };
  }
  // A question back to the visitor is not an attempt yet.
  if (!result.needs_confirm) await recordTried(tabId, recordAs, result.outcome).catch(() => {});
  return result;
}

async function hardRefresh(tabId) {
  // bypassCache makes the browser send `Cache-Control: no-cache` / `Pragma: no-cache` and ignore
  // its cached copy, like Ctrl+Shift+R.
  await api.tabs.reload(tabId, { bypassCache: true });
  return { outcome: 'reloaded' };
}

async function clearSiteCache(tabId, state, opts) {
  const u = httpOrigin(pageUrl(state));
  if (!u) return { outcome: 'failed', message: msg('ui_no_site', 'There is no website in this tab to clear.') };
  const bd = api.browsingData;
  if (supportsOriginScopedCache(bd)) {
    // Cache only (HTTP cache + the site's Cache Storage), this origin only. No cookies, no
    // storage: the visitor stays signed in.
    await bd.remove({ origins: [u.origin] }, { cache: true, cacheStorage: true });
    await api.tabs.reload(tabId, { bypassCache: true });
    return { outcome: 'cache_cleared' };
  }
  if (!opts.confirmed) {
    return {
      outcome: 'needs_confirm',
      needs_confirm: 'whole_cache',
      message: msg('ui_confirm_whole_cache',
        'This browser can only empty its whole cache, for every site, not just this one. Cookies and sign-ins stay. Empty the whole cache?'),
    };
  }
  await bd.removeCache({});
  await api.tabs.reload(tabId, { bypassCache: true });
  return { outcome: 'whole_cache_cleared' };
}

async function signOutSite(tabId, state, opts) {
  const u = httpOrigin(pageUrl(state));
  if (!u) return { outcome: 'failed', message: msg('ui_no_site', 'There is no website in this tab to clear.') };
  if (!opts.confirmed) {
    return {
      outcome: 'needs_confirm',
      needs_confirm: 'sign_out',
      message: msg('ui_confirm_sign_out',
        `This deletes the cookies and saved data of ${u.host}: you will be signed out of it and lose its settings. Other sites are not touched. Continue?`,
        [u.host]),
    };
  }
  const bd = api.browsingData;
  if (supportsOriginScopedCache(bd)) {
    // Chrome clears cookies for the whole registrable domain of the origin (documented).
    await bd.remove({ origins: [u.origin] }, { cookies: true, localStorage: true });
  } else {
    // Firefox scopes cookies and localStorage by exact hostname.
    await bd.remove({ hostnames: [u.hostname] }, { cookies: true, localStorage: true });
  }
  await api.tabs.reload(tabId, { bypassCache: true });
  return { outcome: 'signed_out' };
}

async function openPrivate(state) {
  const u = httpOrigin(pageUrl(state));
  if (!u) return { outcome: 'failed', message: msg('ui_no_site', 'There is no website in this tab to clear.') };
  const refused = {
    outcome: 'private_refused',
    message: msg('ui_private_refused',
      'The browser did not let Gateway Doctor open a private window. To allow it: open the extensions page, choose Gateway Doctor → Details, and turn on "Allow in Incognito" (Chrome) or "Run in Private Windows" (Firefox). Or open a private window yourself (Ctrl+Shift+N in Chrome, Ctrl+Shift+P in Firefox) and paste the address.'),
  };
  // Asking first avoids a confusing error string; not every browser has the call.
  if (api.extension && typeof api.extension.isAllowedIncognitoAccess === 'function') {
    try {
      if (!(await api.extension.isAllowedIncognitoAccess())) return refused;
    } catch { /* fall through and try */ }
  }
  try {
    await api.windows.create({ url: u.href, incognito: true });
    return { outcome: 'opened_private' };
  } catch {
    return refused;
  }
}

async function openUrl(url) {
  const u = httpOrigin(url);
  // Status pages are fixed https URLs from the catalog; anything else is refused.
  if (!u) return { outcome: 'failed', message: msg('ui_bad_url', 'That link is not a web address.') };
  await api.tabs.create({ url: u.href, active: true });
  return { outcome: 'opened' };
}

// ---------------------------------------------------------------------------------------------
// Auto-retry
//
// The schedule lives in `state.retry` (storage.session), never only in memory: Chrome stops an
// idle service worker after ~30 s and Firefox unloads idle event pages, which would lose a
// setTimeout. Each wait therefore has two wake-ups:
//   - an `alarms` alarm `retry:<tabId>` at next_at — survives the worker being stopped. Chrome
//     120+ rounds alarms under 30 s up to 30 s for packed extensions (unpacked may go lower):
//     https://developer.chrome.com/docs/extensions/reference/api/alarms#method-create
//   - a setTimeout for short waits (≤ 30 s) while the worker lives, so a 5 s step really is 5 s.
// The check itself is idempotent (runs only when due, one at a time per tab), so the timer and
// the alarm may both fire. `resumeRetries()` at worker start re-arms the timers for every active
// retry, because timers died with the old worker:
// https://developer.chrome.com/docs/extensions/develop/migrate/to-service-workers#convert-timers
// ---------------------------------------------------------------------------------------------

const timers = new Map();
const inFlight = new Set();

function clearWake(tabId) {
  const t = timers.get(tabId);
  if (t) clearTimeout(t);
  timers.delete(tabId);
  return Promise.resolve(api.alarms.clear(alarmName(tabId))).catch(() => {});
}

async function scheduleWake(tabId, nextAt) {
  const plan = wakePlan(nextAt, now());
  const old = timers.get(tabId);
  if (old) clearTimeout(old);
  timers.delete(tabId);
  if (plan.timerMs !== null) {
    timers.set(tabId, setTimeout(() => {
      timers.delete(tabId);
      runRetryCheck(tabId).catch(() => {});
    }, plan.timerMs));
  }
  // Creating an alarm with an existing name replaces it.
  await api.alarms.create(alarmName(tabId), { when: plan.alarmWhen });
}

async function beginRetry(tabId, state, remedy, opts) {
  if (!state || !state.observation) {
    return { outcome: 'failed', message: msg('ui_no_diagnosis', 'Nothing wrong detected on this page.') };
  }
  if (state.retry && state.retry.active) return { outcome: 'retry_running', retry: state.retry };
  const refusal = retryRefusal(state.observation);
  if (refusal) {
    return {
      outcome: `retry_refused_${refusal}`,
      message: refusal === 'not_get'
        ? msg('ui_retry_not_get', 'This page was the answer to a form you sent. Retrying could send it twice, so Gateway Doctor will not retry it automatically.')
        : msg('ui_retry_impossible', 'This page cannot be retried automatically.'),
    };
  }
  // The first wait: the server's Retry-After (diagnosis.retry_after_s) wins; else the popup's
  // test hook; else the Chromium-like 5 s. The remedy's own `delay_s` is not used: the core
  // fills in a 30 s default there for its "wait about N seconds" text, which would make the
  // first automatic check slower than the backoff that follows it.
  const retry = {
    ...startRetry({
      observation: state.observation,
      diagnosis: state.diagnosis,
      now: now(),
      firstDelayS: opts.first_delay_s ?? null,
      maxAttempts: opts.max_attempts,
    }),
    // Outcomes that arrive later (recovered, gave up, cancelled) are recorded under this id.
    remedy_id: (remedy && typeof remedy === 'object' && remedy.id) || (typeof remedy === 'string' ? remedy : 'auto_retry'),
  };
  await updateTabState(tabId, (cur) => (cur ? { ...cur, retry } : undefined));
  await scheduleWake(tabId, retry.next_at);
  return { outcome: 'retry_started', retry };
}

/** CANCEL_RETRY: stops the countdown and records it. */
export async function cancelRetry(tabId) {
  await clearWake(tabId);
  let was = null;
  await updateTabState(tabId, (cur) => {
    if (!cur || !cur.retry || !cur.retry.active) return undefined;
    was = cur.retry;
    return { ...cur, retry: stopRetry(cur.retry, 'cancelled', now()) };
  });
  if (was) await recordTried(tabId, was.remedy_id || 'auto_retry', 'cancelled');
  return { outcome: was ? 'cancelled' : 'not_running' };
}

/** alarms.onAlarm listener: ignores alarms that are not ours. */
export async function onRetryAlarm(alarm) {
  const tabId = tabIdFromAlarm(alarm && alarm.name);
  if (tabId === null) return;
  await runRetryCheck(tabId);
}

/** At worker start: re-arm every active retry (timers do not survive the worker). */
export async function resumeRetries() {
  const states = await allTabStates();
  await Promise.all(states.map(async (s) => {
    if (!s || !s.retry || !s.retry.active || !Number.isInteger(s.tabId)) return;
    await scheduleWake(s.tabId, s.retry.next_at);
  }));
}

/** Fetches the URL like a fresh visitor would: no cookies, no cache. Resolves to `{status, error}`. */
async function checkSite(url) {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), CHECK_TIMEOUT_MS);
  try {
    const res = await fetch(url, {
      method: 'GET',
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'follow',
      signal: ctl.signal,
    });
    // The body is not needed; free the connection.
    try { await res.body?.cancel(); } catch { /* ignore */ }
    return { status: res.status, error: null };
  } catch (e) {
    return { status: null, error: String((e && e.message) || e).slice(0, 200) };
  } finally {
    clearTimeout(t);
  }
}

/** The tab's current URL, or null when the tab is gone. */
async function tabUrl(tabId) {
  try {
    const tab = await api.tabs.get(tabId);
    return tab.pendingUrl || tab.url || '';
  } catch {
    return null;
  }
}

/**
 * One retry step for `tabId`: when due, checks the site and either reloads the tab (site back),
 * schedules the next check, or gives up at the cap. Exported for tests.
 */
export async function runRetryCheck(tabId) {
  if (inFlight.has(tabId)) return;
  inFlight.add(tabId);
  try {
    const state = await getTabState(tabId);
    const retry = state && state.retry;
    if (!retry || !retry.active) {
      await clearWake(tabId);
      return;
    }
    if (!isDue(retry, now())) {
      await scheduleWake(tabId, retry.next_at);
      return;
    }
    const current = await tabUrl(tabId);
    if (current === null || (current && !sameDocument(current, retry.url))) {
      // The visitor went elsewhere (or closed the tab): never reload a page they left.
      const outcome = current === null ? 'tab_closed' : 'navigated_away';
      await clearWake(tabId);
      await updateTabState(tabId, (cur) => (cur ? { ...cur, retry: stopRetry(cur.retry, outcome, now()) } : undefined));
      if (current !== null) await recordTried(tabId, retry.remedy_id || 'auto_retry', outcome);
      return;
    }
    const { status, error } = await checkSite(retry.url);
    let next = null;
    await updateTabState(tabId, (cur) => {
      // Cancelled or replaced while we were checking: drop this result.
      if (!cur || !cur.retry || !cur.retry.active || cur.retry.started_at !== retry.started_at) return undefined;
      next = afterCheck(cur.retry, { status, error, now: now() });
      return { ...cur, retry: next };
    });
    if (!next) return;
    if (next.active) {
      await scheduleWake(tabId, next.next_at);
      return;
    }
    await clearWake(tabId);
    await recordTried(tabId, next.remedy_id || 'auto_retry', next.outcome);
    if (next.outcome === 'recovered') await api.tabs.reload(tabId, { bypassCache: true });
  } finally {
    inFlight.delete(tabId);
  }
}
