//! Split addresses: an access at `i32.add t, b`, where `t` is invariant in
//! the innermost loop and `b` is known to lie in `[0, 64 KiB)` (a masked or
//! shifted byte, a narrow load, ...), is computed as
//! `base + f(t) + zext(b)` with `f(t) = t > MAX ? t - 2^32 : t` (64-bit),
//! instead of `base + zext(t + b)`.
//!
//! Why: `t + b` may wrap in Wasm, so without this LLVM has to compute the
//! 32-bit sum and zero-extend it on every access. With the split, `base + f(t)`
//! is loop invariant (hoisted out of the loop) and the access folds `b` into
//! its addressing mode, as native code's `table[(crc ^ byte) & 0xff]` does: a
//! table-driven CRC-32 lost one `lea` per byte to it (issue 2, `bench/run.sh`).
//!
//! Why it is exact (`MAX` = [`MEMORY32_MAX_BYTES`] = 2^32 - 64 KiB, the
//! runtime's cap on a 32-bit memory; `0 <= b < 64 KiB`; the access has a
//! static offset of 0; let `w = (t + b) mod 2^32` be the Wasm index):
//!
//! * `t <= MAX`: `t + b < MAX + 64 KiB = 2^32` does not wrap, so
//!   `f(t) + b = t + b = w`: the same address.
//! * `t > MAX` and `t + b >= 2^32` (the sum wraps): `f(t) + b = t + b - 2^32
//!   = w`: the same address.
//! * `t > MAX` and `t + b < 2^32`: `w > MAX` lies past any memory, so Wasm
//!   traps out of bounds. `f(t) + b = w - 2^32` is in `[-64 KiB, 0)`: the
//!   access starts in the 64 KiB guard the runtime keeps below every 32-bit
//!   memory's base ([`MEMORY32_GUARD_BELOW`], part of the reservation), so it
//!   faults and becomes the same `out of bounds memory access` trap.
//!
//! So every access that does not trap in Wasm reaches the same byte, and
//! every access that traps in Wasm faults. A non-zero static offset would
//! break the last case (the offset could carry the address back into the
//! memory), so such accesses are not split; atomics and SIMD accesses are not
//! split either. Where `t` is already a proven address (`address_facts`), the
//! add is `nuw` and needs nothing. The split is only made where it pays: in a
//! loop, for a `t` built from constants and locals the innermost loop never
//! assigns (the select that computes `f(t)` is then hoisted).

use inkwell::llvm_sys::prelude::LLVMValueRef;
use inkwell::values::{AsValueRef, BasicValueEnum, IntValue};
use std::collections::{HashMap, HashSet};
use tern_environ::tunables::{MEMORY32_GUARD_BELOW, MEMORY32_MAX_BYTES};
use wasmparser::{FunctionBody, Operator};

/// Largest exclusive bound of an addend `b` (the guard below the base).
const ADDEND_LIMIT: u64 = MEMORY32_GUARD_BELOW;

/// The locals each loop of a function assigns (including in nested loops),
/// by the loop's byte offset.
fn loop_assignments(body: &FunctionBody<'_>) -> wasmparser::Result<HashMap<u32, HashSet<u32>>> {
    let mut loops = HashMap::new();
    // For each open frame: its loop offset, if a loop, and what it assigns.
    let mut frames: Vec<(Option<u32>, HashSet<u32>)> = Vec::new();
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        let offset = reader.original_position() as u32;
        match reader.read()? {
            Operator::Loop { .. } => frames.push((Some(offset), HashSet::new())),
            Operator::Block { .. }
            | Operator::If { .. }
            | Operator::Try { .. }
            | Operator::TryTable { .. } => frames.push((None, HashSet::new())),
            Operator::End | Operator::Delegate { .. } => {
                if let Some((Some(at), assigned)) = frames.pop() {
                    loops.insert(at, assigned);
                }
            }
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
                for (_, assigned) in frames.iter_mut() {
                    assigned.insert(local_index);
                }
            }
            _ => {}
        }
    }
    Ok(loops)
}

/// Split-address state of one function (see the module docs).
pub(super) struct AddressSplit<'ctx> {
    /// Locals assigned by each loop, by offset.
    loops: HashMap<u32, HashSet<u32>>,
    /// For each open control frame: the loop offset, if a loop.
    frames: Vec<Option<u32>>,
    /// `i32` values invariant in the innermost open loop.
    invariant: HashSet<LLVMValueRef>,
    /// Exclusive upper bounds (unsigned) of `i32` values known to be small.
    bounds: HashMap<LLVMValueRef, u64>,
    /// Sums `t + b` worth splitting: the sum, and its `(t, b)`.
    splits: HashMap<LLVMValueRef, (IntValue<'ctx>, IntValue<'ctx>)>,
    /// Off when `TERN_NO_ADDRESS_SPLIT` is set (for A/B measurements).
    enabled: bool,
}

impl<'ctx> AddressSplit<'ctx> {
    /// The state for a function `body`.
    ///
    /// # Errors
    /// `Malformed` if the body cannot be read.
    pub(super) fn new(body: &FunctionBody<'_>) -> crate::error::Result<Self> {
        Ok(AddressSplit {
            loops: loop_assignments(body).map_err(crate::parse::malformed)?,
            frames: Vec::new(),
            invariant: HashSet::new(),
            bounds: HashMap::new(),
            splits: HashMap::new(),
            enabled: std::env::var_os("TERN_NO_ADDRESS_SPLIT").is_none(),
        })
    }

    /// The locals the innermost open loop assigns, if a loop is open.
    fn innermost_loop(&self) -> Option<&HashSet<u32>> {
        let at = self.frames.iter().rev().find_map(|f| *f)?;
        self.loops.get(&at)
    }

    /// Tracks structured control (live or dead code alike). Invariance is
    /// relative to the innermost loop, so it starts afresh at every loop
    /// boundary.
    pub(super) fn on_control(&mut self, op: &Operator<'_>, offset: u32) {
        use Operator as O;
        match op {
            O::Loop { .. } => {
                self.frames.push(Some(offset));
                self.invariant.clear();
                self.splits.clear();
            }
            O::Block { .. } | O::If { .. } | O::Try { .. } | O::TryTable { .. } => {
                self.frames.push(None)
            }
            O::End | O::Delegate { .. } => {
                if let Some(Some(_)) = self.frames.pop() {
                    self.invariant.clear();
                    self.splits.clear();
                }
            }
            _ => {}
        }
    }

    /// `local.get local` produced `value`.
    pub(super) fn on_local_get(&mut self, local: u32, value: IntValue<'_>) {
        if self
            .innermost_loop()
            .is_some_and(|assigned| !assigned.contains(&local))
        {
            self.invariant.insert(value.as_value_ref());
        }
    }

    /// The exclusive upper bound of `value`, if known to be below 2^32.
    fn bound(&self, value: IntValue<'_>) -> Option<u64> {
        if let Some(c) = value.get_zero_extended_constant() {
            return Some(c + 1);
        }
        self.bounds.get(&value.as_value_ref()).copied()
    }

    fn is_invariant(&self, value: IntValue<'_>) -> bool {
        value.is_const() || self.invariant.contains(&value.as_value_ref())
    }

    /// An `i32` operator with `operands` (the last two stack values before
    /// it, bottom first) produced `result`: learns its bound.
    pub(super) fn on_value(
        &mut self,
        op: &Operator<'_>,
        operands: &[BasicValueEnum<'ctx>],
        result: IntValue<'ctx>,
    ) {
        use Operator as O;
        let ints: Vec<IntValue<'ctx>> = operands
            .iter()
            .filter(|v| v.is_int_value())
            .map(|v| v.into_int_value())
            .collect();
        let pair = match ints[..] {
            [.., a, b] => Some((a, b)),
            _ => None,
        };
        let constant = |v: IntValue<'_>| v.get_zero_extended_constant();
        let bound = match (op, pair) {
            (O::I32Load8U { .. }, _) => Some(1 << 8),
            (O::I32Load16U { .. }, _) => Some(1 << 16),
            (O::I32And, Some((a, b))) => match (self.bound(a), self.bound(b)) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            },
            (O::I32Or | O::I32Xor, Some((a, b))) => match (self.bound(a), self.bound(b)) {
                (Some(x), Some(y)) => Some(x.max(y).next_power_of_two()),
                _ => None,
            },
            (O::I32Shl, Some((a, b))) => match (self.bound(a), constant(b)) {
                (Some(x), Some(k)) => ((x - 1) << (k & 31)).checked_add(1),
                _ => None,
            },
            (O::I32ShrU, Some((a, b))) => match (self.bound(a), constant(b)) {
                (Some(x), Some(k)) => Some(((x - 1) >> (k & 31)) + 1),
                (None, Some(k)) => Some(1 << (32 - (k & 31))),
                _ => None,
            },
            (O::I32RemU, Some((a, b))) => match (self.bound(a), constant(b)) {
                (x, Some(c)) if c > 0 => Some(x.map_or(c, |x| x.min(c))),
                (x, _) => x,
            },
            (O::I32Add, Some((a, b))) => match (self.bound(a), self.bound(b)) {
                (Some(x), Some(y)) => Some(x + y - 1),
                _ => None,
            },
            _ => None,
        };
        if let Some(bound) = bound.filter(|&b| b <= 1 << 32) {
            self.bounds.insert(result.as_value_ref(), bound);
        }
        if matches!(
            op,
            O::I32Add | O::I32Sub | O::I32Shl | O::I32And | O::I32Or | O::I32Xor
        ) && pair.is_some_and(|(a, b)| self.is_invariant(a) && self.is_invariant(b))
        {
            self.invariant.insert(result.as_value_ref());
        }
    }

    /// `lhs + rhs` (a plain, possibly wrapping `i32.add`) produced `sum`:
    /// remembers it as `t + b` if an access at it is worth splitting.
    pub(super) fn on_add(&mut self, lhs: IntValue<'ctx>, rhs: IntValue<'ctx>, sum: IntValue<'ctx>) {
        if !self.enabled || self.innermost_loop().is_none() {
            return;
        }
        let small = |v: IntValue<'_>| self.bound(v).is_some_and(|b| b <= ADDEND_LIMIT);
        let split = if self.is_invariant(lhs) && !lhs.is_const() && small(rhs) {
            Some((lhs, rhs))
        } else if self.is_invariant(rhs) && !rhs.is_const() && small(lhs) {
            Some((rhs, lhs))
        } else {
            None
        };
        if let Some((t, b)) = split {
            // `b` itself must not be invariant, or nothing is gained.
            if !self.is_invariant(b) {
                self.splits.insert(sum.as_value_ref(), (t, b));
            }
        }
    }

    /// `(t, b)` if an access at `index` should be split.
    pub(super) fn split_of(&self, index: IntValue<'_>) -> Option<(IntValue<'ctx>, IntValue<'ctx>)> {
        self.splits.get(&index.as_value_ref()).copied()
    }
}

impl<'ctx> super::func_translator::FuncTranslator<'_, '_, 'ctx> {
    /// The 64-bit offset from the memory base of an access at `t + b` (see
    /// the module docs): `(t > MAX ? sext(t) : zext(t)) + zext(b)`.
    ///
    /// # Errors
    /// LLVM builder errors.
    pub(super) fn split_offset(
        &mut self,
        t: IntValue<'ctx>,
        b: IntValue<'ctx>,
    ) -> crate::error::Result<IntValue<'ctx>> {
        let cx = self.env.context;
        let (i32_ty, i64_ty) = (cx.i32_type(), cx.i64_type());
        let high = self.builder.build_int_compare(
            inkwell::IntPredicate::UGT,
            t,
            i32_ty.const_int(MEMORY32_MAX_BYTES, false),
            "split.high",
        )?;
        // For t > MAX >= 2^31, sext(t) = t - 2^32.
        let below = self.builder.build_int_s_extend(t, i64_ty, "split.below")?;
        let plain = self.builder.build_int_z_extend(t, i64_ty, "split.t")?;
        let t64 = self
            .builder
            .build_select(high, below, plain, "split.t")?
            .into_int_value();
        let b64 = self.builder.build_int_z_extend(b, i64_ty, "split.b")?;
        Ok(self.builder.build_int_add(t64, b64, "split.offset")?)
    }
}
