//! Checkpoint/restore of generated modules: whatever a function can have on
//! its stack, a checkpoint at any migration point resumes to the same answer.
//!
//! `wasm-smith` generates modules (WebAssembly 2.0 with SIMD, multi-value,
//! reference types, bulk memory, multiple memories, exceptions and tail
//! calls; NaNs canonicalized, every loop and call paid for with fuel so each
//! call ends). Each module is compiled plain and with `--cr`, and each of a
//! few exported functions with numeric parameters is invoked
//! (`--invoke NAME`):
//!
//! 1. plain, for the reference: results, exit status and trap message;
//! 2. `--cr`, uninterrupted, counting the migration points it reaches;
//! 3. `--cr`, checkpoint-and-continue every few points
//!    (`TERN_CHECKPOINT_EVERY`);
//! 4. `--cr`, stopped at the first, a middle and the last point
//!    (`TERN_CHECKPOINT_AT`) and restored from the snapshot on x86-64, and
//!    at the middle point x86-64 -> AArch64 (qemu-user) and back.
//!
//! Every run must give the reference's results, status and trap, and end
//! with the same globals, tables and memory contents (`TERN_STATE_DIGEST`,
//! which the runtime prints at exit; not after an out-of-bounds trap, see
//! [`GUARD_PAGE_TRAP`]). A module tern refuses (an unsupported feature) is
//! skipped, but most must compile.
//!
//! `TERN_CR_GENERATED_CASES` sets the number of seeds (default 60),
//! `TERN_CR_GENERATED_SEED` the first one, `TERN_CR_GENERATED_OPT` the
//! optimization level of every build (default 2; at 1 no function has a
//! resume version).

mod common;

use common::{generated, Run, TempDir};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const X86: &str = "x86_64-linux-gnu";
const ARM: &str = "aarch64-linux-gnu";
/// Exit status of a program stopped by a checkpoint.
const CHECKPOINTED: i32 = 75;
/// Exported functions invoked per module.
const EXPORTS_PER_MODULE: usize = 3;
/// A generous limit for one run (qemu included).
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// The optimization level of every build (`TERN_CR_GENERATED_OPT`).
fn opt_level() -> u64 {
    common::env_u64("TERN_CR_GENERATED_OPT", 2)
}

/// What an invocation did, as the comparison sees it.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    code: i32,
    stdout: String,
    trap: Option<String>,
    /// Globals, tables and memories at exit (`TERN_STATE_DIGEST`).
    digest: Option<String>,
}

/// The trap of an access that faults on a guard page. LLVM may schedule
/// such a load before an unrelated store to memory or a global (it knows
/// no trap), differently per ISA and per version of a function, so the
/// state after this trap is not compared (`docs/architecture.md`, "Loads
/// that must trap").
const GUARD_PAGE_TRAP: &str = "wasm trap: out of bounds memory access";

fn outcome(run: &Run) -> Outcome {
    run.assert_no_crash();
    let trap = run
        .stderr
        .lines()
        .find(|l| l.contains("wasm trap:"))
        .map(str::to_string);
    let digest = run
        .stderr
        .lines()
        .find(|l| l.starts_with("tern: state digest:"))
        .map(str::to_string);
    // Every run that instantiated the module ends with a digest.
    assert!(
        digest.is_some() || run.stderr.contains("instantiation failed"),
        "no state digest\n{}",
        run.describe()
    );
    Outcome {
        code: run.code(),
        stdout: run.stdout.clone(),
        digest: digest.filter(|_| trap.as_deref() != Some(GUARD_PAGE_TRAP)),
        trap,
    }
}

/// Asserts that `run` gave the `reference` outcome; `what` names the run.
fn assert_same(run: &Run, reference: &Outcome, what: &str) {
    assert_eq!(
        &outcome(run),
        reference,
        "{what} changed the answer\n{}",
        run.describe()
    );
}

/// One generated module compiled plain and with `--cr`.
struct Case {
    dir: TempDir,
    plain: PathBuf,
    /// The `--cr` builds for x86-64 and AArch64.
    cr: PathBuf,
    cr_arm: PathBuf,
    module: PathBuf,
}

impl Case {
    /// Invokes `export` with `args`, runtime `options` first.
    fn command(
        &self,
        target: &str,
        exe: &Path,
        export: &str,
        args: &[String],
        options: &[&Path],
    ) -> Command {
        let mut cmd = common::target_command(target, exe);
        cmd.args(["--invoke", export]).args(options);
        cmd.arg("--").args(args);
        cmd.env_remove("TERN_CHECKPOINT_AT")
            .env_remove("TERN_CHECKPOINT_EVERY")
            .env_remove("TERN_CHECKPOINT_REPORT")
            .env("TERN_STATE_DIGEST", "1");
        cmd
    }

    /// `tern compile` of the module for `target`; `None` when tern refuses it.
    fn compile(&self, cr: bool, target: &str, out: &Path) -> Option<()> {
        let mut cmd = common::tern(&self.dir.join("cache"));
        cmd.arg("compile").arg(&self.module).arg("-o").arg(out);
        cmd.args(["--target", target, "-O", &opt_level().to_string()]);
        if cr {
            cmd.arg("--cr");
        }
        let run = common::run(&mut cmd);
        run.assert_no_crash();
        if run.code() == 0 {
            return Some(());
        }
        assert!(
            run.stderr.contains("unsupported"),
            "tern refused a valid module for a reason other than an unsupported feature\n{}",
            run.describe()
        );
        None
    }

    /// The `--cr` build for `target`.
    fn cr_exe(&self, target: &str) -> &Path {
        if target == ARM {
            &self.cr_arm
        } else {
            &self.cr
        }
    }

    /// Checkpoints at point `at` on `from` and restores on `to`; the run
    /// that answered.
    ///
    /// The N-th point is not always the same Wasm state on both ISAs: LLVM
    /// may move a load that traps across a poll, and a function whose
    /// results x86-64 returns in memory has no resume version there, so its
    /// loops poll at their headers, not on their back edges (a poll one
    /// iteration earlier; `docs/checkpoint-restore.md`, "Using it"). So on
    /// AArch64, whose count the test does not take, a stop that is never
    /// reached is no failure: that run answered itself, and must answer
    /// like the reference.
    fn stop_and_restore(
        &self,
        at: u64,
        from: &str,
        to: &str,
        export: &str,
        args: &[String],
    ) -> Run {
        let snap = self.dir.join(&format!("stop-{from}-{at}.tsnap"));
        let stopped = common::run_with_timeout(
            self.command(
                from,
                self.cr_exe(from),
                export,
                args,
                &[Path::new("--checkpoint-to"), &snap],
            )
            .env("TERN_CHECKPOINT_AT", at.to_string()),
            RUN_LIMIT,
        );
        stopped.assert_no_crash();
        if from != X86 && stopped.code() != CHECKPOINTED {
            return stopped;
        }
        stopped.assert_code(CHECKPOINTED);
        let mut restore = common::target_command(to, self.cr_exe(to));
        restore.arg("--restore").arg(&snap).arg("--");
        restore.env("TERN_STATE_DIGEST", "1");
        common::run_with_timeout(&mut restore, RUN_LIMIT)
    }
}

/// Runs every check of one invocation; returns how many checkpoints it took.
fn check_export(case: &Case, export: &str, args: &[String], label: &str) -> u64 {
    let reference = outcome(&common::run_with_timeout(
        &mut case.command(X86, &case.plain, export, args, &[]),
        RUN_LIMIT,
    ));
    let counted = common::run_with_timeout(
        case.command(X86, &case.cr, export, args, &[])
            .env("TERN_CHECKPOINT_REPORT", "1")
            .env("TERN_CHECKPOINT_AT", u64::MAX.to_string()),
        RUN_LIMIT,
    );
    assert_same(&counted, &reference, &format!("{label}: the --cr build"));
    if counted.stderr.contains("instantiation failed") {
        // Both builds refused the same way (a memory too large to reserve).
        return 0;
    }
    let points = common::points_reached(&counted.stderr)
        .unwrap_or_else(|| panic!("{label}: no point count on stderr\n{}", counted.describe()));
    if points == 0 {
        return 0;
    }
    let every = (points / 6).max(1);
    let snap = case.dir.join("every.tsnap");
    let continued = common::run_with_timeout(
        case.command(
            X86,
            &case.cr,
            export,
            args,
            &[Path::new("--checkpoint-to"), &snap],
        )
        .env("TERN_CHECKPOINT_EVERY", every.to_string()),
        RUN_LIMIT,
    );
    assert_same(
        &continued,
        &reference,
        &format!("{label}: checkpoint-and-continue every {every} points"),
    );
    let mut taken = points / every;
    let mut stops = vec![1, points.div_ceil(2), points];
    stops.dedup();
    for &at in &stops {
        let restored = case.stop_and_restore(at, X86, X86, export, args);
        assert_same(
            &restored,
            &reference,
            &format!("{label}: stopping at point {at} of {points} and restoring on x86-64"),
        );
        taken += 1;
    }
    let middle = stops[stops.len() / 2];
    for (from, to) in [(X86, ARM), (ARM, X86)] {
        let restored = case.stop_and_restore(middle, from, to, export, args);
        assert_same(
            &restored,
            &reference,
            &format!(
                "{label}: stopping at point {middle} of {points} on {from} and restoring on {to}"
            ),
        );
    }
    taken + 2
}

#[test]
fn generated_modules_resume_to_the_same_answer() {
    common::require_runtimes();
    common::require_aarch64();
    let cases = common::env_u64("TERN_CR_GENERATED_CASES", 60);
    let first = common::env_u64("TERN_CR_GENERATED_SEED", 1);
    let (mut modules, mut refused, mut invocations, mut checkpoints) = (0, 0, 0, 0);
    for seed in first..first + cases {
        let Some((wasm, exports)) = generated::invocable_module(seed, EXPORTS_PER_MODULE) else {
            continue;
        };
        let dir = TempDir::new(&format!("cr-generated-{seed}"));
        let module = common::write_file(&dir, "module.wasm", &wasm);
        let case = Case {
            plain: dir.join("plain"),
            cr: dir.join("cr"),
            cr_arm: dir.join("cr-aarch64"),
            module,
            dir,
        };
        let compiled = case
            .compile(false, X86, &case.plain)
            .and_then(|()| case.compile(true, X86, &case.cr))
            .and_then(|()| case.compile(true, ARM, &case.cr_arm));
        if compiled.is_none() {
            refused += 1;
            continue;
        }
        modules += 1;
        for (export, args) in &exports {
            let label = format!("seed {seed}, export `{export}` ({args:?})");
            checkpoints += check_export(&case, export, args, &label);
            invocations += 1;
        }
    }
    eprintln!(
        "{modules} modules ({refused} refused), {invocations} invocations, {checkpoints} checkpoints"
    );
    assert!(
        modules * 2 > refused && invocations >= cases / 2 && checkpoints > invocations,
        "too little was tested: {modules} modules, {refused} refused, {invocations} invocations, {checkpoints} checkpoints"
    );
}
