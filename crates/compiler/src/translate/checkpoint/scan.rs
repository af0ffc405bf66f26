//! Which functions can reach a migration point.
//!
//! A function is *checkpointable* when it contains a loop, calls an import
//! (a host call may block and is re-issued after restore), makes a tail call
//! of any kind, a `call_ref` or a `call_indirect` that may reach a
//! checkpointable function, or calls a checkpointable function. (A
//! tail call needs the tail-resume path, and unbounded tail recursion must
//! reach points: see `tail.rs`.) Everything else is a leaf whose
//! run time is bounded by its size: it gets no points, no landing pads and no
//! restore dispatch, and a checkpoint requested while it runs is taken at the
//! caller's next point. This keeps small helpers (and whatever LLVM inlines
//! them into) free of instrumentation.
//!
//! **Closed tables.** A table that is defined, not exported, and changed by
//! no instruction of the module (no `table.set/grow/fill/copy/init`) holds,
//! for the whole run, only what its initializer and its active element
//! segments put there (a restore writes back what a checkpoint saw). A
//! `call_indirect (type T)` through it can only reach those functions whose
//! type is `T` (a different type traps before the call), so when none of them
//! is checkpointable, the call is no migration point either: a plain call
//! with no landing pad and no restore path: a C comparator or hash function
//! called through a pointer, say. (In `bench/programs/qsort.c` clang has
//! already made the comparator calls direct, so that benchmark does not
//! show it.)

use crate::error::Result;
use crate::parse::{malformed, FunctionInput};
use crate::translate::call_graph::on_call_cycle;
use std::collections::HashSet;
use tern_environ::{ConstExpr, ConstOp, ElementMode, ExportKind, ModuleInfo};
use wasmparser::Operator;

/// What a function body contains, as far as checkpointing cares.
#[derive(Default)]
struct BodySummary {
    has_loop: bool,
    calls_host_or_indirect: bool,
    makes_tail_calls: bool,
    direct_callees: Vec<u32>,
    /// `call_indirect`s: (type index, table).
    indirect_calls: Vec<(u32, u32)>,
    /// Whether the body changes a table.
    mutates_tables: bool,
}

fn summarize(input: &FunctionInput<'_>, num_imports: u32) -> Result<BodySummary> {
    let mut summary = BodySummary::default();
    let mut ops = input.body.get_operators_reader().map_err(malformed)?;
    while !ops.eof() {
        match ops.read().map_err(malformed)? {
            Operator::Loop { .. } => summary.has_loop = true,
            Operator::Call { function_index } if function_index < num_imports => {
                summary.calls_host_or_indirect = true
            }
            Operator::Call { function_index } => summary.direct_callees.push(function_index),
            Operator::CallIndirect {
                type_index,
                table_index,
            } => summary.indirect_calls.push((type_index, table_index)),
            Operator::CallRef { .. } => summary.calls_host_or_indirect = true,
            Operator::ReturnCall { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::ReturnCallRef { .. } => {
                summary.calls_host_or_indirect = true;
                summary.makes_tail_calls = true;
            }
            Operator::TableSet { .. }
            | Operator::TableGrow { .. }
            | Operator::TableFill { .. }
            | Operator::TableCopy { .. }
            | Operator::TableInit { .. } => summary.mutates_tables = true,
            _ => {}
        }
    }
    Ok(summary)
}

/// Which functions and calls can reach a migration point.
pub struct Checkpointable {
    /// For every function (function index space, imports first): whether a
    /// call to it can reach a migration point. Imports always can.
    pub functions: Vec<bool>,
    /// The `call_indirect`s, as (type index, table), that cannot: every
    /// function they may call is a leaf (see "Closed tables" above).
    pub leaf_indirect_calls: HashSet<(u32, u32)>,
    /// For every function (function index space): whether it gets a resume
    /// version ([`super::CrVersion`]); see [`RESUME_VERSION_MAX_BODY_BYTES`].
    pub resume_versions: Vec<bool>,
}

/// The largest function body (Wasm bytes, locals included) that gets a
/// resume version; a larger checkpointable function is translated once, with
/// its restore paths (`CrVersion::Single`).
///
/// A resume version doubles a function's code. Most of a program's code is in
/// large functions (printf's formatting loop, an interpreter's dispatch loop)
/// that are rarely what a restored frame spends its time in, while hot kernels
/// are small. Measured on `bench/programs` (2026-12-03, callgrind): 3000 bytes
/// cuts module code from 5.0x-5.2x the plain build's to 3.4x-3.5x with the
/// same instruction ratios as resume versions everywhere; 1000 bytes saves a
/// little more but costs nbody (its hot `main` is larger) 1% more
/// instructions. `docs/checkpoint-restore.md`, "Resume versions".
///
/// Within the limit, only functions that repeat code of their own get one
/// (`repeats_itself`): measured on 2026-12-06, translating the others once
/// took module code from 2.29x to 2.13x the plain build's with the same
/// instruction counts, where making loopless recursion Single too cost
/// bintrees 1.017x -> 1.042x and tail calls cost tailcall 1.11x -> 1.30x.
pub const RESUME_VERSION_MAX_BODY_BYTES: u64 = 3000;

/// Whether a function's run repeats code of its own (a loop, recursion,
/// or tail calls, which may go round a cycle of handlers): only there do
/// restore paths cost an uninterrupted run time, so only such functions get
/// a resume version ([`RESUME_VERSION_MAX_BODY_BYTES`]).
fn repeats_itself(summary: &BodySummary, on_call_cycle: bool) -> bool {
    summary.has_loop || summary.makes_tail_calls || on_call_cycle
}

/// The functions each table may hold, for the closed tables (see the module
/// documentation); `None` for the others.
fn closed_table_contents(info: &ModuleInfo, mutated: bool) -> Vec<Option<Vec<u32>>> {
    let exported: HashSet<u32> = info
        .exports
        .iter()
        .filter(|e| e.kind == ExportKind::Table)
        .map(|e| e.index)
        .collect();
    let mut contents: Vec<Option<Vec<u32>>> = (0..info.tables.len() as u32)
        .map(|t| {
            (!mutated && t >= info.num_imported_tables && !exported.contains(&t)).then(Vec::new)
        })
        .collect();
    // The functions a constant expression may produce; `None` if unknown.
    let functions_of = |expr: &ConstExpr| -> Option<Vec<u32>> {
        match expr.0.as_slice() {
            [ConstOp::RefFunc(f)] => Some(vec![*f]),
            [ConstOp::RefNull(_)] => Some(Vec::new()),
            _ => None,
        }
    };
    let mut add = |table: usize, expr: &ConstExpr| {
        let Some(Some(list)) = contents.get_mut(table) else {
            return;
        };
        match functions_of(expr) {
            Some(functions) => list.extend(functions),
            None => contents[table] = None,
        }
    };
    for (t, table) in info.tables.iter().enumerate() {
        if let Some(init) = &table.init {
            add(t, init);
        }
    }
    for segment in &info.elements {
        if let ElementMode::Active { table, .. } = segment.mode {
            for item in &segment.items {
                add(table as usize, item);
            }
        }
    }
    contents
}

/// Which functions of a module, and which of its indirect calls, can reach
/// a migration point.
///
/// # Errors
/// `Malformed` if a body cannot be read (validation reports it properly later).
pub fn checkpointable_functions(
    functions: &[FunctionInput<'_>],
    info: &ModuleInfo,
    make_resume_versions: bool,
) -> Result<Checkpointable> {
    let num_imports = info.num_imported_functions;
    let summaries = functions
        .iter()
        .map(|f| summarize(f, num_imports))
        .collect::<Result<Vec<_>>>()?;
    let tables = closed_table_contents(info, summaries.iter().any(|s| s.mutates_tables));
    let mut result: Vec<bool> = (0..num_imports).map(|_| true).collect();
    result.extend(
        summaries
            .iter()
            .map(|s| s.has_loop || s.calls_host_or_indirect),
    );
    // Whether `call_indirect (type ty) table` may reach a point, given `result`.
    let indirect_reaches = |result: &[bool], (ty, table): (u32, u32)| -> bool {
        let Some(Some(targets)) = tables.get(table as usize) else {
            return true;
        };
        let Some(expected) = info.types.get(ty as usize) else {
            return true;
        };
        targets.iter().any(|&f| {
            let same_type = info
                .functions
                .get(f as usize)
                .and_then(|t| info.types.get(*t as usize))
                .is_none_or(|t| t == expected);
            same_type && result.get(f as usize).copied().unwrap_or(true)
        })
    };
    // Propagate through calls until nothing changes.
    let mut changed = true;
    while changed {
        changed = false;
        for (i, s) in summaries.iter().enumerate() {
            let index = num_imports as usize + i;
            if !result[index]
                && (s
                    .direct_callees
                    .iter()
                    .any(|c| result.get(*c as usize).copied().unwrap_or(true))
                    || s.indirect_calls
                        .iter()
                        .any(|&c| indirect_reaches(&result, c)))
            {
                result[index] = true;
                changed = true;
            }
        }
    }
    let leaf_indirect_calls = summaries
        .iter()
        .flat_map(|s| s.indirect_calls.iter().copied())
        .filter(|&c| !indirect_reaches(&result, c))
        .collect();
    let callees: Vec<Vec<usize>> = summaries
        .iter()
        .map(|s| {
            s.direct_callees
                .iter()
                .filter_map(|&c| c.checked_sub(num_imports).map(|c| c as usize))
                .collect()
        })
        .collect();
    let cycles = on_call_cycle(&callees);
    let resume_versions = (0..num_imports)
        .map(|_| false)
        .chain(functions.iter().enumerate().map(|(i, f)| {
            make_resume_versions
                && result[num_imports as usize + i]
                && repeats_itself(&summaries[i], cycles[i])
                && f.body.range().end - f.body.range().start <= RESUME_VERSION_MAX_BODY_BYTES
        }))
        .collect();
    Ok(Checkpointable {
        functions: result,
        leaf_indirect_calls,
        resume_versions,
    })
}
