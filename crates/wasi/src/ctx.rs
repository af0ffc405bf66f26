//! [`WasiCtx`] (plain state + live host handles), its builder, and snapshot/restore.
//!
//! The preview1 functions themselves live in `funcs/`; this file only creates,
//! captures and rebuilds contexts.

use crate::errno::Errno;
use crate::fd_table::{FdEntry, FdTable};
use crate::interrupt::Interrupt;
use crate::sandbox::{self, Resolver};
use crate::state::{ClockState, FdKind, FdState, PendingPoll, PreopenState, WasiState};
use crate::sys;
use crate::types::{fdflags, rights};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// Errors of building or restoring a context (not guest-visible).
#[derive(Debug, thiserror::Error)]
pub enum WasiError {
    /// A preopened directory could not be opened.
    #[error("cannot preopen {path:?}: {errno}")]
    Preopen {
        /// The host path.
        path: PathBuf,
        /// Why.
        errno: Errno,
    },
    /// A guest fd of a snapshot could not be reopened.
    #[error("cannot restore guest fd {fd} ({path:?}): {errno}")]
    Restore {
        /// The guest fd.
        fd: u32,
        /// Its guest path (or host fd for inherited handles).
        path: String,
        /// Why.
        errno: Errno,
    },
    /// Another host failure (eventfd, /dev/null, dup).
    #[error("host error: {0}")]
    Host(#[from] Errno),
}

/// Offsets added to host clocks so guest clocks continue across a restore.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ClockOffsets {
    pub(crate) monotonic: i64,
    pub(crate) process: i64,
    pub(crate) thread: i64,
}

/// A `poll_oneoff` that was interrupted, with absolute host-monotonic deadlines.
#[derive(Debug, Clone)]
pub(crate) struct LivePendingPoll {
    pub(crate) in_ptr: u32,
    pub(crate) subscriptions: Vec<u8>,
    pub(crate) deadlines: Vec<(u32, u64)>,
}

/// The WASI state of one guest: plain data (see [`WasiState`]) plus live host handles.
#[derive(Debug)]
pub struct WasiCtx {
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<String>,
    pub(crate) preopens: Vec<PreopenState>,
    pub(crate) fds: FdTable,
    pub(crate) clocks: ClockOffsets,
    pub(crate) pending_poll: Option<LivePendingPoll>,
    pub(crate) interrupt: Interrupt,
    pub(crate) resolver: Resolver,
}

/// Where a standard stream comes from.
#[derive(Debug)]
enum Stdio {
    /// `/dev/null` (the default, like Wasmtime's closed stdio but readable/writable).
    Null,
    /// The host's own fd 0/1/2 (duplicated).
    Inherit,
    /// An embedder-supplied handle.
    Handle(OwnedFd),
}

/// Builds a [`WasiCtx`].
#[derive(Debug)]
pub struct WasiCtxBuilder {
    args: Vec<String>,
    env: Vec<String>,
    preopens: Vec<(PathBuf, String)>,
    stdio: [Stdio; 3],
    sockets: Vec<OwnedFd>,
    interrupt: Option<Interrupt>,
    resolver: Resolver,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl WasiCtxBuilder {
    /// An empty builder: no args, no env, no preopens, stdio on `/dev/null`.
    pub fn new() -> Self {
        WasiCtxBuilder {
            args: Vec::new(),
            env: Vec::new(),
            preopens: Vec::new(),
            stdio: [Stdio::Null, Stdio::Null, Stdio::Null],
            sockets: Vec::new(),
            interrupt: None,
            resolver: Resolver::Auto,
        }
    }

    /// Appends one argument (the first one is the guest's `argv[0]`).
    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }

    /// Appends arguments.
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, a: I) -> Self {
        self.args.extend(a.into_iter().map(Into::into));
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push(format!("{key}={value}"));
        self
    }

    /// Adds every (UTF-8) variable of the host environment.
    pub fn inherit_env(mut self) -> Self {
        for (k, v) in std::env::vars() {
            self.env.push(format!("{k}={v}"));
        }
        self
    }

    /// Preopens host directory `host` under guest name `guest`. Preopens get guest fds
    /// 3, 4, ... in call order.
    pub fn preopen_dir(mut self, host: impl AsRef<Path>, guest: &str) -> Self {
        self.preopens
            .push((host.as_ref().to_owned(), guest.to_owned()));
        self
    }

    /// Passes the host's stdin, stdout and stderr through.
    pub fn inherit_stdio(mut self) -> Self {
        self.stdio = [Stdio::Inherit, Stdio::Inherit, Stdio::Inherit];
        self
    }

    /// Uses `fd` as the guest's stdin.
    pub fn stdin(mut self, fd: OwnedFd) -> Self {
        self.stdio[0] = Stdio::Handle(fd);
        self
    }

    /// Uses `fd` as the guest's stdout.
    pub fn stdout(mut self, fd: OwnedFd) -> Self {
        self.stdio[1] = Stdio::Handle(fd);
        self
    }

    /// Uses `fd` as the guest's stderr.
    pub fn stderr(mut self, fd: OwnedFd) -> Self {
        self.stdio[2] = Stdio::Handle(fd);
        self
    }

    /// Hands a connected or listening socket to the guest; sockets get the fds after
    /// the preopens, in call order.
    pub fn socket(mut self, fd: OwnedFd) -> Self {
        self.sockets.push(fd);
        self
    }

    /// Uses a shared interrupt (otherwise a new one is made; see [`WasiCtx::interrupt`]).
    pub fn interrupt(mut self, i: Interrupt) -> Self {
        self.interrupt = Some(i);
        self
    }

    /// Chooses the path resolver (default [`Resolver::Auto`]).
    pub fn resolver(mut self, r: Resolver) -> Self {
        self.resolver = r;
        self
    }

    /// Opens the preopens and builds the context.
    ///
    /// # Errors
    /// [`WasiError::Preopen`] when a directory cannot be opened; [`WasiError::Host`]
    /// when stdio or the interrupt eventfd cannot be set up.
    pub fn build(self) -> Result<WasiCtx, WasiError> {
        let interrupt = match self.interrupt {
            Some(i) => i,
            None => Interrupt::new()?,
        };
        let mut ctx = WasiCtx {
            args: self.args,
            env: self.env,
            preopens: Vec::new(),
            fds: FdTable::default(),
            clocks: ClockOffsets::default(),
            pending_poll: None,
            interrupt,
            resolver: self.resolver,
        };
        for (i, s) in self.stdio.into_iter().enumerate() {
            let (host, host_fd) = match s {
                Stdio::Null => (sys::dev_null()?, -1),
                // A host stream that is closed becomes /dev/null.
                Stdio::Inherit => match sys::dup_raw(i as i32) {
                    Ok(fd) => (fd, i as i32),
                    Err(Errno::Badf) => (sys::dev_null()?, -1),
                    Err(e) => return Err(e.into()),
                },
                Stdio::Handle(h) => (h, crate::state::HOST_FD_SUPPLIED),
            };
            ctx.fds.insert_at(
                i as u32,
                inherited_entry(i as u32, FdKind::Inherited, host, host_fd)?,
            );
        }
        for (host_path, guest_path) in self.preopens {
            let fd = open_dir(&host_path).map_err(|errno| WasiError::Preopen {
                path: host_path.clone(),
                errno,
            })?;
            let index = ctx.preopens.len() as u32;
            ctx.preopens.push(PreopenState {
                host_path,
                guest_path,
            });
            let state = FdState {
                fd: 0,
                kind: FdKind::PreopenDir,
                preopen: Some(index),
                guest_path: String::new(),
                offset: 0,
                fdflags: 0,
                read: true,
                write: false,
                rights_base: rights::DIRECTORY_BASE,
                rights_inheriting: rights::DIRECTORY_INHERITING,
                host_fd: -1,
            };
            ctx.fds.push(FdEntry::new(state, fd)?)?;
        }
        for s in self.sockets {
            let e = inherited_entry(0, FdKind::Socket, s, crate::state::HOST_FD_SUPPLIED)?;
            ctx.fds.push(e)?;
        }
        Ok(ctx)
    }
}

/// Opens a host directory for use as a preopen.
fn open_dir(path: &Path) -> Result<OwnedFd, Errno> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| Errno::Ilseq)?;
    // SAFETY: `c` is NUL-terminated.
    let fd = sys::cvt(unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    })?;
    // SAFETY: just opened.
    Ok(unsafe { sys::own(fd) })
}

/// An entry for an embedder-supplied handle, with rights from its file type.
fn inherited_entry(fd: u32, kind: FdKind, host: OwnedFd, host_fd: i32) -> Result<FdEntry, Errno> {
    let (ft, _) = crate::fd_table::classify(&host)?;
    let base = match ft {
        crate::types::filetype::REGULAR_FILE => rights::REGULAR_FILE_BASE,
        crate::types::filetype::SOCKET_STREAM | crate::types::filetype::SOCKET_DGRAM => {
            rights::SOCKET_BASE
        }
        crate::types::filetype::CHARACTER_DEVICE => rights::TTY_BASE,
        _ => rights::PIPE_BASE,
    };
    let state = FdState {
        fd,
        kind,
        preopen: None,
        guest_path: String::new(),
        offset: 0,
        fdflags: 0,
        read: true,
        write: true,
        rights_base: base,
        rights_inheriting: 0,
        host_fd,
    };
    FdEntry::new(state, host)
}

/// Host `open(2)` flags for a guest file with the given access and `fdflags`.
pub(crate) fn host_open_flags(read: bool, write: bool, flags: u16) -> i32 {
    let mut f = match (read, write) {
        (_, false) => libc::O_RDONLY,
        (false, true) => libc::O_WRONLY,
        (true, true) => libc::O_RDWR,
    };
    if flags & fdflags::APPEND != 0 {
        f |= libc::O_APPEND;
    }
    if flags & fdflags::DSYNC != 0 {
        f |= libc::O_DSYNC;
    }
    if flags & (fdflags::SYNC | fdflags::RSYNC) != 0 {
        f |= libc::O_SYNC;
    }
    if flags & fdflags::NONBLOCK != 0 {
        f |= libc::O_NONBLOCK;
    }
    f | libc::O_NOCTTY
}

fn clock_reading(id: libc::clockid_t, offset: i64) -> u64 {
    sys::clock_ns(id)
        .map(|t| (t as i64).wrapping_add(offset) as u64)
        .unwrap_or(0)
}

impl WasiCtx {
    /// The interrupt of this context: call [`Interrupt::request`] on a clone to make
    /// blocked calls return [`Completion::Interrupted`](crate::Completion).
    pub fn interrupt(&self) -> &Interrupt {
        &self.interrupt
    }

    /// Replaces the interrupt (e.g. after [`WasiCtx::restore`]).
    pub fn set_interrupt(&mut self, i: Interrupt) {
        self.interrupt = i;
    }

    /// Chooses the path resolver.
    pub fn set_resolver(&mut self, r: Resolver) {
        self.resolver = r;
    }

    /// The guest-visible reading of one of the offset clocks.
    pub(crate) fn guest_clock(&self, id: libc::clockid_t) -> Result<u64, Errno> {
        let off = match id {
            libc::CLOCK_MONOTONIC => self.clocks.monotonic,
            libc::CLOCK_PROCESS_CPUTIME_ID => self.clocks.process,
            libc::CLOCK_THREAD_CPUTIME_ID => self.clocks.thread,
            _ => 0,
        };
        Ok((sys::clock_ns(id)? as i64).wrapping_add(off) as u64)
    }

    /// Captures the whole WASI state as plain data: fd table (with live offsets),
    /// preopens, args, env, clock readings and any interrupted poll.
    pub fn snapshot(&self) -> WasiState {
        let fds = self
            .fds
            .iter()
            .map(|(_, e)| {
                let mut s = e.state.clone();
                if s.kind == FdKind::File {
                    // SAFETY: lseek on an fd we own; failure (pipe) is reported as -1.
                    let off = unsafe { libc::lseek(e.raw(), 0, libc::SEEK_CUR) };
                    s.offset = if off < 0 { 0 } else { off as u64 };
                }
                s
            })
            .collect();
        let now = sys::clock_ns(libc::CLOCK_MONOTONIC).unwrap_or(0);
        let pending_poll = self.pending_poll.as_ref().map(|p| PendingPoll {
            in_ptr: p.in_ptr,
            subscriptions: p.subscriptions.clone(),
            remaining_ns: p
                .deadlines
                .iter()
                .map(|&(i, d)| (i, d.saturating_sub(now)))
                .collect(),
        });
        WasiState {
            args: self.args.clone(),
            env: self.env.clone(),
            preopens: self.preopens.clone(),
            fds,
            clocks: ClockState {
                monotonic_ns: clock_reading(libc::CLOCK_MONOTONIC, self.clocks.monotonic),
                process_cputime_ns: clock_reading(
                    libc::CLOCK_PROCESS_CPUTIME_ID,
                    self.clocks.process,
                ),
                thread_cputime_ns: clock_reading(libc::CLOCK_THREAD_CPUTIME_ID, self.clocks.thread),
            },
            pending_poll,
        }
    }

    /// Rebuilds a context from a snapshot: reopens every preopen by host path, every
    /// file and directory by preopen + guest path (beneath the preopen, never creating
    /// or truncating) at its recorded offset, and inherited handles/sockets by
    /// duplicating their recorded host fd number (stdio passed through with
    /// `inherit_stdio`; `/dev/null` for `host_fd == -1`). Handles the embedder supplied
    /// (`host_fd == HOST_FD_SUPPLIED`: custom stdio, sockets, accepted sockets) must be
    /// given again with [`WasiCtx::restore_with`].
    ///
    /// # Errors
    /// [`WasiError::Preopen`] or [`WasiError::Restore`] when something cannot be reopened.
    pub fn restore(state: WasiState) -> Result<WasiCtx, WasiError> {
        WasiCtx::restore_with(state, Vec::new())
    }

    /// Like [`WasiCtx::restore`], but guest fds listed in `handles` get the given host
    /// handle instead of being reopened (for pipes, sockets and stdio of the new process).
    ///
    /// # Errors
    /// As [`WasiCtx::restore`].
    pub fn restore_with(
        state: WasiState,
        handles: Vec<(u32, OwnedFd)>,
    ) -> Result<WasiCtx, WasiError> {
        let mut handles: std::collections::HashMap<u32, OwnedFd> = handles.into_iter().collect();
        let mut roots = Vec::new();
        for p in &state.preopens {
            let fd = open_dir(&p.host_path).map_err(|errno| WasiError::Preopen {
                path: p.host_path.clone(),
                errno,
            })?;
            roots.push(fd);
        }
        let resolver = Resolver::Auto;
        let mut fds = FdTable::default();
        for s in state.fds {
            let fail = |errno| WasiError::Restore {
                fd: s.fd,
                path: s.guest_path.clone(),
                errno,
            };
            let host = if let Some(h) = handles.remove(&s.fd) {
                h
            } else {
                match s.kind {
                    FdKind::Inherited | FdKind::Socket if s.host_fd == -1 => {
                        sys::dev_null().map_err(fail)?
                    }
                    FdKind::Inherited | FdKind::Socket if s.host_fd < 0 => {
                        return Err(fail(Errno::Badf));
                    }
                    FdKind::Inherited | FdKind::Socket => sys::dup_raw(s.host_fd).map_err(fail)?,
                    FdKind::PreopenDir | FdKind::File | FdKind::Directory => {
                        let root = s
                            .preopen
                            .and_then(|i| roots.get(i as usize))
                            .ok_or_else(|| fail(Errno::Badf))?;
                        let path = if s.guest_path.is_empty() {
                            "."
                        } else {
                            &s.guest_path
                        };
                        let mut flags = host_open_flags(s.read, s.write, s.fdflags);
                        if s.kind != FdKind::File {
                            flags = libc::O_RDONLY | libc::O_DIRECTORY;
                        }
                        let fd =
                            sandbox::open(resolver, root.as_fd(), path, flags, 0).map_err(fail)?;
                        if s.kind == FdKind::File && s.fdflags & fdflags::APPEND == 0 {
                            // SAFETY: lseek on the fd just opened.
                            let r = unsafe {
                                libc::lseek(fd.as_raw_fd(), s.offset as i64, libc::SEEK_SET)
                            };
                            if r < 0 {
                                let e = Errno::last();
                                if e != Errno::Spipe {
                                    return Err(fail(e));
                                }
                            }
                        }
                        fd
                    }
                }
            };
            let fd = s.fd;
            let entry = FdEntry::new(s, host).map_err(|errno| WasiError::Restore {
                fd,
                path: String::new(),
                errno,
            })?;
            fds.insert_at(fd, entry);
        }
        let host_now = |id| sys::clock_ns(id).unwrap_or(0) as i64;
        let clocks = ClockOffsets {
            monotonic: (state.clocks.monotonic_ns as i64)
                .wrapping_sub(host_now(libc::CLOCK_MONOTONIC)),
            process: (state.clocks.process_cputime_ns as i64)
                .wrapping_sub(host_now(libc::CLOCK_PROCESS_CPUTIME_ID)),
            thread: (state.clocks.thread_cputime_ns as i64)
                .wrapping_sub(host_now(libc::CLOCK_THREAD_CPUTIME_ID)),
        };
        let now = sys::clock_ns(libc::CLOCK_MONOTONIC).unwrap_or(0);
        let pending_poll = state.pending_poll.map(|p| LivePendingPoll {
            in_ptr: p.in_ptr,
            subscriptions: p.subscriptions,
            deadlines: p
                .remaining_ns
                .iter()
                .map(|&(i, r)| (i, now.saturating_add(r)))
                .collect(),
        });
        Ok(WasiCtx {
            args: state.args,
            env: state.env,
            preopens: state.preopens,
            fds,
            clocks,
            pending_poll,
            interrupt: Interrupt::new()?,
            resolver,
        })
    }
}
