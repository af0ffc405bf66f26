//! Linear memory: effective addresses (the sandbox-critical part), scalar
//! loads and stores, `memory.size`/`memory.grow` and the bulk memory
//! operators (through builtins).
//!
//! 32-bit memories are accessed as `base + zext(index) + offset` with no
//! check: the runtime reserves `tern_environ::tunables::MEMORY32_RESERVATION`
//! bytes per memory, so every such address falls inside the reservation and
//! an access beyond the length faults on a guard page. 64-bit memories are
//! checked against the current length explicitly. Changes here need a second
//! reviewer.

use super::func_env::Region;
use super::func_translator::FuncTranslator;
use super::ops::LoweringCx;
use crate::error::Result;
use inkwell::types::{BasicTypeEnum, IntType};
use inkwell::values::{BasicValue, BasicValueEnum, IntValue, PointerValue};
use inkwell::IntPredicate;
use tern_environ::builtins::Builtin;
use tern_environ::TrapCode;
use wasmparser::MemArg;

/// How a narrow load widens its value.
#[derive(Clone, Copy)]
pub(super) enum Extend {
    /// Sign-extend.
    Signed,
    /// Zero-extend.
    Unsigned,
}

impl<'ctx> FuncTranslator<'_, '_, 'ctx> {
    /// See [`LoweringCx::memory_address`].
    pub(super) fn translate_memory_address(
        &mut self,
        memarg: &MemArg,
        index: IntValue<'ctx>,
        access_size: u32,
    ) -> Result<PointerValue<'ctx>> {
        let memory = match memarg.target {
            wasmparser::MemArgTarget::Memory(memory) => memory,
            wasmparser::MemArgTarget::Array(_) => {
                return Err(crate::error::CompileError::Unsupported {
                    feature: "gc (array access)".into(),
                })
            }
        };
        let memory64 = self.env.info.memories[memory as usize].memory64;
        let i64_ty = self.context().i64_type();
        let base = self.memory_base(memory)?;
        if !memory64 {
            let shadow = self.shadow_index(index)?;
            self.address_facts.on_access(index);
            let base = self.access_base(memory, base, index)?;
            let index = match shadow {
                // The loop's 64-bit shadow of this index (address_recurrences.rs).
                Some(shadow) => shadow,
                None => {
                    self.address_lookback.set_last(base, index, memarg.offset);
                    self.builder.build_int_z_extend(index, i64_ty, "index")?
                }
            };
            let offset = if memarg.offset == 0 {
                index
            } else {
                let offset = i64_ty.const_int(memarg.offset, false);
                // Both are below 2^32: no unsigned wrap.
                self.builder.build_int_nuw_add(index, offset, "offset")?
            };
            return self.byte_offset(base, offset);
        }
        // memory64: trap unless index + offset + size <= length.
        let end = memarg.offset.checked_add(u64::from(access_size));
        let Some(end) = end else {
            self.translate_trap(TrapCode::MemoryOutOfBounds)?;
            // Keep building in a fresh (dead) block.
            let dead = self.new_block("dead");
            self.builder.position_at_end(dead);
            self.reachable = true;
            return self.byte_offset(base, index);
        };
        let uadd = self.intrinsic("llvm.uadd.with.overflow", &[i64_ty.into()]);
        let sum = self
            .builder
            .build_call(
                uadd,
                &[index.into(), i64_ty.const_int(end, false).into()],
                "end",
            )?
            .try_as_basic_value()
            .basic()
            .expect("uadd.with.overflow returns a value")
            .into_struct_value();
        let last = self
            .builder
            .build_extract_value(sum, 0, "end")?
            .into_int_value();
        let overflow = self
            .builder
            .build_extract_value(sum, 1, "ovf")?
            .into_int_value();
        let length = self.memory_length(memory)?;
        let past = self
            .builder
            .build_int_compare(IntPredicate::UGT, last, length, "oob")?;
        let oob = self.builder.build_or(overflow, past, "oob")?;
        self.trap_if(oob, TrapCode::MemoryOutOfBounds)?;
        let offset = if memarg.offset == 0 {
            index
        } else {
            let offset = i64_ty.const_int(memarg.offset, false);
            self.builder.build_int_nuw_add(index, offset, "offset")?
        };
        self.byte_offset(base, offset)
    }

    /// Pops the address operand of an access to `memarg.memory`, computes the
    /// effective address of `size` bytes.
    fn pop_address(&mut self, memarg: &MemArg, size: u32) -> Result<PointerValue<'ctx>> {
        let index = self.pop_int();
        self.address_lookback.clear_last();
        if let wasmparser::MemArgTarget::Memory(memory) = memarg.target {
            if !self.is_memory64(memory) {
                self.lookback_on_access(index)?;
            }
        }
        if let Some(addr) = self.split_address(memarg, index)? {
            return Ok(addr);
        }
        self.translate_memory_address(memarg, index, size)
    }

    /// The address of a plain load or store at `index = t + b` that
    /// `translate/address_split.rs` splits (static offset 0, 32-bit memory),
    /// as `base + f(t) + zext(b)`; `None` for any other access.
    fn split_address(
        &mut self,
        memarg: &MemArg,
        index: IntValue<'ctx>,
    ) -> Result<Option<PointerValue<'ctx>>> {
        let wasmparser::MemArgTarget::Memory(memory) = memarg.target else {
            return Ok(None);
        };
        if memarg.offset != 0
            || self.is_memory64(memory)
            || self.address_recurrences.has_shadow(index)
        {
            return Ok(None);
        }
        let Some((t, b)) = self.address_split.split_of(index) else {
            return Ok(None);
        };
        self.address_facts.on_access(index);
        let base = self.memory_base(memory)?;
        let base = self.access_base(memory, base, index)?;
        let offset = self.split_offset(t, b)?;
        // Not `inbounds`: the offset may be negative (into the guard below
        // the base), see address_split.rs.
        // SAFETY: inkwell marks GEPs unsafe for `inbounds`; this one has no
        // flags, so any offset is defined.
        let addr = unsafe {
            self.builder
                .build_gep(self.context().i8_type(), base, &[offset], "addr")?
        };
        Ok(Some(addr))
    }

    /// A load of `ty` (its full width).
    pub(super) fn translate_load(
        &mut self,
        memarg: &MemArg,
        ty: BasicTypeEnum<'ctx>,
    ) -> Result<()> {
        let size = type_size(ty);
        let addr = self.pop_address(memarg, size)?;
        let value = self.builder.build_load(ty, addr, "load")?;
        if let Some(load) = value.as_instruction_value() {
            self.lookback_on_load(load);
        }
        set_unaligned(value);
        self.tag(value, Region::Memory);
        self.push(value);
        Ok(())
    }

    /// A load of a `narrow` integer widened to `wide`.
    pub(super) fn translate_extending_load(
        &mut self,
        memarg: &MemArg,
        narrow: IntType<'ctx>,
        wide: IntType<'ctx>,
        extend: Extend,
    ) -> Result<()> {
        let addr = self.pop_address(memarg, narrow.get_bit_width() / 8)?;
        let value = self.builder.build_load(narrow, addr, "load")?;
        if let Some(load) = value.as_instruction_value() {
            self.lookback_on_load(load);
        }
        set_unaligned(value);
        self.tag(value, Region::Memory);
        let value = value.into_int_value();
        let wide_value = match extend {
            Extend::Signed => self.builder.build_int_s_extend(value, wide, "sext")?,
            Extend::Unsigned => self.builder.build_int_z_extend(value, wide, "zext")?,
        };
        self.push(wide_value.into());
        Ok(())
    }

    /// `drop`. A dropped load still has to happen (it may trap): see
    /// `translate::trapping_loads`, which keeps it.
    pub(super) fn translate_drop(&mut self) {
        self.pop();
    }

    /// A store of the value's full width.
    pub(super) fn translate_store(&mut self, memarg: &MemArg) -> Result<()> {
        let value = self.pop();
        let addr = self.pop_address(memarg, type_size(value.get_type()))?;
        let store = self.builder.build_store(addr, value)?;
        let _ = store.set_alignment(1);
        self.tag(store, Region::Memory);
        Ok(())
    }

    /// A store of the low `narrow` bits of an integer.
    pub(super) fn translate_truncating_store(
        &mut self,
        memarg: &MemArg,
        narrow: IntType<'ctx>,
    ) -> Result<()> {
        let value = self.pop_int();
        let addr = self.pop_address(memarg, narrow.get_bit_width() / 8)?;
        let value = self.builder.build_int_truncate(value, narrow, "trunc")?;
        let store = self.builder.build_store(addr, value)?;
        let _ = store.set_alignment(1);
        self.tag(store, Region::Memory);
        Ok(())
    }

    fn is_memory64(&self, memory: u32) -> bool {
        self.env.info.memories[memory as usize].memory64
    }

    /// Narrows a 64-bit result to `i32` for a 32-bit memory or table.
    fn narrow_index(&self, value: IntValue<'ctx>, is64: bool) -> Result<IntValue<'ctx>> {
        if is64 {
            return Ok(value);
        }
        Ok(self
            .builder
            .build_int_truncate(value, self.context().i32_type(), "narrow")?)
    }

    /// `memory.size`.
    pub(super) fn translate_memory_size(&mut self, memory: u32) -> Result<()> {
        let length = self.memory_length(memory)?;
        let log2 = self.env.info.memories[memory as usize].page_size_log2;
        let shift = self.context().i64_type().const_int(u64::from(log2), false);
        let pages = self
            .builder
            .build_right_shift(length, shift, false, "pages")?;
        let pages = self.narrow_index(pages, self.is_memory64(memory))?;
        self.push(pages.into());
        Ok(())
    }

    /// `memory.grow`.
    pub(super) fn translate_memory_grow(&mut self, memory: u32) -> Result<()> {
        let delta = self.pop_int();
        let delta = self.to_i64(delta)?;
        let memory_index = self
            .context()
            .i32_type()
            .const_int(u64::from(memory), false);
        let old = self.call_builtin(Builtin::MemoryGrow, &[memory_index.into(), delta.into()])?;
        let old = old.expect("memory_grow returns a value").into_int_value();
        let old = self.narrow_index(old, self.is_memory64(memory))?;
        self.push(old.into());
        Ok(())
    }

    /// `memory.fill`.
    pub(super) fn translate_memory_fill(&mut self, memory: u32) -> Result<()> {
        let len = self.pop_int();
        let value = self.pop_int();
        let dst = self.pop_int();
        let (dst, len) = (self.to_i64(dst)?, self.to_i64(len)?);
        let memory = self
            .context()
            .i32_type()
            .const_int(u64::from(memory), false);
        let args = [memory.into(), dst.into(), value.into(), len.into()];
        self.call_builtin(Builtin::MemoryFill, &args)?;
        Ok(())
    }

    /// `memory.copy`.
    pub(super) fn translate_memory_copy(&mut self, dst_mem: u32, src_mem: u32) -> Result<()> {
        let len = self.pop_int();
        let src = self.pop_int();
        let dst = self.pop_int();
        let (dst, src, len) = (self.to_i64(dst)?, self.to_i64(src)?, self.to_i64(len)?);
        let i32_ty = self.context().i32_type();
        let args = [
            i32_ty.const_int(u64::from(dst_mem), false).into(),
            i32_ty.const_int(u64::from(src_mem), false).into(),
            dst.into(),
            src.into(),
            len.into(),
        ];
        self.call_builtin(Builtin::MemoryCopy, &args)?;
        Ok(())
    }

    /// `memory.init`.
    pub(super) fn translate_memory_init(&mut self, memory: u32, data: u32) -> Result<()> {
        let len = self.pop_int();
        let src = self.pop_int();
        let dst = self.pop_int();
        let dst = self.to_i64(dst)?;
        let i32_ty = self.context().i32_type();
        let args = [
            i32_ty.const_int(u64::from(memory), false).into(),
            i32_ty.const_int(u64::from(data), false).into(),
            dst.into(),
            src.into(),
            len.into(),
        ];
        self.call_builtin(Builtin::MemoryInit, &args)?;
        Ok(())
    }

    /// `data.drop`.
    pub(super) fn translate_data_drop(&mut self, data: u32) -> Result<()> {
        let data = self.context().i32_type().const_int(u64::from(data), false);
        self.call_builtin(Builtin::DataDrop, &[data.into()])?;
        Ok(())
    }
}

/// Store size in bytes of a value type.
fn type_size(ty: BasicTypeEnum<'_>) -> u32 {
    match ty {
        BasicTypeEnum::IntType(t) => t.get_bit_width() / 8,
        BasicTypeEnum::FloatType(t) if t == t.get_context().f32_type() => 4,
        BasicTypeEnum::VectorType(_) => 16,
        _ => 8,
    }
}

/// Wasm accesses may be unaligned: alignment 1 is the only safe claim.
fn set_unaligned(load: BasicValueEnum<'_>) {
    if let Some(inst) = load.as_instruction_value() {
        let _ = inst.set_alignment(1);
    }
}
