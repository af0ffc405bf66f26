//! Trap codes: why a WebAssembly program stopped abnormally.
//!
//! Generated code passes the numeric code to the `trap` builtin; the runtime
//! prints [`TrapCode::message`], which uses the specification's wording.

use serde::{Deserialize, Serialize};

/// The reason for a trap. The discriminants are part of the ABI between
/// compiled code and the runtime: never renumber them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u32)]
pub enum TrapCode {
    /// `unreachable` was executed.
    Unreachable = 1,
    /// A load, store or bulk memory operation was out of bounds.
    MemoryOutOfBounds = 2,
    /// A table access or bulk table operation was out of bounds.
    TableOutOfBounds = 3,
    /// `call_indirect` with an index past the end of the table.
    UndefinedElement = 4,
    /// `call_indirect` reached a null table entry.
    UninitializedElement = 5,
    /// `call_indirect` signature mismatch.
    IndirectCallTypeMismatch = 6,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero = 7,
    /// Integer overflow (`INT_MIN / -1`, out-of-range truncation).
    IntegerOverflow = 8,
    /// Float-to-int conversion of NaN.
    InvalidConversionToInteger = 9,
    /// The call stack is exhausted (too deep recursion).
    StackOverflow = 10,
    /// A null reference was dereferenced (`call_ref`, `ref.as_non_null`, `throw_ref`).
    NullReference = 11,
    /// An exception escaped to the host.
    UncaughtException = 12,
    /// Unaligned atomic access.
    UnalignedAtomic = 13,
    /// A host function asked to trap (for example an unknown import stub).
    HostTrap = 14,
    /// `call_ref` or `return_call_ref` of a null function reference.
    NullFunctionReference = 15,
    /// `memory.atomic.wait32/64` on a memory that is not shared.
    ExpectedSharedMemory = 16,
    /// `memory.atomic.wait32/64` without a timeout in a program that has no
    /// other thread to notify it: it would block forever.
    WaitDeadlock = 17,
    /// `throw_ref` of a null exception reference.
    NullExceptionReference = 18,
}

impl TrapCode {
    /// Every trap code, in numeric order.
    pub const ALL: [TrapCode; 18] = [
        TrapCode::Unreachable,
        TrapCode::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds,
        TrapCode::UndefinedElement,
        TrapCode::UninitializedElement,
        TrapCode::IndirectCallTypeMismatch,
        TrapCode::IntegerDivisionByZero,
        TrapCode::IntegerOverflow,
        TrapCode::InvalidConversionToInteger,
        TrapCode::StackOverflow,
        TrapCode::NullReference,
        TrapCode::UncaughtException,
        TrapCode::UnalignedAtomic,
        TrapCode::HostTrap,
        TrapCode::NullFunctionReference,
        TrapCode::ExpectedSharedMemory,
        TrapCode::WaitDeadlock,
        TrapCode::NullExceptionReference,
    ];

    /// The message printed after `wasm trap: `; the specification's wording.
    pub fn message(self) -> &'static str {
        match self {
            TrapCode::Unreachable => "unreachable",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::TableOutOfBounds => "out of bounds table access",
            TrapCode::UndefinedElement => "undefined element",
            TrapCode::UninitializedElement => "uninitialized element",
            TrapCode::IndirectCallTypeMismatch => "indirect call type mismatch",
            TrapCode::IntegerDivisionByZero => "integer divide by zero",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::InvalidConversionToInteger => "invalid conversion to integer",
            TrapCode::StackOverflow => "call stack exhausted",
            TrapCode::NullReference => "null reference",
            TrapCode::UncaughtException => "uncaught exception",
            TrapCode::UnalignedAtomic => "unaligned atomic",
            TrapCode::HostTrap => "host function trapped",
            TrapCode::NullFunctionReference => "null function reference",
            TrapCode::ExpectedSharedMemory => "expected shared memory",
            TrapCode::WaitDeadlock => {
                "deadlock: wait with no timeout and no other thread to notify"
            }
            TrapCode::NullExceptionReference => "null exception reference",
        }
    }

    /// The code with the given discriminant, if any.
    pub fn from_u32(code: u32) -> Option<TrapCode> {
        TrapCode::ALL.iter().copied().find(|c| *c as u32 == code)
    }
}

impl std::fmt::Display for TrapCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}
