//! Integer division and remainder, the integer operators that trap.
//!
//! LLVM's `sdiv`/`udiv`/`srem`/`urem` are undefined behaviour for a zero
//! divisor and for `INT_MIN / -1` (`srem` included), so every case the Wasm
//! specification defines differently is guarded before the instruction:
//! zero divisors trap, `div_s` of `INT_MIN` by `-1` traps, and `rem_s` by
//! `-1` is computed as a remainder by `1` (always 0, as the spec requires).

use super::common::{pop_int_pair, trap_if_unlikely};
use crate::error::Result;
use crate::translate::ops::LoweringCx;
use inkwell::IntPredicate;
use tern_environ::TrapCode;
use wasmparser::Operator;

/// Which division-like operator to lower.
#[derive(Clone, Copy)]
enum DivOp {
    DivS,
    DivU,
    RemS,
    RemU,
}

/// Lowers `op` if it is an integer division or remainder; returns
/// `Ok(false)` otherwise.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn translate_int_div<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    op: &Operator<'_>,
) -> Result<bool> {
    use Operator as O;
    let kind = match op {
        O::I32DivS | O::I64DivS => DivOp::DivS,
        O::I32DivU | O::I64DivU => DivOp::DivU,
        O::I32RemS | O::I64RemS => DivOp::RemS,
        O::I32RemU | O::I64RemU => DivOp::RemU,
        _ => return Ok(false),
    };
    div_rem(cx, kind)?;
    Ok(true)
}

/// Lowers one division-like operator with its guards.
///
/// # Errors
/// Propagates LLVM builder errors.
fn div_rem<'ctx>(cx: &mut impl LoweringCx<'ctx>, kind: DivOp) -> Result<()> {
    let (lhs, rhs) = pop_int_pair(cx)?;
    let ty = lhs.get_type();
    let minus_one = ty.const_all_ones();
    let is_zero = cx
        .builder()
        .build_int_compare(IntPredicate::EQ, rhs, ty.const_zero(), "")?;
    trap_if_unlikely(cx, is_zero, TrapCode::IntegerDivisionByZero)?;
    let is_minus_one = cx
        .builder()
        .build_int_compare(IntPredicate::EQ, rhs, minus_one, "")?;
    let result = match kind {
        DivOp::DivS => {
            let int_min = ty.const_int(1 << (ty.get_bit_width() - 1), false);
            let b = cx.builder();
            let lhs_is_min = b.build_int_compare(IntPredicate::EQ, lhs, int_min, "")?;
            let overflow = b.build_and(lhs_is_min, is_minus_one, "")?;
            trap_if_unlikely(cx, overflow, TrapCode::IntegerOverflow)?;
            cx.builder().build_int_signed_div(lhs, rhs, "")?
        }
        DivOp::RemS => {
            let b = cx.builder();
            let one = ty.const_int(1, false);
            let safe_rhs = b.build_select(is_minus_one, one, rhs, "")?.into_int_value();
            b.build_int_signed_rem(lhs, safe_rhs, "")?
        }
        DivOp::DivU => cx.builder().build_int_unsigned_div(lhs, rhs, "")?,
        DivOp::RemU => cx.builder().build_int_unsigned_rem(lhs, rhs, "")?,
    };
    cx.push(result.into());
    Ok(())
}
