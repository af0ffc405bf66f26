#!/usr/bin/env python3
"""Compare tern configurations with native on bench/programs in one run.

Each configuration is NAME=TERN[:OPT] (a tern binary and an -O level, 2 by
default). Every program is built natively (clang-22 -O2) and to wasm32-wasi
once, compiled by each configuration (timed), then all executables run
--runs times, interleaved, so the ratios to native of one run are measured
under the same machine load. Prints one line per program and the geometric
means. Used for the -O level comparison in the README:

  bench/compare.py --runs 5 o1=target/release/tern:1 o2=target/release/tern:2 \\
      o3=target/release/tern:3
"""
import argparse, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from run import PROGRAMS, BuildFlags, build_wasm, geomean, program_names, sysroot, timed  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("configs", nargs="+", help="NAME=TERN[:OPT]")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    configs = []
    for c in args.configs:
        name, rest = c.split("=", 1)
        tern, opt = (rest.rsplit(":", 1) + ["2"])[:2] if ":" in rest else (rest, "2")
        configs.append((name, tern, opt))
    work = Path(tempfile.mkdtemp(prefix="tern-compare-"))
    root = sysroot(work)
    names = program_names(args.only)
    ratios = {name: [] for name, _, _ in configs}
    compile_total = {name: 0.0 for name, _, _ in configs}
    for prog in names:
        src = PROGRAMS / f"{prog}.c"
        flags = BuildFlags(src)
        if flags.needs_dir or not flags.in_geomean:
            # The WASI case needs a folder; feature cases stay out of the geomean.
            continue
        native, wasm = work / f"{prog}.native", work / f"{prog}.wasm"
        subprocess.run(["clang-22", "-O2", *flags.native, str(src), "-o", str(native), "-lm"], check=True)
        build_wasm(src, wasm, root, flags)
        cmds, compile_s = {"native": [str(native)]}, {}
        for name, tern, opt in configs:
            exe = work / f"{prog}.{name}"
            t0 = time.perf_counter()
            subprocess.run([tern, "compile", str(wasm), "-o", str(exe), "-O", opt], check=True)
            compile_s[name] = time.perf_counter() - t0
            compile_total[name] += compile_s[name]
            cmds[name] = [str(exe)]
        times, outputs = {k: [] for k in cmds}, {}
        for _ in range(args.runs):
            for k, cmd in cmds.items():
                t, out = timed(cmd)
                times[k].append(t)
                outputs[k] = out
        med = {k: statistics.median(v) for k, v in times.items()}
        agree = "" if len(set(outputs.values())) == 1 else "  OUTPUT MISMATCH"
        cells = []
        for name, _, _ in configs:
            r = med[name] / med["native"]
            ratios[name].append(r)
            cells.append(f"{name} {r:.2f}x (compile {compile_s[name]:.2f}s)")
        print(f"{prog:10} native {med['native']:.3f}s  " + "  ".join(cells) + agree, flush=True)
    for name, _, _ in configs:
        print(f"geomean {name}: {geomean(ratios[name]):.3f}x, total compile {compile_total[name]:.2f}s")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
