//! Wrappers that make an invocation's effect on the instance visible in its
//! results, for differential tests against runtimes whose command line
//! prints nothing but results (`vs_wasmtime.rs`).
//!
//! For an exported function `f`, `with_state_exports` adds an export that
//! takes `f`'s parameters, calls `f`, and returns `f`'s results followed by
//! an `i64` digest of the instance's state afterwards: every global (numbers
//! and vectors by bits, references by nullness), every table's size, and
//! every memory's size and bytes (the first `MEMORY_DIGEST_CAP` of them, so
//! a memory grown to gigabytes does not take minutes to digest under qemu).
//! A trap in `f` traps the wrapper the same way, so traps still compare.

use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    CodeSection, ExportKind, ExportSection, Function, FunctionSection, Instruction, MemArg, Module,
    RawSection, TypeSection, ValType,
};
use wasmparser::{Parser, Payload};

/// Bytes of each memory the digest reads.
const MEMORY_DIGEST_CAP: u64 = 4 << 20;
/// FNV-1a's 64-bit parameters.
const OFFSET_BASIS: i64 = 0xcbf2_9ce4_8422_2325_u64 as i64;
const PRIME: i64 = 0x0000_0100_0000_01b3;

/// What the digest needs to know of the module.
#[derive(Default)]
struct Shape {
    /// Parameters and results of each function type (GC is off, so every
    /// type is a function type).
    types: Vec<(Vec<ValType>, Vec<ValType>)>,
    /// The type of each function.
    func_types: Vec<u32>,
    globals: Vec<ValType>,
    /// Whether each table is 64-bit.
    tables: Vec<bool>,
    /// Whether each memory is 64-bit.
    memories: Vec<bool>,
    exports: Vec<(String, u32)>,
}

fn shape(wasm: &[u8]) -> Shape {
    let mut r = RoundtripReencoder;
    let mut shape = Shape::default();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.expect("a generated module parses") {
            Payload::TypeSection(reader) => {
                for group in reader.into_iter().flatten() {
                    for sub in group.into_types() {
                        let func = sub.unwrap_func();
                        let mut convert = |ts: &[wasmparser::ValType]| -> Vec<ValType> {
                            ts.iter().map(|t| r.val_type(*t).unwrap()).collect()
                        };
                        shape
                            .types
                            .push((convert(func.params()), convert(func.results())));
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                shape.func_types.extend(reader.into_iter().flatten())
            }
            Payload::GlobalSection(reader) => {
                for global in reader.into_iter().flatten() {
                    shape
                        .globals
                        .push(r.val_type(global.ty.content_type).unwrap());
                }
            }
            Payload::TableSection(reader) => {
                shape
                    .tables
                    .extend(reader.into_iter().flatten().map(|t| t.ty.table64));
            }
            Payload::MemorySection(reader) => {
                shape
                    .memories
                    .extend(reader.into_iter().flatten().map(|m| m.memory64));
            }
            Payload::ExportSection(reader) => {
                for export in reader.into_iter().flatten() {
                    if export.kind == wasmparser::ExternalKind::Func {
                        shape.exports.push((export.name.to_string(), export.index));
                    }
                }
            }
            _ => {}
        }
    }
    shape
}

/// `wasm` with a state-reporting wrapper for each export in `exports`
/// (names of exported functions), and the wrappers' names in the same
/// order. Panics on a module with imports (generated ones have none).
pub fn with_state_exports(wasm: &[u8], exports: &[&str]) -> (Vec<u8>, Vec<String>) {
    let shape = shape(wasm);
    let targets: Vec<u32> = exports
        .iter()
        .map(|name| {
            let (_, index) = shape.exports.iter().find(|(n, _)| n == name).unwrap();
            *index
        })
        .collect();
    let names: Vec<String> = (0..targets.len())
        .map(|k| format!("tern-state-{k}"))
        .collect();
    let first_new_type = shape.types.len() as u32;
    let first_new_func = shape.func_types.len() as u32;
    let mut r = RoundtripReencoder;
    let mut module = Module::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.unwrap();
        match payload {
            Payload::TypeSection(reader) => {
                let mut types = TypeSection::new();
                r.parse_type_section(&mut types, reader).unwrap();
                for &f in &targets {
                    let (params, results) = &shape.types[shape.func_types[f as usize] as usize];
                    let results: Vec<ValType> =
                        results.iter().copied().chain([ValType::I64]).collect();
                    types.ty().function(params.iter().copied(), results);
                }
                module.section(&types);
            }
            Payload::FunctionSection(reader) => {
                let mut funcs = FunctionSection::new();
                r.parse_function_section(&mut funcs, reader).unwrap();
                for k in 0..targets.len() as u32 {
                    funcs.function(first_new_type + k);
                }
                module.section(&funcs);
            }
            Payload::ExportSection(reader) => {
                let mut section = ExportSection::new();
                r.parse_export_section(&mut section, reader).unwrap();
                for (k, name) in names.iter().enumerate() {
                    section.export(name, ExportKind::Func, first_new_func + k as u32);
                }
                module.section(&section);
            }
            Payload::CodeSectionStart {
                unchecked_range: range,
                ..
            } => {
                let (start, end) = (range.start as usize, range.end as usize);
                let bytes = &wasm[start..end];
                let reader = wasmparser::CodeSectionReader::new(wasmparser::BinaryReader::new(
                    bytes,
                    range.start,
                ))
                .unwrap();
                let mut code = CodeSection::new();
                r.parse_code_section(&mut code, reader).unwrap();
                for &f in &targets {
                    code.function(&wrapper(&shape, f));
                }
                module.section(&code);
            }
            Payload::CodeSectionEntry(_) | Payload::End(_) => {}
            Payload::ImportSection(reader) if reader.count() > 0 => {
                panic!("generated modules import nothing")
            }
            other => {
                if let Some((id, range)) = other.as_section() {
                    module.section(&RawSection {
                        id,
                        data: &wasm[range.start as usize..range.end as usize],
                    });
                }
            }
        }
    }
    (module.finish(), names)
}

/// The body of `f`'s wrapper: call, then fold the state into the digest.
fn wrapper(shape: &Shape, f: u32) -> Function {
    let (params, _) = &shape.types[shape.func_types[f as usize] as usize];
    let n = params.len() as u32;
    // Locals after the parameters: the digest, a memory cursor, its end,
    // and a vector to read lanes of.
    let (digest, cursor, end, vector) = (n, n + 1, n + 2, n + 3);
    let mut func = Function::new([(3, ValType::I64), (1, ValType::V128)]);
    let mut emit = |i: Instruction| {
        func.instruction(&i);
    };
    for p in 0..n {
        emit(Instruction::LocalGet(p));
    }
    emit(Instruction::Call(f));
    emit(Instruction::I64Const(OFFSET_BASIS));
    emit(Instruction::LocalSet(digest));
    // Each `mix` leaves an i64 on the stack, then folds it in.
    let mix = |emit: &mut dyn FnMut(Instruction)| {
        emit(Instruction::LocalGet(digest));
        emit(Instruction::I64Xor);
        emit(Instruction::I64Const(PRIME));
        emit(Instruction::I64Mul);
        emit(Instruction::LocalSet(digest));
    };
    for (g, ty) in shape.globals.iter().enumerate() {
        emit(Instruction::GlobalGet(g as u32));
        match ty {
            ValType::I32 => emit(Instruction::I64ExtendI32U),
            ValType::I64 => {}
            ValType::F32 => {
                emit(Instruction::I32ReinterpretF32);
                emit(Instruction::I64ExtendI32U);
            }
            ValType::F64 => emit(Instruction::I64ReinterpretF64),
            ValType::V128 => {
                emit(Instruction::LocalTee(vector));
                emit(Instruction::I64x2ExtractLane(0));
                mix(&mut emit);
                emit(Instruction::LocalGet(vector));
                emit(Instruction::I64x2ExtractLane(1));
            }
            ValType::Ref(_) => {
                emit(Instruction::RefIsNull);
                emit(Instruction::I64ExtendI32U);
            }
        }
        mix(&mut emit);
    }
    for (t, &table64) in shape.tables.iter().enumerate() {
        emit(Instruction::TableSize(t as u32));
        if !table64 {
            emit(Instruction::I64ExtendI32U);
        }
        mix(&mut emit);
    }
    for (m, &memory64) in shape.memories.iter().enumerate() {
        let m = m as u32;
        emit(Instruction::MemorySize(m));
        if !memory64 {
            emit(Instruction::I64ExtendI32U);
        }
        emit(Instruction::LocalTee(end));
        mix(&mut emit);
        // end = min(pages * 64 KiB, cap); cursor = 0
        emit(Instruction::LocalGet(end));
        emit(Instruction::I64Const(16));
        emit(Instruction::I64Shl);
        emit(Instruction::I64Const(MEMORY_DIGEST_CAP as i64));
        emit(Instruction::LocalGet(end));
        emit(Instruction::I64Const(16));
        emit(Instruction::I64Shl);
        emit(Instruction::I64Const(MEMORY_DIGEST_CAP as i64));
        emit(Instruction::I64LtU);
        emit(Instruction::Select);
        emit(Instruction::LocalSet(end));
        emit(Instruction::I64Const(0));
        emit(Instruction::LocalSet(cursor));
        emit(Instruction::Block(wasm_encoder::BlockType::Empty));
        emit(Instruction::Loop(wasm_encoder::BlockType::Empty));
        emit(Instruction::LocalGet(cursor));
        emit(Instruction::LocalGet(end));
        emit(Instruction::I64GeU);
        emit(Instruction::BrIf(1));
        emit(Instruction::LocalGet(cursor));
        if !memory64 {
            emit(Instruction::I32WrapI64);
        }
        emit(Instruction::I64Load(MemArg {
            offset: 0,
            align: 3,
            target: wasm_encoder::MemArgTarget::Memory(m),
            ordering: None,
        }));
        mix(&mut emit);
        emit(Instruction::LocalGet(cursor));
        emit(Instruction::I64Const(8));
        emit(Instruction::I64Add);
        emit(Instruction::LocalSet(cursor));
        emit(Instruction::Br(0));
        emit(Instruction::End);
        emit(Instruction::End);
    }
    emit(Instruction::LocalGet(digest));
    emit(Instruction::End);
    func
}
