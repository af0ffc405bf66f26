//! The value plumbing every SIMD file shares: popping an operand as a vector
//! of some lane type, pushing a vector back as the canonical `<4 x i32>`,
//! splats, constant splats, shuffles, extensions and intrinsic calls. Nothing
//! here lowers a WebAssembly operator by itself.

use super::shape::Lane;
use crate::error::{CompileError, Result};
use crate::translate::ops::LoweringCx;
use inkwell::types::{BasicTypeEnum, IntType, VectorType};
use inkwell::values::{BasicMetadataValueEnum, BasicValue, BasicValueEnum, IntValue, VectorValue};
use std::num::NonZeroU32;

/// The integer type of `bits` bits (`i2`, `i4`, … for bit masks).
///
/// # Errors
/// `bits` is zero or too large (a bug in tern).
pub(super) fn int_type_of<'ctx>(cx: &impl LoweringCx<'ctx>, bits: u32) -> Result<IntType<'ctx>> {
    let bits =
        NonZeroU32::new(bits).ok_or_else(|| CompileError::Codegen("zero-width integer".into()))?;
    cx.context()
        .custom_width_int_type(bits)
        .map_err(|e| CompileError::Codegen(e.into()))
}

/// Reinterprets `value` (any 128-bit vector) as a vector of `lane`.
///
/// # Errors
/// A non-vector operand (a translator bug), or an LLVM builder error.
pub(super) fn cast<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    value: BasicValueEnum<'ctx>,
    lane: Lane,
) -> Result<VectorValue<'ctx>> {
    let vector = vector(value)?;
    Ok(cx
        .builder()
        .build_bit_cast(vector, lane.vec_type(cx), "")?
        .into_vector_value())
}

/// Pops a `v128` operand as a vector of `lane`.
///
/// # Errors
/// As [`cast`].
pub(super) fn pop_vec<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    lane: Lane,
) -> Result<VectorValue<'ctx>> {
    let value = cx.pop();
    cast(cx, value, lane)
}

/// Pops an `i32` or `i64` operand.
///
/// # Errors
/// A non-integer operand (a translator bug).
pub(super) fn pop_int<'ctx>(cx: &mut impl LoweringCx<'ctx>) -> Result<IntValue<'ctx>> {
    IntValue::try_from(cx.pop())
        .map_err(|()| CompileError::Codegen("SIMD operand is not an integer".into()))
}

/// Pushes `value` (any 128-bit vector) as the canonical `<4 x i32>`.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn push_vec<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    value: VectorValue<'ctx>,
) -> Result<()> {
    let v128 = cx
        .builder()
        .build_bit_cast(value, Lane::I32.vec_type(cx), "")?;
    cx.push(v128);
    Ok(())
}

/// `value` as a vector.
///
/// # Errors
/// `value` is not a vector (a bug in tern).
pub(super) fn vector(value: BasicValueEnum<'_>) -> Result<VectorValue<'_>> {
    VectorValue::try_from(value)
        .map_err(|()| CompileError::Codegen("SIMD operand is not a vector".into()))
}

/// Calls the intrinsic `name` overloaded on `types` and returns its vector result.
///
/// # Errors
/// Propagates LLVM builder errors; the intrinsic returns no vector (a bug in tern).
pub(super) fn call<'ctx>(
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
        .ok_or_else(|| CompileError::Codegen(format!("{name} returns no value")))
}

/// Calls the intrinsic `name` overloaded on the type of its first argument,
/// which is also its result type.
///
/// # Errors
/// As [`call`].
pub(super) fn call_same<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    name: &str,
    args: &[VectorValue<'ctx>],
) -> Result<VectorValue<'ctx>> {
    let types = args
        .first()
        .map(|a| a.get_type().into())
        .into_iter()
        .collect::<Vec<_>>();
    let args = args.iter().map(|a| (*a).into()).collect::<Vec<_>>();
    vector(call(cx, name, &types, &args)?)
}

/// An `i32` constant (lane indices, shuffle masks).
pub(super) fn index<'ctx>(cx: &impl LoweringCx<'ctx>, value: u32) -> IntValue<'ctx> {
    cx.context().i32_type().const_int(u64::from(value), false)
}

/// Every lane of a vector of `ty` set to the integer `value` (truncated to the lane).
pub(super) fn const_splat<'ctx>(ty: VectorType<'ctx>, value: u64) -> VectorValue<'ctx> {
    let lane = ty.get_element_type().into_int_type().const_int(value, true);
    VectorType::const_vector(&vec![lane; ty.get_size() as usize])
}

/// `lanes` copies of `scalar`.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn splat<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    scalar: impl BasicValue<'ctx>,
    lanes: u32,
) -> Result<VectorValue<'ctx>> {
    let scalar = scalar.as_basic_value_enum();
    let ty = match scalar.get_type() {
        BasicTypeEnum::FloatType(t) => t.vec_type(lanes),
        BasicTypeEnum::IntType(t) => t.vec_type(lanes),
        _ => return Err(CompileError::Codegen("splat of a non-scalar".into())),
    };
    let one = cx
        .builder()
        .build_insert_element(ty.get_poison(), scalar, index(cx, 0), "")?;
    shuffle(
        cx,
        one,
        ty.get_poison(),
        std::iter::repeat_n(0, lanes as usize),
    )
}

/// `shufflevector a, b, mask`: lane `i` of the result is lane `mask[i]` of
/// the concatenation of `a` and `b`.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn shuffle<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    a: VectorValue<'ctx>,
    b: VectorValue<'ctx>,
    mask: impl IntoIterator<Item = u32>,
) -> Result<VectorValue<'ctx>> {
    let mask = mask.into_iter().map(|i| index(cx, i)).collect::<Vec<_>>();
    Ok(cx
        .builder()
        .build_shuffle_vector(a, b, VectorType::const_vector(&mask), "")?)
}

/// The low (`high == false`) or high half of the lanes of `v`.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn half<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    v: VectorValue<'ctx>,
    high: bool,
) -> Result<VectorValue<'ctx>> {
    let n = v.get_type().get_size() / 2;
    let start = if high { n } else { 0 };
    shuffle(cx, v, v.get_type().get_poison(), start..start + n)
}

/// The lanes of `a` followed by the lanes of `b`.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn concat<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    a: VectorValue<'ctx>,
    b: VectorValue<'ctx>,
) -> Result<VectorValue<'ctx>> {
    shuffle(cx, a, b, 0..2 * a.get_type().get_size())
}

/// Sign- (`signed`) or zero-extends every lane of `v` to `ty`.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn extend<'ctx>(
    cx: &impl LoweringCx<'ctx>,
    v: VectorValue<'ctx>,
    ty: VectorType<'ctx>,
    signed: bool,
) -> Result<VectorValue<'ctx>> {
    let b = cx.builder();
    Ok(if signed {
        b.build_int_s_extend(v, ty, "")?
    } else {
        b.build_int_z_extend(v, ty, "")?
    })
}
