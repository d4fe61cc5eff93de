// @ts-check
// Auto-retry: what stays in JavaScript.
//
// The schedule's decisions (backoff, Retry-After, the cap, what a check says, when to reload,
// when a check is due, timer or alarm) are the engine's: src/retry.rs, called through the
// worker module's `retry*` functions by lib/actions.js, which also does the browser wiring
// (alarms, timers, the quiet fetch, the tab reload). The `Retry` record those functions return
// is the `retry` field of the tab's state (Engine.Retry, lib/state.js).
//
// Two things stay here, because they are not decisions about a retry:
//   - the alarm names: the key of our alarms in the browser's `alarms` namespace, which the
//     onAlarm listener reads to tell our alarms from others;
//   - formatCountdown: the popup's countdown text. The popup does not load the engine (only the
//     background does, lib/engine.js), and loading a WASM module to format `m:ss` once a second
//     would cost the popup's first paint more than the function is worth.

export const ALARM_PREFIX = 'retry:';

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

/** `m:ss` (or `h:mm:ss`) for a countdown; never negative. */
export function formatCountdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
