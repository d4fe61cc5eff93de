// Safe rendering and the popup's view model (extension/lib/render.js), without a browser:
// a tiny fake document records exactly what would reach the DOM.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  h, clear, checkbox, safeHref, msgText, cleanText, headlineKey, popupModel, dnsCommands, browserDnsPage,
  mailtoDraft,
} from '../../extension/lib/render.js';

class FakeNode {
  constructor(tag) {
    this.tag = tag;
    this.attrs = {};
    this.children = [];
    this.listeners = {};
    this._text = '';
  }
  setAttribute(k, v) { this.attrs[k] = String(v); }
  appendChild(c) { this.children.push(c); c.parent = this; return c; }
  removeChild(c) { this.children = this.children.filter((x) => x !== c); return c; }
  get firstChild() { return this.children[0] || null; }
  addEventListener(ev, fn) { this.listeners[ev] = fn; }
  set textContent(v) { this.children = []; this._text = String(v); }
  get textContent() { return this._text + this.children.map((c) => c.textContent).join(''); }
  set innerHTML(_) { throw new Error('innerHTML must never be used'); }
}
class FakeText {
  constructor(t) { this.text = t; this.tag = '#text'; }
  get textContent() { return this.text; }
}
const doc = { createElement: (t) => new FakeNode(t), createTextNode: (t) => new FakeText(t) };

const HOSTILE = '<img src=x onerror=alert(1)></script><script>alert(2)</script>';

test('checkbox(): labelled input, described by its note, reporting changes', () => {
  const seen = [];
  const box = checkbox(doc, {
    id: 'report-keep_query', checked: true, label: 'Keep it', note: HOSTILE, noteSuffix: 'warn',
    noteClass: 'small warn-text', onChange: (on) => seen.push(on),
  });
  const [input, label, note] = box.children;
  assert.equal(box.attrs.class, 'check');
  assert.deepEqual(input.attrs, { type: 'checkbox', id: 'report-keep_query', checked: '', 'aria-describedby': 'report-keep_query-warn' });
  assert.deepEqual(label.attrs, { for: 'report-keep_query' });
  assert.equal(label.textContent, 'Keep it');
  assert.deepEqual(note.attrs, { class: 'small warn-text', id: 'report-keep_query-warn' });
  assert.equal(note.textContent, HOSTILE, 'the note is text, never markup');
  input.listeners.change({ target: { checked: false } });
  assert.deepEqual(seen, [false]);

  const plain = checkbox(doc, { id: 'opt-owner', checked: false, label: 'Owner', onChange: () => {} });
  assert.equal(plain.children.length, 2, 'no note, no empty paragraph');
  assert.equal(plain.children[0].attrs['aria-describedby'], undefined);
  assert.equal(plain.children[0].attrs.checked, undefined);
});

test('h() puts hostile strings in text nodes only', () => {
  const el = h(doc, 'p', { class: 'x', 'data-code': '502', text: HOSTILE });
  assert.equal(el.textContent, HOSTILE, 'kept verbatim as text');
  assert.equal(el.children.length, 0, 'no element was created from it');
  const el2 = h(doc, 'li', {}, HOSTILE, ['a', null, false, 'b'], 7);
  assert.deepEqual(el2.children.map((c) => c.tag), ['#text', '#text', '#text', '#text']);
  assert.equal(el2.textContent, `${HOSTILE}ab7`);
  assert.equal(el.attrs['data-code'], '502');
});

test('h() refuses event-handler, style and unknown attributes and dangerous tags', () => {
  for (const bad of ['onclick', 'onerror', 'style', 'srcdoc', 'src', 'innerHTML', 'formaction', 'data-X']) {
    assert.throws(() => h(doc, 'div', { [bad]: 'alert(1)' }), /not allowed/, bad);
  }
  for (const tag of ['script', 'iframe', 'object', 'embed', 'img onerror=x', '']) {
    assert.throws(() => h(doc, tag, {}), /not allowed/, tag);
  }
});

test('URLs: only http, https and mailto survive', () => {
  assert.equal(safeHref('https://www.cloudflarestatus.com/'), 'https://www.cloudflarestatus.com/');
  assert.equal(safeHref('mailto:?subject=x'), 'mailto:?subject=x');
  for (const bad of ['javascript:alert(1)', ' JaVaScRiPt:alert(1)', 'data:text/html,<script>', 'vbscript:x', 'file:///etc/passwd', 'chrome://settings', '#', '', null, 42]) {
    assert.equal(safeHref(bad), null, String(bad));
  }
  const a = h(doc, 'a', { href: 'javascript:alert(1)' });
  assert.equal(a.attrs.href, undefined, 'a javascript: href is dropped, not set');
  const b = h(doc, 'a', { href: 'https://ok.example/x' });
  assert.equal(b.attrs.href, 'https://ok.example/x');
});

test('clear() empties without touching innerHTML', () => {
  const el = h(doc, 'div', {}, 'a', h(doc, 'span', {}, 'b'));
  clear(el);
  assert.equal(el.children.length, 0);
});

test('messages translate with args and fall back to the English text', () => {
  const t = (id, args, fb) => (id === 'k' ? `T:${args.join('|')}` : fb);
  assert.equal(msgText(t, { id: 'k', args: ['a', 'b'], text: 'x' }), 'T:a|b');
  assert.equal(msgText(t, { id: 'missing', text: 'English' }), 'English');
  assert.equal(msgText(t, null), '');
});

test('cleanText neutralises bidi overrides and control characters and caps length', () => {
  assert.equal(cleanText('evil\u202Emoc.elgoog'), 'evil\uFFFDmoc.elgoog');
  assert.equal(cleanText('a\u0000b\u0007c'), 'a\uFFFDb\uFFFDc');
  assert.equal(cleanText('line\nnext\ttab'), 'line\nnext\ttab', 'ordinary whitespace kept');
  assert.equal(cleanText('x'.repeat(50), 10), `${'x'.repeat(10)}…`);
  assert.equal(cleanText(undefined), '');
});

const diagnosis = (o = {}) => ({
  schema: 1,
  kind: 'server_error',
  family: 'cloudflare-host',
  variant: '521',
  code: 521,
  fault: 'site',
  confidence: 0.93,
  title: { id: 'diag_cf_521_title', text: 'Cloudflare: the web server is down' },
  summary: { id: 'diag_cf_521_summary', text: 'Cloudflare is up; the origin refused the connection.' },
  evidence: [{ source: 'body', detail: `body: "${HOSTILE}"` }, { source: 'header', detail: 'server: cloudflare' }],
  ids: [{ kind: 'cf-ray', value: '8a1b2c3d4e5f6a7b-FRA' }],
  remedies: [
    { id: 'auto_retry', audience: 'visitor', title: { id: 'remedy_auto_retry', text: 'Retry automatically' }, steps: [], action: { type: 'auto_retry' } },
    { id: 'hard_refresh', audience: 'visitor', title: { id: 'remedy_hard_refresh', text: 'Hard refresh' }, steps: [{ id: 's', text: 'Press Ctrl+F5' }], action: { type: 'reload_bypass_cache' } },
    { id: 'check_origin', audience: 'owner', title: { id: 'remedy_check_origin', text: 'Check the origin server' }, steps: [] },
  ],
  ...o,
});
const state = (o = {}) => ({ tabId: 3, url: 'https://shop.example/x?q=1', observation: { url: 'https://shop.example/x?q=1', method: 'GET', status: 521 }, diagnosis: diagnosis(o), tried: [], retry: null, at: 't' });

test('popup model: data attributes, plain-words headline, owner remedies only when asked', () => {
  const m = popupModel(state());
  assert.equal(m.empty, false);
  assert.deepEqual(m.data, { kind: 'server_error', family: 'cloudflare-host', fault: 'site', code: '521' });
  assert.equal(m.headline, "The website's server is failing — it's not your device");
  assert.deepEqual(m.remedies.map((r) => r.id), ['auto_retry', 'hard_refresh']);
  assert.equal(m.ownerCount, 1);
  const mo = popupModel(state(), { owner: true });
  assert.deepEqual(mo.remedies.map((r) => r.id), ['auto_retry', 'hard_refresh', 'check_origin']);
  assert.equal(mo.remedies[2].audience, 'owner');
  assert.equal(m.evidence[0].detail, `body: "${HOSTILE}"`, 'evidence is data, escaped only by rendering as text');
  assert.equal(m.confidence, 93);
  assert.equal(m.ids[0].value, '8a1b2c3d4e5f6a7b-FRA');
});

test('popup model: the UI language is used for headline and core messages', () => {
  const t = (id, args, fb) => ({ ui_headline_cdn: 'CDN kaputt', remedy_hard_refresh: 'Neu laden' }[id] || fb);
  const m = popupModel(state({ fault: 'cdn' }), { t });
  assert.equal(m.headline, 'CDN kaputt');
  assert.equal(m.remedies[1].title, 'Neu laden');
  assert.equal(m.remedies[0].title, 'Retry automatically', 'English fallback');
});

test('popup model: nothing wrong → calm empty state; POST disables auto-retry', () => {
  assert.equal(popupModel(null).empty, true);
  assert.equal(popupModel(null).headline, 'Nothing wrong detected on this page');
  assert.equal(popupModel({ diagnosis: { kind: 'ok', family: 'none', fault: 'none' } }).empty, true);
  const s = state();
  s.observation.method = 'POST';
  assert.equal(popupModel(s).retryAllowed, false);
});

test('headline keys by kind and fault', () => {
  assert.equal(headlineKey({ kind: 'server_error', fault: 'cdn' }), 'ui_headline_cdn');
  assert.equal(headlineKey({ kind: 'server_error', fault: 'unknown' }), 'ui_headline_unknown');
  assert.equal(headlineKey({ kind: 'network_error', fault: 'network' }), 'ui_headline_network');
  assert.equal(headlineKey({ kind: 'network_error', fault: 'site' }), 'ui_headline_site_unreachable');
  assert.equal(headlineKey({ kind: 'challenge', fault: 'none' }), 'ui_headline_challenge');
  assert.equal(headlineKey(null), 'ui_headline_none');
});

test('DNS commands per OS and the browser DNS page', () => {
  assert.deepEqual(dnsCommands('win'), ['ipconfig /flushdns']);
  assert.match(dnsCommands('mac')[0], /dscacheutil -flushcache/);
  assert.match(dnsCommands('linux')[0], /resolvectl flush-caches/);
  assert.deepEqual(dnsCommands('android'), []);
  assert.equal(browserDnsPage(false), 'chrome://net-internals/#dns');
  assert.equal(browserDnsPage(true), 'about:networking#dns');
});

test('mailto draft stays under the URL budget and is properly encoded', () => {
  const url = mailtoDraft('Site & down?', `# Report\n${'line with ümlaut & = ?\n'.repeat(500)}`, { max: 1800, cutNote: '[cut]' });
  assert.ok(url.length <= 1800, String(url.length));
  assert.ok(url.startsWith('mailto:?subject=Site%20%26%20down%3F&body='));
  assert.ok(decodeURIComponent(url.split('&body=')[1]).endsWith('[cut]'));
  const short = mailtoDraft('s', 'hello');
  assert.equal(short, 'mailto:?subject=s&body=hello');
});

test('extension page scripts never use HTML sinks', () => {
  for (const f of ['popup.js', 'options.js', 'lib/render.js', 'lib/actions.js']) {
    const src = readFileSync(new URL(`../../extension/${f}`, import.meta.url), 'utf8');
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', 'createContextualFragment']) {
      // The only mention allowed is in comments describing the rule.
      const code = src.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
      assert.ok(!code.includes(sink), `${f} uses ${sink}`);
    }
  }
});

test('an expired diagnosis says so, not "nothing wrong"; a partial one is flagged', () => {
  const m = popupModel({ tabId: 3, url: 'https://a.example/x', expired: true, at: 'now' });
  assert.equal(m.empty, true);
  assert.equal(m.expired, true);
  assert.equal(m.headline, 'Diagnosis expired: reload to re-check');
  const none = popupModel(null);
  assert.notEqual(none.headline, m.headline);
  const p = popupModel({ url: 'https://a.example/', partial: true, observation: {}, diagnosis: { kind: 'server_error', fault: 'site', code: 502, remedies: [] } });
  assert.equal(p.partial, true);
  assert.equal(popupModel({ url: 'u', observation: {}, diagnosis: { kind: 'server_error', code: 502 } }).partial, false);
});
