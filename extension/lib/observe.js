// @ts-check
// The ONE place that turns webRequest event details into an `Observation` (src/model.rs).
// Pure functions only, so node unit tests cover them without a browser.
//
// Privacy: only an allow-list of response headers is kept. Cookies, auth, CSP and anything not
// needed to recognise a vendor or quote a request id never enter the observation (and so never
// a report).

/** Exact header names the engine uses to recognise vendors, request ids and retry hints. */
export const HEADER_ALLOW = new Set([
  'server', 'content-type', 'content-length', 'retry-after', 'via', 'age', 'date',
  'x-powered-by', 'x-cache', 'x-cache-status', 'x-served-by', 'x-request-id', 'x-correlation-id',
  'x-varnish', 'x-squid-error', 'x-github-request-id', 'x-iinfo', 'x-cdn', 'x-proxy-cache',
  'x-amzn-requestid', 'x-amzn-trace-id', 'x-ms-request-id', 'x-msedge-ref', 'x-nf-request-id',
  'fly-request-id', 'x-railway-request-id', 'x-render-origin-server', 'x-sucuri-id',
  'x-sucuri-block', 'x-envoy-upstream-service-time', 'x-kong-proxy-latency', 'x-kong-upstream-latency',
  'x-envoy-overloaded', 'x-heroku-queue-wait-time', 'x-deis-upstream',
  'akamai-grn', 'akamai-request-id', 'x-akamai-request-id', 'x-reference-error',
]);

/** Header name prefixes kept as a family (vendor-specific id/debug headers). */
export const HEADER_ALLOW_PREFIX = [
  'cf-', 'x-amz-cf-', 'x-vercel-', 'x-azure-', 'x-fastly-', 'x-akamai-', 'x-timer',
  'x-goog-', 'x-guploader-', 'x-litespeed-', 'x-turbo-', 'x-backend-',
];

/** Headers that never leave the browser even if a prefix above would match. */
const HEADER_DENY = new Set(['set-cookie', 'cookie', 'authorization', 'proxy-authorization',
  'cf-access-jwt-assertion', 'cf-access-client-secret']);

export const MAX_HEADERS = 64;
export const MAX_HEADER_VALUE = 512;
/** Body text read from a page is capped here (issue 6 item 3). */
export const BODY_CAP = 64 * 1024;

export function headerAllowed(name) {
  const n = String(name).toLowerCase();
  if (HEADER_DENY.has(n)) return false;
  return HEADER_ALLOW.has(n) || HEADER_ALLOW_PREFIX.some((p) => n.startsWith(p));
}

/** webRequest `responseHeaders` → allow-listed, lower-cased, capped `[{name, value}]`. */
export function filterHeaders(responseHeaders) {
  const out = [];
  for (const h of Array.isArray(responseHeaders) ? responseHeaders : []) {
    if (!h || typeof h.name !== 'string' || !headerAllowed(h.name)) continue;
    // Firefox may give binaryValue for non-UTF-8 values; decode leniently.
    let value = typeof h.value === 'string' ? h.value
      : Array.isArray(h.binaryValue) ? String.fromCharCode(...h.binaryValue.slice(0, MAX_HEADER_VALUE)) : '';
    if (value.length > MAX_HEADER_VALUE) value = value.slice(0, MAX_HEADER_VALUE);
    out.push({ name: h.name.toLowerCase(), value });
    if (out.length >= MAX_HEADERS) break;
  }
  return out;
}

/**
 * Errors that are not failures of the site or network: the visitor pressed Stop or navigated
 * away, a download started, Back/Forward replaced the load, a prerender was cancelled, an
 * extension/content blocker blocked it. They must raise no alarm (the Wayback Machine extension
 * is known for false alarms here).
 */
const IGNORED_ERRORS = new Set([
  'net::ERR_ABORTED', 'net::ERR_BLOCKED_BY_CLIENT', 'net::ERR_CACHE_MISS',
  'net::ERR_NETWORK_IO_SUSPENDED', 'net::ERR_BLOCKED_BY_ADMINISTRATOR', 'net::ERR_UNKNOWN_URL_SCHEME',
  'net::ERR_INVALID_REDIRECT', 'net::ERR_BLOCKED_BY_RESPONSE',
  'NS_BINDING_ABORTED', 'NS_ERROR_ABORT', 'NS_BINDING_REDIRECTED', 'NS_BINDING_RETARGETED',
  'NS_ERROR_PARSED_DATA_CACHED', 'NS_ERROR_DOCSHELL_DYING', 'NS_ERROR_NOT_AVAILABLE',
]);

export function isIgnorableError(error) {
  return !error || IGNORED_ERRORS.has(String(error));
}

/**
 * Browsers follow at most 20 redirects (Chromium `kMaxRedirects`, Firefox
 * `network.http.redirection-limit`). A load that redirected this often and then ended in an
 * error, even one reported as an abort (Chromium reports the loop as ERR_ABORTED when the
 * navigation is cancelled at the limit in some paths), is a redirect loop.
 */
export const REDIRECT_LIMIT = 20;
export const REDIRECT_LOOP_ERROR = 'net::ERR_TOO_MANY_REDIRECTS';

/** The error to diagnose for a failed load that had `redirects` redirects (or null: ignore it). */
export function effectiveError(error, redirects = 0) {
  if (redirects >= REDIRECT_LIMIT) return /REDIRECT/i.test(String(error)) ? String(error) : REDIRECT_LOOP_ERROR;
  return isIgnorableError(error) ? null : String(error);
}

/** Only http(s) main-frame loads in a real tab and not in a prerender/fenced frame. */
export function isWatchedRequest(details) {
  if (!details || details.type !== 'main_frame') return false;
  if (details.documentLifecycle === 'prerender') return false;
  if (details.frameType && details.frameType !== 'outermost_frame') return false;
  return /^https?:/i.test(String(details.url || ''));
}

/**
 * requestId → tabId, for browsers that report `tabId: -1` on a request's later events (Firefox).
 * `remember` on onBeforeRequest; `tabOf` on the final event (forgets the entry). Bounded: the
 * oldest entries go beyond `max` (requests that never finished).
 */
export function createRequestTabs(max = 512) {
  const map = new Map();
  return {
    remember(details) {
      if (!details || !(details.tabId >= 0)) return;
      map.delete(details.requestId);
      map.set(details.requestId, details.tabId);
      if (map.size > max) map.delete(map.keys().next().value);
    },
    /** The request's tab, keeping the entry (for events before the final one). */
    peek(details) {
      if (details.tabId >= 0) return details.tabId;
      const known = map.get(details.requestId);
      return known === undefined ? -1 : known;
    },
    tabOf(details) {
      const known = map.get(details.requestId);
      map.delete(details.requestId);
      if (details.tabId >= 0) return details.tabId;
      return known === undefined ? -1 : known;
    },
    get size() {
      return map.size;
    },
  };
}

/**
 * The URL without its userinfo (`http://user:pass@host/` → `http://host/`). A password typed into
 * an address must never be shown, stored or put in a report (issue 13 item 4); the page itself
 * does not know it either (`location.href` has none), so comparisons use this form too.
 */
export function withoutUserinfo(url) {
  const s = String(url || '');
  try {
    const u = new URL(s);
    if (!u.username && !u.password) return s;
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return s;
  }
}

/**
 * The key two addresses of one page share: without userinfo and fragment (a `#section` jump is
 * the same document). Used to tell whether a stored diagnosis belongs to what the tab shows.
 */
export function pageKey(url) {
  return withoutUserinfo(url).split('#')[0];
}

/** The origin of a URL (`https://example.com`), or `null`. */
export function originOf(url) {
  try {
    const u = new URL(url);
    return /^https?:$/.test(u.protocol) ? u.origin : null;
  } catch {
    return null;
  }
}

/** Details of `onHeadersReceived`/`onCompleted` → Observation without a body. */
export function fromResponse(details, env = {}) {
  const status = Number.isInteger(details.statusCode) && details.statusCode > 0
    ? details.statusCode : null;
  return {
    url: withoutUserinfo(details.url),
    method: details.method ? String(details.method).toUpperCase() : 'GET',
    status,
    status_line: details.statusLine ? String(details.statusLine).slice(0, 200) : null,
    headers: filterHeaders(details.responseHeaders),
    body: null,
    body_truncated: false,
    net_error: null,
    browser: env.browser || null,
    os: env.os || null,
    observed_at: new Date(details.timeStamp || Date.now()).toISOString(),
  };
}

/** Details of `onErrorOccurred` → Observation with `net_error`. */
export function fromError(details, env = {}) {
  return {
    url: withoutUserinfo(details.url),
    method: details.method ? String(details.method).toUpperCase() : 'GET',
    status: null,
    status_line: null,
    headers: [],
    body: null,
    body_truncated: false,
    net_error: String(details.error || 'unknown'),
    browser: env.browser || null,
    os: env.os || null,
    observed_at: new Date(details.timeStamp || Date.now()).toISOString(),
  };
}

/**
 * A main-frame response meant to be saved as a file (`Content-Disposition: attachment`). A good
 * one becomes a download and the tab keeps the page it had: it must not count as the tab loading
 * something healthy. A failed one (status ≥ 400) is not downloaded: Chromium shows its own error
 * page in the tab instead ("This site can't be reached … ERR_INVALID_RESPONSE", which hides the
 * real cause), so it is diagnosed like a failed page, from its status and headers; its body is a
 * file, not an error page, and is not read.
 */
export function isDownload(details) {
  return (Array.isArray(details.responseHeaders) ? details.responseHeaders : []).some((h) =>
    h && typeof h.name === 'string' && h.name.toLowerCase() === 'content-disposition' &&
    /^\s*attachment/i.test(String(h.value || '')));
}

/** A failed load worth diagnosing and reading the page of. */
export function needsBody(obs) {
  return !!obs && Number.isInteger(obs.status) && obs.status >= 400;
}

/** A load that clears the tab's state: a response below 400. */
export function isHealthy(obs) {
  return !!obs && !obs.net_error && Number.isInteger(obs.status) && obs.status < 400;
}

/**
 * Attaches page text read from the tab. `text === ''` means the page is known to be empty
 * (e.g. Chrome's own "HTTP ERROR 502" page shows an empty body); `null` means unknown.
 */
export function withBody(obs, text, cap = BODY_CAP) {
  if (text === null || text === undefined) return { ...obs, body: null, body_truncated: false };
  const s = String(text);
  return s.length > cap
    ? { ...obs, body: s.slice(0, cap), body_truncated: true }
    : { ...obs, body: s, body_truncated: false };
}

/** How long the injected reader waits for a failed page to finish loading before reading it. */
export const READ_WAIT_MS = 2000;

/**
 * The function injected into a failed page by `scripting.executeScript` (it is serialised, so it
 * must be self-contained). Waits (≤ `waitMs`) for the page to be parsed, since a page held up by
 * a slow script may not have parsed its text yet, then returns its HTML, cut to `cap`
 * characters, with its URL so the caller can discard a read from a page the tab navigated to
 * meanwhile. Both browsers wait for a returned promise.
 */
export async function readPage(cap, waitMs = 0) {
  // Parsed is enough (the text is what matters, not images or styles): wait for
  // DOMContentLoaded, which a slow synchronous script in the page also holds up.
  if (waitMs > 0 && document.readyState === 'loading') {
    await new Promise(/** @param {(v?: unknown) => void} resolve */ (resolve) => {
      const t = setTimeout(resolve, waitMs);
      document.addEventListener('DOMContentLoaded', () => { clearTimeout(t); resolve(); }, { once: true });
    });
  }
  const root = document.documentElement;
  const type = String(document.contentType || '');
  // A text/plain response is shown wrapped in a browser-made <pre>; the engine wants the text
  // as the server sent it, like the CLI reads it.
  const isHtml = /html|xml/i.test(type) || !type;
  // An empty response body still yields a document (Firefox shows an empty page for an empty
  // 502): report that as the empty body it was, not as `<html><head></head><body></body></html>`.
  const empty = !!root && !!document.body && root.childElementCount <= 2 &&
    (!document.head || document.head.childElementCount === 0) &&
    document.body.childElementCount === 0 && !document.body.textContent.trim();
  const html = empty ? ''
    : !isHtml && document.body ? document.body.textContent || ''
      : root ? root.outerHTML : '';
  return {
    url: String(location.href),
    html: html.length > cap ? html.slice(0, cap) : html,
    truncated: html.length > cap,
    contentType: type,
  };
}

// Badge colours by fault: red for the site, orange for the CDN, blue for this device, purple for
// the network, grey otherwise. Chosen to be distinct for common colour-vision deficiencies
// together with the text code, which carries the meaning on its own.
export const FAULT_COLORS = {
  site: '#c5221f',
  cdn: '#e8710a',
  browser: '#1a73e8',
  network: '#8430ce',
  none: '#5f6368',
  unknown: '#5f6368',
};

/** Short badge text for a network error code (Chrome `net::ERR_*`, Firefox `NS_ERROR_*`). */
export function netErrorBadge(netError) {
  const e = String(netError || '').toUpperCase();
  if (/NAME_NOT_RESOLVED|UNKNOWN_HOST|NAME_RESOLUTION|DNS/.test(e)) return 'DNS';
  if (/CONNECTION_REFUSED|CONNECTION_RESET|CONNECTION_CLOSED|NET_RESET|ADDRESS_UNREACHABLE/.test(e)) return 'OFF';
  if (/TIMED_OUT|TIMEOUT/.test(e)) return 'TIME';
  if (/INTERNET_DISCONNECTED|OFFLINE|NETWORK_CHANGED/.test(e)) return 'NET';
  if (/CERT|SSL|SECURITY|TLS/.test(e)) return 'SSL';
  if (/REDIRECT/.test(e)) return 'LOOP';
  if (/PROXY/.test(e)) return 'PRXY';
  return 'ERR';
}

/**
 * `{text, color}` for the action badge, or null for no badge (healthy page, anti-bot challenge).
 */
export function badgeFor(diagnosis, obs) {
  if (!diagnosis || diagnosis.kind === 'ok' || diagnosis.kind === 'challenge') return null;
  let text;
  // A network error with an HTTP status (a proxy's DNS-failure page) still shows the status.
  if ((diagnosis.kind === 'network_error' && !Number.isInteger(diagnosis.code)) || (obs && obs.net_error && !obs.status)) {
    text = netErrorBadge(obs && obs.net_error);
  } else if (Number.isInteger(diagnosis.code)) {
    text = String(diagnosis.code).slice(0, 4);
  } else if (obs && Number.isInteger(obs.status)) {
    text = String(obs.status);
  } else {
    text = 'ERR';
  }
  return { text, color: FAULT_COLORS[diagnosis.fault] || FAULT_COLORS.unknown };
}
