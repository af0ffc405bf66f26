//! WASI preview1 (`wasi_snapshot_preview1`), minimal for now.
//!
//! All WASI state of a program is one plain data struct, [`WasiCtx`]: the fd
//! table (kind, preopen, guest and host path, offset, flags, rights), args,
//! environment and clock baselines, so it can later be checkpointed as a
//! whole. Host functions live in `funcs`; they reach guest memory only through
//! the memory module's checked accessors and the host only through
//! `libcalls::sys`.

pub mod errno;
pub mod funcs;

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::rc::Rc;

use crate::vmctx::host::HostFunc;

pub use errno::Errno;

/// The import module name of WASI preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// WASI file types.
pub mod filetype {
    /// Unknown.
    pub const UNKNOWN: u8 = 0;
    /// Block device.
    pub const BLOCK_DEVICE: u8 = 1;
    /// Character device.
    pub const CHARACTER_DEVICE: u8 = 2;
    /// Directory.
    pub const DIRECTORY: u8 = 3;
    /// Regular file.
    pub const REGULAR_FILE: u8 = 4;
    /// Stream socket.
    pub const SOCKET_STREAM: u8 = 6;
    /// Symbolic link.
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// Every right (bits 0..=29).
pub const RIGHTS_ALL: u64 = (1 << 30) - 1;

/// The host side of a WASI descriptor.
#[derive(Debug)]
pub enum HostFd {
    /// A descriptor the runtime does not own (stdin, stdout, stderr).
    Borrowed(RawFd),
    /// A descriptor the runtime opened.
    Owned(OwnedFd),
}

impl HostFd {
    /// The raw host descriptor.
    pub fn raw(&self) -> RawFd {
        match self {
            HostFd::Borrowed(fd) => *fd,
            HostFd::Owned(fd) => fd.as_raw_fd(),
        }
    }
}

/// One entry of the guest's descriptor table.
#[derive(Debug)]
pub struct FdEntry {
    /// WASI file type.
    pub filetype: u8,
    /// Host descriptor.
    pub host: HostFd,
    /// Guest path if this is a preopened directory.
    pub preopen: Option<String>,
    /// Host path this descriptor was opened at (informational; empty for stdio).
    pub host_path: PathBuf,
    /// Current offset as last observed (the host descriptor holds the truth).
    pub offset: u64,
    /// WASI `fdflags`.
    pub flags: u16,
    /// Base rights.
    pub rights_base: u64,
    /// Rights inherited by descriptors opened through this one.
    pub rights_inheriting: u64,
}

/// All WASI state of one program.
#[derive(Debug, Default)]
pub struct WasiCtx {
    /// Arguments, `argv[0]` first.
    pub args: Vec<String>,
    /// Environment as `KEY=VALUE`.
    pub env: Vec<String>,
    /// Descriptor table; `None` is a closed slot.
    pub fds: Vec<Option<FdEntry>>,
    /// Added to the host's monotonic clock (kept across checkpoints).
    pub monotonic_offset: u64,
}

impl WasiCtx {
    /// State with stdio on fds 0–2 and `preopens` (host dir, guest path) from fd 3.
    ///
    /// # Errors
    /// If a preopened directory cannot be opened.
    pub fn new(
        args: Vec<String>,
        env: Vec<String>,
        preopens: &[(String, String)],
    ) -> Result<WasiCtx, String> {
        let mut fds = Vec::new();
        for fd in 0..3 {
            let filetype = match crate::libcalls::sys::fstat(fd) {
                Ok(st) => kind_to_filetype(st.kind),
                Err(_) => filetype::CHARACTER_DEVICE,
            };
            fds.push(Some(FdEntry {
                filetype,
                host: HostFd::Borrowed(fd),
                preopen: None,
                host_path: PathBuf::new(),
                offset: 0,
                flags: 0,
                rights_base: RIGHTS_ALL,
                rights_inheriting: RIGHTS_ALL,
            }));
        }
        for (host, guest) in preopens {
            let dir = std::fs::File::open(host)
                .map_err(|e| format!("cannot open directory `{host}`: {e}"))?;
            let is_dir = dir.metadata().map(|m| m.is_dir()).unwrap_or(false);
            if !is_dir {
                return Err(format!("`{host}` is not a directory"));
            }
            fds.push(Some(FdEntry {
                filetype: filetype::DIRECTORY,
                host: HostFd::Owned(dir.into()),
                preopen: Some(guest.clone()),
                host_path: PathBuf::from(host),
                offset: 0,
                flags: 0,
                rights_base: RIGHTS_ALL,
                rights_inheriting: RIGHTS_ALL,
            }));
        }
        Ok(WasiCtx {
            args,
            env,
            fds,
            monotonic_offset: 0,
        })
    }

    /// The entry for guest descriptor `fd`.
    ///
    /// # Errors
    /// `Badf` if `fd` is not open.
    pub fn entry(&mut self, fd: i32) -> Result<&mut FdEntry, Errno> {
        self.fds
            .get_mut(fd as u32 as usize)
            .and_then(|e| e.as_mut())
            .ok_or(Errno::Badf)
    }

    /// Puts `entry` in the lowest free slot and returns its number.
    pub fn insert(&mut self, entry: FdEntry) -> i32 {
        match self.fds.iter().position(|e| e.is_none()) {
            Some(i) => {
                self.fds[i] = Some(entry);
                i as i32
            }
            None => {
                self.fds.push(Some(entry));
                self.fds.len() as i32 - 1
            }
        }
    }

    /// Closes guest descriptor `fd`.
    ///
    /// # Errors
    /// `Badf` if `fd` is not open.
    pub fn close(&mut self, fd: i32) -> Result<(), Errno> {
        let slot = self.fds.get_mut(fd as u32 as usize).ok_or(Errno::Badf)?;
        slot.take().map(drop).ok_or(Errno::Badf)
    }
}

/// WASI file type for a host `st_mode & S_IFMT`.
pub fn kind_to_filetype(kind: u32) -> u8 {
    match kind {
        libc::S_IFREG => filetype::REGULAR_FILE,
        libc::S_IFDIR => filetype::DIRECTORY,
        libc::S_IFCHR => filetype::CHARACTER_DEVICE,
        libc::S_IFBLK => filetype::BLOCK_DEVICE,
        libc::S_IFLNK => filetype::SYMBOLIC_LINK,
        libc::S_IFSOCK => filetype::SOCKET_STREAM,
        _ => filetype::UNKNOWN,
    }
}

/// The host function implementing WASI import `name`, if any.
pub fn resolve(name: &str) -> Option<Rc<HostFunc>> {
    funcs::host_funcs()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| Rc::new(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fd_table_reuses_lowest_slot() {
        let mut cx = WasiCtx::new(vec!["p".into()], vec![], &[]).unwrap();
        assert_eq!(cx.fds.len(), 3);
        assert_eq!(cx.close(1), Ok(()));
        assert_eq!(cx.close(1), Err(Errno::Badf));
        assert!(cx.entry(1).is_err());
        let e = FdEntry {
            filetype: filetype::REGULAR_FILE,
            host: HostFd::Borrowed(1),
            preopen: None,
            host_path: PathBuf::new(),
            offset: 0,
            flags: 0,
            rights_base: 0,
            rights_inheriting: 0,
        };
        assert_eq!(cx.insert(e), 1);
        assert_eq!(cx.entry(-1).err(), Some(Errno::Badf));
    }

    #[test]
    fn preopen_must_be_directory() {
        let dir = std::env::temp_dir();
        let cx = WasiCtx::new(
            vec![],
            vec![],
            &[(dir.display().to_string(), "/tmp".into())],
        )
        .unwrap();
        assert_eq!(cx.fds[3].as_ref().unwrap().preopen.as_deref(), Some("/tmp"));
        assert!(WasiCtx::new(vec![], vec![], &[("/nonexistent-tern".into(), "x".into())]).is_err());
    }

    #[test]
    fn every_listed_function_resolves() {
        for name in [
            "fd_write",
            "proc_exit",
            "path_open",
            "poll_oneoff",
            "random_get",
        ] {
            assert!(resolve(name).is_some(), "{name}");
        }
        assert!(resolve("sock_accept").is_none());
    }
}
