#!/usr/bin/env bash
# `make bench`: native, WASM (under Node) and plain-JS-baseline speed of the classifier on the
# same corpus, with the goals checked. Writes target/bench/summary.json and prints it.
#
#   1. dump the compiled signature tables and generate the JS RegExp baseline from them
#   2. write the corpus every engine times (fixtures, real pages, synthetic 64 KB pages, adversarial inputs)
#   3. native: cargo bench --profile bench-native --bench engine (release + unwind, see Cargo.toml)
#   4. WASM + baseline under Node, each checked to give the native family/kind/code on every page
#   5. summary + goals (WASM >= 3x baseline, p99 <= 200 µs up to 64 KB, .wasm <= 400 KB)
#
# The WASM module is rebuilt first (scripts/build-wasm.sh) so the figures are for this tree;
# GD_BENCH_NO_WASM_BUILD=1 uses extension/pkg as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
GD_CACHE="${GD_CACHE:-$HOME/.cache/gateway-doctor}"
# shellcheck disable=SC1091
[ -f "$GD_CACHE/env.sh" ] && . "$GD_CACHE/env.sh"

mkdir -p target/bench
say() { printf '\n==> %s\n' "$*"; }

say "signature tables -> JS baseline"
cargo run -q --example dump-signatures > target/bench/signatures.json
node scripts/gen-js-baseline.mjs target/bench/signatures.json target/bench/baseline.mjs

say "corpus"
node scripts/bench.mjs corpus

say "native (cargo bench --profile bench-native --bench engine)"
cargo bench -q --profile bench-native --bench engine

if [ "${GD_BENCH_NO_WASM_BUILD:-0}" != 1 ]; then
  say "wasm build (scripts/build-wasm.sh)"
  scripts/build-wasm.sh
fi

say "WASM under Node + JS baseline"
node scripts/bench.mjs js

say "summary (target/bench/summary.json)"
node scripts/bench.mjs summary
