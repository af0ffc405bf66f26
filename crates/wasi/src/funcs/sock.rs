//! `sock_accept`, `sock_recv`, `sock_send`, `sock_shutdown` on sockets the embedder
//! handed in (and sockets accepted from them). Waits are interruptible like `fd_read`.

use crate::errno::Errno;
use crate::fd_table::FdEntry;
use crate::funcs::read_blocking;
use crate::memory::{self, iovecs, write_u16, write_u32};
use crate::state::{FdKind, FdState};
use crate::sys::{self, cvt, cvt_retry};
use crate::types::{fdflags, rights, sockflags};
use crate::{Completion, WasiCtx};

/// `ENOTSOCK` unless host fd `raw` is a socket (checked before any wait, so a
/// socket call on a pipe or file fails instead of blocking).
fn require_socket(raw: i32) -> Result<(), Errno> {
    let st = crate::funcs::fd::fstat_raw(raw)?;
    if st.st_mode & libc::S_IFMT == libc::S_IFSOCK {
        Ok(())
    } else {
        Err(Errno::Notsock)
    }
}

/// `EINVAL` unless socket `raw` is listening (`accept` would fail after waiting).
fn require_listening(raw: i32) -> Result<(), Errno> {
    let mut on: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `on`/`len` are valid out pointers of the sizes given.
    cvt(unsafe {
        libc::getsockopt(
            raw,
            libc::SOL_SOCKET,
            libc::SO_ACCEPTCONN,
            (&mut on as *mut libc::c_int).cast(),
            &mut len,
        )
    })?;
    if on == 0 {
        return Err(Errno::Inval);
    }
    Ok(())
}

impl WasiCtx {
    /// `sock_accept(fd, flags, fd_ptr)`: `flags` may only contain `NONBLOCK`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE` (`SOCK_ACCEPT`), `ENOTSOCK`, `EINVAL`, `EAGAIN`, `EFAULT`.
    pub fn sock_accept(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        flags: u32,
        fd_ptr: u32,
    ) -> Result<Completion, Errno> {
        let e = self.fds.with_rights(fd, rights::SOCK_ACCEPT)?;
        if flags & !u32::from(fdflags::NONBLOCK) != 0 {
            return Err(Errno::Inval);
        }
        require_socket(e.raw())?;
        require_listening(e.raw())?;
        memory::range(mem, fd_ptr, 4)?;
        let nonblock = e.state.fdflags & fdflags::NONBLOCK != 0;
        if !read_blocking(&self.interrupt, e.raw(), libc::POLLIN, nonblock)? {
            return Ok(Completion::Interrupted);
        }
        let mut sflags = libc::SOCK_CLOEXEC;
        if flags & u32::from(fdflags::NONBLOCK) != 0 {
            sflags |= libc::SOCK_NONBLOCK;
        }
        let raw = e.raw();
        // SAFETY: null address pointers are allowed by accept4.
        let n = cvt_retry(|| unsafe {
            libc::accept4(raw, std::ptr::null_mut(), std::ptr::null_mut(), sflags)
        })?;
        // SAFETY: accept4 just returned this fd.
        let host = unsafe { sys::own(n) };
        let state = FdState {
            fd: 0,
            kind: FdKind::Socket,
            preopen: None,
            guest_path: String::new(),
            offset: 0,
            fdflags: flags as u16,
            read: true,
            write: true,
            rights_base: rights::SOCKET_BASE & !rights::SOCK_ACCEPT,
            rights_inheriting: 0,
            host_fd: crate::state::HOST_FD_SUPPLIED,
        };
        let new_fd = self.fds.push(FdEntry::new(state, host)?)?;
        write_u32(mem, fd_ptr, new_fd)?;
        Ok(Completion::Done)
    }

    /// `sock_recv(fd, ri_data, ri_data_len, ri_flags, ro_datalen_ptr, ro_flags_ptr)`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE`, `ENOTSOCK`, `EINVAL` (unknown flags), `EAGAIN`, `EFAULT`.
    pub fn sock_recv(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        ri_data: u32,
        ri_len: u32,
        ri_flags: u32,
        ro_datalen: u32,
        ro_flags: u32,
    ) -> Result<Completion, Errno> {
        let e = self.fds.with_rights(fd, rights::FD_READ)?;
        require_socket(e.raw())?;
        let known = u32::from(sockflags::RECV_PEEK | sockflags::RECV_WAITALL);
        if ri_flags & !known != 0 {
            return Err(Errno::Inval);
        }
        let ranges = iovecs(mem, ri_data, ri_len)?;
        memory::range(mem, ro_datalen, 4)?;
        memory::range(mem, ro_flags, 2)?;
        let nonblock = e.state.fdflags & fdflags::NONBLOCK != 0;
        if !read_blocking(&self.interrupt, e.raw(), libc::POLLIN, nonblock)? {
            return Ok(Completion::Interrupted);
        }
        let mut flags = 0;
        if ri_flags & u32::from(sockflags::RECV_PEEK) != 0 {
            flags |= libc::MSG_PEEK;
        }
        if ri_flags & u32::from(sockflags::RECV_WAITALL) != 0 {
            flags |= libc::MSG_WAITALL;
        }
        let mut v = memory::host_iovecs(mem, &ranges);
        // SAFETY: all-zero is a valid msghdr (no name, no control data).
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = v.as_mut_ptr();
        msg.msg_iovlen = v.len() as _;
        let raw = e.raw();
        // SAFETY: `msg` points at iovecs into `mem`, which we hold mutably.
        let n = cvt_retry(|| unsafe { libc::recvmsg(raw, &mut msg, flags) })?;
        write_u32(mem, ro_datalen, n as u32)?;
        let trunc = if msg.msg_flags & libc::MSG_TRUNC != 0 {
            sockflags::RECV_DATA_TRUNCATED
        } else {
            0
        };
        write_u16(mem, ro_flags, trunc)?;
        Ok(Completion::Done)
    }

    /// `sock_send(fd, si_data, si_data_len, si_flags, so_datalen_ptr)` (never raises
    /// `SIGPIPE`: a closed peer is `EPIPE`). Waiting for buffer space is interruptible.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE`, `ENOTSOCK`, `EPIPE`, `EAGAIN`, `EFAULT`.
    pub fn sock_send(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        si_data: u32,
        si_len: u32,
        _si_flags: u32,
        so_datalen: u32,
    ) -> Result<Completion, Errno> {
        let e = self.fds.with_rights(fd, rights::FD_WRITE)?;
        require_socket(e.raw())?;
        let ranges = iovecs(mem, si_data, si_len)?;
        memory::range(mem, so_datalen, 4)?;
        let nonblock = e.state.fdflags & fdflags::NONBLOCK != 0;
        if !read_blocking(&self.interrupt, e.raw(), libc::POLLOUT, nonblock)? {
            return Ok(Completion::Interrupted);
        }
        let mut v = memory::host_iovecs(mem, &ranges);
        // SAFETY: all-zero is a valid msghdr.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = v.as_mut_ptr();
        msg.msg_iovlen = v.len() as _;
        let raw = e.raw();
        // SAFETY: `msg` points at iovecs into `mem`.
        let n = cvt_retry(|| unsafe { libc::sendmsg(raw, &msg, libc::MSG_NOSIGNAL) })?;
        write_u32(mem, so_datalen, n as u32)?;
        Ok(Completion::Done)
    }

    /// `sock_shutdown(fd, how)` with `how` = `RD` (1), `WR` (2) or both (3).
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE` (`SOCK_SHUTDOWN`), `EINVAL`, `ENOTSOCK`, `ENOTCONN`.
    pub fn sock_shutdown(&mut self, fd: u32, how: u32) -> Result<(), Errno> {
        let e = self.fds.with_rights(fd, rights::SOCK_SHUTDOWN)?;
        require_socket(e.raw())?;
        let h = match how {
            1 => libc::SHUT_RD,
            2 => libc::SHUT_WR,
            3 => libc::SHUT_RDWR,
            _ => return Err(Errno::Inval),
        };
        // SAFETY: plain syscall on an owned fd.
        cvt(unsafe { libc::shutdown(e.raw(), h) }).map(drop)
    }
}
