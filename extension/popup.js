// @ts-check
// The popup: what broke, whose fault, and buttons that fix what can be fixed.
//
// `popup.html?tab=<tabId>` shows that tab (tests, support tooling); otherwise the active tab.
// All actions run in the background (lib/actions.js via RUN_ACTION) so they continue after the
// popup closes. All text goes through `textContent` (lib/render.js `h`); page-derived strings
// are never parsed as HTML.

import { api, t, isFirefox, platformOs, extensionOrigin } from './lib/browser.js';
import { MSG, request } from './lib/protocol.js';
import {
  h, append, clear, checkbox, popupModel, dnsCommands, browserDnsPage, mailtoDraft, cleanText,
} from './lib/render.js';
import { formatCountdown } from './lib/retry.js';
import { siteAccess, loadQuietSites, setQuiet } from './lib/sites.js';

const app = document.getElementById('app');
const e = (tag, props, ...kids) => h(document, tag, props, ...kids);
// Node.append() would print `null` for a skipped child; this skips it.
const add = (el, ...kids) => append(document, el, kids);
const params = new URLSearchParams(location.search);

let tabId = null;
let state = null;
let model = null;
let owner = false;
let renderedKey = null;
let os = null;
// The tab's site (host name), whether the visitor asked not to diagnose it, and whether the
// extension may see it at all (lib/sites.js siteAccess).
let site = null;
let quiet = false;
let access = { site: null, origins: [], granted: true };
// Test/support hook: `?retry_first_delay_s=2` shortens the first auto-retry wait (min 1 s).
const firstDelayParam = Number(params.get('retry_first_delay_s')) || null;

// Elements refreshed without a full re-render.
let retryBox = null;
let statusBox = null;
let confirmBox = null;
let triedBox = null;

const report = {
  open: false, format: 'markdown', keep_query: false, include_excerpt: false,
  data: /** @type {Engine.BuiltReport | null} */ (null), error: null,
};

// ---------------------------------------------------------------------------------------------

async function resolveTab() {
  const p = params.get('tab');
  if (p !== null && /^\d{1,10}$/.test(p)) return Number(p);
  try {
    const [tab] = await api.tabs.query({ active: true, currentWindow: true });
    return tab ? tab.id : null;
  } catch {
    return null;
  }
}

async function loadPrefs() {
  try {
    const got = await api.storage.local.get('prefs');
    return { owner: false, keep_query: false, include_excerpt: false, .../** @type {object} */ (got.prefs || {}) };
  } catch {
    return { owner: false, keep_query: false, include_excerpt: false };
  }
}

async function refresh() {
  if (tabId === null) {
    state = null;
  } else {
    const res = await request(api, MSG.GET_STATE, { tabId });
    if (!res.ok) {
      renderError(res.error);
      return;
    }
    state = res.state || null;
  }
  await loadSite();
  render();
}

/** The tab's address: the stored failure's, else the tab's own (activeTab gives it on click). */
async function loadSite() {
  let url = (state && state.url) || '';
  if (!url && tabId !== null) {
    try {
      url = (await api.tabs.get(tabId)).url || '';
    } catch { /* tab gone */ }
  }
  access = await siteAccess(url);
  site = access.site;
  quiet = site ? (await loadQuietSites()).includes(site) : false;
}

function renderError(text) {
  clear(app);
  app.dataset.state = 'error';
  app.removeAttribute('aria-busy');
  app.append(
    e('h1', { class: 'headline', text: t('ui_popup_error', [], 'Gateway Doctor could not load this tab') }),
    e('p', { class: 'muted', text: cleanText(text, 300) }),
  );
}

// ---------------------------------------------------------------------------------------------
// Rendering

// Whether the last rendered state had a running auto-retry: when the site comes back the tab
// reloads, its failure is forgotten and the popup would just say "nothing wrong" — say why.
let retryWasRunning = false;

function render() {
  const r = state && state.retry;
  const recovered = !r && !(state && state.diagnosis) && retryWasRunning;
  if (r) retryWasRunning = !!(r.active || r.outcome === 'recovered');
  else if (state && state.diagnosis) retryWasRunning = false;
  model = popupModel(state, { owner, t });
  const key = JSON.stringify([state && state.at, state && state.url, owner, model.empty, site, quiet, access.granted]);
  if (key === renderedKey) {
    updateDynamic();
    return;
  }
  renderedKey = key;
  retrySig = null;
  const focusId = document.activeElement && document.activeElement.id;
  clear(app);
  app.removeAttribute('aria-busy');
  for (const [k, v] of Object.entries(model.data)) app.setAttribute(`data-${k}`, v);
  if (model.expired) {
    app.dataset.state = 'expired';
    app.append(
      e('h1', { class: 'headline', id: 'headline', text: model.headline }),
      e('p', { class: 'muted', text: t('ui_expired_hint', [], 'Gateway Doctor keeps the diagnoses of many failing tabs; this one was the oldest unviewed and was dropped to make room. Reloading the page checks it again.') }),
      e('p', { class: 'actions' }, e('button', {
        type: 'button', id: 'reload-expired',
        text: t('ui_expired_reload', [], 'Reload this page'),
        on: { click: () => { api.tabs.reload(tabId).catch(() => {}); } },
      })),
      footer(),
    );
    return;
  }
  if (quiet) {
    // Asked not to diagnose this site: say so (not "nothing wrong", which nobody checked).
    app.dataset.state = 'quiet';
    app.append(
      e('h1', { class: 'headline', id: 'headline', text: t('ui_quiet_headline', [site], `Gateway Doctor leaves ${site} alone`) }),
      e('p', { class: 'muted', text: t('ui_quiet_hint', [], 'You asked not to diagnose this site: its failures are not looked at, and nothing is shown for them. Switch it back on below or in the options.') }),
      quietSwitch(),
      footer(),
    );
    return;
  }
  if (model.empty && !access.granted) {
    // Site access restricted (Chrome "on click" / "on specific sites", Firefox permission not
    // granted): the failures of this site are invisible, so "nothing wrong" would be a guess.
    app.dataset.state = 'restricted';
    const out = e('p', { class: 'status', id: 'status', role: 'status', 'aria-live': 'polite', hidden: true });
    app.append(
      e('h1', {
        class: 'headline', id: 'headline',
        text: site ? t('ui_access_headline', [site], `Gateway Doctor can't see ${site}`)
          : t('ui_access_headline_tab', [], "Gateway Doctor can't see this tab"),
      }),
      e('p', { class: 'muted', text: t('ui_access_hint', [], 'Its site access is limited in your browser (for example "On click" or "On specific sites"), so it cannot see whether pages of this site fail, nor read their error pages.') }),
      e('p', { class: 'actions' }, e('button', {
        type: 'button', id: 'grant-access', class: 'primary',
        // permissions.request needs this click's user gesture: it is the first call.
        on: {
          click: async () => {
            let granted = false;
            try {
              granted = await api.permissions.request({ origins: access.origins });
            } catch { granted = false; }
            out.hidden = false;
            clear(out);
            if (!granted) {
              out.textContent = t('ui_access_refused', [], 'Access was not given; nothing changed.');
              return;
            }
            out.append(t('ui_access_granted', [], 'Access given. Failures of this site are seen from the next load on.'), ' ',
              e('button', {
                type: 'button', id: 'reload-granted', class: 'small',
                on: { click: () => { api.tabs.reload(tabId).catch(() => {}); } },
              }, t('ui_expired_reload', [], 'Reload this page')));
          },
        },
      }, site ? t('ui_access_grant', [site], `Allow Gateway Doctor on ${site}`)
        : t('ui_access_grant_all', [], 'Allow Gateway Doctor on all sites'))),
      out,
      footer(),
    );
    return;
  }
  if (model.empty) {
    app.dataset.state = 'empty';
    app.append(
      e('div', { class: 'calm' },
        e('div', { class: 'calm-mark', 'aria-hidden': 'true', text: '✓' }),
        e('h1', { class: 'headline', id: 'headline', text: model.headline }),
        recovered
          ? e('p', { class: 'status', id: 'status', role: 'status', text: t('ui_retry_outcome_recovered', [], RETRY_OUTCOME_EN.recovered) })
          : null,
        e('p', { class: 'muted', text: t('ui_empty_hint', [], 'When a page fails to load (a 502, a Cloudflare error, a DNS failure…), Gateway Doctor shows here what broke and what you can do.') })),
      quietSwitch(),
      footer(),
    );
    return;
  }
  app.dataset.state = 'diagnosed';
  app.append(
    header(),
    // Node.append writes a null as the text "null": only a section that exists.
    ...[apiSection()].filter(Boolean),
    (retryBox = e('div', { id: 'retry', class: 'retry', 'aria-live': 'polite', hidden: true })),
    (statusBox = e('div', { id: 'status', class: 'status', role: 'status', 'aria-live': 'polite', hidden: true })),
    (confirmBox = e('div', { id: 'confirm', class: 'confirm', role: 'alertdialog', 'aria-labelledby': 'confirm-text', hidden: true })),
    remediesSection(),
    whySection(),
    reportSection(),
    quietSwitch(),
    footer(),
  );
  updateDynamic();
  if (lastStatus.text) showStatus(lastStatus.text, { alert: lastStatus.alert });
  if (focusId) document.getElementById(focusId)?.focus();
}

function header() {
  const m = model;
  const chips = [
    m.family && e('span', { class: 'chip', title: t('ui_label_family', [], 'Variant') }, m.variant ? `${m.family} · ${m.variant}` : m.family),
    m.code && e('span', { class: 'chip chip-code', title: t('ui_label_code', [], 'Code') }, m.code),
  ];
  return e('header', { class: `head fault-${m.data.fault}` },
    e('h1', { class: 'headline', id: 'headline', text: m.headline }),
    // The core's title often says what the headline says; show it only when it adds something.
    m.title && m.title.trim().toLowerCase() !== m.headline.trim().toLowerCase()
      ? e('p', { class: 'title', id: 'diag-title', text: m.title }) : null,
    e('p', { class: 'chips' }, chips,
      e('span', { class: 'chip chip-fault' }, t('ui_label_fault', [m.fault], `Whose side: ${m.fault}`))),
    m.summary && e('p', { class: 'summary', text: m.summary }),
    m.partial ? e('p', { class: 'muted', id: 'partial', text: t('ui_partial', [], 'From the server\'s answer so far; the page itself is still arriving.') }) : null,
  );
}

/** A page whose own requests fail (issue 17 part 1): which calls, and who answered them. */
function apiSection() {
  if (!model.api) return null;
  return e('section', { class: 'api-calls', id: 'api-calls', 'aria-labelledby': 'api-h' },
    e('h2', { id: 'api-h', text: t('ui_api_heading', [], "This page's own requests are failing:") }),
    e('ul', { class: 'api-list', id: 'api-list' }, model.api.failures.map((f) => e('li', { 'data-path': f.path, 'data-code': f.code },
      t('ui_api_item', [f.path, f.code, f.who], `${f.path} → ${f.code} (${f.who})`),
      f.count > 1 ? e('span', { class: 'muted small', text: ` · ${t('ui_api_times', [String(f.count)], `failed ${f.count} times`)}` }) : null))),
    e('p', { class: 'small muted', text: t('ui_api_hint', [], 'The page itself arrived, so the browser shows no error; the app inside it could not get its data from the website\'s server. What follows is about the worst of these calls.') }));
}

function remediesSection() {
  const m = model;
  const list = e('ol', { class: 'remedies', id: 'remedies' });
  m.remedies.forEach((r, i) => list.append(remedyItem(r, i)));
  if (!m.remedies.length) {
    list.append(e('li', { class: 'muted', text: t('ui_no_remedies', [], 'No remedy to offer for this one — waiting a few minutes is the best bet.') }));
  }
  const ownerSwitch = e('label', { class: 'switch', for: 'owner' },
    e('input', {
      type: 'checkbox', id: 'owner', role: 'switch', checked: owner,
      'aria-checked': owner ? 'true' : 'false',
      on: {
        change: (ev) => {
          owner = ev.target.checked;
          render();
        },
      },
    }),
    e('span', { text: t('ui_owner_switch', [], 'I run this site') }),
    m.ownerCount ? e('span', { class: 'count', title: t('ui_owner_count', [String(m.ownerCount)], `${m.ownerCount} tips for the owner`), text: `+${m.ownerCount}` }) : null);
  return e('section', { class: 'remedies-section', 'aria-labelledby': 'remedies-h' },
    e('div', { class: 'section-head' },
      e('h2', { id: 'remedies-h', text: t('ui_remedies_heading', [], 'What you can do') }),
      ownerSwitch),
    list,
    triedBox = e('p', { class: 'tried muted small', id: 'tried', hidden: true }));
}

/** One remedy: a button that acts (when it has an action) and its steps. */
function remedyItem(r, index) {
  const type = r.action && r.action.type;
  const li = e('li', { class: `remedy audience-${r.audience}`, 'data-remedy': r.id, 'data-action': type || '' });
  const btnId = `do-${r.id}`;
  const stepsList = r.steps.length
    ? e('ol', { class: 'steps' }, r.steps.map((s) => e('li', { text: s })))
    : null;
  const ownerTag = r.audience === 'owner' ? e('span', { class: 'tag', text: t('ui_owner_tag', [], 'for the owner') }) : null;

  switch (type) {
    case 'reload_bypass_cache':
    case 'clear_site_cache':
    case 'sign_out_site':
    case 'open_private_window':
    case 'auto_retry': {
      const btn = e('button', {
        type: 'button', id: btnId, class: index === 0 ? 'primary' : '',
        on: { click: () => runAction(r.id, type === 'auto_retry' && firstDelayParam ? { first_delay_s: firstDelayParam } : {}, btnId) },
      }, r.title);
      add(li, btn, ownerTag);
      if (type === 'auto_retry' && model.retryAllowed) {
        add(li, e('p', { class: 'hint small muted', text: t('ui_retry_hint', [], 'Checks the site quietly (without your cookies) and reloads this tab once it answers again.') }));
      }
      if (type === 'auto_retry' && !model.retryAllowed) {
        btn.disabled = true;
        add(li, e('p', { class: 'muted small', text: t('ui_retry_not_get', [], 'This page was the answer to a form you sent. Retrying could send it twice, so Gateway Doctor will not retry it automatically.') }));
      }
      if (type === 'clear_site_cache') {
        add(li, e('button', {
          type: 'button', id: 'do-sign_out_site', class: 'link warn',
          on: { click: () => runAction('sign_out_site', {}, 'do-sign_out_site') },
        }, t('ui_sign_out_button', [], 'Also sign me out of this site…')));
      }
      break;
    }
    case 'open_url': {
      const btn = e('button', {
        type: 'button', id: btnId, class: index === 0 ? 'primary' : '',
        title: r.action.url,
        on: { click: () => runAction(r.id, {}, btnId) },
      }, r.title, e('span', { class: 'ext', 'aria-hidden': 'true', text: ' ↗' }));
      add(li, btn, ownerTag);
      break;
    }
    case 'copy_report': {
      add(li, e('button', {
        type: 'button', id: btnId, class: index === 0 ? 'primary' : '',
        on: { click: () => openReport(true) },
      }, r.title), ownerTag);
      break;
    }
    case 'copy_text': {
      add(li, e('p', { class: 'remedy-title' }, r.title, ownerTag));
      add(li, copyRow(r.action.text, r.id, btnId));
      if (r.id === 'flush_dns') add(li, browserDnsRow());
      break;
    }
    default: {
      add(li, e('p', { class: 'remedy-title' }, r.title, ownerTag));
      if (r.id === 'flush_dns') {
        const cmds = dnsCommands(os || (state.observation && state.observation.os));
        cmds.forEach((c, i) => add(li, copyRow(c, r.id, `${btnId}-${i}`)));
        add(li, browserDnsRow());
      }
    }
  }
  if (stepsList) {
    // The first remedy's steps are shown; the others fold away to keep the popup short.
    add(li, index === 0 && !type
      ? stepsList
      : e('details', { class: 'how' }, e('summary', { text: t('ui_how', [], 'How') }), stepsList));
  }
  return li;
}

/** A command with a copy button (flush DNS, copy_text remedies). */
function copyRow(text, remedyId, id) {
  const code = e('code', { class: 'cmd', text: cleanText(text, 500) });
  const btn = e('button', {
    type: 'button', id, class: 'small',
    'aria-label': t('ui_copy_command', [cleanText(text, 80)], `Copy: ${text}`),
    on: {
      click: async () => {
        const okCopy = await copyText(text);
        flash(btn, okCopy);
        if (remedyId) await request(api, MSG.RUN_ACTION, { tabId, remedyId, options: { outcome: okCopy ? 'copied' : 'copy_failed' } });
      },
    },
  }, t('ui_copy', [], 'Copy'));
  return e('div', { class: 'copy-row' }, code, btn);
}

function browserDnsRow() {
  const page = browserDnsPage(isFirefox);
  const how = isFirefox
    ? t('ui_dns_browser_firefox', [page], `Firefox keeps its own DNS cache: open ${page} and press “Clear DNS Cache”.`)
    : t('ui_dns_browser_chrome', [page], `The browser keeps its own DNS cache: open ${page} and press “Clear host cache”.`);
  return e('div', { class: 'dns-browser' },
    e('p', { class: 'small', text: how }),
    copyRow(page, null, 'copy-dns-page'));
}

function whySection() {
  const m = model;
  const list = e('ul', { class: 'evidence' },
    m.evidence.map((ev) => e('li', {},
      e('span', { class: 'src', text: t(`ui_source_${ev.source}`, [], ev.source) }), ' ',
      e('span', { class: 'detail', text: ev.detail }))));
  const ids = m.ids.length
    ? e('dl', { class: 'ids' }, m.ids.map((i) => [e('dt', { text: i.kind }), e('dd', {}, e('code', { text: i.value }))]))
    : null;
  return e('details', { class: 'why', id: 'why' },
    e('summary', { text: t('ui_why_heading', [], 'Why we think so') }),
    m.evidence.length ? list : e('p', { class: 'muted', text: t('ui_no_evidence', [], 'No detailed evidence recorded.') }),
    ids && e('p', { class: 'small', text: t('ui_ids_heading', [], 'References support will ask for:') }), ids,
    e('p', { class: 'small muted' },
      t('ui_page_label', [], 'Page:'), ' ', e('span', { class: 'url', text: m.url })),
    m.confidence !== null ? e('p', { class: 'small muted', text: t('ui_confidence', [String(m.confidence)], `Confidence: ${m.confidence} %`) }) : null);
}

// ---------------------------------------------------------------------------------------------
// Dynamic parts: retry countdown, status, tried list

let retrySig = null;

/** The button of the remedy that starts auto-retry (its id comes from the catalog). */
/** @returns {HTMLButtonElement | null} */
function retryButton() {
  return document.querySelector('#remedies li[data-action="auto_retry"] > button');
}

/** The remedy id a report copy is recorded under: the diagnosis' copy_report remedy if any. */
function reportRemedyId() {
  const list = (state && state.diagnosis && state.diagnosis.remedies) || [];
  const r = list.find((x) => x.action && x.action.type === 'copy_report');
  return r ? r.id : 'copy_report';
}

function updateDynamic() {
  if (!retryBox || model.empty) return;
  const r = state && state.retry;
  const tried = (state && state.tried) || [];
  if (triedBox) {
    const name = (id) => (model.remedies.find((x) => x.id === id) || {}).title || id;
    const list = tried.slice(-5).map((x) => `${name(x.id)} (${t(`ui_tried_${x.outcome}`, [], x.outcome)})`).join(', ');
    triedBox.hidden = !tried.length;
    triedBox.textContent = tried.length ? t('ui_tried', [list], `Already tried: ${list}`) : '';
  }
  // Rebuild the box only when the retry changed; a tick only updates the countdown text, so a
  // keyboard user sitting on "Cancel" keeps the focus.
  const sig = JSON.stringify(r ? [r.active, r.attempt, r.next_at, r.outcome, !!r.notify] : null);
  if (sig === retrySig && r && r.active) {
    const text = document.getElementById('retry-text');
    if (text) text.textContent = countdownText(r);
    return;
  }
  const hadFocus = retryBox.contains(document.activeElement);
  retrySig = sig;
  clear(retryBox);
  const startBtn = retryButton();
  if (r && r.active) {
    retryBox.hidden = false;
    retryBox.append(
      e('span', { class: 'spinner', 'aria-hidden': 'true' }),
      e('span', { id: 'retry-text', 'data-next-at': String(r.next_at), text: countdownText(r) }),
      e('button', { type: 'button', id: 'retry-cancel', class: 'small', on: { click: cancelRetry } },
        t('ui_retry_cancel', [], 'Cancel')),
    );
    add(retryBox, unclearNote(r));
    add(retryBox, r.notify
      ? e('p', { id: 'retry-notify-on', class: 'small muted', text: t('ui_notify_on', [], 'You will get a notification when the site is back.') })
      : e('button', { type: 'button', id: 'retry-notify', class: 'small link', on: { click: askNotify } },
        t('ui_notify_button', [], "Tell me when it's back")));
    if (startBtn) startBtn.disabled = true;
    if (hadFocus) document.getElementById('retry-cancel').focus();
  } else if (r && r.outcome) {
    retryBox.hidden = false;
    // The quiet check (without cookies) said the site is back, but the reload it triggered failed
    // again: the background stored a newer failure of this page after the retry ended. "The
    // site is back" would be a lie.
    const failedAgain = r.outcome === 'recovered' && state && typeof state.at === 'string'
      && Date.parse(state.at) > (r.ended_at || 0);
    const shown = failedAgain ? 'reload_failed' : r.outcome;
    retryBox.append(e('span', { id: 'retry-text', 'data-outcome': shown },
      t(`ui_retry_outcome_${shown}`, [String(r.attempt)], RETRY_OUTCOME_EN[shown] || shown)));
    add(retryBox, r.outcome === 'unclear' ? unclearNote(r) : null);
    if (startBtn && model.retryAllowed) startBtn.disabled = false;
  } else {
    retryBox.hidden = true;
  }
}

/**
 * Why the last check could not tell (the engine's retry::classify): it was answered by another
 * site, or by a 4xx meant for a visitor without cookies. Null when the last check was clear.
 */
function unclearNote(r) {
  if (!r || r.last_verdict !== 'unclear') return null;
  const text = r.redirected_to
    ? t('ui_retry_unclear_redirect', [r.redirected_to],
      `The last check was sent on to another site (${r.redirected_to}), whose answer says nothing about this page. So this tab was reloaded once to see for itself.`)
    : t('ui_retry_unclear_status', [String(r.last_status)],
      `The last check got ${r.last_status}, an answer for a visitor without your cookies, which does not prove this page works. So this tab was reloaded once to see for itself.`);
  return e('p', { id: 'retry-note', class: 'small muted', 'data-verdict': 'unclear', text });
}

function countdownText(r) {
  const left = formatCountdown(r.next_at - Date.now());
  return t('ui_retry_countdown', [left, String(r.attempt + 1), String(r.max_attempts)],
    `Checking again in ${left} (check ${r.attempt + 1} of ${r.max_attempts})`);
}

const RETRY_OUTCOME_EN = {
  recovered: 'The site is back — the page was reloaded.',
  gave_up: 'Stopped checking: the site is still down.',
  reload_failed: 'A check answered, but reloading the page failed again: it still fails for you. Try again later.',
  unclear: 'Stopped checking: the checks could not tell whether this page is back, and reloading it once did not bring it back. Try again later yourself.',
  cancelled: 'Auto-retry cancelled.',
  navigated_away: 'Auto-retry stopped: you left the page.',
  tab_closed: 'Auto-retry stopped.',
};

const OUTCOME_EN = {
  reloaded: 'Reloaded without the cache.',
  reloaded_get: 'Loaded the address again, without re-sending the form.',
  cache_cleared: "This site's cache was cleared and the page reloaded. Your sign-ins were kept.",
  whole_cache_cleared: 'The cache was emptied and the page reloaded. Your sign-ins were kept.',
  signed_out: "This site's cookies and saved data were deleted and the page reloaded.",
  opened_private: 'Opened in a private window.',
  opened: 'Opened in a new tab.',
  retry_started: 'Auto-retry is on: the page reloads by itself once the site answers again.',
  retry_running: 'Auto-retry is already running.',
  notify_on: 'You will get a notification when the site is back.',
  copied: 'Copied.',
  copy_failed: 'Could not copy; select the text and copy it yourself.',
  failed: 'That did not work.',
};

// The last status line survives a full re-render (a hard refresh that fails again brings a new
// diagnosis, and the visitor should still read what just happened).
let lastStatus = { text: '', alert: false };

function showStatus(text, { alert = false } = {}) {
  lastStatus = { text: text || '', alert };
  if (!statusBox) return;
  statusBox.hidden = !text;
  statusBox.setAttribute('role', alert ? 'alert' : 'status');
  statusBox.className = `status${alert ? ' status-warn' : ''}`;
  statusBox.textContent = text || '';
}

/**
 * The confirmation panel: the text, Cancel, and one button per choice `{id, label, danger,
 * onYes}`. The first choice is `#confirm-yes`, the others `#confirm-yes-<id>`.
 */
function showConfirm(text, choices) {
  clear(confirmBox);
  confirmBox.hidden = false;
  const no = e('button', { type: 'button', id: 'confirm-no', on: { click: hideConfirm } }, t('ui_cancel', [], 'Cancel'));
  const yes = choices.map((c, i) => e('button', {
    type: 'button', id: i === 0 ? 'confirm-yes' : `confirm-yes-${c.id}`, class: c.danger === false ? '' : 'danger',
    on: {
      click: () => {
        hideConfirm();
        c.onYes();
      },
    },
  }, c.label));
  confirmBox.append(e('p', { id: 'confirm-text', text: text }), e('div', { class: 'row' }, no, ...yes));
  confirmBox.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') hideConfirm();
  });
  // The safe choice has the focus.
  no.focus();
}

function hideConfirm() {
  if (!confirmBox) return;
  confirmBox.hidden = true;
  clear(confirmBox);
}

// ---------------------------------------------------------------------------------------------
// Actions

async function runAction(remedyId, options, buttonId) {
  const btn = buttonId && /** @type {HTMLButtonElement | null} */ (document.getElementById(buttonId));
  if (btn) {
    btn.disabled = true;
    btn.setAttribute('aria-busy', 'true');
  }
  showStatus('');
  let res;
  try {
    res = await request(api, MSG.RUN_ACTION, { tabId, remedyId, options });
  } finally {
    if (btn) {
      btn.disabled = false;
      btn.removeAttribute('aria-busy');
    }
  }
  if (!res.ok) {
    showStatus(t('ui_action_failed', [cleanText(res.error, 200)], `That did not work: ${res.error}`), { alert: true });
    return;
  }
  const result = res.result || {};
  app.dataset.lastOutcome = result.outcome || '';
  const text = result.message ? t(result.message.id, result.message.args || [], result.message.text) : '';
  if (result.needs_confirm) {
    // The background says what each button does (lib/actions.js `choices`); each label is the
    // whole truth about what that button deletes or loads.
    const choices = Array.isArray(result.choices) ? result.choices.filter((c) => c && c.label) : [];
    if (!choices.length) {
      showStatus(text || t('ui_outcome_failed', [], OUTCOME_EN.failed), { alert: true });
      return;
    }
    showConfirm(text, choices.map((c) => ({
      id: String(c.id || 'yes').replace(/[^a-z0-9_-]/gi, ''),
      label: t(c.label.id, c.label.args || [], c.label.text),
      danger: c.danger,
      onYes: () => runAction(remedyId, { ...options, ...(c.options || {}), confirmed: true }, buttonId),
    })));
    return;
  }
  const bad = /failed|refused/.test(result.outcome || '');
  showStatus(text || t(`ui_outcome_${result.outcome}`, [], OUTCOME_EN[result.outcome] || ''), { alert: bad });
  await refresh();
}

/**
 * "Tell me when it's back": asks for the optional `notifications` permission in this click's
 * user gesture (first call; the background cannot ask), then adds the wish to the running retry.
 */
async function askNotify() {
  let granted = false;
  try {
    granted = await api.permissions.request({ permissions: ['notifications'] });
  } catch { granted = false; }
  if (!granted) {
    showStatus(t('ui_notify_refused', [], 'Notifications were not allowed, so none will be shown. The page still reloads by itself when the site is back.'));
    return;
  }
  const li = retryButton()?.closest('li');
  await runAction((li && li.dataset.remedy) || 'auto_retry', { notify: true }, 'retry-notify');
}

async function cancelRetry() {
  await request(api, MSG.CANCEL_RETRY, { tabId });
  await refresh();
  retryButton()?.focus();
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API refused (no focus / permission): the old way still works in extension pages.
    const ta = e('textarea', { class: 'offscreen', 'aria-hidden': 'true' });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let done = false;
    try {
      done = document.execCommand('copy');
    } catch { /* ignore */ }
    ta.remove();
    return done;
  }
}

function flash(btn, good) {
  const old = btn.textContent;
  btn.textContent = good ? t('ui_copied', [], 'Copied ✓') : t('ui_copy_failed_short', [], 'Copy failed');
  setTimeout(() => {
    btn.textContent = old;
  }, 1500);
}

// ---------------------------------------------------------------------------------------------
// Report

function reportSection() {
  const d = e('details', {
    class: 'report', id: 'report',
    on: {
      toggle: (ev) => {
        report.open = ev.target.open;
        if (report.open) loadReport();
      },
    },
  });
  d.append(e('summary', { text: t('ui_report_heading', [], 'Copy a report for support or the site owner') }));
  const check = (key, label, warn) => checkbox(document, {
    id: `report-${key}`, checked: report[key], label, note: warn, noteSuffix: 'warn', noteClass: 'small warn-text',
    onChange: (on) => {
      report[key] = on;
      loadReport();
    },
  });
  d.append(
    e('p', { class: 'small muted', text: t('ui_report_intro', [], 'Contains the error, the server and CDN headers that identify it, request ids and the time. Never cookies, passwords or form data. Nothing is sent: you copy it and decide where it goes.') }),
    check('keep_query', t('ui_report_keep_query', [], 'Keep the full address (query string)'),
      t('ui_report_keep_query_warn', [], 'The part after “?” can contain personal data, such as search terms, e-mail addresses or session tokens.')),
    check('include_excerpt', t('ui_report_include_excerpt', [], 'Include a short excerpt of the error page')),
    e('fieldset', { class: 'format' },
      e('legend', { text: t('ui_report_preview', [], 'Preview of exactly what will be copied') }),
      radio('markdown', 'Markdown'), radio('json', 'JSON')),
    e('pre', { id: 'report-preview', class: 'preview', tabindex: '0', 'aria-labelledby': 'report-preview-label' }),
    e('span', { id: 'report-preview-label', class: 'offscreen', text: t('ui_report_preview', [], 'Preview of exactly what will be copied') }),
    e('div', { class: 'row' },
      e('button', { type: 'button', id: 'copy-md', on: { click: () => copyReport('markdown', 'copy-md') } }, t('ui_copy_markdown', [], 'Copy as Markdown')),
      e('button', { type: 'button', id: 'copy-json', on: { click: () => copyReport('json', 'copy-json') } }, t('ui_copy_json', [], 'Copy as JSON')),
      e('a', { id: 'mail-owner', class: 'button', href: 'mailto:', target: '_blank', rel: 'noopener' }, t('ui_email_owner', [], 'Email the site owner'))),
  );
  return d;
}

function radio(value, label) {
  return e('label', { class: 'radio', for: `fmt-${value}` },
    e('input', {
      type: 'radio', name: 'fmt', id: `fmt-${value}`, value, checked: report.format === value,
      on: {
        change: () => {
          report.format = value;
          showReport();
        },
      },
    }), ` ${label}`);
}

function openReport(focus) {
  const d = /** @type {HTMLDetailsElement | null} */ (document.getElementById('report'));
  if (!d) return;
  d.open = true;
  report.open = true;
  loadReport();
  if (focus) {
    d.scrollIntoView({ block: 'start' });
    d.querySelector('summary')?.focus();
  }
}

let reportSeq = 0;
async function loadReport() {
  const seq = ++reportSeq;
  const pre = document.getElementById('report-preview');
  if (pre) pre.textContent = t('ui_loading', [], 'Loading…');
  const res = await request(api, MSG.BUILD_REPORT, {
    tabId, options: { keep_query: report.keep_query, include_excerpt: report.include_excerpt },
  });
  if (seq !== reportSeq) return; // a newer request (switch toggled) won
  if (res.ok && res.report && typeof res.report.markdown === 'string') {
    report.data = res.report;
    report.error = null;
  } else {
    report.data = null;
    report.error = res.error || 'no report';
  }
  showReport();
}

function showReport() {
  const pre = document.getElementById('report-preview');
  if (!pre) return;
  const buttons = ['copy-md', 'copy-json'].map((id) => /** @type {HTMLButtonElement | null} */ (document.getElementById(id)));
  const mail = document.getElementById('mail-owner');
  if (!report.data) {
    pre.textContent = t('ui_report_error', [cleanText(report.error, 200)], `The report could not be built: ${report.error}`);
    pre.classList.add('error');
    buttons.forEach((b) => { if (b) b.disabled = true; });
    if (mail) mail.hidden = true;
    return;
  }
  pre.classList.remove('error');
  buttons.forEach((b) => { if (b) b.disabled = false; });
  pre.textContent = report.format === 'json' ? report.data.json : report.data.markdown;
  if (mail) {
    mail.hidden = false;
    let host = '';
    try { host = new URL(state.url).host; } catch { /* keep empty */ }
    const subject = t('ui_email_subject', [host], `Your website ${host} shows an error`);
    mail.setAttribute('href', mailtoDraft(subject, report.data.markdown, {
      cutNote: t('ui_email_cut', [], '[Report shortened — ask me for the full copy.]'),
    }));
  }
}

async function copyReport(format, btnId) {
  if (!report.data) return;
  const text = format === 'json' ? report.data.json : report.data.markdown;
  const okCopy = await copyText(text);
  app.dataset.copiedFormat = okCopy ? format : '';
  flash(document.getElementById(btnId), okCopy);
  await request(api, MSG.RUN_ACTION, { tabId, remedyId: reportRemedyId(), options: { outcome: okCopy ? 'copied' : 'copy_failed' } });
}

// ---------------------------------------------------------------------------------------------

/** "Don't diagnose <site>" (null for pages that are not websites). Stored in storage.local. */
function quietSwitch() {
  if (!site) return null;
  return e('div', { class: 'quiet small' }, checkbox(document, {
    id: 'quiet-site', checked: quiet,
    label: t('ui_quiet_switch', [site], `Don't diagnose ${site}`),
    onChange: async (on) => {
      await setQuiet(site, on);
      // The badge of a failure shown before would stay on the icon; the stored diagnosis is
      // kept (switching back shows it again) but the icon goes quiet with the site.
      if (on && tabId !== null) await api.action.setBadgeText({ tabId, text: '' }).catch(() => {});
      await refresh();
      document.getElementById('quiet-site')?.focus();
    },
  }));
}

function footer() {
  return e('footer', { class: 'foot' },
    e('button', {
      type: 'button', id: 'open-replay', class: 'link',
      on: {
        click: async () => {
          await api.tabs.create({ url: api.runtime.getURL('replay.html') });
          window.close();
        },
      },
    }, t('ui_open_replay', [], 'Diagnose a report…')),
    e('button', {
      type: 'button', id: 'open-options', class: 'link',
      on: { click: () => api.runtime.openOptionsPage() },
    }, t('ui_open_options', [], 'Options')));
}

async function main() {
  document.documentElement.lang = t('@@ui_locale', [], 'en').replace('_', '-');
  document.title = t('ui_ext_name', [], 'Gateway Doctor');
  const [id, prefs, platform] = await Promise.all([resolveTab(), loadPrefs(), platformOs()]);
  tabId = id;
  os = platform || null;
  owner = !!prefs.owner;
  report.keep_query = !!prefs.keep_query;
  report.include_excerpt = !!prefs.include_excerpt;
  await refresh();
  // Live updates: the background writes storage.session (retry ticks, new diagnosis).
  api.storage.onChanged.addListener((changes, area) => {
    if (area === 'session' && tabId !== null && changes[`tab:${tabId}`]) {
      state = changes[`tab:${tabId}`].newValue || null;
      render();
    }
  });
  api.runtime.onMessage.addListener((msg) => {
    if (msg && msg.type === MSG.STATE_CHANGED && msg.tabId === tabId) refresh();
  });
  // The countdown ticks locally between state changes.
  setInterval(() => {
    if (state && state.retry && state.retry.active) updateDynamic();
  }, 500);
}

// `extensionOrigin` is imported so a copy of this page served from elsewhere fails loudly.
if (!location.href.startsWith(extensionOrigin())) throw new Error('popup must run as an extension page');
main().catch((err) => renderError(String((err && err.message) || err)));
