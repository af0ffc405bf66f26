//! `tern`: compile WebAssembly modules to native executables and run them.

mod cache;
mod commands;
mod options;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The tern WebAssembly ahead-of-time compiler and runtime.
#[derive(Parser)]
#[command(name = "tern", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a module (.wasm or .wat) to a standalone executable.
    Compile(commands::compile::CompileCommand),
    /// Compile (cached) and run a module.
    Run(commands::run::RunCommand),
    /// Work with checkpoint snapshots.
    #[command(subcommand)]
    Snapshot(commands::snapshot::SnapshotCommand),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 1 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Compile(cmd) => cmd.execute().map(|()| 0),
        Command::Run(cmd) => cmd.execute(),
        Command::Snapshot(cmd) => cmd.execute().map(|()| 0),
    };
    match result {
        Ok(status) => ExitCode::from(status),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}
