//! What of the GC proposal tern refuses. Validation runs with wasmparser's
//! `GC` feature on (Wasm 3.0 moved rec groups, iso-recursive type identity
//! and `global.get` of defined globals in constant expressions into it), so
//! everything that needs a collector is refused here instead, as
//! "unsupported feature: gc": struct and array types, declared subtyping,
//! and the GC operators. (`any`/`eq`/`i31`/`struct`/`array`/`none`
//! references are refused by the type conversions in `convert`.)

use super::convert;
use crate::error::{CompileError, Result};
use tern_environ::FuncType;
use wasmparser::{CompositeInnerType, Operator, RecGroup};

fn gc(what: &str) -> CompileError {
    CompileError::Unsupported {
        feature: format!("gc ({what})"),
    }
}

/// The function types of one rec group.
///
/// # Errors
/// `Unsupported` ("gc ...") for struct/array types and declared subtyping.
pub fn rec_group_func_types(group: &RecGroup) -> Result<Vec<FuncType>> {
    group
        .types()
        .map(|sub| {
            if !sub.is_final || !sub.supertype_idxs.is_empty() {
                return Err(gc("subtyping"));
            }
            if sub.composite_type.shared {
                return Err(CompileError::Unsupported {
                    feature: "shared-everything-threads".into(),
                });
            }
            match &sub.composite_type.inner {
                CompositeInnerType::Func(f) => convert::func_type(f),
                CompositeInnerType::Struct(_) => Err(gc("struct type")),
                CompositeInnerType::Array(_) => Err(gc("array type")),
                CompositeInnerType::Cont(_) => Err(CompileError::Unsupported {
                    feature: "stack-switching".into(),
                }),
            }
        })
        .collect()
}

/// Whether `op` belongs to the GC proposal (objects, `i31`, casts).
pub fn is_gc_operator(op: &Operator<'_>) -> bool {
    let name = format!("{op:?}");
    [
        "Struct",
        "Array",
        "RefI31",
        "I31Get",
        "RefTest",
        "RefCast",
        "BrOnCast",
        "AnyConvertExtern",
        "ExternConvertAny",
        "RefEq",
    ]
    .iter()
    .any(|prefix| name.starts_with(prefix))
}

/// `Unsupported` naming `op` as a GC operator.
pub fn gc_operator(op: &Operator<'_>) -> CompileError {
    let name = format!("{op:?}");
    let name = name.split([' ', '{', '(']).next().unwrap_or_default();
    gc(&format!("operator `{name}`"))
}
