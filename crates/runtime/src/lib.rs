//! The tern runtime, linked into every compiled program.
//!
//! A compiled executable's `main` (from the bundle object) calls
//! [`tern_runtime_main`](libcalls::entry::tern_runtime_main) with the module
//! descriptors and the bundle's `tern_catch_traps`. The runtime parses its
//! options, instantiates modules (`instance`), provides the builtins compiled
//! code calls (`libcalls`), WASI (`wasi`), the test-harness protocol
//! (`script`), and turns traps and faults into reports (`traps`).
//!
//! `unsafe` code lives only in `memory`, `traps`, `vmctx` and `libcalls`,
//! each block with a `// SAFETY:` comment.
#![deny(missing_docs)]

pub mod instance;
pub mod libcalls;
pub mod memory;
pub mod options;
pub mod run;
pub mod script;
pub mod spectest;
pub mod traps;
pub mod values;
pub mod vmctx;
pub mod wasi;

pub use libcalls::entry::tern_runtime_main;
