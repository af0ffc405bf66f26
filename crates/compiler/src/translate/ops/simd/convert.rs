//! Conversions between integer and float shapes: `convert`, `trunc_sat`
//! (NaN to 0, out-of-range values saturated), `demote`, `promote` and the
//! `_low`/`_zero` forms that use or fill only two of four lanes.

use super::shape::Lane;
use super::target::{arch, Arch};
use super::values::{call, call_same, cast, const_splat, pop_vec, push_vec, shuffle, vector};
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
            let v = trunc_sat(cx, a, matches!(op, O::I32x4TruncSatF64x2SZero))?;
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

/// `trunc_sat` of every lane of `a` to `i32`/`u32`: NaN to 0, out-of-range
/// values to the nearest bound.
///
/// `llvm.fpto[su]i.sat` is AArch64's `fcvtz[su]` as is (for `f64` lanes at
/// 64 bits, then narrowed with saturation: `sq/uqxtn`). x86 has no saturating
/// conversion and would scalarize it; there the value is clamped first so a
/// plain conversion (`cvttps2dq`, `cvttpd2dq`) cannot overflow.
fn trunc_sat<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    a: VectorValue<'ctx>,
    signed: bool,
) -> Result<VectorValue<'ctx>> {
    if arch(cx) == Arch::X86_64 {
        clamp_and_convert(cx, a, signed)
    } else {
        convert_saturating(cx, a, signed)
    }
}

/// [`trunc_sat`] as `llvm.fpto[su]i.sat` at the lanes' own width, narrowed
/// with saturation for `f64` lanes.
fn convert_saturating<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    a: VectorValue<'ctx>,
    signed: bool,
) -> Result<VectorValue<'ctx>> {
    let name = if signed {
        "llvm.fptosi.sat"
    } else {
        "llvm.fptoui.sat"
    };
    let lanes = a.get_type().get_size();
    let ty = Lane::I32.vec_type_of(cx, lanes);
    let native = if lanes == 4 {
        ty
    } else {
        Lane::I64.vec_type(cx)
    };
    let v = vector(call(
        cx,
        name,
        &[native.into(), a.get_type().into()],
        &[a.into()],
    )?)?;
    if lanes == 4 {
        return Ok(v);
    }
    let v = if signed {
        let v = call_same(cx, "llvm.smax", &[v, const_splat(native, i32::MIN as u64)])?;
        call_same(cx, "llvm.smin", &[v, const_splat(native, i32::MAX as u64)])?
    } else {
        let max = const_splat(native, u64::from(u32::MAX));
        call_same(cx, "llvm.umin", &[v, max])?
    };
    Ok(cx.builder().build_int_truncate(v, ty, "")?)
}

/// [`trunc_sat`] as a clamp into the convertible range followed by a plain
/// conversion, then (for `f32` lanes, whose largest in-range value is below
/// the maximum) the maximum for values at or above the limit.
fn clamp_and_convert<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    a: VectorValue<'ctx>,
    signed: bool,
) -> Result<VectorValue<'ctx>> {
    let b = cx.builder();
    let lanes = a.get_type().get_size();
    let ty = Lane::I32.vec_type_of(cx, lanes);
    let float = if lanes == 4 {
        cx.context().f32_type()
    } else {
        cx.context().f64_type()
    };
    let splat = |x: f64| VectorType::const_vector(&vec![float.const_float(x); lanes as usize]);
    // [low, limit) is the range that converts; `below` the largest float in it.
    let (low, limit) = if signed {
        (-2f64.powi(31), 2f64.powi(31))
    } else {
        (0.0, 2f64.powi(32))
    };
    let below = if lanes == 4 {
        f64::from(f32::from_bits((limit as f32).to_bits() - 1))
    } else {
        limit - 1.0
    };
    // NaN to 0; `x > low ? x : low` sends NaN to `low`, which is 0 when unsigned.
    let x = if signed {
        let ordered = b.build_float_compare(FloatPredicate::ORD, a, a, "")?;
        vector(b.build_select(ordered, a, a.get_type().const_zero(), "")?)?
    } else {
        a
    };
    let above_low = b.build_float_compare(FloatPredicate::OGT, x, splat(low), "")?;
    let x = vector(b.build_select(above_low, x, splat(low), "")?)?;
    let below_limit = b.build_float_compare(FloatPredicate::OLT, x, splat(limit), "")?;
    let in_range = vector(b.build_select(below_limit, x, splat(below), "")?)?;
    if lanes == 2 && !signed {
        // x86 converts no unsigned or 64-bit integers; but 2^52 plus an
        // integral double below 2^32 holds that integer in its low 32 bits.
        let integral = call_same(cx, "llvm.trunc", &[in_range])?;
        let biased = b.build_float_add(integral, splat(2f64.powi(52)), "")?;
        let words = cast(cx, biased.into(), Lane::I32)?;
        return shuffle(cx, words, words.get_type().get_poison(), [0, 2]);
    }
    let int = if signed {
        b.build_float_to_signed_int(in_range, ty, "")?
    } else {
        b.build_float_to_unsigned_int(in_range, ty, "")?
    };
    if lanes == 2 {
        // `below` is the maximum itself.
        return Ok(int);
    }
    let max = if signed {
        i32::MAX as u64
    } else {
        u64::from(u32::MAX)
    };
    vector(b.build_select(below_limit, int, const_splat(ty, max), "")?)
}
