#!/usr/bin/env bash
# Builds the extension's WebAssembly modules: for each crate in MODULES, wasm-pack (release,
# --target web, no downloads) into extension/pkg/<name>/, then a local wasm-opt when one is
# installed and proven to produce a module that still loads and answers. Run scripts/setup.sh
# first (make does).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GD_CACHE="${GD_CACHE:-$HOME/.cache/gateway-doctor}"
if [ ! -f "$GD_CACHE/env.sh" ]; then
  echo "build-wasm: $GD_CACHE/env.sh missing; run 'make setup' (scripts/setup.sh) first" >&2
  exit 1
fi
# shellcheck disable=SC1091
. "$GD_CACHE/env.sh"
cd "$ROOT"

# One line per module: <dir under extension/pkg/> <crate dir> <out-name> <rustc opt-level>
# <wasm-opt level>. Each page loads only its own module (the service worker: worker; the
# replay page and its HAR worker: replay). The service worker's module is built for speed
# (opt-level 3 and -O3: 373 KB against the 400 KB budget); the replay module is built for size
# as it was measured in crates/replay's e2e figures (README "How it is built"): at 3/-O3 it was
# 459 KB, over the budget.
MODULES=(
  "worker crates/worker gateway_doctor_worker 3 -O3"
  "replay crates/replay gateway_doctor_replay z -Oz"
)
# Own target dir: the wasm toolchain (possibly Debian's rustc) and the native one would
# otherwise invalidate each other's artifacts in ./target on every switch.
export CARGO_TARGET_DIR="$ROOT/target/wasm"
# Speed, like every build (Cargo.toml's release profile): the 400 KB budget per module
# (check-size.sh) leaves room for it.

build_module() {  # $1 = dir under extension/pkg, $2 = crate dir, $3 = out-name, $4 $5 = opt levels
  local PKG="$ROOT/extension/pkg/$1" CRATE="$2" NAME="$3" OPT="$5"
  export CARGO_PROFILE_RELEASE_OPT_LEVEL="$4"
  mkdir -p "$PKG"
  t0=$(date +%s)
  # --mode no-install: use the wasm-bindgen that setup.sh installed (pinned to Cargo.lock) and
  # never download one. wasm-opt is disabled in Cargo.toml's wasm-pack metadata for the same reason.
  # --no-pack: no package.json/README; the extension imports the glue directly.
  gd-wasm wasm-pack --quiet build "$ROOT/$CRATE" --release --target web --mode no-install --no-pack \
    --out-dir "$PKG" --out-name "$NAME"

  # Keep only what the extension loads (glue + wasm) and the typings that help editing its JS.
  for f in "$PKG"/* "$PKG"/.[!.]*; do
    [ -e "$f" ] || continue
    case "$(basename "$f")" in
      "$NAME.js" | "${NAME}_bg.wasm" | "$NAME.d.ts" | "${NAME}_bg.wasm.d.ts") ;;
      *) rm -rf "$f" ;;
    esac
  done

  WASM="$PKG/${NAME}_bg.wasm"
  raw_before=$(stat -c %s "$WASM")

  # Loads the module through the generated glue in Node and calls version(); prints the export
  # count. Used to prove a wasm-opt result before it replaces the original.
  smoke() {  # $1 = wasm file
    node --input-type=module -e '
      import { readFileSync } from "node:fs";
      const glue = await import(process.argv[1]);
      const bytes = readFileSync(process.argv[2]);
      if (!WebAssembly.validate(bytes)) throw new Error("invalid wasm");
      glue.initSync({ module: bytes });
      const v = typeof glue.version === "function" ? glue.version() : null;
      console.log(WebAssembly.Module.exports(new WebAssembly.Module(bytes)).length, JSON.stringify(v));
    ' "$PKG/$NAME.js" "$1"
  }

  if ! base=$(smoke "$WASM" 2>&1); then
    echo "build-wasm: the freshly built module does not load in Node:" >&2
    echo "$base" >&2
    exit 1
  fi

  # wasm-opt: one on PATH (setup.sh records it), else the one from npm's `binaryen` package (a
  # devDependency: binaryen itself compiled to JS/wasm, run by Node, so it installs from the npm
  # registry where no prebuilt binary can be downloaded). Debian 12's binaryen 108 is too old: its
  # output breaks wasm-bindgen's externref table initialisation, which the smoke test catches.
  if [ -z "${GD_WASM_OPT:-}" ] && [ -x "$ROOT/node_modules/.bin/wasm-opt" ]; then
    GD_WASM_OPT="$ROOT/node_modules/.bin/wasm-opt"
  fi
  if [ -n "${GD_WASM_OPT:-}" ] && [ -x "$GD_WASM_OPT" ]; then
    # Rust >= 1.82 emits these features by default for wasm32-unknown-unknown, and
    # .cargo/config.toml adds SIMD; binaryen must be told about them or it rejects the module.
    FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
              --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd)
    TMP="$WASM.opt"
    # $OPT: as the rustc side (the module's line in MODULES). --low-memory-unused:
    # Rust puts the stack first (it grows down towards address 0), so the low 1 KB is only
    # reached by a stack overflow, which traps anyway; binaryen may then fold small constant
    # offsets into loads and stores.
    if "$GD_WASM_OPT" "$OPT" --low-memory-unused "${FEATURES[@]}" "$WASM" -o "$TMP" 2>"$TMP.log" \
       && after=$(smoke "$TMP" 2>>"$TMP.log") && [ "${after%% *}" = "${base%% *}" ]; then
      mv "$TMP" "$WASM"
      echo "build-wasm: wasm-opt $OPT --low-memory-unused ($("$GD_WASM_OPT" --version)): $raw_before -> $(stat -c %s "$WASM") bytes"
    else
      echo "build-wasm: wasm-opt SKIPPED: $("$GD_WASM_OPT" --version 2>/dev/null) failed on this module or its output did not load; shipping the unoptimised module. Details:" >&2
      sed 's/^/  /' "$TMP.log" | head -10 >&2
      rm -f "$TMP"
    fi
    rm -f "$TMP.log"
  else
    echo "build-wasm: wasm-opt SKIPPED: no wasm-opt on PATH and node_modules/.bin/wasm-opt missing (run make setup: npm ci installs binaryen); shipping the unoptimised module"
  fi
  echo "build-wasm: $WASM ($(stat -c %s "$WASM") bytes, gzip $(gzip -9c "$WASM" | wc -c), engine $(smoke "$WASM" | cut -d' ' -f2-)) in $(( $(date +%s) - t0 ))s"
}

# The old single-module layout (extension/pkg/gateway_doctor*) would otherwise linger.
rm -f "$ROOT"/extension/pkg/gateway_doctor.js "$ROOT"/extension/pkg/gateway_doctor_bg.wasm \
  "$ROOT"/extension/pkg/gateway_doctor.d.ts "$ROOT"/extension/pkg/gateway_doctor_bg.wasm.d.ts
for m in "${MODULES[@]}"; do
  # shellcheck disable=SC2086
  build_module $m
done
