//! Array-call trampolines, one per type: `fn(callee, vmctx, values)` reads
//! the parameters from 16-byte `ValRaw` slots, calls `callee` with the native
//! convention (`types::native_fn_type`) and writes the results back into the slots.

use crate::error::Result;
use crate::translate::{enum_attribute, types};
use inkwell::attributes::AttributeLoc;
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::types::BasicTypeEnum;
use inkwell::values::{BasicMetadataValueEnum, BasicValue, FunctionValue, PointerValue};
use inkwell::AddressSpace;
use tern_environ::vmctx::VAL_RAW_SIZE;
use tern_environ::FuncType;

/// Emits `prefix` + `tramp_T` for every type; returns them by type index.
///
/// # Errors
/// Propagates LLVM builder errors.
pub fn emit_trampolines<'ctx>(
    context: &'ctx Context,
    module: &Module<'ctx>,
    types_list: &[FuncType],
    prefix: &str,
) -> Result<Vec<FunctionValue<'ctx>>> {
    types_list
        .iter()
        .enumerate()
        .map(|(index, ty)| emit_trampoline(context, module, ty, &format!("{prefix}tramp_{index}")))
        .collect()
}

fn emit_trampoline<'ctx>(
    context: &'ctx Context,
    module: &Module<'ctx>,
    ty: &FuncType,
    name: &str,
) -> Result<FunctionValue<'ctx>> {
    let ptr = context.ptr_type(AddressSpace::default());
    let fn_ty = context
        .void_type()
        .fn_type(&[ptr.into(), ptr.into(), ptr.into()], false);
    let function = module.add_function(name, fn_ty, Some(Linkage::Internal));
    function.add_attribute(
        AttributeLoc::Function,
        context.create_string_attribute("frame-pointer", "all"),
    );
    function.add_attribute(AttributeLoc::Function, enum_attribute(context, "nounwind"));
    // Unwind tables, so a checkpoint unwind can step through (see `--cr`).
    function.add_attribute(
        AttributeLoc::Function,
        context.create_enum_attribute(
            inkwell::attributes::Attribute::get_named_enum_kind_id("uwtable"),
            2,
        ),
    );
    let builder = context.create_builder();
    builder.position_at_end(context.append_basic_block(function, "entry"));
    let param = |i: u32| {
        function
            .get_nth_param(i)
            .expect("trampolines have three parameters")
            .into_pointer_value()
    };
    let (callee, vmctx, values) = (param(0), param(1), param(2));
    let slot = |i: usize| -> Result<PointerValue<'ctx>> {
        let offset = context
            .i64_type()
            .const_int(i as u64 * u64::from(VAL_RAW_SIZE), false);
        // SAFETY: the caller passes at least max(params, results) slots.
        Ok(unsafe { builder.build_in_bounds_gep(context.i8_type(), values, &[offset], "slot")? })
    };
    // The context goes in both (`types::native_fn_type`): `callee` may be a
    // Wasm function or a host function.
    let mut args: Vec<BasicMetadataValueEnum<'ctx>> = vec![vmctx.into(), vmctx.into()];
    for (i, param_ty) in ty.params.iter().enumerate() {
        let value = builder.build_load(types::llvm_type(context, *param_ty), slot(i)?, "arg")?;
        if let Some(inst) = value.as_instruction_value() {
            let _ = inst.set_alignment(8);
        }
        let value = match types::native_param_type(context, *param_ty) {
            BasicTypeEnum::IntType(wide) if wide != value.get_type().into_int_type() => builder
                .build_int_z_extend(value.into_int_value(), wide, "arg")?
                .into(),
            _ => value,
        };
        args.push(value.into());
    }
    let native_ty = types::native_fn_type(context, ty);
    let call = builder.build_indirect_call(native_ty, callee, &args, "call")?;
    call.add_attribute(AttributeLoc::Param(0), types::swiftself(context));
    if let Some(result) = call.try_as_basic_value().basic() {
        let results: Vec<_> = if ty.results.len() == 1 {
            vec![result]
        } else {
            let aggregate = result.into_struct_value();
            (0..ty.results.len() as u32)
                .map(|i| builder.build_extract_value(aggregate, i, "result"))
                .collect::<Result<_, _>>()?
        };
        for (i, value) in results.into_iter().enumerate() {
            let store = builder.build_store(slot(i)?, value)?;
            let _ = store.set_alignment(8);
        }
    }
    builder.build_return(None)?;
    Ok(function)
}
