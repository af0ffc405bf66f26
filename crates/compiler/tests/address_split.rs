//! An access at `invariant + small` inside a loop is computed as
//! `base + f(t) + zext(b)` (`translate/address_split.rs`), and only there.
//! Each function below has one access of interest; the test counts the
//! split offsets in the unoptimized IR of each. The wrap and trap edge cases
//! run in `tests/addressing/split.wast` (spec target).

mod common;

use common::{wasm_function, x86_ir};
use tern_compiler::TextOutput;

const MODULE: &str = r#"
(module
  (memory 1)
  ;; crc32's table lookup: t is invariant, the index a masked, shifted byte.
  (func $table (export "table") (param $t i32) (param $p i32) (param $n i32) (result i32)
    (local $c i32)
    (loop $l
      (local.set $c
        (i32.xor
          (i32.load
            (i32.add (local.get $t)
              (i32.shl
                (i32.and (i32.xor (local.get $c) (i32.load8_u (local.get $p))) (i32.const 255))
                (i32.const 2))))
          (i32.shr_u (local.get $c) (i32.const 8))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $c))
  ;; A static offset could carry a trapping address back into memory.
  (func $with_offset (export "with_offset") (param $t i32) (param $i i32) (param $n i32) (result i32)
    (loop $l
      (drop (i32.load offset=4 (i32.add (local.get $t) (i32.and (local.get $i) (i32.const 255)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $i))
  ;; t changes in the loop: nothing to hoist.
  (func $variant (export "variant") (param $t i32) (param $i i32) (param $n i32) (result i32)
    (loop $l
      (drop (i32.load8_u (i32.add (local.get $t) (i32.and (local.get $i) (i32.const 255)))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $t))
  ;; Outside any loop.
  (func $no_loop (export "no_loop") (param $t i32) (param $i i32) (result i32)
    (i32.load8_u (i32.add (local.get $t) (i32.and (local.get $i) (i32.const 255)))))
  ;; The addend may reach 128 KiB: more than the guard below the base.
  (func $large (export "large") (param $t i32) (param $i i32) (param $n i32) (result i32)
    (loop $l
      (drop (i32.load8_u (i32.add (local.get $t) (i32.and (local.get $i) (i32.const 0x1ffff)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $i))
  ;; Nothing bounds the addend.
  (func $unbounded (export "unbounded") (param $t i32) (param $i i32) (param $n i32) (result i32)
    (loop $l
      (drop (i32.load8_u (i32.add (local.get $t) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $i))
  ;; A narrow load bounds the addend; a 16-bit one too (below 64 KiB).
  (func $narrow (export "narrow") (param $t i32) (param $p i32) (param $n i32) (result i32)
    (loop $l
      (drop (i32.load8_u (i32.add (local.get $t) (i32.load16_u (local.get $p)))))
      (local.set $p (i32.add (local.get $p) (i32.const 2)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $p))
)
"#;

fn unoptimized_ir() -> String {
    x86_ir(MODULE, false, TextOutput::UnoptimizedIr)
}

/// How many split offsets the function `tern_m0_func_{index}` computes.
fn splits(ir: &str, index: usize) -> usize {
    wasm_function(ir, index)
        .matches("= add i64 %split.t")
        .count()
}

#[test]
fn split_only_invariant_plus_small_in_loops() {
    let ir = unoptimized_ir();
    let expected = [
        ("table", 1),
        ("with_offset", 0),
        ("variant", 0),
        ("no_loop", 0),
        ("large", 0),
        ("unbounded", 0),
        ("narrow", 1),
    ];
    for (index, (name, count)) in expected.iter().enumerate() {
        assert_eq!(splits(&ir, index), *count, "function {name}");
    }
}
