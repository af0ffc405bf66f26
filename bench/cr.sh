#!/usr/bin/env bash
# Checkpoint/restore benchmark (see bench/cr.py for options).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
cargo build -q --release -p tern
bash scripts/build-runtimes.sh
exec python3 bench/cr.py "$@"
