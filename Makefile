# Gateway Doctor. Every target does its own set-up (scripts/setup.sh is idempotent and takes a
# few seconds when everything is in place), so `make demo` and `make test` work on a fresh clone.
#
#   make setup   toolchain (incl. wasm32), cargo tools, browsers, npm dev tools
#   make build   wasm (extension/pkg/<module>/) + dist/chrome, dist/firefox and their zips
#   make test    everything CI runs (.ci/run is exactly this)
#   make demo    build, then show what the extension does
#   make lint    fmt + clippy (native and wasm32) + licences + web-ext lint
#   make typecheck  tsc --checkJs over extension/ (needs the wasm build's generated .d.ts)
#   make msrv    the declared minimum Rust (Cargo.toml rust-version) still builds lib and CLI
#   make bench / make fuzz / make clean
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

export GD_CACHE ?= $(HOME)/.cache/gateway-doctor
# Each recipe line runs in its own shell: source the env that setup.sh wrote.
ENV := . "$(GD_CACHE)/env.sh" &&
# The wasm toolchain (possibly Debian's rustc) gets its own target dir so native and wasm
# builds do not invalidate each other.
WASM_CARGO := $(ENV) CARGO_TARGET_DIR=target/wasm gd-wasm cargo
WEB_EXT := node_modules/.bin/web-ext
say = @printf '\n==> %s\n' "$(1)"

.PHONY: setup build wasm package size test lint fmt clippy clippy-wasm licenses audit web-ext-lint \
        test-rust test-js typecheck test-e2e test-e2e-firefox fuzz-smoke msrv demo bench fuzz clean

setup:
	$(call say,setup)
	@scripts/setup.sh

wasm: setup
	$(call say,wasm build)
	@$(ENV) scripts/build-wasm.sh

package: wasm
	$(call say,package)
	@node scripts/package.mjs $(PACKAGE_FLAGS)

build: package

size: wasm
	$(call say,size budget)
	@scripts/check-size.sh

fmt: setup
	$(call say,cargo fmt --check)
	cargo fmt --all --check

clippy: setup
	$(call say,clippy native (all targets))
	cargo clippy --all-targets -- -D warnings

clippy-wasm: setup
	$(call say,clippy wasm32 (the WASM modules and the core under them))
	$(WASM_CARGO) clippy --workspace --exclude gateway-doctor-cli --lib --target wasm32-unknown-unknown -- -D warnings

licenses: setup
	$(call say,dependency licences (cargo deny, offline))
	@$(ENV) cargo deny --offline check licenses

# Advisories need the RustSec database. Run against a local copy when there is one or it can be
# fetched; otherwise say so plainly and do not fail (it cannot be had on an offline machine).
audit: setup
	$(call say,security advisories (cargo deny))
	@$(ENV) if timeout 60 cargo deny fetch db >/tmp/gd-deny-fetch.log 2>&1; then \
	  cargo deny check --disable-fetch advisories; \
	else \
	  echo "ADVISORIES NOT CHECKED: the RustSec advisory database could not be fetched (offline?)."; \
	  echo "  Not a pass. Run 'cargo deny check advisories' on a machine with access to the database."; \
	  sed 's/^/  | /' /tmp/gd-deny-fetch.log | tail -3; \
	fi

web-ext-lint: package
	$(call say,web-ext lint dist/firefox)
	@$(WEB_EXT) lint --source-dir dist/firefox --no-input --no-config-discovery --output text

lint: fmt clippy clippy-wasm licenses web-ext-lint

# Cargo.toml promises `rust-version`; only building with that toolchain proves the promise
# (a newer std API or a dependency raising its own rust-version slips past every other step).
# The toolchain is installed once through rustup (minimal profile, cached like any toolchain);
# when it cannot be installed the step fails: an unchecked minimum is not a pass. Its own
# target dir keeps it from invalidating the main build.
MSRV = $(shell sed -n 's/^rust-version = "\(.*\)"$$/\1/p' Cargo.toml)
msrv: setup
	$(call say,MSRV: cargo +$(MSRV) check --lib --bins)
	@$(ENV) if ! rustup run $(MSRV) rustc --version >/dev/null 2>&1; then \
	  echo "installing Rust $(MSRV) (rustup, minimal profile)"; \
	  timeout 600 rustup toolchain install $(MSRV) --profile minimal --no-self-update \
	    || { echo "MSRV NOT CHECKED: rustup could not install Rust $(MSRV) (offline?)." >&2; exit 1; }; \
	fi; \
	CARGO_TARGET_DIR=target/msrv cargo +$(MSRV) check --locked --lib --bins

test-rust: setup
	$(call say,cargo test)
	cargo test

# tsconfig.json lists the wasm-bindgen typings (extension/pkg/*.d.ts) among its files, so the
# check runs after the wasm build: a field renamed in Rust fails here, not in a visitor's browser.
typecheck: wasm
	$(call say,tsc --noEmit (checkJs over extension/))
	@node_modules/.bin/tsc -p tsconfig.json

test-js: setup
	@if [ -d tests/js ]; then printf '\n==> %s\n' "node --test tests/js/"; node --test tests/js/; \
	 else echo "(no tests/js/ yet)"; fi

test-e2e: package
	@if [ -d tests/e2e ]; then printf '\n==> %s\n' "Chromium end-to-end"; $(ENV) node --test --test-concurrency=1 tests/e2e/; \
	 else echo "(no tests/e2e/ yet)"; fi

test-e2e-firefox: package
	@if [ -d tests/e2e-firefox ]; then printf '\n==> %s\n' "Firefox end-to-end"; $(ENV) node --test --test-concurrency=1 tests/e2e-firefox/; \
	 else echo "(no tests/e2e-firefox/ yet)"; fi

fuzz-smoke: setup
	@if [ -x scripts/fuzz.sh ]; then printf '\n==> %s\n' "fuzz smoke"; $(ENV) scripts/fuzz.sh --smoke; \
	 else echo "(no scripts/fuzz.sh yet)"; fi

# The order puts the fast, most common failures first. `make test` keeps going after a failed
# step (steps that depend on it are skipped) so one CI run reports every failure, and still
# exits non-zero.
ifneq ($(filter test,$(MAKECMDGOALS)),)
MAKEFLAGS += --keep-going
endif
test: PACKAGE_FLAGS = --strict
test: setup fmt clippy clippy-wasm msrv test-rust wasm size licenses audit package web-ext-lint \
      typecheck test-js test-e2e test-e2e-firefox fuzz-smoke
	@printf '\n==> make test: all steps passed\n'

# Until scripts/demo.mjs exists (the extension walk-through), the demo runs the CLI over the
# real pages in tests/corpus and prints one diagnosis line per page.
demo: build
	@if [ -f scripts/demo.mjs ]; then $(ENV) node scripts/demo.mjs; \
	 else scripts/demo-cli.sh; fi

bench: setup
	@if [ -x scripts/bench.sh ]; then $(ENV) scripts/bench.sh; else cargo bench; fi

fuzz: setup
	@if [ -x scripts/fuzz.sh ]; then $(ENV) scripts/fuzz.sh; \
	 else echo "scripts/fuzz.sh does not exist yet" >&2; exit 1; fi

clean:
	cargo clean
	rm -rf dist extension/pkg
