//! Every `fd_*` function.
//!
//! Reads on pipes, terminals and sockets wait in `poll(2)` together with the interrupt
//! eventfd (see [`read_blocking`]); everything else calls the host directly.

use crate::errno::Errno;
use crate::fd_table::{filetype_of_mode, DirEntry, FdEntry};
use crate::interrupt::Interrupt;
use crate::memory::{self, iovecs, write_u16, write_u32, write_u64, write_u8};
use crate::state::FdKind;
use crate::sys::{cvt, cvt_retry};
use crate::types::{advice, fdflags, filetype, fstflags, layout, preopentype, rights, whence};
use crate::{Completion, WasiCtx};
use std::os::fd::AsRawFd;

/// Waits until `fd` has `events` (POLLIN/POLLOUT) or an interrupt is requested.
/// (Used for reads, writes and accepts alike; POLLHUP/POLLERR also count as ready so
/// the following syscall reports them.)
/// With `nonblock`, does not wait: `EAGAIN` when not ready.
///
/// Returns `Ok(true)` when ready, `Ok(false)` when interrupted.
///
/// # Errors
/// `EAGAIN` (nonblock, not ready) or the host error of `poll`.
pub(crate) fn read_blocking(
    interrupt: &Interrupt,
    fd: i32,
    events: i16,
    nonblock: bool,
) -> Result<bool, Errno> {
    loop {
        if interrupt.is_requested() {
            return Ok(false);
        }
        let mut p = [
            libc::pollfd {
                fd,
                events,
                revents: 0,
            },
            libc::pollfd {
                fd: interrupt.wakeup_fd().as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let timeout = if nonblock { 0 } else { -1 };
        // SAFETY: `p` is a valid array of 2 pollfds.
        match cvt(unsafe { libc::poll(p.as_mut_ptr(), 2, timeout) }) {
            Err(Errno::Intr) => continue,
            Err(e) => return Err(e),
            Ok(0) if nonblock => return Err(Errno::Again),
            Ok(_) => {}
        }
        if p[0].revents != 0 {
            return Ok(true);
        }
        if p[1].revents != 0 && !interrupt.is_requested() {
            // A stale wakeup from a request that was already cleared: drain it.
            interrupt.clear();
        }
    }
}

/// Writes a `filestat` for host `st` at `ptr`.
pub(crate) fn write_filestat(mem: &mut [u8], ptr: u32, st: &libc::stat) -> Result<(), Errno> {
    memory::range(mem, ptr, layout::FILESTAT_SIZE)?;
    let ns = |s: i64, n: i64| {
        (s as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(n as u64)
    };
    write_u64(mem, ptr, st.st_dev)?;
    write_u64(mem, ptr + 8, st.st_ino)?;
    write_u64(mem, ptr + 16, 0)?;
    write_u8(mem, ptr + 16, filetype_of_mode(st.st_mode))?;
    #[allow(clippy::unnecessary_cast, reason = "st_nlink is u32 on aarch64")]
    write_u64(mem, ptr + 24, st.st_nlink as u64)?;
    write_u64(mem, ptr + 32, st.st_size as u64)?;
    write_u64(mem, ptr + 40, ns(st.st_atime, st.st_atime_nsec))?;
    write_u64(mem, ptr + 48, ns(st.st_mtime, st.st_mtime_nsec))?;
    write_u64(mem, ptr + 56, ns(st.st_ctime, st.st_ctime_nsec))
}

/// `fstat` of a raw fd.
pub(crate) fn fstat_raw(fd: i32) -> Result<libc::stat, Errno> {
    // SAFETY: all-zero is a valid `stat`.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: valid out pointer.
    cvt(unsafe { libc::fstat(fd, &mut st) })?;
    Ok(st)
}

/// Host `timespec`s for `utimensat`/`futimens` from WASI times and `fstflags`.
///
/// # Errors
/// `EINVAL` when both a time and its `_NOW` flag are given.
pub(crate) fn timespecs(atim: u64, mtim: u64, flags: u16) -> Result<[libc::timespec; 2], Errno> {
    let one = |t: u64, set: u16, now: u16| -> Result<libc::timespec, Errno> {
        match (flags & set != 0, flags & now != 0) {
            (true, true) => Err(Errno::Inval),
            (false, true) => Ok(libc::timespec {
                tv_sec: 0,
                tv_nsec: libc::UTIME_NOW,
            }),
            (true, false) => Ok(libc::timespec {
                tv_sec: (t / 1_000_000_000) as libc::time_t,
                tv_nsec: (t % 1_000_000_000) as libc::c_long,
            }),
            (false, false) => Ok(libc::timespec {
                tv_sec: 0,
                tv_nsec: libc::UTIME_OMIT,
            }),
        }
    };
    if flags & !0xf != 0 {
        return Err(Errno::Inval);
    }
    Ok([
        one(atim, fstflags::ATIM, fstflags::ATIM_NOW)?,
        one(mtim, fstflags::MTIM, fstflags::MTIM_NOW)?,
    ])
}

/// Reads a whole directory with `getdents64` (from its start).
fn read_dir(fd: i32) -> Result<Vec<DirEntry>, Errno> {
    // SAFETY: lseek on an open fd.
    cvt(unsafe { libc::lseek(fd, 0, libc::SEEK_SET) })?;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        // SAFETY: `buf` is writable for its length; getdents64 writes at most that much.
        let n = cvt_retry(|| unsafe {
            libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len())
        })?;
        if n == 0 {
            break;
        }
        let mut off = 0usize;
        while off < n as usize {
            // linux_dirent64: d_ino u64 @0, d_off i64 @8, d_reclen u16 @16, d_type u8 @18, name @19.
            let rec = &buf[off..];
            let ino = u64::from_ne_bytes(rec[0..8].try_into().expect("8 bytes"));
            let reclen = u16::from_ne_bytes(rec[16..18].try_into().expect("2 bytes")) as usize;
            let dtype = rec[18];
            let name_area = &rec[19..reclen];
            let len = name_area
                .iter()
                .position(|&b| b == 0)
                .unwrap_or(name_area.len());
            let name = name_area[..len].to_vec();
            let ft = match dtype {
                libc::DT_REG => filetype::REGULAR_FILE,
                libc::DT_DIR => filetype::DIRECTORY,
                libc::DT_LNK => filetype::SYMBOLIC_LINK,
                libc::DT_CHR => filetype::CHARACTER_DEVICE,
                libc::DT_BLK => filetype::BLOCK_DEVICE,
                libc::DT_SOCK => filetype::SOCKET_STREAM,
                _ => stat_type(fd, &name),
            };
            out.push(DirEntry {
                ino,
                filetype: ft,
                name,
            });
            off += reclen;
        }
    }
    Ok(out)
}

fn stat_type(dir: i32, name: &[u8]) -> u8 {
    let Ok(c) = std::ffi::CString::new(name) else {
        return filetype::UNKNOWN;
    };
    // SAFETY: all-zero is a valid `stat`.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is NUL-terminated; `st` is a valid out pointer.
    if unsafe { libc::fstatat(dir, c.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) } < 0 {
        return filetype::UNKNOWN;
    }
    filetype_of_mode(st.st_mode)
}

fn is_dir(e: &FdEntry) -> bool {
    e.filetype == filetype::DIRECTORY
}

impl WasiCtx {
    /// `fd_advise(fd, offset, len, advice)`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE` (no `FD_ADVISE`), `EINVAL` (bad advice), `ESPIPE`.
    pub fn fd_advise(&mut self, fd: u32, offset: u64, len: u64, adv: u32) -> Result<(), Errno> {
        let e = self.fds.with_rights(fd, rights::FD_ADVISE)?;
        let a = match u8::try_from(adv).map_err(|_| Errno::Inval)? {
            advice::NORMAL => libc::POSIX_FADV_NORMAL,
            advice::SEQUENTIAL => libc::POSIX_FADV_SEQUENTIAL,
            advice::RANDOM => libc::POSIX_FADV_RANDOM,
            advice::WILLNEED => libc::POSIX_FADV_WILLNEED,
            advice::DONTNEED => libc::POSIX_FADV_DONTNEED,
            advice::NOREUSE => libc::POSIX_FADV_NOREUSE,
            _ => return Err(Errno::Inval),
        };
        if is_dir(e) {
            return Err(Errno::Badf);
        }
        let off = i64::try_from(offset).map_err(|_| Errno::Inval)?;
        let len = i64::try_from(len).map_err(|_| Errno::Inval)?;
        // SAFETY: plain syscall; returns the error number instead of setting errno.
        match unsafe { libc::posix_fadvise(e.raw(), off, len, a) } {
            0 => Ok(()),
            err => Err(Errno::from_host(err)),
        }
    }

    /// `fd_allocate(fd, offset, len)`: `posix_fallocate`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE`, `EINVAL` (zero length), `EFBIG`, `ENOSPC`.
    pub fn fd_allocate(&mut self, fd: u32, offset: u64, len: u64) -> Result<(), Errno> {
        let e = self.fds.with_rights(fd, rights::FD_ALLOCATE)?;
        if is_dir(e) {
            return Err(Errno::Badf);
        }
        let off = i64::try_from(offset).map_err(|_| Errno::Inval)?;
        let len = i64::try_from(len).map_err(|_| Errno::Inval)?;
        // SAFETY: plain syscall; returns the error number.
        match unsafe { libc::posix_fallocate(e.raw(), off, len) } {
            0 => Ok(()),
            err => Err(Errno::from_host(err)),
        }
    }

    /// `fd_close(fd)`. Preopens and stdio may be closed too.
    ///
    /// # Errors
    /// `EBADF`.
    pub fn fd_close(&mut self, fd: u32) -> Result<(), Errno> {
        self.fds.remove(fd).map(drop)
    }

    /// `fd_datasync(fd)`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE`, `EINVAL` (terminal, pipe).
    pub fn fd_datasync(&mut self, fd: u32) -> Result<(), Errno> {
        let e = self.fds.with_rights(fd, rights::FD_DATASYNC)?;
        // SAFETY: plain syscall on an owned fd.
        cvt(unsafe { libc::fdatasync(e.raw()) }).map(drop)
    }

    /// `fd_sync(fd)`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE`, `EINVAL` (terminal, pipe).
    pub fn fd_sync(&mut self, fd: u32) -> Result<(), Errno> {
        let e = self.fds.with_rights(fd, rights::FD_SYNC)?;
        // SAFETY: plain syscall on an owned fd.
        cvt(unsafe { libc::fsync(e.raw()) }).map(drop)
    }

    /// `fd_fdstat_get(fd, fdstat_ptr)`.
    ///
    /// # Errors
    /// `EBADF`, `EFAULT`.
    pub fn fd_fdstat_get(&mut self, mem: &mut [u8], fd: u32, ptr: u32) -> Result<(), Errno> {
        let e = self.fds.get(fd)?;
        memory::range(mem, ptr, layout::FDSTAT_SIZE)?;
        memory::slice_mut(mem, ptr, layout::FDSTAT_SIZE)?.fill(0);
        write_u8(mem, ptr, e.filetype)?;
        write_u16(mem, ptr + 2, e.state.fdflags)?;
        write_u64(mem, ptr + 8, e.state.rights_base)?;
        write_u64(mem, ptr + 16, e.state.rights_inheriting)
    }

    /// `fd_fdstat_set_flags(fd, flags)`: `APPEND` and `NONBLOCK` can be changed.
    /// `NONBLOCK` on handles the embedder gave (stdio) is emulated so the host's file
    /// description is not changed.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE`, `EINVAL` (sync flags or unknown bits).
    pub fn fd_fdstat_set_flags(&mut self, fd: u32, flags: u32) -> Result<(), Errno> {
        let e = self.fds.get_mut(fd)?;
        e.require(rights::FD_FDSTAT_SET_FLAGS)?;
        let flags = u16::try_from(flags).map_err(|_| Errno::Inval)?;
        if flags & !(fdflags::APPEND | fdflags::NONBLOCK) != 0 {
            return Err(Errno::Inval);
        }
        if !matches!(e.state.kind, FdKind::Inherited) {
            // SAFETY: fcntl on an owned fd.
            let cur = cvt(unsafe { libc::fcntl(e.raw(), libc::F_GETFL) })?;
            let mut new = cur & !(libc::O_APPEND | libc::O_NONBLOCK);
            if flags & fdflags::APPEND != 0 {
                new |= libc::O_APPEND;
            }
            if flags & fdflags::NONBLOCK != 0 {
                new |= libc::O_NONBLOCK;
            }
            // SAFETY: fcntl on an owned fd.
            cvt(unsafe { libc::fcntl(e.raw(), libc::F_SETFL, new) })?;
        }
        let keep = e.state.fdflags & (fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC);
        e.state.fdflags = keep | flags;
        Ok(())
    }

    /// `fd_fdstat_set_rights(fd, base, inheriting)`: rights can only be dropped.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE` when asking for a right the fd does not have.
    pub fn fd_fdstat_set_rights(
        &mut self,
        fd: u32,
        base: u64,
        inheriting: u64,
    ) -> Result<(), Errno> {
        let e = self.fds.get_mut(fd)?;
        if base & !e.state.rights_base != 0 || inheriting & !e.state.rights_inheriting != 0 {
            return Err(Errno::Notcapable);
        }
        e.state.rights_base = base;
        e.state.rights_inheriting = inheriting;
        Ok(())
    }

    /// `fd_filestat_get(fd, filestat_ptr)`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE`, `EFAULT`.
    pub fn fd_filestat_get(&mut self, mem: &mut [u8], fd: u32, ptr: u32) -> Result<(), Errno> {
        let e = self.fds.with_rights(fd, rights::FD_FILESTAT_GET)?;
        let st = fstat_raw(e.raw())?;
        write_filestat(mem, ptr, &st)?;
        // Sockets: fstat says S_IFSOCK; report the precise socket type.
        let ft = e.filetype;
        if ft == filetype::SOCKET_DGRAM || ft == filetype::SOCKET_STREAM {
            write_u8(mem, ptr + 16, ft)?;
        }
        Ok(())
    }

    /// `fd_filestat_set_size(fd, size)`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE`, `EINVAL` (directory, not writable), `EFBIG`.
    pub fn fd_filestat_set_size(&mut self, fd: u32, size: u64) -> Result<(), Errno> {
        let e = self.fds.with_rights(fd, rights::FD_FILESTAT_SET_SIZE)?;
        let size = i64::try_from(size).map_err(|_| Errno::Inval)?;
        // SAFETY: plain syscall on an owned fd.
        cvt_retry(|| unsafe { libc::ftruncate(e.raw(), size) }).map(drop)
    }

    /// `fd_filestat_set_times(fd, atim, mtim, fstflags)`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE`, `EINVAL` (time and `_NOW` both given).
    pub fn fd_filestat_set_times(
        &mut self,
        fd: u32,
        atim: u64,
        mtim: u64,
        flags: u32,
    ) -> Result<(), Errno> {
        let e = self.fds.with_rights(fd, rights::FD_FILESTAT_SET_TIMES)?;
        let ts = timespecs(atim, mtim, u16::try_from(flags).map_err(|_| Errno::Inval)?)?;
        // SAFETY: `ts` is an array of two timespecs.
        cvt(unsafe { libc::futimens(e.raw(), ts.as_ptr()) }).map(drop)
    }

    /// `fd_pread(fd, iovs, iovs_len, offset, nread_ptr)`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE` (needs `FD_READ|FD_SEEK`), `EISDIR`, `ESPIPE`, `EFAULT`.
    pub fn fd_pread(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        iovs: u32,
        iovs_len: u32,
        offset: u64,
        nread: u32,
    ) -> Result<(), Errno> {
        let e = self.fds.get(fd)?;
        if is_dir(e) {
            return Err(Errno::Isdir);
        }
        e.require(rights::FD_READ | rights::FD_SEEK)?;
        let off = i64::try_from(offset).map_err(|_| Errno::Inval)?;
        let ranges = iovecs(mem, iovs, iovs_len)?;
        memory::range(mem, nread, 4)?;
        let v = memory::host_iovecs(mem, &ranges);
        // SAFETY: every iovec points into `mem`, which we hold mutably.
        let n = cvt_retry(|| unsafe { libc::preadv(e.raw(), v.as_ptr(), v.len() as i32, off) })?;
        write_u32(mem, nread, n as u32)
    }

    /// `fd_pwrite(fd, iovs, iovs_len, offset, nwritten_ptr)`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE` (needs `FD_WRITE|FD_SEEK`), `EISDIR`, `ESPIPE`, `EFAULT`.
    pub fn fd_pwrite(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        iovs: u32,
        iovs_len: u32,
        offset: u64,
        nwritten: u32,
    ) -> Result<(), Errno> {
        let e = self.fds.get(fd)?;
        if is_dir(e) {
            return Err(Errno::Isdir);
        }
        e.require(rights::FD_WRITE | rights::FD_SEEK)?;
        let off = i64::try_from(offset).map_err(|_| Errno::Inval)?;
        let ranges = iovecs(mem, iovs, iovs_len)?;
        memory::range(mem, nwritten, 4)?;
        let v = memory::host_iovecs(mem, &ranges);
        // SAFETY: every iovec points into `mem`.
        let n = cvt_retry(|| unsafe { libc::pwritev(e.raw(), v.as_ptr(), v.len() as i32, off) })?;
        write_u32(mem, nwritten, n as u32)
    }

    /// `fd_prestat_get(fd, prestat_ptr)`.
    ///
    /// # Errors
    /// `EBADF` when `fd` is not a preopen (wasi-libc stops enumerating there), `EFAULT`.
    pub fn fd_prestat_get(&mut self, mem: &mut [u8], fd: u32, ptr: u32) -> Result<(), Errno> {
        let name = self.preopen_name(fd)?;
        let len = name.len() as u32;
        memory::range(mem, ptr, layout::PRESTAT_SIZE)?;
        write_u32(mem, ptr, 0)?;
        write_u8(mem, ptr, preopentype::DIR)?;
        write_u32(mem, ptr + 4, len)
    }

    /// `fd_prestat_dir_name(fd, path, path_len)`: writes the name without a NUL.
    ///
    /// # Errors
    /// `EBADF`, `ENAMETOOLONG` when `path_len` is too small, `EFAULT`.
    pub fn fd_prestat_dir_name(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        path: u32,
        path_len: u32,
    ) -> Result<(), Errno> {
        let name = self.preopen_name(fd)?.to_owned();
        if (path_len as usize) < name.len() {
            return Err(Errno::Nametoolong);
        }
        memory::slice_mut(mem, path, name.len() as u32)?.copy_from_slice(name.as_bytes());
        Ok(())
    }

    fn preopen_name(&self, fd: u32) -> Result<&str, Errno> {
        let e = self.fds.get(fd)?;
        match (e.state.kind, e.state.preopen) {
            (FdKind::PreopenDir, Some(i)) => {
                Ok(&self.preopens.get(i as usize).ok_or(Errno::Badf)?.guest_path)
            }
            _ => Err(Errno::Badf),
        }
    }

    /// `fd_read(fd, iovs, iovs_len, nread_ptr)`. On pipes, terminals and sockets the
    /// wait is interruptible: [`Completion::Interrupted`] and nothing is read.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE`, `EISDIR`, `EAGAIN` (non-blocking, nothing to read), `EFAULT`.
    pub fn fd_read(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        iovs: u32,
        iovs_len: u32,
        nread: u32,
    ) -> Result<Completion, Errno> {
        let e = self.fds.get(fd)?;
        if is_dir(e) {
            return Err(Errno::Isdir);
        }
        e.require(rights::FD_READ)?;
        let ranges = iovecs(mem, iovs, iovs_len)?;
        memory::range(mem, nread, 4)?;
        if e.may_block
            && !read_blocking(
                &self.interrupt,
                e.raw(),
                libc::POLLIN,
                e.state.fdflags & fdflags::NONBLOCK != 0,
            )?
        {
            return Ok(Completion::Interrupted);
        }
        let v = memory::host_iovecs(mem, &ranges);
        // SAFETY: every iovec points into `mem`.
        let n = cvt_retry(|| unsafe { libc::readv(e.raw(), v.as_ptr(), v.len() as i32) })?;
        write_u32(mem, nread, n as u32)?;
        Ok(Completion::Done)
    }

    /// `fd_write(fd, iovs, iovs_len, nwritten_ptr)`. On pipes, terminals and sockets the
    /// wait for writability is interruptible ([`Completion::Interrupted`], nothing
    /// written); a single write larger than the free pipe space may still block until
    /// the reader drains it.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE`, `EISDIR`, `EPIPE`, `ENOSPC`, `EAGAIN` (non-blocking, full),
    /// `EFAULT`.
    pub fn fd_write(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        iovs: u32,
        iovs_len: u32,
        nwritten: u32,
    ) -> Result<Completion, Errno> {
        let e = self.fds.get(fd)?;
        if is_dir(e) {
            return Err(Errno::Isdir);
        }
        e.require(rights::FD_WRITE)?;
        let ranges = iovecs(mem, iovs, iovs_len)?;
        memory::range(mem, nwritten, 4)?;
        let nonblock = e.state.fdflags & fdflags::NONBLOCK != 0;
        if e.may_block && !read_blocking(&self.interrupt, e.raw(), libc::POLLOUT, nonblock)? {
            return Ok(Completion::Interrupted);
        }
        let v = memory::host_iovecs(mem, &ranges);
        // SAFETY: every iovec points into `mem`.
        let n = cvt_retry(|| unsafe { libc::writev(e.raw(), v.as_ptr(), v.len() as i32) })?;
        write_u32(mem, nwritten, n as u32)?;
        Ok(Completion::Done)
    }

    /// `fd_readdir(fd, buf, buf_len, cookie, bufused_ptr)`. Entries include `.` and
    /// `..`; an entry's `d_next` is the cookie of the entry after it. The listing is
    /// read at cookie 0 and reused for later cookies until the next cookie-0 call.
    /// When the buffer fills, the last entry is truncated (`bufused == buf_len`).
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE` (`FD_READDIR`), `ENOTDIR`, `EFAULT`.
    pub fn fd_readdir(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        buf: u32,
        buf_len: u32,
        cookie: u64,
        bufused: u32,
    ) -> Result<(), Errno> {
        let e = self.fds.get_mut(fd)?;
        if e.filetype != filetype::DIRECTORY {
            return Err(Errno::Notdir);
        }
        e.require(rights::FD_READDIR)?;
        memory::range(mem, buf, buf_len)?;
        memory::range(mem, bufused, 4)?;
        if cookie == 0 || e.dir_cache.is_none() {
            e.dir_cache = Some(read_dir(e.raw())?);
        }
        let entries = e.dir_cache.as_ref().expect("filled above");
        let mut out: Vec<u8> = Vec::new();
        let start = usize::try_from(cookie).unwrap_or(usize::MAX);
        for (i, d) in entries.iter().enumerate().skip(start) {
            if out.len() >= buf_len as usize {
                break;
            }
            let mut hdr = [0u8; layout::DIRENT_SIZE as usize];
            hdr[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
            hdr[8..16].copy_from_slice(&d.ino.to_le_bytes());
            hdr[16..20].copy_from_slice(&(d.name.len() as u32).to_le_bytes());
            hdr[20] = d.filetype;
            out.extend_from_slice(&hdr);
            out.extend_from_slice(&d.name);
        }
        out.truncate(buf_len as usize);
        memory::slice_mut(mem, buf, out.len() as u32)?.copy_from_slice(&out);
        write_u32(mem, bufused, out.len() as u32)
    }

    /// `fd_renumber(from, to)`: moves `from` onto `to`, closing what `to` was.
    ///
    /// # Errors
    /// `EBADF` when either is not open.
    pub fn fd_renumber(&mut self, from: u32, to: u32) -> Result<(), Errno> {
        self.fds.get(from)?;
        self.fds.get(to)?;
        if from == to {
            return Ok(());
        }
        let e = self.fds.remove(from)?;
        self.fds.insert_at(to, e);
        Ok(())
    }

    /// `fd_seek(fd, offset, whence, newoffset_ptr)`. Offsets are 64-bit (sparse files
    /// beyond 4 GiB work).
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE` (`FD_SEEK`, or `FD_TELL` for a `(0, CUR)` query),
    /// `EINVAL` (bad whence, negative result), `ESPIPE`, `EFAULT`.
    pub fn fd_seek(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        offset: i64,
        wh: u32,
        newoffset: u32,
    ) -> Result<(), Errno> {
        let e = self.fds.get(fd)?;
        if is_dir(e) {
            return Err(Errno::Badf);
        }
        let needed = if offset == 0 && wh == u32::from(whence::CUR) {
            rights::FD_TELL
        } else {
            rights::FD_SEEK
        };
        if e.state.rights_base & (needed | rights::FD_SEEK) == 0 {
            return Err(Errno::Notcapable);
        }
        let w = match u8::try_from(wh).map_err(|_| Errno::Inval)? {
            whence::SET => libc::SEEK_SET,
            whence::CUR => libc::SEEK_CUR,
            whence::END => libc::SEEK_END,
            _ => return Err(Errno::Inval),
        };
        memory::range(mem, newoffset, 8)?;
        // SAFETY: plain syscall on an owned fd.
        let r = cvt(unsafe { libc::lseek(e.raw(), offset, w) })?;
        write_u64(mem, newoffset, r as u64)
    }

    /// `fd_tell(fd, offset_ptr)`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE` (`FD_TELL`), `ESPIPE`, `EFAULT`.
    pub fn fd_tell(&mut self, mem: &mut [u8], fd: u32, ptr: u32) -> Result<(), Errno> {
        let e = self.fds.with_rights(fd, rights::FD_TELL)?;
        memory::range(mem, ptr, 8)?;
        // SAFETY: plain syscall on an owned fd.
        let r = cvt(unsafe { libc::lseek(e.raw(), 0, libc::SEEK_CUR) })?;
        write_u64(mem, ptr, r as u64)
    }
}
