//! Unit tests of `check.rs`.

use crate::runner::check::*;
use crate::runner::values::{FloatPattern, Pattern, Value};
use crate::runner::wast_convert::{Command, Expect};

fn invoke() -> Command {
    Command::Invoke {
        instance: "i0".into(),
        name: "f".into(),
        args: vec![],
    }
}

fn inst() -> Command {
    Command::Instantiate {
        module: 0,
        instance: "i0".into(),
    }
}

#[test]
fn invoke_results() {
    let e = Expect::Values(vec![Pattern::Exact(Value::I32(1))]);
    assert!(check(&invoke(), &e, "ok i32:1").is_ok());
    assert!(check(&invoke(), &e, "ok i32:00000001").is_ok());
    let err = check(&invoke(), &e, "ok i32:2").unwrap_err();
    assert!(err.contains("expected i32:1 (1), got i32:2 (2)"), "{err}");
    assert!(check(&invoke(), &e, "ok")
        .unwrap_err()
        .contains("1 results"));
    assert!(check(&invoke(), &e, "trap unreachable").is_err());
    assert!(check(&invoke(), &e, "ok i32:1 i32:1").is_err());
    assert!(check(&invoke(), &Expect::Values(vec![]), "ok").is_ok());
    let nan = Expect::Values(vec![Pattern::F64(FloatPattern::Arithmetic)]);
    assert!(check(&invoke(), &nan, "ok f64:7ff8000000000001").is_ok());
    assert!(check(&invoke(), &nan, "ok f64:7ff0000000000001").is_err());
    assert!(check(&invoke(), &Expect::Ok, "ok i32:5").is_ok());
    assert!(check(&invoke(), &Expect::Ok, "trap unreachable").is_err());
    assert!(check(&invoke(), &Expect::Ok, "ok banana").is_err());
}

#[test]
fn invoke_traps() {
    let e = Expect::Trap("integer divide by zero".into());
    assert!(check(&invoke(), &e, "trap integer divide by zero").is_ok());
    assert!(check(&invoke(), &e, "trap integer overflow").is_err());
    assert!(check(&invoke(), &e, "ok i32:0").is_err());
    assert!(check(&invoke(), &e, "error unknown export").is_err());
    let x = Expect::Exhaustion("call stack exhausted".into());
    assert!(check(&invoke(), &x, "trap call stack exhausted").is_ok());
}

#[test]
fn instantiation() {
    assert!(check(&inst(), &Expect::Ok, "ok").is_ok());
    assert!(check(&inst(), &Expect::Ok, "error link unknown import").is_err());
    let t = Expect::Trap("out of bounds memory access".into());
    assert!(check(&inst(), &t, "error trap out of bounds memory access").is_ok());
    assert!(check(&inst(), &t, "error trap unreachable").is_err());
    assert!(check(&inst(), &t, "ok").is_err());
    let l = Expect::Unlinkable("incompatible import type".into());
    assert!(check(
        &inst(),
        &l,
        "error link incompatible import type for spectest::table"
    )
    .is_ok());
    assert!(check(&inst(), &l, "error trap incompatible import type").is_err());
    assert!(check(&inst(), &l, "error link unknown import").is_err());
}
