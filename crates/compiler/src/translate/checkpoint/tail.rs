//! Tail calls under `--cr`. A tail call (`return_call*`) replaces the
//! caller's frame, so it is no migration point and needs no landing pad: a
//! checkpoint taken in the callee simply has no frame for the caller, which
//! is right. But the frame below then records a call to the function that
//! made the tail call, while the frame above it is the tail callee's (or a
//! callee of a chain of tail calls). On a restore, the re-issued call enters
//! the tail caller, whose `cr_enter_at` answers [`TAIL_RESUME_ANSWER`]: the
//! function asks for the next frame's function (`cr_restore_callee`) and
//! calls it through its array-call trampoline, whatever its type (only the
//! results are the same, and the callee restores its own locals), then
//! returns its results. That call is the function's *tail-resume point*: a
//! later checkpoint saves an empty frame there, and its restore takes the
//! same path. The extra frame appears once per restore, not per tail call.

use super::super::func_translator::FuncTranslator;
use super::super::ops::LoweringCx;
use crate::error::{CompileError, Result};
use inkwell::AddressSpace;
use tern_environ::builtins::Builtin;
use tern_environ::migration::{MigrationPoint, PointKind, TAIL_RESUME_ANSWER, TAIL_RESUME_FLAG};
use tern_environ::vmctx::VM_FUNCREF_ARRAY_CALL;

impl<'ctx> FuncTranslator<'_, '_, 'ctx> {
    /// Adds the tail-resume path to the function, once.
    pub(in crate::translate) fn ensure_tail_resume(&mut self) -> Result<()> {
        let cr = self.cr();
        if cr.tail_resume {
            return Ok(());
        }
        cr.tail_resume = true;
        let entry_switch = cr
            .entry_switch
            .ok_or_else(|| CompileError::Codegen("tail resume without an entry".into()))?;
        let body = cr
            .points
            .iter()
            .find(|p| p.kind == PointKind::Entry)
            .map(|p| p.position)
            .ok_or_else(|| CompileError::Codegen("tail resume without an entry point".into()))?;
        let position = body | TAIL_RESUME_FLAG;
        let saved_block = self.builder.get_insert_block();

        let block = self.new_block("cr_tail_resume");
        self.builder.position_at_end(block);
        let pos = self.i32_const(position);
        let funcref = self
            .call_builtin(Builtin::CrRestoreCallee, &[pos.into()])?
            .ok_or_else(|| CompileError::Codegen("cr_restore_callee returns a funcref".into()))?
            .into_pointer_value();
        let (native, callee_vmctx, _) = self.funcref_fields(funcref)?;
        let ptr_ty = self.context().ptr_type(AddressSpace::default());
        let i64_ty = self.context().i64_type();
        let array_addr = self.byte_offset(
            funcref,
            i64_ty.const_int(u64::from(VM_FUNCREF_ARRAY_CALL), false),
        )?;
        let array_call = self
            .builder
            .build_load(ptr_ty, array_addr, "array_call")?
            .into_pointer_value();
        // Slots for the largest signature of the module.
        let slots = self
            .env
            .info
            .types
            .iter()
            .map(|t| t.params.len().max(t.results.len()))
            .max()
            .unwrap_or(0)
            .max(1);
        // From the runtime, not an `alloca`: frame space here would be
        // reserved on every call of the function, for a path taken once
        // per restore.
        let count = self.context().i32_type().const_int(slots as u64, false);
        // Register-preserving: the callee's fields stay where they are.
        let wrapper = self.env.cr_tail_buffer_preserving()?;
        let buffer = self
            .call_preserving(wrapper, &[count], "cr_tail_buffer")?
            .into_pointer_value();
        let array_ty = self
            .context()
            .void_type()
            .fn_type(&[ptr_ty.into(), ptr_ty.into(), ptr_ty.into()], false);
        let cont = self.new_block("cr_tail_resume_cont");
        let pad = self.new_block("cr_tail_resume_pad");
        self.builder.build_indirect_invoke(
            array_ty,
            array_call,
            &[native.into(), callee_vmctx.into(), buffer.into()],
            cont,
            pad,
            "tail_resume",
        )?;
        self.builder.position_at_end(pad);
        // The tail call that this call stands for left every `try` of the
        // function: an exception from it goes to the caller, not to the
        // handlers around the first tail call, where this path is emitted.
        let handlers = std::mem::take(&mut self.handlers);
        let captured = self.emit_capture(position, &[], &[]);
        self.handlers = handlers;
        captured?;

        self.builder.position_at_end(cont);
        // Fetched again rather than kept across the call, which would take
        // a callee-saved register in every call of the function.
        let zero = self.context().i32_type().const_zero();
        let buffer = self
            .call_builtin(Builtin::CrTailBuffer, &[zero.into()])?
            .ok_or_else(|| CompileError::Codegen("cr_tail_buffer returns a buffer".into()))?
            .into_pointer_value();
        let results = self
            .env
            .info
            .func_type(self.cr().func_index)
            .results
            .clone();
        let mut values = Vec::with_capacity(results.len());
        for (i, ty) in results.iter().enumerate() {
            values.push(self.load_slot(buffer, i, self.llvm_type(*ty))?);
        }
        match values.as_slice() {
            [] => self.builder.build_return(None)?,
            [one] => self.builder.build_return(Some(one))?,
            many => self.builder.build_aggregate_return(many)?,
        };

        let answer = i64_ty.const_int(TAIL_RESUME_ANSWER as u64, true);
        // Only the resume version takes the path (the function's own code
        // sends every restore answer there).
        if self.restores_enter() {
            // SAFETY: `entry_switch` is this function's live entry `switch` and
            // `block` one of its blocks; LLVMAddCase only appends a case.
            unsafe {
                use inkwell::values::AsValueRef;
                inkwell::llvm_sys::core::LLVMAddCase(
                    entry_switch.as_value_ref(),
                    answer.as_value_ref(),
                    block.as_mut_ptr(),
                );
            }
        }
        // Restoring a frame saved at the tail-resume call takes the same
        // path; it is reached from the entry directly, whatever loops the
        // first tail call sits in.
        let loops = std::mem::take(&mut self.cr().loops);
        let point = MigrationPoint {
            position,
            kind: PointKind::TailResume,
            locals: Vec::new(),
            stack: Vec::new(),
            route: Vec::new(),
        };
        self.register_point(point, block);
        self.cr().loops = loops;
        if let Some(saved) = saved_block {
            self.builder.position_at_end(saved);
        }
        Ok(())
    }
}
