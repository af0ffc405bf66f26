//! The layout of a Wasm exception object, shared by compiled code (which
//! stores a thrown exception's values and reads a caught one's) and the
//! runtime (which allocates and raises it). An `exnref` points to it.
//!
//! ```text
//! 0   _Unwind_Exception   Itanium unwind header (32 bytes, 16-aligned)
//! 32  tag                 the tag's identity (its `tags_begin` pointer)
//! 40  exposed             non-zero once handed out as an exnref
//! 48  count               number of value slots
//! 64  values              one 16-byte slot per tag parameter
//! ```

/// Offset of the tag identity.
pub const EXN_TAG_OFFSET: u32 = 32;
/// Offset of the "exposed as exnref" flag (`u64`).
pub const EXN_EXPOSED_OFFSET: u32 = 40;
/// Offset of the first value slot.
pub const EXN_PAYLOAD_OFFSET: u32 = 64;
/// Size of one value slot.
pub const EXN_SLOT_SIZE: u32 = 16;
