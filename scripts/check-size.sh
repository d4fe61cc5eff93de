#!/usr/bin/env bash
# Size budget for the shipped WebAssembly module: <= 400 KB uncompressed. The architecture issue
# (16) lifted issue 2's 250 KB, which had shaped the code more than it served visitors; what the
# visitor feels is the time to the badge (scripts/bench-e2e.mjs). "KB" is read the strict way,
# 400 * 1000 bytes, so the check holds under either reading of the unit.
# Prints raw and gzip sizes of each module; exits 1 when one is above the budget.
# Usage: scripts/check-size.sh [file.wasm...] (default: every module the extension ships)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUDGET="${GD_WASM_BUDGET:-400000}"
# The modules that ship are the ones in the packaged extension; fall back to the build output.
FILES=("$@")
if [ ${#FILES[@]} -eq 0 ]; then
  for d in "$ROOT/dist/chrome/pkg" "$ROOT/extension/pkg"; do
    mapfile -t FILES < <(find "$d" -name '*_bg.wasm' 2>/dev/null | sort)
    [ ${#FILES[@]} -gt 0 ] && break
  done
fi
if [ ${#FILES[@]} -eq 0 ]; then
  echo "check-size: no .wasm found; run make build first" >&2
  exit 1
fi
status=0
for WASM in "${FILES[@]}"; do
if [ ! -f "$WASM" ]; then
  echo "check-size: $WASM not found; run make build first" >&2
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
  status=1
fi
done
[ "$status" -eq 0 ] && echo "check-size: OK"
exit "$status"
