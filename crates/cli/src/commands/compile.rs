//! `tern compile MODULE -o OUT`.

use crate::options::{build_executable, read_module, CodegenOptions};
use anyhow::{Context, Result};
use clap::{Parser, ValueEnum};
use std::path::PathBuf;
use tern_compiler::TextOutput;

/// What `tern compile` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// A standalone executable.
    Exe,
    /// The module's LLVM IR after optimization.
    LlvmIr,
    /// The module's LLVM IR as translated, before any LLVM pass.
    LlvmIrUnoptimized,
    /// The module's target assembly.
    Asm,
}

/// Compile a module to a standalone executable.
#[derive(Parser)]
#[command(
    after_help = "Examples:\n  tern compile hello.wasm -o hello\n  tern compile hello.wat -o hello-arm --target aarch64-linux-gnu -O3\n  tern compile hello.wat -o hello.ll --emit llvm-ir"
)]
pub struct CompileCommand {
    /// The module: binary (.wasm) or text (.wat).
    module: PathBuf,
    /// Where to write the executable.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    /// What to write: an executable, or the module's code as text.
    #[arg(long, value_enum, default_value_t = Emit::Exe)]
    emit: Emit,
    #[command(flatten)]
    codegen: CodegenOptions,
}

impl CompileCommand {
    /// Runs the command.
    pub fn execute(self) -> Result<()> {
        let wasm = read_module(&self.module)?;
        let what = match self.emit {
            Emit::Exe => return build_executable(&wasm, &self.codegen, &self.output),
            Emit::LlvmIr => TextOutput::OptimizedIr,
            Emit::LlvmIrUnoptimized => TextOutput::UnoptimizedIr,
            Emit::Asm => TextOutput::Assembly,
        };
        let text =
            tern_compiler::compile_module_text(&wasm, &self.codegen.compile_options(), what)?;
        std::fs::write(&self.output, text)
            .with_context(|| format!("cannot write {}", self.output.display()))
    }
}
