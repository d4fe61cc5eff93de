// Single-page apps for the "a page that loads but whose own backend fails" tests (issue 17
// part 1), Chromium and Firefox. Each app is a 200 page whose script calls its API with fetch,
// retries a failed call once after RETRY_MS (as apps commonly do), then shows its data or
// "Something went wrong". When every call has settled, the app fetches `<base>/done` (a 200
// the tests count with `zoo.hits`, since the Firefox harness cannot look into the page).
//
//   /spa/broken/   its API answers 502 (nginx) to every call, including the retry, plus a 401
//                  "who am I" check and a call to a closed port of the same host (network error)
//   /spa/beacon/   its API works; its analytics beacon on another site (`thirdPartyHost`)
//                  answers 502, twice
//   /spa/retry/    /api/orders answers 502 once, then 200 to the app's retry
//   /spa/ok/       everything answers 200, except a 401 "not signed in" check
//   /spa/down/     the page itself is a 502 (nginx) whose markup still runs the broken app's script

export const RETRY_MS = 300;

const NGINX_502 = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n' +
  '<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n';
const API_502 = { status: 502, headers: { 'content-type': 'text/html', server: 'nginx/1.24.0' }, body: NGINX_502 };
const json = (o) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(o) });
const UNAUTHORIZED = { status: 401, headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }, body: '{"error":"not signed in"}' };

/**
 * The app's page. `calls`: `[{url, retry, mode}]`, fetched in parallel; `retry` retries a failed
 * call once; `mode: 'no-cors'` for a beacon to another site.
 */
function appPage(base, calls) {
  const script = `
(async () => {
  const calls = ${JSON.stringify(calls)};
  const one = async (c) => {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await fetch(c.url, { mode: c.mode || 'cors', cache: 'no-store' });
        if (r.ok || r.type === 'opaque' || r.status < 500 || !c.retry || attempt >= 1) return r.ok || r.type === 'opaque';
      } catch (e) {
        if (!c.retry || attempt >= 1) return false;
      }
      await new Promise((res) => setTimeout(res, ${RETRY_MS}));
    }
  };
  const results = await Promise.all(calls.map(one));
  const el = document.getElementById('app');
  if (el) el.textContent = results.every(Boolean) ? 'Your orders' : 'Something went wrong';
  await fetch(${JSON.stringify(`${base}done`)}, { cache: 'no-store' });
})();`;
  return `<!doctype html><html><head><meta charset=utf-8><title>Shop</title></head>` +
    `<body><div id="app">Loading…</div><script>${script}</script></body></html>`;
}

/** Adds the apps' routes to a running zoo. `thirdPartyHost`: a host that is another site. */
export function defineSpaPages(zoo, { thirdPartyHost, refusedPort }) {
  const beaconOrigin = new URL(zoo.url('/', thirdPartyHost)).origin;
  const refusedOrigin = `http://${zoo.host}:${refusedPort}`;
  // The zoo's default CSP only lets pages call their own origin; the apps call out like real ones.
  const html = (body) => ({
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'self' 'unsafe-inline'; connect-src 'self' ${beaconOrigin} ${refusedOrigin}`,
    },
    body,
  });
  const app = (name, calls) => {
    const base = `/spa/${name}/`;
    zoo.set(`${base}done`, json({ ok: true }));
    return appPage(base, calls.map((c) => ({ ...c, url: c.url.startsWith('http') ? c.url : `${base}${c.url}` })));
  };

  zoo.set('/spa/broken/', html(app('broken', [
    { url: 'api/orders?session=S3CRET-QUERY', retry: true },
    { url: 'api/user', retry: true },
    { url: 'api/me' },
    { url: `${refusedOrigin}/spa/broken/api/stock`, retry: true },
  ])));
  zoo.set('/spa/broken/api/orders', API_502);
  zoo.set('/spa/broken/api/user', API_502);
  zoo.set('/spa/broken/api/me', UNAUTHORIZED);

  zoo.set('/spa/beacon/', html(app('beacon', [
    { url: 'api/orders', retry: true },
    { url: `${beaconOrigin}/collect?v=2&tid=G-1`, mode: 'no-cors' },
    { url: `${beaconOrigin}/collect?v=2&tid=G-2`, mode: 'no-cors' },
  ])));
  zoo.set('/spa/beacon/api/orders', json({ orders: [] }));
  zoo.set('/collect', API_502);

  zoo.set('/spa/retry/', html(app('retry', [
    { url: 'api/orders', retry: true },
    { url: 'api/user', retry: true },
  ])));
  zoo.set('/spa/retry/api/orders', { ...json({ orders: [] }), sequence: [API_502] });
  zoo.set('/spa/retry/api/user', json({ name: 'Ada' }));

  zoo.set('/spa/ok/', html(app('ok', [
    { url: 'api/orders', retry: true },
    { url: 'api/user', retry: true },
    { url: 'api/me' },
  ])));
  zoo.set('/spa/ok/api/orders', json({ orders: [] }));
  zoo.set('/spa/ok/api/user', json({ name: 'Ada' }));
  zoo.set('/spa/ok/api/me', UNAUTHORIZED);

  const down = app('down', [{ url: 'api/orders', retry: true }, { url: 'api/user', retry: true }]);
  zoo.set('/spa/down/', { ...API_502, headers: { ...html('').headers, server: 'nginx/1.24.0' }, body: NGINX_502.replace('</body>', `${down.match(/<script>[\s\S]*<\/script>/)[0]}</body>`) });
  zoo.set('/spa/down/api/orders', API_502);
  zoo.set('/spa/down/api/user', API_502);
}
