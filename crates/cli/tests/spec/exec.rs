//! Runs a bundle executable on a script and collects one output line per
//! command, surviving crashes and hangs.
//!
//! When the executable dies (or stops answering) at command J, command J is
//! recorded as failed and the executable is started again on a script that
//! replays every earlier command that succeeded (their output is ignored;
//! this rebuilds the instances' state) followed by the commands after J.
//! After [`MAX_RESTARTS`] restarts the remaining commands are reported as not
//! run, so the count of assertions is never lost.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tern_compiler::Target;

/// How many times one file's executable may be restarted after a crash.
pub const MAX_RESTARTS: usize = 40;

/// How to start executables of one target.
#[derive(Clone, Debug)]
pub struct Launcher {
    /// The target of the executables.
    pub target: Target,
    /// Time one command may take before the executable is considered hung.
    pub command_timeout: Duration,
    /// Time after which a file's executable is no longer restarted.
    pub file_budget: Duration,
    /// qemu-user's `-L` folder (ELF interpreter and libraries) for a
    /// non-host target.
    pub sysroot: PathBuf,
}

impl Launcher {
    /// The launcher for `target` (qemu-user when it is not the host), with
    /// `timeout_secs` per command (default: 20 natively, 60 under qemu).
    pub fn new(target: Target, timeout_secs: Option<u64>) -> Launcher {
        let emulated = target != Target::host();
        let secs = timeout_secs.unwrap_or(if emulated { 60 } else { 20 });
        Launcher {
            target,
            command_timeout: Duration::from_secs(secs),
            file_budget: Duration::from_secs(secs * 15),
            sysroot: PathBuf::from(default_sysroot(target)),
        }
    }

    /// The command prefix that runs `exe` (shown in reproduction hints too).
    pub fn command_line(&self, exe: &Path) -> Vec<String> {
        let exe = exe.display().to_string();
        if self.target == Target::host() {
            return vec![exe];
        }
        let qemu = match self.target {
            Target::Aarch64 => "qemu-aarch64",
            Target::X86_64 => "qemu-x86_64",
        };
        vec![
            qemu.into(),
            "-L".into(),
            self.sysroot.display().to_string(),
            exe,
        ]
    }

    /// Picks the qemu `-L` folder that can run `exe` (an executable of this
    /// target that handles an empty script): the contract's
    /// `/usr/<triple>` (the cross toolchain's libc) first, then `/` (the
    /// multiarch libc, `libc6:arm64`). Returns a warning when the
    /// contract's folder does not work.
    ///
    /// # Errors
    /// When no candidate runs `exe`.
    pub fn choose_sysroot(&mut self, exe: &Path, dir: &Path) -> Result<Option<String>, String> {
        if self.target == Target::host() {
            return Ok(None);
        }
        let mut problems = Vec::new();
        for candidate in [default_sysroot(self.target), "/"] {
            self.sysroot = PathBuf::from(candidate);
            match probe(self, exe, dir) {
                Ok(()) if problems.is_empty() => return Ok(None),
                Ok(()) => {
                    return Ok(Some(format!(
                        "qemu -L {} does not work ({}); using -L {candidate}",
                        default_sysroot(self.target),
                        problems.join("; ")
                    )))
                }
                Err(e) => problems.push(e),
            }
        }
        self.sysroot = PathBuf::from(default_sysroot(self.target));
        Err(problems.join("; "))
    }
}

/// The qemu `-L` folder of `docs/contracts.md`: the cross toolchain's libc.
fn default_sysroot(target: Target) -> &'static str {
    match target {
        Target::Aarch64 => "/usr/aarch64-linux-gnu",
        Target::X86_64 => "/usr/x86_64-linux-gnu",
    }
}

/// The result of one command: its output line, or why there is none.
pub type LineResult = Result<String, String>;

/// Runs `exe` on `commands` (one script line each) in `dir`; returns one
/// result per command.
///
/// # Errors
/// When the executable does not even run an empty script (nothing is
/// worth trying then).
pub fn run_script(
    launcher: &Launcher,
    exe: &Path,
    commands: &[String],
    dir: &Path,
) -> Result<Vec<LineResult>, String> {
    let mut results: Vec<Option<LineResult>> = vec![None; commands.len()];
    let mut start = 0;
    // Runs in a row that answered no new command: the executable is broken.
    let mut silent = 0;
    let deadline = Instant::now() + launcher.file_budget;
    probe(launcher, exe, dir)?;
    for attempt in 0..=MAX_RESTARTS {
        // Replay what succeeded before `start`, then run the rest.
        let order: Vec<usize> = (0..start)
            .filter(|&i| matches!(results[i], Some(Ok(_))))
            .chain(start..commands.len())
            .collect();
        let replayed = order.iter().take_while(|&&i| i < start).count();
        let script = dir.join(if attempt == 0 {
            "script.txt".to_string()
        } else {
            format!("script.restart{attempt}.txt")
        });
        let text: String = order
            .iter()
            .map(|&i| format!("{}\n", commands[i]))
            .collect();
        if let Err(e) = std::fs::write(&script, text) {
            fill(
                &mut results,
                start,
                &format!("cannot write {}: {e}", script.display()),
            );
            break;
        }
        let stderr_path = dir.join(format!("stderr{attempt}.txt"));
        let session = run_once(launcher, exe, &script, &stderr_path, order.len());
        let done = session.lines.len();
        for (k, line) in session.lines.into_iter().enumerate() {
            if k >= replayed {
                results[order[k]] = Some(Ok(line));
            }
        }
        if done == order.len() {
            break;
        }
        if session.fatal {
            fill(&mut results, start, &session.end);
            break;
        }
        if done < replayed {
            let why = format!(
                "executable died while replaying earlier commands ({})",
                session.end
            );
            fill(&mut results, start, &why);
            break;
        }
        let crashed = order[done];
        results[crashed] = Some(Err(session.end.clone()));
        start = crashed + 1;
        silent = if done == replayed { silent + 1 } else { 0 };
        let stop = if silent >= 2 {
            Some("not run: the executable answered nothing new in two runs in a row".to_string())
        } else if Instant::now() > deadline {
            Some(format!(
                "not run: the file's time budget ({}s) is used up",
                launcher.file_budget.as_secs()
            ))
        } else if attempt == MAX_RESTARTS {
            Some(format!(
                "not run: executable crashed {} times",
                MAX_RESTARTS + 1
            ))
        } else {
            None
        };
        if let Some(why) = stop {
            fill(&mut results, start, &why);
            break;
        }
    }
    Ok(results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err("not run".to_string())))
        .collect())
}

fn fill(results: &mut [Option<LineResult>], from: usize, why: &str) {
    for r in results.iter_mut().skip(from) {
        if r.is_none() {
            *r = Some(Err(why.to_string()));
        }
    }
}

/// Runs `exe` on an empty script: it must exit with status 0 and print
/// nothing, within 20 s at most. Saves a timeout per command when
/// the executable cannot even start.
pub fn probe(launcher: &Launcher, exe: &Path, dir: &Path) -> Result<(), String> {
    let script = dir.join("script.empty.txt");
    std::fs::write(&script, "").map_err(|e| format!("cannot write {}: {e}", script.display()))?;
    // Starting up takes far less than a command may: wait at most 20 s.
    let quick = Launcher {
        command_timeout: launcher.command_timeout.min(Duration::from_secs(20)),
        ..launcher.clone()
    };
    let session = run_once(&quick, exe, &script, &dir.join("stderr.empty.txt"), 0);
    if session.fatal || !session.end.ends_with("exited with status 0") {
        return Err(format!(
            "the executable fails on an empty script: {}",
            session.end
        ));
    }
    Ok(())
}

/// What one run of the executable produced.
struct Session {
    /// Output lines, in order.
    lines: Vec<String>,
    /// Why the output ended (exit status, signal, timeout, stderr tail).
    end: String,
    /// The executable could not even be started: retrying is pointless.
    fatal: bool,
}

fn run_once(
    launcher: &Launcher,
    exe: &Path,
    script: &Path,
    stderr_path: &Path,
    expected: usize,
) -> Session {
    let argv = launcher.command_line(exe);
    let stderr = match std::fs::File::create(stderr_path) {
        Ok(f) => f,
        Err(e) => {
            return Session {
                lines: vec![],
                end: format!("cannot create {}: {e}", stderr_path.display()),
                fatal: true,
            }
        }
    };
    let mut process = Process::new(&argv[0]);
    process
        .args(&argv[1..])
        .arg("--script")
        .arg(script)
        .arg("--")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr);
    let mut child = match process.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Session {
                lines: vec![],
                end: format!("cannot start {}: {e}", argv[0]),
                fatal: true,
            }
        }
    };
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf)
                        .trim_end_matches(['\n', '\r'])
                        .to_string();
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let mut lines = Vec::with_capacity(expected);
    let mut timed_out = false;
    loop {
        match rx.recv_timeout(launcher.command_timeout) {
            Ok(line) => lines.push(line),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                timed_out = true;
                let _ = child.kill();
                break;
            }
        }
    }
    let status = wait(&mut child);
    if !timed_out {
        // After a timeout a grandchild may still hold the pipe open: leave the
        // reader thread behind rather than wait for it.
        let _ = reader.join();
    }
    let mut end = if timed_out {
        format!(
            "no answer within {}s (killed)",
            launcher.command_timeout.as_secs()
        )
    } else {
        status
    };
    if lines.len() > expected {
        end = format!("{} extra output lines; ", lines.len() - expected) + &end;
        lines.truncate(expected);
    }
    if lines.len() < expected || !end.ends_with("status 0") {
        let tail = stderr_tail(stderr_path);
        if !tail.is_empty() {
            end = format!("{end}; stderr: {tail}");
        }
    }
    Session {
        lines,
        end,
        fatal: false,
    }
}

/// Waits for `child` (killing it after 10 s) and describes how it ended.
fn wait(child: &mut Child) -> String {
    use std::os::unix::process::ExitStatusExt;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                return match (status.code(), status.signal()) {
                    (Some(code), _) => format!("executable exited with status {code}"),
                    (None, Some(sig)) => {
                        format!("executable killed by signal {sig} ({})", signal_name(sig))
                    }
                    (None, None) => "executable ended".to_string(),
                };
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return "executable did not exit after closing its output (killed)".to_string();
            }
            Err(e) => return format!("cannot wait for the executable: {e}"),
        }
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        _ => "?",
    }
}

/// The last few lines of the stderr file, joined with ` | `.
fn stderr_tail(path: &Path) -> String {
    const MAX: u64 = 4096;
    let Ok(mut f) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(MAX)));
    let mut buf = Vec::new();
    let _ = f.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let tail = lines[lines.len().saturating_sub(4)..].join(" | ");
    crate::runner::check::shorten(&tail)
}

/// Where a reproduction command for a file's run can be read from.
pub fn reproduce_hint(launcher: &Launcher, exe: &Path, dir: &Path) -> String {
    let script: PathBuf = dir.join("script.txt");
    format!(
        "{} --script {} --",
        launcher.command_line(exe).join(" "),
        script.display()
    )
}
