//! Interrupting blocked host calls.
//!
//! An [`Interrupt`] is a shared flag plus an `eventfd`. Blocking calls (`poll_oneoff`,
//! `fd_read`/`sock_recv`/`sock_accept` on pipes, terminals and sockets) wait with
//! `poll(2)` on their own fds *and* the eventfd, so [`Interrupt::request`] from any
//! thread (or a signal handler: it only does an atomic store and a `write(2)`) wakes
//! them; they then return [`Completion::Interrupted`](crate::Completion) without having
//! consumed guest-visible input. The embedder clears the request and re-issues the call.

use crate::errno::Errno;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A cloneable handle to one "interrupt requested" flag and its wakeup eventfd.
#[derive(Debug, Clone)]
pub struct Interrupt {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    flag: AtomicBool,
    eventfd: OwnedFd,
}

impl Interrupt {
    /// Creates a new, unrequested interrupt.
    ///
    /// # Errors
    /// The host error of `eventfd(2)`.
    pub fn new() -> Result<Interrupt, Errno> {
        // SAFETY: plain syscall with constant flags.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(Errno::last());
        }
        // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
        let eventfd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Interrupt {
            inner: Arc::new(Inner {
                flag: AtomicBool::new(false),
                eventfd,
            }),
        })
    }

    /// Requests an interrupt: sets the flag and wakes any blocked call.
    /// Async-signal-safe.
    pub fn request(&self) {
        self.inner.flag.store(true, Ordering::SeqCst);
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd. A failure (counter
        // saturated) still leaves the eventfd readable, which is all we need.
        unsafe {
            libc::write(
                self.inner.eventfd.as_raw_fd(),
                (&one as *const u64).cast(),
                8,
            );
        }
    }

    /// Whether an interrupt is requested.
    pub fn is_requested(&self) -> bool {
        self.inner.flag.load(Ordering::SeqCst)
    }

    /// Clears the request (and drains the eventfd) so blocking calls block again.
    pub fn clear(&self) {
        self.inner.flag.store(false, Ordering::SeqCst);
        let mut v: u64 = 0;
        // SAFETY: reads at most 8 bytes into a live u64; the fd is non-blocking.
        unsafe {
            libc::read(
                self.inner.eventfd.as_raw_fd(),
                (&mut v as *mut u64).cast(),
                8,
            );
        }
    }

    /// The eventfd that becomes readable when an interrupt is requested.
    pub fn wakeup_fd(&self) -> BorrowedFd<'_> {
        self.inner.eventfd.as_fd()
    }
}
