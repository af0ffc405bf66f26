//! Which functions can go without the stack check at their entry.
//!
//! Every function compares the stack pointer with `vmctx->stack_limit` on
//! entry, so unbounded recursion traps with "call stack exhausted" before it
//! reaches the guard page. The check only matters in a function through
//! which the stack can grow: one that makes an ordinary call. A function
//! whose only calls are tail calls that reuse its frame adds at most its own
//! frame below its caller's; every function it reaches checks for itself
//! (or is such a function too), so the stack can never grow without bound
//! through it. The runtime keeps `HOST_HEADROOM` (256 KiB) below the limit
//! for the host, and a small body has a small frame, so one such frame below
//! the limit is safe.
//!
//! Why bother: reading the stack pointer pins the prologue to the entry,
//! so LLVM cannot shrink-wrap the save of the context register into the
//! rare path that needs it. An interpreter whose handlers dispatch with
//! `return_call_indirect` (`bench/programs/tailcall.c`) saved and restored
//! it, and checked the stack, in every handler.
//!
//! Only tail calls that are guaranteed to reuse the frame qualify: LLVM
//! `musttail` calls, which tern emits when the callee has the caller's
//! native signature and its results fit in registers
//! (`FuncTranslator::finish_tail_call`); any other tail call may keep a
//! frame. A tail call of an import counts as an ordinary call. A `musttail`
//! call through a table or a reference whose callee turns out to belong to
//! another instance is made as an ordinary call by a thunk that checks the
//! stack first (`cross_instance.rs`), so mutual tail recursion between
//! instances still traps (`tests/tail-calls/cross_instance.wast`).
//! Functions of a `--cr` build that can be checkpointed keep the check,
//! which is also their checkpoint poll.

use crate::error::Result;
use crate::parse::malformed;
use tern_environ::ModuleInfo;
use wasmparser::{FunctionBody, Operator};

/// Bodies larger than this keep the check (a bound on the frame).
const MAX_BODY_BYTES: u64 = 2048;
/// Functions with more locals than this keep the check.
const MAX_LOCALS: u32 = 64;

/// Whether a function with body `body` needs the stack check at its entry;
/// `musttail(t)` says whether a tail call of type `t` from it is a
/// `musttail` call.
pub(super) fn needs_stack_check(
    info: &ModuleInfo,
    body: &FunctionBody<'_>,
    musttail: &dyn Fn(u32) -> bool,
) -> Result<bool> {
    let range = body.range();
    if range.end - range.start > MAX_BODY_BYTES {
        return Ok(true);
    }
    let mut locals = 0u32;
    for group in body.get_locals_reader().map_err(malformed)? {
        let (count, _) = group.map_err(malformed)?;
        locals = locals.saturating_add(count);
    }
    if locals > MAX_LOCALS {
        return Ok(true);
    }
    // The body is not validated yet: an index out of range keeps the check
    // (and validation then rejects the module).
    let frame_reused =
        |type_index: u32| (type_index as usize) < info.types.len() && musttail(type_index);
    let mut reader = body.get_operators_reader().map_err(malformed)?;
    while !reader.eof() {
        let grows = match reader.read().map_err(malformed)? {
            Operator::Call { .. } | Operator::CallIndirect { .. } | Operator::CallRef { .. } => {
                true
            }
            Operator::ReturnCall { function_index } => {
                function_index < info.num_imported_functions
                    || !info
                        .functions
                        .get(function_index as usize)
                        .is_some_and(|&t| frame_reused(t))
            }
            Operator::ReturnCallIndirect { type_index, .. }
            | Operator::ReturnCallRef { type_index } => !frame_reused(type_index),
            _ => false,
        };
        if grows {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::needs_stack_check;
    use crate::parse::{parse_module, SUPPORTED};

    /// For each defined function of `wat`: whether it keeps its check, with
    /// tail calls of type 0 (and only those) counted as `musttail`.
    fn verdicts(wat: &str) -> Vec<bool> {
        let wasm = wat::parse_str(wat).unwrap();
        let parsed = parse_module(&wasm, SUPPORTED).unwrap();
        let musttail = |t: u32| t == 0;
        parsed
            .functions
            .iter()
            .map(|f| needs_stack_check(&parsed.info, &f.body, &musttail).unwrap())
            .collect()
    }

    #[test]
    fn only_functions_that_can_grow_the_stack_keep_the_check() {
        let wat = r#"(module
            (type $t (func (param i32) (result i32)))
            (type $u (func (param i64) (result i32)))
            (import "env" "host" (func $host (type $t)))
            (table 1 funcref)
            (func $leaf (type $t) (i32.add (local.get 0) (i32.const 1)))
            (func $calls (type $t) (call $leaf (local.get 0)))
            (func $tail_same (type $t) (return_call $leaf (local.get 0)))
            (func $tail_indirect_same (type $t)
              (return_call_indirect (type $t) (local.get 0) (i32.const 0)))
            (func $tail_other (type $t) (return_call $wide (i64.const 1)))
            (func $tail_import (type $t) (return_call $host (local.get 0)))
            (func $wide (type $u) (i32.wrap_i64 (local.get 0)))
            (func $many_locals (type $t) (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
              i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
              i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
              i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
              (local.get 0)))"#;
        assert_eq!(
            verdicts(wat),
            [false, true, false, false, true, true, false, true]
        );
    }
}
