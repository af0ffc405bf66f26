//! Which instruction set the module is built for, read from the module's
//! target triple. A few operators have no generic LLVM IR form that both back
//! ends select well: `i8x16.swizzle` on AArch64, `i16x8.q15mulr_sat_s`,
//! float `min`/`max`/`pmin`/`pmax` and `trunc_sat` on x86. They take a target
//! intrinsic or a target-specific IR shape only when this says which target
//! it is, and a generic form otherwise (no triple: still correct code).

use crate::translate::ops::LoweringCx;

/// The instruction set of the module being built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Arch {
    /// x86-64 (the baseline tern targets includes SSSE3).
    X86_64,
    /// AArch64 with NEON.
    Aarch64,
    /// Anything else, or no triple set yet: generic IR only.
    Unknown,
}

/// The instruction set of `cx`'s module.
pub(super) fn arch<'ctx>(cx: &impl LoweringCx<'ctx>) -> Arch {
    let triple = cx.module().get_triple();
    let triple = triple.as_str().to_string_lossy();
    if triple.starts_with("x86_64") {
        Arch::X86_64
    } else if triple.starts_with("aarch64") || triple.starts_with("arm64") {
        Arch::Aarch64
    } else {
        Arch::Unknown
    }
}
