//! Hand-written edge cases of the numeric operators, as wast scripts.

use super::assert_wast;

#[test]
fn integer_division_edges() {
    assert_wast(
        "division",
        r#"(module
          (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
          (func (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
          (func (export "rem_s64") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1))))
        (assert_trap (invoke "div_s" (i32.const 0x80000000) (i32.const -1)) "integer overflow")
        (assert_trap (invoke "div_s" (i32.const 1) (i32.const 0)) "integer divide by zero")
        (assert_return (invoke "rem_s" (i32.const 0x80000000) (i32.const -1)) (i32.const 0))
        (assert_return (invoke "rem_s" (i32.const -7) (i32.const 2)) (i32.const -1))
        (assert_return (invoke "rem_s64" (i64.const 0x8000000000000000) (i64.const -1)) (i64.const 0))
        (assert_trap (invoke "rem_s64" (i64.const 5) (i64.const 0)) "integer divide by zero")"#,
    );
}

#[test]
fn trapping_truncation_bounds() {
    assert_wast(
        "truncation",
        r#"(module
          (func (export "i32_f32_s") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
          (func (export "i32_f64_s") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
          (func (export "i32_f64_u") (param f64) (result i32) (i32.trunc_f64_u (local.get 0)))
          (func (export "i64_f64_u") (param f64) (result i64) (i64.trunc_f64_u (local.get 0))))
        (assert_return (invoke "i32_f32_s" (f32.const -0x1p31)) (i32.const 0x80000000))
        (assert_trap (invoke "i32_f32_s" (f32.const 0x1p31)) "integer overflow")
        (assert_trap (invoke "i32_f32_s" (f32.const nan)) "invalid conversion to integer")
        (assert_return (invoke "i32_f64_s" (f64.const -2147483648.9)) (i32.const 0x80000000))
        (assert_trap (invoke "i32_f64_s" (f64.const -2147483649.0)) "integer overflow")
        (assert_return (invoke "i32_f64_s" (f64.const 2147483647.9)) (i32.const 0x7fffffff))
        (assert_return (invoke "i32_f64_u" (f64.const -0.9)) (i32.const 0))
        (assert_trap (invoke "i32_f64_u" (f64.const -1.0)) "integer overflow")
        (assert_return (invoke "i32_f64_u" (f64.const 4294967295.9)) (i32.const -1))
        (assert_return (invoke "i64_f64_u" (f64.const 0x1.fffffffffffffp63)) (i64.const 0xfffffffffffff800))
        (assert_trap (invoke "i64_f64_u" (f64.const 0x1p64)) "integer overflow")"#,
    );
}

#[test]
fn float_sign_and_nan_edges() {
    assert_wast(
        "floats",
        r#"(module
          (func (export "neg") (param f32) (result f32) (f32.neg (local.get 0)))
          (func (export "min") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))
          (func (export "max") (param f32 f32) (result f32) (f32.max (local.get 0) (local.get 1)))
          (func (export "nearest") (param f64) (result f64) (f64.nearest (local.get 0)))
          (func (export "const_nan") (result f32) (f32.const nan:0x200001)))
        (assert_return (invoke "neg" (f32.const nan:0x200000)) (f32.const -nan:0x200000))
        (assert_return (invoke "neg" (f32.const 0)) (f32.const -0))
        (assert_return (invoke "min" (f64.const 0) (f64.const -0)) (f64.const -0))
        (assert_return (invoke "min" (f64.const -0) (f64.const 0)) (f64.const -0))
        (assert_return (invoke "min" (f64.const 1) (f64.const nan)) (f64.const nan:canonical))
        (assert_return (invoke "max" (f32.const -0) (f32.const 0)) (f32.const 0))
        (assert_return (invoke "max" (f32.const nan:0x200000) (f32.const 1)) (f32.const nan:arithmetic))
        (assert_return (invoke "nearest" (f64.const 2.5)) (f64.const 2))
        (assert_return (invoke "nearest" (f64.const -0.5)) (f64.const -0))
        (assert_return (invoke "const_nan") (f32.const nan:0x200001))"#,
    );
}
