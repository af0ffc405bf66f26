//! Connects a `--cr` module's descriptor to its stackmap records and makes
//! the records loadable.
//!
//! The capture statepoints (`translate/checkpoint/frames.rs`) leave one
//! record per capture in `.llvm_stackmaps`, which LLVM opens with the local
//! label `__LLVM_StackMaps` (`tern_environ::migration::STACKMAP_SYMBOL`).
//! * [`link_stackmaps`], after optimization: if a statepoint is left, the
//!   module's stackmaps word (`codegen/descriptor.rs`) gets the address of
//!   an external declaration of that name, which the assembler binds to the
//!   label in the same object. Each module of a link thus reaches its own
//!   records, and no section bounds are needed (a record set's header gives
//!   its length).
//! * [`make_stackmaps_writable`], after emission: the records hold absolute
//!   function addresses (`R_X86_64_64`, `R_AARCH64_ABS64`), and LLVM marks
//!   the section read-only, so a position-independent executable or shared
//!   object would need text relocations, which lld refuses. Marked writable,
//!   the loader relocates it like any pointer table.
//!
//! The records stay in LLVM's documented format (version 3), which the
//! runtime reads (`checkpoint::stackmaps`): no table of our own to keep in
//! step with it. (The `object` crate's ELF builder, which could rename the
//! section, rejects LLVM's `SHT_GROUP` sections; flipping one flag in the
//! section header needs no rewrite.)

use super::descriptor::stackmaps_global;
use crate::error::{CompileError, Result};
use crate::translate::PRESERVE_ALL_CALL_CONV;
use inkwell::module::{Linkage, Module};
use inkwell::values::BasicValue;
use object::read::elf::{ElfFile64, FileHeader};
use object::{Object, ObjectSection};
use tern_environ::migration::STACKMAP_SYMBOL;

/// The LLVM statepoint intrinsic the captures call (pointer overload).
const STATEPOINT: &str = "llvm.experimental.gc.statepoint.p0";
const LLVM_SECTION: &str = ".llvm_stackmaps";
/// `sh_flags` within an `Elf64_Shdr`.
const SH_FLAGS_OFFSET: usize = 8;
const SHF_WRITE: u64 = 1;

/// Points the stackmaps word of the module with symbols `prefix` at its
/// records, if any capture statepoint survived optimization.
pub fn link_stackmaps(module: &Module<'_>, prefix: &str) {
    let used = module.get_function(STATEPOINT).is_some_and(|f| {
        f.as_global_value()
            .as_pointer_value()
            .get_first_use()
            .is_some()
    });
    let Some(word) = module.get_global(&stackmaps_global(prefix)) else {
        return;
    };
    if !used {
        return;
    }
    let context = module.get_context();
    let records = module
        .get_global(STACKMAP_SYMBOL)
        .unwrap_or_else(|| module.add_global(context.i8_type(), None, STACKMAP_SYMBOL));
    records.set_linkage(Linkage::External);
    word.set_initializer(&records.as_pointer_value());
}

/// Gives every statepoint that LLVM's inliner turned into an `invoke` the
/// C calling convention instead of `preserve_allcc`.
///
/// A capture or poll statepoint inlined into a checkpointable call's
/// `invoke` unwinds to the caller's landing pad, which saves the caller's
/// frame from the values it finds there. Under `preserve_allcc` LLVM may keep
/// those values in caller-saved registers across the call, but the unwinder
/// (libgcc) restores only the standard convention's callee-saved registers
/// on the way to the pad, so the pad would read garbage. Under the C
/// convention LLVM keeps them in callee-saved registers or the frame. The
/// targets preserve every register either way (their stubs save and reload
/// all), so only the caller's register assignment changes, and only at
/// such sites; a statepoint that stays a `call` keeps `preserve_allcc`.
///
/// Under the C convention, LLVM 22 cannot allocate a constant vector `"deopt"`
/// value (a `v128` local still zero, say, once the inliner propagated it):
/// the register allocator rematerializes it into a vector register at the
/// call, where the call clobbers every one, and stops with "ran out of
/// registers during register allocation" (x86-64 and AArch64; reproduced with
/// `llc-22 -use-registers-for-deopt-values` on a one-`invoke` function).
/// Such a value is therefore loaded (`volatile`, so it cannot be
/// rematerialized) from a private constant right before the invoke, which
/// is on a slow path, and spilled like any other value.
pub fn demote_invoked_statepoints(module: &Module<'_>) {
    use inkwell::llvm_sys::core::{
        LLVMGetCalledValue, LLVMGetFirstUse, LLVMGetInstructionCallConv, LLVMGetNextUse,
        LLVMGetUser, LLVMIsAInvokeInst, LLVMSetInstructionCallConv,
    };
    use inkwell::values::AsValueRef;
    let Some(statepoint) = module.get_function(STATEPOINT) else {
        return;
    };
    let callee = statepoint.as_value_ref();
    // The statepoint's uses are its calls and invokes (raw: inkwell cannot
    // wrap a `token` value). Collected first: the rewrite adds uses.
    let mut demoted = Vec::new();
    // SAFETY: `callee` and every user reached from it are live values of
    // `module`; changing a call's convention invalidates no use.
    unsafe {
        let mut usage = LLVMGetFirstUse(callee);
        while !usage.is_null() {
            let user = LLVMGetUser(usage);
            if !LLVMIsAInvokeInst(user).is_null()
                && LLVMGetCalledValue(user) == callee
                && LLVMGetInstructionCallConv(user) == PRESERVE_ALL_CALL_CONV
            {
                LLVMSetInstructionCallConv(user, C_CALL_CONV);
                demoted.push(user);
            }
            usage = LLVMGetNextUse(usage);
        }
    }
    for invoke in demoted {
        // SAFETY: `invoke` is a live instruction of `module` (see above).
        unsafe { load_constant_vectors(module, invoke) };
    }
}

/// Replaces every constant vector operand of the statepoint `invoke` (they
/// can only be `"deopt"` values: a statepoint's own arguments are scalars)
/// by a `volatile` load of it from a private constant, placed before it.
///
/// # Safety
/// `invoke` must be a live instruction of `module`.
unsafe fn load_constant_vectors(
    module: &Module<'_>,
    invoke: inkwell::llvm_sys::prelude::LLVMValueRef,
) {
    use inkwell::llvm_sys::core::{
        LLVMAddGlobal, LLVMBuildLoad2, LLVMCreateBuilderInContext, LLVMDisposeBuilder,
        LLVMGetModuleContext, LLVMGetNumOperands, LLVMGetOperand, LLVMGetTypeKind, LLVMIsAConstant,
        LLVMIsPoison, LLVMIsUndef, LLVMPositionBuilderBefore, LLVMSetGlobalConstant,
        LLVMSetInitializer, LLVMSetLinkage, LLVMSetOperand, LLVMSetUnnamedAddress, LLVMSetVolatile,
        LLVMTypeOf,
    };
    use inkwell::llvm_sys::{LLVMLinkage, LLVMTypeKind, LLVMUnnamedAddr};
    // SAFETY: `invoke` is live (the caller's promise); every value made or
    // read here belongs to `module`'s context, and the builder is disposed.
    unsafe {
        let raw_module = module.as_mut_ptr();
        let builder = LLVMCreateBuilderInContext(LLVMGetModuleContext(raw_module));
        for i in 0..LLVMGetNumOperands(invoke) as u32 {
            let operand = LLVMGetOperand(invoke, i);
            let ty = LLVMTypeOf(operand);
            let constant_vector = LLVMGetTypeKind(ty) == LLVMTypeKind::LLVMVectorTypeKind
                && !LLVMIsAConstant(operand).is_null()
                && LLVMIsUndef(operand) == 0
                && LLVMIsPoison(operand) == 0;
            if !constant_vector {
                continue;
            }
            let global = LLVMAddGlobal(raw_module, ty, c"tern_deopt_vector".as_ptr());
            LLVMSetInitializer(global, operand);
            LLVMSetGlobalConstant(global, 1);
            LLVMSetLinkage(global, LLVMLinkage::LLVMPrivateLinkage);
            LLVMSetUnnamedAddress(global, LLVMUnnamedAddr::LLVMGlobalUnnamedAddr);
            LLVMPositionBuilderBefore(builder, invoke);
            let loaded = LLVMBuildLoad2(builder, ty, global, c"deopt_vector".as_ptr());
            LLVMSetVolatile(loaded, 1);
            LLVMSetOperand(invoke, i, loaded);
        }
        LLVMDisposeBuilder(builder);
    }
}

/// LLVM's number for the C calling convention.
const C_CALL_CONV: u32 = 0;

/// `object` with its `.llvm_stackmaps` section (if any) marked writable.
///
/// # Errors
/// `Codegen` when LLVM's object cannot be read as ELF64.
pub fn make_stackmaps_writable(mut object: Vec<u8>) -> Result<Vec<u8>> {
    let fail = |e: object::Error| CompileError::Codegen(format!("stackmap section: {e}"));
    let header_offset = {
        let file = ElfFile64::<object::Endianness>::parse(object.as_slice()).map_err(fail)?;
        let Some(section) = file.section_by_name(LLVM_SECTION) else {
            return Ok(object);
        };
        let endian = file.endian();
        let header = file.elf_header();
        let shoff = header.e_shoff(endian) as usize;
        let shentsize = usize::from(header.e_shentsize(endian));
        shoff + section.index().0 * shentsize + SH_FLAGS_OFFSET
    };
    let field = object
        .get_mut(header_offset..header_offset + 8)
        .ok_or_else(|| CompileError::Codegen("stackmap section header out of range".into()))?;
    // Both targets are little-endian.
    let flags = u64::from_le_bytes(field.try_into().expect("8 bytes")) | SHF_WRITE;
    field.copy_from_slice(&flags.to_le_bytes());
    Ok(object)
}

#[cfg(test)]
mod tests {
    use super::demote_invoked_statepoints;
    use inkwell::context::Context;
    use inkwell::memory_buffer::MemoryBuffer;

    /// One statepoint as an `invoke` and one as a `call`, both `preserve_allcc`.
    const IR: &str = r#"
declare token @llvm.experimental.gc.statepoint.p0(i64 immarg, i32 immarg, ptr, i32 immarg, i32 immarg, ...)
declare preserve_allcc void @target()
declare i32 @personality(...)

define void @f(i32 %v) gc "statepoint-example" personality ptr @personality {
entry:
  %a = invoke preserve_allcc token (i64, i32, ptr, i32, i32, ...) @llvm.experimental.gc.statepoint.p0(i64 1, i32 0, ptr elementtype(void ()) @target, i32 0, i32 0, i32 0, i32 0) [ "deopt"(i32 %v) ]
          to label %next unwind label %pad
next:
  %b = call preserve_allcc token (i64, i32, ptr, i32, i32, ...) @llvm.experimental.gc.statepoint.p0(i64 2, i32 0, ptr elementtype(void ()) @target, i32 0, i32 0, i32 0, i32 0) [ "deopt"(i32 %v) ]
  ret void
pad:
  %lp = landingpad { ptr, i32 } cleanup
  resume { ptr, i32 } %lp
}
"#;

    /// An invoked statepoint with a constant vector among its deopt values.
    const VECTOR_IR: &str = r#"
declare token @llvm.experimental.gc.statepoint.p0(i64 immarg, i32 immarg, ptr, i32 immarg, i32 immarg, ...)
declare preserve_allcc void @target()
declare i32 @personality(...)

define void @f(<4 x i32> %v) gc "statepoint-example" personality ptr @personality {
entry:
  %a = invoke preserve_allcc token (i64, i32, ptr, i32, i32, ...) @llvm.experimental.gc.statepoint.p0(i64 1, i32 0, ptr elementtype(void ()) @target, i32 0, i32 0, i32 0, i32 0) [ "deopt"(<4 x i32> zeroinitializer, <4 x i32> %v, <2 x double> <double 1.0, double 2.0>) ]
          to label %next unwind label %pad
next:
  ret void
pad:
  %lp = landingpad { ptr, i32 } cleanup
  resume { ptr, i32 } %lp
}
"#;

    /// `ir` after [`demote_invoked_statepoints`], checked to be valid IR.
    fn demoted(ir: &str) -> String {
        let context = Context::create();
        let buffer = MemoryBuffer::create_from_memory_range_copy(ir.as_bytes(), "test");
        let module = context.create_module_from_ir(buffer).expect("valid IR");
        demote_invoked_statepoints(&module);
        module.verify().expect("still valid IR");
        module.print_to_string().to_string()
    }

    /// The line of `text` that contains `needle`.
    fn line<'t>(text: &'t str, needle: &str) -> &'t str {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in\n{text}"))
    }

    /// Without the loads, `llc-22 -use-registers-for-deopt-values` stops with
    /// "ran out of registers" on this function (x86-64 and AArch64).
    #[test]
    fn constant_vectors_of_invoked_statepoints_are_loaded() {
        let text = demoted(VECTOR_IR);
        let invoke = line(&text, "%a = invoke");
        assert!(
            !invoke.contains("zeroinitializer") && !invoke.contains("double 1.0"),
            "{invoke}"
        );
        assert!(invoke.contains("<4 x i32> %v"), "{invoke}");
        assert_eq!(text.matches("load volatile").count(), 2, "{text}");
    }

    #[test]
    fn invoked_statepoints_get_the_c_convention_and_calls_keep_theirs() {
        let text = demoted(IR);
        let invoke = line(&text, "%a = invoke");
        assert!(!invoke.contains("preserve_allcc"), "{invoke}");
        let call = line(&text, "%b = call");
        assert!(call.contains("preserve_allcc"), "{call}");
    }
}
