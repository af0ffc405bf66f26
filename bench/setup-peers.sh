#!/usr/bin/env bash
# Installs the peer runtimes bench/run.py measures tern against, into
# ~/.cache/tern-tools (TERN_TOOLS), once. Wasmtime comes with scripts/setup.sh
# (the tests use it too); this adds Wasmer, built from crates.io with its LLVM
# and Cranelift back ends (about 25 minutes on two cores, the first time only).
# WAMR and WasmEdge are not installed: no registry this project can reach
# carries a current build of either (README, "Benchmarks").
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=${TERN_TOOLS:-$HOME/.cache/tern-tools}
WASMER_VERSION=7.4.2 # 7.5 needs rustc 1.96; this machine's cargo is 1.95
if ! "$TOOLS/wasmer/bin/wasmer" --version 2>/dev/null | grep -q "$WASMER_VERSION"; then
  echo "building Wasmer $WASMER_VERSION (LLVM + Cranelift) from crates.io, once" >&2
  # Wasmer's LLVM back end links LLVM 22 (inkwell's llvm22-1 feature), the
  # same packages scripts/setup.sh installs for tern.
  LLVM_SYS_221_PREFIX=/usr/lib/llvm-22 CARGO_TARGET_DIR="$TOOLS/wasmer-build/target" \
    cargo install --locked --quiet "wasmer-cli@$WASMER_VERSION" --features llvm,cranelift \
    --root "$TOOLS/wasmer"
  rm -rf "$TOOLS/wasmer-build"
fi
