//! Matching of expected error texts (`assert_trap`, `assert_exhaustion`,
//! `assert_unlinkable`) against what the runtime printed.
//!
//! Like Wasmtime's wast runner: the expected text must be contained in the
//! actual message, or map to it through the small alias table below. The
//! runtime prints `tern_environ::TrapCode::message()` for traps.

/// Accepted substitutes: `(expected text, also accepted actual text)`.
///
/// * `undefined element` / `uninitialized element`: the spec interpreter
///   distinguishes an index past the end of the table from a null entry;
///   engines commonly report one for the other (Wasmtime reports both as
///   `uninitialized element`), and the difference is not what these tests
///   are about.
/// * `out of bounds memory access` is the spec wording for every memory
///   bounds trap; an engine that says `out of bounds` plus `memory` in
///   another order (e.g. `memory access out of bounds`) is accepted.
/// * `call stack exhausted` (spec) / `stack overflow` (a common engine wording).
/// * link errors: `incompatible import type` is also accepted as
///   `import type mismatch`, and `unknown import` as `unknown module`/
///   `undefined import` (what a runtime naturally says for a missing module
///   or field).
const ALIASES: &[(&str, &str)] = &[
    ("undefined element", "uninitialized element"),
    ("uninitialized element", "undefined element"),
    ("out of bounds memory access", "memory access out of bounds"),
    ("out of bounds memory access", "out of bounds memory"),
    ("call stack exhausted", "stack overflow"),
    ("incompatible import type", "import type mismatch"),
    ("unknown import", "unknown module"),
    ("unknown import", "undefined import"),
];

/// Whether the runtime's message `actual` satisfies the expected text.
pub fn matches(expected: &str, actual: &str) -> bool {
    let expected = normalize(expected);
    if actual.contains(expected) {
        return true;
    }
    ALIASES
        .iter()
        .any(|(e, a)| expected.starts_with(e) && actual.contains(a))
}

/// Drops the spec interpreter's decorations: a trailing element index as in
/// `uninitialized element 2`.
fn normalize(expected: &str) -> &str {
    let trimmed = expected.trim();
    match trimmed.rsplit_once(' ') {
        Some((head, tail)) if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => trimmed,
    }
}
