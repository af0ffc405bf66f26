//! Thin, memory-safe wrappers over the Linux system calls WASI needs. Every
//! function takes host buffers as slices and returns `io::Result`; none of
//! them interprets guest data.

use std::collections::VecDeque;
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

fn cvt(rc: libc::ssize_t) -> io::Result<usize> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc as usize)
    }
}

/// `read(2)`.
pub fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: the buffer is a valid writable slice; a bad fd only yields EBADF.
    cvt(unsafe { libc::read(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len()) })
}

/// `write(2)`.
pub fn write(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: the buffer is a valid readable slice; a bad fd only yields EBADF.
    cvt(unsafe { libc::write(fd, buf.as_ptr() as *const libc::c_void, buf.len()) })
}

/// `pread(2)`.
pub fn pread(fd: RawFd, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    // SAFETY: as for `read`.
    cvt(unsafe {
        libc::pread(
            fd,
            buf.as_mut_ptr() as *mut libc::c_void,
            buf.len(),
            offset as libc::off_t,
        )
    })
}

/// `pwrite(2)`.
pub fn pwrite(fd: RawFd, buf: &[u8], offset: u64) -> io::Result<usize> {
    // SAFETY: as for `write`.
    cvt(unsafe {
        libc::pwrite(
            fd,
            buf.as_ptr() as *const libc::c_void,
            buf.len(),
            offset as libc::off_t,
        )
    })
}

/// `lseek(2)`; returns the new offset.
pub fn lseek(fd: RawFd, offset: i64, whence: i32) -> io::Result<u64> {
    // SAFETY: no memory is passed.
    let rc = unsafe { libc::lseek(fd, offset as libc::off_t, whence) };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc as u64)
    }
}

/// What `fstat` reports that WASI needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stat {
    /// Device.
    pub dev: u64,
    /// Inode.
    pub ino: u64,
    /// `st_mode & S_IFMT`.
    pub kind: u32,
    /// Links.
    pub nlink: u64,
    /// Size in bytes.
    pub size: u64,
    /// Access time (ns).
    pub atim: u64,
    /// Modification time (ns).
    pub mtim: u64,
    /// Status change time (ns).
    pub ctim: u64,
}

/// `fstat(2)`.
pub fn fstat(fd: RawFd) -> io::Result<Stat> {
    // SAFETY: `st` is a valid out-pointer; zeroed stat is a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: see above.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let ns = |s: i64, n: i64| {
        (s as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(n as u64)
    };
    Ok(Stat {
        dev: st.st_dev as u64,
        ino: st.st_ino as u64,
        kind: st.st_mode & libc::S_IFMT,
        nlink: st.st_nlink as u64,
        size: st.st_size as u64,
        atim: ns(st.st_atime, st.st_atime_nsec),
        mtim: ns(st.st_mtime, st.st_mtime_nsec),
        ctim: ns(st.st_ctime, st.st_ctime_nsec),
    })
}

/// `fcntl(F_GETFL)`.
pub fn get_status_flags(fd: RawFd) -> io::Result<i32> {
    // SAFETY: no memory is passed.
    let rc = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// `fcntl(F_SETFL)`.
pub fn set_status_flags(fd: RawFd, flags: i32) -> io::Result<()> {
    // SAFETY: no memory is passed.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags) } < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// The kernel's `struct open_how`.
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

/// Set once `openat2` turned out to be unavailable (old kernels, qemu-user).
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

/// Opens `path` relative to `dirfd` without ever leaving `dirfd`: no `..`
/// above it, no absolute paths, no symlinks pointing out. Uses `openat2`
/// with `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`, or, where that system
/// call is unavailable, an equivalent component-by-component walk.
/// An escape fails with `EXDEV`.
pub fn open_beneath(dirfd: RawFd, path: &str, flags: i32, mode: u32) -> io::Result<OwnedFd> {
    if !NO_OPENAT2.load(Ordering::Relaxed) {
        match openat2_beneath(dirfd, path, flags, mode) {
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS) | Some(libc::EPERM)) => {
                if e.raw_os_error() == Some(libc::ENOSYS) {
                    NO_OPENAT2.store(true, Ordering::Relaxed);
                }
            }
            other => return other,
        }
    }
    open_beneath_walk(dirfd, path, flags, mode)
}

fn openat2_beneath(dirfd: RawFd, path: &str, flags: i32, mode: u32) -> io::Result<OwnedFd> {
    let path = CString::new(path).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let how = OpenHow {
        flags: (flags | libc::O_CLOEXEC) as u64,
        mode: if flags & (libc::O_CREAT | libc::O_TMPFILE) != 0 {
            mode as u64
        } else {
            0
        },
        resolve: libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS,
    };
    // SAFETY: `path` is NUL-terminated and `how` a valid open_how of the size passed.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dirfd,
            path.as_ptr(),
            &how as *const OpenHow,
            std::mem::size_of::<OpenHow>(),
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel returned a fresh descriptor that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(rc as RawFd) })
}

fn openat(dirfd: RawFd, name: &str, flags: i32, mode: u32) -> io::Result<OwnedFd> {
    let name = CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: `name` is NUL-terminated.
    let rc = unsafe {
        libc::openat(
            dirfd,
            name.as_ptr(),
            flags | libc::O_CLOEXEC,
            mode as libc::c_uint,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(rc) })
}

/// The target of symlink `name` in `dirfd`, or `None` if it is not a symlink.
fn read_symlink(dirfd: RawFd, name: &str) -> Option<String> {
    let name = CString::new(name).ok()?;
    let mut buf = vec![0u8; libc::PATH_MAX as usize];
    // SAFETY: `name` is NUL-terminated and `buf` a writable buffer of the given size.
    let n = unsafe {
        libc::readlinkat(
            dirfd,
            name.as_ptr(),
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
        )
    };
    if n < 0 {
        return None;
    }
    buf.truncate(n as usize);
    String::from_utf8(buf).ok()
}

fn xdev() -> io::Error {
    io::Error::from_raw_os_error(libc::EXDEV)
}

/// The `openat2`-less walk: every intermediate component is opened with
/// `O_NOFOLLOW` relative to a descriptor we hold, `..` pops our own stack
/// (never above `dirfd`), and symlinks are expanded here, so a concurrent
/// rename or symlink swap cannot lead outside.
fn open_beneath_walk(dirfd: RawFd, path: &str, flags: i32, mode: u32) -> io::Result<OwnedFd> {
    if path.starts_with('/') {
        return Err(xdev());
    }
    let follow_last = flags & libc::O_NOFOLLOW == 0;
    let mut pending: VecDeque<String> = path.split('/').map(str::to_string).collect();
    let mut stack: Vec<OwnedFd> = Vec::new();
    let mut links = 0;
    loop {
        let cur = stack.last().map_or(dirfd, |fd| fd.as_raw_fd());
        let Some(comp) = pending.pop_front() else {
            return openat(cur, ".", flags & !(libc::O_CREAT | libc::O_EXCL), mode);
        };
        let last = pending.is_empty();
        if comp.is_empty() || comp == "." {
            if last {
                return openat(cur, ".", flags & !(libc::O_CREAT | libc::O_EXCL), mode);
            }
            continue;
        }
        if comp == ".." {
            stack.pop().ok_or_else(xdev)?;
            if last {
                let cur = stack.last().map_or(dirfd, |fd| fd.as_raw_fd());
                return openat(cur, ".", flags & !(libc::O_CREAT | libc::O_EXCL), mode);
            }
            continue;
        }
        let result = if last {
            openat(cur, &comp, flags | libc::O_NOFOLLOW, mode)
        } else {
            openat(
                cur,
                &comp,
                libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                0,
            )
        };
        match result {
            Ok(fd) if last => return Ok(fd),
            Ok(fd) => stack.push(fd),
            Err(e)
                if matches!(e.raw_os_error(), Some(libc::ELOOP) | Some(libc::ENOTDIR))
                    && (follow_last || !last) =>
            {
                let Some(target) = read_symlink(cur, &comp) else {
                    return Err(e);
                };
                links += 1;
                if links > 40 {
                    return Err(io::Error::from_raw_os_error(libc::ELOOP));
                }
                if target.starts_with('/') {
                    return Err(xdev());
                }
                for part in target.split('/').rev() {
                    pending.push_front(part.to_string());
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// Fills `buf` with random bytes (`getrandom(2)`).
pub fn getrandom(buf: &mut [u8]) -> io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        // SAFETY: `rest` is a valid writable slice.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr() as *mut libc::c_void, rest.len(), 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(e);
        }
        done += n as usize;
    }
    Ok(())
}

/// `clock_gettime(2)` in nanoseconds.
pub fn clock_time(clock: libc::clockid_t) -> io::Result<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64))
}

/// `clock_getres(2)` in nanoseconds.
pub fn clock_res(clock: libc::clockid_t) -> io::Result<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer.
    if unsafe { libc::clock_getres(clock, &mut ts) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn open_beneath_refuses_escapes() {
        let dir = std::env::temp_dir().join(format!("tern-sys-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/f.txt"), b"hi").unwrap();
        let d = std::fs::File::open(&dir).unwrap();
        let fd = d.as_raw_fd();
        std::os::unix::fs::symlink("/etc", dir.join("esc")).ok();
        assert!(open_beneath(fd, "esc/passwd", libc::O_RDONLY, 0).is_err());
        std::os::unix::fs::symlink("sub", dir.join("in")).ok();
        std::os::unix::fs::symlink("../..", dir.join("sub/up")).ok();
        for open in [open_beneath, open_beneath_walk] {
            assert!(open(fd, "sub/f.txt", libc::O_RDONLY, 0).is_ok());
            assert!(
                open(fd, "in/f.txt", libc::O_RDONLY, 0).is_ok(),
                "symlink inside"
            );
            assert!(open(fd, "sub/../sub/./f.txt", libc::O_RDONLY, 0).is_ok());
            assert!(open(fd, "sub/", libc::O_RDONLY | libc::O_DIRECTORY, 0).is_ok());
            assert!(open(fd, "..", libc::O_RDONLY, 0).is_err());
            assert!(open(fd, "../etc/passwd", libc::O_RDONLY, 0).is_err());
            assert!(open(fd, "/etc/passwd", libc::O_RDONLY, 0).is_err());
            assert!(open(fd, "esc/passwd", libc::O_RDONLY, 0).is_err());
            assert!(
                open(fd, "sub/up/etc", libc::O_RDONLY, 0).is_err(),
                "symlink out"
            );
            assert!(
                open(fd, "in/f.txt", libc::O_RDONLY | libc::O_NOFOLLOW, 0).is_ok(),
                "only the last component is not followed"
            );
            assert!(open(fd, "in", libc::O_RDONLY | libc::O_NOFOLLOW, 0).is_err());
            assert!(open(fd, "new.txt", libc::O_WRONLY | libc::O_CREAT, 0o644).is_ok());
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
