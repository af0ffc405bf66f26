//! End-to-end tests of the scalar numeric operators through the whole
//! compiler: one module exporting a function per operator is compiled for
//! both targets at `-O0` and `-O2`, and the IR and assembly are checked for
//! the properties the lowering promises (guards before UB-prone
//! instructions, Wasm-exact intrinsics, no library calls).
//!
//! The operators' results are checked by running the spec scripts: the
//! lowering's own JIT harness (`translate/ops/numeric/tests/`) and the
//! spec runner of the CLI.

use tern_compiler::{compile_module, compile_module_text, CompileOptions, Target, TextOutput};

const TARGETS: [Target; 2] = [Target::X86_64, Target::Aarch64];

/// Integer operators with two operands of the width's type.
const INT_BINARY: &[&str] = &[
    "add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl", "shr_s",
    "shr_u", "rotl", "rotr",
];
/// Integer comparisons (result `i32`).
const INT_COMPARE: &[&str] = &[
    "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u",
];
/// Float operators with two operands of the width's type.
const FLOAT_BINARY: &[&str] = &["add", "sub", "mul", "div", "min", "max", "copysign"];
/// Float operators with one operand.
const FLOAT_UNARY: &[&str] = &["abs", "neg", "ceil", "floor", "trunc", "nearest", "sqrt"];
/// Float comparisons (result `i32`).
const FLOAT_COMPARE: &[&str] = &["eq", "ne", "lt", "gt", "le", "ge"];
/// One-operand operators as `(operator, operand type, result type)`.
const UNARY: &[(&str, &str, &str)] = &[
    ("i32.clz", "i32", "i32"),
    ("i32.ctz", "i32", "i32"),
    ("i32.popcnt", "i32", "i32"),
    ("i32.eqz", "i32", "i32"),
    ("i32.extend8_s", "i32", "i32"),
    ("i32.extend16_s", "i32", "i32"),
    ("i64.clz", "i64", "i64"),
    ("i64.ctz", "i64", "i64"),
    ("i64.popcnt", "i64", "i64"),
    ("i64.eqz", "i64", "i32"),
    ("i64.extend8_s", "i64", "i64"),
    ("i64.extend16_s", "i64", "i64"),
    ("i64.extend32_s", "i64", "i64"),
    ("i32.wrap_i64", "i64", "i32"),
    ("i64.extend_i32_s", "i32", "i64"),
    ("i64.extend_i32_u", "i32", "i64"),
    ("f32.demote_f64", "f64", "f32"),
    ("f64.promote_f32", "f32", "f64"),
    ("i32.reinterpret_f32", "f32", "i32"),
    ("i64.reinterpret_f64", "f64", "i64"),
    ("f32.reinterpret_i32", "i32", "f32"),
    ("f64.reinterpret_i64", "i64", "f64"),
];

/// The operand/result type of a type prefix (`i32`...).
const NUMBER_TYPES: [&str; 4] = ["i32", "i64", "f32", "f64"];

/// A function exporting `op` applied to its parameters.
fn func(op: &str, params: &[&str], result: &str) -> String {
    let params_decl: String = params.iter().map(|p| format!(" (param {p})")).collect();
    let args: String = (0..params.len())
        .map(|i| format!(" (local.get {i})"))
        .collect();
    format!("  (func (export \"{op}\"){params_decl} (result {result}) ({op}{args}))\n")
}

/// A module exporting one function per scalar numeric operator (named after
/// the operator), plus functions with constant operands.
fn all_operators() -> String {
    let mut wat = String::from("(module\n");
    for int in ["i32", "i64"] {
        for op in INT_BINARY {
            wat += &func(&format!("{int}.{op}"), &[int, int], int);
        }
        for op in INT_COMPARE {
            wat += &func(&format!("{int}.{op}"), &[int, int], "i32");
        }
    }
    for float in ["f32", "f64"] {
        for op in FLOAT_BINARY {
            wat += &func(&format!("{float}.{op}"), &[float, float], float);
        }
        for op in FLOAT_UNARY {
            wat += &func(&format!("{float}.{op}"), &[float], float);
        }
        for op in FLOAT_COMPARE {
            wat += &func(&format!("{float}.{op}"), &[float, float], "i32");
        }
        for int in ["i32", "i64"] {
            for sign in ["s", "u"] {
                wat += &func(&format!("{int}.trunc_{float}_{sign}"), &[float], int);
                wat += &func(&format!("{int}.trunc_sat_{float}_{sign}"), &[float], int);
                wat += &func(&format!("{float}.convert_{int}_{sign}"), &[int], float);
            }
        }
    }
    for (op, param, result) in UNARY {
        wat += &func(op, &[param], result);
    }
    for ty in NUMBER_TYPES {
        wat += &format!("  (func (export \"{ty}.const\") (result {ty}) ({ty}.const 1))\n");
    }
    wat += r#"  (func (export "f32.const_nan") (result f32) (f32.const -nan:0x1))
  (func (export "f64.mul_one") (param f64) (result f64) (f64.mul (local.get 0) (f64.const 1)))
)"#;
    wat
}

fn opts(target: Target, opt_level: u8) -> CompileOptions {
    CompileOptions {
        target,
        opt_level,
        symbol_prefix: "tern_m0_".into(),
        checkpoint: false,
        ..Default::default()
    }
}

fn text(target: Target, opt_level: u8, what: TextOutput) -> String {
    compile_module_text(all_operators().as_bytes(), &opts(target, opt_level), what)
        .unwrap_or_else(|e| panic!("{target} -O{opt_level}: {e}"))
}

#[test]
fn every_operator_compiles_for_both_targets() {
    for target in TARGETS {
        for opt_level in [0, 2] {
            let compiled = compile_module(all_operators().as_bytes(), &opts(target, opt_level))
                .unwrap_or_else(|e| panic!("{target} -O{opt_level}: {e}"));
            assert!(!compiled.object.is_empty());
        }
    }
}

/// Every `call` target in `asm`, except tern's own builtins and functions.
fn foreign_calls(asm: &str) -> Vec<String> {
    asm.lines()
        .filter_map(|line| {
            let line = line.trim();
            let callee = line.strip_prefix("call")?.trim_start_matches('q').trim();
            let callee = callee.split(['@', ' ', '\t']).next()?.to_string();
            (!callee.starts_with("tern_") && !callee.starts_with('*')).then_some(callee)
        })
        .chain(asm.lines().filter_map(|line| {
            let callee = line.trim().strip_prefix("bl\t")?.trim().to_string();
            (!callee.starts_with("tern_")).then_some(callee)
        }))
        .collect()
}

#[test]
fn numeric_code_calls_no_library_functions() {
    for target in TARGETS {
        for opt_level in [0, 2] {
            let asm = text(target, opt_level, TextOutput::Assembly);
            let calls = foreign_calls(&asm);
            assert!(calls.is_empty(), "{target} -O{opt_level} calls {calls:?}");
        }
    }
}

#[test]
fn rem_s_never_divides_int_min_by_minus_one() {
    // `srem INT_MIN, -1` is UB in LLVM: the lowering must replace a -1
    // divisor before the `srem`, so the unoptimized IR has a `select` feeding it.
    for target in TARGETS {
        let ir = text(target, 0, TextOutput::UnoptimizedIr);
        let srems: Vec<&str> = ir.lines().filter(|l| l.contains(" srem ")).collect();
        assert!(!srems.is_empty(), "{target}: no srem in the IR");
        for srem in srems {
            let divisor = srem.rsplit(", ").next().unwrap_or_default().trim();
            let defined_by_select = ir
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{divisor} = select")));
            assert!(defined_by_select, "{target}: unguarded {srem}");
        }
    }
}

#[test]
fn float_operators_use_wasm_exact_intrinsics() {
    let ir = text(Target::X86_64, 0, TextOutput::UnoptimizedIr);
    for intrinsic in [
        "llvm.minimum.f32",
        "llvm.maximum.f64",
        "llvm.roundeven.f32",
        "llvm.roundeven.f64",
        "llvm.fptosi.sat.i32.f32",
        "llvm.fptoui.sat.i64.f64",
        "llvm.fshl.i32",
        "llvm.fshr.i64",
        "llvm.ctlz.i64",
        "llvm.cttz.i32",
        "llvm.copysign.f32",
    ] {
        assert!(
            ir.contains(&format!("@{intrinsic}(")),
            "{intrinsic} missing"
        );
    }
    // `clz`/`ctz` of zero is defined in Wasm: never `is_zero_poison = true`.
    assert!(!ir
        .lines()
        .any(|l| l.contains("@llvm.ctlz") && l.contains("i1 true")));
    assert!(!ir
        .lines()
        .any(|l| l.contains("@llvm.cttz") && l.contains("i1 true")));
    // `neg` is a sign flip, not a subtraction.
    assert!(ir.contains("fneg float"));
}

#[test]
fn min_max_quiet_nans_only_where_needed() {
    // x86-64 `llvm.minimum` passes a signalling NaN through; AArch64's `fmin`
    // quiets it, so only x86-64 canonicalizes the result.
    let x86 = text(Target::X86_64, 0, TextOutput::UnoptimizedIr);
    let arm = text(Target::Aarch64, 0, TextOutput::UnoptimizedIr);
    assert!(x86.contains("@llvm.canonicalize.f32("));
    let arm_canonicalizes = arm
        .lines()
        .filter(|l| l.contains("call") && l.contains("@llvm.canonicalize"))
        .count();
    // Only `f64.mul_one` (an identity constant LLVM may fold) canonicalizes on AArch64.
    assert_eq!(arm_canonicalizes, 1, "AArch64 IR:\n{arm}");
}

#[test]
fn float_constants_keep_their_bits() {
    for target in TARGETS {
        let ir = text(target, 2, TextOutput::OptimizedIr);
        // -nan:0x1 is 0xff800001 as f32, which LLVM prints as the f64 of the
        // same value: sign, all-ones exponent, payload shifted by 29 bits.
        assert!(
            ir.contains("0xFFF0000020000000"),
            "{target}: NaN payload lost"
        );
    }
}
