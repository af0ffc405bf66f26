//! Restoring from a bad snapshot fails cleanly: exit status 1 and a message
//! saying what is wrong, never a crash, a hang or a half-restored program.
//! Covers truncated and corrupted files, another module's snapshot, another
//! format version, and hostile snapshots (re-encoded with valid checksums)
//! whose contents are out of range.

mod common;

use common::{Run, TempDir};
use std::path::{Path, PathBuf};
use tern_snapshot::memory::{DataArea, Encoding};
use tern_snapshot::{file, Exception, Snapshot, Value};

const MODULE: &str = r#"
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1 4)
  (table 2 4 funcref)
  (elem (i32.const 0) $work $work)
  (global $g (mut i32) (i32.const 0))
  (type $t (func (param i32) (result i32)))
  (func $work (export "work") (type $t) local.get 0 i32.const 1 i32.add)
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

/// Decodes the good snapshot, applies `edit` to it and its memory data area,
/// re-encodes it (valid section checksums) and checks that restoring it is
/// refused with `needle` in the message.
fn hostile_data(
    f: &Fixture,
    name: &str,
    edit: impl FnOnce(&mut Snapshot, &mut Vec<u8>),
    needle: &str,
) {
    let opened = file::open(&f.snapshot).expect("good snapshot decodes");
    let mut data = opened.data_bytes().expect("memory data reads");
    let mut s = opened.snapshot;
    edit(&mut s, &mut data);
    let p = write(
        &f.dir,
        &format!("{name}.tsnap"),
        &file::to_bytes(&s, &DataArea::from_bytes(&data)),
    );
    for mode in ["verify", "lazy", "copy"] {
        common::run(
            std::process::Command::new(&f.exe)
                .arg("--restore")
                .arg(&p)
                .arg("--restore-memory")
                .arg(mode)
                .arg("--"),
        )
        .assert_error(&[needle]);
    }
}

/// [`hostile_data`] editing the snapshot only.
fn hostile(f: &Fixture, name: &str, edit: impl FnOnce(&mut Snapshot), needle: &str) {
    hostile_data(f, name, |s, _| edit(s), needle);
}

/// Compiles [`RAW_MODULE`] with `--cr` for `target` into `dir`.
fn raw_exe(dir: &TempDir, target: &str) -> PathBuf {
    let wat = common::write_file(dir, "r.wat", RAW_MODULE.as_bytes());
    let exe = dir.join(&format!("r-{target}"));
    common::run(
        common::tern(&dir.join("cache"))
            .arg("compile")
            .arg("--cr")
            .args(["--target", target])
            .arg(&wat)
            .arg("-o")
            .arg(&exe),
    )
    .assert_success();
    exe
}

/// Checkpoints `exe` (built for `target`) in its counting loop into `snapshot`.
fn raw_checkpoint(target: &str, exe: &Path, snapshot: &Path) {
    common::run(
        common::target_command(target, exe)
            .arg("--checkpoint-to")
            .arg(snapshot)
            .arg("--")
            .env("TERN_CHECKPOINT_AT", "20000"),
    )
    .assert_code(75);
}

/// Restores `snapshot` with `exe` (built for `target`) in memory mode `mode`.
fn raw_restore(target: &str, exe: &Path, snapshot: &Path, mode: &str) -> Run {
    common::run(
        common::target_command(target, exe)
            .arg("--restore")
            .arg(snapshot)
            .arg("--restore-memory")
            .arg(mode)
            .arg("--"),
    )
}

/// A fixture whose memory has 9 MiB of raw (incompressible) chunks, so they
/// are written with direct I/O, a compressed chunk and zero chunks.
fn raw_fixture() -> Fixture {
    common::require_runtimes();
    let dir = TempDir::new("bad-snapshot-raw");
    let exe = raw_exe(&dir, "x86_64-linux-gnu");
    let snapshot = dir.join("good.tsnap");
    raw_checkpoint("x86_64-linux-gnu", &exe, &snapshot);
    Fixture { dir, exe, snapshot }
}

/// Fills pages 1..=144 with an LCG's bytes, counts in page 0, then exits
/// with a checksum of the filled pages and the counter, so a restore that
/// brings back any wrong byte exits differently.
const RAW_MODULE: &str = r#"
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory 160)
  (global $n (mut i32) (i32.const 0))
  (func (export "_start") (local $i i32) (local $x i32) (local $sum i32)
    (local.set $x (i32.const 1))
    (local.set $i (i32.const 65536))
    (i32.store (i32.const 128) (i32.const 7))
    ;; A counted leaf loop (`local.tee` form): it does not poll.
    (loop $fill
      (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
      (i32.store (local.get $i) (local.get $x))
      (br_if $fill (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 4))) (i32.const 9502720))))
    ;; Counted through a global, so the loop polls (a counted leaf loop would not).
    (loop $count
      (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (i32.const 1)))
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (br_if $count (i32.lt_u (global.get $n) (i32.const 100000))))
    (local.set $i (i32.const 65536))
    (loop $check
      (local.set $sum (i32.xor (i32.rotl (local.get $sum) (i32.const 5))
                               (i32.load (local.get $i))))
      (br_if $check (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 4))) (i32.const 9502720))))
    (call $exit (i32.and (i32.add (local.get $sum) (i32.load (i32.const 64))) (i32.const 127)))))
"#;

/// The exit status of an uninterrupted run of [`RAW_MODULE`].
fn raw_reference(f: &Fixture) -> i32 {
    common::run(&mut std::process::Command::new(&f.exe)).code()
}

#[test]
fn raw_chunks_restore_on_both_isas_in_every_mode() {
    let f = raw_fixture();
    let want = raw_reference(&f);
    for target in common::targets() {
        if target.starts_with("aarch64") {
            common::require_aarch64();
        }
        let exe = raw_exe(&f.dir, target);
        for mode in ["verify", "lazy", "copy"] {
            let run = raw_restore(target, &exe, &f.snapshot, mode);
            assert_eq!(run.code(), want, "{target} {mode}: {}", run.describe());
        }
        // And the other way: checkpointed on `target`, resumed on x86-64.
        let snapshot = f.dir.join(&format!("{target}.tsnap"));
        raw_checkpoint(target, &exe, &snapshot);
        let run = raw_restore("x86_64-linux-gnu", &f.exe, &snapshot, "verify");
        assert_eq!(run.code(), want, "from {target}: {}", run.describe());
    }
}

#[test]
fn corrupted_chunks_and_chunk_tables_are_refused() {
    let f = raw_fixture();
    let want = raw_reference(&f);
    let opened = file::open(&f.snapshot).expect("good snapshot decodes");
    let image = &opened.snapshot.memories[0];
    let kinds: Vec<(u64, Encoding)> = image.chunks.iter().map(|c| (c.index, c.encoding)).collect();
    let expected: Vec<(u64, Encoding)> = std::iter::once((0, Encoding::Lz4))
        .chain((1..=144).map(|i| (i, Encoding::Raw)))
        .collect();
    assert_eq!(kinds, expected);
    for mode in ["verify", "lazy", "copy"] {
        let run = raw_restore("x86_64-linux-gnu", &f.exe, &f.snapshot, mode);
        assert_eq!(run.code(), want, "{mode}: {}", run.describe());
    }
    let bytes = std::fs::read(&f.snapshot).unwrap();
    let runs = opened.raw_runs(0);
    assert_eq!(runs.len(), 1, "one run of raw chunks");
    let run = runs[0];
    assert_eq!(run.file_offset % 65536, 0, "raw chunks are page-aligned");
    assert_eq!(run.len, 144 * 65536);
    // A flipped byte in the raw chunk: refused when memory is checked.
    let mut b = bytes.clone();
    b[run.file_offset as usize + 4000] ^= 0x20;
    let p = write(&f.dir, "raw-flipped.tsnap", &b);
    for mode in ["verify", "copy"] {
        raw_restore("x86_64-linux-gnu", &f.exe, &p, mode)
            .assert_error(&["memory 0", "chunk 1 is corrupted"]);
    }
    // The documented trade-off of `lazy`: raw chunks are not read before the
    // program runs, so the flipped byte is not refused: it reaches the program.
    let lazy = raw_restore("x86_64-linux-gnu", &f.exe, &p, "lazy");
    assert_ne!(lazy.code(), 1, "{}", lazy.describe());
    // Truncated inside the raw chunk, and cut before it: refused in every mode.
    for len in [run.file_offset as usize + 100, bytes.len() - 1] {
        let p = write(&f.dir, "raw-truncated.tsnap", &bytes[..len]);
        for mode in ["verify", "lazy", "copy"] {
            raw_restore("x86_64-linux-gnu", &f.exe, &p, mode).assert_error(&["truncated"]);
        }
    }
    // Non-zero padding before the aligned data area.
    let mut b = bytes.clone();
    b[run.file_offset as usize - 1] = 1;
    let p = write(&f.dir, "padding.tsnap", &b);
    restore(&f.exe, &p).assert_error(&["padding"]);
    hostile_data(
        &f,
        "raw-misaligned",
        |s, _| s.memories[0].chunks[1].offset += 4096,
        "not 64 KiB-aligned",
    );
    hostile_data(
        &f,
        "raw-out-of-range",
        |s, _| s.memories[0].chunks[1].offset = 1 << 30,
        "past the end of the memory data",
    );
    hostile_data(
        &f,
        "raw-length",
        |s, _| s.memories[0].chunks[1].len = 100,
        "raw chunk 1 has 100 bytes",
    );
    hostile_data(
        &f,
        "chunk-index",
        |s, _| s.memories[0].chunks[1].index = 1000,
        "past the memory",
    );
    hostile_data(
        &f,
        "chunk-order",
        |s, _| s.memories[0].chunks.swap(0, 1),
        "out of order",
    );
    hostile_data(
        &f,
        "compressed-data",
        |s, data| {
            let c = s.memories[0].chunks[0];
            data[c.offset as usize + 1] ^= 0xff;
        },
        "chunk 0 is corrupted",
    );
    hostile_data(
        &f,
        "compressed-garbage",
        |s, data| {
            // Garbage with a matching checksum: the decoder refuses it.
            let c = &mut s.memories[0].chunks[0];
            let at = c.offset as usize;
            data[at..at + c.len as usize].fill(0xf0);
            c.crc32 = crc32(&data[at..at + c.len as usize]);
        },
        "chunk 0 is corrupted",
    );
    hostile_data(
        &f,
        "codec",
        |s, _| s.memories[0].chunks[0].encoding = Encoding::Zstd,
        "chunk 0 is corrupted",
    );
    let mut b = bytes.clone();
    b.extend_from_slice(&[0; 10]);
    let p = write(&f.dir, "trailing.tsnap", &b);
    restore(&f.exe, &p).assert_error(&["10 bytes after the memory data"]);
}

/// CRC-32 (IEEE), as the format uses.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
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
        "chunks",
        |s| s.memories[0].chunks[0].index = 1 << 30,
        "memory 0",
    );
    hostile(
        &f,
        "chunk-table",
        |s| {
            let first = s.memories[0].chunks[0];
            s.memories[0].chunks.push(first);
        },
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
    // An export that exists but is not the bottom frame's function (and
    // makes no tail calls that could have replaced its frame).
    hostile(
        &f,
        "entry-function",
        |s| s.entry.export = "work".into(),
        "bottom frame",
    );
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
    let opened = file::open(&f.snapshot).expect("good snapshot decodes");
    let data = opened.data_bytes().expect("memory data reads");
    let good = opened.snapshot;
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
        let bytes = file::to_bytes(&s, &DataArea::from_bytes(&data));
        write(&f.dir, "payload.tsnap", &bytes)
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
