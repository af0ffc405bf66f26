//! The fixed mapping from Wasm types to LLVM types (see `ops` for the table),
//! shared by function translation and the trampolines in `codegen`.

use inkwell::context::Context;
use inkwell::types::{BasicMetadataTypeEnum, BasicType, BasicTypeEnum, FunctionType};
use inkwell::AddressSpace;
use tern_environ::{FuncType, ValType};

/// The LLVM type holding a Wasm value of type `ty`.
pub fn llvm_type(context: &Context, ty: ValType) -> BasicTypeEnum<'_> {
    match ty {
        ValType::I32 => context.i32_type().into(),
        ValType::I64 => context.i64_type().into(),
        ValType::F32 => context.f32_type().into(),
        ValType::F64 => context.f64_type().into(),
        ValType::V128 => context.i32_type().vec_type(4).into(),
        ValType::Ref(_) => context.ptr_type(AddressSpace::default()).into(),
    }
}

/// The LLVM types of a list of Wasm types.
pub fn llvm_types<'ctx>(context: &'ctx Context, tys: &[ValType]) -> Vec<BasicTypeEnum<'ctx>> {
    tys.iter().map(|t| llvm_type(context, *t)).collect()
}

/// The native signature `fn(vmctx: ptr, params...) -> results` of a Wasm
/// function type: no result is `void`, several are a literal struct.
pub fn native_fn_type<'ctx>(context: &'ctx Context, ty: &FuncType) -> FunctionType<'ctx> {
    let mut params: Vec<BasicMetadataTypeEnum<'ctx>> =
        vec![context.ptr_type(AddressSpace::default()).into()];
    params.extend(
        ty.params
            .iter()
            .map(|t| BasicMetadataTypeEnum::from(llvm_type(context, *t))),
    );
    match ty.results.as_slice() {
        [] => context.void_type().fn_type(&params, false),
        [one] => llvm_type(context, *one).fn_type(&params, false),
        many => context
            .struct_type(&llvm_types(context, many), false)
            .fn_type(&params, false),
    }
}
