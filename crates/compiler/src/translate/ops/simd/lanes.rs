//! Operators that move lanes: `v128.const`, `i8x16.shuffle`, `i8x16.swizzle`,
//! the splats, and `extract_lane`/`replace_lane` of every shape.

use super::shape::Lane;
use super::target::{arch, Arch};
use super::values::{
    call, cast, const_splat, index, pop_int, pop_vec, push_vec, shuffle, splat, vector,
};
use crate::error::Result;
use crate::translate::ops::LoweringCx;
use inkwell::types::VectorType;
use inkwell::values::{BasicValueEnum, VectorValue};
use inkwell::IntPredicate;
use wasmparser::Operator;

/// Lowers `op` if it moves lanes; returns `Ok(false)` otherwise.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn translate<'ctx>(cx: &mut impl LoweringCx<'ctx>, op: &Operator<'_>) -> Result<bool> {
    use Lane::{F32, F64, I16, I32, I64, I8};
    use Operator as O;
    match *op {
        O::V128Const { value } => {
            let i32_type = cx.context().i32_type();
            let words = value
                .bytes()
                .chunks_exact(4)
                .map(|w| {
                    i32_type.const_int(
                        u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]])),
                        false,
                    )
                })
                .collect::<Vec<_>>();
            cx.push(VectorType::const_vector(&words).into());
            Ok(())
        }
        O::I8x16Shuffle { lanes } => {
            let b = pop_vec(cx, I8)?;
            let a = pop_vec(cx, I8)?;
            let v = shuffle(cx, a, b, lanes.iter().map(|&l| u32::from(l)))?;
            push_vec(cx, v)
        }
        O::I8x16Swizzle => swizzle(cx),
        O::I8x16Splat => translate_splat(cx, I8),
        O::I16x8Splat => translate_splat(cx, I16),
        O::I32x4Splat => translate_splat(cx, I32),
        O::I64x2Splat => translate_splat(cx, I64),
        O::F32x4Splat => translate_splat(cx, F32),
        O::F64x2Splat => translate_splat(cx, F64),
        O::I8x16ExtractLaneS { lane } => extract(cx, I8, lane, true),
        O::I8x16ExtractLaneU { lane } => extract(cx, I8, lane, false),
        O::I16x8ExtractLaneS { lane } => extract(cx, I16, lane, true),
        O::I16x8ExtractLaneU { lane } => extract(cx, I16, lane, false),
        O::I32x4ExtractLane { lane } => extract(cx, I32, lane, false),
        O::I64x2ExtractLane { lane } => extract(cx, I64, lane, false),
        O::F32x4ExtractLane { lane } => extract(cx, F32, lane, false),
        O::F64x2ExtractLane { lane } => extract(cx, F64, lane, false),
        O::I8x16ReplaceLane { lane } => replace(cx, I8, lane),
        O::I16x8ReplaceLane { lane } => replace(cx, I16, lane),
        O::I32x4ReplaceLane { lane } => replace(cx, I32, lane),
        O::I64x2ReplaceLane { lane } => replace(cx, I64, lane),
        O::F32x4ReplaceLane { lane } => replace(cx, F32, lane),
        O::F64x2ReplaceLane { lane } => replace(cx, F64, lane),
        _ => return Ok(false),
    }?;
    Ok(true)
}

/// Pops a scalar operand as one `lane` (`i8`/`i16` lanes take the low bits of an `i32`).
fn pop_scalar<'ctx>(cx: &mut impl LoweringCx<'ctx>, lane: Lane) -> Result<BasicValueEnum<'ctx>> {
    Ok(match lane {
        Lane::I8 | Lane::I16 => {
            let wide = pop_int(cx)?;
            cx.builder()
                .build_int_truncate(wide, lane.int_type(cx), "")?
                .into()
        }
        _ => cx.pop(),
    })
}

/// `*.splat`.
fn translate_splat<'ctx>(cx: &mut impl LoweringCx<'ctx>, lane: Lane) -> Result<()> {
    let scalar = pop_scalar(cx, lane)?;
    let v = splat(cx, scalar, lane.count())?;
    push_vec(cx, v)
}

/// `*.extract_lane[_s|_u]`: `i8`/`i16` lanes are extended to `i32` as `signed` says.
fn extract<'ctx>(cx: &mut impl LoweringCx<'ctx>, lane: Lane, at: u8, signed: bool) -> Result<()> {
    let v = pop_vec(cx, lane)?;
    let b = cx.builder();
    let scalar = b.build_extract_element(v, index(cx, at.into()), "")?;
    let scalar = match lane {
        Lane::I8 | Lane::I16 => {
            let i32_type = cx.context().i32_type();
            let narrow = scalar.into_int_value();
            let wide = if signed {
                b.build_int_s_extend(narrow, i32_type, "")?
            } else {
                b.build_int_z_extend(narrow, i32_type, "")?
            };
            wide.into()
        }
        _ => scalar,
    };
    cx.push(scalar);
    Ok(())
}

/// `*.replace_lane`.
fn replace<'ctx>(cx: &mut impl LoweringCx<'ctx>, lane: Lane, at: u8) -> Result<()> {
    let scalar = pop_scalar(cx, lane)?;
    let v = pop_vec(cx, lane)?;
    let v = cx
        .builder()
        .build_insert_element(v, scalar, index(cx, at.into()), "")?;
    push_vec(cx, v)
}

/// `i8x16.swizzle`: lane `i` is lane `s[i]` of `a`, or 0 when `s[i] >= 16`.
///
/// AArch64's `tbl` has exactly these semantics. Elsewhere the generic form
/// (a variable-index gather, out-of-range lanes masked to 0) is what x86's
/// back end turns into `pshufb` plus a compare and mask.
fn swizzle<'ctx>(cx: &mut impl LoweringCx<'ctx>) -> Result<()> {
    let s = pop_vec(cx, Lane::I8)?;
    let a = pop_vec(cx, Lane::I8)?;
    let v = if arch(cx) == Arch::Aarch64 {
        let ty = Lane::I8.vec_type(cx);
        vector(call(
            cx,
            "llvm.aarch64.neon.tbl1",
            &[ty.into()],
            &[a.into(), s.into()],
        )?)?
    } else {
        generic_swizzle(cx, a, s)?
    };
    push_vec(cx, v)
}

/// The target-independent form of [`swizzle`].
fn generic_swizzle<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    a: VectorValue<'ctx>,
    s: VectorValue<'ctx>,
) -> Result<VectorValue<'ctx>> {
    let b = cx.builder();
    let ty = Lane::I8.vec_type(cx);
    let mut gathered = ty.get_poison();
    for i in 0..16 {
        let at = b
            .build_extract_element(s, index(cx, i), "")?
            .into_int_value();
        let lane = b.build_extract_element(a, at, "")?;
        gathered = b.build_insert_element(gathered, lane, index(cx, i), "")?;
    }
    let in_range = b.build_int_compare(IntPredicate::ULT, s, const_splat(ty, 16), "")?;
    let v = b.build_select(in_range, gathered, ty.const_zero(), "")?;
    cast(cx, v, Lane::I8)
}
