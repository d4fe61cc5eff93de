// The engine's boundary types, named once for the extension's JSDoc (`Engine.Diagnosis`…).
// A global namespace rather than a module, so JS names them without a JSDoc `import(...)` of a
// file that is not shipped (scripts/package.mjs checks every import-looking specifier).
//
// They are the Rust structs' own declarations (tsify, the core's `ts` feature) in the service
// worker module's generated typings, so a field renamed in Rust fails `make typecheck` wherever
// the JS reads it. When the module moves, change the path below and the one in tsconfig.json's
// "files".
type EngineModule = typeof import('../pkg/worker/gateway_doctor_worker.js');

declare namespace Engine {
  /** What the background observed of a failed load: `diagnose`'s input. */
  type Observation = import('../pkg/worker/gateway_doctor_worker.js').Observation;
  /** The engine's verdict: variant/vendor, fault, ranked remedies. */
  type Diagnosis = import('../pkg/worker/gateway_doctor_worker.js').Diagnosis;
  /** `buildReport`'s input (observation, diagnosis, remedies tried, switches…). */
  type ReportInput = import('../pkg/worker/gateway_doctor_worker.js').ReportInput;
  /** `buildReport`'s output: `{report, json, markdown}`. */
  type BuiltReport = import('../pkg/worker/gateway_doctor_worker.js').BuiltReport;
  /** What is kept of a page body: `{length, blank, excerpt}`. */
  type BodySummary = import('../pkg/worker/gateway_doctor_worker.js').BodySummary;
  /** An auto-retry's record: the `retry` field of the tab's state (src/retry.rs). */
  type Retry = import('../pkg/worker/gateway_doctor_worker.js').Retry;
}
