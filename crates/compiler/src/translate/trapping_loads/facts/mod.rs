//! Forward facts about every value of a function, computed once before the
//! demand analysis: its value number, its algebraic form, witnesses of its
//! possible values, the opaque values it is computed from ("leaves"), and
//! for memory accesses the address they touch, so that store-to-load
//! forwarding and overwritten stores can be foreseen.

use super::bits::Ty;
use super::cfg::Cfg;
use super::forms::{self, ty_code, Form, Kind, Vn, VnTable, ANY};
use super::hazards;
use super::mirror::{Arg, Callee, CastOp, Func, Intr, Konst, Op, Vid};
use super::poss::{insert_lane, lane_poss, Bx, Poss};
use super::samples::{self, Samples};
use std::collections::HashMap;
use std::rc::Rc;

mod arith;
mod places;

use arith::{bin_fact, mask_box, sext_box, shuffle_poss};
pub(super) use places::Place;
use places::{dead_stores, load_fact, place};

/// The opaque values (loads, parameters, calls, loop phis) a value is
/// computed from: two values with disjoint leaves vary independently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Leaves(Option<Vec<Vn>>);

/// More leaves than this count as "many", which overlap everything.
const MAX_LEAVES: usize = 16;

impl Leaves {
    /// No leaves (a constant).
    pub(super) fn none() -> Leaves {
        Leaves(Some(Vec::new()))
    }

    /// Too many (or unknown) leaves: not independent of anything.
    pub(super) fn many() -> Leaves {
        Leaves(None)
    }

    /// The single leaf `vn`.
    pub(super) fn one(vn: Vn) -> Leaves {
        Leaves(Some(vec![vn]))
    }

    /// Both sets.
    pub(super) fn union(&self, other: &Leaves) -> Leaves {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => {
                let mut v: Vec<Vn> = a.iter().chain(b).copied().collect();
                v.sort_unstable();
                v.dedup();
                if v.len() > MAX_LEAVES {
                    Leaves::many()
                } else {
                    Leaves(Some(v))
                }
            }
            _ => Leaves::many(),
        }
    }

    /// Whether the two share no leaf.
    pub(super) fn disjoint(&self, other: &Leaves) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => a.iter().all(|x| !b.contains(x)),
            _ => false,
        }
    }
}

/// What is known about one value.
#[derive(Clone, Debug)]
pub(super) struct Fact {
    /// Its value number.
    pub vn: Vn,
    /// Witnesses of its possible values (integers and integer vectors).
    pub poss: Poss,
    /// What it is computed from.
    pub leaves: Leaves,
    /// A float (vector) that can be any value, NaN included, as far as an
    /// optimizer can tell.
    pub float_free: bool,
    /// Its flattened form, if it is a sum, exclusive-or, conjunction or
    /// disjunction (a lone term otherwise).
    pub form: Option<(Kind, Form)>,
    /// For `x ^ -1`: `x`.
    pub not_of: Option<Vid>,
}

impl Fact {
    fn opaque(vn: Vn, ty: Ty) -> Fact {
        Fact {
            vn,
            poss: if ty.is_int() {
                Poss::full(ty)
            } else {
                Poss::none()
            },
            leaves: Leaves::one(vn),
            float_free: ty.is_float(),
            form: None,
            not_of: None,
        }
    }

    fn unknown(vn: Vn) -> Fact {
        Fact {
            vn,
            poss: Poss::none(),
            leaves: Leaves::many(),
            float_free: false,
            form: None,
            not_of: None,
        }
    }
}

/// What the callers tell about a parameter.
#[derive(Clone, Debug)]
pub(super) struct ParamFact {
    /// Parameters with the same class may be equal (a call site passes the
    /// same value to both): they get the same value number.
    pub class: u32,
    /// Parameters with the same group may be related (a call site passes
    /// values computed from the same leaves): inlined, they may cancel.
    pub group: u32,
    /// Witnesses: one box per call site (plus "anything" if the function
    /// escapes).
    pub poss: Poss,
    /// Whether every caller passes a free float.
    pub float_free: bool,
}

/// The facts of one function.
pub(super) struct Facts {
    /// By value.
    pub facts: Vec<Fact>,
    /// Stores by the key of their place.
    pub store_index: HashMap<places::PlaceKey, Vec<Vid>>,
    /// The places of loads and stores.
    pub places: HashMap<Vid, Place>,
    /// Stores that an optimizer may delete (overwritten before any return,
    /// or storing what the location already holds): what they store is not
    /// thereby used.
    pub maybe_dead_store: Vec<bool>,
    table: VnTable,
    konst_vns: HashMap<Konst, Vn>,
    reps: HashMap<Vn, Vid>,
    runs: Vec<Option<Rc<Samples>>>,
    interesting: Vec<u64>,
    groups: HashMap<Vn, u32>,
    forwarded: Vec<Option<Option<Arg>>>,
}

impl Facts {
    /// The concrete runs of an operand, if known.
    pub(super) fn samples(&self, a: &Arg) -> Option<Rc<Samples>> {
        match a {
            Arg::Val(v) => self.runs[*v as usize].clone(),
            Arg::Const(k) => samples::konst(k).map(Rc::new),
            Arg::Opaque => None,
        }
    }

    /// Whether two different value numbers may be related: parameters
    /// that some call site passes related values to.
    pub(super) fn related(&self, a: Vn, b: Vn) -> bool {
        match (self.groups.get(&a), self.groups.get(&b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        }
    }

    /// Constants the function compares with or adds (lane values), for the
    /// runs of its opaque values.
    pub(super) fn interesting(&self) -> &[u64] {
        &self.interesting
    }

    /// Whether load `v` may take its value from an earlier store: `Some`
    /// with the stored value if from exactly one, `Some(None)` if from any
    /// of several.
    pub(super) fn forwarded(&self, v: Vid) -> Option<Option<Arg>> {
        self.forwarded[v as usize]
    }

    /// A value with number `vn`, if any.
    pub(super) fn rep(&self, vn: Vn) -> Option<Vid> {
        self.reps.get(&vn).copied()
    }

    /// The value number of an operand.
    pub(super) fn vn(&self, a: &Arg) -> Vn {
        match a {
            Arg::Val(v) => self.facts[*v as usize].vn,
            Arg::Const(k) => self.konst_vns.get(k).copied().unwrap_or(ANY),
            Arg::Opaque => ANY,
        }
    }

    /// Witnesses of an operand's values.
    pub(super) fn poss(&self, a: &Arg) -> Poss {
        match a {
            Arg::Val(v) => self.facts[*v as usize].poss.clone(),
            Arg::Const(k) if k.is_defined() => Poss::one(Bx::point(k.bits)),
            _ => Poss::none(),
        }
    }

    /// The leaves of an operand.
    pub(super) fn leaves(&self, a: &Arg) -> Leaves {
        match a {
            Arg::Val(v) => self.facts[*v as usize].leaves.clone(),
            Arg::Const(_) => Leaves::none(),
            Arg::Opaque => Leaves::many(),
        }
    }

    /// Whether an operand is a free float.
    pub(super) fn float_free(&self, a: &Arg) -> bool {
        match a {
            Arg::Val(v) => self.facts[*v as usize].float_free,
            _ => false,
        }
    }

    /// The form of kind `kind` of an operand of type `ty`.
    pub(super) fn form(&self, a: &Arg, kind: Kind, ty: Ty) -> Form {
        match a {
            Arg::Const(k) if k.is_defined() && (kind != Kind::Add || ty.lanes() == 1) => {
                Form::konst(k.bits)
            }
            Arg::Val(v) => {
                let fact = &self.facts[*v as usize];
                match &fact.form {
                    Some((k, form)) if *k == kind => form.clone(),
                    _ if kind == Kind::Add && fact.not_of.is_some() => {
                        // ~x is -x - 1.
                        let x = Arg::Val(fact.not_of.expect("checked"));
                        let minus = forms::scale(&self.form(&x, kind, ty), u64::MAX, ty);
                        forms::add(&minus, &Form::konst(ty.all()), ty)
                    }
                    _ => Form::term(fact.vn, kind, ty),
                }
            }
            _ => Form::term(self.vn(a), kind, ty),
        }
    }

    /// Whether two operands are the same value (up to the modelled rewrites).
    pub(super) fn same(&self, a: &Arg, b: &Arg) -> bool {
        if let (Arg::Const(x), Arg::Const(y)) = (a, b) {
            return x == y && x.is_defined();
        }
        let (x, y) = (self.vn(a), self.vn(b));
        x == y || x == ANY || y == ANY
    }
}

/// What is known about the result of a call to a defined function: its
/// witnesses and whether it is a free float.
pub(super) type CallFacts<'a> = &'a dyn Fn(u32) -> (Poss, bool);

/// Lane values of the constants `f` compares with, adds or subtracts, in
/// order of appearance, without 0, 1 and -1 (the runs have those anyway).
fn interesting_constants(f: &Func) -> Vec<u64> {
    use super::mirror::BinOp;
    let mut out: Vec<u64> = Vec::new();
    for inst in &f.insts {
        let wanted = matches!(
            inst.op,
            Op::ICmp(_) | Op::Bin(BinOp::Add | BinOp::Sub | BinOp::Xor)
        );
        if !wanted {
            continue;
        }
        for a in &inst.args {
            let Arg::Const(k) = a else { continue };
            if !k.is_defined() || !k.ty.is_int() {
                continue;
            }
            let width = k.ty.lane_width();
            for lane in 0..k.ty.lanes() {
                let v = super::bits::lane(k.bits, width, lane);
                let minus_one = super::bits::mask(width) as u64;
                if v > 1 && v != minus_one && !out.contains(&v) {
                    out.push(v);
                }
            }
            if out.len() >= super::samples::INTERESTING {
                return out;
            }
        }
    }
    out
}

/// Computes the facts of `f`.
pub(super) fn compute(f: &Func, cfg: &Cfg, params: &[ParamFact], calls: CallFacts<'_>) -> Facts {
    let mut table = VnTable::default();
    let mut konst_vns = HashMap::new();
    for inst in &f.insts {
        for a in &inst.args {
            if let Arg::Const(k) = a {
                konst_vns.entry(*k).or_insert_with(|| {
                    if k.is_defined() {
                        table.key(vec![1, ty_code(k.ty), k.bits as u64, (k.bits >> 64) as u64])
                    } else {
                        // undef/poison: an optimizer may take it for anything.
                        ANY
                    }
                });
            }
        }
    }
    let facts = (0..f.insts.len()).map(|_| Fact::unknown(0)).collect();
    let mut facts = Facts {
        facts,
        store_index: HashMap::new(),
        places: HashMap::new(),
        maybe_dead_store: vec![false; f.insts.len()],
        table,
        konst_vns,
        reps: HashMap::new(),
        runs: vec![None; f.insts.len()],
        interesting: interesting_constants(f),
        groups: HashMap::new(),
        forwarded: vec![None; f.insts.len()],
    };
    for v in 0..facts.facts.len() {
        let vn = facts.table.fresh();
        facts.facts[v] = Fact::unknown(vn);
    }
    for (i, p) in params.iter().enumerate() {
        let ty = f.insts[i].ty;
        let vn = facts.table.key(vec![2, u64::from(p.class)]);
        facts.groups.insert(vn, p.group);
        facts.facts[i] = Fact {
            vn,
            poss: if ty.is_int() {
                p.poss.clone()
            } else {
                Poss::none()
            },
            leaves: Leaves::one(vn),
            float_free: ty.is_float() && p.float_free,
            form: None,
            not_of: None,
        };
        facts.runs[i] = samples::of_value(f, cfg, &facts, i as Vid);
    }
    let mut stores: Vec<Vid> = Vec::new();
    for &b in &cfg.rpo {
        let block = &f.blocks[b as usize];
        for v in block.start..block.end {
            let fact = match f.insts[v as usize].op {
                Op::Call(Callee::Defined(g)) => {
                    let vn = facts.facts[v as usize].vn;
                    let (poss, float_free) = calls(g);
                    let ty = f.insts[v as usize].ty;
                    Fact {
                        poss: if ty.is_int() { poss } else { Poss::none() },
                        float_free: ty.is_float() && float_free,
                        leaves: Leaves::one(vn),
                        ..Fact::unknown(vn)
                    }
                }
                _ => value_fact(f, cfg, &mut facts, v),
            };
            facts.facts[v as usize] = fact;
            facts.runs[v as usize] = samples::of_value(f, cfg, &facts, v);
            if matches!(f.insts[v as usize].op, Op::Store { .. }) {
                if let Some(place) = place(f, &facts, v) {
                    facts.store_index.entry(place.key()).or_default().push(v);
                    facts.places.insert(v, place);
                    stores.push(v);
                }
            }
        }
    }
    for s in dead_stores(f, cfg, &facts, &stores) {
        facts.maybe_dead_store[s as usize] = true;
    }
    for v in 0..facts.facts.len() {
        let vn = facts.facts[v].vn;
        facts.reps.entry(vn).or_insert(v as Vid);
    }
    facts
}

impl Facts {
    /// What `f` may return (one box per `ret`), and whether every return
    /// is a free float (`None`: returns nothing or an aggregate).
    pub(super) fn returned(&self, f: &Func) -> (Poss, bool) {
        let mut poss: Option<Poss> = None;
        let mut float_free = true;
        for inst in &f.insts {
            if let (Op::Ret, Some(a)) = (&inst.op, inst.args.first()) {
                let p = self.poss(a);
                float_free &= self.float_free(a);
                poss = Some(match poss {
                    None => p,
                    Some(q) => q.or(&p),
                });
            }
        }
        match poss {
            Some(p) if !matches!(f.ret, Ty::Struct(_)) => (p, float_free),
            _ => (Poss::none(), false),
        }
    }
}

/// The type of an operand.
pub(super) fn value_ty(f: &Func, a: &Arg) -> Option<Ty> {
    match a {
        Arg::Val(v) => Some(f.insts[*v as usize].ty),
        Arg::Const(k) => Some(k.ty),
        Arg::Opaque => None,
    }
}

/// `a` without the bitcasts around it.
pub(super) fn through_bitcasts(f: &Func, a: &Arg) -> Arg {
    let mut a = *a;
    while let Arg::Val(v) = a {
        let inst = &f.insts[v as usize];
        match inst.op {
            Op::Cast(CastOp::BitCast | CastOp::Freeze) => a = inst.args[0],
            _ => break,
        }
    }
    a
}

/// The fact of value `v` (operands before it in reverse postorder are done).
fn value_fact(f: &Func, cfg: &Cfg, facts: &mut Facts, v: Vid) -> Fact {
    let inst = &f.insts[v as usize];
    let ty = inst.ty;
    let args = &inst.args;
    let arg = |i: usize| args.get(i).copied().unwrap_or(Arg::Opaque);
    let key_of = |facts: &Facts, tag: u64, extra: &[u64]| -> Vec<u64> {
        let mut key = vec![tag, ty_code(ty)];
        key.extend_from_slice(extra);
        key.extend(args.iter().map(|a| u64::from(facts.vn(a))));
        key
    };
    // A value computed from its operands: numbered by its key, leaves from them.
    let derived = |facts: &mut Facts, key: Vec<u64>, poss: Poss, float_free: bool| -> Fact {
        let any = args.iter().any(|a| facts.vn(a) == ANY);
        let leaves = args
            .iter()
            .fold(Leaves::none(), |acc, a| acc.union(&facts.leaves(a)));
        Fact {
            vn: if any { ANY } else { facts.table.key(key) },
            poss,
            leaves,
            float_free,
            form: None,
            not_of: None,
        }
    };
    match &inst.op {
        Op::Param(_) => facts.facts[v as usize].clone(),
        Op::Bin(op) => bin_fact(f, facts, v, *op),
        Op::Cast(op) => {
            let x = arg(0);
            let x_ty = value_ty(f, &x).unwrap_or(ty);
            if matches!(op, CastOp::Freeze) {
                return copy_fact(facts, &x);
            }
            if matches!(op, CastOp::BitCast) {
                // bitcast(bitcast(y)) is y when the types match again.
                let src = through_bitcasts(f, &x);
                if value_ty(f, &src) == Some(ty) {
                    return copy_fact(facts, &src);
                }
            }
            let px = facts.poss(&x);
            let (poss, float_free) = match op {
                CastOp::Trunc => (px.map(|b| Some(mask_box(b, ty.all()))), false),
                CastOp::ZExt => (px.map(|b| Some(mask_box(b, x_ty.all()))), false),
                CastOp::SExt => (px.map(|b| sext_box(b, x_ty, ty)), false),
                CastOp::BitCast => {
                    let full = if ty.is_int() {
                        if x_ty.is_float() && facts.float_free(&x) {
                            Poss::full(ty)
                        } else {
                            px
                        }
                    } else {
                        Poss::none()
                    };
                    let float_free =
                        ty.is_float() && (facts.float_free(&x) || facts.poss(&x).is_full(x_ty));
                    (full, float_free)
                }
                CastOp::FpTrunc => (Poss::none(), facts.float_free(&x)),
                _ => (Poss::none(), false),
            };
            let key = key_of(facts, 0x10 + *op as u64, &[]);
            derived(facts, key, poss, float_free)
        }
        Op::FBin(op) => {
            let (x, y) = (arg(0), arg(1));
            let independent = facts.leaves(&x).disjoint(&facts.leaves(&y));
            let partner_ok = |a: &Arg, b: &Arg| {
                facts.float_free(a) && (facts.float_free(b) || hazards::non_nan_const(b))
            };
            let float_free = independent && (partner_ok(&x, &y) || partner_ok(&y, &x));
            let commutative = matches!(op, super::mirror::FBinOp::Add | super::mirror::FBinOp::Mul);
            let mut key = key_of(facts, 0x20 + *op as u64, &[]);
            if commutative {
                key[2..].sort_unstable();
            }
            derived(facts, key, Poss::none(), float_free)
        }
        Op::FNeg => {
            let key = key_of(facts, 0x30, &[]);
            let float_free = facts.float_free(&arg(0));
            derived(facts, key, Poss::none(), float_free)
        }
        Op::ICmp(pred) => {
            let constant = hazards::icmp_may_be_constant(f, facts, *pred, &arg(0), &arg(1));
            let poss = if constant {
                Poss::none()
            } else {
                Poss::one(Bx::full(ty.all()))
            };
            let mut key = key_of(facts, 0x40 + *pred as u64, &[]);
            if matches!(pred, super::mirror::IPred::Eq | super::mirror::IPred::Ne) {
                key[2..].sort_unstable();
            }
            derived(facts, key, poss, false)
        }
        Op::FCmp(pred) => {
            let constant = hazards::fcmp_may_be_constant(facts, *pred, &arg(0), &arg(1));
            let poss = if constant {
                Poss::none()
            } else {
                Poss::one(Bx::full(ty.all()))
            };
            let key = key_of(facts, 0x60 + u64::from(*pred), &[]);
            derived(facts, key, poss, false)
        }
        Op::Select => {
            let (c, x, y) = (arg(0), arg(1), arg(2));
            if facts.same(&x, &y) && facts.vn(&x) != ANY {
                return copy_fact(facts, &x);
            }
            let lc = facts.leaves(&c);
            let c_poss = facts.poss(&c);
            let (poss, float_free) = if c_poss.all(|b| b.free != 0)
                && lc.disjoint(&facts.leaves(&x))
                && lc.disjoint(&facts.leaves(&y))
            {
                (facts.poss(&x), facts.float_free(&x) && facts.float_free(&y))
            } else {
                (Poss::none(), false)
            };
            let key = key_of(facts, 0x80, &[]);
            derived(facts, key, poss, float_free)
        }
        Op::Phi(blocks) => phi_fact(cfg, facts, v, ty, args, blocks, inst.block),
        Op::Load { .. } => load_fact(f, cfg, facts, v),
        Op::Call(Callee::Intrinsic(intr)) => intrinsic_fact(f, facts, v, *intr),
        Op::Call(Callee::Opaque) => {
            let vn = facts.facts[v as usize].vn;
            Fact::opaque(vn, ty)
        }
        Op::Gep => {
            let key = key_of(facts, 0x90, &[]);
            derived(facts, key, Poss::none(), false)
        }
        Op::ExtractElement => {
            let (vec, idx) = (arg(0), arg(1));
            let (poss, float_free) = match idx {
                Arg::Const(k) if k.is_defined() => (
                    lane_poss(&facts.poss(&vec), ty.lane_width(), k.bits as u32),
                    facts.float_free(&vec),
                ),
                _ => (Poss::none(), false),
            };
            let key = key_of(facts, 0xa0, &[]);
            derived(facts, key, poss, float_free)
        }
        Op::InsertElement => {
            let (vec, s, idx) = (arg(0), arg(1), arg(2));
            let independent = facts.leaves(&vec).disjoint(&facts.leaves(&s));
            let base_poss = match vec {
                Arg::Const(k) if !k.is_defined() => Poss::one(Bx::point(0)),
                _ => facts.poss(&vec),
            };
            let poisoned_base = matches!(vec, Arg::Const(k) if k.defined == 0);
            let (poss, float_free) = match idx {
                Arg::Const(k) if k.is_defined() && (independent || poisoned_base) => (
                    insert_lane(&base_poss, &facts.poss(&s), ty.lane_width(), k.bits as u32),
                    (facts.float_free(&vec) || poisoned_base) && facts.float_free(&s),
                ),
                _ => (Poss::none(), false),
            };
            let key = key_of(facts, 0xb0, &[]);
            derived(facts, key, poss, float_free)
        }
        Op::Shuffle(lanes) => {
            let (poss, float_free) = shuffle_poss(f, facts, &arg(0), &arg(1), lanes, ty);
            let extra: Vec<u64> = lanes.iter().map(|&l| l as u64).collect();
            let key = key_of(facts, 0xc0, &extra);
            derived(facts, key, poss, float_free)
        }
        Op::ExtractValue(i) | Op::InsertValue(i) => {
            let key = key_of(facts, 0xd0, &[u64::from(*i)]);
            derived(facts, key, Poss::none(), false)
        }
        Op::Call(Callee::Defined(_)) | Op::Store { .. } | Op::Other => {
            let vn = facts.facts[v as usize].vn;
            Fact {
                leaves: Leaves::one(vn),
                ..Fact::unknown(vn)
            }
        }
        Op::Br(_) | Op::Switch(_) | Op::Ret | Op::Unreachable => facts.facts[v as usize].clone(),
    }
}

/// The fact of an operand, as the fact of a value equal to it.
fn copy_fact(facts: &Facts, a: &Arg) -> Fact {
    match a {
        Arg::Val(x) => facts.facts[*x as usize].clone(),
        _ => Fact {
            vn: facts.vn(a),
            poss: facts.poss(a),
            leaves: facts.leaves(a),
            float_free: false,
            form: None,
            not_of: None,
        },
    }
}

fn phi_fact(
    cfg: &Cfg,
    facts: &mut Facts,
    v: Vid,
    ty: Ty,
    args: &[Arg],
    blocks: &[u32],
    block: u32,
) -> Fact {
    let own = facts.facts[v as usize].vn;
    let live: Vec<(Arg, u32)> = args
        .iter()
        .zip(blocks)
        .filter(|(_, b)| cfg.rpo_index[**b as usize] != u32::MAX)
        .map(|(a, b)| (*a, *b))
        .collect();
    let is_loop = live.iter().any(|(_, b)| cfg.is_back_edge(*b, block));
    let forward: Vec<Arg> = live
        .iter()
        .filter(|(_, b)| !cfg.is_back_edge(*b, block))
        .map(|(a, _)| *a)
        .collect();
    let mut poss: Option<Poss> = None;
    for a in &forward {
        let p = facts.poss(a);
        poss = Some(match poss {
            None => p,
            Some(q) => q.or(&p),
        });
    }
    let poss = if ty.is_int() {
        poss.unwrap_or_else(Poss::none)
    } else {
        Poss::none()
    };
    let float_free = !forward.is_empty() && forward.iter().all(|a| facts.float_free(a));
    let forward_leaves = forward
        .iter()
        .fold(Leaves::none(), |acc, a| acc.union(&facts.leaves(a)));
    if is_loop {
        return Fact {
            vn: own,
            poss,
            leaves: Leaves::one(own).union(&forward_leaves),
            float_free,
            form: None,
            not_of: None,
        };
    }
    let vns: Vec<Vn> = live.iter().map(|(a, _)| facts.vn(a)).collect();
    if let Some(first) = live.first() {
        if vns.iter().all(|x| *x == vns[0]) && vns[0] != ANY {
            return copy_fact(facts, &first.0);
        }
    }
    let mut key = vec![0x300, ty_code(ty), u64::from(block)];
    key.extend(vns.iter().map(|x| u64::from(*x)));
    let any = vns.contains(&ANY);
    Fact {
        vn: if any { ANY } else { facts.table.key(key) },
        poss,
        leaves: forward_leaves,
        float_free,
        form: None,
        not_of: None,
    }
}

fn intrinsic_fact(f: &Func, facts: &mut Facts, v: Vid, intr: Intr) -> Fact {
    let inst = &f.insts[v as usize];
    let ty = inst.ty;
    let arg = |i: usize| inst.args.get(i).copied().unwrap_or(Arg::Opaque);
    if intr == Intr::Expect {
        return copy_fact(facts, &arg(0));
    }
    let x = arg(0);
    let poss = match intr {
        Intr::Ctpop | Intr::Ctlz | Intr::Cttz if ty.lanes() == 1 && facts.poss(&x).is_full(ty) => {
            Poss::one(Bx::inside(0, u128::from(ty.lane_width())))
        }
        Intr::Fshl | Intr::Fshr if facts.same(&arg(0), &arg(1)) && facts.poss(&x).is_full(ty) => {
            Poss::full(ty)
        }
        _ => Poss::none(),
    };
    let mut key = vec![0x500 + intr as u64, ty_code(ty)];
    let mut vns: Vec<u64> = inst.args.iter().map(|a| u64::from(facts.vn(a))).collect();
    if matches!(intr, Intr::SMin | Intr::SMax | Intr::UMin | Intr::UMax) {
        vns.sort_unstable();
    }
    key.extend(vns);
    let any = inst.args.iter().any(|a| facts.vn(a) == ANY);
    let leaves = inst
        .args
        .iter()
        .fold(Leaves::none(), |acc, a| acc.union(&facts.leaves(a)));
    Fact {
        vn: if any { ANY } else { facts.table.key(key) },
        poss,
        leaves,
        float_free: false,
        form: None,
        not_of: None,
    }
}
