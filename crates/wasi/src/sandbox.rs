//! Confinement of guest paths to the directory tree of a preopen.
//!
//! # Choice
//! Every path lookup goes through the kernel's `openat2(2)` with
//! `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`: the kernel itself refuses absolute paths,
//! `..` above the starting directory and symlinks (absolute or relative, including ones
//! swapped in while the walk is in progress) whose target leaves the tree, atomically
//! with the lookup. That is the property that hand-rolled `..` counting cannot give,
//! and it costs no dependency (cap-std would give the same result with more crates and
//! its own user-space walk). When `openat2` is missing (Linux < 5.6, or a seccomp
//! filter that answers `ENOSYS`/`EPERM`), [`Resolver::Walk`] is used: a component-by-
//! component walk that opens every component with `O_NOFOLLOW`, expands symlinks in
//! user space (at most 40) and keeps the directory fds it went through, so `..` pops a
//! held fd and can never climb above the preopen, and a symlink swapped in after a
//! check is still opened with `O_NOFOLLOW` and re-examined.
//!
//! Operations on a *final* component (`unlinkat`, `mkdirat`, `renameat`, `symlinkat`,
//! `linkat`, `readlinkat`, `fstatat(AT_SYMLINK_NOFOLLOW)`, `utimensat`) are done
//! relative to a parent directory fd opened here; the final component then contains no
//! `/`, is never `.`/`..` (see [`open_parent`]), and those calls do not follow it.
//!
//! This module must not know about the fd table or guest memory.

use crate::errno::Errno;
use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU8, Ordering};

/// Maximum number of symlinks expanded in one [`Resolver::Walk`] lookup (Linux's limit).
const MAX_SYMLINKS: u32 = 40;

/// How guest paths are resolved beneath a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolver {
    /// `openat2` with `RESOLVE_BENEATH`, falling back to `Walk` when the kernel lacks it.
    Auto,
    /// `openat2` with `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS` only.
    Openat2,
    /// The portable user-space walk (used when `openat2` is unavailable; selectable for tests).
    Walk,
}

/// 0 = unknown, 1 = openat2 works, 2 = openat2 unavailable.
static OPENAT2: AtomicU8 = AtomicU8::new(0);

fn cstr(s: &str) -> Result<CString, Errno> {
    CString::new(s).map_err(|_| Errno::Ilseq)
}

fn check(ret: libc::c_int) -> Result<libc::c_int, Errno> {
    if ret < 0 {
        Err(Errno::last())
    } else {
        Ok(ret)
    }
}

/// Wraps a freshly returned fd.
fn owned(fd: libc::c_long) -> Result<OwnedFd, Errno> {
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: the kernel just returned this fd to us and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

fn raw_openat2(dir: BorrowedFd, path: &CString, flags: i32, mode: u32) -> Result<OwnedFd, i32> {
    let mut how: libc::open_how = unsafe_zeroed_open_how();
    how.flags = flags as u32 as u64 | libc::O_CLOEXEC as u64;
    how.mode = if flags & libc::O_CREAT != 0 || flags & libc::O_TMPFILE == libc::O_TMPFILE {
        mode as u64
    } else {
        0
    };
    how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS;
    loop {
        // SAFETY: `path` is NUL-terminated, `how` is a valid `open_how` and its size is
        // passed; the syscall does not retain either pointer.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                dir.as_raw_fd(),
                path.as_ptr(),
                &how as *const libc::open_how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        if ret >= 0 {
            // SAFETY: the kernel just returned this fd and nothing else owns it.
            return Ok(unsafe { OwnedFd::from_raw_fd(ret as i32) });
        }
        let e = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        // EAGAIN: a concurrent rename raced the lookup; the kernel asks us to retry.
        if e != libc::EAGAIN && e != libc::EINTR {
            return Err(e);
        }
    }
}

fn unsafe_zeroed_open_how() -> libc::open_how {
    // SAFETY: `open_how` is a plain C struct of integers; all-zero is a valid value.
    unsafe { std::mem::zeroed() }
}

/// Opens `path` beneath `dir` with open(2) `flags` (`O_NOFOLLOW` to not follow a final
/// symlink) and `mode`; `O_CLOEXEC` is always added.
///
/// # Errors
/// `Errno::Notcapable` when the path would leave `dir` (absolute path, `..` above it,
/// symlink out of it), otherwise the mapped host error (`Noent`, `Notdir`, `Loop`, ...).
pub fn open(
    resolver: Resolver,
    dir: BorrowedFd,
    path: &str,
    flags: i32,
    mode: u32,
) -> Result<OwnedFd, Errno> {
    if path.is_empty() {
        return Err(Errno::Noent);
    }
    if path.starts_with('/') {
        return Err(Errno::Notcapable);
    }
    let use_openat2 = match resolver {
        Resolver::Openat2 => true,
        Resolver::Walk => false,
        Resolver::Auto => OPENAT2.load(Ordering::Relaxed) != 2,
    };
    if use_openat2 {
        let c = cstr(path)?;
        match raw_openat2(dir, &c, flags, mode) {
            Ok(fd) => {
                OPENAT2.store(1, Ordering::Relaxed);
                return Ok(fd);
            }
            Err(e) if (e == libc::ENOSYS || e == libc::EPERM) && resolver == Resolver::Auto => {
                // EPERM may be a real answer (immutable file, ...): probe with a lookup
                // that cannot fail for permission reasons before giving up on openat2.
                let works = OPENAT2.load(Ordering::Relaxed) == 1
                    || raw_openat2(dir, &cstr(".")?, libc::O_PATH | libc::O_DIRECTORY, 0).is_ok();
                if works {
                    OPENAT2.store(1, Ordering::Relaxed);
                    return Err(Errno::from_host(e));
                }
                OPENAT2.store(2, Ordering::Relaxed);
            }
            Err(e) => return Err(Errno::from_host(e)),
        }
    }
    walk_open(dir, path, flags, mode)
}

/// A directory fd and the final component of a path, for `*at` calls on that component.
#[derive(Debug)]
pub struct Parent {
    /// The directory that holds the final component (beneath the starting directory).
    pub dir: OwnedFd,
    /// The final component: no `/`, never empty, `.` only when the whole path named a
    /// directory through `.`/`..`.
    pub name: CString,
    /// Whether the guest path ended in `/` (it then must name a directory).
    pub trailing_slash: bool,
}

/// Splits `path` into its parent (opened beneath `dir`) and final component.
///
/// A final `.` or `..` is resolved as part of the parent so that no `*at` call ever sees
/// `..`; the final component is then `.`.
///
/// # Errors
/// As [`open`].
pub fn open_parent(resolver: Resolver, dir: BorrowedFd, path: &str) -> Result<Parent, Errno> {
    if path.is_empty() {
        return Err(Errno::Noent);
    }
    if path.starts_with('/') {
        return Err(Errno::Notcapable);
    }
    let trimmed = path.trim_end_matches('/');
    let trailing_slash = trimmed.len() != path.len();
    let (parent, name) = match trimmed.rfind('/') {
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => (".", trimmed),
    };
    let parent = if parent.is_empty() { "." } else { parent };
    let dirflags = libc::O_PATH | libc::O_DIRECTORY;
    if name == "." || name == ".." {
        let d = open(resolver, dir, trimmed, dirflags, 0)?;
        return Ok(Parent {
            dir: d,
            name: cstr(".")?,
            trailing_slash,
        });
    }
    let d = open(resolver, dir, parent, dirflags, 0)?;
    Ok(Parent {
        dir: d,
        name: cstr(name)?,
        trailing_slash,
    })
}

fn fstat(fd: BorrowedFd) -> Result<libc::stat, Errno> {
    // SAFETY: all-zero is a valid `stat`; fstat fills it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is open and `st` is a valid out pointer.
    check(unsafe { libc::fstat(fd.as_raw_fd(), &mut st) })?;
    Ok(st)
}

/// Reads the target of the symlink `name` in `dir` (`name` may be empty with an
/// `O_PATH` fd of the link itself).
pub(crate) fn readlinkat(dir: BorrowedFd, name: &CString) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: `buf` is writable for `buf.len()` bytes; `name` is NUL-terminated.
        let n = unsafe {
            libc::readlinkat(
                dir.as_raw_fd(),
                name.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        if n < 0 {
            return Err(Errno::last());
        }
        let n = n as usize;
        if n < buf.len() {
            buf.truncate(n);
            return Ok(buf);
        }
        buf.resize(buf.len() * 2, 0);
    }
}

fn dup(fd: BorrowedFd) -> Result<OwnedFd, Errno> {
    fd.try_clone_to_owned().map_err(Errno::from)
}

fn openat_raw(dir: BorrowedFd, name: &str, flags: i32, mode: u32) -> Result<OwnedFd, Errno> {
    let c = cstr(name)?;
    // SAFETY: `c` is NUL-terminated; openat does not retain it.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            c.as_ptr(),
            flags | libc::O_CLOEXEC,
            mode as libc::c_uint,
        )
    };
    owned(fd as libc::c_long)
}

/// Pushes the components of a symlink target (in reverse) onto the work stack.
fn push_components(stack: &mut Vec<String>, target: &str) {
    let mut comps: Vec<String> = target.split('/').map(str::to_owned).collect();
    if target.ends_with('/') {
        comps.push(".".to_owned());
    }
    comps.retain(|c| !c.is_empty());
    stack.extend(comps.into_iter().rev());
}

/// The portable resolver (see the module docs).
fn walk_open(dir: BorrowedFd, path: &str, flags: i32, mode: u32) -> Result<OwnedFd, Errno> {
    let follow_final = flags & libc::O_NOFOLLOW == 0;
    let mut todo: Vec<String> = Vec::new();
    push_components(&mut todo, path);
    if todo.is_empty() {
        todo.push(".".to_owned());
    }
    // Directories walked through; the starting directory is the bottom and is never popped.
    let mut dirs: Vec<OwnedFd> = vec![dup(dir)?];
    let mut links = 0u32;
    while let Some(comp) = todo.pop() {
        let last = todo.is_empty();
        let cur = dirs.last().expect("the starting directory is never popped");
        let cur = cur.try_clone().map_err(Errno::from)?;
        if comp == "." || comp == ".." {
            if comp == ".." {
                if dirs.len() == 1 {
                    return Err(Errno::Notcapable);
                }
                dirs.pop();
            }
            if last {
                let top = dirs.last().expect("never empty");
                return openat_raw(top.as_fd(), ".", flags & !libc::O_NOFOLLOW, mode);
            }
            continue;
        }
        if !last {
            let fd = openat_raw(cur.as_fd(), &comp, libc::O_PATH | libc::O_NOFOLLOW, 0)?;
            let st = fstat(fd.as_fd())?;
            match st.st_mode & libc::S_IFMT {
                libc::S_IFDIR => dirs.push(fd),
                libc::S_IFLNK => {
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(Errno::Loop);
                    }
                    let target = readlinkat(fd.as_fd(), &cstr("")?)?;
                    expand(&mut todo, &target)?;
                }
                _ => return Err(Errno::Notdir),
            }
            continue;
        }
        match openat_raw(cur.as_fd(), &comp, flags | libc::O_NOFOLLOW, mode) {
            Ok(fd) => {
                let is_link = flags & libc::O_PATH != 0
                    && fstat(fd.as_fd())?.st_mode & libc::S_IFMT == libc::S_IFLNK;
                if !(is_link && follow_final) {
                    return Ok(fd);
                }
            }
            Err(Errno::Loop) if follow_final => {}
            // O_DIRECTORY|O_NOFOLLOW on a symlink reports ENOTDIR.
            Err(Errno::Notdir) if follow_final && flags & libc::O_DIRECTORY != 0 => {}
            Err(e) => return Err(e),
        }
        let c = cstr(&comp)?;
        let target = match readlinkat(cur.as_fd(), &c) {
            Ok(t) => t,
            Err(Errno::Inval) => return Err(Errno::Notdir),
            Err(e) => return Err(e),
        };
        links += 1;
        if links > MAX_SYMLINKS {
            return Err(Errno::Loop);
        }
        expand(&mut todo, &target)?;
    }
    unreachable!("the loop returns on the last component")
}

fn expand(todo: &mut Vec<String>, target: &[u8]) -> Result<(), Errno> {
    let t = std::str::from_utf8(target).map_err(|_| Errno::Ilseq)?;
    if t.starts_with('/') {
        return Err(Errno::Notcapable);
    }
    if t.is_empty() {
        return Err(Errno::Noent);
    }
    push_components(todo, t);
    Ok(())
}
