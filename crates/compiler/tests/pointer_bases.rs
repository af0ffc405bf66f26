//! Inside leaf loops, accesses through different locals use different
//! copies of the memory base (`translate/pointer_bases.rs`), so the loop
//! vectorizer separates the arrays with one runtime check instead of a
//! check between neighbouring accesses of one array that always fails.

use tern_compiler::{compile_module_text, CompileOptions, Target, TextOutput};

const MODULE: &str = r#"
(module
  (memory 1)
  ;; c[j] += a * b[j], unrolled by two as clang emits it: two pointer
  ;; locals stepped by 8, and c + 4 through a third local.
  (func $unrolled (export "unrolled") (param $b i32) (param $c i32) (param $n i32) (param $a f32)
    (local $c4 i32)
    (loop $l
      (f32.store (local.get $c)
        (f32.add (f32.mul (local.get $a) (f32.load (local.get $b))) (f32.load (local.get $c))))
      (local.set $c4 (i32.add (local.get $c) (i32.const 4)))
      (f32.store (local.get $c4)
        (f32.add (f32.mul (local.get $a) (f32.load (i32.add (local.get $b) (i32.const 4))))
                 (f32.load (local.get $c4))))
      (local.set $b (i32.add (local.get $b) (i32.const 8)))
      (local.set $c (i32.add (local.get $c) (i32.const 8)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 2))))))
  ;; Invariant bases indexed by a scaled counter: b + (j << 2), c + (j << 2).
  (func $indexed (export "indexed") (param $b i32) (param $c i32) (param $n i32)
    (local $j i32)
    (loop $l
      (f32.store (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2)))
        (f32.load (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2)))))
      (br_if $l (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $n)))))
  ;; One pointer only: nothing to separate, no copy.
  (func $single (export "single") (param $p i32) (param $n i32)
    (loop $l
      (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (i32.const 1)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  ;; The outer loop is not a leaf: only the inner loop's accesses get copies.
  (func $nested (export "nested") (param $b i32) (param $c i32) (param $n i32)
    (loop $outer
      (i32.store (local.get $c) (i32.load (local.get $b)))
      (loop $inner
        (i32.store (local.get $c) (i32.load (local.get $b)))
        (br_if $inner (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
      (br_if $outer (local.get $n))))
  ;; No loop: no copy.
  (func $straight (export "straight") (param $b i32) (param $c i32)
    (i32.store (local.get $c) (i32.load (local.get $b))))
)
"#;

fn compile(output: TextOutput) -> String {
    let options = CompileOptions {
        target: Target::X86_64,
        opt_level: 2,
        symbol_prefix: "tern_m0_".into(),
        checkpoint: false,
        ..Default::default()
    };
    compile_module_text(MODULE.as_bytes(), &options, output).expect("compiles")
}

/// The text of function `tern_m0_func_{index}`.
fn function(ir: &str, index: usize) -> &str {
    let name = format!("@tern_m0_func_{index}(");
    let start = ir.find(&name).expect("function present");
    let end = ir[start..].find("\n}\n").map_or(ir.len(), |e| start + e);
    &ir[start..end]
}

#[test]
fn copies_only_in_leaf_loops_with_two_ways_into_memory() {
    let ir = compile(TextOutput::UnoptimizedIr);
    let copies = |index| function(&ir, index).matches("call ptr asm \"\"").count();
    assert_eq!(copies(0), 2, "unrolled: one copy for b, one for c (and c4)");
    assert_eq!(copies(1), 2, "indexed: one copy for b, one for c");
    assert_eq!(copies(2), 0, "single");
    assert_eq!(copies(3), 2, "nested: the inner loop's b and c");
    assert_eq!(copies(4), 0, "straight");
    // Every access of the unrolled loop goes through a copy.
    let unrolled = function(&ir, 0);
    let through_copies = unrolled.matches("ptr %base_copy").count();
    assert_eq!(through_copies, 6, "{unrolled}");
}

#[test]
fn unrolled_loop_needs_one_overlap_check() {
    let ir = compile(TextOutput::OptimizedIr);
    let unrolled = function(&ir, 0);
    assert!(unrolled.contains("fmul <"), "vectorized: {unrolled}");
    // b against c only; c[j] against c[j + 1] would always overlap.
    assert_eq!(
        unrolled.matches("= and i1 %bound0").count(),
        1,
        "{unrolled}"
    );
}
