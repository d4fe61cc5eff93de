// @ts-check
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
// A question back to the visitor (`needs_confirm`) carries `choices`: `[{id, label: Message,
// options, danger}]`, one button each (plus Cancel); the popup calls again with
// `{...options, ...choice.options, confirmed: true}`. A button does exactly what its label says.
//
// Data safety (issue 6 item 5, issue 13 item 5): the only deleting actions are
//   - clear_site_cache: HTTP cache + Cache Storage of THIS origin only (Chrome `origins`);
//     where the browser cannot limit cache removal to one origin (Firefox) nothing is removed
//     until the visitor confirms clearing the whole cache — cookies and storage are never touched;
//   - sign_out_site: only with confirmation, the cookies of THIS host (enumerated with the
//     `cookies` API and deleted one by one — browsingData would clear the cookies of the whole
//     registrable domain in Chrome, signing the visitor out of sibling sites), plus this origin's
//     local storage and databases. Cookies set for a parent domain, which this host receives
//     but so does every other host under that domain, are named in the confirmation and deleted
//     only when the visitor picks the button that says so.
// And the only action that could re-send something: reload_bypass_cache on a page that answered
// a form (POST) warns and offers loading the address with a GET instead; it never re-posts.

import { api, isFirefox, t } from './browser.js';
import { getTabState, updateTabState, allTabStates } from './state.js';
import { engine } from './engine.js';
import { alarmName, tabIdFromAlarm } from './retry.js';

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
  clear_site_cookies: 'sign_out_site',
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
 * @param {number} tabId
 * @param {any} remedy
 * @param {Record<string, any>} [options]
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
        result = await hardRefresh(tabId, state, opts);
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
  } catch (/** @type {any} */ e) {
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

/** The HTTP method of the load that failed (a plain navigation is a GET). */
function methodOf(state) {
  const m = state && state.observation && state.observation.method;
  return String(m || 'GET').toUpperCase();
}

async function hardRefresh(tabId, state, opts) {
  if (methodOf(state) !== 'GET') {
    // tabs.reload would send the form again (buy twice, post twice). What can be offered
    // instead is loading the same address with a GET: the server shows the page as if the
    // visitor typed the address, and nothing is re-sent.
    const u = httpOrigin(pageUrl(state));
    if (!u) return { outcome: 'failed', message: msg('ui_no_site', 'There is no website in this tab to clear.') };
    if (!opts.confirmed || !opts.get_reload) {
      return {
        outcome: 'needs_confirm',
        needs_confirm: 'post_reload',
        message: msg('ui_confirm_post_reload',
          `This page is the answer to a form you sent (${methodOf(state)}). Reloading it would send the form again — an order or a message could go out twice. Load the address again without sending the form instead?`,
          [methodOf(state)]),
        choices: [{
          id: 'get',
          label: msg('ui_confirm_post_reload_get', 'Load the address again, without re-sending the form'),
          options: { get_reload: true },
          danger: false,
        }],
      };
    }
    // tabs.update with a URL is a new navigation, so it is a GET; the fragment stays out (a
    // fragment-only change would not load anything).
    u.hash = '';
    await api.tabs.update(tabId, { url: u.href });
    return { outcome: 'reloaded_get' };
  }
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
      choices: [{ id: 'whole_cache', label: msg('ui_confirm_whole_cache_yes', 'Yes, empty the whole cache'), options: {}, danger: true }],
    };
  }
  await bd.removeCache({});
  await api.tabs.reload(tabId, { bypassCache: true });
  return { outcome: 'whole_cache_cleared' };
}

// ---------------------------------------------------------------------------------------------
// Sign out of this site
//
// Which cookies are "this site's"? A cookie's domain is either a host (host-only cookie, or one
// set with Domain=<this host>) or a parent domain (Domain=example.com is stored as
// ".example.com"): the browser sends a parent-domain cookie to example.com AND to every host
// under it. So:
//   - own:    cookies whose domain is exactly this host (host-only or not). Deleting them
//             affects this host (and, for Domain=<host> cookies, hosts below it) only.
//   - shared: domain cookies of a parent domain. This host receives them, but deleting one signs
//             the visitor out of every sibling host too — so they are listed, by domain, in the
//             confirmation, and deleted only by the button that says so.
// Everything else (a sibling's own cookies, the parent's host-only cookies) is never touched.

const bareDomain = (d) => String(d || '').replace(/^\./, '').toLowerCase();

/**
 * Splits `cookies` into the ones that are this host's own and the parent-domain ones it shares
 * (see above). Pure; exported for tests.
 */
export function cookiesOfHost(cookies, hostname) {
  const host = String(hostname || '').toLowerCase().replace(/\.$/, '');
  const own = [];
  const shared = [];
  for (const c of Array.isArray(cookies) ? cookies : []) {
    const d = bareDomain(c.domain);
    if (!d) continue;
    if (d === host) own.push(c);
    else if (!c.hostOnly && host.endsWith(`.${d}`)) shared.push(c);
  }
  return { own, shared };
}

/** The distinct parent domains of `shared`, broadest first. */
export function sharedDomains(shared) {
  return [...new Set(shared.map((c) => bareDomain(c.domain)))].sort((a, b) => a.length - b.length || a.localeCompare(b));
}

/** The cookie store of the tab (incognito, a Firefox container), or undefined for the default. */
async function cookieStoreOf(tabId) {
  try {
    const tab = await api.tabs.get(tabId);
    if (tab && tab.cookieStoreId) return tab.cookieStoreId; // Firefox
  } catch { /* tab gone: the default store */ }
  try {
    const stores = await api.cookies.getAllCookieStores();
    const s = stores.find((x) => Array.isArray(x.tabIds) && x.tabIds.includes(tabId));
    return s ? s.id : undefined;
  } catch {
    return undefined;
  }
}

/** Every (unpartitioned) cookie of the store. */
async function allCookies(storeId) {
  const q = {};
  if (storeId !== undefined) q.storeId = storeId;
  // With first-party isolation on, Firefox refuses getAll without firstPartyDomain; null means
  // "any". Chrome does not know the key.
  if (isFirefox) q.firstPartyDomain = null;
  return api.cookies.getAll(q);
}

/**
 * Deletes exactly this cookie. cookies.remove({url, name}) is not precise enough: it deletes a
 * cookie of that name that "matches the URL", which may be the parent domain's cookie of the
 * same name instead of the host's own (https://issues.chromium.org/issues/40572551). Writing an
 * already-expired cookie with the same name, domain (host-only: none) and path replaces exactly
 * that cookie, and an expired cookie is not stored: it is gone.
 */
async function deleteCookie(c, storeId) {
  const d = bareDomain(c.domain);
  const details = {
    url: `${c.secure ? 'https' : 'http'}://${d}${c.path || '/'}`,
    name: c.name,
    value: '',
    path: c.path || '/',
    secure: !!c.secure,
    httpOnly: !!c.httpOnly,
    expirationDate: 1,
  };
  if (!c.hostOnly) details.domain = d;
  if (c.sameSite && c.sameSite !== 'unspecified') details.sameSite = c.sameSite;
  if (storeId !== undefined) details.storeId = storeId;
  if (c.firstPartyDomain) details.firstPartyDomain = c.firstPartyDomain;
  try {
    await api.cookies.set(details);
  } catch { /* checked below by enumerating again */ }
}

const cookieKey = (c) => `${c.name}\u0000${c.domain}\u0000${c.path}\u0000${c.hostOnly ? 1 : 0}\u0000${c.firstPartyDomain || ''}`;

/**
 * Where this browser can limit the removal of local storage and databases to. Chrome: `origins`
 * (scheme + host + port). Firefox only takes `hostnames`, which it compares with each stored
 * origin's host AND port (`principal.URI.hostPort` in its ext-browsingData.js): a bare host name
 * silently removes nothing on a non-default port, so it gets `URL.host` (the port only when it
 * is not the default one, as hostPort has it).
 */
function storageScope(u) {
  return supportsOriginScopedCache() ? u.origin : u.host;
}

async function signOutSite(tabId, state, opts) {
  const u = httpOrigin(pageUrl(state));
  if (!u) return { outcome: 'failed', message: msg('ui_no_site', 'There is no website in this tab to clear.') };
  const host = u.hostname;
  const storeId = await cookieStoreOf(tabId);
  const { own, shared } = cookiesOfHost(await allCookies(storeId), host);
  const domains = sharedDomains(shared);
  const scope = storageScope(u);
  if (!opts.confirmed) {
    const yesHost = shared.length
      ? msg('ui_confirm_sign_out_host_only', `Delete only the cookies of ${host}`, [host])
      : msg('ui_confirm_sign_out_yes', `Yes, sign me out of ${host}`, [host]);
    const choices = [{ id: 'host', label: yesHost, options: { shared_cookies: false }, danger: true }];
    let message;
    if (shared.length) {
      const list = domains.join(', ');
      message = msg('ui_confirm_sign_out_shared',
        `This deletes the cookies of ${host} (${own.length}) and the data ${scope} saved in this browser (local storage, databases). ${host} also receives cookies set for the whole domain ${list} (${shared.length}): every site under ${list} shares them, so deleting them signs you out of all of those sites too, while keeping them may keep you signed in to ${host}. No other cookies are touched.`,
        [host, String(own.length), scope, String(shared.length), list]);
      choices.push({
        id: 'shared',
        label: msg('ui_confirm_sign_out_with_shared', `Also delete the cookies of ${list} (every site under it)`, [list]),
        options: { shared_cookies: true },
        danger: true,
      });
    } else {
      message = msg('ui_confirm_sign_out',
        `This deletes the cookies of ${host} (${own.length}) and the data ${scope} saved in this browser (local storage, databases): you will be signed out of it and lose its settings. Cookies and data of other sites, even under the same domain, are not touched. Continue?`,
        [host, String(own.length), scope]);
    }
    return { outcome: 'needs_confirm', needs_confirm: 'sign_out', message, choices };
  }
  // Enumerated again at the moment of deleting: the confirmation may be minutes old.
  const targets = opts.shared_cookies === true ? [...own, ...shared] : own;
  await Promise.all(targets.map((c) => deleteCookie(c, storeId)));
  const bd = api.browsingData;
  // Storage is keyed by origin, so browsingData's scoping is exact here (no cookies in it).
  if (supportsOriginScopedCache(bd)) {
    await bd.remove({ origins: [u.origin] }, { localStorage: true, indexedDB: true });
  } else {
    await bd.remove({ hostnames: [scope] }, { localStorage: true, indexedDB: true });
  }
  const want = new Set(targets.map(cookieKey));
  const left = (await allCookies(storeId)).filter((c) => want.has(cookieKey(c)));
  await api.tabs.reload(tabId, { bypassCache: true });
  const deleted = targets.length - left.length;
  if (left.length) {
    return {
      outcome: 'failed',
      message: msg('ui_sign_out_partly', `Some cookies (${left.length}) could not be deleted; the page was reloaded.`, [String(left.length)]),
    };
  }
  if (opts.shared_cookies === true && shared.length) {
    return {
      outcome: 'signed_out_shared',
      message: msg('ui_outcome_signed_out_shared',
        `Deleted the cookies of ${host} and of ${domains.join(', ')} (${deleted}) and the data ${scope} saved; the page was reloaded.`,
        [String(deleted), host, domains.join(', '), scope]),
    };
  }
  return {
    outcome: 'signed_out',
    message: msg('ui_outcome_signed_out_host',
      `Deleted the cookies of ${host} (${deleted}) and the data ${scope} saved; the page was reloaded.`,
      [String(deleted), host, scope]),
  };
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
// Every decision about the schedule is the engine's (src/retry.rs, the worker module's `retry*`
// functions): when to check, what a check says, whether to reload, when to stop. What is here
// is the wiring around them: waking up, fetching, reloading, storing. Each path into the
// engine awaits `engine()` first (lib/engine.js): the alarm that wakes a stopped worker, the
// timer, the popup's messages and resumeRetries() at start-up may all run before the module
// is instantiated.
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
  const gd = await engine();
  const plan = gd.retryWakePlan(nextAt, now());
  const old = timers.get(tabId);
  if (old) clearTimeout(old);
  timers.delete(tabId);
  if (plan.timer_ms !== null) {
    timers.set(tabId, setTimeout(() => {
      timers.delete(tabId);
      runRetryCheck(tabId).catch(() => {});
    }, plan.timer_ms));
  }
  // Creating an alarm with an existing name replaces it.
  await api.alarms.create(alarmName(tabId), { when: plan.alarm_when });
}

async function beginRetry(tabId, state, remedy, opts) {
  if (!state || !state.observation) {
    return { outcome: 'failed', message: msg('ui_no_diagnosis', 'Nothing wrong detected on this page.') };
  }
  if (state.retry && state.retry.active) {
    // "Tell me when it's back" on a retry already counting down: only the wish is added.
    if (opts.notify === true) {
      let retry = null;
      await updateTabState(tabId, (cur) => {
        if (!cur || !cur.retry || !cur.retry.active) return undefined;
        retry = { ...cur.retry, notify: true };
        return { ...cur, retry };
      });
      if (retry) return { outcome: 'notify_on', retry };
    }
    return { outcome: 'retry_running', retry: state.retry };
  }
  const gd = await engine();
  // The first wait: the server's Retry-After (diagnosis.retry_after_s) wins; else the popup's
  // test hook; else the Chromium-like 5 s. The remedy's own `delay_s` is not used: the core
  // fills in a 30 s default there for its "wait about N seconds" text, which would make the
  // first automatic check slower than the backoff that follows it.
  const started = gd.retryStart({
    url: state.observation.url,
    method: state.observation.method ?? null,
    retry_after_s: (state.diagnosis && state.diagnosis.retry_after_s) ?? null,
    first_delay_s: opts.first_delay_s ?? null,
    max_attempts: opts.max_attempts ?? null,
    now: now(),
    // A desktop notification when the site is back; only when the visitor asked for it (and
    // the popup got the optional `notifications` permission in that click).
    notify: opts.notify === true,
    // Outcomes that arrive later (recovered, gave up, cancelled) are recorded under this id.
    remedy_id: (remedy && typeof remedy === 'object' && remedy.id) || (typeof remedy === 'string' ? remedy : 'auto_retry'),
  });
  // Only GETs over http(s): re-sending a form could order twice.
  if ('refused' in started) {
    return {
      outcome: `retry_refused_${started.refused}`,
      message: started.refused === 'not_get'
        ? msg('ui_retry_not_get', 'This page was the answer to a form you sent. Retrying could send it twice, so Gateway Doctor will not retry it automatically.')
        : msg('ui_retry_impossible', 'This page cannot be retried automatically.'),
    };
  }
  const { retry } = started;
  await updateTabState(tabId, (cur) => (cur ? { ...cur, retry } : undefined));
  await scheduleWake(tabId, retry.next_at);
  return { outcome: 'retry_started', retry };
}

/** CANCEL_RETRY: stops the countdown and records it. */
export async function cancelRetry(tabId) {
  await clearWake(tabId);
  const gd = await engine();
  let was = null;
  await updateTabState(tabId, (cur) => {
    if (!cur || !cur.retry || !cur.retry.active) return undefined;
    was = cur.retry;
    return { ...cur, retry: gd.retryStop(cur.retry, 'cancelled', now()) };
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

/**
 * At worker start: re-arm every active retry (timers do not survive the worker). scheduleWake
 * awaits the engine, so this may run before it is ready.
 */
export async function resumeRetries() {
  const states = await allTabStates();
  await Promise.all(states.map(async (s) => {
    if (!s || !s.retry || !s.retry.active || !Number.isInteger(s.tabId)) return;
    await scheduleWake(s.tabId, s.retry.next_at);
  }));
}

/**
 * Fetches the URL like a fresh visitor would: no cookies, no cache. Resolves to
 * `{status, error, finalUrl}`; `finalUrl` is where redirects ended (`Response.url`), which
 * tells "this site answered" from "a login page on another site answered" (the engine's
 * retry::classify, through retryAfterCheck).
 */
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
    return { status: res.status, error: null, finalUrl: res.url || null };
  } catch (/** @type {any} */ e) {
    return { status: null, error: String((e && e.message) || e).slice(0, 200), finalUrl: null };
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
    const gd = await engine();
    const state = await getTabState(tabId);
    const retry = state && state.retry;
    if (!retry || !retry.active) {
      await clearWake(tabId);
      return;
    }
    if (!gd.retryIsDue(retry, now())) {
      await scheduleWake(tabId, retry.next_at);
      return;
    }
    const current = await tabUrl(tabId);
    if (current === null || (current && !gd.retrySameDocument(current, retry.url))) {
      // The visitor went elsewhere (or closed the tab): never reload a page they left.
      const outcome = current === null ? 'tab_closed' : 'navigated_away';
      await clearWake(tabId);
      await updateTabState(tabId, (cur) => (cur ? { ...cur, retry: gd.retryStop(cur.retry, outcome, now()) } : undefined));
      if (current !== null) await recordTried(tabId, retry.remedy_id || 'auto_retry', outcome);
      return;
    }
    const { status, error, finalUrl } = await checkSite(retry.url);
    let next = null;
    let prev = null;
    await updateTabState(tabId, (cur) => {
      // Cancelled or replaced while we were checking: drop this result.
      if (!cur || !cur.retry || !cur.retry.active || cur.retry.started_at !== retry.started_at) return undefined;
      prev = cur.retry;
      next = gd.retryAfterCheck(cur.retry, { status, error, final_url: finalUrl, now: now() });
      return { ...cur, retry: next };
    });
    if (!next) return;
    // 'recovered', or the first check that could not tell (redirected to another origin, 4xx):
    // then reloading the tab — with the visitor's cookies — is the real check. A healthy load
    // ends the retry (background.js forgets a tab that loaded fine); a failing one is diagnosed
    // again and keeps this retry, whose next check is already scheduled. It is done once: a
    // tab reloaded into the same 502 at every check is error pages flashing.
    const reload = gd.retryReloadNeeded(prev, next);
    if (next.active) {
      await scheduleWake(tabId, next.next_at);
    } else {
      await clearWake(tabId);
      await recordTried(tabId, next.remedy_id || 'auto_retry', next.outcome);
    }
    if (reload && next.outcome !== 'recovered') {
      await recordTried(tabId, next.remedy_id || 'auto_retry', 'unclear_reloaded');
    }
    if (reload) await api.tabs.reload(tabId, { bypassCache: true });
    if (next.outcome === 'recovered' && next.notify) await notifyBack(tabId, next.url);
  } finally {
    inFlight.delete(tabId);
  }
}

/** `back:<tabId>:<time>`, the id notifyBack gives its notification. */
const BACK_ID = /^back:(\d{1,10}):\d+$/;

/**
 * notifications.onClicked: a click on "<host> is back" shows that tab (and its window), as the
 * visitor who asked to be told expects; the notification goes. Another extension's or an unknown
 * id is ignored, and a tab closed meanwhile leaves nothing to show (the notification still goes).
 */
export async function onNotificationClicked(id) {
  const m = BACK_ID.exec(String(id));
  if (!m) return false;
  const tabId = Number(m[1]);
  let shown = false;
  try {
    const tab = await api.tabs.update(tabId, { active: true });
    if (tab && typeof tab.windowId === 'number' && api.windows && api.windows.update) {
      await api.windows.update(tab.windowId, { focused: true });
    }
    shown = true;
  } catch {
    // The tab is gone.
  }
  try { await api.notifications.clear(id); } catch { /* already closed */ }
  return shown;
}

/**
 * "example.com is back": the desktop notification a visitor asked for with "Tell me when it's
 * back". Never throws, and shows nothing without the optional `notifications` permission (the
 * visitor may have revoked it since). Only the host name and the extension's own icon are in it.
 */
export async function notifyBack(tabId, url) {
  const u = httpOrigin(url);
  if (!u) return false;
  try {
    if (!api.notifications || !(await api.permissions.contains({ permissions: ['notifications'] }))) return false;
    await api.notifications.create(`back:${tabId}:${now()}`, {
      type: 'basic',
      iconUrl: api.runtime.getURL('icons/icon-128.png'),
      title: t('ui_notify_back_title', [u.hostname], `${u.hostname} is back`),
      message: t('ui_notify_back_body', [u.hostname], `${u.hostname} answers again; its tab was reloaded.`),
    });
    return true;
  } catch {
    return false;
  }
}
