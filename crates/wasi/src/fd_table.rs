//! The guest fd table: guest fd number → plain [`FdState`] + live host handle.
//!
//! Rights are checked here (`EBADF` for an unknown fd, `ENOTCAPABLE` for a missing
//! right); nothing here does I/O beyond `fstat`/`getsockopt` when an entry is created.

use crate::errno::Errno;
use crate::state::FdState;
use crate::types::filetype;
use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, OwnedFd};

/// One cached directory entry for `fd_readdir` (cookie = index + 1 of the next one).
#[derive(Debug, Clone)]
pub struct DirEntry {
    /// Inode number.
    pub ino: u64,
    /// WASI `filetype`.
    pub filetype: u8,
    /// Name bytes.
    pub name: Vec<u8>,
}

/// One open guest fd.
#[derive(Debug)]
pub struct FdEntry {
    /// The plain-data part (offset is only refreshed by snapshots).
    pub state: FdState,
    /// The host handle.
    pub host: OwnedFd,
    /// WASI filetype, from `fstat` when the entry was made.
    pub filetype: u8,
    /// Whether reads may block (pipe, character device, socket): such reads wait in
    /// `poll(2)` together with the interrupt eventfd.
    pub may_block: bool,
    /// Directory listing read at cookie 0, reused for later cookies.
    pub dir_cache: Option<Vec<DirEntry>>,
}

impl FdEntry {
    /// Makes an entry, classifying the host handle with `fstat`.
    ///
    /// # Errors
    /// The host error of `fstat`.
    pub fn new(state: FdState, host: OwnedFd) -> Result<FdEntry, Errno> {
        let (filetype, may_block) = classify(&host)?;
        Ok(FdEntry {
            state,
            host,
            filetype,
            may_block,
            dir_cache: None,
        })
    }

    /// Whether the entry has every right in `rights`.
    ///
    /// # Errors
    /// `Errno::Notcapable` otherwise.
    pub fn require(&self, rights: u64) -> Result<(), Errno> {
        if self.state.rights_base & rights == rights {
            Ok(())
        } else {
            Err(Errno::Notcapable)
        }
    }

    /// The raw host fd.
    pub fn raw(&self) -> i32 {
        self.host.as_raw_fd()
    }
}

/// `fstat` a handle: (WASI filetype, may block on read).
///
/// # Errors
/// The host error of `fstat`.
pub fn classify(fd: &OwnedFd) -> Result<(u8, bool), Errno> {
    // SAFETY: all-zero is a valid `stat`.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is open; `st` is a valid out pointer.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } < 0 {
        return Err(Errno::last());
    }
    let fmt = st.st_mode & libc::S_IFMT;
    let ft = match fmt {
        libc::S_IFSOCK => socket_type(fd),
        _ => filetype_of_mode(st.st_mode),
    };
    let may_block = matches!(fmt, libc::S_IFIFO | libc::S_IFCHR | libc::S_IFSOCK);
    Ok((ft, may_block))
}

fn socket_type(fd: &OwnedFd) -> u8 {
    let mut ty: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `ty`/`len` are valid out pointers of the sizes given.
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            (&mut ty as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    match (r, ty) {
        (0, libc::SOCK_DGRAM) => filetype::SOCKET_DGRAM,
        (0, libc::SOCK_STREAM) => filetype::SOCKET_STREAM,
        _ => filetype::UNKNOWN,
    }
}

/// WASI filetype of a host `st_mode`.
pub fn filetype_of_mode(mode: libc::mode_t) -> u8 {
    match mode & libc::S_IFMT {
        libc::S_IFREG => filetype::REGULAR_FILE,
        libc::S_IFDIR => filetype::DIRECTORY,
        libc::S_IFLNK => filetype::SYMBOLIC_LINK,
        libc::S_IFCHR => filetype::CHARACTER_DEVICE,
        libc::S_IFBLK => filetype::BLOCK_DEVICE,
        libc::S_IFSOCK => filetype::SOCKET_STREAM,
        _ => filetype::UNKNOWN,
    }
}

/// The table itself.
#[derive(Debug, Default)]
pub struct FdTable {
    map: BTreeMap<u32, FdEntry>,
}

impl FdTable {
    /// The entry for `fd`.
    ///
    /// # Errors
    /// `Errno::Badf` when `fd` is not open.
    pub fn get(&self, fd: u32) -> Result<&FdEntry, Errno> {
        self.map.get(&fd).ok_or(Errno::Badf)
    }

    /// The entry for `fd`, mutable.
    ///
    /// # Errors
    /// `Errno::Badf` when `fd` is not open.
    pub fn get_mut(&mut self, fd: u32) -> Result<&mut FdEntry, Errno> {
        self.map.get_mut(&fd).ok_or(Errno::Badf)
    }

    /// The entry for `fd` after checking it has `rights`.
    ///
    /// # Errors
    /// `Errno::Badf` when not open, `Errno::Notcapable` when a right is missing.
    pub fn with_rights(&self, fd: u32, rights: u64) -> Result<&FdEntry, Errno> {
        let e = self.get(fd)?;
        e.require(rights)?;
        Ok(e)
    }

    /// Inserts at the lowest free number and returns it.
    ///
    /// # Errors
    /// `Errno::Mfile` when the table is full.
    pub fn push(&mut self, mut entry: FdEntry) -> Result<u32, Errno> {
        let mut fd = 0u32;
        for &k in self.map.keys() {
            if k != fd {
                break;
            }
            fd = fd.checked_add(1).ok_or(Errno::Mfile)?;
        }
        entry.state.fd = fd;
        self.map.insert(fd, entry);
        Ok(fd)
    }

    /// Inserts at `fd`, replacing (and closing) any entry there.
    pub fn insert_at(&mut self, fd: u32, mut entry: FdEntry) {
        entry.state.fd = fd;
        self.map.insert(fd, entry);
    }

    /// Removes `fd`.
    ///
    /// # Errors
    /// `Errno::Badf` when not open.
    pub fn remove(&mut self, fd: u32) -> Result<FdEntry, Errno> {
        self.map.remove(&fd).ok_or(Errno::Badf)
    }

    /// Entries in ascending fd order.
    pub fn iter(&self) -> impl Iterator<Item = (&u32, &FdEntry)> {
        self.map.iter()
    }
}
