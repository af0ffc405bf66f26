//! Conversions between integer and float shapes: `convert`, `trunc_sat`
//! (NaN to 0, out-of-range values saturated), `demote`, `promote` and the
//! `_low`/`_zero` forms that use or fill only two of four lanes.

use super::shape::{call, pop_vec, push_vec, shuffle, vector, Lane};
use crate::error::Result;
use crate::translate::ops::LoweringCx;
use inkwell::types::VectorType;
use inkwell::values::VectorValue;
use inkwell::FloatPredicate;
use wasmparser::Operator;

/// Lowers `op` if it is a SIMD conversion; returns `Ok(false)` otherwise.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn translate<'ctx>(cx: &mut impl LoweringCx<'ctx>, op: &Operator<'_>) -> Result<bool> {
    use Lane::{F32, F64, I32};
    use Operator as O;
    let v = match op {
        O::F32x4ConvertI32x4S | O::F32x4ConvertI32x4U => {
            let a = pop_vec(cx, I32)?;
            int_to_float(cx, a, F32, matches!(op, O::F32x4ConvertI32x4S))?
        }
        O::F64x2ConvertLowI32x4S | O::F64x2ConvertLowI32x4U => {
            let a = low_half(cx, I32)?;
            int_to_float(cx, a, F64, matches!(op, O::F64x2ConvertLowI32x4S))?
        }
        O::I32x4TruncSatF32x4S | O::I32x4TruncSatF32x4U => {
            let a = pop_vec(cx, F32)?;
            trunc_sat(cx, a, matches!(op, O::I32x4TruncSatF32x4S))?
        }
        O::I32x4TruncSatF64x2SZero | O::I32x4TruncSatF64x2UZero => {
            let a = pop_vec(cx, F64)?;
            let v = trunc_sat_f64(cx, a, matches!(op, O::I32x4TruncSatF64x2SZero))?;
            zero_extend_lanes(cx, v)?
        }
        O::F32x4DemoteF64x2Zero => {
            let a = pop_vec(cx, F64)?;
            let v = cx
                .builder()
                .build_float_trunc(a, F32.vec_type_of(cx, 2), "")?;
            zero_extend_lanes(cx, v)?
        }
        O::F64x2PromoteLowF32x4 => {
            let a = low_half(cx, F32)?;
            cx.builder().build_float_ext(a, F64.vec_type(cx), "")?
        }
        _ => return Ok(false),
    };
    push_vec(cx, v)?;
    Ok(true)
}

/// Pops a `v128` and keeps its two low `lane`s.
fn low_half<'ctx>(cx: &mut impl LoweringCx<'ctx>, lane: Lane) -> Result<VectorValue<'ctx>> {
    let a = pop_vec(cx, lane)?;
    shuffle(cx, a, a.get_type().get_poison(), [0, 1])
}

/// Two lanes followed by two zero lanes.
fn zero_extend_lanes<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    v: VectorValue<'ctx>,
) -> Result<VectorValue<'ctx>> {
    shuffle(cx, v, v.get_type().const_zero(), [0, 1, 2, 3])
}

/// Each integer lane of `a` converted to a `lane` float, rounding to nearest.
fn int_to_float<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    a: VectorValue<'ctx>,
    lane: Lane,
    signed: bool,
) -> Result<VectorValue<'ctx>> {
    let ty = lane.vec_type_of(cx, a.get_type().get_size());
    let b = cx.builder();
    Ok(if signed {
        b.build_signed_int_to_float(a, ty, "")?
    } else {
        b.build_unsigned_int_to_float(a, ty, "")?
    })
}

/// `i32x4.trunc_sat_f32x4_s/u`: `llvm.fpto[su]i.sat`, which is AArch64's
/// `fcvtz[su]` as is.
fn trunc_sat<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    a: VectorValue<'ctx>,
    signed: bool,
) -> Result<VectorValue<'ctx>> {
    let name = if signed {
        "llvm.fptosi.sat"
    } else {
        "llvm.fptoui.sat"
    };
    let ty = Lane::I32.vec_type(cx);
    vector(call(
        cx,
        name,
        &[ty.into(), a.get_type().into()],
        &[a.into()],
    )?)
}

/// `i32x4.trunc_sat_f64x2_s/u_zero` without the zero lanes. Both bounds of
/// `i32`/`u32` are exact doubles, so clamping first (NaN to 0) leaves a
/// conversion that cannot overflow: `cvttpd2dq` on x86, `fcvtz` + `xtn` on
/// AArch64.
fn trunc_sat_f64<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    a: VectorValue<'ctx>,
    signed: bool,
) -> Result<VectorValue<'ctx>> {
    let b = cx.builder();
    let f64_type = cx.context().f64_type();
    let splat = |x: f64| VectorType::const_vector(&[f64_type.const_float(x); 2]);
    let (low, high) = if signed {
        (f64::from(i32::MIN), f64::from(i32::MAX))
    } else {
        (0.0, f64::from(u32::MAX))
    };
    // NaN fails both `>= low` and `<= high`, so it ends up as `low` for unsigned (0)
    // and is sent to 0 explicitly for signed.
    let ge_low = b.build_float_compare(FloatPredicate::OGE, a, splat(low), "")?;
    let v = vector(b.build_select(ge_low, a, splat(low), "")?)?;
    let le_high = b.build_float_compare(FloatPredicate::OLE, v, splat(high), "")?;
    let v = vector(b.build_select(le_high, v, splat(high), "")?)?;
    let v = if signed {
        let ordered = b.build_float_compare(FloatPredicate::ORD, a, a, "")?;
        vector(b.build_select(ordered, v, Lane::F64.vec_type(cx).const_zero(), "")?)?
    } else {
        v
    };
    let ty = Lane::I32.vec_type_of(cx, 2);
    Ok(if signed {
        b.build_float_to_signed_int(v, ty, "")?
    } else {
        b.build_float_to_unsigned_int(v, ty, "")?
    })
}
