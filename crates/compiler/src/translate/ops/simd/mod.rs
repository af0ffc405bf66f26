//! 128-bit SIMD operators (owned by the SIMD lowering work).

use super::LoweringCx;
use crate::error::Result;
use wasmparser::Operator;

/// Lowers `op` if it is a SIMD operator; returns `Ok(false)` otherwise.
///
/// # Errors
/// Propagates LLVM builder errors.
pub fn translate_simd<'ctx>(cx: &mut impl LoweringCx<'ctx>, op: &Operator<'_>) -> Result<bool> {
    let _ = (cx, op);
    Ok(false)
}
