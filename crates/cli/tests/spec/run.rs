//! One `.wast` file on one target: plan it, compile its modules, check the
//! modules tern must reject, link the bundle, run the script, judge every
//! step.

use crate::runner::check::check;
use crate::runner::compile::{self, Codegen};
use crate::runner::exec::{self, Launcher};
use crate::runner::wast_convert::{plan_file, Action, Plan};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The verdict on one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// As expected.
    Pass,
    /// Not as expected, with why.
    Fail(String),
    /// Not checked, with why (counts as a failure).
    Skip(String),
}

/// One judged step.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// 1-based line in the `.wast` file.
    pub line: usize,
    /// What the step is.
    pub what: String,
    /// The verdict.
    pub verdict: Verdict,
}

/// Everything one file produced on one target.
#[derive(Debug)]
pub struct FileReport {
    /// File name, e.g. `i32.wast`.
    pub file: String,
    /// Short target name (`x86_64`, `aarch64`).
    pub target: &'static str,
    /// One outcome per directive.
    pub outcomes: Vec<Outcome>,
    /// How to rerun the executable by hand, when one was built.
    pub reproduce: Option<String>,
    /// A problem that concerns the whole file (the bundle could not be built).
    pub note: Option<String>,
}

impl FileReport {
    /// Number of passing steps.
    pub fn passed(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.verdict == Verdict::Pass)
            .count()
    }

    /// Number of failing or skipped steps.
    pub fn failed(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o.verdict, Verdict::Fail(_) | Verdict::Skip(_)))
            .count()
    }
}

/// Whether `TERN_SPEC_VERBOSE` asks for progress on stderr.
fn verbose() -> bool {
    static VERBOSE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *VERBOSE
        .get_or_init(|| std::env::var("TERN_SPEC_VERBOSE").is_ok_and(|v| !v.is_empty() && v != "0"))
}

/// Short name of a target, as used in reports and `expected-failures.txt`.
pub fn target_name(target: tern_compiler::Target) -> &'static str {
    match target {
        tern_compiler::Target::X86_64 => "x86_64",
        tern_compiler::Target::Aarch64 => "aarch64",
    }
}

/// Runs `text` (the contents of `file`) on `codegen.target`, with build
/// artifacts under `dir`.
pub fn run_file(
    file: &str,
    text: &str,
    codegen: Codegen,
    launcher: &Launcher,
    dir: &Path,
) -> FileReport {
    let mut report = FileReport {
        file: file.to_string(),
        target: target_name(codegen.target),
        outcomes: vec![],
        reproduce: None,
        note: None,
    };
    let plan = match plan_file(text) {
        Ok(plan) => plan,
        Err(e) => {
            report.outcomes.push(Outcome {
                line: 0,
                what: "parse".into(),
                verdict: Verdict::Fail(format!("cannot parse the file: {e}")),
            });
            return report;
        }
    };
    if let Err(e) = std::fs::create_dir_all(dir) {
        let why = format!("cannot create {}: {e}", dir.display());
        report.outcomes = plan
            .steps
            .iter()
            .map(|s| Outcome {
                line: s.line,
                what: s.what.clone(),
                verdict: Verdict::Fail(why.clone()),
            })
            .collect();
        return report;
    }
    let objects = compile_modules(file, &plan, codegen, dir);
    let bundle_index = bundle_indices(&objects);

    // Judge what needs no executable; collect the script.
    let mut verdicts: Vec<Option<Verdict>> = vec![None; plan.steps.len()];
    let mut script: Vec<(usize, String)> = Vec::new();
    let mut instance_module: HashMap<&str, usize> = HashMap::new();
    for (i, step) in plan.steps.iter().enumerate() {
        verdicts[i] = match &step.action {
            Action::Skip(why) => Some(Verdict::Skip(why.clone())),
            Action::Fail(why) => Some(Verdict::Fail(why.clone())),
            Action::CompileOnly { module } => Some(match &objects[*module] {
                Ok(_) => Verdict::Pass,
                Err(e) => Verdict::Fail(format!("compile error: {e}")),
            }),
            Action::Reject {
                source,
                rejected_by_wast,
                message,
            } => Some(match rejected_by_wast {
                Some(_) => Verdict::Pass,
                None => match compile::check_rejected(source, codegen) {
                    Ok(()) => Verdict::Pass,
                    Err(e) => Verdict::Fail(format!("{e} (expected: \"{message}\")")),
                },
            }),
            Action::Command { command, .. } => {
                let module = match command {
                    crate::runner::wast_convert::Command::Instantiate { module, instance } => {
                        instance_module.insert(instance, *module);
                        Some(*module)
                    }
                    other => other
                        .uses_instance()
                        .and_then(|inst| instance_module.get(inst).copied()),
                };
                match module.map(|k| (k, &objects[k])) {
                    Some((k, Err(e))) => Some(Verdict::Fail(format!(
                        "module at line {} failed to compile: {e}",
                        plan.modules[k].line
                    ))),
                    _ => {
                        let line = command.render(|k| bundle_index[k].expect("module compiled"));
                        script.push((i, line));
                        None
                    }
                }
            }
        };
    }

    if !script.is_empty() {
        let exe = dir.join("bundle");
        match build(&objects, codegen, dir, &exe) {
            Err(e) => {
                for (i, _) in &script {
                    verdicts[*i] =
                        Some(Verdict::Fail("bundle not built (see the note)".to_string()));
                }
                report.note = Some(format!("bundle not built: {e}"));
            }
            Ok(()) => {
                let lines: Vec<String> = script.iter().map(|(_, l)| l.clone()).collect();
                report.reproduce = Some(exec::reproduce_hint(launcher, &exe, dir));
                let results = exec::run_script(launcher, &exe, &lines, dir).unwrap_or_else(|e| {
                    report.note = Some(e);
                    vec![
                        Err("the executable does not start (see the note)".to_string());
                        lines.len()
                    ]
                });
                for ((i, _), result) in script.iter().zip(results) {
                    let Action::Command { command, expect } = &plan.steps[*i].action else {
                        unreachable!("only commands are in the script")
                    };
                    verdicts[*i] = Some(match result {
                        Ok(line) => match check(command, expect, &line) {
                            Ok(()) => Verdict::Pass,
                            Err(e) => Verdict::Fail(e),
                        },
                        Err(e) => Verdict::Fail(e),
                    });
                }
            }
        }
    }

    report.outcomes = plan
        .steps
        .iter()
        .zip(verdicts)
        .map(|(step, verdict)| Outcome {
            line: step.line,
            what: step.what.clone(),
            verdict: verdict.unwrap_or_else(|| Verdict::Fail("internal: step not judged".into())),
        })
        .collect();
    report
}

/// Builds `dir/bundle` from an empty module (to check how executables of a
/// target can be run).
///
/// # Errors
/// When compiling or linking fails.
pub fn build_empty(codegen: Codegen, dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let object = dir.join("m0.o");
    compile::compile(b"\0asm\x01\0\0\0", &compile::prefix(0), codegen, &object)?;
    let exe = dir.join("bundle");
    build(&[Ok(object)], codegen, dir, &exe)?;
    Ok(exe)
}

/// Compiles every planned module to `dir/m{K}.o`.
fn compile_modules(
    file: &str,
    plan: &Plan,
    codegen: Codegen,
    dir: &Path,
) -> Vec<Result<PathBuf, String>> {
    plan.modules
        .iter()
        .enumerate()
        .map(|(k, module)| {
            let out = dir.join(format!("m{k}.o"));
            if verbose() {
                // Names the culprit if LLVM aborts the whole process.
                eprintln!(
                    "spec: {} {file}:{}: compiling module {k}",
                    target_name(codegen.target),
                    module.line
                );
            }
            compile::compile(&module.wasm, &compile::prefix(k), codegen, &out).map(|()| out)
        })
        .collect()
}

/// Bundle index of each plan module that compiled.
fn bundle_indices(objects: &[Result<PathBuf, String>]) -> Vec<Option<usize>> {
    let mut next = 0;
    objects
        .iter()
        .map(|o| {
            o.as_ref().ok().map(|_| {
                next += 1;
                next - 1
            })
        })
        .collect()
}

/// Emits the bundle object for the compiled modules and links the executable.
fn build(
    objects: &[Result<PathBuf, String>],
    codegen: Codegen,
    dir: &Path,
    exe: &Path,
) -> Result<(), String> {
    let (prefixes, mut paths): (Vec<String>, Vec<PathBuf>) = objects
        .iter()
        .enumerate()
        .filter_map(|(k, o)| o.as_ref().ok().map(|p| (compile::prefix(k), p.clone())))
        .unzip();
    let bundle = dir.join("bundle.o");
    compile::bundle(&prefixes, codegen.target, &bundle)?;
    paths.push(bundle);
    let _ = std::fs::remove_file(exe);
    compile::link(&paths, codegen.target, exe)
}

/// The WebAssembly features of `file`'s suite: its modules are validated
/// with them (see the crate docs). Suites written for Wasm 3.0 (`v3`,
/// `latest`, local folders) get everything tern implements.
pub fn suite_features(file: &str) -> tern_compiler::WasmFeatures {
    use tern_compiler::WasmFeatures as F;
    let suite = file.split_once('/').map_or("v2", |(suite, _)| suite);
    match suite {
        "v1" => F::WASM1,
        "v2" => F::WASM2,
        "memory64" => F::WASM2 | F::MEMORY64,
        // The threads folder predates reference types (one table only).
        "threads" => F::WASM1 | F::THREADS,
        "multi-memory" => F::WASM2 | F::MULTI_MEMORY,
        "extended-const" => F::WASM2 | F::EXTENDED_CONST,
        "tail-call" => F::WASM2 | F::TAIL_CALL,
        "function-references" => F::WASM2 | F::FUNCTION_REFERENCES | F::TAIL_CALL,
        "exceptions" => F::WASM2 | F::EXCEPTIONS | F::LEGACY_EXCEPTIONS,
        _ => tern_compiler::parse::SUPPORTED,
    }
}
