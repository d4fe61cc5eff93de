// The engine's boundary types, named once for the extension's JSDoc (`Engine.Diagnosis`…).
// A global namespace rather than a module, so JS names them without a JSDoc `import(...)` of a
// file that is not shipped (scripts/package.mjs checks every import-looking specifier).
//
// They are read off the generated module's function signatures, so they are exactly what the
// wasm-bindgen/tsify typings say: `any` while the typings say `any`, and the Rust structs' own
// fields once the module exports tsify types; then a field renamed in Rust fails `make typecheck`
// wherever the JS reads it. When the module moves (extension/pkg/worker/...), change the path
// below and the one in tsconfig.json's "files".
type EngineModule = typeof import('../pkg/gateway_doctor.js');

declare namespace Engine {
  /** What the background observed of a failed load: `diagnose`'s input. */
  type Observation = Parameters<EngineModule['diagnose']>[0];
  /** The engine's verdict: variant/vendor, fault, ranked remedies. */
  type Diagnosis = ReturnType<EngineModule['diagnose']>;
  /** `buildReport`'s input (observation, diagnosis, remedies tried, switches…). */
  type ReportInput = Parameters<EngineModule['buildReport']>[0];
  /** `buildReport`'s output: `{report, json, markdown}`. */
  type BuiltReport = ReturnType<EngineModule['buildReport']>;
  /** What is kept of a page body: `{length, blank, excerpt}`. */
  type BodySummary = ReturnType<EngineModule['bodySummary']>;
}
