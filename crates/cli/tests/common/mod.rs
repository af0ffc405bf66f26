//! Helpers shared by the integration tests that drive the `tern` binary:
//! scratch folders, running commands with a timeout, building C programs
//! to wasm32-wasi and natively, the runtime archives, and qemu for AArch64.
//!
//! Nothing here skips a test: a missing tool is a failure whose message says
//! how to install it (`scripts/setup.sh`).

#![allow(
    dead_code,
    reason = "each test file uses a different subset of the helpers"
)]

pub mod generated;
pub mod state_exports;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The compilation targets of `tern`, as `--target` spells them.
pub const TARGETS: [&str; 2] = ["x86_64-linux-gnu", "aarch64-linux-gnu"];

/// The targets to test: [`TARGETS`], or the comma-separated subset named by
/// `TERN_TEST_TARGETS` (for quick local runs; the choice is printed).
pub fn targets() -> Vec<&'static str> {
    let Ok(wanted) = std::env::var("TERN_TEST_TARGETS") else {
        return TARGETS.to_vec();
    };
    let chosen: Vec<&'static str> = TARGETS
        .iter()
        .copied()
        .filter(|t| {
            wanted
                .split(',')
                .any(|w| !w.is_empty() && t.starts_with(w.trim()))
        })
        .collect();
    assert!(
        !chosen.is_empty(),
        "TERN_TEST_TARGETS={wanted:?} names none of {TARGETS:?}"
    );
    eprintln!("note: TERN_TEST_TARGETS={wanted:?}: testing only {chosen:?}");
    chosen
}

/// How long one command may run before the test kills it and fails.
pub const TIMEOUT: Duration = Duration::from_secs(300);

/// The `tern` binary under test.
pub fn tern_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tern"))
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A scratch folder, removed when dropped unless `TERN_TEST_KEEP` is set.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// A fresh, empty folder under Cargo's integration-test scratch folder.
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir { path }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the folder.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("TERN_TEST_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// What a finished command did, with its output as text.
#[derive(Debug)]
pub struct Run {
    /// The command line, for messages.
    pub command: String,
    /// The exit status.
    pub status: ExitStatus,
    /// Set when the command was killed for running longer than this.
    pub timed_out: Option<Duration>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// The exit code; fails the test when a signal ended the process.
    pub fn code(&self) -> i32 {
        if let Some(limit) = self.timed_out {
            panic!(
                "`{}` did not finish within {limit:?}\n{}",
                self.command,
                self.describe()
            );
        }
        match self.status.code() {
            Some(code) => code,
            None => panic!(
                "`{}` was killed by a signal: {:?}\n{}",
                self.command,
                self.status,
                self.describe()
            ),
        }
    }

    /// Stdout and stderr, for failure messages.
    pub fn describe(&self) -> String {
        format!(
            "command: {}\nstatus: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command,
            match self.timed_out {
                Some(limit) => format!("killed after the time limit of {limit:?}"),
                None => format!("{:?}", self.status),
            },
            truncate(&self.stdout),
            truncate(&self.stderr)
        )
    }

    /// Asserts that the process exited normally (no signal) and that no
    /// Rust panic was reported.
    pub fn assert_no_crash(&self) {
        if let Some(limit) = self.timed_out {
            panic!(
                "`{}` did not finish within {limit:?}\n{}",
                self.command,
                self.describe()
            );
        }
        assert!(
            self.status.code().is_some(),
            "`{}` was killed by a signal\n{}",
            self.command,
            self.describe()
        );
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "`{}` panicked\n{}",
            self.command,
            self.describe()
        );
    }

    /// Asserts exit status `code` (and no crash).
    pub fn assert_code(&self, code: i32) -> &Run {
        self.assert_no_crash();
        assert_eq!(
            self.code(),
            code,
            "unexpected exit status\n{}",
            self.describe()
        );
        self
    }

    /// Asserts success (and no crash).
    pub fn assert_success(&self) -> &Run {
        self.assert_code(0)
    }

    /// Asserts that stderr contains one of `needles` (case-insensitive).
    pub fn assert_stderr_mentions(&self, needles: &[&str]) -> &Run {
        let lower = self.stderr.to_lowercase();
        assert!(
            needles.iter().any(|n| lower.contains(&n.to_lowercase())),
            "stderr mentions none of {needles:?}\n{}",
            self.describe()
        );
        self
    }

    /// Asserts a usage/input error: exit status 1, no crash, and a message
    /// mentioning one of `needles`.
    pub fn assert_error(&self, needles: &[&str]) -> &Run {
        self.assert_code(1);
        self.assert_stderr_mentions(needles)
    }

    /// Asserts a trap: exit status 134 and `wasm trap: <message>` on stderr.
    pub fn assert_trap(&self, message: &str) -> &Run {
        self.assert_code(134);
        let expected = format!("wasm trap: {message}");
        assert!(
            self.stderr.contains(&expected),
            "stderr lacks `{expected}`\n{}",
            self.describe()
        );
        self
    }
}

fn truncate(s: &str) -> String {
    const MAX: usize = 4000;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut cut = MAX;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}\n... ({} more bytes)", &s[..cut], s.len() - cut)
}

/// Runs `cmd` with stdin closed, killing it after [`TIMEOUT`] (see
/// [`run_with_timeout`]).
pub fn run(cmd: &mut Command) -> Run {
    run_with_timeout(cmd, TIMEOUT)
}

/// Runs `cmd` with stdin closed. After `timeout` its whole process group
/// (e.g. `tern run` and the qemu it started) is killed, and the result says
/// [`Run::timed_out`].
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Run {
    run_with_input(cmd, None, timeout)
}

/// As [`run_with_timeout`], writing `input` (if any) to the command's stdin.
pub fn run_with_input(cmd: &mut Command, input: Option<&[u8]>, timeout: Duration) -> Run {
    use std::io::Write;
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    let command = format!("{cmd:?}");
    let mut child = cmd
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{command}`: {e}"));
    let mut out = child.stdout.take().expect("stdout is piped");
    let mut err = child.stderr.take().expect("stderr is piped");
    let writer = input.map(|bytes| {
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        })
    });
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > timeout => {
                timed_out = true;
                // The child leads its own process group: end it and its children.
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                break ExitStatus::from_raw(9);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("cannot wait for `{command}`: {e}"),
        }
    };
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    let stdout = out_reader.join().expect("stdout reader");
    let stderr = err_reader.join().expect("stderr reader");
    Run {
        command,
        status,
        timed_out: timed_out.then_some(timeout),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Converts an [`Output`] (from code that ran a command itself).
pub fn from_output(command: String, output: Output) -> Run {
    Run {
        command,
        status: output.status,
        timed_out: None,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Fails the test unless `program` can be found on `PATH` (or is a path that exists).
pub fn require_tool(program: &str, what: &str) {
    if program.contains('/') {
        assert!(
            Path::new(program).exists(),
            "{program} ({what}) is missing: run scripts/setup.sh"
        );
        return;
    }
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "`{program}` ({what}) is not on PATH: run scripts/setup.sh"
    );
}

/// Fails the test unless the runtime archive for every target exists where
/// `tern` looks for it.
pub fn require_runtimes() {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| {
        let explicit = std::env::var_os("TERN_RUNTIME_DIR").map(PathBuf::from);
        for triple in ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"] {
            let mut candidates = vec![repo_root().join("target/tern-runtime").join(triple)];
            if let Some(dir) = &explicit {
                candidates.push(dir.join(triple));
            }
            if let Some(dir) = tern_bin().parent().and_then(Path::parent) {
                candidates.push(dir.join("tern-runtime").join(triple));
            }
            assert!(
                candidates.iter().any(|dir| dir.join("libtern_runtime.a").is_file()),
                "no runtime archive for {triple} (looked in {candidates:?}): run scripts/build-runtimes.sh"
            );
        }
    });
}

/// Fails the test unless everything needed to run AArch64 executables is installed.
pub fn require_aarch64() {
    require_tool("qemu-aarch64", "user-mode emulator for AArch64 programs");
    require_tool("aarch64-linux-gnu-gcc", "AArch64 cross linker");
    assert!(
        Path::new("/usr/aarch64-linux-gnu/lib").is_dir(),
        "the AArch64 C library (/usr/aarch64-linux-gnu) is missing: run scripts/setup.sh"
    );
}

/// Checks everything the tests that compile and run for both targets need.
pub fn require_toolchain() {
    require_runtimes();
    require_tool("clang-22", "LLVM 22 C compiler and linker driver");
    if targets().iter().any(|t| t.starts_with("aarch64")) {
        require_aarch64();
    }
}

/// A `tern` command whose compile cache is `cache`.
pub fn tern(cache: &Path) -> Command {
    let mut cmd = Command::new(tern_bin());
    cmd.env("TERN_CACHE_DIR", cache)
        .env_remove("RUST_BACKTRACE");
    cmd
}

/// Runs `tern ARGS` with the compile cache `cache`.
pub fn run_tern(cache: &Path, args: &[&str]) -> Run {
    run(tern(cache).args(args))
}

/// Compiles `module` with `tern compile` for `target` at `-O opt` into `out`,
/// failing the test when that does not succeed.
pub fn tern_compile(cache: &Path, module: &Path, out: &Path, target: &str, opt: u8) {
    let opt = opt.to_string();
    let result = run(tern(cache)
        .arg("compile")
        .arg(module)
        .arg("-o")
        .arg(out)
        .args(["--target", target, "-O", &opt]));
    result.assert_success();
    assert!(
        out.is_file(),
        "tern compile reported success but wrote no {}",
        out.display()
    );
}

/// A command running the executable `exe` built for `target`: directly on
/// the host's architecture, under qemu-user otherwise (see [`qemu_sysroot`]).
pub fn target_command(target: &str, exe: &Path) -> Command {
    let host_is_aarch64 = cfg!(target_arch = "aarch64");
    if target.starts_with("aarch64") && !host_is_aarch64 {
        let mut cmd = Command::new("qemu-aarch64");
        cmd.arg("-L").arg(qemu_sysroot()).arg(exe);
        cmd
    } else if target.starts_with("x86_64") && host_is_aarch64 {
        let mut cmd = Command::new("qemu-x86_64");
        cmd.arg("-L").arg("/usr/x86_64-linux-gnu").arg(exe);
        cmd
    } else {
        Command::new(exe)
    }
}

/// The folder given to `qemu-aarch64 -L`: `TERN_TEST_QEMU_SYSROOT` if set,
/// otherwise the first of the cross toolchain's libc (`/usr/aarch64-linux-gnu`,
/// what `docs/contracts.md` names) and `/` (Debian's multiarch arm64 libc)
/// that runs a tern-compiled program. (With qemu 7.2, the cross libc's
/// `pthread_create` has been seen to hang.) Probed once per test binary.
pub fn qemu_sysroot() -> &'static Path {
    static SYSROOT: OnceLock<PathBuf> = OnceLock::new();
    SYSROOT.get_or_init(|| {
        if let Some(dir) = std::env::var_os("TERN_TEST_QEMU_SYSROOT") {
            return PathBuf::from(dir);
        }
        require_runtimes();
        require_aarch64();
        let dir = TempDir::new("qemu-probe");
        let module = write_file(
            &dir,
            "probe.wat",
            br#"(module (func (export "_start")) (func (export "one") (result i32) i32.const 1))"#,
        );
        let exe = dir.join("probe");
        tern_compile(&dir.join("cache"), &module, &exe, "aarch64-linux-gnu", 0);
        let mut tried = Vec::new();
        for candidate in ["/usr/aarch64-linux-gnu", "/"] {
            let result = run_with_timeout(
                Command::new("qemu-aarch64")
                    .arg("-L")
                    .arg(candidate)
                    .arg(&exe)
                    .args(["--invoke", "one", "--"]),
                Duration::from_secs(30),
            );
            if result.status.success() && result.stdout.trim() == "1" {
                if !tried.is_empty() {
                    eprintln!("note: using qemu-aarch64 -L {candidate}; failed: {tried:?}");
                }
                return PathBuf::from(candidate);
            }
            tried.push(format!("-L {candidate}: {}", result.describe()));
        }
        panic!(
            "no qemu-aarch64 -L folder runs a tern-compiled AArch64 program (run scripts/setup.sh):\n{}",
            tried.join("\n")
        );
    })
}

/// The WASI sysroot clang needs: `include` and `lib/wasm32-wasi{,p1}` linked
/// to Debian's wasi-libc (without it clang picks up glibc's headers).
pub fn wasi_sysroot() -> &'static Path {
    static SYSROOT: OnceLock<PathBuf> = OnceLock::new();
    SYSROOT.get_or_init(|| {
        let include = Path::new("/usr/include/wasm32-wasi");
        let lib = Path::new("/usr/lib/wasm32-wasi");
        assert!(
            include.join("stdio.h").is_file() && lib.join("libc.a").is_file(),
            "Debian's wasi-libc is missing (/usr/include/wasm32-wasi, /usr/lib/wasm32-wasi): run scripts/setup.sh"
        );
        assert!(
            Path::new("/usr/lib/llvm-22/lib/clang/22/lib/wasi/libclang_rt.builtins-wasm32.a").is_file(),
            "compiler-rt for wasm32 (libclang-rt-22-dev-wasm32) is missing: run scripts/setup.sh"
        );
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("wasi-sysroot-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("lib")).expect("create the sysroot folder");
        let link = |target: &Path, at: PathBuf| {
            std::os::unix::fs::symlink(target, &at).unwrap_or_else(|e| panic!("symlink {}: {e}", at.display()))
        };
        link(include, root.join("include"));
        link(lib, root.join("lib/wasm32-wasi"));
        link(lib, root.join("lib/wasm32-wasip1"));
        root
    })
}

/// Builds the C program `src` to a wasm32-wasi module `out` with clang-22 -O2.
pub fn build_c_to_wasm(src: &Path, out: &Path) {
    build_wasm(&[src.to_path_buf()], &[], out);
}

/// Builds the C sources `srcs` (including `tests/eh/`'s headers) to a
/// wasm32-wasi module `out` with clang-22 -O2 and setjmp/longjmp lowered to
/// Wasm exceptions in their final (exnref) form.
pub fn build_c_to_wasm_sjlj(srcs: &[PathBuf], out: &Path) {
    build_sjlj(srcs, out, false);
}

/// As [`build_c_to_wasm_sjlj`], but with setjmp/longjmp lowered to the
/// legacy exception-handling form (`try`/`catch`/`rethrow`), as clang did
/// by default before LLVM 22.
pub fn build_c_to_wasm_sjlj_legacy(srcs: &[PathBuf], out: &Path) {
    build_sjlj(srcs, out, true);
}

fn build_sjlj(srcs: &[PathBuf], out: &Path, legacy: bool) {
    let include = format!("-I{}", repo_root().join("tests/eh").display());
    let form = format!("-wasm-use-legacy-eh={legacy}");
    let sjlj = [
        include.as_str(),
        "-mexception-handling",
        "-mllvm",
        "-wasm-enable-sjlj",
        "-mllvm",
        form.as_str(),
    ];
    build_wasm(srcs, &sjlj, out);
}

/// clang-22 -O2 (warnings as errors) of `srcs` with `extra` flags into the
/// wasm32-wasi module `out`.
fn build_wasm(srcs: &[PathBuf], extra: &[&str], out: &Path) {
    require_tool("clang-22", "LLVM 22 C compiler");
    let result = run(Command::new("clang-22")
        .arg("--target=wasm32-wasi")
        .arg(format!("--sysroot={}", wasi_sysroot().display()))
        .args(["-O2", "-Wall", "-Wextra", "-Werror", "-Wno-deprecated"])
        .args(extra)
        .arg("-Wl,--strip-all")
        .args(srcs)
        .arg("-o")
        .arg(out));
    assert!(
        result.status.success() && out.is_file(),
        "building {srcs:?} to wasm failed (tools: run scripts/setup.sh)\n{}",
        result.describe()
    );
}

/// Builds the C program `src` natively into `out` with clang-22 -O2.
pub fn build_c_native(src: &Path, out: &Path) {
    require_tool("clang-22", "LLVM 22 C compiler");
    let result = run(Command::new("clang-22")
        .args(["-O2", "-Wall", "-Wextra", "-Werror"])
        .arg(src)
        .arg("-o")
        .arg(out)
        .arg("-lm"));
    assert!(
        result.status.success() && out.is_file(),
        "building {} natively failed\n{}",
        src.display(),
        result.describe()
    );
}

/// Path of the C test program `name` (`tests/c/<name>.c`).
pub fn c_source(name: &str) -> PathBuf {
    repo_root().join("tests/c").join(format!("{name}.c"))
}

/// Converts WebAssembly text to a binary, without validating it.
pub fn wat_to_wasm(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap_or_else(|e| panic!("test module does not parse: {e}\n{text}"))
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write_file(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

/// `name` from the environment as a number, or `default`.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Deterministic bytes for `arbitrary` from a seed (xorshift64*), for the
/// tests that generate modules with `wasm-smith`.
pub fn seed_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// The point count `TERN_CHECKPOINT_REPORT=1` printed on stderr.
pub fn points_reached(stderr: &str) -> Option<u64> {
    stderr.lines().find_map(|l| {
        l.strip_prefix("tern: reached ")?
            .strip_suffix(" migration points")?
            .parse()
            .ok()
    })
}

/// `$TERN_TOOLS`, or `~/.cache/tern-tools` (what `scripts/setup.sh` fills).
pub fn tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TERN_TOOLS") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/root".into());
    home.join(".cache/tern-tools")
}

/// A tool `scripts/setup.sh` installs: `$var`, or `relative` in
/// [`tools_dir`]; fails the test naming `what` when it is missing.
pub fn installed_tool(var: &str, relative: &str, what: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| tools_dir().join(relative));
    assert!(
        path.is_file(),
        "{what} ({}) is missing: run scripts/setup.sh",
        path.display()
    );
    path
}

/// The Wasmtime CLI: `$WASMTIME`, or where `scripts/setup.sh` puts it.
pub fn wasmtime() -> PathBuf {
    installed_tool("WASMTIME", "wasmtime/bin/wasmtime", "the Wasmtime CLI")
}
