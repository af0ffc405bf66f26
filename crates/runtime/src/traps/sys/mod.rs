//! The one module to edit when porting: ucontext access, per-arch builtin
//! entry shims, thread stack bounds and the signal stack.

pub mod linux;

pub use linux::*;
