//! `tern compile MODULE -o OUT`.

use crate::options::{build_executable, read_module, CodegenOptions};
use anyhow::Result;
use clap::Parser;
use std::path::PathBuf;

/// Compile a module to a standalone executable.
#[derive(Parser)]
#[command(
    after_help = "Examples:\n  tern compile hello.wasm -o hello\n  tern compile hello.wat -o hello-arm --target aarch64-linux-gnu -O3"
)]
pub struct CompileCommand {
    /// The module: binary (.wasm) or text (.wat).
    module: PathBuf,
    /// Where to write the executable.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    #[command(flatten)]
    codegen: CodegenOptions,
}

impl CompileCommand {
    /// Runs the command.
    pub fn execute(self) -> Result<()> {
        let wasm = read_module(&self.module)?;
        build_executable(&wasm, &self.codegen, &self.output)
    }
}
