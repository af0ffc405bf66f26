//! Integer operators whose result lanes are twice or half as wide as their
//! operand lanes: `extend_low/high`, `extmul_low/high`, `extadd_pairwise`,
//! `i32x4.dot_i16x8_s` and the saturating `narrow`s.
//!
//! Each is written as the plain widened arithmetic (extend, compute, pick
//! lanes with shuffles) that the back ends match to `pmovsx`/`pmaddwd`/
//! `packss` on x86 and `sshll`/`smull`/`addp`/`sqxtn` on AArch64.

use super::shape::Lane;
use super::values::{
    call_same, concat, const_splat, extend, half, int_type_of, pop_vec, push_vec, shuffle,
};
use crate::error::Result;
use crate::translate::ops::LoweringCx;
use inkwell::values::VectorValue;
use wasmparser::Operator;

/// Lowers `op` if it widens or narrows; returns `Ok(false)` otherwise.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn translate<'ctx>(cx: &mut impl LoweringCx<'ctx>, op: &Operator<'_>) -> Result<bool> {
    use Lane::{I16, I32, I8};
    use Operator as O;
    match op {
        O::I16x8ExtendLowI8x16S => extend_half(cx, I8, false, true),
        O::I16x8ExtendHighI8x16S => extend_half(cx, I8, true, true),
        O::I16x8ExtendLowI8x16U => extend_half(cx, I8, false, false),
        O::I16x8ExtendHighI8x16U => extend_half(cx, I8, true, false),
        O::I32x4ExtendLowI16x8S => extend_half(cx, I16, false, true),
        O::I32x4ExtendHighI16x8S => extend_half(cx, I16, true, true),
        O::I32x4ExtendLowI16x8U => extend_half(cx, I16, false, false),
        O::I32x4ExtendHighI16x8U => extend_half(cx, I16, true, false),
        O::I64x2ExtendLowI32x4S => extend_half(cx, I32, false, true),
        O::I64x2ExtendHighI32x4S => extend_half(cx, I32, true, true),
        O::I64x2ExtendLowI32x4U => extend_half(cx, I32, false, false),
        O::I64x2ExtendHighI32x4U => extend_half(cx, I32, true, false),
        O::I16x8ExtMulLowI8x16S => extmul(cx, I8, false, true),
        O::I16x8ExtMulHighI8x16S => extmul(cx, I8, true, true),
        O::I16x8ExtMulLowI8x16U => extmul(cx, I8, false, false),
        O::I16x8ExtMulHighI8x16U => extmul(cx, I8, true, false),
        O::I32x4ExtMulLowI16x8S => extmul(cx, I16, false, true),
        O::I32x4ExtMulHighI16x8S => extmul(cx, I16, true, true),
        O::I32x4ExtMulLowI16x8U => extmul(cx, I16, false, false),
        O::I32x4ExtMulHighI16x8U => extmul(cx, I16, true, false),
        O::I64x2ExtMulLowI32x4S => extmul(cx, I32, false, true),
        O::I64x2ExtMulHighI32x4S => extmul(cx, I32, true, true),
        O::I64x2ExtMulLowI32x4U => extmul(cx, I32, false, false),
        O::I64x2ExtMulHighI32x4U => extmul(cx, I32, true, false),
        O::I16x8ExtAddPairwiseI8x16S => extadd_pairwise(cx, I8, true),
        O::I16x8ExtAddPairwiseI8x16U => extadd_pairwise(cx, I8, false),
        O::I32x4ExtAddPairwiseI16x8S => extadd_pairwise(cx, I16, true),
        O::I32x4ExtAddPairwiseI16x8U => extadd_pairwise(cx, I16, false),
        O::I32x4DotI16x8S => {
            let rhs = pop_vec(cx, I16)?;
            let lhs = pop_vec(cx, I16)?;
            let wide = I32.vec_type_of(cx, 8);
            let (lhs, rhs) = (extend(cx, lhs, wide, true)?, extend(cx, rhs, wide, true)?);
            let products = cx.builder().build_int_mul(lhs, rhs, "")?;
            let v = add_pairs(cx, products)?;
            push_vec(cx, v)
        }
        O::I8x16NarrowI16x8S => narrow(cx, I16, true),
        O::I8x16NarrowI16x8U => narrow(cx, I16, false),
        O::I16x8NarrowI32x4S => narrow(cx, I32, true),
        O::I16x8NarrowI32x4U => narrow(cx, I32, false),
        _ => return Ok(false),
    }?;
    Ok(true)
}

/// The low or high half of the `lane`s of `v`, extended to twice the width.
fn widen_half<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    v: VectorValue<'ctx>,
    lane: Lane,
    high: bool,
    signed: bool,
) -> Result<VectorValue<'ctx>> {
    let part = half(cx, v, high)?;
    extend(cx, part, lane.widened().vec_type(cx), signed)
}

/// `*.extend_low/high_*`.
fn extend_half<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    lane: Lane,
    high: bool,
    signed: bool,
) -> Result<()> {
    let a = pop_vec(cx, lane)?;
    let v = widen_half(cx, a, lane, high, signed)?;
    push_vec(cx, v)
}

/// `*.extmul_low/high_*`: the widened halves multiplied.
fn extmul<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    lane: Lane,
    high: bool,
    signed: bool,
) -> Result<()> {
    let rhs = pop_vec(cx, lane)?;
    let lhs = pop_vec(cx, lane)?;
    let lhs = widen_half(cx, lhs, lane, high, signed)?;
    let rhs = widen_half(cx, rhs, lane, high, signed)?;
    let v = cx.builder().build_int_mul(lhs, rhs, "")?;
    push_vec(cx, v)
}

/// `*.extadd_pairwise_*`: adjacent lanes widened and summed.
fn extadd_pairwise<'ctx>(cx: &mut impl LoweringCx<'ctx>, lane: Lane, signed: bool) -> Result<()> {
    let a = pop_vec(cx, lane)?;
    let wide = extend(cx, a, lane.widened().vec_type_of(cx, lane.count()), signed)?;
    let v = add_pairs(cx, wide)?;
    push_vec(cx, v)
}

/// Lane `i` of the result is lane `2i` plus lane `2i + 1` of `v`.
fn add_pairs<'ctx>(cx: &impl LoweringCx<'ctx>, v: VectorValue<'ctx>) -> Result<VectorValue<'ctx>> {
    let n = v.get_type().get_size() / 2;
    let poison = v.get_type().get_poison();
    let even = shuffle(cx, v, poison, (0..n).map(|i| 2 * i))?;
    let odd = shuffle(cx, v, poison, (0..n).map(|i| 2 * i + 1))?;
    Ok(cx.builder().build_int_add(even, odd, "")?)
}

/// `*.narrow_*_s/u`: the lanes of both operands (first, then second), each
/// saturated to the signed or unsigned half-width range.
fn narrow<'ctx>(cx: &mut impl LoweringCx<'ctx>, lane: Lane, signed: bool) -> Result<()> {
    let rhs = pop_vec(cx, lane)?;
    let lhs = pop_vec(cx, lane)?;
    let both = concat(cx, lhs, rhs)?;
    let ty = both.get_type();
    let half_bits = lane.bits() / 2;
    let (low, high) = if signed {
        let max = (1u64 << (half_bits - 1)) - 1;
        ((!max), max)
    } else {
        (0, (1u64 << half_bits) - 1)
    };
    let clamped = call_same(cx, "llvm.smax", &[both, const_splat(ty, low)])?;
    let clamped = call_same(cx, "llvm.smin", &[clamped, const_splat(ty, high)])?;
    let narrow = int_type_of(cx, half_bits)?.vec_type(ty.get_size());
    let v = cx.builder().build_int_truncate(clamped, narrow, "")?;
    push_vec(cx, v)
}
