//! The `*.const` operators. Float constants are built from their raw bits
//! (an integer constant bit-cast to the float type, folded by the builder),
//! so every bit pattern, NaN payloads included, is preserved exactly.

use crate::error::Result;
use crate::translate::ops::LoweringCx;
use inkwell::types::BasicTypeEnum;
use inkwell::values::IntValue;
use wasmparser::Operator;

/// Lowers `op` if it is a `*.const`; returns `Ok(false)` otherwise.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn translate_const<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    op: &Operator<'_>,
) -> Result<bool> {
    let ctx = cx.context();
    let (i32t, i64t) = (ctx.i32_type(), ctx.i64_type());
    match op {
        Operator::I32Const { value } => cx.push(
            i32t.const_int(u64::from(value.cast_unsigned()), false)
                .into(),
        ),
        Operator::I64Const { value } => {
            cx.push(i64t.const_int(value.cast_unsigned(), false).into())
        }
        Operator::F32Const { value } => {
            let bits = i32t.const_int(u64::from(value.bits()), false);
            push_float_bits(cx, bits, ctx.f32_type().into())?;
        }
        Operator::F64Const { value } => {
            let bits = i64t.const_int(value.bits(), false);
            push_float_bits(cx, bits, ctx.f64_type().into())?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Pushes the float of type `float_type` whose bits are the constant `bits`.
///
/// # Errors
/// Propagates LLVM builder errors.
fn push_float_bits<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    bits: IntValue<'ctx>,
    float_type: BasicTypeEnum<'ctx>,
) -> Result<()> {
    let value = cx.builder().build_bit_cast(bits, float_type, "")?;
    cx.push(value);
    Ok(())
}
