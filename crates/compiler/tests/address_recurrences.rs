//! In a leaf loop, an access at `a + l` (`a` invariant, `l` stepped by a
//! small constant) uses a 64-bit shadow of the sum that the loop steps
//! itself, only on back edges where the step is proven exact
//! (`translate/address_recurrences.rs`). The test reads the unoptimized IR:
//! the shadow phis, and the proven steps (`shadow.next`). The wrap and trap
//! edge cases run in `tests/addressing/recurrences.wast` (spec target).

mod common;

use common::{wasm_function, x86_ir};
use tern_compiler::TextOutput;

const MODULE: &str = r#"
(module
  (memory 1)
  ;; Accessed at the top level, stepped once by 4: the step is proven.
  (func $stride (export "stride") (param $a i32) (param $l i32) (param $n i32) (result i32)
    (local $s i32)
    (loop $top
      (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (local.get $a) (local.get $l)))))
      (local.set $l (i32.add (local.get $l) (i32.const 4)))
      (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))
  ;; The access is inside an `if`: it may not have run before the back edge.
  (func $sometimes (export "sometimes") (param $a i32) (param $l i32) (param $n i32) (result i32)
    (local $s i32)
    (loop $top
      (if (local.get $s)
        (then (local.set $s (i32.load8_u (i32.add (local.get $a) (local.get $l))))))
      (local.set $l (i32.add (local.get $l) (i32.const 4)))
      (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))
  ;; The step comes after the back edge's condition but l is stepped twice.
  (func $twice (export "twice") (param $a i32) (param $l i32) (param $n i32) (result i32)
    (local $s i32)
    (loop $top
      (local.set $s (i32.load8_u (i32.add (local.get $a) (local.get $l))))
      (local.set $l (i32.add (local.get $l) (i32.const 4)))
      (local.set $l (i32.add (local.get $l) (i32.const 4)))
      (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))
  ;; A step of 64 KiB could carry the sum past 2^32.
  (func $big_step (export "big_step") (param $a i32) (param $l i32) (param $n i32) (result i32)
    (local $s i32)
    (loop $top
      (local.set $s (i32.load8_u (i32.add (local.get $a) (local.get $l))))
      (local.set $l (i32.add (local.get $l) (i32.const 65536)))
      (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))
  ;; a changes in the loop: no shadow at all.
  (func $moving (export "moving") (param $a i32) (param $l i32) (param $n i32) (result i32)
    (local $s i32)
    (loop $top
      (local.set $s (i32.load8_u (i32.add (local.get $a) (local.get $l))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $l (i32.add (local.get $l) (i32.const 4)))
      (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))
)
"#;

fn unoptimized_ir(checkpoint: bool) -> String {
    x86_ir(MODULE, checkpoint, TextOutput::UnoptimizedIr)
}

/// (shadow phis, proven steps) of function `index`.
fn shadows(ir: &str, index: usize) -> (usize, usize) {
    let text = wasm_function(ir, index);
    (
        text.matches("= phi i64").count(),
        text.matches("= add nuw i64 %shadow,").count()
            + text.matches("= add nuw i64 %shadow1,").count(),
    )
}

#[test]
fn shadows_step_only_where_proven() {
    let ir = unoptimized_ir(false);
    let expected = [
        ("stride", (1, 1)),
        ("sometimes", (1, 0)),
        ("twice", (1, 0)),
        ("big_step", (1, 0)),
        ("moving", (0, 0)),
    ];
    for (index, (name, counts)) in expected.iter().enumerate() {
        assert_eq!(shadows(&ir, index), *counts, "function {name}");
    }
}

#[test]
fn under_cr_only_loops_without_a_poll_get_shadows() {
    // These loops count down: under --cr they have no poll and hold no point
    // a restore could enter, so they get the same shadows as without --cr.
    let plain = unoptimized_ir(false);
    let cr = unoptimized_ir(true);
    for index in 0..5 {
        assert_eq!(
            shadows(&cr, index),
            shadows(&plain, index),
            "function {index}"
        );
    }
    // Counted through a global, the loop polls: a restore enters its header
    // without the shadows, so there are none.
    let polling = r#"
(module
  (memory 1)
  (global $n (mut i32) (i32.const 100))
  (func (export "stride") (param $a i32) (param $l i32) (result i32)
    (local $s i32)
    (loop $top
      (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (local.get $a) (local.get $l)))))
      (local.set $l (i32.add (local.get $l) (i32.const 4)))
      (global.set $n (i32.sub (global.get $n) (i32.const 1)))
      (br_if $top (global.get $n)))
    (local.get $s)))
"#;
    assert_eq!(
        shadows(&x86_ir(polling, false, TextOutput::UnoptimizedIr), 0).0,
        1
    );
    let ir = x86_ir(polling, true, TextOutput::UnoptimizedIr);
    assert!(wasm_function(&ir, 0).contains("@tern_cr_poll_preserving("));
    assert_eq!(shadows(&ir, 0).0, 0);
}
