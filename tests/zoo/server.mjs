// The "error zoo": a local HTTP server on 127.0.0.1 that serves the pages from pages.mjs with
// their real status and headers, for the browser e2e tests, `make demo` and the e2e benchmark.
//
// What tests can do with it (in-process API, also reachable over HTTP under /__zoo/ for a
// browser or process that only has the URL):
//   zoo.url('/nginx-502')                  → http://127.0.0.1:<port>/nginx-502
//   zoo.url('/x', 'a.zoo.test')            → http://a.zoo.test:<port>/x (map *.zoo.test to
//                                            127.0.0.1 with --host-resolver-rules; two names = two
//                                            origins, for "clear one origin's cache" tests)
//   zoo.set('/flip', {status, headers, body, delayMs})   add or replace a route
//   zoo.set('/p', {..., anonymous: {status, headers, body}})  what a request WITHOUT a Cookie
//                                          header gets instead (a site that sends visitors
//                                          without a session to its login page elsewhere)
//   zoo.set('/p', {..., sequence: [{status, headers, body}, …]})  the first requests get these,
//                                          in order, then the route itself (an API that fails once
//                                          and answers the app's retry)
//   zoo.flip('/flip', 200)                 same body kind, new status (502 ⇄ 200 healthy page)
//   zoo.hits('/flip')                      requests served for that path (any host)
//   zoo.requests('/flip')                  [{method, host, url, headers: {cache-control, pragma,
//                                            cookie, if-none-match, if-modified-since}, at}]
//   zoo.reset()                            forget counters (routes stay)
// Built-in routes:
//   /                    index of all pages (links)
//   /cacheable/<name>    200, `Cache-Control: max-age=3600` + ETag, body shows a serve counter, so
//                        a test can tell a cached copy from a fresh one
//   /slow?ms=N&status=S  answers after N ms (Stop/Back tests)
//   /slow-parse-502?ms=N a 502 page that reaches document_idle only after N ms (worker-kill tests)
//   /echo-headers        200 JSON of the request headers it got
//   /drip?ms=N&status=S  a failing page whose status and first bytes come at once, the rest after N ms
//   /loop                302 to itself (a redirect loop)
// Every response carries a CSP that keeps fixture pages from loading anything from other hosts
// (the real Google page pulls its robot image from www.google.com), so the only off-machine
// traffic the privacy test could ever see would come from the browser or the extension.

import http from 'node:http';
import net from 'node:net';
import { zooPages } from './pages.mjs';

const RECORDED_HEADERS = ['cache-control', 'pragma', 'cookie', 'if-none-match', 'if-modified-since',
  'sec-fetch-mode', 'sec-fetch-dest', 'sec-purpose', 'purpose'];
const PAGE_CSP = "default-src 'self' 'unsafe-inline' data:";
const MAX_LOG = 2000;

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function startZoo({ host = '127.0.0.1', port = 0, quiet = true } = {}) {
  const routes = new Map();
  for (const p of zooPages()) {
    routes.set(p.path, { status: p.status, headers: p.headers, body: p.body, page: p });
  }
  const log = [];
  const counts = new Map();
  const cacheServes = new Map();

  function record(req, pathname) {
    counts.set(pathname, (counts.get(pathname) || 0) + 1);
    const headers = {};
    for (const h of RECORDED_HEADERS) if (req.headers[h] !== undefined) headers[h] = req.headers[h];
    log.push({ method: req.method, host: req.headers.host || '', path: pathname, url: req.url, headers, at: Date.now() });
    if (log.length > MAX_LOG) log.splice(0, log.length - MAX_LOG);
  }

  function send(res, status, headers, body) {
    const h = { 'content-security-policy': PAGE_CSP, ...headers };
    // Bodies may be raw bytes (invalid UTF-8, NULs) for the hostile-page tests.
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body || '', 'utf8');
    if (h['content-length'] === undefined && !h['transfer-encoding']) h['content-length'] = String(buf.length);
    res.writeHead(status, h);
    res.end(buf);
  }

  function index(res) {
    const items = [...routes.entries()].map(([p, r]) =>
      `<li><a href="${escapeHtml(p)}">${escapeHtml(p)}</a> — ${r.status} ${escapeHtml((r.page && r.page.label) || '')}</li>`);
    send(res, 200, { 'content-type': 'text/html; charset=utf-8' },
      `<!doctype html><meta charset=utf-8><title>Error zoo</title><h1>Error zoo</h1><ul>${items.join('')}</ul>`);
  }

  function control(u, res) {
    const p = u.searchParams.get('path') || '';
    const json = (o) => send(res, 200, { 'content-type': 'application/json' }, JSON.stringify(o));
    switch (u.pathname) {
      case '/__zoo/flip':
        zoo.flip(p, Number(u.searchParams.get('status') || 200));
        return json({ ok: true });
      case '/__zoo/hits':
        return json({ hits: zoo.hits(p), requests: zoo.requests(p) });
      case '/__zoo/pages':
        return json([...routes.keys()]);
      default:
        return send(res, 404, {}, 'unknown control');
    }
  }

  const server = http.createServer((req, res) => {
    let u;
    try {
      u = new URL(req.url, 'http://zoo.invalid');
    } catch {
      return send(res, 400, {}, 'bad url');
    }
    const pathname = u.pathname;
    if (pathname.startsWith('/__zoo/')) return control(u, res);
    record(req, pathname);
    if (pathname === '/' && !routes.has('/')) return index(res);
    if (pathname === '/favicon.ico') return send(res, 404, {}, '');
    if (pathname === '/echo-headers') {
      return send(res, 200, { 'content-type': 'application/json', 'cache-control': 'no-store' }, JSON.stringify(req.headers));
    }
    if (pathname.startsWith('/cacheable/')) {
      const n = (cacheServes.get(pathname) || 0) + 1;
      cacheServes.set(pathname, n);
      const etag = `"${pathname.length}-${n}"`;
      return send(res, 200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'max-age=3600',
        etag,
      }, `<!doctype html><meta charset=utf-8><title>cacheable ${n}</title><p id=serve>${n}</p>`);
    }
    if (pathname === '/slow') {
      const ms = Math.min(Number(u.searchParams.get('ms') || 5000), 120_000);
      const status = Number(u.searchParams.get('status') || 502);
      const t = setTimeout(() => send(res, status, { 'content-type': 'text/html' },
        `<html><head><title>${status}</title></head><body><center><h1>${status} Slow</h1></center><hr><center>nginx</center></body></html>`), ms);
      res.on('close', () => clearTimeout(t));
      return undefined;
    }
    if (pathname === '/drip') {
      // A failing page whose body arrives slowly: status, headers and the first bytes at once,
      // the rest after `ms` (a struggling upstream streaming its error page).
      const ms = Math.min(Number(u.searchParams.get('ms') || 12_000), 60_000);
      const status = Number(u.searchParams.get('status') || 502);
      res.writeHead(status, { 'content-security-policy': PAGE_CSP, 'content-type': 'text/html', server: 'nginx', 'cache-control': 'no-store' });
      res.write(`<html>\r\n<head><title>${status} Bad Gateway</title></head>\r\n<body>\r\n<center><h1>${status} Bad Gateway</h1></center>\r\n${' '.repeat(2048)}`);
      const t = setTimeout(() => res.end('<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n'), ms);
      res.on('close', () => clearTimeout(t));
      return undefined;
    }
    if (pathname === '/loop') {
      // A redirect loop: the page sends the visitor back to itself for ever.
      return send(res, 302, { location: `/loop${u.search}`, 'cache-control': 'no-store' }, '');
    }
    if (pathname === '/slow-parse-502') {
      // A 502 page whose parsing is held up by a slow synchronous script, so the page reaches
      // document_idle late: widens the window in which the extension is reading it.
      const ms = Math.min(Number(u.searchParams.get('ms') || 3000), 60_000);
      return send(res, 502, { server: 'nginx', 'content-type': 'text/html', 'cache-control': 'no-store' },
        `<html>\r\n<head><title>502 Bad Gateway</title><script src="/slow?ms=${ms}&status=200&tag=${encodeURIComponent(u.search)}"></script></head>\r\n` +
        '<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n');
    }
    const r = routes.get(pathname);
    if (!r) return send(res, 404, { 'content-type': 'text/plain' }, 'zoo: no such page');
    const v = r.sequence && r.sequence.length ? r.sequence.shift()
      : r.anonymous && !req.headers.cookie ? r.anonymous : r;
    const reply = () => send(res, v.status, { 'cache-control': 'no-store', ...v.headers }, v.body);
    if (r.delayMs) {
      const t = setTimeout(reply, r.delayMs);
      res.on('close', () => clearTimeout(t));
      return undefined;
    }
    return reply();
  });
  // Keep-alive sockets would hold `close()` open; the browser reconnects cheaply.
  server.keepAliveTimeout = 1000;
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actualPort = server.address().port;
  const healthy = routes.get('/healthy');

  const zoo = {
    host,
    port: actualPort,
    origin: `http://${host}:${actualPort}`,
    url(pathname, hostname = host) {
      return `http://${hostname}:${actualPort}${pathname}`;
    },
    pages: zooPages(),
    set(pathname, { status = 200, headers = {}, body = '', delayMs = 0, anonymous = null, sequence = null } = {}) {
      routes.set(pathname, {
        status, headers, body, delayMs, anonymous, sequence: sequence ? [...sequence] : null, page: routes.get(pathname)?.page,
      });
    },
    /** Switch a path between a failure (its catalogue page, or an nginx 502) and the healthy page. */
    flip(pathname, status) {
      const page = zooPages().find((p) => p.path === pathname);
      if (status < 400) {
        routes.set(pathname, { ...healthy, status, page: routes.get(pathname)?.page });
      } else if (page && page.body !== null) {
        routes.set(pathname, { status, headers: page.headers, body: page.body, page });
      } else {
        routes.set(pathname, {
          status,
          headers: { server: 'nginx', 'content-type': 'text/html' },
          body: `<html>\r\n<head><title>${status} Bad Gateway</title></head>\r\n<body>\r\n<center><h1>${status} Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
        });
      }
    },
    hits(pathname) {
      return counts.get(pathname) || 0;
    },
    requests(pathname) {
      return log.filter((e) => pathname === undefined || e.path === pathname);
    },
    reset() {
      log.length = 0;
      counts.clear();
      cacheServes.clear();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  if (!quiet) console.log(`zoo listening on ${zoo.origin}`);
  return zoo;
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released): "connection refused". */
export async function closedPort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * A sinkhole HTTP proxy. The browser under test is pointed at it with --proxy-server, so any
 * request for a host that is not local (loopback always bypasses the proxy; the test hosts are
 * bypassed explicitly) arrives here instead of leaving the machine, and is recorded. The privacy
 * test asserts this log stays empty.
 */
export async function startSinkhole() {
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, at: Date.now() });
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end('blocked by test sinkhole');
  });
  server.on('connect', (req, socket) => {
    seen.push({ method: 'CONNECT', url: req.url, at: Date.now() });
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    seen,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

// `node tests/zoo/server.mjs [port]`: run the zoo by hand.
if (import.meta.url === `file://${process.argv[1]}`) {
  const zoo = await startZoo({ port: Number(process.argv[2] || 0), quiet: false });
  for (const p of zoo.pages) console.log(`${zoo.url(p.path)}  ${p.status}  ${p.label}`);
}
