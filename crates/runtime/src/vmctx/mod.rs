//! `repr(C)` views of the layouts defined in `tern_environ::vmctx`, and the
//! owned allocation of a module's `VMContext`.
//!
//! This module (with `memory`, `traps` and `libcalls`) is one of the few places
//! allowed to use `unsafe`: it writes the raw context that compiled code reads,
//! and turns the context pointer compiled code hands to the host back into a
//! reference to the runtime [`Instance`](crate::instance::Instance). It must not
//! contain instantiation logic: that lives in `instance`.

pub mod host;

use std::cell::Cell;
use std::ptr;

use tern_environ::vmctx::{VMCTX_LEAF_STACK_LIMIT, VMCTX_RUNTIME, VMCTX_STACK_LIMIT};
use tern_environ::VmOffsets;

use crate::instance::Instance;

/// A linear memory's definition, read by compiled code for bounds and base.
#[repr(C)]
#[derive(Debug)]
pub struct VMMemoryDefinition {
    /// Start of the memory (never moves).
    pub base: Cell<*mut u8>,
    /// Bytes currently accessible.
    pub length: Cell<u64>,
}

/// A table's definition: pointer-sized elements.
#[repr(C)]
#[derive(Debug)]
pub struct VMTableDefinition {
    /// Start of the elements (may move when the table grows).
    pub base: Cell<*mut usize>,
    /// Number of elements.
    pub length: Cell<u64>,
}

/// Storage of one global: 16 bytes, value little-endian at offset 0.
#[repr(C, align(16))]
#[derive(Debug, Default)]
pub struct VMGlobal {
    /// The raw bytes.
    pub bytes: Cell<[u8; 16]>,
}

impl VMGlobal {
    /// The raw value as a little-endian 128-bit integer.
    pub fn get(&self) -> u128 {
        u128::from_le_bytes(self.bytes.get())
    }

    /// Stores a raw value.
    pub fn set(&self, value: u128) {
        self.bytes.set(value.to_le_bytes());
    }
}

/// A function reference: what `ref.func`, tables and imports point to.
#[repr(C)]
#[derive(Debug)]
pub struct VMFuncRef {
    /// Entry with the native calling convention.
    pub native: *const u8,
    /// Array-call trampoline for the function's signature.
    pub array_call: *const u8,
    /// The callee's context.
    pub vmctx: *mut u8,
    /// Canonical signature id.
    pub type_id: u64,
}

/// A handle to a live `VMFuncRef`.
///
/// Function references are owned by instances (or the store's host
/// functions), which are never freed while the store lives, so a handle stays
/// valid for the rest of the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuncHandle(*const VMFuncRef);

impl FuncHandle {
    /// A handle to a function reference owned by the runtime.
    pub fn from_ref(funcref: &VMFuncRef) -> FuncHandle {
        FuncHandle(funcref)
    }

    /// A handle from a raw non-null function reference value (table element,
    /// `ref.func` result).
    ///
    /// # Safety
    /// `addr` must be the address of a `VMFuncRef` created by this runtime.
    pub unsafe fn from_addr(addr: usize) -> FuncHandle {
        FuncHandle(addr as *const VMFuncRef)
    }

    /// The function reference.
    pub fn get(&self) -> &'static VMFuncRef {
        // SAFETY: handles only point at runtime-owned funcrefs that are never freed
        // while the store lives (see the type's documentation).
        unsafe { &*self.0 }
    }

    /// The raw pointer stored in contexts and tables.
    pub fn as_ptr(&self) -> *const VMFuncRef {
        self.0
    }

    /// The address as a table element / `funcref` value.
    pub fn addr(&self) -> usize {
        self.0 as usize
    }
}

/// Code and metadata read from a compiled module's `VMModuleDescriptor`.
#[derive(Debug)]
pub struct DescriptorParts {
    /// Serialized `ModuleInfo`.
    pub metadata: Vec<u8>,
    /// Native entry of each defined function.
    pub functions: Vec<usize>,
    /// Array-call trampoline of each type.
    pub trampolines: Vec<usize>,
    /// The module's stackmap records (`VMModuleDescriptor::stackmaps`; 0
    /// when it has none).
    pub stackmaps: usize,
}

/// Reads a module descriptor emitted by the compiler.
///
/// # Errors
/// If the pointer is null or the version does not match.
///
/// # Safety
/// `descriptor` must be null or point to a `VMModuleDescriptor` whose arrays
/// have the lengths it states.
pub unsafe fn read_descriptor(
    descriptor: *const tern_environ::descriptor::VMModuleDescriptor,
) -> Result<DescriptorParts, String> {
    use tern_environ::descriptor::DESCRIPTOR_VERSION;
    if descriptor.is_null() {
        return Err("null module descriptor".into());
    }
    // SAFETY: non-null and, per the contract, a valid descriptor.
    let d = unsafe { &*descriptor };
    if d.version != DESCRIPTOR_VERSION as u64 {
        return Err(format!(
            "module descriptor version {} does not match runtime version {DESCRIPTOR_VERSION}",
            d.version
        ));
    }
    let slice = |p: *const *const u8, n: usize| -> Vec<usize> {
        if n == 0 || p.is_null() {
            return Vec::new();
        }
        // SAFETY: the descriptor states `n` entries at `p`.
        unsafe { std::slice::from_raw_parts(p, n) }
            .iter()
            .map(|f| *f as usize)
            .collect()
    };
    let metadata = if d.metadata_len == 0 || d.metadata.is_null() {
        Vec::new()
    } else {
        // SAFETY: the descriptor states `metadata_len` bytes at `metadata`.
        unsafe { std::slice::from_raw_parts(d.metadata, d.metadata_len) }.to_vec()
    };
    Ok(DescriptorParts {
        metadata,
        functions: slice(d.functions, d.num_functions),
        trampolines: slice(d.array_trampolines, d.num_types),
        stackmaps: if d.stackmaps.is_null() {
            0
        } else {
            // SAFETY: a non-null `stackmaps` points at the module's word.
            unsafe { *d.stackmaps as usize }
        },
    })
}

/// The owned, zero-initialized storage of one `VMContext`.
///
/// Every setter checks its index against the module's [`VmOffsets`], so a
/// context can only be written inside its own allocation.
#[derive(Debug)]
pub struct VmCtx {
    ptr: *mut u64,
    words: usize,
    offsets: VmOffsets,
}

impl VmCtx {
    /// Allocates a zeroed context with the given layout.
    pub fn new(offsets: VmOffsets) -> VmCtx {
        let words = (offsets.size() as usize).div_ceil(8).max(4);
        let storage: Box<[u64]> = vec![0u64; words].into_boxed_slice();
        let ptr = Box::into_raw(storage) as *mut u64;
        VmCtx {
            ptr,
            words,
            offsets,
        }
    }

    /// The context pointer handed to compiled code.
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr as *mut u8
    }

    /// The layout.
    pub fn offsets(&self) -> &VmOffsets {
        &self.offsets
    }

    fn write_usize(&self, offset: u32, value: usize) {
        let offset = offset as usize;
        assert!(
            offset.is_multiple_of(8) && offset + 8 <= self.words * 8,
            "vmctx offset in range"
        );
        // SAFETY: the offset is 8-aligned and inside the allocation (checked above),
        // which lives as long as `self`.
        unsafe { ptr::write_volatile(self.as_ptr().add(offset) as *mut usize, value) }
    }

    fn write_u32(&self, offset: u32, value: u32) {
        let offset = offset as usize;
        assert!(
            offset.is_multiple_of(4) && offset + 4 <= self.words * 8,
            "vmctx offset in range"
        );
        // SAFETY: the offset is 4-aligned and inside the allocation (checked above).
        unsafe { ptr::write_volatile(self.as_ptr().add(offset) as *mut u32, value) }
    }

    /// Sets the back pointer to the runtime instance.
    pub fn set_runtime(&self, instance: *const Instance) {
        self.write_usize(VMCTX_RUNTIME, instance as usize);
    }

    /// Sets the stack limit compiled code compares the stack pointer with
    /// (both copies: `stack_limit` and `leaf_stack_limit`).
    pub fn set_stack_limit(&self, limit: usize) {
        self.write_usize(VMCTX_STACK_LIMIT, limit);
        self.write_usize(VMCTX_LEAF_STACK_LIMIT, limit);
    }

    /// Sets memory `index`'s base and definition pointers.
    pub fn set_memory(&self, index: u32, base: *mut u8, definition: *const VMMemoryDefinition) {
        assert!(index < self.offsets.num_memories);
        self.write_usize(self.offsets.memory_base(index), base as usize);
        self.write_usize(self.offsets.memory_definition(index), definition as usize);
    }

    /// Sets the pointer to global `index`'s storage.
    pub fn set_global(&self, index: u32, global: *const VMGlobal) {
        assert!(index < self.offsets.num_globals);
        self.write_usize(self.offsets.global(index), global as usize);
    }

    /// Sets the pointer to table `index`'s definition.
    pub fn set_table(&self, index: u32, table: *const VMTableDefinition) {
        assert!(index < self.offsets.num_tables);
        self.write_usize(self.offsets.table(index), table as usize);
    }

    /// Sets function `index`'s `VMFuncRef` pointer.
    pub fn set_funcref(&self, index: u32, funcref: *const VMFuncRef) {
        assert!(index < self.offsets.num_functions);
        self.write_usize(self.offsets.funcref(index), funcref as usize);
    }

    /// Sets type `index`'s canonical id.
    pub fn set_type_id(&self, index: u32, id: u32) {
        assert!(index < self.offsets.num_types);
        self.write_u32(self.offsets.type_id(index), id);
    }

    /// Sets tag `index`'s identity.
    pub fn set_tag(&self, index: u32, identity: *const u8) {
        assert!(index < self.offsets.num_tags);
        self.write_usize(self.offsets.tag(index), identity as usize);
    }
}

impl Drop for VmCtx {
    fn drop(&mut self) {
        let slice = ptr::slice_from_raw_parts_mut(self.ptr, self.words);
        // SAFETY: `ptr`/`words` came from `Box::into_raw` of a boxed slice of that length.
        drop(unsafe { Box::from_raw(slice) });
    }
}

/// The runtime instance owning the context `vmctx`.
///
/// # Safety
/// `vmctx` must be a context created by this runtime whose instance is alive
/// (compiled code only ever passes such contexts). The instance is only ever
/// accessed through shared references; its mutable state uses cells.
pub unsafe fn instance_of<'a>(vmctx: *mut u8) -> &'a Instance {
    // SAFETY: per the contract, `vmctx` points at a live context whose first word is
    // the `*const Instance` written by `set_runtime`.
    unsafe { &*(ptr::read(vmctx as *const *const Instance)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};
    use tern_environ::vmctx::*;

    #[test]
    fn layouts_match_environ() {
        assert_eq!(
            offset_of!(VMMemoryDefinition, base) as u32,
            VM_MEMORY_DEFINITION_BASE
        );
        assert_eq!(
            offset_of!(VMMemoryDefinition, length) as u32,
            VM_MEMORY_DEFINITION_LENGTH
        );
        assert_eq!(
            offset_of!(VMTableDefinition, base) as u32,
            VM_TABLE_DEFINITION_BASE
        );
        assert_eq!(
            offset_of!(VMTableDefinition, length) as u32,
            VM_TABLE_DEFINITION_LENGTH
        );
        assert_eq!(size_of::<VMGlobal>() as u32, VM_GLOBAL_SIZE);
        assert_eq!(offset_of!(VMFuncRef, native) as u32, VM_FUNCREF_NATIVE);
        assert_eq!(
            offset_of!(VMFuncRef, array_call) as u32,
            VM_FUNCREF_ARRAY_CALL
        );
        assert_eq!(offset_of!(VMFuncRef, vmctx) as u32, VM_FUNCREF_VMCTX);
        assert_eq!(offset_of!(VMFuncRef, type_id) as u32, VM_FUNCREF_TYPE_ID);
        assert_eq!(size_of::<VMFuncRef>() as u32, VM_FUNCREF_SIZE);
    }

    #[test]
    fn context_setters_write_at_offsets() {
        let offsets = VmOffsets {
            num_memories: 1,
            num_globals: 2,
            num_tables: 1,
            num_functions: 3,
            num_types: 3,
            num_tags: 1,
        };
        let ctx = VmCtx::new(offsets);
        ctx.set_stack_limit(0x1234);
        ctx.set_global(1, 0x40 as *const VMGlobal);
        ctx.set_type_id(2, 7);
        ctx.set_tag(0, 0x99 as *const u8);
        let words = |o: u32| -> u64 {
            // SAFETY: test reads inside the allocation.
            unsafe { ptr::read((ctx.as_ptr().add(o as usize)) as *const u64) }
        };
        assert_eq!(words(VMCTX_STACK_LIMIT), 0x1234);
        assert_eq!(words(offsets.global(1)), 0x40);
        assert_eq!(words(offsets.tag(0)), 0x99);
        // SAFETY: test reads inside the allocation.
        let id = unsafe { ptr::read(ctx.as_ptr().add(offsets.type_id(2) as usize) as *const u32) };
        assert_eq!(id, 7);
    }
}
