//! Linux: thread stack bounds, the per-thread signal stack, and the per-arch
//! parts in `x86_64.rs` / `aarch64.rs`.

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "x86_64")]
mod x86_64;

#[cfg(target_arch = "aarch64")]
pub use aarch64::*;
#[cfg(target_arch = "x86_64")]
pub use x86_64::*;

use std::cell::Cell;

/// Size of the signal stack installed on threads that run Wasm.
const SIGALTSTACK_SIZE: usize = 64 << 10;

thread_local! {
    static ALTSTACK: Cell<bool> = const { Cell::new(false) };
}

/// `(lowest, highest)` address of the current thread's stack, `(0, 0)` if unknown.
pub fn thread_stack_bounds() -> (usize, usize) {
    // SAFETY: pthread_getattr_np fills `attr`, which we destroy afterwards;
    // the out-pointers are valid locals.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return (0, 0);
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let rc = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        if rc != 0 {
            return (0, 0);
        }
        (addr as usize, addr as usize + size)
    }
}

/// Makes sure the current thread has a signal stack large enough for the
/// trap handler (installed once per thread, never freed: threads running
/// Wasm live as long as the program).
pub fn ensure_sigaltstack() {
    if ALTSTACK.with(|a| a.get()) {
        return;
    }
    ALTSTACK.with(|a| a.set(true));
    // SAFETY: querying the current alternate stack with a valid out-pointer.
    let mut current: libc::stack_t = unsafe { std::mem::zeroed() };
    // SAFETY: see above.
    unsafe { libc::sigaltstack(std::ptr::null(), &mut current) };
    if current.ss_flags & libc::SS_DISABLE == 0 && current.ss_size >= SIGALTSTACK_SIZE {
        return;
    }
    let page = crate::memory::host_page_size();
    // SAFETY: a fresh anonymous mapping; the first page becomes a guard page.
    unsafe {
        let mem = libc::mmap(
            std::ptr::null_mut(),
            SIGALTSTACK_SIZE + page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if mem == libc::MAP_FAILED {
            return;
        }
        libc::mprotect(mem, page, libc::PROT_NONE);
        let stack = libc::stack_t {
            ss_sp: (mem as *mut u8).add(page) as *mut libc::c_void,
            ss_flags: 0,
            ss_size: SIGALTSTACK_SIZE,
        };
        libc::sigaltstack(&stack, std::ptr::null_mut());
    }
}
