//! Unknown imports and the WASI runtime options of `tern run` and of
//! compiled executables, on both targets:
//!
//! - an import nobody defines is a link error naming `module::name` (exit 1,
//!   nothing runs);
//! - with `--trap-unknown-imports` the program runs, stubs that are never
//!   called are harmless, and calling one traps (exit 134) with a message
//!   naming the import, whatever its signature (several results included);
//!   non-function imports stay link errors;
//! - malformed values of the new options are usage errors.

mod common;

use common::TempDir;
use std::path::Path;

const MODULE: &str = r#"
(module
  (import "env" "missing_fn" (func $m (param i32 f64) (result i32 i64 f32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "no_such_wasi" (func $n (param i64)))
  (import "env" "many_results" (func $r (param f32 v128) (result i64 i64 i64 i64 i64 f64)))
  (memory (export "memory") 1)
  (data (i32.const 16) "before\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 7))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $m (i32.const 1) (f64.const 2))
    drop drop drop)
  (func (export "other") (call $n (i64.const 1)))
  (func (export "many") (result i64)
    (call $r (f32.const 1) (v128.const i64x2 1 2)) drop drop drop drop drop)
  (func (export "untouched") (result i32) (i32.const 7)))
"#;

const MEMORY_IMPORT: &str = r#"
(module
  (import "env" "mem" (memory 1))
  (func (export "_start")))
"#;

/// Runs `tern run --target T ARGS MODULE -- GUEST` and the compiled
/// executable with `ARGS -- GUEST`; both must behave the same, checked by `check`.
fn both_ways(
    dir: &TempDir,
    module: &Path,
    target: &str,
    args: &[&str],
    guest: &[&str],
    check: &dyn Fn(&common::Run),
) {
    let cache = dir.join("cache");
    let mut run = common::tern(&cache);
    run.args(["run", "--target", target])
        .args(args)
        .arg(module)
        .arg("--")
        .args(guest);
    check(&common::run(&mut run));
    let exe = dir.join(&format!("prog.{target}"));
    if !exe.is_file() {
        common::tern_compile(&cache, module, &exe, target, 1);
    }
    let mut direct = common::target_command(target, &exe);
    direct.args(args).arg("--").args(guest);
    check(&common::run(&mut direct));
}

#[test]
fn unknown_import_is_a_link_error_naming_it() {
    common::require_toolchain();
    let dir = TempDir::new("imports-link");
    let module = common::write_file(&dir, "unknown.wat", MODULE.as_bytes());
    for target in common::targets() {
        both_ways(&dir, &module, target, &[], &[], &|r| {
            r.assert_error(&["unknown import: `env::missing_fn` has not been defined"]);
            assert_eq!(r.stdout, "", "nothing runs\n{}", r.describe());
        });
    }
}

#[test]
fn trap_unknown_imports_stubs_trap_when_called() {
    common::require_toolchain();
    let dir = TempDir::new("imports-trap");
    let module = common::write_file(&dir, "unknown.wat", MODULE.as_bytes());
    let flag = ["--trap-unknown-imports"];
    for target in common::targets() {
        both_ways(&dir, &module, target, &flag, &[], &|r| {
            r.assert_trap("host function trapped");
            r.assert_stderr_mentions(&["unknown import `env::missing_fn`"]);
            assert_eq!(r.stdout, "before\n", "ran up to the call\n{}", r.describe());
        });
        let invoke_other = ["--trap-unknown-imports", "--invoke", "other"];
        both_ways(&dir, &module, target, &invoke_other, &[], &|r| {
            r.assert_trap("host function trapped");
            r.assert_stderr_mentions(&["unknown import `wasi_snapshot_preview1::no_such_wasi`"]);
        });
        // Five i64 results and an f64 do not fit in registers: the call passes a
        // hidden result pointer, which the stub must not mind either.
        let invoke_many = ["--trap-unknown-imports", "--invoke", "many"];
        both_ways(&dir, &module, target, &invoke_many, &[], &|r| {
            r.assert_trap("host function trapped");
            r.assert_stderr_mentions(&["unknown import `env::many_results`"]);
        });
        let invoke_untouched = ["--trap-unknown-imports", "--invoke", "untouched"];
        both_ways(&dir, &module, target, &invoke_untouched, &[], &|r| {
            r.assert_success();
            assert_eq!(r.stdout, "7\n", "{}", r.describe());
        });
    }
}

#[test]
fn trap_unknown_imports_does_not_stub_memories() {
    common::require_toolchain();
    let dir = TempDir::new("imports-memory");
    let module = common::write_file(&dir, "memory.wat", MEMORY_IMPORT.as_bytes());
    for target in common::targets() {
        both_ways(
            &dir,
            &module,
            target,
            &["--trap-unknown-imports"],
            &[],
            &|r| {
                r.assert_error(&["unknown import: `env::mem` has not been defined"]);
            },
        );
    }
}

#[test]
fn bad_runtime_option_values_are_usage_errors() {
    common::require_toolchain();
    let dir = TempDir::new("imports-options");
    let module = common::write_file(&dir, "memory.wat", b"(module (func (export \"_start\")))");
    let target = common::targets()[0];
    for (args, needle) in [
        (&["--tcplisten", "localhost"][..], "--tcplisten"),
        (
            &["--tcplisten", "192.0.2.1:1"][..],
            "cannot listen on 192.0.2.1:1",
        ),
        (
            &["--dir", "/nonexistent-tern-dir::/x"][..],
            "/nonexistent-tern-dir",
        ),
    ] {
        both_ways(&dir, &module, target, args, &[], &|r| {
            r.assert_error(&[needle]);
        });
    }
    // A flag option with a value is refused by the executable's parser.
    let exe = dir.join(&format!("prog.{target}"));
    let r = common::run(common::target_command(target, &exe).args(["--inherit-env=yes", "--"]));
    r.assert_error(&["takes no value"]);
}
