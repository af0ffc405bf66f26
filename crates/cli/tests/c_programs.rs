//! C programs from `tests/c/`: each is built natively and to wasm32-wasi with
//! clang-22 -O2, the wasm is compiled by `tern compile` for x86-64 and for
//! AArch64, and every build runs with the same arguments. Standard output
//! and exit status must be identical to the native build's (stderr is not
//! compared: only the programs' own messages go there).
//!
//! Programs taking a directory (`files`) get a fresh empty one per run: its
//! host path natively, and `--dir HOST::/sandbox` plus `/sandbox` under tern.
//! A few numeric programs are also compiled at `-O 0`.
//!
//! The AArch64 executables run under qemu-user. A missing tool fails the
//! test with a message pointing at `scripts/setup.sh`.

mod common;

use common::TempDir;
use std::path::PathBuf;
use std::time::Duration;

/// Builds `name` natively and for both targets, runs each argument list on
/// every build and compares against the native run.
fn check_program(name: &str, arg_sets: &[&[&str]]) {
    check(name, arg_sets, 2, false);
}

/// As [`check_program`], compiling with `tern compile -O opt`; with
/// `sandbox`, every run gets a fresh directory as its first argument.
fn check(name: &str, arg_sets: &[&[&str]], opt: u8, sandbox: bool) {
    common::require_toolchain();
    let dir = TempDir::new(&format!("c-{name}-O{opt}"));
    let src = common::c_source(name);
    assert!(src.is_file(), "missing test program {}", src.display());

    let wasm = dir.join(&format!("{name}.wasm"));
    let native = dir.join(&format!("{name}.native"));
    common::build_c_to_wasm(&src, &wasm);
    common::build_c_native(&src, &native);

    let cache = dir.join("cache");
    let builds: Vec<(&str, PathBuf)> = common::targets()
        .into_iter()
        .map(|target| {
            let exe = dir.join(&format!("{name}.{target}"));
            common::tern_compile(&cache, &wasm, &exe, target, opt);
            (target, exe)
        })
        .collect();

    let mut failures = Vec::new();
    let mut hung: Vec<&str> = Vec::new();
    let mut fresh_dirs = 0;
    let mut fresh_dir = || {
        fresh_dirs += 1;
        let path = dir.join(&format!("sandbox-{fresh_dirs}"));
        std::fs::create_dir(&path).expect("create a sandbox folder");
        path
    };
    for args in arg_sets {
        let mut native_cmd = std::process::Command::new(&native);
        if sandbox {
            native_cmd.arg(fresh_dir());
        }
        let expected = common::run(native_cmd.args(*args));
        let expected_code = expected.code();
        for (target, exe) in &builds {
            if hung.contains(target) {
                failures.push(format!(
                    "{name} {args:?} on {target}: not run (an earlier run hung)"
                ));
                continue;
            }
            let mut cmd = common::target_command(target, exe);
            if sandbox {
                let host = fresh_dir();
                cmd.arg("--dir")
                    .arg(format!("{}::/sandbox", host.display()))
                    .args(["--", "/sandbox"]);
            } else {
                // After `--`, guest arguments never count as runtime options.
                cmd.arg("--");
            }
            let got = common::run_with_timeout(cmd.args(*args), Duration::from_secs(180));
            if got.timed_out.is_some() {
                hung.push(target);
            }
            if got.timed_out.is_some() || got.stderr.contains("panicked") {
                failures.push(format!(
                    "{name} {args:?} on {target}: hung or panicked\n{}",
                    got.describe()
                ));
                continue;
            }
            let same_out = got.stdout == expected.stdout;
            let same_code = got.status.code() == Some(expected_code);
            if !same_out || !same_code {
                failures.push(format!(
                    "{name} {args:?} on {target}: {}{}\n{}\n--- first difference in stdout ---\n{}",
                    if same_code {
                        String::new()
                    } else {
                        format!(
                            "exit status {:?}, native {expected_code}; ",
                            got.status.code()
                        )
                    },
                    if same_out { "" } else { "stdout differs" },
                    got.describe(),
                    first_difference(&expected.stdout, &got.stdout),
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The first line where `expected` and `got` differ, for failure messages.
fn first_difference(expected: &str, got: &str) -> String {
    let mut e = expected.lines();
    let mut g = got.lines();
    for line in 1.. {
        match (e.next(), g.next()) {
            (None, None) => return "(none: outputs differ only in trailing newlines)".into(),
            (a, b) if a == b => continue,
            (a, b) => return format!("line {line}:\n  native: {a:?}\n  tern:   {b:?}"),
        }
    }
    unreachable!()
}

#[test]
fn args() {
    check_program(
        "args",
        &[
            &[],
            &["a", "hello world", "", "x"],
            &["--", "-O", "ünïcødé"],
        ],
    );
}

#[test]
fn exit_codes() {
    check_program(
        "exit_codes",
        &[
            &["return", "0"],
            &["return", "42"],
            &["exit", "7"],
            &["exit", "255"],
            &["_exit", "100"],
            &[],
        ],
    );
}

#[test]
fn clock_random() {
    check_program("clock_random", &[&[]]);
}

#[test]
fn memory() {
    check_program("memory", &[&["4"], &["16"]]);
}

#[test]
fn recursion() {
    check_program("recursion", &[&["10000"], &["50000"]]);
}

#[test]
fn funcptr() {
    check_program("funcptr", &[&[], &["mul", "xor", "add", "nope"]]);
}

#[test]
fn floats() {
    check_program("floats", &[&[], &["0.5"], &["0.25"]]);
}

#[test]
fn int64() {
    check_program("int64", &[&[], &["12345"], &["0xffffffffffffffff"]]);
}

#[test]
fn switch() {
    check_program("switch", &[&["25"], &["0"], &["100000"]]);
}

#[test]
fn strings() {
    check_program("strings", &[&["42", "0x1f", "-077z", "junk"], &[]]);
}

#[test]
fn files() {
    check("files", &[&[], &["1000"]], 2, true);
}

#[test]
fn numeric_programs_at_o0() {
    check("floats", &[&[], &["0.5"]], 0, false);
    check("int64", &[&["12345"]], 0, false);
}
