//! The bundle object of an executable: the table of module descriptors,
//! `tern_catch_traps` (the one host→Wasm entry, where `setjmp` lives) and
//! `main`, all as described in `tern_environ::descriptor`.

use super::optimize::{emit, optimize, verify};
use super::target::target_machine;
use crate::error::Result;
use crate::target::Target;
use crate::translate::enum_attribute;
use inkwell::attributes::AttributeLoc;
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::targets::FileType;
use inkwell::values::{BasicValueEnum, FunctionValue, PointerValue};
use inkwell::{AddressSpace, IntPredicate};
use tern_environ::descriptor::{
    BUNDLE_MODULES_SYMBOL, BUNDLE_MODULE_COUNT_SYMBOL, CATCH_TRAPS_SYMBOL, EH_PERSONALITY_SYMBOL,
    EXCEPTION_ESCAPED_SYMBOL, JMP_BUF_SIZE, RUNTIME_MAIN_SYMBOL,
};

/// Builds the bundle object for modules compiled with `prefixes` (in order:
/// module K of the bundle is `prefixes[K]`'s descriptor).
///
/// # Errors
/// `Codegen` on LLVM failures.
pub fn emit_bundle(prefixes: &[String], target: Target) -> Result<Vec<u8>> {
    let context = Context::create();
    let module = context.create_module("tern_bundle");
    let machine = target_machine(target, 2)?;
    module.set_triple(&machine.get_triple());
    module.set_data_layout(&machine.get_target_data().get_data_layout());

    let (modules, count) = emit_module_table(&context, &module, prefixes);
    let catch_traps = emit_catch_traps(&context, &module)?;
    emit_main(&context, &module, modules, count, catch_traps)?;
    verify(&module)?;
    optimize(&module, &machine, 2)?;
    emit(&module, &machine, FileType::Object)
}

/// `tern_bundle_modules` and `tern_bundle_module_count`.
fn emit_module_table<'ctx>(
    context: &'ctx Context,
    module: &Module<'ctx>,
    prefixes: &[String],
) -> (PointerValue<'ctx>, u64) {
    let ptr_ty = context.ptr_type(AddressSpace::default());
    let i64_ty = context.i64_type();
    let descriptors: Vec<PointerValue<'ctx>> = prefixes
        .iter()
        .map(|prefix| {
            let name = format!("{prefix}module_descriptor");
            let global = module.add_global(context.i8_type(), None, &name);
            global.set_linkage(Linkage::External);
            global.as_pointer_value()
        })
        .collect();
    let init = ptr_ty.const_array(&descriptors);
    let table = module.add_global(init.get_type(), None, BUNDLE_MODULES_SYMBOL);
    table.set_initializer(&init);
    table.set_constant(true);
    table.set_alignment(8);
    let count = module.add_global(i64_ty, None, BUNDLE_MODULE_COUNT_SYMBOL);
    count.set_initializer(&i64_ty.const_int(prefixes.len() as u64, false));
    count.set_constant(true);
    (table.as_pointer_value(), prefixes.len() as u64)
}

/// `tern_catch_traps(tramp, callee, vmctx, values, slot) -> i32`.
fn emit_catch_traps<'ctx>(
    context: &'ctx Context,
    module: &Module<'ctx>,
) -> Result<FunctionValue<'ctx>> {
    let ptr_ty = context.ptr_type(AddressSpace::default());
    let i32_ty = context.i32_type();
    let setjmp = module.add_function(
        "_setjmp",
        i32_ty.fn_type(&[ptr_ty.into()], false),
        Some(Linkage::External),
    );
    setjmp.add_attribute(
        AttributeLoc::Function,
        enum_attribute(context, "returns_twice"),
    );

    let params = [ptr_ty.into(); 5];
    let function = module.add_function(
        CATCH_TRAPS_SYMBOL,
        i32_ty.fn_type(&params, false),
        Some(Linkage::External),
    );
    function.add_attribute(AttributeLoc::Function, enum_attribute(context, "noinline"));
    function.add_attribute(
        AttributeLoc::Function,
        context.create_string_attribute("frame-pointer", "all"),
    );
    let param = |i: u32| -> PointerValue<'ctx> {
        function
            .get_nth_param(i)
            .expect("five parameters")
            .into_pointer_value()
    };
    let (tramp, callee, vmctx, values, slot) = (param(0), param(1), param(2), param(3), param(4));

    let builder = context.create_builder();
    let entry = context.append_basic_block(function, "entry");
    let run = context.append_basic_block(function, "run");
    let trapped = context.append_basic_block(function, "trapped");
    builder.position_at_end(entry);
    let buffer_ty = context.i8_type().array_type(JMP_BUF_SIZE);
    let buffer = builder.build_alloca(buffer_ty, "jmp_buf")?;
    if let Some(inst) = buffer.as_instruction() {
        let _ = inst.set_alignment(16);
    }
    let saved = builder.build_load(ptr_ty, slot, "saved")?;
    builder.build_store(slot, buffer)?;
    let code = builder
        .build_call(setjmp, &[buffer.into()], "code")?
        .try_as_basic_value()
        .basic()
        .expect("_setjmp returns i32")
        .into_int_value();
    let first = builder.build_int_compare(IntPredicate::EQ, code, i32_ty.const_zero(), "first")?;
    builder.build_conditional_branch(first, run, trapped)?;

    builder.position_at_end(run);
    let tramp_ty = context.void_type().fn_type(&[ptr_ty.into(); 3], false);
    let returned = context.append_basic_block(function, "returned");
    let escaped = context.append_basic_block(function, "exception_escaped");
    builder.build_indirect_invoke(
        tramp_ty,
        tramp,
        &[callee.into(), vmctx.into(), values.into()],
        returned,
        escaped,
        "",
    )?;
    builder.position_at_end(returned);
    builder.build_store(slot, saved)?;
    builder.build_return(Some(&i32_ty.const_zero()))?;

    // A Wasm exception nobody caught: the host entry is its handler of last
    // resort (the personality never stops a checkpoint unwind here).
    let personality = module.add_function(
        EH_PERSONALITY_SYMBOL,
        i32_ty.fn_type(&[], true),
        Some(Linkage::External),
    );
    function.set_personality_function(personality);
    builder.position_at_end(escaped);
    let token_ty = context.struct_type(&[ptr_ty.into(), i32_ty.into()], false);
    let null = ptr_ty.const_null();
    let token = builder.build_landing_pad(token_ty, personality, &[null.into()], false, "exn")?;
    let exception = builder.build_extract_value(token.into_struct_value(), 0, "exception")?;
    let escaped_fn = module.add_function(
        EXCEPTION_ESCAPED_SYMBOL,
        i32_ty.fn_type(&[ptr_ty.into()], false),
        Some(Linkage::External),
    );
    let escaped_code = builder
        .build_call(escaped_fn, &[exception.into()], "code")?
        .try_as_basic_value()
        .basic()
        .expect("tern_exception_escaped returns i32");
    builder.build_store(slot, saved)?;
    builder.build_return(Some(&escaped_code))?;

    builder.position_at_end(trapped);
    builder.build_store(slot, saved)?;
    builder.build_return(Some(&code))?;
    Ok(function)
}

/// `main(argc, argv)` → `tern_runtime_main(argc, argv, modules, count, catch_traps)`.
fn emit_main<'ctx>(
    context: &'ctx Context,
    module: &Module<'ctx>,
    modules: PointerValue<'ctx>,
    count: u64,
    catch_traps: FunctionValue<'ctx>,
) -> Result<()> {
    let ptr_ty = context.ptr_type(AddressSpace::default());
    let i32_ty = context.i32_type();
    let i64_ty = context.i64_type();
    let runtime_main = module.add_function(
        RUNTIME_MAIN_SYMBOL,
        i32_ty.fn_type(
            &[
                i32_ty.into(),
                ptr_ty.into(),
                ptr_ty.into(),
                i64_ty.into(),
                ptr_ty.into(),
            ],
            false,
        ),
        Some(Linkage::External),
    );
    let main = module.add_function(
        "main",
        i32_ty.fn_type(&[i32_ty.into(), ptr_ty.into()], false),
        Some(Linkage::External),
    );
    let builder = context.create_builder();
    builder.position_at_end(context.append_basic_block(main, "entry"));
    let argc: BasicValueEnum<'ctx> = main.get_nth_param(0).expect("argc");
    let argv: BasicValueEnum<'ctx> = main.get_nth_param(1).expect("argv");
    let args = [
        argc.into(),
        argv.into(),
        modules.into(),
        i64_ty.const_int(count, false).into(),
        catch_traps.as_global_value().as_pointer_value().into(),
    ];
    let status = builder
        .build_call(runtime_main, &args, "status")?
        .try_as_basic_value()
        .basic()
        .expect("tern_runtime_main returns i32");
    builder.build_return(Some(&status))?;
    Ok(())
}
