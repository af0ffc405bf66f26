//! Tiny helpers around raw libc calls: return-value checking and clocks.
//!
//! Nothing here knows about guest memory or the fd table.

use crate::errno::Errno;
use std::os::fd::{FromRawFd, OwnedFd};

/// Checks a libc return value (`-1` = error in `errno`).
///
/// # Errors
/// The mapped host errno.
pub fn cvt<T: Copy + PartialOrd + Default>(ret: T) -> Result<T, Errno> {
    if ret < T::default() {
        Err(Errno::last())
    } else {
        Ok(ret)
    }
}

/// Like [`cvt`], retrying on `EINTR`.
///
/// # Errors
/// The mapped host errno.
pub fn cvt_retry<T: Copy + PartialOrd + Default>(mut f: impl FnMut() -> T) -> Result<T, Errno> {
    loop {
        match cvt(f()) {
            Err(Errno::Intr) => continue,
            r => return r,
        }
    }
}

/// Wraps a raw fd returned by a successful syscall.
///
/// # Safety
/// `fd` must be a freshly created, open fd that nothing else owns.
pub unsafe fn own(fd: i32) -> OwnedFd {
    // SAFETY: guaranteed by the caller.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// Reads host clock `id` in nanoseconds.
///
/// # Errors
/// The host error of `clock_gettime`.
pub fn clock_ns(id: libc::clockid_t) -> Result<u64, Errno> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out pointer.
    cvt(unsafe { libc::clock_gettime(id, &mut ts) })?;
    Ok((ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64))
}

/// Resolution of host clock `id` in nanoseconds.
///
/// # Errors
/// The host error of `clock_getres`.
pub fn clock_res_ns(id: libc::clockid_t) -> Result<u64, Errno> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out pointer.
    cvt(unsafe { libc::clock_getres(id, &mut ts) })?;
    Ok((ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64)
}

/// Opens `/dev/null` read-write.
///
/// # Errors
/// The host error of `open`.
pub fn dev_null() -> Result<OwnedFd, Errno> {
    // SAFETY: constant NUL-terminated path.
    let fd = cvt(unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) })?;
    // SAFETY: just opened.
    Ok(unsafe { own(fd) })
}

/// Duplicates host fd number `fd` (close-on-exec).
///
/// # Errors
/// `Errno::Badf` when `fd` is not open.
pub fn dup_raw(fd: i32) -> Result<OwnedFd, Errno> {
    // SAFETY: F_DUPFD_CLOEXEC on any integer is memory-safe; failure is reported.
    let n = cvt(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) })?;
    // SAFETY: just created.
    Ok(unsafe { own(n) })
}

/// Makes writes to a pipe or socket whose reader is gone fail with `EPIPE`
/// instead of killing the process with `SIGPIPE` (what `wasmtime run` does,
/// being a Rust program). Embedders that run guests as their own process call
/// this once at start-up; it changes the process-wide disposition.
pub fn ignore_sigpipe() {
    // SAFETY: setting a signal's disposition to SIG_IGN has no preconditions.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}
