//! Lane-wise float arithmetic of `f32x4` and `f64x2`: abs, neg, sqrt, add,
//! sub, mul, div, min/max (NaN-propagating, `-0 < +0`), pmin/pmax (the
//! plain compare-and-select the spec defines), and rounding to integral.

use super::shape::{call_same, cast, pop_vec, push_vec, Lane};
use crate::error::Result;
use crate::translate::ops::LoweringCx;
use inkwell::values::VectorValue;
use inkwell::FloatPredicate;
use wasmparser::Operator;

/// A lane-wise float operation.
#[derive(Clone, Copy)]
enum Op {
    /// A unary LLVM intrinsic (`fabs`, `sqrt`, rounding).
    Unary(&'static str),
    /// `neg` (flips the sign bit, NaNs included).
    Neg,
    /// A binary LLVM intrinsic (`minimum`, `maximum`).
    Binary(&'static str),
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
    let Some((lane, op)) = classify(op) else {
        return Ok(false);
    };
    let rhs = pop_vec(cx, lane)?;
    let v = if let Op::Unary(_) | Op::Neg = op {
        unary(cx, op, rhs)?
    } else {
        let lhs = pop_vec(cx, lane)?;
        binary(cx, op, lane, lhs, rhs)?
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

/// The binary operations.
fn binary<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    op: Op,
    lane: Lane,
    lhs: VectorValue<'ctx>,
    rhs: VectorValue<'ctx>,
) -> Result<VectorValue<'ctx>> {
    let b = cx.builder();
    Ok(match op {
        Op::Binary(name) => call_same(cx, name, &[lhs, rhs])?,
        Op::Add => b.build_float_add(lhs, rhs, "")?,
        Op::Sub => b.build_float_sub(lhs, rhs, "")?,
        Op::Mul => b.build_float_mul(lhs, rhs, "")?,
        Op::Div => b.build_float_div(lhs, rhs, "")?,
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
    })
}

/// The shape and operation of `op`, if it is one of this file's.
fn classify(op: &Operator<'_>) -> Option<(Lane, Op)> {
    use Lane::{F32, F64};
    use Op::{Add, Binary, Div, Mul, Neg, Pmax, Pmin, Sub, Unary};
    use Operator as O;
    Some(match op {
        O::F32x4Ceil => (F32, Unary("llvm.ceil")),
        O::F32x4Floor => (F32, Unary("llvm.floor")),
        O::F32x4Trunc => (F32, Unary("llvm.trunc")),
        O::F32x4Nearest => (F32, Unary("llvm.roundeven")),
        O::F32x4Abs => (F32, Unary("llvm.fabs")),
        O::F32x4Neg => (F32, Neg),
        O::F32x4Sqrt => (F32, Unary("llvm.sqrt")),
        O::F32x4Add => (F32, Add),
        O::F32x4Sub => (F32, Sub),
        O::F32x4Mul => (F32, Mul),
        O::F32x4Div => (F32, Div),
        O::F32x4Min => (F32, Binary("llvm.minimum")),
        O::F32x4Max => (F32, Binary("llvm.maximum")),
        O::F32x4PMin => (F32, Pmin),
        O::F32x4PMax => (F32, Pmax),
        O::F64x2Ceil => (F64, Unary("llvm.ceil")),
        O::F64x2Floor => (F64, Unary("llvm.floor")),
        O::F64x2Trunc => (F64, Unary("llvm.trunc")),
        O::F64x2Nearest => (F64, Unary("llvm.roundeven")),
        O::F64x2Abs => (F64, Unary("llvm.fabs")),
        O::F64x2Neg => (F64, Neg),
        O::F64x2Sqrt => (F64, Unary("llvm.sqrt")),
        O::F64x2Add => (F64, Add),
        O::F64x2Sub => (F64, Sub),
        O::F64x2Mul => (F64, Mul),
        O::F64x2Div => (F64, Div),
        O::F64x2Min => (F64, Binary("llvm.minimum")),
        O::F64x2Max => (F64, Binary("llvm.maximum")),
        O::F64x2PMin => (F64, Pmin),
        O::F64x2PMax => (F64, Pmax),
        _ => return None,
    })
}
