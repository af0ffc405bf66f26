//! Value and entity types of WebAssembly, in the form tern stores them.

use serde::{Deserialize, Serialize};

/// A WebAssembly value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
    /// 128-bit vector.
    V128,
    /// A reference.
    Ref(RefType),
}

impl ValType {
    /// `funcref`, i.e. `(ref null func)`.
    pub const FUNCREF: ValType = ValType::Ref(RefType::FUNCREF);
    /// `externref`, i.e. `(ref null extern)`.
    pub const EXTERNREF: ValType = ValType::Ref(RefType::EXTERNREF);

    /// Size in bytes of the value's storage in a [`crate::vmctx::VMGlobal`] or a
    /// `ValRaw` slot (references are pointer-sized).
    pub fn byte_size(self) -> u32 {
        match self {
            ValType::I32 | ValType::F32 => 4,
            ValType::I64 | ValType::F64 | ValType::Ref(_) => 8,
            ValType::V128 => 16,
        }
    }
}

/// A reference type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RefType {
    /// Whether `null` is a value of this type.
    pub nullable: bool,
    /// What the reference points to.
    pub heap: HeapType,
}

impl RefType {
    /// `funcref`.
    pub const FUNCREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Func,
    };
    /// `externref`.
    pub const EXTERNREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Extern,
    };
    /// `exnref`.
    pub const EXNREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Exn,
    };

    /// Whether values of this type are function references (`VMFuncRef` pointers).
    pub fn is_func(self) -> bool {
        matches!(
            self.heap,
            HeapType::Func | HeapType::NoFunc | HeapType::Concrete(_)
        )
    }
}

/// The heap type of a reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HeapType {
    /// Any function.
    Func,
    /// Host (external) references.
    Extern,
    /// Exception references.
    Exn,
    /// The bottom function type (only `null`).
    NoFunc,
    /// The bottom extern type (only `null`).
    NoExtern,
    /// The bottom exception type (only `null`).
    NoExn,
    /// A function of the given type index.
    Concrete(u32),
}

/// A function signature.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FuncType {
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
}

/// Limits and flags of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableType {
    /// Element type.
    pub element: RefType,
    /// Initial size in elements.
    pub minimum: u64,
    /// Maximum size in elements, if any.
    pub maximum: Option<u64>,
    /// Whether indices are 64-bit (memory64/table64 proposal).
    pub table64: bool,
}

/// Limits and flags of a linear memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryType {
    /// Initial size in pages.
    pub minimum: u64,
    /// Maximum size in pages, if any.
    pub maximum: Option<u64>,
    /// Whether addresses are 64-bit.
    pub memory64: bool,
    /// Whether the memory is shared between threads.
    pub shared: bool,
    /// log2 of the page size (16 for the standard 64 KiB pages).
    pub page_size_log2: u8,
}

impl MemoryType {
    /// Page size in bytes.
    pub fn page_size(&self) -> u64 {
        1u64 << self.page_size_log2
    }
}

/// Type and mutability of a global.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlobalType {
    /// The value type.
    pub content: ValType,
    /// Whether `global.set` is allowed.
    pub mutable: bool,
}
