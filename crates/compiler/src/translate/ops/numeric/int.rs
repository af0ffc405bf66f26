//! Integer operators that never trap: arithmetic, bitwise logic, shifts and
//! rotates, bit counting, comparisons and sign extension, for `i32` and `i64`.
//! The width comes from the operand, so each shape is written once for both.
//! Division and remainder live in `int_div.rs`.

use super::common::{call_intrinsic, pop_int, pop_int_pair, push_bool};
use crate::error::Result;
use crate::translate::ops::LoweringCx;
use inkwell::values::IntValue;
use inkwell::IntPredicate;
use wasmparser::Operator;

/// A binary integer operator that cannot trap.
#[derive(Clone, Copy)]
enum IntBinOp {
    Add,
    Sub,
    Mul,
    And,
    Or,
    Xor,
    Shl,
    ShrS,
    ShrU,
    Rotl,
    Rotr,
}

/// Lowers `op` if it is a non-trapping integer operator; returns `Ok(false)`
/// otherwise.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn translate_int<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    op: &Operator<'_>,
) -> Result<bool> {
    use IntBinOp as B;
    use IntPredicate as P;
    use Operator as O;
    match op {
        O::I32Add | O::I64Add => binary(cx, B::Add),
        O::I32Sub | O::I64Sub => binary(cx, B::Sub),
        O::I32Mul | O::I64Mul => binary(cx, B::Mul),
        O::I32And | O::I64And => binary(cx, B::And),
        O::I32Or | O::I64Or => binary(cx, B::Or),
        O::I32Xor | O::I64Xor => binary(cx, B::Xor),
        O::I32Shl | O::I64Shl => binary(cx, B::Shl),
        O::I32ShrS | O::I64ShrS => binary(cx, B::ShrS),
        O::I32ShrU | O::I64ShrU => binary(cx, B::ShrU),
        O::I32Rotl | O::I64Rotl => binary(cx, B::Rotl),
        O::I32Rotr | O::I64Rotr => binary(cx, B::Rotr),
        O::I32Clz | O::I64Clz => count(cx, "llvm.ctlz"),
        O::I32Ctz | O::I64Ctz => count(cx, "llvm.cttz"),
        O::I32Popcnt | O::I64Popcnt => count(cx, "llvm.ctpop"),
        O::I32Eqz | O::I64Eqz => eqz(cx),
        O::I32Eq | O::I64Eq => compare(cx, P::EQ),
        O::I32Ne | O::I64Ne => compare(cx, P::NE),
        O::I32LtS | O::I64LtS => compare(cx, P::SLT),
        O::I32LtU | O::I64LtU => compare(cx, P::ULT),
        O::I32GtS | O::I64GtS => compare(cx, P::SGT),
        O::I32GtU | O::I64GtU => compare(cx, P::UGT),
        O::I32LeS | O::I64LeS => compare(cx, P::SLE),
        O::I32LeU | O::I64LeU => compare(cx, P::ULE),
        O::I32GeS | O::I64GeS => compare(cx, P::SGE),
        O::I32GeU | O::I64GeU => compare(cx, P::UGE),
        O::I32Extend8S | O::I64Extend8S => sign_extend(cx, 8),
        O::I32Extend16S | O::I64Extend16S => sign_extend(cx, 16),
        O::I64Extend32S => sign_extend(cx, 32),
        _ => return Ok(false),
    }?;
    Ok(true)
}

/// `count & (width - 1)`: Wasm shift counts are taken modulo the width.
///
/// # Errors
/// Propagates LLVM builder errors.
fn mask_count<'ctx>(cx: &impl LoweringCx<'ctx>, count: IntValue<'ctx>) -> Result<IntValue<'ctx>> {
    let ty = count.get_type();
    let mask = ty.const_int(u64::from(ty.get_bit_width() - 1), false);
    Ok(cx.builder().build_and(count, mask, "")?)
}

/// Lowers a non-trapping binary operator.
///
/// Rotates use the funnel shifts `llvm.fshl`/`llvm.fshr` with both inputs
/// equal, which already take the count modulo the width.
///
/// # Errors
/// Propagates LLVM builder errors.
fn binary<'ctx>(cx: &mut impl LoweringCx<'ctx>, op: IntBinOp) -> Result<()> {
    let (lhs, rhs) = pop_int_pair(cx)?;
    let b = cx.builder();
    let result = match op {
        IntBinOp::Add => b.build_int_add(lhs, rhs, "")?,
        IntBinOp::Sub => b.build_int_sub(lhs, rhs, "")?,
        IntBinOp::Mul => b.build_int_mul(lhs, rhs, "")?,
        IntBinOp::And => b.build_and(lhs, rhs, "")?,
        IntBinOp::Or => b.build_or(lhs, rhs, "")?,
        IntBinOp::Xor => b.build_xor(lhs, rhs, "")?,
        IntBinOp::Shl => b.build_left_shift(lhs, mask_count(cx, rhs)?, "")?,
        IntBinOp::ShrS => b.build_right_shift(lhs, mask_count(cx, rhs)?, true, "")?,
        IntBinOp::ShrU => b.build_right_shift(lhs, mask_count(cx, rhs)?, false, "")?,
        IntBinOp::Rotl | IntBinOp::Rotr => {
            let name = if matches!(op, IntBinOp::Rotl) {
                "llvm.fshl"
            } else {
                "llvm.fshr"
            };
            let ty = lhs.get_type().into();
            call_intrinsic(cx, name, &[ty], &[lhs.into(), lhs.into(), rhs.into()])?.into_int_value()
        }
    };
    cx.push(result.into());
    Ok(())
}

/// Lowers `clz`, `ctz` or `popcnt` through the intrinsic `name`. The count
/// intrinsics get `is_zero_poison = false`, so a zero input yields the width.
///
/// # Errors
/// Propagates LLVM builder errors.
fn count<'ctx>(cx: &mut impl LoweringCx<'ctx>, name: &str) -> Result<()> {
    let value = pop_int(cx)?;
    let ty = value.get_type().into();
    let zero_is_poison = cx.context().bool_type().const_zero();
    let result = if name == "llvm.ctpop" {
        call_intrinsic(cx, name, &[ty], &[value.into()])?
    } else {
        call_intrinsic(cx, name, &[ty], &[value.into(), zero_is_poison.into()])?
    };
    cx.push(result);
    Ok(())
}

/// Lowers `eqz`: `value == 0` as an `i32` boolean.
///
/// # Errors
/// Propagates LLVM builder errors.
fn eqz<'ctx>(cx: &mut impl LoweringCx<'ctx>) -> Result<()> {
    let value = pop_int(cx)?;
    let zero = value.get_type().const_zero();
    let cond = cx
        .builder()
        .build_int_compare(IntPredicate::EQ, value, zero, "")?;
    push_bool(cx, cond)
}

/// Lowers a comparison with predicate `pred` to an `i32` boolean.
///
/// # Errors
/// Propagates LLVM builder errors.
fn compare<'ctx>(cx: &mut impl LoweringCx<'ctx>, pred: IntPredicate) -> Result<()> {
    let (lhs, rhs) = pop_int_pair(cx)?;
    let cond = cx.builder().build_int_compare(pred, lhs, rhs, "")?;
    push_bool(cx, cond)
}

/// Lowers `extendN_s`: sign-extends the low `bits` (8, 16 or 32) bits to the
/// full width.
///
/// # Errors
/// Propagates LLVM builder errors.
fn sign_extend<'ctx>(cx: &mut impl LoweringCx<'ctx>, bits: u32) -> Result<()> {
    let value = pop_int(cx)?;
    let ctx = cx.context();
    let narrow = match bits {
        8 => ctx.i8_type(),
        16 => ctx.i16_type(),
        _ => ctx.i32_type(),
    };
    let b = cx.builder();
    let truncated = b.build_int_truncate(value, narrow, "")?;
    let result = b.build_int_s_extend(truncated, value.get_type(), "")?;
    cx.push(result.into());
    Ok(())
}
