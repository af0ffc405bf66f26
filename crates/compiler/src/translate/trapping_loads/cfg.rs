//! Control-flow facts of one function: reverse postorder, dominators,
//! post-dominators and control dependence (which branches decide whether a
//! block runs), computed with the iterative algorithm of Cooper, Harvey and
//! Kennedy ("A Simple, Fast Dominance Algorithm").

use super::mirror::{Bid, Callee, Func, Op};

/// The control-flow facts of a function.
pub(super) struct Cfg {
    /// Reachable blocks in reverse postorder from the entry.
    pub rpo: Vec<Bid>,
    /// Position of each block in `rpo` (`u32::MAX`: unreachable).
    pub rpo_index: Vec<u32>,
    /// Immediate dominator (entry: itself; unreachable: `None`).
    pub idom: Vec<Option<Bid>>,
    /// For each block, the blocks whose branch decides whether it runs.
    pub control_deps: Vec<Vec<Bid>>,
    /// Immediate post-dominator where every block without successors ends
    /// a path (`ret`, `unreachable` after a trap call), an `invoke` going on
    /// at its normal destination as a call does; `None` for blocks that
    /// reach no such block, and for the virtual exit's children.
    pub ipdom: Vec<Option<Bid>>,
    /// Immediate post-dominator where only `ret` ends a path (`None` for
    /// blocks that cannot reach a `ret`, and for the virtual exit's children).
    pub ret_ipdom: Vec<Option<Bid>>,
}

/// The virtual exit node of a post-dominator tree over `n` blocks.
fn exit(n: usize) -> Bid {
    n as Bid
}

impl Cfg {
    /// Computes the facts for `f`.
    pub(super) fn new(f: &Func) -> Cfg {
        let n = f.blocks.len();
        let rpo = reverse_postorder(f);
        let mut rpo_index = vec![u32::MAX; n];
        for (i, &b) in rpo.iter().enumerate() {
            rpo_index[b as usize] = i as u32;
        }
        let preds: Vec<Vec<Bid>> = f.blocks.iter().map(|b| b.preds.clone()).collect();
        let idom = dominators(&rpo, &rpo_index, &preds, n);

        // Post-dominators with every block without successors (`ret`,
        // `unreachable` after a trap call) as an exit: control dependence.
        let all_exits = post_dominators(f, |b| f.blocks[b as usize].succs.is_empty());
        let mut control_deps = vec![Vec::new(); n];
        for a in 0..n {
            let succs = &f.blocks[a].succs;
            if rpo_index[a] == u32::MAX || distinct(succs) < 2 {
                continue;
            }
            let Some(stop) = all_exits[a] else { continue };
            for &s in succs {
                let mut runner = s;
                while runner != stop && runner != exit(n) {
                    let deps = &mut control_deps[runner as usize];
                    if !deps.contains(&(a as Bid)) {
                        deps.push(a as Bid);
                    }
                    match all_exits[runner as usize] {
                        Some(up) => runner = up,
                        None => break,
                    }
                }
            }
        }
        // Post-dominators over paths that end in `ret`: for overwritten stores.
        let ret_ipdom = post_dominators(f, |b| {
            let block = &f.blocks[b as usize];
            matches!(f.insts[block.end as usize - 1].op, Op::Ret)
        });
        Cfg {
            rpo,
            rpo_index,
            idom,
            control_deps,
            ipdom: all_exits,
            ret_ipdom,
        }
    }

    /// Whether block `a` dominates block `b` (both reachable).
    pub(super) fn dominates(&self, a: Bid, b: Bid) -> bool {
        let mut b = b;
        loop {
            if a == b {
                return true;
            }
            match self.idom[b as usize] {
                Some(up) if up != b => b = up,
                _ => return false,
            }
        }
    }

    /// Whether block `a` post-dominates block `b` on paths that end in `ret`.
    pub(super) fn ret_post_dominates(&self, a: Bid, b: Bid) -> bool {
        climbs_to(&self.ret_ipdom, a, b)
    }

    /// Whether every path from block `b` to a block without successors
    /// (`ret`, or a trap) passes block `a`.
    pub(super) fn post_dominates(&self, a: Bid, b: Bid) -> bool {
        climbs_to(&self.ipdom, a, b)
    }

    /// Whether the edge `from -> to` goes back to a loop header.
    pub(super) fn is_back_edge(&self, from: Bid, to: Bid) -> bool {
        let (f, t) = (self.rpo_index[from as usize], self.rpo_index[to as usize]);
        f == u32::MAX || t == u32::MAX || f >= t
    }
}

/// Whether `a` is `b` or one of its ancestors in the tree `parent`.
fn climbs_to(parent: &[Option<Bid>], a: Bid, b: Bid) -> bool {
    let mut b = b;
    loop {
        if a == b {
            return true;
        }
        match parent[b as usize] {
            Some(up) if (up as usize) < parent.len() => b = up,
            _ => return false,
        }
    }
}

fn distinct(succs: &[Bid]) -> usize {
    let mut seen: Vec<Bid> = succs.to_vec();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

/// The first call in block `b` of `f` to a defined function that
/// `never_returns`: the rest of the block cannot run.
pub(super) fn first_call_never_returning(
    f: &Func,
    b: Bid,
    never_returns: &dyn Fn(u32) -> bool,
) -> Option<u32> {
    let block = &f.blocks[b as usize];
    (block.start..block.end).find(
        |&v| matches!(f.insts[v as usize].op, Op::Call(Callee::Defined(g)) if never_returns(g)),
    )
}

/// The blocks of `f` reachable from its entry when a call to a function that
/// `never_returns` ends its block, without entering a landing pad: the
/// blocks an optimizer cannot delete once it knows (it infers `noreturn`,
/// or inlines a callee that always traps, or finds that a callee cannot
/// throw and deletes the landing pad).
pub(super) fn reached_past_calls(f: &Func, never_returns: &dyn Fn(u32) -> bool) -> Vec<bool> {
    let n = f.blocks.len();
    let mut seen = vec![false; n];
    if n == 0 {
        return seen;
    }
    seen[0] = true;
    let mut stack = vec![0 as Bid];
    while let Some(b) = stack.pop() {
        if first_call_never_returning(f, b, never_returns).is_some() {
            continue;
        }
        let block = &f.blocks[b as usize];
        for &s in &block.succs {
            if Some(s) == block.unwind {
                continue;
            }
            if !seen[s as usize] {
                seen[s as usize] = true;
                stack.push(s);
            }
        }
    }
    seen
}

fn reverse_postorder(f: &Func) -> Vec<Bid> {
    let n = f.blocks.len();
    if n == 0 {
        return Vec::new();
    }
    let mut seen = vec![false; n];
    let mut post = Vec::with_capacity(n);
    let mut stack: Vec<(Bid, usize)> = vec![(0, 0)];
    seen[0] = true;
    while let Some(&mut (b, ref mut next)) = stack.last_mut() {
        let succs = &f.blocks[b as usize].succs;
        if *next < succs.len() {
            let s = succs[*next];
            *next += 1;
            if !seen[s as usize] {
                seen[s as usize] = true;
                stack.push((s, 0));
            }
        } else {
            post.push(b);
            stack.pop();
        }
    }
    post.reverse();
    post
}

/// Immediate dominators over the reachable blocks.
fn dominators(rpo: &[Bid], rpo_index: &[u32], preds: &[Vec<Bid>], n: usize) -> Vec<Option<Bid>> {
    let mut idom: Vec<Option<Bid>> = vec![None; n];
    let Some(&entry) = rpo.first() else {
        return idom;
    };
    idom[entry as usize] = Some(entry);
    let intersect = |idom: &[Option<Bid>], mut a: Bid, mut b: Bid| {
        while a != b {
            while rpo_index[a as usize] > rpo_index[b as usize] {
                a = idom[a as usize].expect("processed");
            }
            while rpo_index[b as usize] > rpo_index[a as usize] {
                b = idom[b as usize].expect("processed");
            }
        }
        a
    };
    let mut changed = true;
    while changed {
        changed = false;
        for &b in &rpo[1..] {
            let mut new = None;
            for &p in &preds[b as usize] {
                if idom[p as usize].is_none() {
                    continue;
                }
                new = Some(match new {
                    None => p,
                    Some(q) => intersect(&idom, p, q),
                });
            }
            if new.is_some() && idom[b as usize] != new {
                idom[b as usize] = new;
                changed = true;
            }
        }
    }
    idom
}

/// Immediate post-dominators with `is_exit` blocks joined to a virtual exit
/// (index `n`). Blocks that reach no exit get `None`.
fn post_dominators(f: &Func, is_exit: impl Fn(Bid) -> bool) -> Vec<Option<Bid>> {
    let n = f.blocks.len();
    // The reverse graph: node `n` is the exit; its successors are the exits.
    // An `invoke` continues at its normal destination, as a call does: the
    // unwind edge is left out, as a call's implicit unwinding is.
    let rsuccs = |b: Bid| -> Vec<Bid> {
        if b == exit(n) {
            (0..n as Bid).filter(|&x| is_exit(x)).collect()
        } else {
            let preds = &f.blocks[b as usize].preds;
            preds
                .iter()
                .copied()
                .filter(|&p| f.blocks[p as usize].unwind != Some(b))
                .collect()
        }
    };
    let rpreds = |b: Bid| -> Vec<Bid> {
        let block = &f.blocks[b as usize];
        let mut p: Vec<Bid> = block
            .succs
            .iter()
            .copied()
            .filter(|&s| Some(s) != block.unwind)
            .collect();
        if is_exit(b) {
            p.push(exit(n));
        }
        p
    };
    // Reverse postorder of the reverse graph from the exit.
    let mut seen = vec![false; n + 1];
    let mut post = Vec::new();
    let mut stack: Vec<(Bid, Vec<Bid>, usize)> = vec![(exit(n), rsuccs(exit(n)), 0)];
    seen[n] = true;
    while let Some((b, succs, next)) = stack.last_mut() {
        if *next < succs.len() {
            let s = succs[*next];
            *next += 1;
            if !seen[s as usize] {
                seen[s as usize] = true;
                let ss = rsuccs(s);
                stack.push((s, ss, 0));
            }
        } else {
            post.push(*b);
            stack.pop();
        }
    }
    post.reverse();
    let mut order = vec![u32::MAX; n + 1];
    for (i, &b) in post.iter().enumerate() {
        order[b as usize] = i as u32;
    }
    let mut ipdom: Vec<Option<Bid>> = vec![None; n + 1];
    ipdom[n] = Some(exit(n));
    let intersect = |ipdom: &[Option<Bid>], mut a: Bid, mut b: Bid| {
        while a != b {
            while order[a as usize] > order[b as usize] {
                a = ipdom[a as usize].expect("processed");
            }
            while order[b as usize] > order[a as usize] {
                b = ipdom[b as usize].expect("processed");
            }
        }
        a
    };
    let mut changed = true;
    while changed {
        changed = false;
        for &b in post.iter().skip(1) {
            let mut new = None;
            for p in rpreds(b) {
                if order[p as usize] == u32::MAX || ipdom[p as usize].is_none() {
                    continue;
                }
                new = Some(match new {
                    None => p,
                    Some(q) => intersect(&ipdom, p, q),
                });
            }
            if new.is_some() && ipdom[b as usize] != new {
                ipdom[b as usize] = new;
                changed = true;
            }
        }
    }
    ipdom.truncate(n);
    ipdom
}
