//! The `tern` command line: `run --invoke`, `compile -o`, every `-O` level,
//! both `--target`s, guest arguments and exit status, and the compile cache.

mod common;

use common::{TempDir, TARGETS};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Exports with every value type, for `--invoke`.
const CALC: &str = r#"
(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "add64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.add)
  (func (export "mulf64") (param f64 f64) (result f64) local.get 0 local.get 1 f64.mul)
  (func (export "halff32") (param f32) (result f32) local.get 0 f32.const 0.5 f32.mul)
  (func (export "swap") (param i32 i32) (result i32 i32) local.get 1 local.get 0)
  (func (export "nothing"))
  (func $fac (export "fac") (param i64) (result i64)
    (local $acc i64)
    i64.const 1 local.set $acc
    block $done
      loop $next
        local.get 0 i64.eqz br_if $done
        local.get $acc local.get 0 i64.mul local.set $acc
        local.get 0 i64.const 1 i64.sub local.set 0
        br $next
      end
    end
    local.get $acc)
  (func $fib (export "fib") (param i32) (result i32)
    local.get 0 i32.const 2 i32.lt_u
    if (result i32) local.get 0
    else
      local.get 0 i32.const 1 i32.sub call $fib
      local.get 0 i32.const 2 i32.sub call $fib
      i32.add
    end)
  (memory 1)
  (func (export "memsum") (param i32) (result i32)
    (local $i i32) (local $sum i32)
    block $done
      loop $next
        local.get $i local.get 0 i32.ge_u br_if $done
        local.get $i i32.const 4 i32.mul local.get $i i32.store
        local.get $i i32.const 1 i32.add local.set $i
        br $next
      end
    end
    i32.const 0 local.set $i
    block $done
      loop $next
        local.get $i local.get 0 i32.ge_u br_if $done
        local.get $sum local.get $i i32.const 4 i32.mul i32.load i32.add local.set $sum
        local.get $i i32.const 1 i32.add local.set $i
        br $next
      end
    end
    local.get $sum)
)
"#;

/// Writes "hello from tern" through WASI and exits with status 7.
const HELLO: &str = r#"
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from tern\n")
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 16))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.const 7)))
)
"#;

fn invoke(cache: &Path, target: &str, module: &Path, name: &str, args: &[&str]) -> common::Run {
    let module = module.to_string_lossy();
    let mut all = vec!["run", "--target", target, "--invoke", name, &module];
    all.extend_from_slice(args);
    common::run_tern(cache, &all)
}

fn assert_invoke(
    cache: &Path,
    target: &str,
    module: &Path,
    name: &str,
    args: &[&str],
    expected: &str,
) {
    let result = invoke(cache, target, module, name, args);
    result.assert_success();
    assert_eq!(
        result.stdout,
        expected,
        "tern run --invoke {name} {args:?} on {target}\n{}",
        result.describe()
    );
}

#[test]
fn invoke_prints_results() {
    common::require_runtimes();
    let dir = TempDir::new("invoke");
    let cache = dir.join("cache");
    let module = common::write_file(&dir, "calc.wat", CALC.as_bytes());
    for target in common::targets() {
        if target.starts_with("aarch64") {
            common::require_aarch64();
        }
        assert_invoke(&cache, target, &module, "add", &["2", "3"], "5\n");
        assert_invoke(
            &cache,
            target,
            &module,
            "add64",
            &["4294967296", "1"],
            "4294967297\n",
        );
        assert_invoke(&cache, target, &module, "mulf64", &["0.5", "3"], "1.5\n");
        assert_invoke(&cache, target, &module, "halff32", &["3"], "1.5\n");
        assert_invoke(&cache, target, &module, "swap", &["1", "2"], "2\n1\n");
        assert_invoke(&cache, target, &module, "nothing", &[], "");
        assert_invoke(
            &cache,
            target,
            &module,
            "fac",
            &["20"],
            "2432902008176640000\n",
        );
        assert_invoke(&cache, target, &module, "fib", &["20"], "6765\n");
        assert_invoke(&cache, target, &module, "memsum", &["1000"], "499500\n");
    }
}

#[test]
fn invoke_from_binary_module() {
    common::require_runtimes();
    let dir = TempDir::new("invoke-bin");
    let cache = dir.join("cache");
    let module = common::write_file(&dir, "calc.wasm", &common::wat_to_wasm(CALC));
    assert_invoke(&cache, TARGETS[0], &module, "add", &["40", "2"], "42\n");
}

/// The ELF machine field of an executable.
fn elf_machine(path: &Path) -> u16 {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert!(
        bytes.len() > 20 && bytes.starts_with(b"\x7fELF"),
        "{} is not an ELF file",
        path.display()
    );
    u16::from_le_bytes([bytes[18], bytes[19]])
}

#[test]
fn compile_writes_a_runnable_executable() {
    use std::os::unix::fs::PermissionsExt;
    common::require_runtimes();
    let dir = TempDir::new("compile");
    let cache = dir.join("cache");
    let module = common::write_file(&dir, "hello.wat", HELLO.as_bytes());
    for (target, machine) in [(TARGETS[0], 0x3e), (TARGETS[1], 0xb7)] {
        if !common::targets().contains(&target) {
            continue;
        }
        if target.starts_with("aarch64") {
            common::require_aarch64();
        }
        let exe = dir.join(&format!("hello-{target}"));
        common::tern_compile(&cache, &module, &exe, target, 2);
        assert_eq!(elf_machine(&exe), machine, "wrong ELF machine for {target}");
        let mode = std::fs::metadata(&exe).expect("stat").permissions().mode();
        assert!(
            mode & 0o111 != 0,
            "{} is not executable (mode {mode:o})",
            exe.display()
        );

        let run = common::run(&mut common::target_command(target, &exe));
        run.assert_code(7);
        assert_eq!(run.stdout, "hello from tern\n", "{}", run.describe());
        // Guest arguments, with and without the `--` separator.
        common::run(common::target_command(target, &exe).args(["a", "b"])).assert_code(7);
        common::run(common::target_command(target, &exe).args(["--", "--invoke", "x"]))
            .assert_code(7);
        // Runtime options before `--`.
        let add = common::run(
            common::target_command(target, &exe).args(["--invoke", "add", "--", "20", "22"]),
        );
        add.assert_success();
        assert_eq!(add.stdout, "42\n", "{}", add.describe());
        common::run(common::target_command(target, &exe).args(["--no-such-option", "--"]))
            .assert_code(1);
    }
    // The default target is the host, and the default level is -O2.
    let exe = dir.join("hello-default");
    common::run(
        common::tern(&cache)
            .arg("compile")
            .arg(&module)
            .arg("-o")
            .arg(&exe),
    )
    .assert_success();
    let host = if cfg!(target_arch = "aarch64") {
        0xb7
    } else {
        0x3e
    };
    assert_eq!(elf_machine(&exe), host);
    // The output file is replaced, not appended to.
    common::run(
        common::tern(&cache)
            .arg("compile")
            .arg(&module)
            .arg("-o")
            .arg(&exe),
    )
    .assert_success();
    common::run(&mut common::target_command(TARGETS[0], &exe)).assert_code(7);
}

#[test]
fn every_opt_level_works() {
    common::require_runtimes();
    let dir = TempDir::new("opt");
    let cache = dir.join("cache");
    let module = common::write_file(&dir, "calc.wat", CALC.as_bytes());
    let m = module.to_string_lossy();
    for opt in ["0", "1", "2", "3"] {
        for (name, args, expected) in [
            ("fac", &["20"][..], "2432902008176640000\n"),
            ("fib", &["25"][..], "75025\n"),
            ("memsum", &["16384"][..], "134209536\n"),
        ] {
            let mut all = vec!["run", "-O", opt, "--invoke", name, &m];
            all.extend_from_slice(args);
            let result = common::run_tern(&cache, &all);
            result.assert_success();
            assert_eq!(
                result.stdout,
                expected,
                "-O {opt} {name}\n{}",
                result.describe()
            );
        }
        let exe = dir.join(&format!("calc-O{opt}"));
        let o: u8 = opt.parse().expect("digit");
        common::tern_compile(&cache, &module, &exe, TARGETS[0], o);
    }
}

/// A C program through `tern run` at every level and on both targets must
/// print what the native build prints.
#[test]
fn c_program_through_tern_run() {
    common::require_toolchain();
    let dir = TempDir::new("run-c");
    let cache = dir.join("cache");
    let wasm = dir.join("args.wasm");
    let native = dir.join("args.native");
    common::build_c_to_wasm(&common::c_source("args"), &wasm);
    common::build_c_native(&common::c_source("args"), &native);
    let guest_args = ["one", "two words", "--three", "-O", "3"];
    let expected = common::run(std::process::Command::new(&native).args(guest_args));
    let w = wasm.to_string_lossy();
    let mut runs: Vec<(String, Vec<&str>)> = Vec::new();
    for opt in ["0", "1", "2", "3"] {
        runs.push((format!("-O {opt}"), vec!["run", "-O", opt, &w]));
    }
    for target in common::targets() {
        runs.push((
            format!("--target {target}"),
            vec!["run", "--target", target, &w],
        ));
    }
    for (what, mut args) in runs {
        args.extend_from_slice(&guest_args);
        let got = common::run_tern(&cache, &args);
        got.assert_code(expected.code());
        assert_eq!(
            got.stdout,
            expected.stdout,
            "{what}: stdout differs from the native build\n{}",
            got.describe()
        );
        assert!(
            got.stderr.contains("stderr: saw argument 5"),
            "{what}: guest stderr is lost\n{}",
            got.describe()
        );
    }
}

/// Every file under `dir` with its length and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, SystemTime)> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let meta = entry.metadata().expect("stat a cache entry");
            if meta.is_dir() {
                stack.push(path);
            } else {
                files.insert(path, (meta.len(), meta.modified().expect("mtime")));
            }
        }
    }
    files
}

#[test]
fn run_reuses_the_cache() {
    common::require_runtimes();
    let dir = TempDir::new("cache");
    let cache = dir.join("cache");
    let module = common::write_file(&dir, "hello.wat", HELLO.as_bytes());
    let m = module.to_string_lossy().into_owned();

    let first = common::run_tern(&cache, &["run", &m]);
    first.assert_code(7);
    assert_eq!(first.stdout, "hello from tern\n", "{}", first.describe());
    let after_first = snapshot(&cache);
    assert!(
        !after_first.is_empty(),
        "tern run left nothing in TERN_CACHE_DIR={}",
        cache.display()
    );

    // Make any rewrite visible in the mtimes even on coarse file systems.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = common::run_tern(&cache, &["run", &m]);
    second.assert_code(7);
    assert_eq!(second.stdout, first.stdout);
    assert_eq!(
        snapshot(&cache),
        after_first,
        "the second identical `tern run` changed the cache (recompiled?)"
    );

    // Another optimization level, target or module is another entry; the old ones stay.
    let o1 = common::run_tern(&cache, &["run", "-O", "1", &m]);
    o1.assert_code(7);
    let after_o1 = snapshot(&cache);
    assert!(
        after_o1.len() > after_first.len(),
        "-O 1 did not add a cache entry"
    );
    for (path, meta) in &after_first {
        assert_eq!(
            after_o1.get(path),
            Some(meta),
            "{} changed when compiling at -O 1",
            path.display()
        );
    }
    std::fs::write(
        &module,
        HELLO.replace("proc_exit (i32.const 7)", "proc_exit (i32.const 9)"),
    )
    .expect("rewrite");
    common::run_tern(&cache, &["run", &m]).assert_code(9);
    assert!(
        snapshot(&cache).len() > after_o1.len(),
        "a changed module did not add a cache entry"
    );

    // A cache entry is used even when the module moved: the key is its content.
    let moved = common::write_file(&dir, "moved.wat", HELLO.as_bytes());
    let before = snapshot(&cache);
    common::run_tern(&cache, &["run", &moved.to_string_lossy()]).assert_code(7);
    assert_eq!(
        snapshot(&cache),
        before,
        "the same module under another name was compiled again"
    );
}

#[test]
fn help_and_version() {
    let dir = TempDir::new("help");
    let cache = dir.join("cache");
    let help = common::run_tern(&cache, &["--help"]);
    help.assert_success();
    assert!(
        help.stdout.contains("compile") && help.stdout.contains("run"),
        "{}",
        help.describe()
    );
    let version = common::run_tern(&cache, &["--version"]);
    version.assert_success();
    assert!(
        version.stdout.contains(env!("CARGO_PKG_VERSION")),
        "{}",
        version.describe()
    );
    common::run_tern(&cache, &["compile", "--help"]).assert_success();
    common::run_tern(&cache, &["run", "--help"]).assert_success();
}

/// `--env`, `argv[0]` and stdin, through `tern run` and a compiled executable.
#[test]
fn env_argv0_and_stdin() {
    common::require_toolchain();
    let dir = TempDir::new("echo");
    let cache = dir.join("cache");
    let wasm = dir.join("echo.wasm");
    common::build_c_to_wasm(&common::c_source("echo"), &wasm);
    let input: &[u8] = b"first line\nsecond line\n";
    let timeout = std::time::Duration::from_secs(180);

    for target in common::targets() {
        let run = common::run_with_input(
            common::tern(&cache)
                .args(["run", "--target", target, "--env", "GREETING=hello there"])
                .arg(&wasm)
                .arg("extra"),
            Some(input),
            timeout,
        );
        run.assert_code(2);
        assert_eq!(
            run.stdout,
            "argc=2 argv0=echo.wasm\nGREETING=hello there\nstdin: first line\nstdin: second line\nlines=2\n",
            "tern run on {target}\n{}",
            run.describe()
        );

        let exe = dir.join(&format!("echo-{target}"));
        common::tern_compile(&cache, &wasm, &exe, target, 2);
        let compiled = common::run_with_input(
            common::target_command(target, &exe).args([
                "--argv0",
                "custom-name",
                "--env",
                "GREETING=hi",
                "--",
                "a",
                "b",
            ]),
            Some(b"only\n"),
            timeout,
        );
        compiled.assert_code(1);
        assert_eq!(
            compiled.stdout,
            "argc=3 argv0=custom-name\nGREETING=hi\nstdin: only\nlines=1\n",
            "compiled executable on {target}\n{}",
            compiled.describe()
        );
        // Without input (stdin closed) and without --env.
        let bare = common::run(common::target_command(target, &exe).arg("--"));
        bare.assert_code(0);
        assert!(
            bare.stdout.ends_with("GREETING=(unset)\nlines=0\n"),
            "{}",
            bare.describe()
        );
    }
}

/// `tern compile -o /dev/null` (or a FIFO) writes into the special file
/// instead of renaming the executable over it, which would replace the
/// device node for everyone. Checked with a FIFO and a reader.
#[test]
fn compile_into_a_special_file_keeps_it() {
    use std::os::unix::fs::FileTypeExt;
    common::require_runtimes();
    let dir = TempDir::new("compile-fifo");
    let module = common::write_file(&dir, "m.wat", b"(module (func (export \"_start\")))");
    let fifo = dir.join("fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: mkfifo with a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).expect("read the FIFO"))
    };
    common::run_tern(
        &dir.join("cache"),
        &[
            "compile",
            module.to_str().expect("utf-8"),
            "-o",
            fifo.to_str().expect("utf-8"),
            "-O",
            "0",
        ],
    )
    .assert_success();
    // Checked before joining: had the FIFO been replaced, the reader would wait forever.
    let kind = std::fs::symlink_metadata(&fifo).expect("stat").file_type();
    assert!(kind.is_fifo(), "the FIFO is still a FIFO: {kind:?}");
    let bytes = reader.join().expect("reader");
    assert!(
        bytes.starts_with(b"\x7fELF"),
        "the executable went through the FIFO"
    );
}
