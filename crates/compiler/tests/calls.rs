//! The native calling convention of Wasm functions (`docs/contracts.md`) and
//! which calls `--cr` makes migration points, checked on the emitted IR.

mod common;

use common::{function_ir, x86_ir as ir};
use tern_compiler::TextOutput;

const RELEASE: &str = r#"
(module
  (memory 1)
  (global $free (mut i32) (i32.const 0))
  ;; bintrees' `release`: `n` is both a value (stored) and an address.
  (func $release (export "release") (param $n i32)
    (if (i32.load (local.get $n))
      (then (call $release (i32.load (local.get $n)))
            (call $release (i32.load offset=4 (local.get $n)))))
    (i32.store (local.get $n) (global.get $free))
    (global.set $free (local.get $n))))
"#;

#[test]
fn context_is_swiftself_and_i32_parameters_arrive_zero_extended() {
    let text = ir(RELEASE, false, TextOutput::OptimizedIr);
    let release = function_ir(&text, "tern_m0_func_0");
    let header = release.lines().next().expect("a define line");
    assert!(header.contains("(ptr swiftself %0, ptr "), "{header}");
    assert!(
        header.contains(" i64 range(i64 0, 4294967296) %2)"),
        "{header}"
    );
    // Direct calls keep the context in its register and pass no host context.
    let calls: Vec<&str> = release
        .lines()
        .filter(|l| l.contains("call void @tern_m0_func_0("))
        .collect();
    assert_eq!(calls.len(), 2, "{release}");
    for call in calls {
        assert!(call.contains("swiftself %0, ptr poison, i64 "), "{call}");
    }
    // The parameter is used as an address as it arrives, without a
    // zero-extension of its own.
    assert!(release.contains("ptr %memory_base, i64 %2\n"), "{release}");
}

#[test]
fn calls_through_funcrefs_pass_the_context_twice() {
    let wat = r#"
(module
  (type $t (func (param i32) (result i32)))
  (import "env" "f" (func $f (type $t)))
  (table 1 funcref)
  (func (export "g") (param i32) (result i32)
    (i32.add (call $f (local.get 0))
             (call_indirect (type $t) (local.get 0) (i32.const 0)))))
"#;
    let text = ir(wat, false, TextOutput::UnoptimizedIr);
    let g = function_ir(&text, "tern_m0_func_1");
    let calls: Vec<&str> = g.lines().filter(|l| l.contains(" = call i32 %")).collect();
    assert_eq!(calls.len(), 2, "{g}");
    for call in calls {
        let args = &call[call.find("(ptr swiftself ").expect("swiftself context")..];
        let first = args["(ptr swiftself ".len()..]
            .split(',')
            .next()
            .expect("vmctx");
        assert!(args.contains(&format!(", ptr {first}, i64 ")), "{call}");
    }
}

/// A loop that calls `$cmp` through a table, with `extra` added to the module.
fn sorter(extra: &str) -> String {
    format!(
        r#"
(module
  (type $cmp (func (param i32 i32) (result i32)))
  (table $t 2 funcref)
  (elem (table $t) (i32.const 0) func $less $other)
  (func $less (type $cmp) (i32.lt_s (local.get 0) (local.get 1)))
  (func $other (param i64) (result i64) (local.get 0))
  (func $count (export "count") (param $n i32) (result i32) (local $c i32)
    (loop $l
      (local.set $c (i32.add (local.get $c)
        (call_indirect $t (type $cmp) (local.get $n) (i32.const 7) (i32.const 0))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $c))
  {extra})
"#
    )
}

/// Whether `count`'s `call_indirect` became a migration point (an `invoke`
/// with a capture landing pad).
fn indirect_call_is_point(wat: &str) -> bool {
    let text = ir(wat, true, TextOutput::UnoptimizedIr);
    let count = function_ir(&text, "tern_m0_func_2");
    assert!(
        count.contains("tern_cr_poll_preserving"),
        "the loop polls: {count}"
    );
    count.lines().any(|l| l.contains("invoke i32 %"))
}

#[test]
fn an_indirect_call_that_can_only_reach_leaves_is_no_migration_point() {
    assert!(!indirect_call_is_point(&sorter("")));
}

#[test]
fn an_indirect_call_through_an_open_table_or_to_a_checkpointable_function_is_a_point() {
    // Exported: another module may store any function there.
    assert!(indirect_call_is_point(&sorter(
        r#"(export "t" (table $t))"#
    )));
    // Changed by an instruction: any function of the module may get there.
    assert!(indirect_call_is_point(&sorter(
        r#"(func (table.set $t (i32.const 1) (ref.func $other))) (elem declare func $other)"#
    )));
    // A function of the called type with a loop can reach a point.
    assert!(indirect_call_is_point(&sorter(
        r#"(func $slow (type $cmp) (loop $l (br_if $l (local.get 0))) (local.get 1))
           (elem (table $t) (i32.const 1) func $slow)"#
    )));
}
