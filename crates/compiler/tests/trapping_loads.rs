//! Which linear-memory loads the compiler makes volatile to keep their
//! out-of-bounds traps (`translate::trapping_loads`): loads whose results
//! are certainly used stay ordinary loads, so LLVM can still combine, hoist
//! and vectorize them; loads an optimizer could delete or narrow become
//! volatile. (That the volatile ones trap is checked by running programs in
//! the CLI's `bad_input` tests.)

use tern_compiler::{compile_module_text, CompileOptions, Target, TextOutput};

fn optimized_ir(wat: &str) -> String {
    let opts = CompileOptions {
        target: Target::X86_64,
        opt_level: 2,
        symbol_prefix: "tern_m0_".into(),
        checkpoint: false,
        ..Default::default()
    };
    compile_module_text(wat.as_bytes(), &opts, TextOutput::OptimizedIr).expect("compiles")
}

/// The optimized IR of exported function `name` (function index `index`).
fn function(ir: &str, index: u32) -> &str {
    let name = format!("@tern_m0_func_{index}(");
    let start = ir
        .find(&name)
        .unwrap_or_else(|| panic!("no {name} in\n{ir}"));
    let start = ir[..start].rfind("define").expect("a definition");
    let end = ir[start..].find("\n}\n").map_or(ir.len(), |e| start + e);
    &ir[start..end]
}

fn volatile_loads(ir: &str) -> usize {
    ir.matches("load volatile").count()
}

/// Idioms whose loads are all used: none may become volatile. Each is
/// exported, so its results count as used.
const KEPT: &[(&str, &str)] = &[
    (
        "sum of an array (vectorized)",
        "(func (export \"f\") (param $p i32) (param $n i32) (result i32) (local $s i32)
          (block $done (loop $l
            (br_if $done (i32.eqz (local.get $n)))
            (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $l)))
          (local.get $s))",
    ),
    (
        "elementwise difference and product",
        "(func (export \"f\") (param $a i32) (param $b i32) (param $c i32) (param $n i32) (local $i i32)
          (loop $l
            (i32.store (i32.add (local.get $c) (local.get $i))
              (i32.mul (i32.sub (i32.load (i32.add (local.get $a) (local.get $i)))
                                (i32.load (i32.add (local.get $b) (local.get $i))))
                       (i32.load offset=4 (i32.add (local.get $a) (local.get $i)))))
            (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 4))) (local.get $n)))))",
    ),
    (
        "in-place update a[i] -= b[i]",
        "(func (export \"f\") (param $a i32) (param $b i32) (param $n i32) (local $i i32)
          (loop $l
            (i32.store (i32.add (local.get $a) (local.get $i))
              (i32.sub (i32.load (i32.add (local.get $a) (local.get $i)))
                       (i32.load (i32.add (local.get $b) (local.get $i)))))
            (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 4))) (local.get $n)))))",
    ),
    (
        "count of odd elements",
        "(func (export \"f\") (param $p i32) (param $n i32) (result i32) (local $c i32) (local $i i32)
          (loop $l
            (local.set $c (i32.add (local.get $c)
              (i32.and (i32.load (i32.add (local.get $p) (local.get $i))) (i32.const 0x8000_0001))))
            (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 4))) (local.get $n))))
          (local.get $c))",
    ),
    (
        "search loop with an early exit",
        "(func (export \"f\") (param $p i32) (param $key i32) (result i32)
          (block $found (loop $l
            (br_if $found (i32.eq (i32.load (local.get $p)) (local.get $key)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $l)))
          (local.get $p))",
    ),
    (
        "word scan for a zero byte",
        "(func (export \"f\") (param $p i32) (result i32) (local $w i32)
          (block $done (loop $l
            (local.set $w (i32.load (local.get $p)))
            (br_if $done (i32.and (i32.and (i32.sub (local.get $w) (i32.const 0x0101_0101))
                                           (i32.xor (local.get $w) (i32.const -1)))
                                  (i32.const 0x8080_8080)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $l)))
          (local.get $p))",
    ),
    (
        "byte compared with a character",
        "(func (export \"f\") (param $p i32) (result i32)
          (i32.lt_u (i32.sub (i32.load8_s (local.get $p)) (i32.const 48)) (i32.const 10)))",
    ),
    (
        "maximum of two loads and a branch on their order",
        "(func (export \"f\") (param $p i32) (result i32) (local $x i32) (local $y i32)
          (local.set $x (i32.load (local.get $p)))
          (local.set $y (i32.load offset=4 (local.get $p)))
          (if (i32.gt_s (local.get $x) (local.get $y))
            (then (i32.store offset=8 (local.get $p) (local.get $x))))
          (select (local.get $x) (local.get $y) (i32.gt_u (local.get $x) (local.get $y))))",
    ),
    (
        "load passed to an import",
        "(func (export \"f\") (param $p i32) (call $log (i64.load (local.get $p))))",
    ),
    (
        "load used as the address of a load",
        "(func (export \"f\") (param $p i32) (result f64) (f64.load (i32.load (local.get $p))))",
    ),
    (
        "float dot product",
        "(func (export \"f\") (param $a i32) (param $b i32) (param $n i32) (result f32) (local $s f32) (local $i i32)
          (loop $l
            (local.set $s (f32.add (local.get $s)
              (f32.mul (f32.load (i32.add (local.get $a) (local.get $i)))
                       (f32.load (i32.add (local.get $b) (local.get $i))))))
            (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 4))) (local.get $n))))
          (local.get $s))",
    ),
    (
        "value through a helper that is inlined",
        "(func $get (param i32) (result i32) (i32.load (local.get 0)))
         (func (export \"f\") (param $p i32) (result i32)
           (i32.add (call $get (local.get $p)) (call $get (i32.add (local.get $p) (i32.const 4)))))",
    ),
    (
        "SIMD add of two vectors",
        "(func (export \"f\") (param $p i32)
          (v128.store (local.get $p)
            (i32x4.add (v128.load (local.get $p)) (v128.load offset=16 (local.get $p)))))",
    ),
    (
        "SIMD compare with a splat and bitmask",
        "(func (export \"f\") (param $p i32) (result i32)
          (i8x16.bitmask (i8x16.eq (v128.load (local.get $p)) (i8x16.splat (i32.const 10)))))",
    ),
];

#[test]
fn used_loads_stay_ordinary() {
    let mut failures = Vec::new();
    for (what, body) in KEPT {
        let wat =
            format!("(module (import \"env\" \"log\" (func $log (param i64))) (memory 1) {body})");
        let ir = optimized_ir(&wat);
        let volatile = volatile_loads(&ir);
        if volatile != 0 {
            failures.push(format!("{what}: {volatile} volatile loads\n{ir}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_sum_loop_still_vectorizes() {
    let ir = optimized_ir(&format!("(module (memory 1) {})", KEPT[0].1));
    let f = function(&ir, 0);
    assert!(f.contains("<4 x i32>"), "no vector code:\n{f}");
}

/// Loads an optimizer could delete or narrow, each in its own function.
const AT_RISK: &[(&str, &str)] = &[
    ("dropped", "(drop (i32.load (local.get 0)))"),
    (
        "stored to a dead local",
        "(local.set 1 (i32.load (local.get 0)))",
    ),
    (
        "x - x",
        "(i32.store (i32.const 0) (i32.sub (local.tee 1 (i32.load (local.get 0))) (local.get 1)))",
    ),
    (
        "only the low byte used",
        "(i32.store8 (i32.const 0) (i32.load (local.get 0)))",
    ),
    (
        "only bit 0 tested",
        "(if (i32.and (i32.load (local.get 0)) (i32.const 1)) (then (call $log (i64.const 1))))",
    ),
    ("dropped v128", "(drop (v128.load (local.get 0)))"),
    (
        "used only in one arm of a branch (may be sunk into it)",
        "(local.set 1 (i32.load (local.get 0)))
         (atomic.fence)
         (if (local.get 0) (then (i32.store (i32.const 0) (local.get 1))))",
    ),
    (
        "used only where a constant branch never goes",
        "(local.set 1 (i32.load (local.get 0)))
         (if (i32.const 1) (then (return)))
         (i32.store (i32.const 0) (local.get 1))",
    ),
    (
        "used only by a phi input along a dead edge",
        "(i32.store (i32.const 0)
           (block (result i32)
             (br_if 0 (i32.load (local.get 0)) (i32.const 0))
             (drop)
             (i32.const 7)))",
    ),
];

#[test]
fn loads_at_risk_become_volatile() {
    let mut failures = Vec::new();
    for (what, body) in AT_RISK {
        let wat = format!(
            "(module (import \"env\" \"log\" (func $log (param i64))) (memory 1)
               (func (export \"f\") (param i32) (local i32) {body}))"
        );
        let ir = optimized_ir(&wat);
        let f = function(&ir, 1);
        if volatile_loads(f) != 1 {
            failures.push(format!("{what}: expected one volatile load\n{f}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A load whose result is used only after a call to `callee` (function 1),
/// in exported function 2: `(i32.load) (call $callee) (global.set)`.
fn load_used_after_call(callee: &str) -> String {
    let wat = format!(
        "(module (import \"env\" \"log\" (func $log (param i64))) (memory 1)
           (global $g (mut i32) (i32.const 0))
           (func $callee (param i32) {callee})
           (func (export \"f\") (param i32)
             (i32.load (local.get 0))
             (call $callee (local.get 0))
             (global.set $g)))"
    );
    let ir = optimized_ir(&wat);
    function(&ir, 2).to_string()
}

#[test]
fn a_load_used_only_after_a_call_that_never_returns_becomes_volatile() {
    // LLVM infers `noreturn` for each of these callees (or inlines it) and
    // deletes the code after the call, with the load's only use.
    for callee in [
        "(unreachable)",
        "(loop $l (call $log (i64.const 0)) (br $l))",
        "(call $callee (local.get 0))",
        "(if (local.get 0) (then (unreachable))) (unreachable)",
    ] {
        let f = load_used_after_call(callee);
        assert_eq!(volatile_loads(&f), 1, "callee {callee}:\n{f}");
    }
}

#[test]
fn a_load_used_after_a_call_that_may_return_stays_ordinary() {
    for callee in [
        "(if (local.get 0) (then (unreachable)))",
        "(if (local.get 0) (then (call $callee (i32.const 0))))",
        "(call $log (i64.const 1))",
    ] {
        let f = load_used_after_call(callee);
        assert_eq!(volatile_loads(&f), 0, "callee {callee}:\n{f}");
        assert!(
            f.contains("load i32"),
            "callee {callee}: the load is gone\n{f}"
        );
    }
}
