"""The Wasm runtimes tern is measured against, and how each one is driven.

Every peer compiles a module ahead of time (so its compile time is not in the
measured run time, as tern's is not) and then runs the artifact. A peer whose
binary is missing is skipped with a warning; `bench/setup-peers.sh` installs
them. Which peers exist, and why WAMR and WasmEdge are not among them, is in
the README ("Benchmarks").
"""
import os
from pathlib import Path

TOOLS = Path(os.environ.get("TERN_TOOLS", Path.home() / ".cache" / "tern-tools"))


class Peer:
    """One runtime configuration: `exe` compiles with `compile_args` and runs
    the artifact with `run_args`; `features` maps a program's Wasm features
    (exceptions, tail calls) to the flags that enable them; `dir_args` preopens
    a host folder as /work."""

    def __init__(self, name, exe, compile_args, run_args, features, dir_args, extension):
        self.name, self.exe = name, exe
        self._compile, self._run, self._features, self._dir = compile_args, run_args, features, dir_args
        self.extension = extension

    def available(self):
        return self.exe.exists()

    def feature_flags(self, needs):
        groups = dict.fromkeys(tuple(self._features[f]) for f in sorted(needs) if f in self._features)
        return [flag for group in groups for flag in group]

    def compile_cmd(self, wasm, artifact, needs):
        return [str(self.exe), *self._compile(wasm, artifact, self.feature_flags(needs))]

    def run_cmd(self, artifact, needs, scratch=None):
        dirs = self._dir(scratch) if scratch else []
        return [str(self.exe), *self._run(artifact, self.feature_flags(needs), dirs)] + (["/work"] if scratch else [])


def _wasmtime():
    return Peer(
        "wasmtime", TOOLS / "wasmtime" / "bin" / "wasmtime",
        lambda wasm, art, f: ["compile", *f, str(wasm), "-o", str(art)],
        lambda art, f, d: ["run", *f, "--allow-precompiled", *d, str(art)],
        {"exceptions": ["-W", "exceptions=y"]},
        lambda scratch: ["--dir", f"{scratch}::/work"],
        "cwasm")


def _wasmer(backend):
    # Wasmer runs a module it serialized itself (`.wasmu`) without compiling
    # it again; proposals beyond Wasm 2.0 are enabled when it compiles.
    return Peer(
        f"wasmer-{backend}", TOOLS / "wasmer" / "bin" / "wasmer",
        lambda wasm, art, f: ["compile", f"--{backend}", *f, str(wasm), "-o", str(art)],
        lambda art, f, d: ["run", *d, str(art), "--"],
        {"exceptions": ["--enable-exceptions"], "tail-call": ["--enable-tail-call"]},
        lambda scratch: ["--volume", f"{scratch}:/work"],
        f"{backend}.wasmu")


def all_peers():
    """Every peer, in the order the table shows them."""
    return [_wasmtime(), _wasmer("llvm"), _wasmer("cranelift")]
