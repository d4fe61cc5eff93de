// Firefox's promise-based `browser.*` namespace, declared just far enough for the extension:
// `chrome.*` (from @types/chrome) plus the Firefox-only calls the code makes. extension/lib/browser.js
// is the one place that picks `browser` or `chrome`; every other file uses its `api`.

/** `runtime.getBrowserInfo()`: Firefox only (the code calls it behind `isFirefox`). */
interface FirefoxRuntime {
  getBrowserInfo(): Promise<{ name: string; vendor: string; version: string; buildID: string }>;
}

/** The namespace lib/browser.js exports as `api`: chrome's shape plus Firefox's extras. */
type WebExtensionApi = typeof chrome & { runtime: typeof chrome.runtime & FirefoxRuntime };

/** Present in Firefox, absent in Chrome (hence `| undefined`). */
declare var browser: WebExtensionApi | undefined;

declare namespace chrome.browsingData {
  interface RemovalOptions {
    /** Firefox: scopes cookies and storage to these host names (Chrome scopes by `origins`). */
    hostnames?: string[];
  }
}

declare namespace chrome.tabs {
  interface Tab {
    /** Firefox: the tab's container (contextual identity); absent in Chrome. */
    cookieStoreId?: string;
  }
}
