//! When may an optimizer fold an operation so that it no longer depends on
//! its operands? Each predicate answers "maybe" unless witnesses prove the
//! result varies: then no sound rewrite can make it a constant.
//!
//! Identities that keep a dependence (`x * 1`, `x & x`, `x | 0`) are not
//! hazards; `x - x`, `x * 0`, `(a + b) - a`, `a & ~a`, `a & (a | b)`, a
//! comparison that is always true, `select c, x, x`, `fadd x, NaN` are.

use super::bits::Ty;
use super::facts::{value_ty, Facts};
use super::forms::{self, Kind};
use super::mirror::{Arg, BinOp, Callee, Func, IPred, Intr, Konst, Op};
use super::poss::{lane_poss, Bx, Poss};

/// The lane value of a constant whose lanes are all equal and defined.
pub(super) fn splat_const(a: &Arg, ty: Ty) -> Option<u64> {
    let Arg::Const(k) = a else { return None };
    if !k.is_defined() {
        return None;
    }
    let width = ty.lane_width().max(k.ty.lane_width());
    let first = super::bits::lane(k.bits, width, 0);
    (1..k.ty.lanes())
        .all(|i| super::bits::lane(k.bits, width, i) == first)
        .then_some(first)
}

/// Whether float constant `k` has a NaN (or undefined) lane.
fn has_nan_lane(k: &Konst) -> bool {
    let width = k.ty.lane_width();
    (0..k.ty.lanes()).any(|i| {
        let lane_bits = super::bits::lane(k.bits, width, i);
        let defined = super::bits::lane(k.defined, width, i);
        if defined != super::bits::mask(width) as u64 {
            return true;
        }
        if width == 32 {
            f32::from_bits(lane_bits as u32).is_nan()
        } else {
            f64::from_bits(lane_bits).is_nan()
        }
    })
}

/// A float constant with no NaN lane.
pub(super) fn non_nan_const(a: &Arg) -> bool {
    matches!(a, Arg::Const(k) if k.ty.is_float() && !has_nan_lane(k))
}

/// A float constant with a NaN (or undefined) lane.
pub(super) fn nan_const(a: &Arg) -> bool {
    matches!(a, Arg::Const(k) if k.ty.is_float() && has_nan_lane(k))
}

/// A constant operand (of any kind).
pub(super) fn is_const(a: &Arg) -> bool {
    matches!(a, Arg::Const(_) | Arg::Opaque)
}

/// Whether the two possible-value sets, lane `k`, can give `pred` both
/// outcomes.
fn both_outcomes(pred: IPred, x: Bx, y: Bx, width: u32) -> bool {
    use IPred as P;
    let (ux, uy) = ((x.min(), x.max()), (y.min(), y.max()));
    let (sx, sy) = (x.signed_range(width), y.signed_range(width));
    let meet = (x.min() ^ y.min()) & !x.free & !y.free == 0;
    let singletons_equal = x.free == 0 && y.free == 0 && x.min() == y.min();
    let (can_true, can_false) = match pred {
        P::Eq => (meet, !singletons_equal),
        P::Ne => (!singletons_equal, meet),
        P::Ult => (ux.0 < uy.1, ux.1 >= uy.0),
        P::Ule => (ux.0 <= uy.1, ux.1 > uy.0),
        P::Ugt => (ux.1 > uy.0, ux.0 <= uy.1),
        P::Uge => (ux.1 >= uy.0, ux.0 < uy.1),
        P::Slt => (sx.0 < sy.1, sx.1 >= sy.0),
        P::Sle => (sx.0 <= sy.1, sx.1 > sy.0),
        P::Sgt => (sx.1 > sy.0, sx.0 <= sy.1),
        P::Sge => (sx.1 >= sy.0, sx.0 < sy.1),
    };
    can_true && can_false
}

/// Whether every lane of `x pred y` can come out both ways, for every
/// combination of boxes (the operands independent, or one constant).
fn witnesses_vary(facts: &Facts, pred: IPred, x: &Arg, y: &Arg, ty: Ty) -> bool {
    let (px, py) = (facts.poss(x), facts.poss(y));
    let width = ty.lane_width();
    (0..ty.lanes()).all(|k| {
        let (lx, ly) = (lane_poss(&px, width, k), lane_poss(&py, width, k));
        match (lx.boxes(), ly.boxes()) {
            (Some(bx), Some(by)) => bx
                .iter()
                .all(|a| by.iter().all(|b| both_outcomes(pred, *a, *b, width))),
            _ => false,
        }
    })
}

/// Whether `x pred y` may be a constant to an optimizer.
pub(super) fn icmp_may_be_constant(f: &Func, facts: &Facts, pred: IPred, x: &Arg, y: &Arg) -> bool {
    if facts.same(x, y) || is_const(x) && is_const(y) {
        return true;
    }
    let Some(ty) = value_ty(f, x).or_else(|| value_ty(f, y)) else {
        return true;
    };
    if !ty.is_int() {
        return true;
    }
    if matches!(pred, IPred::Eq | IPred::Ne) {
        // (a + b) == (a + c) is b == c; (a ^ b) == (a ^ c) too.
        let fx = facts.form(x, Kind::Add, ty);
        let minus_fy = forms::scale(&facts.form(y, Kind::Add, ty), u64::MAX, ty);
        if forms::sum_cancels(&fx, &minus_fy, ty, &|a, b| facts.related(a, b))
            || forms::shares(
                &facts.form(x, Kind::Xor, ty),
                &facts.form(y, Kind::Xor, ty),
                &|a, b| facts.related(a, b),
            )
        {
            return true;
        }
    } else if ordered_by_construction(f, facts, x, y, ty) {
        return true;
    }
    if let (Some(sx), Some(sy)) = (facts.samples(x), facts.samples(y)) {
        let width = ty.lane_width();
        let outcomes: Vec<u128> =
            sx.0.iter()
                .zip(&sy.0)
                .filter_map(|(a, b)| Some(super::samples::icmp(pred, ty, (*a)?, (*b)?)))
                .collect();
        let _ = width;
        let varies = (0..ty.lanes()).all(|k| {
            outcomes.iter().any(|o| o >> k & 1 == 1) && outcomes.iter().any(|o| o >> k & 1 == 0)
        });
        if varies {
            return false;
        }
    }
    let independent = is_const(x) || is_const(y) || facts.leaves(x).disjoint(&facts.leaves(y));
    if !independent {
        return true;
    }
    // A value that can be anything, against an independent one, is equal
    // to it sometimes and different sometimes, whatever the other is.
    let anything = |a: &Arg| facts.poss(a).is_full(ty);
    if matches!(pred, IPred::Eq | IPred::Ne) && (anything(x) || anything(y)) {
        return false;
    }
    !witnesses_vary(facts, pred, x, y, ty)
}

/// Whether one operand is built from the other in a way that orders them
/// (`a & b <= a`, `a | b >= a`, `a >> n <= a`, `a / n <= a`, `a % b < b`).
fn ordered_by_construction(f: &Func, facts: &Facts, x: &Arg, y: &Arg, ty: Ty) -> bool {
    let contains = |outer: &Arg, inner: &Arg| {
        let vn = facts.vn(inner);
        let in_form = |kind| facts.form(outer, kind, ty).coeff(vn) != 0;
        if in_form(Kind::And) || in_form(Kind::Or) {
            return true;
        }
        match outer {
            Arg::Val(v) => match f.insts[*v as usize].op {
                Op::Bin(BinOp::LShr | BinOp::UDiv | BinOp::AShr | BinOp::SDiv) => {
                    facts.same(&f.insts[*v as usize].args[0], inner)
                }
                Op::Bin(BinOp::URem | BinOp::SRem) => {
                    facts.same(&f.insts[*v as usize].args[1], inner)
                        || facts.same(&f.insts[*v as usize].args[0], inner)
                }
                Op::Call(Callee::Intrinsic(Intr::UMin | Intr::UMax | Intr::SMin | Intr::SMax)) => f
                    .insts[*v as usize]
                    .args
                    .iter()
                    .any(|a| facts.same(a, inner)),
                _ => false,
            },
            _ => false,
        }
    };
    contains(x, y) || contains(y, x)
}

/// Whether float comparison `x pred y` may be a constant to an optimizer.
pub(super) fn fcmp_may_be_constant(facts: &Facts, pred: u8, x: &Arg, y: &Arg) -> bool {
    if pred == 0 || pred == 15 || nan_const(x) || nan_const(y) {
        return true;
    }
    let outcome = |relation: u8| pred & relation != 0;
    const EQ: u8 = 1;
    const GT: u8 = 2;
    const LT: u8 = 4;
    const UNO: u8 = 8;
    if facts.same(x, y) {
        // x ? x is "equal" or "unordered" (NaN).
        return !facts.float_free(x) || outcome(EQ) == outcome(UNO);
    }
    let varies = |relations: &[u8]| {
        relations.iter().any(|r| outcome(*r)) && relations.iter().any(|r| !outcome(*r))
    };
    match (x, y) {
        (Arg::Const(k), other) | (other, Arg::Const(k)) => {
            if !facts.float_free(other) {
                return true;
            }
            // Against each lane's constant, a free float can be NaN, below,
            // equal, or above (but nothing is below -inf or above +inf).
            let width = k.ty.lane_width();
            let constant_on_left = matches!(x, Arg::Const(_));
            !(0..k.ty.lanes()).all(|i| {
                let bits = super::bits::lane(k.bits, width, i);
                let c = if width == 32 {
                    f64::from(f32::from_bits(bits as u32))
                } else {
                    f64::from_bits(bits)
                };
                let (below, above) = if constant_on_left { (GT, LT) } else { (LT, GT) };
                let mut relations = vec![UNO, EQ];
                if c != f64::NEG_INFINITY {
                    relations.push(below);
                }
                if c != f64::INFINITY {
                    relations.push(above);
                }
                varies(&relations)
            })
        }
        _ => {
            let independent = facts.leaves(x).disjoint(&facts.leaves(y));
            !(independent && facts.float_free(x) && facts.float_free(y))
        }
    }
}

/// Whether `x` and `y` of a conjunction (`and`) or disjunction (`or`) may
/// annihilate or absorb: `a & ~a`, `a | ~a`, `a & (a | b)`, `a | (a & b)`.
pub(super) fn and_or_collapses(facts: &Facts, x: &Arg, y: &Arg, kind: Kind, ty: Ty) -> bool {
    let dual = if kind == Kind::And {
        Kind::Or
    } else {
        Kind::And
    };
    let (fx, fy) = (facts.form(x, kind, ty), facts.form(y, kind, ty));
    if (fx.any && !fy.is_constant()) || (fy.any && !fx.is_constant()) {
        return true;
    }
    let terms_of = |form: &forms::Form| -> Vec<u32> { form.terms.iter().map(|t| t.0).collect() };
    let (tx, ty_terms) = (terms_of(&fx), terms_of(&fy));
    // Values with each number, to look at their structure.
    let complement_or_absorb = |outer: &[u32], other: &forms::Form| -> bool {
        outer.iter().any(|&vn| {
            let Some(v) = facts.rep(vn) else { return true };
            let fact = &facts.facts[v as usize];
            if let Some(n) = fact.not_of {
                let inner = facts.facts[n as usize].vn;
                if other.coeff(inner) != 0 || other.terms.iter().any(|t| facts.related(t.0, inner))
                {
                    return true;
                }
            }
            // `vn` is itself a dual operation sharing a term with `other`.
            let inner = facts.form(&Arg::Val(v), dual, ty);
            inner.terms.len() > 1 && forms::shares(&inner, other, &|a, b| facts.related(a, b))
        })
    };
    complement_or_absorb(&tx, &fy) || complement_or_absorb(&ty_terms, &fx)
}

/// Whether `min`/`max` intrinsic `intr` of `x` and `y` may be a constant or
/// lose an operand: a constant at the end of the range, witnesses that
/// never reach the other side, or `min(a, max(a, b))`.
pub(super) fn min_max_collapses(
    f: &Func,
    facts: &Facts,
    intr: Intr,
    x: &Arg,
    y: &Arg,
    ty: Ty,
) -> bool {
    let dual = match intr {
        Intr::UMin => Intr::UMax,
        Intr::UMax => Intr::UMin,
        Intr::SMin => Intr::SMax,
        _ => Intr::SMin,
    };
    let absorbs = |outer: &Arg, other: &Arg| match outer {
        Arg::Val(v) => {
            let inst = &f.insts[*v as usize];
            matches!(inst.op, Op::Call(Callee::Intrinsic(i)) if i == dual)
                && inst.args.iter().any(|a| facts.same(a, other))
        }
        _ => false,
    };
    if absorbs(x, y) || absorbs(y, x) {
        return true;
    }
    if is_const(x) && is_const(y) || ordered_by_construction(f, facts, x, y, ty) {
        return true;
    }
    let signed = matches!(intr, Intr::SMin | Intr::SMax);
    let width = ty.lane_width();
    // Runs where each operand is the smaller: both operands matter.
    if let (Some(sx), Some(sy)) = (facts.samples(x), facts.samples(y)) {
        let both_orders = (0..ty.lanes()).all(|k| {
            let pairs: Vec<(u64, u64)> = sx.lanes(width, k).zip(sy.lanes(width, k)).collect();
            let key = |v: u64| -> i128 {
                if signed {
                    let shift = 64 - width;
                    i128::from(((v << shift) as i64) >> shift)
                } else {
                    i128::from(v)
                }
            };
            pairs.iter().any(|(a, b)| key(*a) < key(*b))
                && pairs.iter().any(|(a, b)| key(*a) > key(*b))
        });
        if both_orders
            && sx
                .0
                .iter()
                .zip(&sy.0)
                .all(|(a, b)| a.is_some() == b.is_some())
        {
            return false;
        }
    }
    let independent = is_const(x) || is_const(y) || facts.leaves(x).disjoint(&facts.leaves(y));
    if !independent {
        return true;
    }
    // The result is monotone in both operands: it varies if the smallest
    // and largest witnesses give different results.
    let (px, py) = (facts.poss(x), facts.poss(y));
    let min = matches!(intr, Intr::UMin | Intr::SMin);
    !(0..ty.lanes()).all(|k| {
        let (lx, ly) = (lane_poss(&px, width, k), lane_poss(&py, width, k));
        let (Some(bx), Some(by)) = (lx.boxes(), ly.boxes()) else {
            return false;
        };
        bx.iter().all(|a| {
            by.iter().all(|b| {
                let (a_lo, a_hi, b_lo, b_hi) = if signed {
                    let (a, b) = (a.signed_range(width), b.signed_range(width));
                    (a.0, a.1, b.0, b.1)
                } else {
                    (
                        a.min() as i128,
                        a.max() as i128,
                        b.min() as i128,
                        b.max() as i128,
                    )
                };
                let pick = |p: i128, q: i128| if min { p.min(q) } else { p.max(q) };
                pick(a_lo, b_lo) != pick(a_hi, b_hi)
            })
        })
    })
}

/// Whether every box of `p` has a free bit in every lane: the value is not
/// a constant to an optimizer.
pub(super) fn varies(p: &Poss, ty: Ty) -> bool {
    let width = ty.lane_width();
    p.all(|b| (0..ty.lanes()).all(|k| b.lane(width, k).free != 0))
}

/// Whether operand `a` is certainly not a constant in any lane (by its
/// boxes or its runs).
pub(super) fn arg_varies(facts: &Facts, a: &Arg, ty: Ty) -> bool {
    varies(&facts.poss(a), ty) || facts.samples(a).is_some_and(|s| s.every_lane_varies(ty))
}

/// Bits of `a` that are 1 in some execution (boxes and runs).
pub(super) fn ones(facts: &Facts, a: &Arg) -> u128 {
    facts.poss(a).can1() | facts.samples(a).map_or(0, |s| s.ones())
}

/// Bits of `a` that are 0 in some execution (boxes and runs).
pub(super) fn zeros(facts: &Facts, a: &Arg, ty: Ty) -> u128 {
    facts.poss(a).can0(ty) | facts.samples(a).map_or(0, |s| s.zeros(ty))
}
