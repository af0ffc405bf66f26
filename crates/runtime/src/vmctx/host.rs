//! Host functions callable from Wasm: the native entry `extern "C" fn(vmctx,
//! params...) -> result`, a generic array-call adapter for `VMFuncRef::array_call`,
//! and [`enter`], which turns the context pointer back into the instance and
//! turns a host-side trap, exit or panic into an unwind to the host entry.
//!
//! Host functions with several results are not supported here (see the
//! contract: those are written in LLVM IR).

use std::panic::{catch_unwind, AssertUnwindSafe};

use tern_environ::{FuncType, TrapCode, ValType};

use crate::instance::Instance;
use crate::traps::{self, Unwind};

/// Size of one array-call value slot.
const SLOT: usize = tern_environ::vmctx::VAL_RAW_SIZE as usize;

/// A Wasm value type with a native representation.
pub trait WasmTy: Copy {
    /// Its Wasm type.
    const TY: ValType;
    /// Reads the value from an array-call slot.
    ///
    /// # Safety
    /// `slot` must point at 16 readable bytes.
    unsafe fn load(slot: *const u8) -> Self;
    /// Writes the value to an array-call slot.
    ///
    /// # Safety
    /// `slot` must point at 16 writable bytes.
    unsafe fn store(self, slot: *mut u8);
}

macro_rules! wasm_ty {
    ($($t:ty => $vt:expr),*) => {$(
        impl WasmTy for $t {
            const TY: ValType = $vt;
            unsafe fn load(slot: *const u8) -> Self {
                // SAFETY: the caller guarantees 16 readable bytes.
                unsafe { (slot as *const $t).read_unaligned() }
            }
            unsafe fn store(self, slot: *mut u8) {
                // SAFETY: the caller guarantees 16 writable bytes.
                unsafe { (slot as *mut $t).write_unaligned(self) }
            }
        }
    )*};
}
wasm_ty!(i32 => ValType::I32, i64 => ValType::I64, f32 => ValType::F32, f64 => ValType::F64);

/// A host function's result: nothing or one value.
pub trait WasmRet {
    /// Result types.
    const TYS: &'static [ValType];
    /// Writes the results to the array-call slots.
    ///
    /// # Safety
    /// `values` must point at enough writable slots.
    unsafe fn store_results(self, values: *mut u8);
}

impl WasmRet for () {
    const TYS: &'static [ValType] = &[];
    unsafe fn store_results(self, _values: *mut u8) {}
}

impl<T: WasmTy> WasmRet for T {
    const TYS: &'static [ValType] = &[T::TY];
    unsafe fn store_results(self, values: *mut u8) {
        // SAFETY: forwarded from the caller.
        unsafe { self.store(values) }
    }
}

/// A host function ready to be put in a `VMFuncRef`.
#[derive(Clone, Debug)]
pub struct HostFunc {
    /// Native entry (`extern "C" fn(vmctx, params...) -> result`).
    pub native: usize,
    /// Array-call adapter for `native`.
    pub array_call: usize,
    /// Its signature.
    pub ty: FuncType,
}

/// Native host function pointers that can become a [`HostFunc`].
pub trait IntoHostFunc {
    /// The host function record.
    fn host_func(self) -> HostFunc;
}

macro_rules! adapters {
    ($($adapter:ident ( $($A:ident $a:ident $i:literal),* );)*) => {$(
        /// Array-call adapter: loads the parameters from the slots, calls the
        /// native function, stores the result.
        ///
        /// # Safety
        /// `callee` must be a native host function of exactly this signature and
        /// `values` must hold enough slots for parameters and results.
        unsafe extern "C" fn $adapter<R: WasmRet, $($A: WasmTy),*>(
            callee: *const u8,
            vmctx: *mut u8,
            values: *mut u8,
        ) {
            // SAFETY: `callee` was produced from a function of this type by `host_func`.
            let f: extern "C-unwind" fn(*mut u8 $(, $A)*) -> R = unsafe { std::mem::transmute(callee) };
            $(
                // SAFETY: the caller provides one slot per parameter.
                let $a = unsafe { $A::load(values.add($i * SLOT)) };
            )*
            let r = f(vmctx $(, $a)*);
            // SAFETY: the caller provides slots for the results.
            unsafe { r.store_results(values) }
        }

        impl<R: WasmRet, $($A: WasmTy),*> IntoHostFunc for extern "C-unwind" fn(*mut u8 $(, $A)*) -> R {
            fn host_func(self) -> HostFunc {
                HostFunc {
                    native: self as usize,
                    array_call: $adapter::<R $(, $A)*> as *const () as usize,
                    ty: FuncType { params: vec![$($A::TY),*], results: R::TYS.to_vec() },
                }
            }
        }
    )*};
}

adapters! {
    adapter0();
    adapter1(A0 a0 0);
    adapter2(A0 a0 0, A1 a1 1);
    adapter3(A0 a0 0, A1 a1 1, A2 a2 2);
    adapter4(A0 a0 0, A1 a1 1, A2 a2 2, A3 a3 3);
    adapter5(A0 a0 0, A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4);
    adapter6(A0 a0 0, A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5);
    adapter7(A0 a0 0, A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6);
    adapter8(A0 a0 0, A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6, A7 a7 7);
    adapter9(A0 a0 0, A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6, A7 a7 7, A8 a8 8);
}

/// Runs a host function body for the instance owning `vmctx`.
///
/// An `Err` (a trap or `proc_exit`) or a panic unwinds to the innermost host
/// entry once everything the body owned has been dropped; a panic never
/// crosses the `extern "C"` boundary.
///
/// # Safety
/// `vmctx` must be a live context of this runtime (what compiled code passes).
pub unsafe fn enter<R>(vmctx: *mut u8, f: impl FnOnce(&Instance) -> Result<R, Unwind>) -> R {
    // SAFETY: forwarded from the caller.
    let instance = unsafe { super::instance_of(vmctx) };
    let unwind = match catch_unwind(AssertUnwindSafe(|| f(instance))) {
        Ok(Ok(value)) => return value,
        Ok(Err(unwind)) => unwind,
        Err(payload) => {
            drop(payload);
            eprintln!("tern: host function panicked");
            Unwind::trap(TrapCode::HostTrap)
        }
    };
    traps::raise(unwind)
}

/// Runs a host function body that needs no instance (e.g. `spectest`).
pub fn enter_free<R>(f: impl FnOnce() -> Result<R, Unwind>) -> R {
    let unwind = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => return value,
        Ok(Err(unwind)) => unwind,
        Err(payload) => {
            drop(payload);
            Unwind::trap(TrapCode::HostTrap)
        }
    };
    traps::raise(unwind)
}

/// Defines `extern "C"` host entry points that forward to safe Rust functions
/// `fn(&Instance, params...) -> Result<R, Unwind>`.
macro_rules! host_fns {
    ($( $(#[$doc:meta])* fn $name:ident($($a:ident : $t:ty),*) -> $r:ty => $imp:path; )*) => {$(
        $(#[$doc])*
        pub extern "C-unwind" fn $name(vmctx: *mut u8 $(, $a: $t)*) -> $r {
            // SAFETY: host functions are only reachable through `VMFuncRef`s whose
            // context is the live instance that imported them.
            unsafe { $crate::vmctx::host::enter(vmctx, |instance| $imp(instance $(, $a)*)) }
        }
    )*};
}
pub(crate) use host_fns;

#[cfg(test)]
mod tests {
    use super::*;

    extern "C-unwind" fn add(_vmctx: *mut u8, a: i32, b: i64, c: f64) -> i64 {
        a as i64 + b + c as i64
    }

    #[test]
    fn adapter_reads_slots_and_writes_result() {
        let f = (add as extern "C-unwind" fn(*mut u8, i32, i64, f64) -> i64).host_func();
        assert_eq!(f.ty.params, vec![ValType::I32, ValType::I64, ValType::F64]);
        assert_eq!(f.ty.results, vec![ValType::I64]);
        let mut slots = [0u8; 48];
        slots[0..4].copy_from_slice(&5i32.to_le_bytes());
        slots[16..24].copy_from_slice(&7i64.to_le_bytes());
        slots[32..40].copy_from_slice(&3.0f64.to_le_bytes());
        // SAFETY: the adapter and callee come from the same `host_func`, slots are large enough.
        unsafe {
            let tramp: unsafe extern "C" fn(*const u8, *mut u8, *mut u8) =
                std::mem::transmute(f.array_call);
            tramp(
                f.native as *const u8,
                std::ptr::null_mut(),
                slots.as_mut_ptr(),
            );
        }
        assert_eq!(i64::from_le_bytes(slots[0..8].try_into().unwrap()), 15);
    }
}
