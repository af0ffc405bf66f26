#!/usr/bin/env bash
# Benchmark tern against native and its peer runtimes (see bench/run.py for options).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
bash bench/setup-peers.sh
cargo build -q --release -p tern
bash scripts/build-runtimes.sh
exec python3 bench/run.py "$@"
