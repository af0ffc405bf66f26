//! `tern_builtin_cr_capture_frame`, the target of every capture statepoint:
//! an assembly stub per ISA that saves the registers a stackmap location can
//! name, then calls [`super::stackmaps::capture_frame`].
//!
//! A capture's `"deopt"` values live, at the statepoint's call, in
//! callee-saved registers or in the caller's frame (LLVM spills any value in
//! a caller-saved register before the call). On entry to the stub the
//! callee-saved registers still hold the caller's values and the caller's
//! frame is intact, so the stub writes them into a [`Registers`] array indexed
//! by DWARF register number, with the caller's stack pointer in the stack
//! pointer's entry, and passes the return address, which is where the
//! statepoint's stackmap record is.

/// Saved registers by DWARF register number (x86-64: 0-15; AArch64: x0-x30,
/// sp = 31, v0-v31 = 64-95). Entries the stub does not save are zero.
#[cfg(target_arch = "x86_64")]
pub type Registers = [u64; 16];
/// Saved registers by DWARF register number (see the x86-64 definition).
#[cfg(target_arch = "aarch64")]
pub type Registers = [u64; 96];

/// Whether the stub saves DWARF register `reg`: x86-64 rbx, rbp, rsp,
/// r12-r15; AArch64 x19-x29, sp and d8-d15 (the low halves of v8-v15, all
/// that survives a call).
pub fn is_saved(reg: u16) -> bool {
    if cfg!(target_arch = "x86_64") {
        matches!(reg, 3 | 6 | 7 | 12..=15)
    } else {
        matches!(reg, 19..=29 | 31 | 72..=79)
    }
}

/// The capture statepoint's call target (`Builtin::CrCaptureFrame`).
///
/// # Safety
/// Only a capture statepoint in compiled Wasm code may call this, with its
/// own live `vmctx`, while a checkpoint unwinds.
#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
#[no_mangle]
pub unsafe extern "C" fn tern_builtin_cr_capture_frame(vmctx: *mut u8, position: i32) {
    // 16 registers (128 bytes) plus 8 to keep the stack 16-byte aligned for
    // the call; the return address is then at [rsp + 136] and the caller's
    // stack pointer (after the return) is rsp + 144.
    core::arch::naked_asm!(
        "sub rsp, 136",
        "mov [rsp + 24], rbx",
        "mov [rsp + 48], rbp",
        "lea rax, [rsp + 144]",
        "mov [rsp + 56], rax",
        "mov [rsp + 96], r12",
        "mov [rsp + 104], r13",
        "mov [rsp + 112], r14",
        "mov [rsp + 120], r15",
        "xor eax, eax",
        "mov [rsp], rax",
        "mov [rsp + 8], rax",
        "mov [rsp + 16], rax",
        "mov [rsp + 32], rax",
        "mov [rsp + 40], rax",
        "mov [rsp + 64], rax",
        "mov [rsp + 72], rax",
        "mov [rsp + 80], rax",
        "mov [rsp + 88], rax",
        "mov rdx, rsp",
        "mov rcx, [rsp + 136]",
        "call {capture}",
        "add rsp, 136",
        "ret",
        capture = sym super::stackmaps::capture_frame,
    )
}

/// The capture statepoint's call target (`Builtin::CrCaptureFrame`).
///
/// # Safety
/// Only a capture statepoint in compiled Wasm code may call this, with its
/// own live `vmctx`, while a checkpoint unwinds.
#[cfg(target_arch = "aarch64")]
#[unsafe(naked)]
#[no_mangle]
pub unsafe extern "C" fn tern_builtin_cr_capture_frame(vmctx: *mut u8, position: i32) {
    // [sp]: x29, x30; [sp + 16]: the 96 registers (768 bytes); 800 in all
    // to keep sp 16-byte aligned. Entry n is at sp + 16 + 8n. The array is
    // zeroed first (entries the stub does not save).
    core::arch::naked_asm!(
        "sub sp, sp, #800",
        "stp x29, x30, [sp]",
        "add x9, sp, #16",
        "add x10, sp, #784",
        "1:",
        "stp xzr, xzr, [x9], #16",
        "cmp x9, x10",
        "b.lo 1b",
        "str x19, [sp, #168]",
        "str x20, [sp, #176]",
        "str x21, [sp, #184]",
        "str x22, [sp, #192]",
        "str x23, [sp, #200]",
        "str x24, [sp, #208]",
        "str x25, [sp, #216]",
        "str x26, [sp, #224]",
        "str x27, [sp, #232]",
        "str x28, [sp, #240]",
        "str x29, [sp, #248]",
        "add x9, sp, #800",
        "str x9, [sp, #264]",
        "str d8, [sp, #592]",
        "str d9, [sp, #600]",
        "str d10, [sp, #608]",
        "str d11, [sp, #616]",
        "str d12, [sp, #624]",
        "str d13, [sp, #632]",
        "str d14, [sp, #640]",
        "str d15, [sp, #648]",
        "add x2, sp, #16",
        "mov x3, x30",
        "bl {capture}",
        "ldp x29, x30, [sp]",
        "add sp, sp, #800",
        "ret",
        capture = sym super::stackmaps::capture_frame,
    )
}
