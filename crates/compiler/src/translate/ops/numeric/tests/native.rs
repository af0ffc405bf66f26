//! Where the harness runs the functions it emitted: in-process with LLVM's
//! JIT for the host, or as native code for one of tern's targets. Native code
//! is compiled with the same CPU settings as tern's code generator, linked
//! with a generated C driver, and run (under `qemu-aarch64` for AArch64);
//! native runs are skipped when the toolchain is missing.

use super::jit::{self, Outcome};
use crate::target::Target;
use inkwell::module::Module;
use inkwell::targets::{
    CodeModel, FileType, InitializationConfig, RelocMode, Target as LlvmTarget, TargetMachine,
    TargetTriple,
};
use inkwell::OptimizationLevel;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use tern_environ::TrapCode;

/// A function to call: its symbol and raw-bit arguments.
pub(super) type Call = (String, Vec<u64>);

/// Where emitted functions run.
#[derive(Clone, Copy, Debug)]
pub(super) enum Backend {
    /// LLVM's JIT, for the host.
    Jit,
    /// An executable for a tern target.
    Native(Target),
}

/// The compiler and runner commands for native code of `target`.
fn toolchain(target: Target) -> (&'static str, &'static [&'static str]) {
    match target {
        Target::X86_64 => ("cc", &[]),
        Target::Aarch64 => (
            "aarch64-linux-gnu-gcc",
            &["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"],
        ),
    }
}

/// Whether `program` can be started.
fn exists(program: &str) -> bool {
    Command::new(program).arg("--version").output().is_ok()
}

impl Backend {
    /// Whether this backend can run here (native toolchains may be missing).
    pub(super) fn available(self) -> bool {
        match self {
            Backend::Jit => true,
            Backend::Native(target) => {
                let (cc, runner) = toolchain(target);
                exists(cc)
                    && runner.first().is_none_or(|r| exists(r))
                    && (target == Target::X86_64 || cfg!(target_arch = "x86_64"))
            }
        }
    }

    /// Sets `module`'s triple (lowering reads it) before functions are emitted.
    pub(super) fn prepare(self, module: &Module<'_>) {
        if let Backend::Native(target) = self {
            module.set_triple(&TargetTriple::create(target.triple()));
        }
    }

    /// The target machine, configured as tern's code generator does.
    fn machine(self) -> TargetMachine {
        let Backend::Native(target) = self else {
            return jit::host_machine();
        };
        let config = InitializationConfig::default();
        let (cpu, features) = match target {
            Target::X86_64 => {
                LlvmTarget::initialize_x86(&config);
                ("x86-64-v2", "")
            }
            Target::Aarch64 => {
                LlvmTarget::initialize_aarch64(&config);
                ("generic", "+neon")
            }
        };
        let triple = TargetTriple::create(target.triple());
        LlvmTarget::from_triple(&triple)
            .expect("LLVM has the target")
            .create_target_machine(
                &triple,
                cpu,
                features,
                OptimizationLevel::Default,
                RelocMode::PIC,
                CodeModel::Default,
            )
            .expect("target machine")
    }

    /// Verifies and (with `optimize`) optimizes `module`, then runs `calls`.
    pub(super) fn run(self, module: &Module<'_>, optimize: bool, calls: &[Call]) -> Vec<Outcome> {
        let machine = self.machine();
        jit::verify_and_optimize(module, optimize.then_some(&machine));
        match self {
            Backend::Jit => {
                let engine = jit::jit(module);
                calls
                    .iter()
                    .map(|(name, args)| jit::call(&engine, name, args))
                    .collect()
            }
            Backend::Native(target) => run_native(target, &machine, module, calls),
        }
    }
}

/// A fresh scratch directory.
fn scratch_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("tern-numeric-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// The C driver: calls every function and prints `TRAP RESULT` per line.
fn driver_source(calls: &[Call]) -> String {
    let mut c = String::from(
        "#include <stdio.h>\n#include <stdint.h>\n\
         typedef uint64_t (*F)(uint32_t *, uint64_t, uint64_t, uint64_t);\n",
    );
    for (name, _) in calls {
        let _ = writeln!(
            c,
            "uint64_t {name}(uint32_t *, uint64_t, uint64_t, uint64_t);"
        );
    }
    c += "static const struct { F f; uint64_t a[3]; } T[] = {\n";
    for (name, args) in calls {
        let arg = |i: usize| args.get(i).copied().unwrap_or(0);
        let _ = writeln!(
            c,
            "  {{{name}, {{{:#x}ull, {:#x}ull, {:#x}ull}}}},",
            arg(0),
            arg(1),
            arg(2)
        );
    }
    c += "  {0, {0, 0, 0}}};\nint main(void) {\n\
          for (unsigned i = 0; T[i].f; i++) {\n\
          uint32_t trap = 0;\n\
          uint64_t r = T[i].f(&trap, T[i].a[0], T[i].a[1], T[i].a[2]);\n\
          printf(\"%u %llx\\n\", trap, (unsigned long long)r);\n\
          }\nreturn 0;\n}\n";
    c
}

/// Compiles `module` for `target`, links it with the driver and runs it.
fn run_native(
    target: Target,
    machine: &TargetMachine,
    module: &Module<'_>,
    calls: &[Call],
) -> Vec<Outcome> {
    let dir = scratch_dir();
    let (object, driver, exe) = (dir.join("cases.o"), dir.join("driver.c"), dir.join("cases"));
    machine
        .write_to_file(module, FileType::Object, &object)
        .expect("object written");
    std::fs::write(&driver, driver_source(calls)).expect("driver written");
    let (cc, runner) = toolchain(target);
    let status = Command::new(cc)
        .arg(&driver)
        .arg(&object)
        .arg("-o")
        .arg(&exe)
        .status()
        .expect("C compiler runs");
    assert!(status.success(), "linking the {target} driver failed");
    let output = match runner.split_first() {
        Some((program, args)) => Command::new(program).args(args).arg(&exe).output(),
        None => Command::new(&exe).output(),
    }
    .expect("driver runs");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let outcomes: Vec<Outcome> = stdout
        .lines()
        .map(|line| {
            let (trap, value) = line.split_once(' ').expect("TRAP VALUE");
            match TrapCode::from_u32(trap.parse().expect("trap code")) {
                Some(code) => Outcome::Trap(code),
                None => Outcome::Value(u64::from_str_radix(value, 16).expect("hex value")),
            }
        })
        .collect();
    assert_eq!(
        outcomes.len(),
        calls.len(),
        "the {target} driver stopped early: {output:?}"
    );
    outcomes
}
