// A minimal in-memory `chrome.storage.session` + `runtime` for unit-testing extension modules in
// node. Semantics follow the real API: get(null) returns everything, get(key|[keys]) a subset,
// values are structured-cloned (JSON here) so callers cannot mutate the store by reference.
export function installFakeChrome() {
  const data = new Map();
  const sent = [];
  const fake = { data, sent, quota: Infinity };
  const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
  const session = {
    async get(keys) {
      const out = {};
      const list = keys === null || keys === undefined ? [...data.keys()]
        : Array.isArray(keys) ? keys : typeof keys === 'string' ? [keys] : Object.keys(keys);
      for (const k of list) if (data.has(k)) out[k] = clone(data.get(k));
      return out;
    },
    // Like Chromium's storage.session: a write that would take the area over its quota
    // (bytes of keys and JSON values) is refused whole.
    async set(items) {
      const next = new Map(data);
      for (const [k, v] of Object.entries(items)) next.set(k, clone(v));
      if (fake.quota !== Infinity) {
        let bytes = 0;
        for (const [k, v] of next) bytes += Buffer.byteLength(k) + Buffer.byteLength(JSON.stringify(v));
        if (bytes > fake.quota) throw new Error('Session storage quota bytes exceeded. Values were not stored.');
      }
      for (const [k, v] of Object.entries(items)) data.set(k, clone(v));
    },
    async remove(keys) {
      for (const k of Array.isArray(keys) ? keys : [keys]) data.delete(k);
    },
  };
  globalThis.chrome = {
    storage: { session },
    runtime: {
      id: 'test',
      getURL: (p) => `chrome-extension://test/${p}`,
      sendMessage: async (m) => { sent.push(m); throw new Error('Could not establish connection. Receiving end does not exist.'); },
    },
    i18n: { getMessage: () => '' },
  };
  return fake;
}
