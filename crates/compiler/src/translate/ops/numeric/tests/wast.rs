//! A small `.wast` runner for the harness: `module`, `assert_return`,
//! `assert_trap` and `invoke` over straight-line numeric functions; every
//! other command, and every function the harness cannot lower, is skipped.
//!
//! Each assertion runs twice: with the arguments as runtime values and no
//! optimization (tests the lowering as emitted), and with the arguments as
//! constants after the `default<O2>` pipeline (tests that LLVM's folding and
//! rewriting of the emitted IR keep Wasm semantics).

use super::jit::{self, Args, Outcome, WasmFunc};
use super::native::Backend;
use inkwell::context::Context;
use tern_environ::TrapCode;
use wasmparser::{Operator, ValType};

/// An s-expression of the wast text, with its byte range for lists.
enum Sexp {
    /// A keyword, number, `$id`...
    Atom(String),
    /// A string literal (decoded).
    Str(String),
    /// A parenthesized list and its byte range in the source.
    List(Vec<Sexp>, std::ops::Range<usize>),
}

/// Parses `src` into its top-level s-expressions.
fn parse(src: &str) -> Vec<Sexp> {
    let bytes = src.as_bytes();
    let mut stack: Vec<(Vec<Sexp>, usize)> = vec![(vec![], 0)];
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b';' if bytes.get(i + 1) == Some(&b';') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' if bytes.get(i + 1) == Some(&b';') => {
                let mut depth = 0;
                loop {
                    if bytes[i..].starts_with(b"(;") {
                        depth += 1;
                        i += 2;
                    } else if bytes[i..].starts_with(b";)") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'(' => stack.push((vec![], i)),
            b')' => {
                let (items, start) = stack.pop().expect("balanced parentheses");
                stack
                    .last_mut()
                    .expect("balanced")
                    .0
                    .push(Sexp::List(items, start..i + 1));
            }
            b'"' => {
                let mut out = Vec::new();
                i += 1;
                while bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        let c = bytes[i + 1];
                        match c {
                            b'n' => out.push(b'\n'),
                            b't' => out.push(b'\t'),
                            b'\\' | b'"' | b'\'' => out.push(c),
                            _ => {
                                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
                                out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
                                i += 1;
                            }
                        }
                        i += 2;
                    } else {
                        out.push(bytes[i]);
                        i += 1;
                    }
                }
                let s = String::from_utf8_lossy(&out).into_owned();
                stack.last_mut().expect("open list").0.push(Sexp::Str(s));
            }
            c if c.is_ascii_whitespace() => {}
            _ => {
                let start = i;
                while i < bytes.len() && !b"() \t\r\n\";".contains(&bytes[i]) {
                    i += 1;
                }
                stack
                    .last_mut()
                    .expect("open list")
                    .0
                    .push(Sexp::Atom(src[start..i].to_string()));
                continue;
            }
        }
        i += 1;
    }
    stack.pop().expect("top level").0
}

/// One expected result value.
#[derive(Debug)]
enum Expected {
    /// Exactly these bits.
    Bits(u64),
    /// Any canonical NaN.
    CanonicalNan,
    /// Any arithmetic NaN (quiet bit set).
    ArithmeticNan,
}

/// What an assertion expects.
#[derive(Debug)]
enum Expect {
    /// One result.
    Value(Expected),
    /// A trap with this code.
    Trap(TrapCode),
    /// Nothing in particular (a bare `invoke`).
    Anything,
}

/// A call of an exported function with its expectation.
struct Assertion {
    func: String,
    args: Vec<u64>,
    expect: Expect,
}

/// The bits of `(TY.const TEXT)`, parsed by `wat` so every literal form works.
fn const_bits(ty: &str, text: &str) -> Option<u64> {
    let wasm = wat::parse_str(format!("(module (func (result {ty}) {ty}.const {text}))")).ok()?;
    for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
        if let Ok(wasmparser::Payload::CodeSectionEntry(body)) = payload {
            let op = body.get_operators_reader().ok()?.read().ok()?;
            return match op {
                Operator::I32Const { value } => Some(u64::from(value.cast_unsigned())),
                Operator::I64Const { value } => Some(value.cast_unsigned()),
                Operator::F32Const { value } => Some(u64::from(value.bits())),
                Operator::F64Const { value } => Some(value.bits()),
                _ => None,
            };
        }
    }
    None
}

/// `(TY.const X)` as an argument.
fn parse_arg(sexp: &Sexp) -> Option<u64> {
    match sexp {
        Sexp::List(items, _) => match items.as_slice() {
            [Sexp::Atom(op), Sexp::Atom(text)] => const_bits(op.strip_suffix(".const")?, text),
            _ => None,
        },
        _ => None,
    }
}

/// `(TY.const X)` as an expected result.
fn parse_expected(sexp: &Sexp) -> Option<Expected> {
    if let Sexp::List(items, _) = sexp {
        if let [Sexp::Atom(_), Sexp::Atom(text)] = items.as_slice() {
            match text.as_str() {
                "nan:canonical" => return Some(Expected::CanonicalNan),
                "nan:arithmetic" => return Some(Expected::ArithmeticNan),
                _ => {}
            }
        }
    }
    parse_arg(sexp).map(Expected::Bits)
}

/// `(invoke "NAME" ARG...)` without a module name.
fn parse_invoke(sexp: &Sexp) -> Option<(String, Vec<u64>)> {
    let Sexp::List(items, _) = sexp else {
        return None;
    };
    match items.as_slice() {
        [Sexp::Atom(head), Sexp::Str(name), args @ ..] if head == "invoke" => Some((
            name.clone(),
            args.iter().map(parse_arg).collect::<Option<_>>()?,
        )),
        _ => None,
    }
}

/// A top-level command as an assertion, if it is one the harness runs.
fn parse_assertion(head: &str, items: &[Sexp]) -> Option<Assertion> {
    let (func, args) = parse_invoke(if head == "invoke" {
        &items[0]
    } else {
        items.get(1)?
    })?;
    let expect = match (head, items.get(2..)) {
        ("invoke", _) => Expect::Anything,
        ("assert_return", Some([one])) => Expect::Value(parse_expected(one)?),
        ("assert_trap", Some([Sexp::Str(message)])) => {
            Expect::Trap(TrapCode::ALL.into_iter().find(|c| c.message() == message)?)
        }
        _ => return None,
    };
    Some(Assertion { func, args, expect })
}

/// Counts of a run.
#[derive(Default)]
pub(super) struct Report {
    /// Assertions that held (each counted once per mode).
    pub passed: usize,
    /// Assertions the harness could not run.
    pub skipped: usize,
    /// Descriptions of the assertions that failed.
    pub failures: Vec<String>,
}

/// Whether `outcome` satisfies `expect` for a result of type `ty`.
fn check(outcome: &Outcome, expect: &Expect, ty: ValType) -> bool {
    let narrow = matches!(ty, ValType::I32 | ValType::F32);
    let mask = if narrow { 0xffff_ffff } else { u64::MAX };
    let (sign, quiet) = if narrow {
        (0x8000_0000, 0x7fc0_0000)
    } else {
        (1 << 63, 0x7ff8 << 48)
    };
    match (outcome, expect) {
        (_, Expect::Anything) => true,
        (Outcome::Trap(got), Expect::Trap(want)) => got == want,
        (Outcome::Value(got), Expect::Value(Expected::Bits(want))) => got & mask == want & mask,
        (Outcome::Value(got), Expect::Value(Expected::CanonicalNan)) => got & mask & !sign == quiet,
        (Outcome::Value(got), Expect::Value(Expected::ArithmeticNan)) => {
            let exponent = if narrow { 0x7f80_0000 } else { 0x7ff0 << 48 };
            got & quiet == quiet && got & exponent == exponent
        }
        _ => false,
    }
}

/// Runs the assertions of one module on `backend`, in both modes.
fn run_module(
    backend: Backend,
    source: &str,
    wasm: &[u8],
    assertions: &[Assertion],
    report: &mut Report,
) {
    let funcs = jit::parse_functions(wasm);
    let find = |name: &str| funcs.iter().position(|f| f.name == name);
    for optimize in [false, true] {
        let ctx = Context::create();
        let module = ctx.create_module("numeric_test");
        backend.prepare(&module);
        let (mut runnable, mut calls) = (vec![], vec![]);
        for (k, assertion) in assertions.iter().enumerate() {
            let Some(index) = find(&assertion.func) else {
                report.skipped += 1;
                continue;
            };
            let func: &WasmFunc<'_> = &funcs[index];
            let name = format!("tern_case_{k}");
            let args = if optimize {
                Args::Const(&assertion.args)
            } else {
                Args::Runtime
            };
            match jit::emit(&ctx, &module, &name, func, args) {
                Ok(true) => {
                    runnable.push((k, func.results[0]));
                    let args = if optimize {
                        vec![]
                    } else {
                        assertion.args.clone()
                    };
                    calls.push((name, args));
                }
                Ok(false) => report.skipped += 1,
                Err(err) => report
                    .failures
                    .push(format!("{source}: {}: {err}", assertion.func)),
            }
        }
        let outcomes = backend.run(&module, optimize, &calls);
        for ((k, ty), outcome) in runnable.into_iter().zip(outcomes) {
            let assertion = &assertions[k];
            if check(&outcome, &assertion.expect, ty) {
                report.passed += 1;
            } else {
                report.failures.push(format!(
                    "{source} on {backend:?}: {}({}) [{}]: got {outcome:x?}, expected {:x?}",
                    assertion.func,
                    assertion
                        .args
                        .iter()
                        .map(|a| format!("{a:#x}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if optimize { "const, O2" } else { "runtime, O0" },
                    assertion.expect,
                ));
            }
        }
    }
}

/// Runs the wast script `src` (named `source` in failure messages) on `backend`.
pub(super) fn run_wast(backend: Backend, source: &str, src: &str, report: &mut Report) {
    let mut wasm: Option<Vec<u8>> = None;
    let mut assertions = vec![];
    for sexp in parse(src) {
        let Sexp::List(items, range) = &sexp else {
            continue;
        };
        let Some(Sexp::Atom(head)) = items.first() else {
            continue;
        };
        match head.as_str() {
            "module" => {
                if let Some(bytes) = wasm.take() {
                    run_module(backend, source, &bytes, &assertions, report);
                }
                assertions.clear();
                wasm = wat::parse_str(&src[range.clone()]).ok();
            }
            "assert_return" | "assert_trap" | "invoke" => match parse_assertion(head, items) {
                Some(assertion) if wasm.is_some() => assertions.push(assertion),
                _ => report.skipped += 1,
            },
            _ => {}
        }
    }
    if let Some(bytes) = wasm {
        run_module(backend, source, &bytes, &assertions, report);
    }
}
