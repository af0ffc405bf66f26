//! The optimization pipeline and object emission: LLVM's new pass manager
//! with the standard `default<On>` pipelines, then machine code to memory.

use crate::error::{CompileError, Result};
use inkwell::module::Module;
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{FileType, TargetMachine};

/// Checks that `module` is valid IR: no LLVM pass may see invalid IR.
///
/// # Errors
/// `Codegen` when the IR is invalid (a tern bug).
pub fn verify(module: &Module<'_>) -> Result<()> {
    module
        .verify()
        .map_err(|e| CompileError::Codegen(format!("invalid LLVM IR: {}", e.to_string_lossy())))
}

/// Runs `default<O{opt_level}>` over a verified `module`.
///
/// # Errors
/// `Codegen` when a pass fails.
pub fn optimize(module: &Module<'_>, machine: &TargetMachine, opt_level: u8) -> Result<()> {
    let options = PassBuilderOptions::create();
    options.set_loop_vectorization(opt_level >= 2);
    options.set_loop_slp_vectorization(opt_level >= 2);
    options.set_loop_interleaving(opt_level >= 2);
    options.set_loop_unrolling(opt_level >= 2);
    options.set_merge_functions(false);
    let pipeline = format!("default<O{}>", opt_level.min(3));
    module
        .run_passes(&pipeline, machine, options)
        .map_err(|e| CompileError::Codegen(format!("{pipeline}: {}", e.to_string_lossy())))
}

/// Emits `module` as an ELF object (or assembly text, for tests).
///
/// # Errors
/// `Codegen` when LLVM cannot emit the module.
pub fn emit(module: &Module<'_>, machine: &TargetMachine, file_type: FileType) -> Result<Vec<u8>> {
    machine
        .write_to_memory_buffer(module, file_type)
        .map(|buffer| buffer.as_slice().to_vec())
        .map_err(|e| CompileError::Codegen(format!("emission: {}", e.to_string_lossy())))
}
