//! Scalar numeric operators (owned by the numeric lowering work).

use super::LoweringCx;
use crate::error::Result;
use wasmparser::Operator;

/// Lowers `op` if it is a scalar numeric operator; returns `Ok(false)` otherwise.
///
/// # Errors
/// Propagates LLVM builder errors.
pub fn translate_numeric<'ctx>(cx: &mut impl LoweringCx<'ctx>, op: &Operator<'_>) -> Result<bool> {
    let _ = (cx, op);
    Ok(false)
}
