//! Look-back: a load at `x + c` (a plain `i32.add` with a constant
//! `0 < c < 64 KiB` that the address facts could not make `nuw`) is
//! re-addressed as `base + zext(x) + c` when an access at `x` itself follows
//! in the same straight-line code with nothing observable in between.
//!
//! Why: clang's unrolled byte loops read `buf[i + 1]` before `buf[i]`
//! (crc32's inner loop), so when `i + 1` is computed nothing is known about
//! `i`, the add may wrap, and every iteration paid a `mov` to zero-extend the
//! 32-bit sum instead of addressing `1(%base,%i)` off the 64-bit index.
//!
//! Why it is sound: the two addresses differ only when `x + c` wraps, that is
//! when `x >= 2^32 - c > 2^32 - 64 KiB`. Such an `x` lies past any 32-bit
//! memory (the runtime caps them at
//! [`tern_environ::tunables::MEMORY32_MAX_BYTES`]), so the later access at
//! `x` traps out of bounds, whatever its offset and size. In that case Wasm
//! loads from the wrapped address (a load has no effect), runs the operators
//! in between, then traps at `x`; the re-addressed load (at `base + x + c`,
//! at least 4 GiB - 64 KiB past the base and inside the 8 GiB reservation)
//! faults instead, with the same `out of bounds memory access` trap. Nothing
//! between the two can tell them apart, because only operators that neither
//! have effects nor trap in another way may come between: locals, constants,
//! non-trapping arithmetic and comparisons, `select`, `drop`, `global.get`
//! and plain loads (which trap, if at all, with the same trap). Any other
//! operator (a store, a call, a branch or any control, a division, an atomic,
//! ...) drops the pending loads. The later access must be a plain load or
//! store of a 32-bit memory at the same value `x` (the same SSA value, or
//! the same local read again with no assignment in between); a store at `x`
//! traps before writing anything.
//!
//! Only loads are re-addressed (a store at the wrapped address would have
//! changed memory before the trap), and only with `c + offset < 64 KiB`, so
//! the faulting address stays inside the reservation.

use super::operator_classes::{is_pure_integer, scalar_load_memarg};
use inkwell::llvm_sys::core::LLVMSetOperand;
use inkwell::llvm_sys::prelude::LLVMValueRef;
use inkwell::values::{AsValueRef, InstructionValue, IntValue, PointerValue};
use std::collections::HashMap;
use wasmparser::Operator;

/// Largest (exclusive) `c + offset` re-addressed.
const LIMIT: u64 = 64 << 10;

/// A load that may be re-addressed.
struct Pending<'ctx> {
    load: InstructionValue<'ctx>,
    base: PointerValue<'ctx>,
    x: IntValue<'ctx>,
    /// The locals holding `x`, with their generation, when it was read.
    holders: Vec<(u32, u32)>,
    /// `c + offset`.
    add: u64,
}

/// Look-back state of one function (see the module docs).
pub(super) struct AddressLookback<'ctx> {
    /// Plain sums `x + c` with `0 < c < 64 KiB`: `(x, c)`.
    sums: HashMap<LLVMValueRef, (IntValue<'ctx>, u64)>,
    /// For each value read from or written to locals: those locals, with
    /// their generation at that moment.
    holders: HashMap<LLVMValueRef, Vec<(u32, u32)>>,
    /// Assignments so far, per local.
    generations: HashMap<u32, u32>,
    pending: Vec<Pending<'ctx>>,
    /// The base, index and offset of the plain access being built.
    last: Option<(PointerValue<'ctx>, IntValue<'ctx>, u64)>,
    /// Off with `TERN_NO_ADDRESS_LOOKBACK` set (A/B measurements).
    enabled: bool,
}

impl Default for AddressLookback<'_> {
    fn default() -> Self {
        AddressLookback {
            sums: HashMap::new(),
            holders: HashMap::new(),
            generations: HashMap::new(),
            pending: Vec::new(),
            last: None,
            enabled: std::env::var_os("TERN_NO_ADDRESS_LOOKBACK").is_none(),
        }
    }
}

/// Whether `op` may come between a pending load and the access that
/// resolves it: no effect, and no trap other than out of bounds.
fn transparent(op: &Operator<'_>) -> bool {
    use Operator as O;
    matches!(
        op,
        O::LocalGet { .. }
            | O::LocalSet { .. }
            | O::LocalTee { .. }
            | O::GlobalGet { .. }
            | O::I32Const { .. }
            | O::I64Const { .. }
            | O::F32Const { .. }
            | O::F64Const { .. }
            | O::Drop
            | O::Select
            | O::TypedSelect { .. }
    ) || scalar_load_memarg(op).is_some()
        || is_pure_integer(op)
}

/// Plain stores: they may resolve pending loads (a store at `x` traps
/// before writing), and drop them afterwards.
fn plain_store(op: &Operator<'_>) -> bool {
    use Operator as O;
    matches!(
        op,
        O::I32Store { .. }
            | O::I64Store { .. }
            | O::F32Store { .. }
            | O::F64Store { .. }
            | O::I32Store8 { .. }
            | O::I32Store16 { .. }
            | O::I64Store8 { .. }
            | O::I64Store16 { .. }
            | O::I64Store32 { .. }
    )
}

impl<'ctx> AddressLookback<'ctx> {
    /// Before `op` is translated: drops the pending loads unless `op` is
    /// transparent (or a plain store, which drops them after itself).
    pub(super) fn before(&mut self, op: &Operator<'_>) {
        if !transparent(op) && !plain_store(op) {
            self.pending.clear();
        }
    }

    /// After `op` was translated.
    pub(super) fn after(&mut self, op: &Operator<'_>) {
        if plain_store(op) {
            self.pending.clear();
        }
    }

    fn generation(&self, local: u32) -> u32 {
        self.generations.get(&local).copied().unwrap_or(0)
    }

    /// `local.get local` produced `value`.
    pub(super) fn on_local_get(&mut self, local: u32, value: IntValue<'_>) {
        let generation = self.generation(local);
        self.holders
            .entry(value.as_value_ref())
            .or_default()
            .push((local, generation));
    }

    /// `local.set local` (or `local.tee`) stored `value`.
    pub(super) fn on_local_set(&mut self, local: u32, value: IntValue<'_>) {
        let generation = self.generations.entry(local).or_insert(0);
        *generation += 1;
        let generation = *generation;
        self.holders
            .entry(value.as_value_ref())
            .or_default()
            .push((local, generation));
    }

    /// A plain (possibly wrapping) `lhs + rhs` produced `sum`.
    pub(super) fn on_add(&mut self, lhs: IntValue<'ctx>, rhs: IntValue<'ctx>, sum: IntValue<'ctx>) {
        let small = |v: IntValue<'_>| {
            v.get_zero_extended_constant()
                .filter(|&c| c > 0 && c < LIMIT)
        };
        let entry = match (small(lhs), small(rhs)) {
            (None, Some(c)) => Some((lhs, c)),
            (Some(c), None) => Some((rhs, c)),
            _ => None,
        };
        if let Some(entry) = entry {
            self.sums.insert(sum.as_value_ref(), entry);
        }
    }

    /// The plain 32-bit access being built uses `base`, `index` and a static
    /// `offset` (set by the address computation, taken by the load).
    pub(super) fn set_last(
        &mut self,
        base: PointerValue<'ctx>,
        index: IntValue<'ctx>,
        offset: u64,
    ) {
        self.last = Some((base, index, offset));
    }

    /// Forgets the last access's address (at every plain access).
    pub(super) fn clear_last(&mut self) {
        self.last = None;
    }

    /// Whether the locals holding `x` when it was read still hold it (none
    /// assigned since), and `value` was read from one of them since.
    fn same_value(&self, pending: &Pending<'_>, value: IntValue<'_>) -> bool {
        if pending.x == value {
            return true;
        }
        let Some(now) = self.holders.get(&value.as_value_ref()) else {
            return false;
        };
        now.iter().any(|&(local, generation)| {
            generation == self.generation(local) && pending.holders.contains(&(local, generation))
        })
    }
}

impl<'ctx> super::func_translator::FuncTranslator<'_, '_, 'ctx> {
    /// A plain load `load` was built at the last access's address: if its
    /// index is a plain `x + c`, it becomes pending.
    pub(super) fn lookback_on_load(&mut self, load: InstructionValue<'ctx>) {
        let state = &mut self.address_lookback;
        let Some((base, index, offset)) = state.last.take() else {
            return;
        };
        if !state.enabled {
            return;
        }
        let Some(&(x, c)) = state.sums.get(&index.as_value_ref()) else {
            return;
        };
        let add = c + offset;
        if add >= LIMIT {
            return;
        }
        let holders = state
            .holders
            .get(&x.as_value_ref())
            .cloned()
            .unwrap_or_default();
        state.pending.push(Pending {
            load,
            base,
            x,
            holders,
            add,
        });
    }

    /// A plain access at `index` (of a 32-bit memory) is being built:
    /// re-addresses the pending loads at `index + c` (see the module docs).
    ///
    /// # Errors
    /// LLVM builder errors.
    pub(super) fn lookback_on_access(&mut self, index: IntValue<'ctx>) -> crate::error::Result<()> {
        let state = &mut self.address_lookback;
        if state.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut state.pending);
        let (resolved, kept): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .partition(|p| self.address_lookback.same_value(p, index));
        self.address_lookback.pending = kept;
        let cx = self.env.context;
        for p in resolved {
            let builder = cx.create_builder();
            builder.position_before(&p.load);
            let x = builder.build_int_z_extend(p.x, cx.i64_type(), "lookback.index")?;
            let add = cx.i64_type().const_int(p.add, false);
            let offset = builder.build_int_nuw_add(x, add, "lookback.offset")?;
            // SAFETY: the offset is below 2^32 + 64 KiB, inside the
            // memory's reservation (as for every access).
            let addr =
                unsafe { builder.build_in_bounds_gep(cx.i8_type(), p.base, &[offset], "addr")? };
            // SAFETY: operand 0 of a load is its address; `addr` dominates
            // the load (built right before it) and has the same type.
            unsafe { LLVMSetOperand(p.load.as_value_ref(), 0, addr.as_value_ref()) };
        }
        Ok(())
    }
}
