//! The targets of the capture statepoints: assembly stubs per ISA that save
//! every register a stackmap location can name, call
//! [`super::stackmaps::capture_frame`], and then go on with the unwind
//! themselves, so the capturing code has nothing left to do after the call:
//! `tern_builtin_cr_capture_and_resume` (a landing pad's capture) jumps to
//! `_Unwind_Resume` with the checkpoint's exception, and
//! `tern_builtin_cr_capture_and_unwind` (a loop poll's) jumps to
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
//!
//! The entry statepoints' target, `tern_builtin_cr_enter_at`, is the same
//! save followed by a call of [`super::builtins::enter_at`]: when that has
//! saved the frame for a checkpoint ([`ENTER_AT_UNWIND`]) the stub jumps to
//! `tern_builtin_cr_unwind` like a capture stub; otherwise it reloads every
//! register but the answer's and returns, as `preserve_allcc` requires.

use tern_environ::builtins::ENTER_AT_UNWIND;

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

    /// The caller's stack pointer (after its call returns).
    pub fn stack_pointer(&self) -> usize {
        #[cfg(target_arch = "x86_64")]
        const SP: usize = 7;
        #[cfg(target_arch = "aarch64")]
        const SP: usize = 31;
        self.gpr[SP] as usize
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

/// The x86-64 stubs' prologue: the caller's registers into a [`Registers`]
/// block at rsp (768 bytes plus 8, which keep the stack 16-byte aligned for
/// a call; the return address is then at [rsp + 776] and the caller's stack
/// pointer after the return, rsp + 784, goes in the rsp entry).
#[cfg(target_arch = "x86_64")]
macro_rules! save_registers {
    () => {
        concat!(
            "sub rsp, 776\n",
            "mov [rsp], rax\n",
            "mov [rsp + 8], rdx\n",
            "mov [rsp + 16], rcx\n",
            "mov [rsp + 24], rbx\n",
            "mov [rsp + 32], rsi\n",
            "mov [rsp + 40], rdi\n",
            "mov [rsp + 48], rbp\n",
            "lea rax, [rsp + 784]\n",
            "mov [rsp + 56], rax\n",
            "mov [rsp + 64], r8\n",
            "mov [rsp + 72], r9\n",
            "mov [rsp + 80], r10\n",
            "mov [rsp + 88], r11\n",
            "mov [rsp + 96], r12\n",
            "mov [rsp + 104], r13\n",
            "mov [rsp + 112], r14\n",
            "mov [rsp + 120], r15\n",
            "movups [rsp + 256], xmm0\n",
            "movups [rsp + 272], xmm1\n",
            "movups [rsp + 288], xmm2\n",
            "movups [rsp + 304], xmm3\n",
            "movups [rsp + 320], xmm4\n",
            "movups [rsp + 336], xmm5\n",
            "movups [rsp + 352], xmm6\n",
            "movups [rsp + 368], xmm7\n",
            "movups [rsp + 384], xmm8\n",
            "movups [rsp + 400], xmm9\n",
            "movups [rsp + 416], xmm10\n",
            "movups [rsp + 432], xmm11\n",
            "movups [rsp + 448], xmm12\n",
            "movups [rsp + 464], xmm13\n",
            "movups [rsp + 480], xmm14\n",
            "movups [rsp + 496], xmm15\n",
        )
    };
}

/// The AArch64 stubs' prologue: [sp, sp + 768) is the [`Registers`] block
/// (gpr[n] at 8n, vector[n] at 256 + 16n, the caller's sp in gpr[31]);
/// [sp + 768]: x29 and x30 (the return address) again, for the call.
#[cfg(target_arch = "aarch64")]
macro_rules! save_registers {
    () => {
        concat!(
            "sub sp, sp, #784\n",
            "stp x0, x1, [sp]\n",
            "stp x2, x3, [sp, #16]\n",
            "stp x4, x5, [sp, #32]\n",
            "stp x6, x7, [sp, #48]\n",
            "stp x8, x9, [sp, #64]\n",
            "stp x10, x11, [sp, #80]\n",
            "stp x12, x13, [sp, #96]\n",
            "stp x14, x15, [sp, #112]\n",
            "stp x16, x17, [sp, #128]\n",
            "stp x18, x19, [sp, #144]\n",
            "stp x20, x21, [sp, #160]\n",
            "stp x22, x23, [sp, #176]\n",
            "stp x24, x25, [sp, #192]\n",
            "stp x26, x27, [sp, #208]\n",
            "stp x28, x29, [sp, #224]\n",
            "add x9, sp, #784\n",
            "stp x30, x9, [sp, #240]\n",
            "stp q0, q1, [sp, #256]\n",
            "stp q2, q3, [sp, #288]\n",
            "stp q4, q5, [sp, #320]\n",
            "stp q6, q7, [sp, #352]\n",
            "stp q8, q9, [sp, #384]\n",
            "stp q10, q11, [sp, #416]\n",
            "stp q12, q13, [sp, #448]\n",
            "stp q14, q15, [sp, #480]\n",
            "stp q16, q17, [sp, #512]\n",
            "stp q18, q19, [sp, #544]\n",
            "stp q20, q21, [sp, #576]\n",
            "stp q22, q23, [sp, #608]\n",
            "stp q24, q25, [sp, #640]\n",
            "stp q26, q27, [sp, #672]\n",
            "stp q28, q29, [sp, #704]\n",
            "stp q30, q31, [sp, #736]\n",
            "str x29, [sp, #768]\n",
            "str x30, [sp, #776]\n",
        )
    };
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
            save_registers!(),
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
            save_registers!(),
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
    /// A loop poll's capture target
    /// (`tern_environ::migration::CAPTURE_AND_UNWIND_SYMBOL`): saves the
    /// frame, then unwinds the frames below it (`cr_unwind`).
    tern_builtin_cr_capture_and_unwind then super::builtins::tern_builtin_cr_unwind
}

/// The x86-64 entry stub's instructions: calls `$handler(registers,
/// return address)`; on [`ENTER_AT_UNWIND`] jumps to `cr_unwind` with the stack
/// as at the call, else reloads every register but rax (the answer) and
/// returns, as `preserve_allcc` requires.
#[cfg(target_arch = "x86_64")]
macro_rules! entry_stub_asm {
    ($handler:path) => {
        core::arch::naked_asm!(
            save_registers!(),
            "mov rdi, rsp",
            "mov rsi, [rsp + 776]",
            "call {handler}",
            "cmp rax, {unwind}",
            "je 2f",
            "mov rdx, [rsp + 8]",
            "mov rcx, [rsp + 16]",
            "mov rbx, [rsp + 24]",
            "mov rsi, [rsp + 32]",
            "mov rdi, [rsp + 40]",
            "mov rbp, [rsp + 48]",
            "mov r8, [rsp + 64]",
            "mov r9, [rsp + 72]",
            "mov r10, [rsp + 80]",
            "mov r11, [rsp + 88]",
            "mov r12, [rsp + 96]",
            "mov r13, [rsp + 104]",
            "mov r14, [rsp + 112]",
            "mov r15, [rsp + 120]",
            "movups xmm0, [rsp + 256]",
            "movups xmm1, [rsp + 272]",
            "movups xmm2, [rsp + 288]",
            "movups xmm3, [rsp + 304]",
            "movups xmm4, [rsp + 320]",
            "movups xmm5, [rsp + 336]",
            "movups xmm6, [rsp + 352]",
            "movups xmm7, [rsp + 368]",
            "movups xmm8, [rsp + 384]",
            "movups xmm9, [rsp + 400]",
            "movups xmm10, [rsp + 416]",
            "movups xmm11, [rsp + 432]",
            "movups xmm12, [rsp + 448]",
            "movups xmm13, [rsp + 464]",
            "movups xmm14, [rsp + 480]",
            "movups xmm15, [rsp + 496]",
            "add rsp, 776",
            "ret",
            "2:",
            "add rsp, 776",
            "jmp {then}",
            handler = sym $handler,
            unwind = const ENTER_AT_UNWIND,
            then = sym super::builtins::tern_builtin_cr_unwind,
        )
    };
}

/// The AArch64 entry stub's instructions, as for x86-64 (the answer in
/// x0; `cmn x0, #5` tests for [`ENTER_AT_UNWIND`]).
#[cfg(target_arch = "aarch64")]
macro_rules! entry_stub_asm {
    ($handler:path) => {
        core::arch::naked_asm!(
            save_registers!(),
            "mov x0, sp",
            "mov x1, x30",
            "bl {handler}",
            "cmn x0, #5",
            "b.eq 2f",
            "ldr x1, [sp, #8]",
            "ldp x2, x3, [sp, #16]",
            "ldp x4, x5, [sp, #32]",
            "ldp x6, x7, [sp, #48]",
            "ldp x8, x9, [sp, #64]",
            "ldp x10, x11, [sp, #80]",
            "ldp x12, x13, [sp, #96]",
            "ldp x14, x15, [sp, #112]",
            "ldp x16, x17, [sp, #128]",
            "ldp x18, x19, [sp, #144]",
            "ldp x20, x21, [sp, #160]",
            "ldp x22, x23, [sp, #176]",
            "ldp x24, x25, [sp, #192]",
            "ldp x26, x27, [sp, #208]",
            "ldp x28, x29, [sp, #224]",
            "ldr x30, [sp, #240]",
            "ldp q0, q1, [sp, #256]",
            "ldp q2, q3, [sp, #288]",
            "ldp q4, q5, [sp, #320]",
            "ldp q6, q7, [sp, #352]",
            "ldp q8, q9, [sp, #384]",
            "ldp q10, q11, [sp, #416]",
            "ldp q12, q13, [sp, #448]",
            "ldp q14, q15, [sp, #480]",
            "ldp q16, q17, [sp, #512]",
            "ldp q18, q19, [sp, #544]",
            "ldp q20, q21, [sp, #576]",
            "ldp q22, q23, [sp, #608]",
            "ldp q24, q25, [sp, #640]",
            "ldp q26, q27, [sp, #672]",
            "ldp q28, q29, [sp, #704]",
            "ldp q30, q31, [sp, #736]",
            "add sp, sp, #784",
            "ret",
            "2:",
            "ldr x29, [sp, #768]",
            "ldr x30, [sp, #776]",
            "add sp, sp, #784",
            "b {then}",
            handler = sym $handler,
            then = sym super::builtins::tern_builtin_cr_unwind,
        )
    };
}

const _: () = assert!(ENTER_AT_UNWIND == -5, "the AArch64 entry stub tests for -5");

/// Declares an entry stub around `$handler` (`entry_stub_asm!`).
macro_rules! entry_stub {
    ($(#[$doc:meta])* $name:ident calls $handler:path) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// Only an entry statepoint in compiled Wasm code may call
        /// this, with the `preserve_allcc` convention (or, where LLVM inlined it
        /// into an `invoke`, the C one: `codegen::stackmaps`).
        #[unsafe(naked)]
        #[no_mangle]
        pub unsafe extern "C" fn $name() -> i64 {
            entry_stub_asm!($handler)
        }
    };
}

entry_stub! {
    /// An entry check's statepoint target
    /// (`tern_environ::migration::ENTER_AT_SYMBOL`).
    tern_builtin_cr_enter_at calls super::builtins::enter_at
}
