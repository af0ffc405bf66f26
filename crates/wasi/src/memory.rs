//! Checked access to the guest's linear memory, given as one `&mut [u8]` slice.
//!
//! Every guest pointer goes through here: an access that does not fit in the slice
//! is `EFAULT`, never a panic. Values are little-endian, as Wasm defines them.

use crate::errno::Errno;
use crate::types::layout::IOVEC_SIZE;

/// Bounds-checked range `ptr..ptr+len` of `mem`.
///
/// # Errors
/// `Errno::Fault` when the range does not fit in `mem`.
pub fn range(mem: &[u8], ptr: u32, len: u32) -> Result<std::ops::Range<usize>, Errno> {
    let start = ptr as usize;
    let end = start.checked_add(len as usize).ok_or(Errno::Fault)?;
    if end > mem.len() {
        return Err(Errno::Fault);
    }
    Ok(start..end)
}

/// The guest bytes `ptr..ptr+len`.
///
/// # Errors
/// `Errno::Fault` when out of bounds.
pub fn slice(mem: &[u8], ptr: u32, len: u32) -> Result<&[u8], Errno> {
    let r = range(mem, ptr, len)?;
    Ok(&mem[r])
}

/// The guest bytes `ptr..ptr+len`, writable.
///
/// # Errors
/// `Errno::Fault` when out of bounds.
pub fn slice_mut(mem: &mut [u8], ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
    let r = range(mem, ptr, len)?;
    Ok(&mut mem[r])
}

macro_rules! rw {
    ($read:ident, $write:ident, $t:ty) => {
        /// Reads a little-endian value at `ptr`.
        ///
        /// # Errors
        /// `Errno::Fault` when out of bounds.
        pub fn $read(mem: &[u8], ptr: u32) -> Result<$t, Errno> {
            let b = slice(mem, ptr, std::mem::size_of::<$t>() as u32)?;
            Ok(<$t>::from_le_bytes(
                b.try_into().expect("slice has the type's size"),
            ))
        }
        /// Writes a little-endian value at `ptr`.
        ///
        /// # Errors
        /// `Errno::Fault` when out of bounds.
        pub fn $write(mem: &mut [u8], ptr: u32, v: $t) -> Result<(), Errno> {
            slice_mut(mem, ptr, std::mem::size_of::<$t>() as u32)?
                .copy_from_slice(&v.to_le_bytes());
            Ok(())
        }
    };
}
rw!(read_u8, write_u8, u8);
rw!(read_u16, write_u16, u16);
rw!(read_u32, write_u32, u32);
rw!(read_u64, write_u64, u64);

/// Reads a guest string (`ptr`, `len`) that must be valid UTF-8 (WASI strings are).
///
/// # Errors
/// `Errno::Fault` when out of bounds, `Errno::Ilseq` when not UTF-8.
pub fn read_str(mem: &[u8], ptr: u32, len: u32) -> Result<&str, Errno> {
    std::str::from_utf8(slice(mem, ptr, len)?).map_err(|_| Errno::Ilseq)
}

/// Reads an iovec array and returns the checked ranges of `mem` it names.
///
/// # Errors
/// `Errno::Fault` when the array or any buffer is out of bounds.
pub fn iovecs(mem: &[u8], iovs: u32, iovs_len: u32) -> Result<Vec<std::ops::Range<usize>>, Errno> {
    let bytes = iovs_len.checked_mul(IOVEC_SIZE).ok_or(Errno::Fault)?;
    range(mem, iovs, bytes)?;
    let mut out = Vec::with_capacity(iovs_len as usize);
    for i in 0..iovs_len {
        let base = iovs + i * IOVEC_SIZE;
        let ptr = read_u32(mem, base)?;
        let len = read_u32(mem, base + 4)?;
        out.push(range(mem, ptr, len)?);
    }
    Ok(out)
}

/// Host `iovec`s over guest ranges, for `readv`/`writev` and friends.
///
/// The returned vector borrows nothing; its pointers stay valid while `mem` is not
/// moved or resized, which callers guarantee by holding `&mut mem` across the call.
pub fn host_iovecs(mem: &mut [u8], ranges: &[std::ops::Range<usize>]) -> Vec<libc::iovec> {
    let base = mem.as_mut_ptr();
    ranges
        .iter()
        .filter(|r| !r.is_empty())
        .map(|r| libc::iovec {
            // SAFETY: `r` was bounds-checked against `mem` by `iovecs`, so
            // `base + r.start` stays inside the allocation.
            iov_base: unsafe { base.add(r.start) }.cast(),
            iov_len: r.len(),
        })
        .collect()
}
