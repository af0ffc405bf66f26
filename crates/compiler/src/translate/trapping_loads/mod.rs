//! Keeps every out-of-bounds linear-memory load trapping, whether or not
//! its result is used, by making volatile exactly the loads an optimizer
//! might otherwise delete or narrow.
//!
//! A 32-bit memory access has no bounds check: an address past the end
//! lands on a guard page and faults (see `translate::memory`). LLVM treats a
//! load as free of side effects, so it deletes a load whose result is
//! unused, and it may shrink a load to the bytes that are used (`load i32`
//! then `& 0xff` becomes a one-byte load). Either loses the fault. A
//! volatile load is never deleted nor shrunk, but it is never combined,
//! hoisted or vectorized either, so only loads at risk become volatile.
//!
//! # The rule
//! A load is safe if the program certainly uses a bit of its highest byte
//! (the one nearest the end of memory, always part of an out-of-bounds
//! access): then no rewrite can delete the load, or shrink it away from that
//! byte. "Certainly uses" is computed on the translated IR after `mem2reg`:
//!
//! * what an optimizer must keep: stores that are not overwritten before
//!   every return and do not store the value just loaded there, calls that
//!   cannot be deleted, returns, memory accesses (their addresses), and the
//!   branches that decide whether any of these run (control dependence, as
//!   LLVM's ADCE computes it, without ADCE's rule that loops stay);
//! * backwards from those, the demanded bits of each operand, by rules that
//!   never claim more than any rewrite still needs (`demand`): an operator
//!   whose result an optimizer may find constant or independent of an
//!   operand passes nothing on (`hazards`: `x - x`, `x * 0`, `(a + b) - a`,
//!   `a & ~a`, `a & (a | b)`, comparisons decided by what the operands can
//!   be, `select c, x, x`, `fadd x, NaN`, ...), using value numbers and
//!   normal forms of sums and bitwise operations (`forms`) and witnesses of
//!   possible values (`poss`);
//! * across functions: an argument is used as the callee uses the parameter;
//!   a result is used only as much as *every* direct call site uses it (a
//!   call site may be inlined and its result dropped), and fully if the
//!   function escapes (exported, in a table).
//!
//! What the analysis cannot see is listed in `docs/architecture.md`.
//!
//! `TERN_DEBUG_TRAPPING_LOADS=1` prints how many loads became volatile (and
//! how long the analysis took); `TERN_DEBUG_TRAPPING_LOADS_ALL=1` also prints
//! each of them with its users.

mod bits;
mod cfg;
mod demand;
mod facts;
mod forms;
mod hazards;
mod mirror;
mod poss;
mod samples;

use crate::error::{CompileError, Result};
use bits::Ty;
use cfg::Cfg;
use facts::{Facts, ParamFact};
use inkwell::module::Module;
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::TargetMachine;
use inkwell::values::AsValueRef;
use mirror::{Arg, Bid, Callee, Func, MemoryTag, Mirror, Op, Vid};
use poss::Poss;
use std::collections::{HashMap, VecDeque};

/// What the pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Linear-memory loads in reachable code.
    pub loads: usize,
    /// Of those, the ones made volatile.
    pub volatile: usize,
}

/// Promotes locals to SSA, then marks volatile every linear-memory load
/// (those tagged with `tbaa`'s memory tag) an optimizer might delete or
/// narrow. Run it on the verified, translated module, before optimizing.
///
/// # Errors
/// `Codegen` if `mem2reg` fails.
pub fn keep_trapping_loads(
    module: &Module<'_>,
    machine: &TargetMachine,
    tbaa: &super::tbaa::Tbaa<'_>,
) -> Result<Stats> {
    let started = std::time::Instant::now();
    module
        .run_passes("mem2reg", machine, PassBuilderOptions::create())
        .map_err(|e| CompileError::Codegen(format!("mem2reg: {}", e.to_string_lossy())))?;
    let (kind, tag) = tbaa.memory_tag();
    let tag = MemoryTag {
        kind,
        tag: tag.as_value_ref(),
    };
    let mirror = mirror::read_module(module.as_mut_ptr(), tag);
    let verdicts = analyze_module(&mirror);
    let mut stats = Stats::default();
    for (f, cfg, volatile) in verdicts {
        for (v, inst) in mirror.funcs[f].insts.iter().enumerate() {
            let reachable = cfg.rpo_index[inst.block as usize] != u32::MAX;
            if matches!(inst.op, Op::Load { memory: true }) && reachable && !inst.volatile {
                stats.loads += 1;
                if volatile.contains(&(v as Vid)) {
                    stats.volatile += 1;
                    if std::env::var_os("TERN_DEBUG_TRAPPING_LOADS_ALL").is_some() {
                        // SAFETY: debugging output of a live value.
                        let text = unsafe {
                            let p = inkwell::llvm_sys::core::LLVMPrintValueToString(inst.raw);
                            let s = std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned();
                            inkwell::llvm_sys::core::LLVMDisposeMessage(p);
                            s
                        };
                        let users = debug_users(inst.raw, 3);
                        // SAFETY: debugging output of a live value.
                        let name = unsafe {
                            use inkwell::llvm_sys::core::*;
                            let func = LLVMGetBasicBlockParent(LLVMGetInstructionParent(inst.raw));
                            let mut len = 0;
                            let p = LLVMGetValueName2(func, &mut len);
                            String::from_utf8_lossy(std::slice::from_raw_parts(p.cast::<u8>(), len))
                                .into_owned()
                        };
                        eprintln!("volatile in {name} ({f}): {text}\n{users}");
                    }
                    // SAFETY: `raw` is a load of `module`, which is live.
                    unsafe { inkwell::llvm_sys::core::LLVMSetVolatile(inst.raw, 1) };
                }
            }
        }
    }
    if std::env::var_os("TERN_DEBUG_TRAPPING_LOADS").is_some() {
        eprintln!(
            "trapping loads: {} of {} linear-memory loads volatile ({:.1?})",
            stats.volatile,
            stats.loads,
            started.elapsed()
        );
    }
    Ok(stats)
}

/// For each function: its CFG and the memory loads to make volatile.
fn analyze_module(m: &Mirror) -> Vec<(usize, Cfg, Vec<Vid>)> {
    let n = m.funcs.len();
    let cfgs: Vec<Cfg> = m.funcs.iter().map(Cfg::new).collect();
    let effectful = effectful(m);
    let never = never_returns(m);
    let facts = module_facts(m, &cfgs);

    // Interprocedural demand, from nothing upwards (every step is sound).
    let mut param_demand: Vec<Vec<u128>> =
        m.funcs.iter().map(|f| vec![0; f.params as usize]).collect();
    let mut site_demand: HashMap<(usize, Vid), Vec<u128>> = HashMap::new();
    let mut results: Vec<Option<demand::Demand>> = (0..n).map(|_| None).collect();
    let mut queue: VecDeque<usize> = (0..n).collect();
    let mut queued = vec![true; n];
    let mut budget = 40 * n + 100;
    while let Some(fi) = queue.pop_front() {
        queued[fi] = false;
        if budget == 0 {
            break;
        }
        budget -= 1;
        let f = &m.funcs[fi];
        let ret = ret_demand(f, &site_demand);
        let outcome = {
            let param = |g: u32, i: usize| {
                param_demand
                    .get(g as usize)
                    .and_then(|p| p.get(i))
                    .copied()
                    .unwrap_or(0)
            };
            let effect = |g: u32| effectful.get(g as usize).copied().unwrap_or(true);
            let never_returns = |g: u32| never.get(g as usize).copied().unwrap_or(true);
            let cx = demand::Context {
                ret: &ret,
                param: &param,
                effectful: &effect,
                never_returns: &never_returns,
            };
            demand::analyze(f, &cfgs[fi], &facts[fi], &cx)
        };
        let mut push = |g: usize, queue: &mut VecDeque<usize>| {
            if !queued[g] {
                queued[g] = true;
                queue.push_back(g);
            }
        };
        let params: Vec<u128> = (0..f.params as usize).map(|i| outcome.bits[i]).collect();
        if grew(&param_demand[fi], &params) {
            param_demand[fi] = merge(&param_demand[fi], &params);
            for &(caller, _) in &f.sites {
                push(caller as usize, &mut queue);
            }
        }
        for (v, inst) in f.insts.iter().enumerate() {
            if let Op::Call(Callee::Defined(g)) = inst.op {
                let used = outcome.results(f, v as Vid);
                let slot = site_demand.entry((fi, v as Vid)).or_default();
                if slot.len() < used.len() {
                    slot.resize(used.len(), 0);
                }
                if grew(slot, &used) {
                    *slot = merge(slot, &used);
                    push(g as usize, &mut queue);
                }
            }
        }
        results[fi] = Some(outcome);
    }

    let mut out = Vec::with_capacity(n);
    for (fi, cfg) in cfgs.into_iter().enumerate() {
        let f = &m.funcs[fi];
        let mut volatile = Vec::new();
        for (v, inst) in f.insts.iter().enumerate() {
            if !matches!(inst.op, Op::Load { memory: true }) {
                continue;
            }
            let demanded = results[fi].as_ref().map_or(0, |r| r.bits[v]);
            if demanded & inst.ty.top_byte() == 0 {
                volatile.push(v as Vid);
            }
        }
        out.push((fi, cfg, volatile));
    }
    out
}

/// Demanded bits of each result of `f`: what every direct call site uses,
/// all of it if there is none (an escaping or unused function).
fn ret_demand(f: &Func, site_demand: &HashMap<(usize, Vid), Vec<u128>>) -> Vec<u128> {
    let fields = match f.ret {
        Ty::Void => 0,
        Ty::Struct(n) => usize::from(n),
        _ => 1,
    };
    let mut ret = vec![u128::MAX; fields];
    for &(caller, call) in &f.sites {
        let used = site_demand.get(&(caller as usize, call));
        for (i, slot) in ret.iter_mut().enumerate() {
            *slot &= used.and_then(|u| u.get(i)).copied().unwrap_or(0);
        }
    }
    ret
}

fn grew(old: &[u128], new: &[u128]) -> bool {
    new.iter()
        .enumerate()
        .any(|(i, x)| x & !old.get(i).copied().unwrap_or(0) != 0)
}

fn merge(old: &[u128], new: &[u128]) -> Vec<u128> {
    (0..old.len().max(new.len()))
        .map(|i| old.get(i).copied().unwrap_or(0) | new.get(i).copied().unwrap_or(0))
        .collect()
}

/// Whether each function has an effect that keeps any call to it: a store,
/// a call that is not to a pure intrinsic, a volatile access (or a call to
/// a function that has one). tern's functions all do (the stack check may
/// call the trap builtin); this keeps the analysis right without that.
fn effectful(m: &Mirror) -> Vec<bool> {
    let n = m.funcs.len();
    let mut out: Vec<bool> = m
        .funcs
        .iter()
        .map(|f| {
            f.insts
                .iter()
                .any(|i| i.volatile || matches!(i.op, Op::Store { .. } | Op::Call(Callee::Opaque)))
        })
        .collect();
    let mut changed = true;
    while changed {
        changed = false;
        for fi in 0..n {
            if out[fi] {
                continue;
            }
            let calls_effectful = m.funcs[fi]
                .insts
                .iter()
                .any(|i| matches!(i.op, Op::Call(Callee::Defined(g)) if out[g as usize]));
            if calls_effectful {
                out[fi] = true;
                changed = true;
            }
        }
    }
    out
}

/// Whether each function may be found never to return: no `ret` is
/// reachable from its entry once a call to such a function ends its block
/// ([`cfg::reached_past_calls`]). LLVM infers `noreturn` for a function
/// without a reachable `ret` (one that always traps, or loops until its
/// fuel or stack runs out), and code after a call to it is then deleted,
/// loads included. The greatest fixpoint, so that a function that returns
/// only after calling itself counts as never returning: an
/// over-approximation of what an optimizer may find, as the rule needs.
fn never_returns(m: &Mirror) -> Vec<bool> {
    let mut never = vec![true; m.funcs.len()];
    let mut changed = true;
    while changed {
        changed = false;
        for fi in 0..m.funcs.len() {
            if !never[fi] {
                continue;
            }
            let f = &m.funcs[fi];
            let reached = cfg::reached_past_calls(f, &|g| never[g as usize]);
            let returns = f.blocks.iter().enumerate().any(|(b, block)| {
                reached[b]
                    && cfg::first_call_never_returning(f, b as Bid, &|g| never[g as usize])
                        .is_none()
                    && matches!(f.insts[block.end as usize - 1].op, Op::Ret)
            });
            if returns {
                never[fi] = false;
                changed = true;
            }
        }
    }
    never
}

/// The facts of every function, callers before callees so that parameters
/// know what their call sites pass (within a recursive cycle, nothing).
///
/// Two passes: the first knows nothing of call results; the second takes
/// them from what the first found the callee returns (itself derived only
/// from what was known then, so still witnesses).
fn module_facts(m: &Mirror, cfgs: &[Cfg]) -> Vec<Facts> {
    let n = m.funcs.len();
    let (order, scc) = callers_first(m);
    let mut returned: Vec<(Poss, bool)> = vec![(Poss::none(), false); n];
    let mut facts: Vec<Option<Facts>> = Vec::new();
    for _pass in 0..2 {
        facts = (0..n).map(|_| None).collect();
        let calls = |g: u32| {
            returned
                .get(g as usize)
                .cloned()
                .unwrap_or((Poss::none(), false))
        };
        for &fi in &order {
            let f = &m.funcs[fi];
            let params = param_facts(m, fi, &facts, &scc);
            facts[fi] = Some(facts::compute(f, &cfgs[fi], &params, &calls));
        }
        returned = (0..n)
            .map(|fi| {
                facts[fi]
                    .as_ref()
                    .map_or((Poss::none(), false), |x| x.returned(&m.funcs[fi]))
            })
            .collect();
    }
    facts
        .into_iter()
        .map(|f| f.expect("every function has facts"))
        .collect()
}

/// What the contexts of function `fi` (its call sites, and the outside if
/// it escapes) tell about its parameters.
fn param_facts(m: &Mirror, fi: usize, facts: &[Option<Facts>], scc: &[usize]) -> Vec<ParamFact> {
    let f = &m.funcs[fi];
    let np = f.params as usize;
    let mut poss: Vec<Option<Poss>> = vec![None; np];
    let mut float_free = vec![true; np];
    // Union-find: `class` for parameters that may be equal, `group` for
    // parameters that may be related.
    let mut class: Vec<usize> = (0..np).collect();
    let mut group: Vec<usize> = (0..np).collect();
    fn find(sets: &mut [usize], i: usize) -> usize {
        let mut i = i;
        while sets[i] != i {
            sets[i] = sets[sets[i]];
            i = sets[i];
        }
        i
    }
    fn join(sets: &mut [usize], i: usize, j: usize) {
        let (a, b) = (find(sets, i), find(sets, j));
        sets[a] = b;
    }
    let add = |poss: &mut Vec<Option<Poss>>, i: usize, p: Poss| {
        poss[i] = Some(match poss[i].take() {
            None => p,
            Some(q) => q.or(&p),
        });
    };
    let value_param = |i: usize| f.insts[i].ty.is_int() || f.insts[i].ty.is_float();
    if f.escaping || f.sites.is_empty() {
        for i in 0..np {
            add(&mut poss, i, Poss::full(f.insts[i].ty));
        }
    }
    for &(caller, call) in &f.sites {
        let caller = caller as usize;
        let known = scc[caller] != scc[fi];
        let args: &[Arg] = &m.funcs[caller].insts[call as usize].args;
        let n = np.min(args.len());
        match (&facts[caller], known) {
            (Some(cf), true) => {
                for i in 0..n {
                    add(&mut poss, i, cf.poss(&args[i]));
                    float_free[i] &= cf.float_free(&args[i]);
                }
                for i in 0..n {
                    for j in i + 1..n {
                        if !value_param(i) || !value_param(j) {
                            continue;
                        }
                        if cf.same(&args[i], &args[j]) {
                            join(&mut class, i, j);
                        }
                        if !cf.leaves(&args[i]).disjoint(&cf.leaves(&args[j])) {
                            join(&mut group, i, j);
                        }
                    }
                }
            }
            _ => {
                for i in 0..np {
                    poss[i] = Some(Poss::none());
                    float_free[i] = false;
                }
                let values: Vec<usize> = (0..np).filter(|&i| value_param(i)).collect();
                for w in values.windows(2) {
                    join(&mut class, w[0], w[1]);
                    join(&mut group, w[0], w[1]);
                }
            }
        }
    }
    (0..np)
        .map(|i| ParamFact {
            class: find(&mut class, i) as u32,
            group: find(&mut group, i) as u32,
            poss: poss[i].clone().unwrap_or_else(Poss::none),
            float_free: float_free[i],
        })
        .collect()
}

/// Functions ordered callers first (Tarjan's strongly connected components
/// of the call graph, in reverse), and each function's component.
fn callers_first(m: &Mirror) -> (Vec<usize>, Vec<usize>) {
    let n = m.funcs.len();
    let callees: Vec<Vec<usize>> = m
        .funcs
        .iter()
        .map(|f| {
            let mut c: Vec<usize> = f
                .insts
                .iter()
                .filter_map(|i| match i.op {
                    Op::Call(Callee::Defined(g)) => Some(g as usize),
                    _ => None,
                })
                .collect();
            c.sort_unstable();
            c.dedup();
            c
        })
        .collect();
    let components = crate::translate::call_graph::strongly_connected_components(&callees);
    let mut scc = vec![usize::MAX; n];
    for (i, component) in components.iter().enumerate() {
        for &f in component {
            scc[f] = i;
        }
    }
    let order = components.into_iter().rev().flatten().collect();
    (order, scc)
}

/// Debugging: the users of `v`, `depth` levels deep.
fn debug_users(v: inkwell::llvm_sys::prelude::LLVMValueRef, depth: usize) -> String {
    use inkwell::llvm_sys::core::*;
    let mut out = String::new();
    if depth == 0 {
        return out;
    }
    // SAFETY: debugging output of live values.
    unsafe {
        let mut u = LLVMGetFirstUse(v);
        while !u.is_null() {
            let user = LLVMGetUser(u);
            let p = LLVMPrintValueToString(user);
            let text = std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned();
            LLVMDisposeMessage(p);
            out.push_str(&format!("{}{}\n", "  ".repeat(4 - depth), text.trim()));
            out.push_str(&debug_users(user, depth - 1));
            u = LLVMGetNextUse(u);
        }
    }
    out
}
