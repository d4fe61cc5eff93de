// Big HAR files for the replay page's streaming tests (Chromium and Firefox), written to disk
// in pieces so that the generator itself never holds the file. Each returns the counts the
// page must report, computed while writing, not read back from the engine.
import { openSync, writeSync, closeSync, statSync } from 'node:fs';

/** Writes `parts()` (an iterator of strings) to `file` in ~1 MB writes; returns the size. */
function writeParts(file, parts) {
  const fd = openSync(file, 'w');
  let buf = [];
  let len = 0;
  try {
    for (const s of parts) {
      buf.push(s);
      len += s.length;
      if (len >= 1 << 20) {
        writeSync(fd, buf.join(''));
        buf = [];
        len = 0;
      }
    }
    if (buf.length) writeSync(fd, buf.join(''));
  } finally {
    closeSync(fd);
  }
  return statSync(file).size;
}

const head = (name) => `{"log":{"version":"1.2","creator":{"name":"${name}","version":"1.0"},"browser":{"name":"Chrome","version":"131.0"},"entries":[\n`;

function entry(i, { url, type, status, mime = 'text/html', body = '', base64 = false, headers = [] }) {
  const h = headers.map(([n, v]) => `{"name":"${n}","value":"${v}"}`).join(',');
  const text = body ? `,"text":"${body}"${base64 ? ',"encoding":"base64"' : ''}` : '';
  return `{"startedDateTime":"2026-11-30T10:00:${String(i % 60).padStart(2, '0')}.000Z","time":12.5,` +
    `"request":{"method":"GET","url":"${url}","httpVersion":"HTTP/1.1","headers":[{"name":"Accept","value":"*/*"}],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0},` +
    `"response":{"status":${status},"statusText":"","httpVersion":"HTTP/1.1","headers":[${h}],"cookies":[],"content":{"size":${body.length},"mimeType":"${mime}"${text}},"redirectURL":"","headersSize":-1,"bodySize":-1},` +
    `"cache":{},"timings":{"blocked":1,"dns":-1,"connect":-1,"ssl":-1,"send":0.1,"wait":10,"receive":1.4},"_resourceType":"${type}"}`;
}

const NGINX_502 = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';

/**
 * ~`targetBytes` of HAR (default just under the page's 256 MiB limit): many small entries,
 * every 97th a failed document (nginx 502) or XHR (503), every 89th a failed image, and every
 * 9,000th a successful image with a ~5 MB base64 body (the bodies the parser must cut).
 * Returns `{size, entries, failed, failedDocXhr}`.
 */
export function writeBigHar(file, targetBytes = 255 * 1024 * 1024) {
  const big = Buffer.alloc(3_750_000, 'gateway doctor streams ').toString('base64'); // 5 MB
  const counts = { entries: 0, failed: 0, failedDocXhr: 0 };
  let written = 0;
  const parts = function* () {
    const h = head('big-har.mjs');
    written += h.length;
    yield h;
    // Room for the last entry and the tail: the file must stay under the page's limit.
    for (let i = 0; written < targetBytes - 5_200_000; i++) {
      let e;
      if (i % 9000 === 4500) {
        e = entry(i, { url: `https://img.example/big-${i}.png`, type: 'image', status: 200, mime: 'image/png', body: big, base64: true });
      } else if (i % 97 === 0) {
        const doc = (i / 97) % 2 === 0;
        e = doc
          ? entry(i, { url: `https://shop.example/page/${i}`, type: 'document', status: 502, body: NGINX_502, headers: [['Server', 'nginx']] })
          : entry(i, { url: `https://api.shop.example/cart/${i}`, type: 'xhr', status: 503, mime: 'application/json', body: '{\\"error\\":\\"unavailable\\"}', headers: [['Retry-After', '30']] });
        counts.failed++;
        counts.failedDocXhr++;
      } else if (i % 89 === 0) {
        e = entry(i, { url: `https://img.example/missing-${i}.png`, type: 'image', status: 404, mime: 'image/png' });
        counts.failed++;
      } else {
        e = entry(i, { url: `https://shop.example/ok/${i}`, type: i % 2 ? 'xhr' : 'script', status: 200, mime: 'application/json', body: '{\\"ok\\":true,\\"padding\\":\\"' + 'x'.repeat(200) + '\\"}' });
      }
      const s = (i ? ',\n' : '') + e;
      written += s.length;
      counts.entries++;
      yield s;
    }
    yield '\n]}}\n';
  };
  const size = writeParts(file, parts());
  return { size, ...counts };
}

/** `n` failed XHR entries (a 503 each, ~260 bytes): the 26 MB file that used to trap. */
export function writeFailuresHar(file, n = 100_000) {
  const parts = function* () {
    yield head('big-har.mjs');
    for (let i = 0; i < n; i++) {
      yield (i ? ',\n' : '') + entry(i, { url: `https://api.example/v1/items/${i}?page=${i % 50}`, type: 'xhr', status: 503, mime: 'text/plain' });
    }
    yield '\n]}}\n';
  };
  return { size: writeParts(file, parts()), entries: n, failedDocXhr: n };
}
