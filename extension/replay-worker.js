// @ts-check
// The replay page's HAR reader: a dedicated module Worker running the replay module
// (crates/replay, extension/pkg/replay/). It may block on synchronous file reads, which a page
// may not: the page stays responsive however big the file. The message protocol is the
// module's (crates/replay/src/web.rs): `ready`, then one `scan` → `progress`/`rows`… →
// `done` or `error`. The page cancels by terminating the worker.
import init, { startReplayWorker } from './pkg/replay/gateway_doctor_replay.js';

try {
  await init({ module_or_path: new URL('./pkg/replay/gateway_doctor_replay_bg.wasm', import.meta.url) });
  startReplayWorker();
} catch (/** @type {any} */ err) {
  self.postMessage({ type: 'error', message: String((err && err.message) || err) });
}
