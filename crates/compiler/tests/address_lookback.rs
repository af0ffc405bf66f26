//! A load at `x + c` is re-addressed as `base + zext(x) + c` when an access at
//! `x` follows with nothing observable in between
//! (`translate/address_lookback.rs`). Each function below has one candidate
//! load; the test counts the re-addressed loads in the unoptimized IR. The
//! wrap and trap edge cases run in `tests/addressing/lookback.wast`.

mod common;

use common::{wasm_function, x86_ir};
use tern_compiler::TextOutput;

const MODULE: &str = r#"
(module
  (memory 1)
  (func $f (param i32))
  ;; crc32's shape: x + 1, then x.
  (func $pair (export "pair") (param $x i32) (result i32)
    (i32.add (i32.load8_u (i32.add (local.get $x) (i32.const 1))) (i32.load8_u (local.get $x))))
  ;; The access at x is a store: it still resolves the load.
  (func $store_at (export "store_at") (param $x i32)
    (i32.store8 (local.get $x) (i32.load8_u (i32.add (local.get $x) (i32.const 1)))))
  ;; A store between the two.
  (func $store_between (export "store_between") (param $x i32) (result i32)
    (local $v i32)
    (local.set $v (i32.load8_u (i32.add (local.get $x) (i32.const 1))))
    (i32.store8 (i32.const 100) (local.get $v))
    (i32.load8_u (local.get $x)))
  ;; A call between the two.
  (func $call_between (export "call_between") (param $x i32) (result i32)
    (local $v i32)
    (local.set $v (i32.load8_u (i32.add (local.get $x) (i32.const 1))))
    (call $f (local.get $v))
    (i32.load8_u (local.get $x)))
  ;; A division (its own trap) between the two.
  (func $divide_between (export "divide_between") (param $x i32) (param $z i32) (result i32)
    (local $v i32)
    (local.set $v (i32.div_u (i32.load8_u (i32.add (local.get $x) (i32.const 1))) (local.get $z)))
    (i32.add (local.get $v) (i32.load8_u (local.get $x))))
  ;; A branch between the two: the access at x may not run.
  (func $branch_between (export "branch_between") (param $x i32) (param $c i32) (result i32)
    (local $v i32)
    (local.set $v (i32.load8_u (i32.add (local.get $x) (i32.const 1))))
    (block (br_if 0 (local.get $c)) (drop (i32.load8_u (local.get $x))))
    (local.get $v))
  ;; x reassigned between.
  (func $reassigned (export "reassigned") (param $x i32) (result i32)
    (local $v i32)
    (local.set $v (i32.load8_u (i32.add (local.get $x) (i32.const 1))))
    (local.set $x (i32.const 7))
    (i32.add (local.get $v) (i32.load8_u (local.get $x))))
  ;; The first access is a store: it would have written before the trap.
  (func $store_first (export "store_first") (param $x i32) (result i32)
    (i32.store8 (i32.add (local.get $x) (i32.const 1)) (i32.const 0))
    (i32.load8_u (local.get $x)))
  ;; c + offset reaches 64 KiB.
  (func $far (export "far") (param $x i32) (result i32)
    (i32.add (i32.load8_u offset=65535 (i32.add (local.get $x) (i32.const 1))) (i32.load8_u (local.get $x))))
)
"#;

fn unoptimized_ir() -> String {
    x86_ir(MODULE, false, TextOutput::UnoptimizedIr)
}

/// How many loads function `tern_m0_func_{index}` re-addressed.
fn readdressed(ir: &str, index: usize) -> usize {
    wasm_function(ir, index)
        .lines()
        .filter(|l| l.contains("%lookback.offset") && l.contains("= add nuw i64"))
        .count()
}

#[test]
fn readdressed_only_with_nothing_observable_between() {
    let ir = unoptimized_ir();
    let expected = [
        ("pair", 1),
        ("store_at", 1),
        ("store_between", 0),
        ("call_between", 0),
        ("divide_between", 0),
        ("branch_between", 0),
        ("reassigned", 0),
        ("store_first", 0),
        ("far", 0),
    ];
    for (k, (name, count)) in expected.iter().enumerate() {
        // Function 0 is $f.
        assert_eq!(readdressed(&ir, k + 1), *count, "function {name}");
    }
}
