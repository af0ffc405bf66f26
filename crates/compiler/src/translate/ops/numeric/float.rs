//! Float operators on `f32` and `f64`: sign operations, rounding, square
//! root, arithmetic, min/max, copysign and comparisons. The width comes from
//! the operand, so each shape is written once for both.
//!
//! Every operator maps to one LLVM instruction or intrinsic whose semantics
//! are exactly Wasm's: `fneg`/`llvm.fabs`/`llvm.copysign` only touch the sign
//! bit (NaN payloads survive), `llvm.roundeven` is `nearest`, and
//! `llvm.minimum`/`llvm.maximum` propagate NaN and order `-0 < +0`. No
//! fast-math flags are ever set.
//!
//! # Note
//! Without fast-math flags LLVM still folds identities such as `x * 1.0`,
//! `x - 0.0` or `x / -1.0` to `x` or `-x`, which would pass a signalling NaN
//! through where Wasm requires an arithmetic (quiet) NaN. When an operand is
//! such an identity constant at lowering time, the result goes through
//! `llvm.canonicalize`, which survives the fold and quiets the NaN; other
//! operations cost nothing extra.

use super::common::{
    call_intrinsic, canonicalize, constant_float, is_aarch64, pop_float, pop_float_pair, push_bool,
};
use crate::error::Result;
use crate::translate::ops::LoweringCx;
use inkwell::values::{BasicValueEnum, FloatValue};
use inkwell::FloatPredicate;
use wasmparser::Operator;

/// A binary float operator that is a plain LLVM instruction.
#[derive(Clone, Copy)]
enum FloatBinOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// Lowers `op` if it is a float operator; returns `Ok(false)` otherwise.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn translate_float<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    op: &Operator<'_>,
) -> Result<bool> {
    use FloatBinOp as B;
    use FloatPredicate as P;
    use Operator as O;
    match op {
        O::F32Abs | O::F64Abs => unary_intrinsic(cx, "llvm.fabs"),
        O::F32Neg | O::F64Neg => neg(cx),
        O::F32Ceil | O::F64Ceil => unary_intrinsic(cx, "llvm.ceil"),
        O::F32Floor | O::F64Floor => unary_intrinsic(cx, "llvm.floor"),
        O::F32Trunc | O::F64Trunc => unary_intrinsic(cx, "llvm.trunc"),
        O::F32Nearest | O::F64Nearest => unary_intrinsic(cx, "llvm.roundeven"),
        O::F32Sqrt | O::F64Sqrt => unary_intrinsic(cx, "llvm.sqrt"),
        O::F32Add | O::F64Add => binary(cx, B::Add),
        O::F32Sub | O::F64Sub => binary(cx, B::Sub),
        O::F32Mul | O::F64Mul => binary(cx, B::Mul),
        O::F32Div | O::F64Div => binary(cx, B::Div),
        O::F32Min | O::F64Min => min_max(cx, "llvm.minimum"),
        O::F32Max | O::F64Max => min_max(cx, "llvm.maximum"),
        O::F32Copysign | O::F64Copysign => copysign(cx),
        O::F32Eq | O::F64Eq => compare(cx, P::OEQ),
        O::F32Ne | O::F64Ne => compare(cx, P::UNE),
        O::F32Lt | O::F64Lt => compare(cx, P::OLT),
        O::F32Gt | O::F64Gt => compare(cx, P::OGT),
        O::F32Le | O::F64Le => compare(cx, P::OLE),
        O::F32Ge | O::F64Ge => compare(cx, P::OGE),
        _ => return Ok(false),
    }?;
    Ok(true)
}

/// Lowers a one-operand operator that is the LLVM intrinsic `name`.
///
/// # Errors
/// Propagates LLVM builder errors.
fn unary_intrinsic<'ctx>(cx: &mut impl LoweringCx<'ctx>, name: &str) -> Result<()> {
    let value = pop_float(cx)?;
    let result = call_intrinsic(cx, name, &[value.get_type().into()], &[value.into()])?;
    cx.push(result);
    Ok(())
}

/// Lowers `neg` as `fneg`, a sign-bit flip (not `0 - x`, which would get
/// zeros and NaNs wrong).
///
/// # Errors
/// Propagates LLVM builder errors.
fn neg<'ctx>(cx: &mut impl LoweringCx<'ctx>) -> Result<()> {
    let value = pop_float(cx)?;
    let result = cx.builder().build_float_neg(value, "")?;
    cx.push(result.into());
    Ok(())
}

/// Calls the two-operand intrinsic `name` on the popped operands.
///
/// # Errors
/// Propagates LLVM builder errors.
fn binary_intrinsic<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    name: &str,
) -> Result<BasicValueEnum<'ctx>> {
    let (lhs, rhs) = pop_float_pair(cx)?;
    let ty = lhs.get_type().into();
    call_intrinsic(cx, name, &[ty], &[lhs.into(), rhs.into()])
}

/// Lowers `copysign` as `llvm.copysign` (a pure bit operation).
///
/// # Errors
/// Propagates LLVM builder errors.
fn copysign<'ctx>(cx: &mut impl LoweringCx<'ctx>) -> Result<()> {
    let result = binary_intrinsic(cx, "llvm.copysign")?;
    cx.push(result);
    Ok(())
}

/// Lowers `min`/`max` as `llvm.minimum`/`llvm.maximum` (NaN-propagating,
/// `-0 < +0`), followed by `llvm.canonicalize` except on AArch64.
///
/// # Dev. Note
/// The x86-64 lowering of `llvm.minimum`/`llvm.maximum` returns a signalling
/// NaN operand unchanged, but Wasm requires an arithmetic (quiet) NaN;
/// `llvm.canonicalize` quiets it (one `mulss`/`mulsd` by 1.0). AArch64's
/// `fmin`/`fmax` already return quiet NaNs, and LLVM does not drop the
/// redundant canonicalize there, so it is left out.
///
/// # Errors
/// Propagates LLVM builder errors.
fn min_max<'ctx>(cx: &mut impl LoweringCx<'ctx>, name: &str) -> Result<()> {
    let value = binary_intrinsic(cx, name)?;
    let result = if is_aarch64(cx) {
        value
    } else {
        canonicalize(cx, value)?
    };
    cx.push(result);
    Ok(())
}

/// Whether `value` may be a constant `±0.0` or `±1.0`, an operand with which
/// LLVM may fold an arithmetic operation to its other operand or its negation.
///
/// A constant that is not a plain float literal (a constant expression such
/// as `extractelement (bitcast ...)`, `poison` in code after a certain trap)
/// counts as one: LLVM may fold it to an identity later.
fn is_identity_constant(value: FloatValue<'_>) -> bool {
    if !value.is_const() {
        return false;
    }
    match constant_float(value) {
        Some(constant) => constant.abs() == 0.0 || constant.abs() == 1.0,
        None => true,
    }
}

/// Lowers a two-operand arithmetic operator (see the module note on
/// identity constants).
///
/// # Errors
/// Propagates LLVM builder errors.
fn binary<'ctx>(cx: &mut impl LoweringCx<'ctx>, op: FloatBinOp) -> Result<()> {
    let (lhs, rhs) = pop_float_pair(cx)?;
    let b = cx.builder();
    let result = match op {
        FloatBinOp::Add => b.build_float_add(lhs, rhs, "")?,
        FloatBinOp::Sub => b.build_float_sub(lhs, rhs, "")?,
        FloatBinOp::Mul => b.build_float_mul(lhs, rhs, "")?,
        FloatBinOp::Div => b.build_float_div(lhs, rhs, "")?,
    };
    let result = if is_identity_constant(lhs) || is_identity_constant(rhs) {
        canonicalize(cx, result.into())?
    } else {
        result.into()
    };
    cx.push(result);
    Ok(())
}

/// Lowers a comparison with predicate `pred` to an `i32` boolean. Ordered
/// predicates are false on NaN; `ne` is unordered, so it is true on NaN.
///
/// # Errors
/// Propagates LLVM builder errors.
fn compare<'ctx>(cx: &mut impl LoweringCx<'ctx>, pred: FloatPredicate) -> Result<()> {
    let (lhs, rhs) = pop_float_pair(cx)?;
    let cond = cx.builder().build_float_compare(pred, lhs, rhs, "")?;
    push_bool(cx, cond)
}
