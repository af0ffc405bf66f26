//! Lane-wise comparisons of every shape. A true lane is all ones, a false
//! lane all zeros (the `<N x i1>` result sign-extended to the lane width).
//! Float comparisons are ordered except `ne`, which is true for NaN lanes.

use super::shape::lane_of;
use super::values::{pop_vec, push_vec};
use crate::error::Result;
use crate::translate::ops::LoweringCx;
use inkwell::values::VectorValue;
use inkwell::{FloatPredicate as F, IntPredicate as I};
use wasmparser::Operator;

/// The comparison an operator makes.
#[derive(Clone, Copy)]
enum Predicate {
    /// Integer comparison.
    Int(I),
    /// Float comparison.
    Float(F),
}

/// Lowers `op` if it is a SIMD comparison; returns `Ok(false)` otherwise.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn translate<'ctx>(cx: &mut impl LoweringCx<'ctx>, op: &Operator<'_>) -> Result<bool> {
    let (Some(predicate), Some(lane)) = (predicate(op), lane_of(op)) else {
        return Ok(false);
    };
    let rhs = pop_vec(cx, lane)?;
    let lhs = pop_vec(cx, lane)?;
    let b = cx.builder();
    let bits: VectorValue<'ctx> = match predicate {
        Predicate::Int(p) => b.build_int_compare(p, lhs, rhs, "")?,
        Predicate::Float(p) => b.build_float_compare(p, lhs, rhs, "")?,
    };
    let mask = b.build_int_s_extend(bits, lane.mask_type(cx), "")?;
    push_vec(cx, mask)?;
    Ok(true)
}

/// The predicate of comparison `op`, if it is one.
fn predicate(op: &Operator<'_>) -> Option<Predicate> {
    use Operator as O;
    use Predicate::{Float, Int};
    Some(match op {
        O::I8x16Eq | O::I16x8Eq | O::I32x4Eq | O::I64x2Eq => Int(I::EQ),
        O::I8x16Ne | O::I16x8Ne | O::I32x4Ne | O::I64x2Ne => Int(I::NE),
        O::I8x16LtS | O::I16x8LtS | O::I32x4LtS | O::I64x2LtS => Int(I::SLT),
        O::I8x16LtU | O::I16x8LtU | O::I32x4LtU => Int(I::ULT),
        O::I8x16GtS | O::I16x8GtS | O::I32x4GtS | O::I64x2GtS => Int(I::SGT),
        O::I8x16GtU | O::I16x8GtU | O::I32x4GtU => Int(I::UGT),
        O::I8x16LeS | O::I16x8LeS | O::I32x4LeS | O::I64x2LeS => Int(I::SLE),
        O::I8x16LeU | O::I16x8LeU | O::I32x4LeU => Int(I::ULE),
        O::I8x16GeS | O::I16x8GeS | O::I32x4GeS | O::I64x2GeS => Int(I::SGE),
        O::I8x16GeU | O::I16x8GeU | O::I32x4GeU => Int(I::UGE),
        O::F32x4Eq | O::F64x2Eq => Float(F::OEQ),
        O::F32x4Ne | O::F64x2Ne => Float(F::UNE),
        O::F32x4Lt | O::F64x2Lt => Float(F::OLT),
        O::F32x4Gt | O::F64x2Gt => Float(F::OGT),
        O::F32x4Le | O::F64x2Le => Float(F::OLE),
        O::F32x4Ge | O::F64x2Ge => Float(F::OGE),
        _ => return None,
    })
}
