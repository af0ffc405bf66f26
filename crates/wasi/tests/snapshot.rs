//! `snapshot` → `restore`: the fd table (kinds, paths, offsets, flags, rights), args,
//! env, clocks and an interrupted poll survive; files are reopened at their offsets.

mod common;

use common::{Guest, RES, ROOT_FD};
use tern_wasi::types::{clockid, fdflags, oflags, rights, whence};
use tern_wasi::{Completion, Errno, FdKind, WasiCtx};

#[test]
fn fd_table_round_trip() {
    let mut g = Guest::with("snap", |b| b.env("K", "V").arg("one"));
    g.mkdir("dir").unwrap();
    g.mkdir("dir/sub").unwrap();
    let f = g.open("dir/sub/data", oflags::CREAT).unwrap();
    g.write(f, b"0123456789abcdef").unwrap();
    g.seek(f, 10, whence::SET).unwrap();
    let d = g
        .open_at(
            ROOT_FD,
            "dir",
            oflags::DIRECTORY,
            rights::ALL & !rights::FD_WRITE,
            0,
            true,
        )
        .unwrap();
    // A file opened relative to a non-preopen directory fd.
    let f2 = g
        .open_at(
            d,
            "sub/../sub/data",
            0,
            rights::FD_READ | rights::FD_SEEK | rights::FD_TELL,
            0,
            true,
        )
        .unwrap();
    g.seek(f2, 3, whence::SET).unwrap();
    let ap = g
        .open_at(
            ROOT_FD,
            "log",
            oflags::CREAT,
            rights::ALL,
            fdflags::APPEND,
            true,
        )
        .unwrap();
    g.write(ap, b"first;").unwrap();
    g.ctx
        .fd_fdstat_set_rights(f, rights::FD_READ | rights::FD_SEEK | rights::FD_WRITE, 0)
        .unwrap();
    g.ctx.fd_renumber(f, 9).unwrap_err();
    g.ctx
        .clock_time_get(&mut g.mem, clockid::MONOTONIC, 0, RES)
        .unwrap();
    let mono_before = g.u64_at(RES);

    let state = g.ctx.snapshot();
    assert_eq!(state.args, vec!["prog", "one"]);
    assert_eq!(state.env, vec!["K=V"]);
    let fs = state.fds.iter().find(|s| s.fd == f).unwrap();
    assert_eq!(
        (fs.kind, fs.offset, fs.guest_path.as_str(), fs.preopen),
        (FdKind::File, 10, "dir/sub/data", Some(0))
    );
    let f2s = state.fds.iter().find(|s| s.fd == f2).unwrap();
    assert_eq!(
        (f2s.guest_path.as_str(), f2s.offset, f2s.write),
        ("dir/sub/../sub/data", 3, false)
    );
    assert_eq!(
        state.fds.iter().find(|s| s.fd == d).unwrap().kind,
        FdKind::Directory
    );
    assert_eq!(
        state.fds.iter().find(|s| s.fd == ROOT_FD).unwrap().kind,
        FdKind::PreopenDir
    );

    // The old context goes away (as in a new process), then everything is rebuilt.
    let copy = state.clone();
    drop(std::mem::replace(
        &mut g.ctx,
        WasiCtx::restore(state).unwrap(),
    ));
    assert_eq!(g.ctx.snapshot().fds.len(), copy.fds.len());
    assert_eq!(g.read(f, 100).unwrap(), b"abcdef");
    assert_eq!(g.read(f2, 4).unwrap(), b"3456");
    assert_eq!(g.write(f, b"x"), Ok(1));
    // Rights were restored (no FD_TELL on f).
    assert_eq!(g.ctx.fd_tell(&mut g.mem, f, RES), Err(Errno::Notcapable));
    g.write(ap, b"second").unwrap();
    assert_eq!(std::fs::read(g.host("log")).unwrap(), b"first;second");
    // The directory fd still works for paths.
    let again = g
        .open_at(d, "sub/data", 0, rights::FD_READ, 0, true)
        .unwrap();
    assert_eq!(g.read(again, 4).unwrap(), b"0123");
    // Preopen and its name.
    let name = g.alloc(16);
    g.ctx
        .fd_prestat_dir_name(&mut g.mem, ROOT_FD, name, 16)
        .unwrap();
    assert_eq!(g.bytes(name, 8), b"/sandbox");
    // Args, env, monotonic continuity.
    g.ctx.args_sizes_get(&mut g.mem, RES, RES + 4).unwrap();
    assert_eq!(g.u32_at(RES), 2);
    g.ctx
        .clock_time_get(&mut g.mem, clockid::MONOTONIC, 0, RES)
        .unwrap();
    assert!(g.u64_at(RES) >= mono_before);
    // The guest's monotonic clock continued from the snapshot's reading.
    let now = g.ctx.snapshot().clocks.monotonic_ns;
    assert!(now >= copy.clocks.monotonic_ns && now - copy.clocks.monotonic_ns < 5_000_000_000);
}

#[test]
fn restore_fails_for_missing_file_and_accepts_handles() {
    let mut g = Guest::new("snapfail");
    let f = g.open("gone", oflags::CREAT).unwrap();
    let state = g.ctx.snapshot();
    std::fs::remove_file(g.host("gone")).unwrap();
    let err = WasiCtx::restore(state.clone()).unwrap_err();
    assert!(err.to_string().contains("gone"), "{err}");
    // The embedder may hand a replacement for that fd.
    let h = std::fs::File::create(g.root().join("replacement")).unwrap();
    let ctx = WasiCtx::restore_with(state, vec![(f, h.into())]).unwrap();
    assert_eq!(ctx.snapshot().fds.len(), 5);
}

#[test]
fn interrupted_poll_resumes_after_restore() {
    let mut g = Guest::new("snappoll");
    let mut s = vec![0u8; 48];
    s[8] = 0;
    s[16..20].copy_from_slice(&clockid::MONOTONIC.to_le_bytes());
    s[24..32].copy_from_slice(&1_000_000_000u64.to_le_bytes());
    let input = g.put(&s).0;
    let out = g.alloc(32);
    g.ctx.interrupt().request();
    assert_eq!(
        g.ctx.poll_oneoff(&mut g.mem, input, out, 1, RES),
        Ok(Completion::Interrupted)
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    let state = g.ctx.snapshot();
    let pending = state.pending_poll.clone().unwrap();
    assert_eq!(pending.in_ptr, input);
    let left = pending.remaining_ns[0].1;
    assert!(left < 600_000_000 && left > 50_000_000, "{left}");
    g.ctx = WasiCtx::restore(state).unwrap();
    let t = std::time::Instant::now();
    assert_eq!(
        g.ctx.poll_oneoff(&mut g.mem, input, out, 1, RES),
        Ok(Completion::Done)
    );
    assert!(
        t.elapsed() < std::time::Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn supplied_handles_must_be_supplied_again() {
    let mut fds = [0i32; 2];
    // SAFETY: valid out array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    use std::os::fd::{FromRawFd, OwnedFd};
    // SAFETY: fresh fds.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let g = Guest::with("snapstdio", |b| b.stdin(r));
    let state = g.ctx.snapshot();
    let stdin = state.fds.iter().find(|s| s.fd == 0).unwrap();
    assert_eq!(
        (stdin.kind, stdin.host_fd),
        (FdKind::Inherited, tern_wasi::HOST_FD_SUPPLIED)
    );
    // stdout/stderr were /dev/null.
    assert_eq!(state.fds.iter().find(|s| s.fd == 1).unwrap().host_fd, -1);
    assert!(WasiCtx::restore(state.clone()).is_err());
    let mut g2 = Guest::new("snapstdio2");
    g2.ctx = WasiCtx::restore_with(state, vec![(0, w)]).unwrap();
    // fd 0 is now the write end we supplied.
    assert_eq!(g2.write(0, b"x"), Ok(1));
}

/// Restore continues the guest's clocks from the snapshot's readings (as in a new
/// process, where the host clocks start elsewhere).
#[test]
fn clocks_continue_from_snapshot_readings() {
    let g = Guest::new("snapclock");
    let mut state = g.ctx.snapshot();
    state.clocks.monotonic_ns += 1_000_000_000_000; // the old process ran 1000 s longer
    state.clocks.process_cputime_ns += 50_000_000_000;
    let want_mono = state.clocks.monotonic_ns;
    let want_cpu = state.clocks.process_cputime_ns;
    let mut g2 = Guest::new("snapclock2");
    g2.ctx = WasiCtx::restore(state).unwrap();
    g2.ctx
        .clock_time_get(&mut g2.mem, clockid::MONOTONIC, 0, RES)
        .unwrap();
    let mono = g2.u64_at(RES);
    assert!(
        mono >= want_mono && mono - want_mono < 5_000_000_000,
        "{mono} {want_mono}"
    );
    g2.ctx
        .clock_time_get(&mut g2.mem, clockid::PROCESS_CPUTIME_ID, 0, RES)
        .unwrap();
    let cpu = g2.u64_at(RES);
    assert!(
        cpu >= want_cpu && cpu - want_cpu < 5_000_000_000,
        "{cpu} {want_cpu}"
    );
}
