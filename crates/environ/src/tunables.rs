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

/// Bytes of `PROT_NONE` address space reserved *below* the base of each 32-bit
/// linear memory (part of the same reservation, so a fault there is the
/// memory's `MemoryOutOfBounds` trap too).
///
/// The compiler relies on it (`translate/address_split.rs`): it computes an
/// access at `i32.add t, b` with `b` in `[0, 64 KiB)` as
/// `base + (t > MAX ? t - 2^32 : t) + b`, so that the part from `t` is loop
/// invariant. When `t > MEMORY32_MAX_BYTES` and `t + b` does not wrap, Wasm
/// traps (the index is past any memory) and that address is below `base` by
/// less than 64 KiB: it must fault, and does, in this guard.
pub const MEMORY32_GUARD_BELOW: u64 = 64 << 10;

/// Largest size of a 32-bit linear memory: 4 GiB minus one 64 KiB page.
///
/// The compiler relies on it: an access at `i32` index `x` that did not trap
/// proves `x < 2^32 - 64 KiB`, so `x + C` cannot wrap for `C < 64 KiB` and is
/// built as `add nuw`, which lets LLVM's vectorizer see neighbouring accesses
/// (`translate/address_facts.rs` in the compiler). A `memory.grow` past it
/// returns -1, which the spec allows for any growth.
pub const MEMORY32_MAX_BYTES: u64 = (1 << 32) - (64 << 10);

/// Default maximum size of the Wasm part of the native stack (bytes) before
/// `call stack exhausted`.
pub const DEFAULT_MAX_WASM_STACK: usize = 4 << 20;
