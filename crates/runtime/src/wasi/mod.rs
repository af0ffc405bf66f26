//! WASI preview1 (`wasi_snapshot_preview1`) through the `tern-wasi` crate.
//!
//! All WASI state of a program is `tern_wasi::WasiCtx` (convertible to the
//! plain-data `tern_wasi::WasiState` for checkpoints). This module only binds
//! the imports: one native entry per preview1 function (generated below from
//! its signature), each handing the raw arguments and the guest's whole memory
//! to `tern_wasi::dispatch::call` and turning the outcome into the errno
//! result, an exit, or a trap. Unknown names are link errors (or trapping
//! stubs with `--trap-unknown-imports`, see `crate::trap_stubs`).

mod restored;

use std::os::fd::OwnedFd;
use std::rc::Rc;

use tern_environ::TrapCode;
use tern_wasi::dispatch::{self, Outcome};
use tern_wasi::types::signal;
use tern_wasi::{Errno, WasiCtxBuilder};

use crate::instance::{Extern, Instance};
use crate::options::Options;
use crate::traps::Unwind;
use crate::vmctx::host::{host_fns, HostFunc, IntoHostFunc};

pub use restored::restore_context;
pub use tern_wasi::WasiCtx;

/// The import module name of WASI preview1.
pub const MODULE: &str = dispatch::MODULE;

/// A context with `args` (`argv[0]` first), `env` (`KEY=VALUE`), the host's
/// stdio and `preopens` (host directory, guest path).
///
/// # Errors
/// If a preopened directory cannot be opened.
pub fn build(
    args: &[String],
    env: &[String],
    preopens: &[(String, String)],
) -> Result<WasiCtx, String> {
    let opts = Options {
        env: env.to_vec(),
        dirs: preopens.to_vec(),
        ..Options::default()
    };
    from_options(args, &opts)
}

/// A context for a program run with runtime options `opts` (`--env`,
/// `--inherit-env`, `--dir`, `--tcplisten`) and arguments `args`
/// (`argv[0]` first), with the host's stdio. `SIGPIPE` is ignored from then
/// on, so writes to a closed pipe fail with `EPIPE` instead of ending the process.
///
/// With `--inherit-env` the guest starts from the host's environment
/// (variables that are not UTF-8 are left out) and each `--env` replaces a
/// variable of the same name. Each `--tcplisten ADDR` binds and listens on a
/// TCP socket (`SO_REUSEADDR`, backlog 128) handed to the guest as the next
/// fd after the preopens.
///
/// # Errors
/// A message if a preopened directory cannot be opened or an address cannot
/// be listened on.
pub fn from_options(args: &[String], opts: &Options) -> Result<WasiCtx, String> {
    // A write to a closed pipe is EPIPE for the guest, as under Wasmtime.
    tern_wasi::ignore_sigpipe();
    let mut builder = WasiCtxBuilder::new()
        .args(args.iter().cloned())
        .inherit_stdio();
    for (k, v) in environment(opts) {
        builder = builder.env(&k, &v);
    }
    for (host, guest) in &opts.dirs {
        builder = builder.preopen_dir(host, guest);
    }
    for addr in &opts.tcplisten {
        builder = builder.socket(listen(addr)?);
    }
    builder.build().map_err(|e| e.to_string())
}

/// A TCP listener on `addr` (`--tcplisten`: `SO_REUSEADDR`, backlog 128).
fn listen(addr: &str) -> Result<OwnedFd, String> {
    std::net::TcpListener::bind(addr)
        .map(OwnedFd::from)
        .map_err(|e| format!("cannot listen on {addr} (--tcplisten): {e}"))
}

/// The guest's environment: the host's with `--inherit-env`, then each
/// `--env KEY=VALUE` (replacing an earlier variable of the same name).
pub(crate) fn environment(opts: &Options) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = Vec::new();
    if opts.inherit_env {
        vars.extend(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        );
    }
    for kv in &opts.env {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        match vars.iter_mut().find(|(name, _)| name == k) {
            Some(slot) => slot.1 = v.to_string(),
            None => vars.push((k.to_string(), v.to_string())),
        }
    }
    vars
}

/// A Wasm argument as `dispatch::call` wants it.
trait Raw: Copy {
    fn raw(self) -> u64;
}
impl Raw for i32 {
    fn raw(self) -> u64 {
        self as u32 as u64
    }
}
impl Raw for i64 {
    fn raw(self) -> u64 {
        self as u64
    }
}

/// The Wasm result of a call that returned `errno`.
trait FromErrno {
    fn from_errno(errno: u16) -> Self;
}
impl FromErrno for i32 {
    fn from_errno(errno: u16) -> i32 {
        errno as i32
    }
}
impl FromErrno for () {
    fn from_errno(_: u16) {}
}

/// Calls WASI function `name` for `instance`.
fn call<R: FromErrno>(instance: &Instance, name: &str, args: &[u64]) -> Result<R, Unwind> {
    let Some(cx) = instance.wasi() else {
        return Ok(R::from_errno(Errno::Nosys.raw()));
    };
    let memory = match instance.export("memory") {
        Some(Extern::Memory(m)) => Some(m),
        _ => instance.memory(0).cloned(),
    };
    // A host call is a migration point: take a requested checkpoint before
    // doing anything (the call is re-issued after restore).
    let checkpointing = crate::checkpoint::active().is_some();
    if checkpointing && !crate::checkpoint::restore::active() {
        if let Some(mode) = crate::checkpoint::request::take_at_point() {
            crate::checkpoint::capture::prepare_at_host_call(mode, args);
            return Err(Unwind::Checkpoint);
        }
    }
    let mut cx = cx.borrow_mut();
    let outcome = match memory {
        Some(m) => m.with_bytes(|mem| dispatch::call(&mut cx, mem, name, args)),
        None => dispatch::call(&mut cx, &mut [], name, args),
    };
    match outcome {
        Outcome::Return(errno) => Ok(R::from_errno(errno.raw())),
        // Woken for a checkpoint: nothing happened, the call is re-issued after restore.
        Outcome::Interrupted if checkpointing => {
            cx.interrupt().clear();
            let mode = crate::checkpoint::request::take_request()
                .unwrap_or(crate::checkpoint::request::Mode::Exit);
            crate::checkpoint::capture::prepare_at_host_call(mode, args);
            Err(Unwind::Checkpoint)
        }
        Outcome::Interrupted => Ok(R::from_errno(Errno::Intr.raw())),
        Outcome::Exit(code) => Err(Unwind::Exit(code as i32)),
        Outcome::Raise(sig) => Err(raised(sig)),
        Outcome::BadCall => Err(Unwind::trap(TrapCode::HostTrap)),
    }
}

/// `proc_raise` of a signal whose default action ends the process: the
/// program ends as if killed by it, with exit status 128 + its Linux number
/// (the shell's convention), after a note on stderr.
fn raised(sig: u8) -> Unwind {
    let name = signal::name(sig).unwrap_or("?");
    let number = signal::linux_number(sig).unwrap_or(0);
    let _ = std::io::Write::flush(&mut std::io::stdout());
    eprintln!(
        "tern: the program raised SIG{name} (proc_raise); it ends as that signal would end it"
    );
    Unwind::Exit(128 + number)
}

macro_rules! wasi_funcs {
    ($( fn $name:ident($($a:ident : $t:ty),*) -> $r:ty; )*) => {
        #[allow(clippy::too_many_arguments, reason = "the WASI signatures")]
        mod imp {
            use super::*;
            $(
                pub(super) fn $name(instance: &Instance $(, $a: $t)*) -> Result<$r, Unwind> {
                    call(instance, stringify!($name), &[$($a.raw()),*])
                }
            )*
        }
        #[allow(clippy::too_many_arguments, reason = "the WASI signatures")]
        mod entries {
            use super::*;
            host_fns! {
                $( #[allow(clippy::unused_unit, reason = "generated signature")] fn $name($($a: $t),*) -> $r => imp::$name; )*
            }
        }
        /// Every preview1 function, by import name.
        fn host_funcs() -> Vec<(&'static str, HostFunc)> {
            vec![$(
                (stringify!($name), (entries::$name as extern "C-unwind" fn(*mut u8 $(, $t)*) -> $r).host_func()),
            )*]
        }
    };
}

wasi_funcs! {
    fn args_get(a0: i32, a1: i32) -> i32;
    fn args_sizes_get(a0: i32, a1: i32) -> i32;
    fn environ_get(a0: i32, a1: i32) -> i32;
    fn environ_sizes_get(a0: i32, a1: i32) -> i32;
    fn clock_res_get(a0: i32, a1: i32) -> i32;
    fn clock_time_get(a0: i32, a1: i64, a2: i32) -> i32;
    fn fd_advise(a0: i32, a1: i64, a2: i64, a3: i32) -> i32;
    fn fd_allocate(a0: i32, a1: i64, a2: i64) -> i32;
    fn fd_close(a0: i32) -> i32;
    fn fd_datasync(a0: i32) -> i32;
    fn fd_fdstat_get(a0: i32, a1: i32) -> i32;
    fn fd_fdstat_set_flags(a0: i32, a1: i32) -> i32;
    fn fd_fdstat_set_rights(a0: i32, a1: i64, a2: i64) -> i32;
    fn fd_filestat_get(a0: i32, a1: i32) -> i32;
    fn fd_filestat_set_size(a0: i32, a1: i64) -> i32;
    fn fd_filestat_set_times(a0: i32, a1: i64, a2: i64, a3: i32) -> i32;
    fn fd_pread(a0: i32, a1: i32, a2: i32, a3: i64, a4: i32) -> i32;
    fn fd_prestat_get(a0: i32, a1: i32) -> i32;
    fn fd_prestat_dir_name(a0: i32, a1: i32, a2: i32) -> i32;
    fn fd_pwrite(a0: i32, a1: i32, a2: i32, a3: i64, a4: i32) -> i32;
    fn fd_read(a0: i32, a1: i32, a2: i32, a3: i32) -> i32;
    fn fd_readdir(a0: i32, a1: i32, a2: i32, a3: i64, a4: i32) -> i32;
    fn fd_renumber(a0: i32, a1: i32) -> i32;
    fn fd_seek(a0: i32, a1: i64, a2: i32, a3: i32) -> i32;
    fn fd_sync(a0: i32) -> i32;
    fn fd_tell(a0: i32, a1: i32) -> i32;
    fn fd_write(a0: i32, a1: i32, a2: i32, a3: i32) -> i32;
    fn path_create_directory(a0: i32, a1: i32, a2: i32) -> i32;
    fn path_filestat_get(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32) -> i32;
    fn path_filestat_set_times(a0: i32, a1: i32, a2: i32, a3: i32, a4: i64, a5: i64, a6: i32) -> i32;
    fn path_link(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32) -> i32;
    fn path_open(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i64, a6: i64, a7: i32, a8: i32) -> i32;
    fn path_readlink(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32) -> i32;
    fn path_remove_directory(a0: i32, a1: i32, a2: i32) -> i32;
    fn path_rename(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32) -> i32;
    fn path_symlink(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32) -> i32;
    fn path_unlink_file(a0: i32, a1: i32, a2: i32) -> i32;
    fn poll_oneoff(a0: i32, a1: i32, a2: i32, a3: i32) -> i32;
    fn proc_exit(a0: i32) -> ();
    fn proc_raise(a0: i32) -> i32;
    fn sched_yield() -> i32;
    fn random_get(a0: i32, a1: i32) -> i32;
    fn sock_accept(a0: i32, a1: i32, a2: i32) -> i32;
    fn sock_recv(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32) -> i32;
    fn sock_send(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32) -> i32;
    fn sock_shutdown(a0: i32, a1: i32) -> i32;
}

/// The host function implementing WASI import `name`, if any.
pub fn resolve(name: &str) -> Option<Rc<HostFunc>> {
    host_funcs()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| Rc::new(f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tern_environ::ValType;

    #[test]
    fn every_preview1_function_resolves_with_its_signature() {
        for sig in dispatch::FUNCS {
            let f = resolve(sig.name).unwrap_or_else(|| panic!("{}", sig.name));
            let want: Vec<ValType> = sig
                .params
                .iter()
                .map(|p| match p {
                    dispatch::ValType::I32 => ValType::I32,
                    dispatch::ValType::I64 => ValType::I64,
                })
                .collect();
            assert_eq!(f.ty.params, want, "{}", sig.name);
            assert_eq!(f.ty.results.len(), sig.results.len(), "{}", sig.name);
        }
        assert!(resolve("no_such_function").is_none());
    }

    #[test]
    fn build_reports_bad_preopens() {
        assert!(build(&["p".into()], &["A=1".into()], &[]).is_ok());
        assert!(build(&[], &[], &[("/nonexistent-tern".into(), "x".into())]).is_err());
    }

    #[test]
    fn env_overrides_inherited_variables() {
        std::env::set_var("TERN_TEST_INHERITED", "host");
        let opts = Options {
            inherit_env: true,
            env: vec![
                "TERN_TEST_INHERITED=guest".into(),
                "NEW=1".into(),
                "NEW=2".into(),
            ],
            ..Options::default()
        };
        let vars = environment(&opts);
        let get = |k: &str| {
            vars.iter()
                .filter(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(get("TERN_TEST_INHERITED"), ["guest"]);
        assert_eq!(get("NEW"), ["2"]);
        assert!(vars.len() > 2, "the host's environment is inherited");
        let plain = environment(&Options {
            env: vec!["A=1".into()],
            ..Options::default()
        });
        assert_eq!(plain, [("A".to_string(), "1".to_string())]);
    }

    #[test]
    fn tcplisten_binds_or_reports() {
        let opts = Options {
            tcplisten: vec!["127.0.0.1:0".into()],
            ..Options::default()
        };
        assert!(from_options(&["p".into()], &opts).is_ok());
        let bad = Options {
            tcplisten: vec!["192.0.2.1:1".into()],
            ..Options::default()
        };
        let err = from_options(&["p".into()], &bad).unwrap_err();
        assert!(err.contains("192.0.2.1:1"), "{err}");
    }
}
