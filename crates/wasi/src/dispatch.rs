//! Generic binding of the `wasi_snapshot_preview1` imports: [`FUNCS`] lists every
//! import with its Wasm signature, and [`call`] invokes one by name with raw arguments.
//!
//! The runtime's host-function adapters can bind imports generically: look the import
//! up with [`lookup`] at link time (unknown name or signature mismatch = link error),
//! then at call time pass the Wasm arguments as `u64`s (an `i32` in the low 32 bits)
//! and turn the [`Outcome`] into the Wasm result, an exit or a trap.

use crate::errno::Errno;
use crate::{Completion, Raise, WasiCtx};

/// The import module name.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// A Wasm value type used by WASI signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValType {
    /// `i32`.
    I32,
    /// `i64`.
    I64,
}

/// Name and Wasm signature of one preview1 import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuncSig {
    /// Import name within [`MODULE`].
    pub name: &'static str,
    /// Parameter types.
    pub params: &'static [ValType],
    /// Result types (`[I32]`, the errno, for all but `proc_exit`, which has none).
    pub results: &'static [ValType],
}

/// What a call produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Return this errno (`Errno::Success` = 0) to the guest as the `i32` result.
    Return(Errno),
    /// `proc_exit(code)`: end the guest with this status (no result value).
    Exit(u32),
    /// A blocking call was interrupted (see [`Completion::Interrupted`]): nothing
    /// guest-visible happened; re-issue the same call with the same arguments later.
    Interrupted,
    /// `proc_raise` with a terminating signal: end the guest (Wasmtime traps here).
    Raise(u8),
    /// No such import, or the argument count does not match [`FuncSig::params`].
    BadCall,
}

use ValType::{I32, I64};

const R: &[ValType] = &[I32];

/// Every `wasi_snapshot_preview1` import, in the order of the witx file.
pub const FUNCS: &[FuncSig] = &[
    FuncSig {
        name: "args_get",
        params: &[I32, I32],
        results: R,
    },
    FuncSig {
        name: "args_sizes_get",
        params: &[I32, I32],
        results: R,
    },
    FuncSig {
        name: "environ_get",
        params: &[I32, I32],
        results: R,
    },
    FuncSig {
        name: "environ_sizes_get",
        params: &[I32, I32],
        results: R,
    },
    FuncSig {
        name: "clock_res_get",
        params: &[I32, I32],
        results: R,
    },
    FuncSig {
        name: "clock_time_get",
        params: &[I32, I64, I32],
        results: R,
    },
    FuncSig {
        name: "fd_advise",
        params: &[I32, I64, I64, I32],
        results: R,
    },
    FuncSig {
        name: "fd_allocate",
        params: &[I32, I64, I64],
        results: R,
    },
    FuncSig {
        name: "fd_close",
        params: &[I32],
        results: R,
    },
    FuncSig {
        name: "fd_datasync",
        params: &[I32],
        results: R,
    },
    FuncSig {
        name: "fd_fdstat_get",
        params: &[I32, I32],
        results: R,
    },
    FuncSig {
        name: "fd_fdstat_set_flags",
        params: &[I32, I32],
        results: R,
    },
    FuncSig {
        name: "fd_fdstat_set_rights",
        params: &[I32, I64, I64],
        results: R,
    },
    FuncSig {
        name: "fd_filestat_get",
        params: &[I32, I32],
        results: R,
    },
    FuncSig {
        name: "fd_filestat_set_size",
        params: &[I32, I64],
        results: R,
    },
    FuncSig {
        name: "fd_filestat_set_times",
        params: &[I32, I64, I64, I32],
        results: R,
    },
    FuncSig {
        name: "fd_pread",
        params: &[I32, I32, I32, I64, I32],
        results: R,
    },
    FuncSig {
        name: "fd_prestat_get",
        params: &[I32, I32],
        results: R,
    },
    FuncSig {
        name: "fd_prestat_dir_name",
        params: &[I32, I32, I32],
        results: R,
    },
    FuncSig {
        name: "fd_pwrite",
        params: &[I32, I32, I32, I64, I32],
        results: R,
    },
    FuncSig {
        name: "fd_read",
        params: &[I32, I32, I32, I32],
        results: R,
    },
    FuncSig {
        name: "fd_readdir",
        params: &[I32, I32, I32, I64, I32],
        results: R,
    },
    FuncSig {
        name: "fd_renumber",
        params: &[I32, I32],
        results: R,
    },
    FuncSig {
        name: "fd_seek",
        params: &[I32, I64, I32, I32],
        results: R,
    },
    FuncSig {
        name: "fd_sync",
        params: &[I32],
        results: R,
    },
    FuncSig {
        name: "fd_tell",
        params: &[I32, I32],
        results: R,
    },
    FuncSig {
        name: "fd_write",
        params: &[I32, I32, I32, I32],
        results: R,
    },
    FuncSig {
        name: "path_create_directory",
        params: &[I32, I32, I32],
        results: R,
    },
    FuncSig {
        name: "path_filestat_get",
        params: &[I32, I32, I32, I32, I32],
        results: R,
    },
    FuncSig {
        name: "path_filestat_set_times",
        params: &[I32, I32, I32, I32, I64, I64, I32],
        results: R,
    },
    FuncSig {
        name: "path_link",
        params: &[I32, I32, I32, I32, I32, I32, I32],
        results: R,
    },
    FuncSig {
        name: "path_open",
        params: &[I32, I32, I32, I32, I32, I64, I64, I32, I32],
        results: R,
    },
    FuncSig {
        name: "path_readlink",
        params: &[I32, I32, I32, I32, I32, I32],
        results: R,
    },
    FuncSig {
        name: "path_remove_directory",
        params: &[I32, I32, I32],
        results: R,
    },
    FuncSig {
        name: "path_rename",
        params: &[I32, I32, I32, I32, I32, I32],
        results: R,
    },
    FuncSig {
        name: "path_symlink",
        params: &[I32, I32, I32, I32, I32],
        results: R,
    },
    FuncSig {
        name: "path_unlink_file",
        params: &[I32, I32, I32],
        results: R,
    },
    FuncSig {
        name: "poll_oneoff",
        params: &[I32, I32, I32, I32],
        results: R,
    },
    FuncSig {
        name: "proc_exit",
        params: &[I32],
        results: &[],
    },
    FuncSig {
        name: "proc_raise",
        params: &[I32],
        results: R,
    },
    FuncSig {
        name: "sched_yield",
        params: &[],
        results: R,
    },
    FuncSig {
        name: "random_get",
        params: &[I32, I32],
        results: R,
    },
    FuncSig {
        name: "sock_accept",
        params: &[I32, I32, I32],
        results: R,
    },
    FuncSig {
        name: "sock_recv",
        params: &[I32, I32, I32, I32, I32, I32],
        results: R,
    },
    FuncSig {
        name: "sock_send",
        params: &[I32, I32, I32, I32, I32],
        results: R,
    },
    FuncSig {
        name: "sock_shutdown",
        params: &[I32, I32],
        results: R,
    },
];

/// The signature of import `name`, if WASI preview1 has it.
pub fn lookup(name: &str) -> Option<&'static FuncSig> {
    FUNCS.iter().find(|f| f.name == name)
}

fn done(r: Result<(), Errno>) -> Outcome {
    Outcome::Return(r.err().unwrap_or(Errno::Success))
}

fn blocking(r: Result<Completion, Errno>) -> Outcome {
    match r {
        Ok(Completion::Done) => Outcome::Return(Errno::Success),
        Ok(Completion::Interrupted) => Outcome::Interrupted,
        Err(e) => Outcome::Return(e),
    }
}

/// Calls import `name` with raw arguments (`i32` in the low 32 bits of a `u64`, `i64`
/// as its bits). `mem` is the guest's whole linear memory.
pub fn call(ctx: &mut WasiCtx, mem: &mut [u8], name: &str, args: &[u64]) -> Outcome {
    let Some(sig) = lookup(name) else {
        return Outcome::BadCall;
    };
    if sig.params.len() != args.len() {
        return Outcome::BadCall;
    }
    let a = |i: usize| args[i] as u32;
    let l = |i: usize| args[i];
    match name {
        "args_get" => done(ctx.args_get(mem, a(0), a(1))),
        "args_sizes_get" => done(ctx.args_sizes_get(mem, a(0), a(1))),
        "environ_get" => done(ctx.environ_get(mem, a(0), a(1))),
        "environ_sizes_get" => done(ctx.environ_sizes_get(mem, a(0), a(1))),
        "clock_res_get" => done(ctx.clock_res_get(mem, a(0), a(1))),
        "clock_time_get" => done(ctx.clock_time_get(mem, a(0), l(1), a(2))),
        "fd_advise" => done(ctx.fd_advise(a(0), l(1), l(2), a(3))),
        "fd_allocate" => done(ctx.fd_allocate(a(0), l(1), l(2))),
        "fd_close" => done(ctx.fd_close(a(0))),
        "fd_datasync" => done(ctx.fd_datasync(a(0))),
        "fd_fdstat_get" => done(ctx.fd_fdstat_get(mem, a(0), a(1))),
        "fd_fdstat_set_flags" => done(ctx.fd_fdstat_set_flags(a(0), a(1))),
        "fd_fdstat_set_rights" => done(ctx.fd_fdstat_set_rights(a(0), l(1), l(2))),
        "fd_filestat_get" => done(ctx.fd_filestat_get(mem, a(0), a(1))),
        "fd_filestat_set_size" => done(ctx.fd_filestat_set_size(a(0), l(1))),
        "fd_filestat_set_times" => done(ctx.fd_filestat_set_times(a(0), l(1), l(2), a(3))),
        "fd_pread" => done(ctx.fd_pread(mem, a(0), a(1), a(2), l(3), a(4))),
        "fd_prestat_get" => done(ctx.fd_prestat_get(mem, a(0), a(1))),
        "fd_prestat_dir_name" => done(ctx.fd_prestat_dir_name(mem, a(0), a(1), a(2))),
        "fd_pwrite" => done(ctx.fd_pwrite(mem, a(0), a(1), a(2), l(3), a(4))),
        "fd_read" => blocking(ctx.fd_read(mem, a(0), a(1), a(2), a(3))),
        "fd_readdir" => done(ctx.fd_readdir(mem, a(0), a(1), a(2), l(3), a(4))),
        "fd_renumber" => done(ctx.fd_renumber(a(0), a(1))),
        "fd_seek" => done(ctx.fd_seek(mem, a(0), l(1) as i64, a(2), a(3))),
        "fd_sync" => done(ctx.fd_sync(a(0))),
        "fd_tell" => done(ctx.fd_tell(mem, a(0), a(1))),
        "fd_write" => blocking(ctx.fd_write(mem, a(0), a(1), a(2), a(3))),
        "path_create_directory" => done(ctx.path_create_directory(mem, a(0), a(1), a(2))),
        "path_filestat_get" => done(ctx.path_filestat_get(mem, a(0), a(1), a(2), a(3), a(4))),
        "path_filestat_set_times" => {
            done(ctx.path_filestat_set_times(mem, a(0), a(1), a(2), a(3), l(4), l(5), a(6)))
        }
        "path_link" => done(ctx.path_link(mem, a(0), a(1), a(2), a(3), a(4), a(5), a(6))),
        "path_open" => {
            done(ctx.path_open(mem, a(0), a(1), a(2), a(3), a(4), l(5), l(6), a(7), a(8)))
        }
        "path_readlink" => done(ctx.path_readlink(mem, a(0), a(1), a(2), a(3), a(4), a(5))),
        "path_remove_directory" => done(ctx.path_remove_directory(mem, a(0), a(1), a(2))),
        "path_rename" => done(ctx.path_rename(mem, a(0), a(1), a(2), a(3), a(4), a(5))),
        "path_symlink" => done(ctx.path_symlink(mem, a(0), a(1), a(2), a(3), a(4))),
        "path_unlink_file" => done(ctx.path_unlink_file(mem, a(0), a(1), a(2))),
        "poll_oneoff" => blocking(ctx.poll_oneoff(mem, a(0), a(1), a(2), a(3))),
        "proc_exit" => Outcome::Exit(ctx.proc_exit(a(0)).0),
        "proc_raise" => match ctx.proc_raise(a(0)) {
            Ok(Raise::Ignored) => Outcome::Return(Errno::Success),
            Ok(Raise::Terminate(s)) => Outcome::Raise(s),
            Err(e) => Outcome::Return(e),
        },
        "sched_yield" => done(ctx.sched_yield()),
        "random_get" => done(ctx.random_get(mem, a(0), a(1))),
        "sock_accept" => blocking(ctx.sock_accept(mem, a(0), a(1), a(2))),
        "sock_recv" => blocking(ctx.sock_recv(mem, a(0), a(1), a(2), a(3), a(4), a(5))),
        "sock_send" => blocking(ctx.sock_send(mem, a(0), a(1), a(2), a(3), a(4))),
        "sock_shutdown" => done(ctx.sock_shutdown(a(0), a(1))),
        _ => Outcome::BadCall,
    }
}

#[cfg(test)]
mod tests {
    use super::FUNCS;

    #[test]
    fn all_46_imports_listed_once() {
        assert_eq!(FUNCS.len(), 46);
        let mut names: Vec<_> = FUNCS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 46);
    }
}
