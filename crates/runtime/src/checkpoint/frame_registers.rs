//! The targets of the capture statepoints: assembly stubs per ISA that save
//! every register a stackmap location can name, call
//! [`super::stackmaps::capture_frame`], and then go on with the unwind
//! themselves, so the capturing code has nothing left to do after the call:
//! `tern_builtin_cr_capture_and_resume` (a landing pad's capture) jumps to
//! `_Unwind_Resume` with the checkpoint's exception, and
//! `tern_builtin_cr_capture_and_unwind` (a poll's or an entry's) jumps to
//! `tern_builtin_cr_unwind`. Each jump leaves the stack and the callee-saved
//! registers as the capturing frame had them at its call, so the unwinder
//! sees a call of `_Unwind_Resume` (or `cr_unwind`) from that call site
//! (before 2026-12-06 the compiled code made those calls itself after the
//! capture returned: 5-8 more bytes per capture, 3.8% of `--cr` module code).
//!
//! The statepoint calls the stub with `preserve_allcc`, so a capture's
//! `"deopt"` values stay in whatever registers the function keeps them in
//! (LLVM spills only values in the few registers that convention does not
//! preserve) or in its frame. A call changes no register but the stack
//! pointer and the return-address register, so on entry the stub sees the
//! caller's values and writes them into a [`Registers`] block, with the
//! caller's stack pointer in the stack pointer's entry, then passes the
//! return address, which is where the statepoint's stackmap record is. It
//! never returns, so it restores no register the Rust code may clobber.

/// The registers at a capture statepoint's call, by DWARF register number:
/// `gpr[n]` for integer registers (x86-64: 0-15 with rsp = 7; AArch64:
/// x0-x30, sp = 31), `vector[n - first vector]` for vector registers
/// (x86-64: xmm0-15 = 17-32; AArch64: v0-v31 = 64-95).
#[repr(C)]
pub struct Registers {
    /// Integer registers (offset 0 in the stub's layout).
    pub gpr: [u64; 32],
    /// Vector registers, whole (offset 256).
    pub vector: [u128; 32],
}

/// How DWARF numbers map onto [`Registers`]: `gprs` integer registers from
/// 0, then `vectors` vector registers from `first_vector`.
struct DwarfLayout {
    gprs: u16,
    first_vector: u16,
    vectors: u16,
}

#[cfg(target_arch = "x86_64")]
const LAYOUT: DwarfLayout = DwarfLayout {
    gprs: 16,
    first_vector: 17,
    vectors: 16,
};
#[cfg(target_arch = "aarch64")]
const LAYOUT: DwarfLayout = DwarfLayout {
    gprs: 32,
    first_vector: 64,
    vectors: 32,
};

impl Registers {
    /// The saved value of DWARF register `reg`, if the stub saves it.
    pub fn get(&self, reg: u16) -> Option<u128> {
        if reg < LAYOUT.gprs {
            Some(u128::from(self.gpr[reg as usize]))
        } else {
            let v = reg
                .checked_sub(LAYOUT.first_vector)
                .filter(|&v| v < LAYOUT.vectors)?;
            Some(self.vector[v as usize])
        }
    }

    /// A zeroed block (tests).
    #[cfg(test)]
    pub fn zeroed() -> Registers {
        Registers {
            gpr: [0; 32],
            vector: [0; 32],
        }
    }
}

/// The x86-64 capture stub's instructions, ending in a jump to `$then`.
///
/// 768 bytes of `Registers` plus 8 keep the stack 16-byte aligned for the
/// call; the return address is then at [rsp + 776] and the caller's stack
/// pointer (after the return) is rsp + 784. `capture_frame` answers the
/// checkpoint's exception object in rax, which goes to `$then` in rdi.
#[cfg(target_arch = "x86_64")]
macro_rules! capture_stub_asm {
    ($then:path) => {
        core::arch::naked_asm!(
            "sub rsp, 776",
            "mov [rsp], rax",
            "mov [rsp + 8], rdx",
            "mov [rsp + 16], rcx",
            "mov [rsp + 24], rbx",
            "mov [rsp + 32], rsi",
            "mov [rsp + 40], rdi",
            "mov [rsp + 48], rbp",
            "lea rax, [rsp + 784]",
            "mov [rsp + 56], rax",
            "mov [rsp + 64], r8",
            "mov [rsp + 72], r9",
            "mov [rsp + 80], r10",
            "mov [rsp + 88], r11",
            "mov [rsp + 96], r12",
            "mov [rsp + 104], r13",
            "mov [rsp + 112], r14",
            "mov [rsp + 120], r15",
            "movups [rsp + 256], xmm0",
            "movups [rsp + 272], xmm1",
            "movups [rsp + 288], xmm2",
            "movups [rsp + 304], xmm3",
            "movups [rsp + 320], xmm4",
            "movups [rsp + 336], xmm5",
            "movups [rsp + 352], xmm6",
            "movups [rsp + 368], xmm7",
            "movups [rsp + 384], xmm8",
            "movups [rsp + 400], xmm9",
            "movups [rsp + 416], xmm10",
            "movups [rsp + 432], xmm11",
            "movups [rsp + 448], xmm12",
            "movups [rsp + 464], xmm13",
            "movups [rsp + 480], xmm14",
            "movups [rsp + 496], xmm15",
            "mov rdi, rsp",
            "mov rsi, [rsp + 776]",
            "call {capture}",
            "mov rdi, rax",
            "add rsp, 776",
            "jmp {then}",
            capture = sym super::stackmaps::capture_frame,
            then = sym $then,
        )
    };
}

/// The AArch64 capture stub's instructions, ending in a branch to `$then`.
///
/// [sp, sp + 768): `Registers` (gpr[n] at 8n, vector[n] at 256 + 16n);
/// [sp + 768]: x29, x30 for the call; x30 holds the return address, which
/// `$then` gets back in x30. `capture_frame` answers the checkpoint's
/// exception object in x0, which `$then` takes there.
#[cfg(target_arch = "aarch64")]
macro_rules! capture_stub_asm {
    ($then:path) => {
        core::arch::naked_asm!(
            "sub sp, sp, #784",
            "stp x0, x1, [sp]",
            "stp x2, x3, [sp, #16]",
            "stp x4, x5, [sp, #32]",
            "stp x6, x7, [sp, #48]",
            "stp x8, x9, [sp, #64]",
            "stp x10, x11, [sp, #80]",
            "stp x12, x13, [sp, #96]",
            "stp x14, x15, [sp, #112]",
            "stp x16, x17, [sp, #128]",
            "stp x18, x19, [sp, #144]",
            "stp x20, x21, [sp, #160]",
            "stp x22, x23, [sp, #176]",
            "stp x24, x25, [sp, #192]",
            "stp x26, x27, [sp, #208]",
            "stp x28, x29, [sp, #224]",
            "add x9, sp, #784",
            "stp x30, x9, [sp, #240]",
            "stp q0, q1, [sp, #256]",
            "stp q2, q3, [sp, #288]",
            "stp q4, q5, [sp, #320]",
            "stp q6, q7, [sp, #352]",
            "stp q8, q9, [sp, #384]",
            "stp q10, q11, [sp, #416]",
            "stp q12, q13, [sp, #448]",
            "stp q14, q15, [sp, #480]",
            "stp q16, q17, [sp, #512]",
            "stp q18, q19, [sp, #544]",
            "stp q20, q21, [sp, #576]",
            "stp q22, q23, [sp, #608]",
            "stp q24, q25, [sp, #640]",
            "stp q26, q27, [sp, #672]",
            "stp q28, q29, [sp, #704]",
            "stp q30, q31, [sp, #736]",
            "str x29, [sp, #768]",
            "str x30, [sp, #776]",
            "mov x0, sp",
            "mov x1, x30",
            "bl {capture}",
            "ldr x29, [sp, #768]",
            "ldr x30, [sp, #776]",
            "add sp, sp, #784",
            "b {then}",
            capture = sym super::stackmaps::capture_frame,
            then = sym $then,
        )
    };
}

/// Declares a capture stub that jumps to `$then` once the frame is saved
/// (`capture_stub_asm!` holds each ISA's instructions).
macro_rules! capture_stub {
    ($(#[$doc:meta])* $name:ident then $then:path) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// Only a capture statepoint in compiled Wasm code may call this,
        /// with the `preserve_allcc` convention, while a checkpoint unwinds.
        #[unsafe(naked)]
        #[no_mangle]
        pub unsafe extern "C" fn $name() -> ! {
            capture_stub_asm!($then)
        }
    };
}

extern "C-unwind" {
    fn _Unwind_Resume(exception: *mut u8) -> !;
}

capture_stub! {
    /// A landing pad's capture target
    /// (`tern_environ::migration::CAPTURE_AND_RESUME_SYMBOL`): saves the
    /// frame, then resumes the unwind as the pad's `resume` would.
    tern_builtin_cr_capture_and_resume then _Unwind_Resume
}

capture_stub! {
    /// A poll's or an entry's capture target
    /// (`tern_environ::migration::CAPTURE_AND_UNWIND_SYMBOL`): saves the
    /// frame, then unwinds the frames below it (`cr_unwind`).
    tern_builtin_cr_capture_and_unwind then super::builtins::tern_builtin_cr_unwind
}
