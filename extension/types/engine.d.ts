// The engine's boundary types, named once for the extension's JSDoc
// (`@typedef {import('../types/engine.js').Diagnosis} Diagnosis`).
//
// They are read off the generated module's function signatures, so they are exactly what the
// wasm-bindgen/tsify typings say: `any` while the typings say `any`, and the Rust structs' own
// fields once the module exports tsify types; then a field renamed in Rust fails `make typecheck`
// wherever the JS reads it. When the module moves (extension/pkg/worker/...), change this one
// import and the path in tsconfig.json's "files".
import type * as Engine from '../pkg/gateway_doctor.js';

/** What the background observed of a failed load: `diagnose`'s input. */
export type Observation = Parameters<typeof Engine.diagnose>[0];
/** The engine's verdict: variant/vendor, fault, ranked remedies. */
export type Diagnosis = ReturnType<typeof Engine.diagnose>;
/** `buildReport`'s input (observation, diagnosis, remedies tried, switches…). */
export type ReportInput = Parameters<typeof Engine.buildReport>[0];
/** `buildReport`'s output: `{report, json, markdown}`. */
export type BuiltReport = ReturnType<typeof Engine.buildReport>;
/** What is kept of a page body: `{length, blank, excerpt}`. */
export type BodySummary = ReturnType<typeof Engine.bodySummary>;
