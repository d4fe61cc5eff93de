// The error zoo's catalogue: every page the zoo serves, with the status and headers a real server
// sends it with, and what a correct diagnosis says about it. Bodies come from the real-page
// corpus (tests/corpus, see its README) where it has the page, and from ./fixtures otherwise.
// The corpus is part of the repository: a missing page or case throws instead of leaving the
// zoo without that route (and the tests that visit it timing out). Used by the e2e tests, `make demo` and the e2e benchmark.
//
// `expect` fields are checked by the e2e tests: `badge` (toolbar text), `family`, `kind`,
// `fault`, `code`. A field left out is not asserted (e.g. whose fault a refused connection is).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
// GD_CORPUS points at another corpus of the same layout (cases.json + pages/).
export const CORPUS_DIR = process.env.GD_CORPUS || path.resolve(here, '..', 'corpus');

function fixture(name) {
  return readFileSync(path.join(here, 'fixtures', name), 'utf8');
}

/** The body of a golden fixture case (tests/fixtures/<case>/body.html), served as it is. */
function goldenBody(caseName) {
  return readFileSync(path.join(here, '..', 'fixtures', caseName, 'body.html'), 'utf8');
}

/**
 * A corpus page. The 2021 Cloudflare dumps carry `<meta http-equiv="refresh" content="0">`,
 * which would make a browser reload the page forever; the zoo drops that one tag (the
 * diagnosis does not depend on it).
 */
function corpus(file) {
  return readFileSync(path.join(CORPUS_DIR, 'pages', file), 'utf8').replace(/<meta http-equiv="refresh" content="0">\s*/i, '');
}

const corpusCase = (() => {
  const cases = JSON.parse(readFileSync(path.join(CORPUS_DIR, 'cases.json'), 'utf8'));
  return (file) => {
    const c = cases.find((x) => x.file === `pages/${file}`);
    if (!c) throw new Error(`${CORPUS_DIR}/cases.json has no case for pages/${file}`);
    return c;
  };
})();

const CT_HTML = { 'content-type': 'text/html; charset=utf-8' };

/** Pages served with their real status/headers. */
export function zooPages() {
  const fromCorpus = (pathname, file, extra = {}) => {
    const c = corpusCase(file);
    return {
      path: pathname,
      source: `corpus:${file}`,
      status: c.status,
      headers: { ...c.headers, ...(extra.headers || {}) },
      body: corpus(file),
      expect: extra.expect,
      label: extra.label,
    };
  };
  return [
    fromCorpus('/nginx-502', 'nginx-502-1.18.0.html', {
      label: 'nginx 502',
      expect: { badge: '502', family: 'nginx', kind: 'server_error', fault: 'site', code: 502 },
    }),
    fromCorpus('/cloudflare-host-502', 'cloudflare-host-502-b.html', {
      label: 'Cloudflare: site behind it failing (502)',
      expect: { badge: '502', family: 'cloudflare-host', kind: 'server_error', fault: 'site', code: 502 },
    }),
    {
      path: '/cloudflare-cdn-502',
      source: 'tests/fixtures/cloudflare-cdn-502-plain (Cloudflare variation-1 template, as in the corpus 403)',
      label: 'Cloudflare: its own failure (502)',
      status: 502,
      headers: { server: 'cloudflare', 'content-type': 'text/html', 'cf-ray': '7d1c0ffee0c0ffee-FRA' },
      body: goldenBody('cloudflare-cdn-502-plain'),
      expect: { badge: '502', family: 'cloudflare-cdn', kind: 'server_error', fault: 'cdn', code: 502 },
    },
    {
      path: '/google-502',
      source: 'fixture:google-502.html (Google robot template, as the corpus 503)',
      label: 'Google 502',
      status: 502,
      headers: { server: 'Google Frontend', 'content-type': 'text/html; charset=UTF-8' },
      body: fixture('google-502.html'),
      expect: { badge: '502', family: 'google', kind: 'server_error', code: 502 },
    },
    {
      path: '/twitter-over-capacity',
      source: 'fixture:twitter-over-capacity.html',
      label: 'Twitter over capacity',
      status: 503,
      headers: { server: 'tfe', 'content-type': 'text/html; charset=utf-8' },
      body: fixture('twitter-over-capacity.html'),
      expect: { badge: '503', family: 'twitter', kind: 'server_error', fault: 'site' },
    },
    {
      path: '/empty-502',
      source: 'zoo: 502 with an empty body (Chrome shows its own HTTP ERROR 502 page)',
      label: 'empty-body 502',
      status: 502,
      headers: { 'content-length': '0' },
      body: '',
      expect: { badge: '502', family: 'blank', kind: 'server_error', code: 502 },
    },
    fromCorpus('/apache-502', 'apache-502-proxy-error-dns.html', {
      label: 'Apache proxy error 502',
      expect: { badge: '502', family: 'apache', kind: 'server_error', code: 502 },
    }),
    fromCorpus('/iis-503', 'iis-httpsys-503.html', {
      label: 'IIS 503',
      expect: { badge: '503', family: 'iis', kind: 'server_error', code: 503 },
    }),
    fromCorpus('/envoy-503', 'envoy-503-no-healthy-upstream.txt', {
      label: 'Envoy 503 (text/plain)',
      expect: { badge: '503', family: 'envoy', kind: 'server_error', code: 503 },
    }),
    fromCorpus('/cloudfront-502', 'cloudfront-502-connect.html', {
      label: 'CloudFront 502',
      expect: { badge: '502', family: 'cloudfront', kind: 'server_error', code: 502 },
    }),
    {
      path: '/retry-after-503',
      source: 'zoo: 503 with Retry-After: 5',
      label: '503 with Retry-After',
      status: 503,
      headers: { ...CT_HTML, 'retry-after': '5', server: 'nginx' },
      body: '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n',
      expect: { badge: '503', family: 'nginx', kind: 'server_error', code: 503 },
    },
    {
      path: '/healthy',
      source: 'fixture:healthy.html',
      label: 'healthy 200 page',
      status: 200,
      headers: CT_HTML,
      body: fixture('healthy.html'),
      expect: { badge: '' },
    },
    {
      path: '/forged-cloudflare-200',
      source: 'fixture:forged-cloudflare-200.html (a 200 page imitating Cloudflare)',
      label: '200 page imitating Cloudflare',
      status: 200,
      headers: CT_HTML,
      body: fixture('forged-cloudflare-200.html'),
      expect: { badge: '' },
    },
  ];
}
