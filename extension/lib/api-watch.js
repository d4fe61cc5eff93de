// @ts-check
// Issue 17 part 1: a page that loads (200) but whose own backend fails. The page's first-party
// `fetch`/`XMLHttpRequest` calls (webRequest type `xmlhttprequest` in Chrome and Firefox) that
// answer 5xx or fail on the network are counted per page load; the tab is flagged only when it
// matters. Pure functions only (no browser API), so node tests cover every decision.
//
// What is watched, and what never raises an alarm:
//   - only requests of the tab's top frame to the page's own site (`isFirstParty`): analytics,
//     ads, beacons and widgets of other sites are never counted;
//   - only 5xx statuses and network errors: a 4xx (401 "not signed in" checks, 404 probes) is
//     the app's business, not an outage; aborted/blocked requests (navigation, ad blockers) are
//     not failures either;
//   - a failure that a later success of the SAME address cancels (the app retried on its own
//     and got through) is forgotten;
//   - the tab is flagged when, after the failures settled (SETTLE_MS without a new failure, so
//     a retry that succeeds never flashes a badge), at least two calls are still failing: two
//     distinct addresses, or one address that also failed when the app retried it.
// Nothing is read from the responses but the status and the allow-listed headers (observe.js);
// no script is injected.

import { effectiveError, filterHeaders, withoutUserinfo } from './observe.js';

/** Quiet time after the last failure before the tab is judged (retry-then-success shows nothing). */
export const SETTLE_MS = 1500;
/** Failing calls still failing needed for an alarm. */
export const MIN_FAILURES = 2;
/** Distinct failing addresses remembered per page load (a polling app cannot grow this). */
export const MAX_TRACKED = 32;
/** Failures shown and stored per tab. */
export const MAX_SHOWN = 5;
/** Longest path kept for display. */
export const MAX_PATH = 200;

/**
 * Country-code second levels under which registrations happen one label deeper (`shop.co.uk`).
 * An approximation of the Public Suffix List, which is ~250 KB and not bundled: a site under a
 * suffix not listed here (`*.github.io`, `*.herokuapp.com`) is treated as sharing its parent
 * with its siblings. That errs towards "first party" for sibling sites on shared hosting, which
 * only matters if a page calls ANOTHER customer's API on the same platform.
 */
const SECOND_LEVELS = new Set(['co', 'com', 'net', 'org', 'gov', 'edu', 'ac', 'ne', 'or', 'go', 'gob', 'mil', 'nic', 'ltd', 'plc', 'sch']);

const isIp = (host) => /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');

/**
 * The site a host belongs to: the host itself for IP addresses and single labels (`localhost`),
 * else its last two labels (`api.shop.com` → `shop.com`), or three under a ccTLD second level
 * (`api.shop.co.uk` → `shop.co.uk`).
 */
export function siteOf(host) {
  const h = String(host || '').toLowerCase().replace(/\.$/, '').replace(/^\[|\]$/g, '');
  if (!h || isIp(h)) return h;
  const labels = h.split('.');
  if (labels.length <= 2) return h;
  const [sld, tld] = labels.slice(-2);
  const n = tld.length === 2 && SECOND_LEVELS.has(sld) ? 3 : 2;
  return labels.slice(-n).join('.');
}

/** Whether `url` belongs to the same site (scheme-less, like "same-site" cookies) as `pageUrl`. */
export function isFirstParty(url, pageUrl) {
  try {
    const a = new URL(url);
    const b = new URL(pageUrl);
    if (!/^https?:$/.test(a.protocol) || !/^https?:$/.test(b.protocol)) return false;
    return siteOf(a.hostname) === siteOf(b.hostname);
  } catch {
    return false;
  }
}

/** The key one call is tracked under: method and address without userinfo and fragment. */
export function callKey(method, url) {
  return `${String(method || 'GET').toUpperCase()} ${withoutUserinfo(url).split('#')[0]}`;
}

/** The path shown for a call: no query string or fragment (they can carry personal data), capped. */
export function displayPath(url) {
  try {
    const u = new URL(url);
    const p = u.pathname || '/';
    return p.length > MAX_PATH ? `${p.slice(0, MAX_PATH)}…` : p;
  } catch {
    return '';
  }
}

/**
 * What one finished request means: `{kind: 'failure', status|net_error}` (5xx or a network
 * error worth diagnosing), `{kind: 'success'}` (below 400: the call worked) or
 * `{kind: 'ignore'}` (4xx, aborted, blocked by an extension).
 * @param {{statusCode?: number, error?: string | null}} [details]
 */
export function classify({ statusCode, error } = {}) {
  if (error !== undefined && error !== null) {
    const e = effectiveError(error, 0);
    return e ? { kind: 'failure', status: null, net_error: e } : { kind: 'ignore' };
  }
  const s = Number(statusCode);
  if (!Number.isInteger(s) || s <= 0) return { kind: 'ignore' };
  if (s >= 500 && s <= 599) return { kind: 'failure', status: s, net_error: null };
  if (s < 400) return { kind: 'success' };
  return { kind: 'ignore' };
}

/** A new page load's tracker: `page` identifies the load (the main frame's requestId). */
export function newTracker(page, pageUrl) {
  return { page: String(page), pageUrl: String(pageUrl || ''), calls: {}, order: [], alarmed: false };
}

/**
 * Records the outcome of one call (`key` from `callKey`) in `tracker` (mutated and returned).
 * `failure`: `{status, net_error, path, url, headers, at}`. A success clears that call's
 * failure (the app's own retry worked).
 */
export function noteResult(tracker, key, outcome, failure = {}) {
  if (outcome.kind === 'success') {
    if (tracker.calls[key]) {
      delete tracker.calls[key];
      tracker.order = tracker.order.filter((k) => k !== key);
    }
    return tracker;
  }
  if (outcome.kind !== 'failure') return tracker;
  const prev = tracker.calls[key];
  if (!prev) {
    if (tracker.order.length >= MAX_TRACKED) {
      const oldest = tracker.order.shift();
      delete tracker.calls[oldest];
    }
    tracker.order.push(key);
  }
  tracker.calls[key] = {
    ...failure,
    status: outcome.status ?? null,
    net_error: outcome.net_error ?? null,
    count: (prev ? prev.count : 0) + 1,
    first_at: prev ? prev.first_at : failure.at,
  };
  return tracker;
}

/** The calls still failing, worst first: failed most often, then HTTP before network, then oldest. */
export function stillFailing(tracker) {
  const list = tracker.order.map((k) => ({ key: k, ...tracker.calls[k] })).filter((c) => c.count > 0);
  return list.sort((a, b) => (b.count - a.count) ||
    ((a.status ? 0 : 1) - (b.status ? 0 : 1)) ||
    (tracker.order.indexOf(a.key) - tracker.order.indexOf(b.key)));
}

/**
 * Whether the tab should be flagged: at least MIN_FAILURES failures still standing, counting a
 * call the app retried and that failed again as more than one (it failed every time it asked).
 */
export function shouldAlarm(tracker) {
  const failing = stillFailing(tracker);
  const total = failing.reduce((n, c) => n + c.count, 0);
  return failing.length > 0 && total >= MIN_FAILURES;
}

/** The failures as stored and shown: path (no query), status or network error, count. */
export function summary(tracker) {
  return stillFailing(tracker).slice(0, MAX_SHOWN).map((c) => ({
    url_path: displayPath(c.url),
    method: String(c.key).split(' ')[0],
    status: c.status ?? null,
    net_error: c.net_error ?? null,
    count: c.count,
  }));
}

/** The webRequest details of an API call → the failure record `noteResult` keeps. */
export function failureOf(details) {
  return {
    url: withoutUserinfo(details.url),
    path: displayPath(details.url),
    headers: filterHeaders(details.responseHeaders),
    status_line: details.statusLine ? String(details.statusLine).slice(0, 200) : null,
    at: details.timeStamp || Date.now(),
  };
}

/** An Observation (src/model.rs) of a failing call, for the engine: status and headers, no body. */
export function observationOf(call, env = {}) {
  return {
    url: call.url,
    method: String(call.key || 'GET').split(' ')[0],
    status: call.status ?? null,
    status_line: call.status_line ?? null,
    headers: call.net_error ? [] : (call.headers || []),
    body: null,
    body_truncated: false,
    net_error: call.net_error ?? null,
    browser: env.browser || null,
    os: env.os || null,
    observed_at: new Date(call.at || Date.now()).toISOString(),
  };
}
