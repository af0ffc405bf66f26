//! `--trap-unknown-imports`: host functions standing in for function imports
//! nobody defines. Calling one prints which import it replaces and traps
//! (`host function trapped`); instantiation itself succeeds.
//!
//! A stub never returns, so one native body fits every signature: under the
//! C calling convention the caller passes (and cleans up) its arguments and
//! the stub ignores them. To name the import without looking at arguments,
//! each of the first [`NAMED`] stubbed imports gets its own native function,
//! which knows its slot in a table of names; later ones share an unnamed
//! stub.

use std::sync::Mutex;

use tern_environ::{FuncType, TrapCode};

use crate::traps::Unwind;
use crate::vmctx::host::{enter_free, HostFunc};

/// How many stubbed imports are named in the trap message.
pub const NAMED: usize = 64;

/// `module::name` of the import behind each named stub, by slot.
static NAMES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Reports the call and traps.
fn trap(slot: Option<usize>) {
    let name = slot.and_then(|i| NAMES.lock().ok().and_then(|names| names.get(i).cloned()));
    enter_free(|| -> Result<(), Unwind> {
        match name {
            Some(name) => eprintln!(
                "tern: called unknown import `{name}` (a trapping stub from --trap-unknown-imports)"
            ),
            None => eprintln!(
                "tern: called an unknown import (a trapping stub from --trap-unknown-imports)"
            ),
        }
        Err(Unwind::trap(TrapCode::HostTrap))
    })
}

macro_rules! stubs {
    ($($slot:literal)*) => {
        /// One native stub per named slot.
        const STUBS: [extern "C" fn(); NAMED] = [$({
            extern "C" fn stub() {
                trap(Some($slot))
            }
            stub
        }),*];
    };
}
stubs!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
       32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63);

/// The stub for imports beyond the named slots.
extern "C" fn unnamed_stub() {
    trap(None)
}

/// Array-call adapter of every stub: calls the native stub, which never returns.
///
/// # Safety
/// `callee` must be one of this module's stubs.
unsafe extern "C" fn array_call(callee: *const u8, _vmctx: *mut u8, _values: *mut u8) {
    // SAFETY: `callee` is a stub's address (see `stub`), of type `extern "C" fn()`.
    let f: extern "C" fn() = unsafe { std::mem::transmute(callee) };
    f()
}

/// A trapping host function of type `ty` standing in for import `module::name`.
pub fn stub(module: &str, name: &str, ty: &FuncType) -> HostFunc {
    let native = match NAMES.lock() {
        Ok(mut names) if names.len() < NAMED => {
            names.push(format!("{module}::{name}"));
            STUBS[names.len() - 1]
        }
        _ => unnamed_stub,
    };
    HostFunc {
        native: native as usize,
        array_call: array_call as *const () as usize,
        ty: ty.clone(),
    }
}
