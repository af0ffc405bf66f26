//! Which WebAssembly features tern compiles, and how a validation failure is
//! told apart from the use of a proposal tern does not implement.
//!
//! tern validates against [`SUPPORTED`]. When a module fails that but
//! validates with every feature wasmparser knows, the module is fine and tern
//! is the one lacking: the error becomes [`CompileError::Unsupported`] naming
//! the proposal(s) it needs.

use crate::error::CompileError;
use wasmparser::{Validator, WasmFeatures};

/// The feature set tern compiles: WebAssembly 2.0 (MVP, mutable globals,
/// sign extension, saturating float-to-int, multi-value, bulk memory,
/// reference types, SIMD), plus the Wasm 3.0 proposals listed below:
/// exception handling (the final exnref form and the legacy
/// `try`/`catch`/`delegate`/`rethrow` form), function references, tail calls, memory64, multi-memory, extended
/// constant expressions and threads (atomics, shared memories).
///
/// `GC` is on for validation only: Wasm 3.0 moved rec groups, type
/// canonicalisation and `global.get` of defined globals in constant
/// expressions into it. What really needs a collector (struct/array/i31
/// types, `any`/`eq`/`none` references, subtyping, casts) is refused
/// afterwards as "unsupported feature: gc" (`parse::gc`).
pub const SUPPORTED: WasmFeatures = WasmFeatures::WASM2
    .union(WasmFeatures::GC)
    .union(WasmFeatures::FUNCTION_REFERENCES)
    .union(WasmFeatures::TAIL_CALL)
    .union(WasmFeatures::MEMORY64)
    .union(WasmFeatures::MULTI_MEMORY)
    .union(WasmFeatures::EXTENDED_CONST)
    .union(WasmFeatures::THREADS)
    .union(WasmFeatures::EXCEPTIONS)
    .union(WasmFeatures::LEGACY_EXCEPTIONS);

/// Proposals beyond [`SUPPORTED`], with the names used in error messages.
const PROPOSALS: &[(WasmFeatures, &str)] = &[
    (WasmFeatures::EXCEPTIONS, "exceptions"),
    (WasmFeatures::GC, "gc"),
    (WasmFeatures::FUNCTION_REFERENCES, "function-references"),
    (WasmFeatures::MEMORY64, "memory64"),
    (WasmFeatures::THREADS, "threads"),
    (
        WasmFeatures::SHARED_EVERYTHING_THREADS,
        "shared-everything-threads",
    ),
    (WasmFeatures::TAIL_CALL, "tail-call"),
    (WasmFeatures::MULTI_MEMORY, "multi-memory"),
    (WasmFeatures::EXTENDED_CONST, "extended-const"),
    (WasmFeatures::RELAXED_SIMD, "relaxed-simd"),
    (WasmFeatures::CUSTOM_PAGE_SIZES, "custom-page-sizes"),
    (WasmFeatures::WIDE_ARITHMETIC, "wide-arithmetic"),
    (WasmFeatures::STACK_SWITCHING, "stack-switching"),
    (WasmFeatures::MEMORY_CONTROL, "memory-control"),
];

fn validates(wasm: &[u8], features: WasmFeatures) -> bool {
    Validator::new_with_features(features)
        .validate_all(wasm)
        .is_ok()
}

/// Turns a failure to parse or validate `wasm` with `enabled` (a subset of
/// [`SUPPORTED`]) into the right error: `Unsupported` when the module is
/// valid with more features, otherwise `fallback` (the original,
/// offset-carrying error). Errors other than `Malformed`/`Invalid` pass
/// through unchanged. A feature tern supports but `enabled` leaves out is
/// named "... (not enabled)".
pub fn classify_failure(
    wasm: &[u8],
    fallback: CompileError,
    enabled: WasmFeatures,
) -> CompileError {
    let is_rejection = matches!(
        fallback,
        CompileError::Malformed { .. } | CompileError::Invalid { .. }
    );
    if !is_rejection || validates(wasm, enabled) || !validates(wasm, WasmFeatures::all()) {
        return fallback;
    }
    // A single proposal that suffices names the feature best.
    for (feature, name) in PROPOSALS {
        if validates(wasm, enabled | *feature) {
            let disabled = SUPPORTED.contains(*feature) && !enabled.contains(*feature);
            let suffix = if disabled { " (not enabled)" } else { "" };
            return CompileError::Unsupported {
                feature: format!("{name}{suffix}"),
            };
        }
    }
    // Otherwise name every proposal the module cannot do without.
    let needed: Vec<&str> = PROPOSALS
        .iter()
        .filter(|(feature, _)| !validates(wasm, WasmFeatures::all().difference(*feature)))
        .map(|(_, name)| *name)
        .collect();
    let feature = if needed.is_empty() {
        format!("a proposal beyond WebAssembly 2.0 ({fallback})")
    } else {
        needed.join(" + ")
    };
    CompileError::Unsupported { feature }
}
