//! Definitions shared by the tern compiler and the tern runtime.
//!
//! This crate compiles nothing and links nothing: it is the contract between
//! generated code and the runtime. Everything whose layout or numbering both
//! sides must agree on lives here, defined exactly once:
//!
//! * [`module`]: the Wasm-level description of a module ([`ModuleInfo`]),
//!   serialized into every compiled object and read back by the runtime;
//! * [`vmctx`]: the one `VMContext` layout ([`VmOffsets`]) and the layouts of
//!   the structures it points to;
//! * [`builtins`]: every runtime function compiled code may call;
//! * [`trap`]: trap codes and their spec wording;
//! * [`migration`]: checkpoint/restore migration points, numbered at the Wasm level;
//! * [`descriptor`]: the symbols and `repr(C)` records a compiled object exports.
#![deny(missing_docs)]

pub mod builtins;
pub mod descriptor;
pub mod exceptions;
pub mod migration;
pub mod module;
pub mod trap;
pub mod tunables;
pub mod types;
pub mod vmctx;

pub use module::*;
pub use trap::TrapCode;
pub use types::*;
pub use vmctx::VmOffsets;
