#!/usr/bin/env python3
"""tern benchmark: native vs tern vs Wasmtime on the programs in bench/programs.

Builds every program natively (clang-22 -O2) and to wasm32-wasi (clang-22 -O2,
Debian's wasi-libc), compiles the wasm with tern (timed) and Wasmtime (ahead of
time, so neither runtime's compile time is in the run time), runs each
configuration --runs times, checks all outputs agree, prints a markdown table of
median times and ratios to native with geometric means, and writes a PNG bar
chart. Usage: bench/run.sh [--runs N] [--only NAME,...] [--out DIR]
"""
import argparse, math, os, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "bench" / "programs"
TOOLS = Path(os.environ.get("TERN_TOOLS", Path.home() / ".cache" / "tern-tools"))


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def sysroot(work):
    root = work / "sysroot"
    (root / "lib").mkdir(parents=True, exist_ok=True)
    # clang-22 looks for libraries in lib/<triple>; Debian's wasi-libc is flat.
    links = (("include", "/usr/include/wasm32-wasi"), ("lib/wasm32-wasi", "/usr/lib/wasm32-wasi"),
             ("lib/wasm32-wasip1", "/usr/lib/wasm32-wasi"))
    for name, target in links:
        if not (root / name).exists():
            (root / name).symlink_to(target)
    return root


class BuildFlags:
    """Per-program build flags, from markers in the source: `BENCH_SJLJ`
    (setjmp/longjmp as Wasm exceptions, with tern's test runtime for it in
    tests/eh) and `BENCH_WASM_FLAGS: ...` (extra clang flags for the Wasm
    build, e.g. -mtail-call)."""

    def __init__(self, src):
        text = src.read_text()
        sjlj = "BENCH_SJLJ" in text
        eh_dir = ROOT / "tests" / "eh"
        self.native = [f"-I{eh_dir}"] if sjlj else []
        self.wasm = self.native + ["-mexception-handling", "-mllvm", "-wasm-enable-sjlj", "-mllvm",
                                   "-wasm-use-legacy-eh=false", str(eh_dir / "sjlj_runtime.c")] if sjlj else []
        self.wasm += next((l.split("BENCH_WASM_FLAGS:", 1)[1].split() for l in text.splitlines() if "BENCH_WASM_FLAGS:" in l), [])
        self.wasmtime = ["-W", "exceptions=y"] if sjlj else []
        self.needs_dir = "BENCH_NEEDS_DIR" in text
        # Feature cases (exceptions, tail calls, WASI I/O) are shown but kept out
        # of the compute suite's geomean: native code does not pay for the
        # feature, or (wasi_io) the time is the host's system calls.
        self.in_geomean = "BENCH_FEATURE_CASE" not in text


def build_wasm(src, wasm, root, flags=None):
    """Builds `src` to wasm32-wasi (clang-22 -O2) with its marker flags."""
    flags = flags or BuildFlags(src)
    sh(["clang-22", "--target=wasm32-wasi", f"--sysroot={root}", "-Wno-deprecated", "-O2", *flags.wasm,
        str(src), "-o", str(wasm), "-Wl,--strip-all"])


def timed(cmd):
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {out.returncode}: {out.stderr[-2000:]}")
    return elapsed, out.stdout


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def ensure_matplotlib():
    target = TOOLS / "py-plot"
    sys.path.insert(0, str(target))
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "--target", str(target), "matplotlib"], check=True, capture_output=True)
        import importlib
        importlib.invalidate_caches()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def bench_parser():
    """The options every bench command takes: --runs, --only, --out, --tern."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="")
    ap.add_argument("--out", default=str(ROOT / "target" / "bench"))
    ap.add_argument("--tern", default=str(ROOT / "target" / "release" / "tern"))
    return ap


def program_names(only):
    """The programs of bench/programs, or those of the comma list `only`."""
    names = sorted(p.stem for p in PROGRAMS.glob("*.c"))
    return [n for n in names if n in only.split(",")] if only else names


def main():
    ap = bench_parser()
    ap.add_argument("-O", dest="opt", default="2")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tern-bench-"))
    root = sysroot(work)
    wasmtime = TOOLS / "wasmtime" / "bin" / "wasmtime"
    names = program_names(args.only)
    rows = []
    for name in names:
        src = PROGRAMS / f"{name}.c"
        native, wasm, tern_exe, cwasm = work / f"{name}.native", work / f"{name}.wasm", work / f"{name}.tern", work / f"{name}.cwasm"
        flags = BuildFlags(src)
        wasmtime_flags = flags.wasmtime
        sh(["clang-22", "-O2", *flags.native, str(src), "-o", str(native), "-lm"])
        build_wasm(src, wasm, root, flags)
        t0 = time.perf_counter()
        sh([args.tern, "compile", str(wasm), "-o", str(tern_exe), "-O", args.opt])
        compile_s = time.perf_counter() - t0
        configs = {"native": [str(native)], "tern": [str(tern_exe)]}
        if wasmtime.exists():
            sh([str(wasmtime), "compile", *wasmtime_flags, str(wasm), "-o", str(cwasm)])
            configs["wasmtime"] = [str(wasmtime), "run", *wasmtime_flags, "--allow-precompiled", str(cwasm)]
        if flags.needs_dir:
            # A scratch folder: its path natively, preopened as /work under both runtimes.
            # On tmpfs when there is one, so the disk's journal does not drown the
            # runtimes' own cost of each call.
            shm = Path("/dev/shm")
            scratch = Path(tempfile.mkdtemp(prefix=f"tern-bench-{name}-", dir=shm if os.access(shm, os.W_OK) else work))
            configs["native"].append(str(scratch))
            configs["tern"][1:1] = ["--dir", f"{scratch}::/work", "--"]
            configs["tern"].append("/work")
            if "wasmtime" in configs:
                configs["wasmtime"][2:2] = ["--dir", f"{scratch}::/work"]
                configs["wasmtime"].append("/work")
        times, outputs = {}, {}
        for _ in range(args.runs):
            for cfg, cmd in configs.items():
                t, o = timed(cmd)
                times.setdefault(cfg, []).append(t)
                outputs[cfg] = o
        agree = len(set(outputs.values())) == 1
        if not agree:
            print(f"OUTPUT MISMATCH in {name}: {outputs}", file=sys.stderr)
        med = {cfg: statistics.median(ts) for cfg, ts in times.items()}
        rows.append((name, med, compile_s, agree, tern_exe.stat().st_size, flags.in_geomean))
        print(f"  {name}: " + ", ".join(f"{c} {t:.3f}s" for c, t in med.items()), file=sys.stderr)
    cfgs = ["native", "tern", "wasmtime"]
    lines = ["| program | native (s) | tern (s) | tern / native | wasmtime (s) | wasmtime / native | tern compile (s) | outputs agree |",
             "|---|---|---|---|---|---|---|---|"]
    ratios = {c: [] for c in cfgs}
    for name, med, comp, agree, _size, in_geomean in rows:
        r = {c: med[c] / med["native"] for c in med}
        for c in r:
            if in_geomean:
                ratios[c].append(r[c])
        name = name if in_geomean else f"{name} (feature case, not in geomean)"
        wt = med.get("wasmtime")
        lines.append(f"| {name} | {med['native']:.3f} | {med['tern']:.3f} | {r['tern']:.2f}x | "
                     + (f"{wt:.3f} | {r['wasmtime']:.2f}x" if wt else "- | -")
                     + f" | {comp:.2f} | {'yes' if agree else 'NO'} |")
    lines.append(f"| **geomean** | | | **{geomean(ratios['tern']):.2f}x** | | **{geomean(ratios['wasmtime']):.2f}x** | | |")
    table = "\n".join(lines)
    print(table)
    (out / "results.md").write_text(table + "\n")
    plt = ensure_matplotlib()
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.38
    xs = range(len(rows))
    for i, cfg in enumerate(["tern", "wasmtime"]):
        vals = [row[1][cfg] / row[1]["native"] if cfg in row[1] else 0 for row in rows]
        ax.bar([x + (i - 0.5) * width for x in xs], vals, width, label=cfg)
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--", label="native")
    ax.set_xticks(list(xs))
    ax.set_xticklabels([r[0] for r in rows], rotation=30)
    ax.set_ylabel("run time / native (lower is better)")
    ax.set_title(f"tern -O{args.opt} vs Wasmtime, median of {args.runs} runs")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "results.png", dpi=110)
    print(f"\nwrote {out / 'results.md'} and {out / 'results.png'}")
    shutil.rmtree(work, ignore_errors=True)
    for scratch in Path("/dev/shm").glob("tern-bench-*"):
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if all(r[3] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
