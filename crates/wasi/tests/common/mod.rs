//! Test helpers: a guest with a `Vec<u8>` linear memory, a temp directory with a
//! preopened `sandbox/` (guest fd 3, name `/sandbox`) next to an `outside/` directory
//! the guest must never reach, and thin wrappers that place strings in guest memory.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use tern_wasi::types::{lookupflags, rights};
use tern_wasi::{Errno, WasiCtx, WasiCtxBuilder};

pub const ROOT_FD: u32 = 3;
/// Scratch area for results (`RES..RES+256`).
pub const RES: u32 = 64;
/// Where `put` starts allocating.
const HEAP: u32 = 4096;

/// A temp directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "tern-wasi-{}-{}-{}",
            tag,
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Guest {
    pub ctx: WasiCtx,
    pub mem: Vec<u8>,
    pub tmp: TempDir,
    next: u32,
}

impl Guest {
    /// A guest whose `sandbox/` is preopened; `f` may adjust the builder.
    pub fn with(tag: &str, f: impl FnOnce(WasiCtxBuilder) -> WasiCtxBuilder) -> Guest {
        let tmp = TempDir::new(tag);
        std::fs::create_dir(tmp.0.join("sandbox")).expect("mkdir sandbox");
        std::fs::create_dir(tmp.0.join("outside")).expect("mkdir outside");
        std::fs::write(tmp.0.join("outside/secret"), b"secret").expect("write secret");
        let b = WasiCtxBuilder::new()
            .arg("prog")
            .preopen_dir(tmp.0.join("sandbox"), "/sandbox");
        let ctx = f(b).build().expect("build ctx");
        Guest {
            ctx,
            mem: vec![0; 1 << 20],
            tmp,
            next: HEAP,
        }
    }

    pub fn new(tag: &str) -> Guest {
        Guest::with(tag, |b| b)
    }

    /// Host path of `rel` inside the sandbox.
    pub fn host(&self, rel: &str) -> PathBuf {
        self.tmp.0.join("sandbox").join(rel)
    }

    pub fn outside(&self) -> PathBuf {
        self.tmp.0.join("outside")
    }

    pub fn root(&self) -> &Path {
        &self.tmp.0
    }

    /// Copies bytes into guest memory; returns (ptr, len).
    pub fn put(&mut self, b: &[u8]) -> (u32, u32) {
        let p = self.next;
        self.mem[p as usize..p as usize + b.len()].copy_from_slice(b);
        self.next += (b.len() as u32 + 16) & !7;
        if self.next > (1 << 20) - 65536 {
            self.next = HEAP;
        }
        (p, b.len() as u32)
    }

    /// Reserves `len` zeroed bytes; returns the pointer.
    pub fn alloc(&mut self, len: u32) -> u32 {
        let v = vec![0; len as usize];
        self.put(&v).0
    }

    pub fn u32_at(&self, p: u32) -> u32 {
        u32::from_le_bytes(self.mem[p as usize..p as usize + 4].try_into().unwrap())
    }

    pub fn u64_at(&self, p: u32) -> u64 {
        u64::from_le_bytes(self.mem[p as usize..p as usize + 8].try_into().unwrap())
    }

    pub fn bytes(&self, p: u32, len: u32) -> Vec<u8> {
        self.mem[p as usize..(p + len) as usize].to_vec()
    }

    /// `path_open` relative to `dir`, following symlinks unless `nofollow`.
    pub fn open_at(
        &mut self,
        dir: u32,
        path: &str,
        oflags: u16,
        base: u64,
        fdflags: u16,
        follow: bool,
    ) -> Result<u32, Errno> {
        let (p, l) = self.put(path.as_bytes());
        let dirflags = if follow {
            lookupflags::SYMLINK_FOLLOW
        } else {
            0
        };
        self.ctx.path_open(
            &mut self.mem,
            dir,
            dirflags,
            p,
            l,
            oflags.into(),
            base,
            rights::ALL,
            fdflags.into(),
            RES,
        )?;
        Ok(self.u32_at(RES))
    }

    /// `path_open` beneath the preopen with all rights.
    pub fn open(&mut self, path: &str, oflags: u16) -> Result<u32, Errno> {
        self.open_at(ROOT_FD, path, oflags, rights::ALL, 0, true)
    }

    /// Read-only open.
    pub fn open_ro(&mut self, path: &str) -> Result<u32, Errno> {
        self.open_at(ROOT_FD, path, 0, rights::ALL & !rights::FD_WRITE, 0, true)
    }

    pub fn write(&mut self, fd: u32, data: &[u8]) -> Result<u32, Errno> {
        let (p, l) = self.put(data);
        let iov = self.put(&[p.to_le_bytes(), l.to_le_bytes()].concat()).0;
        match self.ctx.fd_write(&mut self.mem, fd, iov, 1, RES)? {
            tern_wasi::Completion::Done => Ok(self.u32_at(RES)),
            tern_wasi::Completion::Interrupted => Err(Errno::Intr),
        }
    }

    pub fn read(&mut self, fd: u32, len: u32) -> Result<Vec<u8>, Errno> {
        let buf = self.alloc(len);
        let iov = self.put(&[buf.to_le_bytes(), len.to_le_bytes()].concat()).0;
        match self.ctx.fd_read(&mut self.mem, fd, iov, 1, RES)? {
            tern_wasi::Completion::Done => {}
            tern_wasi::Completion::Interrupted => return Err(Errno::Intr),
        }
        let n = self.u32_at(RES);
        Ok(self.bytes(buf, n))
    }

    pub fn seek(&mut self, fd: u32, off: i64, whence: u8) -> Result<u64, Errno> {
        self.ctx
            .fd_seek(&mut self.mem, fd, off, whence.into(), RES)?;
        Ok(self.u64_at(RES))
    }

    pub fn mkdir(&mut self, path: &str) -> Result<(), Errno> {
        let (p, l) = self.put(path.as_bytes());
        self.ctx.path_create_directory(&mut self.mem, ROOT_FD, p, l)
    }

    pub fn unlink(&mut self, path: &str) -> Result<(), Errno> {
        let (p, l) = self.put(path.as_bytes());
        self.ctx.path_unlink_file(&mut self.mem, ROOT_FD, p, l)
    }

    pub fn rmdir(&mut self, path: &str) -> Result<(), Errno> {
        let (p, l) = self.put(path.as_bytes());
        self.ctx.path_remove_directory(&mut self.mem, ROOT_FD, p, l)
    }

    pub fn symlink(&mut self, target: &str, path: &str) -> Result<(), Errno> {
        let (t, tl) = self.put(target.as_bytes());
        let (p, l) = self.put(path.as_bytes());
        self.ctx.path_symlink(&mut self.mem, t, tl, ROOT_FD, p, l)
    }

    /// `path_filestat_get`; returns (filetype, size).
    pub fn stat(&mut self, path: &str, follow: bool) -> Result<(u8, u64), Errno> {
        let (p, l) = self.put(path.as_bytes());
        let buf = self.alloc(64);
        let flags = if follow {
            lookupflags::SYMLINK_FOLLOW
        } else {
            0
        };
        self.ctx
            .path_filestat_get(&mut self.mem, ROOT_FD, flags, p, l, buf)?;
        Ok((self.mem[buf as usize + 16], self.u64_at(buf + 32)))
    }

    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), Errno> {
        let (a, al) = self.put(from.as_bytes());
        let (b, bl) = self.put(to.as_bytes());
        self.ctx
            .path_rename(&mut self.mem, ROOT_FD, a, al, ROOT_FD, b, bl)
    }

    pub fn link(&mut self, from: &str, to: &str) -> Result<(), Errno> {
        let (a, al) = self.put(from.as_bytes());
        let (b, bl) = self.put(to.as_bytes());
        self.ctx
            .path_link(&mut self.mem, ROOT_FD, 0, a, al, ROOT_FD, b, bl)
    }

    pub fn readlink(&mut self, path: &str, cap: u32) -> Result<Vec<u8>, Errno> {
        let (p, l) = self.put(path.as_bytes());
        let buf = self.alloc(cap.max(1));
        self.ctx
            .path_readlink(&mut self.mem, ROOT_FD, p, l, buf, cap, RES)?;
        let n = self.u32_at(RES);
        Ok(self.bytes(buf, n))
    }
}
