//! The tern compiler: WebAssembly modules to native objects through LLVM.
//!
//! Pipeline: `parse` (validate, collect [`tern_environ::ModuleInfo`]) →
//! `translate` (each function to LLVM IR) → `codegen` (optimize, emit the
//! object with its descriptor and trampolines) → `link` (object + runtime
//! archive → executable).

pub mod error;
pub mod link;
pub mod target;
pub mod translate;

pub use error::{CompileError, Result};
pub use target::Target;
