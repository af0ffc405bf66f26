//! Which loops `--cr` leaves without a header poll
//! (`translate/checkpoint/loop_shapes.rs`): memory walks, call-anchored
//! loops and counted loops inside other loops; counted loops elsewhere,
//! which are strip-mined (`strip_mining.rs`); and near misses that must keep
//! their poll. Checked on the IR.

mod common;

use common::{wasm_function, x86_ir};
use tern_compiler::TextOutput;

/// The unoptimized `--cr` IR of defined function `index` of `wat`.
fn cr_function(wat: &str, index: usize) -> String {
    let text = x86_ir(wat, true, TextOutput::UnoptimizedIr);
    wasm_function(&text, index).to_string()
}

/// Function 1 (after the import) of a [`fib`] module.
fn cr_function_1(wat: &str) -> String {
    cr_function(wat, 1)
}

/// Whether a loop header of `function` polls: loads the interrupt flag
/// (flagged loops call `cr_poll` too, but only on a restore's route).
fn polls(function: &str) -> bool {
    function.contains("load volatile i64")
}

/// Whether `function` has a strip-mined loop (which polls once per chunk).
fn strip_mined(function: &str) -> bool {
    function.contains("cr_strip_poll")
}

/// Whether `function` polls at a loop header on every round: it polls, and
/// not only in a strip-mined loop.
fn polls_every_round(function: &str) -> bool {
    polls(function) && !strip_mined(function)
}

/// A qsort-style scan `while (v[p] < pivot) p += step` in `memory`, with
/// `extra` spliced into the loop body right after the step.
fn walk(memory: &str, step: i32, extra: &str) -> String {
    format!(
        r#"
(module
  (memory {memory})
  (func (export "scan") (param $p i32) (param $pivot i32) (result i32)
    (loop $l
      (local.set $p (i32.add (local.get $p) (i32.const {step})))
      {extra}
      (br_if $l (i32.lt_s (i32.load (local.get $p)) (local.get $pivot))))
    (local.get $p)))
"#
    )
}

#[test]
fn a_loop_that_steps_a_pointer_and_loads_through_it_does_not_poll() {
    assert!(!polls(&cr_function(&walk("1", 4, ""), 0)));
    assert!(!polls(&cr_function(&walk("1", -4, ""), 0)));
    // The exit test plays no part: here it moves too.
    let moving = "(local.set $pivot (i32.add (local.get $pivot) (i32.const 1)))";
    assert!(!polls(&cr_function(&walk("1", 4, moving), 0)));
}

#[test]
fn walks_that_might_not_leave_memory_keep_their_poll() {
    // In a 64-bit memory the sweep argument does not hold.
    assert!(walk_in_64_bit_memory_polls());
    // A zero step never moves.
    assert!(polls(&cr_function(&walk("1", 0, ""), 0)));
    // A step larger than 4096 could jump over the memory's end.
    assert!(polls(&cr_function(&walk("1", 8192, ""), 0)));
    // The pointer is assigned twice in the loop.
    let twice = "(local.set $p (i32.and (local.get $p) (i32.const -4)))";
    assert!(polls(&cr_function(&walk("1", 4, twice), 0)));
    // The step sits behind a branch: not every iteration takes it.
    let wat = r#"
(module
  (memory 1)
  (func (export "scan") (param $p i32) (param $pivot i32) (result i32)
    (loop $l
      (if (local.get $pivot) (then (local.set $p (i32.add (local.get $p) (i32.const 4)))))
      (br_if $l (i32.lt_s (i32.load (local.get $p)) (local.get $pivot))))
    (local.get $p)))
"#;
    assert!(polls(&cr_function(wat, 0)));
}

/// [`walk`] with `before` spliced into the loop body ahead of the step.
fn walk_after(before: &str) -> String {
    format!(
        r#"
(module
  (memory 1)
  (func (export "scan") (param $p i32) (param $pivot i32) (result i32)
    (block $out
      (loop $l
        {before}
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br_if $l (i32.lt_s (i32.load (local.get $p)) (local.get $pivot)))))
    (local.get $p)))
"#
    )
}

#[test]
fn exits_and_inner_blocks_before_the_step_leave_a_walk() {
    // str_eq's `while (*a && *a == *b) a++, b++`: the load and an exit come
    // first; every round that goes on steps.
    let str_eq_shape = "(br_if $out (i32.eqz (i32.load8_u (local.get $p))))";
    assert!(!polls(&cr_function(&walk_after(str_eq_shape), 0)));
    // A branch that only leaves an inner block falls through to the step.
    let inner = "(block $skip (br_if $skip (local.get $pivot)) (nop))";
    assert!(!polls(&cr_function(&walk_after(inner), 0)));
}

#[test]
fn a_way_back_to_the_header_before_the_step_keeps_the_poll() {
    // Rounds that skip the step could go on for ever.
    for before in [
        "(br_if $l (local.get $pivot))",
        "(block (br_if $l (local.get $pivot)))",
        "(block $skip (br_table $skip $l (local.get $pivot)))",
        "(if (local.get $pivot) (then (br $l)))",
    ] {
        assert!(
            polls(&cr_function(&walk_after(before), 0)),
            "{before} leaves the walk unpolled"
        );
    }
    // A load of something else than `p`: the block's result sits between.
    let wat = r#"
(module
  (memory 1)
  (func (export "scan") (param $p i32) (param $pivot i32) (result i32)
    (loop $l
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.get $p)
      (block (param i32) (result i32) (drop) (local.get $pivot))
      (br_if $l (i32.lt_s (i32.load) (local.get $pivot))))
    (local.get $p)))
"#;
    assert!(polls(&cr_function(wat, 0)));
}

/// [`walk`] with `i64` addresses in a 64-bit memory: whether it polls.
fn walk_in_64_bit_memory_polls() -> bool {
    let wat = r#"
(module
  (memory i64 1)
  (func (export "scan") (param $p i64) (param $pivot i32) (result i64)
    (loop $l
      (local.set $p (i64.add (local.get $p) (i64.const 4)))
      (br_if $l (i32.lt_s (i32.load (local.get $p)) (local.get $pivot))))
    (local.get $p)))
"#;
    polls(&cr_function(wat, 0))
}

/// clang's shape of `fib(n - 1) + fib(n - 2)`: the second call becomes a
/// loop whose iterations start with the first. `prefix` is spliced in
/// before the call's argument is computed, `after` after the call.
fn fib(prefix: &str, after: &str) -> String {
    format!(
        r#"
(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (memory 1)
  (global $g (mut i32) (i32.const 0))
  (func $fib (export "fib") (param $n i32) (result i32) (local $acc i32) (local $m i32)
    (if (i32.lt_s (local.get $n) (i32.const 2)) (then (return (local.get $n))))
    (loop $l
      (local.set $m (local.get $n))
      (local.set $n (i32.sub (local.get $n) (i32.const 2)))
      {prefix}
      (local.set $acc (i32.add (call $fib (i32.sub (local.get $m) (i32.const 1))) (local.get $acc)))
      {after}
      (br_if $l (i32.gt_u (local.get $m) (i32.const 3))))
    (i32.add (local.get $acc) (local.get $n))))
"#
    )
}

fn anchored(function: &str) -> bool {
    function.contains("cr_restore_anchored_loop")
}

#[test]
fn a_loop_whose_iterations_start_with_a_checkpointable_call_does_not_poll() {
    let f = cr_function_1(&fib("", ""));
    assert!(!polls(&f), "{f}");
    assert!(anchored(&f), "{f}");
    // The call's landing pad saves the header's values: the saved `n` is the
    // header phi's, not the `n - 2` the call sees.
    let pad_start = f.find("call_pad").expect("a landing pad");
    assert!(
        f[pad_start..].contains("@tern_builtin_cr_capture_and_resume,"),
        "{f}"
    );
    // Integer work and a division (which cannot trap the second time) may
    // precede the call.
    let arith = "(local.set $acc (i32.div_u (local.get $acc) (i32.const 3)))";
    assert!(anchored(&cr_function_1(&fib(arith, ""))));
}

#[test]
fn anchors_whose_prefix_or_loop_could_change_on_a_rerun_are_not_anchored() {
    let near_misses = [
        // Memory and globals may change in the callee before a checkpoint.
        ("(local.set $acc (i32.load (i32.const 0)))", ""),
        ("(local.set $acc (global.get $g))", ""),
        // A floating-point NaN's bits may differ on the other ISA.
        (
            "(local.set $acc (i32.reinterpret_f32 (f32.sqrt (f32.const -1))))",
            "",
        ),
        // A side effect would happen twice.
        ("(i32.store (i32.const 0) (local.get $n))", ""),
        // A second point in the loop (restores would have to be routed).
        ("", "(local.set $acc (call $fib (local.get $acc)))"),
    ];
    for (prefix, after) in near_misses {
        let f = cr_function_1(&fib(prefix, after));
        assert!(!anchored(&f), "{prefix} {after}: {f}");
        // Every round still makes the call: the loop routes by a flag.
        assert!(flagged(&f) && !polls(&f), "{prefix} {after}: {f}");
    }
    // With a way round that skips the call, the loop must poll.
    let f = cr_function_1(&fib("(br_if $l (i32.load (i32.const 0)))", ""));
    assert!(polls(&f) && !anchored(&f) && !flagged(&f), "{f}");
}

#[test]
fn a_host_call_anchors_no_loop() {
    // Its callee has no entry poll, so the loop must poll itself.
    let wat = r#"
(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (func (export "spin") (param $n i32) (result i32)
    (loop $l
      (local.set $n (call $host (i32.sub (local.get $n) (i32.const 1))))
      (br_if $l (local.get $n)))
    (local.get $n)))
"#;
    let f = cr_function_1(wat);
    assert!(polls(&f) && !anchored(&f), "{f}");
}

/// sieve's `for (j = start; j <= n; j += step) flags[j] = 1`, with `extra`
/// spliced into the loop body.
fn strided(extra: &str) -> String {
    format!(
        r#"
(module
  (memory 1)
  (func (export "mark") (param $j i32) (param $n i32) (param $step i32)
    (loop $l
      (i32.store8 (local.get $j) (i32.const 1))
      {extra}
      (br_if $l (i32.le_s (local.tee $j (i32.add (local.get $j) (local.get $step))) (local.get $n))))))
"#
    )
}

#[test]
fn a_counted_loop_may_step_by_a_local_it_never_assigns() {
    let f = cr_function(&strided(""), 0);
    assert!(strip_mined(&f), "{f}");
    // A step the loop changes could grow the distance without bound.
    let changing = "(local.set $step (i32.add (local.get $step) (i32.const 1)))";
    assert!(polls_every_round(&cr_function(&strided(changing), 0)));
}

/// `strided`'s loop (with `test` as its back-edge comparison) inside an
/// outer loop that runs it `$rows` times.
fn strided_rows(test: &str) -> String {
    format!(
        r#"
(module
  (memory 1)
  (func (export "mark") (param $j i32) (param $n i32) (param $step i32) (param $rows i32)
    (loop $rows
      (loop $l
        (i32.store8 (local.get $j) (i32.const 1))
        (br_if $l ({test} (local.tee $j (i32.add (local.get $j) (local.get $step))) (local.get $n))))
      (br_if $rows (local.tee $rows (i32.sub (local.get $rows) (local.get $step)))))))
"#
    )
}

#[test]
fn counted_loops_inside_loops_and_ne_loops_with_a_step_local_do_not_poll() {
    // Inside a loop the inner counted loop keeps no poll: the outer header
    // is reached after every run of it, and polls.
    let f = cr_function(&strided_rows("i32.le_s"), 0);
    assert_eq!(f.matches("load volatile i64").count(), 1, "{f}");
    assert!(!strip_mined(&f), "{f}");
    // `ne` with a step local cannot be strip-mined without a cost per round
    // (the step's sign is unknown); it keeps the 2^32 bound.
    let ne = strided("").replace("i32.le_s", "i32.ne");
    let f = cr_function(&ne, 0);
    assert!(!polls(&f), "{f}");
}

/// bintrees' `for (; t; t = t->right) w += check(t->left)`: a loop whose
/// iterations load from memory, then call; `before` is spliced in at the
/// top of the body, `call` is the call (of `$check` by default).
fn tree_walk(before: &str, call: &str) -> String {
    let call = if call.is_empty() {
        "(call $check (i32.load (local.get $t)))"
    } else {
        call
    };
    format!(
        r#"
(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (type $walk (func (param i32) (result i32)))
  (table 1 funcref)
  (memory 1)
  (func $check (export "check") (param $t i32) (result i32) (local $w i32)
    (block $done
      (br_if $done (i32.eqz (local.get $t)))
      (loop $l
        {before}
        (local.set $w (i32.add (local.get $w) {call}))
        (br_if $l (local.tee $t (i32.load offset=4 (local.get $t))))))
    (local.get $w)))
"#
    )
}

fn flagged(function: &str) -> bool {
    function.contains("cr_flag_route")
}

#[test]
fn a_loop_whose_iterations_all_call_routes_restores_by_a_flag() {
    let f = cr_function_1(&tree_walk("", ""));
    assert!(!polls(&f) && flagged(&f), "{f}");
    assert!(!anchored(&f), "{f}");
    // Exits and inner blocks before the call leave every round calling.
    let exit = "(br_if $done (i32.eqz (i32.load8_u (local.get $t))))";
    let inner = "(block $skip (br_if $skip (local.get $w)) (nop))";
    for before in [exit, inner] {
        let f = cr_function_1(&tree_walk(before, ""));
        assert!(!polls(&f) && flagged(&f), "{before}: {f}");
    }
}

#[test]
fn loops_with_a_way_round_that_skips_the_call_keep_their_poll() {
    let near_misses = [
        // A round may go back to the header before the call.
        ("(br_if $l (local.get $w))", ""),
        ("(block (br_if $l (local.get $w)))", ""),
        ("(if (local.get $w) (then (br $l)))", ""),
        // The call sits in a branch: not every round makes it.
        (
            "",
            "(if (result i32) (local.get $w) (then (call $check (local.get $w))) (else (i32.const 0)))",
        ),
        // Callees without an entry poll: a host function, and whatever a
        // table holds.
        ("", "(call $host (local.get $t))"),
        (
            "",
            "(call_indirect (type $walk) (local.get $t) (i32.const 0))",
        ),
    ];
    for (before, call) in near_misses {
        let f = cr_function_1(&tree_walk(before, call));
        assert!(polls(&f) && !flagged(&f), "{before} {call}: {f}");
    }
}

/// mandel's inner loop as clang leaves it: the `|z|` test leaves a block,
/// and the counted back edge `back` sits inside that block.
fn counted_in_block(before: &str, back: &str) -> String {
    format!(
        r#"
(module
  (func (export "escape") (param $x f64) (result i32) (local $i i32)
    (block $done
      (loop $l
        (block $out
          (br_if $out (f64.ge (local.get $x) (f64.const 4)))
          (local.set $x (f64.mul (local.get $x) (local.get $x)))
          {before}
          {back}
          (br $done))))
    (local.get $i)))
"#
    )
}

const COUNTED_BACK_EDGE: &str =
    "(br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 2))) (i32.const 200)))";

#[test]
fn a_counted_back_edge_inside_a_block_is_strip_mined() {
    let f = cr_function(&counted_in_block("", COUNTED_BACK_EDGE), 0);
    assert!(strip_mined(&f), "{f}");
    let near_misses = [
        // The counter is assigned a second time.
        ("(local.set $i (i32.const 0))", COUNTED_BACK_EDGE),
        // A second way back to the header.
        (
            "(br_if $l (f64.lt (local.get $x) (f64.const 1)))",
            COUNTED_BACK_EDGE,
        ),
        // The back edge tests something else than the counter.
        ("", "(br_if $l (f64.lt (local.get $x) (f64.const 2)))"),
    ];
    for (before, back) in near_misses {
        let f = cr_function(&counted_in_block(before, back), 0);
        assert!(polls_every_round(&f), "{before} {back}: {f}");
    }
}
