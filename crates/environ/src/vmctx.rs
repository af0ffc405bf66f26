//! The one `VMContext` layout.
//!
//! Every compiled function receives a pointer to its instance's `VMContext` as
//! its first argument and reaches all instance state through it. The compiler
//! computes field offsets with [`VmOffsets`]; the runtime allocates and fills a
//! context with the same offsets. Both supported targets (x86-64, AArch64) are
//! little-endian with 8-byte pointers, so one layout serves both: a snapshot or
//! an object never depends on which ISA computed an offset.
//!
//! ```text
//! offset                    field
//! 0                         runtime       *mut Instance (opaque to compiled code)
//! 8                         stack_limit   usize: trap when sp < stack_limit
//! 16                        interrupt     u64: non-zero asks compiled code to call `poll`
//! 24                        leaf_stack_limit usize: the same, for leaves of a `--cr` module
//! memories_begin()          [VMMemoryImport; memories]      16 bytes each
//! globals_begin()           [*mut VMGlobal; globals]
//! tables_begin()            [*mut VMTableDefinition; tables]
//! funcrefs_begin()          [*const VMFuncRef; functions]   every function, imports first
//! type_ids_begin()          [u32; types] canonical signature ids, padded to 8
//! tags_begin()              [*const u8; tags] tag identities
//! size()
//! ```

use crate::ModuleInfo;

/// Size of a pointer on every supported target.
pub const POINTER_SIZE: u32 = 8;

/// Offsets of the fields of a module's `VMContext`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmOffsets {
    /// Number of memories (imported and defined).
    pub num_memories: u32,
    /// Number of globals.
    pub num_globals: u32,
    /// Number of tables.
    pub num_tables: u32,
    /// Number of functions.
    pub num_functions: u32,
    /// Number of types.
    pub num_types: u32,
    /// Number of tags.
    pub num_tags: u32,
}

/// Byte offset of `VMContext::runtime`.
pub const VMCTX_RUNTIME: u32 = 0;
/// Byte offset of `VMContext::stack_limit`.
pub const VMCTX_STACK_LIMIT: u32 = 8;
/// Byte offset of `VMContext::interrupt`.
pub const VMCTX_INTERRUPT: u32 = 16;
/// Byte offset of `VMContext::leaf_stack_limit`: the stack limit a `--cr`
/// module's leaf functions (those with no migration point) compare with.
/// The runtime keeps it at the real limit while it raises `stack_limit` to
/// request a checkpoint (a leaf leaves that to its caller's next point), so
/// a leaf's entry check is the plain build's and never calls the runtime (a
/// restore never enters a leaf either: it re-enters the functions the
/// snapshot's frames name, each at one of its points).
pub const VMCTX_LEAF_STACK_LIMIT: u32 = 24;
/// Size of the fixed header before the per-module arrays.
pub const VMCTX_HEADER_SIZE: u32 = 32;

/// Size of one `VMMemoryImport` entry: `{ base: *mut u8, definition: *mut VMMemoryDefinition }`.
/// `base` is copied into the context because memories never move.
pub const VM_MEMORY_IMPORT_SIZE: u32 = 16;
/// Offset of `base` in a `VMMemoryImport`.
pub const VM_MEMORY_IMPORT_BASE: u32 = 0;
/// Offset of `definition` in a `VMMemoryImport`.
pub const VM_MEMORY_IMPORT_DEFINITION: u32 = 8;

/// Offset of `base: *mut u8` in a `VMMemoryDefinition`.
pub const VM_MEMORY_DEFINITION_BASE: u32 = 0;
/// Offset of `length: u64` (bytes currently accessible) in a `VMMemoryDefinition`.
pub const VM_MEMORY_DEFINITION_LENGTH: u32 = 8;

/// Offset of `base: *mut usize` (the elements) in a `VMTableDefinition`.
/// Elements are pointer-sized: a `*const VMFuncRef` (null = 0) for function
/// tables, an opaque non-zero handle (null = 0) for `externref`.
pub const VM_TABLE_DEFINITION_BASE: u32 = 0;
/// Offset of `length: u64` (elements) in a `VMTableDefinition`.
pub const VM_TABLE_DEFINITION_LENGTH: u32 = 8;

/// Size of a `VMGlobal`'s storage; values sit at offset 0, little-endian.
pub const VM_GLOBAL_SIZE: u32 = 16;

/// Offset of `native: *const fn` in a `VMFuncRef`: the function with the native
/// calling convention `fn(vmctx, params...) -> results`.
pub const VM_FUNCREF_NATIVE: u32 = 0;
/// Offset of `array_call: *const fn` in a `VMFuncRef`: the array-call trampoline,
/// see [`crate::descriptor::ArrayCallTrampoline`].
pub const VM_FUNCREF_ARRAY_CALL: u32 = 8;
/// Offset of `vmctx: *mut VMContext` in a `VMFuncRef`: the callee's context.
pub const VM_FUNCREF_VMCTX: u32 = 16;
/// Offset of `type_id: u64` in a `VMFuncRef`: the canonical signature id.
pub const VM_FUNCREF_TYPE_ID: u32 = 24;
/// Size of a `VMFuncRef`.
pub const VM_FUNCREF_SIZE: u32 = 32;

/// Size of a `ValRaw` slot used by array calls: 16 bytes, value little-endian at offset 0.
pub const VAL_RAW_SIZE: u32 = 16;

impl VmOffsets {
    /// Offsets for the given module.
    pub fn new(module: &ModuleInfo) -> VmOffsets {
        VmOffsets {
            num_memories: module.memories.len() as u32,
            num_globals: module.globals.len() as u32,
            num_tables: module.tables.len() as u32,
            num_functions: module.functions.len() as u32,
            num_types: module.types.len() as u32,
            num_tags: module.tags.len() as u32,
        }
    }

    /// Start of the memory array.
    pub fn memories_begin(&self) -> u32 {
        VMCTX_HEADER_SIZE
    }
    /// Offset of memory `index`'s `VMMemoryImport`.
    pub fn memory(&self, index: u32) -> u32 {
        self.memories_begin() + index * VM_MEMORY_IMPORT_SIZE
    }
    /// Offset of memory `index`'s base pointer.
    pub fn memory_base(&self, index: u32) -> u32 {
        self.memory(index) + VM_MEMORY_IMPORT_BASE
    }
    /// Offset of memory `index`'s definition pointer.
    pub fn memory_definition(&self, index: u32) -> u32 {
        self.memory(index) + VM_MEMORY_IMPORT_DEFINITION
    }
    /// Start of the global pointer array.
    pub fn globals_begin(&self) -> u32 {
        self.memories_begin() + self.num_memories * VM_MEMORY_IMPORT_SIZE
    }
    /// Offset of the pointer to global `index`'s storage.
    pub fn global(&self, index: u32) -> u32 {
        self.globals_begin() + index * POINTER_SIZE
    }
    /// Start of the table pointer array.
    pub fn tables_begin(&self) -> u32 {
        self.globals_begin() + self.num_globals * POINTER_SIZE
    }
    /// Offset of the pointer to table `index`'s `VMTableDefinition`.
    pub fn table(&self, index: u32) -> u32 {
        self.tables_begin() + index * POINTER_SIZE
    }
    /// Start of the function reference array.
    pub fn funcrefs_begin(&self) -> u32 {
        self.tables_begin() + self.num_tables * POINTER_SIZE
    }
    /// Offset of the pointer to function `index`'s `VMFuncRef`.
    pub fn funcref(&self, index: u32) -> u32 {
        self.funcrefs_begin() + index * POINTER_SIZE
    }
    /// Start of the canonical type id array.
    pub fn type_ids_begin(&self) -> u32 {
        self.funcrefs_begin() + self.num_functions * POINTER_SIZE
    }
    /// Offset of type `index`'s canonical id (`u32`).
    pub fn type_id(&self, index: u32) -> u32 {
        self.type_ids_begin() + index * 4
    }
    /// Start of the tag array.
    pub fn tags_begin(&self) -> u32 {
        (self.type_ids_begin() + self.num_types * 4).next_multiple_of(8)
    }
    /// Offset of tag `index`'s identity pointer.
    pub fn tag(&self, index: u32) -> u32 {
        self.tags_begin() + index * POINTER_SIZE
    }
    /// Total size of the context in bytes.
    pub fn size(&self) -> u32 {
        self.tags_begin() + self.num_tags * POINTER_SIZE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_follow_each_other_without_overlap() {
        let offsets = VmOffsets {
            num_memories: 2,
            num_globals: 3,
            num_tables: 1,
            num_functions: 5,
            num_types: 3,
            num_tags: 1,
        };
        assert_eq!(offsets.memory(1), 48);
        assert_eq!(offsets.globals_begin(), 64);
        assert_eq!(offsets.tables_begin(), 88);
        assert_eq!(offsets.funcrefs_begin(), 96);
        assert_eq!(offsets.type_ids_begin(), 136);
        assert_eq!(offsets.tags_begin(), 152, "3 u32 ids padded to 8");
        assert_eq!(offsets.size(), 160);
    }
}
