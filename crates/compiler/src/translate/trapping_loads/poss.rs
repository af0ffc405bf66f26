//! Witnesses of the values an integer can take: sets that are certainly
//! *inside* the set of values it takes in some execution, so that a sound
//! optimizer cannot know more than they leave open.
//!
//! A [`Bx`] ("box") is the set of values whose bits outside `free` equal
//! `base` and whose `free` bits take every combination. A [`Poss`] is a
//! short list of boxes of which at least one is entirely possible (a phi or
//! a parameter takes the values of one of its sources, but which one is not
//! known); `Poss::none()` knows no witness at all. A property holds for
//! certain only if it holds in every box.

use super::bits::{lane, lane_mask, mask, Ty};

/// Every value with `v & !free == base & !free` is possible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Bx {
    /// Bits that take both values, independently.
    pub free: u128,
    /// The other bits.
    pub base: u128,
}

impl Bx {
    /// The single value `v`.
    pub(super) fn point(v: u128) -> Bx {
        Bx { free: 0, base: v }
    }

    /// Every value of `bits` bits.
    pub(super) fn full(bits: u128) -> Bx {
        Bx {
            free: bits,
            base: 0,
        }
    }

    /// The smallest member (unsigned).
    pub(super) fn min(self) -> u128 {
        self.base & !self.free
    }

    /// The largest member (unsigned).
    pub(super) fn max(self) -> u128 {
        self.min() | self.free
    }

    /// Bits that are 1 in some member.
    pub(super) fn can1(self) -> u128 {
        self.min() | self.free
    }

    /// Bits that are 0 in some member (within `all`).
    pub(super) fn can0(self, all: u128) -> u128 {
        (!self.min() | self.free) & all
    }

    /// The box of lane `k` (lanes `width` bits wide).
    pub(super) fn lane(self, width: u32, k: u32) -> Bx {
        Bx {
            free: u128::from(lane(self.free, width, k)),
            base: u128::from(lane(self.min(), width, k)),
        }
    }

    /// The smallest and largest member of a `width`-bit lane box, as signed
    /// numbers.
    pub(super) fn signed_range(self, width: u32) -> (i128, i128) {
        let sign = 1u128 << (width - 1);
        let as_signed = |v: u128| -> i128 {
            if v & sign != 0 {
                v as i128 - (1i128 << width)
            } else {
                v as i128
            }
        };
        // The most negative member has the sign bit set if it can be.
        let low = if self.free & sign != 0 {
            self.min() | sign
        } else {
            self.min()
        };
        let high = if self.free & sign != 0 {
            self.max() & !sign
        } else {
            self.max()
        };
        (as_signed(low), as_signed(high))
    }

    /// A box inside the interval `[lo, hi]` (unsigned), holding `lo` and
    /// as much of the interval as an aligned power-of-two block allows.
    pub(super) fn inside(lo: u128, hi: u128) -> Bx {
        if hi <= lo {
            return Bx::point(lo);
        }
        // The largest aligned block [b, b + 2^k) within [lo, hi].
        let mut best = Bx::point(lo);
        let span = 128 - (hi - lo).leading_zeros();
        for k in (1..=span.min(127)).rev() {
            let size = 1u128 << k;
            let Some(start) = lo.div_ceil(size).checked_mul(size) else {
                continue;
            };
            if start.checked_add(size - 1).is_some_and(|end| end <= hi) {
                best = Bx {
                    free: size - 1,
                    base: start,
                };
                break;
            }
        }
        best
    }
}

/// At least one of the boxes is entirely possible (`boxes: None`: no box
/// known). Independently of the boxes, `c1` and `c0` are bits that can be 1
/// and bits that can be 0, whichever box holds (for values like `1 << n`
/// that no box describes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Poss {
    boxes: Option<Vec<Bx>>,
    c1: u128,
    c0: u128,
}

/// More boxes than this are not worth tracking.
const MAX_BOXES: usize = 4;

impl Poss {
    /// No witness known.
    pub(super) fn none() -> Poss {
        Poss {
            boxes: None,
            c1: 0,
            c0: 0,
        }
    }

    /// Exactly the values of `b`.
    pub(super) fn one(b: Bx) -> Poss {
        Poss::from_boxes(vec![b])
    }

    fn from_boxes(boxes: Vec<Bx>) -> Poss {
        let c1 = boxes.iter().fold(u128::MAX, |acc, b| acc & b.can1());
        let c0 = boxes
            .iter()
            .fold(u128::MAX, |acc, b| acc & b.can0(u128::MAX));
        Poss {
            boxes: Some(boxes),
            c1,
            c0,
        }
    }

    /// Only per-bit witnesses: bits `c1` can be 1 and bits `c0` can be 0.
    pub(super) fn bits(c1: u128, c0: u128) -> Poss {
        Poss {
            boxes: None,
            c1,
            c0,
        }
    }

    /// Every value of `ty`.
    pub(super) fn full(ty: Ty) -> Poss {
        Poss::one(Bx::full(ty.all()))
    }

    /// The boxes, if any witness is known.
    pub(super) fn boxes(&self) -> Option<&[Bx]> {
        self.boxes.as_deref()
    }

    /// Whether `p` holds for every box (false without witnesses).
    pub(super) fn all(&self, p: impl Fn(Bx) -> bool) -> bool {
        self.boxes().is_some_and(|bs| bs.iter().all(|b| p(*b)))
    }

    /// Whether every box is `Bx::full(bits)`: the value can be anything.
    pub(super) fn is_full(&self, ty: Ty) -> bool {
        self.all(|b| b.free & ty.all() == ty.all())
    }

    /// Each box mapped (a `None` from `f` loses every witness).
    pub(super) fn map(&self, f: impl Fn(Bx) -> Option<Bx>) -> Poss {
        match self.boxes() {
            None => Poss::none(),
            Some(bs) => bs
                .iter()
                .map(|b| f(*b))
                .collect::<Option<Vec<_>>>()
                .map_or(Poss::none(), Poss::from_boxes),
        }
    }

    /// Boxes combined pairwise (the operands being independent).
    pub(super) fn zip(&self, other: &Poss, f: impl Fn(Bx, Bx) -> Option<Bx>) -> Poss {
        let (Some(a), Some(b)) = (self.boxes(), other.boxes()) else {
            return Poss::none();
        };
        if a.len() * b.len() > MAX_BOXES {
            return Poss::none();
        }
        let mut out = Vec::new();
        for x in a {
            for y in b {
                match f(*x, *y) {
                    Some(z) => out.push(z),
                    None => return Poss::none(),
                }
            }
        }
        Poss::from_boxes(out)
    }

    /// One of `self` or `other` holds.
    pub(super) fn or(&self, other: &Poss) -> Poss {
        let boxes = match (self.boxes(), other.boxes()) {
            (Some(a), Some(b)) if a.len() + b.len() <= MAX_BOXES => {
                let mut v = a.to_vec();
                for x in b {
                    if !v.contains(x) {
                        v.push(*x);
                    }
                }
                Some(v)
            }
            _ => None,
        };
        Poss {
            boxes,
            c1: self.c1 & other.c1,
            c0: self.c0 & other.c0,
        }
    }

    /// Bits that are 1 in some value whichever box holds.
    pub(super) fn can1(&self) -> u128 {
        self.c1
    }

    /// Bits that are 0 in some value whichever box holds.
    pub(super) fn can0(&self, ty: Ty) -> u128 {
        self.c0 & ty.all()
    }

    /// Whether, in every lane of every box, the value can be something other
    /// than `v` (lane value): an optimizer cannot know the lane equals `v`.
    pub(super) fn lanes_can_differ_from(&self, ty: Ty, v: impl Fn(u32) -> u64) -> bool {
        let width = ty.lane_width();
        self.all(|b| {
            (0..ty.lanes()).all(|k| {
                let l = b.lane(width, k);
                l.free != 0 || l.base != u128::from(v(k))
            })
        })
    }
}

/// Lane `k` of every box of `p`, as a scalar `Poss`.
pub(super) fn lane_poss(p: &Poss, width: u32, k: u32) -> Poss {
    p.map(|b| Some(b.lane(width, k)))
}

/// Replaces lane `k` of every box of `v` by the boxes of `s` (independent).
pub(super) fn insert_lane(v: &Poss, s: &Poss, width: u32, k: u32) -> Poss {
    let m = lane_mask(width, k);
    v.zip(s, |vb, sb| {
        Some(Bx {
            free: (vb.free & !m) | ((sb.free & mask(width)) << (k * width)),
            base: (vb.min() & !m) | ((sb.min() & mask(width)) << (k * width)),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes() {
        let b = Bx {
            free: 0xf0,
            base: 0x0f,
        };
        assert_eq!((b.min(), b.max()), (0x0f, 0xff));
        assert_eq!(Bx::full(0xff).signed_range(8), (-128, 127));
        let i = Bx::inside(1, 256);
        assert!(i.min() >= 1 && i.max() <= 256 && i.free != 0, "{i:?}");
        assert_eq!(Bx::inside(0, 255), Bx::full(0xff));
    }

    #[test]
    fn disjunctions() {
        let ty = Ty::Int { lanes: 1, width: 8 };
        let p = Poss::one(Bx::point(0)).or(&Poss::one(Bx::point(1)));
        assert_eq!(p.can1(), 0);
        assert_eq!(p.can0(ty), 0xfe);
        assert_eq!(Poss::bits(4, 1).can1(), 4);
        assert!(!p.lanes_can_differ_from(ty, |_| 0));
        assert!(Poss::full(ty).lanes_can_differ_from(ty, |_| 0));
        assert!(!Poss::none().all(|_| true));
    }
}
