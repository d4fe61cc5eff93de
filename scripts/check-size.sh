#!/usr/bin/env bash
# Size budget for the shipped WebAssembly module: <= 400 KB uncompressed. The architecture issue
# (16) lifted issue 2's 250 KB, which had shaped the code more than it served visitors; what the
# visitor feels is the time to the badge (scripts/bench-e2e.mjs). "KB" is read the strict way,
# 400 * 1000 bytes, so the check holds under either reading of the unit.
# Prints raw and gzip sizes; exits 1 above the budget. Usage: scripts/check-size.sh [file.wasm]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUDGET="${GD_WASM_BUDGET:-400000}"
# The module that ships is the one in the packaged extension; fall back to the build output.
WASM="${1:-}"
if [ -z "$WASM" ]; then
  for c in "$ROOT/dist/chrome/pkg/gateway_doctor_bg.wasm" "$ROOT/extension/pkg/gateway_doctor_bg.wasm"; do
    [ -f "$c" ] && { WASM="$c"; break; }
  done
fi
if [ -z "$WASM" ] || [ ! -f "$WASM" ]; then
  echo "check-size: no .wasm found; run make build first" >&2
  exit 1
fi
raw=$(stat -c %s "$WASM")
gz=$(gzip -9 -c "$WASM" | wc -c)
pct=$(( raw * 100 / BUDGET ))
printf 'check-size: %s\n  raw  %8d bytes (%d.%01d KB)  budget %d bytes: %d%% used\n  gzip %8d bytes (%d.%01d KB)\n' \
  "${WASM#"$ROOT"/}" "$raw" $((raw / 1000)) $(((raw % 1000) / 100)) "$BUDGET" "$pct" \
  "$gz" $((gz / 1000)) $(((gz % 1000) / 100))
if [ "$raw" -gt "$BUDGET" ]; then
  echo "check-size: FAIL: $raw bytes is over the $BUDGET-byte budget by $((raw - BUDGET)) bytes" >&2
  exit 1
fi
echo "check-size: OK"
