//! Exception handling (the final exnref form; the legacy form builds on it
//! in `legacy.rs`): tags, `throw`, `throw_ref`
//! and `try_table` with its four kinds of catch clause, lowered to native
//! unwinding through `tern_eh_personality` (runtime `exceptions`).
//!
//! * `throw` fills an exception object (`exn_new`, then stores into its
//!   16-byte value slots, layout in `tern_environ::exceptions`) and calls
//!   `exn_throw`, which raises it with `_Unwind_RaiseException`.
//! * Inside a `try_table` every call (and every throw) is an `invoke` with a
//!   landing pad of its own (LLVM 22 misplaces landing-pad phi copies on
//!   x86-64 when a pad is shared). The pad has a `catch ptr null` clause, so
//!   the personality stops there for any Wasm exception; the pad then
//!   compares the exception's tag with each clause in order, branches to the
//!   clause's label with the values (and the exnref for `_ref` clauses), and
//!   passes it on to the enclosing handlers of the function when nothing
//!   matches (a branch; only with none left is it raised to the caller). In
//!   a `--cr` function the same pad is also the checkpoint cleanup
//!   (selector 0).
//! * Legacy `try` bodies are handler scopes too (`legacy.rs`): their pads
//!   branch to the try's landing block.
//! * Outside any `try_table` calls stay plain calls: nothing is paid until
//!   an exception is thrown.

use super::func_translator::FuncTranslator;
use super::ops::LoweringCx;
use crate::error::{CompileError, Result};
use inkwell::basic_block::BasicBlock;
use inkwell::types::{BasicTypeEnum, FunctionType};
use inkwell::values::{
    BasicMetadataValueEnum, BasicValue, BasicValueEnum, CallSiteValue, FunctionValue, IntValue,
    PhiValue, PointerValue,
};
use inkwell::{AddressSpace, IntPredicate};
use tern_environ::builtins::Builtin;
use tern_environ::exceptions::{
    EXN_EXPOSED_OFFSET, EXN_PAYLOAD_OFFSET, EXN_SLOT_SIZE, EXN_TAG_OFFSET,
};
use tern_environ::TrapCode;
use wasmparser::{Catch, TryTable};

/// One catch clause of a `try_table`, resolved.
#[derive(Clone, Copy)]
pub(super) struct Clause {
    /// The tag caught, or `None` for `catch_all`/`catch_all_ref`.
    tag: Option<u32>,
    /// Whether the exnref is passed too (`catch_ref`, `catch_all_ref`).
    by_ref: bool,
    /// The index (in the control stack) of the label's frame.
    frame: usize,
}

/// An open handler scope: where an exception thrown at the current
/// position goes first.
pub(super) struct Handler<'ctx> {
    /// The control-stack index of the `try_table` or `try` frame.
    pub frame: usize,
    /// What catches.
    pub kind: HandlerKind<'ctx>,
}

/// The two forms of handler scope.
pub(super) enum HandlerKind<'ctx> {
    /// A `try_table` body: its clauses, tried in order.
    Table(Vec<Clause>),
    /// A legacy `try` body: the exception (and the carried operand stack)
    /// goes to the try's landing block, whose clause chain is built as its
    /// `catch`es are translated (`legacy.rs`).
    Legacy {
        /// The landing block.
        landing: BasicBlock<'ctx>,
        /// Its phis: the exception, then the carried values.
        phis: Vec<PhiValue<'ctx>>,
    },
}

/// The exception and selector a landing pad receives.
pub(super) struct Caught<'ctx> {
    /// The exception object.
    pub exception: PointerValue<'ctx>,
    /// 0 for a checkpoint cleanup, positive for a Wasm exception.
    pub selector: IntValue<'ctx>,
}

impl<'ctx> FuncTranslator<'_, '_, 'ctx> {
    /// Whether the current position is inside a `try_table` or legacy `try`
    /// body of this function (calls there need landing pads).
    pub(super) fn in_handler_scope(&self) -> bool {
        !self.handlers.is_empty()
    }

    /// `try_table`: a block whose body's exceptions go to its clauses.
    pub(super) fn translate_try_table(&mut self, try_table: &TryTable) -> Result<()> {
        let outside = self.control.len();
        let clauses = try_table
            .catches
            .iter()
            .map(|c| {
                let (tag, by_ref, label) = match *c {
                    Catch::One { tag, label } => (Some(tag), false, label),
                    Catch::OneRef { tag, label } => (Some(tag), true, label),
                    Catch::All { label } => (None, false, label),
                    Catch::AllRef { label } => (None, true, label),
                };
                Clause {
                    tag,
                    by_ref,
                    frame: outside - 1 - label as usize,
                }
            })
            .collect();
        self.translate_block_of_kind(try_table.ty, super::control::FrameKind::TryTable)?;
        self.handlers.push(Handler {
            frame: outside,
            kind: HandlerKind::Table(clauses),
        });
        Ok(())
    }

    /// Leaves the innermost `try_table` (at its `end`).
    pub(super) fn end_try_table(&mut self) {
        self.handlers.pop();
    }

    /// The identity of tag `index` (loaded invariantly in the entry block).
    pub(super) fn tag_identity(&mut self, index: u32) -> Result<PointerValue<'ctx>> {
        let offset = self.env.offsets.tag(index);
        self.vmctx_ptr("tag", offset)
    }

    /// The address of field `offset` of exception object `exception`.
    pub(super) fn exception_field(
        &self,
        exception: PointerValue<'ctx>,
        offset: u32,
    ) -> Result<PointerValue<'ctx>> {
        let offset = self
            .context()
            .i64_type()
            .const_int(u64::from(offset), false);
        self.byte_offset(exception, offset)
    }

    /// `throw tag`.
    pub(super) fn translate_throw(&mut self, tag: u32) -> Result<()> {
        let ty = self.env.info.tags[tag as usize];
        let count = self.env.info.types[ty as usize].params.len();
        let values = self.pop_n(count);
        let identity = self.tag_identity(tag)?;
        let count_value = self.context().i32_type().const_int(count as u64, false);
        let exception = self
            .call_builtin(Builtin::ExnNew, &[identity.into(), count_value.into()])?
            .ok_or_else(|| CompileError::Codegen("exn_new returns an exception".into()))?
            .into_pointer_value();
        for (i, value) in values.iter().enumerate() {
            let addr =
                self.exception_field(exception, EXN_PAYLOAD_OFFSET + i as u32 * EXN_SLOT_SIZE)?;
            let store = self.builder.build_store(addr, *value)?;
            let _ = store.set_alignment(16);
        }
        self.raise(exception)
    }

    /// `throw_ref`: traps on null.
    pub(super) fn translate_throw_ref(&mut self) -> Result<()> {
        let exception = self.pop().into_pointer_value();
        let is_null = self.builder.build_is_null(exception, "is_null")?;
        self.trap_if(is_null, TrapCode::NullExceptionReference)?;
        self.raise(exception)
    }

    /// Raises `exception` from the current position; it becomes unreachable.
    pub(super) fn raise(&mut self, exception: PointerValue<'ctx>) -> Result<()> {
        let throw = self.env.builtin(Builtin::ExnThrow);
        let args: [BasicMetadataValueEnum<'ctx>; 2] = [self.vmctx.into(), exception.into()];
        if self.in_handler_scope() {
            let dead = self.new_block("thrown");
            let pad = self.new_block("throw_pad");
            self.builder.build_invoke(
                throw,
                &[self.vmctx.into(), exception.into()],
                dead,
                pad,
                "",
            )?;
            self.builder.position_at_end(pad);
            let caught = self.build_landing_pad(false)?;
            self.dispatch(caught.exception)?;
            self.builder.position_at_end(dead);
        } else {
            self.builder.build_call(throw, &args, "")?;
        }
        self.builder.build_unreachable()?;
        self.reachable = false;
        Ok(())
    }

    /// A call at the current position that may throw: an `invoke` whose pad
    /// dispatches to the enclosing `try_table`'s clauses when inside one,
    /// otherwise a plain call. `function` (direct) or `pointer` (indirect,
    /// of type `fn_ty`) is the callee.
    pub(super) fn build_throwing_call(
        &mut self,
        callee: Callee<'ctx>,
        args: &[BasicMetadataValueEnum<'ctx>],
    ) -> Result<CallSiteValue<'ctx>> {
        let args = basic_args(args)?;
        let args = self.native_call_args(&args, matches!(callee, Callee::Direct(_)))?;
        if !self.in_handler_scope() {
            let args = super::calls::metadata_args(&args);
            let site = match callee {
                Callee::Direct(f) => self.builder.build_call(f, &args, "call")?,
                Callee::Indirect(ty, p) => {
                    self.builder.build_indirect_call(ty, p, &args, "call")?
                }
            };
            self.mark_native_call(site);
            return Ok(site);
        }
        let cont = self.new_block("call_cont");
        let pad = self.new_block("call_pad");
        let site = match callee {
            Callee::Direct(f) => self.builder.build_invoke(f, &args, cont, pad, "call")?,
            Callee::Indirect(ty, p) => self
                .builder
                .build_indirect_invoke(ty, p, &args, cont, pad, "call")?,
        };
        self.mark_native_call(site);
        self.builder.position_at_end(pad);
        let caught = self.build_landing_pad(false)?;
        self.dispatch(caught.exception)?;
        self.builder.position_at_end(cont);
        Ok(site)
    }

    /// A landing pad at the builder's position: `cleanup` (a checkpoint
    /// capture) and/or, inside a `try_table`, `catch ptr null`.
    pub(super) fn build_landing_pad(&mut self, cleanup: bool) -> Result<Caught<'ctx>> {
        let ptr_ty = self.context().ptr_type(AddressSpace::default());
        let i32_ty = self.context().i32_type();
        let token_ty = self
            .context()
            .struct_type(&[ptr_ty.into(), i32_ty.into()], false);
        let personality = self.env.personality;
        self.function.set_personality_function(personality);
        let clauses: Vec<BasicValueEnum<'ctx>> = if self.in_handler_scope() {
            vec![ptr_ty.const_null().into()]
        } else {
            Vec::new()
        };
        let token =
            self.builder
                .build_landing_pad(token_ty, personality, &clauses, cleanup, "landing")?;
        let token = token.into_struct_value();
        let exception = self
            .builder
            .build_extract_value(token, 0, "exception")?
            .into_pointer_value();
        let selector = self
            .builder
            .build_extract_value(token, 1, "selector")?
            .into_int_value();
        Ok(Caught {
            exception,
            selector,
        })
    }

    /// In a landing pad (inside a handler scope): sends `exception` to the
    /// innermost handler. Uses the current operand stack (the call site's).
    pub(super) fn dispatch(&mut self, exception: PointerValue<'ctx>) -> Result<()> {
        self.dispatch_at(self.handlers.len(), exception)
    }

    /// Sends `exception` to the handler scope made of the `level` outermost
    /// open handlers: the innermost of them first, then outwards in this
    /// function; with no handler left it is raised to the caller.
    pub(super) fn dispatch_at(
        &mut self,
        level: usize,
        exception: PointerValue<'ctx>,
    ) -> Result<()> {
        let Some(handler) = level.checked_sub(1).and_then(|i| self.handlers.get(i)) else {
            let throw = self.env.builtin(Builtin::ExnThrow);
            self.builder
                .build_call(throw, &[self.vmctx.into(), exception.into()], "")?;
            self.builder.build_unreachable()?;
            return Ok(());
        };
        let frame = handler.frame;
        let clauses = match &handler.kind {
            HandlerKind::Table(clauses) => clauses.clone(),
            HandlerKind::Legacy { landing, phis } => {
                let (landing, phis) = (*landing, phis.clone());
                let (height, carried) = (self.control[frame].height, self.control[frame].carried);
                let mut args: Vec<BasicValueEnum<'ctx>> = vec![exception.into()];
                args.extend_from_slice(&self.stack[height - carried..height]);
                return self.branch_with(landing, &phis, &args);
            }
        };
        let tag = self.exception_tag(exception)?;
        for clause in clauses {
            let matched = self.new_block("catch");
            let next = self.new_block("catch_next");
            match clause.tag {
                Some(index) => {
                    let same = self.is_tag(tag, index)?;
                    self.builder.build_conditional_branch(same, matched, next)?;
                }
                None => {
                    self.builder.build_unconditional_branch(matched)?;
                }
            }
            self.builder.position_at_end(matched);
            let mut values = match clause.tag {
                Some(index) => self.load_payload(exception, index)?,
                None => Vec::new(),
            };
            if clause.by_ref {
                self.expose(exception)?;
                values.push(exception.into());
            } else {
                self.call_builtin(Builtin::ExnRelease, &[exception.into()])?;
            }
            self.branch_to_frame(clause.frame, &values)?;
            self.builder.position_at_end(next);
            if clause.tag.is_none() {
                self.builder.build_unreachable()?;
                return Ok(());
            }
        }
        // No clause matched: on to the enclosing handlers.
        self.dispatch_at(level - 1, exception)
    }

    /// The tag identity of `exception`.
    pub(super) fn exception_tag(
        &mut self,
        exception: PointerValue<'ctx>,
    ) -> Result<PointerValue<'ctx>> {
        let ptr_ty = self.context().ptr_type(AddressSpace::default());
        let tag_addr = self.exception_field(exception, EXN_TAG_OFFSET)?;
        Ok(self
            .builder
            .build_load(ptr_ty, tag_addr, "tag")?
            .into_pointer_value())
    }

    /// Whether tag identity `tag` is tag `index`'s.
    pub(super) fn is_tag(&mut self, tag: PointerValue<'ctx>, index: u32) -> Result<IntValue<'ctx>> {
        let identity = self.tag_identity(index)?;
        Ok(self
            .builder
            .build_int_compare(IntPredicate::EQ, tag, identity, "is_tag")?)
    }

    /// Loads the values of `exception`, whose tag is `index`.
    pub(super) fn load_payload(
        &mut self,
        exception: PointerValue<'ctx>,
        index: u32,
    ) -> Result<Vec<BasicValueEnum<'ctx>>> {
        let ty = self.env.info.tags[index as usize];
        let params = self.env.info.types[ty as usize].params.clone();
        let mut values = Vec::with_capacity(params.len());
        for (i, p) in params.iter().enumerate() {
            let llvm_ty: BasicTypeEnum<'ctx> = self.llvm_type(*p);
            let addr =
                self.exception_field(exception, EXN_PAYLOAD_OFFSET + i as u32 * EXN_SLOT_SIZE)?;
            let value = self.builder.build_load(llvm_ty, addr, "caught")?;
            if let Some(inst) = value.as_instruction_value() {
                let _ = inst.set_alignment(16);
            }
            values.push(value);
        }
        Ok(values)
    }

    /// Marks `exception` as handed out (never freed by `exn_release`).
    pub(super) fn expose(&mut self, exception: PointerValue<'ctx>) -> Result<()> {
        let flag = self.exception_field(exception, EXN_EXPOSED_OFFSET)?;
        let one = self.context().i64_type().const_int(1, false);
        self.builder.build_store(flag, one)?;
        Ok(())
    }

    /// Branches to the label of the control frame at `index` with `values`
    /// on top of the current stack (and the carried values below).
    fn branch_to_frame(&mut self, index: usize, values: &[BasicValueEnum<'ctx>]) -> Result<()> {
        let (target, phis, mut args) = self.frame_edge(index)?;
        args.extend_from_slice(values);
        self.branch_with(target, &phis, &args)
    }
}

/// The callee of a call that may throw.
pub(super) enum Callee<'ctx> {
    /// A defined function.
    Direct(FunctionValue<'ctx>),
    /// A native entry of the given type.
    Indirect(FunctionType<'ctx>, PointerValue<'ctx>),
}

/// Call arguments as basic values (what `invoke` takes); every argument of a
/// Wasm call is one.
///
/// # Errors
/// `Codegen` for a metadata argument (a tern bug).
pub(super) fn basic_args<'ctx>(
    args: &[BasicMetadataValueEnum<'ctx>],
) -> Result<Vec<BasicValueEnum<'ctx>>> {
    args.iter()
        .map(|a| {
            BasicValueEnum::try_from(*a).map_err(|_| CompileError::Codegen("call argument".into()))
        })
        .collect()
}
