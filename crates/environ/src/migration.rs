//! Migration points: where a program compiled with `--cr` can be checkpointed,
//! and what state each point holds, numbered at the WebAssembly level.
//!
//! A point is identified by its **position**: the byte offset, in the module
//! binary, of the operator it belongs to (`loop`, `call`, `call_indirect`), or
//! of the function body for a function-entry point. Positions depend only on
//! the module's bytes, never on the ISA or on LLVM, so a snapshot taken by an
//! x86-64 build names the same points as the AArch64 build of the same module.
//!
//! The compiler records every point in [`MigrationInfo`] (serialized into the
//! object with the rest of [`crate::ModuleInfo`], as [`EncodedMigration`]
//! bytes that the runtime decodes only when it checkpoints or restores); the runtime validates
//! snapshots against it and lays out frame records with it. A captured frame
//! record is an array of 16-byte little-endian slots: first the saved locals
//! (in [`MigrationPoint::locals`] order), then the operand stack, bottom
//! first; a frame being restored uses [`restore_offsets`].

use crate::types::ValType;
use serde::{Deserialize, Serialize};

/// Version of the position numbering and frame layout. Part of a snapshot's
/// identity: a snapshot restores only into code with the same scheme.
pub const MIGRATION_SCHEME: u32 = 1;

/// Set in the position of a [`PointKind::TailResume`] point (whose low bits
/// are the function body's position): no operator sits there, and modules
/// are far smaller than 2 GiB.
pub const TAIL_RESUME_FLAG: u32 = 1 << 31;

/// A restore routes to a point one step at a time: the function's dispatch
/// (`cr_enter_at`'s answer) and then each routing loop on the point's
/// [`MigrationPoint::route`] (its `cr_poll` answer) say only where to go
/// next, so a dispatch `switch` has one case per place it leads to, not one
/// per point beneath it. This is the answer for the next step: into the
/// routing loop at `position`, or, for the last step, to the point itself.
pub fn route_answer(next: RouteStep) -> i64 {
    match next {
        // Negative, below every other answer, and small enough for a
        // compare with a 32-bit immediate.
        RouteStep::Loop(position) => -16 - i64::from(position),
        RouteStep::Point(position) => i64::from(position),
    }
}

/// The step a restore takes from a dispatch (see [`route_answer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteStep {
    /// Enter the routing loop at this position (through its header).
    Loop(u32),
    /// Go to the point at this position (its restore block).
    Point(u32),
}

/// What `cr_enter_at` answers a function that makes tail calls when the frame
/// to restore belongs to another function (one it, or its tail callees,
/// tail-called): call that function through its array-call trampoline.
pub const TAIL_RESUME_ANSWER: i64 = -3;

/// The local symbol LLVM puts at the start of an object's stackmap records
/// (section `.llvm_stackmaps`, format version 3). A `--cr` module's
/// descriptor reaches its own records through it
/// (`VMModuleDescriptor::stackmaps`): a reference to this name from the IR
/// binds to the label within the same object, so every module of a link
/// finds its own records.
pub const STACKMAP_SYMBOL: &str = "__LLVM_StackMaps";
/// The call target of a landing pad's capture statepoint: saves the frame of
/// its caller during a checkpoint, then resumes the unwind (`_Unwind_Resume`
/// with the checkpoint's exception), so it never returns. `void ()` with the
/// `preserve_allcc` convention, so not a [`crate::builtins::Builtin`] (they
/// all take the context). A capture statepoint's `"deopt"` operand bundle
/// holds the point's saved locals, then its operand stack, and its ID is the
/// point's position; the runtime finds the stackmap record by the call's
/// return address and reads the values where it says they are (a register
/// or a frame slot), so the caller spends no code on storing them, nor on
/// passing arguments, nor on anything after the call.
pub const CAPTURE_AND_RESUME_SYMBOL: &str = "tern_builtin_cr_capture_and_resume";
/// The call target of a loop poll's capture statepoint: like
/// [`CAPTURE_AND_RESUME_SYMBOL`], but then unwinds the frames below its
/// caller (`cr_unwind`; the caller's call of it has no landing pad).
pub const CAPTURE_AND_UNWIND_SYMBOL: &str = "tern_builtin_cr_capture_and_unwind";
/// The call target of a checkpointable function's entry check's statepoint
/// (the slow path, taken when the stack pointer is below
/// `vmctx->stack_limit`): `i64 ()` with the `preserve_allcc` convention, ID
/// and `"deopt"` bundle as for a capture (the entry's saved locals). It
/// answers -1 (run the body), `CR_ENTER_OVERFLOW` (the stack is exhausted:
/// trap) or a restore's answer for the function (the first routing step,
/// or [`TAIL_RESUME_ANSWER`]); when a checkpoint is requested it saves the
/// frame and unwinds the frames below, never returning. One call thus both
/// checks and captures, and passes no argument: before 2026-12-07 the entry
/// called `cr_enter(func)` and, on its answer, a capture statepoint.
pub const ENTER_AT_SYMBOL: &str = "tern_builtin_cr_enter_at";
/// The `"deopt"` bundle of a capture statepoint starts after this many
/// stackmap locations (LLVM's calling convention, flags and deopt count
/// constants).
pub const STATEPOINT_HEADER_LOCATIONS: usize = 3;

/// Size of one frame-record slot in bytes.
///
/// A capture (a capture statepoint) lays a frame out compactly, one slot per
/// value: the point's saved locals in [`MigrationPoint::locals`] order, then
/// its operand stack. A restore (`cr_restore_values`) uses the restore
/// layout instead ([`restore_offsets`]).
pub const SLOT_SIZE: usize = 16;

/// Bytes a value takes in the restore layout: 16 for a `v128`, 8 for any
/// other value (little-endian, the value's own bytes first).
pub const fn restore_slot_size(v128: bool) -> usize {
    if v128 {
        16
    } else {
        8
    }
}

/// The restore layout of a frame: the byte offset of each value, locals by
/// index (zero where the point does not save the local) and then the operand
/// stack, bottom first, given for each value whether it is a `v128`; and the
/// layout's size. Laying locals out by index lets one block per function
/// reload every local whatever the point; 8-byte slots keep the offsets
/// small (a restore block is mostly loads, see [`RESTORE_BIAS`]).
pub fn restore_offsets(v128: impl IntoIterator<Item = bool>) -> (Vec<usize>, usize) {
    let mut size = 0;
    let offsets = v128
        .into_iter()
        .map(|wide| {
            let offset = size;
            size += restore_slot_size(wide);
            offset
        })
        .collect();
    (offsets, size)
}

/// `cr_restore_values` answers the restore buffer's address plus this many
/// bytes, and compiled code loads the value at layout offset `o` from
/// `o - RESTORE_BIAS`: x86-64 then reaches the first 32 slots with a one-byte
/// displacement (measured: `--cr` module code 2.4% smaller than with 16-byte
/// slots from the buffer's start).
pub const RESTORE_BIAS: usize = 128;

/// What kind of program point a migration point is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PointKind {
    /// The entry of a function (after the stack check); the locals are the
    /// parameters and zeroed declared locals.
    Entry,
    /// A loop header (before the loop body runs an iteration).
    Loop,
    /// A call to a function defined in the module; `callee` is its index.
    Call {
        /// The callee (function index space).
        callee: u32,
    },
    /// `call_indirect` with the given type index.
    CallIndirect {
        /// The expected signature.
        type_index: u32,
    },
    /// A call to an imported (host) function, re-issued on restore with the
    /// saved arguments (the top of the saved operand stack).
    HostCall {
        /// The imported function (function index space).
        callee: u32,
    },
    /// The tail-resume call of a function that makes tail calls: on a
    /// restore, its frame may have been replaced by a tail callee's, which
    /// it then calls itself (any type, through the array-call trampoline)
    /// and returns the results of. A frame here saves nothing.
    TailResume,
}

impl PointKind {
    /// Whether a frame at this point has a callee frame above it (a Wasm
    /// call in progress) rather than being the innermost frame.
    pub fn calls_wasm(self) -> bool {
        matches!(
            self,
            PointKind::Call { .. } | PointKind::CallIndirect { .. } | PointKind::TailResume
        )
    }
}

/// One migration point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationPoint {
    /// Module byte offset of the operator (or of the body, for `Entry`).
    pub position: u32,
    /// The kind of point.
    pub kind: PointKind,
    /// Indices of the locals saved at this point (ascending); others restore as zero.
    pub locals: Vec<u32>,
    /// Types of the saved operand stack, bottom first. For `Call`/`CallIndirect`
    /// the callee's arguments are not included (the callee frame holds them);
    /// for `HostCall` they are (the call is re-issued with them).
    pub stack: Vec<ValType>,
    /// Positions of the enclosing polling loops, outermost first: the route a
    /// restore takes from the function entry to this point.
    pub route: Vec<u32>,
}

impl MigrationPoint {
    /// The step after the dispatch of routing loop `from` (`None`: the
    /// function's own dispatch) on the way to this point, or `None` when
    /// `from` is not on its route.
    pub fn route_step_after(&self, from: Option<u32>) -> Option<RouteStep> {
        let next = match from {
            None => 0,
            Some(l) => self.route.iter().position(|&r| r == l)? + 1,
        };
        Some(match self.route.get(next) {
            Some(&l) => RouteStep::Loop(l),
            None => RouteStep::Point(self.position),
        })
    }

    /// Number of frame-record slots at this point.
    pub fn slots(&self) -> usize {
        self.locals.len() + self.stack.len()
    }
}

/// The migration points of one defined function.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuncMigration {
    /// Types of all locals, parameters first.
    pub locals: Vec<ValType>,
    /// Every point of the function, in position order; empty for functions
    /// that never reach a migration point (leaf functions without loops).
    pub points: Vec<MigrationPoint>,
}

impl FuncMigration {
    /// The point at `position`, if any.
    pub fn point(&self, position: u32) -> Option<&MigrationPoint> {
        self.points
            .binary_search_by_key(&position, |p| p.position)
            .ok()
            .map(|i| &self.points[i])
    }

    /// Whether the function makes tail calls (it has a tail-resume point).
    pub fn makes_tail_calls(&self) -> bool {
        self.points.iter().any(|p| p.kind == PointKind::TailResume)
    }
}

/// Migration points of a whole module compiled for checkpoint/restore.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationInfo {
    /// [`MIGRATION_SCHEME`] of the compiler that made it.
    pub scheme: u32,
    /// By defined function index.
    pub functions: Vec<FuncMigration>,
}

/// A [`MigrationInfo`] kept in its serialized form (postcard) inside
/// [`crate::ModuleInfo`], so that loading a module costs a copy of these
/// bytes, not a decode: a run that is never checkpointed or restored never
/// decodes it. (CPython's table of some 300 000 points took 76M
/// instructions to decode at every start, and its index 37M more; about
/// 30 ms and 22 MB on a 50 ms run.)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncodedMigration(Vec<u8>);

impl EncodedMigration {
    /// Serializes `info`.
    pub fn encode(info: &MigrationInfo) -> EncodedMigration {
        EncodedMigration(postcard::to_allocvec(info).expect("MigrationInfo serializes to a Vec"))
    }

    /// Deserializes the table.
    ///
    /// # Errors
    /// The bytes are not a [`MigrationInfo`] (the object was damaged).
    pub fn decode(&self) -> Result<MigrationInfo, postcard::Error> {
        postcard::from_bytes(&self.0)
    }

    /// A stable 64-bit fingerprint of the numbering (FNV-1a over the
    /// serialized table): snapshots carry it so that a restore into code
    /// with a different numbering is refused.
    pub fn fingerprint(&self) -> u64 {
        self.0.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        })
    }
}

impl Serialize for EncodedMigration {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for EncodedMigration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// Takes the bytes in one piece (a sequence of `u8` would go
        /// element by element).
        struct Bytes;
        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = EncodedMigration;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a serialized migration table")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(EncodedMigration(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
                Ok(EncodedMigration(v))
            }
        }
        deserializer.deserialize_byte_buf(Bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> MigrationInfo {
        MigrationInfo {
            scheme: MIGRATION_SCHEME,
            functions: vec![FuncMigration {
                locals: vec![ValType::I32, ValType::F64],
                points: vec![MigrationPoint {
                    position: 0x1234,
                    kind: PointKind::Entry,
                    locals: vec![0, 1],
                    stack: vec![ValType::I64],
                    route: vec![0x1200],
                }],
            }],
        }
    }

    #[test]
    fn an_encoded_table_decodes_to_itself_inside_a_larger_serialization() {
        let info = table();
        let wrapped = (7u32, Some(EncodedMigration::encode(&info)), 9u8);
        let bytes = postcard::to_allocvec(&wrapped).expect("serializes");
        let (a, back, b): (u32, Option<EncodedMigration>, u8) =
            postcard::from_bytes(&bytes).expect("deserializes");
        assert_eq!((a, b), (7, 9));
        assert_eq!(back.expect("present").decode().expect("decodes"), info);
    }

    /// Snapshots written before the table was kept encoded carry FNV-1a of
    /// the postcard serialization of the `MigrationInfo`; the encoded form
    /// must give the same number, or they would no longer restore.
    #[test]
    fn the_fingerprint_is_fnv_of_the_serialized_table() {
        let info = table();
        let bytes = postcard::to_allocvec(&info).expect("serializes");
        let fnv = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        });
        assert_eq!(EncodedMigration::encode(&info).fingerprint(), fnv);
        let mut other = info.clone();
        other.functions[0].points[0].position += 1;
        assert_ne!(EncodedMigration::encode(&other).fingerprint(), fnv);
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic() {
        let encoded = EncodedMigration::encode(&table());
        let truncated = EncodedMigration(encoded.0[..encoded.0.len() / 2].to_vec());
        assert!(truncated.decode().is_err());
    }
}
