//! Import type matching (spec "import subtyping"): limits for tables and
//! memories, mutability and value subtyping for globals, exact signatures for
//! functions and tags. All reference types here are canonical (see `types`).

use tern_environ::{GlobalType, HeapType, MemoryType, RefType, TableType, ValType};

/// `actual` limits match `expected` ones.
pub fn limits_match(actual_min: u64, actual_max: Option<u64>, min: u64, max: Option<u64>) -> bool {
    actual_min >= min
        && match max {
            None => true,
            Some(max) => actual_max.is_some_and(|a| a <= max),
        }
}

/// Heap subtyping.
pub fn heap_subtype(a: HeapType, b: HeapType) -> bool {
    a == b
        || matches!(
            (a, b),
            (HeapType::NoFunc, HeapType::Func | HeapType::Concrete(_))
                | (HeapType::Concrete(_), HeapType::Func)
                | (HeapType::NoExtern, HeapType::Extern)
                | (HeapType::NoExn, HeapType::Exn)
        )
}

/// Reference subtyping.
pub fn ref_subtype(a: RefType, b: RefType) -> bool {
    (b.nullable || !a.nullable) && heap_subtype(a.heap, b.heap)
}

/// Value subtyping.
pub fn val_subtype(a: ValType, b: ValType) -> bool {
    match (a, b) {
        (ValType::Ref(a), ValType::Ref(b)) => ref_subtype(a, b),
        _ => a == b,
    }
}

/// A table of (current) type `actual` can be imported as `expected`.
pub fn table_matches(actual: &TableType, expected: &TableType) -> bool {
    actual.element == expected.element
        && actual.table64 == expected.table64
        && limits_match(
            actual.minimum,
            actual.maximum,
            expected.minimum,
            expected.maximum,
        )
}

/// A memory of (current) type `actual` can be imported as `expected`.
pub fn memory_matches(actual: &MemoryType, expected: &MemoryType) -> bool {
    actual.memory64 == expected.memory64
        && actual.shared == expected.shared
        && actual.page_size_log2 == expected.page_size_log2
        && limits_match(
            actual.minimum,
            actual.maximum,
            expected.minimum,
            expected.maximum,
        )
}

/// A global of type `actual` can be imported as `expected`.
pub fn global_matches(actual: &GlobalType, expected: &GlobalType) -> bool {
    actual.mutable == expected.mutable
        && if actual.mutable {
            actual.content == expected.content
        } else {
            val_subtype(actual.content, expected.content)
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mem(min: u64, max: Option<u64>) -> MemoryType {
        MemoryType {
            minimum: min,
            maximum: max,
            memory64: false,
            shared: false,
            page_size_log2: 16,
        }
    }

    #[test]
    fn memory_limits_subtyping() {
        assert!(memory_matches(&mem(2, Some(3)), &mem(1, None)));
        assert!(memory_matches(&mem(2, Some(3)), &mem(2, Some(3))));
        assert!(memory_matches(&mem(2, Some(3)), &mem(1, Some(4))));
        assert!(!memory_matches(&mem(1, Some(3)), &mem(2, None)));
        assert!(!memory_matches(&mem(2, None), &mem(1, Some(4))));
        assert!(!memory_matches(&mem(2, Some(5)), &mem(1, Some(4))));
        let mut shared = mem(1, Some(1));
        shared.shared = true;
        assert!(!memory_matches(&shared, &mem(1, Some(1))));
        let mut m64 = mem(1, None);
        m64.memory64 = true;
        assert!(!memory_matches(&m64, &mem(1, None)));
    }

    #[test]
    fn table_element_types_must_be_equal() {
        let t = |element, min, max| TableType {
            element,
            minimum: min,
            maximum: max,
            table64: false,
        };
        assert!(table_matches(
            &t(RefType::FUNCREF, 10, Some(20)),
            &t(RefType::FUNCREF, 5, Some(20))
        ));
        assert!(!table_matches(
            &t(RefType::FUNCREF, 10, Some(20)),
            &t(RefType::EXTERNREF, 5, None)
        ));
        assert!(!table_matches(
            &t(RefType::FUNCREF, 10, None),
            &t(RefType::FUNCREF, 5, Some(20))
        ));
    }

    #[test]
    fn global_mutability_and_subtyping() {
        let g = |content, mutable| GlobalType { content, mutable };
        assert!(global_matches(
            &g(ValType::I32, false),
            &g(ValType::I32, false)
        ));
        assert!(!global_matches(
            &g(ValType::I32, true),
            &g(ValType::I32, false)
        ));
        assert!(!global_matches(
            &g(ValType::I32, false),
            &g(ValType::I64, false)
        ));
        let nonnull_func = ValType::Ref(RefType {
            nullable: false,
            heap: HeapType::Func,
        });
        assert!(global_matches(
            &g(nonnull_func, false),
            &g(ValType::FUNCREF, false)
        ));
        assert!(!global_matches(
            &g(nonnull_func, true),
            &g(ValType::FUNCREF, true)
        ));
        assert!(!global_matches(
            &g(ValType::FUNCREF, false),
            &g(nonnull_func, false)
        ));
    }
}
