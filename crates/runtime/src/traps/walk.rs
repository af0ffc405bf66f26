//! Wasm backtraces from the unwind tables.
//!
//! Compiled Wasm code keeps no frame pointers (native code does not either;
//! a frame pointer costs a register and two instructions per call), but every
//! Wasm function has unwind tables (checkpoints and exceptions unwind through
//! them). A backtrace therefore asks libgcc's unwinder for the frames
//! (`_Unwind_Backtrace`), skips the host frames above the Wasm frame that
//! trapped (the signal handler, or the builtin that raised the trap), and
//! stops at the innermost host entry (`tern_catch_traps`, whose `jmp_buf`
//! marks the end of the Wasm part of the stack).
//!
//! The walk runs inside the SIGSEGV handler. The unwinder's locks (its frame
//! table registry, `dl_iterate_phdr`) are never held by the interrupted Wasm
//! code, which calls neither, so taking them there cannot deadlock.

use std::cell::Cell;
use std::ffi::c_void;

/// One walk's state, shared with the unwinder's callback.
struct Walk<'a> {
    /// Program counter of the innermost Wasm frame: frames before it are host frames.
    start: usize,
    /// Whether the frame at `start` has been seen.
    started: bool,
    /// Address of the innermost host entry's `jmp_buf`: frames whose CFA is
    /// at or above it belong to the host.
    end: usize,
    /// Where the program counters go, innermost first.
    frames: &'a [Cell<usize>],
    /// How many of `frames` are filled.
    len: usize,
}

/// Walks the current thread's stack from the Wasm frame at `start` (the
/// faulting instruction, or a return address minus one) to `end`, storing
/// program counters into `frames`; returns how many it stored.
pub(super) fn collect(start: usize, end: usize, frames: &[Cell<usize>]) -> usize {
    let mut walk = Walk {
        start,
        started: false,
        end,
        frames,
        len: 0,
    };
    // SAFETY: `visit` only reads the unwinder's context and writes `walk`,
    // which outlives the call.
    unsafe { _Unwind_Backtrace(visit, &mut walk as *mut Walk as *mut c_void) };
    walk.len
}

type TraceFn = extern "C" fn(*mut c_void, *mut c_void) -> i32;

extern "C" {
    fn _Unwind_Backtrace(trace: TraceFn, arg: *mut c_void) -> i32;
    fn _Unwind_GetIPInfo(context: *mut c_void, is_signal_frame: *mut i32) -> usize;
    fn _Unwind_GetCFA(context: *mut c_void) -> usize;
}

/// Go on to the next frame.
const URC_NO_REASON: i32 = 0;
/// Stop the walk.
const URC_NORMAL_STOP: i32 = 4;

extern "C" fn visit(context: *mut c_void, arg: *mut c_void) -> i32 {
    // SAFETY: `arg` is the `Walk` passed by `collect`, borrowed only here.
    let walk = unsafe { &mut *(arg as *mut Walk<'_>) };
    let mut is_signal_frame = 0;
    // SAFETY: `context` is the unwinder's context for this frame.
    let ip = unsafe { _Unwind_GetIPInfo(context, &mut is_signal_frame) };
    // A return address points after the call; the interrupted instruction
    // of a signal frame is the pc itself.
    let pc = if is_signal_frame != 0 {
        ip
    } else {
        ip.wrapping_sub(1)
    };
    if !walk.started {
        if pc != walk.start {
            return URC_NO_REASON;
        }
        // The trapping frame is Wasm by definition. (The CFA the unwinder
        // gives a signal frame is where the kernel put the signal context,
        // which may be on the alternate signal stack: no test here.)
        walk.started = true;
    } else {
        // SAFETY: as above.
        let cfa = unsafe { _Unwind_GetCFA(context) };
        if pc == 0 || cfa >= walk.end {
            return URC_NORMAL_STOP;
        }
    }
    let Some(slot) = walk.frames.get(walk.len) else {
        return URC_NORMAL_STOP;
    };
    slot.set(pc);
    walk.len += 1;
    URC_NO_REASON
}
