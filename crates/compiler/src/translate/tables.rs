//! Tables and references: `table.get/set/size` inline with bounds checks,
//! the other table operators through builtins, and `ref.*`.

use super::func_env::Region;
use super::func_translator::FuncTranslator;
use super::ops::LoweringCx;
use crate::error::Result;
use inkwell::values::IntValue;
use inkwell::{AddressSpace, IntPredicate};
use tern_environ::builtins::Builtin;
use tern_environ::TrapCode;

impl<'ctx> FuncTranslator<'_, '_, 'ctx> {
    fn is_table64(&self, table: u32) -> bool {
        self.env.info.tables[table as usize].ty.table64
    }

    fn const_i32(&self, value: u32) -> IntValue<'ctx> {
        self.context().i32_type().const_int(u64::from(value), false)
    }

    /// Traps with `TableOutOfBounds` unless `index < length(table)`; returns
    /// the index as `i64`.
    fn checked_table_index(&mut self, table: u32, index: IntValue<'ctx>) -> Result<IntValue<'ctx>> {
        let index = self.to_i64(index)?;
        let length = self.table_length(table)?;
        let past = self
            .builder
            .build_int_compare(IntPredicate::UGE, index, length, "oob")?;
        self.trap_if(past, TrapCode::TableOutOfBounds)?;
        Ok(index)
    }

    /// `table.get`.
    pub(super) fn translate_table_get(&mut self, table: u32) -> Result<()> {
        let index = self.pop_int();
        let index = self.checked_table_index(table, index)?;
        let addr = self.table_element_addr(table, index)?;
        let ptr_ty = self.context().ptr_type(AddressSpace::default());
        let value = self.builder.build_load(ptr_ty, addr, "elem")?;
        self.tag(value, Region::Table);
        self.push(value);
        Ok(())
    }

    /// `table.set`.
    pub(super) fn translate_table_set(&mut self, table: u32) -> Result<()> {
        let value = self.pop();
        let index = self.pop_int();
        let index = self.checked_table_index(table, index)?;
        let addr = self.table_element_addr(table, index)?;
        let store = self.builder.build_store(addr, value)?;
        self.tag(store, Region::Table);
        Ok(())
    }

    /// `table.size`.
    pub(super) fn translate_table_size(&mut self, table: u32) -> Result<()> {
        let length = self.table_length(table)?;
        let length = if self.is_table64(table) {
            length
        } else {
            self.builder
                .build_int_truncate(length, self.context().i32_type(), "size")?
        };
        self.push(length.into());
        Ok(())
    }

    /// `table.grow`.
    pub(super) fn translate_table_grow(&mut self, table: u32) -> Result<()> {
        let delta = self.pop_int();
        let init = self.pop();
        let delta = self.to_i64(delta)?;
        let args = [self.const_i32(table).into(), init.into(), delta.into()];
        let old = self.call_builtin(Builtin::TableGrow, &args)?;
        let old = old.expect("table_grow returns a value").into_int_value();
        let old = if self.is_table64(table) {
            old
        } else {
            self.builder
                .build_int_truncate(old, self.context().i32_type(), "old")?
        };
        self.push(old.into());
        Ok(())
    }

    /// `table.fill`.
    pub(super) fn translate_table_fill(&mut self, table: u32) -> Result<()> {
        let len = self.pop_int();
        let value = self.pop();
        let dst = self.pop_int();
        let (dst, len) = (self.to_i64(dst)?, self.to_i64(len)?);
        let args = [
            self.const_i32(table).into(),
            dst.into(),
            value.into(),
            len.into(),
        ];
        self.call_builtin(Builtin::TableFill, &args)?;
        Ok(())
    }

    /// `table.copy`.
    pub(super) fn translate_table_copy(&mut self, dst_table: u32, src_table: u32) -> Result<()> {
        let len = self.pop_int();
        let src = self.pop_int();
        let dst = self.pop_int();
        let (dst, src, len) = (self.to_i64(dst)?, self.to_i64(src)?, self.to_i64(len)?);
        let args = [
            self.const_i32(dst_table).into(),
            self.const_i32(src_table).into(),
            dst.into(),
            src.into(),
            len.into(),
        ];
        self.call_builtin(Builtin::TableCopy, &args)?;
        Ok(())
    }

    /// `table.init`.
    pub(super) fn translate_table_init(&mut self, table: u32, elem: u32) -> Result<()> {
        let len = self.pop_int();
        let src = self.pop_int();
        let dst = self.pop_int();
        let dst = self.to_i64(dst)?;
        let args = [
            self.const_i32(table).into(),
            self.const_i32(elem).into(),
            dst.into(),
            src.into(),
            len.into(),
        ];
        self.call_builtin(Builtin::TableInit, &args)?;
        Ok(())
    }

    /// `elem.drop`.
    pub(super) fn translate_elem_drop(&mut self, elem: u32) -> Result<()> {
        self.call_builtin(Builtin::ElemDrop, &[self.const_i32(elem).into()])?;
        Ok(())
    }

    /// `ref.null`.
    pub(super) fn translate_ref_null(&mut self) {
        let null = self
            .context()
            .ptr_type(AddressSpace::default())
            .const_null();
        self.push(null.into());
    }

    /// `ref.is_null`.
    pub(super) fn translate_ref_is_null(&mut self) -> Result<()> {
        let value = self.pop().into_pointer_value();
        let is_null = self.builder.build_is_null(value, "is_null")?;
        let is_null = self
            .builder
            .build_int_z_extend(is_null, self.context().i32_type(), "")?;
        self.push(is_null.into());
        Ok(())
    }

    /// `ref.as_non_null`: traps on null, else leaves the reference.
    pub(super) fn translate_ref_as_non_null(&mut self) -> Result<()> {
        let value = self.pop().into_pointer_value();
        let is_null = self.builder.build_is_null(value, "is_null")?;
        self.trap_if(is_null, TrapCode::NullReference)?;
        self.push(value.into());
        Ok(())
    }

    /// `ref.func`.
    pub(super) fn translate_ref_func(&mut self, function: u32) -> Result<()> {
        let funcref = self.funcref(function)?;
        self.push(funcref.into());
        Ok(())
    }
}
