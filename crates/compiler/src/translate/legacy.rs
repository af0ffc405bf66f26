//! Legacy exception handling (`try`/`catch`/`catch_all`/`delegate`/
//! `rethrow`), lowered onto the same machinery as `try_table`: the same tags,
//! exception objects, `invoke`s with one landing pad each, and
//! `tern_eh_personality`.
//!
//! * A `try` is a block whose body is a handler scope ([`HandlerKind::Legacy`]):
//!   every landing pad in it branches to the try's *landing block* with the
//!   exception and the carried operand stack as phis. The clauses are only
//!   known as translation reaches them (one pass), so the landing block grows
//!   a chain: each `catch $t` appends a tag test whose match starts its
//!   handler, `catch_all` an unconditional one; at `end` what is left of the
//!   chain passes the exception on to the handlers outside the `try`.
//! * `delegate N` ends the chain by dispatching to the handler scope that is
//!   open directly inside label `N`'s frame (the caller's, for the function
//!   label), so handlers between are skipped.
//! * A handler's code is outside the try's scope: what it throws goes to the
//!   enclosing handlers.
//! * `rethrow N` raises the exception caught by the handler of label `N`
//!   again (the same object). Such an exception is kept in a hidden local
//!   (after the Wasm locals; `--cr` saves it like any `exnref` local) and is
//!   never freed; a handler no `rethrow` refers to frees it at entry.
//!
//! This file must not know about checkpoints beyond the hidden locals, which
//! the liveness analysis treats as ordinary locals.

use super::control::FrameKind;
use super::exceptions::{Handler, HandlerKind};
use super::func_translator::FuncTranslator;
use super::ops::LoweringCx;
use crate::error::{CompileError, Result};
use crate::parse::malformed;
use inkwell::types::BasicTypeEnum;
use inkwell::values::BasicValueEnum;
use inkwell::AddressSpace;
use tern_environ::builtins::Builtin;
use wasmparser::{BlockType, FunctionBody, Operator};

/// The byte offsets of the `try`s of `body` whose handlers some `rethrow`
/// refers to, ascending (each gets a hidden local for its caught exception).
///
/// # Errors
/// `Malformed` if the body cannot be read.
pub fn rethrow_targets(body: &FunctionBody<'_>) -> Result<Vec<u32>> {
    let mut reader = body.get_operators_reader().map_err(malformed)?;
    // One entry per open frame: the offset of a `try`, or `None`.
    let mut frames: Vec<Option<u32>> = vec![None];
    let mut targets = Vec::new();
    while !reader.eof() {
        let offset = reader.original_position() as u32;
        match reader.read().map_err(malformed)? {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. } => frames.push(None),
            Operator::Try { .. } => frames.push(Some(offset)),
            Operator::End | Operator::Delegate { .. } => {
                frames.pop();
            }
            Operator::Rethrow { relative_depth } => {
                let target = frames
                    .len()
                    .checked_sub(1 + relative_depth as usize)
                    .and_then(|i| frames[i]);
                if let Some(offset) = target {
                    targets.push(offset);
                }
            }
            _ => {}
        }
    }
    targets.sort_unstable();
    targets.dedup();
    Ok(targets)
}

impl<'ctx> FuncTranslator<'_, '_, 'ctx> {
    /// `try bt`: a block whose body is a handler scope.
    pub(super) fn translate_legacy_try(&mut self, ty: BlockType) -> Result<()> {
        self.translate_block_of_kind(ty, FrameKind::Block)?;
        let index = self.control.len() - 1;
        let (height, carried) = (self.control[index].height, self.control[index].carried);
        let ptr_ty = self.context().ptr_type(AddressSpace::default());
        let mut types: Vec<BasicTypeEnum<'ctx>> = vec![ptr_ty.into()];
        types.extend(
            self.stack[height - carried..height]
                .iter()
                .map(|v| v.get_type()),
        );
        let landing = self.new_block("legacy_landing");
        let phis = self.make_phis(landing, &types)?;
        let caught = self.legacy_caught.get(&self.position).copied();
        self.control[index].kind = FrameKind::LegacyTry {
            chain: Some(landing),
            phis: phis.clone(),
            in_handler: false,
            caught,
            delegate: None,
        };
        self.handlers.push(Handler {
            frame: index,
            kind: HandlerKind::Legacy { landing, phis },
        });
        Ok(())
    }

    /// `catch $tag` (`Some`) or `catch_all` (`None`): ends the previous part
    /// of the innermost `try` and starts this handler.
    pub(super) fn translate_legacy_catch(&mut self, tag: Option<u32>) -> Result<()> {
        let index = self.control.len() - 1;
        let (next, height, carried) = {
            let f = &self.control[index];
            (f.next, f.height, f.carried)
        };
        if self.reachable {
            self.control[index].next_reachable = true;
            let phis = self.control[index].end_phis.clone();
            let args = self.fallthrough_args(height, carried, phis.len() - carried);
            self.branch_with(next, &phis, &args)?;
        }
        let FrameKind::LegacyTry {
            chain,
            phis,
            in_handler,
            caught,
            ..
        } = &mut self.control[index].kind
        else {
            return Err(CompileError::Codegen("catch outside try".into()));
        };
        let first = !*in_handler;
        *in_handler = true;
        let block = chain
            .take()
            .ok_or_else(|| CompileError::Codegen("catch after catch_all".into()))?;
        let (phis, caught) = (phis.clone(), *caught);
        if first {
            self.handlers.pop();
        }
        self.stack.truncate(height - carried);
        self.stack
            .extend(phis[1..].iter().map(|p| p.as_basic_value()));
        self.builder.position_at_end(block);
        let exception = phis[0].as_basic_value().into_pointer_value();
        let mut values = Vec::new();
        if let Some(tag) = tag {
            let identity = self.exception_tag(exception)?;
            let same = self.is_tag(identity, tag)?;
            let handler = self.new_block("legacy_catch");
            let rest = self.new_block("legacy_catch_next");
            self.builder.build_conditional_branch(same, handler, rest)?;
            if let FrameKind::LegacyTry { chain, .. } = &mut self.control[index].kind {
                *chain = Some(rest);
            }
            self.builder.position_at_end(handler);
            values = self.load_payload(exception, tag)?;
        }
        match caught {
            Some(local) => {
                self.expose(exception)?;
                let slot = self.locals[local as usize].slot;
                self.builder.build_store(slot, exception)?;
            }
            None => {
                self.call_builtin(Builtin::ExnRelease, &[exception.into()])?;
            }
        }
        self.stack.extend(values);
        self.reachable = true;
        self.dead_depth = 0;
        Ok(())
    }

    /// `delegate depth`: the body's exceptions go to the handlers open
    /// directly inside label `depth` (counted outside the `try`).
    pub(super) fn translate_legacy_delegate(&mut self, depth: u32) -> Result<()> {
        let index = self.control.len() - 1;
        let target = index
            .checked_sub(1 + depth as usize)
            .ok_or_else(|| CompileError::Codegen("delegate label out of range".into()))?;
        if let FrameKind::LegacyTry { delegate, .. } = &mut self.control[index].kind {
            *delegate = Some(target);
        }
        self.translate_end()
    }

    /// At the `end` (or `delegate`) of a legacy `try` frame already popped
    /// from the control stack: closes its handler scope and passes what no
    /// clause caught on to the enclosing (or delegated-to) handlers.
    pub(super) fn end_legacy_try(
        &mut self,
        kind: &mut FrameKind<'ctx>,
        height: usize,
        carried: usize,
    ) -> Result<()> {
        let FrameKind::LegacyTry {
            chain,
            phis,
            in_handler,
            delegate,
            ..
        } = kind
        else {
            return Ok(());
        };
        if !*in_handler {
            self.handlers.pop();
        }
        let Some(block) = chain.take() else {
            return Ok(());
        };
        let level = match delegate {
            Some(target) => self.handlers.iter().filter(|h| h.frame <= *target).count(),
            None => self.handlers.len(),
        };
        let saved = self.stack.clone();
        let values: Vec<BasicValueEnum<'ctx>> =
            phis[1..].iter().map(|p| p.as_basic_value()).collect();
        self.stack.truncate(height - carried);
        self.stack.extend(values);
        self.builder.position_at_end(block);
        let exception = phis[0].as_basic_value().into_pointer_value();
        let result = self.dispatch_at(level, exception);
        self.stack = saved;
        result
    }

    /// `rethrow depth`: raises the exception caught by the handler of label
    /// `depth` again.
    pub(super) fn translate_rethrow(&mut self, depth: u32) -> Result<()> {
        let index = self
            .control
            .len()
            .checked_sub(1 + depth as usize)
            .ok_or_else(|| CompileError::Codegen("rethrow label out of range".into()))?;
        let FrameKind::LegacyTry {
            caught: Some(local),
            ..
        } = self.control[index].kind
        else {
            return Err(CompileError::Codegen(
                "rethrow target has no caught exception".into(),
            ));
        };
        let local = self.locals[local as usize];
        let exception = self
            .builder
            .build_load(local.ty, local.slot, "rethrown")?
            .into_pointer_value();
        self.raise(exception)
    }
}
