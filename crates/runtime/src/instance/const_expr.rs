//! Evaluation of constant expressions (including extended constant
//! expressions) at instantiation.

use tern_environ::{ConstExpr, ConstOp};

/// What a constant expression may refer to.
pub trait ConstContext {
    /// Raw value of global `index` (imported, or defined earlier).
    fn global(&self, index: u32) -> Option<u128>;
    /// Address of function `index`'s `VMFuncRef`.
    fn func_ref(&self, index: u32) -> Option<usize>;
}

/// Evaluates `expr` to a raw value (references as addresses or handles).
///
/// # Errors
/// A message if the expression is malformed (stack underflow, bad index).
pub fn eval(expr: &ConstExpr, cx: &dyn ConstContext) -> Result<u128, String> {
    let mut stack: Vec<u128> = Vec::with_capacity(4);
    fn pop2(stack: &mut Vec<u128>) -> Result<(u128, u128), String> {
        let b = stack.pop().ok_or("constant expression stack underflow")?;
        let a = stack.pop().ok_or("constant expression stack underflow")?;
        Ok((a, b))
    }
    for op in &expr.0 {
        let value = match *op {
            ConstOp::I32Const(v) => v as u32 as u128,
            ConstOp::I64Const(v) => v as u64 as u128,
            ConstOp::F32Const(bits) => bits as u128,
            ConstOp::F64Const(bits) => bits as u128,
            ConstOp::V128Const(v) => v,
            ConstOp::GlobalGet(i) => cx.global(i).ok_or_else(|| format!("unknown global {i}"))?,
            ConstOp::RefNull(_) => 0,
            ConstOp::RefFunc(f) => {
                cx.func_ref(f)
                    .ok_or_else(|| format!("unknown function {f}"))? as u128
            }
            ConstOp::I32Add | ConstOp::I32Sub | ConstOp::I32Mul => {
                let (a, b) = pop2(&mut stack)?;
                let (a, b) = (a as u32, b as u32);
                (match op {
                    ConstOp::I32Add => a.wrapping_add(b),
                    ConstOp::I32Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                }) as u128
            }
            ConstOp::I64Add | ConstOp::I64Sub | ConstOp::I64Mul => {
                let (a, b) = pop2(&mut stack)?;
                let (a, b) = (a as u64, b as u64);
                (match op {
                    ConstOp::I64Add => a.wrapping_add(b),
                    ConstOp::I64Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                }) as u128
            }
        };
        stack.push(value);
    }
    match stack.as_slice() {
        [v] => Ok(*v),
        _ => Err("constant expression must leave exactly one value".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Cx;
    impl ConstContext for Cx {
        fn global(&self, index: u32) -> Option<u128> {
            (index == 0).then_some(42)
        }
        fn func_ref(&self, index: u32) -> Option<usize> {
            (index < 3).then_some(0x1000 + index as usize * 32)
        }
    }

    #[test]
    fn extended_constants_wrap() {
        let e = ConstExpr(vec![
            ConstOp::I32Const(i32::MAX),
            ConstOp::I32Const(1),
            ConstOp::I32Add,
        ]);
        assert_eq!(eval(&e, &Cx), Ok(0x8000_0000));
        let e = ConstExpr(vec![
            ConstOp::GlobalGet(0),
            ConstOp::I32Const(2),
            ConstOp::I32Mul,
            ConstOp::I32Const(50),
            ConstOp::I32Sub,
        ]);
        assert_eq!(eval(&e, &Cx), Ok(34));
        let e = ConstExpr(vec![
            ConstOp::I64Const(0),
            ConstOp::I64Const(1),
            ConstOp::I64Sub,
        ]);
        assert_eq!(eval(&e, &Cx), Ok(u64::MAX as u128));
        let e = ConstExpr(vec![ConstOp::I32Const(-1)]);
        assert_eq!(eval(&e, &Cx), Ok(0xffff_ffff));
    }

    #[test]
    fn references_and_errors() {
        assert_eq!(eval(&ConstExpr(vec![ConstOp::RefFunc(2)]), &Cx), Ok(0x1040));
        assert_eq!(
            eval(
                &ConstExpr(vec![ConstOp::RefNull(tern_environ::HeapType::Func)]),
                &Cx
            ),
            Ok(0)
        );
        assert!(eval(&ConstExpr(vec![ConstOp::GlobalGet(1)]), &Cx).is_err());
        assert!(eval(&ConstExpr(vec![ConstOp::I32Add]), &Cx).is_err());
        assert!(eval(&ConstExpr(vec![]), &Cx).is_err());
    }
}
