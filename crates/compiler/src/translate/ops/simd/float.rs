//! Lane-wise float arithmetic of `f32x4` and `f64x2`: abs, neg, sqrt, add,
//! sub, mul, div, min/max (NaN-propagating, `-0 < +0`), pmin/pmax (the
//! plain compare-and-select the spec defines), and rounding to integral.
//! No fast-math flags are ever set; where LLVM or a back end could still
//! pass a signalling NaN through unquieted, the result goes through
//! `llvm.canonicalize`.

use super::shape::{lane_of, Lane};
use super::target::{arch, Arch};
use super::values::{call, call_same, cast, push_vec, vector};
use crate::error::Result;
use crate::translate::ops::LoweringCx;
use inkwell::types::{BasicTypeEnum, VectorType};
use inkwell::values::{BasicValueEnum, IntValue, VectorValue};
use inkwell::FloatPredicate;
use wasmparser::Operator;

/// A lane-wise float operation.
#[derive(Clone, Copy)]
enum Op {
    /// A unary LLVM intrinsic (`fabs`, `sqrt`, rounding).
    Unary(&'static str),
    /// `neg` (flips the sign bit, NaNs included).
    Neg,
    /// `min`.
    Min,
    /// `max`.
    Max,
    /// `add`.
    Add,
    /// `sub`.
    Sub,
    /// `mul`.
    Mul,
    /// `div`.
    Div,
    /// `pmin`: `b < a ? b : a`.
    Pmin,
    /// `pmax`: `a < b ? b : a`.
    Pmax,
}

/// Lowers `op` if it is float arithmetic; returns `Ok(false)` otherwise.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn translate<'ctx>(cx: &mut impl LoweringCx<'ctx>, op: &Operator<'_>) -> Result<bool> {
    let (Some(op), Some(lane)) = (classify(op), lane_of(op)) else {
        return Ok(false);
    };
    let rhs = cx.pop();
    let v = if let Op::Unary(_) | Op::Neg = op {
        let a = cast(cx, rhs, lane)?;
        unary(cx, op, a)?
    } else {
        let lhs = cx.pop();
        let identity = has_identity_lane(lane, lhs) || has_identity_lane(lane, rhs);
        let (lhs, rhs) = (cast(cx, lhs, lane)?, cast(cx, rhs, lane)?);
        binary(cx, op, lane, lhs, rhs, identity)?
    };
    push_vec(cx, v)?;
    Ok(true)
}

/// `neg` and the unary intrinsics.
fn unary<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    op: Op,
    a: VectorValue<'ctx>,
) -> Result<VectorValue<'ctx>> {
    match op {
        Op::Unary(name) => call_same(cx, name, &[a]),
        _ => Ok(cx.builder().build_float_neg(a, "")?),
    }
}

/// The binary operations; `identity_operand` says an operand is a constant
/// identity (see [`has_identity_lane`]).
fn binary<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    op: Op,
    lane: Lane,
    lhs: VectorValue<'ctx>,
    rhs: VectorValue<'ctx>,
    identity_operand: bool,
) -> Result<VectorValue<'ctx>> {
    let b = cx.builder();
    let v = match op {
        Op::Min | Op::Max => return min_max(cx, matches!(op, Op::Min), lane, lhs, rhs),
        Op::Add => b.build_float_add(lhs, rhs, "")?,
        Op::Sub => b.build_float_sub(lhs, rhs, "")?,
        Op::Mul => b.build_float_mul(lhs, rhs, "")?,
        Op::Div => b.build_float_div(lhs, rhs, "")?,
        Op::Pmin | Op::Pmax if arch(cx) == Arch::X86_64 => {
            // minps(x, y) is `x < y ? x : y`, maxps(x, y) `x > y ? x : y`.
            let name = x86_min_max(lane, matches!(op, Op::Pmin));
            vector(call(cx, name, &[], &[rhs.into(), lhs.into()])?)?
        }
        _ => {
            // pmin is `b < a ? b : a`, pmax is `a < b ? b : a`.
            let (x, y) = if matches!(op, Op::Pmin) {
                (rhs, lhs)
            } else {
                (lhs, rhs)
            };
            let lt = b.build_float_compare(FloatPredicate::OLT, x, y, "")?;
            cast(cx, b.build_select(lt, rhs, lhs, "")?, lane)?
        }
    };
    if identity_operand && matches!(op, Op::Add | Op::Sub | Op::Mul | Op::Div) {
        call_same(cx, "llvm.canonicalize", &[v])
    } else {
        Ok(v)
    }
}

/// `min`/`max`: NaN if either lane is NaN, else the smaller/larger, with
/// `-0 < +0`.
///
/// AArch64's `fmin`/`fmax` are exactly this (`llvm.minimum`/`llvm.maximum`).
/// x86's `minps`/`maxps` return their second operand when the lanes are
/// unordered or both zero, so both operand orders are computed: where they
/// differ the lanes are zeros (or-ing them gives `-0` for min, and-ing `+0`
/// for max) or a NaN is involved (the canonical NaN is chosen). LLVM's own
/// x86 lowering of `llvm.minimum` is twice as long and passes signalling
/// NaNs through, so elsewhere the result is canonicalized.
fn min_max<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    min: bool,
    lane: Lane,
    lhs: VectorValue<'ctx>,
    rhs: VectorValue<'ctx>,
) -> Result<VectorValue<'ctx>> {
    let arch = arch(cx);
    if arch != Arch::X86_64 {
        let name = if min { "llvm.minimum" } else { "llvm.maximum" };
        let v = call_same(cx, name, &[lhs, rhs])?;
        return if arch == Arch::Aarch64 {
            Ok(v)
        } else {
            call_same(cx, "llvm.canonicalize", &[v])
        };
    }
    let name = x86_min_max(lane, min);
    let one_way = vector(call(cx, name, &[], &[lhs.into(), rhs.into()])?)?;
    let other_way = vector(call(cx, name, &[], &[rhs.into(), lhs.into()])?)?;
    let bits = if lane == Lane::F32 {
        Lane::I32
    } else {
        Lane::I64
    };
    let (x, y) = (
        cast(cx, one_way.into(), bits)?,
        cast(cx, other_way.into(), bits)?,
    );
    let b = cx.builder();
    let merged = if min {
        b.build_or(x, y, "")?
    } else {
        b.build_and(x, y, "")?
    };
    let merged = cast(cx, merged.into(), lane)?;
    let unordered = b.build_float_compare(FloatPredicate::UNO, lhs, rhs, "")?;
    let nan = lane.scalar_type(cx).into_float_type().const_float(f64::NAN);
    let nan = VectorType::const_vector(&vec![nan; lane.count() as usize]);
    vector(b.build_select(unordered, nan, merged, "")?)
}

/// The x86 `minps`/`maxps`/`minpd`/`maxpd` intrinsic for `lane`.
fn x86_min_max(lane: Lane, min: bool) -> &'static str {
    match (lane, min) {
        (Lane::F32, true) => "llvm.x86.sse.min.ps",
        (Lane::F32, false) => "llvm.x86.sse.max.ps",
        (_, true) => "llvm.x86.sse2.min.pd",
        (_, false) => "llvm.x86.sse2.max.pd",
    }
}

/// Whether `v` (an operand as popped) is a constant with a `±0.0` or
/// `±1.0` `lane`: LLVM folds `x - 0.0`, `x * 1.0`, `x / -1.0`, … to `x` or
/// `-x` even without fast-math flags, which would pass a signalling NaN
/// through where Wasm wants it quieted.
fn has_identity_lane(lane: Lane, v: BasicValueEnum<'_>) -> bool {
    let Ok(v) = VectorValue::try_from(v) else {
        return false;
    };
    if v.is_null() {
        return true;
    }
    let BasicTypeEnum::IntType(element) = v.get_type().get_element_type() else {
        return false;
    };
    if !v.is_const() {
        return false;
    }
    // A constant whose lanes cannot be read here (a constant expression, a
    // vector with `poison` lanes) may still fold to an identity later.
    if !v.is_constant_data_vector() {
        return true;
    }
    // The 128 bits, lane 0 of `v` lowest.
    let mut bits = 0u128;
    for i in (0..v.get_type().get_size()).rev() {
        let Some(word) = IntValue::try_from(v.get_element_as_constant(i))
            .ok()
            .and_then(|w| w.get_zero_extended_constant())
        else {
            return true;
        };
        bits = bits.checked_shl(element.get_bit_width()).unwrap_or(0) | u128::from(word);
    }
    let (width, one) = match lane {
        Lane::F32 => (32, 0x3f80_0000),
        _ => (64, 0x3ff0_0000_0000_0000),
    };
    let magnitude_mask = (1u128 << (width - 1)) - 1;
    (0..128 / width).any(|i| {
        let magnitude = (bits >> (i * width)) & magnitude_mask;
        magnitude == 0 || magnitude == one
    })
}

/// The operation of `op`, if it is one of this file's.
fn classify(op: &Operator<'_>) -> Option<Op> {
    use Op::{Add, Div, Max, Min, Mul, Neg, Pmax, Pmin, Sub, Unary};
    use Operator as O;
    Some(match op {
        O::F32x4Ceil | O::F64x2Ceil => Unary("llvm.ceil"),
        O::F32x4Floor | O::F64x2Floor => Unary("llvm.floor"),
        O::F32x4Trunc | O::F64x2Trunc => Unary("llvm.trunc"),
        O::F32x4Nearest | O::F64x2Nearest => Unary("llvm.roundeven"),
        O::F32x4Abs | O::F64x2Abs => Unary("llvm.fabs"),
        O::F32x4Neg | O::F64x2Neg => Neg,
        O::F32x4Sqrt | O::F64x2Sqrt => Unary("llvm.sqrt"),
        O::F32x4Add | O::F64x2Add => Add,
        O::F32x4Sub | O::F64x2Sub => Sub,
        O::F32x4Mul | O::F64x2Mul => Mul,
        O::F32x4Div | O::F64x2Div => Div,
        O::F32x4Min | O::F64x2Min => Min,
        O::F32x4Max | O::F64x2Max => Max,
        O::F32x4PMin | O::F64x2PMin => Pmin,
        O::F32x4PMax | O::F64x2PMax => Pmax,
        _ => return None,
    })
}
