//! Bitwise operators on the whole `v128` (`not`, `and`, `andnot`, `or`,
//! `xor`, `bitselect`) and the tests that reduce a vector to an `i32`
//! (`any_true`, `all_true`, `bitmask`).

use super::shape::Lane;
use super::values::{call, int_type_of, pop_vec, push_vec};
use crate::error::{CompileError, Result};
use crate::translate::ops::LoweringCx;
use inkwell::values::IntValue;
use inkwell::IntPredicate;
use wasmparser::Operator;

/// Lowers `op` if it is bitwise or a vector test; returns `Ok(false)` otherwise.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn translate<'ctx>(cx: &mut impl LoweringCx<'ctx>, op: &Operator<'_>) -> Result<bool> {
    use Lane::{I16, I32, I64, I8};
    use Operator as O;
    match *op {
        O::V128Not => {
            let a = pop_vec(cx, I64)?;
            let v = cx.builder().build_not(a, "")?;
            push_vec(cx, v)
        }
        O::V128And | O::V128AndNot | O::V128Or | O::V128Xor => binary(cx, op),
        O::V128Bitselect => {
            let c = pop_vec(cx, I64)?;
            let f = pop_vec(cx, I64)?;
            let t = pop_vec(cx, I64)?;
            let b = cx.builder();
            // (t & c) | (f & !c) as f ^ ((t ^ f) & c): both back ends see a bit select.
            let diff = b.build_xor(t, f, "")?;
            let v = b.build_xor(f, b.build_and(diff, c, "")?, "")?;
            push_vec(cx, v)
        }
        O::V128AnyTrue => {
            let any = any_lane(cx, Lane::I32, IntPredicate::NE)?;
            push_bool(cx, any)
        }
        O::I8x16AllTrue => all_true(cx, I8),
        O::I16x8AllTrue => all_true(cx, I16),
        O::I32x4AllTrue => all_true(cx, I32),
        O::I64x2AllTrue => all_true(cx, I64),
        O::I8x16Bitmask => bitmask(cx, I8),
        O::I16x8Bitmask => bitmask(cx, I16),
        O::I32x4Bitmask => bitmask(cx, I32),
        O::I64x2Bitmask => bitmask(cx, I64),
        _ => return Ok(false),
    }?;
    Ok(true)
}

/// `v128.and`, `andnot`, `or`, `xor`.
fn binary<'ctx>(cx: &mut impl LoweringCx<'ctx>, op: &Operator<'_>) -> Result<()> {
    let rhs = pop_vec(cx, Lane::I64)?;
    let lhs = pop_vec(cx, Lane::I64)?;
    let b = cx.builder();
    let v = match op {
        Operator::V128And => b.build_and(lhs, rhs, "")?,
        Operator::V128AndNot => b.build_and(lhs, b.build_not(rhs, "")?, "")?,
        Operator::V128Or => b.build_or(lhs, rhs, "")?,
        _ => b.build_xor(lhs, rhs, "")?,
    };
    push_vec(cx, v)
}

/// Pushes an `i1` as an `i32` 0 or 1.
fn push_bool<'ctx>(cx: &mut impl LoweringCx<'ctx>, value: IntValue<'ctx>) -> Result<()> {
    let wide = cx
        .builder()
        .build_int_z_extend(value, cx.context().i32_type(), "")?;
    cx.push(wide.into());
    Ok(())
}

/// `*.all_true`: 1 if no lane is zero.
fn all_true<'ctx>(cx: &mut impl LoweringCx<'ctx>, lane: Lane) -> Result<()> {
    let any_zero = any_lane(cx, lane, IntPredicate::EQ)?;
    let all = cx.builder().build_not(any_zero, "")?;
    push_bool(cx, all)
}

/// Pops a `v128` and tests whether any `lane` compares to zero by `predicate`.
/// An or-reduction of a lane mask is what both back ends select best
/// (`ptest`/`pmovmskb` on x86, `umaxv` on AArch64).
fn any_lane<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    lane: Lane,
    predicate: IntPredicate,
) -> Result<IntValue<'ctx>> {
    let a = pop_vec(cx, lane)?;
    let zero = lane.vec_type(cx).const_zero();
    let mask = cx.builder().build_int_compare(predicate, a, zero, "")?;
    let any = call(
        cx,
        "llvm.vector.reduce.or",
        &[mask.get_type().into()],
        &[mask.into()],
    )?;
    IntValue::try_from(any).map_err(|()| CompileError::Codegen("reduce.or returns no i1".into()))
}

/// `*.bitmask`: bit `i` of the result is the sign bit of lane `i`.
fn bitmask<'ctx>(cx: &mut impl LoweringCx<'ctx>, lane: Lane) -> Result<()> {
    let a = pop_vec(cx, lane)?;
    let zero = lane.vec_type(cx).const_zero();
    let negative = cx
        .builder()
        .build_int_compare(IntPredicate::SLT, a, zero, "")?;
    let bits = int_type_of(cx, lane.count())?;
    let mask = cx
        .builder()
        .build_bit_cast(negative, bits, "")?
        .into_int_value();
    let wide = cx
        .builder()
        .build_int_z_extend(mask, cx.context().i32_type(), "")?;
    cx.push(wide.into());
    Ok(())
}
