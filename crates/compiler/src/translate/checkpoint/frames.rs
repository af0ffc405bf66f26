//! Frame records: how a migration point's frame goes into the slots the
//! runtime hands out and comes back from them.
//!
//! * **Capture**: a call's cleanup landing pad (`emit_capture`), or a poll's
//!   or entry's capture block (`emit_capture_and_unwind`), asks `cr_capture`
//!   for the point's slots and stores its live locals, then its operand
//!   stack, in the compact layout.
//! * **Restore**: one frame restore block per function reloads the locals
//!   that the points take from it (`finish_frame_restore`); each point's
//!   block reloads the rest and its operand stack (`emit_restore_point`),
//!   in the restore layout (slot `l` is local `l`;
//!   `tern_environ::migration::SLOT_SIZE`).
//! * Every runtime call here goes through a register-preserving wrapper
//!   (`call_preserving`): these paths are cold, and must not make LLVM keep
//!   the hot path's values in callee-saved registers.

use super::super::env::PRESERVE_ALL_CALL_CONV;
use super::super::func_translator::FuncTranslator;
use super::super::ops::LoweringCx;
use crate::error::{CompileError, Result};
use inkwell::types::BasicTypeEnum;
use inkwell::values::{
    BasicMetadataValueEnum, BasicValue, BasicValueEnum, FunctionValue, IntValue, PointerValue,
};
use tern_environ::builtins::Builtin;
use tern_environ::migration::{restore_stack_slot, SLOT_SIZE};

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
    /// stores every saved local and `stack` into `cr_capture`'s slots and
    /// resumes the unwind.
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
        let token = caught.token;
        self.emit_frame_save(position, locals, stack)?;
        self.builder.build_resume(token)?;
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
        self.emit_frame_save(position, locals, stack)?;
        self.call_builtin(Builtin::CrUnwind, &[])?;
        self.builder.build_unreachable()?;
        Ok(())
    }

    /// Stores every saved local and `stack` into the slots `cr_capture`
    /// hands out for the frame at `position`.
    fn emit_frame_save(
        &mut self,
        position: u32,
        locals: &[u32],
        stack: &[BasicValueEnum<'ctx>],
    ) -> Result<()> {
        let pos = self.i32_const(position);
        // Through a register-preserving wrapper: the values to save stay
        // where they are across the call, so a cold capture path claims no
        // callee-saved register (a small function's prologue would save it).
        let wrapper = self.env.cr_capture_preserving()?;
        let slots = self
            .call_preserving(wrapper, &[pos], "cr_capture")?
            .into_pointer_value();
        let mut index = 0;
        for &l in locals {
            let local = self.locals[l as usize];
            let value = self
                .builder
                .build_load(local.ty, local.slot, "saved_local")?;
            self.store_slot(slots, index, value)?;
            index += 1;
        }
        for value in stack {
            self.store_slot(slots, index, *value)?;
            index += 1;
        }
        Ok(())
    }

    /// The slots of the frame being restored, in the restore layout
    /// (`tern_environ::migration::SLOT_SIZE`), from a register-preserving
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
    /// loop would spill (mandel 1.07x -> 1.23x instructions).
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
        let (carried, own): (Vec<u32>, Vec<u32>) = saved
            .iter()
            .partition(|l| route_live.iter().all(|live| live.contains(l)));
        cr.frame_locals.extend(carried);
        if own.is_empty() && types.is_empty() {
            return Ok(Vec::new());
        }
        let slots = self.restore_slots()?;
        self.reload_locals(slots, &own)?;
        let num_locals = self.locals.len();
        types
            .iter()
            .enumerate()
            .map(|(j, ty)| self.load_slot(slots, restore_stack_slot(num_locals, j), *ty))
            .collect()
    }

    /// Stores local `l` of `locals` from slot `l` (the restore layout).
    fn reload_locals(&mut self, slots: PointerValue<'ctx>, locals: &[u32]) -> Result<()> {
        for &l in locals {
            let local = self.locals[l as usize];
            let value = self.load_slot(slots, l as usize, local.ty)?;
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

    fn slot_address(&self, slots: PointerValue<'ctx>, index: usize) -> Result<PointerValue<'ctx>> {
        let offset = self
            .context()
            .i64_type()
            .const_int((index * SLOT_SIZE) as u64, false);
        self.byte_offset(slots, offset)
    }

    fn store_slot(
        &self,
        slots: PointerValue<'ctx>,
        index: usize,
        value: BasicValueEnum<'ctx>,
    ) -> Result<()> {
        let addr = self.slot_address(slots, index)?;
        let store = self.builder.build_store(addr, value)?;
        let _ = store.set_alignment(1);
        Ok(())
    }

    pub(super) fn load_slot(
        &self,
        slots: PointerValue<'ctx>,
        index: usize,
        ty: BasicTypeEnum<'ctx>,
    ) -> Result<BasicValueEnum<'ctx>> {
        let addr = self.slot_address(slots, index)?;
        let value = self.builder.build_load(ty, addr, "restored")?;
        if let Some(inst) = value.as_instruction_value() {
            let _ = inst.set_alignment(1);
        }
        Ok(value)
    }
}
