//! AArch64 Linux: the program counter from a signal's ucontext, and the
//! entry shim of builtins that records the Wasm caller's frame.

/// The program counter of the interrupted code.
///
/// # Safety
/// `ctx` must be the `ucontext_t` passed to an `SA_SIGINFO` handler.
pub unsafe fn interrupted_pc(ctx: *mut libc::c_void) -> usize {
    // SAFETY: per the contract, `ctx` points to a valid ucontext_t.
    let uc = unsafe { &*(ctx as *const libc::ucontext_t) };
    uc.uc_mcontext.pc as usize
}

/// Calls `f(arg)` with the stack pointer set to `top` (16-byte aligned), then
/// switches back.
///
/// # Safety
/// `top` must be the 16-byte-aligned end of a mapped stack large enough for
/// `f`, which must not unwind.
#[unsafe(naked)]
pub unsafe extern "C" fn call_on_stack(
    arg: *mut u8,
    f: unsafe extern "C" fn(*mut u8),
    top: *mut u8,
) {
    core::arch::naked_asm!(
        "stp x29, x30, [sp, #-16]!",
        "mov x29, sp",
        "mov sp, x2",
        "blr x1",
        "mov sp, x29",
        "ldp x29, x30, [sp], #16",
        "ret",
    )
}

/// Defines builtin `$name` as a naked entry shim that records the Wasm
/// caller's `(stack pointer, return address)` with `record_exit_frame`, then tail-jumps
/// to `$imp` with the arguments untouched (at most eight integer arguments).
macro_rules! builtin_shim {
    ($(#[$doc:meta])* fn $name:ident($($a:ident : $t:ty),*) $(-> $r:ty)? => $imp:path) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// Only compiled Wasm code may call this, with its own live `vmctx`.
        #[unsafe(naked)]
        #[no_mangle]
        pub unsafe extern "C" fn $name($($a: $t),*) $(-> $r)? {
            core::arch::naked_asm!(
                "stp x29, x30, [sp, #-80]!",
                "mov x29, sp",
                "stp x0, x1, [sp, #16]",
                "stp x2, x3, [sp, #32]",
                "stp x4, x5, [sp, #48]",
                "stp x6, x7, [sp, #64]",
                "add x0, x29, #80",
                "ldr x1, [x29, #8]",
                "bl {record}",
                "ldp x6, x7, [sp, #64]",
                "ldp x4, x5, [sp, #48]",
                "ldp x2, x3, [sp, #32]",
                "ldp x0, x1, [sp, #16]",
                "ldp x29, x30, [sp], #80",
                "b {imp}",
                record = sym $crate::traps::record_exit_frame,
                imp = sym $imp,
            )
        }
    };
}
pub(crate) use builtin_shim;
