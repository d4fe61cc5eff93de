// @ts-check
// Per-site settings and site access (issue 17 part 2).
//
//   - The "don't diagnose" list: host names the visitor asked Gateway Doctor to leave alone,
//     kept in storage.local under QUIET_KEY (this device only). The background reads it through
//     quietSite(), an in-memory copy kept fresh by storage.onChanged, so the hot path of every
//     failure is one Set lookup.
//   - Site access: Chrome lets a user set an extension to "on click" or to chosen sites; then
//     webRequest reports nothing for the other sites and the popup would wrongly say "nothing
//     wrong". siteAccess() tells the popup which case it is in, and what to request.

import { api } from './browser.js';

export const QUIET_KEY = 'quiet_sites';
const MAX_SITES = 500;

/** The lower-case host name of an http(s) URL, or null (extension pages, file:, about:…). */
export function siteOf(url) {
  try {
    const u = new URL(String(url));
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return u.hostname.toLowerCase() || null;
  } catch {
    return null;
  }
}

/**
 * A clean list from user input or storage: host names (a pasted address counts as its host),
 * lower case, no duplicates, sorted, capped. Anything that is not a host name is dropped.
 */
export function normalizeSites(list) {
  const out = new Set();
  for (const raw of Array.isArray(list) ? list : []) {
    if (typeof raw !== 'string') continue;
    const s = raw.trim();
    if (!s) continue;
    const host = siteOf(s.includes('://') ? s : `https://${s}`);
    if (host && /^[a-z0-9.\-[\]:]+$/.test(host)) out.add(host);
  }
  return [...out].sort().slice(0, MAX_SITES);
}

/** Is `url`'s host one of `list` (exact host: "example.com" does not cover "www.example.com")? */
export function isQuiet(list, url) {
  const host = siteOf(url);
  return !!host && list.includes(host);
}

export async function loadQuietSites(storage = api.storage) {
  try {
    return normalizeSites((await storage.local.get(QUIET_KEY))[QUIET_KEY]);
  } catch {
    return [];
  }
}

/** Adds or removes `host`; returns the new list. */
export async function setQuiet(host, on, storage = api.storage) {
  const cur = await loadQuietSites(storage);
  const next = normalizeSites(on ? [...cur, host] : cur.filter((h) => h !== host));
  await storage.local.set({ [QUIET_KEY]: next });
  return next;
}

/**
 * The background's view of the list: `has(url)` resolves from memory once loaded. The first
 * call (after every worker start) loads it and subscribes to storage.onChanged; a change that
 * arrives while the load is in flight wins over the load's older answer.
 */
export function createQuietCache(storage = api.storage) {
  let set = null;
  let loading = null;
  let version = 0;
  const load = () => {
    if (!loading) {
      storage.onChanged.addListener((changes, area) => {
        if (area === 'local' && changes[QUIET_KEY]) {
          version += 1;
          set = new Set(normalizeSites(changes[QUIET_KEY].newValue));
        }
      });
      const v = version;
      loading = loadQuietSites(storage).then((list) => {
        if (version === v) set = new Set(list);
      });
    }
    return loading;
  };
  return {
    async has(url) {
      if (!set) await load();
      const host = siteOf(url);
      return !!host && !!set && set.has(host);
    },
  };
}

const cache = createQuietCache();
/** For background.js: should failures of this page's site be left alone? */
export const quietSite = (url) => cache.has(url);

/**
 * What the popup needs to know about access to the tab's site: `{site, origins, granted}`.
 * `site` is null for pages that are not websites. `granted` is false when the user restricted
 * the extension's site access (Chrome "on click"/"on specific sites", or Firefox host
 * permissions not granted): then no failure of this site can be seen, and `origins` is what to
 * request (permissions.request must run in the click's user gesture, in the popup).
 */
export async function siteAccess(url, perms = api.permissions) {
  if (!url) {
    // The browser hides a tab's address from an extension without access to it (and the popup
    // opened by a click has activeTab, which reveals it). Unknown address and no access to all
    // sites: this tab may be one of those hidden from it; what can be asked for is all sites.
    const all = ['<all_urls>'];
    try {
      return { site: null, origins: all, granted: !!(await perms.contains({ origins: all })) };
    } catch {
      return { site: null, origins: [], granted: true };
    }
  }
  const site = siteOf(url);
  if (!site) return { site: null, origins: [], granted: true };
  const u = new URL(url);
  const origins = [`${u.protocol}//${u.hostname}/*`];
  try {
    return { site, origins, granted: !!(await perms.contains({ origins })) };
  } catch {
    // An API that cannot answer is not evidence of a restriction: no false alarm.
    return { site, origins, granted: true };
  }
}
