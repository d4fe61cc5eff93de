// @ts-check
// Auto-retry: the pure schedule logic (no browser API here, so node --test covers all of it).
//
// Chrome's own auto-reload (components/error_page/.../net_error_auto_reloader.cc) only retries
// network errors, never HTTP 5xx pages, and backs off 1 s, 5 s, 30 s, 1 min, 5 min, 10 min,
// 30 min. We follow the same idea for server errors, starting a little slower (a 5xx site is
// usually overloaded; hammering it helps nobody) and with a cap, so a tab left open overnight
// does not keep polling a dead site.
//
// The `retry` field of the per-tab state (lib/state.js) is owned by this module. Shape:
//   {
//     active: boolean,          // a check is scheduled
//     url: string,              // the URL being watched (the failed page's URL)
//     method: 'GET',            // only GET is ever retried (no form re-posting)
//     attempt: number,          // checks done so far
//     max_attempts: number,     // cap
//     next_at: number|null,     // epoch ms of the next check (the popup's countdown reads this)
//     delay_s: number|null,     // the delay that led to next_at (for display/debug)
//     retry_after_s: number|null, // what the server/page asked for, after clamping
//     started_at: number, ended_at: number|null,
//     last_status: number|null, // status of the last check (null: network error)
//     last_error: string|null,
//     last_verdict: null|'back'|'down'|'unclear', // classifyCheck() of the last check
//     redirected_to: string|null, // host the last check ended on, when it left the origin
//     reloaded_at: number|null, // when an 'unclear' check made us reload the tab (once per retry)
//     outcome: null|'recovered'|'gave_up'|'unclear'|'cancelled'|'navigated_away'|'tab_closed'
//   }

/** Backoff after the first delay, in seconds (attempt 1, 2, …); the last value repeats. */
export const BACKOFF_S = Object.freeze([5, 10, 30, 60, 300]);
/** Default cap on checks; 5+10+30+60+300×3 ≈ 18 min of watching. */
export const DEFAULT_MAX_ATTEMPTS = 8;
/** Bounds for a first delay chosen by a caller or a Retry-After (seconds). */
export const MIN_DELAY_S = 1;
/** A Retry-After of hours would make the countdown useless; wait at most this long per step. */
export const MAX_DELAY_S = 3600;
/**
 * Chrome 120+ rounds alarms below 30 s up to 30 s for packed extensions (unpacked ones may go
 * lower): https://developer.chrome.com/docs/extensions/reference/api/alarms#method-create
 * Waits shorter than this are driven by setTimeout while the worker lives, with the alarm only
 * as a backstop if the worker is stopped meanwhile.
 */
export const ALARM_MIN_DELAY_MS = 30_000;
export const ALARM_PREFIX = 'retry:';
/** How much later than a timer the backstop alarm is set. */
export const BACKSTOP_SLACK_MS = 2000;

const clamp = (n, lo, hi) => Math.min(hi, Math.max(lo, n));
const posInt = (v) => (Number.isFinite(v) && Math.round(v) > 0 ? Math.round(v) : null);

/** `retry:<tabId>` */
export function alarmName(tabId) {
  return `${ALARM_PREFIX}${tabId}`;
}

/** Tab id from an alarm name, or null when the alarm is not ours. */
export function tabIdFromAlarm(name) {
  if (typeof name !== 'string' || !name.startsWith(ALARM_PREFIX)) return null;
  const rest = name.slice(ALARM_PREFIX.length);
  if (!/^\d{1,10}$/.test(rest)) return null;
  return Number(rest);
}

/**
 * May this load be retried automatically? Only idempotent GETs (a missing method means a plain
 * navigation, which is a GET). Re-sending a POST could buy something twice.
 * Returns null when allowed, else a reason id (`not_get`, `no_url`, `bad_scheme`).
 */
export function retryRefusal(observation) {
  const method = (observation && observation.method) || 'GET';
  if (String(method).toUpperCase() !== 'GET') return 'not_get';
  const url = observation && observation.url;
  if (typeof url !== 'string' || !url) return 'no_url';
  let u;
  try {
    u = new URL(url);
  } catch {
    return 'no_url';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'bad_scheme';
  return null;
}

/**
 * Delay in seconds before check number `attempt` (0-based).
 * - attempt 0: the server's Retry-After (or the page's "try again in N s") when given, else the
 *   caller's first delay (remedy `delay_s` / test hook), else BACKOFF_S[0].
 * - later attempts: BACKOFF_S[attempt-1…], never shorter than Retry-After (the server said not
 *   before then).
 * Everything is clamped to [MIN_DELAY_S, MAX_DELAY_S].
 */
export function delayFor(attempt, { retryAfterS = null, firstDelayS = null } = {}) {
  const ra = posInt(retryAfterS);
  if (attempt <= 0) {
    const first = ra ?? posInt(firstDelayS) ?? BACKOFF_S[0];
    return clamp(first, MIN_DELAY_S, MAX_DELAY_S);
  }
  const step = BACKOFF_S[Math.min(attempt - 1, BACKOFF_S.length - 1)];
  return clamp(Math.max(step, ra ?? 0), MIN_DELAY_S, MAX_DELAY_S);
}

/** The whole schedule (seconds), for display and tests. */
export function schedule(maxAttempts = DEFAULT_MAX_ATTEMPTS, opts = {}) {
  return Array.from({ length: maxAttempts }, (_, i) => delayFor(i, opts));
}

/**
 * One auto-retry's record, kept in the tab's state (`TabState.retry`).
 * @typedef {Object} Retry
 * @property {boolean} active
 * @property {string} url
 * @property {string} method
 * @property {number} attempt
 * @property {number} max_attempts
 * @property {number | null} next_at
 * @property {number} delay_s
 * @property {number | null} retry_after_s
 * @property {number | null} first_delay_s
 * @property {number} started_at
 * @property {number | null} ended_at
 * @property {number | null} last_status
 * @property {string | null} last_error
 * @property {string | null} last_verdict
 * @property {string | null} redirected_to
 * @property {number | null} reloaded_at
 * @property {string | null} outcome
 * @property {string} [remedy_id]
 * @property {boolean} [notify]
 */

/**
 * Starts a retry for a failed load. Throws an Error whose message is the refusal reason id
 * when the load must not be retried.
 * @param {{observation, diagnosis, now: number, firstDelayS?: number, maxAttempts?: number}} p
 */
/** @returns {Retry} */
export function startRetry({ observation, diagnosis, now, firstDelayS = null, maxAttempts }) {
  const refusal = retryRefusal(observation);
  if (refusal) throw new Error(refusal);
  const retryAfterS = posInt(diagnosis && diagnosis.retry_after_s);
  const cap = clamp(posInt(maxAttempts) ?? DEFAULT_MAX_ATTEMPTS, 1, 50);
  const delay = delayFor(0, { retryAfterS, firstDelayS });
  return {
    active: true,
    url: observation.url,
    method: 'GET',
    attempt: 0,
    max_attempts: cap,
    next_at: now + delay * 1000,
    delay_s: delay,
    retry_after_s: retryAfterS === null ? null : clamp(retryAfterS, MIN_DELAY_S, MAX_DELAY_S),
    first_delay_s: posInt(firstDelayS),
    started_at: now,
    ended_at: null,
    last_status: null,
    last_error: null,
    last_verdict: null,
    redirected_to: null,
    reloaded_at: null,
    outcome: null,
  };
}

/**
 * Is this status "still down"? 5xx, and 408/429 ("too busy", a server asking to be left alone),
 * and a network error (status null).
 */
export function isDownStatus(status) {
  return !Number.isInteger(status) || status <= 0 || status >= 500 || status === 429 || status === 408;
}

function originOf(url) {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * What one quiet check (a fetch without cookies that follows redirects) says about the watched
 * page. `finalUrl` is the URL the fetch ended on (`Response.url`); missing means no redirect.
 *   'back'    the same URL answered < 400 without leaving its origin (a same-origin redirect
 *             such as /a → /a/ is still this site answering);
 *   'down'    5xx, 408, 429 or a network error: still failing;
 *   'unclear' the check was redirected to another origin (a login or SSO page answers 200 to a
 *             visitor without cookies while the visitor's own page still fails — what another
 *             site answers says nothing about this page), or the site answered 4xx to a visitor
 *             without cookies. Never "recovered": only loading the tab itself can tell.
 * Returns `{verdict, redirectedTo}` (`redirectedTo`: host of the other origin, else null).
 */
export function classifyCheck({ url, status, finalUrl = null }) {
  const from = originOf(url);
  const to = finalUrl ? originOf(finalUrl) : from;
  if (from && to && to !== from) {
    let host = null;
    try { host = new URL(finalUrl).host; } catch { /* keep null */ }
    return { verdict: 'unclear', redirectedTo: host };
  }
  if (isDownStatus(status)) return { verdict: 'down', redirectedTo: null };
  if (status < 400) return { verdict: 'back', redirectedTo: null };
  return { verdict: 'unclear', redirectedTo: null };
}

/**
 * Applies the result of one check. `status` is the HTTP status or null on a network error,
 * `finalUrl` where the check's redirects ended. Returns the next retry state:
 *   - 'back'    → recovered (the caller reloads the tab now);
 *   - 'unclear' → the first time, `reloaded_at` is set: the caller reloads the tab ONCE, which
 *                 is the real check (with the visitor's cookies; a healthy load ends the retry,
 *                 a failing one is diagnosed again and the schedule goes on); after that an
 *                 unclear check counts like a failed one, and the cap ends it as 'unclear'
 *                 ("cannot tell"), never as 'recovered' or 'still down';
 *   - 'down'    → scheduled again, or gave up at the cap.
 * Use `reloadNeeded(prev, next)` to know whether to reload the tab.
 */
export function afterCheck(retry, { status, error = null, now, finalUrl = null }) {
  const attempt = retry.attempt + 1;
  const { verdict, redirectedTo } = classifyCheck({ url: retry.url, status, finalUrl });
  const base = {
    ...retry,
    attempt,
    last_status: status ?? null,
    last_error: error,
    last_verdict: verdict,
    redirected_to: redirectedTo,
  };
  if (verdict === 'back') {
    return { ...base, active: false, next_at: null, ended_at: now, outcome: 'recovered' };
  }
  if (verdict === 'unclear' && !retry.reloaded_at) base.reloaded_at = now;
  if (attempt >= retry.max_attempts) {
    return {
      ...base, active: false, next_at: null, ended_at: now, outcome: verdict === 'unclear' ? 'unclear' : 'gave_up',
    };
  }
  const delay = delayFor(attempt, {
    retryAfterS: retry.retry_after_s,
    firstDelayS: retry.first_delay_s,
  });
  return { ...base, next_at: now + delay * 1000, delay_s: delay };
}

/**
 * Must the tab be reloaded after this check? Yes when the site is back, and once per retry
 * when a check could not tell (see afterCheck).
 */
export function reloadNeeded(prev, next) {
  if (!next) return false;
  if (next.outcome === 'recovered') return true;
  return !!next.reloaded_at && !(prev && prev.reloaded_at);
}

/** Ends a retry for a reason that is not a check result (cancel, navigation, closed tab). */
export function stopRetry(retry, outcome, now) {
  if (!retry) return null;
  return { ...retry, active: false, next_at: null, ended_at: now, outcome };
}

/** The URL without its fragment: a `#section` change is not "navigating elsewhere". */
export function sameDocument(a, b) {
  try {
    const ua = new URL(a);
    const ub = new URL(b);
    ua.hash = '';
    ub.hash = '';
    return ua.href === ub.href;
  } catch {
    return false;
  }
}

/** Is a scheduled check due? Allows a little early firing (timers and alarms jitter). */
export function isDue(retry, now, slackMs = 500) {
  return !!(retry && retry.active && typeof retry.next_at === 'number' && now >= retry.next_at - slackMs);
}

/**
 * How to wake up for `next_at`: an in-worker timer when the wait is short enough that the
 * worker is likely still alive (Chrome stops an idle worker after ~30 s:
 * https://developer.chrome.com/docs/extensions/develop/concepts/service-workers/lifecycle),
 * plus an alarm always, as the backstop that survives the worker being stopped.
 * Returns `{timerMs: number|null, alarmWhen: number}`.
 */
export function wakePlan(nextAt, now) {
  const wait = Math.max(0, nextAt - now);
  const timerMs = wait <= ALARM_MIN_DELAY_MS ? wait : null;
  // With a timer in charge the alarm is only a backstop: set it a little later so that the two
  // do not race for the same check (the check is idempotent anyway, see actions.js).
  const target = timerMs === null ? nextAt : nextAt + BACKSTOP_SLACK_MS;
  // An alarm "now" or in the past fires at once; Chrome clamps it to its minimum anyway.
  return { timerMs, alarmWhen: Math.max(target, now + 1000) };
}

/** `m:ss` (or `h:mm:ss`) for a countdown; never negative. */
export function formatCountdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
