//! Wasm values as the host sees them, with the text forms of the harness
//! protocol (`i32:HEX`, ...) and of `--invoke` (decimal).

use tern_environ::{HeapType, ValType};

/// A Wasm value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Val {
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32`, as bits.
    F32(u32),
    /// `f64`, as bits.
    F64(u64),
    /// `v128`.
    V128(u128),
    /// A function reference: `*const VMFuncRef`, 0 = null.
    FuncRef(usize),
    /// An external reference handle, 0 = null (host reference N is N + 1).
    ExternRef(usize),
    /// An exception reference, 0 = null.
    ExnRef(usize),
}

impl Val {
    /// The raw 128-bit slot value.
    pub fn to_raw(self) -> u128 {
        match self {
            Val::I32(v) => v as u32 as u128,
            Val::I64(v) => v as u64 as u128,
            Val::F32(v) => v as u128,
            Val::F64(v) => v as u128,
            Val::V128(v) => v,
            Val::FuncRef(p) | Val::ExternRef(p) | Val::ExnRef(p) => p as u128,
        }
    }

    /// Reads a value of type `ty` from a raw slot value.
    pub fn from_raw(raw: u128, ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(raw as u32 as i32),
            ValType::I64 => Val::I64(raw as u64 as i64),
            ValType::F32 => Val::F32(raw as u32),
            ValType::F64 => Val::F64(raw as u64),
            ValType::V128 => Val::V128(raw),
            ValType::Ref(r) => match r.heap {
                HeapType::Extern | HeapType::NoExtern => Val::ExternRef(raw as u64 as usize),
                HeapType::Exn | HeapType::NoExn => Val::ExnRef(raw as u64 as usize),
                _ => Val::FuncRef(raw as u64 as usize),
            },
        }
    }

    /// Whether the value can be passed where `ty` is expected.
    pub fn matches(self, ty: ValType) -> bool {
        match (self, ty) {
            (Val::I32(_), ValType::I32)
            | (Val::I64(_), ValType::I64)
            | (Val::F32(_), ValType::F32)
            | (Val::F64(_), ValType::F64)
            | (Val::V128(_), ValType::V128) => true,
            (Val::FuncRef(p), ValType::Ref(r)) => r.is_func() && (p != 0 || r.nullable),
            (Val::ExternRef(p), ValType::Ref(r)) => {
                matches!(r.heap, HeapType::Extern | HeapType::NoExtern) && (p != 0 || r.nullable)
            }
            (Val::ExnRef(p), ValType::Ref(r)) => {
                matches!(r.heap, HeapType::Exn | HeapType::NoExn) && (p != 0 || r.nullable)
            }
            _ => false,
        }
    }

    /// Parses the harness form (`i32:ffffffff`, `funcref:null`, `externref:3`, ...).
    ///
    /// # Errors
    /// A message for malformed text.
    pub fn parse_script(text: &str) -> Result<Val, String> {
        let (kind, payload) = text
            .split_once(':')
            .ok_or_else(|| format!("malformed value `{text}`"))?;
        let hex = |bits: u32| -> Result<u128, String> {
            let v = u128::from_str_radix(payload, 16)
                .map_err(|_| format!("malformed value `{text}`"))?;
            if bits < 128 && v >> bits != 0 {
                return Err(format!("value out of range `{text}`"));
            }
            Ok(v)
        };
        Ok(match kind {
            "i32" => Val::I32(hex(32)? as u32 as i32),
            "i64" => Val::I64(hex(64)? as u64 as i64),
            "f32" => Val::F32(hex(32)? as u32),
            "f64" => Val::F64(hex(64)? as u64),
            "v128" => Val::V128(hex(128)?),
            "funcref" if payload == "null" => Val::FuncRef(0),
            "externref" if payload == "null" => Val::ExternRef(0),
            "externref" => {
                let n: usize = payload
                    .parse()
                    .map_err(|_| format!("malformed value `{text}`"))?;
                Val::ExternRef(n + 1)
            }
            "exnref" if payload == "null" => Val::ExnRef(0),
            _ => return Err(format!("unsupported value `{text}`")),
        })
    }

    /// The harness form of a result.
    pub fn format_script(self) -> String {
        match self {
            Val::I32(v) => format!("i32:{:x}", v as u32),
            Val::I64(v) => format!("i64:{:x}", v as u64),
            Val::F32(v) => format!("f32:{v:x}"),
            Val::F64(v) => format!("f64:{v:x}"),
            Val::V128(v) => format!("v128:{v:032x}"),
            Val::FuncRef(0) => "funcref:null".into(),
            Val::FuncRef(_) => "funcref:nonnull".into(),
            Val::ExternRef(0) => "externref:null".into(),
            Val::ExternRef(n) => format!("externref:{}", n - 1),
            Val::ExnRef(0) => "exnref:null".into(),
            Val::ExnRef(_) => "exnref:nonnull".into(),
        }
    }

    /// Parses a `--invoke` argument of type `ty` (decimal ints, `1.5`/`nan`/`inf` floats).
    ///
    /// # Errors
    /// A message for malformed text.
    pub fn parse_cli(text: &str, ty: ValType) -> Result<Val, String> {
        let bad = || format!("invalid argument `{text}` for type {ty:?}");
        Ok(match ty {
            ValType::I32 => {
                let v: i64 = text.parse().map_err(|_| bad())?;
                if v < i32::MIN as i64 || v > u32::MAX as i64 {
                    return Err(bad());
                }
                Val::I32(v as i32)
            }
            ValType::I64 => match text.parse::<i64>() {
                Ok(v) => Val::I64(v),
                Err(_) => Val::I64(text.parse::<u64>().map_err(|_| bad())? as i64),
            },
            ValType::F32 => Val::F32(text.parse::<f32>().map_err(|_| bad())?.to_bits()),
            ValType::F64 => Val::F64(text.parse::<f64>().map_err(|_| bad())?.to_bits()),
            ValType::V128 => Val::V128(text.parse::<u128>().map_err(|_| bad())?),
            ValType::Ref(r) if text == "null" && r.nullable => Val::from_raw(0, ty),
            ValType::Ref(_) => return Err(bad()),
        })
    }

    /// The `--invoke` form of a result, like `wasmtime run --invoke`.
    pub fn format_cli(self) -> String {
        match self {
            Val::I32(v) => v.to_string(),
            Val::I64(v) => v.to_string(),
            Val::F32(v) => f32::from_bits(v).to_string(),
            Val::F64(v) => f64::from_bits(v).to_string(),
            Val::V128(v) => format!("{v:#034x}"),
            Val::FuncRef(0) | Val::ExternRef(0) | Val::ExnRef(0) => "null".into(),
            Val::FuncRef(_) => "<funcref>".into(),
            Val::ExternRef(n) => format!("<externref {}>", n - 1),
            Val::ExnRef(_) => "<exnref>".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_round_trip() {
        for s in [
            "i32:ffffffff",
            "i64:0",
            "f32:7fc00000",
            "f64:3ff0000000000000",
            "externref:3",
            "funcref:null",
        ] {
            assert_eq!(Val::parse_script(s).unwrap().format_script(), s);
        }
        assert_eq!(
            Val::parse_script("v128:000000000000000000000000000000ff").unwrap(),
            Val::V128(255)
        );
        assert!(Val::parse_script("i32:100000000").is_err());
        assert!(Val::parse_script("i32").is_err());
    }

    #[test]
    fn cli_forms() {
        assert_eq!(Val::parse_cli("-1", ValType::I32), Ok(Val::I32(-1)));
        assert_eq!(Val::parse_cli("4294967295", ValType::I32), Ok(Val::I32(-1)));
        assert!(Val::parse_cli("4294967296", ValType::I32).is_err());
        assert_eq!(
            Val::parse_cli("1.5", ValType::F64).unwrap().format_cli(),
            "1.5"
        );
        assert_eq!(
            Val::parse_cli("inf", ValType::F32).unwrap().format_cli(),
            "inf"
        );
        assert_eq!(
            Val::parse_cli("nan", ValType::F32).unwrap().format_cli(),
            "NaN"
        );
        assert_eq!(Val::I64(-5).format_cli(), "-5");
    }
}
