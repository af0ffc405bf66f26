//! Calls: direct calls to defined functions, calls to imports through their
//! `VMFuncRef`, `call_indirect` with its three checks, and calls to builtins.

use super::checkpoint::CrCallee;
use super::exceptions::{basic_args, Callee};
use super::func_translator::FuncTranslator;
use super::ops::LoweringCx;
use super::types;
use crate::error::Result;
use inkwell::attributes::AttributeLoc;
use inkwell::llvm_sys::LLVMTailCallKind;
use inkwell::types::FunctionType;
use inkwell::values::{BasicMetadataValueEnum, BasicValueEnum, CallSiteValue, PointerValue};
use inkwell::IntPredicate;
use tern_environ::builtins::Builtin;
use tern_environ::migration::PointKind;
use tern_environ::TrapCode;

impl<'ctx> FuncTranslator<'_, '_, 'ctx> {
    /// Calls `builtin` with `vmctx` and `args`; returns its result, if any.
    pub(super) fn call_builtin(
        &mut self,
        builtin: Builtin,
        args: &[BasicMetadataValueEnum<'ctx>],
    ) -> Result<Option<BasicValueEnum<'ctx>>> {
        let function = self.env.builtin(builtin);
        let mut all = vec![self.vmctx.into()];
        all.extend_from_slice(args);
        let call = self.builder.build_call(function, &all, "")?;
        Ok(call.try_as_basic_value().basic())
    }

    /// The native arguments of a Wasm call from `args` (`[vmctx, params...]`):
    /// inserts `host_vmctx` after the context, `poison` for a `direct` call
    /// of a defined function and the callee's context otherwise, and
    /// zero-extends `i32` parameters (see [`types::native_fn_type`]). The call
    /// must then be marked with [`Self::mark_native_call`].
    pub(super) fn native_call_args(
        &self,
        args: &[BasicValueEnum<'ctx>],
        direct: bool,
    ) -> Result<Vec<BasicValueEnum<'ctx>>> {
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(args[0]);
        all.push(if direct {
            self.context()
                .ptr_type(inkwell::AddressSpace::default())
                .get_poison()
                .into()
        } else {
            args[0]
        });
        let i64_ty = self.context().i64_type();
        for arg in &args[1..] {
            all.push(match arg {
                BasicValueEnum::IntValue(v) if v.get_type().get_bit_width() == 32 => {
                    self.builder.build_int_z_extend(*v, i64_ty, "param")?.into()
                }
                other => *other,
            });
        }
        Ok(all)
    }

    /// Marks `call`, a call of a Wasm function type, as passing its context
    /// in the callee-saved `swiftself` register, as the callee expects.
    pub(super) fn mark_native_call(&self, call: CallSiteValue<'ctx>) {
        call.add_attribute(AttributeLoc::Param(0), types::swiftself(self.context()));
    }

    /// Pops the arguments of a call of type `ty_index`, prefixed by `vmctx`.
    fn pop_call_args(
        &mut self,
        ty_index: u32,
        vmctx: PointerValue<'ctx>,
    ) -> Vec<BasicMetadataValueEnum<'ctx>> {
        let count = self.env.info.types[ty_index as usize].params.len();
        let mut args = vec![vmctx.into()];
        args.extend(
            self.pop_n(count)
                .into_iter()
                .map(BasicMetadataValueEnum::from),
        );
        args
    }

    /// Pushes the results of a call returning `ty_index`'s results.
    fn push_call_results(&mut self, ty_index: u32, call: CallSiteValue<'ctx>) -> Result<()> {
        self.push_results(ty_index, call.try_as_basic_value().basic())
    }

    /// Pushes `value`, the (aggregate) result of a call of type `ty_index`.
    fn push_results(&mut self, ty_index: u32, value: Option<BasicValueEnum<'ctx>>) -> Result<()> {
        let count = self.env.info.types[ty_index as usize].results.len();
        let Some(value) = value else {
            return Ok(());
        };
        if count == 1 {
            self.push(value);
            return Ok(());
        }
        let aggregate = value.into_struct_value();
        for i in 0..count as u32 {
            let field = self.builder.build_extract_value(aggregate, i, "result")?;
            self.push(field);
        }
        Ok(())
    }

    /// `call function`.
    pub(super) fn translate_call(&mut self, function: u32) -> Result<()> {
        let ty_index = self.env.info.functions[function as usize];
        if self.call_is_point(function) {
            let fn_ty = self.env.native_fn_type(ty_index);
            let (kind, callee, args) = match self.env.defined_function(function) {
                Some(f) => {
                    let args = self.pop_call_args(ty_index, self.vmctx);
                    (
                        PointKind::Call { callee: function },
                        CrCallee::Direct(f),
                        args,
                    )
                }
                None => {
                    let (native, callee_vmctx) = self.imported_callee(function)?;
                    let args = self.pop_call_args(ty_index, callee_vmctx);
                    (
                        PointKind::HostCall { callee: function },
                        CrCallee::Host(native),
                        args,
                    )
                }
            };
            let result = self.translate_cr_call(kind, fn_ty, callee, args)?;
            return self.push_results(ty_index, result);
        }
        let call = if let Some(callee) = self.env.defined_function(function) {
            let args = self.pop_call_args(ty_index, self.vmctx);
            self.build_throwing_call(Callee::Direct(callee), &args)?
        } else {
            let (native, callee_vmctx) = self.imported_callee(function)?;
            let args = self.pop_call_args(ty_index, callee_vmctx);
            let fn_ty: FunctionType<'ctx> = self.env.native_fn_type(ty_index);
            self.build_throwing_call(Callee::Indirect(fn_ty, native), &args)?
        };
        self.push_call_results(ty_index, call)
    }

    /// The callee of `call_indirect (type ty_index) table`: pops the index,
    /// checks it against the table length, the entry against null and its
    /// signature against `ty_index`; returns the native entry and context.
    fn checked_table_callee(&mut self, ty_index: u32, table: u32) -> Result<FuncrefCallee<'ctx>> {
        let index = self.pop_int();
        let index = self.to_i64(index)?;
        let length = self.table_length(table)?;
        let past = self
            .builder
            .build_int_compare(IntPredicate::UGE, index, length, "oob")?;
        self.trap_if(past, TrapCode::UndefinedElement)?;
        let addr = self.table_element_addr(table, index)?;
        let ptr_ty = self.context().ptr_type(inkwell::AddressSpace::default());
        let funcref = self.builder.build_load(ptr_ty, addr, "funcref")?;
        self.tag(funcref, super::func_env::Region::Table);
        let funcref = funcref.into_pointer_value();
        let is_null = self.builder.build_is_null(funcref, "is_null")?;
        self.trap_if(is_null, TrapCode::UninitializedElement)?;
        let (native, callee_vmctx, actual) = self.funcref_fields(funcref)?;
        let expected = self.type_id(ty_index)?;
        let mismatch =
            self.builder
                .build_int_compare(IntPredicate::NE, actual, expected, "mismatch")?;
        self.trap_if(mismatch, TrapCode::IndirectCallTypeMismatch)?;
        Ok(FuncrefCallee {
            native,
            vmctx: callee_vmctx,
            funcref: Some(funcref),
        })
    }

    /// The callee of `call_ref`: pops the reference and traps if it is null
    /// (its type is static, so there is no signature check).
    fn checked_ref_callee(&mut self) -> Result<FuncrefCallee<'ctx>> {
        let funcref = self.pop().into_pointer_value();
        let is_null = self.builder.build_is_null(funcref, "is_null")?;
        self.trap_if(is_null, TrapCode::NullFunctionReference)?;
        let (native, vmctx, _) = self.funcref_fields(funcref)?;
        Ok(FuncrefCallee {
            native,
            vmctx,
            funcref: Some(funcref),
        })
    }

    /// `call_indirect (type ty_index) table`.
    pub(super) fn translate_call_indirect(&mut self, ty_index: u32, table: u32) -> Result<()> {
        let callee = self.checked_table_callee(ty_index, table)?;
        self.translate_call_through(ty_index, Some(table), callee)
    }

    /// `call_ref ty_index`.
    pub(super) fn translate_call_ref(&mut self, ty_index: u32) -> Result<()> {
        let callee = self.checked_ref_callee()?;
        self.translate_call_through(ty_index, None, callee)
    }

    /// Calls `callee` with the arguments of type `ty_index`, found in
    /// `table` (`None`: a `call_ref`); a migration point under `--cr` unless it
    /// can only reach leaves.
    fn translate_call_through(
        &mut self,
        ty_index: u32,
        table: Option<u32>,
        FuncrefCallee { native, vmctx, .. }: FuncrefCallee<'ctx>,
    ) -> Result<()> {
        let args = self.pop_call_args(ty_index, vmctx);
        let fn_ty = self.env.native_fn_type(ty_index);
        if self.indirect_call_is_point(ty_index, table) {
            let kind = PointKind::CallIndirect {
                type_index: ty_index,
            };
            let result = self.translate_cr_call(kind, fn_ty, CrCallee::Indirect(native), args)?;
            return self.push_results(ty_index, result);
        }
        let call = self.build_throwing_call(Callee::Indirect(fn_ty, native), &args)?;
        self.push_call_results(ty_index, call)
    }

    /// `return_call function`.
    pub(super) fn translate_return_call(&mut self, function: u32) -> Result<()> {
        let ty_index = self.env.info.functions[function as usize];
        if self.cr.is_some() && self.env.defined_function(function).is_none() {
            // Under `--cr` a host call is a migration point that saves its
            // caller's frame to re-issue the call after a restore, so the
            // frame must stay: an ordinary call, then return.
            self.translate_call(function)?;
            return self.translate_return();
        }
        self.prepare_tail_call()?;
        if let Some(callee) = self.env.defined_function(function) {
            let args = self.pop_call_args(ty_index, self.vmctx);
            let args = self.native_call_args(&basic_args(&args)?, true)?;
            let call = self
                .builder
                .build_call(callee, &metadata_args(&args), "tail_call")?;
            self.mark_native_call(call);
            return self.finish_tail_call(ty_index, call);
        }
        let (native, vmctx) = self.imported_callee(function)?;
        let callee = FuncrefCallee {
            native,
            vmctx,
            funcref: None,
        };
        self.translate_tail_call_through(ty_index, callee)
    }

    /// `return_call_indirect (type ty_index) table`.
    pub(super) fn translate_return_call_indirect(
        &mut self,
        ty_index: u32,
        table: u32,
    ) -> Result<()> {
        self.prepare_tail_call()?;
        let callee = self.checked_table_callee(ty_index, table)?;
        self.translate_tail_call_through(ty_index, callee)
    }

    /// `return_call_ref ty_index`.
    pub(super) fn translate_return_call_ref(&mut self, ty_index: u32) -> Result<()> {
        self.prepare_tail_call()?;
        let callee = self.checked_ref_callee()?;
        self.translate_tail_call_through(ty_index, callee)
    }

    /// A tail call through a `VMFuncRef`. The context travels in a
    /// callee-saved register, which a tail call must leave as its own caller
    /// passed it: so only a callee sharing this function's context (every
    /// function of the module, and so every tail call of recursion or
    /// dispatch within it) is tail-called; a callee of another instance is
    /// called normally and its results returned.
    fn translate_tail_call_through(
        &mut self,
        ty_index: u32,
        callee: FuncrefCallee<'ctx>,
    ) -> Result<()> {
        let FuncrefCallee {
            native,
            vmctx: callee_vmctx,
            funcref,
        } = callee;
        let args = self.pop_call_args(ty_index, callee_vmctx);
        let args = basic_args(&args)?;
        let fn_ty = self.env.native_fn_type(ty_index);
        // The arguments with this function's own context, for the tail call
        // and the thunk (built here, where both paths can use them).
        let mut own_args = args.clone();
        own_args[0] = self.vmctx.into();
        let own_args = self.native_call_args(&own_args, false)?;
        let i64_ty = self.context().i64_type();
        let own = self
            .builder
            .build_ptr_to_int(self.vmctx, i64_ty, "own_vmctx")?;
        let theirs = self
            .builder
            .build_ptr_to_int(callee_vmctx, i64_ty, "callee_vmctx")?;
        let same = self
            .builder
            .build_int_compare(IntPredicate::EQ, own, theirs, "same_vmctx")?;
        let tail = self.new_block("tail_call");
        let other = self.new_block("call_other_instance");
        self.builder.build_conditional_branch(same, tail, other)?;

        self.builder.position_at_end(other);
        match (funcref, &self.cr, self.is_musttail(ty_index)) {
            (Some(funcref), None, true) => {
                // Out of line, so that only the thunk changes the context
                // register (`cross_instance.rs`); it also checks the stack,
                // which this function may not have done (`frame_bound.rs`).
                let thunk = self.env.cross_instance_thunk(ty_index)?;
                let mut thunk_args = own_args.clone();
                thunk_args[1] = funcref.into();
                let call = self.builder.build_call(
                    thunk,
                    &metadata_args(&thunk_args),
                    "cross_instance",
                )?;
                self.mark_native_call(call);
                self.finish_tail_call(ty_index, call)?;
            }
            // Any other caller has its entry stack check (`frame_bound.rs`
            // keeps it for every tail call that is not `musttail`, and for
            // tail calls of imports; `--cr` functions always have it).
            _ => self.call_other_instance(ty_index, native, &args)?,
        }

        self.builder.position_at_end(tail);
        let call = self.builder.build_indirect_call(
            fn_ty,
            native,
            &metadata_args(&own_args),
            "tail_call",
        )?;
        self.mark_native_call(call);
        self.finish_tail_call(ty_index, call)
    }

    /// The cross-instance path of [`Self::translate_tail_call_through`] made
    /// here: an ordinary call of `native`, whose results are returned.
    fn call_other_instance(
        &mut self,
        ty_index: u32,
        native: PointerValue<'ctx>,
        args: &[BasicValueEnum<'ctx>],
    ) -> Result<()> {
        let fn_ty = self.env.native_fn_type(ty_index);
        let call = self.builder.build_indirect_call(
            fn_ty,
            native,
            &metadata_args(&self.native_call_args(args, false)?),
            "call",
        )?;
        self.mark_native_call(call);
        call.set_tail_call_kind(LLVMTailCallKind::LLVMTailCallKindNoTail);
        self.build_return_of(call)
    }

    /// Before the first tail call of a function: lets LLVM make tail calls
    /// in it (they are disabled by default, see `ModuleEnv::new`), and under
    /// `--cr` gives it the tail-resume path (`checkpoint/tail.rs`).
    fn prepare_tail_call(&mut self) -> Result<()> {
        self.function
            .remove_string_attribute(AttributeLoc::Function, "disable-tail-calls");
        if self.cr.is_some() {
            self.ensure_tail_resume()?;
        }
        Ok(())
    }

    /// Makes `call` a tail call and returns its result. With the same
    /// native signature as the caller it is a `musttail` call, which LLVM
    /// guarantees on every target (constant stack in unbounded tail
    /// recursion); otherwise a `tail` call, which the x86-64 and AArch64
    /// back ends perform whenever the callee's stack arguments fit in the
    /// caller's (always when every argument is in a register).
    ///
    /// Results that do not all fit in return registers
    /// ([`types::results_in_registers`]) come back through a hidden pointer,
    /// where LLVM cannot guarantee a tail call: such a call is a `tail`
    /// call too, which the back ends may still make, and otherwise an
    /// ordinary call (deep tail recursion with such a signature can then
    /// exhaust the stack).
    fn finish_tail_call(&mut self, ty_index: u32, call: CallSiteValue<'ctx>) -> Result<()> {
        call.set_tail_call_kind(if self.is_musttail(ty_index) {
            LLVMTailCallKind::LLVMTailCallKindMustTail
        } else {
            LLVMTailCallKind::LLVMTailCallKindTail
        });
        self.build_return_of(call)?;
        self.reachable = false;
        Ok(())
    }

    /// Whether a tail call of type `ty_index` from this function is a
    /// `musttail` call (see [`Self::finish_tail_call`]).
    pub(super) fn is_musttail(&self, ty_index: u32) -> bool {
        let results = &self.env.info.types[ty_index as usize].results;
        self.function.get_type() == self.env.native_fn_type(ty_index)
            && types::results_in_registers(self.env.target, results)
    }

    /// Returns the result of `call` (the caller's results are the callee's).
    pub(super) fn build_return_of(&self, call: CallSiteValue<'ctx>) -> Result<()> {
        match call.try_as_basic_value().basic() {
            Some(value) => self.builder.build_return(Some(&value))?,
            None => self.builder.build_return(None)?,
        };
        Ok(())
    }
}

/// `args` as call arguments.
pub(super) fn metadata_args<'ctx>(
    args: &[BasicValueEnum<'ctx>],
) -> Vec<BasicMetadataValueEnum<'ctx>> {
    args.iter().map(|&a| a.into()).collect()
}

/// A callee reached through a `VMFuncRef`: its native entry and context,
/// and the `VMFuncRef` itself when there is one (not for an import).
#[derive(Clone, Copy)]
struct FuncrefCallee<'ctx> {
    native: PointerValue<'ctx>,
    vmctx: PointerValue<'ctx>,
    funcref: Option<PointerValue<'ctx>>,
}
