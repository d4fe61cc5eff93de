// Pages for the browsing-session tests (Chromium and Firefox): nginx-style error pages of several
// statuses and a healthy page, every one with the same links (another failing page, a GET form,
// a link that opens a new tab), so a test can walk between them by clicking as a visitor would.

const REASONS = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out' };

/** pathname → status. The zoo matches routes by pathname, so `?q=` variants share a page. */
const PAGES = {
  '/s/a': 502,
  '/s/b': 503,
  '/s/c': 504,
  '/s/d': 500,
  '/s/e': 502,
  '/s/ok': 200,
};

const LINKS = '<p><a id="next-b" href="/s/b">next</a> <a id="new-tab" href="/s/c?tab=new" target="_blank">new tab</a></p>\r\n' +
  '<form action="/s/a" method="get"><input type="hidden" name="q" value="form"><button id="go">go</button></form>\r\n';

function errorPage(status, extraHead = '') {
  const title = `${status} ${REASONS[status]}`;
  return `<html>\r\n<head><title>${title}</title>${extraHead}</head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n` +
    `${LINKS}<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n`;
}

/** Adds the session's routes to a running zoo. */
export function defineSessionPages(zoo) {
  for (const [pathname, status] of Object.entries(PAGES)) {
    if (status < 400) {
      zoo.set(pathname, {
        status,
        headers: { 'content-type': 'text/html; charset=utf-8', server: 'nginx/1.24.0' },
        body: `<!doctype html><meta charset=utf-8><title>Fine</title><h1>All fine</h1>${LINKS}`,
      });
    } else {
      zoo.set(pathname, { status, headers: { 'content-type': 'text/html', server: 'nginx/1.24.0' }, body: errorPage(status) });
    }
  }
  // A 502 page whose parsing a slow script holds up for 2.5 s, so reading it takes long and the
  // visitor has moved on before the read ends.
  zoo.set('/s/slowparse', {
    status: 502,
    headers: { 'content-type': 'text/html', server: 'nginx/1.24.0' },
    body: errorPage(502, '<script src="/slow?ms=2500&status=200"></script>'),
  });
}

/** What a tab must show after loading `url` of the session's pages: badge, stored URL, code. */
export function expectedAfter(url) {
  const { status } = SESSION_STEPS.pageOf(url);
  return status >= 400 ? { badge: String(status), url, code: status } : { badge: '', url: null, code: null };
}

/**
 * Waits until tab `tabId` shows exactly `want` (see `expectedAfter`), through a browser harness
 * `h` with `badge(tabId)` and `state(tabId)` (Chromium's or Firefox's) and its `waitFor`.
 */
export async function expectTab(h, waitFor, tabId, want, label, timeout = 15_000) {
  let seen = null;
  await waitFor(async () => {
    const [badge, s] = await Promise.all([h.badge(tabId), h.state(tabId)]);
    const got = { badge, url: s ? s.url : null, code: s && s.diagnosis ? s.diagnosis.code ?? null : null };
    seen = { got, partial: s ? !!s.partial : null, requestId: s ? s.requestId : null };
    return JSON.stringify(got) === JSON.stringify(want) ? got : null;
  }, { what: `${label}: ${JSON.stringify(want)}`, timeout }).catch(async (e) => {
    // What the tab showed last, and (where the harness can ask) what the worker saw: a failure
    // that never got its badge is told apart from one that got the wrong one.
    e.message += `\nlast seen: ${JSON.stringify(seen)}`;
    if (h.workerView) e.message += `\nworker saw: ${await h.workerView(tabId).catch((x) => String(x))}`;
    throw e;
  });
}

export const SESSION_STEPS = {
  /** `{status}` of the session page a URL names. */
  pageOf(url) {
    const { pathname } = new URL(url);
    const status = pathname === '/s/slowparse' ? 502 : PAGES[pathname];
    if (!status) throw new Error(`not a session page: ${url}`);
    return { status };
  },
};
