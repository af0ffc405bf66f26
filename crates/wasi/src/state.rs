//! The plain-data part of the WASI state: everything a checkpoint needs to rebuild a
//! [`WasiCtx`](crate::WasiCtx), as simple owned fields with no host handles.
//!
//! [`WasiCtx::snapshot`](crate::WasiCtx::snapshot) fills it (querying live file offsets
//! and clocks); [`WasiCtx::restore`](crate::WasiCtx::restore) rebuilds the live context
//! from it. A snapshot writer serializes these structs field by field; nothing here
//! depends on the process it came from.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// All WASI state of one guest, as plain data.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WasiState {
    /// Guest `argv`, `argv[0]` first.
    pub args: Vec<String>,
    /// Guest environment as `KEY=VALUE` strings, in the order given.
    pub env: Vec<String>,
    /// Preopened directories, in preopen order.
    pub preopens: Vec<PreopenState>,
    /// Every open guest fd, ascending by number.
    pub fds: Vec<FdState>,
    /// Guest clock readings at snapshot time (for monotonic continuity after restore).
    pub clocks: ClockState,
    /// An interrupted `poll_oneoff` waiting to be re-issued, if any.
    pub pending_poll: Option<PendingPoll>,
}

/// One preopened directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreopenState {
    /// The host directory.
    pub host_path: PathBuf,
    /// The name the guest sees (`fd_prestat_dir_name`).
    pub guest_path: String,
}

/// What kind of host object a guest fd refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum FdKind {
    /// A stdio handle (host stdio, `/dev/null` or an embedder-supplied handle).
    Inherited = 0,
    /// A preopened directory: `preopen` says which.
    PreopenDir = 1,
    /// A regular file (or other non-directory) opened through `path_open`.
    File = 2,
    /// A directory opened through `path_open`.
    Directory = 3,
    /// A socket handed in by the embedder or returned by `sock_accept`.
    Socket = 4,
}

/// One entry of the guest fd table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FdState {
    /// The guest fd number.
    pub fd: u32,
    /// What it refers to.
    pub kind: FdKind,
    /// Index into [`WasiState::preopens`] of the preopen it was opened beneath (for
    /// `PreopenDir`, `File` and `Directory`).
    pub preopen: Option<u32>,
    /// Path relative to that preopen's root, exactly as resolved when opened (the
    /// guest's `path_open` paths joined with `/`; empty for the preopen itself).
    pub guest_path: String,
    /// File offset (queried from the host at snapshot time; 0 for non-seekable fds).
    pub offset: u64,
    /// `fdflags` the guest set.
    pub fdflags: u16,
    /// Opened for reading.
    pub read: bool,
    /// Opened for writing.
    pub write: bool,
    /// `fs_rights_base`.
    pub rights_base: u64,
    /// `fs_rights_inheriting`.
    pub rights_inheriting: u64,
    /// For `Inherited`: the host's stdio number (0, 1, 2) that `restore` duplicates in
    /// the new process, or -1 for `/dev/null`. [`HOST_FD_SUPPLIED`] for handles the
    /// embedder supplied (custom stdio, sockets, accepted sockets), which `restore_with`
    /// must be given again. -1 for everything reopened by path.
    pub host_fd: i32,
}

impl FdState {
    /// Whether this is a listening socket (one that may `sock_accept`, as the
    /// sockets an embedder hands in do); a connection `sock_accept` returned
    /// has no such right.
    pub fn is_listener(&self) -> bool {
        self.kind == FdKind::Socket && self.rights_base & crate::types::rights::SOCK_ACCEPT != 0
    }
}

/// [`FdState::host_fd`] of a handle the embedder supplied and must supply again on restore.
pub const HOST_FD_SUPPLIED: i32 = -2;

/// Guest-visible clock readings, in nanoseconds, at snapshot time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClockState {
    /// `clock_time_get(MONOTONIC)`.
    pub monotonic_ns: u64,
    /// `clock_time_get(PROCESS_CPUTIME_ID)`.
    pub process_cputime_ns: u64,
    /// `clock_time_get(THREAD_CPUTIME_ID)`.
    pub thread_cputime_ns: u64,
}

/// An interrupted `poll_oneoff`: re-issuing the same call (same `in_ptr`, `nsubs` and
/// subscription bytes) resumes with these remaining timeouts instead of restarting them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingPoll {
    /// The `in` pointer of the call.
    pub in_ptr: u32,
    /// The subscription bytes (`48 * nsubs`), to recognise the re-issued call.
    pub subscriptions: Vec<u8>,
    /// For each clock subscription (by index), the nanoseconds left until it fires.
    pub remaining_ns: Vec<(u32, u64)>,
}
