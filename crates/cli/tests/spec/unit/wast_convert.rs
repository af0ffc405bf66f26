//! Unit tests of `wast_convert.rs`.

use crate::runner::values::{FloatPattern, Pattern, Value};
use crate::runner::wast_convert::*;

fn commands(plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .map(|s| match &s.action {
            Action::Command { command, .. } => command.render(|k| k),
            Action::CompileOnly { module } => format!("compile {module}"),
            Action::Reject {
                rejected_by_wast, ..
            } => format!("reject (wast rejects: {})", rejected_by_wast.is_some()),
            Action::Skip(r) => format!("skip {r}"),
            Action::Fail(r) => format!("fail {r}"),
        })
        .collect()
}

#[test]
fn hex_names() {
    assert_eq!(hex_name(""), "-");
    assert_eq!(hex_name("add"), "616464");
    assert_eq!(hex_name("a b"), "612062");
    assert_eq!(hex_name("\u{0}"), "00");
    assert_eq!(hex_name("é"), "c3a9");
}

#[test]
fn modules_invokes_and_names() {
    let plan = plan_file(
        r#"
(module $A (func (export "f") (param i32) (result i32) (local.get 0)))
(register "a" $A)
(module $B (func (export "g")))
(assert_return (invoke $A "f" (i32.const -1)) (i32.const -1))
(invoke "g")
(assert_trap (invoke "g") "unreachable")
(assert_exhaustion (invoke $A "f" (i32.const 0)) "call stack exhausted")
(assert_return (get "glob") (f32.const nan:canonical))
(register "b")
(assert_return (invoke $Z "f"))
"#,
    )
    .unwrap();
    assert_eq!(plan.modules.len(), 2);
    assert_eq!(plan.modules[0].line, 2);
    assert_eq!(&plan.modules[0].wasm[..4], b"\0asm");
    assert_eq!(
        commands(&plan),
        [
            "instantiate 0 i0",
            "register 61 i0",
            "instantiate 1 i1",
            "invoke i0 66 i32:ffffffff",
            "invoke i1 67",
            "invoke i1 67",
            "invoke i0 66 i32:0",
            "get i1 676c6f62",
            "register 62 i1",
            "fail unknown module $Z",
        ]
    );
    let lines: Vec<usize> = plan.steps.iter().map(|s| s.line).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    let Action::Command { expect, .. } = &plan.steps[3].action else {
        panic!()
    };
    assert_eq!(
        expect,
        &Expect::Values(vec![Pattern::Exact(Value::I32(u32::MAX))])
    );
    let Action::Command { expect, .. } = &plan.steps[5].action else {
        panic!()
    };
    assert_eq!(expect, &Expect::Trap("unreachable".into()));
    let Action::Command { expect, .. } = &plan.steps[6].action else {
        panic!()
    };
    assert_eq!(expect, &Expect::Exhaustion("call stack exhausted".into()));
    let Action::Command { expect, .. } = &plan.steps[7].action else {
        panic!()
    };
    assert_eq!(
        expect,
        &Expect::Values(vec![Pattern::F32(FloatPattern::Canonical)])
    );
    assert!(
        plan.steps[3].what.contains("\"f\""),
        "{}",
        plan.steps[3].what
    );
}

#[test]
fn module_level_assertions() {
    let plan = plan_file(
        r#"
(module (func (export "f")))
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(assert_unlinkable (module (import "spectest" "nope" (func))) "unknown import")
(invoke "f")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_malformed (module quote "(func (i32.const 0x))") "unknown operator")
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_malformed (module quote "(memory 1)") "would be valid")
"#,
    )
    .unwrap();
    assert_eq!(plan.modules.len(), 3);
    assert_eq!(
        commands(&plan),
        [
            "instantiate 0 i0",
            "instantiate 1 i1",
            "instantiate 2 i2",
            // The module-level assertions do not change the current instance.
            "invoke i0 66",
            "reject (wast rejects: false)",
            "reject (wast rejects: true)",
            "reject (wast rejects: false)",
            "reject (wast rejects: false)",
        ]
    );
    let Action::Command { expect, .. } = &plan.steps[1].action else {
        panic!()
    };
    assert_eq!(expect, &Expect::Trap("unreachable".into()));
    let Action::Command { expect, .. } = &plan.steps[2].action else {
        panic!()
    };
    assert_eq!(expect, &Expect::Unlinkable("unknown import".into()));
    let Action::Reject { source, .. } = &plan.steps[5].action else {
        panic!()
    };
    assert_eq!(source, b"(func (i32.const 0x)) ");
    let Action::Reject { source, .. } = &plan.steps[6].action else {
        panic!()
    };
    assert_eq!(source, b"\0asm\x02\0\0\0");
}

#[test]
fn definitions_and_instances() {
    let plan = plan_file(
        r#"
(module definition $D (func (export "f")))
(module instance $I $D)
(module instance $J $D)
(invoke $I "f")
(invoke "f")
"#,
    )
    .unwrap();
    assert_eq!(plan.modules.len(), 1);
    assert_eq!(
        commands(&plan),
        [
            "compile 0",
            "instantiate 0 i0",
            "instantiate 0 i1",
            "invoke i0 66",
            "invoke i1 66"
        ]
    );
}

#[test]
fn unsupported_values_are_skips() {
    let plan = plan_file(
        r#"
(module (func (export "f") (param anyref)))
(invoke "f" (ref.host 1))
(assert_return (invoke "f") (ref.i31))
"#,
    )
    .unwrap();
    let c = commands(&plan);
    assert!(c[1].starts_with("skip cannot express argument"), "{c:?}");
    assert!(
        c[2].starts_with("skip cannot express expected result"),
        "{c:?}"
    );
}

#[test]
fn parse_errors_are_reported() {
    assert!(plan_file("(module (func)").is_err());
}
