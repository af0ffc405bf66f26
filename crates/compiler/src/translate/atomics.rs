//! The threads proposal's memory operators: `*.atomic.load/store/rmw*/cmpxchg`
//! as sequentially consistent LLVM atomics, `atomic.fence`, and
//! `memory.atomic.notify/wait32/wait64` through builtins.
//!
//! They work on shared and non-shared memories alike. The effective address
//! is computed (and, for a 64-bit memory, bounds-checked) exactly as for a
//! plain access (`memory.rs`); then a misaligned address traps
//! `unaligned atomic` before the access, so an in-bounds misaligned access
//! never reaches the hardware. Memory bases are page-aligned, so the
//! alignment of the native pointer is that of the Wasm address. An access
//! beyond the length of a 32-bit memory faults on the guard pages like any
//! other access (ordered loads are never deleted by LLVM).

use super::func_env::Region;
use super::func_translator::FuncTranslator;
use super::ops::LoweringCx;
use crate::error::{CompileError, Result};
use inkwell::types::IntType;
use inkwell::values::{BasicValue, IntValue, PointerValue};
use inkwell::{AtomicOrdering, AtomicRMWBinOp, IntPredicate};
use tern_environ::builtins::Builtin;
use tern_environ::TrapCode;
use wasmparser::{MemArg, MemArgTarget, Operator};

const SEQ_CST: AtomicOrdering = AtomicOrdering::SequentiallyConsistent;

/// The width of an atomic access and of the value it produces.
#[derive(Clone, Copy)]
enum Width {
    /// Access `narrow` bits, zero-extended to (or truncated from) `i32`.
    I32(u32),
    /// Access `narrow` bits, zero-extended to (or truncated from) `i64`.
    I64(u32),
}

impl<'ctx> FuncTranslator<'_, '_, 'ctx> {
    /// Lowers an atomic operator; `false` if `op` is not one.
    pub(super) fn translate_atomic_operator(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        use Width::{I32, I64};
        match op {
            O::AtomicFence { .. } => {
                // A fence has no value, so no name (the verifier rejects one).
                self.builder.build_fence(SEQ_CST, false, "")?;
            }
            O::MemoryAtomicNotify { memarg } => self.translate_atomic_notify(memarg)?,
            O::MemoryAtomicWait32 { memarg } => self.translate_atomic_wait(memarg, false)?,
            O::MemoryAtomicWait64 { memarg } => self.translate_atomic_wait(memarg, true)?,
            O::I32AtomicLoad { memarg } => self.translate_atomic_load(memarg, I32(32))?,
            O::I64AtomicLoad { memarg } => self.translate_atomic_load(memarg, I64(64))?,
            O::I32AtomicLoad8U { memarg } => self.translate_atomic_load(memarg, I32(8))?,
            O::I32AtomicLoad16U { memarg } => self.translate_atomic_load(memarg, I32(16))?,
            O::I64AtomicLoad8U { memarg } => self.translate_atomic_load(memarg, I64(8))?,
            O::I64AtomicLoad16U { memarg } => self.translate_atomic_load(memarg, I64(16))?,
            O::I64AtomicLoad32U { memarg } => self.translate_atomic_load(memarg, I64(32))?,
            O::I32AtomicStore { memarg } => self.translate_atomic_store(memarg, I32(32))?,
            O::I64AtomicStore { memarg } => self.translate_atomic_store(memarg, I64(64))?,
            O::I32AtomicStore8 { memarg } => self.translate_atomic_store(memarg, I32(8))?,
            O::I32AtomicStore16 { memarg } => self.translate_atomic_store(memarg, I32(16))?,
            O::I64AtomicStore8 { memarg } => self.translate_atomic_store(memarg, I64(8))?,
            O::I64AtomicStore16 { memarg } => self.translate_atomic_store(memarg, I64(16))?,
            O::I64AtomicStore32 { memarg } => self.translate_atomic_store(memarg, I64(32))?,
            O::I32AtomicRmwCmpxchg { memarg } => self.translate_cmpxchg(memarg, I32(32))?,
            O::I64AtomicRmwCmpxchg { memarg } => self.translate_cmpxchg(memarg, I64(64))?,
            O::I32AtomicRmw8CmpxchgU { memarg } => self.translate_cmpxchg(memarg, I32(8))?,
            O::I32AtomicRmw16CmpxchgU { memarg } => self.translate_cmpxchg(memarg, I32(16))?,
            O::I64AtomicRmw8CmpxchgU { memarg } => self.translate_cmpxchg(memarg, I64(8))?,
            O::I64AtomicRmw16CmpxchgU { memarg } => self.translate_cmpxchg(memarg, I64(16))?,
            O::I64AtomicRmw32CmpxchgU { memarg } => self.translate_cmpxchg(memarg, I64(32))?,
            _ => {
                let Some((memarg, bin, width)) = rmw(op) else {
                    return Ok(false);
                };
                self.translate_atomic_rmw(memarg, bin, width)?;
            }
        }
        Ok(true)
    }

    fn width_types(&self, width: Width) -> (IntType<'ctx>, IntType<'ctx>) {
        let cx = self.context();
        let (narrow, wide) = match width {
            Width::I32(n) => (n, cx.i32_type()),
            Width::I64(n) => (n, cx.i64_type()),
        };
        let narrow = match narrow {
            8 => cx.i8_type(),
            16 => cx.i16_type(),
            32 => cx.i32_type(),
            _ => cx.i64_type(),
        };
        (narrow, wide)
    }

    /// The address of an atomic access of `size` bytes at `index`: a trap
    /// unless the effective address is a multiple of `size`, then bounds as
    /// for any access. Alignment comes first whatever the memory, as in
    /// Wasmtime: a 32-bit memory's bounds are its guard pages, which only
    /// the access itself meets, and a 64-bit memory's explicit bounds check
    /// must not report an access that is both unaligned and out of bounds
    /// differently.
    fn atomic_address(
        &mut self,
        memarg: &MemArg,
        index: IntValue<'ctx>,
        size: u32,
    ) -> Result<PointerValue<'ctx>> {
        if size > 1 {
            // The low bits of `index + offset` do not depend on overflow.
            let ty = index.get_type();
            let offset = ty.const_int(memarg.offset, false);
            let address = self.builder.build_int_add(index, offset, "effective")?;
            let low = self.builder.build_and(
                address,
                ty.const_int(u64::from(size - 1), false),
                "misaligned",
            )?;
            let misaligned = self.builder.build_int_compare(
                IntPredicate::NE,
                low,
                ty.const_zero(),
                "misaligned",
            )?;
            self.trap_if(misaligned, TrapCode::UnalignedAtomic)?;
        }
        self.translate_memory_address(memarg, index, size)
    }

    fn translate_atomic_load(&mut self, memarg: &MemArg, width: Width) -> Result<()> {
        let (narrow, wide) = self.width_types(width);
        let size = narrow.get_bit_width() / 8;
        let index = self.pop_int();
        let addr = self.atomic_address(memarg, index, size)?;
        let value = self.builder.build_load(narrow, addr, "atomic_load")?;
        let inst = value
            .as_instruction_value()
            .expect("a load is an instruction");
        let _ = inst.set_alignment(size);
        let _ = inst.set_atomic_ordering(SEQ_CST);
        self.tag(inst, Region::Memory);
        let value = self.widen(value.into_int_value(), wide)?;
        self.push(value.into());
        Ok(())
    }

    fn translate_atomic_store(&mut self, memarg: &MemArg, width: Width) -> Result<()> {
        let (narrow, _) = self.width_types(width);
        let size = narrow.get_bit_width() / 8;
        let value = self.pop_int();
        let index = self.pop_int();
        let addr = self.atomic_address(memarg, index, size)?;
        let value = self.narrow(value, narrow)?;
        let store = self.builder.build_store(addr, value)?;
        let _ = store.set_alignment(size);
        let _ = store.set_atomic_ordering(SEQ_CST);
        self.tag(store, Region::Memory);
        Ok(())
    }

    fn translate_atomic_rmw(
        &mut self,
        memarg: &MemArg,
        bin: AtomicRMWBinOp,
        width: Width,
    ) -> Result<()> {
        let (narrow, wide) = self.width_types(width);
        let size = narrow.get_bit_width() / 8;
        let value = self.pop_int();
        let index = self.pop_int();
        let addr = self.atomic_address(memarg, index, size)?;
        let value = self.narrow(value, narrow)?;
        let old = self.builder.build_atomicrmw(bin, addr, value, SEQ_CST)?;
        if let Some(inst) = old.as_instruction_value() {
            self.tag(inst, Region::Memory);
            // Volatile, so that the access happens: the x86-64 back end turns
            // an idempotent RMW (`or 0`, `add 0`, `and -1`) whose result is
            // unused into a fence on the stack, which would not trap out of
            // bounds (Wasmtime differential test, seed 5907).
            inst.set_volatile(true)
                .map_err(|e| CompileError::Codegen(format!("volatile atomicrmw: {e}")))?;
        }
        let old = self.widen(old, wide)?;
        self.push(old.into());
        Ok(())
    }

    fn translate_cmpxchg(&mut self, memarg: &MemArg, width: Width) -> Result<()> {
        let (narrow, wide) = self.width_types(width);
        let size = narrow.get_bit_width() / 8;
        let replacement = self.pop_int();
        let expected = self.pop_int();
        let index = self.pop_int();
        let addr = self.atomic_address(memarg, index, size)?;
        // A narrow cmpxchg compares the expected value's low bits with the
        // memory (the spec wraps `expected` to the access width).
        let expected = self.narrow(expected, narrow)?;
        let replacement = self.narrow(replacement, narrow)?;
        let pair = self
            .builder
            .build_cmpxchg(addr, expected, replacement, SEQ_CST, SEQ_CST)?;
        if let Some(inst) = pair.as_instruction_value() {
            self.tag(inst, Region::Memory);
        }
        let old = self
            .builder
            .build_extract_value(pair, 0, "old")?
            .into_int_value();
        let old = self.widen(old, wide)?;
        self.push(old.into());
        Ok(())
    }

    /// The effective address `index + offset` as an `i64` for the wait and
    /// notify builtins (which check alignment and bounds themselves); an
    /// offset that wraps a 64-bit address traps out of bounds here.
    fn effective_address(
        &mut self,
        memarg: &MemArg,
        index: IntValue<'ctx>,
    ) -> Result<IntValue<'ctx>> {
        let i64_ty = self.context().i64_type();
        let offset = i64_ty.const_int(memarg.offset, false);
        if index.get_type().get_bit_width() == 32 {
            let index = self.builder.build_int_z_extend(index, i64_ty, "index")?;
            // Both are below 2^32: no wrap.
            return Ok(self.builder.build_int_nuw_add(index, offset, "ea")?);
        }
        let uadd = self.intrinsic("llvm.uadd.with.overflow", &[i64_ty.into()]);
        let sum = self
            .builder
            .build_call(uadd, &[index.into(), offset.into()], "ea")?
            .try_as_basic_value()
            .basic()
            .expect("uadd.with.overflow returns a value")
            .into_struct_value();
        let ea = self
            .builder
            .build_extract_value(sum, 0, "ea")?
            .into_int_value();
        let overflow = self
            .builder
            .build_extract_value(sum, 1, "ovf")?
            .into_int_value();
        self.trap_if(overflow, TrapCode::MemoryOutOfBounds)?;
        Ok(ea)
    }

    fn memory_index_value(&self, memarg: &MemArg) -> IntValue<'ctx> {
        let memory = match memarg.target {
            MemArgTarget::Memory(memory) => memory,
            // Atomic operators always name a memory.
            MemArgTarget::Array(_) => 0,
        };
        self.context()
            .i32_type()
            .const_int(u64::from(memory), false)
    }

    fn translate_atomic_notify(&mut self, memarg: &MemArg) -> Result<()> {
        let count = self.pop_int();
        let index = self.pop_int();
        let ea = self.effective_address(memarg, index)?;
        let memory = self.memory_index_value(memarg);
        let woken = self.call_builtin(
            Builtin::MemoryAtomicNotify,
            &[memory.into(), ea.into(), count.into()],
        )?;
        self.push(woken.expect("notify returns a value"));
        Ok(())
    }

    fn translate_atomic_wait(&mut self, memarg: &MemArg, wide: bool) -> Result<()> {
        let timeout = self.pop_int();
        let expected = self.pop_int();
        let index = self.pop_int();
        let ea = self.effective_address(memarg, index)?;
        let memory = self.memory_index_value(memarg);
        let builtin = if wide {
            Builtin::MemoryAtomicWait64
        } else {
            Builtin::MemoryAtomicWait32
        };
        let args = [memory.into(), ea.into(), expected.into(), timeout.into()];
        let result = self.call_builtin(builtin, &args)?;
        self.push(result.expect("wait returns a value"));
        Ok(())
    }

    fn widen(&self, value: IntValue<'ctx>, wide: IntType<'ctx>) -> Result<IntValue<'ctx>> {
        if value.get_type() == wide {
            return Ok(value);
        }
        Ok(self.builder.build_int_z_extend(value, wide, "zext")?)
    }

    fn narrow(&self, value: IntValue<'ctx>, narrow: IntType<'ctx>) -> Result<IntValue<'ctx>> {
        if value.get_type() == narrow {
            return Ok(value);
        }
        Ok(self.builder.build_int_truncate(value, narrow, "trunc")?)
    }
}

/// The read-modify-write operators other than `cmpxchg`: memarg, LLVM
/// operation, width.
fn rmw<'a>(op: &'a Operator<'_>) -> Option<(&'a MemArg, AtomicRMWBinOp, Width)> {
    use AtomicRMWBinOp as B;
    use Operator as O;
    use Width::{I32, I64};
    Some(match op {
        O::I32AtomicRmwAdd { memarg } => (memarg, B::Add, I32(32)),
        O::I64AtomicRmwAdd { memarg } => (memarg, B::Add, I64(64)),
        O::I32AtomicRmw8AddU { memarg } => (memarg, B::Add, I32(8)),
        O::I32AtomicRmw16AddU { memarg } => (memarg, B::Add, I32(16)),
        O::I64AtomicRmw8AddU { memarg } => (memarg, B::Add, I64(8)),
        O::I64AtomicRmw16AddU { memarg } => (memarg, B::Add, I64(16)),
        O::I64AtomicRmw32AddU { memarg } => (memarg, B::Add, I64(32)),
        O::I32AtomicRmwSub { memarg } => (memarg, B::Sub, I32(32)),
        O::I64AtomicRmwSub { memarg } => (memarg, B::Sub, I64(64)),
        O::I32AtomicRmw8SubU { memarg } => (memarg, B::Sub, I32(8)),
        O::I32AtomicRmw16SubU { memarg } => (memarg, B::Sub, I32(16)),
        O::I64AtomicRmw8SubU { memarg } => (memarg, B::Sub, I64(8)),
        O::I64AtomicRmw16SubU { memarg } => (memarg, B::Sub, I64(16)),
        O::I64AtomicRmw32SubU { memarg } => (memarg, B::Sub, I64(32)),
        O::I32AtomicRmwAnd { memarg } => (memarg, B::And, I32(32)),
        O::I64AtomicRmwAnd { memarg } => (memarg, B::And, I64(64)),
        O::I32AtomicRmw8AndU { memarg } => (memarg, B::And, I32(8)),
        O::I32AtomicRmw16AndU { memarg } => (memarg, B::And, I32(16)),
        O::I64AtomicRmw8AndU { memarg } => (memarg, B::And, I64(8)),
        O::I64AtomicRmw16AndU { memarg } => (memarg, B::And, I64(16)),
        O::I64AtomicRmw32AndU { memarg } => (memarg, B::And, I64(32)),
        O::I32AtomicRmwOr { memarg } => (memarg, B::Or, I32(32)),
        O::I64AtomicRmwOr { memarg } => (memarg, B::Or, I64(64)),
        O::I32AtomicRmw8OrU { memarg } => (memarg, B::Or, I32(8)),
        O::I32AtomicRmw16OrU { memarg } => (memarg, B::Or, I32(16)),
        O::I64AtomicRmw8OrU { memarg } => (memarg, B::Or, I64(8)),
        O::I64AtomicRmw16OrU { memarg } => (memarg, B::Or, I64(16)),
        O::I64AtomicRmw32OrU { memarg } => (memarg, B::Or, I64(32)),
        O::I32AtomicRmwXor { memarg } => (memarg, B::Xor, I32(32)),
        O::I64AtomicRmwXor { memarg } => (memarg, B::Xor, I64(64)),
        O::I32AtomicRmw8XorU { memarg } => (memarg, B::Xor, I32(8)),
        O::I32AtomicRmw16XorU { memarg } => (memarg, B::Xor, I32(16)),
        O::I64AtomicRmw8XorU { memarg } => (memarg, B::Xor, I64(8)),
        O::I64AtomicRmw16XorU { memarg } => (memarg, B::Xor, I64(16)),
        O::I64AtomicRmw32XorU { memarg } => (memarg, B::Xor, I64(32)),
        O::I32AtomicRmwXchg { memarg } => (memarg, B::Xchg, I32(32)),
        O::I64AtomicRmwXchg { memarg } => (memarg, B::Xchg, I64(64)),
        O::I32AtomicRmw8XchgU { memarg } => (memarg, B::Xchg, I32(8)),
        O::I32AtomicRmw16XchgU { memarg } => (memarg, B::Xchg, I32(16)),
        O::I64AtomicRmw8XchgU { memarg } => (memarg, B::Xchg, I64(8)),
        O::I64AtomicRmw16XchgU { memarg } => (memarg, B::Xchg, I64(16)),
        O::I64AtomicRmw32XchgU { memarg } => (memarg, B::Xchg, I64(32)),
        _ => return None,
    })
}
