#!/usr/bin/env bash
# `make demo` fallback until scripts/demo.mjs (the extension walk-through) exists: runs the
# native CLI over the real pages of tests/corpus (each with the status and headers its
# cases.json lists) and prints one diagnosis line per page.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
cargo build --quiet --bin gateway-doctor
CLI="$ROOT/target/debug/gateway-doctor"

# Emits "file<TAB>status (- = unknown)<TAB>Name: value<TAB>..." lines from a cases.json.
from_cases() {  # $1 = cases.json, $2 = base dir of its files
  node -e '
    const [cases, base] = process.argv.slice(1);
    for (const c of JSON.parse(require("fs").readFileSync(cases, "utf8"))) {
      const args = [require("path").join(base, c.file), c.status ?? "-"];
      for (const [k, v] of Object.entries(c.headers || {})) args.push(`${k}: ${v}`);
      console.log(args.join("\t"));
    }' "$1" "$2"
}

# The corpus is part of the repository: without it the demo has nothing to show, so it fails.
[ -f tests/corpus/cases.json ] || { echo "demo: tests/corpus/cases.json missing" >&2; exit 1; }
LIST="$(from_cases tests/corpus/cases.json tests/corpus)"

n=0
while IFS=$'\t' read -r -a row; do
  file="${row[0]}"; status="${row[1]:--}"; [ "$status" = - ] && status=""
  args=(classify "$file")
  [ -n "$status" ] && args+=(--status "$status")
  for h in "${row[@]:2}"; do args+=(--header "$h"); done
  line="$("$CLI" "${args[@]}" 2>&1 | head -1 || true)"
  printf '%-44s %s\n' "${file#"$ROOT"/}${status:+ [$status]}" "$line"
  n=$((n + 1))
done <<< "$LIST"
echo "demo: $n pages diagnosed by $("$CLI" version 2>/dev/null | head -1)"
