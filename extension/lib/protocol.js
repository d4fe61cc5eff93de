// @ts-check
// The ONE typed message protocol between the extension's pages (popup, options, replay) and the
// background. Every request is `{type, ...fields}`; every response is `{ok: true, ...}` or
// `{ok: false, error: string}`. The background validates each request with `validateRequest`
// and each sender with `isTrustedSender` before acting: web pages and content scripts can never
// trigger an action or write state (issue 6 item 1).
//
// Requests (page → background):
//   GET_STATE     {tabId}                                  → {ok, state: TabState|null}
//   RUN_ACTION    {tabId, remedyId, options?}              → {ok, result}
//   CANCEL_RETRY  {tabId}                                  → {ok}
//   BUILD_REPORT  {tabId, options: {keep_query, include_excerpt}}
//                                                          → {ok, report: {json, markdown, report}}
//   DIAGNOSE      {observation}                            → {ok, diagnosis}   (replay page)
//   GET_VERSION   {}                                       → {ok, version: {engine, signatures, extension}}
// Broadcast (background → pages, no response expected):
//   STATE_CHANGED {tabId}   — the tab's stored state changed (new diagnosis, retry tick…)
//
// TabState (storage.session key `tab:<tabId>`, see state.js):
//   {tabId, url, observation, diagnosis, at, tried: [{id, outcome, at}], retry: null|{…}}

export const MSG = Object.freeze({
  GET_STATE: 'gd/get_state',
  RUN_ACTION: 'gd/run_action',
  CANCEL_RETRY: 'gd/cancel_retry',
  BUILD_REPORT: 'gd/build_report',
  DIAGNOSE: 'gd/diagnose',
  GET_VERSION: 'gd/get_version',
  STATE_CHANGED: 'gd/state_changed',
});

const REQUEST_TYPES = new Set([
  MSG.GET_STATE, MSG.RUN_ACTION, MSG.CANCEL_RETRY, MSG.BUILD_REPORT, MSG.DIAGNOSE,
  MSG.GET_VERSION,
]);

// Remedy ids are catalog ids (`hard_refresh`, `flush_dns`, …): short snake_case.
const REMEDY_ID = /^[a-z][a-z0-9_]{0,63}$/;
// Request size limit for a replayed observation; a real one is ≤ 64 KiB body + headers.
const MAX_OBSERVATION_CHARS = 2 * 1024 * 1024;

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isTabId = (v) => Number.isInteger(v) && v >= 0;

/** A successful response. */
export const ok = (fields = {}) => ({ ...fields, ok: true });
/** A failed response with a readable message. */
export const fail = (error) => ({
  ok: false,
  error: String((error && error.message) || error || 'unknown error'),
});

/**
 * Checks a request's shape. Returns `null` when valid, otherwise a readable reason.
 * Unknown extra fields are ignored; the known ones must have the right type.
 */
export function validateRequest(msg) {
  if (!isObj(msg)) return 'message must be an object';
  if (typeof msg.type !== 'string' || !REQUEST_TYPES.has(msg.type)) {
    return `unknown message type: ${String(msg.type).slice(0, 40)}`;
  }
  switch (msg.type) {
    case MSG.GET_STATE:
    case MSG.CANCEL_RETRY:
      return isTabId(msg.tabId) ? null : 'tabId must be a non-negative integer';
    case MSG.RUN_ACTION:
      if (!isTabId(msg.tabId)) return 'tabId must be a non-negative integer';
      if (typeof msg.remedyId !== 'string' || !REMEDY_ID.test(msg.remedyId)) {
        return 'remedyId must be a catalog id';
      }
      if (msg.options !== undefined && !isObj(msg.options)) return 'options must be an object';
      return null;
    case MSG.BUILD_REPORT: {
      if (!isTabId(msg.tabId)) return 'tabId must be a non-negative integer';
      const o = msg.options === undefined ? {} : msg.options;
      if (!isObj(o)) return 'options must be an object';
      for (const k of ['keep_query', 'include_excerpt']) {
        if (o[k] !== undefined && typeof o[k] !== 'boolean') return `options.${k} must be a boolean`;
      }
      return null;
    }
    case MSG.DIAGNOSE: {
      if (!isObj(msg.observation)) return 'observation must be an object';
      let size = 0;
      try {
        size = JSON.stringify(msg.observation).length;
      } catch {
        return 'observation must be JSON';
      }
      return size > MAX_OBSERVATION_CHARS ? 'observation too large' : null;
    }
    case MSG.GET_VERSION:
      return null;
    default:
      return 'unhandled message type';
  }
}

/**
 * `true` only for the extension's own pages (popup, options, replay). Content scripts and web
 * pages (via `externally_connectable`, which we do not declare, or injected scripts) carry a
 * `tab` and a web URL and are refused.
 * @param sender runtime.MessageSender
 * @param runtimeId runtime.id
 * @param origin the extension origin with trailing slash (runtime.getURL(''))
 */
export function isTrustedSender(sender, runtimeId, origin) {
  if (!isObj(sender) || sender.id !== runtimeId) return false;
  const url = typeof sender.url === 'string' ? sender.url : '';
  if (!origin || !url.startsWith(origin)) return false;
  // A content script runs in a web page's tab with that page's URL; extension pages opened in a
  // tab (popup.html?tab=…) have an extension URL, so the URL check above is the real guard.
  return true;
}

/**
 * Client helper for extension pages: sends a request and resolves to the response object
 * (`{ok:false, error}` when the background is unreachable). `api` is `browser`/`chrome` from
 * lib/browser.js, passed in so this module stays importable in node tests.
 */
export async function request(api, type, fields = {}) {
  const msg = { ...fields, type };
  const reason = validateRequest(msg);
  if (reason) return fail(reason);
  try {
    const res = await api.runtime.sendMessage(msg);
    return isObj(res) ? res : fail('no response from background');
  } catch (e) {
    return fail(e);
  }
}
