//! Loop shapes that need no poll of their own at the header.
//!
//! Every loop header is a migration point unless the loop provably reaches
//! a point (or ends) within a bounded number of iterations anyway. Four
//! shapes qualify; each test reads the loop's operators after the
//! liveness walk has collected [`LoopFacts`] about it:
//!
//! * **Counted leaf loops** ([`is_counted`]): an innermost loop without calls
//!   whose only back edge is a `br_if` (at the end of the body or inside a
//!   block of it) on `i = i ± K; i CMP n` (`K` a small constant or a local
//!   the loop never assigns). It cannot run more than 2^32 iterations,
//!   unless it never ends at all. Inside another loop that bound is all it
//!   gets; outside one it is strip-mined (`strip_mining.rs`) and polls once
//!   per 65536 rounds.
//! * **Memory walks** ([`is_memory_walk`]): an innermost loop without calls
//!   whose every iteration steps an `i32` local by a constant and loads from
//!   the address it holds. The address moves by the same step each time, so
//!   the loop leaves the memory (and traps) unless it exits first: at most
//!   `memory size / |K| + 1` iterations, and never more than 2^32 (qsort's
//!   `while (v[i] < pivot) i++`).
//! * **Call-anchored loops** ([`find_anchor`]): every iteration starts with a
//!   straight run of re-executable operators (integer arithmetic on locals
//!   and constants) that ends in a call of a checkpointable function, whose
//!   entry polls; the loop has no other point. That call is the loop's point:
//!   its landing pad saves the frame *as it was at the header*, and a restore
//!   enters the header and runs the prefix again, which computes the same
//!   locals and arguments and re-issues the call (fib's recursion turned into
//!   a loop by clang).
//! * **Call-dominated loops** ([`is_call_dominated`]): every iteration that
//!   goes round again calls a checkpointable function, whose entry polls,
//!   but what comes before the call is not re-executable (bintrees'
//!   `for (; n; n = n->r) c += check(n->l)`). The header is no point; a
//!   restore routes through it with a flag instead of a poll
//!   (`checkpoint/mod.rs`, `translate_flag_loop`).

use super::CrModule;
use crate::translate::operator_classes::{is_pure_integer, scalar_load_memarg};
use std::collections::HashMap;
use wasmparser::Operator;

/// What the loop tests need to know about the module.
pub struct ModuleFacts<'a, 'ctx> {
    /// By memory index: whether it has 32-bit addresses.
    pub memory32: Vec<bool>,
    /// Imported functions come first in the function index space.
    pub num_imported_functions: u32,
    /// Which calls are migration points.
    pub cr: &'a CrModule<'ctx>,
}

impl ModuleFacts<'_, '_> {
    /// Whether `call f` is a migration point whose callee polls at its
    /// entry (a checkpointable function defined in the module).
    fn polls_at_entry(&self, f: u32) -> bool {
        f >= self.num_imported_functions && self.cr.checkpointable.get(f as usize) == Some(&true)
    }

    /// Whether the call operator `op` is a migration point.
    pub(super) fn is_point(&self, op: &Operator<'_>) -> bool {
        match op {
            Operator::Call { function_index } => self.cr.calls_point(*function_index),
            Operator::CallIndirect {
                type_index,
                table_index,
            } => self
                .cr
                .indirect_calls_point(*type_index, Some(*table_index)),
            // `call_ref` may reach any function of its type.
            _ => true,
        }
    }
}

/// What the loop tests need to know about an open loop.
#[derive(Default)]
pub(super) struct LoopFacts {
    /// It contains a call (of any kind, also in nested blocks).
    pub calls: bool,
    /// Calls in it that are migration points.
    pub point_calls: u32,
    /// It contains a loop.
    pub inner: bool,
    /// Branches back to its header.
    pub backedges: u32,
    /// How often each local is assigned in it.
    pub assigned: HashMap<u32, u32>,
}

/// What strip mining needs to know about a counted loop's counter
/// ([`is_counted`]): the local stepped right before the back edge, by how
/// much per round, and the test that goes round again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counter {
    /// The counter local (`i32`).
    pub local: u32,
    /// Its step per round.
    pub step: CounterStep,
    /// `i = i - K` rather than `i = i + K`.
    pub subtracts: bool,
    /// The loop goes round again while `i' test bound` (`i'` the stepped
    /// counter on the left).
    pub test: CounterTest,
    /// The bound `n` (`0` for `br_if (local.tee i ...)`).
    pub bound: CounterBound,
}

/// A counted loop's back-edge comparison, with the counter on the left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterTest {
    /// `i32.ne`.
    Ne,
    /// `i32.lt_s`.
    LtS,
    /// `i32.lt_u`.
    LtU,
    /// `i32.le_s`.
    LeS,
    /// `i32.le_u`.
    LeU,
    /// `i32.gt_s`.
    GtS,
    /// `i32.gt_u`.
    GtU,
    /// `i32.ge_s`.
    GeS,
    /// `i32.ge_u`.
    GeU,
}

/// A counted loop's bound `n` ([`Counter`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterBound {
    /// A constant.
    Const(i32),
    /// A local the loop never assigns.
    Local(u32),
}

impl Counter {
    /// Whether the loop can be strip-mined without a cost per round
    /// (`checkpoint/strip_mining.rs`): an order test, or `ne` with a
    /// constant step (the chunk's end is then computed from the distance
    /// to the bound).
    pub fn strip_minable(&self) -> bool {
        self.test != CounterTest::Ne || matches!(self.step, CounterStep::Const(_))
    }
}

impl CounterTest {
    /// The test for `n test' i` written as `i test n`.
    fn swapped(self) -> CounterTest {
        use CounterTest::*;
        match self {
            Ne => Ne,
            LtS => GtS,
            LtU => GtU,
            LeS => GeS,
            LeU => GeU,
            GtS => LtS,
            GtU => LtU,
            GeS => LeS,
            GeU => LeU,
        }
    }

    /// The test an `i32` comparison operator makes, if it is one.
    fn of(op: &Operator<'_>) -> Option<CounterTest> {
        use CounterTest::*;
        Some(match op {
            Operator::I32Ne => Ne,
            Operator::I32LtS => LtS,
            Operator::I32LtU => LtU,
            Operator::I32LeS => LeS,
            Operator::I32LeU => LeU,
            Operator::I32GtS => GtS,
            Operator::I32GtU => GtU,
            Operator::I32GeS => GeS,
            Operator::I32GeU => GeU,
            _ => return None,
        })
    }
}

/// A counted loop's step `K` ([`Counter`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterStep {
    /// A constant, `0 < |K| <= 16`.
    Const(i32),
    /// A local the loop never assigns.
    Local(u32),
}

/// The counter of a counted leaf loop (see the module docs), if the loop
/// from `header` to `end` is one.
pub(super) fn is_counted(
    ops: &[(u32, Operator<'_>)],
    header: usize,
    end: usize,
    facts: &LoopFacts,
) -> Option<Counter> {
    if facts.calls || facts.inner || facts.backedges != 1 {
        return None;
    }
    // The loop's one back edge, wherever it sits (clang may leave it in a
    // block, after exits to the end of that block: mandel's
    // `while (it < max && |z| < 2)`, unrolled twice).
    let (back, depth) = back_edge(ops, header, end)?;
    if back < header + 6 {
        return None;
    }
    let is_back_edge = |op: &Operator<'_>| matches!(op, Operator::BrIf { relative_depth } if *relative_depth == depth);
    // `get i; K; add|sub; tee i`, with `i` assigned only there.
    let counter =
        |get: &Operator<'_>, k: &Operator<'_>, add: &Operator<'_>, tee: &Operator<'_>| match (
            get, add, tee,
        ) {
            (
                Operator::LocalGet { local_index: a },
                Operator::I32Add | Operator::I32Sub,
                Operator::LocalTee { local_index: b },
            ) if a == b && facts.assigned.get(a) == Some(&1) => Some(Counter {
                local: *a,
                step: step(k, facts)?,
                subtracts: matches!(add, Operator::I32Sub),
                test: CounterTest::Ne,
                bound: CounterBound::Const(0),
            }),
            _ => None,
        };
    // `i = i + K; br_if 0 (tee i)`: the implicit bound is `i != 0`.
    if let [(_, get), (_, k), (_, add), (_, tee), (_, br_if)] = &ops[back - 5..back] {
        if is_back_edge(br_if) {
            if let Some(c) = counter(get, k, add, tee) {
                return Some(c);
            }
        }
    }
    if back < header + 8 {
        return None;
    }
    let tail = &ops[back - 7..back];
    let bound = |op: &Operator<'_>| match op {
        Operator::I32Const { value } => Some(CounterBound::Const(*value)),
        Operator::LocalGet { local_index } if !facts.assigned.contains_key(local_index) => {
            Some(CounterBound::Local(*local_index))
        }
        _ => None,
    };
    let test = CounterTest::of(&tail[5].1).filter(|_| is_back_edge(&tail[6].1))?;
    // i = i + K; tee i; n; cmp
    if let Some(n) = bound(&tail[4].1) {
        if let Some(c) = counter(&tail[0].1, &tail[1].1, &tail[2].1, &tail[3].1) {
            return Some(Counter {
                test,
                bound: n,
                ..c
            });
        }
    }
    // n; i = i + K; tee i; cmp
    let n = bound(&tail[0].1)?;
    let c = counter(&tail[1].1, &tail[2].1, &tail[3].1, &tail[4].1)?;
    Some(Counter {
        test: test.swapped(),
        bound: n,
        ..c
    })
}

/// The index after the `br_if` that branches back to the loop from
/// `header` to `end`, and the number of constructs open around it inside
/// the loop (its relative depth), if there is one.
fn back_edge(ops: &[(u32, Operator<'_>)], header: usize, end: usize) -> Option<(usize, u32)> {
    let mut depth = 0u32;
    for (index, (_, op)) in ops.iter().enumerate().take(end).skip(header + 1) {
        match op {
            Operator::Block { .. }
            | Operator::If { .. }
            | Operator::Loop { .. }
            | Operator::TryTable { .. }
            | Operator::Try { .. } => depth += 1,
            Operator::End => depth = depth.saturating_sub(1),
            Operator::BrIf { relative_depth } if *relative_depth == depth => {
                return Some((index + 1, depth))
            }
            _ => {}
        }
    }
    None
}

/// A counter step: a constant `K` with `0 < |K| <= 16`, or a local the loop
/// never assigns (sieve's `j += i`). A step that is zero at run time leaves
/// the counter unchanged, so the exit test gives the same answer every time:
/// the loop then ends after one iteration or never (a hang; without calls it
/// does no I/O either).
fn step(op: &Operator<'_>, facts: &LoopFacts) -> Option<CounterStep> {
    match op {
        Operator::I32Const { value } if *value != 0 && value.unsigned_abs() <= 16 => {
            Some(CounterStep::Const(*value))
        }
        Operator::LocalGet { local_index } if !facts.assigned.contains_key(local_index) => {
            Some(CounterStep::Local(*local_index))
        }
        _ => None,
    }
}

/// The operators of the loop body that every iteration which goes round
/// again runs: those at the top level of the body (outside any nested
/// construct) that come before the first operator that could branch back to
/// the header. Returned with their indices in `ops`.
///
/// Why every such iteration runs them: control moves through the top level
/// in order. A nested construct either falls through to the next top-level
/// operator, leaves the loop (a branch to an enclosing label, `return`, a
/// trap) or branches back to the header; only the last skips what follows,
/// and none occurs before the returned operators. Exception operators end
/// the run too, since a `try_table` inside the loop may catch to its header.
fn every_round<'o, 'a>(
    ops: &'o [(u32, Operator<'a>)],
    header: usize,
    end: usize,
) -> Vec<(usize, &'o Operator<'a>)> {
    let mut run = Vec::new();
    // Constructs open inside the loop body: the loop's own label is at
    // relative depth `depth`.
    let mut depth = 0u32;
    for (index, (_, op)) in ops.iter().enumerate().take(end).skip(header + 1) {
        if may_branch_to(op, depth) {
            break;
        }
        match op {
            Operator::Block { .. } | Operator::If { .. } | Operator::Loop { .. } => depth += 1,
            Operator::End => depth = depth.saturating_sub(1),
            Operator::Else => {}
            _ if depth == 0 => run.push((index, op)),
            _ => {}
        }
    }
    run
}

/// Whether `op`, with `depth` constructs open inside the loop, may transfer
/// control to the loop's header (exception operators count: see
/// [`every_round`]).
fn may_branch_to(op: &Operator<'_>, depth: u32) -> bool {
    match op {
        Operator::Br { relative_depth }
        | Operator::BrIf { relative_depth }
        | Operator::BrOnNull { relative_depth }
        | Operator::BrOnNonNull { relative_depth }
        | Operator::BrOnCast { relative_depth, .. }
        | Operator::BrOnCastFail { relative_depth, .. } => *relative_depth == depth,
        Operator::BrTable { targets } => {
            targets.default() == depth
                || targets
                    .targets()
                    .any(|target| target.map_or(true, |t| t == depth))
        }
        Operator::TryTable { .. }
        | Operator::Try { .. }
        | Operator::Catch { .. }
        | Operator::CatchAll
        | Operator::Delegate { .. }
        | Operator::Throw { .. }
        | Operator::ThrowRef
        | Operator::Rethrow { .. } => true,
        _ => false,
    }
}

/// The largest step of a memory walk: a 32-bit memory holds at most 2^32
/// bytes, and a step this small cannot skip its last 64 KiB.
const MAX_WALK_STEP: u32 = 4096;

/// Whether the loop from `header` to `end` is a memory walk: innermost, no
/// calls, and every iteration that goes round again (see [`every_round`])
/// both steps a local `p` (`p = p + K`, `0 < |K| <= 4096`, the loop's only
/// assignment of `p`; see [`stepped_local`]) and loads from address `p`
/// (`local.get p` or `local.tee p` right before the load) in a 32-bit
/// memory. The load may come before or after the step, and exits may come
/// before either (str_eq's `while (*a && *a == *b) a++, b++`).
///
/// Why it ends: the `n`-th round loads at `p0 + n·K (mod 2^32)`, plus a
/// constant (the load's offset, and `K` if the step comes first). Those addresses sweep the whole 32-bit range in steps
/// of at most `|K|`, so within `2^32 / gcd(K, 2^32)` iterations one of them
/// falls in the top 64 KiB, which lies past the end of any memory smaller
/// than 4 GiB: the load traps there unless the loop exited first. A memory
/// of exactly 65536 pages is the exception (no address is out of bounds),
/// and a walk over it that never exits would delay a checkpoint forever;
/// `docs/checkpoint-restore.md` lists it with the counted loops' caveat.
pub(super) fn is_memory_walk(
    ops: &[(u32, Operator<'_>)],
    header: usize,
    end: usize,
    facts: &LoopFacts,
    module: &ModuleFacts<'_, '_>,
) -> bool {
    if facts.calls || facts.inner {
        return false;
    }
    let run = every_round(ops, header, end);
    let stepped = |p: u32| facts.assigned.get(&p) == Some(&1);
    let steps: Vec<u32> = run
        .iter()
        .filter_map(|(i, _)| stepped_local(&ops[*i..end]))
        .filter(|p| stepped(*p))
        .collect();
    run.windows(2).any(|w| {
        let [(at, Operator::LocalGet { local_index: p } | Operator::LocalTee { local_index: p }), (next, load)] =
            w
        else {
            return false;
        };
        *next == at + 1
            && steps.contains(p)
            && load_memory(load).is_some_and(|m| module.memory32.get(m as usize) == Some(&true))
    })
}

/// `p` if `ops` starts `local.get p; i32.const K; i32.add`, then any
/// `local.tee`s of other locals, then `local.set p` or `local.tee p`, with
/// `0 < |K| <= MAX_WALK_STEP`.
fn stepped_local(ops: &[(u32, Operator<'_>)]) -> Option<u32> {
    let [(_, Operator::LocalGet { local_index: p }), (_, Operator::I32Const { value: k }), (_, Operator::I32Add), rest @ ..] =
        ops
    else {
        return None;
    };
    if *k == 0 || k.unsigned_abs() > MAX_WALK_STEP {
        return None;
    }
    for (_, op) in rest {
        match op {
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index }
                if local_index == p =>
            {
                return Some(*p)
            }
            Operator::LocalTee { .. } => {}
            _ => return None,
        }
    }
    None
}

/// The memory a plain load reads, if `op` is one.
fn load_memory(op: &Operator<'_>) -> Option<u32> {
    let memarg = match op {
        Operator::V128Load { memarg } => memarg,
        op => scalar_load_memarg(op)?,
    };
    match memarg.target {
        wasmparser::MemArgTarget::Memory(m) => Some(m),
        _ => None,
    }
}

/// The index in `ops` of the call that anchors the loop from `header` to
/// `end`, if it is call-anchored: the loop has no nested loop and exactly
/// one point, a `call` of a function that polls at its entry, reached by
/// every iteration through re-executable operators only.
///
/// Re-executable means: the operator reads only locals, constants and the
/// operand stack, and writes only locals and the operand stack, so running
/// the prefix again from the header's locals gives the same locals and
/// stack. Memory, globals and tables are excluded (the callee may change
/// them before the checkpoint); so are floating-point operators (a NaN's
/// bits may differ on the other ISA). An integer division that trapped
/// would not have reached the call, so running it again cannot trap.
pub(super) fn find_anchor(
    ops: &[(u32, Operator<'_>)],
    header: usize,
    end: usize,
    facts: &LoopFacts,
    module: &ModuleFacts<'_, '_>,
) -> Option<usize> {
    if facts.inner || facts.point_calls != 1 {
        return None;
    }
    for (k, (_, op)) in ops.iter().enumerate().take(end).skip(header + 1) {
        match op {
            Operator::Call { function_index } => {
                return module.polls_at_entry(*function_index).then_some(k)
            }
            op if is_reexecutable(op) => {}
            _ => return None,
        }
    }
    None
}

/// Whether the loop from `header` to `end` is call-dominated: among the
/// operators that every iteration going round again runs (see
/// [`every_round`]) is a direct `call` of a function that polls at its
/// entry. Between two visits of the header the program then passes that
/// entry poll, so the header needs none of its own.
pub(super) fn is_call_dominated(
    ops: &[(u32, Operator<'_>)],
    header: usize,
    end: usize,
    module: &ModuleFacts<'_, '_>,
) -> bool {
    every_round(ops, header, end).iter().any(|(_, op)| {
        matches!(op, Operator::Call { function_index } if module.polls_at_entry(*function_index))
    })
}

/// Whether `op` is pure integer work on locals and the operand stack.
fn is_reexecutable(op: &Operator<'_>) -> bool {
    use Operator as O;
    matches!(
        op,
        O::Nop
            | O::Drop
            | O::Select
            | O::LocalGet { .. }
            | O::LocalSet { .. }
            | O::LocalTee { .. }
            | O::I32Const { .. }
            | O::I64Const { .. }
            | O::I32DivS
            | O::I32DivU
            | O::I32RemS
            | O::I32RemU
            | O::I64DivS
            | O::I64DivU
            | O::I64RemS
            | O::I64RemU
    ) || is_pure_integer(op)
}
