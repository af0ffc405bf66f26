//! The out-of-line call that stands in for a tail call into another
//! instance.
//!
//! The context travels in the callee-saved `swiftself` register, and a tail
//! call must leave it as its own caller passed it, so a `return_call_indirect`
//! or `return_call_ref` whose callee belongs to another instance is made as
//! an ordinary call (`FuncTranslator::translate_tail_call_through`). Made in
//! the caller, that call changes the register, so the caller had to save and
//! restore it on every path, the same-instance tail call included: a push
//! and a pop in every handler of an interpreter that dispatches with
//! `return_call_indirect` (`bench/programs/tailcall.c`), which LLVM cannot
//! shrink-wrap away because the register is read from the first
//! instruction on. The caller now `musttail`-calls a thunk of its own
//! signature instead, passing the callee's `VMFuncRef` where `host_vmctx`
//! goes; the thunk checks the stack (its frame stays under the callee, so
//! mutual tail recursion between instances grows the stack and must trap),
//! then calls the callee with its context and returns the results. Only the
//! thunk saves the register.

use super::env::ModuleEnv;
use super::types;
use inkwell::attributes::AttributeLoc;
use inkwell::builder::BuilderError;
use inkwell::llvm_sys::LLVMTailCallKind;
use inkwell::module::Linkage;
use inkwell::values::{BasicMetadataValueEnum, FunctionValue};
use inkwell::{AddressSpace, IntPredicate};
use tern_environ::builtins::Builtin;
use tern_environ::vmctx::{VMCTX_LEAF_STACK_LIMIT, VM_FUNCREF_NATIVE, VM_FUNCREF_VMCTX};
use tern_environ::TrapCode;

impl<'ctx> ModuleEnv<'_, 'ctx> {
    /// The thunk for tail calls of type `ty_index` into another instance:
    /// native signature of `ty_index`, `host_vmctx` replaced by the callee's
    /// `VMFuncRef`. Declared on first use.
    pub fn cross_instance_thunk(&self, ty_index: u32) -> Result<FunctionValue<'ctx>, BuilderError> {
        let name = format!("tern_cross_instance_call_{ty_index}");
        if let Some(function) = self.module.get_function(&name) {
            return Ok(function);
        }
        let context = self.context;
        let fn_ty = self.native_fn_type(ty_index);
        let function = self
            .module
            .add_function(&name, fn_ty, Some(Linkage::Internal));
        let swiftself = types::swiftself(context);
        function.add_attribute(AttributeLoc::Param(0), swiftself);
        let zero_extended = types::zero_extended_range(context);
        for (i, param) in self.info.types[ty_index as usize].params.iter().enumerate() {
            if *param == tern_environ::ValType::I32 {
                function.add_attribute(
                    AttributeLoc::Param(i as u32 + types::WASM_PARAMS),
                    zero_extended,
                );
            }
        }
        for (key, value) in [("frame-pointer", "none"), ("disable-tail-calls", "true")] {
            function.add_attribute(
                AttributeLoc::Function,
                context.create_string_attribute(key, value),
            );
        }
        for attribute in ["noinline", "cold"] {
            function.add_attribute(
                AttributeLoc::Function,
                super::env::enum_attribute(context, attribute),
            );
        }
        function.add_attribute(
            AttributeLoc::Function,
            context.create_enum_attribute(
                inkwell::attributes::Attribute::get_named_enum_kind_id("uwtable"),
                2,
            ),
        );

        let builder = context.create_builder();
        let entry = context.append_basic_block(function, "entry");
        let call_block = context.append_basic_block(function, "call");
        let overflow = context.append_basic_block(function, "overflow");
        builder.position_at_end(entry);
        let i64_ty = context.i64_type();
        let i8_ty = context.i8_type();
        let ptr_ty = context.ptr_type(AddressSpace::default());
        let params = function.get_params();
        let vmctx = params[0].into_pointer_value();
        let funcref = params[1].into_pointer_value();
        let field = |base, offset: u32, name: &str| {
            // SAFETY: constant offsets into the context and the `VMFuncRef`.
            let addr = unsafe {
                builder.build_gep(
                    i8_ty,
                    base,
                    &[i64_ty.const_int(u64::from(offset), false)],
                    name,
                )
            }?;
            Ok::<_, BuilderError>(addr)
        };
        let sp = self.read_stack_pointer(&builder)?;
        let limit_addr = field(vmctx, VMCTX_LEAF_STACK_LIMIT, "limit_addr")?;
        let limit = builder
            .build_load(i64_ty, limit_addr, "stack_limit")?
            .into_int_value();
        let below = builder.build_int_compare(IntPredicate::ULT, sp, limit, "below")?;
        builder.build_conditional_branch(below, overflow, call_block)?;

        builder.position_at_end(overflow);
        let code = context
            .i32_type()
            .const_int(TrapCode::StackOverflow as u64, false);
        builder.build_call(
            self.builtin(Builtin::Trap),
            &[vmctx.into(), code.into()],
            "",
        )?;
        builder.build_unreachable()?;

        builder.position_at_end(call_block);
        let native_addr = field(funcref, VM_FUNCREF_NATIVE, "native_addr")?;
        let native = builder
            .build_load(ptr_ty, native_addr, "native")?
            .into_pointer_value();
        let callee_addr = field(funcref, VM_FUNCREF_VMCTX, "callee_addr")?;
        let callee_vmctx = builder.build_load(ptr_ty, callee_addr, "callee_vmctx")?;
        let mut args: Vec<BasicMetadataValueEnum<'ctx>> =
            vec![callee_vmctx.into(), callee_vmctx.into()];
        args.extend(params[2..].iter().map(|&p| BasicMetadataValueEnum::from(p)));
        let call = builder.build_indirect_call(fn_ty, native, &args, "call")?;
        call.add_attribute(AttributeLoc::Param(0), swiftself);
        call.set_tail_call_kind(LLVMTailCallKind::LLVMTailCallKindNoTail);
        match call.try_as_basic_value().basic() {
            Some(value) => builder.build_return(Some(&value))?,
            None => builder.build_return(None)?,
        };
        Ok(function)
    }
}
