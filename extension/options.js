// @ts-check
// Options: the defaults the popup starts with. Stored in storage.local (this device only; no
// sync, so nothing leaves the browser).

import { api, t } from './lib/browser.js';
import { h, checkbox, clear } from './lib/render.js';
import { loadQuietSites, setQuiet, normalizeSites, QUIET_KEY } from './lib/sites.js';

const e = (tag, props, ...kids) => h(document, tag, props, ...kids);
const DEFAULTS = { owner: false, keep_query: false, include_excerpt: false };

async function main() {
  document.documentElement.lang = t('@@ui_locale', [], 'en').replace('_', '-');
  document.title = t('ui_options_title', [], 'Gateway Doctor options');
  const got = await api.storage.local.get('prefs');
  const prefs = { ...DEFAULTS, .../** @type {object} */ (got.prefs || {}) };
  const app = document.getElementById('app');
  const saved = e('p', { id: 'saved', class: 'small muted', role: 'status', 'aria-live': 'polite' });
  const save = async () => {
    await api.storage.local.set({ prefs });
    saved.textContent = t('ui_options_saved', [], 'Saved.');
  };
  const check = (key, label, hint) => checkbox(document, {
    id: `opt-${key}`, checked: prefs[key], label, note: hint,
    onChange: (on) => {
      prefs[key] = on;
      save();
    },
  });
  app.append(
    e('h1', { class: 'headline', text: t('ui_options_title', [], 'Gateway Doctor options') }),
    e('h2', { class: 'opt-h', text: t('ui_options_popup', [], 'Popup') }),
    check('owner', t('ui_options_owner', [], 'I run websites: show the tips for site owners by default'),
      t('ui_options_owner_hint', [], 'You can still switch them on or off in the popup for each page.')),
    e('h2', { class: 'opt-h', text: t('ui_options_report', [], 'Reports') }),
    check('keep_query', t('ui_report_keep_query', [], 'Keep the full address (query string)'),
      t('ui_report_keep_query_warn', [], 'The part after “?” can contain personal data, such as search terms, e-mail addresses or session tokens.')),
    check('include_excerpt', t('ui_report_include_excerpt', [], 'Include a short excerpt of the error page')),
    quietSection(),
    e('h2', { class: 'opt-h', text: t('ui_options_support', [], 'Support') }),
    e('p', {},
      e('button', {
        type: 'button', id: 'open-replay', class: 'link',
        on: { click: () => api.tabs.create({ url: api.runtime.getURL('replay.html') }) },
      }, t('ui_open_replay', [], 'Diagnose a report…'))),
    e('p', { class: 'small muted', text: t('ui_options_privacy', [], 'Gateway Doctor works entirely in your browser. It sends nothing anywhere; the only requests it makes are the re-checks of a failing site that you switch on.') }),
    saved,
  );
  app.dataset.state = 'ready';
  app.removeAttribute('aria-busy');
}

/**
 * The "don't diagnose" list (lib/sites.js; the popup's per-site switch writes the same key).
 * Redrawn from storage.onChanged, so a switch flipped in the popup shows here at once.
 */
function quietSection() {
  const list = e('ul', { id: 'quiet-list', class: 'quiet-list' });
  const draw = (sites) => {
    clear(list);
    if (!sites.length) list.append(e('li', { class: 'muted', text: t('ui_options_quiet_none', [], 'None.') }));
    for (const host of sites) {
      list.append(e('li', { 'data-site': host }, e('span', { text: host }), ' ',
        e('button', {
          type: 'button', class: 'link small',
          on: { click: async () => draw(await setQuiet(host, false)) },
        }, t('ui_options_quiet_remove', [host], `Diagnose ${host} again`))));
    }
  };
  const input = e('input', { type: 'text', id: 'quiet-add-host' });
  const add = async (ev) => {
    ev.preventDefault();
    const [host] = normalizeSites([input.value]);
    if (!host) return;
    draw(await setQuiet(host, true));
    input.value = '';
  };
  loadQuietSites().then(draw);
  api.storage.onChanged.addListener((changes, area) => {
    if (area === 'local' && changes[QUIET_KEY]) draw(normalizeSites(changes[QUIET_KEY].newValue));
  });
  return e('section', { id: 'quiet' },
    e('h2', { class: 'opt-h', text: t('ui_options_quiet', [], 'Sites not diagnosed') }),
    e('p', { class: 'small muted', text: t('ui_options_quiet_hint', [], 'Gateway Doctor does not look at failures of these sites (exact host names).') }),
    list,
    e('form', { id: 'quiet-add', on: { submit: add } },
      e('label', { for: 'quiet-add-host', text: t('ui_options_quiet_input', [], 'Host name, e.g. example.com') }), ' ',
      input, ' ',
      e('button', { type: 'submit', id: 'quiet-add-button' }, t('ui_options_quiet_add', [], 'Add'))));
}

main();
