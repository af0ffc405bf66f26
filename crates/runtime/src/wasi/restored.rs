//! The WASI context of a restored program: the snapshot's state, with what
//! only the user may grant given again.
//!
//! A snapshot names the host folders its preopens came from and the
//! sockets the program held, but it never opens a host folder or a port by
//! itself: every preopen must be given again with `--dir HOST::GUEST`, and
//! every listening socket with `--tcplisten ADDR`, so a restore on another
//! machine can map them elsewhere. Connections the program had accepted do
//! not survive a migration: each becomes a closed socket, so the program
//! sees end-of-file on it and can go on serving others.

use std::os::fd::OwnedFd;

use tern_wasi::{FdKind, FdState, WasiCtx, WasiState, HOST_FD_SUPPLIED};

use crate::options::Options;

/// Rebuilds the context of a program restored from `state`, with the
/// preopens (`--dir`) and listening sockets (`--tcplisten`) of `opts`.
/// `SIGPIPE` is ignored from then on, as for a fresh run.
///
/// # Errors
/// A message naming what is missing or cannot be reopened.
pub fn restore_context(state: WasiState, opts: &Options) -> Result<WasiCtx, String> {
    tern_wasi::ignore_sigpipe();
    let state = regrant_preopens(state, &opts.dirs)?;
    let handles = socket_handles(&state, &opts.tcplisten)?;
    WasiCtx::restore_with(state, handles).map_err(|e| e.to_string())
}

/// Points every preopen at the host folder `--dir HOST::GUEST` gives for
/// its guest path (any host folder, same guest path).
fn regrant_preopens(mut state: WasiState, dirs: &[(String, String)]) -> Result<WasiState, String> {
    for p in &mut state.preopens {
        match dirs.iter().find(|(_, guest)| *guest == p.guest_path) {
            Some((host, _)) => p.host_path = std::path::PathBuf::from(host),
            None => {
                return Err(format!(
                    "cannot restore: the program had `{}` preopened (from {}); grant it again with --dir HOST::{}",
                    p.guest_path,
                    p.host_path.display(),
                    p.guest_path
                ))
            }
        }
    }
    Ok(state)
}

/// The host handles of the program's sockets: a new listener on each
/// `--tcplisten` address for its listening sockets (in guest-fd order, the
/// order the first run's `--tcplisten` gave them), a closed socket for each
/// connection it had accepted.
fn socket_handles(state: &WasiState, listen: &[String]) -> Result<Vec<(u32, OwnedFd)>, String> {
    let mut sockets: Vec<&FdState> = state
        .fds
        .iter()
        .filter(|f| f.kind == FdKind::Socket && f.host_fd == HOST_FD_SUPPLIED)
        .collect();
    sockets.sort_by_key(|f| f.fd);
    let (listeners, connections): (Vec<&FdState>, Vec<&FdState>) =
        sockets.into_iter().partition(|f| f.is_listener());
    if listeners.len() != listen.len() {
        let fds: Vec<String> = listeners.iter().map(|f| f.fd.to_string()).collect();
        return Err(format!(
            "cannot restore: the program had {} listening socket(s) (guest fds: {}) and the restore gives {} --tcplisten; give each again with --tcplisten ADDR, in the same order",
            listeners.len(),
            if fds.is_empty() { "none".to_string() } else { fds.join(", ") },
            listen.len()
        ));
    }
    let mut handles = Vec::new();
    for (socket, addr) in listeners.iter().zip(listen) {
        handles.push((socket.fd, super::listen(addr)?));
    }
    for socket in connections {
        let (kept, peer) = std::os::unix::net::UnixStream::pair()
            .map_err(|e| format!("cannot restore guest fd {}: {e}", socket.fd))?;
        drop(peer);
        eprintln!(
            "tern: guest fd {} was a connection accepted before the checkpoint; it is closed after the restore",
            socket.fd
        );
        handles.push((socket.fd, OwnedFd::from(kept)));
    }
    Ok(handles)
}
