//! Locals (entry-block slots, promoted to SSA by LLVM) and globals (storage
//! reached through the vmctx pointer array), plus `drop` and `select`.

use super::func_env::Region;
use super::func_translator::FuncTranslator;
use super::ops::LoweringCx;
use crate::error::Result;

impl<'ctx> FuncTranslator<'_, '_, 'ctx> {
    /// `local.get`.
    pub(super) fn translate_local_get(&mut self, index: u32) -> Result<()> {
        let local = self.locals[index as usize];
        let value = self.builder.build_load(local.ty, local.slot, "local")?;
        if value.is_int_value() {
            self.address_facts
                .on_local_get(index, value.into_int_value());
            self.pointer_bases
                .on_local_get(index, value.into_int_value());
            self.address_split
                .on_local_get(index, value.into_int_value());
            self.address_recurrences
                .on_local_get(index, value.into_int_value());
            self.address_lookback
                .on_local_get(index, value.into_int_value());
        }
        self.push(value);
        Ok(())
    }

    /// `local.set` (and, with `tee`, `local.tee`).
    pub(super) fn translate_local_set(&mut self, index: u32, tee: bool) -> Result<()> {
        let local = self.locals[index as usize];
        let value = self.pop();
        self.builder.build_store(local.slot, value)?;
        if value.is_int_value() {
            self.address_facts
                .on_local_set(index, value.into_int_value());
            self.pointer_bases
                .on_local_set(index, value.into_int_value());
            self.recurrences_on_local_set(index, value.into_int_value());
            self.address_lookback
                .on_local_set(index, value.into_int_value());
        }
        if tee {
            self.push(value);
        }
        Ok(())
    }

    /// `global.get`: immutable globals are invariant loads.
    pub(super) fn translate_global_get(&mut self, index: u32) -> Result<()> {
        let ty = self.env.info.globals[index as usize];
        let storage = self.global_storage(index)?;
        let value = self
            .builder
            .build_load(self.llvm_type(ty.content), storage, "global")?;
        if !ty.mutable {
            self.mark_invariant(value);
        }
        self.tag(value, Region::Global);
        self.push(value);
        Ok(())
    }

    /// `global.set`.
    pub(super) fn translate_global_set(&mut self, index: u32) -> Result<()> {
        let storage = self.global_storage(index)?;
        let value = self.pop();
        let store = self.builder.build_store(storage, value)?;
        self.tag(store, Region::Global);
        Ok(())
    }

    /// `select` and typed `select`.
    pub(super) fn translate_select(&mut self) -> Result<()> {
        let cond = self.pop_condition()?;
        let if_false = self.pop();
        let if_true = self.pop();
        let value = self
            .builder
            .build_select(cond, if_true, if_false, "select")?;
        self.push(value);
        Ok(())
    }
}
