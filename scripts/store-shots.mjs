// Store screenshots (1280×800, the size the Chrome Web Store and addons.mozilla.org take): the
// failing page as the visitor sees it, with Gateway Doctor's popup for that tab open over its
// top-right corner, as it opens under the toolbar icon. Used by `make demo` (dist/store/) and
// tested in tests/e2e/store-shots.test.mjs.

import { writeFileSync } from 'node:fs';

export const STORE_WIDTH = 1280;
export const STORE_HEIGHT = 800;

/** Width and height of a PNG, from its IHDR chunk. */
export function pngSize(buf) {
  if (buf.length < 24 || buf.toString('latin1', 1, 4) !== 'PNG') throw new Error('not a PNG');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/**
 * Writes `file`: tab `tabId`'s page (a Playwright page of the harness `h`) at 1280×800 with the
 * popup of that tab drawn over it. Returns the PNG bytes.
 */
export async function storeScreenshot(h, tabId, file) {
  const page = await h.pageOf(tabId);
  await page.setViewportSize({ width: STORE_WIDTH, height: STORE_HEIGHT });
  const backdrop = await page.screenshot({ type: 'png' });

  const popup = await h.context.newPage();
  await popup.setViewportSize({ width: 400, height: 700 });
  await popup.goto(`${h.extOrigin}/popup.html?tab=${tabId}`);
  await popup.locator('#app:not([data-state="loading"])').waitFor({ timeout: 10_000 });
  // The popup's own height, as the browser sizes it to its content (at most 600 px).
  const height = Math.min(600, await popup.evaluate(() => document.documentElement.scrollHeight));
  await popup.setViewportSize({ width: 400, height });
  const panel = await popup.screenshot({ type: 'png' });
  await popup.close();

  const sheet = await h.context.newPage();
  await sheet.setViewportSize({ width: STORE_WIDTH, height: STORE_HEIGHT });
  const img = (b) => `data:image/png;base64,${b.toString('base64')}`;
  await sheet.setContent(`<!doctype html><style>
    html,body{margin:0;width:${STORE_WIDTH}px;height:${STORE_HEIGHT}px;overflow:hidden;background:#fff}
    .page{position:absolute;inset:0;width:100%;height:100%}
    .popup{position:absolute;top:12px;right:24px;width:400px;border-radius:8px;
      box-shadow:0 8px 28px rgba(0,0,0,.35),0 0 0 1px rgba(0,0,0,.12)}
  </style><img class="page" src="${img(backdrop)}"><img class="popup" src="${img(panel)}">`);
  await sheet.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
  const png = await sheet.screenshot({ type: 'png' });
  await sheet.close();
  writeFileSync(file, png);
  return png;
}
