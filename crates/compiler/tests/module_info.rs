//! The parser's [`ModuleInfo`]: every section lands in the right field, and
//! rejected modules get the right error kind.

use sha2::{Digest, Sha256};
use tern_compiler::parse::{parse_module, SUPPORTED};
use tern_compiler::{wasm_bytes, CompileError};
use tern_environ::{
    ConstOp, DataMode, ElementMode, EntityType, ExportKind, GlobalType, ModuleInfo, RefType,
    ValType,
};

fn info(wat: &str) -> ModuleInfo {
    let wasm = wasm_bytes(wat.as_bytes()).expect("assembles");
    parse_module(&wasm, SUPPORTED).expect("valid").info
}

#[test]
fn sections_fill_module_info() {
    let wat = r#"(module $m
      (import "env" "f" (func $imported (param i32)))
      (import "env" "g" (global i64))
      (import "env" "mem" (memory 1 2))
      (type $t (func (result i32)))
      (table $tab 3 funcref)
      (global $counter (mut i32) (i32.const 7))
      (func $answer (export "answer") (type $t) (i32.const 42))
      (func $other (param f64))
      (elem (table $tab) (i32.const 1) func $answer)
      (elem declare func $other)
      (data (i32.const 16) "hi")
      (data "passive")
      (start $start)
      (func $start)
      (export "counter" (global $counter)))"#;
    let info = info(wat);
    assert_eq!(info.name.as_deref(), Some("m"));
    assert_eq!(info.num_imported_functions, 1);
    assert_eq!(info.functions.len(), 4);
    assert!(matches!(info.imports[0].ty, EntityType::Function(_)));
    assert_eq!(info.num_imported_globals, 1);
    assert_eq!(info.num_imported_memories, 1);
    assert_eq!(info.memories[0].maximum, Some(2));
    assert_eq!(info.tables.len(), 1);
    assert_eq!(info.tables[0].ty.element, RefType::FUNCREF);
    assert_eq!(
        info.globals[1],
        GlobalType {
            content: ValType::I32,
            mutable: true
        }
    );
    assert_eq!(info.global_inits[0].0, vec![ConstOp::I32Const(7)]);
    assert_eq!(info.exports[0].name, "answer");
    assert_eq!(info.exports[1].kind, ExportKind::Global);
    assert_eq!(info.start, Some(3));
    assert!(matches!(
        info.elements[0].mode,
        ElementMode::Active { table: 0, .. }
    ));
    assert_eq!(info.elements[0].items[0].0, vec![ConstOp::RefFunc(1)]);
    assert!(matches!(info.elements[1].mode, ElementMode::Declared));
    assert!(matches!(
        info.data[0].mode,
        DataMode::Active { memory: 0, .. }
    ));
    assert_eq!(info.data[1].bytes, b"passive");
    assert_eq!(info.func_names[0].as_deref(), Some("imported"));
    assert_eq!(info.func_names[1].as_deref(), Some("answer"));
    assert_eq!(info.func_display_name(2), "other");
    let wasm = wasm_bytes(wat.as_bytes()).expect("assembles");
    assert_eq!(info.module_hash, <[u8; 32]>::from(Sha256::digest(&wasm)));
}

#[test]
fn unsupported_features_are_named() {
    let cases = [("(module (type (struct (field i32))))", "gc (struct type)")];
    for (wat, feature) in cases {
        let wasm = wasm_bytes(wat.as_bytes()).expect("assembles");
        match parse_module(&wasm, SUPPORTED) {
            Err(CompileError::Unsupported { feature: f }) => assert_eq!(f, feature, "{wat}"),
            Err(other) => panic!("{wat}: {other}"),
            Ok(_) => panic!("{wat}: accepted"),
        }
    }
}

/// memory64, threads (shared memories), multi-memory and extended-const are
/// compiled: their modules parse, with the memory types kept.
#[test]
fn wasm3_memory_features_parse() {
    let wat = "(module (memory 1 1 shared) (memory i64 2) (memory 0)
        (global i32 (i32.add (i32.const 1) (i32.mul (i32.const 2) (i32.const 3))))
        (data (memory 1) (i64.sub (i64.const 10) (i64.const 2)) \"x\"))";
    let wasm = wasm_bytes(wat.as_bytes()).expect("assembles");
    let info = parse_module(&wasm, SUPPORTED).expect("parses").info;
    assert_eq!(info.memories.len(), 3);
    assert!(info.memories[0].shared && !info.memories[0].memory64);
    assert!(info.memories[1].memory64 && !info.memories[1].shared);
    assert_eq!(info.memories[1].minimum, 2);
}
