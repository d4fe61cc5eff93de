#!/bin/sh
# HAR streaming benchmark: a ~100 MB generated HAR through the optimised CLI; prints peak RSS
# and entries/s, writes target/bench/har.json, and fails when peak RSS exceeds the bound
# (see crates/cli/benches/har.rs). GD_HAR_BENCH_MB=<n> changes the size.
set -eu
cd "$(dirname "$0")/.."
# The bench (crates/cli/benches/har.rs) belongs to the CLI package. The bench-native profile
# (Cargo.toml) avoids the release profile's double library build that
# makes `cargo bench` links collide (cargo#6313).
exec cargo bench --profile bench-native --bench har "$@"
