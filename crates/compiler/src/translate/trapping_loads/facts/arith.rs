//! Facts of integer operators: value numbers through normal forms, boxes
//! of possible values, per-bit witnesses.

use super::super::bits::{mask, shl_lanes, shr_lanes, sign_bits, Ty};
use super::super::forms::{self, ty_code, Kind, ANY};
use super::super::hazards;
use super::super::mirror::{Arg, BinOp, Func, Vid};
use super::super::poss::{Bx, Poss};
use super::{value_ty, Fact, Facts};

pub(super) fn mask_box(b: Bx, m: u128) -> Bx {
    Bx {
        free: b.free & m,
        base: b.min() & m,
    }
}

/// Sign extension of a box of `from` lanes to `to` lanes: copies of the
/// sign bit are not independent, so the sign is fixed to 0 when it is free.
pub(super) fn sext_box(b: Bx, from: Ty, to: Ty) -> Option<Bx> {
    if from.lanes() != 1 {
        return None;
    }
    let width = from.lane_width();
    let sign = 1u128 << (width - 1);
    let b = Bx {
        free: b.free & !sign & mask(width),
        base: b.min() & mask(width),
    };
    if b.base & sign != 0 {
        Some(Bx {
            free: b.free,
            base: b.base | (to.all() & !mask(width)),
        })
    } else {
        Some(b)
    }
}

pub(super) fn bin_fact(f: &Func, facts: &mut Facts, v: Vid, op: BinOp) -> Fact {
    let inst = &f.insts[v as usize];
    let ty = inst.ty;
    let (x, y) = (inst.args[0], inst.args[1]);
    let leaves = facts.leaves(&x).union(&facts.leaves(&y));
    let independent = facts.leaves(&x).disjoint(&facts.leaves(&y));
    let (px, py) = (facts.poss(&x), facts.poss(&y));
    let cy = hazards::splat_const(&y, ty);
    let all = ty.all();
    let full = |p: &Poss| p.is_full(ty);
    // Forms: sums (with constant multiples and shifts), xors, ands, ors.
    let form = match op {
        BinOp::Add | BinOp::Sub => {
            let fx = facts.form(&x, Kind::Add, ty);
            let mut fy = facts.form(&y, Kind::Add, ty);
            if op == BinOp::Sub {
                fy = forms::scale(&fy, u64::MAX, ty);
            }
            Some((Kind::Add, forms::add(&fx, &fy, ty)))
        }
        BinOp::Mul | BinOp::Shl => match cy {
            Some(c) => {
                let c = if op == BinOp::Shl {
                    if c >= u64::from(ty.lane_width()) {
                        0
                    } else {
                        1u64 << c
                    }
                } else {
                    c
                };
                Some((
                    Kind::Add,
                    forms::scale(&facts.form(&x, Kind::Add, ty), c, ty),
                ))
            }
            None => None,
        },
        BinOp::Xor => Some((
            Kind::Xor,
            forms::xor(
                &facts.form(&x, Kind::Xor, ty),
                &facts.form(&y, Kind::Xor, ty),
            ),
        )),
        BinOp::And => Some((
            Kind::And,
            forms::union(
                &facts.form(&x, Kind::And, ty),
                &facts.form(&y, Kind::And, ty),
                Kind::And,
            ),
        )),
        BinOp::Or => Some((
            Kind::Or,
            forms::union(
                &facts.form(&x, Kind::Or, ty),
                &facts.form(&y, Kind::Or, ty),
                Kind::Or,
            ),
        )),
        _ => None,
    };
    let poss = match op {
        BinOp::Add | BinOp::Sub | BinOp::Xor if independent && (full(&px) || full(&py)) => {
            Poss::full(ty)
        }
        BinOp::Xor if independent => px.zip(&py, |a, b| {
            Some(Bx {
                free: a.free | b.free,
                base: a.min() ^ b.min(),
            })
        }),
        BinOp::Add | BinOp::Sub if ty.lanes() == 1 => match cy {
            Some(c) => {
                let c = if op == BinOp::Sub {
                    u128::from(c).wrapping_neg() & all
                } else {
                    u128::from(c)
                };
                px.map(|b| Some(add_const_box(b, c, all)))
            }
            None => Poss::none(),
        },
        BinOp::And if independent => px.zip(&py, |a, b| {
            Some(Bx {
                free: (a.free & b.can1()) | (b.free & a.can1()),
                base: a.min() & b.min(),
            })
        }),
        BinOp::Or if independent => px.zip(&py, |a, b| {
            Some(Bx {
                free: (a.free & b.can0(all)) | (b.free & a.can0(all)),
                base: a.min() | b.min(),
            })
        }),
        BinOp::Mul => match cy {
            Some(c) if c != 0 && full(&px) => {
                let tz = c.trailing_zeros();
                Poss::one(Bx::full(all & shl_lanes(all, ty, tz)))
            }
            _ => Poss::none(),
        },
        BinOp::Shl => match cy {
            Some(c) => px.map(|b| {
                Some(Bx {
                    free: shl_lanes(b.free, ty, c as u32),
                    base: shl_lanes(b.min(), ty, c as u32),
                })
            }),
            None => Poss::none(),
        },
        BinOp::LShr => match cy {
            Some(c) => px.map(|b| {
                Some(Bx {
                    free: shr_lanes(b.free, ty, c as u32),
                    base: shr_lanes(b.min(), ty, c as u32),
                })
            }),
            None => Poss::none(),
        },
        BinOp::AShr => match cy {
            Some(c) => px.map(|b| {
                // Fix a free sign to 0, then it is a logical shift.
                let signs = sign_bits(ty);
                if b.min() & signs & !b.free != 0 {
                    return None;
                }
                let free = b.free & !signs;
                Some(Bx {
                    free: shr_lanes(free, ty, c as u32),
                    base: shr_lanes(b.min(), ty, c as u32),
                })
            }),
            None => Poss::none(),
        },
        BinOp::URem if ty.lanes() == 1 => match cy {
            Some(c) if c > 0 && full(&px) => Poss::one(Bx::inside(0, u128::from(c) - 1)),
            _ => Poss::none(),
        },
        BinOp::UDiv if ty.lanes() == 1 => match cy {
            Some(c) if c > 0 && full(&px) => Poss::one(Bx::inside(0, all / u128::from(c))),
            _ => Poss::none(),
        },
        _ => Poss::none(),
    };
    let poss = if poss.boxes().is_some() {
        poss
    } else {
        bitwise_witnesses(facts, op, &x, &y, ty, independent)
    };
    // The fact is also the form's: a sum with nothing left is its term.
    let any = facts.vn(&x) == ANY || facts.vn(&y) == ANY;
    let not_of = match (op, x, y) {
        (BinOp::Xor, Arg::Val(a), Arg::Const(k)) | (BinOp::Xor, Arg::Const(k), Arg::Val(a))
            if k.is_defined() && k.bits == all =>
        {
            Some(a)
        }
        _ => None,
    };
    let vn = match &form {
        Some((kind, form)) => facts.table.form(form, *kind, ty),
        None if any => ANY,
        None => {
            let mut key = vec![0x200 + op as u64, ty_code(ty), 0];
            let (a, b) = (u64::from(facts.vn(&x)), u64::from(facts.vn(&y)));
            let commutative = matches!(op, BinOp::Mul);
            if commutative && b < a {
                key.extend([b, a]);
            } else {
                key.extend([a, b]);
            }
            facts.table.key(key)
        }
    };
    Fact {
        vn,
        poss,
        leaves,
        float_free: false,
        form,
        not_of,
    }
}

/// Per-bit witnesses of a bitwise operation or a shift when no box
/// describes the result (`x & (1 << n)`, `~mask`, ...).
fn bitwise_witnesses(
    facts: &Facts,
    op: BinOp,
    x: &Arg,
    y: &Arg,
    ty: Ty,
    independent: bool,
) -> Poss {
    let all = ty.all();
    let (px, py) = (facts.poss(x), facts.poss(y));
    let (x1, x0, y1, y0) = (px.can1(), px.can0(ty), py.can1(), py.can0(ty));
    match op {
        BinOp::And if independent => Poss::bits(x1 & y1, (x0 | y0) & all),
        BinOp::Or if independent => Poss::bits((x1 | y1) & all, x0 & y0),
        BinOp::Xor => match (x, y) {
            (_, Arg::Const(k)) | (Arg::Const(k), _) if k.is_defined() => {
                let c = k.bits;
                let (v1, v0) = if matches!(y, Arg::Const(_)) {
                    (x1, x0)
                } else {
                    (y1, y0)
                };
                Poss::bits((v1 & !c) | (v0 & c), ((v0 & !c) | (v1 & c)) & all)
            }
            _ => Poss::none(),
        },
        BinOp::Shl | BinOp::LShr if ty.lanes() == 1 && independent => {
            // Every amount a box of `y` holds, if there are few.
            let Some(boxes) = py.boxes() else {
                return Poss::none();
            };
            let width = ty.lane_width();
            let (mut c1, mut c0) = (u128::MAX, u128::MAX);
            for b in boxes {
                if b.free.count_ones() > 6 {
                    return Poss::none();
                }
                let (mut b1, mut b0) = (0u128, 0u128);
                let free_bits: Vec<u32> = (0..128).filter(|i| b.free >> i & 1 == 1).collect();
                for pick in 0u32..(1 << free_bits.len()) {
                    let amount = free_bits.iter().enumerate().fold(b.min(), |acc, (j, bit)| {
                        if pick >> j & 1 == 1 {
                            acc | 1 << bit
                        } else {
                            acc
                        }
                    });
                    if amount >= u128::from(width) {
                        continue;
                    }
                    let shift = |v: u128| {
                        if op == BinOp::Shl {
                            (v << amount) & all
                        } else {
                            (v & all) >> amount
                        }
                    };
                    b1 |= shift(x1);
                    // Bits shifted in are zeros.
                    b0 |= shift(x0) | (all & !shift(all));
                }
                c1 &= b1;
                c0 &= b0;
            }
            Poss::bits(c1, c0)
        }
        _ => Poss::none(),
    }
}

/// `b + c` for a scalar box: exact when no carry can reach a free bit.
fn add_const_box(b: Bx, c: u128, all: u128) -> Bx {
    if b.free == 0 {
        return Bx::point(b.min().wrapping_add(c) & all);
    }
    let (lo, hi) = (b.min(), b.max());
    let contiguous = (b.free & b.free.wrapping_add(1)) == 0 && b.free & lo == 0;
    if contiguous && all < u128::MAX && c <= all {
        // [lo + c, hi + c] modulo 2^width: one interval, or two around the
        // wrap; a box inside the larger part.
        let (start, end) = (lo + c, hi + c);
        let modulus = all + 1;
        return if end <= all {
            Bx::inside(start, end)
        } else if start > all {
            Bx::inside(start - modulus, end - modulus)
        } else if all - start >= end - modulus {
            Bx::inside(start, all)
        } else {
            Bx::inside(0, end - modulus)
        };
    }
    Bx::point(lo.wrapping_add(c) & all)
}

/// Witnesses of a shuffle: lanes gathered from the operands' boxes; a
/// source lane used twice is fixed (its copies are not independent).
pub(super) fn shuffle_poss(
    f: &Func,
    facts: &Facts,
    a: &Arg,
    b: &Arg,
    lanes: &[i32],
    ty: Ty,
) -> (Poss, bool) {
    let width = ty.lane_width();
    let src_lanes = value_ty(f, a).map_or(0, |t| t.lanes()) as i32;
    let uses = |i: i32| lanes.iter().filter(|&&l| l == i).count();
    let pa = facts.poss(a);
    let pb = match b {
        Arg::Const(k) if k.defined == 0 => Poss::one(Bx::point(0)),
        _ => facts.poss(b),
    };
    let uses_b = lanes.iter().any(|&l| l >= src_lanes);
    let independent = !uses_b || facts.leaves(a).disjoint(&facts.leaves(b));
    let poss = if independent {
        pa.zip(&pb, |ba, bb| {
            let mut out = Bx::point(0);
            for (i, &l) in lanes.iter().enumerate() {
                let i = i as u32;
                let src = if l < 0 {
                    Bx::point(0)
                } else if l < src_lanes {
                    ba.lane(width, l as u32)
                } else {
                    bb.lane(width, (l - src_lanes) as u32)
                };
                let free = if uses(l) > 1 { 0 } else { src.free };
                out.free |= free << (i * width);
                out.base |= src.min() << (i * width);
            }
            Some(out)
        })
    } else {
        Poss::none()
    };
    let float_free = ty.is_float()
        && lanes.iter().all(|&l| l >= 0)
        && facts.float_free(a)
        && (!uses_b || facts.float_free(b));
    (poss, float_free)
}
