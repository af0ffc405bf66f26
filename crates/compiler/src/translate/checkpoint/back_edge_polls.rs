//! Loop polls on the back edges, in a function's own code (the translation
//! an uninterrupted run executes; restores enter its resume version).
//!
//! Every branch back to a polling loop's header tests the interrupt flag
//! itself and goes straight to the header; only when a checkpoint is
//! requested does it go to the loop's one slow-path block, which calls
//! `cr_poll` and captures the frame or goes on to the header. The point is
//! the header's: a back edge carries exactly the values the header receives,
//! so the frame saved there is the frame at the header, and a restore enters
//! the header. The first entry into the loop does not poll; the function's
//! entry check did, a bounded time before.
//!
//! Why not one poll at the header: its volatile load and branch come before
//! anything the loop does, and every back edge meets there. A loop whose
//! header tests a value that each back edge sets to a constant (the state
//! variable of a dispatch loop, as in CPython's interpreter, where clang's
//! Wasm output keeps one) is then no longer jump-threaded from each back
//! edge straight to the code the constant selects, so the dispatch `switch`
//! is not the loop header and is not tail-duplicated into the handlers (3
//! indirect jumps instead of 231). One shared latch that polls has the same
//! problem: it merges the back edges again before the header.
//! `docs/checkpoint-restore.md`, "Where a loop polls".

use super::super::control::phi_values;
use super::super::func_translator::FuncTranslator;
use super::PollLoop;
use crate::error::Result;
use inkwell::basic_block::BasicBlock;
use inkwell::values::PhiValue;

/// A loop that polls on its back edges: the slow path they share.
#[derive(Clone)]
pub(in crate::translate) struct BackEdgePoll<'ctx> {
    /// Calls `cr_poll`, then captures or enters the header.
    slow: BasicBlock<'ctx>,
    /// Its phis: the values the header receives.
    phis: Vec<PhiValue<'ctx>>,
}

impl<'ctx> FuncTranslator<'_, '_, 'ctx> {
    /// The point of a loop at `position` in a function's own code, polled
    /// on its back edges; the builder is at the start of `header`, whose
    /// `phis` hold the whole operand stack, and stays there.
    pub(super) fn translate_back_edge_poll(
        &mut self,
        position: u32,
        header: BasicBlock<'ctx>,
        phis: &[PhiValue<'ctx>],
    ) -> Result<BackEdgePoll<'ctx>> {
        let body = self.current_block()?;
        let (slow, slow_phis) = self.block_with_phis_like("cr_loop_poll", phis)?;
        let stack = phi_values(&slow_phis);
        self.builder.position_at_end(slow);
        let switch = self.emit_poll_slow_path(position, &stack, header, phis)?;
        // No restore enters own code: the point and its loop are recorded
        // for the migration table and the routes of the points inside.
        let unused = self.new_block("cr_no_restore");
        self.builder.position_at_end(unused);
        self.builder.build_unreachable()?;
        self.register_loop_point(position, unused);
        self.cr().loops.push(PollLoop {
            switch,
            route: unused,
            position,
        });
        self.builder.position_at_end(body);
        Ok(BackEdgePoll {
            slow,
            phis: slow_phis,
        })
    }

    /// A back edge to `header` (with `header_phis`) of a loop that polls on
    /// its back edges: a new block that tests the interrupt flag and enters
    /// the header, or the loop's slow path. Returns it and its phis, which
    /// take the branch's values; the builder stays where it was.
    pub(in crate::translate) fn back_edge_with_poll(
        &mut self,
        header: BasicBlock<'ctx>,
        header_phis: &[PhiValue<'ctx>],
        poll: &BackEdgePoll<'ctx>,
    ) -> Result<(BasicBlock<'ctx>, Vec<PhiValue<'ctx>>)> {
        let current = self.current_block()?;
        let (edge, edge_phis) = self.block_with_phis_like("loop_back_edge", header_phis)?;
        let values = phi_values(&edge_phis);
        self.builder.position_at_end(edge);
        let requested = self.interrupt_requested()?;
        self.add_incoming(&poll.phis, &values);
        self.add_incoming(header_phis, &values);
        self.builder
            .build_conditional_branch(requested, poll.slow, header)?;
        self.builder.position_at_end(current);
        Ok((edge, edge_phis))
    }
}
