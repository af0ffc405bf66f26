//! Conversions from wasmparser's types to the `tern_environ` forms stored in
//! [`tern_environ::ModuleInfo`]. Pure data mapping: no validation happens here
//! (the module has been validated by the time these run), so anything outside
//! the supported feature set is reported, not guessed.

use crate::error::{CompileError, Result};
use tern_environ::{
    ConstExpr, ConstOp, FuncType, GlobalType, HeapType, MemoryType, RefType, TableType, ValType,
};

/// Converts a value type.
///
/// # Errors
/// Fails on types outside the supported feature set (e.g. GC types).
pub fn val_type(ty: wasmparser::ValType) -> Result<ValType> {
    Ok(match ty {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        wasmparser::ValType::Ref(r) => ValType::Ref(ref_type(r)?),
    })
}

/// Converts a reference type.
///
/// # Errors
/// Fails on heap types outside the supported feature set.
pub fn ref_type(ty: wasmparser::RefType) -> Result<RefType> {
    Ok(RefType {
        nullable: ty.is_nullable(),
        heap: heap_type(ty.heap_type())?,
    })
}

/// Converts a heap type.
///
/// # Errors
/// Fails on heap types outside the supported feature set.
pub fn heap_type(ty: wasmparser::HeapType) -> Result<HeapType> {
    use wasmparser::AbstractHeapType as A;
    match ty {
        wasmparser::HeapType::Abstract { shared: false, ty } => match ty {
            A::Func => Ok(HeapType::Func),
            A::Extern => Ok(HeapType::Extern),
            A::Exn => Ok(HeapType::Exn),
            A::NoFunc => Ok(HeapType::NoFunc),
            A::NoExtern => Ok(HeapType::NoExtern),
            A::NoExn => Ok(HeapType::NoExn),
            other => Err(unsupported(format!("gc (heap type {other:?})"))),
        },
        // Sections give module type indices. Types the validator hands out
        // (locals, operand types) are canonicalised to its own ids; those
        // only decide the LLVM type and the kind of a saved value, so any
        // function type will do (tern has no other concrete types).
        wasmparser::HeapType::Concrete(idx) | wasmparser::HeapType::Exact(idx) => Ok(idx
            .as_module_index()
            .map_or(HeapType::Func, HeapType::Concrete)),
        wasmparser::HeapType::Abstract { shared: true, .. } => {
            Err(unsupported("shared-everything-threads".into()))
        }
    }
}

/// Converts a function type.
///
/// # Errors
/// Fails on types outside the supported feature set.
pub fn func_type(ty: &wasmparser::FuncType) -> Result<FuncType> {
    Ok(FuncType {
        params: ty
            .params()
            .iter()
            .map(|t| val_type(*t))
            .collect::<Result<_>>()?,
        results: ty
            .results()
            .iter()
            .map(|t| val_type(*t))
            .collect::<Result<_>>()?,
    })
}

/// Converts a table type.
///
/// # Errors
/// Fails on element types outside the supported feature set.
pub fn table_type(ty: &wasmparser::TableType) -> Result<TableType> {
    Ok(TableType {
        element: ref_type(ty.element_type)?,
        minimum: ty.initial,
        maximum: ty.maximum,
        table64: ty.table64,
    })
}

/// Converts a memory type.
pub fn memory_type(ty: &wasmparser::MemoryType) -> MemoryType {
    MemoryType {
        minimum: ty.initial,
        maximum: ty.maximum,
        memory64: ty.memory64,
        shared: ty.shared,
        // Page sizes are 1 or 64 KiB, so the log fits comfortably.
        page_size_log2: ty.page_size_log2() as u8,
    }
}

/// Converts a global type.
///
/// # Errors
/// Fails on value types outside the supported feature set.
pub fn global_type(ty: &wasmparser::GlobalType) -> Result<GlobalType> {
    Ok(GlobalType {
        content: val_type(ty.content_type)?,
        mutable: ty.mutable,
    })
}

/// Converts a constant expression into the runtime's little stack program.
///
/// # Errors
/// Fails on malformed bytes or operators outside the constant subset.
pub fn const_expr(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr> {
    use wasmparser::Operator as O;
    let mut ops = Vec::new();
    let mut reader = expr.get_operators_reader();
    while !reader.eof() {
        let offset = reader.original_position() as usize;
        let op = reader.read().map_err(super::malformed)?;
        ops.push(match op {
            O::I32Const { value } => ConstOp::I32Const(value),
            O::I64Const { value } => ConstOp::I64Const(value),
            O::F32Const { value } => ConstOp::F32Const(value.bits()),
            O::F64Const { value } => ConstOp::F64Const(value.bits()),
            O::V128Const { value } => ConstOp::V128Const(value.i128() as u128),
            O::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
            O::RefNull { hty } => ConstOp::RefNull(heap_type(hty)?),
            O::RefFunc { function_index } => ConstOp::RefFunc(function_index),
            O::I32Add => ConstOp::I32Add,
            O::I32Sub => ConstOp::I32Sub,
            O::I32Mul => ConstOp::I32Mul,
            O::I64Add => ConstOp::I64Add,
            O::I64Sub => ConstOp::I64Sub,
            O::I64Mul => ConstOp::I64Mul,
            O::End => break,
            other if super::gc::is_gc_operator(&other) => {
                return Err(super::gc::gc_operator(&other))
            }
            other => {
                return Err(CompileError::Invalid {
                    offset,
                    message: format!("operator {other:?} is not allowed in a constant expression"),
                })
            }
        });
    }
    Ok(ConstExpr(ops))
}

fn unsupported(feature: String) -> CompileError {
    CompileError::Unsupported { feature }
}
