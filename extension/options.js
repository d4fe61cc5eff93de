// Options: the defaults the popup starts with. Stored in storage.local (this device only; no
// sync, so nothing leaves the browser).

import { api, t } from './lib/browser.js';
import { h, checkbox } from './lib/render.js';

const e = (tag, props, ...kids) => h(document, tag, props, ...kids);
const DEFAULTS = { owner: false, keep_query: false, include_excerpt: false };

async function main() {
  document.documentElement.lang = t('@@ui_locale', [], 'en').replace('_', '-');
  document.title = t('ui_options_title', [], 'Gateway Doctor options');
  const got = await api.storage.local.get('prefs');
  const prefs = { ...DEFAULTS, ...(got.prefs || {}) };
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

main();
