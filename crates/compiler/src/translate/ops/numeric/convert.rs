//! Conversions between the four number types: `wrap`, `extend_i32_*`,
//! `convert_*`, `demote`, `promote`, `reinterpret` and the saturating
//! `trunc_sat_*`. The trapping `trunc_*` are in `trunc.rs`.

use super::common::{call_intrinsic, canonicalize, pop_float, pop_int};
use super::trunc::trunc_trapping;
use crate::error::Result;
use crate::translate::ops::LoweringCx;
use inkwell::types::{BasicTypeEnum, FloatType, IntType};
use inkwell::values::InstructionOpcode;
use wasmparser::Operator;

/// How an integer changes width.
#[derive(Clone, Copy)]
enum Resize {
    /// Keep the low bits (`wrap`).
    Truncate,
    /// Sign-extend (`extend_i32_s`).
    SignExtend,
    /// Zero-extend (`extend_i32_u`).
    ZeroExtend,
}

/// Lowers `op` if it is a conversion; returns `Ok(false)` otherwise.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn translate_convert<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    op: &Operator<'_>,
) -> Result<bool> {
    use Operator as O;
    let ctx = cx.context();
    let (i32t, i64t, f32t, f64t) = (
        ctx.i32_type(),
        ctx.i64_type(),
        ctx.f32_type(),
        ctx.f64_type(),
    );
    match op {
        O::I32WrapI64 => int_resize(cx, i32t, Resize::Truncate),
        O::I64ExtendI32S => int_resize(cx, i64t, Resize::SignExtend),
        O::I64ExtendI32U => int_resize(cx, i64t, Resize::ZeroExtend),
        O::F32ConvertI32S | O::F32ConvertI64S => int_to_float(cx, f32t, true),
        O::F32ConvertI32U | O::F32ConvertI64U => int_to_float(cx, f32t, false),
        O::F64ConvertI32S | O::F64ConvertI64S => int_to_float(cx, f64t, true),
        O::F64ConvertI32U | O::F64ConvertI64U => int_to_float(cx, f64t, false),
        O::F32DemoteF64 | O::F64PromoteF32 => float_resize(cx),
        O::I32ReinterpretF32 => reinterpret(cx, i32t.into()),
        O::I64ReinterpretF64 => reinterpret(cx, i64t.into()),
        O::F32ReinterpretI32 => reinterpret(cx, f32t.into()),
        O::F64ReinterpretI64 => reinterpret(cx, f64t.into()),
        O::I32TruncF32S | O::I32TruncF64S => trunc_trapping(cx, i32t, true),
        O::I32TruncF32U | O::I32TruncF64U => trunc_trapping(cx, i32t, false),
        O::I64TruncF32S | O::I64TruncF64S => trunc_trapping(cx, i64t, true),
        O::I64TruncF32U | O::I64TruncF64U => trunc_trapping(cx, i64t, false),
        O::I32TruncSatF32S | O::I32TruncSatF64S => trunc_saturating(cx, i32t, true),
        O::I32TruncSatF32U | O::I32TruncSatF64U => trunc_saturating(cx, i32t, false),
        O::I64TruncSatF32S | O::I64TruncSatF64S => trunc_saturating(cx, i64t, true),
        O::I64TruncSatF32U | O::I64TruncSatF64U => trunc_saturating(cx, i64t, false),
        _ => return Ok(false),
    }?;
    Ok(true)
}

/// Lowers `wrap` and `extend_i32_*`: the operand changes width to `target`.
///
/// # Errors
/// Propagates LLVM builder errors.
fn int_resize<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    target: IntType<'ctx>,
    how: Resize,
) -> Result<()> {
    let value = pop_int(cx)?;
    let b = cx.builder();
    let result = match how {
        Resize::Truncate => b.build_int_truncate(value, target, "")?,
        Resize::SignExtend => b.build_int_s_extend(value, target, "")?,
        Resize::ZeroExtend => b.build_int_z_extend(value, target, "")?,
    };
    cx.push(result.into());
    Ok(())
}

/// Lowers `convert_*`: integer to `target`, rounding to nearest-even
/// (`sitofp`/`uitofp` round exactly once, as the spec requires).
///
/// # Errors
/// Propagates LLVM builder errors.
fn int_to_float<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    target: FloatType<'ctx>,
    signed: bool,
) -> Result<()> {
    let value = pop_int(cx)?;
    let b = cx.builder();
    let result = if signed {
        b.build_signed_int_to_float(value, target, "")?
    } else {
        b.build_unsigned_int_to_float(value, target, "")?
    };
    cx.push(result.into());
    Ok(())
}

/// Lowers `demote` (`fptrunc` to `f32`) or `promote` (`fpext` to `f64`),
/// chosen by the operand's width. Both quiet a NaN, as the spec requires.
///
/// LLVM folds `fptrunc (fpext x)` to `x`, which would let a signalling NaN
/// through a promote-demote pair unquieted, so a demote of a promote goes
/// through `llvm.canonicalize`.
///
/// # Errors
/// Propagates LLVM builder errors.
fn float_resize<'ctx>(cx: &mut impl LoweringCx<'ctx>) -> Result<()> {
    let value = pop_float(cx)?;
    let ctx = cx.context();
    let b = cx.builder();
    let result = if value.get_type() == ctx.f64_type() {
        let demoted = b.build_float_trunc(value, ctx.f32_type(), "")?.into();
        let of_promote = value
            .as_instruction()
            .is_some_and(|i| i.get_opcode() == InstructionOpcode::FPExt);
        if of_promote {
            canonicalize(cx, demoted)?
        } else {
            demoted
        }
    } else {
        b.build_float_ext(value, ctx.f64_type(), "")?.into()
    };
    cx.push(result);
    Ok(())
}

/// Lowers `reinterpret`: the same bits as `target`.
///
/// # Errors
/// Propagates LLVM builder errors.
fn reinterpret<'ctx>(cx: &mut impl LoweringCx<'ctx>, target: BasicTypeEnum<'ctx>) -> Result<()> {
    let value = cx.pop();
    let result = cx.builder().build_bit_cast(value, target, "")?;
    cx.push(result);
    Ok(())
}

/// Lowers `trunc_sat_*` through `llvm.fptosi.sat`/`llvm.fptoui.sat`, which
/// clamp out-of-range values and map NaN to 0 exactly as Wasm does.
///
/// # Errors
/// Propagates LLVM builder errors.
fn trunc_saturating<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    target: IntType<'ctx>,
    signed: bool,
) -> Result<()> {
    let value = pop_float(cx)?;
    let name = if signed {
        "llvm.fptosi.sat"
    } else {
        "llvm.fptoui.sat"
    };
    let types = [target.into(), value.get_type().into()];
    let result = call_intrinsic(cx, name, &types, &[value.into()])?;
    cx.push(result);
    Ok(())
}
