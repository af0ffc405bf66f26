//! Structured control flow: `block`, `loop`, `if`/`else`, `end`, branches,
//! `return`, and the skipping of unreachable code.
//!
//! Each frame owns its continuation block (`next`) with one phi per result;
//! a loop also owns its header with one phi per parameter. Branches add
//! incoming values to the target's phis. Code after an unconditional branch
//! is skipped (only nesting is tracked) until the enclosing `else`/`end`.
//!
//! In a function compiled for checkpoint/restore, a restore enters the body
//! at migration points (loop headers, call sites) without running the code
//! before them, so an operand-stack value from before a frame may reach the
//! frame's end along two paths. Such frames therefore also *carry* the stack
//! below them: `next` (and a loop header) gets one phi per value below the
//! frame's height, and every edge passes the current values (LLVM folds the
//! phis that turn out trivial).

use super::checkpoint::{BackEdgePoll, LoopRestore, StripMine};
use super::func_translator::FuncTranslator;
use super::ops::LoweringCx;
use crate::error::Result;
use inkwell::basic_block::BasicBlock;
use inkwell::types::BasicTypeEnum;
use inkwell::values::{BasicValue, BasicValueEnum, IntValue, PhiValue};
use std::collections::BTreeMap;
use tern_environ::ValType;
use wasmparser::{BlockType, BrTable};

/// What kind of construct a frame is.
pub(super) enum FrameKind<'ctx> {
    /// The function body; its `next` block returns.
    Function,
    /// `block`.
    Block,
    /// `try_table` (a block whose body's exceptions go to its clauses).
    TryTable,
    /// `loop`; branches go to `header`.
    Loop {
        /// The loop header, with one phi per carried value and parameter.
        header: BasicBlock<'ctx>,
        /// The header's phis (carried values first, then the parameters).
        phis: Vec<PhiValue<'ctx>>,
        /// Whether restores route through the header (it polls, or is
        /// flagged: `checkpoint::LoopRestore`).
        routes: bool,
        /// For a strip-mined loop (`checkpoint/strip_mining.rs`), whose
        /// `header` is the inner one: the polling header and the chunk.
        strip: Option<StripMine<'ctx>>,
        /// For a loop polled on its back edges (`checkpoint/back_edge_polls.rs`):
        /// their shared slow path.
        back_edge_poll: Option<BackEdgePoll<'ctx>>,
    },
    /// `if` before its `else` (if any).
    If {
        /// Where the false branch starts.
        else_block: BasicBlock<'ctx>,
        /// The operand stack when the `if` started (below and parameters),
        /// for the false branch.
        entry_stack: Vec<BasicValueEnum<'ctx>>,
    },
    /// `if` after `else`.
    Else,
    /// A legacy `try` (`legacy.rs`), in its body or one of its handlers.
    LegacyTry {
        /// Where the next clause's tag test goes: the landing block or the
        /// previous test's "no match" block; `None` after `catch_all`.
        chain: Option<BasicBlock<'ctx>>,
        /// The landing block's phis: the exception, then the carried values.
        phis: Vec<PhiValue<'ctx>>,
        /// Whether a `catch`/`catch_all` was reached (the body is over).
        in_handler: bool,
        /// The hidden local holding the caught exception, when a `rethrow`
        /// refers to this try's handlers.
        caught: Option<u32>,
        /// With `delegate`: the control-stack index of the label delegated to.
        delegate: Option<usize>,
    },
}

/// One entry of the control stack.
pub(super) struct ControlFrame<'ctx> {
    /// The construct.
    pub kind: FrameKind<'ctx>,
    /// The continuation after `end`.
    pub next: BasicBlock<'ctx>,
    /// One phi per carried value, then one per result, in `next`.
    pub end_phis: Vec<PhiValue<'ctx>>,
    /// How many values below `height` the frame carries (0, or `height`).
    pub carried: usize,
    /// Whether any edge reaches `next`.
    pub next_reachable: bool,
    /// Operand stack height below the frame's parameters.
    pub height: usize,
}

impl<'ctx> ControlFrame<'ctx> {
    /// The phis receiving a branch to this frame (carried values first).
    fn branch_phis(&self) -> &[PhiValue<'ctx>] {
        match &self.kind {
            FrameKind::Loop { phis, .. } => phis,
            _ => &self.end_phis,
        }
    }

    /// The block a branch to this frame jumps to.
    fn branch_target(&self) -> BasicBlock<'ctx> {
        match &self.kind {
            FrameKind::Loop { header, .. } => *header,
            _ => self.next,
        }
    }
}

impl<'ctx> FuncTranslator<'_, '_, 'ctx> {
    /// Parameter and result types of a block type.
    fn block_signature(&self, ty: BlockType) -> (Vec<ValType>, Vec<ValType>) {
        match ty {
            BlockType::Empty => (vec![], vec![]),
            BlockType::Type(t) => {
                // Validated, so the type is one tern converts.
                let t = crate::parse::val_type(t).unwrap_or(ValType::I32);
                (vec![], vec![t])
            }
            BlockType::FuncType(index) => {
                let ty = &self.env.info.types[index as usize];
                (ty.params.clone(), ty.results.clone())
            }
        }
    }

    /// Creates phis of `types` at the start of (empty) `block`.
    pub(super) fn make_phis(
        &self,
        block: BasicBlock<'ctx>,
        types: &[BasicTypeEnum<'ctx>],
    ) -> Result<Vec<PhiValue<'ctx>>> {
        let current = self.builder.get_insert_block();
        self.builder.position_at_end(block);
        let phis = types
            .iter()
            .map(|t| self.builder.build_phi(*t, "phi"))
            .collect::<Result<_, _>>();
        if let Some(current) = current {
            self.builder.position_at_end(current);
        }
        Ok(phis?)
    }

    /// A new block `name` with one phi per phi in `like`, of the same type.
    pub(super) fn block_with_phis_like(
        &mut self,
        name: &str,
        like: &[PhiValue<'ctx>],
    ) -> Result<(BasicBlock<'ctx>, Vec<PhiValue<'ctx>>)> {
        let block = self.new_block(name);
        let phis = self.make_phis(block, &phi_types(like))?;
        Ok((block, phis))
    }

    fn llvm_types(&self, tys: &[ValType]) -> Vec<BasicTypeEnum<'ctx>> {
        tys.iter().map(|t| self.llvm_type(*t)).collect()
    }

    /// How many stack values below `height` a new frame carries, and their
    /// types followed by `results`' types.
    fn carried_types(
        &self,
        height: usize,
        results: &[ValType],
    ) -> (usize, Vec<BasicTypeEnum<'ctx>>) {
        let carried = if self.cr.is_some() { height } else { 0 };
        let mut types: Vec<BasicTypeEnum<'ctx>> =
            self.stack[..carried].iter().map(|v| v.get_type()).collect();
        types.extend(self.llvm_types(results));
        (carried, types)
    }

    /// Pushes the frame of the function body.
    pub(super) fn push_function_frame(&mut self, results: &[ValType]) -> Result<()> {
        let next = self.new_block("return");
        let end_phis = self.make_phis(next, &self.llvm_types(results))?;
        self.control.push(ControlFrame {
            kind: FrameKind::Function,
            next,
            end_phis,
            carried: 0,
            next_reachable: false,
            height: 0,
        });
        Ok(())
    }

    /// `block`.
    pub(super) fn translate_block(&mut self, ty: BlockType) -> Result<()> {
        self.translate_block_of_kind(ty, FrameKind::Block)
    }

    /// A `block`-like frame of `kind` (`Block` or `TryTable`).
    pub(super) fn translate_block_of_kind(
        &mut self,
        ty: BlockType,
        kind: FrameKind<'ctx>,
    ) -> Result<()> {
        let (params, results) = self.block_signature(ty);
        let next = self.new_block("block_end");
        let height = self.stack.len() - params.len();
        let (carried, types) = self.carried_types(height, &results);
        let end_phis = self.make_phis(next, &types)?;
        self.control.push(ControlFrame {
            kind,
            next,
            end_phis,
            carried,
            next_reachable: false,
            height,
        });
        Ok(())
    }

    /// `loop` at byte `offset`.
    pub(super) fn translate_loop(&mut self, ty: BlockType, offset: u32) -> Result<()> {
        let (params, results) = self.block_signature(ty);
        let preheader = self.builder.get_insert_block();
        let header = self.new_block("loop");
        let height = self.stack.len() - params.len();
        let (carried, mut header_types) = self.carried_types(height, &[]);
        header_types.extend(self.llvm_types(&params));
        let phis = self.make_phis(header, &header_types)?;
        let next = self.new_block("loop_end");
        let (_, end_types) = self.carried_types(height, &results);
        let end_phis = self.make_phis(next, &end_types)?;
        let mut args = self.pop_n(params.len());
        let below = self.stack.split_off(height - carried);
        args.splice(0..0, below);
        self.branch_with(header, &phis, &args)?;
        self.builder.position_at_end(header);
        self.stack.extend(phis.iter().map(|p| p.as_basic_value()));
        let restore = self.loop_restore(offset);
        let (mut header, mut phis, mut strip) = (header, phis, None);
        let mut back_edge_poll = None;
        let mut preheader = preheader;
        match restore {
            LoopRestore::Polls => {
                back_edge_poll = self.translate_loop_poll(offset, header, &phis)?
            }
            LoopRestore::StripMined(counter) => {
                let start = self.translate_strip_header(offset, counter, header, &phis)?;
                preheader = start.preheader;
                let at = self.stack.len() - phis.len();
                self.stack.truncate(at);
                self.stack
                    .extend(start.inner_phis.iter().map(|p| p.as_basic_value()));
                (header, phis, strip) = (start.inner, start.inner_phis, Some(start.strip));
            }
            LoopRestore::Flagged => self.translate_flag_loop(offset, header, &phis)?,
            LoopRestore::Anchored { call } => {
                self.translate_anchored_loop(offset, call, header, &phis)?
            }
            LoopRestore::Unrouted => {}
        }
        let routes = matches!(restore, LoopRestore::Polls | LoopRestore::Flagged);
        self.control.push(ControlFrame {
            kind: FrameKind::Loop {
                header,
                phis,
                routes,
                strip,
                back_edge_poll,
            },
            next,
            end_phis,
            carried,
            next_reachable: false,
            height,
        });
        // A restore may enter any other loop's header from outside, where
        // the address shadows are unknown; a strip-mined loop's inner
        // header is entered from its polling header only.
        if matches!(restore, LoopRestore::Unrouted | LoopRestore::StripMined(_)) {
            self.recurrences_on_loop(offset, preheader, header);
        }
        Ok(())
    }

    /// `if`.
    pub(super) fn translate_if(&mut self, ty: BlockType) -> Result<()> {
        let (params, results) = self.block_signature(ty);
        let cond = self.pop_condition()?;
        let then_block = self.new_block("then");
        let else_block = self.new_block("else");
        let next = self.new_block("if_end");
        let height = self.stack.len() - params.len();
        let (carried, types) = self.carried_types(height, &results);
        let end_phis = self.make_phis(next, &types)?;
        self.builder
            .build_conditional_branch(cond, then_block, else_block)?;
        self.builder.position_at_end(then_block);
        let entry_stack = self.stack.clone();
        self.control.push(ControlFrame {
            kind: FrameKind::If {
                else_block,
                entry_stack,
            },
            next,
            end_phis,
            carried,
            next_reachable: false,
            height,
        });
        Ok(())
    }

    /// The values a fallthrough into `frame.next` passes: the carried stack
    /// below the frame and the results on top (popped).
    pub(super) fn fallthrough_args(
        &mut self,
        height: usize,
        carried: usize,
        results: usize,
    ) -> Vec<BasicValueEnum<'ctx>> {
        let mut args = self.pop_n(results);
        args.splice(0..0, self.stack[height - carried..height].iter().copied());
        args
    }

    /// `else` (reached in reachable code or at the end of a dead then-branch).
    pub(super) fn translate_else(&mut self) -> Result<()> {
        let reachable = self.reachable;
        let frame = self.control.last_mut().expect("validated: else inside if");
        let FrameKind::If {
            else_block,
            entry_stack,
        } = std::mem::replace(&mut frame.kind, FrameKind::Else)
        else {
            unreachable!("validated: else follows if");
        };
        let (next, height, carried) = (frame.next, frame.height, frame.carried);
        if reachable {
            frame.next_reachable = true;
            let phis = frame.end_phis.clone();
            let args = self.fallthrough_args(height, carried, phis.len() - carried);
            self.branch_with(next, &phis, &args)?;
        }
        self.stack = entry_stack;
        self.builder.position_at_end(else_block);
        self.reachable = true;
        self.dead_depth = 0;
        Ok(())
    }

    /// `end`.
    pub(super) fn translate_end(&mut self) -> Result<()> {
        let mut frame = self.control.pop().expect("validated: end matches a frame");
        self.recurrences_on_end(self.control.len())?;
        if matches!(frame.kind, FrameKind::Loop { routes: true, .. }) {
            self.end_polling_loop();
        }
        if matches!(frame.kind, FrameKind::TryTable) {
            self.end_try_table();
        }
        let results = frame.end_phis.len() - frame.carried;
        if self.reachable {
            frame.next_reachable = true;
            let args = self.fallthrough_args(frame.height, frame.carried, results);
            self.branch_with(frame.next, &frame.end_phis, &args)?;
        }
        if matches!(frame.kind, FrameKind::LegacyTry { .. }) {
            self.end_legacy_try(&mut frame.kind, frame.height, frame.carried)?;
        }
        if let FrameKind::If {
            else_block,
            entry_stack,
        } = &frame.kind
        {
            // No `else`: the false branch passes the parameters through.
            frame.next_reachable = true;
            self.builder.position_at_end(*else_block);
            let args = &entry_stack[frame.height - frame.carried..];
            self.branch_with(frame.next, &frame.end_phis, args)?;
        }
        self.stack.truncate(frame.height - frame.carried);
        self.builder.position_at_end(frame.next);
        self.reachable = frame.next_reachable;
        self.dead_depth = 0;
        if !self.reachable {
            self.stack.truncate(frame.height);
            self.builder.build_unreachable()?;
            return Ok(());
        }
        self.stack
            .extend(frame.end_phis.iter().map(|p| p.as_basic_value()));
        if matches!(frame.kind, FrameKind::Function) {
            self.translate_return_values()?;
        }
        Ok(())
    }

    /// Returns the operands left by the body from the current block.
    fn translate_return_values(&mut self) -> Result<()> {
        let results = std::mem::take(&mut self.stack);
        match results.as_slice() {
            [] => self.builder.build_return(None)?,
            [one] => self.builder.build_return(Some(one))?,
            many => self.builder.build_aggregate_return(many)?,
        };
        self.reachable = false;
        Ok(())
    }

    /// Adds `args` as incoming values from the current block and branches.
    pub(super) fn branch_with(
        &self,
        target: BasicBlock<'ctx>,
        phis: &[PhiValue<'ctx>],
        args: &[BasicValueEnum<'ctx>],
    ) -> Result<()> {
        self.add_incoming(phis, args);
        self.builder.build_unconditional_branch(target)?;
        Ok(())
    }

    pub(super) fn add_incoming(&self, phis: &[PhiValue<'ctx>], args: &[BasicValueEnum<'ctx>]) {
        if let Some(block) = self.builder.get_insert_block() {
            for (phi, arg) in phis.iter().zip(args) {
                phi.add_incoming(&[(arg as &dyn BasicValue<'ctx>, block)]);
            }
        }
    }

    /// The frame `depth` levels up, marked as branched to; its target block,
    /// phis and the branch arguments (carried values, then the values on top
    /// of the stack, which stay there).
    fn branch_edge(
        &mut self,
        depth: u32,
    ) -> Result<(
        BasicBlock<'ctx>,
        Vec<PhiValue<'ctx>>,
        Vec<BasicValueEnum<'ctx>>,
    )> {
        let index = self.control.len() - 1 - depth as usize;
        let (target, phis) = self.edge_target(index)?;
        let frame = &self.control[index];
        let (height, carried) = (frame.height, frame.carried);
        let mut args = self.peek_n(phis.len() - carried);
        args.splice(0..0, self.stack[height - carried..height].iter().copied());
        Ok((target, phis, args))
    }

    /// The frame at control-stack `index`, marked as branched to: its target
    /// block, phis and the carried values (the caller adds the rest).
    pub(super) fn frame_edge(
        &mut self,
        index: usize,
    ) -> Result<(
        BasicBlock<'ctx>,
        Vec<PhiValue<'ctx>>,
        Vec<BasicValueEnum<'ctx>>,
    )> {
        let (target, phis) = self.edge_target(index)?;
        let frame = &self.control[index];
        let (height, carried) = (frame.height, frame.carried);
        let args = self.stack[height - carried..height].to_vec();
        Ok((target, phis, args))
    }

    /// The block and phis a branch to the frame at control-stack `index`
    /// enters, which is marked as branched to: a new polling block for a
    /// back edge of a loop polled on its back edges.
    fn edge_target(&mut self, index: usize) -> Result<(BasicBlock<'ctx>, Vec<PhiValue<'ctx>>)> {
        let frame = &mut self.control[index];
        let poll = match &frame.kind {
            FrameKind::Loop { back_edge_poll, .. } => back_edge_poll.clone(),
            _ => {
                frame.next_reachable = true;
                None
            }
        };
        let (target, phis) = (frame.branch_target(), frame.branch_phis().to_vec());
        match poll {
            Some(poll) => self.back_edge_with_poll(target, &phis, &poll),
            None => Ok((target, phis)),
        }
    }

    /// `br depth`.
    pub(super) fn translate_br(&mut self, depth: u32) -> Result<()> {
        self.recurrences_on_branch(self.control.len() - 1 - depth as usize)?;
        let (target, phis, args) = self.branch_edge(depth)?;
        self.branch_with(target, &phis, &args)?;
        self.reachable = false;
        Ok(())
    }

    /// `return`.
    pub(super) fn translate_return(&mut self) -> Result<()> {
        self.translate_br(self.control.len() as u32 - 1)
    }

    /// `br_if depth`.
    pub(super) fn translate_br_if(&mut self, depth: u32) -> Result<()> {
        let cond = self.pop_condition()?;
        let index = self.control.len() - 1 - depth as usize;
        self.recurrences_on_branch(index)?;
        let strip = match &self.control[index].kind {
            FrameKind::Loop { strip, .. } => strip.clone(),
            _ => None,
        };
        let (target, phis, args) = self.branch_edge(depth)?;
        if let Some(strip) = strip {
            // A counted loop's one back edge.
            return self.translate_strip_back_edge(&strip, cond, target, &phis, &args);
        }
        self.add_incoming(&phis, &args);
        let cont = self.new_block("br_if_cont");
        self.builder.build_conditional_branch(cond, target, cont)?;
        self.builder.position_at_end(cont);
        Ok(())
    }

    /// `br_on_null depth`: branches with the values below the reference
    /// when it is null, else leaves it (now non-null) on the stack.
    pub(super) fn translate_br_on_null(&mut self, depth: u32) -> Result<()> {
        let reference = self.pop().into_pointer_value();
        let is_null = self.builder.build_is_null(reference, "is_null")?;
        let (target, phis, args) = self.branch_edge(depth)?;
        self.add_incoming(&phis, &args);
        let cont = self.new_block("br_on_null_cont");
        self.builder
            .build_conditional_branch(is_null, target, cont)?;
        self.builder.position_at_end(cont);
        self.push(reference.into());
        Ok(())
    }

    /// `br_on_non_null depth`: branches with the reference on top when it
    /// is not null, else drops it.
    pub(super) fn translate_br_on_non_null(&mut self, depth: u32) -> Result<()> {
        let reference = self.peek_n(1)[0].into_pointer_value();
        let is_null = self.builder.build_is_null(reference, "is_null")?;
        let (target, phis, args) = self.branch_edge(depth)?;
        self.add_incoming(&phis, &args);
        let cont = self.new_block("br_on_non_null_cont");
        self.builder
            .build_conditional_branch(is_null, cont, target)?;
        self.builder.position_at_end(cont);
        self.pop();
        Ok(())
    }

    /// `br_table`.
    pub(super) fn translate_br_table(&mut self, table: &BrTable<'_>) -> Result<()> {
        let index: IntValue<'ctx> = self.pop_int();
        let depths = table
            .targets()
            .collect::<std::result::Result<Vec<u32>, _>>()
            .map_err(crate::parse::malformed)?;
        let default = table.default();
        let current = self.builder.get_insert_block().expect("positioned");
        // One edge block per distinct target that takes values, so that each
        // phi gets exactly one incoming value per predecessor.
        let mut edges: BTreeMap<u32, BasicBlock<'ctx>> = BTreeMap::new();
        for depth in depths.iter().copied().chain([default]) {
            if edges.contains_key(&depth) {
                continue;
            }
            let (target, phis, args) = self.branch_edge(depth)?;
            let edge = if phis.is_empty() {
                target
            } else {
                let edge = self.new_block("br_table_edge");
                self.builder.position_at_end(edge);
                self.branch_with(target, &phis, &args)?;
                edge
            };
            edges.insert(depth, edge);
        }
        self.builder.position_at_end(current);
        let i32_ty = self.context().i32_type();
        let cases: Vec<_> = depths
            .iter()
            .enumerate()
            .map(|(i, depth)| (i32_ty.const_int(i as u64, false), edges[depth]))
            .collect();
        self.builder.build_switch(index, edges[&default], &cases)?;
        self.reachable = false;
        Ok(())
    }
}

/// The types of `phis`.
pub(super) fn phi_types<'ctx>(phis: &[PhiValue<'ctx>]) -> Vec<BasicTypeEnum<'ctx>> {
    phis.iter().map(|p| p.as_basic_value().get_type()).collect()
}

/// The values `phis` define.
pub(super) fn phi_values<'ctx>(phis: &[PhiValue<'ctx>]) -> Vec<BasicValueEnum<'ctx>> {
    phis.iter().map(|p| p.as_basic_value()).collect()
}
