//! Runs one WASI program the same way under Wasmtime (the reference, run in
//! the same test) and under tern on each target, in a fresh folder each
//! time, and compares what the runs did: standard output, exit status, the
//! files left in the folder (see [`tree`]) and, for programs that get a
//! socket, what the test's client received.
//!
//! The folder of a run (`$BASE`) holds `sandbox/` (preopened, as `/sandbox`
//! unless the case says otherwise) and `outside/secret` (`TOPSECRET`), which
//! the guest must not reach; the whole folder is compared, so anything
//! changed outside the sandbox fails the test.
//!
//! Where tern deliberately differs from Wasmtime, a [`Deviation`] turns the
//! reference into tern's expected behaviour, and the test first asserts that
//! Wasmtime really behaves as the deviation says (a stale deviation fails).

#![allow(
    dead_code,
    reason = "each test file uses a different subset of the helpers"
)]

pub mod client;
pub mod deviation;
pub mod tree;

use crate::common::wasmtime;
use crate::common::{self, Run};
use deviation::expected;
pub use deviation::Deviation;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tree::Tree;

/// Wasmtime 36 (`$WASMTIME_LEGACY`, or where `scripts/setup.sh` puts it): the
/// last CLI with the legacy preview1 implementation, the only one that hands a
/// guest a listening socket (`-S preview2=n -S tcplisten=ADDR`); the reference
/// for cases with a socket.
pub fn wasmtime_legacy() -> PathBuf {
    common::installed_tool(
        "WASMTIME_LEGACY",
        "wasmtime-legacy/bin/wasmtime",
        "Wasmtime 36, the socket reference,",
    )
}

/// How to set up and run one program.
#[derive(Clone)]
pub struct Case {
    /// Label for messages (program name and arguments).
    pub label: String,
    /// The module.
    pub wasm: PathBuf,
    /// `argv[0]` for both hosts.
    pub argv0: String,
    /// Guest arguments.
    pub args: Vec<String>,
    /// `--env KEY=VALUE` for both hosts.
    pub env: Vec<String>,
    /// Environment of the host process plus `--inherit-env`/`-S inherit-env`.
    pub inherit_env: Option<Vec<(String, String)>>,
    /// Standard input.
    pub stdin: Vec<u8>,
    /// Preopens: (folder inside `$BASE`, or an absolute host path; guest path).
    pub dirs: Vec<(String, String)>,
    /// Fills `$BASE` before the run (after `sandbox/` and `outside/` exist).
    pub setup: fn(&Path),
    /// Runs beside the guest with `$BASE` until the guest exits (e.g. a racing thread).
    pub beside: Option<fn(&Path, &std::sync::atomic::AtomicBool)>,
    /// Hand in a TCP listener and drive [`client::converse`] against it.
    pub socket: bool,
    /// Known differences from Wasmtime.
    pub deviations: Vec<Deviation>,
    /// Time limit of one run.
    pub timeout: Duration,
}

impl Case {
    /// A case for `wasm` with the defaults: `/sandbox`, no arguments, no input.
    pub fn new(label: &str, wasm: &Path) -> Case {
        Case {
            label: label.to_string(),
            wasm: wasm.to_path_buf(),
            argv0: wasm
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            args: Vec::new(),
            env: Vec::new(),
            inherit_env: None,
            stdin: Vec::new(),
            dirs: vec![("sandbox".into(), "/sandbox".into())],
            setup: |_| {},
            beside: None,
            socket: false,
            deviations: Vec::new(),
            timeout: Duration::from_secs(300),
        }
    }
}

/// Where a case runs.
#[derive(Clone, Copy, Debug)]
pub enum Host<'a> {
    /// `wasmtime run`.
    Wasmtime,
    /// An executable from `tern compile` for `target`.
    Executable {
        /// Its target.
        target: &'a str,
        /// The executable.
        exe: &'a Path,
    },
    /// `tern run --target T` with the compile cache `cache`.
    TernRun {
        /// The target.
        target: &'a str,
        /// `TERN_CACHE_DIR`.
        cache: &'a Path,
    },
}

impl Host<'_> {
    /// Name for messages.
    pub fn name(&self) -> String {
        match self {
            Host::Wasmtime => "wasmtime".into(),
            Host::Executable { target, .. } => format!("tern executable ({target})"),
            Host::TernRun { target, .. } => format!("tern run ({target})"),
        }
    }
}

/// What one run did.
#[derive(Debug)]
pub struct Outcome {
    /// The process.
    pub run: Run,
    /// Raw standard output.
    pub stdout: Vec<u8>,
    /// Exit status (a signal fails the test).
    pub code: i32,
    /// The files left in `$BASE`.
    pub tree: Tree,
    /// What the socket client received, if the case has a socket.
    pub client: Option<String>,
    /// The run's folder (`$BASE`).
    pub run_dir: PathBuf,
}

/// Runs `case` on `host` in a fresh folder under `scratch`.
pub fn run_case(case: &Case, host: Host<'_>, scratch: &Path) -> Outcome {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let base = scratch.join(format!("run-{}", RUNS.fetch_add(1, Ordering::Relaxed)));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(base.join("sandbox")).expect("create sandbox");
    std::fs::create_dir_all(base.join("outside")).expect("create outside");
    std::fs::write(base.join("outside/secret"), "TOPSECRET").expect("write secret");
    (case.setup)(&base);

    let listener_addr = case.socket.then(client::free_local_addr);
    let dirs: Vec<(String, String)> = case
        .dirs
        .iter()
        .map(|(host, guest)| {
            let host = if host.starts_with('/') {
                PathBuf::from(host)
            } else {
                base.join(host)
            };
            (host.display().to_string(), guest.clone())
        })
        .collect();
    let mut cmd = match host {
        Host::Wasmtime => {
            let mut cmd = match &listener_addr {
                Some(addr) => {
                    let mut cmd = Command::new(wasmtime_legacy());
                    cmd.args(["run", "-S", "preview2=n", "-S"])
                        .arg(format!("tcplisten={addr}"));
                    cmd
                }
                None => {
                    let mut cmd = Command::new(wasmtime());
                    cmd.arg("run");
                    cmd
                }
            };
            cmd.arg("--argv0").arg(&case.argv0);
            if case.inherit_env.is_some() {
                cmd.args(["-S", "inherit-env=y"]);
            }
            for (h, g) in &dirs {
                cmd.arg("--dir").arg(format!("{h}::{g}"));
            }
            for e in &case.env {
                cmd.arg("--env").arg(e);
            }
            cmd.arg(&case.wasm).args(&case.args);
            cmd
        }
        Host::Executable { target, exe } => {
            let mut cmd = common::target_command(target, exe);
            tern_options(&mut cmd, case, &dirs, listener_addr.as_deref());
            cmd.arg("--").args(&case.args);
            cmd
        }
        Host::TernRun { target, cache } => {
            let mut cmd = common::tern(cache);
            cmd.args(["run", "--target", target]);
            tern_options(&mut cmd, case, &dirs, listener_addr.as_deref());
            cmd.arg(&case.wasm).arg("--").args(&case.args);
            cmd
        }
    };
    if let Some(vars) = &case.inherit_env {
        for (k, v) in vars {
            cmd.env(k, v);
        }
    }
    let client = listener_addr.map(|addr| std::thread::spawn(move || client::converse(&addr)));
    let stop = Arc::new(AtomicBool::new(false));
    let beside = case.beside.map(|f| {
        let (base, stop) = (base.clone(), stop.clone());
        std::thread::spawn(move || f(&base, &stop))
    });
    let run = common::run_with_input(&mut cmd, Some(&case.stdin), case.timeout);
    stop.store(true, Ordering::Relaxed);
    if let Some(b) = beside {
        b.join().expect("the thread beside the guest panicked");
    }
    let client = client.map(|c| c.join().unwrap_or_else(|_| "client thread panicked".into()));
    run.assert_no_crash();
    let stdout = run.stdout.clone().into_bytes();
    Outcome {
        code: run.code(),
        stdout,
        tree: Tree::read(&base),
        client,
        run,
        run_dir: base,
    }
}

fn tern_options(cmd: &mut Command, case: &Case, dirs: &[(String, String)], listen: Option<&str>) {
    cmd.arg("--argv0").arg(&case.argv0);
    if let Some(addr) = listen {
        cmd.arg("--tcplisten").arg(addr);
    }
    if case.inherit_env.is_some() {
        cmd.arg("--inherit-env");
    }
    for (h, g) in dirs {
        cmd.arg("--dir").arg(format!("{h}::{g}"));
    }
    for e in &case.env {
        cmd.arg("--env").arg(e);
    }
}

/// Compares `got` against the reference (with deviations applied); returns
/// the differences, empty when the run matched.
pub fn compare(case: &Case, host: Host<'_>, reference: &Outcome, got: &Outcome) -> Vec<String> {
    let want = expected(case, reference);
    let mut problems = Vec::new();
    let who = format!("{} on {}", case.label, host.name());
    if got.code != want.code {
        problems.push(format!(
            "{who}: exit status {}, expected {}",
            got.code, want.code
        ));
    }
    if got.stdout != want.stdout.as_bytes() {
        problems.push(format!(
            "{who}: stdout differs\n{}",
            first_difference(&want.stdout, &String::from_utf8_lossy(&got.stdout))
        ));
    }
    let tree_diff = reference.tree.diff(&got.tree);
    if !tree_diff.is_empty() {
        problems.push(format!("{who}: files differ\n  {}", tree_diff.join("\n  ")));
    }
    if reference.client != got.client {
        problems.push(format!(
            "{who}: the socket client received {:?}, with Wasmtime {:?}",
            got.client, reference.client
        ));
    }
    if !problems.is_empty() {
        problems.push(format!("--- {who} ---\n{}", got.run.describe()));
    }
    problems
}

/// The first line where `expected` and `got` differ.
pub fn first_difference(expected: &str, got: &str) -> String {
    let mut e = expected.lines();
    let mut g = got.lines();
    for line in 1.. {
        match (e.next(), g.next()) {
            (None, None) => return "  (outputs differ only in line endings)".into(),
            (a, b) if a == b => continue,
            (a, b) => return format!("  line {line}:\n    expected: {a:?}\n    got:      {b:?}"),
        }
    }
    unreachable!()
}

/// Runs `case` under Wasmtime, then on every host of `hosts`, and fails with
/// every difference found; returns Wasmtime's outcome.
pub fn check_case(case: &Case, hosts: &[Host<'_>], scratch: &Path) -> Outcome {
    let reference = run_case(case, Host::Wasmtime, scratch);
    let mut problems = Vec::new();
    for host in hosts {
        let got = run_case(case, *host, scratch);
        problems.extend(compare(case, *host, &reference, &got));
    }
    assert!(
        problems.is_empty(),
        "{}\n--- reference (wasmtime) ---\n{}\nfiles:\n{:?}",
        problems.join("\n\n"),
        reference.run.describe(),
        reference.tree
    );
    reference
}
