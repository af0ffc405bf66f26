//! Where loads and stores go, and what an optimizer may do with them: a
//! load may take its value from an earlier store to the same place
//! (forwarding), a store may be deleted when a later store overwrites it
//! before anything reads it.

use super::super::bits::Ty;
use super::super::cfg::Cfg;
use super::super::forms::{self, ty_code, Form, Kind, Vn, ANY};
use super::super::mirror::{Arg, BinOp, Callee, CastOp, Func, Op, Vid};
use super::{copy_fact, through_bitcasts, value_ty, Fact, Facts, Leaves};

/// Where a memory access goes: `base + Σ terms + konst`, `size` bytes. Two
/// accesses with the same base and terms may be the same location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(in super::super) struct Place {
    /// The value number of the base pointer.
    pub base: Vn,
    /// The variable part of the offset.
    pub terms: Vec<(Vn, u64)>,
    /// The constant part.
    pub konst: u64,
    /// Bytes accessed.
    pub size: u64,
    /// Linear memory (the translator's tag) or not.
    pub memory: bool,
}

/// More candidate stores than this for one access are not examined one by
/// one: the access is treated as the cautious answer (forwarded from one of
/// them, or overwritten), which keeps big functions linear.
const MAX_CANDIDATES: usize = 8;

/// With more stores than this to places that may overlap, each of them is
/// taken as possibly overwritten and each load of such a place as possibly
/// forwarded, without looking (big generated functions).
const MAX_STORES_PER_PLACE: usize = 64;

/// Places that may overlap have the same key (base, variable part, region).
pub(in super::super) type PlaceKey = (Vn, Vec<(Vn, u64)>, bool);

impl Place {
    /// The key of the places this one may overlap.
    pub(in super::super) fn key(&self) -> PlaceKey {
        (self.base, self.terms.clone(), self.memory)
    }

    /// Whether `self` may cover every byte of `other`.
    pub(in super::super) fn covers(&self, other: &Place) -> bool {
        self.base == other.base
            && self.terms == other.terms
            && self.memory == other.memory
            && self.konst <= other.konst
            && other.konst + other.size <= self.konst + self.size
    }
}

/// Where load or store `v` goes.
pub(super) fn place(f: &Func, facts: &Facts, v: Vid) -> Option<Place> {
    let inst = &f.insts[v as usize];
    let (ptr, ty, memory) = match inst.op {
        Op::Load { memory } => (inst.args.first()?, inst.ty, memory),
        Op::Store { memory } => (inst.args.get(1)?, value_ty(f, &inst.args[0])?, memory),
        _ => return None,
    };
    let size = u64::from(ty.bits().div_ceil(8));
    let (base, offset) = match ptr {
        Arg::Val(p) => match &f.insts[*p as usize].op {
            Op::Gep if f.insts[*p as usize].args.len() == 2 => {
                let args = &f.insts[*p as usize].args;
                (facts.vn(&args[0]), Some(args[1]))
            }
            _ => (facts.vn(ptr), None),
        },
        _ => (ANY, None),
    };
    let mut p = Place {
        base,
        terms: Vec::new(),
        konst: 0,
        size,
        memory,
    };
    if let Some(offset) = offset {
        let form = offset_form(f, facts, &offset);
        if form.any {
            p.terms = vec![(ANY, 1)];
        } else {
            p.terms = form.terms;
            p.konst = form.konst as u64;
        }
    }
    Some(p)
}

/// The form of an address offset, looking through `zext` (as if the 32-bit
/// index never wrapped: an optimizer proving more equalities is covered)
/// and `add` of constants.
fn offset_form(f: &Func, facts: &Facts, a: &Arg) -> Form {
    let i64_ty = Ty::Int {
        lanes: 1,
        width: 64,
    };
    if let Arg::Val(v) = a {
        let inst = &f.insts[*v as usize];
        match inst.op {
            Op::Cast(CastOp::ZExt) => {
                let inner_ty = value_ty(f, &inst.args[0]).unwrap_or(i64_ty);
                let mut form = facts.form(&inst.args[0], Kind::Add, inner_ty);
                form.konst &= inner_ty.all();
                return form;
            }
            Op::Bin(BinOp::Add) => {
                let x = offset_form(f, facts, &inst.args[0]);
                let y = offset_form(f, facts, &inst.args[1]);
                return forms::add(&x, &y, i64_ty);
            }
            _ => {}
        }
    }
    facts.form(a, Kind::Add, i64_ty)
}

/// Stores an optimizer may delete: a later store to a place covering this
/// one on every path to a return with nothing in between that certainly
/// reads it (a call, a load of an overlapping place), or a store of the
/// value just loaded from the same place.
pub(super) fn dead_stores(f: &Func, cfg: &Cfg, facts: &Facts, stores: &[Vid]) -> Vec<Vid> {
    let mut dead = Vec::new();
    for &s in stores {
        let place = &facts.places[&s];
        let block = f.insts[s as usize].block;
        let same_place = facts
            .store_index
            .get(&place.key())
            .map_or(&[][..], |v| &v[..]);
        if same_place.len() > MAX_STORES_PER_PLACE {
            dead.push(s);
            continue;
        }
        let killers: Vec<Vid> = same_place
            .iter()
            .copied()
            .filter(|&t| {
                let (tb, tp) = (f.insts[t as usize].block, &facts.places[&t]);
                t != s
                    && tp.covers(place)
                    && if tb == block {
                        t > s
                    } else {
                        cfg.ret_post_dominates(tb, block)
                    }
            })
            .take(MAX_CANDIDATES + 1)
            .collect();
        let overwritten = killers.len() > MAX_CANDIDATES
            || killers
                .iter()
                .any(|&t| !read_between(f, facts, s, t, place));
        let value = &f.insts[s as usize].args[0];
        let noop = match through_bitcasts(f, value) {
            Arg::Val(l) => {
                matches!(f.insts[l as usize].op, Op::Load { .. })
                    && facts.places.get(&l).is_some_and(|lp| lp == place)
            }
            _ => false,
        };
        if overwritten || noop {
            dead.push(s);
        }
    }
    dead
}

/// Whether some path from store `s` to store `t` certainly reads `place`:
/// passes a call (tern's functions all may read memory) or a load of an
/// overlapping place.
fn read_between(f: &Func, facts: &Facts, s: Vid, t: Vid, place: &Place) -> bool {
    let reads = |v: Vid| {
        let inst = &f.insts[v as usize];
        match inst.op {
            Op::Call(Callee::Opaque | Callee::Defined(_)) => true,
            Op::Load { .. } => facts.places.get(&v).is_some_and(|p| {
                p.base == place.base
                    && p.terms == place.terms
                    && p.memory == place.memory
                    && p.konst < place.konst + place.size
                    && place.konst < p.konst + p.size
            }),
            _ => false,
        }
    };
    let (sb, tb) = (f.insts[s as usize].block, f.insts[t as usize].block);
    if sb == tb && s < t {
        return (s + 1..t).any(reads);
    }
    // Blocks reachable from `s` before `t`.
    let block = &f.blocks[sb as usize];
    if (s + 1..block.end).any(reads) {
        return true;
    }
    let mut seen = vec![false; f.blocks.len()];
    let mut work: Vec<u32> = block.succs.clone();
    while let Some(b) = work.pop() {
        if std::mem::replace(&mut seen[b as usize], true) {
            continue;
        }
        let blk = &f.blocks[b as usize];
        if b == tb {
            if (blk.start..t).any(reads) {
                return true;
            }
            continue;
        }
        if (blk.start..blk.end).any(reads) {
            return true;
        }
        work.extend(blk.succs.iter().copied());
    }
    false
}

/// Whether some path from `s` reaches `v` (later in the function) without
/// passing a call: every call may write memory (tern's functions all may
/// call builtins), so without such a path nothing is forwarded from `s`.
fn path_without_call(f: &Func, s: Vid, v: Vid) -> bool {
    let is_call = |x: Vid| {
        matches!(
            f.insts[x as usize].op,
            Op::Call(Callee::Opaque | Callee::Defined(_))
        )
    };
    let (sb, vb) = (f.insts[s as usize].block, f.insts[v as usize].block);
    if sb == vb && s < v && !(s + 1..v).any(is_call) {
        return true;
    }
    let block = &f.blocks[sb as usize];
    if (s + 1..block.end).any(is_call) {
        return false;
    }
    let mut seen = vec![false; f.blocks.len()];
    let mut work: Vec<u32> = block.succs.clone();
    while let Some(b) = work.pop() {
        if std::mem::replace(&mut seen[b as usize], true) {
            continue;
        }
        let blk = &f.blocks[b as usize];
        if b == vb && !(blk.start..v).any(is_call) {
            return true;
        }
        if (blk.start..blk.end).any(is_call) {
            continue;
        }
        work.extend(blk.succs.iter().copied());
    }
    false
}

/// A load: a fresh value per place, unless a dominating store to a place
/// covering it may be forwarded to it.
pub(super) fn load_fact(f: &Func, cfg: &Cfg, facts: &mut Facts, v: Vid) -> Fact {
    let ty = f.insts[v as usize].ty;
    let Some(place) = place(f, facts, v) else {
        let vn = facts.facts[v as usize].vn;
        return Fact::opaque(vn, ty);
    };
    let block = f.insts[v as usize].block;
    // The most recent stores first: the nearest ones decide.
    let same_place = facts
        .store_index
        .get(&place.key())
        .map_or(&[][..], |v| &v[..]);
    if same_place.len() > MAX_STORES_PER_PLACE {
        facts.places.insert(v, place);
        facts.forwarded[v as usize] = Some(None);
        return Fact {
            leaves: Leaves::many(),
            ..Fact::unknown(ANY)
        };
    }
    let candidates: Vec<Vid> = same_place
        .iter()
        .rev()
        .copied()
        .filter(|&s| {
            let sb = f.insts[s as usize].block;
            facts.places[&s].covers(&place)
                && if sb == block {
                    s < v
                } else {
                    cfg.dominates(sb, block)
                }
        })
        .take(MAX_CANDIDATES + 1)
        .collect();
    let sources: Vec<Vid> = if candidates.len() > MAX_CANDIDATES {
        candidates
    } else {
        candidates
            .into_iter()
            .filter(|&s| path_without_call(f, s, v))
            .collect()
    };
    facts.places.insert(v, place.clone());
    match sources.as_slice() {
        [] => {
            let mut key = vec![0x400, ty_code(ty), u64::from(place.base), place.konst];
            key.push(u64::from(place.memory));
            for (vn, c) in &place.terms {
                key.push(u64::from(*vn));
                key.push(*c);
            }
            let vn = facts.table.key(key);
            Fact::opaque(vn, ty)
        }
        [s] if facts.places[s] == place
            && value_ty(f, &f.insts[*s as usize].args[0]) == Some(ty) =>
        {
            let stored = f.insts[*s as usize].args[0];
            facts.forwarded[v as usize] = Some(Some(stored));
            copy_fact(facts, &stored)
        }
        _ => {
            facts.forwarded[v as usize] = Some(None);
            Fact {
                leaves: Leaves::many(),
                ..Fact::unknown(ANY)
            }
        }
    }
}
