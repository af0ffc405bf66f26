//! `tern_runtime_main`: the entry the bundle's `main` calls.
//!
//! Reads `argv` and the module descriptors, then runs everything on a
//! dedicated large stack (switched to on the calling thread), so Wasm gets
//! `DEFAULT_MAX_WASM_STACK` bytes and the host keeps ample headroom below it.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use tern_environ::descriptor::{CatchTrapsFn, VMModuleDescriptor};
use tern_environ::tunables::DEFAULT_MAX_WASM_STACK;

use crate::vmctx::{read_descriptor, DescriptorParts};

static STARTED_AT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// When `tern_runtime_main` started (CLOCK_MONOTONIC ns), for restore latency.
pub fn started_at() -> u64 {
    STARTED_AT.load(std::sync::atomic::Ordering::SeqCst)
}

/// Stack everything runs on: the Wasm part plus host headroom.
pub const WASM_STACK: usize = 64 << 20;

/// Runs a compiled program; returns the process exit status.
///
/// # Safety
/// `argv` must hold `argc` NUL-terminated strings, `modules` must hold `count`
/// descriptors emitted by the tern compiler, and `catch_traps` must be the
/// bundle's `tern_catch_traps`.
#[no_mangle]
pub unsafe extern "C" fn tern_runtime_main(
    argc: i32,
    argv: *const *const c_char,
    modules: *const *const VMModuleDescriptor,
    count: usize,
    catch_traps: CatchTrapsFn,
) -> i32 {
    // Before anything that takes time (reading the descriptors, mapping the
    // stack): from here on a checkpoint signal is recorded, never fatal.
    crate::checkpoint::request::install_handlers();
    STARTED_AT.store(
        crate::checkpoint::request::now_ns(),
        std::sync::atomic::Ordering::SeqCst,
    );
    let mut args = Vec::new();
    for i in 0..argc.max(0) as usize {
        // SAFETY: per the contract, argv holds argc valid C strings.
        let arg = unsafe { *argv.add(i) };
        if !arg.is_null() {
            // SAFETY: see above.
            args.push(
                unsafe { CStr::from_ptr(arg) }
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    let mut parts = Vec::new();
    for i in 0..count {
        // SAFETY: per the contract, `modules` holds `count` descriptors.
        match unsafe { read_descriptor(*modules.add(i)) } {
            Ok(p) => {
                crate::checkpoint::stackmaps::register(p.stackmaps as *const u8);
                parts.push(p)
            }
            Err(e) => {
                eprintln!("tern: module {i}: {e}");
                return 1;
            }
        }
    }
    crate::traps::set_catch_traps(catch_traps);
    let result = catch_unwind(AssertUnwindSafe(|| {
        crate::traps::run_on_new_stack(WASM_STACK, DEFAULT_MAX_WASM_STACK, move || {
            crate::traps::sys::ensure_sigaltstack();
            crate::traps::install_signal_handlers();
            main_on_wasm_stack(args, parts)
        })
    }));
    match result {
        Ok(Some(code)) => code,
        _ => {
            eprintln!("tern: internal error (runtime panicked or could not map its stack)");
            1
        }
    }
}

fn main_on_wasm_stack(args: Vec<String>, parts: Vec<DescriptorParts>) -> i32 {
    let program = args.first().cloned().unwrap_or_default();
    let opts = match crate::options::parse(args.get(1..).unwrap_or(&[])) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("tern: {e}\n{}", crate::options::USAGE);
            return 1;
        }
    };
    let mut modules = Vec::new();
    for (i, p) in parts.into_iter().enumerate() {
        let info = match tern_environ::ModuleInfo::from_bytes(&p.metadata) {
            Ok(info) => info,
            Err(e) => {
                eprintln!("tern: module {i}: malformed metadata: {e}");
                return 1;
            }
        };
        match crate::instance::Module::new(info, p.functions, p.trampolines) {
            Ok(m) => modules.push(m),
            Err(e) => {
                eprintln!("tern: module {i}: {e}");
                return 1;
            }
        }
    }
    match &opts.script {
        Some(path) => crate::script::run(path, modules),
        None => crate::run::run(opts, &modules, &program),
    }
}
