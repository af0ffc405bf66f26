//! Restoring from a bad snapshot fails cleanly: exit status 1 and a message
//! saying what is wrong, never a crash, a hang or a half-restored program.
//! Covers truncated and corrupted files, another module's snapshot, another
//! format version, and hostile snapshots (re-encoded with valid checksums)
//! whose contents are out of range.

mod common;

use common::{Run, TempDir};
use std::path::{Path, PathBuf};
use tern_snapshot::{file, Exception, Snapshot, Value};

const MODULE: &str = r#"
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1 4)
  (table 2 4 funcref)
  (elem (i32.const 0) $work $work)
  (global $g (mut i32) (i32.const 0))
  (type $t (func (param i32) (result i32)))
  (func $work (type $t) local.get 0 i32.const 1 i32.add)
  (func (export "_start") (local i32)
    (loop $l
      (global.set $g (call_indirect (type $t) (global.get $g) (i32.const 0)))
      (i32.store (i32.const 16) (global.get $g))
      (local.set 0 (i32.add (local.get 0) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 0) (i32.const 100000))))
    (call $exit (i32.load (i32.const 20)))))
"#;

struct Fixture {
    dir: TempDir,
    exe: PathBuf,
    snapshot: PathBuf,
}

fn fixture() -> Fixture {
    fixture_of("bad-snapshot", MODULE)
}

/// Compiles `module` with `--cr` and checkpoints it at its 50th point.
fn fixture_of(name: &str, module: &str) -> Fixture {
    common::require_runtimes();
    let dir = TempDir::new(name);
    let wat = common::write_file(&dir, "m.wat", module.as_bytes());
    let exe = dir.join("m");
    let cache = dir.join("cache");
    common::run(
        common::tern(&cache)
            .arg("compile")
            .arg("--cr")
            .arg(&wat)
            .arg("-o")
            .arg(&exe),
    )
    .assert_success();
    let snapshot = dir.join("good.tsnap");
    let run = common::run(
        std::process::Command::new(&exe)
            .arg("--checkpoint-to")
            .arg(&snapshot)
            .arg("--")
            .env("TERN_CHECKPOINT_AT", "50"),
    );
    run.assert_code(75);
    Fixture { dir, exe, snapshot }
}

fn restore(exe: &Path, snapshot: &Path) -> Run {
    common::run(
        std::process::Command::new(exe)
            .arg("--restore")
            .arg(snapshot)
            .arg("--"),
    )
}

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    common::write_file(dir, name, bytes)
}

#[test]
fn the_good_snapshot_restores() {
    let f = fixture();
    restore(&f.exe, &f.snapshot).assert_success();
}

#[test]
fn missing_truncated_and_corrupted_files_are_refused() {
    let f = fixture();
    restore(&f.exe, &f.dir.join("nope.tsnap")).assert_error(&["nope.tsnap"]);
    let bytes = std::fs::read(&f.snapshot).unwrap();
    for len in [0, 4, 8, 12, 20, bytes.len() / 2, bytes.len() - 1] {
        let p = write(&f.dir, "truncated.tsnap", &bytes[..len]);
        restore(&f.exe, &p).assert_error(&["cannot restore"]);
    }
    for at in [0, 9, 30, bytes.len() / 2, bytes.len() - 3] {
        let mut b = bytes.clone();
        b[at] ^= 0x40;
        let p = write(&f.dir, "flipped.tsnap", &b);
        restore(&f.exe, &p).assert_error(&["cannot restore"]);
    }
    let mut b = bytes.clone();
    b[8..12].copy_from_slice(&99u32.to_le_bytes());
    let p = write(&f.dir, "version.tsnap", &b);
    restore(&f.exe, &p).assert_error(&["version 99"]);
}

#[test]
fn another_modules_snapshot_is_refused() {
    let f = fixture();
    let other = MODULE.replace("100000", "100001");
    let wat = common::write_file(&f.dir, "other.wat", other.as_bytes());
    let exe = f.dir.join("other");
    common::run(
        common::tern(&f.dir.join("cache"))
            .arg("compile")
            .arg("--cr")
            .arg(&wat)
            .arg("-o")
            .arg(&exe),
    )
    .assert_success();
    restore(&exe, &f.snapshot).assert_error(&["another module"]);
    // A build without --cr cannot restore at all.
    let plain = f.dir.join("plain");
    common::run(
        common::tern(&f.dir.join("cache"))
            .arg("compile")
            .arg(f.dir.join("m.wat"))
            .arg("-o")
            .arg(&plain),
    )
    .assert_success();
    restore(&plain, &f.snapshot).assert_error(&["without --cr"]);
}

/// Decodes the good snapshot, applies `edit`, re-encodes it (valid checksums)
/// and checks that restoring it is refused with `needle` in the message.
fn hostile(f: &Fixture, name: &str, edit: impl FnOnce(&mut Snapshot), needle: &str) {
    let mut s = file::read(&f.snapshot).expect("good snapshot decodes");
    edit(&mut s);
    let p = write(&f.dir, &format!("{name}.tsnap"), &file::to_bytes(&s));
    restore(&f.exe, &p).assert_error(&[needle]);
}

#[test]
fn hostile_contents_are_refused() {
    let f = fixture();
    hostile(&f, "func", |s| s.frames[0].func = 9999, "frame 0");
    hostile(
        &f,
        "position",
        |s| s.frames[0].position = 12345,
        "not a migration point",
    );
    hostile(&f, "no-frames", |s| s.frames.clear(), "no frames");
    hostile(
        &f,
        "extra-frame",
        |s| {
            let top = s.frames[0].clone();
            s.frames.push(top);
        },
        "frame",
    );
    hostile(
        &f,
        "local-type",
        |s| s.frames[0].locals[0].1 = Value::F64(0),
        "does not have type",
    );
    hostile(&f, "locals", |s| s.frames[0].locals.clear(), "wrong number");
    hostile(
        &f,
        "table",
        |s| s.tables[0].elements[1] = Value::FuncRef(Some(4_000_000)),
        "out of range",
    );
    hostile(
        &f,
        "table-size",
        |s| s.tables[0].elements = vec![Value::FuncRef(None); 1 << 20],
        "table 0",
    );
    hostile(&f, "pages", |s| s.memories[0].pages = 1 << 40, "memory 0");
    hostile(
        &f,
        "runs",
        |s| s.memories[0].runs = vec![(1 << 30, 5)],
        "memory 0",
    );
    hostile(
        &f,
        "memory-data",
        |s| s.memories[0].compressed = vec![0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0],
        "memory 0",
    );
    hostile(&f, "globals", |s| s.globals.push(Value::I32(1)), "globals");
    hostile(
        &f,
        "global-type",
        |s| s.globals[0] = Value::V128(1),
        "global 0",
    );
    hostile(
        &f,
        "dropped",
        |s| s.dropped_data.push(77),
        "data segment 77",
    );
    hostile(&f, "entry", |s| s.entry.export = "nope".into(), "nope");
    hostile(
        &f,
        "fd",
        |s| {
            let wasi = s.wasi.as_mut().expect("wasi state");
            let mut fd = wasi.fds[0].clone();
            fd.fd = 7;
            fd.kind = tern_snapshot::FdKind::File;
            fd.preopen = Some(5);
            fd.guest_path = "../../../etc/passwd".into();
            wasi.fds.push(fd);
        },
        "cannot restore",
    );
    hostile(
        &f,
        "preopen",
        |s| {
            let wasi = s.wasi.as_mut().expect("wasi state");
            wasi.preopens.push(tern_snapshot::PreopenState {
                host_path: "/".into(),
                guest_path: "/root".into(),
            });
        },
        "--dir",
    );
}

/// An exception held in a global (an exnref) while the loop runs; after the
/// loop it is thrown, caught, and its payload is the exit status.
const EXN_MODULE: &str = r#"
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (tag $e (param i32))
  (tag $w (param exnref))
  (global $x (mut exnref) (ref.null exn))
  (func (export "_start") (local i32)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (throw $e (i32.const 3)))
      (unreachable))
    (global.set $x)
    (loop $l
      (local.set 0 (i32.add (local.get 0) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 0) (i32.const 100000))))
    (block $c (result i32)
      (try_table (catch $e $c) (throw_ref (global.get $x)))
      (unreachable))
    (call $exit)))
"#;

#[test]
fn hostile_exceptions_are_refused() {
    let f = fixture_of("bad-snapshot-exn", EXN_MODULE);
    let good = file::read(&f.snapshot).expect("good snapshot decodes");
    assert_eq!(
        good.exceptions,
        vec![Exception {
            tag: 0,
            values: vec![Value::I32(3)]
        }],
        "the live exception is in the snapshot"
    );
    restore(&f.exe, &f.snapshot).assert_code(3);
    // The payload really comes from the snapshot.
    let p = {
        let mut s = good.clone();
        s.exceptions[0].values[0] = Value::I32(9);
        write(&f.dir, "payload.tsnap", &file::to_bytes(&s))
    };
    restore(&f.exe, &p).assert_code(9);
    hostile(
        &f,
        "exn-tag",
        |s| s.exceptions[0].tag = 7,
        "tag 7 is out of range",
    );
    hostile(
        &f,
        "exn-value-type",
        |s| s.exceptions[0].values[0] = Value::F64(0),
        "does not have type",
    );
    hostile(
        &f,
        "exn-value-count",
        |s| s.exceptions[0].values.clear(),
        "0 values where tag 0 has 1 parameters",
    );
    hostile(
        &f,
        "exn-index",
        |s| s.globals[0] = Value::ExnRef(Some(5)),
        "exception index 5 is out of range",
    );
    hostile(
        &f,
        "exn-self-reference",
        |s| {
            s.exceptions.push(Exception {
                tag: 1,
                values: vec![Value::ExnRef(Some(1))],
            })
        },
        "exception index 1 is out of range",
    );
    hostile(
        &f,
        "exn-as-funcref",
        |s| s.globals[0] = Value::FuncRef(Some(0)),
        "does not have type",
    );
}
