//! args/environ, clocks, random, proc_*, sched_yield, sockets, and the dispatch table.

mod common;

use common::{Guest, RES};
use std::os::fd::{FromRawFd, OwnedFd};
use tern_wasi::dispatch::{self, Outcome, ValType};
use tern_wasi::types::{clockid, oflags, rights, sockflags};
use tern_wasi::{Completion, Errno, Raise};

#[test]
fn args_and_environ() {
    let mut g = Guest::with("args", |b| {
        b.arg("x y").arg("ü").env("A", "1").env("B", "two")
    });
    g.ctx.args_sizes_get(&mut g.mem, RES, RES + 4).unwrap();
    assert_eq!((g.u32_at(RES), g.u32_at(RES + 4)), (3, 5 + 4 + 3));
    let argv = g.alloc(12);
    let buf = g.alloc(12);
    g.ctx.args_get(&mut g.mem, argv, buf).unwrap();
    assert_eq!(g.bytes(buf, 12), b"prog\0x y\0\xc3\xbc\0");
    assert_eq!(g.u32_at(argv + 4), buf + 5);
    g.ctx.environ_sizes_get(&mut g.mem, RES, RES + 4).unwrap();
    assert_eq!((g.u32_at(RES), g.u32_at(RES + 4)), (2, 4 + 6));
    let env = g.alloc(8);
    let ebuf = g.alloc(10);
    g.ctx.environ_get(&mut g.mem, env, ebuf).unwrap();
    assert_eq!(g.bytes(ebuf, 10), b"A=1\0B=two\0");
    let len = g.mem.len() as u32;
    assert_eq!(g.ctx.args_get(&mut g.mem, argv, len - 3), Err(Errno::Fault));
    assert_eq!(
        g.ctx.environ_sizes_get(&mut g.mem, len, 0),
        Err(Errno::Fault)
    );
}

#[test]
fn clocks_and_random() {
    let mut g = Guest::new("clock");
    for id in [
        clockid::REALTIME,
        clockid::MONOTONIC,
        clockid::PROCESS_CPUTIME_ID,
        clockid::THREAD_CPUTIME_ID,
    ] {
        g.ctx.clock_res_get(&mut g.mem, id, RES).unwrap();
        assert!(g.u64_at(RES) > 0);
        g.ctx.clock_time_get(&mut g.mem, id, 1, RES).unwrap();
        let a = g.u64_at(RES);
        g.ctx.clock_time_get(&mut g.mem, id, 1, RES).unwrap();
        assert!(g.u64_at(RES) >= a);
    }
    g.ctx
        .clock_time_get(&mut g.mem, clockid::REALTIME, 1, RES)
        .unwrap();
    assert!(g.u64_at(RES) > 1_600_000_000_000_000_000);
    assert_eq!(
        g.ctx.clock_time_get(&mut g.mem, 4, 1, RES),
        Err(Errno::Inval)
    );
    assert_eq!(g.ctx.clock_res_get(&mut g.mem, 9, RES), Err(Errno::Inval));
    let len = g.mem.len() as u32;
    assert_eq!(
        g.ctx.clock_time_get(&mut g.mem, 0, 1, len - 4),
        Err(Errno::Fault)
    );
    let buf = g.alloc(4096);
    g.ctx.random_get(&mut g.mem, buf, 4096).unwrap();
    assert!(g.bytes(buf, 4096).iter().filter(|&&b| b != 0).count() > 3000);
    g.ctx.random_get(&mut g.mem, buf, 0).unwrap();
    assert_eq!(
        g.ctx.random_get(&mut g.mem, len - 10, 11),
        Err(Errno::Fault)
    );
}

#[test]
fn proc_and_sched() {
    let mut g = Guest::new("proc");
    assert_eq!(g.ctx.proc_exit(3).0, 3);
    assert_eq!(g.ctx.proc_raise(0), Ok(Raise::Ignored));
    assert_eq!(g.ctx.proc_raise(16), Ok(Raise::Ignored));
    assert_eq!(g.ctx.proc_raise(15), Ok(Raise::Terminate(15)));
    assert_eq!(g.ctx.proc_raise(31), Err(Errno::Inval));
    g.ctx.sched_yield().unwrap();
}

fn socketpair() -> (OwnedFd, OwnedFd) {
    let mut fds = [0i32; 2];
    // SAFETY: valid out array.
    assert_eq!(
        unsafe {
            libc::socketpair(
                libc::AF_UNIX,
                libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
                0,
                fds.as_mut_ptr(),
            )
        },
        0
    );
    // SAFETY: fresh fds.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn iov(g: &mut Guest, data: &[u8]) -> (u32, u32) {
    let (p, l) = g.put(data);
    (g.put(&[p.to_le_bytes(), l.to_le_bytes()].concat()).0, p)
}

#[test]
fn sockets_send_recv_shutdown() {
    let (mine, theirs) = socketpair();
    let mut g = Guest::with("sock", |b| b.socket(theirs));
    let s = 4; // after the preopen
    g.ctx.fd_fdstat_get(&mut g.mem, s, RES).unwrap();
    assert_eq!(
        g.mem[RES as usize],
        tern_wasi::types::filetype::SOCKET_STREAM
    );
    let (v, _) = iov(&mut g, b"ping");
    g.ctx.sock_send(&mut g.mem, s, v, 1, 0, RES).unwrap();
    assert_eq!(g.u32_at(RES), 4);
    let mut buf = [0u8; 4];
    use std::io::{Read, Write};
    let mut peer = std::os::unix::net::UnixStream::from(mine);
    peer.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
    peer.write_all(b"pong!").unwrap();
    let (v, p) = iov(&mut g, &[0u8; 8]);
    assert_eq!(
        g.ctx.sock_recv(
            &mut g.mem,
            s,
            v,
            1,
            sockflags::RECV_PEEK.into(),
            RES,
            RES + 8
        ),
        Ok(Completion::Done)
    );
    assert_eq!(g.u32_at(RES), 5);
    assert_eq!(
        g.ctx.sock_recv(&mut g.mem, s, v, 1, 0, RES, RES + 8),
        Ok(Completion::Done)
    );
    assert_eq!(g.bytes(p, 5), b"pong!");
    assert_eq!(
        g.ctx.sock_recv(&mut g.mem, s, v, 1, 0x80, RES, RES + 8),
        Err(Errno::Inval)
    );
    // Blocked recv is interruptible.
    let intr = g.ctx.interrupt().clone();
    let h = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(30));
        intr.request();
    });
    assert_eq!(
        g.ctx.sock_recv(&mut g.mem, s, v, 1, 0, RES, RES + 8),
        Ok(Completion::Interrupted)
    );
    h.join().unwrap();
    g.ctx.interrupt().clear();
    g.ctx.sock_shutdown(s, sockflags::SHUT_WR.into()).unwrap();
    let mut rest = Vec::new();
    peer.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    assert_eq!(g.ctx.sock_shutdown(s, 0), Err(Errno::Inval));
    assert_eq!(g.ctx.sock_shutdown(99, 1), Err(Errno::Badf));
    // Not-a-socket errors.
    let f = g.open("f", oflags::CREAT).unwrap();
    let (v, _) = iov(&mut g, b"x");
    assert_eq!(
        g.ctx.sock_send(&mut g.mem, f, v, 1, 0, RES),
        Err(Errno::Notsock)
    );
    assert_eq!(g.ctx.sock_shutdown(f, 1), Err(Errno::Notcapable));
    assert_eq!(
        g.ctx.sock_accept(&mut g.mem, f, 0, RES),
        Err(Errno::Notcapable)
    );
}

#[test]
fn sock_accept_on_listener() {
    let dir = common::TempDir::new("listen");
    let path = dir.0.join("sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let mut g = Guest::with("accept", |b| b.socket(OwnedFd::from(listener)));
    let s = 4;
    // Non-blocking accept with nobody connecting.
    assert_eq!(
        g.ctx
            .fd_fdstat_set_flags(s, tern_wasi::types::fdflags::NONBLOCK.into()),
        Ok(())
    );
    assert_eq!(g.ctx.sock_accept(&mut g.mem, s, 0, RES), Err(Errno::Again));
    g.ctx.fd_fdstat_set_flags(s, 0).unwrap();
    let p2 = path.clone();
    let h = std::thread::spawn(move || {
        let mut c = std::os::unix::net::UnixStream::connect(p2).unwrap();
        use std::io::Write;
        c.write_all(b"hi").unwrap();
    });
    assert_eq!(
        g.ctx.sock_accept(&mut g.mem, s, 0, RES),
        Ok(Completion::Done)
    );
    let conn = g.u32_at(RES);
    h.join().unwrap();
    assert_eq!(g.read(conn, 10).unwrap(), b"hi");
    assert_eq!(g.ctx.sock_accept(&mut g.mem, s, 1, RES), Err(Errno::Inval));
    assert_eq!(
        g.ctx.sock_accept(&mut g.mem, conn, 0, RES),
        Err(Errno::Notcapable)
    );
}

/// Socket calls on a pipe fail at once (they must not wait for data that never comes),
/// and accept on a connected socket is EINVAL instead of a wait.
#[test]
fn socket_calls_on_non_sockets_fail_without_waiting() {
    let mut fds = [0i32; 2];
    // SAFETY: valid out array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: fresh fds; the write end stays open so a read would block.
    let (r, _w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let (mine, theirs) = socketpair();
    let mut g = Guest::with("notsock", |b| b.stdin(r).socket(theirs));
    let (iovs, _) = iov(&mut g, b"xyz");
    // Refused (no right, or not a socket) rather than waiting.
    let refused = |r: Result<tern_wasi::Completion, Errno>| {
        matches!(r, Err(Errno::Notsock | Errno::Notcapable))
    };
    assert!(refused(g.ctx.sock_accept(&mut g.mem, 0, 0, RES)));
    assert!(refused(g.ctx.sock_recv(
        &mut g.mem,
        0,
        iovs,
        1,
        0,
        RES,
        RES + 4
    )));
    assert!(refused(g.ctx.sock_send(&mut g.mem, 0, iovs, 1, 0, RES)));
    assert!(matches!(
        g.ctx.sock_shutdown(0, 2),
        Err(Errno::Notsock | Errno::Notcapable)
    ));
    // fd 4 is a connected stream socket with no pending connection: accept is EINVAL.
    let connected = 4;
    let e = g.ctx.fd_fdstat_get(&mut g.mem, connected, RES);
    assert_eq!(e, Ok(()));
    let rights = g.u64_at(RES + 8);
    if rights & tern_wasi::types::rights::SOCK_ACCEPT != 0 {
        assert_eq!(
            g.ctx.sock_accept(&mut g.mem, connected, 0, RES),
            Err(Errno::Inval)
        );
    }
    drop(mine);
}

#[test]
fn dispatch_by_name() {
    let mut g = Guest::with("dispatch", |b| b.arg("a1"));
    let sig = dispatch::lookup("fd_seek").unwrap();
    assert_eq!(
        sig.params,
        &[ValType::I32, ValType::I64, ValType::I32, ValType::I32]
    );
    assert_eq!(dispatch::lookup("proc_exit").unwrap().results, &[]);
    assert!(dispatch::lookup("nope").is_none());
    assert_eq!(
        dispatch::call(
            &mut g.ctx,
            &mut g.mem,
            "args_sizes_get",
            &[RES as u64, RES as u64 + 4]
        ),
        Outcome::Return(Errno::Success)
    );
    assert_eq!(g.u32_at(RES), 2);
    assert_eq!(
        dispatch::call(&mut g.ctx, &mut g.mem, "fd_close", &[77]),
        Outcome::Return(Errno::Badf)
    );
    assert_eq!(
        dispatch::call(&mut g.ctx, &mut g.mem, "proc_exit", &[5]),
        Outcome::Exit(5)
    );
    assert_eq!(
        dispatch::call(&mut g.ctx, &mut g.mem, "proc_raise", &[6]),
        Outcome::Raise(6)
    );
    assert_eq!(
        dispatch::call(&mut g.ctx, &mut g.mem, "fd_close", &[]),
        Outcome::BadCall
    );
    assert_eq!(
        dispatch::call(&mut g.ctx, &mut g.mem, "bogus", &[]),
        Outcome::BadCall
    );
    // path_open through dispatch with i64 rights.
    let (p, l) = g.put(b"viadispatch");
    let r = dispatch::call(
        &mut g.ctx,
        &mut g.mem,
        "path_open",
        &[
            3,
            1,
            p as u64,
            l as u64,
            oflags::CREAT as u64,
            rights::ALL,
            rights::ALL,
            0,
            RES as u64,
        ],
    );
    assert_eq!(r, Outcome::Return(Errno::Success));
    assert!(g.host("viadispatch").exists());
    // fd_seek with a negative i64 passed as its bits.
    let fd = g.u32_at(RES) as u64;
    assert_eq!(
        dispatch::call(
            &mut g.ctx,
            &mut g.mem,
            "fd_seek",
            &[fd, (-1i64) as u64, 0, RES as u64]
        ),
        Outcome::Return(Errno::Inval)
    );
    g.ctx.interrupt().request();
    let (a, b) = (g.alloc(48), g.alloc(32));
    g.mem[a as usize + 24..a as usize + 32].copy_from_slice(&1_000_000_000u64.to_le_bytes());
    g.mem[a as usize + 16] = 1;
    assert_eq!(
        dispatch::call(
            &mut g.ctx,
            &mut g.mem,
            "poll_oneoff",
            &[a as u64, b as u64, 1, RES as u64]
        ),
        Outcome::Interrupted
    );
}

#[test]
fn datagram_truncation_flag() {
    let mut fds = [0i32; 2];
    // SAFETY: valid out array.
    assert_eq!(
        unsafe {
            libc::socketpair(
                libc::AF_UNIX,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                0,
                fds.as_mut_ptr(),
            )
        },
        0
    );
    // SAFETY: fresh fds.
    let (mine, theirs) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let mut g = Guest::with("dgram", |b| b.socket(theirs));
    g.ctx.fd_fdstat_get(&mut g.mem, 4, RES).unwrap();
    assert_eq!(
        g.mem[RES as usize],
        tern_wasi::types::filetype::SOCKET_DGRAM
    );
    let peer = std::os::unix::net::UnixDatagram::from(mine);
    peer.send(b"0123456789").unwrap();
    let (v, p) = iov(&mut g, &[0u8; 4]);
    assert_eq!(
        g.ctx.sock_recv(&mut g.mem, 4, v, 1, 0, RES, RES + 8),
        Ok(Completion::Done)
    );
    assert_eq!(g.u32_at(RES), 4);
    assert_eq!(g.bytes(p, 4), b"0123");
    assert_eq!(
        u16::from_le_bytes([g.mem[RES as usize + 8], g.mem[RES as usize + 9]]),
        sockflags::RECV_DATA_TRUNCATED
    );
}

/// Every function that takes an fd reports `EBADF` for one that is not open.
#[test]
fn every_fd_function_rejects_a_closed_fd() {
    let mut g = Guest::new("ebadf");
    // Every pointer is 1 and every length 1: strings read as "x".
    g.mem[1] = b'x';
    let mut checked = 0;
    for f in dispatch::FUNCS {
        let fd_args: &[usize] = match f.name {
            "path_symlink" => &[2],
            "path_link" => &[0, 4],
            "path_rename" => &[0, 3],
            "fd_renumber" => &[0, 1],
            n if n.starts_with("fd_") || n.starts_with("path_") || n.starts_with("sock_") => &[0],
            _ => continue,
        };
        for &bad in fd_args {
            let mut args: Vec<u64> = f
                .params
                .iter()
                .map(|t| match t {
                    ValType::I32 => 1,
                    ValType::I64 => 0,
                })
                .collect();
            for &i in fd_args {
                args[i] = 3;
            }
            args[bad] = 999;
            if f.name == "path_link" {
                args[1] = 0; // SYMLINK_FOLLOW would be EINVAL first
            }
            let r = dispatch::call(&mut g.ctx, &mut g.mem, f.name, &args);
            assert_eq!(
                r,
                Outcome::Return(Errno::Badf),
                "{} with bad arg {bad}",
                f.name
            );
            checked += 1;
        }
    }
    // 21 fd_* (fd_renumber twice), 10 path_* (link and rename twice), 4 sock_*.
    assert_eq!(checked, 22 + 12 + 4);
}
