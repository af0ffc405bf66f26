//! Lane-wise integer arithmetic that keeps the lane width: add, sub, mul,
//! saturating add/sub, min/max, `avgr_u`, abs, neg, popcnt, shifts and
//! `i16x8.q15mulr_sat_s`. Widening and narrowing operators live in
//! [`super::widen`].

use super::shape::{lane_of, Lane};
use super::target::{arch, Arch};
use super::values::{
    call, call_same, const_splat, extend, pop_int, pop_vec, push_vec, splat, vector,
};
use crate::error::Result;
use crate::translate::ops::LoweringCx;
use inkwell::values::VectorValue;
use inkwell::IntPredicate;
use wasmparser::Operator;

/// A lane-wise integer operation.
#[derive(Clone, Copy)]
enum Op {
    /// `add`.
    Add,
    /// `sub`.
    Sub,
    /// `mul`.
    Mul,
    /// A binary LLVM intrinsic (saturating arithmetic, min/max).
    Call(&'static str),
    /// `avgr_u`: `(a + b + 1) / 2` without overflow.
    AvgrU,
    /// `abs` (of `INT_MIN` is `INT_MIN`).
    Abs,
    /// `neg`.
    Neg,
    /// `popcnt`.
    Popcnt,
    /// `shl`.
    Shl,
    /// `shr_s`.
    ShrS,
    /// `shr_u`.
    ShrU,
}

/// Lowers `op` if it is same-width integer arithmetic; returns `Ok(false)` otherwise.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn translate<'ctx>(cx: &mut impl LoweringCx<'ctx>, op: &Operator<'_>) -> Result<bool> {
    if let Operator::I16x8Q15MulrSatS = op {
        q15mulr_sat_s(cx)?;
        return Ok(true);
    }
    let (Some(op), Some(lane)) = (classify(op), lane_of(op)) else {
        return Ok(false);
    };
    let v = match op {
        Op::Abs | Op::Neg | Op::Popcnt => {
            let a = pop_vec(cx, lane)?;
            unary(cx, op, a)?
        }
        Op::Shl | Op::ShrS | Op::ShrU => shift(cx, op, lane)?,
        _ => {
            let rhs = pop_vec(cx, lane)?;
            let lhs = pop_vec(cx, lane)?;
            binary(cx, op, lane, lhs, rhs)?
        }
    };
    push_vec(cx, v)?;
    Ok(true)
}

/// The operation of `op`, if it is one of this file's.
fn classify(op: &Operator<'_>) -> Option<Op> {
    use Op::{Abs, Add, AvgrU, Call, Mul, Neg, Popcnt, Shl, ShrS, ShrU, Sub};
    use Operator as O;
    Some(match op {
        O::I8x16Abs | O::I16x8Abs | O::I32x4Abs | O::I64x2Abs => Abs,
        O::I8x16Neg | O::I16x8Neg | O::I32x4Neg | O::I64x2Neg => Neg,
        O::I8x16Popcnt => Popcnt,
        O::I8x16Shl | O::I16x8Shl | O::I32x4Shl | O::I64x2Shl => Shl,
        O::I8x16ShrS | O::I16x8ShrS | O::I32x4ShrS | O::I64x2ShrS => ShrS,
        O::I8x16ShrU | O::I16x8ShrU | O::I32x4ShrU | O::I64x2ShrU => ShrU,
        O::I8x16Add | O::I16x8Add | O::I32x4Add | O::I64x2Add => Add,
        O::I8x16AddSatS | O::I16x8AddSatS => Call("llvm.sadd.sat"),
        O::I8x16AddSatU | O::I16x8AddSatU => Call("llvm.uadd.sat"),
        O::I8x16Sub | O::I16x8Sub | O::I32x4Sub | O::I64x2Sub => Sub,
        O::I8x16SubSatS | O::I16x8SubSatS => Call("llvm.ssub.sat"),
        O::I8x16SubSatU | O::I16x8SubSatU => Call("llvm.usub.sat"),
        O::I8x16MinS | O::I16x8MinS | O::I32x4MinS => Call("llvm.smin"),
        O::I8x16MinU | O::I16x8MinU | O::I32x4MinU => Call("llvm.umin"),
        O::I8x16MaxS | O::I16x8MaxS | O::I32x4MaxS => Call("llvm.smax"),
        O::I8x16MaxU | O::I16x8MaxU | O::I32x4MaxU => Call("llvm.umax"),
        O::I8x16AvgrU | O::I16x8AvgrU => AvgrU,
        O::I16x8Mul | O::I32x4Mul | O::I64x2Mul => Mul,
        _ => return None,
    })
}

/// `abs`, `neg`, `popcnt`.
fn unary<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    op: Op,
    a: VectorValue<'ctx>,
) -> Result<VectorValue<'ctx>> {
    let b = cx.builder();
    match op {
        Op::Neg => Ok(b.build_int_neg(a, "")?),
        Op::Popcnt => call_same(cx, "llvm.ctpop", &[a]),
        _ => {
            let poison_on_min = cx.context().bool_type().const_zero();
            let ty = a.get_type().into();
            vector(call(
                cx,
                "llvm.abs",
                &[ty],
                &[a.into(), poison_on_min.into()],
            )?)
        }
    }
}

/// Binary operations that keep the lane width.
fn binary<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    op: Op,
    lane: Lane,
    lhs: VectorValue<'ctx>,
    rhs: VectorValue<'ctx>,
) -> Result<VectorValue<'ctx>> {
    let b = cx.builder();
    match op {
        Op::Add => Ok(b.build_int_add(lhs, rhs, "")?),
        Op::Sub => Ok(b.build_int_sub(lhs, rhs, "")?),
        Op::Mul => Ok(b.build_int_mul(lhs, rhs, "")?),
        Op::Call(name) => call_same(cx, name, &[lhs, rhs]),
        _ => {
            // Widened, (a + b + 1) >> 1 is what both back ends match to pavg/urhadd.
            let wide = lane.widened().vec_type_of(cx, lane.count());
            let sum = b.build_int_add(
                extend(cx, lhs, wide, false)?,
                extend(cx, rhs, wide, false)?,
                "",
            )?;
            let one = const_splat(wide, 1);
            let avg = b.build_right_shift(b.build_int_add(sum, one, "")?, one, false, "")?;
            Ok(b.build_int_truncate(avg, lane.vec_type(cx), "")?)
        }
    }
}

/// `shl`, `shr_s`, `shr_u`: the `i32` count is taken modulo the lane width.
fn shift<'ctx>(cx: &mut impl LoweringCx<'ctx>, op: Op, lane: Lane) -> Result<VectorValue<'ctx>> {
    let count = pop_int(cx)?;
    let a = pop_vec(cx, lane)?;
    let b = cx.builder();
    let count = b.build_and(
        count,
        count
            .get_type()
            .const_int(u64::from(lane.bits() - 1), false),
        "",
    )?;
    let count = b.build_int_cast_sign_flag(count, lane.int_type(cx), false, "")?;
    let count = splat(cx, count, lane.count())?;
    Ok(match op {
        Op::Shl => b.build_left_shift(a, count, "")?,
        _ => b.build_right_shift(a, count, matches!(op, Op::ShrS), "")?,
    })
}

/// `i16x8.q15mulr_sat_s`: `sat16((a * b + 0x4000) >> 15)`.
///
/// AArch64's `sqrdmulh` computes exactly this. x86's `pmulhrsw` computes it
/// without saturation; the one overflowing case (`-32768 * -32768`) comes
/// out as `-32768`, a value the exact result never takes, so it is mapped to
/// `32767` afterwards. The generic form does the arithmetic in 32 bits.
fn q15mulr_sat_s<'ctx>(cx: &mut impl LoweringCx<'ctx>) -> Result<()> {
    let rhs = pop_vec(cx, Lane::I16)?;
    let lhs = pop_vec(cx, Lane::I16)?;
    let b = cx.builder();
    let ty = Lane::I16.vec_type(cx);
    let product = match arch(cx) {
        Arch::Aarch64 => {
            return push_vec(
                cx,
                call_same(cx, "llvm.aarch64.neon.sqrdmulh", &[lhs, rhs])?,
            )
        }
        Arch::X86_64 => {
            let args = [lhs.into(), rhs.into()];
            vector(call(cx, "llvm.x86.ssse3.pmul.hr.sw.128", &[], &args)?)?
        }
        Arch::Unknown => {
            let wide = Lane::I32.vec_type_of(cx, 8);
            let p = b.build_int_mul(
                extend(cx, lhs, wide, true)?,
                extend(cx, rhs, wide, true)?,
                "",
            )?;
            let p = b.build_int_add(p, const_splat(wide, 0x4000), "")?;
            let p = b.build_right_shift(p, const_splat(wide, 15), true, "")?;
            b.build_int_truncate(p, ty, "")?
        }
    };
    let min = const_splat(ty, 0x8000);
    let overflow = b.build_int_compare(IntPredicate::EQ, product, min, "")?;
    let v = b.build_select(overflow, const_splat(ty, 0x7fff), product, "")?;
    push_vec(cx, vector(v)?)
}
