//! 128-bit SIMD operators (the fixed-width SIMD proposal of WebAssembly 2.0;
//! not relaxed SIMD), lowered to LLVM vector IR.
//!
//! A `v128` travels as the canonical `<4 x i32>`; each operator bitcasts its
//! operands to the lane shape it works on and its result back (see [`shape`]
//! and [`values`]). The IR uses generic LLVM patterns both the x86-64
//! (SSE4.2) and AArch64 (NEON) back ends select well; target intrinsics
//! appear only where no such pattern exists, guarded by [`target`].
//!
//! One file per operator family:
//! * [`memory`]: loads and stores;
//! * [`lanes`]: constants, shuffles, splats, lane extraction and replacement;
//! * [`bitwise`]: bitwise operators and whole-vector tests;
//! * [`compare`]: lane-wise comparisons;
//! * [`int`]: integer arithmetic and shifts;
//! * [`widen`]: widening and narrowing integer operators;
//! * [`float`]: float arithmetic and rounding;
//! * [`convert`]: conversions between integer and float shapes.

mod bitwise;
mod compare;
mod convert;
mod float;
mod int;
mod lanes;
mod memory;
mod shape;
mod target;
mod values;
mod widen;

use super::LoweringCx;
use crate::error::Result;
use wasmparser::Operator;

/// Lowers `op` if it is a SIMD operator; returns `Ok(false)` otherwise.
///
/// # Errors
/// Propagates LLVM builder errors.
pub fn translate_simd<'ctx>(cx: &mut impl LoweringCx<'ctx>, op: &Operator<'_>) -> Result<bool> {
    Ok(memory::translate(cx, op)?
        || lanes::translate(cx, op)?
        || bitwise::translate(cx, op)?
        || compare::translate(cx, op)?
        || int::translate(cx, op)?
        || widen::translate(cx, op)?
        || float::translate(cx, op)?
        || convert::translate(cx, op)?)
}
