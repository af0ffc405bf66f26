//! Lane-wise comparisons of every shape. A true lane is all ones, a false
//! lane all zeros (the `<N x i1>` result sign-extended to the lane width).
//! Float comparisons are ordered except `ne`, which is true for NaN lanes.

use super::shape::{pop_vec, push_vec, Lane};
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
    let Some((lane, predicate)) = predicate(op) else {
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

/// The shape and predicate of comparison `op`, if it is one.
fn predicate(op: &Operator<'_>) -> Option<(Lane, Predicate)> {
    use Lane::{F32, F64, I16, I32, I64, I8};
    use Operator as O;
    use Predicate::{Float, Int};
    Some(match op {
        O::I8x16Eq => (I8, Int(I::EQ)),
        O::I8x16Ne => (I8, Int(I::NE)),
        O::I8x16LtS => (I8, Int(I::SLT)),
        O::I8x16LtU => (I8, Int(I::ULT)),
        O::I8x16GtS => (I8, Int(I::SGT)),
        O::I8x16GtU => (I8, Int(I::UGT)),
        O::I8x16LeS => (I8, Int(I::SLE)),
        O::I8x16LeU => (I8, Int(I::ULE)),
        O::I8x16GeS => (I8, Int(I::SGE)),
        O::I8x16GeU => (I8, Int(I::UGE)),
        O::I16x8Eq => (I16, Int(I::EQ)),
        O::I16x8Ne => (I16, Int(I::NE)),
        O::I16x8LtS => (I16, Int(I::SLT)),
        O::I16x8LtU => (I16, Int(I::ULT)),
        O::I16x8GtS => (I16, Int(I::SGT)),
        O::I16x8GtU => (I16, Int(I::UGT)),
        O::I16x8LeS => (I16, Int(I::SLE)),
        O::I16x8LeU => (I16, Int(I::ULE)),
        O::I16x8GeS => (I16, Int(I::SGE)),
        O::I16x8GeU => (I16, Int(I::UGE)),
        O::I32x4Eq => (I32, Int(I::EQ)),
        O::I32x4Ne => (I32, Int(I::NE)),
        O::I32x4LtS => (I32, Int(I::SLT)),
        O::I32x4LtU => (I32, Int(I::ULT)),
        O::I32x4GtS => (I32, Int(I::SGT)),
        O::I32x4GtU => (I32, Int(I::UGT)),
        O::I32x4LeS => (I32, Int(I::SLE)),
        O::I32x4LeU => (I32, Int(I::ULE)),
        O::I32x4GeS => (I32, Int(I::SGE)),
        O::I32x4GeU => (I32, Int(I::UGE)),
        O::I64x2Eq => (I64, Int(I::EQ)),
        O::I64x2Ne => (I64, Int(I::NE)),
        O::I64x2LtS => (I64, Int(I::SLT)),
        O::I64x2GtS => (I64, Int(I::SGT)),
        O::I64x2LeS => (I64, Int(I::SLE)),
        O::I64x2GeS => (I64, Int(I::SGE)),
        O::F32x4Eq => (F32, Float(F::OEQ)),
        O::F32x4Ne => (F32, Float(F::UNE)),
        O::F32x4Lt => (F32, Float(F::OLT)),
        O::F32x4Gt => (F32, Float(F::OGT)),
        O::F32x4Le => (F32, Float(F::OLE)),
        O::F32x4Ge => (F32, Float(F::OGE)),
        O::F64x2Eq => (F64, Float(F::OEQ)),
        O::F64x2Ne => (F64, Float(F::UNE)),
        O::F64x2Lt => (F64, Float(F::OLT)),
        O::F64x2Gt => (F64, Float(F::OGT)),
        O::F64x2Le => (F64, Float(F::OLE)),
        O::F64x2Ge => (F64, Float(F::OGE)),
        _ => return None,
    })
}
