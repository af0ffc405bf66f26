#!/usr/bin/env bash
# The cost of memory64's explicit bounds checks: the same load/store loop
# (5,000 passes over 1 MiB: a[i] = a[i] * 3 + 1, s += a[i + 4]) on a 32-bit
# and on a 64-bit memory, compiled by tern at -O2; prints the user time of
# each of RUNS runs (default 7).
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-7}
tern=${TERN:-../../target/release/tern}
out=$(mktemp -d)
for kind in 32 64; do
    "$tern" compile "loop$kind.wat" -o "$out/loop$kind"
done
for kind in 32 64; do
    printf 'memory%s:' "$kind"
    for _ in $(seq "$runs"); do
        /usr/bin/time -f ' %U' "$out/loop$kind" --invoke run -- 2>&1 >/dev/null | tr -d '\n'
    done
    echo
done
rm -rf "$out"
