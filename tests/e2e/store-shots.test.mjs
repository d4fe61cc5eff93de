// `make demo` writes store screenshots (issue 17 item 3): 1280×800 PNGs of a failing page with
// the popup open over it. This runs the same function on one page and checks the picture: the
// store's size, the popup drawn in the top-right corner, the page visible beside it.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch } from './harness.mjs';
import { storeScreenshot, pngSize, STORE_WIDTH, STORE_HEIGHT } from '../../scripts/store-shots.mjs';

let h;
let dir;
before(async () => {
  h = await launch();
  dir = mkdtempSync(path.join(os.tmpdir(), 'gd-store-'));
});
after(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a store screenshot is 1280×800 and shows the popup over the failing page', async () => {
  const page = await h.context.newPage();
  await page.goto(h.zoo.url('/nginx-502?store=1'));
  const tabId = await h.tabIdOf(page);
  await h.waitForBadge(tabId, '502');
  await h.waitForState(tabId);
  const file = path.join(dir, 'nginx.png');
  const png = await storeScreenshot(h, tabId, file);
  assert.deepEqual(pngSize(readFileSync(file)), { width: STORE_WIDTH, height: STORE_HEIGHT });
  assert.deepEqual(pngSize(png), { width: 1280, height: 800 });
  // Look at the picture: the popup's headline colour (the site-fault header) in the top-right
  // corner, the nginx page's white in the left half.
  const probe = await h.context.newPage();
  await probe.setContent('<canvas id=c width=1280 height=800></canvas>');
  const [left, popup] = await probe.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const ctx = document.getElementById('c').getContext('2d');
    ctx.drawImage(img, 0, 0);
    const at = (x, y) => [...ctx.getImageData(x, y, 1, 1).data.slice(0, 3)];
    // The popup spans x 856..1256 from y 12: count non-white pixels along a line through it.
    let inked = 0;
    for (let x = 870; x < 1240; x += 2) if (at(x, 60).some((c) => c < 200)) inked += 1;
    return [at(300, 700), inked];
  }, png.toString('base64'));
  assert.deepEqual(left, [255, 255, 255], 'the page itself, white, on the left');
  assert.ok(popup > 10, `the popup's headline is drawn top right (${popup} inked samples)`);
  await probe.close();
  await page.close();
});
