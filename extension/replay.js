// @ts-check
// "Diagnose a report" (issue 5): support pastes a Gateway Doctor report, an error page's HTML
// (with its status and headers), or drops a HAR file, and sees today's diagnosis.
//
// The page loads its own WASM module (crates/replay, pkg/replay/) rather than asking the
// background: an extension page may instantiate WebAssembly under the manifest's CSP
// `'wasm-unsafe-eval'` (https://developer.chrome.com/docs/extensions/reference/manifest/content-security-policy),
// and it works while the service worker sleeps. Pasted reports and pages are diagnosed here;
// a HAR (file or paste) is read by a dedicated Worker (replay-worker.js) running the same
// module, which streams it through the CLI's parser and posts progress and rows, so that a
// 256 MB file neither freezes nor exhausts the tab. Nothing leaves the machine: nothing is
// fetched or uploaded.
//
// Everything pasted is hostile input: text reaches the DOM only through lib/render.js `h()`
// (textContent), never as HTML, so a pasted `<script>` stays text.

import { api, t } from './lib/browser.js';
import { h, append, clear, popupModel, cleanText } from './lib/render.js';

const app = document.getElementById('app');
const e = (tag, props, ...kids) => h(document, tag, props, ...kids);
const add = (el, ...kids) => append(document, el, kids);

/** Files above this are refused. The worker streams (memory does not grow with the file), but
 *  reading takes a while; the CLI streams any size. */
const MAX_FILE_MB = 256;
/** Reports and pages are small; JSON.parse is only tried below this to tell them apart. */
const SNIFF_PARSE_LIMIT = 8 * 1024 * 1024;

const ui = {};
// The WASM exports, set once `./pkg/replay/gateway_doctor_replay.js` has loaded (imported
// dynamically so a missing build shows an error instead of a page stuck on "Loading…").
let diagnose = null;
let replayReport = null;
/** A dropped report or page's text, kept off the textarea (a 100 MB textarea freezes the tab). */
let harText = null;
/** The last HAR (a File, or a pasted text as a Blob), kept so "show successful entries too"
 *  can re-run it. */
let harBlob = null;
let harName = '';
/** The running HAR scan: `{worker}`, or null. */
let scan = null;

// ---------------------------------------------------------------------------------------------
// Input handling (pure helpers first)

/** What the text is: `report`, `har` or `page`. */
export function detect(text) {
  const s = text.trimStart();
  if (!s.startsWith('{')) return 'page';
  if (s.length <= SNIFF_PARSE_LIMIT) {
    try {
      const v = JSON.parse(s);
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        if ('report_schema' in v) return 'report';
        if ('log' in v) return 'har';
      }
    } catch { /* malformed: decide below, the engine reports the position */ }
  }
  return /"report_schema"\s*:/.test(s.slice(0, 65536)) ? 'report' : 'har';
}

/**
 * `Name: value` lines → headers. A leading `HTTP/1.1 502 Bad Gateway` line (curl -i, DevTools
 * "raw") sets the status. Returns `{headers, status, statusLine, badLine}`.
 */
export function parseHeaders(text) {
  const headers = [];
  let status = null;
  let statusLine = null;
  let badLine = 0;
  const lines = String(text || '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const sl = /^HTTP\/\d(?:\.\d)?\s+(\d{3})\b/.exec(line);
    if (sl && !headers.length) {
      status = Number(sl[1]);
      statusLine = line;
      return;
    }
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*:\s?(.*)$/.exec(line);
    if (!m) {
      if (!badLine) badLine = i + 1;
      return;
    }
    headers.push({ name: m[1], value: m[2] });
  });
  return { headers, status, statusLine, badLine };
}

/** A pasted raw HTTP response (`HTTP/1.1 502 …`, headers, blank line, body) split in two. */
export function splitRawResponse(text) {
  if (!/^HTTP\/\d(?:\.\d)?\s+\d{3}\b/.test(text)) return null;
  const m = /\r?\n\r?\n/.exec(text);
  if (!m) return { head: text, body: '' };
  return { head: text.slice(0, m.index), body: text.slice(m.index + m[0].length) };
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** Root `data-*` like the popup's (`kind`, `family`, `fault`, `code`) plus `mode` (report, page,
 *  har), `agrees` (report) and `rows` (HAR), so tests and support tooling can read the result. */
function setRoot(state, data = {}) {
  app.dataset.state = state;
  for (const k of ['kind', 'family', 'fault', 'code', 'mode', 'agrees', 'rows']) {
    if (k in data) app.setAttribute(`data-${k}`, data[k] == null ? '' : String(data[k]));
    else app.removeAttribute(`data-${k}`);
  }
}

function showError(text) {
  setRoot('error');
  clear(ui.result);
  ui.result.hidden = false;
  ui.result.append(e('p', { class: 'error-box', id: 'error', role: 'alert', text: cleanText(text, 600) }));
}

/** The diagnosis as the popup shows it (headline, title, chips, summary, why, remedies). */
function diagnosisView(diagnosis, observation) {
  const m = popupModel({ diagnosis, observation, url: observation.url }, { owner: true, t });
  if (m.empty) {
    return { data: m.data, node: e('div', { class: 'diagnosis' }, e('h2', { class: 'headline', id: 'headline', text: m.headline })) };
  }
  const chips = e('p', { class: 'chips' },
    m.family && e('span', { class: 'chip', id: 'chip-family' }, m.variant ? `${m.family} · ${m.variant}` : m.family),
    m.code && e('span', { class: 'chip chip-code', id: 'chip-code' }, m.code),
    e('span', { class: 'chip chip-fault' }, t('ui_label_fault', [m.fault], `Whose side: ${m.fault}`)));
  const remedies = m.remedies.length
    ? e('ol', { class: 'remedies', id: 'remedies' }, m.remedies.map((r) => e('li', { class: `remedy audience-${r.audience}`, 'data-remedy': r.id, 'data-action': '' },
      e('p', { class: 'remedy-title' }, r.title,
        r.audience === 'owner' ? e('span', { class: 'tag', text: t('ui_owner_tag', [], 'for the owner') }) : null),
      r.steps.length ? e('ol', { class: 'steps' }, r.steps.map((s) => e('li', { text: s }))) : null)))
    : e('p', { class: 'muted', text: t('ui_no_remedies', [], 'No remedy to offer for this one — waiting a few minutes is the best bet.') });
  const evidence = m.evidence.length
    ? e('ul', { class: 'evidence' }, m.evidence.map((ev) => e('li', {},
      e('span', { class: 'src', text: t(`ui_source_${ev.source}`, [], ev.source) }), ' ',
      e('span', { class: 'detail', text: ev.detail }))))
    : e('p', { class: 'muted', text: t('ui_no_evidence', [], 'No detailed evidence recorded.') });
  const ids = m.ids.length
    ? e('dl', { class: 'ids' }, m.ids.map((i) => [e('dt', { text: i.kind }), e('dd', {}, e('code', { text: i.value }))]))
    : null;
  const node = e('div', { class: `diagnosis head-wrap` },
    e('header', { class: `head fault-${m.data.fault}` },
      e('h2', { class: 'headline', id: 'headline', text: m.headline }),
      // The engine's title often says what the headline says; show it only when it adds something.
      m.title && m.title !== m.headline ? e('p', { class: 'title', id: 'diag-title', text: m.title }) : null,
      chips,
      m.summary && e('p', { class: 'summary', text: m.summary })),
    e('details', { class: 'why', open: true },
      e('summary', { text: t('ui_why_heading', [], 'Why we think so') }), evidence, ids),
    e('h3', { text: t('ui_replay_remedies_heading', [], 'What can be done') }),
    remedies);
  return { data: m.data, node };
}

function renderReport(json) {
  const r = replayReport(json);
  let meta = null;
  try {
    meta = JSON.parse(json);
  } catch { /* replayReport already accepted it */ }
  const obs = {
    url: meta?.request?.url || '',
    net_error: meta?.response?.net_error || null,
  };
  const view = diagnosisView(r.diagnosis, obs);
  const rec = r.recorded || {};
  const verdictBox = e('div', { class: `verdict ${r.agrees ? 'agrees' : 'differs'}`, id: 'verdict', role: 'status' },
    e('p', {
      text: r.agrees
        ? t('ui_replay_agrees', [], "Today's engine agrees with the diagnosis recorded in this report.")
        : t('ui_replay_differs', [], "Today's engine differs from the diagnosis recorded in this report:"),
    }),
    r.agrees ? null : e('ul', { id: 'differences' }, (r.differences || []).map((d) => e('li', {
      'data-field': d.field,
      text: t('ui_replay_difference', [d.field, d.recorded ?? '—', d.replayed ?? '—'],
        `${d.field}: recorded ${d.recorded ?? '—'}, today ${d.replayed ?? '—'}`),
    }))),
    e('p', {
      class: 'small muted',
      text: t('ui_replay_versions',
        [r.recorded_versions?.engine || '?', r.recorded_versions?.signatures || '?', r.diagnosis.engine_version, r.diagnosis.signatures_version],
        `Recorded with engine ${r.recorded_versions?.engine || '?'} (signatures ${r.recorded_versions?.signatures || '?'}); today: engine ${r.diagnosis.engine_version} (signatures ${r.diagnosis.signatures_version}).`),
    }),
    e('p', {
      class: 'small muted', id: 'recorded',
      text: t('ui_replay_recorded', [[rec.kind, rec.family, rec.variant, rec.code, rec.fault].filter((x) => x != null && x !== '').join(' · ')],
        `Recorded: ${[rec.kind, rec.family, rec.variant, rec.code, rec.fault].filter((x) => x != null && x !== '').join(' · ')}`),
    }));
  const where = [meta?.request?.url, meta?.time?.utc].filter(Boolean).map((s) => cleanText(s, 300));
  clear(ui.result);
  ui.result.hidden = false;
  add(ui.result,
    where.length ? e('p', { class: 'small muted', id: 'report-meta', text: where.join(' — ') }) : null,
    verdictBox, view.node);
  setRoot('diagnosed', { ...view.data, mode: 'report', agrees: r.agrees ? 'true' : 'false' });
}

function renderPage(text) {
  let body = text;
  let head = ui.headers.value;
  const raw = splitRawResponse(text.trimStart());
  if (raw) {
    body = raw.body;
    head = `${raw.head}\n${head}`;
  }
  const parsed = parseHeaders(head);
  if (parsed.badLine && !raw) {
    showError(t('ui_replay_bad_header', [String(parsed.badLine)], `Line ${parsed.badLine} of the headers is not a “Name: value” header.`));
    return;
  }
  let status = parsed.status;
  const typed = ui.status.value.trim();
  if (typed) {
    if (!/^\d{3}$/.test(typed) || Number(typed) < 100) {
      showError(t('ui_replay_bad_status', [], 'The status must be a number between 100 and 999.'));
      return;
    }
    status = Number(typed);
  }
  const observation = {
    url: ui.url.value.trim(),
    status: status ?? undefined,
    status_line: parsed.statusLine ?? undefined,
    headers: parsed.headers,
    body,
  };
  const d = diagnose(observation);
  const view = diagnosisView(d, observation);
  clear(ui.result);
  ui.result.hidden = false;
  ui.result.append(view.node);
  setRoot('diagnosed', { ...view.data, mode: 'page' });
}

/** One table row for a HAR row (`HarRow`, as the CLI's `--json` prints it). */
function harRowNode(row, select) {
  const d = row.diagnosis;
  const summary = [d.family, d.variant, d.code].filter((x) => x != null && x !== '').join(' · ');
  const tr = e('tr', {
    tabindex: '0', role: 'button',
    'data-index': String(row.index), 'data-kind': d.kind, 'data-family': d.family, 'data-fault': d.fault,
    'data-code': d.code != null ? String(d.code) : '',
  },
  e('td', { class: 'num', text: String(row.index) }),
  e('td', { class: 'num', text: row.status != null ? String(row.status) : cleanText(row.net_error || t('ui_replay_no_response', [], 'no response'), 80) }),
  e('td', { text: t(`ui_replay_type_${row.resource_type}`, [], row.resource_type) }),
  e('td', { text: cleanText(row.method || '', 16) }),
  e('td', { class: 'url', text: cleanText(row.url, 300) }),
  e('td', {}, cleanText(msgTitle(d), 200), e('br'), e('span', { class: 'small muted', text: summary })));
  tr.setAttribute('aria-selected', 'false');
  tr.addEventListener('click', () => select(row, tr));
  tr.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      select(row, tr);
    }
  });
  return tr;
}

const mb = (bytes) => (bytes / 1e6).toFixed(1);

/** Stops a running scan: the worker is terminated (it reads synchronously and would not see
 *  a message). `cancelled`: the user asked; the result is cleared and the page is idle again
 *  (rows so far are dropped: a partial table would miscount). */
function stopScan(cancelled) {
  if (!scan) return;
  scan.worker.terminate();
  scan = null;
  delete app.dataset.worker;
  if (cancelled) {
    clear(ui.result);
    ui.result.hidden = true;
    ui.fileInfo.textContent = t('ui_replay_cancelled', [harName], `${harName}: reading cancelled`);
    setRoot('idle');
  }
}

/**
 * Reads a HAR (a File, or a pasted text as a Blob) in the worker: a progress bar and Cancel
 * while it reads, rows added as they arrive (the first one opened), the counts at the end.
 */
function scanHar(blob, all) {
  stopScan(false);
  harBlob = blob;
  const name = harName;
  const tbody = e('tbody');
  const detail = e('div', { class: 'har-detail', id: 'har-detail', 'aria-live': 'polite', hidden: true });
  let count = 0;
  let reading = true;
  const select = (row, tr) => {
    for (const other of tbody.children) other.setAttribute('aria-selected', 'false');
    tr.setAttribute('aria-selected', 'true');
    const obs = { url: row.url, net_error: row.net_error };
    const view = diagnosisView(row.diagnosis, obs);
    clear(detail);
    detail.hidden = false;
    detail.setAttribute('data-index', String(row.index));
    add(detail,
      e('h3', { text: t('ui_replay_entry', [String(row.index)], `Entry #${row.index}`) }),
      e('p', { class: 'small url', text: `${cleanText(row.method || '', 16)} ${cleanText(row.url, 2000)}` }),
      view.node);
    // While reading the root says `reading`; the last word on it is the scan's end.
    if (!reading) setRoot('diagnosed', { ...view.data, mode: 'har', rows: count });
  };
  let first = null;
  const head = e('thead', {}, e('tr', {},
    ['index', 'status', 'type', 'method', 'url', 'diagnosis'].map((c) => e('th', { text: t(`ui_replay_col_${c}`, [], COL_EN[c]) }))));
  const table = e('table', { class: 'har-table', id: 'har-table', hidden: true }, head, tbody);
  const bar = e('progress', { id: 'har-progress', value: '0' });
  bar.max = blob.size || 1;
  const barText = e('span', { class: 'small muted', id: 'har-progress-text', 'aria-live': 'polite' });
  const cancel = e('button', { type: 'button', id: 'har-cancel', on: { click: () => stopScan(true) } },
    t('ui_replay_cancel', [], 'Cancel'));
  const progressBox = e('div', { class: 'har-progress row', id: 'har-progress-box' }, bar, ' ', barText, ' ', cancel);
  clear(ui.result);
  ui.result.hidden = false;
  add(ui.result, progressBox, table, detail);
  setRoot('reading', { mode: 'har' });

  const worker = new Worker(new URL('./replay-worker.js', import.meta.url), { type: 'module' });
  const job = { worker };
  scan = job;
  app.dataset.worker = 'running';
  const finish = () => {
    reading = false;
    stopScan(false);
  };
  worker.addEventListener('error', (ev) => {
    if (scan !== job) return;
    finish();
    showError(t('ui_replay_error', [String(ev.message || 'worker failed')], `Could not read this input: ${ev.message || 'worker failed'}`));
  });
  worker.addEventListener('message', (ev) => {
    if (scan !== job) return; // a message still queued from a cancelled scan
    const m = ev.data || {};
    if (m.type === 'ready') {
      worker.postMessage({ type: 'scan', blob, all });
    } else if (m.type === 'progress') {
      bar.max = m.total || 1;
      bar.value = m.bytes;
      barText.textContent = t('ui_replay_har_progress', [mb(m.bytes), mb(m.total), String(m.entries)],
        `${mb(m.bytes)} of ${mb(m.total)} MB read, ${m.entries} entries`);
    } else if (m.type === 'rows') {
      const frag = document.createDocumentFragment();
      for (const row of m.rows) frag.append(harRowNode(row, select));
      tbody.append(frag);
      table.hidden = false;
      // The first failure is what support usually wants: open it right away.
      if (!first && tbody.firstElementChild) {
        first = tbody.firstElementChild;
        select(m.rows[0], first);
      }
    } else if (m.type === 'done') {
      finish();
      count = m.rows;
      progressBox.remove();
      const allBox = e('label', { class: 'switch', for: 'har-all' },
        e('input', {
          type: 'checkbox', id: 'har-all', checked: all,
          on: { change: (ev2) => scanHar(harBlob, ev2.target.checked) },
        }),
        e('span', { text: t('ui_replay_har_all', [], 'Show successful entries too') }));
      const s = m.summary || {};
      const secs = (m.ms / 1000).toFixed(1);
      ui.result.prepend(
        e('p', {
          id: 'har-summary',
          'data-entries': String(s.entries), 'data-failed': String(s.failed), 'data-failed-doc-xhr': String(s.failed_doc_xhr),
          'data-shown': String(m.shown), 'data-ms': String(Math.round(m.ms)), 'data-wasm-memory': String(m.wasmMemory),
          text: all
            ? t('ui_replay_har_count_all', [String(count), name], `${count} document/XHR entries in ${name}`)
            : t('ui_replay_har_count', [String(count), name], `${count} failed document/XHR entries in ${name}`),
        }),
        e('p', { class: 'small muted', id: 'har-scanned', text: t('ui_replay_har_scanned', [String(s.entries), secs], `${s.entries} entries read in ${secs} s.`) }),
        m.shown < count
          ? e('p', { class: 'small', id: 'har-capped', text: t('ui_replay_har_capped', [String(m.shown), String(count)], `Showing the first ${m.shown} of ${count} rows; the counts above include them all.`) })
          : null,
        allBox);
      if (!count) {
        table.remove();
        detail.before(e('p', { class: 'muted', id: 'har-none', text: t('ui_replay_har_none', [], 'No failed document or XHR request in this HAR file.') }));
      }
      setRoot('diagnosed', { mode: 'har', rows: count, kind: '', family: '', fault: '', code: '' });
      const chosen = [...tbody.children].find((tr) => tr.getAttribute('aria-selected') === 'true');
      if (chosen) chosen.click();
    } else if (m.type === 'error') {
      finish();
      showError(t('ui_replay_error', [String(m.message)], `Could not read this input: ${m.message}`));
    }
  });
}

const COL_EN = { index: '#', status: 'Status', type: 'Type', method: 'Method', url: 'Address', diagnosis: 'Diagnosis' };

function msgTitle(d) {
  const m = d && d.title;
  if (!m) return '';
  return t(m.id, Array.isArray(m.args) ? m.args.map(String) : [], m.text || '');
}

/** Runs a render step; engine errors (malformed JSON, wrong schema…) become one visible line. */
function run(fn) {
  try {
    fn();
  } catch (/** @type {any} */ err) {
    showError(t('ui_replay_error', [String((err && err.message) || err)], `Could not read this input: ${(err && err.message) || err}`));
  }
}

function diagnoseInput() {
  if (harBlob && harText === null && ui.input.value === '') {
    // The HAR file read last: read it again.
    scanHar(harBlob, false);
    return;
  }
  const fileText = harText !== null && ui.input.value === '' ? harText : null;
  const text = fileText ?? ui.input.value;
  if (!text.trim()) {
    showError(t('ui_replay_empty', [], 'Paste or drop something first.'));
    return;
  }
  const kind = detect(text);
  ui.detected.textContent = t(`ui_replay_detected_${kind}`, [], DETECTED_EN[kind]);
  ui.detected.hidden = false;
  run(() => {
    if (kind === 'report') renderReport(text);
    else if (kind === 'har') {
      if (fileText === null) harName = t('ui_replay_pasted', [], 'the pasted text');
      scanHar(new Blob([text], { type: 'application/json' }), false);
    } else renderPage(text);
  });
}

const DETECTED_EN = {
  report: 'Detected: a Gateway Doctor report.',
  har: 'Detected: a HAR file.',
  page: 'Detected: a page body (uses the status and headers below).',
};

/** Reports and pages are small and read whole; a HAR is handed to the worker unread. A file
 *  up to SNIFF_PARSE_LIMIT is read to tell which it is (as a paste is); a bigger one by its
 *  first 64 KB. */
function readFile(file) {
  readFileNow(file).catch((err) => showError(t('ui_replay_error', [String((err && err.message) || err)], `Could not read this input: ${(err && err.message) || err}`)));
}

async function readFileNow(file) {
  if (!file) return;
  if (file.size > MAX_FILE_MB * 1024 * 1024) {
    showError(t('ui_replay_file_too_large', [String(MAX_FILE_MB)], `This file is larger than ${MAX_FILE_MB} MB; use the command line: gateway-doctor har FILE.`));
    return;
  }
  stopScan(false);
  setRoot('reading');
  ui.fileInfo.textContent = t('ui_replay_reading', [file.name], `Reading ${file.name}…`);
  let text;
  let kind;
  try {
    text = file.size <= SNIFF_PARSE_LIMIT ? await file.text() : null;
    kind = detect(text ?? await file.slice(0, 65536).text());
    if (kind !== 'har' && text === null) text = await file.text();
  } catch (err) {
    showError(t('ui_replay_error', [String(err)], `Could not read this input: ${err}`));
    return;
  }
  const size = file.size >= 1e6 ? `${(file.size / 1e6).toFixed(1)} MB` : `${Math.ceil(file.size / 1e3)} kB`;
  ui.fileInfo.textContent = `${cleanText(file.name, 200)} (${size})`;
  ui.detected.textContent = t(`ui_replay_detected_${kind}`, [], DETECTED_EN[kind]);
  ui.detected.hidden = false;
  if (kind === 'har') {
    harText = null;
    harName = cleanText(file.name, 200);
    ui.input.value = '';
    scanHar(file, false);
    return;
  }
  harBlob = null;
  if (kind === 'page') {
    // A saved page: show it for editing, the status and headers still have to be given.
    harText = null;
    ui.input.value = text;
  } else {
    // Reports are kept off the textarea like HARs.
    harText = text;
    harName = cleanText(file.name, 200);
    ui.input.value = '';
  }
  diagnoseInput();
}

// ---------------------------------------------------------------------------------------------

function buildForm() {
  ui.input = e('textarea', { id: 'input', name: 'input', 'aria-describedby': 'input-hint' });
  ui.input.placeholder = t('ui_replay_input_placeholder', [], 'Paste a report (JSON), a HAR file or the HTML of an error page here, or drop a file on this page.');
  ui.input.spellcheck = false;
  ui.status = e('input', { type: 'text', id: 'status', name: 'status' });
  ui.status.inputMode = 'numeric';
  ui.status.placeholder = '502';
  ui.headers = e('textarea', { id: 'headers', name: 'headers' });
  ui.headers.placeholder = 'Server: nginx\nCF-RAY: 8e1f2a3b4c5d6e7f-FRA';
  ui.headers.spellcheck = false;
  ui.url = e('input', { type: 'text', id: 'url', name: 'url' });
  ui.url.placeholder = 'https://example.com/';
  ui.file = e('input', { type: 'file', id: 'file', name: 'file' });
  ui.file.accept = '.json,.har,.html,.htm,.txt,application/json,text/html,text/plain';
  ui.file.addEventListener('change', () => {
    const file = ui.file.files && ui.file.files[0];
    // Emptied at once: a browser fires `change` only when the choice differs from the input's
    // value, so choosing the same file again (after editing or dropping something else) would
    // otherwise do nothing. #file-info keeps the name.
    ui.file.value = '';
    readFile(file);
  });
  ui.fileInfo = e('span', { class: 'small muted', id: 'file-info' });
  ui.detected = e('p', { class: 'detected small muted', id: 'detected', hidden: true });
  ui.result = e('section', { class: 'result', id: 'result', 'aria-live': 'polite', hidden: true });
  ui.input.addEventListener('input', () => {
    // Typing replaces a dropped file.
    if (ui.input.value) {
      harText = null;
      harBlob = null;
    }
  });

  const form = e('form', { class: 'input-form', id: 'form' },
    e('div', {},
      e('label', { for: 'input', text: t('ui_replay_input_label', [], 'Report, HAR or page HTML') }),
      ui.input,
      e('p', { class: 'small muted', id: 'input-hint', text: t('ui_replay_privacy', [], 'Nothing you paste or drop here leaves this computer.') })),
    e('div', { class: 'drop' },
      e('label', { for: 'file', text: t('ui_replay_file_label', [], 'Or choose a file (.json, .har, .html) — or drop it anywhere on this page') }),
      ui.file, ' ', ui.fileInfo),
    e('details', { class: 'page-details' },
      e('summary', { text: t('ui_replay_page_fields', [], 'Status and headers (for page HTML)') }),
      e('div', { class: 'page-fields' },
        e('div', {}, e('label', { for: 'status', text: t('ui_replay_status_label', [], 'HTTP status') }), ui.status),
        e('div', {}, e('label', { for: 'url', text: t('ui_replay_url_label', [], 'Page address (optional)') }), ui.url),
        e('div', { class: 'wide' },
          e('label', { for: 'headers', text: t('ui_replay_headers_label', [], 'Response headers, one “Name: value” per line') }),
          ui.headers))),
    e('div', { class: 'row' },
      e('button', { type: 'submit', id: 'run', class: 'primary' }, t('ui_replay_run', [], 'Diagnose')),
      e('button', {
        type: 'button', id: 'clear',
        on: {
          click: () => {
            for (const k of ['input', 'status', 'headers', 'url']) ui[k].value = '';
            ui.file.value = '';
            ui.fileInfo.textContent = '';
            stopScan(false);
            harText = null;
            harBlob = null;
            ui.detected.hidden = true;
            clear(ui.result);
            ui.result.hidden = true;
            setRoot('idle');
          },
        },
      }, t('ui_replay_clear', [], 'Clear'))),
    ui.detected);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    diagnoseInput();
  });
  return form;
}

function wireDrop() {
  // Dropping anywhere on the page reads the file; the browser must not navigate to it.
  let depth = 0;
  document.addEventListener('dragenter', (ev) => {
    ev.preventDefault();
    depth++;
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) document.body.classList.remove('dragging');
  });
  document.addEventListener('dragover', (ev) => ev.preventDefault());
  document.addEventListener('drop', (ev) => {
    ev.preventDefault();
    depth = 0;
    document.body.classList.remove('dragging');
    const dt = ev.dataTransfer;
    if (dt && dt.files && dt.files.length) {
      readFile(dt.files[0]);
    } else if (dt) {
      // Dropped text (a selection from a ticket): treat it like a paste.
      const text = dt.getData('text/plain');
      if (text) {
        ui.input.value = text;
        harText = null;
        harBlob = null;
        diagnoseInput();
      }
    }
  });
}

async function main() {
  document.documentElement.lang = t('@@ui_locale', [], 'en').replace('_', '-');
  document.title = `${t('ui_replay_title', [], 'Diagnose a report')} — ${t('ui_ext_name', [], 'Gateway Doctor')}`;
  clear(app);
  app.removeAttribute('aria-busy');
  app.append(
    e('h1', { class: 'page-title', text: t('ui_replay_title', [], 'Diagnose a report') }),
    e('p', { class: 'intro muted', text: t('ui_replay_intro', [], 'Paste a Gateway Doctor report, the HTML of an error page with its status and headers, or drop a HAR file saved from the browser’s developer tools (“Save all as HAR”). The same engine as the popup runs here, on this computer.') }),
    buildForm(),
    ui.result);
  wireDrop();
  setRoot('loading');
  try {
    const gd = await import('./pkg/replay/gateway_doctor_replay.js');
    await gd.default({ module_or_path: api.runtime.getURL('pkg/replay/gateway_doctor_replay_bg.wasm') });
    ({ diagnosePage: diagnose, replayReportText: replayReport } = gd);
  } catch (/** @type {any} */ err) {
    showError(t('ui_replay_engine_failed', [String((err && err.message) || err)], `The diagnosis engine could not be loaded: ${(err && err.message) || err}`));
    return;
  }
  setRoot('idle');
  app.dataset.engine = 'ready';
}

main().catch((err) => showError(String((err && err.message) || err)));
