//! SIMD loads and stores: `v128.load`/`store`, the extending loads, the
//! splat and zero-filling loads, and the single-lane loads and stores.
//!
//! Addresses (and their bounds checks) come from
//! [`LoweringCx::memory_address`]; this file only picks the access type and
//! shapes the vector. Every access is emitted with alignment 1, since Wasm's
//! alignment hint promises nothing, and marked as a linear-memory access
//! ([`LoweringCx::memory_access`]), which keeps an out-of-bounds load trapping
//! even when its result is unused (`translate::trapping_loads`).

use super::shape::Lane;
use super::values::{cast, extend, index, pop_int, pop_vec, push_vec, splat, vector};
use crate::error::{CompileError, Result};
use crate::translate::ops::LoweringCx;
use inkwell::types::{BasicType, BasicTypeEnum};
use inkwell::values::{BasicValue, BasicValueEnum, PointerValue};
use wasmparser::{MemArg, Operator};

/// Lowers `op` if it is a SIMD memory access; returns `Ok(false)` otherwise.
///
/// # Errors
/// Propagates LLVM builder errors.
pub(super) fn translate<'ctx>(cx: &mut impl LoweringCx<'ctx>, op: &Operator<'_>) -> Result<bool> {
    use Lane::{I16, I32, I64, I8};
    use Operator as O;
    match *op {
        O::V128Load { memarg } => {
            let ty = I32.vec_type(cx);
            let v = load(cx, &memarg, ty)?;
            let v = cast(cx, v, I32)?;
            push_vec(cx, v)
        }
        O::V128Load8x8S { memarg } => load_extend(cx, &memarg, I8, true),
        O::V128Load8x8U { memarg } => load_extend(cx, &memarg, I8, false),
        O::V128Load16x4S { memarg } => load_extend(cx, &memarg, I16, true),
        O::V128Load16x4U { memarg } => load_extend(cx, &memarg, I16, false),
        O::V128Load32x2S { memarg } => load_extend(cx, &memarg, I32, true),
        O::V128Load32x2U { memarg } => load_extend(cx, &memarg, I32, false),
        O::V128Load8Splat { memarg } => load_splat(cx, &memarg, I8),
        O::V128Load16Splat { memarg } => load_splat(cx, &memarg, I16),
        O::V128Load32Splat { memarg } => load_splat(cx, &memarg, I32),
        O::V128Load64Splat { memarg } => load_splat(cx, &memarg, I64),
        O::V128Load32Zero { memarg } => load_zero(cx, &memarg, I32),
        O::V128Load64Zero { memarg } => load_zero(cx, &memarg, I64),
        O::V128Load8Lane { memarg, lane } => load_lane(cx, &memarg, I8, lane),
        O::V128Load16Lane { memarg, lane } => load_lane(cx, &memarg, I16, lane),
        O::V128Load32Lane { memarg, lane } => load_lane(cx, &memarg, I32, lane),
        O::V128Load64Lane { memarg, lane } => load_lane(cx, &memarg, I64, lane),
        O::V128Store { memarg } => {
            let v = pop_vec(cx, I32)?;
            store(cx, &memarg, v)
        }
        O::V128Store8Lane { memarg, lane } => store_lane(cx, &memarg, I8, lane),
        O::V128Store16Lane { memarg, lane } => store_lane(cx, &memarg, I16, lane),
        O::V128Store32Lane { memarg, lane } => store_lane(cx, &memarg, I32, lane),
        O::V128Store64Lane { memarg, lane } => store_lane(cx, &memarg, I64, lane),
        _ => return Ok(false),
    }?;
    Ok(true)
}

/// Pops the address operand and returns where an access of `ty` goes.
fn address<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    memarg: &MemArg,
    ty: BasicTypeEnum<'ctx>,
) -> Result<PointerValue<'ctx>> {
    let size = bytes(ty)?;
    let index = pop_int(cx)?;
    cx.memory_address(memarg, index, size)
}

/// Size in bytes of an integer or integer-vector access.
fn bytes(ty: BasicTypeEnum<'_>) -> Result<u32> {
    match ty {
        BasicTypeEnum::VectorType(v) => Ok(v.get_size() * bytes(v.get_element_type())?),
        BasicTypeEnum::IntType(i) => Ok(i.get_bit_width() / 8),
        _ => Err(CompileError::Codegen(
            "SIMD access of a non-integer type".into(),
        )),
    }
}

/// Pops the address and loads a `ty` from it.
fn load<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    memarg: &MemArg,
    ty: impl BasicType<'ctx>,
) -> Result<BasicValueEnum<'ctx>> {
    let ty = ty.as_basic_type_enum();
    let ptr = address(cx, memarg, ty)?;
    let value = cx.builder().build_load(ty, ptr, "")?;
    if let Some(inst) = value.as_instruction_value() {
        inst.set_alignment(1)
            .map_err(|e| CompileError::Codegen(e.to_string()))?;
        cx.memory_access(inst);
    }
    Ok(value)
}

/// Pops the address and stores `value` there.
fn store<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    memarg: &MemArg,
    value: impl BasicValue<'ctx>,
) -> Result<()> {
    let ptr = address(cx, memarg, value.as_basic_value_enum().get_type())?;
    let inst = cx.builder().build_store(ptr, value)?;
    cx.memory_access(inst);
    inst.set_alignment(1)
        .map_err(|e| CompileError::Codegen(e.to_string()))
}

/// `v128.loadNxM_s/u`: 64 bits of `lane`s, each extended to twice its width.
fn load_extend<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    memarg: &MemArg,
    lane: Lane,
    signed: bool,
) -> Result<()> {
    let ty = lane.vec_type_of(cx, lane.count() / 2);
    let narrow = vector(load(cx, memarg, ty)?)?;
    let wide = extend(cx, narrow, lane.widened().vec_type(cx), signed)?;
    push_vec(cx, wide)
}

/// `v128.loadN_splat`: one `lane` copied to every lane.
fn load_splat<'ctx>(cx: &mut impl LoweringCx<'ctx>, memarg: &MemArg, lane: Lane) -> Result<()> {
    let scalar = load(cx, memarg, lane.int_type(cx))?;
    let v = splat(cx, scalar, lane.count())?;
    push_vec(cx, v)
}

/// `v128.loadN_zero`: one `lane` into lane 0, the rest zero.
fn load_zero<'ctx>(cx: &mut impl LoweringCx<'ctx>, memarg: &MemArg, lane: Lane) -> Result<()> {
    let scalar = load(cx, memarg, lane.int_type(cx))?;
    let zero = lane.vec_type(cx).const_zero();
    let v = cx
        .builder()
        .build_insert_element(zero, scalar, index(cx, 0), "")?;
    push_vec(cx, v)
}

/// `v128.loadN_lane`: one `lane` from memory replaces lane `at` of the operand.
fn load_lane<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    memarg: &MemArg,
    lane: Lane,
    at: u8,
) -> Result<()> {
    let v = pop_vec(cx, lane)?;
    let scalar = load(cx, memarg, lane.int_type(cx))?;
    let v = cx
        .builder()
        .build_insert_element(v, scalar, index(cx, at.into()), "")?;
    push_vec(cx, v)
}

/// `v128.storeN_lane`: stores lane `at` of the operand.
fn store_lane<'ctx>(
    cx: &mut impl LoweringCx<'ctx>,
    memarg: &MemArg,
    lane: Lane,
    at: u8,
) -> Result<()> {
    let v = pop_vec(cx, lane)?;
    let scalar = cx
        .builder()
        .build_extract_element(v, index(cx, at.into()), "")?;
    store(cx, memarg, scalar)
}
