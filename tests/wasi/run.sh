#!/usr/bin/env bash
# Builds the WASI comparison programs and runs each one under Wasmtime (or the
# command in $WASI_RUNNER) twice, in a fresh directory each time, checking that
# stdout and the exit status are deterministic and match expected/NAME.out.
#
#   tests/wasi/run.sh            build, run, compare with expected/
#   tests/wasi/run.sh --bless    rewrite expected/ from this run
#
# $WASI_RUNNER is called as: $WASI_RUNNER SANDBOX_HOST_DIR PROGRAM.wasm ARGS...
# and must preopen SANDBOX_HOST_DIR as /sandbox, set TERN_WASI_TEST=hello and
# pipe nothing special (the script feeds stdin).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bless=0
[[ "${1:-}" == "--bless" ]] && bless=1
wasmtime="${WASMTIME:-$HOME/.cache/tern-tools/wasmtime/bin/wasmtime}"
clang="${CLANG:-clang-22}"
work="$(mktemp -d /tmp/tern-wasi-c.XXXXXX)"
trap 'rm -rf "$work"' EXIT
# Sysroot: `include` and `lib/wasm32-wasi{,p1}` linked to Debian's wasi-libc.
mkdir -p "$work/sysroot/lib" "$work/bin"
ln -s /usr/include/wasm32-wasi "$work/sysroot/include"
ln -s /usr/lib/wasm32-wasi "$work/sysroot/lib/wasm32-wasi"
ln -s /usr/lib/wasm32-wasi "$work/sysroot/lib/wasm32-wasip1"

run_wasmtime() {
    local dir="$1" prog="$2"
    shift 2
    "$wasmtime" run --dir "$dir::/sandbox" --env TERN_WASI_TEST=hello "$prog" "$@"
}
runner="${WASI_RUNNER:-run_wasmtime}"

pass=0
fail=0
for src in "$here"/*.c; do
    name="$(basename "$src" .c)"
    "$clang" --target=wasm32-wasi --sysroot="$work/sysroot" -O2 -Wl,--strip-all -Wno-deprecated \
        -o "$work/bin/$name.wasm" "$src"
    outs=()
    for run in 1 2; do
        base="$work/run-$name-$run"
        mkdir -p "$base/sandbox" "$base/outside"
        printf 'secret' > "$base/outside/secret"
        set +e
        printf 'line one\nline two\n' | $runner "$base/sandbox" "$work/bin/$name.wasm" arg1 "two words" \
            > "$base/stdout" 2> "$base/stderr"
        status=$?
        set -e
        echo "exit=$status" >> "$base/stdout"
        # Nothing may appear outside the sandbox, and the secret must be intact.
        if [[ "$(ls "$base/outside")" != "secret" || "$(cat "$base/outside/secret")" != "secret" ]]; then
            echo "exit=OUTSIDE-MODIFIED" >> "$base/stdout"
        fi
        outs+=("$base/stdout")
    done
    if ! cmp -s "${outs[0]}" "${outs[1]}"; then
        echo "FAIL $name: output differs between two runs"
        diff "${outs[0]}" "${outs[1]}" | head -20
        fail=$((fail + 1))
        continue
    fi
    if [[ $bless == 1 ]]; then
        mkdir -p "$here/expected"
        cp "${outs[0]}" "$here/expected/$name.out"
    fi
    if [[ -f "$here/expected/$name.out" ]] && cmp -s "${outs[0]}" "$here/expected/$name.out"; then
        pass=$((pass + 1))
    else
        echo "FAIL $name: differs from expected/$name.out"
        diff "$here/expected/$name.out" "${outs[0]}" | head -20 || true
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
