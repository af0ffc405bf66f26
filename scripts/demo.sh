#!/usr/bin/env bash
# The main job: install what is missing, build tern, compile the bundled example
# for both ISAs and run both (AArch64 under qemu-user).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build -q --release -p tern
bash scripts/build-runtimes.sh
mkdir -p target/demo
for t in x86_64-linux-gnu aarch64-linux-gnu; do
  target/release/tern compile examples/hello.wat --target "$t" -o "target/demo/hello-$t"
  file "target/demo/hello-$t" 2>/dev/null | cut -d, -f1-2 || true
  echo "--- $t:"
  target/release/tern run --target "$t" examples/hello.wat
done
