//! The snapshot container: bytes on disk, checksums, atomic writes.
//!
//! ```text
//! magic    8 bytes  "TERNSNAP"
//! version  u32 LE   FORMAT_VERSION
//! count    u32 LE   number of sections
//! section  kind u32 LE, length u64 LE, crc32 u32 LE (of the payload), payload
//! ```
//!
//! Payloads are postcard encodings of the [`Snapshot`](crate::Snapshot)
//! parts listed in [`SectionKind`]. Every section must appear exactly once,
//! in kind order; anything else is rejected.

use crate::{Entry, Frame, ModuleIdentity, Snapshot, TableState, Value};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// The first bytes of every snapshot.
pub const MAGIC: &[u8; 8] = b"TERNSNAP";
/// Version of this layout.
pub const FORMAT_VERSION: u32 = 2;
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
    /// The memories.
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
    /// A payload does not decode.
    #[error("snapshot section {kind} does not decode: {message}")]
    Decode {
        /// The section kind.
        kind: u32,
        /// What went wrong.
        message: String,
    },
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).expect("snapshot parts serialize into a Vec")
}

fn decode<T: DeserializeOwned>(kind: SectionKind, bytes: &[u8]) -> Result<T, SnapshotError> {
    postcard::from_bytes(bytes).map_err(|e| SnapshotError::Decode {
        kind: kind as u32,
        message: e.to_string(),
    })
}

/// The encoded bytes of `snapshot`.
pub fn to_bytes(snapshot: &Snapshot) -> Vec<u8> {
    let payloads: [Vec<u8>; 9] = [
        encode(&(&snapshot.identity, &snapshot.writer_isa, &snapshot.entry)),
        encode(&snapshot.frames),
        encode(&snapshot.globals),
        encode(&snapshot.tables),
        encode(&snapshot.memories),
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

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], SnapshotError> {
        if self.bytes.len() < n {
            return Err(SnapshotError::Truncated(what));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, SnapshotError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self, what: &'static str) -> Result<u64, SnapshotError> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
}

/// Decodes a snapshot, checking magic, version, layout and every checksum.
///
/// # Errors
/// Every [`SnapshotError`] but `Io`.
pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
    let mut r = Reader { bytes };
    if r.take(8, "magic")? != MAGIC {
        return Err(SnapshotError::BadMagic);
    }
    let version = r.u32("version")?;
    if version != FORMAT_VERSION {
        return Err(SnapshotError::Version { found: version });
    }
    let count = r.u32("section count")?;
    if count as usize != KINDS.len() {
        return Err(SnapshotError::Layout(format!(
            "{count} sections instead of {}",
            KINDS.len()
        )));
    }
    let mut payloads: Vec<&[u8]> = Vec::with_capacity(KINDS.len());
    for expected in KINDS {
        let kind = r.u32("section header")?;
        if kind != expected as u32 {
            return Err(SnapshotError::Layout(format!(
                "section {kind} where section {} was expected",
                expected as u32
            )));
        }
        let len = r.u64("section header")?;
        let crc = r.u32("section header")?;
        let len = usize::try_from(len).map_err(|_| SnapshotError::Truncated("section"))?;
        let payload = r.take(len, "section payload")?;
        if crc32fast::hash(payload) != crc {
            return Err(SnapshotError::Checksum { kind });
        }
        payloads.push(payload);
    }
    if !r.bytes.is_empty() {
        return Err(SnapshotError::Layout(format!(
            "{} bytes after the last section",
            r.bytes.len()
        )));
    }
    let (identity, writer_isa, entry): (ModuleIdentity, String, Entry) =
        decode(SectionKind::Module, payloads[0])?;
    let frames: Vec<Frame> = decode(SectionKind::Frames, payloads[1])?;
    let globals: Vec<Value> = decode(SectionKind::Globals, payloads[2])?;
    let tables: Vec<TableState> = decode(SectionKind::Tables, payloads[3])?;
    let memories = decode(SectionKind::Memories, payloads[4])?;
    let (dropped_data, dropped_elements) = decode(SectionKind::Segments, payloads[5])?;
    let wasi = decode(SectionKind::Wasi, payloads[6])?;
    let names = decode(SectionKind::Names, payloads[7])?;
    let exceptions = decode(SectionKind::Exceptions, payloads[8])?;
    Ok(Snapshot {
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
    })
}

/// Reads and decodes the snapshot at `path`.
///
/// # Errors
/// `Io` for file errors (and files over [`MAX_SNAPSHOT`]), otherwise as [`from_bytes`].
pub fn read(path: &Path) -> Result<Snapshot, SnapshotError> {
    let io = |source| SnapshotError::Io {
        path: path.display().to_string(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_SNAPSHOT {
        return Err(io(std::io::Error::other("file too large to be a snapshot")));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    from_bytes(&bytes)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder,
/// `fsync`, `rename` over `path`, `fsync` of the folder. A crash leaves
/// either the old file or the complete new one, never a partial snapshot.
///
/// # Errors
/// `Io` on any failure (the temporary file is removed).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SnapshotError> {
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
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryImage;
    use crate::Exception;

    fn sample() -> Snapshot {
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
            memories: vec![MemoryImage::capture(&[0u8; 65536], 1)],
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

    #[test]
    fn round_trips() {
        let s = sample();
        assert_eq!(from_bytes(&to_bytes(&s)).unwrap(), s);
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_rejected() {
        let bytes = to_bytes(&sample());
        for len in 0..bytes.len() {
            assert!(from_bytes(&bytes[..len]).is_err(), "truncated to {len}");
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x55;
            assert!(from_bytes(&b).is_err(), "byte {i} flipped");
        }
        let mut b = bytes.clone();
        b.push(0);
        assert!(from_bytes(&b).is_err(), "trailing byte");
    }

    #[test]
    fn atomic_write_replaces_the_file() {
        let dir = std::env::temp_dir().join(format!("tern-snap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.tsnap");
        write_atomic(&path, b"old").unwrap();
        write_atomic(&path, &to_bytes(&sample())).unwrap();
        assert_eq!(read(&path).unwrap(), sample());
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
