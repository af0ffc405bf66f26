#!/usr/bin/env bash
# Builds the tern runtime static library for both targets and puts it where the
# `tern` linker looks: target/tern-runtime/<triple>/libtern_runtime.a.
# The host build uses the rustup toolchain; AArch64 uses Debian's rustc (which
# has an arm64 std), as the README's setup installs it.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/tern-runtime
cargo build -q -p tern-runtime --release --target x86_64-unknown-linux-gnu
mkdir -p "$out/x86_64-unknown-linux-gnu" "$out/aarch64-unknown-linux-gnu"
cp target/x86_64-unknown-linux-gnu/release/libtern_runtime.a "$out/x86_64-unknown-linux-gnu/"
RUSTC=/usr/bin/rustc cargo build -q -p tern-runtime --release --target aarch64-unknown-linux-gnu
cp target/aarch64-unknown-linux-gnu/release/libtern_runtime.a "$out/aarch64-unknown-linux-gnu/"
