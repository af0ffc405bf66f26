//! Input `tern` must refuse cleanly, and programs that trap.
//!
//! Unusable input (truncated or garbage modules, invalid modules, features
//! beyond WebAssembly 2.0, missing files, bad arguments) must end with exit
//! status 1 and a message naming the problem, never a panic or a signal.
//! A trapping program must end with exit status 134 and `wasm trap: <reason>`
//! on stderr, on both targets.

mod common;

use common::{TempDir, TARGETS};
use std::path::Path;
use std::time::Duration;

/// A small module touching most sections: types, imports-free functions,
/// table, memory, global, exports, start-free code, elements and data.
const SMALL_MODULE: &str = r#"
(module
  (type $bin (func (param i32 i32) (result i32)))
  (table 2 funcref)
  (memory 1 4)
  (global $g (mut i32) (i32.const 7))
  (export "add" (func $add))
  (export "mem" (memory 0))
  (export "_start" (func $start))
  (elem (i32.const 0) $add $sub)
  (func $add (type $bin) local.get 0 local.get 1 i32.add)
  (func $sub (type $bin) local.get 0 local.get 1 i32.sub)
  (func $start
    i32.const 16 i32.const 3 i32.const 4 i32.const 1
    call_indirect (type $bin)
    i32.store
    global.get $g i32.const 1 i32.add global.set $g)
  (data (i32.const 32) "hello, tern")
)
"#;

fn validates(bytes: &[u8]) -> bool {
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::WASM2)
        .validate_all(bytes)
        .is_ok()
}

/// `tern compile FILE -o OUT` for the host target.
fn compile(dir: &TempDir, module: &Path) -> common::Run {
    let out = dir.join("out.exe");
    let _ = std::fs::remove_file(&out);
    common::run(
        common::tern(&dir.join("cache"))
            .arg("compile")
            .arg(module)
            .arg("-o")
            .arg(&out),
    )
}

#[test]
fn truncated_modules_are_malformed() {
    common::require_runtimes();
    let dir = TempDir::new("truncated");
    let full = common::wat_to_wasm(SMALL_MODULE);
    assert!(validates(&full), "the reference module must be valid");
    let module = dir.join("truncated.wasm");
    let mut failures = Vec::new();
    // Every prefix, the empty file included (which tern reads as text).
    for len in 0..full.len() {
        let prefix = &full[..len];
        std::fs::write(&module, prefix).expect("write the prefix");
        let result = compile(&dir, &module);
        result.assert_no_crash();
        if validates(prefix) {
            if result.code() != 0 {
                failures.push(format!(
                    "prefix of {len} bytes is a valid module but was refused\n{}",
                    result.describe()
                ));
            }
            continue;
        }
        let stderr = result.stderr.to_lowercase();
        if result.code() != 1
            || !(stderr.contains("malformed") || stderr.contains("invalid"))
            || !stderr.contains("offset")
        {
            failures.push(format!(
                "prefix of {len} of {} bytes: expected exit 1 and a malformed/invalid message with an offset\n{}",
                full.len(),
                result.describe()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// A deterministic xorshift generator for garbage bytes.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn garbage_is_malformed() {
    let dir = TempDir::new("garbage");
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for &n in &[1usize, 7, 64, 1000] {
        inputs.push((format!("{n} random bytes"), rng.bytes(n)));
    }
    for &n in &[1usize, 5, 40, 300] {
        let mut bytes = b"\0asm\x01\0\0\0".to_vec();
        bytes.extend(rng.bytes(n));
        inputs.push((format!("header + {n} random bytes"), bytes));
    }
    inputs.push(("bad magic".into(), b"\0asn\x01\0\0\0".to_vec()));
    inputs.push(("bad version".into(), b"\0asm\x02\0\0\0".to_vec()));
    inputs.push(("version 0".into(), b"\0asm\0\0\0\0".to_vec()));
    inputs.push(("header only magic".into(), b"\0asm".to_vec()));
    inputs.push((
        "unknown section id".into(),
        b"\0asm\x01\0\0\0\x20\x01\x00".to_vec(),
    ));
    inputs.push((
        "section length past the end".into(),
        b"\0asm\x01\0\0\0\x01\x7f".to_vec(),
    ));
    inputs.push((
        "overlong LEB128".into(),
        b"\0asm\x01\0\0\0\x01\xff\xff\xff\xff\xff\x0f".to_vec(),
    ));
    inputs.push((
        "text that is not WAT".into(),
        b"this is not a module".to_vec(),
    ));
    inputs.push(("unbalanced WAT".into(), b"(module (func)".to_vec()));
    inputs.push(("invalid UTF-8 text".into(), vec![b'(', 0xff, 0xfe, b')']));

    for (what, bytes) in &inputs {
        let module = common::write_file(&dir, "garbage.wasm", bytes);
        let result = compile(&dir, &module);
        result.assert_no_crash();
        assert_eq!(
            result.code(),
            1,
            "{what}: expected exit status 1\n{}",
            result.describe()
        );
        result.assert_stderr_mentions(&["malformed", "unsupported"]);
    }
}

#[test]
fn invalid_modules_are_refused() {
    let dir = TempDir::new("invalid");
    let cases: &[(&str, &str)] = &[
        (
            "result type mismatch",
            "(module (func (result i32) i64.const 0))",
        ),
        (
            "operand type mismatch",
            "(module (func (result i32) i32.const 1 f32.const 2 i32.add))",
        ),
        ("stack underflow", "(module (func i32.add drop))"),
        ("values left on the stack", "(module (func i32.const 1))"),
        ("unknown local", "(module (func local.get 3 drop))"),
        ("unknown function", "(module (func call 9))"),
        ("branch depth too large", "(module (func br 2))"),
        (
            "duplicate export",
            r#"(module (func (export "a")) (func (export "a")))"#,
        ),
        (
            "set of an immutable global",
            "(module (global i32 (i32.const 0)) (func i32.const 1 global.set 0))",
        ),
        (
            "start function with parameters",
            "(module (func $f (param i32)) (start $f))",
        ),
        ("memory too large", "(module (memory 70000))"),
        (
            "data without memory",
            r#"(module (data (i32.const 0) "x"))"#,
        ),
        (
            "load without memory",
            "(module (func i32.const 0 i32.load drop))",
        ),
        (
            "call_indirect without table",
            "(module (type (func)) (func i32.const 0 call_indirect (type 0)))",
        ),
        (
            "alignment too large",
            "(module (memory 1) (func i32.const 0 i32.load align=8 drop))",
        ),
    ];
    for (what, text) in cases {
        let bytes = common::wat_to_wasm(text);
        assert!(
            !validates(&bytes),
            "{what}: the test module should not validate"
        );
        let module = common::write_file(&dir, "invalid.wasm", &bytes);
        let result = compile(&dir, &module);
        result.assert_no_crash();
        assert_eq!(
            result.code(),
            1,
            "{what}: expected exit status 1\n{}",
            result.describe()
        );
        result.assert_stderr_mentions(&["invalid"]);
        result.assert_stderr_mentions(&["offset"]);
    }
    // The same through the text format.
    let module = common::write_file(
        &dir,
        "invalid.wat",
        b"(module (func (result i32) i64.const 0))",
    );
    compile(&dir, &module).assert_error(&["invalid"]);
}

#[test]
fn unsupported_features_are_named() {
    let dir = TempDir::new("unsupported");
    // (needle, module): the message must name the feature.
    let cases: &[(&str, &str)] = &[
        ("gc", "(module (type $s (struct (field i32))) (func (export \"f\") (result anyref) i32.const 1 struct.new $s))"),
        ("gc", "(module (type $a (array (mut i8))) (func (result i32) i32.const 4 array.new_default $a array.len))"),
        ("gc", "(module (type $t (sub (func))) (type (sub $t (func))))"),
        ("gc", "(module (func (param anyref)))"),
        ("gc", "(module (func (param i32) (result i31ref) local.get 0 ref.i31))"),
        ("relaxed-simd", "(module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))"),
    ];
    for (feature, text) in cases {
        let bytes = common::wat_to_wasm(text);
        let wasm = common::write_file(&dir, "feature.wasm", &bytes);
        let result = compile(&dir, &wasm);
        result.assert_no_crash();
        assert_eq!(
            result.code(),
            1,
            "{feature}: expected exit status 1\n{}",
            result.describe()
        );
        result.assert_stderr_mentions(&["unsupported feature"]);
        result.assert_stderr_mentions(&[feature]);
        // The text form goes through the same check.
        let wat = common::write_file(&dir, "feature.wat", text.as_bytes());
        compile(&dir, &wat).assert_error(&["unsupported feature"]);
    }
    // A component is not a core module.
    let component = common::write_file(&dir, "component.wasm", &common::wat_to_wasm("(component)"));
    compile(&dir, &component).assert_error(&["unsupported", "malformed", "component"]);
}

/// `--wasm-version 2` refuses what Wasm 3.0 added, naming the feature; the
/// default accepts it.
#[test]
fn wasm_version_2_refuses_newer_features() {
    let dir = TempDir::new("wasm-version");
    let cases: &[(&str, &str)] = &[
        ("multi-memory", "(module (memory 1) (memory 1))"),
        ("memory64", "(module (memory i64 1))"),
        ("tail-call", "(module (func $f return_call $f))"),
        ("exceptions", "(module (tag $t))"),
    ];
    for (feature, text) in cases {
        let wat = common::write_file(&dir, "module.wat", text.as_bytes());
        let out = dir.join("out.exe");
        let strict = common::run(
            common::tern(&dir.join("cache"))
                .args(["compile", "--wasm-version", "2"])
                .arg(&wat)
                .arg("-o")
                .arg(&out),
        );
        strict.assert_error(&[feature, "not enabled"]);
        let default = compile(&dir, &wat);
        assert_eq!(default.code(), 0, "{feature}\n{}", default.describe());
    }
}

#[test]
fn missing_files_are_reported() {
    let dir = TempDir::new("missing");
    let cache = dir.join("cache");
    let missing = dir.join("no-such-module.wasm");
    let missing = missing.to_str().expect("UTF-8 path");
    common::run_tern(
        &cache,
        &["compile", missing, "-o", &dir.join("out").to_string_lossy()],
    )
    .assert_error(&["No such file"])
    .assert_stderr_mentions(&["no-such-module.wasm"]);
    common::run_tern(&cache, &["run", missing]).assert_error(&["No such file"]);
    common::run_tern(&cache, &["run", "--invoke", "add", missing, "1", "2"])
        .assert_error(&["No such file"]);
    // A folder is not a module either.
    common::run_tern(&cache, &["run", &dir.path().to_string_lossy()])
        .assert_error(&["directory", "cannot read"]);
}

#[test]
fn bad_arguments_are_reported() {
    common::require_runtimes();
    let dir = TempDir::new("badargs");
    let cache = dir.join("cache");
    let module = common::write_file(&dir, "m.wat", SMALL_MODULE.as_bytes());
    let m = module.to_str().expect("UTF-8 path");
    let out = dir.join("out");
    let out = out.to_str().expect("UTF-8 path");
    let cases: &[(&[&str], &[&str])] = &[
        (&[], &["usage", "subcommand"]),
        (&["frobnicate"], &["frobnicate"]),
        (&["compile"], &["MODULE", "required"]),
        (&["compile", m, "-o", out, "-O", "7"], &["7"]),
        (&["compile", m, "-o", out, "-O", "fast"], &["fast"]),
        (
            &["compile", m, "-o", out, "--target", "riscv64-linux-gnu"],
            &["riscv64"],
        ),
        (
            &["compile", m, "-o", out, "--no-such-flag"],
            &["--no-such-flag"],
        ),
        (&["run", "--target", "mips", m], &["mips"]),
        (&["run", "--invoke", "nosuch", m], &["nosuch"]),
        (
            &["run", "--invoke", "add", m, "notanumber", "3"],
            &["notanumber"],
        ),
        (
            &["run", "--invoke", "add", m, "1"],
            &["argument", "parameter", "expects"],
        ),
        (
            &["run", "--invoke", "add", m, "1", "2", "3"],
            &["argument", "parameter", "expects"],
        ),
        (&["run", "--invoke", "mem", m], &["mem"]),
        (
            &["compile", m, "-o", "/nonexistent-dir/sub/out"],
            &["nonexistent-dir", "No such file"],
        ),
    ];
    for (args, needles) in cases {
        let result = common::run_tern(&cache, args);
        result.assert_no_crash();
        assert_eq!(
            result.code(),
            1,
            "tern {args:?}: expected exit status 1\n{}",
            result.describe()
        );
        result.assert_stderr_mentions(needles);
    }
}

/// Modules whose `_start` traps, with the trap message `tern` must print.
const TRAPS: &[(&str, &str, &str)] = &[
    ("unreachable", "unreachable", "(module (func (export \"_start\") unreachable))"),
    (
        "divide by zero",
        "integer divide by zero",
        "(module (func (export \"_start\") i32.const 1 i32.const 0 i32.div_s drop))",
    ),
    (
        "remainder by zero",
        "integer divide by zero",
        "(module (func (export \"_start\") i64.const 1 i64.const 0 i64.rem_u drop))",
    ),
    (
        "signed division overflow",
        "integer overflow",
        "(module (func (export \"_start\") i32.const 0x80000000 i32.const -1 i32.div_s drop))",
    ),
    (
        "float to int of NaN",
        "invalid conversion to integer",
        "(module (func (export \"_start\") f64.const nan i32.trunc_f64_s drop))",
    ),
    (
        "float to int overflow",
        "integer overflow",
        "(module (func (export \"_start\") f32.const 1e10 i32.trunc_f32_u drop))",
    ),
    (
        "load past the end",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\") i32.const 65535 i32.load drop))",
    ),
    (
        "load into an unused local",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\") (local i32) i32.const 65535 i32.load local.set 0))",
    ),
    (
        "load feeding only dead arithmetic",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\") (local f64)
            i32.const 65536 f64.load f64.const 2 f64.mul local.set 0))",
    ),
    (
        "v128 load with an offset",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\") i32.const 65530 v128.load offset=4 drop))",
    ),
    // Loads whose result is used, but that an optimizer could delete or
    // shrink away from the out-of-bounds byte (see translate::trapping_loads);
    // without that analysis none of these trapped.
    (
        "load cancelled by x - x",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\") (local i32)
            (i32.store (i32.const 0) (i32.sub (local.tee 0 (i32.load (i32.const 65535))) (local.get 0)))))",
    ),
    (
        "load multiplied by zero",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\")
            (i32.store (i32.const 0) (i32.mul (i32.load (i32.const 65535)) (i32.const 0)))))",
    ),
    (
        "load masked with zero",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\")
            (i64.store (i32.const 0) (i64.and (i64.load (i32.const 65535)) (i64.const 0)))))",
    ),
    (
        "load deciding between equal values",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\")
            (i32.store (i32.const 0) (select (i32.const 7) (i32.const 7) (i32.load (i32.const 65535))))))",
    ),
    (
        "load in a comparison that is always true",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\")
            (i32.store (i32.const 0) (i32.lt_u (i32.load8_u (i32.const 65536)) (i32.const 256)))))",
    ),
    (
        "load cancelled in a sum",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\") (local i32)
            (i32.store (i32.const 0)
              (i32.sub (i32.add (local.tee 0 (i32.load (i32.const 65535))) (i32.load (i32.const 4))) (local.get 0)))))",
    ),
    (
        "load absorbed by a & (a | b)",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\")
            (i32.store (i32.const 0)
              (i32.and (i32.load (i32.const 4)) (i32.or (i32.load (i32.const 4)) (i32.load (i32.const 65535)))))))",
    ),
    (
        "load added to NaN",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\")
            (f64.store (i32.const 0) (f64.add (f64.load (i32.const 65535)) (f64.const nan)))))",
    ),
    (
        "load of which only the low byte is used",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\")
            (i32.store (i32.const 0) (i32.and (i32.load (i32.const 65533)) (i32.const 255)))))",
    ),
    (
        "i64 load wrapped to i32",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\")
            (i32.store (i32.const 0) (i32.wrap_i64 (i64.load (i32.const 65530))))))",
    ),
    (
        "v128 load of which only lane 0 is used",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\")
            (i32.store (i32.const 0) (i32x4.extract_lane 0 (v128.load (i32.const 65530))))))",
    ),
    (
        "dropped v128 splat load",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\") (drop (v128.load32_splat (i32.const 65535)))))",
    ),
    (
        "dropped v128 lane load",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\")
            (drop (v128.load8_lane 3 (i32.const 65536) (v128.const i32x4 0 0 0 0)))))",
    ),
    (
        "load returned to a caller that drops it",
        "out of bounds memory access",
        "(module (memory 1) (func $get (param i32) (result i32) (i32.load (local.get 0)))
            (func (export \"_start\") (drop (call $get (i32.const 65535)))))",
    ),
    (
        "load passed to a parameter that is never used",
        "out of bounds memory access",
        "(module (memory 1) (func $ignore (param i32))
            (func (export \"_start\") (call $ignore (i32.load (i32.const 65535)))))",
    ),
    (
        "load deciding an empty if",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\") (if (i32.load (i32.const 65535)) (then))))",
    ),
    (
        "load deciding a br_if to the next instruction",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\") (block (br_if 0 (i32.load (i32.const 65535))))))",
    ),
    (
        "load deciding between identical stores",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\")
            (if (i32.load (i32.const 65535))
              (then (i32.store (i32.const 0) (i32.const 1)))
              (else (i32.store (i32.const 0) (i32.const 1))))))",
    ),
    (
        "load stored where a later store overwrites it",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\")
            (i32.store (i32.const 0) (i32.load (i32.const 65535))) (i32.store (i32.const 0) (i32.const 1))))",
    ),
    (
        "load multiplied by a value forwarded from a store of zero",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\")
            (i32.store (i32.const 0) (i32.const 0))
            (i32.store (i32.const 8) (i32.mul (i32.load (i32.const 65535)) (i32.load (i32.const 0))))))",
    ),
    (
        "loads summed in a loop whose sum is unused",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\") (local i32 i32)
            (loop
              (local.set 1 (i32.add (local.get 1) (i32.load (local.get 0))))
              (br_if 0 (i32.ne (local.tee 0 (i32.add (local.get 0) (i32.const 4096))) (i32.const 69632))))))",
    ),
    (
        "store near 4 GiB",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\") i32.const -4 i32.const 1 i32.store offset=8))",
    ),
    (
        "load after memory.grow",
        "out of bounds memory access",
        "(module (memory 1 3) (func (export \"_start\")
            i32.const 1 memory.grow drop
            i32.const 131071 i32.load8_u drop
            i32.const 131072 i32.load8_u drop))",
    ),
    (
        "memory.fill out of bounds",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\") i32.const 65000 i32.const 0 i32.const 1000 memory.fill))",
    ),
    (
        "memory.copy out of bounds",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\") i32.const 0 i32.const 65000 i32.const 1000 memory.copy))",
    ),
    (
        "call_indirect of a null entry",
        "uninitialized element",
        "(module (type (func)) (table 2 funcref) (func (export \"_start\") i32.const 1 call_indirect (type 0)))",
    ),
    (
        "call_indirect past the table",
        "undefined element",
        "(module (type (func)) (table 2 funcref) (func (export \"_start\") i32.const 2 call_indirect (type 0)))",
    ),
    (
        "call_indirect with the wrong type",
        "indirect call type mismatch",
        "(module (type $v (func)) (table funcref (elem $f)) (func $f (param i32))
            (func (export \"_start\") i32.const 0 call_indirect (type $v)))",
    ),
    (
        "table.get out of bounds",
        "out of bounds table access",
        "(module (table 1 funcref) (func (export \"_start\") i32.const 5 table.get 0 drop))",
    ),
    (
        "misaligned atomic load on a non-shared memory",
        "unaligned atomic",
        "(module (memory 1) (func (export \"_start\") i32.const 2 i32.atomic.load drop))",
    ),
    (
        "atomic rmw past the end of memory",
        "out of bounds memory access",
        "(module (memory 1) (func (export \"_start\") i32.const 65536 i32.const 1 i32.atomic.rmw.add drop))",
    ),
    (
        "memory.atomic.wait32 on a non-shared memory",
        "expected shared memory",
        "(module (memory 1) (func (export \"_start\") i32.const 0 i32.const 0 i64.const 0 memory.atomic.wait32 drop))",
    ),
    (
        "infinite memory.atomic.wait64 with no other thread",
        "deadlock",
        "(module (memory 1 1 shared) (func (export \"_start\") i32.const 0 i64.const 0 i64.const -1 memory.atomic.wait64 drop))",
    ),
    (
        "memory64 access whose offset wraps 2^64",
        "out of bounds memory access",
        "(module (memory i64 1) (func (export \"_start\") i64.const 8 i64.load offset=0xfffffffffffffffc drop))",
    ),
    (
        "memory64 access past the length",
        "out of bounds memory access",
        "(module (memory i64 1) (func (export \"_start\") i64.const 65533 i32.load drop))",
    ),
    (
        "second memory past its length",
        "out of bounds memory access",
        "(module (memory 4) (memory 1) (func (export \"_start\") i32.const 65536 i32.load8_u 1 drop))",
    ),
    (
        "deep recursion",
        "call stack exhausted",
        "(module (func $f (export \"_start\") (call $g (i32.const 0)) drop)
            (func $g (param i32) (result i32) local.get 0 i32.const 1 i32.add call $g i32.const 1 i32.add))",
    ),
    (
        "infinite self tail recursion",
        "call stack exhausted",
        "(module (func $f (export \"_start\") call $f))",
    ),
    (
        "mutual recursion through call_indirect",
        "call stack exhausted",
        "(module (type $t (func (param i64) (result i64))) (table funcref (elem $a $b))
            (func $a (type $t) local.get 0 i64.const 1 i64.add i32.const 1 call_indirect (type $t))
            (func $b (type $t) local.get 0 i64.const 2 i64.mul i32.const 0 call_indirect (type $t) i64.const 1 i64.add)
            (func (export \"_start\") i64.const 0 call $a drop))",
    ),
];

fn check_traps(target: &str) {
    if !common::targets().contains(&target) {
        return;
    }
    common::require_runtimes();
    if target.starts_with("aarch64") {
        common::require_aarch64();
    }
    let dir = TempDir::new(&format!("traps-{target}"));
    let cache = dir.join("cache");
    let mut failures = Vec::new();
    let mut timeouts = 0;
    for (i, (what, message, text)) in TRAPS.iter().enumerate() {
        if timeouts >= 2 {
            failures.push(format!("gave up after {timeouts} cases that hung"));
            break;
        }
        let module = common::write_file(&dir, &format!("trap{i}.wat"), text.as_bytes());
        // Compile, then run the executable directly (under qemu for AArch64),
        // so that a failure here is the compiler's or the runtime's; `tern
        // run --target` itself is covered in cli.rs.
        let exe = dir.join(&format!("trap{i}"));
        let compiled = common::run(
            common::tern(&cache)
                .arg("compile")
                .arg(&module)
                .arg("-o")
                .arg(&exe)
                .args(["--target", target]),
        );
        if !compiled.status.success() {
            failures.push(format!("{what}: does not compile\n{}", compiled.describe()));
            continue;
        }
        let result = common::run_with_timeout(
            &mut common::target_command(target, &exe),
            Duration::from_secs(120),
        );
        timeouts += usize::from(result.timed_out.is_some());
        let expected = format!("wasm trap: {message}");
        if result.status.code() != Some(134)
            || !result.stderr.contains(&expected)
            || result.stderr.contains("panicked")
        {
            failures.push(format!(
                "{what}: expected exit 134 and `{expected}`\n{}",
                result.describe()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} trap cases failed on {target}:\n{}",
        failures.len(),
        TRAPS.len(),
        failures.join("\n\n")
    );
}

#[test]
fn traps_x86_64() {
    check_traps(TARGETS[0]);
}

#[test]
fn traps_aarch64() {
    check_traps(TARGETS[1]);
}

/// Through `tern run` (host target): a trap inside an export called with
/// `--invoke`, and a trap in the start function, which runs while the
/// module is instantiated.
#[test]
fn traps_through_invoke_and_start() {
    common::require_runtimes();
    let dir = TempDir::new("traps-invoke");
    let cache = dir.join("cache");
    let module = common::write_file(
        &dir,
        "div.wat",
        b"(module (func (export \"div\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_u))",
    );
    let m = module.to_string_lossy();
    let ok = common::run_tern(&cache, &["run", "--invoke", "div", &m, "7", "2"]);
    ok.assert_success();
    assert_eq!(ok.stdout.trim(), "3", "{}", ok.describe());
    common::run_tern(&cache, &["run", "--invoke", "div", &m, "7", "0"])
        .assert_trap("integer divide by zero");

    let start = common::write_file(
        &dir,
        "start.wat",
        b"(module (memory 1) (func $s i32.const 70000 i32.load drop) (start $s) (func (export \"_start\")))",
    );
    common::run_tern(&cache, &["run", &start.to_string_lossy()])
        .assert_trap("out of bounds memory access");
}

/// The backtrace after a trap names the Wasm frames (name section), innermost
/// first, on both targets: from the signal handler (out-of-bounds load),
/// from a trap block (division by zero) and from the stack check (deep
/// recursion). The calls go through a table so that LLVM cannot inline them.
#[test]
fn trap_backtraces_name_the_wasm_frames() {
    common::require_runtimes();
    let dir = TempDir::new("trap-backtraces");
    let cache = dir.join("cache");
    let module = common::write_file(
        &dir,
        "frames.wat",
        br#"(module
  (memory 1)
  (type $t (func (param i32) (result i32)))
  (table funcref (elem $load $divide $recurse $middle))
  (func $load (type $t) (i32.load (local.get 0)))
  (func $divide (type $t) (i32.div_u (i32.const 1) (i32.sub (local.get 0) (local.get 0))))
  (func $recurse (type $t)
    (i32.add (call_indirect (type $t) (local.get 0) (i32.const 2)) (i32.const 1)))
  (func $middle (type $t)
    (i32.add (call_indirect (type $t) (i32.const 70000) (local.get 0)) (i32.const 1)))
  (func $outer (export "outer") (param i32) (result i32)
    (i32.add (call_indirect (type $t) (local.get 0) (i32.const 3)) (i32.const 2))))"#,
    );
    let m = module.to_string_lossy();
    let mut failures = Vec::new();
    for target in common::targets() {
        if target.starts_with("aarch64") {
            common::require_aarch64();
        }
        for (callee, message, frames) in [
            (
                "0",
                "out of bounds memory access",
                "0: load\n     1: middle\n     2: outer\n",
            ),
            (
                "1",
                "integer divide by zero",
                "0: divide\n     1: middle\n     2: outer\n",
            ),
            ("2", "call stack exhausted", "0: recurse\n     1: recurse\n"),
        ] {
            let run = common::run_tern(
                &cache,
                &["run", "--target", target, "--invoke", "outer", &m, callee],
            );
            let expected = format!("wasm trap: {message}\nwasm backtrace:\n     {frames}");
            if run.status.code() != Some(134) || !run.stderr.contains(&expected) {
                failures.push(format!(
                    "{target} {message}: expected exit 134 and {expected:?}\n{}",
                    run.describe()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Traps in C programs: `abort()` (Wasm `unreachable`) and unbounded
/// recursion (`call stack exhausted`), on both targets. Output flushed
/// before the trap must not be lost.
#[test]
fn c_program_traps() {
    common::require_toolchain();
    let dir = TempDir::new("c-traps");
    let cache = dir.join("cache");
    let mut failures = Vec::new();
    for (program, args, message, stdout) in [
        (
            "exit_codes",
            &["abort", "0"][..],
            "unreachable",
            "mode=abort code=0\n",
        ),
        (
            "recursion",
            &["100000000"][..],
            "call stack exhausted",
            "fib(27) = 196418\n",
        ),
    ] {
        let wasm = dir.join(&format!("{program}.wasm"));
        common::build_c_to_wasm(&common::c_source(program), &wasm);
        for target in common::targets() {
            let exe = dir.join(&format!("{program}-{target}"));
            common::tern_compile(&cache, &wasm, &exe, target, 2);
            let result = common::run_with_timeout(
                common::target_command(target, &exe).arg("--").args(args),
                Duration::from_secs(180),
            );
            let expected = format!("wasm trap: {message}");
            if result.status.code() != Some(134)
                || !result.stderr.contains(&expected)
                || !result.stdout.starts_with(stdout)
            {
                failures.push(format!(
                    "{program} {args:?} on {target}: expected exit 134, `{expected}` and stdout starting {stdout:?}\n{}",
                    result.describe()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
