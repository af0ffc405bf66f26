//! Unit tests of `values.rs`.

use crate::runner::values::*;
use wast::{WastArg, WastRet};

fn parse_ret(text: &str) -> Pattern {
    let buf = wast::parser::ParseBuffer::new(text).unwrap();
    let ret: WastRet<'_> = wast::parser::parse(&buf).unwrap();
    ret_pattern(&ret).unwrap()
}

fn parse_arg(text: &str) -> Value {
    let buf = wast::parser::ParseBuffer::new(text).unwrap();
    let arg: WastArg<'_> = wast::parser::parse(&buf).unwrap();
    arg_value(&arg).unwrap()
}

#[test]
fn formats_tokens() {
    assert_eq!(Value::I32(0xffff_ffff).to_string(), "i32:ffffffff");
    assert_eq!(Value::I32(0).to_string(), "i32:0");
    assert_eq!(Value::I64(1).to_string(), "i64:1");
    assert_eq!(Value::F32(0x3f80_0000).to_string(), "f32:3f800000");
    assert_eq!(
        Value::V128(1).to_string(),
        "v128:00000000000000000000000000000001"
    );
    assert_eq!(Value::FuncNull.to_string(), "funcref:null");
    assert_eq!(Value::Extern(3).to_string(), "externref:3");
}

#[test]
fn parses_tokens_round_trip() {
    for v in [
        Value::I32(7),
        Value::I64(u64::MAX),
        Value::F32(0x7fc0_0000),
        Value::F64(0x8000_0000_0000_0000),
        Value::V128(u128::MAX),
        Value::FuncNull,
        Value::FuncNonNull,
        Value::ExternNull,
        Value::Extern(0),
        Value::ExnNull,
        Value::ExnNonNull,
    ] {
        assert_eq!(Value::parse(&v.to_string()), Ok(v));
    }
    // Zero-padded and unpadded both parse.
    assert_eq!(Value::parse("i32:0000002a"), Ok(Value::I32(42)));
    assert_eq!(Value::parse("i32:2a"), Ok(Value::I32(42)));
    assert!(Value::parse("i32:100000000").is_err());
    assert!(Value::parse("i32:").is_err());
    assert!(Value::parse("i32:xyz").is_err());
    assert!(Value::parse("f16:0").is_err());
    assert!(Value::parse("42").is_err());
    assert_eq!(
        parse_values("i32:1 f64:0"),
        Ok(vec![Value::I32(1), Value::F64(0)])
    );
    assert_eq!(parse_values(""), Ok(vec![]));
}

#[test]
fn converts_arguments() {
    assert_eq!(parse_arg("i32.const -1"), Value::I32(0xffff_ffff));
    assert_eq!(parse_arg("i64.const -2"), Value::I64(0xffff_ffff_ffff_fffe));
    assert_eq!(parse_arg("f32.const -0x1p+0"), Value::F32(0xbf80_0000));
    assert_eq!(
        parse_arg("f64.const nan:0x1"),
        Value::F64(0x7ff0_0000_0000_0001)
    );
    assert_eq!(parse_arg("ref.null func"), Value::FuncNull);
    assert_eq!(parse_arg("ref.null extern"), Value::ExternNull);
    assert_eq!(parse_arg("ref.extern 5"), Value::Extern(5));
    // Lane 0 is the least significant.
    assert_eq!(
        parse_arg("v128.const i32x4 1 2 3 4"),
        Value::V128(0x4_0000_0003_0000_0002_0000_0001)
    );
    assert_eq!(
        parse_arg("v128.const i8x16 -1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0x80"),
        Value::V128((0x80 << 120) | 0xff)
    );
}

#[test]
fn nan_patterns() {
    let canon32 = FloatPattern::<u32>::Canonical;
    let arith32 = FloatPattern::<u32>::Arithmetic;
    assert!(canon32.matches(0x7fc0_0000));
    assert!(canon32.matches(0xffc0_0000));
    assert!(!canon32.matches(0x7fc0_0001));
    assert!(!canon32.matches(0x7f80_0001)); // signalling
    assert!(!canon32.matches(0x7f80_0000)); // infinity
    assert!(arith32.matches(0x7fc0_0000));
    assert!(arith32.matches(0xffc0_1234));
    assert!(!arith32.matches(0x7fa0_0000));
    assert!(!arith32.matches(0x3f80_0000));
    let canon64 = FloatPattern::<u64>::Canonical;
    let arith64 = FloatPattern::<u64>::Arithmetic;
    assert!(canon64.matches(0x7ff8_0000_0000_0000));
    assert!(canon64.matches(0xfff8_0000_0000_0000));
    assert!(!canon64.matches(0x7ff8_0000_0000_0001));
    assert!(arith64.matches(0x7ff8_0000_0000_0001));
    assert!(!arith64.matches(0x7ff4_0000_0000_0000));
    assert!(!arith64.matches(0x7ff0_0000_0000_0000));
    // A specific NaN value must match bit for bit.
    assert!(FloatPattern::Bits(0x7fa0_0000u32).matches(0x7fa0_0000));
    assert!(!FloatPattern::Bits(0x7fa0_0000u32).matches(0x7fc0_0000));
}

#[test]
fn scalar_patterns() {
    assert!(parse_ret("f32.const nan:canonical").matches(&Value::F32(0x7fc0_0000)));
    assert!(!parse_ret("f32.const nan:canonical").matches(&Value::F64(0x7ff8_0000_0000_0000)));
    assert!(parse_ret("f64.const nan:arithmetic").matches(&Value::F64(0xfff8_0000_0000_0001)));
    assert!(parse_ret("f32.const -0").matches(&Value::F32(0x8000_0000)));
    assert!(!parse_ret("f32.const -0").matches(&Value::F32(0)));
    assert!(parse_ret("i32.const -1").matches(&Value::I32(u32::MAX)));
    assert!(!parse_ret("i32.const -1").matches(&Value::I64(u64::MAX)));
}

#[test]
fn v128_patterns() {
    let v = Value::V128(0x4_0000_0003_0000_0002_0000_0001);
    assert!(parse_ret("v128.const i32x4 1 2 3 4").matches(&v));
    assert!(!parse_ret("v128.const i32x4 4 3 2 1").matches(&v));
    assert!(parse_ret("v128.const i64x2 0x200000001 0x400000003").matches(&v));
    assert!(parse_ret("v128.const i16x8 1 0 2 0 3 0 4 0").matches(&v));
    assert!(parse_ret("v128.const i8x16 1 0 0 0 2 0 0 0 3 0 0 0 4 0 0 0").matches(&v));
    let nans = Value::V128(0x3f80_0000_7fc0_0000_ffc0_0000_7fc0_0001);
    assert!(
        parse_ret("v128.const f32x4 nan:arithmetic nan:canonical nan:canonical 1.0").matches(&nans)
    );
    assert!(
        !parse_ret("v128.const f32x4 nan:canonical nan:canonical nan:canonical 1.0").matches(&nans)
    );
    let f64s = Value::V128((0x7ff8_0000_0000_0000u128 << 64) | 0x3ff0_0000_0000_0000);
    assert!(parse_ret("v128.const f64x2 1 nan:canonical").matches(&f64s));
    assert!(!parse_ret("v128.const f64x2 nan:canonical 1").matches(&f64s));
    let rendered = parse_ret("v128.const i16x8 1 0 2 0 3 0 4 0").render_actual(&v);
    assert!(rendered.contains("i16x8 1 0 2 0 3 0 4 0"), "{rendered}");
}

#[test]
fn reference_patterns() {
    assert!(parse_ret("ref.null func").matches(&Value::FuncNull));
    assert!(!parse_ret("ref.null func").matches(&Value::ExternNull));
    assert!(parse_ret("ref.null extern").matches(&Value::ExternNull));
    assert!(parse_ret("ref.null").matches(&Value::ExternNull));
    assert!(parse_ret("ref.func").matches(&Value::FuncNonNull));
    assert!(parse_ret("ref.func 3").matches(&Value::FuncNonNull));
    assert!(!parse_ret("ref.func").matches(&Value::FuncNull));
    assert!(parse_ret("ref.extern 1").matches(&Value::Extern(1)));
    assert!(!parse_ret("ref.extern 1").matches(&Value::Extern(2)));
    assert!(parse_ret("ref.extern").matches(&Value::Extern(2)));
    assert!(!parse_ret("ref.extern").matches(&Value::ExternNull));
    let either = parse_ret("either (i32.const 1) (i32.const 2)");
    assert!(either.matches(&Value::I32(2)));
    assert!(!either.matches(&Value::I32(3)));
}
