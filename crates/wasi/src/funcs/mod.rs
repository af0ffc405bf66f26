//! The preview1 functions, one file per area, each a method of [`WasiCtx`](crate::WasiCtx).
//!
//! Conventions: `mem` is the whole guest linear memory; pointers are guest offsets;
//! results are written through guest pointers and the method returns `Ok(())` (or
//! [`Completion`](crate::Completion) for calls that may block). Errors are spec errnos.

mod args_env;
mod clock;
mod fd;
mod path;
mod poll;
mod proc;
mod sock;

pub(crate) use fd::read_blocking;
