//! Wasm exceptions (the exception-handling proposal) as native unwinding.
//!
//! An exception is a heap object starting with the Itanium unwind header
//! (`_Unwind_Exception`), followed by its tag identity and its values, one
//! 16-byte slot each (the layout is `tern_environ::exceptions`). An `exnref`
//! is a pointer to it. `throw` fills one and calls `_Unwind_RaiseException`;
//! the landing pads of `try_table` call sites catch it through tern's own
//! personality routine ([`personality`]), which also keeps checkpoint
//! (forced) unwinds working. Nothing is paid while no exception is thrown.
//!
//! The unwinder is libgcc's, reached through a small `extern` block: it is
//! already linked for checkpoints (`_Unwind_ForcedUnwind`), and one unwinder
//! in the process means Rust, C and Wasm frames all unwind the same way.
//!
//! Lifetime: an exception caught by a plain `catch`/`catch_all` that was
//! never seen as an `exnref` is freed by the landing pad (`exn_release`);
//! one that became an `exnref` lives as long as the program (there is no
//! collector to tell when the last reference goes).

pub mod lsda;
pub mod personality;

use std::alloc::{alloc_zeroed, dealloc, Layout};

use tern_environ::exceptions::{EXN_EXPOSED_OFFSET, EXN_PAYLOAD_OFFSET, EXN_TAG_OFFSET};
use tern_environ::TrapCode;

use crate::traps::sys::builtin_shim;

/// `exception_class` of a Wasm exception: "TERNWASM".
pub const WASM_EXCEPTION_CLASS: u64 = u64::from_be_bytes(*b"TERNWASM");

/// The Itanium `_Unwind_Exception` header (same layout on x86-64 and AArch64).
#[repr(C, align(16))]
pub struct UnwindException {
    /// `exception_class`.
    pub class: u64,
    /// `exception_cleanup`.
    pub cleanup: Option<extern "C" fn(i32, *mut UnwindException)>,
    /// `private_1`, `private_2`: the unwinder's.
    pub private: [usize; 2],
}

/// The head of a Wasm exception object; values follow at `EXN_PAYLOAD_OFFSET`.
#[repr(C, align(16))]
struct ExceptionHead {
    header: UnwindException,
    tag: *const u8,
    /// Non-zero once the exception was handed out as an `exnref`.
    exposed: u64,
    /// Number of value slots.
    count: u64,
}

const _: () = {
    assert!(std::mem::offset_of!(ExceptionHead, tag) == EXN_TAG_OFFSET as usize);
    assert!(std::mem::offset_of!(ExceptionHead, exposed) == EXN_EXPOSED_OFFSET as usize);
    assert!(std::mem::size_of::<ExceptionHead>() <= EXN_PAYLOAD_OFFSET as usize);
};

fn layout(count: usize) -> Option<Layout> {
    Layout::from_size_align(EXN_PAYLOAD_OFFSET as usize + 16 * count, 16).ok()
}

extern "C" fn cleanup(_reason: i32, exception: *mut UnwindException) {
    // SAFETY: the unwinder passes back an exception allocated by `exn_new`.
    unsafe { free(exception as *mut ExceptionHead) }
}

/// # Safety
/// `head` must come from [`exn_new_impl`] and not be used afterwards.
unsafe fn free(head: *mut ExceptionHead) {
    // SAFETY: per the contract, `head` is a live exception of `count` slots.
    unsafe {
        if let Some(layout) = layout((*head).count as usize) {
            dealloc(head as *mut u8, layout);
        }
    }
}

extern "C" fn exn_new_impl(_vmctx: *mut u8, tag: *const u8, count: i32) -> *mut u8 {
    let count = count.max(0) as usize;
    let Some(layout) = layout(count) else {
        crate::traps::raise_from_builtin(TrapCode::HostTrap)
    };
    // SAFETY: a non-zero-sized layout.
    let head = unsafe { alloc_zeroed(layout) } as *mut ExceptionHead;
    if head.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    // SAFETY: `head` is a fresh allocation big enough for the head.
    unsafe {
        head.write(ExceptionHead {
            header: UnwindException {
                class: WASM_EXCEPTION_CLASS,
                cleanup: Some(cleanup),
                private: [0; 2],
            },
            tag,
            exposed: 0,
            count: count as u64,
        });
    }
    head as *mut u8
}

/// The tag identity and raw value slots of a live exception (what a
/// checkpoint saves of it).
///
/// # Safety
/// `exception` must be a live exception object: a non-null `exnref`
/// produced by compiled code or [`new_exposed`].
pub unsafe fn parts(exception: *const u8) -> (*const u8, Vec<u128>) {
    let head = exception as *const ExceptionHead;
    // SAFETY: per the contract, `head` is a live exception with `count`
    // 16-byte slots from `EXN_PAYLOAD_OFFSET` (16-aligned).
    unsafe {
        let count = (*head).count as usize;
        let slots = exception.add(EXN_PAYLOAD_OFFSET as usize) as *const u128;
        let values = (0..count).map(|i| slots.add(i).read()).collect();
        ((*head).tag, values)
    }
}

/// A new exception of tag identity `tag` holding `values` (raw slots),
/// already exposed as an `exnref` (a restored exception is never freed).
pub fn new_exposed(tag: *const u8, values: &[u128]) -> *mut u8 {
    let exception = exn_new_impl(std::ptr::null_mut(), tag, values.len() as i32);
    let head = exception as *mut ExceptionHead;
    // SAFETY: `exn_new_impl` returned a live exception with `values.len()`
    // slots from `EXN_PAYLOAD_OFFSET` (16-aligned).
    unsafe {
        (*head).exposed = 1;
        let slots = exception.add(EXN_PAYLOAD_OFFSET as usize) as *mut u128;
        for (i, v) in values.iter().enumerate() {
            slots.add(i).write(*v);
        }
    }
    exception
}

extern "C" {
    fn _Unwind_RaiseException(exception: *mut UnwindException) -> i32;
}

extern "C-unwind" fn exn_throw_impl(_vmctx: *mut u8, exception: *mut u8) {
    // SAFETY: compiled code passes a live exception object (never null:
    // `throw_ref` checks first). The raise returns only when no frame, not
    // even the host entry, catches it.
    unsafe { _Unwind_RaiseException(exception as *mut UnwindException) };
    crate::traps::raise_from_builtin(TrapCode::UncaughtException)
}

extern "C" fn exn_release_impl(_vmctx: *mut u8, exception: *mut u8) {
    let head = exception as *mut ExceptionHead;
    // SAFETY: compiled code passes the exception its landing pad just caught.
    unsafe {
        if (*head).exposed == 0 {
            free(head);
        }
    }
}

/// Called by the landing pad of the bundle's `tern_catch_traps` when an
/// exception reaches the host: records an `uncaught exception` trap and
/// returns the code `tern_catch_traps` returns.
#[no_mangle]
pub extern "C" fn tern_exception_escaped(_exception: *mut u8) -> i32 {
    crate::traps::set_pending_trap(TrapCode::UncaughtException);
    TrapCode::UncaughtException as i32
}

builtin_shim! {
    /// `exn_new(tag, count) -> exception`.
    fn tern_builtin_exn_new(vmctx: *mut u8, tag: *const u8, count: i32) -> *mut u8 => exn_new_impl
}
builtin_shim! {
    /// `exn_throw(exception) -> !`.
    fn tern_builtin_exn_throw(vmctx: *mut u8, exception: *mut u8) => exn_throw_impl
}
builtin_shim! {
    /// `exn_release(exception)`.
    fn tern_builtin_exn_release(vmctx: *mut u8, exception: *mut u8) => exn_release_impl
}
