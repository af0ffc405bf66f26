//! End-to-end check of `run.rs` on the host target: a small `.wast` text
//! with assertions that must pass and assertions that are wrong on purpose,
//! so a runner that passes everything regardless is caught.

use crate::runner::compile::{install_panic_hook, Codegen};
use crate::runner::exec::Launcher;
use crate::runner::run::*;
use tern_compiler::Target;

const SELF_TEST: &str = r#"
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "trap") unreachable)
  (func (export "nan") (result f32) (f32.div (f32.const 0) (f32.const 0))))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4))
(assert_trap (invoke "trap") "unreachable")
(assert_trap (invoke "add" (i32.const 1) (i32.const 2)) "unreachable")
(assert_return (invoke "nan") (f32.const nan:canonical))
(assert_return (invoke "nan") (f32.const 0))
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_invalid (module (func)) "this module is valid")
(assert_return (invoke "missing"))
(assert_unlinkable (module (import "spectest" "nope" (func))) "unknown import")
(assert_unlinkable (module (import "spectest" "print" (func))) "this import exists")
"#;

#[test]
fn end_to_end_passes_and_fails() {
    let target = Target::host();
    if let Err(e) = tern_compiler::link::runtime_archive(target) {
        eprintln!("skipped: {e}");
        return;
    }
    install_panic_hook();
    let dir = std::env::temp_dir().join(format!("tern-spec-selftest-{}", std::process::id()));
    let codegen = Codegen {
        target,
        opt_level: 2,
        checkpoint: false,
        features: tern_compiler::parse::SUPPORTED,
    };
    let launcher = Launcher::new(target, None);
    let report = run_file("selftest.wast", SELF_TEST, codegen, &launcher, &dir);
    let passed: Vec<(usize, bool)> = report
        .outcomes
        .iter()
        .map(|o| (o.line, o.verdict == Verdict::Pass))
        .collect();
    let expected = [
        (2, true),
        (6, true),
        (7, false),
        (8, true),
        (9, false),
        (10, true),
        (11, false),
        (12, true),
        (13, false),
        (14, false),
        (15, true),
        (16, false),
    ];
    assert_eq!(passed, expected, "{report:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}
