//! Exception handling end to end (the `.wast` cases in `tests/eh/` run in
//! the spec target): C programs whose setjmp/longjmp clang lowers to Wasm
//! exceptions (exnref form) give Wasmtime's output on x86-64 and AArch64,
//! with and without `--cr`; a checkpoint taken between a setjmp and its
//! longjmp (inside the try_table of `main`, deep in calls) restores on the
//! other ISA and the jump is caught by the restored frame; an exception that
//! reaches the host is reported like a trap (also when a legacy handler
//! rethrows it or a `delegate` sends it past a handler to the host), and a
//! trap is never caught; a checkpoint with a live exnref restores on the
//! other ISA.

mod common;

use common::TempDir;
use std::path::{Path, PathBuf};
use std::process::Command;

const X86: &str = "x86_64-linux-gnu";
const ARM: &str = "aarch64-linux-gnu";

fn eh_source(name: &str) -> PathBuf {
    common::repo_root().join("tests/eh").join(name)
}

/// Builds `tests/eh/NAME.c` with the sjlj runtime.
fn build_sjlj(dir: &TempDir, name: &str) -> PathBuf {
    let wasm = dir.join(&format!("{name}.wasm"));
    common::build_c_to_wasm_sjlj(
        &[eh_source(&format!("{name}.c")), eh_source("sjlj_runtime.c")],
        &wasm,
    );
    wasm
}

/// Builds `tests/eh/NAME.c` with the sjlj runtime in the legacy
/// exception-handling form, and checks that it really is that form.
fn build_sjlj_legacy(dir: &TempDir, name: &str) -> PathBuf {
    let wasm = dir.join(&format!("{name}-legacy.wasm"));
    common::build_c_to_wasm_sjlj_legacy(
        &[eh_source(&format!("{name}.c")), eh_source("sjlj_runtime.c")],
        &wasm,
    );
    let bytes = std::fs::read(&wasm).expect("the legacy build");
    let features = wasmparser::WasmFeatures::all();
    let without = features.difference(wasmparser::WasmFeatures::LEGACY_EXCEPTIONS);
    assert!(
        wasmparser::Validator::new_with_features(features)
            .validate_all(&bytes)
            .is_ok()
            && wasmparser::Validator::new_with_features(without)
                .validate_all(&bytes)
                .is_err(),
        "{name}: clang did not emit the legacy form"
    );
    wasm
}

/// Wasmtime's stdout for `wasm` (exceptions enabled); it must succeed.
fn wasmtime_output(wasm: &Path) -> String {
    let run = common::run(
        Command::new(common::wasmtime())
            .args(["run", "-W", "exceptions=y"])
            .arg(wasm),
    );
    assert_eq!(run.code(), 0, "Wasmtime failed\n{}", run.describe());
    run.stdout
}

fn compile(cache: &Path, wasm: &Path, exe: &Path, target: &str, cr: bool) {
    let mut cmd = common::tern(cache);
    cmd.arg("compile").arg(wasm).arg("-o").arg(exe);
    cmd.args(["--target", target]);
    if cr {
        cmd.arg("--cr");
    }
    common::run(&mut cmd).assert_success();
}

#[test]
fn setjmp_longjmp_matches_wasmtime_on_both_isas() {
    common::require_toolchain();
    common::require_aarch64();
    let dir = TempDir::new("eh-sjlj");
    let wasm = build_sjlj(&dir, "sjlj");
    let expected = wasmtime_output(&wasm);
    assert!(
        expected.contains("1000 jumps"),
        "unexpected reference:\n{expected}"
    );
    outputs_match_on_both_isas(&dir, &wasm, "sjlj", &expected);
}

/// The same program with setjmp/longjmp in the legacy form (which Wasmtime
/// cannot run: its output is compared with Wasmtime's for the exnref build).
#[test]
fn legacy_setjmp_longjmp_matches_wasmtime_on_both_isas() {
    common::require_toolchain();
    common::require_aarch64();
    let dir = TempDir::new("eh-sjlj-legacy");
    let expected = wasmtime_output(&build_sjlj(&dir, "sjlj"));
    assert!(
        expected.contains("1000 jumps"),
        "unexpected reference:\n{expected}"
    );
    let wasm = build_sjlj_legacy(&dir, "sjlj");
    outputs_match_on_both_isas(&dir, &wasm, "sjlj-legacy", &expected);
}

/// Runs `wasm` compiled for both ISAs, plain and with `--cr`: each run exits 0
/// and prints `expected` (Wasmtime's output).
fn outputs_match_on_both_isas(dir: &TempDir, wasm: &Path, stem: &str, expected: &str) {
    let cache = dir.join("cache");
    for target in [X86, ARM] {
        for cr in [false, true] {
            let exe = dir.join(&format!("{stem}-{target}-{cr}"));
            compile(&cache, wasm, &exe, target, cr);
            let run = common::run(common::target_command(target, &exe).arg("--"));
            assert_eq!(run.code(), 0, "{stem} {target} cr={cr}\n{}", run.describe());
            assert_eq!(
                run.stdout, expected,
                "{stem} {target} cr={cr} differs from Wasmtime"
            );
        }
    }
}

#[test]
fn checkpoint_between_setjmp_and_longjmp_restores_on_the_other_isa() {
    common::require_toolchain();
    common::require_aarch64();
    let dir = TempDir::new("eh-sjlj-cr");
    let wasm = build_sjlj(&dir, "sjlj_cr");
    // _start, main (in its try_table), descend, mix (names are stripped):
    // the checkpoint is deep in calls, before the longjmp.
    let expected = wasmtime_output(&wasm);
    check_routes(&dir, &wasm, &expected, "sjlj_cr", 4);
}

/// The same in the legacy form: the checkpoint is inside main's legacy `try`.
#[test]
fn checkpoint_between_setjmp_and_longjmp_in_the_legacy_form_restores_on_the_other_isa() {
    common::require_toolchain();
    common::require_aarch64();
    let dir = TempDir::new("eh-sjlj-cr-legacy");
    let expected = wasmtime_output(&build_sjlj(&dir, "sjlj_cr"));
    let wasm = build_sjlj_legacy(&dir, "sjlj_cr");
    check_routes(&dir, &wasm, &expected, "sjlj_cr_legacy", 4);
}

#[test]
fn checkpoint_in_a_try_table_keeps_what_only_the_handler_reads() {
    common::require_runtimes();
    common::require_aarch64();
    let dir = TempDir::new("eh-handler-local");
    // _start and work (its loop): points a bit past a third and two thirds
    // are inside `work`, not in the handler's prints.
    let module = eh_source("handler_local.wat");
    let expected = wasmtime_output(&module);
    check_routes(&dir, &module, &expected, "handler_local", 2);
}

/// Compiles `module` with `--cr` for both ISAs, then checkpoints 500 points
/// after a third and two thirds of its migration points and restores on the other ISA
/// (both ways): the joined output must be `expected` (Wasmtime's), and each
/// snapshot must hold at least `min_frames` frames.
fn check_routes(dir: &TempDir, module: &Path, expected: &str, stem: &str, min_frames: usize) {
    let cache = dir.join("cache");
    let exe = |t: &str| dir.join(&format!("{stem}-{t}"));
    for target in [X86, ARM] {
        compile(&cache, module, &exe(target), target, true);
    }
    let counted = common::run(
        Command::new(exe(X86))
            .arg("--")
            .env("TERN_CHECKPOINT_AT", u64::MAX.to_string())
            .env("TERN_CHECKPOINT_REPORT", "1"),
    );
    assert_eq!(counted.stdout, expected);
    let points: u64 = counted
        .stderr
        .lines()
        .find_map(|l| {
            l.strip_prefix("tern: reached ")?
                .strip_suffix(" migration points")?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no point count\n{}", counted.describe()));
    for at in [points / 3 + 500, points * 2 / 3 + 500] {
        for (from, to) in [(X86, ARM), (ARM, X86)] {
            let snapshot = dir.join(&format!("{from}-{at}.tsnap"));
            let first = common::run(
                common::target_command(from, &exe(from))
                    .arg("--checkpoint-to")
                    .arg(&snapshot)
                    .arg("--")
                    .env("TERN_CHECKPOINT_AT", at.to_string()),
            );
            assert_eq!(first.code(), 75, "{from} at {at}\n{}", first.describe());
            let inspect = common::run(
                common::tern(&cache)
                    .args(["snapshot", "inspect"])
                    .arg(&snapshot),
            );
            let frames: usize = inspect
                .stdout
                .lines()
                .find_map(|l| {
                    l.strip_prefix("call stack (")?
                        .split(' ')
                        .next()?
                        .parse()
                        .ok()
                })
                .unwrap_or(0);
            assert!(
                frames >= min_frames,
                "the checkpoint should be deep in calls inside the try_table\n{}",
                inspect.describe()
            );
            let second = common::run(
                common::target_command(to, &exe(to))
                    .arg("--restore")
                    .arg(&snapshot)
                    .arg("--"),
            );
            assert_eq!(second.code(), 0, "{to} restore\n{}", second.describe());
            assert_eq!(
                format!("{}{}", first.stdout, second.stdout),
                expected,
                "{stem}: {from} -> {to} with a checkpoint at point {at} of {points}"
            );
        }
    }
}

/// A WASI command whose `_start` runs `body` (with tag `$e`).
fn command_module(body: &str) -> String {
    format!(
        r#"(module
             (tag $e (param i32))
             (func $boom unreachable)
             (memory (export "memory") 1)
             (func (export "_start") {body}))"#
    )
}

#[test]
fn uncaught_exception_exits_like_a_trap_and_traps_are_not_caught() {
    common::require_runtimes();
    let dir = TempDir::new("eh-uncaught");
    let cache = dir.join("cache");
    let cases = [
        ("uncaught", "(throw $e (i32.const 1))", "uncaught exception"),
        (
            "trap",
            "(block $h (try_table (catch_all $h) (call $boom)))",
            "unreachable",
        ),
        (
            "legacy-uncaught",
            "try (throw $e (i32.const 1)) catch_all rethrow 0 end",
            "uncaught exception",
        ),
        (
            "legacy-delegated",
            "try try (throw $e (i32.const 1)) delegate 1 catch_all end",
            "uncaught exception",
        ),
        (
            "legacy-trap",
            "try (call $boom) catch_all end",
            "unreachable",
        ),
    ];
    for (name, body, message) in cases {
        let wasm = common::write_file(
            &dir,
            &format!("{name}.wasm"),
            &common::wat_to_wasm(&command_module(body)),
        );
        for target in common::targets() {
            for cr in [false, true] {
                let exe = dir.join(&format!("{name}-{target}-{cr}"));
                compile(&cache, &wasm, &exe, target, cr);
                common::run(common::target_command(target, &exe).arg("--")).assert_trap(message);
            }
        }
    }
}

/// A checkpoint while a caught exception is held in a local (an exnref):
/// the snapshot holds the exception, and the restored program, on the
/// other ISA, rethrows it (uncaught) after the remaining lines.
#[test]
fn checkpoint_with_a_live_exnref_restores_on_the_other_isa() {
    common::require_runtimes();
    common::require_aarch64();
    let dir = TempDir::new("eh-exnref-live");
    let cache = dir.join("cache");
    let module = eh_source("exnref_live.wat");
    let exe = |t: &str| dir.join(&format!("exnref_live-{t}"));
    for target in [X86, ARM] {
        compile(&cache, &module, &exe(target), target, true);
        let whole = common::run(common::target_command(target, &exe(target)).arg("--"));
        whole.assert_trap("uncaught exception");
        assert_eq!(whole.stdout, "hi\n".repeat(5));
    }
    for (from, to) in [(X86, ARM), (ARM, X86)] {
        let snapshot = dir.join(&format!("{from}.tsnap"));
        let first = common::run(
            common::target_command(from, &exe(from))
                .arg("--checkpoint-to")
                .arg(&snapshot)
                .arg("--")
                .env("TERN_CHECKPOINT_AT", "3"),
        );
        assert_eq!(first.code(), 75, "{}", first.describe());
        let inspect = common::run(
            common::tern(&cache)
                .args(["snapshot", "inspect"])
                .arg(&snapshot),
        );
        assert!(
            inspect.stdout.contains("exnref exception[0]")
                && inspect.stdout.contains("exception[0]: tag 0"),
            "the exnref local and its exception are in the snapshot\n{}",
            inspect.describe()
        );
        let second = common::run(
            common::target_command(to, &exe(to))
                .arg("--restore")
                .arg(&snapshot)
                .arg("--"),
        );
        second.assert_trap("uncaught exception");
        assert_eq!(
            format!("{}{}", first.stdout, second.stdout),
            "hi\n".repeat(5),
            "{from} -> {to}"
        );
    }
}
