//! Operand access, boolean results, intrinsic calls and trap emission shared by
//! the numeric lowering. Nothing here knows about individual operators.

use crate::error::{CompileError, Result};
use crate::translate::ops::LoweringCx;
use inkwell::types::BasicTypeEnum;
use inkwell::values::{AsValueRef, BasicMetadataValueEnum, BasicValueEnum, FloatValue, IntValue};
use tern_environ::TrapCode;

/// The error for an operand of the wrong kind: validation guarantees operand
/// types, so this only reports a bug in the translator's value stack.
fn operand_error(expected: &str, found: BasicValueEnum<'_>) -> CompileError {
    CompileError::Codegen(format!(
        "numeric operator expected an {expected} operand, found {:?}",
        found.get_type()
    ))
}

/// Pops an integer (`i32` or `i64`) operand.
///
/// # Errors
/// Fails if the operand is not an integer (a translator bug).
pub(super) fn pop_int<'ctx>(cx: &mut impl LoweringCx<'ctx>) -> Result<IntValue<'ctx>> {
    match cx.pop() {
        BasicValueEnum::IntValue(value) => Ok(value),
        other => Err(operand_error("integer", other)),
    }
}

/// Pops a float (`f32` or `f64`) operand.
///
/// # Errors
/// Fails if the operand is not a float (a translator bug).
pub(super) fn pop_float<'ctx>(cx: &mut impl LoweringCx<'ctx>) -> Result<FloatValue<'ctx>> {
    match cx.pop() {
        BasicValueEnum::FloatValue(value) => Ok(value),
        other => Err(operand_error("float", other)),
    }
}

/// Pops the two operands of a binary integer operator, as `(lhs, rhs)`.
///
/// # Errors
/// Fails if an operand is not an integer (a translator bug).
pub(super) fn pop_int_pair<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
) -> Result<(IntValue<'ctx>, IntValue<'ctx>)> {
    let rhs = pop_int(cx)?;
    Ok((pop_int(cx)?, rhs))
}

/// Pops the two operands of a binary float operator, as `(lhs, rhs)`.
///
/// # Errors
/// Fails if an operand is not a float (a translator bug).
pub(super) fn pop_float_pair<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
) -> Result<(FloatValue<'ctx>, FloatValue<'ctx>)> {
    let rhs = pop_float(cx)?;
    Ok((pop_float(cx)?, rhs))
}

/// Pushes an `i1` condition as the Wasm boolean `i32` 0 or 1.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn push_bool<'ctx>(cx: &mut impl LoweringCx<'ctx>, cond: IntValue<'ctx>) -> Result<()> {
    let i32_type = cx.context().i32_type();
    let value = cx.builder().build_int_z_extend(cond, i32_type, "")?;
    cx.push(value.into());
    Ok(())
}

/// Calls the LLVM intrinsic `name` overloaded on `types` with `args`.
///
/// # Errors
/// Propagates LLVM builder errors; fails if the intrinsic returns nothing.
pub(super) fn call_intrinsic<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    name: &str,
    types: &[BasicTypeEnum<'ctx>],
    args: &[BasicMetadataValueEnum<'ctx>],
) -> Result<BasicValueEnum<'ctx>> {
    let function = cx.intrinsic(name, types);
    cx.builder()
        .build_call(function, args, "")?
        .try_as_basic_value()
        .basic()
        .ok_or_else(|| CompileError::Codegen(format!("intrinsic {name} returned no value")))
}

/// Emits "if `cond` then trap with `code`", telling LLVM (through
/// `llvm.expect`) that the trap is unlikely, so the trap path is laid out
/// away from the hot path.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn trap_if_unlikely<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    cond: IntValue<'ctx>,
    code: TrapCode,
) -> Result<()> {
    if cond.is_const() {
        return cx.trap_if(cond, code);
    }
    let bool_type = cx.context().bool_type();
    let hinted = call_intrinsic(
        cx,
        "llvm.expect",
        &[bool_type.into()],
        &[cond.into(), bool_type.const_zero().into()],
    )?;
    cx.trap_if(hinted.into_int_value(), code)
}

/// The value of `value` if it is a float literal (an LLVM `ConstantFP`).
///
/// # Dev. Note
/// inkwell's `FloatValue::get_constant` only checks `is_const`, which also
/// holds for `undef`, `poison` and constant expressions, and then calls
/// `LLVMConstRealGetDouble`, which reads any such value as a `ConstantFP` and
/// crashes. This checks the class first.
pub(super) fn constant_float(value: FloatValue<'_>) -> Option<f64> {
    // SAFETY: `LLVMIsAConstantFP` only inspects the value's class; `value`
    // is a live value of the module being built.
    let is_literal =
        unsafe { !inkwell::llvm_sys::core::LLVMIsAConstantFP(value.as_value_ref()).is_null() };
    if !is_literal {
        return None;
    }
    value.get_constant().map(|(constant, _)| constant)
}

/// Quiets a signalling NaN (`llvm.canonicalize`); other values are unchanged.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn canonicalize<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    value: BasicValueEnum<'ctx>,
) -> Result<BasicValueEnum<'ctx>> {
    call_intrinsic(
        cx,
        "llvm.canonicalize",
        &[value.get_type()],
        &[value.into()],
    )
}

/// Whether the module is built for AArch64 (read from its target triple;
/// `false` when no triple is set yet, which keeps the generic lowering).
pub(super) fn is_aarch64<'ctx>(cx: &impl LoweringCx<'ctx>) -> bool {
    let triple = cx.module().get_triple();
    let triple = triple.as_str().to_string_lossy();
    triple.starts_with("aarch64") || triple.starts_with("arm64")
}
