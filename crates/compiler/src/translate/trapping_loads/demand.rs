//! Which bits of each value the program certainly needs, found backwards
//! from what an optimizer must keep (stores, calls, returns, memory
//! accesses and the branches that decide whether they run), in the manner of
//! LLVM's aggressive dead code elimination and demanded-bits analysis but
//! erring the other way: a bit counts as demanded only if every rewrite an
//! optimizer may make still needs it.

use super::bits::{
    lane, lane_mask, low_fill, map_lanes, mask, shl_lanes, shr_lanes, sign_bits, whole_lanes, Ty,
};
use super::cfg::{self, Cfg};
use super::facts::{value_ty, Facts};
use super::forms::{self, Kind};
use super::hazards::{self, splat_const};
use super::mirror::{Arg, Bid, BinOp, Callee, CastOp, Func, IPred, Intr, Op, Vid};
use std::collections::HashMap;

/// What the rest of the module tells about one function.
pub(super) struct Context<'a> {
    /// Demanded bits of each result field (empty for `void`).
    pub ret: &'a [u128],
    /// Demanded bits of parameter `i` of defined function `callee`.
    pub param: &'a dyn Fn(u32, usize) -> u128,
    /// Whether a call to defined function `callee` can never be deleted.
    pub effectful: &'a dyn Fn(u32) -> bool,
    /// Whether defined function `callee` may be found never to return (the
    /// code after a call to it is then deleted).
    pub never_returns: &'a dyn Fn(u32) -> bool,
}

/// The demanded bits of a function's values.
pub(super) struct Demand {
    /// By value (struct values: see `fields`).
    pub bits: Vec<u128>,
    /// Demanded bits per field of struct-typed values.
    pub fields: HashMap<Vid, Vec<u128>>,
}

impl Demand {
    /// Demanded bits of each result field of call `v`.
    pub(super) fn results(&self, f: &Func, v: Vid) -> Vec<u128> {
        match f.insts[v as usize].ty {
            Ty::Struct(n) => self
                .fields
                .get(&v)
                .cloned()
                .unwrap_or_else(|| vec![0; usize::from(n)]),
            Ty::Void => Vec::new(),
            _ => vec![self.bits[v as usize]],
        }
    }
}

struct Analysis<'a> {
    f: &'a Func,
    cfg: &'a Cfg,
    facts: &'a Facts,
    bits: Vec<u128>,
    fields: HashMap<Vid, Vec<u128>>,
    work: Vec<Vid>,
    live_block: Vec<bool>,
    live_branch: Vec<bool>,
    blocks: Vec<Bid>,
    /// The block where the use being followed happens (for a phi input,
    /// the incoming block).
    at: Bid,
}

/// Runs the analysis over `f`.
pub(super) fn analyze(f: &Func, cfg: &Cfg, facts: &Facts, cx: &Context<'_>) -> Demand {
    let n = f.blocks.len();
    let mut a = Analysis {
        f,
        cfg,
        facts,
        bits: vec![0; f.insts.len()],
        fields: HashMap::new(),
        work: Vec::new(),
        live_block: vec![false; n],
        live_branch: vec![false; n],
        blocks: Vec::new(),
        at: 0,
    };
    a.roots(cx);
    loop {
        if let Some(v) = a.work.pop() {
            a.transfer(v);
        } else if let Some(b) = a.blocks.pop() {
            for &dep in &cfg.control_deps[b as usize] {
                a.branch_live(dep);
            }
        } else {
            break;
        }
    }
    Demand {
        bits: a.bits,
        fields: a.fields,
    }
}

impl Analysis<'_> {
    /// Whether a use of `v` in block `self.at` happens on every path from
    /// `v`'s block: `self.at` post-dominates it. Otherwise the use demands
    /// nothing: an optimizer may sink `v` (a load, or a value computed from
    /// one) into the blocks of its uses, where it runs only on some paths,
    /// so on the others a load that should trap does not run (the x86-64
    /// back end sinks a load past a fence into the one branch that uses it).
    fn used_on_every_path(&self, v: Vid) -> bool {
        let def = &self.f.insts[v as usize];
        matches!(def.op, Op::Param(_))
            || def.block == self.at
            || self.cfg.post_dominates(self.at, def.block)
    }

    /// Demands bits `d` of `a`, used in block `self.at` (see
    /// [`Self::used_on_every_path`]).
    fn demand(&mut self, a: &Arg, d: u128) {
        let Arg::Val(v) = a else { return };
        if !self.used_on_every_path(*v) {
            return;
        }
        let d = d & self.f.insts[*v as usize].ty.all();
        if d & !self.bits[*v as usize] != 0 {
            self.bits[*v as usize] |= d;
            self.work.push(*v);
        }
    }

    fn demand_field(&mut self, a: &Arg, i: usize, d: u128) {
        let Arg::Val(v) = a else { return };
        if !self.used_on_every_path(*v) {
            return;
        }
        let Ty::Struct(n) = self.f.insts[*v as usize].ty else {
            return;
        };
        let fields = self
            .fields
            .entry(*v)
            .or_insert_with(|| vec![0; usize::from(n)]);
        if let Some(slot) = fields.get_mut(i) {
            if d & !*slot != 0 {
                *slot |= d;
                self.work.push(*v);
            }
        }
    }

    fn demand_all(&mut self, a: &Arg) {
        if let Some(ty) = value_ty(self.f, a) {
            self.demand(a, ty.all());
        }
    }

    fn block_live(&mut self, b: Bid) {
        if !self.live_block[b as usize] {
            self.live_block[b as usize] = true;
            self.blocks.push(b);
        }
    }

    /// What is kept whatever else happens: nothing after a call that may
    /// never return.
    fn roots(&mut self, cx: &Context<'_>) {
        let f = self.f;
        let reached = cfg::reached_past_calls(f, cx.never_returns);
        for &b in &self.cfg.rpo {
            if !reached[b as usize] {
                continue;
            }
            self.at = b;
            let block = &f.blocks[b as usize];
            let end = cfg::first_call_never_returning(f, b, cx.never_returns)
                .map_or(block.end, |call| call + 1);
            for v in block.start..end {
                let inst = &f.insts[v as usize];
                let args = &inst.args;
                match &inst.op {
                    Op::Store { .. } => {
                        self.demand_all(&args[1]);
                        if inst.volatile || !self.facts.maybe_dead_store[v as usize] {
                            self.demand_all(&args[0]);
                            self.block_live(b);
                        }
                    }
                    Op::Load { memory } if *memory || inst.volatile => {
                        // Every linear-memory load is kept, as a used or as a
                        // volatile load: its address and its block matter.
                        self.demand_all(&args[0]);
                        self.block_live(b);
                    }
                    Op::Call(Callee::Opaque) => {
                        for a in args {
                            self.demand_all(a);
                        }
                        self.block_live(b);
                    }
                    Op::Call(Callee::Defined(g)) => {
                        for (i, a) in args.iter().enumerate() {
                            self.demand(a, (cx.param)(*g, i));
                        }
                        if (cx.effectful)(*g) {
                            self.block_live(b);
                        }
                    }
                    Op::Ret => {
                        match (args.first(), f.ret) {
                            (Some(a), Ty::Struct(_)) => {
                                for (i, d) in cx.ret.iter().enumerate() {
                                    self.demand_field(a, i, *d);
                                }
                            }
                            (Some(a), _) => {
                                let d = cx.ret.first().copied().unwrap_or(0);
                                self.demand(a, d);
                            }
                            (None, _) => {}
                        }
                        self.block_live(b);
                    }
                    _ => {}
                }
            }
        }
    }

    /// Branch `a` (the terminator of block `a`) decides whether a live block
    /// runs.
    fn branch_live(&mut self, a: Bid) {
        if self.live_branch[a as usize] {
            return;
        }
        self.live_branch[a as usize] = true;
        let f = self.f;
        let term = f.blocks[a as usize].end - 1;
        let inst = &f.insts[term as usize];
        let succs = match &inst.op {
            Op::Br(s) | Op::Switch(s) => s,
            _ => return,
        };
        let Some(cond) = inst.args.first() else {
            return;
        };
        if succs.iter().all(|s| *s == succs[0]) || hazards::is_const(cond) {
            return;
        }
        if matches!(inst.op, Op::Br(_)) && self.equivalent_arms(succs[0], succs[1]) {
            return;
        }
        self.at = a;
        self.demand_all(cond);
        self.block_live(a);
    }

    /// Whether blocks `t` and `e` (the two sides of a branch) do the same
    /// thing: same instructions on the same operands, then a jump to the
    /// same block with the same phi values. An optimizer may merge them.
    fn equivalent_arms(&self, t: Bid, e: Bid) -> bool {
        let f = self.f;
        let (bt, be) = (&f.blocks[t as usize], &f.blocks[e as usize]);
        if bt.preds.len() != 1 || be.preds.len() != 1 || bt.end - bt.start != be.end - be.start {
            return false;
        }
        let (Op::Br(st), Op::Br(se)) = (
            &f.insts[bt.end as usize - 1].op,
            &f.insts[be.end as usize - 1].op,
        ) else {
            return false;
        };
        if st.len() != 1 || st != se {
            return false;
        }
        let corresponds = |x: &Arg, y: &Arg| match (x, y) {
            (Arg::Val(p), Arg::Val(q))
                if (bt.start..bt.end).contains(p) && (be.start..be.end).contains(q) =>
            {
                p - bt.start == q - be.start
            }
            _ => self.facts.same(x, y) && self.facts.vn(x) != forms::ANY,
        };
        for i in 0..(bt.end - bt.start - 1) {
            let (x, y) = (
                &f.insts[(bt.start + i) as usize],
                &f.insts[(be.start + i) as usize],
            );
            if x.op != y.op
                || x.ty != y.ty
                || x.args.len() != y.args.len()
                || !x.args.iter().zip(&y.args).all(|(p, q)| corresponds(p, q))
            {
                return false;
            }
        }
        let join = &f.blocks[st[0] as usize];
        (join.start..join.end).all(|v| match &f.insts[v as usize].op {
            Op::Phi(blocks) => {
                let args = &f.insts[v as usize].args;
                let from = |b: Bid| blocks.iter().position(|x| *x == b).map(|i| args[i]);
                match (from(t), from(e)) {
                    (Some(x), Some(y)) => corresponds(&x, &y),
                    _ => false,
                }
            }
            _ => true,
        })
    }

    fn transfer(&mut self, v: Vid) {
        let f = self.f;
        let inst = &f.insts[v as usize];
        self.at = inst.block;
        let d = self.bits[v as usize];
        let ty = inst.ty;
        let args = &inst.args;
        let arg = |i: usize| args.get(i).copied().unwrap_or(Arg::Opaque);
        match &inst.op {
            Op::Bin(op) => self.binary(v, *op, d),
            Op::ICmp(pred) => self.icmp(v, *pred, d),
            Op::FCmp(pred)
                if d != 0
                    && !hazards::fcmp_may_be_constant(self.facts, *pred, &arg(0), &arg(1)) =>
            {
                let op_ty = value_ty(f, &arg(0)).unwrap_or(ty);
                let lanes = lanes_to(d, ty, op_ty);
                self.demand(&arg(0), lanes);
                self.demand(&arg(1), lanes);
            }
            Op::Cast(op) => self.cast(v, *op, d),
            Op::FBin(_)
                if d != 0 && !hazards::nan_const(&arg(0)) && !hazards::nan_const(&arg(1)) =>
            {
                let w = whole_lanes(d, ty);
                self.demand(&arg(0), w);
                self.demand(&arg(1), w);
            }
            Op::FNeg => self.demand(&arg(0), d),
            Op::Select => self.select(v, d),
            Op::Phi(blocks) => {
                let reachable: Vec<(Arg, Bid)> = args
                    .iter()
                    .zip(blocks)
                    .filter(|(_, b)| self.cfg.rpo_index[**b as usize] != u32::MAX)
                    .map(|(a, b)| (*a, *b))
                    .collect();
                let same = reachable.iter().all(|(a, _)| {
                    self.facts.same(a, &reachable[0].0) && self.facts.vn(a) != forms::ANY
                });
                for (a, b) in &reachable {
                    self.at = *b;
                    if let Ty::Struct(_) = ty {
                        let fields = self.fields.get(&v).cloned().unwrap_or_default();
                        for (i, fd) in fields.iter().enumerate() {
                            self.demand_field(a, i, *fd);
                        }
                    } else {
                        self.demand(a, d);
                    }
                    if !same {
                        self.block_live(*b);
                    }
                }
            }
            Op::Load { .. } | Op::Gep if d != 0 => {
                for a in args {
                    self.demand_all(a);
                }
            }
            Op::Call(Callee::Intrinsic(intr)) => self.intrinsic(v, *intr, d),
            Op::ExtractElement => {
                let (vec, idx) = (arg(0), arg(1));
                let vec_ty = value_ty(f, &vec).unwrap_or(ty);
                match idx {
                    Arg::Const(k) if k.is_defined() => {
                        let k = k.bits as u32;
                        self.demand(&vec, (d & ty.all()) << (k * vec_ty.lane_width()));
                    }
                    _ if d != 0 => {
                        let lanes = vec_ty.lanes();
                        let splat = self.is_splat(&vec);
                        if !splat {
                            let index_bits = u128::from(lanes.next_power_of_two() - 1);
                            self.demand(&idx, index_bits);
                        }
                        let idx_free = self
                            .facts
                            .poss(&idx)
                            .all(|b| b.free & u128::from(lanes - 1) == u128::from(lanes - 1));
                        if idx_free || splat {
                            let all_lanes = (0..lanes).fold(0, |acc, k| {
                                acc | ((d & ty.all()) << (k * vec_ty.lane_width()))
                            });
                            self.demand(&vec, all_lanes);
                        }
                    }
                    _ => {}
                }
            }
            Op::InsertElement => {
                let (vec, s, idx) = (arg(0), arg(1), arg(2));
                let width = ty.lane_width();
                match idx {
                    Arg::Const(k) if k.is_defined() => {
                        let k = k.bits as u32;
                        self.demand(&s, u128::from(lane(d, width, k)));
                        self.demand(&vec, d & !lane_mask(width, k));
                    }
                    _ => {
                        let common = (0..ty.lanes())
                            .fold(mask(width), |acc, k| acc & u128::from(lane(d, width, k)));
                        self.demand(&s, common);
                        self.demand(&vec, d);
                        if d != 0 {
                            self.demand(&idx, u128::from(ty.lanes().next_power_of_two() - 1));
                        }
                    }
                }
            }
            Op::Shuffle(lanes) => {
                let width = ty.lane_width();
                let src_lanes = value_ty(f, &arg(0)).map_or(0, |t| t.lanes()) as i32;
                let (mut da, mut db) = (0u128, 0u128);
                for (i, &l) in lanes.iter().enumerate() {
                    let part = u128::from(lane(d, width, i as u32));
                    if l < 0 {
                        continue;
                    } else if l < src_lanes {
                        da |= part << (l as u32 * width);
                    } else {
                        db |= part << ((l - src_lanes) as u32 * width);
                    }
                }
                self.demand(&arg(0), da);
                self.demand(&arg(1), db);
            }
            Op::ExtractValue(i) => self.demand_field(&arg(0), *i as usize, d),
            Op::InsertValue(i) => {
                let fields = self.fields.get(&v).cloned().unwrap_or_default();
                let i = *i as usize;
                if let Some(fd) = fields.get(i) {
                    self.demand(&arg(1), *fd);
                }
                for (j, fd) in fields.iter().enumerate() {
                    if j != i {
                        self.demand_field(&arg(0), j, *fd);
                    }
                }
            }
            _ => {}
        }
    }

    /// Whether `a` has the same value in every lane (a splat).
    fn is_splat(&self, a: &Arg) -> bool {
        match a {
            Arg::Const(k) => splat_const(a, k.ty).is_some(),
            Arg::Val(v) => match &self.f.insts[*v as usize].op {
                Op::Shuffle(m) => m.iter().all(|l| *l == m[0]),
                _ => false,
            },
            Arg::Opaque => true,
        }
    }

    fn binary(&mut self, v: Vid, op: BinOp, d: u128) {
        let f = self.f;
        let facts = self.facts;
        let inst = &f.insts[v as usize];
        let ty = inst.ty;
        let (x, y) = (inst.args[0], inst.args[1]);
        if d == 0 {
            return;
        }
        match op {
            BinOp::Add | BinOp::Sub => {
                let fx = facts.form(&x, Kind::Add, ty);
                let mut fy = facts.form(&y, Kind::Add, ty);
                if op == BinOp::Sub {
                    fy = forms::scale(&fy, u64::MAX, ty);
                }
                if forms::sum_cancels(&fx, &fy, ty, &|a, b| facts.related(a, b)) {
                    return;
                }
                let fill = low_fill(d, ty);
                self.demand(&x, fill);
                self.demand(&y, fill);
            }
            BinOp::Xor => {
                if forms::shares(
                    &facts.form(&x, Kind::Xor, ty),
                    &facts.form(&y, Kind::Xor, ty),
                    &|a, b| facts.related(a, b),
                ) {
                    return;
                }
                self.demand(&x, d);
                self.demand(&y, d);
            }
            BinOp::And | BinOp::Or => {
                let kind = if op == BinOp::And {
                    Kind::And
                } else {
                    Kind::Or
                };
                if hazards::and_or_collapses(facts, &x, &y, kind, ty) {
                    return;
                }
                for (a, b) in [(x, y), (y, x)] {
                    let keep = match b {
                        Arg::Const(k) if op == BinOp::And => k.bits & k.defined,
                        Arg::Const(k) => !k.bits & k.defined,
                        _ if op == BinOp::And => hazards::ones(facts, &b),
                        _ => hazards::zeros(facts, &b, ty),
                    };
                    self.demand(&a, d & keep);
                }
            }
            BinOp::Mul => {
                for (a, b) in [(x, y), (y, x)] {
                    let width = ty.lane_width();
                    let pb = facts.poss(&b);
                    let demand = (0..ty.lanes()).fold(0u128, |acc, k| {
                        let dk = u128::from(lane(d, width, k));
                        let zeros = match b {
                            Arg::Const(c) if lane(c.defined, width, k) == mask(width) as u64 => {
                                let c = lane(c.bits, width, k);
                                if c == 0 {
                                    return acc;
                                }
                                c.trailing_zeros()
                            }
                            Arg::Const(_) | Arg::Opaque => return acc,
                            Arg::Val(_) => {
                                let lane_poss = super::poss::lane_poss(&pb, width, k);
                                let runs = facts.samples(&b);
                                let sampled_nonzero = runs
                                    .as_ref()
                                    .is_some_and(|s| s.lanes(width, k).any(|l| l != 0));
                                let boxed_nonzero = lane_poss.lanes_can_differ_from(
                                    Ty::Int {
                                        lanes: 1,
                                        width: width as u8,
                                    },
                                    |_| 0,
                                );
                                if !sampled_nonzero && !boxed_nonzero {
                                    return acc;
                                }
                                let sampled = runs.map_or(0u128, |s| {
                                    s.lanes(width, k).fold(0u128, |o, l| o | u128::from(l))
                                });
                                let can1 = lane_poss.can1() | sampled;
                                (can1.trailing_zeros()).min(width)
                            }
                        };
                        let fill = low_fill(
                            dk,
                            Ty::Int {
                                lanes: 1,
                                width: width as u8,
                            },
                        );
                        acc | (((fill >> zeros) & mask(width)) << (k * width))
                    });
                    self.demand(&a, demand);
                }
            }
            BinOp::Shl | BinOp::LShr | BinOp::AShr => {
                let width = ty.lane_width();
                let amount_bits = u128::from(width.next_power_of_two() - 1);
                let py = facts.poss(&y);
                let mut demand = 0u128;
                for k in 0..ty.lanes() {
                    let dk = u128::from(lane(d, width, k));
                    // The largest shift that is certainly possible (each box
                    // has one at least this large... the smallest of each box,
                    // the largest over boxes: fewer bits claimed).
                    // Shift amounts that certainly occur: the constant, or
                    // one per run; else the largest smallest one of the boxes.
                    let amounts: Vec<u32> = match y {
                        Arg::Const(c) if lane(c.defined, width, k) == mask(width) as u64 => {
                            vec![lane(c.bits, width, k).min(128) as u32]
                        }
                        Arg::Val(_) => match facts.samples(&y) {
                            Some(s) => s.lanes(width, k).map(|a| a.min(128) as u32).collect(),
                            None => match super::poss::lane_poss(&py, width, k).boxes() {
                                Some(bs) => vec![bs
                                    .iter()
                                    .map(|b| b.min().min(128) as u32)
                                    .max()
                                    .unwrap_or(width)],
                                None => Vec::new(),
                            },
                        },
                        _ => Vec::new(),
                    };
                    let lane_ty = Ty::Int {
                        lanes: 1,
                        width: width as u8,
                    };
                    for by in amounts.into_iter().filter(|by| *by < width) {
                        let dx = match op {
                            BinOp::Shl => shr_lanes(dk, lane_ty, by),
                            BinOp::LShr => shl_lanes(dk, lane_ty, by),
                            _ => {
                                let top = mask(width) & !mask(width - by);
                                let sign = if dk & top != 0 {
                                    1u128 << (width - 1)
                                } else {
                                    0
                                };
                                shl_lanes(dk, lane_ty, by) | sign
                            }
                        };
                        demand |= dx << (k * width);
                    }
                    if dk != 0 {
                        self.demand_lane_bits(&y, amount_bits, width, k);
                    }
                }
                self.demand(&x, demand);
            }
            BinOp::UDiv | BinOp::SDiv | BinOp::URem | BinOp::SRem => self.division(v, op, d),
        }
    }

    fn demand_lane_bits(&mut self, a: &Arg, bits: u128, width: u32, k: u32) {
        self.demand(a, (bits & mask(width)) << (k * width));
    }

    fn division(&mut self, v: Vid, op: BinOp, d: u128) {
        let f = self.f;
        let inst = &f.insts[v as usize];
        let ty = inst.ty;
        let (x, y) = (inst.args[0], inst.args[1]);
        let all = ty.all();
        let width = ty.lane_width();
        let signs = sign_bits(ty);
        match splat_const(&y, ty) {
            Some(0) => {}
            Some(c) => {
                let power = c.is_power_of_two().then(|| c.trailing_zeros());
                let minus_one = c == mask(width) as u64;
                let demand = match (op, power) {
                    (BinOp::UDiv, Some(k)) => shl_lanes(d, ty, k),
                    (BinOp::URem, Some(k)) => d & map_lanes(all, ty, |_| (1u64 << k) - 1),
                    (BinOp::SDiv, Some(0)) => d,
                    (BinOp::SDiv, _) if minus_one => low_fill(d, ty),
                    (BinOp::SRem, Some(0)) => 0,
                    (BinOp::SRem, _) if minus_one => 0,
                    (BinOp::SRem, Some(k)) => map_lanes(all, ty, |_| (1u64 << k) - 1) | signs,
                    (BinOp::SDiv, Some(k)) => {
                        shl_lanes(low_fill(d, ty), ty, k)
                            | map_lanes(all, ty, |_| (1u64 << k) - 1)
                            | signs
                    }
                    (BinOp::UDiv, None) => {
                        // x / c is 0 for every x < c: it varies only if x
                        // certainly reaches c.
                        let reaches = self.facts.poss(&x).all(|b| b.max() >= u128::from(c))
                            || self
                                .facts
                                .samples(&x)
                                .is_some_and(|s| s.0.iter().flatten().any(|v| *v >= u128::from(c)));
                        if reaches {
                            all
                        } else {
                            0
                        }
                    }
                    _ => all,
                };
                self.demand(&x, whole_or(demand, d, ty));
            }
            None => {
                if self.facts.poss(&y).is_full(ty) {
                    self.demand(&x, whole_lanes(d, ty));
                }
                if self.facts.poss(&x).is_full(ty) {
                    self.demand(&y, whole_lanes(d, ty));
                }
            }
        }
    }

    fn icmp(&mut self, v: Vid, pred: IPred, d: u128) {
        let f = self.f;
        let inst = &f.insts[v as usize];
        let (x, y) = (inst.args[0], inst.args[1]);
        if d == 0 || hazards::icmp_may_be_constant(f, self.facts, pred, &x, &y) {
            return;
        }
        let Some(op_ty) = value_ty(f, &x).or_else(|| value_ty(f, &y)) else {
            return;
        };
        let lanes = lanes_to(d, inst.ty, op_ty);
        let width = op_ty.lane_width();
        if matches!(pred, IPred::Eq | IPred::Ne) {
            self.demand(&x, lanes);
            self.demand(&y, lanes);
            return;
        }
        // Against a constant, an ordering only looks at the bits from the
        // constant's lowest set bit (of the boundary) up.
        for (a, c, swapped) in [(x, y, false), (y, x, true)] {
            let Arg::Const(k) = c else {
                self.demand(&a, lanes);
                continue;
            };
            let pred = if swapped { swap(pred) } else { pred };
            let demand = (0..op_ty.lanes()).fold(0u128, |acc, i| {
                if lane(lanes, width, i) == 0 {
                    return acc;
                }
                let c = u128::from(lane(k.bits, width, i));
                let sign = 1u128 << (width - 1);
                let boundary = match pred {
                    IPred::Ule | IPred::Ugt => c + 1,
                    IPred::Sle | IPred::Sgt => ((c + 1) & mask(width)) ^ sign,
                    IPred::Slt | IPred::Sge => c ^ sign,
                    _ => c,
                } & mask(width);
                let from = boundary.trailing_zeros().min(width);
                acc | ((mask(width) & !mask(from)) << (i * width))
            });
            self.demand(&a, demand);
        }
    }

    fn cast(&mut self, v: Vid, op: CastOp, d: u128) {
        let f = self.f;
        let inst = &f.insts[v as usize];
        let ty = inst.ty;
        let x = inst.args[0];
        let Some(x_ty) = value_ty(f, &x) else { return };
        let (w, xw) = (ty.lane_width(), x_ty.lane_width());
        let per_lane = |g: &dyn Fn(u128) -> u128| -> u128 {
            (0..ty.lanes().min(x_ty.lanes())).fold(0u128, |acc, k| {
                acc | ((g(u128::from(lane(d, w, k))) & mask(xw)) << (k * xw))
            })
        };
        let demand = match op {
            CastOp::Trunc => per_lane(&|dk| dk),
            CastOp::ZExt => per_lane(&|dk| dk & mask(xw)),
            CastOp::SExt => per_lane(&|dk| {
                let sign = if dk >> xw != 0 { 1u128 << (xw - 1) } else { 0 };
                (dk & mask(xw)) | sign
            }),
            CastOp::BitCast | CastOp::Freeze if ty.bits() == x_ty.bits() => d,
            _ => per_lane(&|dk| if dk != 0 { mask(xw) } else { 0 }),
        };
        self.demand(&x, demand);
    }

    fn select(&mut self, v: Vid, d: u128) {
        let f = self.f;
        let facts = self.facts;
        let inst = &f.insts[v as usize];
        let ty = inst.ty;
        let (c, x, y) = (inst.args[0], inst.args[1], inst.args[2]);
        if d == 0 {
            return;
        }
        if facts.same(&x, &y) && facts.vn(&x) != forms::ANY {
            self.demand(&x, d);
            self.demand(&y, d);
            return;
        }
        let Some(c_ty) = value_ty(f, &c) else { return };
        if !hazards::arg_varies(facts, &c, c_ty) {
            return;
        }
        // select (x == y), x, y is y; select (x != y), x, y is x.
        if let Arg::Val(cv) = c {
            let ci = &f.insts[cv as usize];
            if let Op::ICmp(pred @ (IPred::Eq | IPred::Ne)) = ci.op {
                let (p, q) = (ci.args[0], ci.args[1]);
                let arms = (facts.same(&p, &x) && facts.same(&q, &y))
                    || (facts.same(&p, &y) && facts.same(&q, &x));
                if arms {
                    let survivor = if pred == IPred::Eq { y } else { x };
                    self.demand(&survivor, d);
                    return;
                }
            }
        }
        self.demand(&c, lanes_to(d, ty, c_ty));
        self.demand(&x, d);
        self.demand(&y, d);
    }

    fn intrinsic(&mut self, v: Vid, intr: Intr, d: u128) {
        let f = self.f;
        let facts = self.facts;
        let inst = &f.insts[v as usize];
        let ty = inst.ty;
        let arg = |i: usize| inst.args.get(i).copied().unwrap_or(Arg::Opaque);
        let (x, y) = (arg(0), arg(1));
        if d == 0 {
            return;
        }
        let width = ty.lane_width();
        let lanes = whole_lanes(d, ty);
        match intr {
            Intr::Expect => self.demand(&x, d),
            Intr::Fshl | Intr::Fshr if facts.same(&x, &y) => {
                let rotate_by = splat_const(&arg(2), ty);
                match rotate_by {
                    Some(c) if c % u64::from(width) == 0 => self.demand(&x, d),
                    Some(c) => {
                        let c = (c % u64::from(width)) as u32;
                        let back = map_lanes(d, ty, |l| {
                            let l = l & mask(width) as u64;
                            let (left, right) = if intr == Intr::Fshl {
                                (width - c, c)
                            } else {
                                (c, width - c)
                            };
                            // Undo the rotation of the demanded bits.
                            ((l << left) | (l >> right)) & mask(width) as u64
                        });
                        self.demand(&x, back);
                    }
                    None => {
                        if facts.poss(&arg(2)).is_full(ty) {
                            self.demand(&x, lanes);
                        }
                        self.demand(
                            &arg(2),
                            map_lanes(lanes, ty, |l| {
                                if l != 0 {
                                    u64::from(width.next_power_of_two() - 1)
                                } else {
                                    0
                                }
                            }),
                        );
                    }
                }
            }
            Intr::Ctpop | Intr::Ctlz | Intr::Cttz | Intr::Abs => {
                let result_varies = facts
                    .samples(&Arg::Val(v))
                    .is_some_and(|s| s.every_lane_varies(ty));
                if result_varies || facts.poss(&x).is_full(ty) {
                    self.demand(&x, lanes);
                }
            }
            Intr::SMin | Intr::SMax | Intr::UMin | Intr::UMax => {
                if facts.same(&x, &y) {
                    self.demand(&x, d);
                    return;
                }
                if hazards::min_max_collapses(f, facts, intr, &x, &y, ty) {
                    return;
                }
                self.demand(&x, lanes);
                self.demand(&y, lanes);
            }
            Intr::Saturating if !hazards::is_const(&x) && !hazards::is_const(&y) => {
                self.demand(&x, lanes);
                self.demand(&y, lanes);
            }
            Intr::FAbs => self.demand(&x, d & !sign_bits(ty)),
            Intr::CopySign => {
                self.demand(&x, d & !sign_bits(ty));
                self.demand(&y, d & sign_bits(ty));
            }
            Intr::FUnary | Intr::FpToIntSat => {
                let x_ty = value_ty(f, &x).unwrap_or(ty);
                self.demand(&x, lanes_to(d, ty, x_ty));
            }
            Intr::FMinMax => {
                if facts.same(&x, &y) {
                    self.demand(&x, lanes);
                } else if !hazards::is_const(&x) && !hazards::is_const(&y) {
                    self.demand(&x, lanes);
                    self.demand(&y, lanes);
                }
            }
            Intr::ReduceOr => {
                let Some(x_ty) = value_ty(f, &x) else { return };
                let xw = x_ty.lane_width();
                let each = d & mask(xw);
                let all = (0..x_ty.lanes()).fold(0u128, |acc, k| acc | (each << (k * xw)));
                self.demand(&x, all);
            }
            _ => {}
        }
    }
}

/// The whole lanes of `to` for the lanes of `from` that `d` touches (lane
/// `k` of one type to lane `k` of the other).
fn lanes_to(d: u128, from: Ty, to: Ty) -> u128 {
    let (fw, tw) = (from.lane_width(), to.lane_width());
    (0..from.lanes().min(to.lanes())).fold(0u128, |acc, k| {
        if lane(d, fw, k) != 0 {
            acc | lane_mask(tw, k)
        } else {
            acc
        }
    })
}

/// `demand` restricted to the lanes `d` touches.
fn whole_or(demand: u128, d: u128, ty: Ty) -> u128 {
    demand & whole_lanes(d, ty)
}

fn swap(p: IPred) -> IPred {
    use IPred as P;
    match p {
        P::Ugt => P::Ult,
        P::Uge => P::Ule,
        P::Ult => P::Ugt,
        P::Ule => P::Uge,
        P::Sgt => P::Slt,
        P::Sge => P::Sle,
        P::Slt => P::Sgt,
        P::Sle => P::Sge,
        other => other,
    }
}
