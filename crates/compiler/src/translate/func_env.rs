//! All access to instance state through `vmctx`. No other file computes a
//! vmctx offset: they ask for a memory base, a global's storage, a table's
//! definition, a function reference or a type id here.
//!
//! Pointers stored in the context never change after instantiation (memories
//! never move, see `tern_environ::tunables`), so they are loaded once, in the
//! entry block, with `!invariant.load`. What can change (memory and table
//! lengths, table element arrays, mutable globals) is loaded where used.

use super::func_translator::FuncTranslator;
use super::ops::LoweringCx;
pub(super) use super::tbaa::Region;
use crate::error::Result;
use inkwell::types::BasicTypeEnum;
use inkwell::values::{BasicValue, BasicValueEnum, InstructionValue, IntValue, PointerValue};
use inkwell::AddressSpace;
use tern_environ::vmctx::{
    VM_FUNCREF_NATIVE, VM_FUNCREF_TYPE_ID, VM_FUNCREF_VMCTX, VM_MEMORY_DEFINITION_LENGTH,
    VM_TABLE_DEFINITION_BASE, VM_TABLE_DEFINITION_LENGTH,
};

impl<'ctx> FuncTranslator<'_, '_, 'ctx> {
    /// `base + offset` as an `i8` GEP (inbounds: every caller stays inside
    /// the object `base` points to).
    pub(super) fn byte_offset(
        &self,
        base: PointerValue<'ctx>,
        offset: IntValue<'ctx>,
    ) -> Result<PointerValue<'ctx>> {
        let i8_ty = self.context().i8_type();
        // SAFETY: inkwell marks GEPs unsafe because an out-of-object GEP is
        // UB in LLVM; every caller passes an offset inside `base`'s object
        // (a vmctx field, a memory reservation, a table's element array).
        Ok(unsafe {
            self.builder
                .build_in_bounds_gep(i8_ty, base, &[offset], "addr")?
        })
    }

    /// The address of the vmctx field at `offset` (at the current position).
    pub(super) fn vmctx_field(&self, offset: u32) -> Result<PointerValue<'ctx>> {
        let offset = self
            .context()
            .i64_type()
            .const_int(u64::from(offset), false);
        self.byte_offset(self.vmctx, offset)
    }

    /// Tags a load (as a value) or store with its alias region.
    pub(super) fn tag(&self, access: impl Into<Access<'ctx>>, region: Region) {
        let inst = match access.into() {
            Access::Value(value) => value.as_instruction_value(),
            Access::Inst(inst) => Some(inst),
        };
        if let Some(inst) = inst {
            self.env.tbaa.tag(inst, region);
        }
    }

    /// Marks `load` as reading memory that never changes.
    pub(super) fn mark_invariant(&self, load: BasicValueEnum<'ctx>) {
        if let Some(inst) = load.as_instruction_value() {
            set_invariant(self.context(), inst);
        }
    }

    /// An invariant pointer-sized load of `base + offset` at the field
    /// builder (the entry block, or right after the entry check of a
    /// function's own code), cached under `key`. `base` must itself be
    /// available there.
    fn entry_load(
        &mut self,
        key: (&'static str, u32),
        base: PointerValue<'ctx>,
        offset: u32,
        ty: BasicTypeEnum<'ctx>,
    ) -> Result<BasicValueEnum<'ctx>> {
        if let Some(value) = self.vmctx_cache.get(&key) {
            return Ok(*value);
        }
        let b = &self.field_builder;
        let offset_value = self
            .context()
            .i64_type()
            .const_int(u64::from(offset), false);
        let i8_ty = self.context().i8_type();
        // SAFETY: `offset` addresses a field of the vmctx or of a structure it
        // points to, per `tern_environ::vmctx`.
        let addr = unsafe { b.build_in_bounds_gep(i8_ty, base, &[offset_value], "field")? };
        let value = b.build_load(ty, addr, key.0)?;
        if let Some(inst) = value.as_instruction_value() {
            set_invariant(self.context(), inst);
            self.env.tbaa.tag(inst, Region::Vm);
            let _ = inst.set_alignment(8.min(ty_align(ty)));
        }
        self.vmctx_cache.insert(key, value);
        Ok(value)
    }

    fn ptr_type(&self) -> BasicTypeEnum<'ctx> {
        self.context().ptr_type(AddressSpace::default()).into()
    }

    /// A pointer loaded invariantly (hoisted, see `entry_load`) from vmctx `offset`.
    pub(super) fn vmctx_ptr(
        &mut self,
        name: &'static str,
        offset: u32,
    ) -> Result<PointerValue<'ctx>> {
        let ty = self.ptr_type();
        Ok(self
            .entry_load((name, offset), self.vmctx, offset, ty)?
            .into_pointer_value())
    }

    /// Memory `index`'s base address.
    pub(super) fn memory_base(&mut self, index: u32) -> Result<PointerValue<'ctx>> {
        let offset = self.env.offsets.memory_base(index);
        self.vmctx_ptr("memory_base", offset)
    }

    /// Memory `index`'s current length in bytes (loaded at the current position).
    pub(super) fn memory_length(&mut self, index: u32) -> Result<IntValue<'ctx>> {
        let offset = self.env.offsets.memory_definition(index);
        let definition = self.vmctx_ptr("memory_definition", offset)?;
        let i64_ty = self.context().i64_type();
        let at = i64_ty.const_int(u64::from(VM_MEMORY_DEFINITION_LENGTH), false);
        let addr = self.byte_offset(definition, at)?;
        let length = self.builder.build_load(i64_ty, addr, "memory_length")?;
        self.tag(length, Region::Vm);
        Ok(length.into_int_value())
    }

    /// The storage of global `index`.
    pub(super) fn global_storage(&mut self, index: u32) -> Result<PointerValue<'ctx>> {
        let offset = self.env.offsets.global(index);
        self.vmctx_ptr("global", offset)
    }

    /// Table `index`'s `VMTableDefinition`.
    fn table_definition(&mut self, index: u32) -> Result<PointerValue<'ctx>> {
        let offset = self.env.offsets.table(index);
        self.vmctx_ptr("table", offset)
    }

    /// Table `index`'s current length (as `i64`, at the current position).
    pub(super) fn table_length(&mut self, index: u32) -> Result<IntValue<'ctx>> {
        let i64_ty = self.context().i64_type();
        // A table whose minimum is its maximum never changes size, imported
        // or not (an import's actual limits lie within the declared ones),
        // so bounds checks compare with a constant (wasm-ld's function
        // table is such a table).
        let ty = self.env.info.tables[index as usize].ty;
        if ty.maximum == Some(ty.minimum) {
            return Ok(i64_ty.const_int(ty.minimum, false));
        }
        let definition = self.table_definition(index)?;
        let at = i64_ty.const_int(u64::from(VM_TABLE_DEFINITION_LENGTH), false);
        let addr = self.byte_offset(definition, at)?;
        let length = self.builder.build_load(i64_ty, addr, "table_length")?;
        self.tag(length, Region::Vm);
        Ok(length.into_int_value())
    }

    /// The address of element `element` (an in-bounds `i64`) of table `index`.
    pub(super) fn table_element_addr(
        &mut self,
        index: u32,
        element: IntValue<'ctx>,
    ) -> Result<PointerValue<'ctx>> {
        let definition = self.table_definition(index)?;
        let i64_ty = self.context().i64_type();
        let at = i64_ty.const_int(u64::from(VM_TABLE_DEFINITION_BASE), false);
        let addr = self.byte_offset(definition, at)?;
        let ptr_ty = self.context().ptr_type(AddressSpace::default());
        let base = self.builder.build_load(ptr_ty, addr, "table_base")?;
        self.tag(base, Region::Vm);
        let base = base.into_pointer_value();
        let scaled = self
            .builder
            .build_int_mul(element, i64_ty.const_int(8, false), "scaled")?;
        self.byte_offset(base, scaled)
    }

    /// The `VMFuncRef` of function `index` (never null).
    pub(super) fn funcref(&mut self, index: u32) -> Result<PointerValue<'ctx>> {
        let offset = self.env.offsets.funcref(index);
        self.vmctx_ptr("funcref", offset)
    }

    /// The native code and callee vmctx of an imported function, from its
    /// (immutable) `VMFuncRef`, loaded in the entry block.
    pub(super) fn imported_callee(
        &mut self,
        index: u32,
    ) -> Result<(PointerValue<'ctx>, PointerValue<'ctx>)> {
        let funcref = self.funcref(index)?;
        let ty = self.ptr_type();
        let native = self.entry_load(("import_native", index), funcref, VM_FUNCREF_NATIVE, ty)?;
        let vmctx = self.entry_load(("import_vmctx", index), funcref, VM_FUNCREF_VMCTX, ty)?;
        Ok((native.into_pointer_value(), vmctx.into_pointer_value()))
    }

    /// The native code, vmctx and type id of a non-null `VMFuncRef` at the
    /// current position (`VMFuncRef`s are immutable once published).
    pub(super) fn funcref_fields(
        &mut self,
        funcref: PointerValue<'ctx>,
    ) -> Result<(PointerValue<'ctx>, PointerValue<'ctx>, IntValue<'ctx>)> {
        let i64_ty = self.context().i64_type();
        let ptr_ty = self.context().ptr_type(AddressSpace::default());
        let field = |offset: u32, ty: BasicTypeEnum<'ctx>, name: &str| {
            let addr = self.byte_offset(funcref, i64_ty.const_int(u64::from(offset), false))?;
            let value = self.builder.build_load(ty, addr, name)?;
            self.mark_invariant(value);
            self.tag(value, Region::Vm);
            Ok::<_, crate::error::CompileError>(value)
        };
        let native = field(VM_FUNCREF_NATIVE, ptr_ty.into(), "native")?.into_pointer_value();
        let vmctx = field(VM_FUNCREF_VMCTX, ptr_ty.into(), "callee_vmctx")?.into_pointer_value();
        let type_id = field(VM_FUNCREF_TYPE_ID, i64_ty.into(), "type_id")?.into_int_value();
        Ok((native, vmctx, type_id))
    }

    /// The canonical id of type `index` (zero-extended to `i64`).
    pub(super) fn type_id(&mut self, index: u32) -> Result<IntValue<'ctx>> {
        let offset = self.env.offsets.type_id(index);
        let i32_ty = self.context().i32_type().into();
        let id = self.entry_load(("type_id", offset), self.vmctx, offset, i32_ty)?;
        self.to_i64(id.into_int_value())
    }
}

/// Attaches `!invariant.load !{}` to a load.
pub(super) fn set_invariant<'ctx>(
    context: &'ctx inkwell::context::Context,
    load: InstructionValue<'ctx>,
) {
    let kind = context.get_kind_id("invariant.load");
    let _ = load.set_metadata(context.metadata_node(&[]), kind);
}

fn ty_align(ty: BasicTypeEnum<'_>) -> u32 {
    match ty {
        BasicTypeEnum::IntType(t) => (t.get_bit_width() / 8).max(1),
        _ => 8,
    }
}

/// A load (as its value) or a store, to tag.
pub(super) enum Access<'ctx> {
    /// A load's result.
    Value(BasicValueEnum<'ctx>),
    /// A store (or any instruction).
    Inst(InstructionValue<'ctx>),
}

impl<'ctx> From<BasicValueEnum<'ctx>> for Access<'ctx> {
    fn from(value: BasicValueEnum<'ctx>) -> Self {
        Access::Value(value)
    }
}

impl<'ctx> From<InstructionValue<'ctx>> for Access<'ctx> {
    fn from(inst: InstructionValue<'ctx>) -> Self {
        Access::Inst(inst)
    }
}
