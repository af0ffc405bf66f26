//! Linear memory images: 64 KiB chunks in a chunk table.
//!
//! A memory is cut into [`CHUNK`]-byte chunks. All-zero chunks are elided
//! (absent from the table); every other chunk is stored either compressed
//! on its own (LZ4 by default, zstd on request) or raw, when compressing it
//! would not save at least an eighth. Each stored chunk has a CRC-32 in the
//! table. Raw chunks sit at 64 KiB-aligned offsets of the file so that a
//! restore can map them straight from the snapshot into linear memory.
//!
//! This module encodes and decodes chunks (in parallel, with scoped
//! threads); it knows nothing of files ([`crate::file`] lays them out) or of
//! mapping memory (the runtime does that).

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

/// Chunk size (bytes): one Wasm page, and the largest host page size of the
/// ISAs tern supports, so raw chunks can be mapped on any of them.
pub const CHUNK: usize = 65536;
/// Size of a WebAssembly page.
pub const WASM_PAGE: u64 = 65536;
/// A compressed chunk is kept only if it is at most this long (it saves at
/// least an eighth); otherwise the chunk is stored raw, which a restore can map.
pub const MAX_COMPRESSED: usize = CHUNK - CHUNK / 8;
/// Bytes of a chunk compressed first to decide whether the rest is worth it:
/// incompressible data (random, already compressed) then costs 1/16 of a
/// full compression.
const SAMPLE: usize = 4096;
/// Chunks per unit of parallel work (1 MiB).
const BATCH: usize = 16;
/// Below this many chunks (4 MiB) encoding and decoding stay on one thread:
/// starting a thread costs more than it saves.
const PARALLEL_MIN_CHUNKS: usize = 64;
/// zstd level when zstd is chosen (negative: fast).
const ZSTD_LEVEL: i32 = -1;

/// How a chunk is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encoding {
    /// The chunk's [`CHUNK`] bytes as they are, at a 64 KiB-aligned offset.
    Raw,
    /// An LZ4 block (no frame) that decompresses to exactly [`CHUNK`] bytes.
    Lz4,
    /// A zstd frame that decompresses to exactly [`CHUNK`] bytes.
    Zstd,
}

/// How the writer compresses non-zero chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    /// Every non-zero chunk raw (largest files, fastest lazy restore).
    None,
    /// LZ4 (the default: fastest to write and to decompress).
    Lz4,
    /// zstd at a fast negative level (smaller, slower to decompress).
    Zstd,
}

impl Codec {
    /// Parses `none`, `lz4` or `zstd`.
    pub fn parse(name: &str) -> Option<Codec> {
        match name {
            "none" | "raw" => Some(Codec::None),
            "lz4" => Some(Codec::Lz4),
            "zstd" => Some(Codec::Zstd),
            _ => None,
        }
    }
}

/// One stored chunk: an entry of a memory's chunk table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// Chunk number: the chunk holds memory bytes `[index * CHUNK, (index + 1) * CHUNK)`.
    pub index: u64,
    /// How the bytes are stored.
    pub encoding: Encoding,
    /// Offset of the stored bytes in the snapshot's memory data area.
    pub offset: u64,
    /// Number of stored bytes.
    pub len: u32,
    /// CRC-32 (IEEE) of the stored bytes.
    pub crc32: u32,
}

/// One memory's size and chunk table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryImage {
    /// Size in Wasm pages.
    pub pages: u64,
    /// The non-zero chunks, ascending by index; every other chunk is zero.
    pub chunks: Vec<Chunk>,
}

/// Why a memory image cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MemoryImageError {
    /// The chunk table does not describe this memory or this file.
    #[error("chunk table: {0}")]
    BadTable(String),
    /// A chunk's stored bytes do not match its checksum or do not decode.
    #[error("chunk {index} is corrupted: {what}")]
    Corrupt {
        /// The chunk's index.
        index: u64,
        /// What is wrong.
        what: String,
    },
}

impl MemoryImage {
    /// Bytes of non-zero chunks the image holds.
    pub fn nonzero_bytes(&self) -> u64 {
        self.chunks.len() as u64 * CHUNK as u64
    }

    /// Bytes the chunks take in the file.
    pub fn stored_bytes(&self) -> u64 {
        self.chunks.iter().map(|c| u64::from(c.len)).sum()
    }

    /// Number of raw chunks.
    pub fn raw_chunks(&self) -> usize {
        self.chunks
            .iter()
            .filter(|c| c.encoding == Encoding::Raw)
            .count()
    }

    /// Checks the table against the memory size and a data area of
    /// `data_len` bytes; returns the memory's byte length.
    ///
    /// # Errors
    /// [`MemoryImageError::BadTable`] naming the first bad entry.
    pub fn validate(&self, data_len: u64) -> Result<u64, MemoryImageError> {
        let bad = |m: String| MemoryImageError::BadTable(m);
        let len = self
            .pages
            .checked_mul(WASM_PAGE)
            .ok_or_else(|| bad(format!("{} pages overflow", self.pages)))?;
        let count = len / CHUNK as u64;
        let mut next = 0u64;
        for c in &self.chunks {
            if c.index < next || c.index >= count {
                return Err(bad(format!(
                    "chunk {} is out of order or past the memory's {count} chunks",
                    c.index
                )));
            }
            next = c.index + 1;
            match c.encoding {
                Encoding::Raw => {
                    if c.len as usize != CHUNK {
                        return Err(bad(format!("raw chunk {} has {} bytes", c.index, c.len)));
                    }
                    if !c.offset.is_multiple_of(CHUNK as u64) {
                        return Err(bad(format!(
                            "raw chunk {} is at offset {:#x}, not 64 KiB-aligned",
                            c.index, c.offset
                        )));
                    }
                }
                Encoding::Lz4 | Encoding::Zstd => {
                    if c.len == 0 || c.len as usize > MAX_COMPRESSED {
                        return Err(bad(format!(
                            "compressed chunk {} has {} bytes",
                            c.index, c.len
                        )));
                    }
                }
            }
            if c.offset
                .checked_add(u64::from(c.len))
                .is_none_or(|end| end > data_len)
            {
                return Err(bad(format!(
                    "chunk {} at offset {:#x} (+{}) is past the end of the memory data ({data_len} bytes)",
                    c.index, c.offset, c.len
                )));
            }
        }
        Ok(len)
    }
}

impl Chunk {
    /// Checks `stored` (the chunk's stored bytes) against the checksum.
    ///
    /// # Errors
    /// [`MemoryImageError::Corrupt`].
    pub fn verify(&self, stored: &[u8]) -> Result<(), MemoryImageError> {
        if stored.len() != self.len as usize || crc32fast::hash(stored) != self.crc32 {
            return Err(self.corrupt("checksum mismatch".into()));
        }
        Ok(())
    }

    /// Checks `stored` and decodes it into `dest` (the chunk's [`CHUNK`] bytes).
    ///
    /// # Errors
    /// [`MemoryImageError::Corrupt`].
    pub fn decode_into(&self, stored: &[u8], dest: &mut [u8]) -> Result<(), MemoryImageError> {
        self.verify(stored)?;
        let n = match self.encoding {
            Encoding::Raw => {
                dest.copy_from_slice(stored);
                CHUNK
            }
            Encoding::Lz4 => lz4_flex::block::decompress_into(stored, dest)
                .map_err(|e| self.corrupt(e.to_string()))?,
            Encoding::Zstd => zstd::bulk::Decompressor::new()
                .and_then(|mut d| d.decompress_to_buffer(stored, dest))
                .map_err(|e| self.corrupt(e.to_string()))?,
        };
        if n != CHUNK {
            return Err(self.corrupt(format!("{n} bytes instead of {CHUNK}")));
        }
        Ok(())
    }

    fn corrupt(&self, what: String) -> MemoryImageError {
        MemoryImageError::Corrupt {
            index: self.index,
            what,
        }
    }
}

/// Whether `chunk` is all zero: words OR-ed 512 bytes at a time (vectorized),
/// stopping at the first non-zero block.
pub fn is_zero(chunk: &[u8]) -> bool {
    chunk.chunks(512).all(|block| {
        let mut words = block.chunks_exact(8);
        let acc = words
            .by_ref()
            .map(|w| u64::from_ne_bytes(w.try_into().expect("8-byte chunk")))
            .fold(0u64, |a, w| a | w);
        acc == 0 && words.remainder().iter().all(|b| *b == 0)
    })
}

/// The threads to use for `chunks` chunks of work.
fn threads_for(chunks: usize, threads: usize) -> usize {
    if chunks < PARALLEL_MIN_CHUNKS {
        1
    } else {
        threads.clamp(1, chunks.div_ceil(BATCH))
    }
}

/// Runs `work` on every item, on `threads` threads (items are taken in
/// batches from a shared counter); returns the results in item order.
fn parallel_map<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    work: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    if threads <= 1 || items.len() <= 1 {
        return items.into_iter().map(work).collect();
    }
    let n = items.len();
    let slots: Vec<std::sync::Mutex<Option<T>>> = items
        .into_iter()
        .map(|i| std::sync::Mutex::new(Some(i)))
        .collect();
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.min(n))
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(slot) = slots.get(i) else { break };
                        let item = slot
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .take()
                            .expect("each item is taken once");
                        out.push((i, work(item)));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// A live memory to encode.
#[derive(Clone, Copy, Debug)]
pub struct MemorySource<'a> {
    /// Size in Wasm pages.
    pub pages: u64,
    /// Its `pages * WASM_PAGE` bytes.
    pub bytes: &'a [u8],
}

/// How to encode.
#[derive(Clone, Copy, Debug)]
pub struct EncodeOptions {
    /// Compression of non-zero chunks.
    pub codec: Codec,
    /// Threads to compress on (1: the calling thread only).
    pub threads: usize,
}

impl Default for EncodeOptions {
    fn default() -> EncodeOptions {
        EncodeOptions {
            codec: Codec::Lz4,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
        }
    }
}

/// The memory data area of a snapshot: raw chunks (borrowed from the live
/// memories, written without a copy) followed by compressed chunks.
#[derive(Clone, Debug, Default)]
pub struct DataArea<'a> {
    parts: Vec<Cow<'a, [u8]>>,
    len: u64,
    /// Bytes at the start that are raw chunks borrowed from linear memory
    /// (page-aligned in memory and in the file: they can be written with
    /// direct I/O).
    raw_len: u64,
}

impl<'a> DataArea<'a> {
    /// A data area given as one byte string (a decoded snapshot's).
    pub fn from_bytes(bytes: &'a [u8]) -> DataArea<'a> {
        DataArea {
            len: bytes.len() as u64,
            parts: vec![Cow::Borrowed(bytes)],
            raw_len: 0,
        }
    }

    fn push(&mut self, part: Cow<'a, [u8]>) {
        if !part.is_empty() {
            self.len += part.len() as u64;
            self.parts.push(part);
        }
    }

    /// Total bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the area is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes, in file order.
    pub fn parts(&self) -> impl Iterator<Item = &[u8]> {
        self.parts.iter().map(|p| &**p)
    }

    /// Bytes at the start that are raw chunks borrowed from linear memory.
    pub fn raw_len(&self) -> u64 {
        self.raw_len
    }
}

/// Counts of an encoding, for reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EncodeStats {
    /// All-zero chunks (elided).
    pub zero: u64,
    /// Chunks stored raw.
    pub raw: u64,
    /// Chunks stored compressed.
    pub compressed: u64,
}

/// Memories encoded for a snapshot.
#[derive(Debug)]
pub struct Encoded<'a> {
    /// Size and chunk table of each memory, in input order.
    pub images: Vec<MemoryImage>,
    /// The chunks' bytes.
    pub data: DataArea<'a>,
    /// What was stored how.
    pub stats: EncodeStats,
}

enum Stored {
    Zero,
    Raw {
        crc32: u32,
    },
    Compressed {
        encoding: Encoding,
        start: usize,
        len: usize,
        crc32: u32,
    },
}

struct Batch {
    memory: usize,
    first: usize,
    stored: Vec<Stored>,
    compressed: Vec<u8>,
}

struct Compressor {
    codec: Codec,
    scratch: Vec<u8>,
    zstd: Option<zstd::bulk::Compressor<'static>>,
}

impl Compressor {
    fn new(codec: Codec) -> Compressor {
        Compressor {
            codec,
            scratch: vec![0u8; lz4_flex::block::get_maximum_output_size(CHUNK)],
            zstd: None,
        }
    }

    /// Compresses `data` into the scratch buffer; the compressed length.
    fn compress(&mut self, data: &[u8]) -> Option<usize> {
        match self.codec {
            Codec::None => None,
            Codec::Lz4 => lz4_flex::block::compress_into(data, &mut self.scratch).ok(),
            Codec::Zstd => {
                if self.zstd.is_none() {
                    self.zstd = zstd::bulk::Compressor::new(ZSTD_LEVEL).ok();
                }
                let z = self.zstd.as_mut()?;
                z.compress_to_buffer(data, &mut self.scratch[..]).ok()
            }
        }
    }

    /// The stored form of a non-zero `chunk`, appending compressed bytes to `out`.
    fn store(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Stored {
        let encoding = match self.codec {
            Codec::None => {
                return Stored::Raw {
                    crc32: crc32fast::hash(chunk),
                }
            }
            Codec::Lz4 => Encoding::Lz4,
            Codec::Zstd => Encoding::Zstd,
        };
        // A sample that does not compress well predicts a chunk that does not.
        let sample_pays = self
            .compress(&chunk[..SAMPLE])
            .is_some_and(|n| n <= SAMPLE - SAMPLE / 16);
        if sample_pays {
            if let Some(n) = self.compress(chunk).filter(|n| *n <= MAX_COMPRESSED) {
                let bytes = &self.scratch[..n];
                let start = out.len();
                out.extend_from_slice(bytes);
                return Stored::Compressed {
                    encoding,
                    start,
                    len: n,
                    crc32: crc32fast::hash(bytes),
                };
            }
        }
        Stored::Raw {
            crc32: crc32fast::hash(chunk),
        }
    }
}

/// Runs the encoder once on a small made-up memory (a zero chunk and one
/// that compresses), so that the first real checkpoint does not pay the
/// encoder's one-time costs inside its latency: the checksum's CPU feature
/// detection (`cpuid`, slow in a virtual machine) and the first touches of
/// the encoder's code and buffers.
pub fn warm_up(options: EncodeOptions) {
    let bytes: Vec<u8> = (0..2 * WASM_PAGE as usize)
        .map(|i| if i < CHUNK { 0 } else { (i % 251) as u8 })
        .collect();
    let source = MemorySource {
        pages: 2,
        bytes: &bytes,
    };
    std::hint::black_box(encode(
        &[source],
        EncodeOptions {
            threads: 1,
            ..options
        },
    ));
}

/// Encodes `memories`: zero chunks elided, the others compressed or raw,
/// each with its checksum, on `options.threads` threads.
///
/// # Panics
/// If a source's byte length is not `pages * WASM_PAGE` (a caller bug).
pub fn encode<'a>(memories: &[MemorySource<'a>], options: EncodeOptions) -> Encoded<'a> {
    let mut work = Vec::new();
    let mut total = 0usize;
    for (m, src) in memories.iter().enumerate() {
        assert_eq!(
            src.bytes.len() as u64,
            src.pages.saturating_mul(WASM_PAGE),
            "memory source size"
        );
        let chunks = src.bytes.len() / CHUNK;
        total += chunks;
        work.extend((0..chunks).step_by(BATCH).map(|first| (m, first)));
    }
    let batches = parallel_map(work, threads_for(total, options.threads), |(m, first)| {
        let bytes = memories[m].bytes;
        let end = (first + BATCH).min(bytes.len() / CHUNK);
        let mut compressor = Compressor::new(options.codec);
        let mut batch = Batch {
            memory: m,
            first,
            stored: Vec::with_capacity(end - first),
            compressed: Vec::new(),
        };
        for i in first..end {
            let chunk = &bytes[i * CHUNK..(i + 1) * CHUNK];
            let stored = if is_zero(chunk) {
                Stored::Zero
            } else {
                compressor.store(chunk, &mut batch.compressed)
            };
            batch.stored.push(stored);
        }
        batch
    });
    // Raw chunks first (offsets k * CHUNK), then the compressed ones.
    let raw_count: u64 = batches
        .iter()
        .flat_map(|b| &b.stored)
        .filter(|s| matches!(s, Stored::Raw { .. }))
        .count() as u64;
    let mut images: Vec<MemoryImage> = memories
        .iter()
        .map(|m| MemoryImage {
            pages: m.pages,
            chunks: Vec::new(),
        })
        .collect();
    let mut stats = EncodeStats::default();
    let mut data = DataArea::default();
    let mut raw_next = 0u64;
    let mut compressed_next = raw_count * CHUNK as u64;
    // A run of consecutive raw chunks of one memory: (memory, first, end).
    let mut run: Option<(usize, usize, usize)> = None;
    let flush = |run: &mut Option<(usize, usize, usize)>, data: &mut DataArea<'a>| {
        if let Some((m, a, b)) = run.take() {
            data.push(Cow::Borrowed(&memories[m].bytes[a * CHUNK..b * CHUNK]));
        }
    };
    for batch in &batches {
        for (k, stored) in batch.stored.iter().enumerate() {
            let index = batch.first + k;
            let chunk = match *stored {
                Stored::Zero => {
                    stats.zero += 1;
                    continue;
                }
                Stored::Raw { crc32 } => {
                    stats.raw += 1;
                    match &mut run {
                        Some((m, _, end)) if *m == batch.memory && *end == index => *end += 1,
                        _ => {
                            flush(&mut run, &mut data);
                            run = Some((batch.memory, index, index + 1));
                        }
                    }
                    let offset = raw_next;
                    raw_next += CHUNK as u64;
                    Chunk {
                        index: index as u64,
                        encoding: Encoding::Raw,
                        offset,
                        len: CHUNK as u32,
                        crc32,
                    }
                }
                Stored::Compressed {
                    encoding,
                    start,
                    len,
                    crc32,
                } => {
                    stats.compressed += 1;
                    Chunk {
                        index: index as u64,
                        encoding,
                        offset: compressed_next + start as u64,
                        len: len as u32,
                        crc32,
                    }
                }
            };
            images[batch.memory].chunks.push(chunk);
        }
        compressed_next += batch.compressed.len() as u64;
    }
    flush(&mut run, &mut data);
    data.raw_len = data.len;
    debug_assert_eq!(data.raw_len, raw_count * CHUNK as u64);
    for batch in batches {
        data.push(Cow::Owned(batch.compressed));
    }
    debug_assert_eq!(data.len(), compressed_next);
    Encoded {
        images,
        data,
        stats,
    }
}

/// What happens to raw chunks when a memory is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawChunks {
    /// Copy them from the data area into memory and check them.
    Copy,
    /// They are already in memory (mapped from the file): check them there.
    VerifyInPlace,
    /// They are already in memory (mapped) and are not read now.
    Trust,
}

/// Counts of a restore, for reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApplyStats {
    /// Raw chunks copied or checked.
    pub raw_read: u64,
    /// Raw chunks left untouched (mapped, read when the program touches them).
    pub raw_lazy: u64,
    /// Compressed chunks decoded.
    pub decompressed: u64,
}

/// Stored bytes of a data area held in memory: `bytes` are the data area's
/// bytes from offset `base` on.
#[derive(Clone, Copy, Debug)]
pub struct StoredBytes<'s> {
    /// Data area offset of `bytes[0]`.
    pub base: u64,
    /// The bytes.
    pub bytes: &'s [u8],
}

impl<'s> StoredBytes<'s> {
    fn of(&self, c: &Chunk) -> Result<&'s [u8], MemoryImageError> {
        c.offset
            .checked_sub(self.base)
            .and_then(|start| {
                let start = usize::try_from(start).ok()?;
                self.bytes.get(start..start.checked_add(c.len as usize)?)
            })
            .ok_or_else(|| c.corrupt("its bytes are outside the data read".into()))
    }
}

/// Writes the chunks of `image` into `dest` (its memory's bytes, zero
/// beforehand): compressed chunks are decoded from `stored`, raw chunks
/// copied from it, checked in place or left alone as `raw` says. The table
/// must have passed [`MemoryImage::validate`].
///
/// # Errors
/// The first chunk that is corrupt, or a table that does not fit `dest`.
pub fn apply(
    image: &MemoryImage,
    dest: &mut [u8],
    raw: RawChunks,
    threads: usize,
    stored: StoredBytes<'_>,
) -> Result<ApplyStats, MemoryImageError> {
    if dest.len() as u64 != image.pages.saturating_mul(WASM_PAGE) {
        return Err(MemoryImageError::BadTable(format!(
            "{} pages, but the memory has {} bytes",
            image.pages,
            dest.len()
        )));
    }
    let mut stats = ApplyStats::default();
    let mut slots: Vec<Option<&mut [u8]>> = dest.chunks_mut(CHUNK).map(Some).collect();
    let mut jobs: Vec<(&Chunk, &mut [u8])> = Vec::with_capacity(image.chunks.len());
    for c in &image.chunks {
        let slot = slots
            .get_mut(c.index as usize)
            .and_then(Option::take)
            .ok_or_else(|| {
                MemoryImageError::BadTable(format!("chunk {} is out of range or repeated", c.index))
            })?;
        match (c.encoding, raw) {
            (Encoding::Raw, RawChunks::Trust) => stats.raw_lazy += 1,
            (Encoding::Raw, _) => {
                stats.raw_read += 1;
                jobs.push((c, slot));
            }
            _ => {
                stats.decompressed += 1;
                jobs.push((c, slot));
            }
        }
    }
    let threads = threads_for(jobs.len(), threads);
    // Contiguous groups of jobs, a few per thread.
    let per = jobs.len().div_ceil(threads * 4).max(BATCH);
    let mut groups = Vec::new();
    while !jobs.is_empty() {
        let rest = jobs.split_off(per.min(jobs.len()));
        groups.push(std::mem::replace(&mut jobs, rest));
    }
    let results = parallel_map(groups, threads, |group| {
        for (c, slot) in group {
            if c.encoding == Encoding::Raw && raw == RawChunks::VerifyInPlace {
                c.verify(slot)?;
            } else {
                c.decode_into(stored.of(c)?, slot)?;
            }
        }
        Ok(())
    });
    results.into_iter().collect::<Result<(), _>>()?;
    Ok(stats)
}

#[cfg(test)]
mod tests;
