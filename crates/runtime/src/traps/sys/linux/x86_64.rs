//! x86-64 Linux: the program counter from a signal's ucontext, and the
//! entry shim of builtins that records the Wasm caller's frame.

/// The program counter of the interrupted code.
///
/// # Safety
/// `ctx` must be the `ucontext_t` passed to an `SA_SIGINFO` handler.
pub unsafe fn interrupted_pc(ctx: *mut libc::c_void) -> usize {
    // SAFETY: per the contract, `ctx` points to a valid ucontext_t.
    let uc = unsafe { &*(ctx as *const libc::ucontext_t) };
    uc.uc_mcontext.gregs[libc::REG_RIP as usize] as usize
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
        "push rbp",
        "mov rbp, rsp",
        "mov rsp, rdx",
        "call rsi",
        "mov rsp, rbp",
        "pop rbp",
        "ret",
    )
}

/// Defines builtin `$name` as a naked entry shim that records the Wasm
/// caller's `(stack pointer, return address)` with `record_exit_frame`, then tail-jumps
/// to `$imp` with the arguments untouched (at most six integer arguments).
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
                "push rbp",
                "mov rbp, rsp",
                "push rdi",
                "push rsi",
                "push rdx",
                "push rcx",
                "push r8",
                "push r9",
                "lea rdi, [rbp + 16]",
                "mov rsi, [rbp + 8]",
                "call {record}",
                "pop r9",
                "pop r8",
                "pop rcx",
                "pop rdx",
                "pop rsi",
                "pop rdi",
                "pop rbp",
                "jmp {imp}",
                record = sym $crate::traps::record_exit_frame,
                imp = sym $imp,
            )
        }
    };
}
pub(crate) use builtin_shim;
