//! Linear memory images: all-zero chunks elided, the rest zstd-compressed.

use serde::{Deserialize, Serialize};

/// Granularity of zero elision (bytes).
pub const CHUNK: usize = 4096;
/// Size of a WebAssembly page.
pub const WASM_PAGE: u64 = 65536;
/// zstd level used for memory (fast; memory bandwidth bound on large heaps).
const LEVEL: i32 = 1;

/// One memory's contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryImage {
    /// Size in Wasm pages.
    pub pages: u64,
    /// Runs of non-zero chunks as `(first chunk, chunk count)`, ascending.
    pub runs: Vec<(u64, u64)>,
    /// zstd frame of the bytes of every run, in order.
    #[serde(with = "serde_bytes_compat")]
    pub compressed: Vec<u8>,
}

mod serde_bytes_compat {
    //! `Vec<u8>` as one byte string (postcard stores it as length + bytes).
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        <&[u8]>::deserialize(d).map(<[u8]>::to_vec)
    }
}

/// Why a memory image cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MemoryImageError {
    /// Runs out of order, overlapping or past the memory's size.
    #[error("memory image runs are out of range or out of order")]
    BadRuns,
    /// The compressed data is corrupt or does not hold the runs' bytes.
    #[error("memory image data is corrupt: {0}")]
    Corrupt(String),
}

impl MemoryImage {
    /// Captures `bytes` (the memory's whole accessible range, `pages` pages).
    pub fn capture(bytes: &[u8], pages: u64) -> MemoryImage {
        let mut runs: Vec<(u64, u64)> = Vec::new();
        let mut data = Vec::new();
        for (i, chunk) in bytes.chunks(CHUNK).enumerate() {
            if chunk.iter().all(|b| *b == 0) {
                continue;
            }
            let i = i as u64;
            match runs.last_mut() {
                Some((start, count)) if *start + *count == i => *count += 1,
                _ => runs.push((i, 1)),
            }
            data.extend_from_slice(chunk);
        }
        let compressed = zstd::bulk::compress(&data, LEVEL).unwrap_or_default();
        MemoryImage {
            pages,
            runs,
            compressed,
        }
    }

    /// Bytes of non-zero data the image holds.
    pub fn nonzero_bytes(&self) -> u64 {
        self.runs.iter().map(|(_, n)| n * CHUNK as u64).sum()
    }

    /// Checks that the runs fit the memory size; returns the byte length.
    ///
    /// # Errors
    /// [`MemoryImageError::BadRuns`].
    pub fn validate(&self) -> Result<u64, MemoryImageError> {
        let len = self
            .pages
            .checked_mul(WASM_PAGE)
            .ok_or(MemoryImageError::BadRuns)?;
        let chunks = len.div_ceil(CHUNK as u64);
        let mut next = 0u64;
        for (start, count) in &self.runs {
            let end = start.checked_add(*count).ok_or(MemoryImageError::BadRuns)?;
            if *start < next || *count == 0 || end > chunks {
                return Err(MemoryImageError::BadRuns);
            }
            next = end;
        }
        Ok(len)
    }

    /// Writes the image into `dest` (the memory's accessible bytes, zeroed
    /// where the image has no run).
    ///
    /// # Errors
    /// Bad runs, a destination of the wrong size, or corrupt data.
    pub fn apply(&self, dest: &mut [u8]) -> Result<(), MemoryImageError> {
        let len = self.validate()?;
        if dest.len() as u64 != len {
            return Err(MemoryImageError::BadRuns);
        }
        let expected = self.nonzero_bytes() as usize;
        let data = zstd::bulk::decompress(&self.compressed, expected)
            .map_err(|e| MemoryImageError::Corrupt(e.to_string()))?;
        if data.len() != expected {
            return Err(MemoryImageError::Corrupt(format!(
                "{} bytes instead of {expected}",
                data.len()
            )));
        }
        let mut at = 0usize;
        for (start, count) in &self.runs {
            let from = (*start as usize) * CHUNK;
            let n = (*count as usize) * CHUNK;
            let to = (from + n).min(dest.len());
            dest[from..to].copy_from_slice(&data[at..at + (to - from)]);
            at += n;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_chunks_are_elided_and_data_round_trips() {
        let mut mem = vec![0u8; 2 * WASM_PAGE as usize];
        mem[5] = 1;
        mem[CHUNK * 3 + 7] = 9;
        mem[CHUNK * 4] = 2;
        let image = MemoryImage::capture(&mem, 2);
        assert_eq!(image.runs, vec![(0, 1), (3, 2)]);
        assert_eq!(image.nonzero_bytes(), 3 * CHUNK as u64);
        let mut back = vec![0xffu8; mem.len()];
        back.iter_mut().for_each(|b| *b = 0);
        image.apply(&mut back).unwrap();
        assert_eq!(back, mem);
    }

    #[test]
    fn bad_runs_and_corrupt_data_are_rejected() {
        let mem = vec![1u8; WASM_PAGE as usize];
        let mut image = MemoryImage::capture(&mem, 1);
        let mut dest = vec![0u8; mem.len()];
        image.runs.push((100, 1));
        assert!(image.apply(&mut dest).is_err());
        let mut image = MemoryImage::capture(&mem, 1);
        image.compressed[0] ^= 0xff;
        assert!(image.apply(&mut dest).is_err());
    }
}
