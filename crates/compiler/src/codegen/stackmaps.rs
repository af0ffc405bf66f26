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
    // wrap a `token` value).
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
            }
            usage = LLVMGetNextUse(usage);
        }
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

    #[test]
    fn invoked_statepoints_get_the_c_convention_and_calls_keep_theirs() {
        let context = Context::create();
        let buffer = MemoryBuffer::create_from_memory_range_copy(IR.as_bytes(), "test");
        let module = context.create_module_from_ir(buffer).expect("valid IR");
        demote_invoked_statepoints(&module);
        let text = module.print_to_string().to_string();
        let invoke = text
            .lines()
            .find(|l| l.contains("%a = invoke"))
            .expect("the invoke");
        assert!(!invoke.contains("preserve_allcc"), "{invoke}");
        let call = text
            .lines()
            .find(|l| l.contains("%b = call"))
            .expect("the call");
        assert!(call.contains("preserve_allcc"), "{call}");
    }
}
