//! LLVM target machines for the supported [`Target`]s: x86-64 with CPU
//! `x86-64-v2`, AArch64 with CPU `generic` and NEON; PIC, default code model.

use crate::error::{CompileError, Result};
use crate::target::Target;
use inkwell::targets::{
    CodeModel, InitializationConfig, RelocMode, Target as LlvmTarget, TargetMachine, TargetTriple,
};
use inkwell::OptimizationLevel;

fn cpu(target: Target) -> &'static str {
    match target {
        Target::X86_64 => "x86-64-v2",
        Target::Aarch64 => "generic",
    }
}

fn features(target: Target) -> &'static str {
    match target {
        Target::X86_64 => "",
        Target::Aarch64 => "+neon",
    }
}

/// An LLVM target machine for `target` at `opt_level` (0..=3).
///
/// # Errors
/// `Codegen` if the LLVM build lacks the target.
pub fn target_machine(target: Target, opt_level: u8) -> Result<TargetMachine> {
    let config = InitializationConfig::default();
    match target {
        Target::X86_64 => LlvmTarget::initialize_x86(&config),
        Target::Aarch64 => LlvmTarget::initialize_aarch64(&config),
    }
    let triple = TargetTriple::create(target.triple());
    let llvm_target = LlvmTarget::from_triple(&triple)
        .map_err(|e| CompileError::Codegen(format!("no LLVM target {target}: {e}")))?;
    let level = match opt_level {
        0 => OptimizationLevel::None,
        1 => OptimizationLevel::Less,
        2 => OptimizationLevel::Default,
        _ => OptimizationLevel::Aggressive,
    };
    llvm_target
        .create_target_machine(
            &triple,
            cpu(target),
            features(target),
            level,
            RelocMode::PIC,
            CodeModel::Default,
        )
        .ok_or_else(|| CompileError::Codegen(format!("no target machine for {target}")))
}
