//! Value numbers and algebraic normal forms: the equalities an optimizer
//! can discover between differently written expressions.
//!
//! A value number ([`Vn`]) names a value up to the rewrites modelled here:
//! operand order of commutative operators, reassociation and constant
//! folding of sums (`(x + 2) + 2` is `x + 4`, `x * 4` is `x << 2`), of
//! exclusive-ors and of conjunctions and disjunctions. [`ANY`] is a value
//! that may equal anything (a load that may have been forwarded from one of
//! several stores). Two values with different numbers are only *probably*
//! different; the analysis errs by treating too many values as maybe-equal.

use super::bits::{lane, map_lanes, mask, with_lane, Ty};
use std::collections::HashMap;

/// A value number.
pub(super) type Vn = u32;

/// The value number of a value that may equal anything.
pub(super) const ANY: Vn = 0;

/// More terms than this are not tracked (the form becomes `any`).
const MAX_TERMS: usize = 32;

/// Which operator a [`Form`] normalizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// Sums: terms with coefficients (mod 2^width) plus a constant.
    Add,
    /// Exclusive-ors: terms (each once) xor a constant.
    Xor,
    /// Conjunctions: terms and a constant mask.
    And,
    /// Disjunctions: terms or a constant mask.
    Or,
}

/// A flattened expression of one [`Kind`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(super) struct Form {
    /// Terms by value number (sorted), with coefficients (1 except in sums).
    pub terms: Vec<(Vn, u64)>,
    /// The constant part.
    pub konst: u128,
    /// Whether some term may be anything (or the form grew too large).
    pub any: bool,
}

impl Form {
    /// The form of a single value.
    pub(super) fn term(vn: Vn, kind: Kind, ty: Ty) -> Form {
        Form {
            terms: if vn == ANY { Vec::new() } else { vec![(vn, 1)] },
            konst: identity(kind, ty),
            any: vn == ANY,
        }
    }

    /// The form of a constant.
    pub(super) fn konst(bits: u128) -> Form {
        Form {
            terms: Vec::new(),
            konst: bits,
            any: false,
        }
    }

    /// Whether the form has no variable part.
    pub(super) fn is_constant(&self) -> bool {
        self.terms.is_empty() && !self.any
    }

    /// The coefficient of `vn`.
    pub(super) fn coeff(&self, vn: Vn) -> u64 {
        self.terms
            .binary_search_by_key(&vn, |t| t.0)
            .map_or(0, |i| self.terms[i].1)
    }
}

/// The constant that leaves a form of `kind` unchanged.
fn identity(kind: Kind, ty: Ty) -> u128 {
    match kind {
        Kind::And => ty.all(),
        _ => 0,
    }
}

/// Lane-wise sum of two constants of `ty`.
fn add_lanes(a: u128, b: u128, ty: Ty) -> u128 {
    let width = ty.lane_width();
    (0..ty.lanes()).fold(0, |acc, k| {
        let sum = lane(a, width, k).wrapping_add(lane(b, width, k));
        with_lane(acc, width, k, sum)
    })
}

/// `coeff * c` in every lane of a constant of `ty`.
fn scale_lanes(c: u128, coeff: u64, ty: Ty) -> u128 {
    map_lanes(c, ty, |x| x.wrapping_mul(coeff))
}

fn coeff_mask(ty: Ty) -> u64 {
    mask(ty.lane_width().min(64)) as u64
}

/// Merges sorted term lists with `combine` (`None` drops the term).
fn merge(
    a: &[(Vn, u64)],
    b: &[(Vn, u64)],
    combine: impl Fn(Option<u64>, Option<u64>) -> Option<u64>,
) -> Vec<(Vn, u64)> {
    let (mut i, mut j, mut out) = (0, 0, Vec::with_capacity(a.len() + b.len()));
    while i < a.len() || j < b.len() {
        let (vn, x, y) = match (a.get(i), b.get(j)) {
            (Some(p), Some(q)) if p.0 == q.0 => {
                i += 1;
                j += 1;
                (p.0, Some(p.1), Some(q.1))
            }
            (Some(p), Some(q)) if p.0 < q.0 => {
                i += 1;
                (p.0, Some(p.1), None)
            }
            (Some(p), None) => {
                i += 1;
                (p.0, Some(p.1), None)
            }
            (_, Some(q)) => {
                j += 1;
                (q.0, None, Some(q.1))
            }
            (None, None) => unreachable!("loop condition"),
        };
        if let Some(c) = combine(x, y) {
            out.push((vn, c));
        }
    }
    out
}

fn capped(mut f: Form) -> Form {
    if f.terms.len() > MAX_TERMS {
        f.terms.clear();
        f.any = true;
    }
    f
}

/// `a + b` (Kind::Add).
pub(super) fn add(a: &Form, b: &Form, ty: Ty) -> Form {
    let m = coeff_mask(ty);
    capped(Form {
        terms: merge(&a.terms, &b.terms, |x, y| {
            let c = x.unwrap_or(0).wrapping_add(y.unwrap_or(0)) & m;
            (c != 0).then_some(c)
        }),
        konst: add_lanes(a.konst, b.konst, ty) & ty.all(),
        any: a.any || b.any,
    })
}

/// `c * a` (Kind::Add).
pub(super) fn scale(a: &Form, c: u64, ty: Ty) -> Form {
    let m = coeff_mask(ty);
    Form {
        terms: a
            .terms
            .iter()
            .filter_map(|&(vn, x)| {
                let y = x.wrapping_mul(c) & m;
                (y != 0).then_some((vn, y))
            })
            .collect(),
        konst: scale_lanes(a.konst, c, ty) & ty.all(),
        any: a.any,
    }
}

/// `a ^ b` (Kind::Xor): terms present in exactly one operand.
pub(super) fn xor(a: &Form, b: &Form) -> Form {
    capped(Form {
        terms: merge(&a.terms, &b.terms, |x, y| match (x, y) {
            (Some(_), Some(_)) => None,
            _ => Some(1),
        }),
        konst: a.konst ^ b.konst,
        any: a.any || b.any,
    })
}

/// `a & b` or `a | b` (Kind::And/Or): the union of the terms.
pub(super) fn union(a: &Form, b: &Form, kind: Kind) -> Form {
    capped(Form {
        terms: merge(&a.terms, &b.terms, |_, _| Some(1)),
        konst: if kind == Kind::And {
            a.konst & b.konst
        } else {
            a.konst | b.konst
        },
        any: a.any || b.any,
    })
}

/// Which different value numbers may still be related (parameters that
/// call sites pass related values to): a rewrite after inlining may cancel
/// them.
pub(super) type Related<'a> = &'a dyn Fn(Vn, Vn) -> bool;

fn any_related(a: &Form, b: &Form, related: Related<'_>) -> bool {
    a.terms
        .iter()
        .any(|&(x, _)| b.terms.iter().any(|&(y, _)| x != y && related(x, y)))
}

/// Whether `a + b` loses a term: a term of both whose coefficients cancel,
/// a term that may be anything next to another term, or related terms.
pub(super) fn sum_cancels(a: &Form, b: &Form, ty: Ty, related: Related<'_>) -> bool {
    let m = coeff_mask(ty);
    if (a.any && (b.any || !b.terms.is_empty())) || (b.any && !a.terms.is_empty()) {
        return true;
    }
    a.terms
        .iter()
        .any(|&(vn, c)| (c.wrapping_add(b.coeff(vn)) & m) == 0 && b.coeff(vn) != 0)
        || any_related(a, b, related)
}

/// Whether the two forms share a term (or one may be anything, or they
/// have related terms).
pub(super) fn shares(a: &Form, b: &Form, related: Related<'_>) -> bool {
    if (a.any && (b.any || !b.terms.is_empty())) || (b.any && !a.terms.is_empty()) {
        return true;
    }
    a.terms.iter().any(|&(vn, _)| b.coeff(vn) != 0) || any_related(a, b, related)
}

/// Hash-consing of value keys to value numbers, for one function.
#[derive(Default)]
pub(super) struct VnTable {
    keys: HashMap<Vec<u64>, Vn>,
    next: Vn,
}

impl VnTable {
    /// A number no other value has.
    pub(super) fn fresh(&mut self) -> Vn {
        self.next += 1;
        self.next
    }

    /// The number of `key` (the same key, the same number).
    pub(super) fn key(&mut self, key: Vec<u64>) -> Vn {
        if let Some(&vn) = self.keys.get(&key) {
            return vn;
        }
        let vn = self.fresh();
        self.keys.insert(key, vn);
        vn
    }

    /// The number of a form of `kind`: the term itself for a lone term.
    pub(super) fn form(&mut self, form: &Form, kind: Kind, ty: Ty) -> Vn {
        if form.any {
            return ANY;
        }
        if let [(vn, 1)] = form.terms[..] {
            if form.konst == identity(kind, ty) {
                return vn;
            }
        }
        let mut key = vec![
            0x100 + kind as u64,
            ty_code(ty),
            form.konst as u64,
            (form.konst >> 64) as u64,
        ];
        for &(vn, c) in &form.terms {
            key.push(u64::from(vn));
            key.push(c);
        }
        self.key(key)
    }
}

/// A number for a type, in keys.
pub(super) fn ty_code(ty: Ty) -> u64 {
    let kind = match ty {
        Ty::Int { .. } => 1,
        Ty::Float { .. } => 2,
        Ty::Ptr => 3,
        Ty::Struct(n) => 4 + (u64::from(n) << 4),
        Ty::Void => 5,
        Ty::Other => 6,
    };
    kind | u64::from(ty.lanes()) << 16 | u64::from(ty.lane_width()) << 24
}

#[cfg(test)]
mod tests {
    use super::*;

    const I32: Ty = Ty::Int {
        lanes: 1,
        width: 32,
    };

    #[test]
    fn sums_cancel() {
        let (a, b) = (Form::term(1, Kind::Add, I32), Form::term(2, Kind::Add, I32));
        let a_plus_b = add(&a, &b, I32);
        let minus_a = scale(&a, u64::MAX, I32);
        assert!(sum_cancels(&a_plus_b, &minus_a, I32, &|_, _| false));
        assert!(!sum_cancels(&a_plus_b, &a, I32, &|_, _| false));
        let b_only = add(&a_plus_b, &minus_a, I32);
        let mut t = VnTable::default();
        assert_eq!(t.form(&b_only, Kind::Add, I32), 2);
        let four = add(&add(&a, &Form::konst(2), I32), &Form::konst(2), I32);
        assert_eq!(
            t.form(&four, Kind::Add, I32),
            t.form(&add(&a, &Form::konst(4), I32), Kind::Add, I32)
        );
    }

    #[test]
    fn xors_and_unions() {
        let (a, b) = (Form::term(1, Kind::Xor, I32), Form::term(2, Kind::Xor, I32));
        let ab = xor(&a, &b);
        assert!(shares(&ab, &a, &|_, _| false));
        assert!(shares(&Form::term(3, Kind::Xor, I32), &a, &|x, y| x + y == 4));
        assert_eq!(xor(&ab, &a).terms, vec![(2, 1)]);
        let any = Form::term(ANY, Kind::Add, I32);
        assert!(sum_cancels(&any, &a, I32, &|_, _| false));
        assert!(!sum_cancels(&any, &Form::konst(3), I32, &|_, _| false));
        let and = union(
            &Form::term(1, Kind::And, I32),
            &Form::konst(0xff),
            Kind::And,
        );
        assert_eq!(and.konst, 0xff);
    }
}
