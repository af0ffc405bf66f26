//! The snapshot container: bytes on disk, checksums, atomic writes.
//!
//! ```text
//! magic    8 bytes  "TERNSNAP"
//! version  u32 LE   FORMAT_VERSION
//! count    u32 LE   number of sections
//! section  kind u32 LE, length u64 LE, crc32 u32 LE (of the payload), payload
//! padding  zero bytes up to a multiple of 64 KiB, if any chunk is raw
//! data     the memory data area: raw chunks, then compressed chunks
//! ```
//!
//! Payloads are postcard encodings of the [`Snapshot`](crate::Snapshot)
//! parts listed in [`SectionKind`]. Every section must appear exactly once,
//! in kind order; anything else is rejected. The memories section holds the
//! chunk tables (with a CRC-32 per chunk) of the data area that follows.
//!
//! Writing takes the chunks straight from the live memories (one vectored
//! write, no copy of the whole snapshot). Reading ([`open`]) reads and
//! checks everything but the data area, whose chunks are read, mapped or
//! decoded when a memory is applied ([`SnapshotFile::apply_memory`]).

use crate::memory::{self, ApplyStats, DataArea, MemoryImage, RawChunks, StoredBytes, CHUNK};
use crate::{Entry, Frame, ModuleIdentity, Snapshot, TableState, Value};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io::{IoSlice, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Instant;

/// The first bytes of every snapshot.
pub const MAGIC: &[u8; 8] = b"TERNSNAP";
/// Version of this layout.
pub const FORMAT_VERSION: u32 = 3;
/// Largest snapshot accepted (bytes): bounds allocations for hostile input.
pub const MAX_SNAPSHOT: u64 = 16 << 30;

/// The sections, in file order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum SectionKind {
    /// [`ModuleIdentity`], the writer's ISA and the [`Entry`].
    Module = 1,
    /// The frames, bottom first.
    Frames = 2,
    /// The globals.
    Globals = 3,
    /// The tables.
    Tables = 4,
    /// The memories: the data area's length and every memory's chunk table.
    Memories = 5,
    /// Dropped data and element segments.
    Segments = 6,
    /// The WASI state.
    Wasi = 7,
    /// Function names of the frames.
    Names = 8,
    /// The exception objects `exnref` values refer to.
    Exceptions = 9,
}

const KINDS: [SectionKind; 9] = [
    SectionKind::Module,
    SectionKind::Frames,
    SectionKind::Globals,
    SectionKind::Tables,
    SectionKind::Memories,
    SectionKind::Segments,
    SectionKind::Wasi,
    SectionKind::Names,
    SectionKind::Exceptions,
];

/// Why a snapshot cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// Not a snapshot at all.
    #[error("not a tern snapshot (bad magic)")]
    BadMagic,
    /// A snapshot of another format version.
    #[error("snapshot format version {found} is not supported (this tern reads version {FORMAT_VERSION})")]
    Version {
        /// The version in the file.
        found: u32,
    },
    /// The file ends early.
    #[error("snapshot is truncated ({0})")]
    Truncated(&'static str),
    /// A section's checksum does not match.
    #[error("snapshot section {kind} is corrupted (checksum mismatch)")]
    Checksum {
        /// The section kind.
        kind: u32,
    },
    /// Sections missing, repeated, unknown or out of order.
    #[error("snapshot sections are malformed: {0}")]
    Layout(String),
    /// A memory's chunk table or chunk data is bad.
    #[error("snapshot memory {index}: {source}")]
    Memory {
        /// The memory.
        index: usize,
        /// What is wrong.
        source: memory::MemoryImageError,
    },
    /// A payload does not decode.
    #[error("snapshot section {kind} does not decode: {message}")]
    Decode {
        /// The section kind.
        kind: u32,
        /// What went wrong.
        message: String,
    },
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).expect("snapshot parts serialize into a Vec")
}

fn decode<T: DeserializeOwned>(kind: SectionKind, bytes: &[u8]) -> Result<T, SnapshotError> {
    postcard::from_bytes(bytes).map_err(|e| SnapshotError::Decode {
        kind: kind as u32,
        message: e.to_string(),
    })
}

/// Whether the data area must start 64 KiB-aligned (it holds raw chunks).
fn has_raw_chunks(memories: &[MemoryImage]) -> bool {
    memories.iter().any(|m| m.raw_chunks() > 0)
}

/// Where the data area starts after `head` bytes of header and sections.
fn data_start(head: u64, memories: &[MemoryImage]) -> u64 {
    if has_raw_chunks(memories) {
        head.div_ceil(CHUNK as u64) * CHUNK as u64
    } else {
        head
    }
}

/// Header and sections of `snapshot` whose data area has `data_len` bytes.
fn head_bytes(snapshot: &Snapshot, data_len: u64) -> Vec<u8> {
    let payloads: [Vec<u8>; 9] = [
        encode(&(&snapshot.identity, &snapshot.writer_isa, &snapshot.entry)),
        encode(&snapshot.frames),
        encode(&snapshot.globals),
        encode(&snapshot.tables),
        encode(&(data_len, &snapshot.memories)),
        encode(&(&snapshot.dropped_data, &snapshot.dropped_elements)),
        encode(&snapshot.wasi),
        encode(&snapshot.names),
        encode(&snapshot.exceptions),
    ];
    let mut out = Vec::with_capacity(payloads.iter().map(|p| p.len() + 16).sum::<usize>() + 16);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payloads.len() as u32).to_le_bytes());
    for (kind, payload) in KINDS.iter().zip(&payloads) {
        out.extend_from_slice(&(*kind as u32).to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        out.extend_from_slice(payload);
    }
    out
}

static ZEROS: [u8; CHUNK] = [0; CHUNK];

/// Writes the whole snapshot to `w` with vectored writes: the chunks go
/// from `data` (borrowed from live memory) to the file without a copy.
fn write_to(w: &mut impl Write, snapshot: &Snapshot, data: &DataArea<'_>) -> std::io::Result<u64> {
    let head = head_bytes(snapshot, data.len());
    let pad = (data_start(head.len() as u64, &snapshot.memories) - head.len() as u64) as usize;
    let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(2 + data.parts().count());
    slices.push(IoSlice::new(&head));
    slices.push(IoSlice::new(&ZEROS[..pad]));
    slices.extend(data.parts().map(IoSlice::new));
    slices.retain(|s| !s.is_empty());
    let total = slices.iter().map(|s| s.len() as u64).sum();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        // Linux takes at most 1024 slices per writev.
        let n = rest.len().min(1024);
        let written = match w.write_vectored(&rest[..n]) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        IoSlice::advance_slices(&mut rest, written);
    }
    Ok(total)
}

/// The encoded bytes of `snapshot` with memory data area `data` (whose
/// layout `snapshot.memories` describes).
pub fn to_bytes(snapshot: &Snapshot, data: &DataArea<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    write_to(&mut out, snapshot, data).expect("writing into a Vec cannot fail");
    out
}

/// Reads exactly `buf.len()` bytes, counting them in `*pos`.
fn read_exact(
    r: &mut impl Read,
    pos: &mut u64,
    buf: &mut [u8],
    what: &'static str,
) -> Result<(), SnapshotError> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => SnapshotError::Truncated(what),
        _ => SnapshotError::Io {
            path: String::new(),
            source: e,
        },
    })?;
    *pos += buf.len() as u64;
    Ok(())
}

fn read_u32(r: &mut impl Read, pos: &mut u64, what: &'static str) -> Result<u32, SnapshotError> {
    let mut b = [0u8; 4];
    read_exact(r, pos, &mut b, what)?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64(r: &mut impl Read, pos: &mut u64, what: &'static str) -> Result<u64, SnapshotError> {
    let mut b = [0u8; 8];
    read_exact(r, pos, &mut b, what)?;
    Ok(u64::from_le_bytes(b))
}

/// Where a snapshot's memory data area is.
#[derive(Debug)]
enum Source {
    File(std::fs::File),
    Bytes(Vec<u8>),
}

/// A checked snapshot and its (not yet read) memory data area.
#[derive(Debug)]
pub struct SnapshotFile {
    /// Everything but the memories' bytes.
    pub snapshot: Snapshot,
    source: Source,
    data_start: u64,
    data_len: u64,
}

/// Parses header and sections from `r` (a file of `file_len` bytes) and
/// checks the chunk tables against the data area that must follow.
fn parse(r: &mut impl Read, file_len: u64) -> Result<(Snapshot, u64, u64), SnapshotError> {
    let mut pos = 0u64;
    let mut magic = [0u8; 8];
    read_exact(r, &mut pos, &mut magic, "magic")?;
    if &magic != MAGIC {
        return Err(SnapshotError::BadMagic);
    }
    let version = read_u32(r, &mut pos, "version")?;
    if version != FORMAT_VERSION {
        return Err(SnapshotError::Version { found: version });
    }
    let count = read_u32(r, &mut pos, "section count")?;
    if count as usize != KINDS.len() {
        return Err(SnapshotError::Layout(format!(
            "{count} sections instead of {}",
            KINDS.len()
        )));
    }
    let mut payloads: Vec<Vec<u8>> = Vec::with_capacity(KINDS.len());
    for expected in KINDS {
        let kind = read_u32(r, &mut pos, "section header")?;
        if kind != expected as u32 {
            return Err(SnapshotError::Layout(format!(
                "section {kind} where section {} was expected",
                expected as u32
            )));
        }
        let len = read_u64(r, &mut pos, "section header")?;
        let crc = read_u32(r, &mut pos, "section header")?;
        if len > file_len.saturating_sub(pos) {
            return Err(SnapshotError::Truncated("section payload"));
        }
        let mut payload = vec![0u8; len as usize];
        read_exact(r, &mut pos, &mut payload, "section payload")?;
        if crc32fast::hash(&payload) != crc {
            return Err(SnapshotError::Checksum { kind });
        }
        payloads.push(payload);
    }
    let (identity, writer_isa, entry): (ModuleIdentity, String, Entry) =
        decode(SectionKind::Module, &payloads[0])?;
    let frames: Vec<Frame> = decode(SectionKind::Frames, &payloads[1])?;
    let globals: Vec<Value> = decode(SectionKind::Globals, &payloads[2])?;
    let tables: Vec<TableState> = decode(SectionKind::Tables, &payloads[3])?;
    let (data_len, memories): (u64, Vec<MemoryImage>) =
        decode(SectionKind::Memories, &payloads[4])?;
    let (dropped_data, dropped_elements) = decode(SectionKind::Segments, &payloads[5])?;
    let wasi = decode(SectionKind::Wasi, &payloads[6])?;
    let names = decode(SectionKind::Names, &payloads[7])?;
    let exceptions = decode(SectionKind::Exceptions, &payloads[8])?;
    let start = data_start(pos, &memories);
    if start > file_len {
        return Err(SnapshotError::Truncated("padding before the memory data"));
    }
    let mut pad = vec![0u8; (start - pos) as usize];
    read_exact(r, &mut pos, &mut pad, "padding before the memory data")?;
    if pad.iter().any(|b| *b != 0) {
        return Err(SnapshotError::Layout(
            "non-zero padding before the memory data".into(),
        ));
    }
    let end = start.checked_add(data_len);
    match end {
        Some(end) if end == file_len => {}
        Some(end) if end > file_len => return Err(SnapshotError::Truncated("memory data")),
        Some(end) => {
            return Err(SnapshotError::Layout(format!(
                "{} bytes after the memory data",
                file_len - end
            )))
        }
        None => return Err(SnapshotError::Truncated("memory data")),
    }
    for (index, image) in memories.iter().enumerate() {
        image
            .validate(data_len)
            .map_err(|source| SnapshotError::Memory { index, source })?;
    }
    let snapshot = Snapshot {
        identity,
        writer_isa,
        entry,
        frames,
        globals,
        tables,
        memories,
        dropped_data,
        dropped_elements,
        wasi,
        names,
        exceptions,
    };
    Ok((snapshot, start, data_len))
}

/// Decodes a snapshot held in memory, checking magic, version, layout, every
/// section checksum and the chunk tables (chunk checksums are checked when a
/// memory is applied or by [`SnapshotFile::verify_data`]).
///
/// # Errors
/// Every [`SnapshotError`] but `Io`.
pub fn from_bytes(bytes: &[u8]) -> Result<SnapshotFile, SnapshotError> {
    let (snapshot, data_start, data_len) = parse(&mut &bytes[..], bytes.len() as u64)?;
    Ok(SnapshotFile {
        snapshot,
        source: Source::Bytes(bytes[data_start as usize..].to_vec()),
        data_start,
        data_len,
    })
}

/// Opens the snapshot at `path`: reads and checks everything but the memory
/// data area (see [`from_bytes`]); the file stays open for
/// [`SnapshotFile::apply_memory`].
///
/// # Errors
/// `Io` for file errors (and files over [`MAX_SNAPSHOT`]), otherwise as [`from_bytes`].
pub fn open(path: &Path) -> Result<SnapshotFile, SnapshotError> {
    let io = |source| SnapshotError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len > MAX_SNAPSHOT {
        return Err(io(std::io::Error::other("file too large to be a snapshot")));
    }
    let mut reader = std::io::BufReader::with_capacity(64 << 10, file);
    let (snapshot, data_start, data_len) = parse(&mut reader, len).map_err(|e| match e {
        SnapshotError::Io { source, .. } => io(source),
        e => e,
    })?;
    Ok(SnapshotFile {
        snapshot,
        source: Source::File(reader.into_inner()),
        data_start,
        data_len,
    })
}

/// Reads and checks the snapshot at `path` (as [`open`]) and returns it
/// without its memory data.
///
/// # Errors
/// As [`open`].
pub fn read(path: &Path) -> Result<Snapshot, SnapshotError> {
    open(path).map(|f| f.snapshot)
}

/// A run of raw chunks to map: `len` bytes of the file at `file_offset` are
/// the memory's bytes at `memory_offset`. All three are multiples of [`CHUNK`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawRun {
    /// Offset in the memory.
    pub memory_offset: u64,
    /// Offset in the snapshot file.
    pub file_offset: u64,
    /// Length.
    pub len: u64,
}

impl SnapshotFile {
    /// The open file and the data area's offset in it, if the snapshot was
    /// read from a file (raw chunks can then be mapped).
    pub fn file(&self) -> Option<&std::fs::File> {
        match &self.source {
            Source::File(f) => Some(f),
            Source::Bytes(_) => None,
        }
    }

    /// Bytes of the memory data area.
    pub fn data_len(&self) -> u64 {
        self.data_len
    }

    /// The raw chunks of memory `index` as runs contiguous in both the
    /// memory and the file, ascending.
    pub fn raw_runs(&self, index: usize) -> Vec<RawRun> {
        let mut runs: Vec<RawRun> = Vec::new();
        let Some(image) = self.snapshot.memories.get(index) else {
            return runs;
        };
        let chunk = CHUNK as u64;
        for c in image
            .chunks
            .iter()
            .filter(|c| c.encoding == memory::Encoding::Raw)
        {
            let (m, f) = (c.index * chunk, self.data_start + c.offset);
            match runs.last_mut() {
                Some(r) if r.memory_offset + r.len == m && r.file_offset + r.len == f => {
                    r.len += chunk
                }
                _ => runs.push(RawRun {
                    memory_offset: m,
                    file_offset: f,
                    len: chunk,
                }),
            }
        }
        runs
    }

    fn io(&self, source: std::io::Error) -> SnapshotError {
        SnapshotError::Io {
            path: "snapshot memory data".into(),
            source,
        }
    }

    /// Reads data area bytes `[offset, offset + len)`.
    fn read_data(&self, offset: u64, dest: &mut [u8]) -> Result<(), SnapshotError> {
        match &self.source {
            Source::File(f) => f
                .read_exact_at(dest, self.data_start + offset)
                .map_err(|e| self.io(e)),
            Source::Bytes(b) => {
                let src = usize::try_from(offset)
                    .ok()
                    .and_then(|o| b.get(o..o.checked_add(dest.len())?))
                    .ok_or(SnapshotError::Truncated("memory data"))?;
                dest.copy_from_slice(src);
                Ok(())
            }
        }
    }

    /// The whole memory data area (for tools and tests).
    ///
    /// # Errors
    /// A read error.
    pub fn data_bytes(&self) -> Result<Vec<u8>, SnapshotError> {
        let len = usize::try_from(self.data_len).map_err(|_| SnapshotError::Truncated("data"))?;
        let mut out = vec![0u8; len];
        self.read_data(0, &mut out)?;
        Ok(out)
    }

    /// Writes memory `index` into `dest` (its bytes, zero beforehand).
    /// Compressed chunks are read, checked and decoded; raw chunks are read
    /// into `dest` and checked ([`RawChunks::Copy`]), or, already mapped
    /// there from [`SnapshotFile::raw_runs`], checked in place or left to be
    /// read when touched. Uses up to `threads` threads.
    ///
    /// # Errors
    /// `Memory` for a corrupt chunk or a table that does not fit `dest`,
    /// `Io` for a read error.
    pub fn apply_memory(
        &self,
        index: usize,
        dest: &mut [u8],
        raw: RawChunks,
        threads: usize,
    ) -> Result<ApplyStats, SnapshotError> {
        let image = self
            .snapshot
            .memories
            .get(index)
            .ok_or_else(|| SnapshotError::Layout(format!("no memory {index}")))?;
        let mem_err = |source| SnapshotError::Memory { index, source };
        let mut raw = raw;
        if raw == RawChunks::Copy {
            if let Source::File(_) = self.source {
                // Straight into memory, one read per run; then checked in place.
                for run in self.raw_runs(index) {
                    let at = usize::try_from(run.memory_offset).ok();
                    let slot = at
                        .and_then(|a| dest.get_mut(a..a.checked_add(run.len as usize)?))
                        .ok_or_else(|| {
                            mem_err(memory::MemoryImageError::BadTable(
                                "raw chunks outside the memory".into(),
                            ))
                        })?;
                    self.read_data(run.file_offset - self.data_start, slot)?;
                }
                raw = RawChunks::VerifyInPlace;
            }
        }
        // The span of data the remaining chunks need, read at once.
        let needed =
            |c: &&memory::Chunk| c.encoding != memory::Encoding::Raw || raw == RawChunks::Copy;
        let lo = image.chunks.iter().filter(needed).map(|c| c.offset).min();
        let hi = image
            .chunks
            .iter()
            .filter(needed)
            .map(|c| c.offset + u64::from(c.len))
            .max();
        let (stored, base): (std::borrow::Cow<'_, [u8]>, u64) = match (&self.source, lo, hi) {
            (Source::Bytes(b), _, _) => (std::borrow::Cow::Borrowed(&b[..]), 0),
            (Source::File(_), Some(lo), Some(hi)) => {
                let mut buf = vec![0u8; (hi - lo) as usize];
                self.read_data(lo, &mut buf)?;
                (std::borrow::Cow::Owned(buf), lo)
            }
            _ => (std::borrow::Cow::Borrowed(&[][..]), 0),
        };
        let stats = memory::apply(
            image,
            dest,
            raw,
            threads,
            StoredBytes {
                base,
                bytes: &stored,
            },
        )
        .map_err(mem_err)?;
        Ok(stats)
    }

    /// Checks every chunk of every memory (checksum and decoding) without
    /// keeping the memory: what `tern snapshot inspect` does.
    ///
    /// # Errors
    /// The first bad chunk, or a read error.
    pub fn verify_data(&self) -> Result<(), SnapshotError> {
        let mut buf = vec![0u8; CHUNK];
        let mut stored = Vec::new();
        for (index, image) in self.snapshot.memories.iter().enumerate() {
            for c in &image.chunks {
                stored.resize(c.len as usize, 0);
                self.read_data(c.offset, &mut stored)?;
                c.decode_into(&stored, &mut buf)
                    .map_err(|source| SnapshotError::Memory { index, source })?;
            }
        }
        Ok(())
    }
}

/// Size and duration of an atomic write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Bytes of the file.
    pub bytes: u64,
    /// Creating the temporary file and writing every byte (nanoseconds).
    pub write_ns: u64,
    /// `fsync` of the file, `rename`, `fsync` of the folder (nanoseconds).
    pub sync_ns: u64,
}

/// Writes `snapshot` with memory data area `data` to `path` atomically: a
/// temporary file in the same folder, `fsync`, `rename` over `path`, `fsync`
/// of the folder. A crash leaves either the old file or the complete new
/// one, never a partial snapshot.
///
/// # Errors
/// `Io` on any failure (the temporary file is removed).
pub fn write_atomic(
    path: &Path,
    snapshot: &Snapshot,
    data: &DataArea<'_>,
) -> Result<WriteReport, SnapshotError> {
    write_bytes_atomic(path, |file, tmp| {
        if data.raw_len() >= DIRECT_MIN {
            if let Some(written) = write_direct(file, tmp, snapshot, data)? {
                return Ok(written);
            }
        }
        write_to(file, snapshot, data)
    })
}

/// Raw chunk bytes from which the writer bypasses the page cache.
const DIRECT_MIN: u64 = 8 << 20;

/// Writes the snapshot with the raw chunks through a second, `O_DIRECT`
/// descriptor of the same file: straight from linear memory to the disk,
/// with no copy into the page cache and no dirty pages to throttle on or to
/// flush in `fsync` (they are page-aligned in memory and in the file).
/// Header and compressed chunks, in other pages, are written normally.
/// `None` if direct I/O is not available here (nothing was written then).
fn write_direct(
    file: &mut std::fs::File,
    tmp: &Path,
    snapshot: &Snapshot,
    data: &DataArea<'_>,
) -> std::io::Result<Option<u64>> {
    use std::os::unix::fs::OpenOptionsExt;
    let aligned =
        |p: &[u8]| (p.as_ptr() as usize).is_multiple_of(4096) && p.len().is_multiple_of(4096);
    let mut parts = data.parts();
    let mut raw = Vec::new();
    let mut raw_len = 0u64;
    while raw_len < data.raw_len() {
        let Some(p) = parts.next() else { break };
        if !aligned(p) {
            return Ok(None);
        }
        raw_len += p.len() as u64;
        raw.push(p);
    }
    let Ok(direct) = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(tmp)
    else {
        return Ok(None);
    };
    let head = head_bytes(snapshot, data.len());
    let start = data_start(head.len() as u64, &snapshot.memories);
    let mut at = start;
    for p in &raw {
        match direct.write_all_at(p, at) {
            Ok(()) => at += p.len() as u64,
            // The file system refuses direct I/O (or these buffers): start
            // again with ordinary writes.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                file.set_len(0)?;
                return Ok(None);
            }
            Err(e) => return Err(e),
        }
    }
    drop(direct);
    let mut front = head;
    front.resize(start as usize, 0);
    file.write_all_at(&front, 0)?;
    for p in parts {
        file.write_all_at(p, at)?;
        at += p.len() as u64;
    }
    Ok(Some(at))
}

fn write_bytes_atomic(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File, &Path) -> std::io::Result<u64>,
) -> Result<WriteReport, SnapshotError> {
    let io = |source| SnapshotError::Io {
        path: path.display().to_string(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io(std::io::Error::other("snapshot path has no file name")))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let mut times = WriteReport::default();
    let result = (|| {
        let t = Instant::now();
        let mut file = std::fs::File::create(&tmp)?;
        times.bytes = fill(&mut file, &tmp)?;
        times.write_ns = t.elapsed().as_nanos() as u64;
        let t = Instant::now();
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(&dir)?.sync_all()?;
        times.sync_ns = t.elapsed().as_nanos() as u64;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io).map(|()| times)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{encode, Codec, EncodeOptions, Encoding, MemorySource, WASM_PAGE};
    use crate::Exception;

    fn sample(memories: Vec<MemoryImage>) -> Snapshot {
        Snapshot {
            identity: ModuleIdentity {
                module_hash: [7; 32],
                scheme: 1,
                points_fingerprint: 42,
                name: Some("m".into()),
            },
            writer_isa: "x86_64".into(),
            entry: Entry {
                export: "_start".into(),
                print_results: false,
            },
            frames: vec![Frame {
                func: 3,
                position: 0x40,
                locals: vec![(0, Value::I32(5)), (1, Value::V128(u128::MAX))],
                stack: vec![
                    Value::F64(1.5f64.to_bits()),
                    Value::FuncRef(None),
                    Value::ExnRef(Some(1)),
                    Value::ExnRef(None),
                ],
            }],
            globals: vec![Value::I64(9)],
            tables: vec![TableState {
                elements: vec![Value::FuncRef(Some(2))],
            }],
            memories,
            dropped_data: vec![1],
            dropped_elements: vec![],
            wasi: None,
            names: vec![(3, "main".into())],
            exceptions: vec![
                Exception {
                    tag: 0,
                    values: vec![Value::I32(1)],
                },
                Exception {
                    tag: 1,
                    values: vec![Value::ExnRef(Some(0)), Value::V128(7)],
                },
            ],
        }
    }

    /// Two pages: a compressible one and an incompressible one; a zero page.
    fn memory() -> Vec<u8> {
        let mut mem = vec![0u8; 3 * WASM_PAGE as usize];
        mem[..CHUNK]
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = (i % 7) as u8);
        let mut x = 1u32;
        for b in &mut mem[2 * CHUNK..] {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            *b = (x >> 16) as u8;
        }
        mem
    }

    fn encoded(mem: &[u8], codec: Codec) -> (Snapshot, Vec<u8>) {
        let src = MemorySource {
            pages: (mem.len() / CHUNK) as u64,
            bytes: mem,
        };
        let enc = encode(&[src], EncodeOptions { codec, threads: 2 });
        let s = sample(enc.images.clone());
        let bytes = to_bytes(&s, &enc.data);
        (s, bytes)
    }

    fn restored(file: &SnapshotFile, raw: RawChunks) -> Result<Vec<u8>, SnapshotError> {
        let mut back = vec![0u8; file.snapshot.memories[0].pages as usize * CHUNK];
        file.apply_memory(0, &mut back, raw, 2)?;
        Ok(back)
    }

    #[test]
    fn round_trips_with_raw_and_compressed_chunks() {
        let mem = memory();
        for codec in [Codec::Lz4, Codec::Zstd, Codec::None] {
            let (s, bytes) = encoded(&mem, codec);
            let file = from_bytes(&bytes).unwrap();
            assert_eq!(file.snapshot, s);
            let kinds: Vec<Encoding> = s.memories[0].chunks.iter().map(|c| c.encoding).collect();
            let compressed = match codec {
                Codec::Lz4 => Encoding::Lz4,
                Codec::Zstd => Encoding::Zstd,
                Codec::None => Encoding::Raw,
            };
            assert_eq!(kinds, vec![compressed, Encoding::Raw], "{codec:?}");
            assert_eq!(
                bytes.len() as u64 % CHUNK as u64,
                file.data_len() % CHUNK as u64
            );
            assert_eq!(restored(&file, RawChunks::Copy).unwrap(), mem);
            let again = to_bytes(
                &file.snapshot,
                &DataArea::from_bytes(&file.data_bytes().unwrap()),
            );
            assert_eq!(again, bytes);
        }
    }

    #[test]
    fn raw_chunks_are_page_aligned_in_the_file() {
        let (_, bytes) = encoded(&memory(), Codec::Lz4);
        let file = from_bytes(&bytes).unwrap();
        let runs = file.raw_runs(0);
        assert_eq!(runs.len(), 1);
        let run = runs[0];
        assert_eq!(run.file_offset % CHUNK as u64, 0);
        assert_eq!(run.memory_offset, 2 * CHUNK as u64);
        let at = run.file_offset as usize;
        assert_eq!(&bytes[at..at + CHUNK], &memory()[2 * CHUNK..]);
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_rejected() {
        // One compressed page: every byte of the file is checked without
        // mapping anything.
        let mut mem = vec![0u8; 2 * CHUNK];
        mem[100] = 3;
        mem[CHUNK + 5] = 1;
        let (_, bytes) = encoded(&mem, Codec::Lz4);
        let check = |b: &[u8]| from_bytes(b).and_then(|f| restored(&f, RawChunks::Copy));
        assert!(check(&bytes).is_ok());
        for len in 0..bytes.len() {
            assert!(check(&bytes[..len]).is_err(), "truncated to {len}");
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x55;
            assert!(check(&b).is_err(), "byte {i} flipped");
        }
        let mut b = bytes.clone();
        b.push(0);
        assert!(check(&b).is_err(), "trailing byte");
    }

    #[test]
    fn corrupt_raw_chunks_and_padding_are_rejected() {
        let (_, bytes) = encoded(&memory(), Codec::Lz4);
        let file = from_bytes(&bytes).unwrap();
        let run = file.raw_runs(0)[0];
        let mut b = bytes.clone();
        b[run.file_offset as usize + 1000] ^= 1;
        let f = from_bytes(&b).unwrap();
        let e = restored(&f, RawChunks::Copy).unwrap_err().to_string();
        assert!(e.contains("chunk 2 is corrupted"), "{e}");
        assert!(f.verify_data().is_err());
        // The padding before the aligned data area is checked too.
        let mut b = bytes.clone();
        b[run.file_offset as usize - 1] = 1;
        assert!(matches!(from_bytes(&b), Err(SnapshotError::Layout(_))));
    }

    /// Re-encodes with an edited chunk table (valid section checksums).
    fn edited(bytes: &[u8], edit: impl FnOnce(&mut MemoryImage)) -> Result<Vec<u8>, SnapshotError> {
        let file = from_bytes(bytes).unwrap();
        let data = file.data_bytes().unwrap();
        let mut s = file.snapshot;
        edit(&mut s.memories[0]);
        let b = to_bytes(&s, &DataArea::from_bytes(&data));
        from_bytes(&b).and_then(|f| restored(&f, RawChunks::Copy))
    }

    #[test]
    fn hostile_chunk_tables_are_rejected() {
        let (_, bytes) = encoded(&memory(), Codec::Lz4);
        type Edit = Box<dyn FnOnce(&mut MemoryImage)>;
        let cases: Vec<(&str, Edit)> = vec![
            ("misaligned", Box::new(|m| m.chunks[1].offset += 8)),
            ("past the end", Box::new(|m| m.chunks[0].offset = 1 << 40)),
            ("out of order", Box::new(|m| m.chunks.swap(0, 1))),
            ("past the memory", Box::new(|m| m.chunks[1].index = 3)),
            ("repeated", Box::new(|m| m.chunks[1].index = 0)),
            ("raw length", Box::new(|m| m.chunks[1].len = 10)),
            (
                "compressed length",
                Box::new(|m| m.chunks[0].len = CHUNK as u32),
            ),
            ("checksum", Box::new(|m| m.chunks[0].crc32 ^= 1)),
            (
                "wrong codec",
                Box::new(|m| m.chunks[0].encoding = Encoding::Zstd),
            ),
            ("pages", Box::new(|m| m.pages = 1)),
            ("overflow", Box::new(|m| m.chunks[0].offset = u64::MAX - 2)),
        ];
        for (what, edit) in cases {
            assert!(edited(&bytes, edit).is_err(), "{what}");
        }
    }

    #[test]
    fn atomic_write_replaces_the_file_and_open_applies_from_it() {
        let dir = std::env::temp_dir().join(format!("tern-snap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.tsnap");
        std::fs::write(&path, b"old").unwrap();
        let mem = memory();
        let src = MemorySource {
            pages: 3,
            bytes: &mem,
        };
        let enc = encode(&[src], EncodeOptions::default());
        let s = sample(enc.images.clone());
        write_atomic(&path, &s, &enc.data).unwrap();
        let file = open(&path).unwrap();
        assert_eq!(file.snapshot, s);
        assert!(file.file().is_some());
        file.verify_data().unwrap();
        assert_eq!(restored(&file, RawChunks::Copy).unwrap(), mem);
        assert_eq!(std::fs::read(&path).unwrap(), to_bytes(&s, &enc.data));
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn large_raw_areas_are_written_with_direct_io_and_read_back() {
        // 9 MiB of incompressible, page-aligned memory (as linear memory is):
        // the raw chunks take the O_DIRECT path (or ordinary writes where the
        // temporary folder has no direct I/O).
        let len = 144 * CHUNK;
        let mut buf = vec![0u8; len + 4096];
        let at = buf.as_ptr().align_offset(4096);
        let mem = &mut buf[at..at + len];
        let mut x = 7u32;
        for b in mem.iter_mut() {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            *b = (x >> 16) as u8;
        }
        mem[CHUNK..2 * CHUNK].fill(0);
        mem[3 * CHUNK..4 * CHUNK].fill(1);
        let src = MemorySource {
            pages: 144,
            bytes: mem,
        };
        let enc = encode(&[src], EncodeOptions::default());
        assert!(enc.data.raw_len() >= DIRECT_MIN);
        let s = sample(enc.images.clone());
        let dir = std::env::temp_dir().join(format!("tern-snap-direct-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.tsnap");
        let report = write_atomic(&path, &s, &enc.data).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(report.bytes, bytes.len() as u64);
        assert_eq!(bytes, to_bytes(&s, &enc.data));
        let file = open(&path).unwrap();
        file.verify_data().unwrap();
        let mut back = vec![0u8; len];
        file.apply_memory(0, &mut back, RawChunks::Copy, 2).unwrap();
        assert!(back == *mem);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
