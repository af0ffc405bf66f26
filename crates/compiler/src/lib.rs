//! The tern compiler: WebAssembly modules to native objects through LLVM.
//!
//! Pipeline: `parse` (validate, collect [`tern_environ::ModuleInfo`]) →
//! `translate` (each function to LLVM IR) → `codegen` (optimize, emit the
//! object with its descriptor and trampolines) → `link` (object + runtime
//! archive → executable).

pub mod codegen;
pub mod error;
pub mod link;
pub mod parse;
pub mod target;
pub mod translate;

pub use codegen::{
    compile_module, compile_module_text, emit_bundle, CompileOptions, CompiledModule, TextOutput,
};
pub use error::{CompileError, Result};
pub use parse::wasm_bytes;
pub use target::Target;
pub use wasmparser::WasmFeatures;
