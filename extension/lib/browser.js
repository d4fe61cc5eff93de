// @ts-check
// The ONE place that picks the WebExtension namespace.
//
// Firefox exposes promise-based `browser.*` (and a `chrome.*` alias with callbacks in older
// versions); Chrome MV3 exposes promise-returning `chrome.*` only. Every other module imports
// `api` from here so no file has to care which browser it runs in.
// https://developer.mozilla.org/docs/Mozilla/Add-ons/WebExtensions/Chrome_incompatibilities

/* global browser, chrome */
// Typed as WebExtensionApi (extension/types/browser.d.ts): chrome's shape plus Firefox's extras,
// which only code behind `isFirefox` calls.
export const api = /** @type {WebExtensionApi} */ ((typeof browser !== 'undefined' && browser && browser.runtime)
  ? browser
  : chrome);

/** `true` in Firefox (which reports `tabId: -1` on some webRequest events, NS_ERROR_* errors). */
export const isFirefox = typeof browser !== 'undefined' && !!(browser && browser.runtime) &&
  typeof browser.runtime.getBrowserInfo === 'function';

/** `chrome/156` / `firefox/128`, for `Observation.browser`. Best effort, never throws. */
export async function browserTag() {
  try {
    if (isFirefox) {
      const info = await api.runtime.getBrowserInfo();
      return `firefox/${String(info.version).split('.')[0]}`;
    }
  } catch { /* fall through to the user agent */ }
  const ua = (globalThis.navigator && navigator.userAgent) || '';
  const m = /(?:Chrome|Chromium)\/(\d+)/.exec(ua) || /Firefox\/(\d+)/.exec(ua);
  if (m) return `${/Firefox/.test(m[0]) ? 'firefox' : 'chrome'}/${m[1]}`;
  return 'unknown';
}

/** `runtime.getPlatformInfo().os`, or undefined. */
export async function platformOs() {
  try {
    return (await api.runtime.getPlatformInfo()).os;
  } catch {
    return undefined;
  }
}

/** The extension's own origin, e.g. `chrome-extension://<id>/` or `moz-extension://<uuid>/`. */
export function extensionOrigin() {
  return api.runtime.getURL('');
}

/** Translate `id` with `args` via `i18n.getMessage`, falling back to `fallback` (English). */
export function t(id, args, fallback = '') {
  try {
    const s = id ? api.i18n.getMessage(id, args || []) : '';
    return s || fallback;
  } catch {
    return fallback;
  }
}
