//! Canonical signature ids: every function type is interned structurally
//! across all modules of the process, so `call_indirect` and import matching
//! compare one integer.

use std::collections::HashMap;
use std::sync::Mutex;

use tern_environ::{FuncType, HeapType, RefType, ValType};

struct Registry {
    ids: HashMap<(Vec<FuncType>, u32), u32>,
    types: Vec<FuncType>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

/// Marks a reference to a type of the same rec group (the low bits are the
/// index inside the group), so that iso-recursive groups intern structurally.
const REC_RELATIVE: u32 = 0x8000_0000;

/// The canonical id of type `index` of rec group `group`, whose references
/// are canonical ids or [`REC_RELATIVE`] indices.
fn intern_in_group(group: &[FuncType], index: u32) -> u32 {
    let mut guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let reg = guard.get_or_insert_with(|| Registry {
        ids: HashMap::new(),
        types: Vec::new(),
    });
    let key = (group.to_vec(), index);
    if let Some(id) = reg.ids.get(&key) {
        return *id;
    }
    let id = reg.types.len() as u32;
    reg.types.push(group[index as usize].clone());
    reg.ids.insert(key, id);
    id
}

/// The canonical id of an already canonical `ty` alone in its rec group
/// (host functions).
pub fn intern(ty: &FuncType) -> u32 {
    intern_in_group(std::slice::from_ref(ty), 0)
}

/// The type with canonical id `id` (references inside its own rec group
/// are marked relative).
pub fn lookup(id: u32) -> Option<FuncType> {
    let guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    guard
        .as_ref()
        .and_then(|r| r.types.get(id as usize).cloned())
}

/// Rewrites module-relative concrete type indices to canonical ids.
pub fn canonical_heap(heap: HeapType, ids: &[u32]) -> HeapType {
    match heap {
        HeapType::Concrete(i) => {
            HeapType::Concrete(ids.get(i as usize).copied().unwrap_or(REC_RELATIVE | i))
        }
        other => other,
    }
}

/// [`canonical_heap`] for a reference type.
pub fn canonical_ref(ty: RefType, ids: &[u32]) -> RefType {
    RefType {
        nullable: ty.nullable,
        heap: canonical_heap(ty.heap, ids),
    }
}

/// [`canonical_heap`] for a value type.
pub fn canonical_val(ty: ValType, ids: &[u32]) -> ValType {
    match ty {
        ValType::Ref(r) => ValType::Ref(canonical_ref(r, ids)),
        other => other,
    }
}

/// A reference of a type in the rec group starting at `start`: earlier
/// types by canonical id, the group's own types relative to `start`.
fn group_val(ty: ValType, ids: &[u32], start: u32) -> ValType {
    match ty {
        ValType::Ref(RefType {
            nullable,
            heap: HeapType::Concrete(i),
        }) if i >= start => ValType::Ref(RefType {
            nullable,
            heap: HeapType::Concrete(REC_RELATIVE | (i - start)),
        }),
        other => canonical_val(other, ids),
    }
}

/// Canonical ids of a module's types, in type-index order. `rec_groups`
/// holds the size of each rec group (types not covered form groups of
/// one): two types are the same when their groups are structurally equal
/// and they sit at the same place in them (iso-recursive equivalence).
pub fn canonicalize_module_types(types: &[FuncType], rec_groups: &[u32]) -> Vec<u32> {
    let mut ids: Vec<u32> = Vec::with_capacity(types.len());
    let mut sizes = rec_groups.iter().copied().filter(|s| *s > 0);
    while ids.len() < types.len() {
        let start = ids.len();
        let size = sizes
            .next()
            .map_or(1, |s| s as usize)
            .min(types.len() - start);
        let group: Vec<FuncType> = types[start..start + size]
            .iter()
            .map(|ty| FuncType {
                params: ty
                    .params
                    .iter()
                    .map(|v| group_val(*v, &ids, start as u32))
                    .collect(),
                results: ty
                    .results
                    .iter()
                    .map(|v| group_val(*v, &ids, start as u32))
                    .collect(),
            })
            .collect();
        for index in 0..size {
            let id = intern_in_group(&group, index as u32);
            ids.push(id);
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structurally_equal_types_share_ids() {
        let a = FuncType {
            params: vec![ValType::I32],
            results: vec![ValType::I64],
        };
        let b = FuncType {
            params: vec![ValType::I64],
            results: vec![],
        };
        let m1 = canonicalize_module_types(&[a.clone(), b.clone()], &[]);
        let m2 = canonicalize_module_types(&[b, a], &[]);
        assert_eq!(m1[0], m2[1]);
        assert_eq!(m1[1], m2[0]);
        assert_ne!(m1[0], m1[1]);
    }

    #[test]
    fn concrete_references_are_canonical() {
        let f = FuncType::default();
        let r = |i| FuncType {
            params: vec![ValType::Ref(RefType {
                nullable: true,
                heap: HeapType::Concrete(i),
            })],
            results: vec![],
        };
        let m1 = canonicalize_module_types(&[f.clone(), r(0)], &[]);
        let m2 = canonicalize_module_types(
            &[
                FuncType {
                    params: vec![ValType::F32],
                    results: vec![],
                },
                f,
                r(1),
            ],
            &[],
        );
        assert_eq!(m1[1], m2[2]);
    }

    #[test]
    fn rec_groups_are_iso_recursive() {
        let r = |i| FuncType {
            params: vec![
                ValType::I32,
                ValType::Ref(RefType {
                    nullable: false,
                    heap: HeapType::Concrete(i),
                }),
            ],
            results: vec![],
        };
        // (rec $t1 -> $t3, $t2 -> $t1, $t3 -> $t2), twice, at other offsets.
        let m1 = canonicalize_module_types(&[r(2), r(0), r(1)], &[3]);
        let m2 = canonicalize_module_types(&[FuncType::default(), r(3), r(1), r(2)], &[1, 3]);
        assert_eq!(&m1[..], &m2[1..]);
        assert_ne!(m1[0], m1[1]);
        // A group of one referring to itself is another type.
        let m3 = canonicalize_module_types(&[r(0)], &[1]);
        assert_ne!(m3[0], m1[0]);
    }
}
