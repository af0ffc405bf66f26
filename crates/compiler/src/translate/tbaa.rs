//! Type-based alias analysis tags: they tell LLVM that linear memory,
//! global storage, table elements and VM bookkeeping (vmctx fields, memory
//! and table definitions, `VMFuncRef`s) never overlap, so a store to linear
//! memory does not force reloading a global or a table length.
//!
//! Soundness rule: one location is only ever accessed with one tag. Accesses
//! without a tag alias everything, which is always safe. Every linear-memory
//! access carries the memory tag (scalar and SIMD alike): the trapping-load
//! analysis recognises linear-memory loads by it.

use inkwell::context::Context;
use inkwell::values::{BasicMetadataValueEnum, InstructionValue, MetadataValue};

/// Which disjoint region an access touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// Linear memory contents.
    Memory,
    /// The storage of a global.
    Global,
    /// Table elements.
    Table,
    /// vmctx fields and the VM structures they point to.
    Vm,
}

/// The access tags of one module.
pub struct Tbaa<'ctx> {
    kind: u32,
    tags: [MetadataValue<'ctx>; 4],
}

impl<'ctx> Tbaa<'ctx> {
    /// Creates the type tree: four siblings under one root.
    pub fn new(context: &'ctx Context) -> Self {
        let root = context.metadata_node(&[context.metadata_string("tern tbaa").into()]);
        let zero: BasicMetadataValueEnum<'ctx> = context.i64_type().const_zero().into();
        let tag = |name: &str| {
            let ty =
                context.metadata_node(&[context.metadata_string(name).into(), root.into(), zero]);
            context.metadata_node(&[ty.into(), ty.into(), zero])
        };
        Tbaa {
            kind: context.get_kind_id("tbaa"),
            tags: [
                tag("wasm memory"),
                tag("wasm global"),
                tag("wasm table"),
                tag("vm"),
            ],
        }
    }

    /// Tags a load or store.
    pub fn tag(&self, access: InstructionValue<'ctx>, region: Region) {
        let _ = access.set_metadata(self.tags[region as usize], self.kind);
    }

    /// The `tbaa` metadata kind and the tag of linear-memory accesses.
    pub fn memory_tag(&self) -> (u32, MetadataValue<'ctx>) {
        (self.kind, self.tags[Region::Memory as usize])
    }
}
