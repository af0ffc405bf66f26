//! `poll_oneoff` (clock timeouts, fd readiness, errors) and interruption of blocked
//! `poll_oneoff` and `fd_read`, including resuming a poll with its remaining timeout.

mod common;

use common::{Guest, RES, ROOT_FD};
use std::os::fd::{FromRawFd, OwnedFd};
use std::time::{Duration, Instant};
use tern_wasi::types::{clockid, eventrwflags, eventtype, oflags, subclockflags};
use tern_wasi::{Completion, Errno};

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0i32; 2];
    // SAFETY: valid out array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: fresh fds owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn clock_sub(userdata: u64, id: u32, timeout: u64, flags: u16) -> Vec<u8> {
    let mut s = vec![0u8; 48];
    s[0..8].copy_from_slice(&userdata.to_le_bytes());
    s[8] = eventtype::CLOCK;
    s[16..20].copy_from_slice(&id.to_le_bytes());
    s[24..32].copy_from_slice(&timeout.to_le_bytes());
    s[40..42].copy_from_slice(&flags.to_le_bytes());
    s
}

fn fd_sub(userdata: u64, tag: u8, fd: u32) -> Vec<u8> {
    let mut s = vec![0u8; 48];
    s[0..8].copy_from_slice(&userdata.to_le_bytes());
    s[8] = tag;
    s[16..20].copy_from_slice(&fd.to_le_bytes());
    s
}

/// (userdata, error, type, nbytes, flags) of each event written.
fn events(g: &Guest, out: u32) -> Vec<(u64, u16, u8, u64, u16)> {
    let n = g.u32_at(RES);
    (0..n)
        .map(|i| {
            let b = out + i * 32;
            let err = u16::from_le_bytes([g.mem[b as usize + 8], g.mem[b as usize + 9]]);
            let fl = u16::from_le_bytes([g.mem[b as usize + 24], g.mem[b as usize + 25]]);
            (
                g.u64_at(b),
                err,
                g.mem[b as usize + 10],
                g.u64_at(b + 16),
                fl,
            )
        })
        .collect()
}

fn poll(g: &mut Guest, subs: &[Vec<u8>]) -> (Result<Completion, Errno>, u32) {
    let input = g.put(&subs.concat()).0;
    let out = g.alloc(32 * subs.len() as u32);
    (
        g.ctx
            .poll_oneoff(&mut g.mem, input, out, subs.len() as u32, RES),
        out,
    )
}

#[test]
fn relative_clock_timeout() {
    let mut g = Guest::new("pollclock");
    let t = Instant::now();
    let (r, out) = poll(&mut g, &[clock_sub(7, clockid::MONOTONIC, 50_000_000, 0)]);
    assert_eq!(r, Ok(Completion::Done));
    assert!(t.elapsed() >= Duration::from_millis(50));
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(events(&g, out), vec![(7, 0, eventtype::CLOCK, 0, 0)]);
    // Earliest of two clocks fires alone.
    let (r, out) = poll(
        &mut g,
        &[
            clock_sub(1, clockid::MONOTONIC, 5_000_000_000, 0),
            clock_sub(2, clockid::REALTIME, 10_000_000, 0),
        ],
    );
    assert_eq!(r, Ok(Completion::Done));
    assert_eq!(events(&g, out), vec![(2, 0, eventtype::CLOCK, 0, 0)]);
}

#[test]
fn absolute_clock_timeout() {
    let mut g = Guest::new("pollabs");
    g.ctx
        .clock_time_get(&mut g.mem, clockid::MONOTONIC, 0, RES)
        .unwrap();
    let now = g.u64_at(RES);
    let t = Instant::now();
    let (r, out) = poll(
        &mut g,
        &[clock_sub(
            3,
            clockid::MONOTONIC,
            now + 30_000_000,
            subclockflags::ABSTIME,
        )],
    );
    assert_eq!(r, Ok(Completion::Done));
    assert!(t.elapsed() >= Duration::from_millis(25));
    assert_eq!(events(&g, out).len(), 1);
    // A deadline at the end of time does not fire (the other one does).
    let (r, out) = poll(
        &mut g,
        &[
            clock_sub(8, clockid::MONOTONIC, u64::MAX, subclockflags::ABSTIME),
            clock_sub(9, clockid::MONOTONIC, 10_000_000, 0),
        ],
    );
    assert_eq!(r, Ok(Completion::Done));
    assert_eq!(events(&g, out), vec![(9, 0, eventtype::CLOCK, 0, 0)]);
    // A deadline in the past fires at once.
    let (r, _) = poll(
        &mut g,
        &[clock_sub(3, clockid::REALTIME, 1, subclockflags::ABSTIME)],
    );
    assert_eq!(r, Ok(Completion::Done));
}

#[test]
fn poll_errors() {
    let mut g = Guest::new("pollerr");
    let out = g.alloc(64);
    assert_eq!(
        g.ctx.poll_oneoff(&mut g.mem, out, out, 0, RES),
        Err(Errno::Inval)
    );
    assert_eq!(
        g.ctx.poll_oneoff(&mut g.mem, u32::MAX - 10, out, 1, RES),
        Err(Errno::Fault)
    );
    // A bad fd or an unknown clock fails the whole call (as Wasmtime).
    let (r, _) = poll(
        &mut g,
        &[
            fd_sub(1, eventtype::FD_READ, 99),
            clock_sub(3, clockid::MONOTONIC, 10_000_000_000, 0),
        ],
    );
    assert_eq!(r, Err(Errno::Badf));
    let (r, _) = poll(&mut g, &[clock_sub(2, 77, 0, 0)]);
    assert_eq!(r, Err(Errno::Inval));
    // CPU-time clocks and missing rights give error events, immediately.
    g.ctx.fd_fdstat_set_rights(ROOT_FD, 0, 0).unwrap();
    let (r, out) = poll(
        &mut g,
        &[
            clock_sub(4, clockid::PROCESS_CPUTIME_ID, 1, 0),
            fd_sub(5, eventtype::FD_READ, ROOT_FD),
            clock_sub(6, clockid::MONOTONIC, 10_000_000_000, 0),
        ],
    );
    assert_eq!(r, Ok(Completion::Done));
    let ev = events(&g, out);
    assert_eq!((ev[0].0, ev[0].1), (4, Errno::Notsup.raw()));
    assert_eq!((ev[1].0, ev[1].1), (5, Errno::Notcapable.raw()));
    assert_eq!(ev.len(), 2);
}

#[test]
fn fd_readiness() {
    let (r, w) = pipe();
    let (r2, w2) = pipe();
    let mut g = Guest::with("pollfd", |b| b.stdin(r).stdout(w2));
    // Regular files are always ready; nbytes = bytes left.
    let f = g.open("f", oflags::CREAT).unwrap();
    g.write(f, b"12345").unwrap();
    g.seek(f, 1, 0).unwrap();
    let (res, out) = poll(&mut g, &[fd_sub(9, eventtype::FD_READ, f)]);
    assert_eq!(res, Ok(Completion::Done));
    assert_eq!(events(&g, out), vec![(9, 0, eventtype::FD_READ, 4, 0)]);
    // Empty pipe: not ready, the clock fires.
    let (res, out) = poll(
        &mut g,
        &[
            fd_sub(1, eventtype::FD_READ, 0),
            clock_sub(2, clockid::MONOTONIC, 20_000_000, 0),
        ],
    );
    assert_eq!(res, Ok(Completion::Done));
    assert_eq!(events(&g, out), vec![(2, 0, eventtype::CLOCK, 0, 0)]);
    // Data arrives from another thread while polling.
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        use std::io::Write;
        let mut f = std::fs::File::from(w);
        f.write_all(b"abc").unwrap();
        f
    });
    let (res, out) = poll(
        &mut g,
        &[
            fd_sub(1, eventtype::FD_READ, 0),
            clock_sub(2, clockid::MONOTONIC, 5_000_000_000, 0),
        ],
    );
    assert_eq!(res, Ok(Completion::Done));
    assert_eq!(events(&g, out), vec![(1, 0, eventtype::FD_READ, 3, 0)]);
    assert_eq!(g.read(0, 10).unwrap(), b"abc");
    // Write end of a pipe is ready for writing.
    let (res, out) = poll(&mut g, &[fd_sub(4, eventtype::FD_WRITE, 1)]);
    assert_eq!(res, Ok(Completion::Done));
    assert_eq!(events(&g, out)[0].0, 4);
    // Hang-up when the writer closes.
    drop(writer.join().unwrap());
    let (res, out) = poll(&mut g, &[fd_sub(5, eventtype::FD_READ, 0)]);
    assert_eq!(res, Ok(Completion::Done));
    assert_eq!(
        events(&g, out)[0].4 & eventrwflags::HANGUP,
        eventrwflags::HANGUP
    );
    drop(r2);
    let _ = ROOT_FD;
}

#[test]
fn interrupt_blocked_poll_and_resume_remaining_timeout() {
    let mut g = Guest::new("pollint");
    let intr = g.ctx.interrupt().clone();
    let subs = [clock_sub(1, clockid::MONOTONIC, 2_000_000_000, 0)];
    let input = g.put(&subs.concat()).0;
    let out = g.alloc(32);
    let t = Instant::now();
    let i2 = intr.clone();
    let h = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        i2.request();
    });
    assert_eq!(
        g.ctx.poll_oneoff(&mut g.mem, input, out, 1, RES),
        Ok(Completion::Interrupted)
    );
    let first = t.elapsed();
    assert!(
        first >= Duration::from_millis(90) && first < Duration::from_millis(1500),
        "{first:?}"
    );
    h.join().unwrap();
    // Still requested: returns at once.
    assert_eq!(
        g.ctx.poll_oneoff(&mut g.mem, input, out, 1, RES),
        Ok(Completion::Interrupted)
    );
    intr.clear();
    // Time passes while "checkpointing"; the deadline keeps running.
    std::thread::sleep(Duration::from_millis(1000));
    // Re-issued: waits only the remaining ~900 ms, not 2 s again.
    let t2 = Instant::now();
    assert_eq!(
        g.ctx.poll_oneoff(&mut g.mem, input, out, 1, RES),
        Ok(Completion::Done)
    );
    let total = t.elapsed();
    assert!(total >= Duration::from_millis(2000), "{total:?}");
    assert!(
        t2.elapsed() < Duration::from_millis(1700),
        "{:?}",
        t2.elapsed()
    );
    assert_eq!(g.u32_at(RES), 1);
}

#[test]
fn interrupt_blocked_stdin_read() {
    let (r, w) = pipe();
    let mut g = Guest::with("readint", |b| b.stdin(r));
    let intr = g.ctx.interrupt().clone();
    let i2 = intr.clone();
    let h = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        i2.request();
    });
    let t = Instant::now();
    assert_eq!(g.read(0, 10), Err(Errno::Intr)); // helper maps Interrupted to Intr
    assert!(t.elapsed() >= Duration::from_millis(40));
    h.join().unwrap();
    intr.clear();
    // Nothing was consumed: the re-issued read gets the data.
    use std::io::Write;
    let mut wf = std::fs::File::from(w);
    wf.write_all(b"data").unwrap();
    assert_eq!(g.read(0, 10).unwrap(), b"data");
    // NONBLOCK on stdin is emulated: EAGAIN when empty.
    g.ctx
        .fd_fdstat_set_flags(0, tern_wasi::types::fdflags::NONBLOCK.into())
        .unwrap();
    assert_eq!(g.read(0, 10), Err(Errno::Again));
    drop(wf);
    assert_eq!(g.read(0, 10).unwrap(), b"");
}

#[test]
fn interrupt_write_to_full_pipe() {
    let (r, w) = pipe();
    // Fill the pipe (non-blocking on our own duplicate so the guest's stays blocking).
    let filler = w.try_clone().unwrap();
    use std::os::fd::AsRawFd;
    // SAFETY: fcntl on an fd we own.
    unsafe {
        let fl = libc::fcntl(filler.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(filler.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
    let chunk = [0u8; 4096];
    // SAFETY: writes from a live buffer.
    while unsafe { libc::write(filler.as_raw_fd(), chunk.as_ptr().cast(), chunk.len()) } > 0 {}
    // SAFETY: restore blocking mode (the file description is shared with `w`).
    unsafe {
        let fl = libc::fcntl(filler.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(filler.as_raw_fd(), libc::F_SETFL, fl & !libc::O_NONBLOCK);
    }
    let mut g = Guest::with("writeint", |b| b.stdout(w));
    let intr = g.ctx.interrupt().clone();
    let i2 = intr.clone();
    let h = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        i2.request();
    });
    assert_eq!(g.write(1, b"blocked"), Err(Errno::Intr)); // helper maps Interrupted to Intr
    h.join().unwrap();
    intr.clear();
    // Drain some space; the re-issued write goes through.
    let mut buf = vec![0u8; 65536];
    // SAFETY: reads into a live buffer.
    let n = unsafe { libc::read(r.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    assert!(n > 0);
    assert_eq!(g.write(1, b"now"), Ok(3));
    // Non-blocking stdout (emulated) reports EAGAIN when full.
    g.ctx
        .fd_fdstat_set_flags(1, tern_wasi::types::fdflags::NONBLOCK.into())
        .unwrap();
    // SAFETY: as above.
    unsafe {
        let fl = libc::fcntl(filler.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(filler.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
    // SAFETY: writes from a live buffer.
    while unsafe { libc::write(filler.as_raw_fd(), chunk.as_ptr().cast(), chunk.len()) } > 0 {}
    // SAFETY: as above.
    while unsafe { libc::write(filler.as_raw_fd(), chunk.as_ptr().cast(), 1) } > 0 {}
    assert_eq!(g.write(1, b"x"), Err(Errno::Again));
}
