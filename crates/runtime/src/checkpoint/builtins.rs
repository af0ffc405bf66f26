//! The `tern_builtin_cr_*` builtins (see `tern_environ::builtins`).
//!
//! `cr_unwind` starts checkpoint unwinds, so it is `extern "C-unwind"` and
//! never runs inside `catch_unwind`. `cr_poll` (a loop's poll) never
//! unwinds (nor traps): compiled code calls it through a register-preserving
//! wrapper and saves its own frame when it returns `CR_POLL_CAPTURE`. A
//! checkpointable function's entry statepoint reaches [`enter_at`] through
//! its stub (`frame_registers`), which saves the frame itself and has the
//! stub unwind.

use tern_environ::builtins::{CR_ENTER_OVERFLOW, CR_POLL_CAPTURE, ENTER_AT_UNWIND};

use super::frame_registers::Registers;
use super::{capture, request, restore, stackmaps};
use crate::traps::sys::builtin_shim;
use crate::vmctx::instance_of;

/// Continue with the function or loop body.
const CONTINUE: i64 = -1;

extern "C-unwind" fn cr_poll_impl(_vmctx: *mut u8, position: i32) -> i64 {
    if restore::active() {
        return restore::poll(position as u32);
    }
    if super::active().is_none() {
        request::lower_flags();
        return CONTINUE;
    }
    match request::take_at_point() {
        Some(mode) => {
            // The polling frame saves itself, then calls `cr_unwind`: no
            // unwind through the poll, so the poll's call preserves registers.
            capture::prepare(mode);
            CR_POLL_CAPTURE
        }
        None => CONTINUE,
    }
}

/// Handles an entry check's statepoint call (`ENTER_AT_SYMBOL`, through
/// its stub in `frame_registers`): [`CR_ENTER_OVERFLOW`] when the stack is
/// really exhausted (the function traps), a restore's answer for the
/// entered function, -1 to run the body, or, when a checkpoint is
/// requested, the frame saved and [`ENTER_AT_UNWIND`] (the stub then starts the
/// unwind).
///
/// # Safety
/// Only the entry stub calls this, with its filled [`Registers`] and the
/// statepoint's return address.
pub unsafe extern "C" fn enter_at(regs: *const Registers, return_address: usize) -> i64 {
    // SAFETY: per the contract.
    let stack_pointer = unsafe { (*regs).stack_pointer() };
    if stack_pointer < crate::traps::stack_limit() {
        return CR_ENTER_OVERFLOW;
    }
    if restore::active() {
        let func = stackmaps::position_at(return_address)
            .ok()
            .and_then(|p| super::active()?.point(p).map(|(func, _)| func))
            .unwrap_or_else(|| {
                restore::mismatch(format!(
                    "function entry at {return_address:#x} is no migration point"
                ))
            });
        return restore::enter(func);
    }
    if super::active().is_none() {
        request::lower_flags();
        return CONTINUE;
    }
    // SAFETY: per the contract.
    unsafe { capture_if_requested(regs, return_address) }
}

/// Saves the frame at `return_address` and answers [`ENTER_AT_UNWIND`] if a
/// checkpoint is requested; else -1.
unsafe fn capture_if_requested(regs: *const Registers, return_address: usize) -> i64 {
    match request::take_at_point() {
        Some(mode) => {
            capture::prepare(mode);
            // SAFETY: the caller's contract.
            unsafe { stackmaps::capture_frame(regs, return_address) };
            ENTER_AT_UNWIND
        }
        None => CONTINUE,
    }
}

extern "C-unwind" fn cr_unwind_impl(_vmctx: *mut u8) {
    capture::unwind()
}

extern "C" fn cr_restore_values_impl(_vmctx: *mut u8) -> *mut u8 {
    restore::values()
}

extern "C" fn cr_restore_callee_impl(vmctx: *mut u8, _position: i32) -> *const u8 {
    let func = restore::next_func();
    // SAFETY: builtins are only called by compiled code with its own live context.
    let instance = unsafe { instance_of(vmctx) };
    match instance.func(func) {
        Some(f) => f.as_ptr() as *const u8,
        None => {
            eprintln!("tern: restore failed: no function {func}");
            std::process::exit(1)
        }
    }
}

builtin_shim! {
    /// `cr_poll(position) -> position or -1`.
    fn tern_builtin_cr_poll(vmctx: *mut u8, position: i32) -> i64 => cr_poll_impl
}
builtin_shim! {
    /// `cr_unwind() -> !`.
    fn tern_builtin_cr_unwind(vmctx: *mut u8) => cr_unwind_impl
}
builtin_shim! {
    /// `cr_restore_values() -> slots`.
    fn tern_builtin_cr_restore_values(vmctx: *mut u8) -> *mut u8 => cr_restore_values_impl
}
extern "C" fn cr_tail_buffer_impl(_vmctx: *mut u8, slots: i32) -> *mut u8 {
    if slots > 0 {
        restore::open_tail_buffer(slots as usize)
    } else {
        restore::close_tail_buffer()
    }
}

extern "C" fn cr_resume_answer_impl(_vmctx: *mut u8, func: i32) -> i64 {
    restore::answer(func as u32)
}

builtin_shim! {
    /// `cr_resume_answer(func) -> position`.
    fn tern_builtin_cr_resume_answer(vmctx: *mut u8, func: i32) -> i64 => cr_resume_answer_impl
}
builtin_shim! {
    /// `cr_tail_buffer(slots) -> ptr`.
    fn tern_builtin_cr_tail_buffer(vmctx: *mut u8, slots: i32) -> *mut u8 => cr_tail_buffer_impl
}
builtin_shim! {
    /// `cr_restore_callee(position) -> VMFuncRef`.
    fn tern_builtin_cr_restore_callee(vmctx: *mut u8, position: i32) -> *const u8 => cr_restore_callee_impl
}
