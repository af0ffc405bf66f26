//! Concrete runs: each integer value evaluated under a few assignments of
//! the values an optimizer knows nothing about (loads, results of opaque
//! calls, parameters that can be anything). A value computed from those
//! takes each sampled value in some execution an optimizer must allow for,
//! so two different samples prove it is not a constant, however its
//! operands are correlated (`(x - 0x0101_0101) & !x & 0x8080_8080` is not
//! constant, which no box can show).

use super::bits::{lane, lane_mask, mask, with_lane, Ty};
use super::forms::Vn;
use super::mirror::{BinOp, CastOp, IPred, Intr, Konst};
use std::rc::Rc;

/// The number of runs.
pub(super) const RUNS: usize = 16;

/// A value in each run (`None`: the value does not exist in that run, e.g.
/// a division by zero, which traps).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Samples(pub [Option<u128>; RUNS]);

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// How many runs use the function's own constants.
pub(super) const INTERESTING: usize = 8;

/// The runs of a value nothing is known about, numbered `vn` (values with
/// the same number take the same values): zero, all ones, one and the sign
/// bit in every lane, each of `interesting` (constants the function compares
/// with or adds) in every lane, then pseudo-random values.
pub(super) fn leaf(vn: Vn, ty: Ty, interesting: &[u64]) -> Samples {
    let width = ty.lane_width();
    let per_lane = |x: u64| (0..ty.lanes()).fold(0u128, |acc, k| with_lane(acc, width, k, x));
    let mut out = [None; RUNS];
    for (r, slot) in out.iter_mut().enumerate() {
        let v = match r {
            0 => 0,
            1 => ty.all(),
            2 => per_lane(1),
            3 => per_lane(1u64 << (width - 1)),
            r if r - 4 < interesting.len().min(INTERESTING) => {
                let c = interesting[r - 4];
                if ty.lanes() == 1 {
                    per_lane(c)
                } else {
                    // A vector is reinterpreted freely: repeat the constant
                    // at its own width.
                    let w = [8u32, 16, 32, 64]
                        .into_iter()
                        .find(|w| *w == 64 || c >> w == 0)
                        .unwrap_or(64);
                    (0..128 / w).fold(0u128, |acc, k| with_lane(acc, w, k, c)) & ty.all()
                }
            }
            _ => {
                let a = splitmix(u64::from(vn) << 8 | r as u64);
                let b = splitmix(a);
                (u128::from(a) | u128::from(b) << 64) & ty.all()
            }
        };
        *slot = Some(v);
    }
    Samples(out)
}

/// The runs of a constant (the same in every run).
pub(super) fn konst(k: &Konst) -> Option<Samples> {
    k.is_defined().then_some(Samples([Some(k.bits); RUNS]))
}

impl Samples {
    /// Whether every lane (of `ty`) differs between two runs.
    pub(super) fn every_lane_varies(&self, ty: Ty) -> bool {
        let width = ty.lane_width();
        (0..ty.lanes()).all(|k| {
            let mut seen = self.0.iter().flatten().map(|x| lane(*x, width, k));
            match seen.next() {
                Some(first) => seen.any(|x| x != first),
                None => false,
            }
        })
    }

    /// Bits that are 1 in some run.
    pub(super) fn ones(&self) -> u128 {
        self.0.iter().flatten().fold(0, |acc, x| acc | x)
    }

    /// Bits that are 0 in some run (within `ty`).
    pub(super) fn zeros(&self, ty: Ty) -> u128 {
        self.0.iter().flatten().fold(0, |acc, x| acc | !x) & ty.all()
    }

    /// The values of lane `k` in the runs.
    pub(super) fn lanes(&self, width: u32, k: u32) -> impl Iterator<Item = u64> + '_ {
        self.0.iter().flatten().map(move |x| lane(*x, width, k))
    }
}

/// `f` applied run by run.
pub(super) fn map(a: &Samples, f: impl Fn(u128) -> Option<u128>) -> Samples {
    let mut out = [None; RUNS];
    for (slot, x) in out.iter_mut().zip(&a.0) {
        *slot = x.and_then(&f);
    }
    Samples(out)
}

/// `f` applied run by run to two values.
pub(super) fn map2(a: &Samples, b: &Samples, f: impl Fn(u128, u128) -> Option<u128>) -> Samples {
    let mut out = [None; RUNS];
    for (r, slot) in out.iter_mut().enumerate() {
        *slot = match (a.0[r], b.0[r]) {
            (Some(x), Some(y)) => f(x, y),
            _ => None,
        };
    }
    Samples(out)
}

/// `f` applied lane by lane (all lanes must exist).
fn lanes2(ty: Ty, x: u128, y: u128, f: impl Fn(u64, u64, u32) -> Option<u64>) -> Option<u128> {
    let width = ty.lane_width();
    let mut out = 0u128;
    for k in 0..ty.lanes() {
        let v = f(lane(x, width, k), lane(y, width, k), width)?;
        out = with_lane(out, width, k, v & mask(width) as u64);
    }
    Some(out)
}

fn signed(x: u64, width: u32) -> i64 {
    let shift = 64 - width;
    ((x << shift) as i64) >> shift
}

/// An integer binary operator, lane by lane, as LLVM defines it (`None`
/// where the result would be poison or the operation traps).
pub(super) fn binary(op: BinOp, ty: Ty, x: u128, y: u128) -> Option<u128> {
    lanes2(ty, x, y, |a, b, w| {
        let m = mask(w) as u64;
        Some(match op {
            BinOp::Add => a.wrapping_add(b),
            BinOp::Sub => a.wrapping_sub(b),
            BinOp::Mul => a.wrapping_mul(b),
            BinOp::And => a & b,
            BinOp::Or => a | b,
            BinOp::Xor => a ^ b,
            BinOp::Shl => a.checked_shl(u32::try_from(b).ok().filter(|s| *s < w)?)?,
            BinOp::LShr => (a & m) >> u32::try_from(b).ok().filter(|s| *s < w)?,
            BinOp::AShr => {
                let s = u32::try_from(b).ok().filter(|s| *s < w)?;
                (signed(a, w) >> s) as u64
            }
            BinOp::UDiv => (a & m).checked_div(b & m)?,
            BinOp::URem => (a & m).checked_rem(b & m)?,
            BinOp::SDiv => signed(a, w).checked_div(signed(b, w)).filter(|_| {
                !(w < 64 && signed(a, w) == i64::MIN >> (64 - w) && signed(b, w) == -1)
            })? as u64,
            BinOp::SRem => signed(a, w).checked_rem(signed(b, w)).filter(|_| {
                !(w < 64 && signed(a, w) == i64::MIN >> (64 - w) && signed(b, w) == -1)
            })? as u64,
        })
    })
}

/// A comparison, lane by lane: bit `k` of the result is lane `k`'s outcome.
pub(super) fn icmp(pred: IPred, ty: Ty, x: u128, y: u128) -> u128 {
    let width = ty.lane_width();
    (0..ty.lanes()).fold(0u128, |acc, k| {
        let (a, b) = (lane(x, width, k), lane(y, width, k));
        let (sa, sb) = (signed(a, width), signed(b, width));
        let outcome = match pred {
            IPred::Eq => a == b,
            IPred::Ne => a != b,
            IPred::Ugt => a > b,
            IPred::Uge => a >= b,
            IPred::Ult => a < b,
            IPred::Ule => a <= b,
            IPred::Sgt => sa > sb,
            IPred::Sge => sa >= sb,
            IPred::Slt => sa < sb,
            IPred::Sle => sa <= sb,
        };
        acc | (u128::from(outcome) << k)
    })
}

/// An integer cast from `from` to `to`, lane by lane (`None` for casts
/// involving floats or pointers, except bitcasts of the same size).
pub(super) fn cast(op: CastOp, from: Ty, to: Ty, x: u128) -> Option<u128> {
    let (fw, tw) = (from.lane_width(), to.lane_width());
    let per_lane = |g: &dyn Fn(u64) -> u64| {
        (0..to.lanes().min(from.lanes())).fold(0u128, |acc, k| {
            with_lane(acc, tw, k, g(lane(x, fw, k)) & mask(tw) as u64)
        })
    };
    match op {
        CastOp::Trunc if from.is_int() => Some(per_lane(&|a| a)),
        CastOp::ZExt if from.is_int() => Some(per_lane(&|a| a)),
        CastOp::SExt if from.is_int() => Some(per_lane(&|a| signed(a, fw) as u64)),
        CastOp::BitCast | CastOp::Freeze if from.bits() == to.bits() && from.bits() > 0 => Some(x),
        _ => None,
    }
}

/// `select`: a scalar condition picks a whole value, a vector one per lane.
pub(super) fn select(cond_ty: Ty, ty: Ty, c: u128, x: u128, y: u128) -> u128 {
    if cond_ty.lanes() == 1 {
        return if c & 1 != 0 { x } else { y };
    }
    let width = ty.lane_width();
    (0..ty.lanes()).fold(0u128, |acc, k| {
        let m = lane_mask(width, k);
        acc | if c >> k & 1 != 0 { x & m } else { y & m }
    })
}

/// An intrinsic, lane by lane (`None` if not modelled).
pub(super) fn intrinsic(intr: Intr, ty: Ty, args: &[u128]) -> Option<u128> {
    let x = *args.first()?;
    let y = args.get(1).copied().unwrap_or(0);
    let z = args.get(2).copied().unwrap_or(0);
    let width = ty.lane_width();
    let mut out = 0u128;
    for k in 0..ty.lanes() {
        let (a, b, c) = (lane(x, width, k), lane(y, width, k), lane(z, width, k));
        let m = mask(width) as u64;
        let (sa, sb) = (signed(a, width), signed(b, width));
        let v = match intr {
            Intr::Ctpop => u64::from(a.count_ones()),
            Intr::Ctlz => u64::from(a.leading_zeros() - (64 - width)),
            Intr::Cttz => u64::from(a.trailing_zeros().min(width)),
            Intr::Abs => sa.unsigned_abs(),
            Intr::UMin => a.min(b),
            Intr::UMax => a.max(b),
            Intr::SMin => sa.min(sb) as u64,
            Intr::SMax => sa.max(sb) as u64,
            Intr::Fshl | Intr::Fshr => {
                let s = (c % u64::from(width)) as u32;
                let wide = (u128::from(a) << width) | u128::from(b);
                if s == 0 {
                    if intr == Intr::Fshl {
                        a
                    } else {
                        b
                    }
                } else if intr == Intr::Fshl {
                    (wide >> (width - s)) as u64
                } else {
                    (wide >> s) as u64
                }
            }
            Intr::Expect => a,
            _ => return None,
        };
        out = with_lane(out, width, k, v & m);
    }
    Some(out)
}

/// The runs of value `v` of `f`, from its operands' runs (computed before
/// it in reverse postorder) and its fact.
pub(super) fn of_value(
    f: &super::mirror::Func,
    cfg: &super::cfg::Cfg,
    facts: &super::facts::Facts,
    v: super::mirror::Vid,
) -> Option<Rc<Samples>> {
    use super::facts::{through_bitcasts, value_ty};
    use super::mirror::{Arg, Callee, Op};
    let inst = &f.insts[v as usize];
    let ty = inst.ty;
    let fact = &facts.facts[v as usize];
    let arg = |i: usize| inst.args.get(i).copied().unwrap_or(Arg::Opaque);
    let of = |a: &Arg| facts.samples(a);
    // A value that can be anything, and is no function of another value.
    let opaque = || {
        (ty.is_int() && fact.poss.is_full(ty))
            .then(|| Rc::new(leaf(fact.vn, ty, facts.interesting())))
    };
    match &inst.op {
        Op::Param(_) | Op::Call(Callee::Opaque) => opaque(),
        Op::Load { .. } => match facts.forwarded(v) {
            Some(Some(stored)) => of(&stored),
            Some(None) => None,
            None => opaque(),
        },
        Op::Bin(op) => {
            let (x, y) = (of(&arg(0))?, of(&arg(1))?);
            Some(Rc::new(map2(&x, &y, |a, b| binary(*op, ty, a, b))))
        }
        Op::ICmp(pred) => {
            let op_ty = value_ty(f, &arg(0)).or_else(|| value_ty(f, &arg(1)))?;
            let (x, y) = (of(&arg(0))?, of(&arg(1))?);
            Some(Rc::new(map2(&x, &y, |a, b| Some(icmp(*pred, op_ty, a, b)))))
        }
        Op::Cast(op) => {
            let x = arg(0);
            if matches!(op, CastOp::BitCast) {
                let src = through_bitcasts(f, &x);
                if value_ty(f, &src) == Some(ty) {
                    return of(&src);
                }
            }
            let from = value_ty(f, &x)?;
            let s = of(&x)?;
            Some(Rc::new(map(&s, |a| cast(*op, from, ty, a))))
        }
        Op::Select => {
            let c_ty = value_ty(f, &arg(0))?;
            let (c, x, y) = (of(&arg(0))?, of(&arg(1))?, of(&arg(2))?);
            let mut out = [None; RUNS];
            for (r, slot) in out.iter_mut().enumerate() {
                *slot = match (c.0[r], x.0[r], y.0[r]) {
                    (Some(c), Some(x), Some(y)) => Some(select(c_ty, ty, c, x, y)),
                    _ => None,
                };
            }
            Some(Rc::new(Samples(out)))
        }
        Op::Phi(blocks) => {
            // A loop header first takes the value from before the loop.
            let forward: Vec<Arg> = inst
                .args
                .iter()
                .zip(blocks)
                .filter(|(_, b)| {
                    cfg.rpo_index[**b as usize] != u32::MAX && !cfg.is_back_edge(**b, inst.block)
                })
                .map(|(a, _)| *a)
                .collect();
            let is_loop = inst.args.iter().zip(blocks).any(|(_, b)| {
                cfg.rpo_index[*b as usize] != u32::MAX && cfg.is_back_edge(*b, inst.block)
            });
            match forward.as_slice() {
                [one] if is_loop => of(one),
                [first, rest @ ..] if rest.iter().all(|a| facts.same(a, first)) => of(first),
                _ => None,
            }
        }
        Op::Call(Callee::Intrinsic(intr)) => {
            let args: Vec<Rc<Samples>> = inst.args.iter().map(of).collect::<Option<_>>()?;
            let mut out = [None; RUNS];
            for (r, slot) in out.iter_mut().enumerate() {
                let values: Option<Vec<u128>> = args.iter().map(|s| s.0[r]).collect();
                *slot = values.and_then(|vals| intrinsic(*intr, ty, &vals));
            }
            Some(Rc::new(Samples(out)))
        }
        Op::ExtractElement => {
            let Arg::Const(k) = arg(1) else { return None };
            let width = ty.lane_width();
            let s = of(&arg(0))?;
            Some(Rc::new(map(&s, |a| {
                Some(u128::from(lane(a, width, k.bits as u32)))
            })))
        }
        Op::InsertElement => {
            let Arg::Const(k) = arg(2) else { return None };
            let width = ty.lane_width();
            let base = match arg(0) {
                Arg::Const(c) if c.defined == 0 => Rc::new(Samples([Some(0); RUNS])),
                other => of(&other)?,
            };
            let s = of(&arg(1))?;
            Some(Rc::new(map2(&base, &s, |a, b| {
                Some(with_lane(a, width, k.bits as u32, b as u64))
            })))
        }
        Op::Shuffle(lanes) => {
            let width = ty.lane_width();
            let n = value_ty(f, &arg(0))?.lanes() as i32;
            let a = of(&arg(0))?;
            let b = match arg(1) {
                Arg::Const(c) if c.defined == 0 => Rc::new(Samples([Some(0); RUNS])),
                other => of(&other)?,
            };
            Some(Rc::new(map2(&a, &b, |x, y| {
                let mut out = 0u128;
                for (i, &l) in lanes.iter().enumerate() {
                    let v = if l < 0 {
                        return None;
                    } else if l < n {
                        lane(x, width, l as u32)
                    } else {
                        lane(y, width, (l - n) as u32)
                    };
                    out = with_lane(out, width, i as u32, v);
                }
                Some(out)
            })))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const I32: Ty = Ty::Int {
        lanes: 1,
        width: 32,
    };

    #[test]
    fn has_zero_byte_varies() {
        let x = leaf(7, I32, &[]);
        let minus = map(&x, |v| binary(BinOp::Sub, I32, v, 0x0101_0101));
        let not = map(&x, |v| binary(BinOp::Xor, I32, v, 0xffff_ffff));
        let both = map2(&minus, &not, |a, b| binary(BinOp::And, I32, a, b));
        let masked = map(&both, |v| binary(BinOp::And, I32, v, 0x8080_8080));
        assert!(masked.every_lane_varies(I32));
        let same = map2(&x, &x, |a, b| binary(BinOp::Sub, I32, a, b));
        assert!(!same.every_lane_varies(I32));
    }

    #[test]
    fn lanes_and_traps() {
        let v4 = Ty::Int {
            lanes: 4,
            width: 32,
        };
        assert_eq!(
            binary(BinOp::Add, v4, 1 << 32 | 1, 1 << 32 | 1),
            Some(2 << 32 | 2)
        );
        assert_eq!(binary(BinOp::UDiv, I32, 1, 0), None);
        assert_eq!(binary(BinOp::Shl, I32, 1, 32), None);
        assert_eq!(icmp(IPred::Slt, I32, 0xffff_ffff, 0), 1);
        assert_eq!(
            intrinsic(Intr::Fshl, I32, &[0x8000_0001, 0x8000_0001, 1]),
            Some(3)
        );
        assert_eq!(
            cast(CastOp::SExt, Ty::Int { lanes: 1, width: 8 }, I32, 0x80),
            Some(0xffff_ff80)
        );
    }
}
