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

/// LLVM's process-wide options, set once before the first code generation.
///
/// `-use-registers-for-deopt-values`: a capture statepoint's `"deopt"` values
/// (`translate/checkpoint/frames.rs`) stay where the register allocator put
/// them (a callee-saved register or a spill slot) and the stackmap records
/// that location. Without it LLVM stores every value into a fresh stack slot
/// before the call, which is the code the statepoints exist to avoid
/// (module code 3.9x the plain build's instead of about 2.7x).
fn set_llvm_options() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let args: [&std::ffi::CStr; 2] = [c"tern", c"-use-registers-for-deopt-values=true"];
        let argv: Vec<*const std::ffi::c_char> = args.iter().map(|a| a.as_ptr()).collect();
        // SAFETY: `argv` holds `argv.len()` NUL-terminated strings that
        // outlive the call; LLVM copies what it keeps.
        unsafe {
            inkwell::llvm_sys::support::LLVMParseCommandLineOptions(
                argv.len() as i32,
                argv.as_ptr(),
                std::ptr::null(),
            );
        }
    });
}

/// An LLVM target machine for `target` at `opt_level` (0..=3).
///
/// # Errors
/// `Codegen` if the LLVM build lacks the target.
pub fn target_machine(target: Target, opt_level: u8) -> Result<TargetMachine> {
    set_llvm_options();
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
