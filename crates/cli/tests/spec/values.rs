//! Values of harness scripts: the tokens of `docs/contracts.md` ("Harness
//! scripts"), conversion from the `wast` crate's arguments and expected
//! results, and matching of results against expectations (NaN patterns
//! included, per lane for `v128`).
//!
//! Pure functions only: nothing here compiles or runs anything.

use std::fmt;
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::token::{F32, F64};
use wast::{WastArg, WastRet};

/// A value as it appears in a script line (argument or result).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// `i32:HEX`.
    I32(u32),
    /// `i64:HEX`.
    I64(u64),
    /// `f32:HEX` (raw bits).
    F32(u32),
    /// `f64:HEX` (raw bits).
    F64(u64),
    /// `v128:HEX`, the little-endian 128-bit integer.
    V128(u128),
    /// `funcref:null`.
    FuncNull,
    /// `funcref:nonnull` (results only).
    FuncNonNull,
    /// `externref:null`.
    ExternNull,
    /// `externref:N`, host reference N.
    Extern(u32),
    /// `exnref:null`.
    ExnNull,
    /// `exnref:nonnull` (results only).
    ExnNonNull,
}

impl fmt::Display for Value {
    /// The script token of the value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::I32(v) => write!(f, "i32:{v:x}"),
            Value::I64(v) => write!(f, "i64:{v:x}"),
            Value::F32(v) => write!(f, "f32:{v:x}"),
            Value::F64(v) => write!(f, "f64:{v:x}"),
            Value::V128(v) => write!(f, "v128:{v:032x}"),
            Value::FuncNull => f.write_str("funcref:null"),
            Value::FuncNonNull => f.write_str("funcref:nonnull"),
            Value::ExternNull => f.write_str("externref:null"),
            Value::Extern(n) => write!(f, "externref:{n}"),
            Value::ExnNull => f.write_str("exnref:null"),
            Value::ExnNonNull => f.write_str("exnref:nonnull"),
        }
    }
}

impl Value {
    /// Parses one result token of a script line.
    ///
    /// # Errors
    /// Returns a description when the token is not a value of the contract.
    pub fn parse(token: &str) -> Result<Value, String> {
        let (kind, payload) = token
            .split_once(':')
            .ok_or_else(|| format!("`{token}` is not a value (no `:`)"))?;
        let hex = |bits: u32| -> Result<u128, String> {
            if payload.is_empty() || payload.len() > (bits as usize).div_ceil(4) {
                return Err(format!("`{token}`: bad hex payload for {bits} bits"));
            }
            let v = u128::from_str_radix(payload, 16).map_err(|e| format!("`{token}`: {e}"))?;
            if bits < 128 && v >> bits != 0 {
                return Err(format!("`{token}`: value wider than {bits} bits"));
            }
            Ok(v)
        };
        Ok(match (kind, payload) {
            ("i32", _) => Value::I32(hex(32)? as u32),
            ("i64", _) => Value::I64(hex(64)? as u64),
            ("f32", _) => Value::F32(hex(32)? as u32),
            ("f64", _) => Value::F64(hex(64)? as u64),
            ("v128", _) => Value::V128(hex(128)?),
            ("funcref", "null") => Value::FuncNull,
            ("funcref", "nonnull") => Value::FuncNonNull,
            ("externref", "null") => Value::ExternNull,
            ("externref", n) => Value::Extern(
                n.parse()
                    .map_err(|_| format!("`{token}`: bad host reference"))?,
            ),
            ("exnref", "null") => Value::ExnNull,
            ("exnref", "nonnull") => Value::ExnNonNull,
            _ => return Err(format!("`{token}` is not a value of the harness contract")),
        })
    }

    /// The token plus a human-readable rendering where it helps (`f32:3f800000 (1)`).
    pub fn describe(&self) -> String {
        match self {
            Value::I32(v) => format!("{self} ({})", *v as i32),
            Value::I64(v) => format!("{self} ({})", *v as i64),
            Value::F32(v) => format!("{self} ({:?})", f32::from_bits(*v)),
            Value::F64(v) => format!("{self} ({:?})", f64::from_bits(*v)),
            Value::V128(v) => {
                let lanes: Vec<String> = (0..4)
                    .map(|i| format!("{:08x}", (*v >> (32 * i)) as u32))
                    .collect();
                format!("{self} (i32x4 lanes {})", lanes.join(" "))
            }
            _ => self.to_string(),
        }
    }
}

/// Parses the values after `ok` in a result line.
///
/// # Errors
/// Returns a description of the first token that is not a value.
pub fn parse_values(tokens: &str) -> Result<Vec<Value>, String> {
    tokens.split_whitespace().map(Value::parse).collect()
}

/// Converts an `invoke` argument to a script value.
///
/// # Errors
/// Returns why the argument cannot be expressed in a script (for example
/// `ref.host`, a GC proposal value).
pub fn arg_value(arg: &WastArg<'_>) -> Result<Value, String> {
    let WastArg::Core(arg) = arg else {
        return Err("component-model argument".to_string());
    };
    Ok(match arg {
        WastArgCore::I32(v) => Value::I32(*v as u32),
        WastArgCore::I64(v) => Value::I64(*v as u64),
        WastArgCore::F32(v) => Value::F32(v.bits),
        WastArgCore::F64(v) => Value::F64(v.bits),
        WastArgCore::V128(v) => Value::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(ty) => match null_family(Some(ty)) {
            Some(RefFamily::Func) => Value::FuncNull,
            Some(RefFamily::Extern) => Value::ExternNull,
            Some(RefFamily::Exn) => Value::ExnNull,
            None => return Err(format!("ref.null of heap type {ty:?}")),
        },
        WastArgCore::RefExtern(n) => Value::Extern(*n),
        WastArgCore::RefHost(n) => return Err(format!("ref.host {n} (GC proposal)")),
    })
}

/// The reference hierarchies the script protocol can express.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefFamily {
    /// funcref and its subtypes.
    Func,
    /// externref and its subtypes.
    Extern,
    /// exnref and its subtypes.
    Exn,
}

/// The hierarchy of a `ref.null` heap type; `None` for hierarchies the script
/// cannot express (GC types, continuations, concrete types).
fn null_family(ty: Option<&HeapType<'_>>) -> Option<RefFamily> {
    match ty {
        Some(HeapType::Abstract { ty, .. }) => match ty {
            AbstractHeapType::Func | AbstractHeapType::NoFunc => Some(RefFamily::Func),
            AbstractHeapType::Extern | AbstractHeapType::NoExtern => Some(RefFamily::Extern),
            AbstractHeapType::Exn | AbstractHeapType::NoExn => Some(RefFamily::Exn),
            _ => None,
        },
        _ => None,
    }
}

/// An expected floating-point result (also one lane of a `v128`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatPattern<T> {
    /// Exactly these bits.
    Bits(T),
    /// `nan:canonical`: a NaN with only the quiet bit set in the payload, either sign.
    Canonical,
    /// `nan:arithmetic`: a NaN with the quiet bit set, any payload and sign.
    Arithmetic,
}

/// Bit-level facts about an IEEE 754 binary format, enough to classify NaNs.
pub trait FloatBits: Copy + Eq + fmt::LowerHex {
    /// All exponent bits and the quiet bit (the canonical NaN without sign).
    const CANONICAL_NAN: Self;
    /// Everything but the sign bit.
    const ABS_MASK: Self;
    /// `self & mask`.
    fn and(self, mask: Self) -> Self;
}

impl FloatBits for u32 {
    const CANONICAL_NAN: u32 = 0x7fc0_0000;
    const ABS_MASK: u32 = 0x7fff_ffff;
    fn and(self, mask: u32) -> u32 {
        self & mask
    }
}

impl FloatBits for u64 {
    const CANONICAL_NAN: u64 = 0x7ff8_0000_0000_0000;
    const ABS_MASK: u64 = 0x7fff_ffff_ffff_ffff;
    fn and(self, mask: u64) -> u64 {
        self & mask
    }
}

impl<T: FloatBits> FloatPattern<T> {
    /// Whether `bits` satisfies the pattern.
    pub fn matches(&self, bits: T) -> bool {
        match self {
            FloatPattern::Bits(expected) => bits == *expected,
            FloatPattern::Canonical => bits.and(T::ABS_MASK) == T::CANONICAL_NAN,
            FloatPattern::Arithmetic => bits.and(T::CANONICAL_NAN) == T::CANONICAL_NAN,
        }
    }
}

impl<T: FloatBits> fmt::Display for FloatPattern<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FloatPattern::Bits(bits) => write!(f, "{bits:x}"),
            FloatPattern::Canonical => f.write_str("nan:canonical"),
            FloatPattern::Arithmetic => f.write_str("nan:arithmetic"),
        }
    }
}

/// Expected lanes of a `v128` result, in lane order (lane 0 first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LanePatterns {
    /// `i8x16`.
    I8([u8; 16]),
    /// `i16x8`.
    I16([u16; 8]),
    /// `i32x4`.
    I32([u32; 4]),
    /// `i64x2`.
    I64([u64; 2]),
    /// `f32x4`, each lane possibly a NaN pattern.
    F32([FloatPattern<u32>; 4]),
    /// `f64x2`, each lane possibly a NaN pattern.
    F64([FloatPattern<u64>; 2]),
}

/// Lane `i` of width `bits` of a little-endian `v128`.
fn lane(v: u128, bits: u32, i: usize) -> u128 {
    let mask = if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    (v >> (bits as usize * i)) & mask
}

impl LanePatterns {
    /// Whether every lane of `v` matches.
    pub fn matches(&self, v: u128) -> bool {
        match self {
            LanePatterns::I8(l) => l
                .iter()
                .enumerate()
                .all(|(i, e)| lane(v, 8, i) == u128::from(*e)),
            LanePatterns::I16(l) => l
                .iter()
                .enumerate()
                .all(|(i, e)| lane(v, 16, i) == u128::from(*e)),
            LanePatterns::I32(l) => l
                .iter()
                .enumerate()
                .all(|(i, e)| lane(v, 32, i) == u128::from(*e)),
            LanePatterns::I64(l) => l
                .iter()
                .enumerate()
                .all(|(i, e)| lane(v, 64, i) == u128::from(*e)),
            LanePatterns::F32(l) => l
                .iter()
                .enumerate()
                .all(|(i, p)| p.matches(lane(v, 32, i) as u32)),
            LanePatterns::F64(l) => l
                .iter()
                .enumerate()
                .all(|(i, p)| p.matches(lane(v, 64, i) as u64)),
        }
    }

    /// The same value rendered in this shape (for failure messages).
    pub fn render_actual(&self, v: u128) -> String {
        let (shape, bits, n) = self.shape();
        let lanes: Vec<String> = (0..n).map(|i| format!("{:x}", lane(v, bits, i))).collect();
        format!("{shape} {}", lanes.join(" "))
    }

    /// Shape name, lane width, lane count.
    fn shape(&self) -> (&'static str, u32, usize) {
        match self {
            LanePatterns::I8(_) => ("i8x16", 8, 16),
            LanePatterns::I16(_) => ("i16x8", 16, 8),
            LanePatterns::I32(_) => ("i32x4", 32, 4),
            LanePatterns::I64(_) => ("i64x2", 64, 2),
            LanePatterns::F32(_) => ("f32x4", 32, 4),
            LanePatterns::F64(_) => ("f64x2", 64, 2),
        }
    }
}

impl fmt::Display for LanePatterns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lanes: Vec<String> = match self {
            LanePatterns::I8(l) => l.iter().map(|x| format!("{x:x}")).collect(),
            LanePatterns::I16(l) => l.iter().map(|x| format!("{x:x}")).collect(),
            LanePatterns::I32(l) => l.iter().map(|x| format!("{x:x}")).collect(),
            LanePatterns::I64(l) => l.iter().map(|x| format!("{x:x}")).collect(),
            LanePatterns::F32(l) => l.iter().map(|x| x.to_string()).collect(),
            LanePatterns::F64(l) => l.iter().map(|x| x.to_string()).collect(),
        };
        write!(f, "{} {}", self.shape().0, lanes.join(" "))
    }
}

/// An expected result of `assert_return`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// Exactly this value (integers, and any reference token).
    Exact(Value),
    /// An `f32`.
    F32(FloatPattern<u32>),
    /// An `f64`.
    F64(FloatPattern<u64>),
    /// A `v128`, lane by lane.
    V128(LanePatterns),
    /// A null reference of the given hierarchy; `None`: any null.
    Null(Option<RefFamily>),
    /// Any non-null externref (`ref.extern` without a number).
    AnyExtern,
    /// Any of the alternatives (`either`).
    Either(Vec<Pattern>),
}

impl Pattern {
    /// Whether `actual` satisfies the pattern.
    pub fn matches(&self, actual: &Value) -> bool {
        match (self, actual) {
            (Pattern::Exact(e), a) => e == a,
            (Pattern::F32(p), Value::F32(bits)) => p.matches(*bits),
            (Pattern::F64(p), Value::F64(bits)) => p.matches(*bits),
            (Pattern::V128(p), Value::V128(v)) => p.matches(*v),
            (Pattern::Null(family), a) => matches!(
                (family, a),
                (Some(RefFamily::Func) | None, Value::FuncNull)
                    | (Some(RefFamily::Extern) | None, Value::ExternNull)
                    | (Some(RefFamily::Exn) | None, Value::ExnNull)
            ),
            (Pattern::AnyExtern, Value::Extern(_)) => true,
            (Pattern::Either(alts), a) => alts.iter().any(|p| p.matches(a)),
            _ => false,
        }
    }

    /// `actual` rendered to be compared with this pattern by a reader.
    pub fn render_actual(&self, actual: &Value) -> String {
        match (self, actual) {
            (Pattern::V128(p), Value::V128(v)) => format!("{actual} ({})", p.render_actual(*v)),
            _ => actual.describe(),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Exact(v) => f.write_str(&v.describe()),
            Pattern::F32(FloatPattern::Bits(b)) => f.write_str(&Value::F32(*b).describe()),
            Pattern::F64(FloatPattern::Bits(b)) => f.write_str(&Value::F64(*b).describe()),
            Pattern::F32(p) => write!(f, "f32:{p}"),
            Pattern::F64(p) => write!(f, "f64:{p}"),
            Pattern::V128(p) => write!(f, "v128:({p})"),
            Pattern::Null(Some(RefFamily::Func)) => f.write_str("funcref:null"),
            Pattern::Null(Some(RefFamily::Extern)) => f.write_str("externref:null"),
            Pattern::Null(Some(RefFamily::Exn)) => f.write_str("exnref:null"),
            Pattern::Null(None) => f.write_str("(any null reference)"),
            Pattern::AnyExtern => f.write_str("externref:(any)"),
            Pattern::Either(alts) => {
                let alts: Vec<String> = alts.iter().map(|p| p.to_string()).collect();
                write!(f, "either({})", alts.join(" | "))
            }
        }
    }
}

fn f32_pattern(p: &NanPattern<F32>) -> FloatPattern<u32> {
    match p {
        NanPattern::CanonicalNan => FloatPattern::Canonical,
        NanPattern::ArithmeticNan => FloatPattern::Arithmetic,
        NanPattern::Value(v) => FloatPattern::Bits(v.bits),
    }
}

fn f64_pattern(p: &NanPattern<F64>) -> FloatPattern<u64> {
    match p {
        NanPattern::CanonicalNan => FloatPattern::Canonical,
        NanPattern::ArithmeticNan => FloatPattern::Arithmetic,
        NanPattern::Value(v) => FloatPattern::Bits(v.bits),
    }
}

/// Converts an expected result of `assert_return` to a [`Pattern`].
///
/// # Errors
/// Returns why the expectation cannot be checked through a script (GC
/// references, component-model values).
pub fn ret_pattern(ret: &WastRet<'_>) -> Result<Pattern, String> {
    let WastRet::Core(ret) = ret else {
        return Err("component-model result".to_string());
    };
    core_ret_pattern(ret)
}

fn core_ret_pattern(ret: &WastRetCore<'_>) -> Result<Pattern, String> {
    Ok(match ret {
        WastRetCore::I32(v) => Pattern::Exact(Value::I32(*v as u32)),
        WastRetCore::I64(v) => Pattern::Exact(Value::I64(*v as u64)),
        WastRetCore::F32(p) => Pattern::F32(f32_pattern(p)),
        WastRetCore::F64(p) => Pattern::F64(f64_pattern(p)),
        WastRetCore::V128(p) => Pattern::V128(match p {
            V128Pattern::I8x16(l) => LanePatterns::I8(l.map(|x| x as u8)),
            V128Pattern::I16x8(l) => LanePatterns::I16(l.map(|x| x as u16)),
            V128Pattern::I32x4(l) => LanePatterns::I32(l.map(|x| x as u32)),
            V128Pattern::I64x2(l) => LanePatterns::I64(l.map(|x| x as u64)),
            V128Pattern::F32x4(l) => LanePatterns::F32([0, 1, 2, 3].map(|i| f32_pattern(&l[i]))),
            V128Pattern::F64x2(l) => LanePatterns::F64([0, 1].map(|i| f64_pattern(&l[i]))),
        }),
        WastRetCore::RefNull(None) => Pattern::Null(None),
        WastRetCore::RefNull(Some(ty)) => match null_family(Some(ty)) {
            Some(family) => Pattern::Null(Some(family)),
            None => return Err(format!("ref.null of heap type {ty:?}")),
        },
        WastRetCore::RefExtern(Some(n)) => Pattern::Exact(Value::Extern(*n)),
        WastRetCore::RefExtern(None) => Pattern::AnyExtern,
        // The script protocol reports only whether a funcref is null
        // (`funcref:FUNC` is not used), so `ref.func N` checks non-null.
        WastRetCore::RefFunc(_) => Pattern::Exact(Value::FuncNonNull),
        WastRetCore::Either(alts) => Pattern::Either(
            alts.iter()
                .map(core_ret_pattern)
                .collect::<Result<_, _>>()?,
        ),
        other => return Err(format!("expected result {other:?} (GC proposal)")),
    })
}
