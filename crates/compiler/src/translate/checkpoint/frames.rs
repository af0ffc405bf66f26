//! Frame records: how a migration point's frame goes into the slots the
//! runtime hands out and comes back from them.
//!
//! * **Capture**: a call's cleanup landing pad (`emit_capture`), or a loop
//!   poll's capture block (`emit_capture_and_unwind`), calls a capture
//!   target through a statepoint whose `"deopt"` bundle lists
//!   its live locals, then its operand stack (the compact layout); the
//!   runtime reads them through the stackmap record (`emit_frame_save`).
//!   An entry check's slow path is such a statepoint too, whose target
//!   answers a restore or a checkpoint request and captures by itself
//!   (`emit_entry_statepoint`).
//! * **Restore**: one frame restore block per function reloads the locals
//!   that the points take from it (`finish_frame_restore`); each point's
//!   block reloads the rest and its operand stack (`emit_restore_point`),
//!   in the restore layout (locals by index, then the operand stack;
//!   `tern_environ::migration::restore_offsets`).
//! * Every runtime call here goes through a register-preserving wrapper
//!   (`call_preserving`): these paths are cold, and must not make LLVM keep
//!   the hot path's values in callee-saved registers.

use super::super::env::PRESERVE_ALL_CALL_CONV;
use super::super::func_translator::FuncTranslator;
use super::super::ops::LoweringCx;
use crate::error::{CompileError, Result};
use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::llvm_sys::core::LLVMBuildCallWithOperandBundles;
use inkwell::llvm_sys::prelude::LLVMValueRef;
use inkwell::types::AsTypeRef;
use inkwell::types::{AnyType, BasicTypeEnum};
use inkwell::values::{
    AnyValue, AnyValueEnum, BasicMetadataValueEnum, BasicValue, BasicValueEnum, FunctionValue,
    IntValue, OperandBundle, PointerValue,
};
use inkwell::values::{AsValueRef, CallSiteValue};
use inkwell::AddressSpace;
use tern_environ::migration::{restore_offsets, restore_slot_size, RESTORE_BIAS, SLOT_SIZE};

/// The GC strategy of functions with capture statepoints.
const CAPTURE_GC: &str = "statepoint-example";

impl<'ctx> FuncTranslator<'_, '_, 'ctx> {
    /// Calls a register-preserving builtin wrapper (`env.rs`) with the
    /// context and `args`. The context travels in the `swiftself` register,
    /// where the function already keeps it, and the first argument in the
    /// register of the function's unused caller-context parameter, so the
    /// call moves none of the function's own values.
    pub(super) fn call_preserving(
        &self,
        wrapper: FunctionValue<'ctx>,
        args: &[IntValue<'ctx>],
        what: &str,
    ) -> Result<BasicValueEnum<'ctx>> {
        let mut call_args: Vec<BasicMetadataValueEnum<'ctx>> = vec![self.vmctx.into()];
        call_args.extend(args.iter().map(|a| BasicMetadataValueEnum::from(*a)));
        let call = self.builder.build_call(wrapper, &call_args, what)?;
        call.set_call_convention(PRESERVE_ALL_CALL_CONV);
        call.add_attribute(
            inkwell::attributes::AttributeLoc::Param(0),
            super::super::types::swiftself(self.context()),
        );
        call.try_as_basic_value()
            .basic()
            .ok_or_else(|| CompileError::Codegen(format!("{what} returns a value")))
    }

    /// A cleanup landing pad at the builder's position (after any phis):
    /// saves the frame (`emit_frame_save`) and resumes the unwind.
    pub(super) fn emit_capture(
        &mut self,
        position: u32,
        locals: &[u32],
        stack: &[BasicValueEnum<'ctx>],
    ) -> Result<()> {
        let caught = self.build_landing_pad(true)?;
        if self.in_handler_scope() {
            // Selector 0: a checkpoint; otherwise a Wasm exception.
            let capture = self.new_block("checkpoint");
            let exception = self.new_block("exception");
            let zero = self.context().i32_type().const_zero();
            let is_checkpoint = self.builder.build_int_compare(
                inkwell::IntPredicate::EQ,
                caught.selector,
                zero,
                "is_checkpoint",
            )?;
            self.builder
                .build_conditional_branch(is_checkpoint, capture, exception)?;
            self.builder.position_at_end(exception);
            self.dispatch(caught.exception)?;
            self.builder.position_at_end(capture);
        }
        // The capture resumes the unwind itself: no `resume` here.
        self.emit_frame_save(position, locals, stack, true)?;
        self.builder.build_unreachable()?;
        Ok(())
    }

    /// A poll's capture block: saves the frame like a landing pad would,
    /// then lets `cr_unwind` unwind the frames below (this frame's call of it
    /// has no landing pad, so the unwind passes it by).
    pub(super) fn emit_capture_and_unwind(
        &mut self,
        position: u32,
        locals: &[u32],
        stack: &[BasicValueEnum<'ctx>],
    ) -> Result<()> {
        self.emit_frame_save(position, locals, stack, false)?;
        self.builder.build_unreachable()?;
        Ok(())
    }

    /// Saves the frame at `position`: one `llvm.experimental.gc.statepoint`
    /// call of a capture target whose `"deopt"` bundle holds every saved
    /// local, then `stack`. The target never returns: it goes on with the
    /// unwind, by resuming it from a landing pad (`resume`) or by starting
    /// it below this frame (`env::capture_target`).
    ///
    /// The values cost no code here: with `-use-registers-for-deopt-values`
    /// (`codegen::target`) the stackmap record at the call's return address
    /// says which register or frame slot holds each one, and the runtime
    /// reads them from there (`checkpoint::stackmaps`). Storing
    /// them into slots instead took about 10 bytes per value per point (a
    /// reload from its spill slot and a store), 80% of a large function's
    /// `--cr` code (printf's formatting loop: 108 points of ~40 values).
    fn emit_frame_save(
        &mut self,
        position: u32,
        locals: &[u32],
        stack: &[BasicValueEnum<'ctx>],
        resume: bool,
    ) -> Result<()> {
        let target = self.env.capture_target(resume);
        self.build_frame_statepoint(position, locals, stack, target)?;
        Ok(())
    }

    /// An entry check's slow path: one statepoint call of the entry target
    /// (`env::entry_target`) with the entry's saved locals, as for a
    /// capture, whose answer it returns (`gc.result`). When a checkpoint is
    /// requested the target saves the frame from the record and unwinds, so
    /// the entry needs no capture block of its own, and it passes no
    /// argument (before 2026-12-07, `cr_enter(func)` and, on its answer, a
    /// capture statepoint: module code 0.9% larger).
    pub(super) fn emit_entry_statepoint(
        &mut self,
        position: u32,
        locals: &[u32],
    ) -> Result<IntValue<'ctx>> {
        let target = self.env.entry_target();
        let token = self.build_frame_statepoint(position, locals, &[], target)?;
        // The call is of the statepoint intrinsic, so the target's `cold`
        // does not reach LLVM's branch probabilities by itself.
        token.add_attribute(
            AttributeLoc::Function,
            super::super::enum_attribute(self.context(), "cold"),
        );
        let i64_ty = self.context().i64_type();
        let result = self
            .env
            .intrinsic("llvm.experimental.gc.result", &[i64_ty.into()]);
        let mut args = [token.as_value_ref()];
        // SAFETY: `result` takes the one token argument given, which belongs
        // to this function's context, and the builder is positioned.
        let answer = unsafe {
            inkwell::llvm_sys::core::LLVMBuildCall2(
                self.builder.as_mut_ptr(),
                result.get_type().as_type_ref(),
                result.as_value_ref(),
                args.as_mut_ptr(),
                1,
                c"answer".as_ptr(),
            )
        };
        // SAFETY: `answer` is the `i64` result of the call just built.
        Ok(unsafe { IntValue::new(answer) })
    }

    /// The statepoint call of `target` behind a capture or a poll: its ID is
    /// `position`, its `"deopt"` bundle the saved `locals`, then `stack`.
    fn build_frame_statepoint(
        &mut self,
        position: u32,
        locals: &[u32],
        stack: &[BasicValueEnum<'ctx>],
        target: FunctionValue<'ctx>,
    ) -> Result<CallSiteValue<'ctx>> {
        let mut values: Vec<AnyValueEnum<'ctx>> = Vec::with_capacity(locals.len() + stack.len());
        for &l in locals {
            let local = self.locals[l as usize];
            let value = self
                .builder
                .build_load(local.ty, local.slot, "saved_local")?;
            values.push(value.as_any_value_enum());
        }
        values.extend(stack.iter().map(|v| v.as_any_value_enum()));

        let context = self.context();
        let ptr = context.ptr_type(AddressSpace::default());
        let statepoint = self
            .env
            .intrinsic("llvm.experimental.gc.statepoint", &[ptr.into()]);
        let i32_ty = context.i32_type();
        let args: [BasicMetadataValueEnum<'ctx>; 7] = [
            // The statepoint ID is the position: the runtime reads it from
            // the record, so the call passes nothing (an argument cost
            // 3-8 bytes per capture: 5% of `--cr` module code on x86-64).
            context
                .i64_type()
                .const_int(u64::from(position), false)
                .into(),
            i32_ty.const_zero().into(), // no patch bytes: a real call
            target.as_global_value().as_pointer_value().into(),
            i32_ty.const_zero().into(), // call arguments (none)
            i32_ty.const_zero().into(), // flags
            i32_ty.const_zero().into(), // transition arguments (none)
            i32_ty.const_zero().into(), // deopt arguments (in the bundle)
        ];
        let call =
            self.build_call_with_bundle(statepoint, &args, OperandBundle::create("deopt", &values));
        // `preserve_allcc`: the values stay in whatever registers hold them
        // (caller-saved ones included) and the stub saves them all. Under
        // the C convention LLVM moved them into callee-saved registers first,
        // which a small function then saves in its prologue on every call
        // (tailcall's handlers pushed five registers instead of one: 1.109x
        // -> 1.400x instructions; a leaf loop's poll capture likewise).
        call.set_call_convention(PRESERVE_ALL_CALL_CONV);
        let element_type = context.create_type_attribute(
            Attribute::get_named_enum_kind_id("elementtype"),
            target.get_type().as_any_type_enum(),
        );
        call.add_attribute(AttributeLoc::Param(2), element_type);
        // Statepoints need a GC strategy; "statepoint-example" relocates
        // nothing here (no pointer is in address space 1), and the inliner
        // gives it to every function it inlines a capture into.
        self.function.set_gc(CAPTURE_GC);
        Ok(call)
    }

    /// A call of `function` with `args` and `bundle`, built through the C
    /// API: inkwell's call builders look the result type up as a basic type,
    /// and a statepoint returns a `token`.
    fn build_call_with_bundle(
        &self,
        function: FunctionValue<'ctx>,
        args: &[BasicMetadataValueEnum<'ctx>],
        bundle: OperandBundle<'ctx>,
    ) -> CallSiteValue<'ctx> {
        let mut raw_args: Vec<LLVMValueRef> = args.iter().map(|a| a.as_value_ref()).collect();
        let mut bundles = [bundle.as_mut_ptr()];
        // SAFETY: every handle belongs to this function's context, the
        // builder is positioned, and the argument and bundle arrays hold the
        // counts passed with them.
        unsafe {
            let raw = LLVMBuildCallWithOperandBundles(
                self.builder.as_mut_ptr(),
                function.get_type().as_type_ref(),
                function.as_value_ref(),
                raw_args.as_mut_ptr(),
                raw_args.len() as u32,
                bundles.as_mut_ptr(),
                bundles.len() as u32,
                c"call".as_ptr(),
            );
            CallSiteValue::new(raw)
        }
    }

    /// The frame being restored, in the restore layout (biased by
    /// `tern_environ::migration::RESTORE_BIAS`), from a register-preserving
    /// wrapper: restore blocks clobber nothing the normal path keeps.
    fn restore_slots(&mut self) -> Result<PointerValue<'ctx>> {
        let wrapper = self.env.cr_restore_values_preserving()?;
        Ok(self
            .call_preserving(wrapper, &[], "cr_restore_values")?
            .into_pointer_value())
    }

    /// At the builder's position in the restore block of a point saving
    /// `saved`: reloads the saved locals the frame restore block does not
    /// provide, then returns the operand stack values of `types`.
    ///
    /// A local comes from the frame restore block (one load per function)
    /// when it is live at the header of every polling loop the restore
    /// route passes: carrying it along the route then makes it live nowhere
    /// it was not already. Any other saved local (mandel's `zr`, set inside
    /// the outer loops before the inner one) is reloaded here; carried along
    /// the route it would be live around the whole loop nest, and the inner
    /// loop would spill (mandel 1.07x -> 1.23x instructions). A large
    /// function translated once takes every saved local from there
    /// (`CrFunc::new`).
    pub(super) fn emit_restore_point(
        &mut self,
        saved: &[u32],
        types: &[BasicTypeEnum<'ctx>],
    ) -> Result<Vec<BasicValueEnum<'ctx>>> {
        let cr = self
            .cr
            .as_mut()
            .expect("checkpoint instrumentation is active");
        let route_live: Vec<Vec<u32>> = cr
            .loops
            .iter()
            .map(|l| cr.liveness.at(Some(l.position)))
            .collect();
        let carry_all = cr.frame_restore_reloads_all;
        let (carried, own): (Vec<u32>, Vec<u32>) = saved
            .iter()
            .partition(|l| carry_all || route_live.iter().all(|live| live.contains(l)));
        cr.frame_locals.extend(carried);
        if own.is_empty() && types.is_empty() {
            return Ok(Vec::new());
        }
        let slots = self.restore_slots()?;
        self.reload_locals(slots, &own)?;
        let mut offset = self.restore_local_offsets().1;
        let mut values = Vec::with_capacity(types.len());
        for ty in types {
            values.push(self.load_restored(slots, offset, *ty)?);
            offset += restore_slot_size(ty.is_vector_type());
        }
        Ok(values)
    }

    /// The restore-layout offsets of the function's locals and their size,
    /// computed at the first restore block.
    fn restore_local_offsets(&mut self) -> &(Vec<usize>, usize) {
        let cr = self
            .cr
            .as_mut()
            .expect("checkpoint instrumentation is active");
        let locals = &self.locals;
        cr.restore_layout
            .get_or_insert_with(|| restore_offsets(locals.iter().map(|l| l.ty.is_vector_type())))
    }

    /// Stores local `l` of `locals` from its restore-layout slot.
    fn reload_locals(&mut self, slots: PointerValue<'ctx>, locals: &[u32]) -> Result<()> {
        for &l in locals {
            let local = self.locals[l as usize];
            let offset = self.restore_local_offsets().0[l as usize];
            let value = self.load_restored(slots, offset, local.ty)?;
            self.builder.build_store(local.slot, value)?;
        }
        Ok(())
    }

    /// Fills the frame restore block, once every point is known: reloads
    /// the locals some point takes from it and zeroes every other local (a
    /// parameter's incoming value is then not kept alive along the routes).
    pub(super) fn finish_frame_restore(&mut self) -> Result<()> {
        let Some(cr) = self.cr.as_ref() else {
            return Ok(());
        };
        let Some(switch) = cr.frame_switch else {
            return Ok(());
        };
        let (carried, zeroed): (Vec<u32>, Vec<u32>) =
            (0..self.locals.len() as u32).partition(|l| cr.frame_locals.contains(l));
        self.builder.position_before(&switch);
        for l in zeroed {
            let local = self.locals[l as usize];
            self.builder
                .build_store(local.slot, local.ty.const_zero())?;
        }
        if !carried.is_empty() {
            let slots = self.restore_slots()?;
            self.reload_locals(slots, &carried)?;
        }
        Ok(())
    }

    /// Loads a `ty` from the frame being restored, at `offset` in the
    /// restore layout (`slots` is biased by `RESTORE_BIAS`).
    fn load_restored(
        &self,
        slots: PointerValue<'ctx>,
        offset: usize,
        ty: BasicTypeEnum<'ctx>,
    ) -> Result<BasicValueEnum<'ctx>> {
        let offset = self
            .context()
            .i64_type()
            .const_int((offset as i64 - RESTORE_BIAS as i64) as u64, true);
        self.load_unaligned(slots, offset, ty)
    }

    /// Loads a `ty` from slot `index` of a buffer of `SLOT_SIZE` slots
    /// (a tail-resume buffer, laid out as the array-call convention's).
    pub(super) fn load_slot(
        &self,
        slots: PointerValue<'ctx>,
        index: usize,
        ty: BasicTypeEnum<'ctx>,
    ) -> Result<BasicValueEnum<'ctx>> {
        let offset = self
            .context()
            .i64_type()
            .const_int((index * SLOT_SIZE) as u64, false);
        self.load_unaligned(slots, offset, ty)
    }

    fn load_unaligned(
        &self,
        base: PointerValue<'ctx>,
        offset: IntValue<'ctx>,
        ty: BasicTypeEnum<'ctx>,
    ) -> Result<BasicValueEnum<'ctx>> {
        let addr = self.byte_offset(base, offset)?;
        let value = self.builder.build_load(ty, addr, "restored")?;
        if let Some(inst) = value.as_instruction_value() {
            let _ = inst.set_alignment(1);
        }
        Ok(value)
    }
}
