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
