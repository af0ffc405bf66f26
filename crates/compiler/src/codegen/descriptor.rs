//! The per-module data the runtime reads: the serialized `ModuleInfo`
//! (`<prefix>metadata`) and the `VMModuleDescriptor` (`<prefix>module_descriptor`,
//! the only global symbol), laid out as in `tern_environ::descriptor`.

use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::values::{BasicValue, BasicValueEnum, FunctionValue, PointerValue};
use inkwell::AddressSpace;
use tern_environ::descriptor::DESCRIPTOR_VERSION;
use tern_environ::ModuleInfo;

/// Emits the metadata, the function and trampoline tables, and the descriptor.
pub fn emit_descriptor<'ctx>(
    context: &'ctx Context,
    module: &Module<'ctx>,
    info: &ModuleInfo,
    functions: &[FunctionValue<'ctx>],
    trampolines: &[FunctionValue<'ctx>],
    prefix: &str,
) {
    let i64_ty = context.i64_type();
    let ptr_ty = context.ptr_type(AddressSpace::default());

    let bytes = info.to_bytes();
    let metadata_init = context.const_string(&bytes, false);
    let metadata = module.add_global(metadata_init.get_type(), None, &format!("{prefix}metadata"));
    metadata.set_initializer(&metadata_init);
    metadata.set_constant(true);
    metadata.set_linkage(Linkage::Internal);
    metadata.set_alignment(8);

    let table = |name: &str, entries: &[FunctionValue<'ctx>]| -> PointerValue<'ctx> {
        if entries.is_empty() {
            return ptr_ty.const_null();
        }
        let values: Vec<PointerValue<'ctx>> = entries
            .iter()
            .map(|f| f.as_global_value().as_pointer_value())
            .collect();
        let init = ptr_ty.const_array(&values);
        let global = module.add_global(init.get_type(), None, &format!("{prefix}{name}"));
        global.set_initializer(&init);
        global.set_constant(true);
        global.set_linkage(Linkage::Internal);
        global.as_pointer_value()
    };
    let functions_table = table("functions", functions);
    let trampolines_table = table("array_trampolines", trampolines);

    // Filled in after optimization (`stackmaps::link_stackmaps`), when it is
    // known whether any capture statepoint is left.
    let stackmaps = module.add_global(ptr_ty, None, &stackmaps_global(prefix));
    stackmaps.set_initializer(&ptr_ty.const_null());
    stackmaps.set_linkage(Linkage::Internal);

    let fields: [BasicValueEnum<'ctx>; 8] = [
        i64_ty
            .const_int(u64::from(DESCRIPTOR_VERSION), false)
            .into(),
        metadata.as_pointer_value().into(),
        i64_ty.const_int(bytes.len() as u64, false).into(),
        functions_table.into(),
        i64_ty.const_int(functions.len() as u64, false).into(),
        trampolines_table.into(),
        i64_ty.const_int(trampolines.len() as u64, false).into(),
        stackmaps.as_pointer_value().into(),
    ];
    let init = context.const_struct(&fields, false);
    let descriptor =
        module.add_global(init.get_type(), None, &format!("{prefix}module_descriptor"));
    descriptor.set_initializer(&init.as_basic_value_enum());
    descriptor.set_constant(true);
    descriptor.set_linkage(Linkage::External);
    descriptor.set_alignment(8);
}

/// The internal global holding the address of the module's stackmap records
/// (`VMModuleDescriptor::stackmaps`).
pub fn stackmaps_global(prefix: &str) -> String {
    format!("{prefix}stackmaps")
}
