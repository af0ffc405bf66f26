//! Unit tests of `messages.rs`.

use crate::runner::messages::*;

#[test]
fn contains_and_aliases() {
    assert!(matches("unreachable", "unreachable"));
    assert!(matches("integer overflow", "integer overflow"));
    assert!(!matches("integer overflow", "integer divide by zero"));
    assert!(matches("undefined element", "uninitialized element"));
    assert!(matches("uninitialized element", "undefined element"));
    assert!(matches("uninitialized element 2", "uninitialized element"));
    assert!(matches(
        "out of bounds memory access",
        "memory access out of bounds"
    ));
    assert!(!matches(
        "out of bounds memory access",
        "out of bounds table access"
    ));
    assert!(matches("call stack exhausted", "call stack exhausted"));
    assert!(matches(
        "unknown import",
        "unknown import: `spectest::foo` has not been defined"
    ));
    assert!(!matches("unknown import", "incompatible import type"));
}
