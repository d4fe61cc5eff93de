#!/usr/bin/env bash
# Coverage-guided fuzzing of the engine and the HAR/report parsers (cargo-fuzz, libFuzzer).
#
#   scripts/fuzz.sh --smoke      short run of every target (~45 s of fuzzing), for `make test`;
#                                new inputs go to a temp dir so the tree stays clean
#   scripts/fuzz.sh [TARGET...]  longer run (FUZZ_SECONDS per target, default 300), for
#                                `make fuzz`; new inputs are merged into fuzz/corpus/<target>/
#                                and the corpus is minimised so the committed copy stays small
#
# cargo-fuzz needs a nightly toolchain (-Zsanitizer). When nightly or cargo-fuzz is missing
# this fails loudly: a fuzz step that silently skips would look like a pass.
set -euo pipefail
cd "$(dirname "$0")/.."

GD_CACHE="${GD_CACHE:-$HOME/.cache/gateway-doctor}"
# shellcheck disable=SC1091
[ -f "$GD_CACHE/env.sh" ] && . "$GD_CACHE/env.sh"
export PATH="$GD_CACHE/tools/bin:$PATH"

die() { echo "fuzz: $*" >&2; exit 1; }

smoke=0
targets=()
for a in "$@"; do
  case "$a" in
    --smoke) smoke=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) die "unknown option $a" ;;
    *) targets+=("$a") ;;
  esac
done

if ! cargo +nightly --version >/dev/null 2>&1; then
  die "FAILED: no nightly Rust toolchain on this machine (cargo +nightly). cargo-fuzz needs one;
      install it with 'rustup toolchain install nightly' where the network allows, or run 'make setup'."
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  die "FAILED: cargo-fuzz is not installed (looked in PATH and $GD_CACHE/tools/bin).
      Run 'make setup', or: cargo install cargo-fuzz --locked --root $GD_CACHE/tools"
fi

if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
[ ${#targets[@]} -gt 0 ] || die "no fuzz targets found in fuzz/"

if [ "$smoke" = 1 ]; then
  total="${FUZZ_SMOKE_SECONDS:-45}"
  secs=$(( total / ${#targets[@]} )); [ "$secs" -ge 5 ] || secs=5
else
  secs="${FUZZ_SECONDS:-300}"
fi

echo "fuzz: building ${targets[*]} (nightly, release + debug assertions)"
# One cargo invocation for all targets: they share every dependency.
cargo +nightly fuzz build --debug-assertions

# Pages of a few tens of KB are the interesting size; hangs (a super-linear path on a hostile
# page) are reported after 10 s on one input.
common_args=(-max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  echo "fuzz: $t for ${secs}s"
  if [ "$smoke" = 1 ]; then
    # First corpus dir receives new inputs: a temp dir, so `make test` leaves git clean.
    mkdir -p "$tmp/$t"
    dirs=("$tmp/$t" "fuzz/corpus/$t")
  else
    dirs=("fuzz/corpus/$t")
  fi
  if ! cargo +nightly fuzz run --debug-assertions "$t" "${dirs[@]}" -- \
      "${common_args[@]}" -max_total_time="$secs" 2>"$tmp/$t.log"; then
    # `cargo fuzz run` rebuilds when sources changed: a compile error is not a finding.
    if grep -q -e 'failed to build fuzz script' -e 'error: could not compile' "$tmp/$t.log"; then
      grep -m5 -e '^error' "$tmp/$t.log" >&2 || true
      echo "fuzz: FAILED: $t did not build (see the errors above)" >&2
      status=1
      continue
    fi
    # The panic message (which invariant broke) comes first, then libFuzzer's summary.
    grep -A6 -m1 'panicked at' "$tmp/$t.log" >&2 || true
    grep -E '^(==[0-9]+==|SUMMARY|artifact_prefix|Test unit written)' "$tmp/$t.log" >&2 || tail -n 30 "$tmp/$t.log" >&2
    echo "fuzz: FAILED: $t found a crash or hang; the input is in fuzz/artifacts/$t/" >&2
    status=1
    continue
  fi
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' "$tmp/$t.log" | sed "s/^/fuzz: $t: /" || true
  if [ "$smoke" = 0 ]; then
    echo "fuzz: minimising fuzz/corpus/$t"
    # Edge coverage only (no hit-count buckets, no value profile): keeps one input per code
    # path instead of one per loop count, so the committed corpus stays a few hundred files.
    cargo +nightly fuzz cmin --debug-assertions "$t" "fuzz/corpus/$t" -- -max_len=65536 \
        -use_counters=0 -use_value_profile=0 >/dev/null 2>&1 \
      || echo "fuzz: note: cmin failed; corpus left unminimised" >&2
    echo "fuzz: fuzz/corpus/$t: $(ls "fuzz/corpus/$t" | wc -l) inputs, $(du -sh "fuzz/corpus/$t" | cut -f1)"
  fi
done
[ "$status" = 0 ] && echo "fuzz: ok (${targets[*]})"
exit "$status"
