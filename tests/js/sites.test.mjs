// extension/lib/sites.js: the "don't diagnose this site" list (normalised, exact host, kept fresh
// in the background by storage.onChanged) and the popup's site-access check. Chrome's "on click"
// / "on specific sites" access cannot be set from an automated browser (it is a user choice in
// chrome://extensions), so the "access withheld" branch is driven here with a fake
// permissions.contains that answers false.
import test from 'node:test';
import assert from 'node:assert/strict';

const local = new Map();
const listeners = [];
globalThis.chrome = {
  runtime: { id: 'test', getURL: (p) => `chrome-extension://test/${p}` },
  i18n: { getMessage: () => '' },
  storage: {
    local: {
      async get(k) { return local.has(k) ? { [k]: structuredClone(local.get(k)) } : {}; },
      async set(o) {
        for (const [k, v] of Object.entries(o)) {
          const oldValue = local.get(k);
          local.set(k, structuredClone(v));
          for (const f of listeners) f({ [k]: { oldValue, newValue: structuredClone(v) } }, 'local');
        }
      },
    },
    onChanged: { addListener: (f) => listeners.push(f) },
  },
};
const S = await import('../../extension/lib/sites.js');

test('the list keeps host names only: lower case, deduplicated, sorted; addresses count as hosts', () => {
  assert.deepEqual(
    S.normalizeSites(['Example.COM', 'https://shop.example.com/cart?x=1', 'example.com', '', 42, 'javascript:alert(1)', 'a b']),
    ['example.com', 'shop.example.com'],
  );
  assert.equal(S.siteOf('chrome://extensions'), null);
  assert.equal(S.siteOf('http://127.0.0.1:8080/x'), '127.0.0.1');
});

test('exact host: example.com does not silence www.example.com', () => {
  assert.equal(S.isQuiet(['example.com'], 'https://example.com/a'), true);
  assert.equal(S.isQuiet(['example.com'], 'https://www.example.com/a'), false);
  assert.equal(S.isQuiet(['example.com'], 'about:blank'), false);
});

test('the background cache loads once and follows storage changes', async () => {
  local.set(S.QUIET_KEY, ['quiet.test']);
  const c = S.createQuietCache();
  assert.equal(await c.has('http://quiet.test/p'), true);
  assert.equal(await c.has('http://loud.test/p'), false);
  await S.setQuiet('loud.test', true);
  assert.equal(await c.has('http://loud.test/p'), true, 'added in the popup: seen at once');
  await S.setQuiet('quiet.test', false);
  assert.equal(await c.has('http://quiet.test/p'), false, 'removed: diagnosed again');
  assert.deepEqual(local.get(S.QUIET_KEY), ['loud.test']);
});

test('site access: withheld host permission is reported with the origin to request', async () => {
  const asked = [];
  const perms = (answer) => ({ async contains(p) { asked.push(p); return answer; } });
  const no = await S.siteAccess('https://shop.example.com:8443/cart?x=1', perms(false));
  assert.deepEqual(no, { site: 'shop.example.com', origins: ['https://shop.example.com/*'], granted: false });
  assert.deepEqual(asked.at(-1), { origins: ['https://shop.example.com/*'] });
  assert.equal((await S.siteAccess('https://shop.example.com/', perms(true))).granted, true);
  // Not a website, or an API that cannot answer: no claim of a restriction (no false alarm).
  assert.deepEqual(await S.siteAccess('chrome://newtab/', perms(false)), { site: null, origins: [], granted: true });
  // The address hidden from the extension (Chrome does that without access): all sites is
  // what can be asked for, and only when access to all sites is not already there.
  assert.deepEqual(await S.siteAccess('', perms(false)), { site: null, origins: ['<all_urls>'], granted: false });
  assert.deepEqual(asked.at(-1), { origins: ['<all_urls>'] });
  assert.equal((await S.siteAccess(undefined, perms(true))).granted, true);
  const broken = { async contains() { throw new Error('nope'); } };
  assert.equal((await S.siteAccess('https://a.test/', broken)).granted, true);
});
