//! Resume versions (`translate/checkpoint/mod.rs`, `CrVersion`): under
//! `--cr` a checkpointable function's own code has no restore path and hands
//! a restore to its resume version, which has them all. Checked on the
//! optimized IR.

mod common;

use common::{function_ir, x86_ir};
use tern_compiler::TextOutput;

/// A counted loop around a call (a loop header point and a call point) in
/// function 1, and a leaf in function 0.
const WAT: &str = r#"
(module
  (func $leaf (param $x i32) (result i32)
    (i32.mul (local.get $x) (i32.const 3)))
  (func $run (export "run") (param $n i32) (result i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (call $leaf (local.get $n))))
      (local.set $acc (i32.add (local.get $acc) (call $run (i32.const 0))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc)))
"#;

fn optimized(wat: &str) -> String {
    x86_ir(wat, true, TextOutput::OptimizedIr)
}

#[test]
fn the_own_code_hands_restores_to_the_resume_version() {
    let ir = optimized(WAT);
    let own = function_ir(&ir, "tern_m0_func_1");
    assert!(
        own.contains("musttail call i32 @tern_m0_func_1_resume("),
        "{own}"
    );
    // No restore path is left in the own code: it reloads nothing.
    assert!(
        !own.contains("@tern_cr_restore_values_preserving("),
        "{own}"
    );
    // It still checks its entry (which captures too) and captures at calls.
    assert!(own.contains("@tern_builtin_cr_enter_at,"), "{own}");
    assert!(
        own.contains("@tern_builtin_cr_capture_and_resume,"),
        "{own}"
    );
}

#[test]
fn the_resume_version_starts_from_the_restore_answer() {
    let ir = optimized(WAT);
    let resume = function_ir(&ir, "tern_m0_func_1_resume");
    assert!(
        resume.contains("@tern_builtin_cr_resume_answer("),
        "{resume}"
    );
    assert!(
        resume.contains("@tern_cr_restore_values_preserving("),
        "{resume}"
    );
    // Its calls enter the callees' own code, which hand on the restore.
    assert!(resume.contains("invoke i32 @tern_m0_func_1("), "{resume}");
    assert!(
        !resume.contains("call i32 @tern_m0_func_1_resume("),
        "{resume}"
    );
    assert!(
        !resume.contains("invoke i32 @tern_m0_func_1_resume("),
        "{resume}"
    );
}

#[test]
fn leaves_and_plain_builds_have_no_resume_version() {
    let ir = optimized(WAT);
    assert!(
        !ir.contains("@tern_m0_func_0_resume("),
        "a leaf got a resume version"
    );
    let plain = x86_ir(WAT, false, TextOutput::OptimizedIr);
    assert!(
        !plain.contains("_resume("),
        "a plain build got a resume version"
    );
}

#[test]
fn at_o1_a_function_is_translated_once_with_its_restore_paths() {
    let options = tern_compiler::CompileOptions {
        target: tern_compiler::Target::X86_64,
        opt_level: 1,
        symbol_prefix: "tern_m0_".into(),
        checkpoint: true,
        ..Default::default()
    };
    let ir = tern_compiler::compile_module_text(WAT.as_bytes(), &options, TextOutput::OptimizedIr)
        .expect("compiles");
    assert!(
        !ir.contains("@tern_m0_func_1_resume("),
        "-O1 made a resume version"
    );
    let own = function_ir(&ir, "tern_m0_func_1");
    assert!(own.contains("@tern_cr_restore_values_preserving("), "{own}");
}

/// `WAT` plus function 2: a loop whose body is longer than
/// `RESUME_VERSION_MAX_BODY_BYTES` (3000) bytes of Wasm.
fn with_large_function() -> String {
    let step = "(local.set $acc (i32.add (local.get $acc) (i32.const 1000)))\n";
    let body = step.repeat(600); // 8 bytes of Wasm each: 4800 bytes
    let large = format!(
        r#"(func $large (export "large") (param $n i32) (result i32) (local $acc i32)
    (loop $l
      {body}
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc))"#
    );
    WAT.trim_end()
        .strip_suffix(')')
        .map(|module| format!("{module}\n  {large})\n"))
        .expect("WAT ends with the module's closing parenthesis")
}

#[test]
fn a_large_function_is_translated_once_with_its_restore_paths() {
    let ir = optimized(&with_large_function());
    assert!(
        !ir.contains("@tern_m0_func_2_resume("),
        "a function over the size limit got a resume version"
    );
    let large = function_ir(&ir, "tern_m0_func_2");
    assert!(
        large.contains("@tern_cr_restore_values_preserving("),
        "{large}"
    );
    // The small checkpointable function beside it keeps its resume version.
    function_ir(&ir, "tern_m0_func_1_resume");
}

/// A recursive list walk, a leaf (no loop, no import, no call of a
/// checkpointable function: its recursion is bounded by the stack), and a
/// loop around it, checkpointable; both read memory, so they need the
/// memory base from the vmctx.
const WALK: &str = r#"
(module
  (memory 1)
  (func $walk (param $p i32) (result i32)
    (if (result i32) (i32.eqz (local.get $p))
      (then (i32.const 0))
      (else (i32.add (i32.load (local.get $p))
                     (call $walk (i32.load offset=4 (local.get $p)))))))
  (func $walk_all (export "walk_all") (param $p i32) (result i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (call $walk (local.get $p))))
      (br_if $l (local.tee $p (i32.load offset=8 (local.get $p)))))
    (local.get $acc)))
"#;

/// The entry block of a function's IR: from its `{` to its terminator.
fn entry_block(function: &str) -> &str {
    let start = function.find('{').expect("a body");
    let end = ["\n  br ", "\n  switch "]
        .iter()
        .filter_map(|t| function[start..].find(t))
        .min()
        .map_or(function.len(), |e| start + e);
    &function[start..end]
}

/// Whether `function` loads a vmctx field before its entry check (the
/// stack-limit compare), where the value would live across the `cr_enter_at`
/// slow path, whose answer rejoins the body, and take a callee-saved
/// register.
fn loads_a_field_before_the_entry_check(function: &str) -> bool {
    let entry = entry_block(function);
    assert!(entry.contains("%stack_limit"), "{function}");
    assert!(
        function.contains("!invariant.load"),
        "no field load: {function}"
    );
    entry.contains("!invariant.load")
}

#[test]
fn own_code_loads_vmctx_fields_after_the_entry_check() {
    let ir = optimized(WALK);
    let own = function_ir(&ir, "tern_m0_func_1");
    assert!(
        own.contains("musttail call i32 @tern_m0_func_1_resume("),
        "{own}"
    );
    assert!(!loads_a_field_before_the_entry_check(own), "{own}");
    // The resume version's restore paths need the fields, so there they
    // stay in the entry block, which dominates them.
    let resume = function_ir(&ir, "tern_m0_func_1_resume");
    assert!(entry_block(resume).contains("!invariant.load"), "{resume}");
}

/// Function 0 loops (it calls an import in it), 1 calls it once and 2 calls 1
/// once (neither repeats code of its own), 3 calls itself, 4 and 5 call each
/// other, and 6 tail-calls 0.
const REPEATS: &str = r#"
(module
  (import "env" "tick" (func $tick))
  (func $spin (param $n i32)
    (loop $l (call $tick)
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func $once (param $n i32) (call $spin (local.get $n)))
  (func $twice (export "twice") (param $n i32) (call $once (local.get $n)) (call $once (i32.const 2)))
  (func $self (export "self") (param $n i32)
    (if (local.get $n) (then (call $self (i32.sub (local.get $n) (i32.const 1)))))
    (call $tick))
  (func $ping (export "ping") (param $n i32)
    (if (local.get $n) (then (call $pong (i32.sub (local.get $n) (i32.const 1)))))
    (call $tick))
  (func $pong (param $n i32)
    (if (local.get $n) (then (call $ping (i32.sub (local.get $n) (i32.const 1)))))
    (call $tick))
  (func $tail (export "tail") (param $n i32) (call $tick) (return_call $spin (local.get $n))))
"#;

#[test]
fn only_functions_that_repeat_code_get_a_resume_version() {
    let ir = optimized(REPEATS);
    // Imports come first in the function index space: $spin is function 1.
    for (func, what) in [
        (1, "a loop"),
        (4, "a recursive function"),
        (5, "a mutually recursive function"),
        (6, "its partner"),
        (7, "a tail-calling function"),
    ] {
        assert!(
            ir.contains(&format!("@tern_m0_func_{func}_resume(")),
            "{what} (function {func}) got no resume version"
        );
    }
    for func in [2, 3] {
        assert!(
            !ir.contains(&format!("@tern_m0_func_{func}_resume(")),
            "function {func} repeats nothing of its own but got a resume version"
        );
        let single = function_ir(&ir, &format!("tern_m0_func_{func}"));
        assert!(
            single.contains("@tern_cr_restore_values_preserving("),
            "function {func} has no restore path: {single}"
        );
    }
}

/// A leaf of a `--cr` module is compiled as in a plain build: its entry
/// check compares with `vmctx->leaf_stack_limit` (offset 24), which a
/// checkpoint request does not raise, and traps, so nothing in it calls
/// the runtime and LLVM's inliner sees the plain build's cost.
#[test]
fn a_leaf_is_compiled_as_in_a_plain_build() {
    let plain = x86_ir(WALK, false, TextOutput::OptimizedIr);
    let cr = optimized(WALK);
    let leaf = |ir: &str| function_ir(ir, "tern_m0_func_0").to_string();
    let (plain_leaf, cr_leaf) = (leaf(&plain), leaf(&cr));
    assert!(
        cr_leaf.contains("getelementptr inbounds nuw i8, ptr %0, i64 24"),
        "{cr_leaf}"
    );
    assert!(!cr_leaf.contains("@tern_builtin_cr_"), "{cr_leaf}");
    // The --cr module's functions have unwind tables and a personality; the
    // leaf's instructions are the plain build's.
    let body = |f: &str| {
        f.lines()
            .skip(1)
            .map(|l| l.replace("ptr %0, i64 24", "ptr %0, i64 8"))
            .collect::<Vec<_>>()
    };
    assert_eq!(body(&cr_leaf), body(&plain_leaf), "{cr_leaf}\n{plain_leaf}");
}
