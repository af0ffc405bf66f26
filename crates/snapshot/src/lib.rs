//! The tern snapshot: the WebAssembly-level state of a checkpointed program.
//!
//! A [`Snapshot`] names the module it belongs to (hash of its bytes) and the
//! migration-point numbering it was taken with, and holds the call stack as
//! Wasm frames (function index, position, locals, operand stack), globals,
//! tables (function references as indices), linear memories (tables of 64
//! KiB chunks: all-zero chunks elided, the rest LZ4-compressed or raw, each
//! with a CRC-32), dropped segments, the WASI state and clock readings, and
//! the exception objects live `exnref`s refer to. Nothing in it depends on
//! the ISA or process that wrote it.
//!
//! [`memory`] encodes and decodes the chunks; [`file`] lays a snapshot out
//! (magic, version, sections with CRC-32 checksums, the page-aligned memory
//! data area), writes files atomically and opens them without reading the
//! memory data; `docs/snapshot-format.md` is the specification.
#![deny(missing_docs)]

pub mod digest;
pub mod file;
pub mod memory;

use serde::{Deserialize, Serialize};
pub use tern_wasi::{ClockState, FdKind, FdState, PendingPoll, PreopenState, WasiState};

/// A typed WebAssembly value as stored in a snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Value {
    /// `i32` (bits).
    I32(u32),
    /// `i64` (bits).
    I64(u64),
    /// `f32` (bits).
    F32(u32),
    /// `f64` (bits).
    F64(u64),
    /// `v128` (little-endian integer value).
    V128(u128),
    /// A function reference: a function index of the module, or null.
    FuncRef(Option<u32>),
    /// An external reference: the host's handle, or null.
    ExternRef(Option<u64>),
    /// An exception reference: an index into [`Snapshot::exceptions`], or
    /// null. Several references to one exception share the index.
    ExnRef(Option<u32>),
}

/// An exception object referred to by [`Value::ExnRef`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exception {
    /// Its tag: a tag index of the module (imported tags first, as the
    /// module sees them).
    pub tag: u32,
    /// Its values, typed by the tag's parameters. An `exnref` among them
    /// refers to an exception earlier in the list.
    pub values: Vec<Value>,
}

/// One Wasm call frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// Function index (imports first).
    pub func: u32,
    /// Position of the migration point (module byte offset).
    pub position: u32,
    /// Saved locals as `(local index, value)`, ascending.
    pub locals: Vec<(u32, Value)>,
    /// The operand stack, bottom first.
    pub stack: Vec<Value>,
}

/// Identity of the module and of the point numbering.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleIdentity {
    /// SHA-256 of the module's binary bytes.
    pub module_hash: [u8; 32],
    /// Migration-point numbering scheme version.
    pub scheme: u32,
    /// Fingerprint of the module's migration-point table.
    pub points_fingerprint: u64,
    /// Module name from the name section, if any (informational).
    pub name: Option<String>,
}

/// How the program was started, so a restore finishes the same way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The export the bottom frame was called through (`_start`, or the
    /// `--invoke` export).
    pub export: String,
    /// Whether the results are printed (`--invoke`).
    pub print_results: bool,
}

/// One table's elements.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableState {
    /// Every element (function references as indices).
    pub elements: Vec<Value>,
}

/// Everything a checkpoint captures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// What the snapshot belongs to.
    pub identity: ModuleIdentity,
    /// The ISA of the process that wrote it (`x86_64`, `aarch64`; informational).
    pub writer_isa: String,
    /// How the program was entered.
    pub entry: Entry,
    /// The call stack, bottom (outermost) frame first.
    pub frames: Vec<Frame>,
    /// Every global, imported first.
    pub globals: Vec<Value>,
    /// Every table, imported first.
    pub tables: Vec<TableState>,
    /// Every linear memory, imported first.
    pub memories: Vec<memory::MemoryImage>,
    /// Indices of data segments dropped so far.
    pub dropped_data: Vec<u32>,
    /// Indices of element segments dropped so far.
    pub dropped_elements: Vec<u32>,
    /// The WASI state (fds, preopens, args, env, clocks), if the program uses WASI.
    pub wasi: Option<WasiState>,
    /// Names of the functions on the stack (from the name section), for tools.
    pub names: Vec<(u32, String)>,
    /// The exception objects that live `exnref`s (and caught exceptions a
    /// legacy handler may rethrow) refer to.
    pub exceptions: Vec<Exception>,
}

impl Snapshot {
    /// The display name of function `func`: its name-section name or `func[N]`.
    pub fn func_name(&self, func: u32) -> String {
        self.names
            .iter()
            .find(|(f, _)| *f == func)
            .map_or_else(|| format!("func[{func}]"), |(_, n)| n.clone())
    }
}
