// @ts-check
// Safe rendering for the extension's pages, plus the popup's view model.
//
// Everything a failing page controls (title, body excerpt, header values, evidence details,
// even the URL) is hostile input (issue 6 item 1). The only way text reaches the DOM here is
// `textContent`/`createTextNode`, never innerHTML/insertAdjacentHTML, and attributes are limited
// to a fixed allow-list with URL attributes restricted to http(s)/mailto. The CSP
// (`script-src 'self'`) is the second wall.
//
// No browser globals are touched at import time: the view model and `h()` (given any object
// with createElement/createTextNode) run in node tests.

/** Attributes `h()` may set. `on*` handlers, `style`, `srcdoc`, `src` are never allowed. */
const ATTR_ALLOW = new Set([
  'id', 'class', 'type', 'for', 'name', 'value', 'title', 'role', 'tabindex', 'href', 'target',
  'rel', 'hidden', 'disabled', 'checked', 'open', 'lang', 'dir', 'autofocus', 'aria-live',
  'aria-label', 'aria-labelledby', 'aria-describedby', 'aria-expanded', 'aria-controls',
  'aria-checked', 'aria-pressed', 'aria-busy', 'aria-hidden', 'aria-atomic',
]);

const URL_SCHEMES = new Set(['http:', 'https:', 'mailto:']);

/** The URL if its scheme is http, https or mailto; otherwise null (no javascript:, data:…). */
export function safeHref(url) {
  if (typeof url !== 'string') return null;
  let u;
  try {
    u = new URL(url.trim());
  } catch {
    return null;
  }
  return URL_SCHEMES.has(u.protocol) ? u.href : null;
}

/**
 * Creates an element. `props`: allow-listed attributes, `data-*`, `text` (textContent), and
 * `on: {event: fn}`. Children: strings (as text nodes), nodes, arrays, null/false (skipped).
 * Throws on a forbidden attribute so a mistake shows up in tests, not in production.
 */
export function h(doc, tag, props = {}, ...children) {
  if (!/^[a-z][a-z0-9-]*$/.test(tag) || tag === 'script' || tag === 'iframe' || tag === 'object' || tag === 'embed') {
    throw new Error(`h(): element <${tag}> not allowed`);
  }
  const el = doc.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') {
      el.textContent = String(v);
    } else if (k === 'on') {
      for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    } else if (k.startsWith('data-') && /^data-[a-z0-9-]+$/.test(k)) {
      el.setAttribute(k, String(v));
    } else if (ATTR_ALLOW.has(k)) {
      if (k === 'href') {
        const safe = safeHref(String(v));
        if (safe) el.setAttribute('href', safe);
      } else {
        el.setAttribute(k, v === true ? '' : String(v));
      }
    } else {
      throw new Error(`h(): attribute ${k} not allowed`);
    }
  }
  append(doc, el, children);
  return el;
}

/**
 * A labelled checkbox (`<div class="check"><input><label>[<p note>]</div>`), as the popup's
 * report switches and the options page use it. `id` is the input's id; the note, when given,
 * gets the id `${id}-${noteSuffix}` and describes the input for screen readers.
 * @param {Document} doc
 * @param {{id: string, checked: boolean, label: string, note?: string | null, noteSuffix?: string,
 *   noteClass?: string, onChange: (checked: boolean) => unknown}} opts
 */
export function checkbox(doc, { id, checked, label, note, noteSuffix = 'hint', noteClass = 'small muted hint', onChange }) {
  const noteId = `${id}-${noteSuffix}`;
  return h(doc, 'div', { class: 'check' },
    h(doc, 'input', {
      type: 'checkbox', id, checked,
      'aria-describedby': note ? noteId : undefined,
      on: { change: (ev) => onChange(ev.target.checked) },
    }),
    h(doc, 'label', { for: id, text: label }),
    note ? h(doc, 'p', { class: noteClass, id: noteId, text: note }) : null);
}

/** Appends children like `h()` does (strings as text, null/false skipped). */
export function append(doc, el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(doc, el, c);
    else if (typeof c === 'string' || typeof c === 'number') el.appendChild(doc.createTextNode(String(c)));
    else el.appendChild(c);
  }
}

/** Removes all children (no innerHTML = '' so nothing HTML-ish is ever assigned). */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** A core Message rendered in the UI language: `t(id, args, fallbackText)`. */
export function msgText(t, m) {
  if (!m) return '';
  if (typeof m === 'string') return m;
  return t(m.id, Array.isArray(m.args) ? m.args.map(String) : [], m.text || '');
}

/**
 * Bidi/control characters a hostile page can use to make text read differently from what it is
 * (RLO "evil.com" tricks, NULs). Text stays text; these are made visible as U+FFFD.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069\u200e\u200f]/g;
export function cleanText(s, max = 2000) {
  const str = String(s ?? '').replace(UNSAFE_CHARS, '\ufffd');
  return str.length > max ? `${str.slice(0, max)}…` : str;
}

/** The headline's message key: plain words about WHOSE problem it is, by kind then fault. */
export function headlineKey(d) {
  if (!d) return 'ui_headline_none';
  switch (d.kind) {
    case 'ok': return 'ui_headline_none';
    case 'challenge': return 'ui_headline_challenge';
    case 'blocked': return 'ui_headline_blocked';
    case 'client_error': return 'ui_headline_client';
    case 'network_error':
      return d.fault === 'site' ? 'ui_headline_site_unreachable' : 'ui_headline_network';
    default:
      break;
  }
  switch (d.fault) {
    case 'site': return 'ui_headline_site';
    case 'cdn': return 'ui_headline_cdn';
    case 'browser': return 'ui_headline_browser';
    case 'network': return 'ui_headline_network';
    default: return 'ui_headline_unknown';
  }
}

/** English fallbacks for the keys above (used when i18n has no message, e.g. in node tests). */
export const HEADLINE_EN = {
  ui_headline_none: 'Nothing wrong detected on this page',
  ui_headline_expired: 'Diagnosis expired: reload to re-check',
  ui_headline_challenge: 'The website is checking that you are a person — this is not an outage',
  ui_headline_blocked: 'The website refused to show you this page',
  ui_headline_client: 'The website could not find or serve this page',
  ui_headline_site_unreachable: "The website's server is not answering — it's not your device",
  ui_headline_network: "Your connection could not reach this website",
  ui_headline_site: "The website's server is failing — it's not your device",
  ui_headline_cdn: "The website's delivery network is failing — it's not your device",
  ui_headline_browser: 'Something stored in this browser is upsetting the website',
  ui_headline_unknown: 'This page failed to load',
  ui_headline_api: 'This page loaded, but its own requests to the website are failing',
};

export const FAULT_EN = {
  site: 'the website',
  cdn: "the website's CDN / edge provider",
  browser: 'this browser (cache, cookies, extensions)',
  network: 'your connection (network, DNS, proxy)',
  none: 'nobody',
  unknown: 'not sure',
};

/**
 * The popup's view model: everything the popup shows, as plain data, so it is testable in node.
 * `t(id, args, fallback)` translates; `owner` shows the owner remedies.
 * @param {Partial<import('./state.js').TabState> | null} state (replay.js passes one without tabId)
 * @param {{owner?: boolean, t?: (id: string, args: unknown[], fallback: string) => string}} [opts]
 */
export function popupModel(state, { owner = false, t = (id, a, f) => f } = {}) {
  if (state && state.expired) {
    // Evicted to keep storage bounded (state.js): say so rather than "nothing wrong".
    return {
      empty: true,
      expired: true,
      data: { kind: '', family: '', fault: '', code: '' },
      headline: t('ui_headline_expired', [], HEADLINE_EN.ui_headline_expired),
      url: cleanText(state.url || '', 500),
    };
  }
  const d = state && state.diagnosis;
  if (!d || d.kind === 'ok') {
    return {
      empty: true,
      data: { kind: d ? d.kind : '', family: d ? d.family : '', fault: d ? d.fault : '', code: '' },
      headline: t('ui_headline_none', [], HEADLINE_EN.ui_headline_none),
    };
  }
  const obs = state.observation || {};
  // A page that loaded but whose own calls fail (issue 17 part 1) has its own headline; the
  // rest (remedies, evidence) is the diagnosis of its worst failing call.
  const hk = state.api ? 'ui_headline_api' : headlineKey(d);
  const remedies = Array.isArray(d.remedies) ? d.remedies : [];
  const toView = (r) => ({
    id: String(r.id || ''),
    audience: r.audience === 'owner' ? 'owner' : 'visitor',
    title: cleanText(msgText(t, r.title), 300),
    steps: (Array.isArray(r.steps) ? r.steps : []).map((s) => cleanText(msgText(t, s), 1000)),
    action: r.action && typeof r.action.type === 'string' ? r.action : null,
  });
  const visitor = remedies.filter((r) => r.audience !== 'owner').map(toView);
  const ownerRemedies = remedies.filter((r) => r.audience === 'owner').map(toView);
  const codeLabel = d.code != null
    ? String(d.code)
    : obs.net_error ? cleanText(obs.net_error, 80) : '';
  return {
    empty: false,
    data: {
      kind: d.kind || '',
      family: d.family || '',
      fault: d.fault || '',
      code: d.code != null ? String(d.code) : '',
    },
    headline: t(hk, [], HEADLINE_EN[hk]),
    title: cleanText(msgText(t, d.title), 300),
    summary: cleanText(msgText(t, d.summary), 1000),
    family: cleanText(d.family, 80),
    variant: d.variant ? cleanText(d.variant, 80) : '',
    code: codeLabel,
    fault: t(`ui_fault_${d.fault}`, [], FAULT_EN[d.fault] || FAULT_EN.unknown),
    confidence: Number.isFinite(d.confidence) ? Math.round(d.confidence * 100) : null,
    evidence: (Array.isArray(d.evidence) ? d.evidence : []).map((e) => ({
      source: String(e.source || ''),
      detail: cleanText(e.detail, 500),
    })),
    ids: (Array.isArray(d.ids) ? d.ids : []).map((i) => ({ kind: cleanText(i.kind, 60), value: cleanText(i.value, 200) })),
    url: cleanText(state.url || obs.url || '', 500),
    remedies: owner ? visitor.concat(ownerRemedies) : visitor,
    ownerCount: ownerRemedies.length,
    tried: Array.isArray(state.tried) ? state.tried : [],
    retry: state.retry || null,
    retryAllowed: !obs.method || String(obs.method).toUpperCase() === 'GET',
    // Diagnosed from the status and headers; the page's text is still being read.
    partial: !!state.partial,
    api: state.api ? apiModel(state.api, t) : null,
  };
}

/**
 * The failing calls of a page whose own requests fail, as lines to show:
 * `{path, code, who}` → "/api/orders → 502 (nginx, the website)". Paths carry no query string
 * (api-watch.js stores none); all of it is page-controlled text and cleaned.
 */
export function apiModel(apiState, t = (id, a, f) => f) {
  const failures = Array.isArray(apiState && apiState.failures) ? apiState.failures : [];
  return {
    failures: failures.slice(0, 5).map((f) => {
      const fault = t(`ui_fault_${f.fault}`, [], FAULT_EN[f.fault] || FAULT_EN.unknown);
      // Only a vendor the engine recognised adds anything to whose side it is.
      const family = f.family && !['unknown', 'generic', 'network'].includes(f.family) ? cleanText(f.family, 80) : '';
      const code = Number.isInteger(f.status) ? String(f.status) : cleanText(f.net_error || '', 80);
      const count = Number.isInteger(f.count) && f.count > 1 ? f.count : 1;
      return {
        path: cleanText(f.url_path || '/', 200),
        code,
        who: family ? `${family}, ${fault}` : fault,
        count,
      };
    }),
  };
}

/**
 * OS commands to flush the DNS cache, keyed by `runtime.getPlatformInfo().os`. Used when the
 * remedy itself carries no `copy_text` command.
 */
export function dnsCommands(os) {
  switch (os) {
    case 'win': return ['ipconfig /flushdns'];
    case 'mac': return ['sudo dscacheutil -flushcache; sudo killall -HUP mDNSResponder'];
    case 'linux': case 'openbsd': return ['resolvectl flush-caches'];
    default: return [];
  }
}

/** Where the browser's own DNS cache is cleared (can't be linked; shown to copy). */
export function browserDnsPage(isFirefox) {
  return isFirefox ? 'about:networking#dns' : 'chrome://net-internals/#dns';
}

/**
 * A `mailto:` draft. Mail clients choke on very long URLs (~2000 chars is the safe limit), so
 * the body is cut with a note to paste the full report.
 */
export function mailtoDraft(subject, body, { max = 1800, cutNote = '[…]' } = {}) {
  let b = String(body);
  const enc = (s) => encodeURIComponent(s).replace(/%20/g, '%20');
  let url = `mailto:?subject=${enc(subject)}&body=${enc(b)}`;
  while (url.length > max && b.length > 0) {
    b = b.slice(0, Math.max(0, b.length - Math.max(50, url.length - max)));
    url = `mailto:?subject=${enc(subject)}&body=${enc(`${b}\n${cutNote}`)}`;
  }
  return url;
}
