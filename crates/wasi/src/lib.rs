//! tern's WASI preview1 implementation: a sandboxed host for the
//! `wasi_snapshot_preview1` imports, independent of the compiler and of LLVM.
//!
//! - [`WasiCtx`] holds all WASI state of one guest; [`WasiCtxBuilder`] makes one.
//! - Every preview1 function is a method of `WasiCtx` taking the guest's whole linear
//!   memory as `mem: &mut [u8]` (all accesses are bounds-checked: `EFAULT`, never a
//!   panic) and returning `Result<_, Errno>`; see `funcs/`.
//! - [`dispatch::call`] binds them by import name with raw `u64` arguments, and
//!   [`dispatch::FUNCS`] lists every import with its Wasm signature.
//! - [`WasiCtx::snapshot`] / [`WasiCtx::restore`] convert to and from the plain-data
//!   [`WasiState`]; blocking calls can be interrupted through [`Interrupt`].
//! - Paths are confined with `openat2(RESOLVE_BENEATH)` (see `sandbox.rs` and
//!   `docs/wasi.md`).
//!
//! This crate must not depend on the runtime, the compiler or LLVM.
//!
//! # Example
//!
//! ```
//! use tern_wasi::{dispatch, Errno, Outcome, WasiCtxBuilder};
//!
//! let dir = std::env::temp_dir().join(format!("tern-wasi-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let mut ctx = WasiCtxBuilder::new()
//!     .arg("prog.wasm")
//!     .env("HOME", "/sandbox")
//!     .preopen_dir(&dir, "/sandbox") // guest fd 3
//!     .build()
//!     .unwrap();
//! let mut mem = vec![0u8; 65536]; // the guest's linear memory
//! mem[100..105].copy_from_slice(b"hello");
//! // path_open(3, SYMLINK_FOLLOW, "hello", CREAT, rights, rights, 0, &fd @ 200)
//! let rights = tern_wasi::types::rights::ALL;
//! let args = [3, 1, 100, 5, 1, rights, rights, 0, 200];
//! assert_eq!(dispatch::call(&mut ctx, &mut mem, "path_open", &args), Outcome::Return(Errno::Success));
//! assert!(dir.join("hello").exists());
//! // Escapes are refused.
//! mem[100..102].copy_from_slice(b"..");
//! let args = [3, 1, 100, 2, 0, rights, rights, 0, 200];
//! assert_eq!(dispatch::call(&mut ctx, &mut mem, "path_open", &args), Outcome::Return(Errno::Notcapable));
//! assert_eq!(dispatch::call(&mut ctx, &mut mem, "proc_exit", &[3]), Outcome::Exit(3));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

#![deny(missing_docs)]
#![allow(
    clippy::too_many_arguments,
    reason = "host functions mirror the preview1 signatures"
)]

mod ctx;
pub mod dispatch;
mod errno;
mod fd_table;
mod funcs;
mod interrupt;
pub mod memory;
pub mod sandbox;
mod state;
mod sys;
pub mod types;

pub use ctx::{WasiCtx, WasiCtxBuilder, WasiError};
pub use dispatch::Outcome;
pub use errno::Errno;
pub use interrupt::Interrupt;
pub use sandbox::Resolver;
pub use state::{
    ClockState, FdKind, FdState, PendingPoll, PreopenState, WasiState, HOST_FD_SUPPLIED,
};
pub use sys::ignore_sigpipe;

/// Result of a call that may block (`fd_read`, `poll_oneoff`, `sock_recv`, `sock_accept`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// The call finished; its results were written to guest memory.
    Done,
    /// An interrupt was requested while it waited. Nothing guest-visible happened
    /// (no input consumed, no results written). Clear the interrupt and re-issue the
    /// same call with the same arguments to continue; an interrupted `poll_oneoff`
    /// resumes with its remaining timeout (also across snapshot/restore).
    Interrupted,
}

/// `proc_exit`'s outcome: the guest asked to exit with this status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcExit(pub u32);

/// `proc_raise`'s outcome when it does not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raise {
    /// The signal's default action is to be ignored (or it was `0`): nothing happens.
    Ignored,
    /// The signal's default action terminates (or stops) the process: the embedder
    /// should end the guest. (Wasmtime instead answers `ENOTSUP` to every
    /// `proc_raise`; tern's runtime ends the program with status 128 + the Linux
    /// signal number, see `types::signal`.)
    Terminate(u8),
}

#[cfg(test)]
mod tests {
    /// The runtime may move a context to another thread and share interrupts.
    #[test]
    fn thread_safety() {
        fn send<T: Send>() {}
        fn send_sync<T: Send + Sync>() {}
        send::<crate::WasiCtx>();
        send_sync::<crate::Interrupt>();
        send_sync::<crate::WasiState>();
    }
}
