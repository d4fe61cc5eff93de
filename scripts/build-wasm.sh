#!/usr/bin/env bash
# Builds the Rust core to WebAssembly for the extension: wasm-pack (release, --target web, no
# downloads) into extension/pkg/, then a local wasm-opt when one is installed and proven to
# produce a module that still loads and answers. Run scripts/setup.sh first (make does).
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

PKG="$ROOT/extension/pkg"
NAME=gateway_doctor
# Own target dir: the wasm toolchain (possibly Debian's rustc) and the native one would
# otherwise invalidate each other's artifacts in ./target on every switch.
export CARGO_TARGET_DIR="$ROOT/target/wasm"
# The shipped module is size-budgeted (check-size.sh): optimise for size, unlike the native
# CLI's release profile (opt-level 3). After wasm-opt: "z" 238 KB, "s" 262 KB, 3 314 KB.
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${CARGO_PROFILE_RELEASE_OPT_LEVEL:-z}"

t0=$(date +%s)
# --mode no-install: use the wasm-bindgen that setup.sh installed (pinned to Cargo.lock) and
# never download one. wasm-opt is disabled in Cargo.toml's wasm-pack metadata for the same reason.
# --no-pack: no package.json/README; the extension imports the glue directly.
gd-wasm wasm-pack --quiet build "$ROOT" --release --target web --mode no-install --no-pack \
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
  # --low-memory-unused: Rust puts the stack first (it grows down towards address 0), so the
  # low 1 KB is only reached by a stack overflow, which traps anyway; binaryen may then fold
  # small constant offsets into loads and stores (~1.2 KB smaller, `make size`).
  if "$GD_WASM_OPT" -Oz --low-memory-unused "${FEATURES[@]}" "$WASM" -o "$TMP" 2>"$TMP.log" \
     && after=$(smoke "$TMP" 2>>"$TMP.log") && [ "${after%% *}" = "${base%% *}" ]; then
    mv "$TMP" "$WASM"
    echo "build-wasm: wasm-opt -Oz --low-memory-unused ($("$GD_WASM_OPT" --version)): $raw_before -> $(stat -c %s "$WASM") bytes"
  else
    echo "build-wasm: wasm-opt SKIPPED: $("$GD_WASM_OPT" --version 2>/dev/null) failed on this module or its output did not load; shipping the unoptimised module. Details:" >&2
    sed 's/^/  /' "$TMP.log" | head -10 >&2
    rm -f "$TMP"
  fi
  rm -f "$TMP.log"
else
  echo "build-wasm: wasm-opt SKIPPED: no wasm-opt on PATH and node_modules/.bin/wasm-opt missing (run make setup: npm ci installs binaryen); shipping the unoptimised module"
fi
echo "build-wasm: $WASM ($(stat -c %s "$WASM") bytes, engine $(smoke "$WASM" | cut -d' ' -f2-)) in $(( $(date +%s) - t0 ))s"

# The replay page's own module (crates/replay) into extension/pkg/replay/: the page and its
# HAR worker load it, the service worker never does. Same toolchain and wasm-opt pass.
build_replay() {
  local out="$PKG/replay" name=gateway_doctor_replay
  gd-wasm wasm-pack --quiet build "$ROOT/crates/replay" --release --target web --mode no-install \
    --no-pack --out-dir "$out" --out-name "$name"
  find "$out" -mindepth 1 -maxdepth 1 ! -name "$name.js" ! -name "${name}_bg.wasm" \
    ! -name "$name.d.ts" ! -name "${name}_bg.wasm.d.ts" -exec rm -rf {} +
  if [ -n "${GD_WASM_OPT:-}" ] && [ -x "$GD_WASM_OPT" ]; then
    "$GD_WASM_OPT" -Oz --low-memory-unused --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
      --enable-simd "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm"
  fi
  node --input-type=module -e '
    import { readFileSync } from "node:fs";
    const glue = await import(process.argv[1]);
    glue.initSync({ module: readFileSync(process.argv[2]) });
    if (typeof glue.startReplayWorker !== "function") throw new Error("no startReplayWorker");
  ' "$out/$name.js" "$out/${name}_bg.wasm"
  echo "build-wasm: $out/${name}_bg.wasm ($(stat -c %s "$out/${name}_bg.wasm") bytes, gzip $(gzip -9c "$out/${name}_bg.wasm" | wc -c))"
}
build_replay
