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
