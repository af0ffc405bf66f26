//! End-to-end compiler tests: small `.wat` modules compiled for both targets,
//! checking the object is produced and inspecting IR/assembly for the code
//! quality properties tern relies on.

use tern_compiler::{
    compile_module, compile_module_text, emit_bundle, CompileError, CompileOptions, Target,
    TextOutput,
};

const TARGETS: [Target; 2] = [Target::X86_64, Target::Aarch64];

fn opts(target: Target, opt_level: u8) -> CompileOptions {
    CompileOptions {
        target,
        opt_level,
        symbol_prefix: "tern_m0_".into(),
        checkpoint: false,
        ..Default::default()
    }
}

fn ir(wat: &str, opt_level: u8) -> String {
    compile_module_text(
        wat.as_bytes(),
        &opts(Target::X86_64, opt_level),
        TextOutput::OptimizedIr,
    )
    .expect("compiles")
}

/// The optimized IR of the one function named `name` (`define ... @name(`).
fn function_ir<'a>(ir: &'a str, name: &str) -> &'a str {
    let start = ir.find(&format!("@{name}(")).expect("function present");
    let start = ir[..start].rfind("define").expect("a definition");
    let end = ir[start..].find("\n}\n").map_or(ir.len(), |e| start + e);
    &ir[start..end]
}

const CONTROL: &str = r#"
(module
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "multi") (param i32 i64) (result i64 i32)
    (local.get 1) (local.get 0))
  (func (export "loops") (param i32) (result i32) (local i32)
    (block $out
      (loop $l
        (br_if $out (i32.eqz (local.get 0)))
        (local.set 1 (i32.add (local.get 1) (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $l)))
    (local.get 1))
  (func (export "table") (param i32) (result i32)
    (block (block (block
      (br_table 0 1 2 (local.get 0)))
      (return (i32.const 10)))
      (return (i32.const 20)))
    (i32.const 30))
  (func (export "dead") (result i32)
    (return (i32.const 1))
    (drop (i32.const 2))
    (block (result i32) (i32.const 3)))
)"#;

#[test]
fn objects_for_both_targets() {
    for target in TARGETS {
        for opt_level in [0, 2] {
            let compiled = compile_module(CONTROL.as_bytes(), &opts(target, opt_level))
                .unwrap_or_else(|e| panic!("{target} -O{opt_level}: {e}"));
            assert!(compiled.object.starts_with(b"\x7fELF"));
            let text = String::from_utf8_lossy(&compiled.object);
            assert!(text.contains("tern_m0_module_descriptor"));
            assert_eq!(compiled.info.func_names[0].as_deref(), Some("fib"));
        }
    }
}

const MEMORY: &str = r#"
(module
  (memory 1)
  (global $g (mut i32) (i32.const 0))
  (table 2 funcref)
  (type $t (func (param i32) (result i32)))
  (func $id (type $t) (local.get 0))
  (elem (i32.const 0) $id)
  (func $sum (export "sum") (param $p i32) (param $n i32) (result i32) (local $s i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $s))
  (func (export "widths") (param i32)
    (i64.store offset=8 (local.get 0) (i64.load8_s (local.get 0)))
    (i32.store16 (local.get 0) (i32.load16_u offset=3 (local.get 0)))
    (f64.store (local.get 0) (f64.load (local.get 0)))
    (global.set $g (i32.add (global.get $g) (memory.grow (i32.const 1))))
    (drop (memory.size))
    (memory.fill (local.get 0) (i32.const 0) (i32.const 16))
    (memory.copy (local.get 0) (i32.const 32) (i32.const 16)))
  (func (export "indirect") (param i32) (result i32)
    (call_indirect (type $t) (i32.const 7) (local.get 0)))
  (func (export "tables") (param i32) (result i32)
    (table.set (local.get 0) (ref.func $id))
    (drop (table.grow (ref.null func) (i32.const 1)))
    (ref.is_null (table.get (local.get 0))))
)"#;

#[test]
fn memory_tables_and_calls_compile() {
    for target in TARGETS {
        compile_module(MEMORY.as_bytes(), &opts(target, 2)).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn memory32_accesses_have_no_bounds_checks() {
    let ir = ir(MEMORY, 2);
    let sum = function_ir(&ir, "tern_m0_func_1");
    // No trap is left: no bounds check, and a leaf this small needs no
    // stack check at entry either (`translate/frame_bound.rs`).
    assert_eq!(sum.matches("@tern_builtin_trap(").count(), 0, "{sum}");
    // A function that calls keeps its stack check (code 10).
    let indirect = function_ir(&ir, "tern_m0_func_3");
    assert!(
        indirect
            .lines()
            .any(|l| l.contains("@tern_builtin_trap(") && l.contains("i32 10)")),
        "{indirect}"
    );
}

#[test]
fn i32_array_loop_vectorizes_at_o2() {
    let ir = ir(MEMORY, 2);
    let sum = function_ir(&ir, "tern_m0_func_1");
    assert!(sum.contains("<4 x i32>"), "no vector code:\n{sum}");
}

#[test]
fn multi_value_and_dead_code() {
    let ir = ir(CONTROL, 0);
    assert!(ir.contains("{ i64, i32 }"));
}

#[test]
fn bundle_for_both_targets() {
    for target in TARGETS {
        let object = emit_bundle(&["tern_m0_".into(), "tern_m1_".into()], target).expect("bundle");
        let text = String::from_utf8_lossy(&object);
        for symbol in [
            "tern_catch_traps",
            "tern_bundle_modules",
            "tern_runtime_main",
            "_setjmp",
        ] {
            assert!(text.contains(symbol), "{symbol} missing for {target}");
        }
    }
}

#[test]
fn rejects_invalid_and_unsupported() {
    let invalid = "(module (func (result i32) (i64.const 0)))";
    let err = compile_module(invalid.as_bytes(), &opts(Target::X86_64, 0)).unwrap_err();
    assert!(matches!(err, CompileError::Invalid { .. }), "{err}");

    let gc = "(module (type $s (struct (field i32))) (func (param (ref $s))))";
    let err = compile_module(gc.as_bytes(), &opts(Target::X86_64, 0)).unwrap_err();
    assert!(
        matches!(&err, CompileError::Unsupported { feature } if feature.starts_with("gc")),
        "{err}"
    );

    let malformed = b"\0asm\x01\0\0\0\x01\x05";
    let err = compile_module(malformed, &opts(Target::X86_64, 0)).unwrap_err();
    assert!(matches!(err, CompileError::Malformed { .. }), "{err}");
}

/// Float arithmetic whose operand is a constant but not a float literal: a
/// constant expression (a lane of a `v128.const` seen as another shape) or
/// `poison` (a truncation that certainly traps, in the dead code after it).
/// Reading such a constant as a literal crashed the compiler (SIGSEGV in
/// `LLVMConstRealGetDouble`, no-panic seeds 18 and 235).
const NON_LITERAL_CONSTANTS: &str = r#"
(module
  (func (export "lane") (param f32) (result f32)
    (f32.mul (local.get 0)
      (f32x4.extract_lane 2 (v128.const f64x2 -1.0e200 -1.0e200))))
  (func (export "lane_f64") (param f64) (result f64)
    (f64.sub (f64x2.extract_lane 1 (f32x4.neg (v128.const i32x4 1 2 3 4)))
      (local.get 0)))
  (func (export "poison") (param f64) (result f64)
    (f64.add (local.get 0)
      (f64.convert_i64_s (i64.trunc_f64_u (f64.const 1.4e24)))))
  (func (export "vector") (param v128) (result v128)
    (f32x4.mul (local.get 0)
      (f32x4.neg (v128.const f64x2 -1.0e200 1.0))))
)"#;

#[test]
fn float_operands_that_are_constant_expressions_compile() {
    for target in TARGETS {
        for opt_level in [0, 2] {
            compile_module(NON_LITERAL_CONSTANTS.as_bytes(), &opts(target, opt_level))
                .unwrap_or_else(|e| panic!("{target} -O{opt_level}: {e}"));
        }
    }
}
