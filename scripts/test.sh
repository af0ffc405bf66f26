#!/usr/bin/env bash
# The test command: installs what is missing, builds the runtimes for both ISAs,
# then runs lints and every test (spec testsuite on x86-64 and AArch64 under
# qemu-user, C programs against native builds, bad-input and CLI tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/build-runtimes.sh
# The spec suites of the spec test target (one line per suite; see crates/cli/tests/spec/mod.rs).
TERN_SPEC_SUITES=v2
TERN_SPEC_SUITES+=,v3,tail-call,function-references
TERN_SPEC_SUITES+=,memory64,multi-memory,extended-const,threads
TERN_SPEC_SUITES+=,exceptions,$PWD/tests/eh,$PWD/tests/addressing,$PWD/tests/threads,$PWD/tests/tail-calls
export TERN_SPEC_SUITES
cargo fmt --all -- --check
cargo clippy -q --workspace --all-targets -- -D warnings
cargo test --workspace --release --no-fail-fast 2>&1
# The spec suite again, compiled for checkpoint/restore: instrumentation must not change semantics.
TERN_SPEC_CR=1 cargo test -p tern --release --test spec 2>&1
