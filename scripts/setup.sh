#!/usr/bin/env bash
# One idempotent set-up for Gateway Doctor: wasm32 toolchain, wasm-bindgen/wasm-pack/cargo-deny/
# cargo-fuzz, browsers, npm dev tools. Every make target calls it, so a warm run must stay cheap:
# each step checks first and only does work when something is missing or out of date.
#
# Writes "$GD_CACHE/env.sh" (PATH to the cached tools, GD_* variables) and the wrapper
# "$GD_CACHE/bin/gd-wasm" (runs a command with the wasm32 toolchain selected); the other scripts
# source the first and call the second.
#
# Options: --no-browsers  skip Chromium/Firefox (e.g. for a build-only machine)
#          --quiet        only print steps that did work, and failures
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GD_CACHE="${GD_CACHE:-$HOME/.cache/gateway-doctor}"
TOOLS="$GD_CACHE/tools"
BIN="$GD_CACHE/bin"
WANT_BROWSERS=1
QUIET=0
for a in "$@"; do
  case "$a" in
    --no-browsers) WANT_BROWSERS=0 ;;
    --quiet) QUIET=1 ;;
    *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
mkdir -p "$GD_CACHE" "$TOOLS/bin" "$BIN"
export PATH="$TOOLS/bin:$BIN:$PATH"
[ -d "$HOME/.cargo/bin" ] && export PATH="$PATH:$HOME/.cargo/bin"

MISSING=()      # human-readable lines: what is missing and how to get it
SETUP_START=$(date +%s)
STEP_NAME=""
STEP_T0=0
STEP_DID=""

now_ms() { date +%s%3N; }
step() { STEP_NAME="$1"; STEP_T0=$(now_ms); STEP_DID=""; }
did() { STEP_DID="${STEP_DID:+$STEP_DID; }$*"; }
end_step() {   # $1 = ok|skip|FAIL
  local ms=$(( $(now_ms) - STEP_T0 ))
  local secs; secs=$(printf '%d.%01d' $((ms / 1000)) $(((ms % 1000) / 100)))
  if [ "$QUIET" = 1 ] && [ -z "$STEP_DID" ] && [ "$1" = ok ]; then return; fi
  printf '[setup] %-34s %-4s %6ss  %s\n' "$STEP_NAME" "$1" "$secs" "${STEP_DID:-already in place}"
}
have() { command -v "$1" >/dev/null 2>&1; }
is_root() { [ "$(id -u)" = 0 ]; }
can_apt() { is_root && have apt-get && have dpkg-query; }
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
APT_UPDATED=0
apt_install() {   # installs only the packages of "$@" that are missing
  local need=()
  for p in "$@"; do pkg_installed "$p" || need+=("$p"); done
  [ ${#need[@]} -eq 0 ] && return 0
  if [ "$APT_UPDATED" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  did "apt-get install ${need[*]}"
}

# ---------------------------------------------------------------------------------------------
# 1. Native Rust toolchain (fmt, clippy, tests, CLI). rustup's stable when present; otherwise
#    Debian's rustc-web (which the wasm route below installs anyway) plus rustfmt-web.
step "rust (native)"
NATIVE_CARGO=""
if have rustup && rustup which cargo >/dev/null 2>&1; then
  NATIVE_CARGO="rustup"
  for c in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$c"; then
      if timeout 60 rustup component add "$c" >/dev/null 2>&1; then did "rustup component add $c"
      else MISSING+=("rustup component '$c' (run: rustup component add $c)"); fi
    fi
  done
elif have cargo && have rustc; then
  NATIVE_CARGO="path"
elif can_apt; then
  apt_install rustc-web cargo-web rust-web-clippy rustfmt-web
  NATIVE_CARGO="debian"
else
  MISSING+=("a Rust toolchain: install rustup (https://rustup.rs) or, on Debian 12 as root: apt-get install rustc-web cargo-web rust-web-clippy rustfmt-web")
fi
end_step ok

# ---------------------------------------------------------------------------------------------
# 2. wasm32-unknown-unknown. Preference: the active toolchain already has it (typical laptop);
#    the Debian-built toolchain from an earlier run; `rustup target add` (needs the rustup
#    dist server, fails fast offline); Debian's rustc-web with a wasm32 std we build once from
#    rust-web-src (the route verified on the project's offline Debian 12 machines).
WASM_ROUTE=""
WASM_TOOLCHAIN=""        # rustup toolchain name to select for wasm builds ("" = active one)
WASM_LINKER=""           # explicit linker when the toolchain has no rust-lld
DEB_SYSROOT=""
has_wasm_std() {  # $1 = sysroot
  compgen -G "$1/lib/rustlib/wasm32-unknown-unknown/lib/libstd-*.rlib" >/dev/null
}
# Codegen flags for the self-built wasm32 std. Bitcode lets the release build's LTO optimise
# std together with our code (cargo would otherwise pass -C embed-bitcode=no for this
# no-LTO throwaway crate, leaving std out of LTO and the .wasm larger).
STD_RUSTFLAGS="-Cembed-bitcode=yes"
debian_stamp() { echo "$(/usr/bin/rustc -vV 2>/dev/null | tr '\n' ' ') flags: $STD_RUSTFLAGS"; }

step "wasm32 target"
# GD_FORCE_WASM_ROUTE=debian forces the Debian route (to test it on a machine that could use rustup).
if [ "${GD_FORCE_WASM_ROUTE:-}" = debian ]; then
  WASM_ROUTE="debian"; did "Debian route forced by GD_FORCE_WASM_ROUTE=debian"
elif have rustc && has_wasm_std "$(rustc --print sysroot 2>/dev/null)"; then
  WASM_ROUTE="active toolchain ($(rustc --version))"
elif [ -x /usr/bin/rustc ] && has_wasm_std /usr \
     && [ "$(cat /usr/lib/rustlib/wasm32-unknown-unknown/lib/.gateway-doctor-stamp 2>/dev/null)" = "$(debian_stamp)" ] \
     && [ -x /usr/bin/wasm-ld-19 ]; then
  WASM_ROUTE="debian"
elif have rustup && timeout 60 rustup target add wasm32-unknown-unknown >/dev/null 2>&1 \
     && has_wasm_std "$(rustc --print sysroot)"; then
  WASM_ROUTE="rustup target add"; did "rustup target add wasm32-unknown-unknown"
else
  WASM_ROUTE="debian"
  [ "$NATIVE_CARGO" = rustup ] && did "rustup target add failed (offline?), using Debian rustc-web"
fi
end_step ok

if [ "$WASM_ROUTE" = debian ]; then
  step "wasm32: Debian rustc-web + lld"
  if can_apt; then
    # rustc-web is Debian 12's newer rustc (1.96) meant for building browsers; rust-web-src
    # holds its std source, lld-19 provides wasm-ld, rust-web-clippy lets clippy check wasm32.
    apt_install rustc-web cargo-web rust-web-src lld-19 rust-web-clippy
    end_step ok
  else
    for p in rustc-web cargo-web rust-web-src lld-19 rust-web-clippy; do
      have dpkg-query && pkg_installed "$p" || MISSING+=("Debian package $p (as root: apt-get install $p)")
    done
    end_step FAIL
  fi

  if [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ]; then
    DEB_SYSROOT="$(/usr/bin/rustc --print sysroot)"
    WASM_LINKER="$BIN/wasm-ld"
    # rustc's wasm32 target spec names rust-lld, which Debian does not ship; wasm-ld from
    # lld-19 is the same linker. The symlink is named wasm-ld so rustc infers the wasm-lld flavor.
    ln -sfn /usr/bin/wasm-ld-19 "$WASM_LINKER"

    step "wasm32: std from rust-web-src"
    STD_DIR="$DEB_SYSROOT/lib/rustlib/wasm32-unknown-unknown/lib"
    if has_wasm_std "$DEB_SYSROOT" && [ "$(cat "$STD_DIR/.gateway-doctor-stamp" 2>/dev/null)" = "$(debian_stamp)" ]; then
      end_step ok
    elif [ ! -w "$DEB_SYSROOT/lib/rustlib" ]; then
      MISSING+=("a wasm32 std in $STD_DIR (re-run this script as root once to build it)")
      end_step FAIL
    else
      # A throwaway crate makes cargo build core/alloc/std/panic_abort for wasm32 from the
      # Debian std source; its crates.io deps (compiler_builtins, dlmalloc, ...) come from the
      # registry. RUSTC_BOOTSTRAP unlocks -Zbuild-std on this stable rustc.
      SB="$GD_CACHE/wasm-std-build"
      mkdir -p "$SB/src"
      cat > "$SB/Cargo.toml" <<'EOF'
[package]
name = "gd-wasm-std"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
path = "src/lib.rs"

[profile.release]
opt-level = 3
debug = false
EOF
      echo '#![no_std]' > "$SB/src/lib.rs"
      if (cd "$SB" && env -u RUSTUP_TOOLCHAIN RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
            RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$SB/target" RUSTFLAGS="$STD_RUSTFLAGS" \
            /usr/bin/cargo build --quiet --release -Zbuild-std=std,panic_abort \
            --target wasm32-unknown-unknown) >"$SB/build.log" 2>&1; then
        mkdir -p "$STD_DIR"
        rm -f "$STD_DIR"/*.rlib "$STD_DIR"/*.rmeta
        for f in "$SB/target/wasm32-unknown-unknown/release/deps/"*.rlib \
                 "$SB/target/wasm32-unknown-unknown/release/deps/"*.rmeta; do
          case "$(basename "$f")" in libgd_wasm_std-*) ;; *) cp "$f" "$STD_DIR/" ;; esac
        done
        debian_stamp > "$STD_DIR/.gateway-doctor-stamp"
        did "built $(ls "$STD_DIR"/*.rlib | wc -l) rlibs into $STD_DIR"
        # Cargo does not fingerprint sysroot contents: crates compiled against the previous std
        # would fail with E0460 ("found possibly newer version of crate std"), so drop them.
        if [ -d "$ROOT/target/wasm" ]; then rm -rf "$ROOT/target/wasm"; did "removed stale target/wasm"; fi
        end_step ok
      else
        tail -20 "$SB/build.log" >&2
        MISSING+=("a wasm32 std: building it from rust-web-src failed (log: $SB/build.log)")
        end_step FAIL
      fi
    fi

    step "wasm32: rustup toolchain gd-wasm"
    if have rustup; then
      if [ "$(rustup run gd-wasm rustc --print sysroot 2>/dev/null)" != "$DEB_SYSROOT" ]; then
        rustup toolchain link gd-wasm "$DEB_SYSROOT" >/dev/null
        did "rustup toolchain link gd-wasm $DEB_SYSROOT"
      fi
      WASM_TOOLCHAIN="gd-wasm"
    fi
    end_step ok
  fi
fi

# The wrapper every wasm step goes through: it selects the wasm toolchain and linker, so the
# rest of the scripts do not care which route was taken.
{
  echo '#!/usr/bin/env bash'
  echo '# Generated by scripts/setup.sh: run "$@" with the wasm32 toolchain selected.'
  if [ -n "$WASM_TOOLCHAIN" ]; then
    echo "export RUSTUP_TOOLCHAIN=$WASM_TOOLCHAIN"
  elif [ "$WASM_ROUTE" = debian ]; then
    # No rustup: Debian's cargo/rustc are the only ones, put them first.
    echo 'export PATH="/usr/bin:$PATH"'
  fi
  [ -n "$WASM_LINKER" ] && echo "export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=$WASM_LINKER"
  echo 'exec "$@"'
} > "$BIN/gd-wasm.tmp"
chmod +x "$BIN/gd-wasm.tmp"
mv "$BIN/gd-wasm.tmp" "$BIN/gd-wasm"

# ---------------------------------------------------------------------------------------------
# 3. Cargo-installed tools, cached in $GD_CACHE/tools. wasm-bindgen-cli must match the
#    wasm-bindgen version in Cargo.lock exactly (the glue and the .wasm share a schema).
cargo_tool() {  # $1 crate, $2 binary, $3 wanted version ("" = any)
  local crate=$1 bin=$2 want=$3 have_v=""
  step "tool: $crate${want:+ $want}"
  if [ -x "$TOOLS/bin/$bin" ]; then
    have_v="$("$TOOLS/bin/$bin" --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1 || true)"
  fi
  if [ -n "$have_v" ] && { [ -z "$want" ] || [ "$have_v" = "$want" ]; }; then
    end_step ok; return 0
  fi
  if ! have cargo; then
    MISSING+=("$crate (needs cargo: cargo install $crate${want:+ --version $want} --root $TOOLS)")
    end_step FAIL; return 0
  fi
  # No --locked: some of these tools' lockfiles pin crates that no longer build on current rustc.
  # One shared target dir lets the four tools reuse common dependencies (syn, serde, ...), and
  # no LTO + parallel codegen roughly halve a cold install on 2 cores; these are dev tools,
  # their own speed hardly matters.
  if CARGO_TARGET_DIR="$GD_CACHE/install-target" CARGO_PROFILE_RELEASE_LTO=off \
     CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
     cargo install --quiet "$crate" ${want:+--version "$want"} --root "$TOOLS" --force \
       >"$GD_CACHE/install-$crate.log" 2>&1; then
    did "cargo install $crate $("$TOOLS/bin/$bin" --version 2>/dev/null | head -1)"
    end_step ok
  else
    tail -15 "$GD_CACHE/install-$crate.log" >&2
    MISSING+=("$crate: cargo install failed (log: $GD_CACHE/install-$crate.log)")
    end_step FAIL
  fi
}
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, "", $0); print; exit}' "$ROOT/Cargo.lock" 2>/dev/null || true)"
if [ -z "$WB_VERSION" ]; then
  echo "[setup] Cargo.lock has no wasm-bindgen entry; run 'cargo generate-lockfile' first" >&2
  exit 1
fi
cargo_tool wasm-bindgen-cli wasm-bindgen "$WB_VERSION"
cargo_tool wasm-pack wasm-pack ""
cargo_tool cargo-deny cargo-deny ""
cargo_tool cargo-fuzz cargo-fuzz ""

# ---------------------------------------------------------------------------------------------
# 4. System packages: headless browsers for the end-to-end tests.
step "browsers (apt)"
# chromium-l10n: Debian's chromium ships only en-US without it, and the German popup e2e test
# (tests/e2e/popup-de.test.mjs) needs Chromium to switch UI language.
BROWSER_PKGS=(chromium chromium-driver chromium-l10n firefox-esr)
if [ "$WANT_BROWSERS" = 0 ]; then
  did "skipped (--no-browsers)"; end_step skip
elif can_apt; then
  apt_install "${BROWSER_PKGS[@]}"; end_step ok
else
  have chromium || MISSING+=("Chromium for the e2e tests (Debian/Ubuntu as root: apt-get install ${BROWSER_PKGS[*]})")
  have firefox-esr || have firefox || MISSING+=("Firefox for the Firefox e2e tests (apt-get install firefox-esr)")
  end_step ok
fi

# ---------------------------------------------------------------------------------------------
# 5. npm dev tools from the lockfile. Never downloads browsers: playwright-core and
#    puppeteer-core drive the Debian Chromium/Firefox via executablePath.
step "npm ci (dev tools)"
if ! have node || ! have npm; then
  if can_apt; then apt_install nodejs npm; fi
fi
if have node && have npm; then
  LOCK_SUM="$(cat "$ROOT/package.json" "$ROOT/package-lock.json" | sha256sum | cut -c1-16)"
  if [ "$(cat "$ROOT/node_modules/.gd-stamp" 2>/dev/null)" != "$LOCK_SUM" ]; then
    if (cd "$ROOT" && PUPPETEER_SKIP_DOWNLOAD=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
          npm ci --no-audit --no-fund --loglevel=error >"$GD_CACHE/npm-ci.log" 2>&1); then
      echo "$LOCK_SUM" > "$ROOT/node_modules/.gd-stamp"
      did "npm ci ($(ls "$ROOT/node_modules" | wc -l) top-level packages)"
    else
      tail -20 "$GD_CACHE/npm-ci.log" >&2
      MISSING+=("npm dev tools: npm ci failed (log: $GD_CACHE/npm-ci.log)")
    fi
  fi
  NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$NODE_MAJOR" -ge 20 ] || MISSING+=("Node.js >= 20 (found $(node --version))")
  end_step ok
else
  MISSING+=("Node.js >= 20 and npm (Debian/Ubuntu: apt-get install nodejs npm)")
  end_step FAIL
fi

step "wasm-opt (binaryen)"
# Not from apt: Debian 12's binaryen (wasm-opt 108) turns the externref table that
# wasm-bindgen 0.2.130 emits into a funcref table, and the optimised module then fails in
# __wbindgen_init_externref_table ("Table.set(): Argument 1 is invalid"). npm's `binaryen`
# package (a dev dependency, installed by the step above) carries a wasm-opt that works; one on
# PATH wins (e.g. a newer binaryen from a laptop's package manager). build-wasm.sh proves
# each result loads and answers, and otherwise ships the unoptimised module.
if have wasm-opt; then
  did "found $(wasm-opt --version 2>/dev/null) on PATH; build-wasm.sh tests it on each build"
elif [ -x "$ROOT/node_modules/.bin/wasm-opt" ]; then
  did "npm binaryen: $("$ROOT/node_modules/.bin/wasm-opt" --version 2>/dev/null)"
else
  did "none: the build ships the unoptimised module, which is over the size budget"
  OPT_STATUS=skip
fi
end_step "${OPT_STATUS:-ok}"

# ---------------------------------------------------------------------------------------------
# 6. The env file the other scripts source.
CHROMIUM_BIN="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
FIREFOX_BIN="$(command -v firefox-esr || command -v firefox || true)"
cat > "$GD_CACHE/env.sh.tmp" <<EOF
# Generated by scripts/setup.sh on $(date -u +%Y-%m-%dT%H:%MZ). Source it; do not edit.
export GD_CACHE="$GD_CACHE"
case ":\$PATH:" in *":$TOOLS/bin:"*) ;; *) export PATH="$TOOLS/bin:$BIN:\$PATH" ;; esac
export GD_WASM_ROUTE="$WASM_ROUTE"
export GD_WASM_TOOLCHAIN="$WASM_TOOLCHAIN"
export GD_WASM_BINDGEN_VERSION="$WB_VERSION"
export GD_CHROMIUM="$CHROMIUM_BIN"
export GD_FIREFOX="$FIREFOX_BIN"
export GD_WASM_OPT="$(command -v wasm-opt || true)"
EOF
mv "$GD_CACHE/env.sh.tmp" "$GD_CACHE/env.sh"

TOTAL=$(( $(date +%s) - SETUP_START ))
if [ ${#MISSING[@]} -gt 0 ]; then
  echo "[setup] FAILED after ${TOTAL}s. Missing:" >&2
  for m in "${MISSING[@]}"; do echo "  - $m" >&2; done
  is_root || echo "  (not root: system packages could not be installed by this script)" >&2
  exit 1
fi
[ "$QUIET" = 1 ] || echo "[setup] done in ${TOTAL}s (wasm32 via: $WASM_ROUTE; env: $GD_CACHE/env.sh)"
