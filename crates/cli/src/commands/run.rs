//! `tern run MODULE [ARGS...]`: compile through the cache, then execute.

use crate::cache;
use crate::options::{read_module, CodegenOptions};
use anyhow::{Context, Result};
use clap::Parser;
use std::path::PathBuf;
use std::process::Command;
use tern_compiler::Target;

/// `--restore-memory`: how a restore brings memory in (the program's option).
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum RestoreMemory {
    /// Map the snapshot and check every chunk before running (default).
    Verify,
    /// Map the snapshot; raw chunks are read when touched and not checked.
    Lazy,
    /// Read and check everything into memory.
    Copy,
}

/// Compile (cached) and run a module.
#[derive(Parser)]
#[command(
    trailing_var_arg = true,
    after_help = "Examples:\n  tern run hello.wasm a b c\n  tern run --invoke add math.wat 1 2\n  tern run --target aarch64-linux-gnu hello.wasm   # under qemu-aarch64\n  tern run --dir data::/data --env MODE=fast prog.wasm -- --flag\n  tern run --tcplisten 127.0.0.1:8080 server.wasm\n  tern run --cr --checkpoint-to s.tsnap long.wasm    # kill -USR1 to checkpoint\n  tern run --target aarch64-linux-gnu --restore s.tsnap long.wasm"
)]
pub struct RunCommand {
    #[command(flatten)]
    codegen: CodegenOptions,
    /// Call this export instead of `_start`; ARGS are its parameters.
    #[arg(long)]
    invoke: Option<String>,
    /// The guest's `argv[0]` (default: the module's file name).
    #[arg(long, value_name = "NAME")]
    argv0: Option<String>,
    /// Preopen a host directory for the guest, optionally under another guest path.
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,
    /// Set a guest environment variable (`--env KEY` copies the host's value).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    envs: Vec<String>,
    /// Resume from this snapshot instead of starting (implies --cr).
    #[arg(long, value_name = "SNAPSHOT")]
    restore: Option<PathBuf>,
    /// How a restore brings memory in: `verify` (default: map the snapshot
    /// and check every chunk before running), `lazy` (map, read on first
    /// touch, raw chunks unchecked) or `copy` (read and check everything).
    #[arg(long, value_name = "MODE")]
    restore_memory: Option<RestoreMemory>,
    /// Where checkpoints are written (`%n`: the checkpoint's number; default
    /// checkpoint.tsnap). Implies --cr.
    #[arg(long, value_name = "PATH")]
    checkpoint_to: Option<PathBuf>,
    /// Checkpoint every SECONDS and keep running. Implies --cr.
    #[arg(long, value_name = "SECONDS")]
    checkpoint_interval: Option<f64>,
    /// Start the guest with the host's whole environment (`--env` still overrides).
    #[arg(long)]
    inherit_env: bool,
    /// Hand the guest a TCP socket listening on ADDR (IP:PORT), as the next fd after the preopens.
    #[arg(long = "tcplisten", value_name = "ADDR")]
    tcplisten: Vec<String>,
    /// Let unknown function imports link as stubs that trap when called.
    #[arg(long)]
    trap_unknown_imports: bool,
    /// The module: binary (.wasm) or text (.wat).
    module: PathBuf,
    /// Arguments for the guest (or for the invoked function).
    #[arg(allow_hyphen_values = true)]
    args: Vec<String>,
}

impl RunCommand {
    /// Runs the command; returns the program's exit status.
    pub fn execute(mut self) -> Result<u8> {
        let wasm = read_module(&self.module)?;
        let target = self.codegen.target();
        if self.restore.is_some()
            || self.checkpoint_to.is_some()
            || self.checkpoint_interval.is_some()
        {
            self.codegen.cr = true;
        }
        if let Some(snapshot) = &self.restore {
            if !snapshot.is_file() {
                anyhow::bail!("no snapshot at {}", snapshot.display());
            }
        }
        let exe = cache::executable(&wasm, &self.codegen)?;
        let mut cmd = launcher(target, &exe)?;
        let argv0 = self.argv0.clone().unwrap_or_else(|| {
            self.module
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "module.wasm".to_string())
        });
        cmd.arg("--argv0").arg(argv0);
        if let Some(name) = &self.invoke {
            cmd.arg("--invoke").arg(name);
        }
        for dir in &self.dirs {
            cmd.arg("--dir").arg(dir);
        }
        for env in &self.envs {
            cmd.arg("--env").arg(env);
        }
        if let Some(path) = &self.restore {
            cmd.arg("--restore").arg(path);
        }
        if let Some(mode) = self.restore_memory {
            let name = match mode {
                RestoreMemory::Verify => "verify",
                RestoreMemory::Lazy => "lazy",
                RestoreMemory::Copy => "copy",
            };
            cmd.arg("--restore-memory").arg(name);
        }
        if let Some(path) = &self.checkpoint_to {
            cmd.arg("--checkpoint-to").arg(path);
        }
        if let Some(seconds) = self.checkpoint_interval {
            cmd.arg("--checkpoint-interval").arg(seconds.to_string());
        }
        if self.inherit_env {
            cmd.arg("--inherit-env");
        }
        for addr in &self.tcplisten {
            cmd.arg("--tcplisten").arg(addr);
        }
        if self.trap_unknown_imports {
            cmd.arg("--trap-unknown-imports");
        }
        cmd.arg("--").args(&self.args);
        let status = cmd
            .status()
            .with_context(|| format!("cannot start {}", exe.display()))?;
        Ok(exit_code(status))
    }
}

/// The command that runs `exe`: directly on the host, under qemu-user otherwise.
fn launcher(target: Target, exe: &std::path::Path) -> Result<Command> {
    if target == Target::host() {
        return Ok(Command::new(exe));
    }
    let qemu = match target {
        Target::Aarch64 => ("qemu-aarch64", "/usr/aarch64-linux-gnu"),
        Target::X86_64 => ("qemu-x86_64", "/usr/x86_64-linux-gnu"),
    };
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|p| p.join(qemu.0).is_file()))
        .unwrap_or(false);
    if !found {
        anyhow::bail!(
            "{} is not installed, so a {target} program cannot run on this host (install qemu-user, or copy the executable from `tern compile` to a {target} machine)",
            qemu.0
        );
    }
    let mut cmd = Command::new(qemu.0);
    cmd.arg("-L").arg(qemu.1).arg(exe);
    Ok(cmd)
}

/// The exit status to report for a finished child: its code, or 128 + signal.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code as u8,
        (None, Some(signal)) => 128u8.wrapping_add(signal as u8),
        (None, None) => 1,
    }
}
