//! Tail calls run in constant native stack: `tests/cr/tail_calls.wat`
//! recurses 10^7 times through `return_call`, `return_call_indirect`,
//! `return_call_ref` and a chain of functions with different signatures, on
//! every target, with the stack limited to 1 MiB (`ulimit -s`; qemu-user
//! sizes the guest stack from it too). The same recursion with ordinary
//! calls exhausts that stack, so the tail-call runs cannot have kept frames.

mod common;

use common::TempDir;
use std::path::Path;
use std::process::Command;

const DEPTH: &str = "10000000";

/// `exe` built for `target`, run as `--invoke NAME ARG` under a 1 MiB stack.
fn invoke_small_stack(target: &str, exe: &Path, name: &str, arg: &str) -> common::Run {
    let inner = common::target_command(target, exe);
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -s 1024 && exec \"$@\"")
        .arg("sh")
        .arg(inner.get_program())
        .args(inner.get_args())
        .args(["--invoke", name, "--", arg]);
    common::run(&mut cmd)
}

#[test]
fn deep_mutual_recursion_runs_in_constant_stack() {
    common::require_runtimes();
    let dir = TempDir::new("tail-calls");
    let wat = common::repo_root().join("tests/cr/tail_calls.wat");
    let cache = dir.join("cache");
    for target in common::targets() {
        if target.starts_with("aarch64") {
            common::require_aarch64();
        }
        for opt in [0u8, 2] {
            let exe = dir.join(&format!("tail-{target}-O{opt}"));
            common::tern_compile(&cache, &wat, &exe, target, opt);
            for name in ["even", "even_indirect", "even_ref"] {
                let run = invoke_small_stack(target, &exe, name, DEPTH);
                run.assert_success();
                assert_eq!(
                    run.stdout.trim(),
                    "1",
                    "{target} -O{opt} {name}: {}",
                    run.describe()
                );
            }
            // 10^7 steps of 3, through two signatures; the result is the fold
            // of every argument, as computed by an independent loop.
            let run = invoke_small_stack(target, &exe, "down", "30000000");
            run.assert_success();
            let mut acc: i64 = 0;
            let mut n: i64 = 30_000_000;
            loop {
                acc = acc.wrapping_mul(31).wrapping_add(n);
                if n == 0 {
                    break;
                }
                n -= 3;
            }
            assert_eq!(run.stdout.trim(), acc.to_string(), "{target} -O{opt} down");
            // Without tail calls, the same depth does not fit.
            let run = invoke_small_stack(target, &exe, "deep_call", DEPTH);
            run.assert_trap("call stack exhausted");
        }
    }
}

/// Mutual tail recursion through a table, with more results than x86-64
/// returns in registers (four integers): LLVM returns them through a hidden
/// pointer and cannot promise the tail call, which used to stop the compiler
/// ("failed to perform tail call elimination on a call site marked
/// musttail"). It now compiles on both targets, plain and with `--cr`, and
/// answers right; AArch64 returns all seven in registers, so there the
/// recursion still runs in constant stack. A `--cr` run stopped halfway
/// resumes on either ISA.
const MANY_RESULTS: &str = r#"(module
  (type $t (func (param i32) (result i32 i32 i32 i32 f64 f64 f64)))
  (table 2 funcref)
  (elem (i32.const 0) $f $g)
  (func $g (type $t)
    (if (result i32 i32 i32 i32 f64 f64 f64) (i32.eqz (local.get 0))
      (then (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4)
            (f64.const 5) (f64.const 6) (f64.const 7))
      (else (return_call_indirect (type $t)
              (i32.sub (local.get 0) (i32.const 1))
              (i32.and (local.get 0) (i32.const 1))))))
  (func $f (export "f") (type $t)
    (if (result i32 i32 i32 i32 f64 f64 f64) (i32.eqz (local.get 0))
      (then (local.get 0) (i32.const 20) (i32.const 30) (i32.const 40)
            (f64.const 50) (f64.const 60) (f64.const 70))
      (else (return_call_indirect (type $t)
              (i32.sub (local.get 0) (i32.const 1))
              (i32.and (local.get 0) (i32.const 1)))))))"#;

#[test]
fn tail_calls_with_results_in_memory_compile_and_resume() {
    common::require_runtimes();
    common::require_aarch64();
    let dir = TempDir::new("tail-many-results");
    let wasm = common::write_file(&dir, "many.wasm", &common::wat_to_wasm(MANY_RESULTS));
    let cache = dir.join("cache");
    // The last step, from 1 to 0, goes to table entry 1: $g. Only f(0)
    // answers itself.
    let expected = |n: u32| {
        if n == 0 {
            "0\n20\n30\n40\n50\n60\n70\n"
        } else {
            "1\n2\n3\n4\n5\n6\n7\n"
        }
    };
    let mut cr_exes = Vec::new();
    for target in common::targets() {
        for cr in [false, true] {
            let exe = dir.join(&format!("many-{target}-{cr}"));
            let mut compile = common::tern(&cache);
            compile.arg("compile").arg(&wasm).arg("-o").arg(&exe);
            compile.args(["--target", target]);
            if cr {
                compile.arg("--cr");
                cr_exes.push((target, exe.clone()));
            }
            common::run(&mut compile).assert_success();
            for n in [0u32, 7, 1000] {
                let run = common::run(
                    common::target_command(target, &exe)
                        .args(["--invoke", "f", "--"])
                        .arg(n.to_string()),
                );
                run.assert_success();
                assert_eq!(run.stdout, expected(n), "{target} --cr={cr} f({n})");
            }
            if target.starts_with("aarch64") {
                let run = invoke_small_stack(target, &exe, "f", DEPTH);
                run.assert_success();
                assert_eq!(run.stdout, expected(10_000_000), "{target} --cr={cr} deep");
            }
        }
    }
    // Stopped at the 1001st point of f(2001) on each ISA, resumed on each.
    for (from, stopped_exe) in &cr_exes {
        let snap = dir.join(&format!("many-{from}.tsnap"));
        common::run(
            common::target_command(from, stopped_exe)
                .args(["--invoke", "f", "--checkpoint-to"])
                .arg(&snap)
                .args(["--", "2001"])
                .env("TERN_CHECKPOINT_AT", "1001"),
        )
        .assert_code(75);
        for (to, exe) in &cr_exes {
            let run = common::run(
                common::target_command(to, exe)
                    .arg("--restore")
                    .arg(&snap)
                    .arg("--"),
            );
            run.assert_success();
            assert_eq!(run.stdout, expected(2001), "{from} -> {to}");
        }
    }
}
