#!/usr/bin/env bash
# Benchmark tern against native and Wasmtime (see bench/run.py for options).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
cargo build -q --release -p tern
bash scripts/build-runtimes.sh
exec python3 bench/run.py "$@"
