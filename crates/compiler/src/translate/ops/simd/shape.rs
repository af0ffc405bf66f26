//! The lane shapes of a `v128` (`i8x16` … `f64x2`): their LLVM types, and
//! which shape each shape-generic operator works on.

use crate::translate::ops::LoweringCx;
use inkwell::types::{BasicTypeEnum, IntType, VectorType};
use wasmparser::Operator;

/// The lane type of a 128-bit vector shape (`i8x16` … `f64x2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lane {
    /// `i8x16`.
    I8,
    /// `i16x8`.
    I16,
    /// `i32x4`.
    I32,
    /// `i64x2`.
    I64,
    /// `f32x4`.
    F32,
    /// `f64x2`.
    F64,
}

impl Lane {
    /// Width of one lane in bits.
    pub(super) fn bits(self) -> u32 {
        match self {
            Lane::I8 => 8,
            Lane::I16 => 16,
            Lane::I32 | Lane::F32 => 32,
            Lane::I64 | Lane::F64 => 64,
        }
    }

    /// Number of lanes in a `v128`.
    pub(super) fn count(self) -> u32 {
        128 / self.bits()
    }

    /// The integer lane of twice the width (`i8` → `i16`, …); `i64` and floats stay.
    pub(super) fn widened(self) -> Lane {
        match self {
            Lane::I8 => Lane::I16,
            Lane::I16 => Lane::I32,
            Lane::I32 => Lane::I64,
            other => other,
        }
    }

    /// The integer type as wide as one lane.
    pub(super) fn int_type<'ctx>(self, cx: &impl LoweringCx<'ctx>) -> IntType<'ctx> {
        let context = cx.context();
        match self {
            Lane::I8 => context.i8_type(),
            Lane::I16 => context.i16_type(),
            Lane::I32 | Lane::F32 => context.i32_type(),
            Lane::I64 | Lane::F64 => context.i64_type(),
        }
    }

    /// The LLVM type of one lane.
    pub(super) fn scalar_type<'ctx>(self, cx: &impl LoweringCx<'ctx>) -> BasicTypeEnum<'ctx> {
        match self {
            Lane::F32 => cx.context().f32_type().into(),
            Lane::F64 => cx.context().f64_type().into(),
            int => int.int_type(cx).into(),
        }
    }

    /// The vector of `lanes` lanes of this type.
    pub(super) fn vec_type_of<'ctx>(
        self,
        cx: &impl LoweringCx<'ctx>,
        lanes: u32,
    ) -> VectorType<'ctx> {
        match self.scalar_type(cx) {
            BasicTypeEnum::FloatType(t) => t.vec_type(lanes),
            _ => self.int_type(cx).vec_type(lanes),
        }
    }

    /// The 128-bit vector of this lane type.
    pub(super) fn vec_type<'ctx>(self, cx: &impl LoweringCx<'ctx>) -> VectorType<'ctx> {
        self.vec_type_of(cx, self.count())
    }

    /// The 128-bit integer vector with lanes as wide as this one (compare masks).
    pub(super) fn mask_type<'ctx>(self, cx: &impl LoweringCx<'ctx>) -> VectorType<'ctx> {
        self.int_type(cx).vec_type(self.count())
    }
}

/// The lane type of the lane-wise operators whose lowering depends on their
/// shape only (comparisons, same-width integer and float arithmetic).
pub(super) fn lane_of(op: &Operator<'_>) -> Option<Lane> {
    use Operator as O;
    Some(match op {
        O::I8x16Eq
        | O::I8x16Ne
        | O::I8x16LtS
        | O::I8x16LtU
        | O::I8x16GtS
        | O::I8x16GtU
        | O::I8x16LeS
        | O::I8x16LeU
        | O::I8x16GeS
        | O::I8x16GeU
        | O::I8x16Abs
        | O::I8x16Neg
        | O::I8x16Popcnt
        | O::I8x16Shl
        | O::I8x16ShrS
        | O::I8x16ShrU
        | O::I8x16Add
        | O::I8x16AddSatS
        | O::I8x16AddSatU
        | O::I8x16Sub
        | O::I8x16SubSatS
        | O::I8x16SubSatU
        | O::I8x16MinS
        | O::I8x16MinU
        | O::I8x16MaxS
        | O::I8x16MaxU
        | O::I8x16AvgrU => Lane::I8,
        O::I16x8Eq
        | O::I16x8Ne
        | O::I16x8LtS
        | O::I16x8LtU
        | O::I16x8GtS
        | O::I16x8GtU
        | O::I16x8LeS
        | O::I16x8LeU
        | O::I16x8GeS
        | O::I16x8GeU
        | O::I16x8Abs
        | O::I16x8Neg
        | O::I16x8Shl
        | O::I16x8ShrS
        | O::I16x8ShrU
        | O::I16x8Add
        | O::I16x8AddSatS
        | O::I16x8AddSatU
        | O::I16x8Sub
        | O::I16x8SubSatS
        | O::I16x8SubSatU
        | O::I16x8Mul
        | O::I16x8MinS
        | O::I16x8MinU
        | O::I16x8MaxS
        | O::I16x8MaxU
        | O::I16x8AvgrU => Lane::I16,
        O::I32x4Eq
        | O::I32x4Ne
        | O::I32x4LtS
        | O::I32x4LtU
        | O::I32x4GtS
        | O::I32x4GtU
        | O::I32x4LeS
        | O::I32x4LeU
        | O::I32x4GeS
        | O::I32x4GeU
        | O::I32x4Abs
        | O::I32x4Neg
        | O::I32x4Shl
        | O::I32x4ShrS
        | O::I32x4ShrU
        | O::I32x4Add
        | O::I32x4Sub
        | O::I32x4Mul
        | O::I32x4MinS
        | O::I32x4MinU
        | O::I32x4MaxS
        | O::I32x4MaxU => Lane::I32,
        O::I64x2Eq
        | O::I64x2Ne
        | O::I64x2LtS
        | O::I64x2GtS
        | O::I64x2LeS
        | O::I64x2GeS
        | O::I64x2Abs
        | O::I64x2Neg
        | O::I64x2Shl
        | O::I64x2ShrS
        | O::I64x2ShrU
        | O::I64x2Add
        | O::I64x2Sub
        | O::I64x2Mul => Lane::I64,
        O::F32x4Eq
        | O::F32x4Ne
        | O::F32x4Lt
        | O::F32x4Gt
        | O::F32x4Le
        | O::F32x4Ge
        | O::F32x4Ceil
        | O::F32x4Floor
        | O::F32x4Trunc
        | O::F32x4Nearest
        | O::F32x4Abs
        | O::F32x4Neg
        | O::F32x4Sqrt
        | O::F32x4Add
        | O::F32x4Sub
        | O::F32x4Mul
        | O::F32x4Div
        | O::F32x4Min
        | O::F32x4Max
        | O::F32x4PMin
        | O::F32x4PMax => Lane::F32,
        O::F64x2Eq
        | O::F64x2Ne
        | O::F64x2Lt
        | O::F64x2Gt
        | O::F64x2Le
        | O::F64x2Ge
        | O::F64x2Ceil
        | O::F64x2Floor
        | O::F64x2Trunc
        | O::F64x2Nearest
        | O::F64x2Abs
        | O::F64x2Neg
        | O::F64x2Sqrt
        | O::F64x2Add
        | O::F64x2Sub
        | O::F64x2Mul
        | O::F64x2Div
        | O::F64x2Min
        | O::F64x2Max
        | O::F64x2PMin
        | O::F64x2PMax => Lane::F64,
        _ => return None,
    })
}
