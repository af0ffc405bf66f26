//! Every `path_*` function. All lookups go through `sandbox` (openat2 beneath the
//! directory fd); final components are then operated on with `*at` calls relative to
//! the returned parent, which never follow or climb (see `sandbox.rs`).

use crate::ctx::host_open_flags;
use crate::errno::Errno;
use crate::fd_table::FdEntry;
use crate::funcs::fd::{fstat_raw, timespecs, write_filestat};
use crate::memory::{self, read_str, write_u32};
use crate::sandbox::{self, Parent};
use crate::state::{FdKind, FdState};
use crate::sys::cvt;
use crate::types::{fdflags, filetype, lookupflags, oflags, rights};
use crate::WasiCtx;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

/// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW)`.
fn lstat_at(p: &Parent) -> Result<libc::stat, Errno> {
    // SAFETY: all-zero is a valid `stat`.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `name` is NUL-terminated; `st` is a valid out pointer.
    cvt(unsafe {
        libc::fstatat(
            p.dir.as_raw_fd(),
            p.name.as_ptr(),
            &mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    })?;
    Ok(st)
}

/// `linkat`/`renameat` on already-confined parents report `EXDEV` only for a real
/// cross-device operation (which `Errno::from_host` maps to `ENOTCAPABLE`).
fn real_xdev(e: Errno) -> Errno {
    if e == Errno::Notcapable {
        Errno::Xdev
    } else {
        e
    }
}

fn is_dir_mode(st: &libc::stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFDIR
}

impl WasiCtx {
    /// The directory entry `fd` with `rights`, checked to be a directory.
    fn dir(&self, fd: u32, rights: u64) -> Result<&FdEntry, Errno> {
        let e = self.fds.get(fd)?;
        if e.filetype != filetype::DIRECTORY {
            return Err(Errno::Notdir);
        }
        e.require(rights)?;
        Ok(e)
    }

    fn parent(
        &self,
        fd: u32,
        rights: u64,
        mem: &[u8],
        path: u32,
        len: u32,
    ) -> Result<Parent, Errno> {
        let e = self.dir(fd, rights)?;
        let p = read_str(mem, path, len)?;
        sandbox::open_parent(self.resolver, e.host.as_fd(), p)
    }

    fn open_beneath(
        &self,
        fd: u32,
        rights: u64,
        mem: &[u8],
        path: u32,
        len: u32,
        flags: i32,
    ) -> Result<OwnedFd, Errno> {
        let e = self.dir(fd, rights)?;
        let p = read_str(mem, path, len)?;
        sandbox::open(self.resolver, e.host.as_fd(), p, flags, 0)
    }

    /// `path_create_directory(fd, path, path_len)`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTDIR`, `ENOTCAPABLE` (right or escape), `EEXIST`, `ENOENT`.
    pub fn path_create_directory(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        path: u32,
        len: u32,
    ) -> Result<(), Errno> {
        let p = self.parent(fd, rights::PATH_CREATE_DIRECTORY, mem, path, len)?;
        if p.name.as_bytes() == b"." {
            return Err(Errno::Exist);
        }
        // SAFETY: `name` is NUL-terminated.
        cvt(unsafe { libc::mkdirat(p.dir.as_raw_fd(), p.name.as_ptr(), 0o777) }).map(drop)
    }

    /// `path_filestat_get(fd, lookupflags, path, path_len, filestat_ptr)`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTDIR`, `ENOTCAPABLE`, `ENOENT`, `ELOOP`, `EFAULT`.
    pub fn path_filestat_get(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        flags: u32,
        path: u32,
        len: u32,
        buf: u32,
    ) -> Result<(), Errno> {
        let st = if flags & lookupflags::SYMLINK_FOLLOW != 0 {
            let f =
                self.open_beneath(fd, rights::PATH_FILESTAT_GET, mem, path, len, libc::O_PATH)?;
            fstat_raw(f.as_raw_fd())?
        } else {
            let p = self.parent(fd, rights::PATH_FILESTAT_GET, mem, path, len)?;
            let st = lstat_at(&p)?;
            if p.trailing_slash && !is_dir_mode(&st) {
                // "link/" names the symlink's target, which must be a directory.
                let f = self.open_beneath(
                    fd,
                    rights::PATH_FILESTAT_GET,
                    mem,
                    path,
                    len,
                    libc::O_PATH | libc::O_DIRECTORY,
                )?;
                fstat_raw(f.as_raw_fd())?
            } else {
                st
            }
        };
        write_filestat(mem, buf, &st)
    }

    /// `path_filestat_set_times(fd, lookupflags, path, path_len, atim, mtim, fstflags)`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTDIR`, `ENOTCAPABLE`, `ENOENT`, `EINVAL`.
    pub fn path_filestat_set_times(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        flags: u32,
        path: u32,
        len: u32,
        atim: u64,
        mtim: u64,
        fst: u32,
    ) -> Result<(), Errno> {
        let ts = timespecs(atim, mtim, u16::try_from(fst).map_err(|_| Errno::Inval)?)?;
        if flags & lookupflags::SYMLINK_FOLLOW != 0 {
            let f = self.open_beneath(
                fd,
                rights::PATH_FILESTAT_SET_TIMES,
                mem,
                path,
                len,
                libc::O_PATH,
            )?;
            // SAFETY: empty NUL-terminated path with AT_EMPTY_PATH operates on `f` itself.
            cvt(unsafe {
                libc::utimensat(
                    f.as_raw_fd(),
                    c"".as_ptr(),
                    ts.as_ptr(),
                    libc::AT_EMPTY_PATH,
                )
            })
            .map(drop)
        } else {
            let p = self.parent(fd, rights::PATH_FILESTAT_SET_TIMES, mem, path, len)?;
            // SAFETY: `name` is NUL-terminated; `ts` holds two timespecs.
            cvt(unsafe {
                libc::utimensat(
                    p.dir.as_raw_fd(),
                    p.name.as_ptr(),
                    ts.as_ptr(),
                    libc::AT_SYMLINK_NOFOLLOW,
                )
            })
            .map(drop)
        }
    }

    /// `path_link(old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len)`.
    ///
    /// # Errors
    /// `EINVAL` with `SYMLINK_FOLLOW` (as Wasmtime), `EBADF`, `ENOTCAPABLE`, `ENOENT`,
    /// `EEXIST`, `EPERM` (directory).
    pub fn path_link(
        &mut self,
        mem: &mut [u8],
        old_fd: u32,
        old_flags: u32,
        old_path: u32,
        old_len: u32,
        new_fd: u32,
        new_path: u32,
        new_len: u32,
    ) -> Result<(), Errno> {
        if old_flags & lookupflags::SYMLINK_FOLLOW != 0 {
            return Err(Errno::Inval);
        }
        let old = self.parent(old_fd, rights::PATH_LINK_SOURCE, mem, old_path, old_len)?;
        let new = self.parent(new_fd, rights::PATH_LINK_TARGET, mem, new_path, new_len)?;
        if old.trailing_slash || new.trailing_slash {
            let st = lstat_at(&old)?;
            return Err(if is_dir_mode(&st) {
                Errno::Perm
            } else {
                Errno::Notdir
            });
        }
        // SAFETY: both names are NUL-terminated; flags 0 = do not follow `old`.
        cvt(unsafe {
            libc::linkat(
                old.dir.as_raw_fd(),
                old.name.as_ptr(),
                new.dir.as_raw_fd(),
                new.name.as_ptr(),
                0,
            )
        })
        .map(drop)
        .map_err(real_xdev)
    }

    /// `path_open(fd, dirflags, path, path_len, oflags, rights_base, rights_inheriting,
    /// fdflags, opened_fd_ptr)`. Requested rights are intersected with what the
    /// directory may hand out and with what the file type supports; `FD_READ` and
    /// `FD_WRITE` choose the access mode.
    ///
    /// # Errors
    /// `EBADF`, `ENOTDIR`, `ENOTCAPABLE` (missing right, escape), `EINVAL` (unknown
    /// flags), `ENOENT`, `EEXIST` (`CREAT|EXCL`), `EISDIR`, `ELOOP` (final symlink
    /// without `SYMLINK_FOLLOW`), `EFAULT`.
    pub fn path_open(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        dirflags: u32,
        path: u32,
        len: u32,
        of: u32,
        base: u64,
        inheriting: u64,
        fdf: u32,
        opened: u32,
    ) -> Result<(), Errno> {
        let of = u16::try_from(of).map_err(|_| Errno::Inval)?;
        let fdf = u16::try_from(fdf).map_err(|_| Errno::Inval)?;
        if of & !oflags::ALL != 0 || fdf & !fdflags::ALL != 0 {
            return Err(Errno::Inval);
        }
        let mut needed = rights::PATH_OPEN;
        if of & oflags::CREAT != 0 {
            needed |= rights::PATH_CREATE_FILE;
        }
        if of & oflags::TRUNC != 0 {
            needed |= rights::PATH_FILESTAT_SET_SIZE;
        }
        let dir = self.dir(fd, needed)?;
        let p = read_str(mem, path, len)?.to_owned();
        memory::range(mem, opened, 4)?;
        let read = base & (rights::FD_READ | rights::FD_READDIR) != 0;
        // Asking for `FD_WRITE` opens for writing, so a directory is then
        // `EISDIR` (as `open(2)` and Wasmtime say), with `DIRECTORY` or not.
        let write = base & rights::FD_WRITE != 0;
        let mut flags = host_open_flags(read, write, fdf);
        if of & oflags::CREAT != 0 {
            flags |= libc::O_CREAT;
        }
        if of & oflags::EXCL != 0 {
            flags |= libc::O_EXCL;
        }
        if of & oflags::TRUNC != 0 {
            flags |= libc::O_TRUNC;
        }
        if of & oflags::DIRECTORY != 0 {
            flags |= libc::O_DIRECTORY;
        }
        if dirflags & lookupflags::SYMLINK_FOLLOW == 0 {
            flags |= libc::O_NOFOLLOW;
        }
        let host = match sandbox::open(self.resolver, dir.host.as_fd(), &p, flags, 0o666) {
            // Linux says ENOTDIR for O_DIRECTORY|O_NOFOLLOW on a final symlink; the
            // symlink is what stops the open, so report ELOOP (as without O_DIRECTORY,
            // and as Wasmtime).
            Err(Errno::Notdir)
                if flags & libc::O_DIRECTORY != 0 && flags & libc::O_NOFOLLOW != 0 =>
            {
                let parent = sandbox::open_parent(self.resolver, dir.host.as_fd(), &p)?;
                match lstat_at(&parent) {
                    Ok(st) if st.st_mode & libc::S_IFMT == libc::S_IFLNK => {
                        return Err(Errno::Loop)
                    }
                    _ => return Err(Errno::Notdir),
                }
            }
            other => other?,
        };
        let allowed = dir.state.rights_inheriting;
        let guest_path = if dir.state.guest_path.is_empty() {
            p
        } else {
            format!("{}/{}", dir.state.guest_path, p)
        };
        let preopen = dir.state.preopen;
        let st = fstat_raw(host.as_raw_fd())?;
        let (kind, type_rights) = if is_dir_mode(&st) {
            (FdKind::Directory, rights::DIRECTORY_BASE)
        } else if st.st_mode & libc::S_IFMT == libc::S_IFREG {
            (FdKind::File, rights::REGULAR_FILE_BASE)
        } else {
            (FdKind::File, rights::PIPE_BASE)
        };
        let state = FdState {
            fd: 0,
            kind,
            preopen,
            guest_path,
            offset: 0,
            fdflags: fdf,
            read,
            write,
            rights_base: base & allowed & type_rights,
            rights_inheriting: inheriting & allowed,
            host_fd: -1,
        };
        let new_fd = self.fds.push(FdEntry::new(state, host)?)?;
        write_u32(mem, opened, new_fd)
    }

    /// `path_readlink(fd, path, path_len, buf, buf_len, bufused_ptr)`. A target longer
    /// than `buf_len` is truncated (as POSIX `readlink`).
    ///
    /// # Errors
    /// `EBADF`, `ENOTDIR`, `ENOTCAPABLE`, `ENOENT`, `EINVAL` (not a symlink), `EFAULT`.
    pub fn path_readlink(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        path: u32,
        len: u32,
        buf: u32,
        buf_len: u32,
        bufused: u32,
    ) -> Result<(), Errno> {
        let p = self.parent(fd, rights::PATH_READLINK, mem, path, len)?;
        let target = sandbox::readlinkat(p.dir.as_fd(), &p.name)?;
        memory::range(mem, bufused, 4)?;
        let n = target.len().min(buf_len as usize);
        memory::slice_mut(mem, buf, n as u32)?.copy_from_slice(&target[..n]);
        write_u32(mem, bufused, n as u32)
    }

    /// `path_remove_directory(fd, path, path_len)`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE`, `ENOENT`, `ENOTDIR`, `ENOTEMPTY`, `EINVAL` (`.`).
    pub fn path_remove_directory(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        path: u32,
        len: u32,
    ) -> Result<(), Errno> {
        let p = self.parent(fd, rights::PATH_REMOVE_DIRECTORY, mem, path, len)?;
        // SAFETY: `name` is NUL-terminated.
        cvt(unsafe { libc::unlinkat(p.dir.as_raw_fd(), p.name.as_ptr(), libc::AT_REMOVEDIR) })
            .map(drop)
    }

    /// `path_rename(fd, old_path, old_len, new_fd, new_path, new_len)`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE`, `ENOENT`, `ENOTDIR`, `EISDIR`, `ENOTEMPTY`, `EINVAL`.
    pub fn path_rename(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        old_path: u32,
        old_len: u32,
        new_fd: u32,
        new_path: u32,
        new_len: u32,
    ) -> Result<(), Errno> {
        let old = self.parent(fd, rights::PATH_RENAME_SOURCE, mem, old_path, old_len)?;
        let new = self.parent(new_fd, rights::PATH_RENAME_TARGET, mem, new_path, new_len)?;
        if (old.trailing_slash || new.trailing_slash) && !is_dir_mode(&lstat_at(&old)?) {
            return Err(Errno::Notdir);
        }
        // SAFETY: both names are NUL-terminated.
        cvt(unsafe {
            libc::renameat(
                old.dir.as_raw_fd(),
                old.name.as_ptr(),
                new.dir.as_raw_fd(),
                new.name.as_ptr(),
            )
        })
        .map(drop)
        .map_err(real_xdev)
    }

    /// `path_symlink(old_path, old_len, fd, new_path, new_len)`: creates `new_path`
    /// pointing at the text `old_path` (any text; following it later is confined).
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE`, `EEXIST`, `ENOENT`.
    pub fn path_symlink(
        &mut self,
        mem: &mut [u8],
        old_path: u32,
        old_len: u32,
        fd: u32,
        new_path: u32,
        new_len: u32,
    ) -> Result<(), Errno> {
        let target =
            std::ffi::CString::new(read_str(mem, old_path, old_len)?).map_err(|_| Errno::Ilseq)?;
        let p = self.parent(fd, rights::PATH_SYMLINK, mem, new_path, new_len)?;
        if p.trailing_slash || p.name.as_bytes() == b"." {
            return Err(match lstat_at(&p) {
                Ok(_) => Errno::Exist,
                Err(_) => Errno::Noent,
            });
        }
        // SAFETY: both strings are NUL-terminated.
        cvt(unsafe { libc::symlinkat(target.as_ptr(), p.dir.as_raw_fd(), p.name.as_ptr()) })
            .map(drop)
    }

    /// `path_unlink_file(fd, path, path_len)`.
    ///
    /// # Errors
    /// `EBADF`, `ENOTCAPABLE`, `ENOENT`, `EISDIR`, `ENOTDIR` (`file/`).
    pub fn path_unlink_file(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        path: u32,
        len: u32,
    ) -> Result<(), Errno> {
        let p = self.parent(fd, rights::PATH_UNLINK_FILE, mem, path, len)?;
        if p.trailing_slash {
            return Err(if is_dir_mode(&lstat_at(&p)?) {
                Errno::Isdir
            } else {
                Errno::Notdir
            });
        }
        // SAFETY: `name` is NUL-terminated.
        cvt(unsafe { libc::unlinkat(p.dir.as_raw_fd(), p.name.as_ptr(), 0) }).map(drop)
    }
}
