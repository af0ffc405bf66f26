//! Traps and exits: entering Wasm through the bundle's `tern_catch_traps`,
//! unwinding back with `_longjmp`, the SIGSEGV/SIGBUS handler that turns
//! faults inside memory reservations into `MemoryOutOfBounds`, and Wasm
//! backtraces from the unwind tables.
//!
//! Everything the signal handler touches is async-signal-safe (constant
//! thread-local cells, the lock-free reservation registry) except the
//! unwinder's walk, whose locks the interrupted Wasm code never holds
//! (see `walk`). Names are resolved only after
//! the unwind, outside the handler. This module must not know about instances.

pub mod backtrace;
pub mod sys;
#[cfg(test)]
mod tests;
mod walk;

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use tern_environ::descriptor::CatchTrapsFn;
use tern_environ::tunables::DEFAULT_MAX_WASM_STACK;
use tern_environ::TrapCode;

use crate::memory::is_wasm_memory_address;
use crate::vmctx::VMFuncRef;

/// Frames recorded for a backtrace.
pub const MAX_FRAMES: usize = 64;

/// Stack the host keeps below the Wasm part on small (test) threads.
const HOST_HEADROOM: usize = 256 << 10;

/// Why control left Wasm abnormally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unwind {
    /// A trap, with the return addresses of the Wasm frames (innermost first).
    Trap {
        /// The trap code.
        code: TrapCode,
        /// Program counters (innermost first); may be empty.
        frames: Vec<usize>,
    },
    /// `proc_exit` with this status.
    Exit(i32),
    /// A checkpoint unwound every Wasm frame (the frames are in
    /// `crate::checkpoint`'s capture).
    Checkpoint,
}

impl Unwind {
    /// A trap without a backtrace (raised by the host).
    pub fn trap(code: TrapCode) -> Unwind {
        Unwind::Trap {
            code,
            frames: Vec::new(),
        }
    }
}

#[derive(Clone, Copy)]
enum Pending {
    None,
    Trap(TrapCode),
    Exit(i32),
    Checkpoint,
}

/// `tern_catch_traps` result of a checkpoint unwind.
const CHECKPOINT_CODE: i32 = 0x200;

struct State {
    /// `*slot` is the innermost `jmp_buf`, null outside Wasm.
    jmp_slot: Cell<*mut u8>,
    pending: Cell<Pending>,
    frames: [Cell<usize>; MAX_FRAMES],
    num_frames: Cell<usize>,
    /// `(stack pointer, return address)` of the Wasm caller of the current builtin.
    exit_frame: Cell<(usize, usize)>,
    /// Value for `VMContext::stack_limit` on this thread.
    stack_limit: Cell<usize>,
    /// A stack address just above the innermost `tern_catch_traps` frame:
    /// a checkpoint unwind stops at the first frame above it.
    entry_boundary: Cell<usize>,
}

thread_local! {
    static STATE: State = const {
        State {
            jmp_slot: Cell::new(std::ptr::null_mut()),
            pending: Cell::new(Pending::None),
            frames: [const { Cell::new(0) }; MAX_FRAMES],
            num_frames: Cell::new(0),
            exit_frame: Cell::new((0, 0)),
            stack_limit: Cell::new(0),
            entry_boundary: Cell::new(0),
        }
    };
}

static CATCH_TRAPS: AtomicUsize = AtomicUsize::new(0);

/// Sets the bundle's `tern_catch_traps`, used for every entry into Wasm.
pub fn set_catch_traps(f: CatchTrapsFn) {
    CATCH_TRAPS.store(f as usize, Ordering::Release);
}

/// Computes this thread's stack limit: Wasm gets up to `wasm_stack` bytes
/// below the current stack pointer, the host keeps headroom below that.
pub fn init_thread(wasm_stack: usize) {
    let (lo, _hi) = sys::thread_stack_bounds();
    let marker = 0u8;
    let sp = std::ptr::addr_of!(marker) as usize;
    let mut limit = sp.saturating_sub(wasm_stack);
    if lo != 0 {
        limit = limit.max(lo + HOST_HEADROOM.min((sp - lo) / 2));
    }
    STATE.with(|s| {
        s.stack_limit.set(limit);
    });
}

/// Runs `f` on a fresh stack of `size` bytes (plus a guard page) on the
/// current thread, with the stack limit set so Wasm gets `wasm_stack` bytes.
/// Returns `None` if the stack cannot be mapped or `f` panicked.
///
/// A thread would do too, but creating threads hangs under some qemu-user
/// versions with a dynamically linked glibc, and programs must run there.
pub fn run_on_new_stack<R, F: FnOnce() -> R>(size: usize, wasm_stack: usize, f: F) -> Option<R> {
    struct Job<F, R> {
        f: Option<F>,
        result: Option<R>,
        lo: usize,
        wasm_stack: usize,
    }
    unsafe extern "C" fn entry<F: FnOnce() -> R, R>(arg: *mut u8) {
        // SAFETY: `arg` is the `Job` owned by `run_on_new_stack`'s frame, alive
        // for the whole call.
        let job = unsafe { &mut *(arg as *mut Job<F, R>) };
        let limit_stack = job.wasm_stack;
        let lo = job.lo;
        let f = job.f.take();
        job.result = catch_unwind(AssertUnwindSafe(move || {
            init_stack(lo, limit_stack);
            f.map(|f| f())
        }))
        .ok()
        .flatten();
    }
    let page = crate::memory::host_page_size();
    let size = size.next_multiple_of(page);
    // SAFETY: a fresh anonymous mapping; its lowest page becomes a guard page.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size + page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return None;
    }
    // SAFETY: the guard page is inside our own mapping.
    unsafe { libc::mprotect(base, page, libc::PROT_NONE) };
    let lo = base as usize + page;
    let top = (lo + size) as *mut u8;
    let mut job = Job {
        f: Some(f),
        result: None,
        lo,
        wasm_stack,
    };
    let saved = STATE.with(|s| s.stack_limit.get());
    // SAFETY: `top` is the aligned end of the mapping above; `entry` catches panics.
    unsafe { sys::call_on_stack(&mut job as *mut Job<F, R> as *mut u8, entry::<F, R>, top) };
    STATE.with(|s| {
        s.stack_limit.set(saved);
    });
    // SAFETY: nothing runs on the stack any more.
    unsafe { libc::munmap(base, size + page) };
    job.result
}

fn init_stack(lo: usize, wasm_stack: usize) {
    let marker = 0u8;
    let sp = std::ptr::addr_of!(marker) as usize;
    let limit = sp
        .saturating_sub(wasm_stack)
        .max(lo + HOST_HEADROOM.min((sp - lo) / 2));
    STATE.with(|s| {
        s.stack_limit.set(limit);
    });
}

/// The value for `VMContext::stack_limit` on this thread.
pub fn stack_limit() -> usize {
    if STATE.with(|s| s.stack_limit.get()) == 0 {
        init_thread(DEFAULT_MAX_WASM_STACK);
    }
    STATE.with(|s| s.stack_limit.get())
}

/// Whether the current thread is running Wasm (inside `tern_catch_traps`).
pub fn in_wasm() -> bool {
    STATE.with(|s| !s.jmp_slot.get().is_null())
}

/// Calls `funcref` through its array-call trampoline inside `tern_catch_traps`.
/// `values` holds the parameters on entry and the results on success.
///
/// # Panics
/// If `values` is shorter than the signature needs or no `tern_catch_traps`
/// was set.
///
/// # Errors
/// The trap or exit that unwound the call.
pub fn call(funcref: &VMFuncRef, values: &mut [[u8; 16]], needed: usize) -> Result<(), Unwind> {
    assert!(values.len() >= needed.max(1), "array-call buffer too small");
    let catch = CATCH_TRAPS.load(Ordering::Acquire);
    assert!(catch != 0, "tern_catch_traps not set");
    install_signal_handlers();
    sys::ensure_sigaltstack();
    // SAFETY: `catch` was stored from a `CatchTrapsFn`; the funcref was built by the
    // runtime (native entry + trampoline of its own signature) and `values` has room
    // for parameters and results (asserted above).
    let marker = 0u8;
    let boundary = std::ptr::addr_of!(marker) as usize;
    let outer_boundary = STATE.with(|s| s.entry_boundary.replace(boundary));
    let rc = unsafe {
        let catch: CatchTrapsFn = std::mem::transmute(catch);
        let tramp: tern_environ::descriptor::ArrayCallTrampoline =
            std::mem::transmute(funcref.array_call);
        let slot = STATE.with(|s| s.jmp_slot.as_ptr());
        catch(
            tramp,
            funcref.native,
            funcref.vmctx,
            values.as_mut_ptr() as *mut u8,
            slot,
        )
    };
    STATE.with(|s| s.entry_boundary.set(outer_boundary));
    if rc == 0 {
        return Ok(());
    }
    Err(take_pending())
}

/// The stack address above which a checkpoint unwind stops (see `call`).
pub fn entry_boundary() -> usize {
    STATE.with(|s| s.entry_boundary.get())
}

/// Ends a checkpoint unwind: every Wasm frame has been saved, jump to the
/// innermost host entry, which returns [`Unwind::Checkpoint`].
pub fn finish_checkpoint_unwind() -> ! {
    STATE.with(|s| {
        s.num_frames.set(0);
        s.pending.set(Pending::Checkpoint);
    });
    jump(CHECKPOINT_CODE)
}

/// The Wasm caller's stack pointer (at its call) recorded by the current
/// builtin's shim.
pub fn builtin_caller_sp() -> usize {
    STATE.with(|s| s.exit_frame.get().0)
}

fn take_pending() -> Unwind {
    STATE.with(|s| {
        let pending = s.pending.replace(Pending::None);
        let frames = (0..s.num_frames.get()).map(|i| s.frames[i].get()).collect();
        s.num_frames.set(0);
        match pending {
            Pending::Exit(code) => Unwind::Exit(code),
            Pending::Checkpoint => Unwind::Checkpoint,
            Pending::Trap(code) => Unwind::Trap { code, frames },
            Pending::None => Unwind::trap(TrapCode::HostTrap),
        }
    })
}

extern "C" {
    fn _longjmp(env: *mut libc::c_void, val: libc::c_int) -> !;
}

fn jump(code: i32) -> ! {
    let buf = STATE.with(|s| s.jmp_slot.get());
    if buf.is_null() {
        eprintln!("tern: trap raised outside of Wasm");
        std::process::abort();
    }
    // SAFETY: `buf` is the jmp_buf of the innermost live `tern_catch_traps` frame;
    // callers have no pending destructors between here and that frame.
    unsafe { _longjmp(buf as *mut libc::c_void, if code == 0 { 1 } else { code }) }
}

/// Unwinds to the innermost host entry with `unwind`.
///
/// Callers must own nothing that needs dropping: the frames in between are
/// discarded without running destructors.
pub fn raise(unwind: Unwind) -> ! {
    let (pending, code) = match unwind {
        Unwind::Trap { code, frames } => {
            STATE.with(|s| {
                let n = frames.len().min(MAX_FRAMES);
                for (i, pc) in frames.iter().take(n).enumerate() {
                    s.frames[i].set(*pc);
                }
                s.num_frames.set(n);
            });
            (Pending::Trap(code), code as i32)
        }
        Unwind::Exit(status) => {
            STATE.with(|s| s.num_frames.set(0));
            (Pending::Exit(status), 0x100)
        }
        Unwind::Checkpoint => crate::checkpoint::capture::unwind(),
    };
    STATE.with(|s| s.pending.set(pending));
    jump(code)
}

/// Raises trap `code` from a builtin called by Wasm, with a backtrace from the
/// frame recorded by the builtin's entry shim.
pub fn raise_from_builtin(code: TrapCode) -> ! {
    let (_, pc) = STATE.with(|s| s.exit_frame.get());
    capture_frames(pc.wrapping_sub(1));
    STATE.with(|s| s.pending.set(Pending::Trap(code)));
    jump(code as i32)
}

/// Records trap `code` (without a backtrace) as the reason the innermost
/// host entry returns; for `tern_catch_traps`' own landing pad, which returns
/// instead of jumping.
pub fn set_pending_trap(code: TrapCode) {
    STATE.with(|s| {
        s.num_frames.set(0);
        s.pending.set(Pending::Trap(code));
    });
}

/// Records the Wasm caller's frame; called by every builtin's entry shim.
pub extern "C" fn record_exit_frame(sp: usize, pc: usize) {
    let _ = STATE.try_with(|s| s.exit_frame.set((sp, pc)));
}

/// Records the backtrace of a trap raised in the Wasm frame at `pc` (see `walk`).
fn capture_frames(pc: usize) {
    let _ = STATE.try_with(|s| {
        let len = walk::collect(pc, s.jmp_slot.get() as usize, &s.frames);
        s.num_frames.set(len);
    });
}

static INSTALL: Once = Once::new();
static mut PREVIOUS: [Option<libc::sigaction>; 2] = [None, None];

/// Installs the SIGSEGV/SIGBUS handlers (once per process).
pub fn install_signal_handlers() {
    INSTALL.call_once(|| {
        for (i, sig) in [libc::SIGSEGV, libc::SIGBUS].into_iter().enumerate() {
            // SAFETY: a zeroed sigaction is valid; we fill handler, flags and mask, and
            // save the previous action before anything can read it (inside call_once).
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = handler as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &action, &mut old) == 0 {
                    (*std::ptr::addr_of_mut!(PREVIOUS))[i] = Some(old);
                }
            }
        }
    });
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    let running = STATE
        .try_with(|s| !s.jmp_slot.get().is_null())
        .unwrap_or(false);
    if running && is_wasm_memory_address(addr) {
        // SAFETY: `ctx` is the ucontext the kernel passed to this handler.
        let pc = unsafe { sys::interrupted_pc(ctx) };
        capture_frames(pc);
        let _ = STATE.try_with(|s| s.pending.set(Pending::Trap(TrapCode::MemoryOutOfBounds)));
        jump(TrapCode::MemoryOutOfBounds as i32);
    }
    // Not a Wasm fault: hand it to the previous handler or crash for real.
    let index = if sig == libc::SIGSEGV { 0 } else { 1 };
    // SAFETY: PREVIOUS is written once before the handler is installed.
    let previous = unsafe { (*std::ptr::addr_of!(PREVIOUS))[index] };
    // SAFETY: restoring the previous (or default) action and re-raising is the
    // documented way to let a fault take its normal course.
    unsafe {
        match previous {
            Some(old)
                if old.sa_sigaction != libc::SIG_DFL
                    && old.sa_sigaction != libc::SIG_IGN
                    && old.sa_flags & libc::SA_SIGINFO != 0 =>
            {
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    std::mem::transmute(old.sa_sigaction);
                f(sig, info, ctx);
            }
            _ => {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(sig, &action, std::ptr::null_mut());
                if (*info).si_code <= 0 {
                    libc::raise(sig);
                }
            }
        }
    }
}
