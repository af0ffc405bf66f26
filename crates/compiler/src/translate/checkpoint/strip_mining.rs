//! Strip mining of counted loops outside other loops: a poll once per chunk
//! of rounds.
//!
//! A counted loop (`loop_shapes.rs`, [`super::Counter`]) ends within 2^32
//! rounds, but 2^32 rounds can take seconds. Inside another loop that is
//! left alone (the enclosing header polls after every run of it, and strip
//! mining costs every entry of a short inner loop: strops 1.042x -> 1.143x
//! instructions, nbody 1.038x -> 1.103x); outside one, clang unrolls crc32's
//! `for (rep = 0; rep < 4; rep++)` into four back-to-back CRC loops over
//! 48 MiB, and a checkpoint requested during the first waited for all four
//! (about 0.5 s). A poll in every round costs a load and a branch per round
//! and keeps LLVM from vectorizing the loop, so the loop is split as HotSpot
//! splits its counted loops, into chunks of at most [`CHUNK_ROUNDS`] rounds:
//!
//! ```text
//! H:  (the Wasm loop's header, the migration point; entered from before
//!      the loop, from the restore block and from the poll below)
//!     limit = the bound of this chunk
//! S:  body ... i' = i ± K
//!     br (i' test limit) S, chunk_end      ; the loop's own test, on `limit`
//! chunk_end:
//!     br (i' test n) poll, fallthrough     ; the Wasm test
//! poll: interrupt? cr_poll : H
//! ```
//!
//! The inner loop `S` tests the counter against `limit` instead of `n`, so
//! it costs nothing per round and stays a loop LLVM vectorizes. `limit` is
//! never looser than `n`: `i' test limit` implies `i' test n`, so `S` never
//! goes round when Wasm would not, and when `S` stops early the Wasm test
//! decides, exactly as the original back edge. With `end = i_H ± K·CHUNK`
//! (`i_H` the counter at `H`):
//!
//! * an order test (`lt`, `le`, `gt`, `ge`, signed or not) takes the
//!   tighter of `n` and `end` in its order (`min` for `lt`/`le`, `max` for
//!   `gt`/`ge`), `end` computed with saturation in the test's signedness
//!   (a step local: `K << 16` and the sum saturate as signed numbers). When
//!   the counter moves towards `n`, `S` stops after at most `CHUNK` rounds;
//!   when `end` saturates, fewer than `CHUNK` rounds are left before the
//!   end of the counter's range and `limit` is `n`. A counter moving away
//!   from `n` (a loop that runs until its counter wraps) makes `limit` stop
//!   `S` at once, and such a loop polls every round: correct, and slow only
//!   in loops no compiler emits.
//! * `ne` with a constant step: with `d` the distance `n - i_H` (`i_H - n`
//!   when the counter counts down), `limit = n` when `0 < d ≤ |K|·CHUNK`
//!   (the loop ends within the chunk) and `end` otherwise. The counter then
//!   passes `i_H ± K, ..., end` and meets `n` on none of them before `end`
//!   (that would mean `d = j·|K| < |K|·CHUNK`), so `S` stops at `end`,
//!   after `CHUNK` rounds, and the Wasm test goes on. `ne` with a step local
//!   is not strip-mined (its sign is unknown); it keeps the plain 2^32 bound.
//!
//! The poll is on the edge back to `H` only, not at `H`, so entering a
//! short loop costs only the `limit` computation. It captures the frame
//! with the values that edge passes, which is the header's state, and a
//! restore enters `H`, which computes `limit` again. No point is inside `S`
//! (the loop has no calls), so nothing else enters it.

use super::{Counter, CounterBound, CounterStep, CounterTest};
use crate::error::Result;
use crate::translate::control::phi_values;
use crate::translate::func_translator::FuncTranslator;
use crate::translate::ops::LoweringCx;
use inkwell::basic_block::BasicBlock;
use inkwell::values::{BasicValueEnum, IntValue, PhiValue};
use inkwell::IntPredicate;

/// Rounds of a counted loop between two polls at its header.
pub const CHUNK_ROUNDS: u32 = 1 << 16;

/// A strip-mined loop, from its inner header on.
#[derive(Clone)]
pub struct StripMine<'ctx> {
    /// The Wasm loop's header, which polls.
    pub outer: BasicBlock<'ctx>,
    /// Its phis (carried values, then the loop's parameters).
    pub outer_phis: Vec<PhiValue<'ctx>>,
    /// The counter local.
    pub counter: u32,
    /// The test going round again.
    pub test: CounterTest,
    /// The chunk's bound.
    pub limit: IntValue<'ctx>,
    /// The loop's position (its migration point).
    pub position: u32,
}

/// The inner loop of a strip-mined loop, as its header starts it.
pub struct StripStart<'ctx> {
    /// The inner header.
    pub inner: BasicBlock<'ctx>,
    /// Its phis, like the Wasm header's.
    pub inner_phis: Vec<PhiValue<'ctx>>,
    /// The block that enters it from the Wasm header.
    pub preheader: Option<BasicBlock<'ctx>>,
    /// What the back edge needs.
    pub strip: StripMine<'ctx>,
}

impl<'ctx> FuncTranslator<'_, '_, 'ctx> {
    /// The header `header` (with `phis`) of the strip-mined loop at
    /// `position`, the builder at its start: registers the point, computes
    /// the chunk's limit and starts the inner loop. Returns the inner
    /// header and its phis, with the builder in it, the block before it,
    /// and the strip for the back edge.
    pub(in crate::translate) fn translate_strip_header(
        &mut self,
        position: u32,
        counter: Counter,
        header: BasicBlock<'ctx>,
        phis: &[PhiValue<'ctx>],
    ) -> Result<StripStart<'ctx>> {
        let body = self.builder.get_insert_block();
        let restore = self.loop_restore_block(position, header, phis)?;
        self.register_loop_point(position, restore);
        if let Some(body) = body {
            self.builder.position_at_end(body);
        }
        let limit = self.chunk_limit(&counter)?;
        let (inner, inner_phis) = self.block_with_phis_like("cr_strip", phis)?;
        let args = phi_values(phis);
        let preheader = self.builder.get_insert_block();
        self.branch_with(inner, &inner_phis, &args)?;
        self.builder.position_at_end(inner);
        let strip = StripMine {
            outer: header,
            outer_phis: phis.to_vec(),
            counter: counter.local,
            test: counter.test,
            limit,
            position,
        };
        Ok(StripStart {
            inner,
            inner_phis,
            preheader,
            strip,
        })
    }

    /// The bound of the chunk starting at the builder, for the counter's
    /// own test (see the module docs).
    fn chunk_limit(&mut self, counter: &Counter) -> Result<IntValue<'ctx>> {
        let i32_ty = self.context().i32_type();
        let start = self.load_i32_local(counter.local)?;
        let n = match counter.bound {
            CounterBound::Const(n) => i32_ty.const_int(u64::from(n as u32), false),
            CounterBound::Local(local) => self.load_i32_local(local)?,
        };
        // (`i != 0` counting down is `i >u 0`, an order test, but measured
        // it costs a compare per round where `sub` sets the zero flag:
        // crc32 +16% instructions.)
        let test = counter.test;
        let signed = matches!(
            test,
            CounterTest::LtS | CounterTest::LeS | CounterTest::GtS | CounterTest::GeS
        );
        // The chunk's end, saturated: near the end of the counter's range
        // fewer than CHUNK_ROUNDS rounds are left, and `limit` is then `n`.
        let (chunk, down, end) = match counter.step {
            CounterStep::Const(k) => {
                let span = u64::from(k.unsigned_abs()) * u64::from(CHUNK_ROUNDS);
                let down = counter.subtracts != (k < 0);
                let saturating = match (signed, down) {
                    (true, false) => "llvm.sadd.sat",
                    (true, true) => "llvm.ssub.sat",
                    (false, false) => "llvm.uadd.sat",
                    (false, true) => "llvm.usub.sat",
                };
                let chunk = i32_ty.const_int(span, false);
                (
                    chunk,
                    down,
                    self.call_i32_intrinsic(saturating, start, chunk)?,
                )
            }
            CounterStep::Local(local) => {
                // Its sign is unknown: `K << 16` and the sum saturate as
                // signed numbers. A saturated end only ends a chunk early.
                let k = self.load_i32_local(local)?;
                let shift = i32_ty.const_int(u64::from(CHUNK_ROUNDS.trailing_zeros()), false);
                let chunk = self.call_i32_intrinsic("llvm.sshl.sat", k, shift)?;
                let move_by = if counter.subtracts {
                    "llvm.ssub.sat"
                } else {
                    "llvm.sadd.sat"
                };
                (
                    chunk,
                    false,
                    self.call_i32_intrinsic(move_by, start, chunk)?,
                )
            }
        };
        let b = &self.builder;
        let tighter = match test {
            CounterTest::LtS | CounterTest::LeS => Some(IntPredicate::SLT),
            CounterTest::LtU | CounterTest::LeU => Some(IntPredicate::ULT),
            CounterTest::GtS | CounterTest::GeS => Some(IntPredicate::SGT),
            CounterTest::GtU | CounterTest::GeU => Some(IntPredicate::UGT),
            CounterTest::Ne => None,
        };
        if let Some(pred) = tighter {
            // min (lt, le) or max (gt, ge) in the test's order.
            let end_first = b.build_int_compare(pred, end, n, "strip.tighter")?;
            let limit = b.build_select(end_first, end, n, "strip.limit")?;
            return Ok(limit.into_int_value());
        }
        // `ne` with a constant step (`Counter::strip_minable`): `n` when the
        // loop ends within the chunk, else the chunk's end (exact, wrapping).
        if !matches!(counter.step, CounterStep::Const(_)) {
            return Err(crate::error::CompileError::Codegen(
                "strip mining an `ne` loop with a step local".into(),
            ));
        }
        let (d, end) = if down {
            (
                b.build_int_sub(start, n, "strip.distance")?,
                b.build_int_sub(start, chunk, "strip.end")?,
            )
        } else {
            (
                b.build_int_sub(n, start, "strip.distance")?,
                b.build_int_add(start, chunk, "strip.end")?,
            )
        };
        let one = i32_ty.const_int(1, false);
        let d1 = b.build_int_sub(d, one, "strip.distance1")?;
        let within = b.build_int_compare(IntPredicate::ULT, d1, chunk, "strip.within")?;
        Ok(b.build_select(within, n, end, "strip.limit")?
            .into_int_value())
    }

    /// `name(a, b)` for a two-operand `i32` intrinsic.
    fn call_i32_intrinsic(
        &self,
        name: &str,
        a: IntValue<'ctx>,
        b: IntValue<'ctx>,
    ) -> Result<IntValue<'ctx>> {
        let i32_ty = self.context().i32_type();
        let function = self.intrinsic(name, &[i32_ty.into()]);
        self.builder
            .build_call(function, &[a.into(), b.into()], "strip.sat")?
            .try_as_basic_value()
            .basic()
            .map(|v| v.into_int_value())
            .ok_or_else(|| crate::error::CompileError::Codegen(format!("{name} returned no value")))
    }

    fn load_i32_local(&self, local: u32) -> Result<IntValue<'ctx>> {
        let slot = self.locals[local as usize].slot;
        Ok(self
            .builder
            .build_load(self.context().i32_type(), slot, "strip.local")?
            .into_int_value())
    }

    /// The back edge `br_if` of a strip-mined loop: `cond` is its Wasm
    /// condition, `inner` and `inner_phis` the inner header, `args` the
    /// branch's values. Goes round the inner loop until the chunk's limit,
    /// then polls and enters the loop's header while the Wasm test holds;
    /// leaves the builder on the fallthrough.
    pub(in crate::translate) fn translate_strip_back_edge(
        &mut self,
        strip: &StripMine<'ctx>,
        cond: IntValue<'ctx>,
        inner: BasicBlock<'ctx>,
        inner_phis: &[PhiValue<'ctx>],
        args: &[BasicValueEnum<'ctx>],
    ) -> Result<()> {
        let counter = self.load_i32_local(strip.counter)?;
        let pred = match strip.test {
            CounterTest::Ne => IntPredicate::NE,
            CounterTest::LtS => IntPredicate::SLT,
            CounterTest::LtU => IntPredicate::ULT,
            CounterTest::LeS => IntPredicate::SLE,
            CounterTest::LeU => IntPredicate::ULE,
            CounterTest::GtS => IntPredicate::SGT,
            CounterTest::GtU => IntPredicate::UGT,
            CounterTest::GeS => IntPredicate::SGE,
            CounterTest::GeU => IntPredicate::UGE,
        };
        let again = self
            .builder
            .build_int_compare(pred, counter, strip.limit, "strip.again")?;
        self.add_incoming(inner_phis, args);
        let chunk_end = self.new_block("cr_strip_end");
        let cont = self.new_block("br_if_cont");
        self.builder
            .build_conditional_branch(again, inner, chunk_end)?;
        self.builder.position_at_end(chunk_end);
        let poll = self.new_block("cr_strip_poll");
        self.builder.build_conditional_branch(cond, poll, cont)?;
        // The poll on the edge back to the header (see the module docs).
        let enter = self.new_block("cr_strip_next");
        self.builder.position_at_end(poll);
        self.emit_loop_poll(strip.position, args, enter)?;
        self.builder.position_at_end(enter);
        self.branch_with(strip.outer, &strip.outer_phis, args)?;
        self.builder.position_at_end(cont);
        Ok(())
    }
}
