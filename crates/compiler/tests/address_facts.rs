//! `i32.add` of a proven address and a small constant is built as `add nuw`
//! (`translate/address_facts.rs`), and only where the access that proves it
//! dominates. Each function below has one `i32.add` of interest; the test
//! reads the unoptimized IR of each.

mod common;

use common::{wasm_function, x86_ir};
use tern_compiler::TextOutput;

const MODULE: &str = r#"
(module
  (memory 1)
  ;; p was accessed just before: p + 4 cannot wrap.
  (func $after_access (export "after_access") (param $p i32) (result i32)
    (drop (i32.load (local.get $p)))
    (i32.load (i32.add (local.get $p) (i32.const 4))))
  ;; The access comes after the add: nothing is known yet.
  (func $before_access (export "before_access") (param $p i32) (result i32)
    (i32.load (i32.add (local.get $p) (i32.const 4)))
    (i32.add (i32.load (local.get $p))))
  ;; p was overwritten after its access.
  (func $after_set (export "after_set") (param $p i32) (param $q i32) (result i32)
    (drop (i32.load (local.get $p)))
    (local.set $p (local.get $q))
    (i32.add (local.get $p) (i32.const 4)))
  ;; The access is in the `then` arm; the add in the `else` arm.
  (func $other_arm (export "other_arm") (param $p i32) (param $c i32) (result i32)
    (if (result i32) (local.get $c)
      (then (i32.load (local.get $p)))
      (else (i32.add (local.get $p) (i32.const 4)))))
  ;; The access is inside a block; the add after it (a branch may skip it).
  (func $after_block (export "after_block") (param $p i32) (param $c i32) (result i32)
    (block
      (br_if 0 (local.get $c))
      (drop (i32.load (local.get $p))))
    (i32.add (local.get $p) (i32.const 4)))
  ;; Inside a loop, p's value comes from the back edge: a fact from before
  ;; the loop does not hold at its header.
  (func $across_loop (export "across_loop") (param $p i32) (result i32)
    (drop (i32.load (local.get $p)))
    (loop $l
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $l (i32.load (local.get $p))))
    (local.get $p))
  ;; The loop body accesses p before stepping it: both steps are `nuw`.
  (func $loop_step (export "loop_step") (param $p i32) (param $n i32)
    (loop $l
      (i32.store (local.get $p) (i32.const 1))
      (i32.store (i32.add (local.get $p) (i32.const 4)) (i32.const 2))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  ;; A constant of 64 KiB or more may wrap even after an access.
  (func $large_constant (export "large_constant") (param $p i32) (result i32)
    (drop (i32.load (local.get $p)))
    (i32.add (local.get $p) (i32.const 65536)))
  ;; A negative constant wraps by design (p - 4).
  (func $negative (export "negative") (param $p i32) (result i32)
    (drop (i32.load (local.get $p)))
    (i32.add (local.get $p) (i32.const -4)))
  ;; The fact follows the value through local.tee into another local.
  (func $through_tee (export "through_tee") (param $p i32) (param $q i32) (result i32)
    (drop (i32.load (local.tee $q (local.get $p))))
    (i32.add (local.get $q) (i32.const 12)))
)
"#;

fn unoptimized_ir() -> String {
    x86_ir(MODULE, false, TextOutput::UnoptimizedIr)
}

/// How many `add nuw i32` the function `tern_m0_func_{index}` holds.
fn nuw_adds(ir: &str, index: usize) -> usize {
    wasm_function(ir, index).matches("= add nuw i32").count()
}

#[test]
fn nuw_only_where_an_access_dominates() {
    let ir = unoptimized_ir();
    let expected = [
        ("after_access", 1),
        ("before_access", 0),
        ("after_set", 0),
        ("other_arm", 0),
        ("after_block", 0),
        ("across_loop", 0),
        ("loop_step", 2),
        ("large_constant", 0),
        ("negative", 0),
        ("through_tee", 1),
    ];
    for (index, (name, count)) in expected.iter().enumerate() {
        assert_eq!(nuw_adds(&ir, index), *count, "function {name}");
    }
}
