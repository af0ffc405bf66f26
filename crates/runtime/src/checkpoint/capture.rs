//! Taking a checkpoint: a forced unwind through every Wasm frame.
//!
//! Each checkpointable call site is an `invoke` whose cleanup landing pad
//! calls `cr_capture_and_resume` through a statepoint, which reads the
//! frame's saved locals and operand stack where its stackmap record says
//! they are ([`super::stackmaps`]), records them with [`save_frame`] and
//! resumes the unwind. The unwind is started
//! with `_Unwind_ForcedUnwind` (libgcc), so Wasm frames need no handler
//! search and pay nothing until a checkpoint happens; its stop function ends
//! it at the innermost host entry (`tern_catch_traps`), which then returns
//! `Unwind::Checkpoint`. The frames are collected innermost first.

use std::cell::RefCell;
use std::ffi::c_void;

use super::request::Mode;

/// One frame saved by a landing pad.
#[derive(Debug)]
pub struct CapturedFrame {
    /// The migration point's position.
    pub position: u32,
    /// The raw slots, in the point's layout.
    pub slots: Box<[u128]>,
    /// Why the frame's values could not be read, if they could not.
    pub error: Option<String>,
}

/// A completed capture: frames innermost first, and what to do next.
#[derive(Debug)]
pub struct Capture {
    /// The frames, innermost first.
    pub frames: Vec<CapturedFrame>,
    /// Exit or continue after writing the snapshot.
    pub mode: Mode,
}

thread_local! {
    static CAPTURE: RefCell<Option<Capture>> = const { RefCell::new(None) };
    /// The arguments of the host call that started the capture, if one did.
    static HOST_ARGS: RefCell<Option<Vec<u64>>> = const { RefCell::new(None) };
}

/// Takes the frames of the last checkpoint unwind.
pub fn take() -> Option<Capture> {
    CAPTURE.with(|c| c.borrow_mut().take())
}

/// Records the frame at `position` (the capture stubs): `read` fills its
/// slots, in the point's compact layout. An unknown position, or a `read`
/// that fails, makes the capture fail when the snapshot is made.
///
/// At a host-call point `read` fills all but the call's arguments, which
/// come from the host call itself ([`prepare_at_host_call`]): the compiled
/// code then need not keep them alive across the call for its landing pad.
pub fn save_frame(position: u32, read: impl FnOnce(&mut [u128]) -> Result<(), String>) {
    let layout = super::active().and_then(|index| {
        index
            .point(position)
            .map(|(_, p)| (p.slots(), index.host_argument_slots(p)))
    });
    let (count, from_host) = layout.unwrap_or((0, 0));
    let mut slots = vec![0u128; count].into_boxed_slice();
    let error = match layout {
        Some(_) => {
            let (own, host) = slots.split_at_mut(count.saturating_sub(from_host));
            read(own).and_then(|()| fill_host_arguments(host)).err()
        }
        None => None,
    };
    push_frame(CapturedFrame {
        position,
        slots,
        error,
    });
}

/// Fills `slots` (a host-call point's last ones) with the arguments of the
/// host call that started the capture.
fn fill_host_arguments(slots: &mut [u128]) -> Result<(), String> {
    if slots.is_empty() {
        return Ok(());
    }
    let args = HOST_ARGS
        .with(|a| a.borrow_mut().take())
        .ok_or("a host-call frame was saved, but no host call started the checkpoint")?;
    if args.len() != slots.len() {
        return Err(format!(
            "the host call passed {} arguments, its point saves {}",
            args.len(),
            slots.len()
        ));
    }
    for (slot, arg) in slots.iter_mut().zip(args) {
        *slot = u128::from(arg);
    }
    Ok(())
}

/// Records a frame whose point could not be found (no stackmap record at
/// its return address): the capture fails with `error` when the snapshot is
/// made.
pub fn save_unreadable(error: String) {
    push_frame(CapturedFrame {
        position: u32::MAX,
        slots: Box::new([]),
        error: Some(error),
    });
}

/// Adds `frame` to the capture [`prepare`] started. A frame saving itself
/// with no capture started means compiled code and runtime disagree (a
/// poll's slow path takes every answer but -1 as "capture"): a tern bug,
/// reported rather than turned into a snapshot nobody asked for.
fn push_frame(frame: CapturedFrame) {
    let position = frame.position;
    let pushed = CAPTURE.with(|c| match c.borrow_mut().as_mut() {
        Some(capture) => {
            capture.frames.push(frame);
            true
        }
        None => false,
    });
    if !pushed {
        eprintln!(
            "tern: internal error: the frame at position {:#x} saved itself, but no checkpoint was started",
            position
        );
        std::process::exit(1);
    }
}

#[repr(C, align(16))]
struct UnwindException {
    class: u64,
    cleanup: usize,
    private: [usize; 2],
}

type StopFn = extern "C" fn(i32, i32, u64, *mut UnwindException, *mut c_void, *mut c_void) -> i32;

extern "C-unwind" {
    fn _Unwind_ForcedUnwind(exc: *mut UnwindException, stop: StopFn, arg: *mut c_void) -> i32;
}
extern "C" {
    fn _Unwind_GetCFA(context: *mut c_void) -> usize;
    fn _Unwind_Backtrace(trace: TraceFn, arg: *mut c_void) -> i32;
}

type TraceFn = extern "C" fn(*mut c_void, *mut c_void) -> i32;

/// Walks the calling thread's stack once with the unwinder a capture uses,
/// so that the first capture does not pay for the unwinder's first use (its
/// code, and the program's unwind tables, touched for the first time):
/// about 50 us of a small program's first checkpoint on this machine.
pub fn warm_up() {
    extern "C" fn go_on(_context: *mut c_void, _arg: *mut c_void) -> i32 {
        URC_NO_REASON
    }
    // SAFETY: a read-only walk of this thread's stack; the callback only
    // asks for the next frame.
    unsafe {
        _Unwind_Backtrace(go_on, std::ptr::null_mut());
    }
}

const UA_END_OF_STACK: i32 = 16;
const URC_NO_REASON: i32 = 0;

extern "C" fn stop(
    _version: i32,
    actions: i32,
    _class: u64,
    _exc: *mut UnwindException,
    context: *mut c_void,
    _arg: *mut c_void,
) -> i32 {
    let boundary = crate::traps::entry_boundary();
    // SAFETY: `context` is the unwinder's context for the frame being unwound.
    let cfa = if actions & UA_END_OF_STACK != 0 {
        usize::MAX
    } else {
        unsafe { _Unwind_GetCFA(context) }
    };
    if cfa >= boundary {
        crate::traps::finish_checkpoint_unwind();
    }
    URC_NO_REASON
}

thread_local! {
    static EXCEPTION: RefCell<UnwindException> = const {
        RefCell::new(UnwindException { class: u64::from_be_bytes(*b"TERNCKPT"), cleanup: 0, private: [0; 2] })
    };
}

/// This thread's checkpoint exception object, which the capture stubs
/// resume the unwind with (`_Unwind_Resume`).
pub fn exception_object() -> *mut u8 {
    EXCEPTION.with(|e| e.as_ptr()) as *mut u8
}

/// Prepares a capture; the unwind starts when the caller raises
/// `Unwind::Checkpoint` (host functions do, once they own nothing) or when
/// the frame that polled (or was entered) has saved itself and calls
/// `cr_unwind`.
pub fn prepare(mode: Mode) {
    super::request::lower_flags();
    HOST_ARGS.with(|a| *a.borrow_mut() = None);
    CAPTURE.with(|c| {
        *c.borrow_mut() = Some(Capture {
            frames: Vec::new(),
            mode,
        })
    });
}

/// [`prepare`] for a checkpoint a host call starts (by its migration
/// point) while being called with `args` (raw, as the host function got
/// them): they become the operand-stack top of the calling frame's
/// snapshot, so its call is re-issued with them after a restore.
pub fn prepare_at_host_call(mode: Mode, args: &[u64]) {
    prepare(mode);
    HOST_ARGS.with(|a| *a.borrow_mut() = Some(args.to_vec()));
}

/// Runs the forced unwind (the capture must have been started).
pub fn unwind() -> ! {
    let exc = EXCEPTION.with(|e| e.as_ptr());
    // SAFETY: `exc` is this thread's exception object, alive for the thread;
    // the stop function ends the unwind with a longjmp to the host entry.
    unsafe {
        _Unwind_ForcedUnwind(exc, stop, std::ptr::null_mut());
    }
    eprintln!("tern: checkpoint unwind failed (no unwind information for a Wasm frame)");
    std::process::abort()
}
