#!/usr/bin/env bash
# `make demo` fallback until scripts/demo.mjs (the extension walk-through) exists: runs the
# native CLI over the sample pages and prints one diagnosis line per page.
# Pages: tests/fixtures/cases.json when present (corpus schema: file, status, headers), else
# every file under tests/fixtures (a 3-digit number in the name is taken as the status), else
# the shared corpus beside the repository.
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

if [ -f tests/fixtures/cases.json ]; then
  LIST="$(from_cases tests/fixtures/cases.json tests/fixtures)"
elif [ -d tests/fixtures ] && [ -n "$(find tests/fixtures -type f -not -name '*.json' | head -1)" ]; then
  LIST="$(find tests/fixtures -type f -not -name '*.json' | sort | while read -r f; do
    printf '%s\t%s\n' "$f" "$(basename "$f" | grep -oE '(^|[^0-9])[1-5][0-9]{2}([^0-9]|$)' | grep -oE '[0-9]{3}' | head -1 || true)"
  done | sed 's/\t$/\t-/')"
elif [ -f ../shared/corpus/cases.json ]; then
  LIST="$(from_cases ../shared/corpus/cases.json ../shared/corpus)"
else
  echo "demo: no sample pages found (tests/fixtures or ../shared/corpus)" >&2
  exit 1
fi

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
