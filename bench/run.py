#!/usr/bin/env python3
"""tern benchmark: native vs tern vs its peers on the programs in bench/programs.

Builds every program natively (clang-22 -O2) and to wasm32-wasi (clang-22 -O2,
Debian's wasi-libc), compiles the wasm with tern (timed) and with each peer of
bench/peers.py that is installed (ahead of time, so no runtime's compile time is
in the run time), runs all configurations --runs times, interleaved, checks all
outputs agree, prints a markdown table of median times and ratios to native with
geometric means, and writes a PNG bar chart.
Usage: bench/run.sh [--runs N] [--only NAME,...] [--peers NAME,...] [--out DIR]
"""
import argparse, math, os, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import TOOLS, all_peers  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "bench" / "programs"


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
        # The features a peer runtime must be told to enable (bench/peers.py).
        self.needs = ({"exceptions"} if sjlj else set()) | ({"tail-call"} if "-mtail-call" in self.wasm else set())
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


def selected_peers(wanted):
    """The installed peers among the comma list `wanted` (all when empty)."""
    peers = [p for p in all_peers() if not wanted or p.name in wanted.split(",")]
    for p in peers:
        if not p.available():
            print(f"warning: {p.name} is not installed ({p.exe}); bench/setup-peers.sh installs it",
                  file=sys.stderr)
    return [p for p in peers if p.available()]


def results_table(rows, cfgs):
    """Markdown: median seconds and ratio to native per configuration, the
    geometric mean of the ratios over the programs in the geomean."""
    head = "| program | native (s) | " + " | ".join(f"{c} (s) | {c} / native" for c in cfgs)
    lines = [head + " | tern compile (s) | outputs agree |", "|---|---|" + "---|---|" * len(cfgs) + "---|---|"]
    ratios = {c: [] for c in cfgs}
    for name, med, comp, agree, in_geomean in rows:
        cells = []
        for c in cfgs:
            if c in med:
                ratio = med[c] / med["native"]
                cells.append(f"{med[c]:.3f} | {ratio:.2f}x")
                if in_geomean:
                    ratios[c].append(ratio)
            else:
                cells.append("- | -")
        label = name if in_geomean else f"{name} (feature case, not in geomean)"
        lines.append(f"| {label} | {med['native']:.3f} | " + " | ".join(cells)
                     + f" | {comp:.2f} | {'yes' if agree else 'NO'} |")
    lines.append("| **geomean** | | " + " | ".join(f"| **{geomean(ratios[c]):.2f}x**" for c in cfgs) + " | | |")
    return "\n".join(lines)


def plot(rows, cfgs, path, title):
    plt = ensure_matplotlib()
    fig, ax = plt.subplots(figsize=(11, 4.5))
    width = 0.8 / len(cfgs)
    xs = range(len(rows))
    for i, cfg in enumerate(cfgs):
        vals = [row[1][cfg] / row[1]["native"] if cfg in row[1] else 0 for row in rows]
        ax.bar([x + (i - (len(cfgs) - 1) / 2) * width for x in xs], vals, width, label=cfg)
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--", label="native")
    ax.set_xticks(list(xs))
    ax.set_xticklabels([r[0] for r in rows], rotation=30)
    ax.set_ylabel("run time / native (lower is better)")
    ax.set_yscale("log")
    ax.set_title(title)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = bench_parser()
    ap.add_argument("-O", dest="opt", default="2")
    ap.add_argument("--peers", default="", help="comma list of bench/peers.py names (default: all installed)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tern-bench-"))
    root = sysroot(work)
    peers = selected_peers(args.peers)
    rows = []
    for name in program_names(args.only):
        src = PROGRAMS / f"{name}.c"
        native, wasm, tern_exe = work / f"{name}.native", work / f"{name}.wasm", work / f"{name}.tern"
        flags = BuildFlags(src)
        sh(["clang-22", "-O2", *flags.native, str(src), "-o", str(native), "-lm"])
        build_wasm(src, wasm, root, flags)
        t0 = time.perf_counter()
        sh([args.tern, "compile", str(wasm), "-o", str(tern_exe), "-O", args.opt])
        compile_s = time.perf_counter() - t0
        scratch = None
        if flags.needs_dir:
            # A scratch folder: its path natively, preopened as /work under the
            # runtimes. On tmpfs when there is one, so the disk's journal does
            # not drown the runtimes' own cost of each call.
            shm = Path("/dev/shm")
            scratch = Path(tempfile.mkdtemp(prefix=f"tern-bench-{name}-", dir=shm if os.access(shm, os.W_OK) else work))
        configs = {"native": [str(native)] + ([str(scratch)] if scratch else []),
                   "tern": [str(tern_exe)] + (["--dir", f"{scratch}::/work", "--", "/work"] if scratch else [])}
        for peer in peers:
            artifact = work / f"{name}.{peer.extension}"
            try:
                sh(peer.compile_cmd(wasm, artifact, flags.needs))
            except subprocess.CalledProcessError as e:
                print(f"  {name}: {peer.name} cannot compile it: {e.stderr.strip()[-300:]}", file=sys.stderr)
                continue
            configs[peer.name] = peer.run_cmd(artifact, flags.needs, scratch)
        times, outputs = {}, {}
        for _ in range(args.runs):
            for cfg, cmd in list(configs.items()):
                try:
                    t, o = timed(cmd)
                except RuntimeError as e:
                    print(f"  {name}: {cfg} failed: {e}", file=sys.stderr)
                    del configs[cfg]
                    times.pop(cfg, None)
                    continue
                times.setdefault(cfg, []).append(t)
                outputs[cfg] = o
        outputs = {c: o for c, o in outputs.items() if c in configs}
        agree = len(set(outputs.values())) == 1 and "tern" in outputs
        if not agree:
            print(f"OUTPUT MISMATCH in {name}: {outputs}", file=sys.stderr)
        med = {cfg: statistics.median(ts) for cfg, ts in times.items()}
        rows.append((name, med, compile_s, agree, flags.in_geomean))
        print(f"  {name}: " + ", ".join(f"{c} {t:.3f}s" for c, t in med.items()), file=sys.stderr)
    cfgs = ["tern"] + [p.name for p in peers]
    table = results_table(rows, cfgs)
    print(table)
    (out / "results.md").write_text(table + "\n")
    plot(rows, cfgs, out / "results.png", f"tern -O{args.opt} vs " + ", ".join(p.name for p in peers)
         + f", median of {args.runs} runs")
    print(f"\nwrote {out / 'results.md'} and {out / 'results.png'}")
    shutil.rmtree(work, ignore_errors=True)
    for scratch in Path("/dev/shm").glob("tern-bench-*"):
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if all(r[3] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
