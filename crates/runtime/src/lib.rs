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
//!
//! # Dev. Note
//! * Wasm runs on a 64 MiB stack switched to on the calling thread
//!   (`traps::run_on_new_stack`), not on a spawned thread: `pthread_create`
//!   hangs under qemu-user 7.2 with a dynamically linked glibc.
//! * Every `tern_builtin_*` symbol is a naked shim that records the Wasm
//!   caller's stack pointer and return address (where a backtrace starts) and
//!   tail-jumps to the Rust implementation.
//! * Instances are never freed while a program runs: function references and
//!   shared tables, memories and globals may outlive a failed instantiation.
#![deny(missing_docs)]

pub mod checkpoint;
pub mod exceptions;
pub mod instance;
pub mod libcalls;
pub mod memory;
pub mod options;
pub mod run;
pub mod script;
pub mod spectest;
pub mod trap_stubs;
pub mod traps;
pub mod values;
pub mod vmctx;
pub mod wasi;

pub use libcalls::entry::tern_runtime_main;
