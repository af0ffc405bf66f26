//! Which functions can reach a migration point.
//!
//! A function is *checkpointable* when it contains a loop, calls an import
//! (a host call may block and is re-issued after restore), makes an indirect
//! call or a tail call of any kind, or calls a checkpointable function. (A
//! tail call needs the tail-resume path, and unbounded tail recursion must
//! reach points: see `tail.rs`.) Everything else is a leaf whose
//! run time is bounded by its size: it gets no points, no landing pads and no
//! restore dispatch, and a checkpoint requested while it runs is taken at the
//! caller's next point. This keeps small helpers (and whatever LLVM inlines
//! them into) free of instrumentation.

use crate::error::Result;
use crate::parse::{malformed, FunctionInput};
use wasmparser::Operator;

/// What a function body contains, as far as checkpointing cares.
#[derive(Default)]
struct BodySummary {
    has_loop: bool,
    calls_host_or_indirect: bool,
    direct_callees: Vec<u32>,
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
            Operator::CallIndirect { .. }
            | Operator::CallRef { .. }
            | Operator::ReturnCall { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::ReturnCallRef { .. } => summary.calls_host_or_indirect = true,
            _ => {}
        }
    }
    Ok(summary)
}

/// For every function (function index space, imports first): whether a call
/// to it can reach a migration point. Imports always can.
///
/// # Errors
/// `Malformed` if a body cannot be read (validation reports it properly later).
pub fn checkpointable_functions(
    functions: &[FunctionInput<'_>],
    num_imports: u32,
) -> Result<Vec<bool>> {
    let summaries = functions
        .iter()
        .map(|f| summarize(f, num_imports))
        .collect::<Result<Vec<_>>>()?;
    let mut result: Vec<bool> = (0..num_imports).map(|_| true).collect();
    result.extend(
        summaries
            .iter()
            .map(|s| s.has_loop || s.calls_host_or_indirect),
    );
    // Propagate through direct calls until nothing changes.
    let mut changed = true;
    while changed {
        changed = false;
        for (i, s) in summaries.iter().enumerate() {
            let index = num_imports as usize + i;
            if !result[index]
                && s.direct_callees
                    .iter()
                    .any(|c| result.get(*c as usize).copied().unwrap_or(true))
            {
                result[index] = true;
                changed = true;
            }
        }
    }
    Ok(result)
}
