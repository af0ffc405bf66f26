//! Memory layout choices shared by the compiler's addressing and the runtime's
//! allocation.

/// Bytes of address space reserved for each 32-bit linear memory: 4 GiB of
/// addressable range, plus 4 GiB so any `u32` static offset stays inside the
/// reservation, plus 64 KiB for the widest access past that. Compiled code
/// therefore computes `base + zext(index) + offset` with no bounds check; the
/// part beyond the current length is `PROT_NONE`, so an out-of-bounds access
/// faults inside the reservation and the runtime turns the fault into the
/// `MemoryOutOfBounds` trap. 64-bit memories are bounds-checked explicitly.
pub const MEMORY32_RESERVATION: u64 = (8 << 30) + (64 << 10);

/// Default maximum size of the Wasm part of the native stack (bytes) before
/// `call stack exhausted`.
pub const DEFAULT_MAX_WASM_STACK: usize = 4 << 20;
