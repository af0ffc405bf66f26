//! The runner's only door into `tern_compiler`: compile a module, check that a
//! module is rejected, emit the bundle object, link.
//!
//! Every call is wrapped in `catch_unwind`: a panic in the compiler is a test
//! failure (with the panic message), never the end of the run.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;
use tern_compiler::{CompileOptions, Target};

thread_local! {
    /// Whether the current thread is inside [`guarded`], and the last panic seen there.
    static GUARD: RefCell<(bool, Option<String>)> = const { RefCell::new((false, None)) };
}

/// Installs (once) a panic hook that records panics raised inside [`guarded`]
/// instead of printing them; other panics are printed as usual.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let guarded = GUARD.with(|g| g.borrow().0);
            if guarded {
                let location = info
                    .location()
                    .map(|l| format!(" at {l}"))
                    .unwrap_or_default();
                let payload = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(non-string payload)".to_string());
                GUARD.with(|g| g.borrow_mut().1 = Some(format!("{payload}{location}")));
            } else {
                default(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into `Err("PANIC: ...")`.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    GUARD.with(|g| *g.borrow_mut() = (true, None));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    let message = GUARD.with(|g| {
        let mut g = g.borrow_mut();
        g.0 = false;
        g.1.take()
    });
    match result {
        Ok(r) => r,
        Err(_) => Err(format!(
            "PANIC in tern_compiler: {}",
            message.unwrap_or_else(|| "(no message)".to_string())
        )),
    }
}

/// Code generation settings of a run.
#[derive(Clone, Copy, Debug)]
pub struct Codegen {
    /// The target.
    pub target: Target,
    /// LLVM optimization level (0..=3).
    pub opt_level: u8,
    /// Compile with checkpoint/restore instrumentation (`--cr`).
    pub checkpoint: bool,
    /// The WebAssembly features modules are validated with (the suite's).
    pub features: tern_compiler::WasmFeatures,
}

/// The symbol prefix of plan module `k`.
pub fn prefix(k: usize) -> String {
    format!("tern_m{k}_")
}

/// Compiles a binary module into an object file at `out`.
///
/// # Errors
/// The compiler's error, or the panic message.
pub fn compile(
    wasm: &[u8],
    symbol_prefix: &str,
    codegen: Codegen,
    out: &Path,
) -> Result<(), String> {
    let options = CompileOptions {
        target: codegen.target,
        opt_level: codegen.opt_level,
        symbol_prefix: symbol_prefix.to_string(),
        checkpoint: codegen.checkpoint,
        wasm_features: codegen.features,
    };
    let compiled =
        guarded(|| tern_compiler::compile_module(wasm, &options).map_err(|e| e.to_string()))?;
    std::fs::write(out, &compiled.object)
        .map_err(|e| format!("cannot write {}: {e}", out.display()))
}

/// Checks that tern rejects `source` (text or binary) in `wasm_bytes` or
/// `compile_module`.
///
/// # Errors
/// Why this is a failure: the module was accepted, or the compiler panicked.
pub fn check_rejected(source: &[u8], codegen: Codegen) -> Result<(), String> {
    let wasm = match guarded(|| Ok(tern_compiler::wasm_bytes(source).map_err(|e| e.to_string())))? {
        Ok(wasm) => wasm,
        Err(_) => return Ok(()),
    };
    let options = CompileOptions {
        target: codegen.target,
        opt_level: codegen.opt_level,
        symbol_prefix: prefix(0),
        checkpoint: codegen.checkpoint,
        wasm_features: codegen.features,
    };
    match guarded(|| Ok(tern_compiler::compile_module(&wasm, &options).map_err(|e| e.to_string())))?
    {
        Ok(_) => Err("tern accepted the module".to_string()),
        Err(_) => Ok(()),
    }
}

/// Writes the bundle object for `prefixes` (module K of the bundle is
/// `prefixes[K]`) to `out`.
///
/// # Errors
/// The compiler's error, or the panic message.
pub fn bundle(prefixes: &[String], target: Target, out: &Path) -> Result<(), String> {
    let object =
        guarded(|| tern_compiler::emit_bundle(prefixes, target).map_err(|e| e.to_string()))?;
    std::fs::write(out, &object).map_err(|e| format!("cannot write {}: {e}", out.display()))
}

/// Links `objects` with the runtime into the executable `out`.
///
/// # Errors
/// The linker's error, or the panic message.
pub fn link(objects: &[PathBuf], target: Target, out: &Path) -> Result<(), String> {
    guarded(|| {
        tern_compiler::link::link_executable(objects, target, out).map_err(|e| e.to_string())
    })
}
