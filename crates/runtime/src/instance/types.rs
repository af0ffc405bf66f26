//! Canonical signature ids: every function type is interned structurally
//! across all modules of the process, so `call_indirect` and import matching
//! compare one integer.

use std::collections::HashMap;
use std::sync::Mutex;

use tern_environ::{FuncType, HeapType, RefType, ValType};

struct Registry {
    ids: HashMap<FuncType, u32>,
    types: Vec<FuncType>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

/// Marks a reference to a type index that could not be canonicalized.
const UNRESOLVED: u32 = 0x8000_0000;

/// The canonical id of an already canonical `ty`.
pub fn intern(ty: &FuncType) -> u32 {
    let mut guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let reg = guard.get_or_insert_with(|| Registry {
        ids: HashMap::new(),
        types: Vec::new(),
    });
    if let Some(id) = reg.ids.get(ty) {
        return *id;
    }
    let id = reg.types.len() as u32;
    reg.types.push(ty.clone());
    reg.ids.insert(ty.clone(), id);
    id
}

/// The type with canonical id `id`.
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
            HeapType::Concrete(ids.get(i as usize).copied().unwrap_or(UNRESOLVED | i))
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

/// Canonical ids of a module's types, in type-index order.
pub fn canonicalize_module_types(types: &[FuncType]) -> Vec<u32> {
    let mut ids = Vec::with_capacity(types.len());
    for ty in types {
        let canon = FuncType {
            params: ty.params.iter().map(|v| canonical_val(*v, &ids)).collect(),
            results: ty.results.iter().map(|v| canonical_val(*v, &ids)).collect(),
        };
        ids.push(intern(&canon));
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
        let m1 = canonicalize_module_types(&[a.clone(), b.clone()]);
        let m2 = canonicalize_module_types(&[b, a]);
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
        let m1 = canonicalize_module_types(&[f.clone(), r(0)]);
        let m2 = canonicalize_module_types(&[
            FuncType {
                params: vec![ValType::F32],
                results: vec![],
            },
            f,
            r(1),
        ]);
        assert_eq!(m1[1], m2[2]);
    }
}
