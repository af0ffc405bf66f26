//! The fixed mapping from Wasm types to LLVM types (see `ops` for the table),
//! shared by function translation and the trampolines in `codegen`.

use inkwell::context::Context;
use inkwell::types::{BasicMetadataTypeEnum, BasicType, BasicTypeEnum, FunctionType};
use inkwell::AddressSpace;
use tern_environ::{FuncType, ValType};

use crate::target::Target;

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

/// Whether a function returning `results` returns them all in registers on
/// `target`. Otherwise LLVM returns them through a hidden pointer, and then
/// cannot make a `musttail` call of that signature (it stops with "failed
/// to perform tail call elimination on a call site marked musttail"). The
/// limits are a safe subset of the targets' return conventions, checked with
/// `llc-22` against every mix of `i32`/`i64`/`ptr`, `float`/`double` and
/// `<4 x i32>` results in both orders: x86-64 returns 3 integers and 2
/// floating-point or vector values, AArch64 8 and 4.
pub fn results_in_registers(target: Target, results: &[ValType]) -> bool {
    let (max_integers, max_floats) = match target {
        Target::X86_64 => (3, 2),
        Target::Aarch64 => (8, 4),
    };
    let floats = results
        .iter()
        .filter(|t| matches!(t, ValType::F32 | ValType::F64 | ValType::V128))
        .count();
    results.len() - floats <= max_integers && floats <= max_floats
}

/// The native signature `fn(vmctx: ptr swiftself, host_vmctx: ptr,
/// params...) -> results` of a Wasm function type: no result is `void`,
/// several are a literal struct.
///
/// Wasm functions read their context from the `swiftself` parameter, which
/// both back ends pass in a callee-saved register (`r13` on x86-64, `x20` on
/// AArch64): a caller whose callee shares its context then needs neither to
/// keep a copy of it across the call nor to move it into place. Host
/// functions are plain C functions `fn(vmctx, params...)`: they read their
/// context from `host_vmctx`, which takes the first C argument register.
/// A call through a `VMFuncRef` (an import, `call_indirect`, `call_ref`)
/// does not know which kind it calls, so it passes the callee's context in
/// both; a direct call of a defined function passes `poison` as
/// `host_vmctx` (see [`WASM_PARAMS`]).
pub fn native_fn_type<'ctx>(context: &'ctx Context, ty: &FuncType) -> FunctionType<'ctx> {
    let ptr = context.ptr_type(AddressSpace::default());
    let mut params: Vec<BasicMetadataTypeEnum<'ctx>> = vec![ptr.into(), ptr.into()];
    params.extend(
        ty.params
            .iter()
            .map(|t| BasicMetadataTypeEnum::from(native_param_type(context, *t))),
    );
    match ty.results.as_slice() {
        [] => context.void_type().fn_type(&params, false),
        [one] => llvm_type(context, *one).fn_type(&params, false),
        many => context
            .struct_type(&llvm_types(context, many), false)
            .fn_type(&params, false),
    }
}

/// The native type of a Wasm parameter of type `ty`: an `i32` travels
/// zero-extended to 64 bits, the other types as themselves.
///
/// Why: compiled code addresses memory with `zext(i32)`, and a parameter used
/// both as a value and as an address otherwise lives in two registers (the
/// value, and its zero-extension) across calls. Every caller of a Wasm
/// function is compiled code (direct calls, calls through `VMFuncRef`s, the
/// array-call trampolines), so the callee may rely on the upper half being
/// zero (its parameter carries `range(i64 0, 2^32)`, see
/// [`zero_extended_range`]). A host function declared with a 32-bit
/// parameter reads the low half of the same register or 8-byte stack slot,
/// which the x86-64 and AArch64 Linux conventions make the same thing.
pub fn native_param_type(context: &Context, ty: ValType) -> BasicTypeEnum<'_> {
    match ty {
        ValType::I32 => context.i64_type().into(),
        other => llvm_type(context, other),
    }
}

/// The `range(i64 0, 4294967296)` attribute of a zero-extended `i32`
/// parameter ([`native_param_type`]).
pub fn zero_extended_range(context: &Context) -> inkwell::attributes::Attribute {
    let kind = inkwell::attributes::Attribute::get_named_enum_kind_id("range");
    let lower = [0u64];
    let upper = [1u64 << 32];
    // SAFETY: `context` is live; the bounds are one 64-bit word each, as
    // `NumBits = 64` says, and LLVM copies them.
    unsafe {
        inkwell::attributes::Attribute::new(
            inkwell::llvm_sys::core::LLVMCreateConstantRangeAttribute(
                context.raw(),
                kind,
                64,
                lower.as_ptr(),
                upper.as_ptr(),
            ),
        )
    }
}

/// Index of a native function's first Wasm parameter (after `vmctx` and
/// `host_vmctx`, see [`native_fn_type`]).
pub const WASM_PARAMS: u32 = 2;

/// Gives parameter 0 (`vmctx`) of a Wasm function or of a call of one the
/// `swiftself` attribute that puts it in a callee-saved register; a call
/// site must say so as well as the callee.
pub fn swiftself(context: &Context) -> inkwell::attributes::Attribute {
    context.create_enum_attribute(
        inkwell::attributes::Attribute::get_named_enum_kind_id("swiftself"),
        0,
    )
}
