//! Scalar numeric operators of WebAssembly 2.0: constants, integer and float
//! arithmetic, comparisons, sign extension and conversions. This file only
//! dispatches; each operator shape lives in its own file:
//!
//! * `constant.rs`: `*.const`;
//! * `int.rs`: integer operators that never trap;
//! * `int_div.rs`: integer division and remainder (trapping, UB-guarded);
//! * `float.rs`: float operators;
//! * `convert.rs`: conversions, with the trapping truncations in `trunc.rs`;
//! * `common.rs`: operand access, intrinsic calls, trap emission.
//!
//! Lowering never looks at control flow, locals or memory; it reaches the
//! function translator only through [`LoweringCx`].

mod common;
mod constant;
mod convert;
mod float;
mod int;
mod int_div;
mod trunc;

use super::LoweringCx;
use crate::error::Result;
use wasmparser::Operator;

/// Lowers `op` if it is a scalar numeric operator; returns `Ok(false)` otherwise.
///
/// # Errors
/// Propagates LLVM builder errors, and reports an operand of the wrong kind
/// (a bug in the translator's value stack) as [`crate::CompileError::Codegen`].
pub fn translate_numeric<'ctx>(cx: &mut impl LoweringCx<'ctx>, op: &Operator<'_>) -> Result<bool> {
    Ok(constant::translate_const(cx, op)?
        || int::translate_int(cx, op)?
        || int_div::translate_int_div(cx, op)?
        || float::translate_float(cx, op)?
        || convert::translate_convert(cx, op)?)
}

#[cfg(test)]
mod tests;
