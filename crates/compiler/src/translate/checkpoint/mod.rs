//! Checkpoint/restore instrumentation (`--cr`): migration points at function
//! entries, loop headers and call sites, the landing pads that save a frame
//! while a checkpoint unwinds the stack, and the restore paths that rebuild
//! it. `docs/checkpoint-restore.md` explains the design and its cost.
//!
//! * **Entry**: the function-entry stack check doubles as the entry poll. The
//!   runtime requests a checkpoint (or starts a restore) by raising
//!   `vmctx->stack_limit`, so the slow path `cr_enter_at` runs on the next call;
//!   the fast path costs nothing beyond the stack check.
//! * **Loop header**: a volatile load of `vmctx->interrupt` and a branch to
//!   `cr_poll` when it is non-zero; in a function's own code on each back
//!   edge instead (`back_edge_polls.rs`).
//! * **Capture** is zero-cost: a checkpoint is a forced unwind started by the
//!   runtime; every call that can reach a point is an `invoke` whose cleanup
//!   landing pad calls `cr_capture_and_resume` through a statepoint whose
//!   `"deopt"` bundle holds the frame's locals and operand stack (the runtime
//!   reads them through the stackmap record, `frames.rs`), which resumes the
//!   unwind.
//! * **Restore** re-enters the functions bottom frame first. `cr_enter_at`
//!   returns the position to resume at; one block per function reloads
//!   every local any point saves (`cr_restore_values` lays the frame out by
//!   local index), then a `switch` routes to the point through the headers
//!   of the enclosing polling loops (keeping every loop reducible), where a
//!   small block reloads the operand stack and either jumps into the loop or
//!   re-issues the call that was in progress.

mod back_edge_polls;
mod frames;
mod liveness;
mod loop_shapes;
mod scan;
mod strip_mining;
mod tail;

pub(super) use back_edge_polls::BackEdgePoll;
pub use liveness::{analyze as analyze_liveness, Liveness};
pub use loop_shapes::{Counter, CounterBound, CounterStep, CounterTest, ModuleFacts};
pub(super) use strip_mining::StripMine;

pub use scan::{checkpointable_functions, Checkpointable, RESUME_VERSION_MAX_BODY_BYTES};

use super::control::phi_types;
use super::exceptions::basic_args;
use super::func_translator::FuncTranslator;
use super::ops::LoweringCx;
use crate::error::{CompileError, Result};
use inkwell::basic_block::BasicBlock;
use inkwell::types::{BasicTypeEnum, FunctionType};
use inkwell::values::{
    AsValueRef, BasicMetadataValueEnum, BasicValue, BasicValueEnum, FunctionValue,
    InstructionValue, IntValue, PhiValue, PointerValue,
};
use tern_environ::builtins::{Builtin, CR_ENTER_OVERFLOW};
use tern_environ::migration::{route_answer, FuncMigration, MigrationPoint, PointKind, RouteStep};
use tern_environ::vmctx::VMCTX_INTERRUPT;
use tern_environ::{TrapCode, ValType};

/// Module-wide checkpoint/restore state.
pub struct CrModule<'ctx> {
    /// Whether each function (index space) can reach a migration point.
    pub checkpointable: Vec<bool>,
    /// The `call_indirect`s (type index, table) that reach no point.
    pub leaf_indirect_calls: std::collections::HashSet<(u32, u32)>,
    /// Whether each function (index space) gets a resume version ([`CrVersion`]).
    pub resume_versions: Vec<bool>,
    /// The personality of every instrumented function (`tern_eh_personality`:
    /// checkpoint cleanups, and Wasm exception handlers inside `try_table`).
    pub personality: FunctionValue<'ctx>,
}

impl CrModule<'_> {
    /// Whether a call to function `callee` is a migration point.
    pub fn calls_point(&self, callee: u32) -> bool {
        self.checkpointable
            .get(callee as usize)
            .copied()
            .unwrap_or(true)
    }

    /// Whether `call_indirect (type ty_index) table` (`None`: a `call_ref`)
    /// is a migration point: always, unless every function it may reach is
    /// a leaf (`scan.rs`, "Closed tables").
    pub fn indirect_calls_point(&self, ty_index: u32, table: Option<u32>) -> bool {
        table.is_none_or(|t| !self.leaf_indirect_calls.contains(&(ty_index, t)))
    }
}

/// How a loop header takes part in checkpoint/restore (`loop_shapes.rs`).
pub(super) enum LoopRestore {
    /// Neither a point nor on any route: memory walks, counted loops inside
    /// other loops, and every loop of a function without instrumentation.
    Unrouted,
    /// A poll at the header (on the back edges in own code): a point, and
    /// restores of the points inside route through it.
    Polls,
    /// A counted loop outside any other loop: a point whose poll runs once
    /// per chunk of rounds (`strip_mining.rs`).
    StripMined(Counter),
    /// Call-anchored: the anchor call at this position is the loop's only
    /// point, and its restore re-enters the header.
    Anchored {
        /// The anchor call's position.
        call: u32,
    },
    /// Call-dominated: no point at the header, but restores of the points
    /// inside route through it by a flag (`translate_flag_loop`).
    Flagged,
}

/// A routing loop (polling or flagged) enclosing the current position.
struct PollLoop<'ctx> {
    /// The dispatch `switch` of its poll's slow path.
    switch: InstructionValue<'ctx>,
    /// A block that enters the loop header on a restore route.
    route: BasicBlock<'ctx>,
    /// The loop's position.
    position: u32,
}

/// A call-anchored loop (`loop_shapes.rs`) whose anchor call is still to
/// be translated: the call's landing pad saves the frame as it was at the
/// loop header, and its restore re-enters the header.
struct Anchor<'ctx> {
    /// The locals saved (those live at the header).
    locals: Vec<u32>,
    /// Their values at the header, then the header's operand stack.
    values: Vec<BasicValueEnum<'ctx>>,
    /// Types of the header's operand stack.
    stack: Vec<ValType>,
    /// Reloads the frame and enters the header.
    restore: BasicBlock<'ctx>,
}

/// Which of a checkpointable function's two translations is being built.
///
/// Restore paths cost the code they enter: values restored into a loop from
/// outside reach its header phis, and values restored at a call reach the
/// code after it, so LLVM loses the facts (ranges, induction variables) it
/// proves from the real entry. So the function's own code has no restore
/// path; when its `cr_enter_at` answers with a restore, it tail-calls its
/// resume version, the same body with every restore path, which runs the
/// restored frame to its end (`docs/checkpoint-restore.md`, "Resume
/// versions"). At `-O1` a function is translated once, with its restore
/// paths ([`CrVersion::Single`]), to halve the compile time.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CrVersion {
    /// The function itself: polls and captures, no restore paths.
    Own,
    /// Its resume version, entered only by a restore (from
    /// [`CrVersion::Own`]'s entry).
    Resume,
    /// The only translation (`-O1`): polls, captures and restore paths.
    Single,
}

/// Per-function checkpoint/restore state.
pub(in crate::translate) struct CrFunc<'ctx> {
    /// Function index.
    func_index: u32,
    /// Which translation of the function this is.
    version: CrVersion,
    /// Points recorded so far.
    points: Vec<MigrationPoint>,
    /// The `switch` on `cr_enter_at`'s answer: run the body (-1), tail-resume
    /// (`tail.rs`), or restore a frame (anything else).
    entry_switch: Option<InstructionValue<'ctx>>,
    /// The dispatch `switch` of the frame restore block, by position.
    frame_switch: Option<InstructionValue<'ctx>>,
    /// Locals the frame restore block reloads (`finish_frame_restore`):
    /// those some point gets from it rather than reloading them itself.
    frame_locals: std::collections::BTreeSet<u32>,
    /// Enclosing polling loops, outermost first.
    loops: Vec<PollLoop<'ctx>>,
    /// Live locals at each point, and the loops that need no poll.
    liveness: Liveness,
    /// Whether the tail-resume path exists (see `tail.rs`).
    tail_resume: bool,
    /// Call-anchored loops entered so far, by the position of their anchor call.
    anchors: std::collections::HashMap<u32, Anchor<'ctx>>,
    /// The restore-layout offsets of the locals and their size, once a
    /// restore block needs them (`frames.rs`).
    restore_layout: Option<(Vec<usize>, usize)>,
    /// The cases already added to each routing dispatch (`switch`, answer).
    routed: std::collections::HashSet<(usize, i64)>,
    /// Whether the frame restore block reloads every local some point
    /// saves, rather than only those live at every polling header on the
    /// point's route (`frames.rs`, `emit_restore_point`).
    frame_restore_reloads_all: bool,
}

impl<'ctx> CrFunc<'ctx> {
    /// State for function `func_index`, whose Wasm body is `body_bytes` long.
    ///
    /// A large function translated once (over
    /// [`RESUME_VERSION_MAX_BODY_BYTES`]) has its frame restore block reload
    /// every saved local: each point then reloads only its operand stack.
    /// Carried along a route, a local set inside the loops may stay live
    /// around them, which costs a hot loop registers (mandel's `zr`, see
    /// `emit_restore_point`), but a large function's loops are rarely a
    /// program's kernel, and its points are many: printf's formatting loop
    /// has 111, and their reloads were 12 KB of its 27.6 KB.
    pub fn new(func_index: u32, liveness: Liveness, version: CrVersion, body_bytes: u64) -> Self {
        CrFunc {
            frame_restore_reloads_all: version == CrVersion::Single
                && body_bytes > RESUME_VERSION_MAX_BODY_BYTES,
            func_index,
            version,
            points: Vec::new(),
            entry_switch: None,
            frame_switch: None,
            frame_locals: std::collections::BTreeSet::new(),
            loops: Vec::new(),
            liveness,
            tail_resume: false,
            anchors: std::collections::HashMap::new(),
            restore_layout: None,
            routed: std::collections::HashSet::new(),
        }
    }
}

/// The callee of an instrumented call.
pub(in crate::translate) enum CrCallee<'ctx> {
    /// A function defined in this module.
    Direct(FunctionValue<'ctx>),
    /// An import: its native entry and context (re-issued on restore).
    Host(PointerValue<'ctx>),
    /// `call_indirect`: the native entry found in the table.
    Indirect(PointerValue<'ctx>),
}

impl<'ctx> FuncTranslator<'_, '_, 'ctx> {
    /// The migration table of the finished function, if instrumented.
    pub(super) fn finish_migration(
        &mut self,
        locals: Vec<ValType>,
    ) -> Result<Option<FuncMigration>> {
        self.finish_frame_restore()?;
        let Some(cr) = self.cr.take() else {
            return Ok(None);
        };
        let mut points = cr.points;
        points.sort_by_key(|p| p.position);
        Ok(Some(FuncMigration { locals, points }))
    }

    pub(super) fn cr(&mut self) -> &mut CrFunc<'ctx> {
        self.cr
            .as_mut()
            .expect("checkpoint instrumentation is active")
    }

    /// An `i32` constant (a position or function index passed to a builtin).
    fn i32_const(&self, v: u32) -> IntValue<'ctx> {
        self.context().i32_type().const_int(u64::from(v), false)
    }

    fn i64_const(&self, v: i64) -> IntValue<'ctx> {
        self.context().i64_type().const_int(v as u64, true)
    }

    /// The locals saved at the point at `position` (`None`: the entry):
    /// the live ones.
    fn saved_locals(&self, position: Option<u32>) -> Vec<u32> {
        self.cr
            .as_ref()
            .map(|cr| cr.liveness.at(position))
            .unwrap_or_default()
    }

    /// How the loop at `position` takes part in checkpoint/restore.
    pub(super) fn loop_restore(&self, position: u32) -> LoopRestore {
        let Some(cr) = self.cr.as_ref() else {
            return LoopRestore::Unrouted;
        };
        let liveness = &cr.liveness;
        if liveness.is_bounded_leaf_loop(position) {
            LoopRestore::Unrouted
        } else if let Some(counter) = liveness.counter(position) {
            LoopRestore::StripMined(counter)
        } else if let Some(call) = liveness.anchor(position) {
            LoopRestore::Anchored { call }
        } else if liveness.is_call_dominated(position) {
            LoopRestore::Flagged
        } else {
            LoopRestore::Polls
        }
    }

    /// The entry check of a checkpointable function: `below` (the stack
    /// pointer is below `vmctx->stack_limit`) leads to `cr_enter_at`, whose
    /// answer says to trap on a real overflow, save the frame for a
    /// checkpoint, run the body, or restore, which the function's own code
    /// leaves to its resume version. The resume version instead starts with
    /// that answer (`cr_resume_answer`) and restores the frame.
    pub(super) fn translate_cr_entry(
        &mut self,
        below: IntValue<'ctx>,
        position: u32,
    ) -> Result<()> {
        let func_index = self.cr().func_index;
        let version = self.cr().version;
        let locals = self.saved_locals(None);
        let (body, target) = match version {
            CrVersion::Own | CrVersion::Single => {
                let body = self.branch_to_entry_slow_path(below)?;
                let answer = self.emit_entry_statepoint(position, &locals)?;
                (body, answer)
            }
            CrVersion::Resume => {
                let body = self.new_block("body");
                let answer = self.new_block("cr_resume_answer");
                self.builder.build_unconditional_branch(answer)?;
                self.builder.position_at_end(answer);
                let func = self.i32_const(func_index);
                let target = self
                    .call_builtin(Builtin::CrResumeAnswer, &[func.into()])?
                    .ok_or_else(|| CompileError::Codegen("cr_resume_answer returns".into()))?
                    .into_int_value();
                (body, target)
            }
        };
        let slow_end = self.current_block()?;
        // `cr_resume_answer` only repeats a restore answer, so a resume
        // version's entry neither runs the body nor traps (and the entry's
        // statepoint captures by itself).
        let mut cases = Vec::new();
        if version != CrVersion::Resume {
            let overflow = self.trap_block(TrapCode::StackOverflow)?;
            cases = vec![
                (self.i64_const(-1), body),
                (self.i64_const(CR_ENTER_OVERFLOW), overflow),
            ];
        }
        self.builder.position_at_end(slow_end);
        let restoring = self.new_block(match version {
            CrVersion::Own => "cr_resume_version",
            CrVersion::Resume | CrVersion::Single => "cr_restore_frame",
        });
        let switch = self.builder.build_switch(target, restoring, &cases)?;
        self.cr().entry_switch = Some(switch);

        self.builder.position_at_end(restoring);
        match version {
            CrVersion::Own => self.tail_call_resume_version()?,
            CrVersion::Resume | CrVersion::Single => {
                // One block reloads the locals (filled in by
                // `finish_frame_restore`), then dispatches on the position.
                let bad = self.trap_block(TrapCode::HostTrap)?;
                let dispatch = self.builder.build_switch(target, bad, &[])?;
                self.cr().frame_switch = Some(dispatch);
            }
        }

        // The entry point's locals come from the frame restore block.
        self.cr().frame_locals.extend(locals.iter().copied());
        let restore = self.new_block("cr_restore_entry");
        self.builder.position_at_end(restore);
        self.builder.build_unconditional_branch(body)?;
        let point = MigrationPoint {
            position,
            kind: PointKind::Entry,
            locals,
            stack: Vec::new(),
            route: Vec::new(),
        };
        self.register_point(point, restore);
        self.builder.position_at_end(body);
        if version == CrVersion::Own {
            self.hoist_fields_after_entry_check()?;
        }
        Ok(())
    }

    /// Moves the field builder from the entry block to the start of the
    /// body, past the entry check. In a function's own code
    /// beside its resume version, nothing but the entry check's slow path
    /// (which needs no vmctx field) runs outside the body, so loads placed
    /// there dominate every use, and LLVM no longer keeps them in
    /// callee-saved registers across the `cr_enter_at` call, whose slow path
    /// rejoins the body: otherwise a push and pop of one more register on
    /// every call of a small function (tailcall's handlers: 4 of 34
    /// instructions).
    fn hoist_fields_after_entry_check(&mut self) -> Result<()> {
        let body = self.new_block("body");
        let terminator = self.builder.build_unconditional_branch(body)?;
        self.field_builder.position_before(&terminator);
        self.builder.position_at_end(body);
        Ok(())
    }

    /// `musttail` calls the function's resume version with the function's
    /// own arguments and returns its results: the frame is replaced, so a
    /// restored stack is no deeper than the saved one.
    fn tail_call_resume_version(&mut self) -> Result<()> {
        let defined = self.cr().func_index - self.env.info.num_imported_functions;
        let resume = self
            .env
            .resume_functions
            .get(defined as usize)
            .copied()
            .flatten()
            .ok_or_else(|| CompileError::Codegen("no resume version".into()))?;
        let args: Vec<BasicMetadataValueEnum<'ctx>> =
            self.function.get_param_iter().map(Into::into).collect();
        let call = self.builder.build_call(resume, &args, "resume")?;
        self.mark_native_call(call);
        call.set_tail_call_kind(inkwell::llvm_sys::LLVMTailCallKind::LLVMTailCallKindMustTail);
        self.build_return_of(call)
    }

    /// Whether restores enter this translation (not a function's own code
    /// beside its resume version).
    pub(super) fn restores_enter(&self) -> bool {
        self.cr
            .as_ref()
            .is_some_and(|cr| cr.version != CrVersion::Own)
    }

    /// Branches to a new `cr_enter_at` slow-path block when `below` (unlikely)
    /// and positions the builder there; returns the function body's block.
    fn branch_to_entry_slow_path(&mut self, below: IntValue<'ctx>) -> Result<BasicBlock<'ctx>> {
        let slow = self.new_block("cr_enter");
        let body = self.new_block("body");
        let branch = self.builder.build_conditional_branch(below, slow, body)?;
        self.mark_unlikely(branch);
        self.builder.position_at_end(slow);
        Ok(body)
    }

    /// The poll of a loop at `position`; the builder is at the start of
    /// `header`, whose `phis` hold the whole operand stack. In a function's
    /// own code the loop polls on its back edges (`back_edge_polls.rs`) and
    /// this returns their shared slow path; where restores enter, the
    /// header polls, as its slow path also routes restores to the points
    /// inside.
    pub(super) fn translate_loop_poll(
        &mut self,
        position: u32,
        header: BasicBlock<'ctx>,
        phis: &[PhiValue<'ctx>],
    ) -> Result<Option<BackEdgePoll<'ctx>>> {
        if self.restores_enter() {
            self.translate_header_poll(position, header, phis)?;
            return Ok(None);
        }
        self.translate_back_edge_poll(position, header, phis)
            .map(Some)
    }

    /// The poll at the header of a loop at `position` in a translation that
    /// restores enter; the builder is at the start of `header`, whose `phis`
    /// hold the whole operand stack.
    fn translate_header_poll(
        &mut self,
        position: u32,
        header: BasicBlock<'ctx>,
        phis: &[PhiValue<'ctx>],
    ) -> Result<()> {
        let body = self.new_block("loop_body");
        let stack: Vec<BasicValueEnum<'ctx>> = phis.iter().map(|p| p.as_basic_value()).collect();
        let switch = self.emit_loop_poll(position, &stack, body)?;
        let restore = self.loop_restore_block(position, header, phis)?;
        // Passing through on the way to a point inside.
        let route = self.new_block("cr_route");
        self.builder.position_at_end(route);
        self.enter_header_on_route(header, phis)?;
        self.register_loop_point(position, restore);
        self.cr().loops.push(PollLoop {
            switch,
            route,
            position,
        });
        self.builder.position_at_end(body);
        Ok(())
    }

    /// A loop poll at the builder's position, for the loop at `position`
    /// whose header receives `stack`: tests the interrupt flag and goes on
    /// to `next`, or calls `cr_poll` and captures the frame. Returns the
    /// slow path's dispatch `switch` (routes add their cases to it).
    pub(super) fn emit_loop_poll(
        &mut self,
        position: u32,
        stack: &[BasicValueEnum<'ctx>],
        next: BasicBlock<'ctx>,
    ) -> Result<InstructionValue<'ctx>> {
        let requested = self.interrupt_requested()?;
        let poll = self.new_block("cr_poll");
        // No branch weights here: measured, they made LLVM keep mandel's
        // loop-carried values in stack slots (1.27x -> 1.33x instructions).
        self.builder
            .build_conditional_branch(requested, poll, next)?;
        self.builder.position_at_end(poll);
        self.emit_poll_slow_path(position, stack, next, &[])
    }

    /// Whether a checkpoint or restore is requested: a volatile load of
    /// `vmctx->interrupt` compared with zero.
    pub(super) fn interrupt_requested(&mut self) -> Result<IntValue<'ctx>> {
        let i64_ty = self.context().i64_type();
        let flag_ptr = self.vmctx_field(VMCTX_INTERRUPT)?;
        let flag = self.builder.build_load(i64_ty, flag_ptr, "interrupt")?;
        flag.as_instruction_value()
            .and_then(|i| i.set_volatile(true).ok())
            .ok_or_else(|| CompileError::Codegen("volatile interrupt load".into()))?;
        Ok(self.builder.build_int_compare(
            inkwell::IntPredicate::NE,
            flag.into_int_value(),
            i64_ty.const_zero(),
            "requested",
        )?)
    }

    /// A poll's slow path, at the builder's position, for the loop at
    /// `position` whose header receives `stack`: calls `cr_poll`, then
    /// goes on to `next` on -1 (passing `stack` to `next_phis`, if any) and
    /// captures the frame on any other answer (`CR_POLL_CAPTURE`; the
    /// restore route cases a caller adds come first). Returns the dispatch
    /// `switch` on its answer. Capturing by default rather than trapping on
    /// an answer that cannot come saves a compare and branch per poll
    /// (module code 1.831x -> 1.782x, 2026-12-07); the runtime reports a
    /// capture nobody started (`capture::push_frame`).
    ///
    /// The poll stays a plain call of a preserving wrapper, and the
    /// capture a separate statepoint: one statepoint that polls and
    /// captures (as the entry check's does) made module code 3% smaller,
    /// but LLVM then kept nbody's loop-carried floating-point values in
    /// stack slots (1.034x -> 1.054x instructions; qsort 1.040x ->
    /// 1.044x, longjmp 1.001x -> 1.014x; measured 2026-12-07).
    pub(super) fn emit_poll_slow_path(
        &mut self,
        position: u32,
        stack: &[BasicValueEnum<'ctx>],
        next: BasicBlock<'ctx>,
        next_phis: &[PhiValue<'ctx>],
    ) -> Result<InstructionValue<'ctx>> {
        let poll = self.current_block()?;
        let target = self.call_cr_poll(position)?;
        let locals = self.saved_locals(Some(position));
        let capture = self.new_block("cr_loop_capture");
        self.builder.position_at_end(capture);
        self.emit_capture_and_unwind(position, &locals, stack)?;
        self.builder.position_at_end(poll);
        self.add_incoming(next_phis, stack);
        Ok(self
            .builder
            .build_switch(target, capture, &[(self.i64_const(-1), next)])?)
    }

    /// The block restoring a frame stopped at a loop: reloads everything
    /// and enters `header`.
    pub(super) fn loop_restore_block(
        &mut self,
        position: u32,
        header: BasicBlock<'ctx>,
        phis: &[PhiValue<'ctx>],
    ) -> Result<BasicBlock<'ctx>> {
        let restore = self.new_block("cr_restore_loop");
        self.builder.position_at_end(restore);
        let types = phi_types(phis);
        let locals = self.saved_locals(Some(position));
        let values = self.emit_restore_point(&locals, &types)?;
        self.branch_with(header, phis, &values)?;
        Ok(restore)
    }

    /// Registers the migration point of the loop at `position`, whose
    /// header has the current operand stack, restored by `restore`.
    pub(super) fn register_loop_point(&mut self, position: u32, restore: BasicBlock<'ctx>) {
        let point = MigrationPoint {
            position,
            kind: PointKind::Loop,
            locals: self.saved_locals(Some(position)),
            stack: std::mem::take(&mut self.stack_types),
            route: Vec::new(),
        };
        self.register_point(point, restore);
    }

    /// Calls `cr_poll(position)` through its register-preserving wrapper.
    fn call_cr_poll(&mut self, position: u32) -> Result<IntValue<'ctx>> {
        let pos = self.i32_const(position);
        let wrapper = self.env.cr_poll_preserving()?;
        Ok(self
            .call_preserving(wrapper, &[pos], "cr_poll")?
            .into_int_value())
    }

    /// Branches to a loop `header` on a restore's way to a point inside:
    /// the header's operand-stack `phis` get `undef` (the point reloads its
    /// own stack), which LLVM folds away on the normal path.
    fn enter_header_on_route(
        &mut self,
        header: BasicBlock<'ctx>,
        phis: &[PhiValue<'ctx>],
    ) -> Result<()> {
        let undefs: Vec<BasicValueEnum<'ctx>> = phis
            .iter()
            .map(|p| undef(p.as_basic_value().get_type()))
            .collect();
        self.branch_with(header, phis, &undefs)
    }

    /// The header of a call-anchored loop at `position` whose anchor call is
    /// at `call`; the builder is in `header`, whose `phis` hold the whole
    /// operand stack. Records the header's locals and stack for the anchor's
    /// landing pad and builds the restore block that re-enters the header.
    pub(super) fn translate_anchored_loop(
        &mut self,
        position: u32,
        call: u32,
        header: BasicBlock<'ctx>,
        phis: &[PhiValue<'ctx>],
    ) -> Result<()> {
        let locals = self.saved_locals(Some(position));
        let mut values = Vec::with_capacity(locals.len() + phis.len());
        for &l in &locals {
            let local = self.locals[l as usize];
            values.push(
                self.builder
                    .build_load(local.ty, local.slot, "header_local")?,
            );
        }
        values.extend(phis.iter().map(|p| p.as_basic_value()));
        let body = self.current_block()?;
        let restore = self.new_block("cr_restore_anchored_loop");
        self.builder.position_at_end(restore);
        let types = phi_types(phis);
        let loaded = self.emit_restore_point(&locals, &types)?;
        self.branch_with(header, phis, &loaded)?;
        self.builder.position_at_end(body);
        let anchor = Anchor {
            locals,
            values,
            stack: std::mem::take(&mut self.stack_types),
            restore,
        };
        self.cr().anchors.insert(call, anchor);
        Ok(())
    }

    /// The anchor call of a call-anchored loop: a plain `invoke` (no restore
    /// path merges into it: a restore re-enters the loop header and runs the
    /// prefix again) whose landing pad saves the header's frame.
    fn translate_anchor_call(
        &mut self,
        anchor: Anchor<'ctx>,
        kind: PointKind,
        fn_ty: FunctionType<'ctx>,
        callee: CrCallee<'ctx>,
        args: &[BasicValueEnum<'ctx>],
    ) -> Result<Option<BasicValueEnum<'ctx>>> {
        let position = self.position;
        let cont = self.new_block("call_cont");
        let pad = self.new_block("call_pad");
        let result = self.build_invoke_to(&callee, fn_ty, args, cont, pad)?;
        self.builder.position_at_end(pad);
        // The slots hold locals, then stack: the header values are both.
        self.emit_capture(position, &[], &anchor.values)?;
        self.builder.position_at_end(cont);
        self.stack_types.clear();
        let point = MigrationPoint {
            position,
            kind,
            locals: anchor.locals,
            stack: anchor.stack,
            route: Vec::new(),
        };
        self.register_point(point, anchor.restore);
        Ok(result)
    }

    /// The header of a call-dominated loop at `position`; the builder is at
    /// the start of `header`, whose `phis` hold the whole operand stack.
    ///
    /// The header is no point (every iteration passes the entry poll of the
    /// call that dominates the back edges), but restores of the points
    /// inside must still enter the loop through its header, to keep it
    /// reducible. A per-loop flag, set only by the loop's restore route and
    /// cleared at the header, sends that one visit to `cr_poll`, which
    /// answers with the position to route to like a polling loop's. After
    /// `mem2reg` the flag is a header phi that is `false` on every edge but
    /// the route's, so LLVM threads the test away from the hot loop (bintrees'
    /// `check`: five callee-saved registers and a `jmp`-closed loop with a
    /// header poll, three and plain's loop with the flag).
    pub(super) fn translate_flag_loop(
        &mut self,
        position: u32,
        header: BasicBlock<'ctx>,
        phis: &[PhiValue<'ctx>],
    ) -> Result<()> {
        let bool_ty = self.context().bool_type();
        let flag = self.entry_builder.build_alloca(bool_ty, "cr_routing")?;
        self.entry_builder.build_store(flag, bool_ty.const_zero())?;
        let routing = self
            .builder
            .build_load(bool_ty, flag, "routing")?
            .into_int_value();
        self.builder.build_store(flag, bool_ty.const_zero())?;
        let dispatch = self.new_block("cr_flag_dispatch");
        let body = self.new_block("loop_body");
        let branch = self
            .builder
            .build_conditional_branch(routing, dispatch, body)?;
        self.mark_unlikely(branch);

        // Only a restore sets the flag, so `cr_poll` answers with the
        // position of the frame being restored (never -1 or a capture: the
        // header is no point).
        self.builder.position_at_end(dispatch);
        let target = self.call_cr_poll(position)?;
        let bad = self.trap_block(TrapCode::HostTrap)?;
        self.builder.position_at_end(dispatch);
        let switch = self.builder.build_switch(target, bad, &[])?;

        let route = self.new_block("cr_flag_route");
        self.builder.position_at_end(route);
        self.builder.build_store(flag, bool_ty.const_all_ones())?;
        self.enter_header_on_route(header, phis)?;

        self.stack_types.clear();
        self.cr().loops.push(PollLoop {
            switch,
            route,
            position,
        });
        self.builder.position_at_end(body);
        Ok(())
    }

    /// Leaves the innermost routing loop (polling or flagged).
    pub(super) fn end_polling_loop(&mut self) {
        self.cr().loops.pop();
    }

    /// Whether `call_indirect (type ty_index) table` (`None`: a `call_ref`)
    /// in this function is a migration point ([`CrModule::indirect_calls_point`]).
    pub(super) fn indirect_call_is_point(&self, ty_index: u32, table: Option<u32>) -> bool {
        self.cr.is_some()
            && self
                .env
                .cr
                .as_ref()
                .is_some_and(|m| m.indirect_calls_point(ty_index, table))
    }

    /// Whether a call to function `callee` in this function is a migration
    /// point ([`CrModule::calls_point`]).
    pub(super) fn call_is_point(&self, callee: u32) -> bool {
        self.cr.is_some() && self.env.cr.as_ref().is_some_and(|m| m.calls_point(callee))
    }

    /// An instrumented call at the current position: one `invoke`, reached
    /// by the normal path and by the restore path (which reloads the frame
    /// and merges into it just before the call), whose landing pad saves the
    /// frame. `args` start with the callee's context. Returns the result.
    pub(super) fn translate_cr_call(
        &mut self,
        kind: PointKind,
        fn_ty: FunctionType<'ctx>,
        callee: CrCallee<'ctx>,
        args: Vec<BasicMetadataValueEnum<'ctx>>,
    ) -> Result<Option<BasicValueEnum<'ctx>>> {
        let position = self.position;
        let host = matches!(kind, PointKind::HostCall { .. });
        let args = basic_args(&args)?;
        if let Some(anchor) = self.cr().anchors.remove(&position) {
            return self.translate_anchor_call(anchor, kind, fn_ty, callee, &args);
        }
        let below = self.stack.clone();
        let mut saved = below.clone();
        if host {
            saved.extend_from_slice(&args[1..]);
        }
        let mut saved_types = self.stack_types_below(kind)?;
        saved_types.truncate(saved.len());
        let locals = self.saved_locals(Some(position));

        let call = self.new_block("call");
        let cont = self.new_block("call_cont");
        let pad = self.new_block("call_pad");
        let restore = self.new_block("cr_restore_call");
        let normal_block = self.current_block()?;
        self.builder.build_unconditional_branch(call)?;

        // Restore: reload the frame and find the callee again.
        self.builder.position_at_end(restore);
        let types: Vec<BasicTypeEnum<'ctx>> = saved.iter().map(|v| v.get_type()).collect();
        let loaded = self.emit_restore_point(&locals, &types)?;
        let mut restored_args: Vec<BasicValueEnum<'ctx>> = Vec::with_capacity(args.len());
        let mut restored_native = None;
        match &callee {
            CrCallee::Direct(_) | CrCallee::Host(_) => restored_args.push(args[0]),
            CrCallee::Indirect(_) => {
                let pos = self.i32_const(position);
                let funcref = self
                    .call_builtin(Builtin::CrRestoreCallee, &[pos.into()])?
                    .ok_or_else(|| {
                        CompileError::Codegen("cr_restore_callee returns a funcref".into())
                    })?
                    .into_pointer_value();
                let (native, callee_vmctx, _) = self.funcref_fields(funcref)?;
                restored_args.push(callee_vmctx.into());
                restored_native = Some(native);
            }
        }
        if host {
            restored_args.extend_from_slice(&loaded[below.len()..]);
        } else {
            restored_args.extend(args[1..].iter().map(|a| undef(a.get_type())));
        }
        let restore_end = self.current_block()?;
        self.builder.build_unconditional_branch(call)?;

        // The call, with both paths merged.
        self.builder.position_at_end(call);
        let merge = |this: &Self,
                     normal: BasicValueEnum<'ctx>,
                     restored: BasicValueEnum<'ctx>|
         -> Result<BasicValueEnum<'ctx>> {
            if normal == restored {
                return Ok(normal);
            }
            let phi = this.builder.build_phi(normal.get_type(), "merged")?;
            phi.add_incoming(&[
                (&normal as &dyn BasicValue<'ctx>, normal_block),
                (&restored, restore_end),
            ]);
            Ok(phi.as_basic_value())
        };
        let mut stack = Vec::with_capacity(saved.len());
        for (normal, restored) in below.iter().zip(&loaded) {
            stack.push(merge(self, *normal, *restored)?);
        }
        let mut call_args = Vec::with_capacity(args.len());
        for (normal, restored) in args.iter().zip(&restored_args) {
            call_args.push(merge(self, *normal, *restored)?);
        }
        let callee = match (callee, restored_native) {
            (CrCallee::Indirect(native), Some(restored)) => CrCallee::Indirect(
                merge(self, native.into(), restored.into())?.into_pointer_value(),
            ),
            (other, _) => other,
        };
        let result = self.build_invoke_to(&callee, fn_ty, &call_args, cont, pad)?;

        // A host call's arguments are the point's last slots, but the
        // runtime takes them from the host call itself
        // (`capture::prepare_at_host_call`), so the pad does not keep them
        // alive across the call: a WASI wrapper no longer saves four
        // callee-saved registers (module code 1.782x -> 1.777x).
        let saved_values = stack.clone();
        self.builder.position_at_end(pad);
        // The pad sees the merged stack (the only values valid at the call).
        self.stack = stack;
        self.emit_capture(position, &locals, &saved_values)?;

        self.builder.position_at_end(cont);
        let point = MigrationPoint {
            position,
            kind,
            locals,
            stack: saved_types,
            route: Vec::new(),
        };
        self.register_point(point, restore);
        Ok(result)
    }

    /// Types of the saved operand stack at a call point (`below` the
    /// arguments, plus the arguments for a host call), from the validator.
    fn stack_types_below(&mut self, kind: PointKind) -> Result<Vec<ValType>> {
        let mut types = std::mem::take(&mut self.stack_types);
        let results = match kind {
            PointKind::Call { callee } | PointKind::HostCall { callee } => {
                self.env.info.func_type(callee).results.len()
            }
            PointKind::CallIndirect { type_index } => {
                self.env.info.types[type_index as usize].results.len()
            }
            _ => 0,
        };
        types.truncate(types.len().saturating_sub(results));
        if let PointKind::HostCall { callee } = kind {
            types.extend(self.env.info.func_type(callee).params.iter().copied());
        }
        Ok(types)
    }

    /// Gives a conditional branch to a slow path `!prof` weights that make
    /// it practically never taken, so LLVM lays the slow path out of line
    /// (fib: 1.24x -> 1.22x instructions).
    fn mark_unlikely(&self, branch: InstructionValue<'ctx>) {
        let context = self.context();
        let i32_ty = context.i32_type();
        let weights = context.metadata_node(&[
            context.metadata_string("branch_weights").into(),
            i32_ty.const_int(1, false).into(),
            i32_ty.const_int(1 << 20, false).into(),
        ]);
        let kind = context.get_kind_id("prof");
        let _ = branch.set_metadata(weights, kind);
    }

    fn current_block(&self) -> Result<BasicBlock<'ctx>> {
        self.builder
            .get_insert_block()
            .ok_or_else(|| CompileError::Codegen("builder is not positioned".into()))
    }

    fn build_invoke_to(
        &self,
        callee: &CrCallee<'ctx>,
        fn_ty: FunctionType<'ctx>,
        args: &[BasicValueEnum<'ctx>],
        then: BasicBlock<'ctx>,
        pad: BasicBlock<'ctx>,
    ) -> Result<Option<BasicValueEnum<'ctx>>> {
        let args = self.native_call_args(args, matches!(callee, CrCallee::Direct(_)))?;
        let site = match callee {
            CrCallee::Direct(f) => self.builder.build_invoke(*f, &args, then, pad, "call")?,
            CrCallee::Host(p) | CrCallee::Indirect(p) => self
                .builder
                .build_indirect_invoke(fn_ty, *p, &args, then, pad, "call")?,
        };
        self.mark_native_call(site);
        Ok(site.try_as_basic_value().basic())
    }

    /// Records `point` and routes restores to `restore`: the entry dispatch
    /// and each enclosing routing loop's dispatch send it one step further
    /// in (the next loop's header, or `restore`), by the answer for that
    /// step (`tern_environ::migration::route_answer`). A dispatch gets one
    /// case per step it leads to, however many points lie beyond it.
    pub(super) fn register_point(&mut self, mut point: MigrationPoint, restore: BasicBlock<'ctx>) {
        let cr = self
            .cr
            .as_mut()
            .expect("checkpoint instrumentation is active");
        point.route = cr.loops.iter().map(|l| l.position).collect();
        if cr.version == CrVersion::Own {
            // No restore enters the function's own code.
            cr.points.push(point);
            return;
        }
        let mut dispatchers: Vec<(InstructionValue<'ctx>, Option<u32>)> =
            cr.frame_switch.map(|s| (s, None)).into_iter().collect();
        dispatchers.extend(cr.loops.iter().map(|l| (l.switch, Some(l.position))));
        for (switch, from) in dispatchers {
            let step = point
                .route_step_after(from)
                .expect("every routing loop enclosing a point is on its route");
            let answer = route_answer(step);
            if !cr.routed.insert((switch.as_value_ref() as usize, answer)) {
                continue;
            }
            let target = match step {
                RouteStep::Loop(l) => {
                    cr.loops
                        .iter()
                        .find(|r| r.position == l)
                        .expect("a route's loops enclose the point")
                        .route
                }
                RouteStep::Point(_) => restore,
            };
            let case = self.env.context.i64_type().const_int(answer as u64, true);
            // SAFETY: `switch` is a live `switch` instruction of this function
            // and `target` one of its blocks; LLVMAddCase only appends a case,
            // and `routed` keeps its values distinct.
            unsafe {
                inkwell::llvm_sys::core::LLVMAddCase(
                    switch.as_value_ref(),
                    case.as_value_ref(),
                    target.as_mut_ptr(),
                );
            }
        }
        cr.points.push(point);
    }
}

/// An `undef` value of `ty` (arguments and phi inputs that a restore path
/// never reads).
fn undef<'ctx>(ty: BasicTypeEnum<'ctx>) -> BasicValueEnum<'ctx> {
    match ty {
        BasicTypeEnum::IntType(t) => t.get_undef().into(),
        BasicTypeEnum::FloatType(t) => t.get_undef().into(),
        BasicTypeEnum::PointerType(t) => t.get_undef().into(),
        BasicTypeEnum::VectorType(t) => t.get_undef().into(),
        BasicTypeEnum::StructType(t) => t.get_undef().into(),
        BasicTypeEnum::ArrayType(t) => t.get_undef().into(),
        BasicTypeEnum::ScalableVectorType(t) => t.get_undef().into(),
    }
}
