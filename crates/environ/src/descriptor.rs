//! What a compiled object exports to the runtime.
//!
//! For each module the compiler emits one [`VMModuleDescriptor`] under the
//! symbol `<prefix>module_descriptor`. An executable (or the test harness's
//! bundle of several modules) also gets a bundle object defining:
//!
//! * `tern_bundle_modules: [*const VMModuleDescriptor; N]` and
//!   `tern_bundle_module_count: usize`;
//! * `main(argc, argv)`, which calls the runtime's
//!   `tern_runtime_main(argc, argv, tern_bundle_modules, tern_bundle_module_count,
//!   tern_catch_traps) -> i32` ([`RuntimeMainFn`]) and returns its result. The
//!   runtime therefore has no undefined symbols of its own and links into
//!   tests and embedders as an ordinary library;
//! * `tern_catch_traps(tramp, callee, vmctx, values, slot) -> i32`, the single
//!   place where the host enters Wasm. It saves `*slot` (the previous jump
//!   buffer), points `*slot` at a fresh `setjmp` buffer on its own stack, calls
//!   `tramp(callee, vmctx, values)` and returns 0; when the runtime raises a
//!   trap it `longjmp`s to that buffer with a non-zero value, and
//!   `tern_catch_traps` returns that value. Either way `*slot` is restored.
//!   `setjmp` is called from generated LLVM IR (where `returns_twice` is
//!   honoured), never from Rust.

/// Symbol of the array of module descriptors in a bundle.
pub const BUNDLE_MODULES_SYMBOL: &str = "tern_bundle_modules";
/// Symbol of the number of module descriptors in a bundle.
pub const BUNDLE_MODULE_COUNT_SYMBOL: &str = "tern_bundle_module_count";
/// Symbol of the runtime's entry point called by the bundle's `main`.
pub const RUNTIME_MAIN_SYMBOL: &str = "tern_runtime_main";
/// Signature of `tern_catch_traps`:
/// `(tramp, callee, vmctx, values, slot: *mut *mut u8) -> i32`.
pub type CatchTrapsFn =
    unsafe extern "C" fn(ArrayCallTrampoline, *const u8, *mut u8, *mut u8, *mut *mut u8) -> i32;
/// Signature of `tern_runtime_main`:
/// `(argc, argv, modules, module_count, catch_traps) -> exit status`.
pub type RuntimeMainFn = unsafe extern "C" fn(
    i32,
    *const *const std::ffi::c_char,
    *const *const VMModuleDescriptor,
    usize,
    CatchTrapsFn,
) -> i32;
/// Symbol of the trap-catching entry function.
pub const CATCH_TRAPS_SYMBOL: &str = "tern_catch_traps";
/// The personality routine of compiled Wasm code and `tern_catch_traps`
/// (runtime `exceptions::personality`).
pub const EH_PERSONALITY_SYMBOL: &str = "tern_eh_personality";
/// Called by `tern_catch_traps` when a Wasm exception reaches the host.
pub const EXCEPTION_ESCAPED_SYMBOL: &str = "tern_exception_escaped";
/// Size reserved for a `jmp_buf` (glibc: 200 bytes on x86-64, 312 on AArch64).
pub const JMP_BUF_SIZE: u32 = 512;
/// Version of [`VMModuleDescriptor`]'s layout, of the metadata encoding, and
/// of what compiled `--cr` code and the runtime agree on beyond the
/// builtins' signatures: the restore layout (`migration::restore_offsets`),
/// the routing answers (`migration::route_answer`), the capture targets and
/// the entry statepoints' target (`migration::ENTER_AT_SYMBOL`, version 4).
pub const DESCRIPTOR_VERSION: u32 = 4;

/// The array-call trampoline of a signature:
/// `extern "C" fn(callee: *const (), vmctx: *mut VMContext, values: *mut ValRaw)`.
/// It reads the parameters from `values[0..params]`, calls `callee` with the
/// native convention, and writes the results to `values[0..results]`. Each
/// `ValRaw` slot is 16 bytes ([`crate::vmctx::VAL_RAW_SIZE`]), value at offset 0.
pub type ArrayCallTrampoline = unsafe extern "C" fn(*const u8, *mut u8, *mut u8);

/// Per-module record emitted by the compiler (`repr(C)`, all fields 8 bytes).
#[repr(C)]
#[derive(Debug)]
pub struct VMModuleDescriptor {
    /// Must equal [`DESCRIPTOR_VERSION`].
    pub version: u64,
    /// Serialized [`crate::ModuleInfo`].
    pub metadata: *const u8,
    /// Length of `metadata`.
    pub metadata_len: usize,
    /// Native entry of each defined function, by defined index.
    pub functions: *const *const u8,
    /// Number of entries in `functions`.
    pub num_functions: usize,
    /// Array-call trampoline of each type, by type index.
    pub array_trampolines: *const *const u8,
    /// Number of entries in `array_trampolines`.
    pub num_types: usize,
    /// The address of a word holding the address of the module's stackmap
    /// records ([`crate::migration::STACKMAP_SYMBOL`]), or null there when
    /// it has none (no `--cr`, or no capture survived optimization). Null
    /// itself in descriptors of version 1.
    pub stackmaps: *const *const u8,
}
