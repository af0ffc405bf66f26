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
    for note in ignored_options(&state, opts) {
        eprintln!("tern: {note}");
    }
    let state = regrant_preopens(state, &opts.dirs)?;
    let handles = socket_handles(&state, &opts.tcplisten)?;
    WasiCtx::restore_with(state, handles).map_err(|e| e.to_string())
}

/// What a restore given other guest arguments, `argv[0]` or environment
/// than the first run's says about them: the snapshot's win (the program
/// has already read them, and may have acted on them), so a difference is
/// a mistake worth a note on stderr, not a reason to refuse the resume.
/// Options left out, or given as before, say nothing.
fn ignored_options(state: &WasiState, opts: &Options) -> Vec<String> {
    let mut notes = Vec::new();
    let (saved_argv0, saved_args) = match state.args.split_first() {
        Some((first, rest)) => (first.as_str(), rest),
        None => ("", &[][..]),
    };
    if let Some(argv0) = opts.argv0.as_deref().filter(|a| *a != saved_argv0) {
        notes.push(format!(
            "--argv0 {argv0} ignored: a restored program keeps its first run's argv[0] `{saved_argv0}`"
        ));
    }
    let guest_args = &opts.guest_args;
    if opts.invoke.is_none() && !guest_args.is_empty() && guest_args[..] != *saved_args {
        notes.push(format!(
            "guest arguments {guest_args:?} ignored: a restored program keeps its first run's {saved_args:?}"
        ));
    }
    let given_env = !opts.env.is_empty() || opts.inherit_env;
    let env: Vec<String> = super::environment(opts)
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if given_env && env != state.env {
        notes.push(
            "--env/--inherit-env ignored: a restored program keeps its first run's environment"
                .to_string(),
        );
    }
    notes
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

#[cfg(test)]
mod tests {
    use super::*;

    fn saved() -> WasiState {
        WasiState {
            args: vec!["job.wasm".into(), "10".into()],
            env: vec!["MODE=fast".into()],
            ..WasiState::default()
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_given_as_before_or_left_out_say_nothing() {
        let same = Options {
            argv0: Some("job.wasm".into()),
            guest_args: strings(&["10"]),
            env: strings(&["MODE=fast"]),
            ..Options::default()
        };
        assert!(ignored_options(&saved(), &same).is_empty());
        assert!(ignored_options(&saved(), &Options::default()).is_empty());
    }

    #[test]
    fn other_arguments_argv0_and_environment_are_each_named() {
        let other = Options {
            argv0: Some("other".into()),
            guest_args: strings(&["20"]),
            env: strings(&["MODE=slow"]),
            ..Options::default()
        };
        let notes = ignored_options(&saved(), &other);
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].starts_with("--argv0 other ignored") && notes[0].contains("`job.wasm`"));
        assert!(notes[1].contains(r#"["20"] ignored"#) && notes[1].contains(r#"["10"]"#));
        assert!(notes[2].starts_with("--env/--inherit-env ignored"));
    }

    #[test]
    fn arguments_of_an_invoked_function_are_not_guest_arguments() {
        let invoked = Options {
            invoke: Some("f".into()),
            guest_args: strings(&["1", "2"]),
            ..Options::default()
        };
        assert!(ignored_options(&saved(), &invoked).is_empty());
    }
}
