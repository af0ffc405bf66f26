//! `tern_eh_personality`: the personality routine of every compiled Wasm
//! function with landing pads, and of the bundle's `tern_catch_traps`.
//!
//! It follows the Itanium unwind ABI (the one libgcc's unwinder implements on
//! x86-64 and AArch64 Linux):
//!
//! * **Search phase** (`_UA_SEARCH_PHASE`): a frame whose landing pad has a
//!   catch clause is a handler for a Wasm exception (class `TERNWASM`); the
//!   pad itself compares tags and rethrows when none matches. Foreign
//!   exceptions are never caught.
//! * **Cleanup phase of a Wasm exception**: only the handler frame found by
//!   the search is entered (selector = the catch filter, positive). Cleanup
//!   pads are checkpoint captures and must not run for an exception.
//! * **Forced unwind** (`_UA_FORCE_UNWIND`: a checkpoint): only cleanups run
//!   (selector 0); catch clauses never stop it.
//!
//! Traps never get here: they `longjmp` to the host entry, so a Wasm
//! `catch_all` cannot catch one.

use std::ffi::c_void;

use super::lsda::find_action;
use super::{UnwindException, WASM_EXCEPTION_CLASS};

const UA_SEARCH_PHASE: i32 = 1;
const UA_HANDLER_FRAME: i32 = 4;
const UA_FORCE_UNWIND: i32 = 8;

const URC_FATAL_PHASE1_ERROR: i32 = 3;
const URC_HANDLER_FOUND: i32 = 6;
const URC_INSTALL_CONTEXT: i32 = 7;
const URC_CONTINUE_UNWIND: i32 = 8;

extern "C" {
    fn _Unwind_GetLanguageSpecificData(context: *mut c_void) -> *const u8;
    fn _Unwind_GetRegionStart(context: *mut c_void) -> usize;
    fn _Unwind_GetIPInfo(context: *mut c_void, before: *mut i32) -> usize;
    fn _Unwind_SetGR(context: *mut c_void, index: i32, value: usize);
    fn _Unwind_SetIP(context: *mut c_void, value: usize);
}

/// The registers a landing pad receives the exception pointer and the
/// selector in (`__builtin_eh_return_data_regno(0/1)`): rax/rdx, x0/x1.
const EH_REGISTERS: (i32, i32) = (0, 1);

/// The personality routine (see the module documentation).
///
/// # Safety
/// Called only by the unwinder, with its own context and exception.
#[no_mangle]
pub unsafe extern "C" fn tern_eh_personality(
    version: i32,
    actions: i32,
    class: u64,
    exception: *mut UnwindException,
    context: *mut c_void,
) -> i32 {
    if version != 1 || context.is_null() {
        return URC_FATAL_PHASE1_ERROR;
    }
    // SAFETY: `context` is the unwinder's context for the frame being examined.
    let action = unsafe {
        let lsda = _Unwind_GetLanguageSpecificData(context);
        let start = _Unwind_GetRegionStart(context);
        let mut before = 0;
        let mut ip = _Unwind_GetIPInfo(context, &mut before);
        if before == 0 {
            ip = ip.wrapping_sub(1);
        }
        find_action(lsda, start, ip)
    };
    if action.landing_pad == 0 {
        return URC_CONTINUE_UNWIND;
    }
    let ours = class == WASM_EXCEPTION_CLASS;
    let selector = if actions & UA_FORCE_UNWIND != 0 {
        if !action.cleanup {
            return URC_CONTINUE_UNWIND;
        }
        0
    } else if actions & UA_SEARCH_PHASE != 0 {
        return if ours && action.catch_filter.is_some() {
            URC_HANDLER_FOUND
        } else {
            URC_CONTINUE_UNWIND
        };
    } else if actions & UA_HANDLER_FRAME != 0 && ours {
        match action.catch_filter {
            Some(filter) => filter,
            None => return URC_CONTINUE_UNWIND,
        }
    } else {
        return URC_CONTINUE_UNWIND;
    };
    // SAFETY: installing the landing pad the LSDA names, with the exception
    // and selector in the registers the pad reads them from.
    unsafe {
        _Unwind_SetGR(context, EH_REGISTERS.0, exception as usize);
        _Unwind_SetGR(context, EH_REGISTERS.1, selector);
        _Unwind_SetIP(context, action.landing_pad);
    }
    URC_INSTALL_CONTEXT
}
