// @ts-check
// The service worker's engine (crates/worker): its WASM module, instantiated once per worker
// start. Every caller awaits `engine()` before calling into it: a worker woken by an event (an
// alarm, a message, a failed load) runs the listener before the module is instantiated, and a
// call into a module that is not instantiated throws.
//
// Only the background loads it (background.js, lib/actions.js). The popup does not: it shows
// what the background stored, and keeps its few computations in plain JS (lib/retry.js).

import init, * as gd from '../pkg/worker/gateway_doctor_worker.js';
import { api } from './browser.js';

/** @type {Promise<EngineModule> | null} */
let loading = null;

/**
 * The engine's functions, once its module is instantiated. The first call starts the
 * instantiation; background.js makes it at start-up, so an event usually finds it done.
 * @returns {Promise<EngineModule>}
 */
export function engine() {
  if (!loading) {
    loading = init({ module_or_path: api.runtime.getURL('pkg/worker/gateway_doctor_worker_bg.wasm') })
      .then(() => gd);
  }
  return loading;
}
