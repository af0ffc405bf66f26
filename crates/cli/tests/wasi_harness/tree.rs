//! What a run left on disk: every entry under a folder with its kind,
//! permission bits, size and a hash of its contents (only data extents are
//! read, so an 8 GiB hole costs nothing), and symlink targets
//! with the run's own folder written as `$BASE`.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// One entry of a [`Tree`].
#[derive(Clone, PartialEq, Eq)]
pub enum Entry {
    /// A directory with its permission bits.
    Dir { mode: u32 },
    /// A regular file.
    File {
        /// Permission bits.
        mode: u32,
        /// Size in bytes.
        size: u64,
        /// SHA-256 of the contents (see `hash_data`).
        hash: String,
    },
    /// A symbolic link and its target text.
    Symlink(String),
    /// Anything else (FIFO, socket, device).
    Other,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::Dir { mode } => write!(f, "dir {mode:o}"),
            Entry::File { mode, size, hash } => {
                write!(f, "file {mode:o} {size} bytes sha256:{}", &hash[..16])
            }
            Entry::Symlink(t) => write!(f, "symlink -> {t}"),
            Entry::Other => write!(f, "other"),
        }
    }
}

/// Every entry below a folder, by relative path.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Tree(pub BTreeMap<PathBuf, Entry>);

impl fmt::Debug for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (path, entry) in &self.0 {
            writeln!(f, "  {}: {entry:?}", path.display())?;
        }
        Ok(())
    }
}

impl Tree {
    /// Reads the tree below `root` (not following symlinks).
    pub fn read(root: &Path) -> Tree {
        let mut tree = Tree::default();
        walk(root, root, &mut tree);
        tree
    }

    /// The entries that differ from `other`, one line each, for messages.
    pub fn diff(&self, other: &Tree) -> Vec<String> {
        let mut out = Vec::new();
        for (path, entry) in &self.0 {
            match other.0.get(path) {
                None => out.push(format!("only in reference: {} ({entry:?})", path.display())),
                Some(o) if o != entry => out.push(format!(
                    "{}: reference {entry:?}, got {o:?}",
                    path.display()
                )),
                _ => {}
            }
        }
        for (path, entry) in &other.0 {
            if !self.0.contains_key(path) {
                out.push(format!("only in this run: {} ({entry:?})", path.display()));
            }
        }
        out
    }
}

fn walk(root: &Path, dir: &Path, tree: &mut Tree) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let meta = std::fs::symlink_metadata(&path)
            .unwrap_or_else(|e| panic!("cannot stat {}: {e}", path.display()));
        let rel = path.strip_prefix(root).expect("below root").to_path_buf();
        let mode = meta.permissions().mode() & 0o7777;
        let entry = if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).expect("readlink");
            let base = root.to_string_lossy().into_owned();
            Entry::Symlink(target.to_string_lossy().replace(&base, "$BASE"))
        } else if meta.is_dir() {
            walk(root, &path, tree);
            Entry::Dir { mode }
        } else if meta.is_file() {
            Entry::File {
                mode,
                size: meta.len(),
                hash: hash_data(&path, meta.len()),
            }
        } else {
            Entry::Other
        };
        tree.0.insert(rel, entry);
    }
}

/// SHA-256 over the non-zero 4 KiB windows of a file (offset and bytes), so
/// equal contents hash alike whether their zeros are holes or written data.
/// Only the data extents are read (`SEEK_DATA`/`SEEK_HOLE`).
fn hash_data(path: &Path, size: u64) -> String {
    const WINDOW: u64 = 4096;
    let mut file =
        std::fs::File::open(path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    let mut hasher = Sha256::new();
    let mut pos: u64 = 0;
    let mut buf = vec![0u8; WINDOW as usize];
    while pos < size {
        let fd = file.as_raw_fd();
        // SAFETY: plain lseek on an fd we own.
        let data = unsafe { libc::lseek(fd, pos as libc::off_t, libc::SEEK_DATA) };
        if data < 0 {
            break; // only a hole is left
        }
        // SAFETY: as above.
        let hole = unsafe { libc::lseek(fd, data, libc::SEEK_HOLE) };
        let (start, end) = (data as u64, (hole.max(data) as u64).min(size));
        file.seek(SeekFrom::Start(start)).expect("seek");
        let mut at = start;
        while at < end {
            let window_end = ((at / WINDOW + 1) * WINDOW).min(end);
            let chunk = &mut buf[..(window_end - at) as usize];
            file.read_exact(chunk).expect("read file data");
            if chunk.iter().any(|&b| b != 0) {
                hasher.update(at.to_le_bytes());
                hasher.update(&*chunk);
            }
            at = window_end;
        }
        pos = end.max(start + 1);
    }
    hasher.update(size.to_le_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
