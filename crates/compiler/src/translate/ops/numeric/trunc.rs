//! The trapping float-to-integer truncations `trunc_f*_s`/`trunc_f*_u`.
//!
//! `fptosi`/`fptoui` are poison when the truncated value does not fit, so the
//! operand is checked first: NaN traps with `InvalidConversionToInteger`,
//! anything whose truncation is out of range traps with `IntegerOverflow`.
//! The range check is two ordered compares against exclusive bounds that are
//! exactly representable in the operand's type.

use super::common::{pop_float, trap_if_unlikely};
use crate::error::Result;
use crate::translate::ops::LoweringCx;
use inkwell::types::IntType;
use inkwell::FloatPredicate;
use tern_environ::TrapCode;

/// Exclusive bounds `(lo, hi)` with `lo < x < hi` exactly when `trunc(x)`
/// fits an integer of `int_bits` bits, for floats with `significand_bits`
/// bits of precision (24 for `f32`, 53 for `f64`).
///
/// `hi` is `2^(bits-1)` (signed) or `2^bits` (unsigned), exact in both float
/// types. Unsigned `lo` is `-1` (`trunc(-0.9) = -0` fits). Signed `lo` is the
/// greatest float at most `-2^(bits-1) - 1`: that value itself when exact
/// (`i32` from `f64`), otherwise `-2^(bits-1)` minus one step of its binade
/// (`-2^31 - 2^8` for `i32` from `f32`, `-2^63 - 2^11` for `i64` from `f64`).
fn exclusive_bounds(int_bits: i32, significand_bits: i32, signed: bool) -> (f64, f64) {
    let magnitude_bits = if signed { int_bits - 1 } else { int_bits };
    let hi = 2f64.powi(magnitude_bits);
    if !signed {
        return (-1.0, hi);
    }
    let step = 2f64.powi(magnitude_bits + 1 - significand_bits).max(1.0);
    (-hi - step, hi)
}

/// Lowers a trapping truncation of the popped float to `target`.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn trunc_trapping<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    target: IntType<'ctx>,
    signed: bool,
) -> Result<()> {
    let value = pop_float(cx)?;
    let float_type = value.get_type();
    let significand_bits = if float_type == cx.context().f32_type() {
        24
    } else {
        53
    };
    let int_bits = if target.get_bit_width() == 32 { 32 } else { 64 };
    let (lo, hi) = exclusive_bounds(int_bits, significand_bits, signed);

    let is_nan = cx
        .builder()
        .build_float_compare(FloatPredicate::UNO, value, value, "")?;
    trap_if_unlikely(cx, is_nan, TrapCode::InvalidConversionToInteger)?;
    let b = cx.builder();
    let above_lo =
        b.build_float_compare(FloatPredicate::OGT, value, float_type.const_float(lo), "")?;
    let below_hi =
        b.build_float_compare(FloatPredicate::OLT, value, float_type.const_float(hi), "")?;
    let in_range = b.build_and(above_lo, below_hi, "")?;
    let out_of_range = b.build_not(in_range, "")?;
    trap_if_unlikely(cx, out_of_range, TrapCode::IntegerOverflow)?;

    let b = cx.builder();
    let result = if signed {
        b.build_float_to_signed_int(value, target, "")?
    } else {
        b.build_float_to_unsigned_int(value, target, "")?
    };
    cx.push(result.into());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::exclusive_bounds;

    #[test]
    fn bounds_match_the_spec_ranges() {
        let two = 2f64;
        assert_eq!(
            exclusive_bounds(32, 24, true),
            (-2147483904.0, 2147483648.0)
        );
        assert_eq!(
            exclusive_bounds(32, 53, true),
            (-2147483649.0, 2147483648.0)
        );
        assert_eq!(
            exclusive_bounds(64, 24, true),
            (-(two.powi(63) + two.powi(40)), two.powi(63))
        );
        assert_eq!(
            exclusive_bounds(64, 53, true),
            (-(two.powi(63) + two.powi(11)), two.powi(63))
        );
        assert_eq!(exclusive_bounds(32, 24, false), (-1.0, 4294967296.0));
        assert_eq!(exclusive_bounds(64, 53, false), (-1.0, two.powi(64)));
        // The signed lower bounds are exact in the narrower type too.
        assert_eq!(f64::from(-2147483904.0f32), -2147483904.0);
        assert_eq!(
            f64::from((-(two.powi(63) + two.powi(40))) as f32),
            -(two.powi(63) + two.powi(40))
        );
    }
}
