#!/usr/bin/env python3
"""tern checkpoint/restore benchmark.

For every program in bench/programs: builds it to wasm32-wasi (clang-22 -O2),
compiles it with tern twice (plain and --cr), and measures
  * run time of the --cr build over the plain build (median of --runs runs,
    alternating), and the mean of per-program ratios (Wanco's definition);
  * code size: bytes of compiled Wasm functions (symbols tern_m0_func_N and,
    under --cr, their resume versions tern_m0_func_N_resume), and of the
    whole executables;
  * checkpoint latency (SIGUSR1 to durable snapshot file, measured inside the
    runtime) and its phases (reaching a migration point, capture, encode,
    write, fsync), snapshot size and memory size, with the signal sent at 40%
    of the plain run time;
  * restore latency (process start to the innermost frame resumed) with the
    default `--restore-memory verify` and with `lazy`, and that the
    checkpointed + restored output equals the uninterrupted one (both modes).
  * with --instructions: instructions executed by each build (valgrind's
    callgrind), whose ratio does not depend on how busy the machine is.
Prints a markdown table and writes target/bench/cr.{md,png}.
Usage: bench/cr.sh [--runs N] [--only a,b] [--out DIR] [--instructions]
"""
import os, re, signal, statistics, subprocess, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import PROGRAMS, BuildFlags, bench_parser, build_wasm, ensure_matplotlib, program_names, sh, sysroot, timed  # noqa: E402


def func_bytes(exe):
    out = sh(["nm", "-S", "--defined-only", str(exe)]).stdout
    total = 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and re.match(r"tern_m0_func_\d+(_resume)?$", parts[3]):
            total += int(parts[1], 16)
    return total


def checkpoint_once(exe, snap, delay):
    env = dict(os.environ, TERN_CHECKPOINT_REPORT="1")
    p = subprocess.Popen([str(exe), "--checkpoint-to", str(snap), "--"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(delay)
    try:
        p.send_signal(signal.SIGUSR1)
    except ProcessLookupError:
        pass
    out, err = p.communicate()
    m = re.search(r"checkpoint latency (\d+) us, snapshot (\d+) bytes, memory (\d+) bytes", err)
    ph = re.search(r"checkpoint phases: reach point (\d+) us, capture (\d+) us, encode (\d+) us, write (\d+) us, fsync (\d+) us", err)
    if p.returncode != 75 or not m:
        return None, out
    phases = tuple(int(g) for g in ph.groups()) if ph else None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), phases), out


def instructions(exe):
    """Instructions one run of `exe` executes (callgrind's total)."""
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", str(exe)],
                       capture_output=True, text=True)
    m = re.search(r"Collected : (\d+)", r.stderr)
    if r.returncode != 0 or not m:
        raise RuntimeError(f"callgrind failed on {exe}: {r.stderr[-1000:]}")
    return int(m.group(1))


def restore_once(exe, snap, mode="verify"):
    env = dict(os.environ, TERN_CHECKPOINT_REPORT="1")
    r = subprocess.run([str(exe), "--restore", str(snap), "--restore-memory", mode, "--"], capture_output=True, text=True, env=env)
    m = re.search(r"restore latency (\d+) us", r.stderr)
    return (int(m.group(1)) if m else None), r.stdout, r.returncode


def main():
    ap = bench_parser()
    ap.add_argument("--instructions", action="store_true", help="also count instructions with callgrind")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tern-crbench-"))
    root = sysroot(work)
    names = program_names(args.only)
    rows = []
    for name in names:
        src = PROGRAMS / f"{name}.c"
        wasm, plain, cr = work / f"{name}.wasm", work / f"{name}.plain", work / f"{name}.cr"
        flags = BuildFlags(src)
        if flags.needs_dir:
            # WASI-heavy (needs a preopened folder): measures the host, not the instrumentation.
            print(f"  {name}: skipped (needs a directory argument)", file=sys.stderr)
            continue
        build_wasm(src, wasm, root, flags)
        sh([args.tern, "compile", str(wasm), "-o", str(plain)])
        sh([args.tern, "compile", "--cr", str(wasm), "-o", str(cr)])
        times = {"plain": [], "cr": []}
        outputs = {}
        for _ in range(args.runs):
            for cfg, exe in (("plain", plain), ("cr", cr)):
                t, o = timed([str(exe)])
                times[cfg].append(t)
                outputs[cfg] = o
        med = {c: statistics.median(ts) for c, ts in times.items()}
        agree = outputs["plain"] == outputs["cr"]
        snap = work / f"{name}.tsnap"
        ck, first = checkpoint_once(cr, snap, med["plain"] * 0.4)
        restored_ok, rl, rl_lazy = None, None, None
        if ck:
            rl, rest, code = restore_once(cr, snap)
            rl_lazy, rest_lazy, code_lazy = restore_once(cr, snap, "lazy")
            restored_ok = (code == 0 and first + rest == outputs["plain"]
                           and code_lazy == 0 and first + rest_lazy == outputs["plain"])
        row = {
            "name": name, "plain": med["plain"], "cr": med["cr"], "ratio": med["cr"] / med["plain"],
            "code": func_bytes(cr) / max(func_bytes(plain), 1),
            "exe": cr.stat().st_size / plain.stat().st_size, "agree": agree,
            "ck_us": ck[0] if ck else None, "snap": ck[1] if ck else None, "mem": ck[2] if ck else None,
            "phases": ck[3] if ck else None,
            "restore_us": rl, "restore_lazy_us": rl_lazy, "restored_ok": restored_ok,
            "instr": instructions(cr) / instructions(plain) if args.instructions else None,
        }
        rows.append(row)
        print(f"  {name}: {row}", file=sys.stderr)
    fmt = lambda v, f: (f.format(v) if v is not None else "-")
    lines = ["| program | plain (s) | --cr (s) | run-time ratio | code ratio | exe ratio | checkpoint (ms) | snapshot (KiB) | memory (KiB) | restore (ms) | lazy restore (ms) | output ok | instructions ratio |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ok = r["agree"] and r["restored_ok"] is not False
        lines.append(f"| {r['name']} | {r['plain']:.3f} | {r['cr']:.3f} | {r['ratio']:.3f}x | {r['code']:.2f}x | {r['exe']:.2f}x | "
                     f"{fmt(r['ck_us'] and r['ck_us'] / 1000, '{:.2f}')} | {fmt(r['snap'] and r['snap'] / 1024, '{:.1f}')} | "
                     f"{fmt(r['mem'] and r['mem'] / 1024, '{:.0f}')} | {fmt(r['restore_us'] and r['restore_us'] / 1000, '{:.2f}')} | "
                     f"{fmt(r['restore_lazy_us'] and r['restore_lazy_us'] / 1000, '{:.2f}')} | {'yes' if ok else 'NO'} | {fmt(r['instr'], '{:.3f}x')} |")
    ratios = [r["ratio"] for r in rows]
    codes = [r["code"] for r in rows]
    mean = sum(ratios) / len(ratios)
    worst = max(rows, key=lambda r: r["ratio"])
    instrs = [r["instr"] for r in rows if r["instr"] is not None]
    instr_mean = f"**{sum(instrs) / len(instrs):.3f}x**" if instrs else ""
    lines.append(f"| **mean** | | | **{mean:.3f}x** | **{sum(codes) / len(codes):.2f}x** | | | | | | | | {instr_mean} |")
    lines.append(f"\nworst run-time ratio: {worst['name']} {worst['ratio']:.3f}x; largest code ratio {max(codes):.2f}x")
    lines.append("\ncheckpoint latency by phase (ms; TERN_CHECKPOINT_REPORT):\n")
    lines.append("| program | reach point | capture | encode | write | fsync |")
    lines.append("|---|---|---|---|---|---|")
    for r in rows:
        if r["phases"]:
            lines.append(f"| {r['name']} | " + " | ".join(f"{v / 1000:.2f}" for v in r["phases"]) + " |")
    table = "\n".join(lines)
    print(table)
    (out / "cr.md").write_text(table + "\n")
    plt = ensure_matplotlib()
    fig, ax = plt.subplots(figsize=(10, 4.5))
    xs = range(len(rows))
    ax.bar([x - 0.2 for x in xs], ratios, 0.4, label="run time --cr / plain")
    ax.bar([x + 0.2 for x in xs], codes, 0.4, label="code size --cr / plain")
    ax.axhline(1.05, color="green", linewidth=0.8, linestyle="--", label="1.05x goal")
    ax.set_xticks(list(xs))
    ax.set_xticklabels([r["name"] for r in rows], rotation=30)
    ax.set_ylabel("ratio to the plain build")
    ax.set_title(f"tern checkpoint/restore overhead, median of {args.runs} runs")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "cr.png", dpi=110)
    print(f"\nwrote {out / 'cr.md'} and {out / 'cr.png'}")
    return 0 if all(r["agree"] and r["restored_ok"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
