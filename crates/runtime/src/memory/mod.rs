//! Linear memories and tables: reservation, growth, protection, and checked
//! access for the host.
//!
//! A memory is one `mmap` reservation, `PROT_NONE` except for the accessible
//! prefix, and never moves: `memory.grow` only changes protections. A 32-bit
//! memory's reservation also covers a 64 KiB guard below its base
//! (`MEMORY32_GUARD_BELOW`, which the compiler's split addresses rely on).
//! Every live
//! reservation is listed in a fixed, lock-free registry so the signal handler
//! can tell a Wasm out-of-bounds access from a real crash. This module must not
//! know about instances or traps.

pub mod table;

use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

use tern_environ::tunables::{MEMORY32_GUARD_BELOW, MEMORY32_MAX_BYTES, MEMORY32_RESERVATION};
use tern_environ::MemoryType;

use crate::vmctx::VMMemoryDefinition;

pub use table::Table;

/// Largest reservation made for a 64-bit memory.
const MEMORY64_MAX_RESERVATION: u64 = 16 << 30;

/// Number of reservations the fault registry can track.
const REGISTRY_SLOTS: usize = 8192;

#[allow(clippy::declare_interior_mutable_const, reason = "array initializer")]
const EMPTY_SLOT: (AtomicUsize, AtomicUsize) = (AtomicUsize::new(0), AtomicUsize::new(0));
/// `(start, end)` of every live reservation; `(0, 0)` is a free slot.
static REGISTRY: [(AtomicUsize, AtomicUsize); REGISTRY_SLOTS] = [EMPTY_SLOT; REGISTRY_SLOTS];

fn register(start: usize, end: usize) -> Option<usize> {
    for (index, (s, e)) in REGISTRY.iter().enumerate() {
        if s.compare_exchange(0, start, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            e.store(end, Ordering::Release);
            return Some(index);
        }
    }
    None
}

fn unregister(slot: usize) {
    REGISTRY[slot].1.store(0, Ordering::Release);
    REGISTRY[slot].0.store(0, Ordering::Release);
}

/// Whether `addr` lies inside a live memory reservation. Async-signal-safe.
pub fn is_wasm_memory_address(addr: usize) -> bool {
    REGISTRY.iter().any(|(s, e)| {
        let start = s.load(Ordering::Acquire);
        start != 0 && addr >= start && addr < e.load(Ordering::Acquire)
    })
}

/// Host page size.
pub fn host_page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as usize
    } else {
        4096
    }
}

fn round_up(value: u64, to: u64) -> Option<u64> {
    value.checked_add(to - 1).map(|v| v / to * to)
}

/// Error creating a memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryError(pub String);

impl std::fmt::Display for MemoryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A guest access outside the memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfBounds;

/// A linear memory.
#[derive(Debug)]
pub struct Memory {
    definition: Box<VMMemoryDefinition>,
    /// Bytes reserved from `base` on.
    reservation: usize,
    /// Bytes reserved below `base` (a guard; the mapping starts there).
    guard_below: usize,
    accessible: Cell<u64>,
    pages: Cell<u64>,
    max_pages: u64,
    ty: MemoryType,
    slot: Option<usize>,
}

impl Memory {
    /// Reserves and maps a memory of type `ty` at its minimum size.
    ///
    /// # Errors
    /// Fails when the minimum exceeds what the type or the reservation allows,
    /// or when the address space cannot be reserved.
    pub fn new(ty: MemoryType) -> Result<Memory, MemoryError> {
        if ty.page_size_log2 > 16 {
            return Err(MemoryError("invalid page size".into()));
        }
        let page = ty.page_size();
        let host_page = host_page_size() as u64;
        let (reservation, addressable, guard_below) = if ty.memory64 {
            let want = ty
                .maximum
                .and_then(|m| m.checked_mul(page))
                .unwrap_or(u64::MAX);
            let min_bytes = ty
                .minimum
                .checked_mul(page)
                .ok_or_else(|| MemoryError("memory size exceeds limits".into()))?;
            let reserve = want.min(MEMORY64_MAX_RESERVATION).max(min_bytes);
            let reserve = round_up(reserve.max(host_page), host_page)
                .ok_or_else(|| MemoryError("memory size exceeds limits".into()))?;
            (reserve, reserve, 0)
        } else {
            (
                MEMORY32_RESERVATION,
                MEMORY32_MAX_BYTES,
                MEMORY32_GUARD_BELOW,
            )
        };
        let mut max_pages = addressable / page;
        if !ty.memory64 && page == 1 {
            // A 32-bit memory with 1-byte pages holds at most 2^32 - 1 pages.
            max_pages = max_pages.min(u32::MAX as u64);
        }
        if let Some(max) = ty.maximum {
            max_pages = max_pages.min(max);
        }
        if ty.minimum > max_pages {
            return Err(MemoryError("memory size exceeds limits".into()));
        }
        let len = usize::try_from(reservation)
            .map_err(|_| MemoryError("memory reservation too large".into()))?;
        let guard_below = round_up(guard_below, host_page)
            .and_then(|g| usize::try_from(g).ok())
            .ok_or_else(|| MemoryError("memory reservation too large".into()))?;
        // SAFETY: an anonymous PROT_NONE mapping at an address of the kernel's choice
        // has no effect on existing memory.
        let start = unsafe {
            libc::mmap(
                ptr::null_mut(),
                guard_below + len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if start == libc::MAP_FAILED {
            return Err(MemoryError("failed to reserve memory".into()));
        }
        let base = start as usize + guard_below;
        let slot = register(start as usize, base + len);
        let memory = Memory {
            definition: Box::new(VMMemoryDefinition {
                base: Cell::new(base as *mut u8),
                length: Cell::new(0),
            }),
            reservation: len,
            guard_below,
            accessible: Cell::new(0),
            pages: Cell::new(0),
            max_pages,
            ty,
            slot,
        };
        if memory.grow(ty.minimum).is_none() {
            return Err(MemoryError("failed to map memory".into()));
        }
        Ok(memory)
    }

    /// The memory's type as declared.
    pub fn ty(&self) -> &MemoryType {
        &self.ty
    }

    /// The type this memory presents to import matching: current size as minimum.
    pub fn current_type(&self) -> MemoryType {
        MemoryType {
            minimum: self.pages.get(),
            ..self.ty
        }
    }

    /// The definition compiled code reads.
    pub fn definition(&self) -> *const VMMemoryDefinition {
        &*self.definition
    }

    /// Base address (stable for the memory's lifetime).
    pub fn base(&self) -> *mut u8 {
        self.definition.base.get()
    }

    /// Current size in pages.
    pub fn pages(&self) -> u64 {
        self.pages.get()
    }

    /// Current size in bytes.
    pub fn byte_len(&self) -> u64 {
        self.definition.length.get()
    }

    /// Grows by `delta` pages; returns the old size in pages, or `None` when the
    /// maximum, the address-space limit or the reservation would be exceeded.
    pub fn grow(&self, delta: u64) -> Option<u64> {
        let old = self.pages.get();
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        let new_bytes = new.checked_mul(self.ty.page_size())?;
        let host_page = host_page_size() as u64;
        let new_accessible = round_up(new_bytes, host_page)?;
        if new_accessible > self.reservation as u64 {
            return None;
        }
        let accessible = self.accessible.get();
        if new_accessible > accessible {
            // SAFETY: the range lies inside our own reservation (checked above).
            let rc = unsafe {
                libc::mprotect(
                    self.base().add(accessible as usize) as *mut libc::c_void,
                    (new_accessible - accessible) as usize,
                    libc::PROT_READ | libc::PROT_WRITE,
                )
            };
            if rc != 0 {
                return None;
            }
            self.accessible.set(new_accessible);
        }
        self.pages.set(new);
        self.definition.length.set(new_bytes);
        Some(old)
    }

    fn check(&self, offset: u64, len: u64) -> Result<usize, OutOfBounds> {
        match offset.checked_add(len) {
            Some(end) if end <= self.byte_len() => Ok(offset as usize),
            _ => Err(OutOfBounds),
        }
    }

    /// Copies guest bytes `[offset, offset + buf.len())` into `buf`.
    ///
    /// # Errors
    /// [`OutOfBounds`] if the range is not inside the memory.
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), OutOfBounds> {
        let start = self.check(offset, buf.len() as u64)?;
        // SAFETY: the range is inside the accessible part (checked) and `buf` is host memory.
        unsafe { ptr::copy_nonoverlapping(self.base().add(start), buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }

    /// Copies `data` into guest bytes starting at `offset`.
    ///
    /// # Errors
    /// [`OutOfBounds`] if the range is not inside the memory.
    pub fn write(&self, offset: u64, data: &[u8]) -> Result<(), OutOfBounds> {
        let start = self.check(offset, data.len() as u64)?;
        // SAFETY: the range is inside the accessible part (checked) and `data` is host memory.
        unsafe { ptr::copy_nonoverlapping(data.as_ptr(), self.base().add(start), data.len()) };
        Ok(())
    }

    /// Sets `len` bytes at `offset` to `value`.
    ///
    /// # Errors
    /// [`OutOfBounds`] if the range is not inside the memory (even when `len` is 0).
    pub fn fill(&self, offset: u64, value: u8, len: u64) -> Result<(), OutOfBounds> {
        let start = self.check(offset, len)?;
        // SAFETY: the range is inside the accessible part (checked).
        unsafe { ptr::write_bytes(self.base().add(start), value, len as usize) };
        Ok(())
    }

    /// Copies `len` bytes from `src` at `src_offset` to `dst` at `dst_offset`;
    /// the ranges may overlap (same memory).
    ///
    /// # Errors
    /// [`OutOfBounds`] if either range is not inside its memory.
    pub fn copy(
        dst: &Memory,
        dst_offset: u64,
        src: &Memory,
        src_offset: u64,
        len: u64,
    ) -> Result<(), OutOfBounds> {
        let d = dst.check(dst_offset, len)?;
        let s = src.check(src_offset, len)?;
        // SAFETY: both ranges are inside accessible memory (checked); `copy` handles overlap.
        unsafe { ptr::copy(src.base().add(s), dst.base().add(d), len as usize) };
        Ok(())
    }

    /// Runs `f` on the whole accessible memory as one byte slice (for host
    /// code such as a WASI implementation that takes `&mut [u8]`).
    ///
    /// # Panics
    /// If the memory is larger than the host's address space (never on 64-bit hosts).
    pub fn with_bytes<R>(&self, f: impl FnOnce(&mut [u8]) -> R) -> R {
        let len = usize::try_from(self.byte_len()).expect("memory fits the address space");
        // SAFETY: `[base, base + len)` is mapped read-write (the accessible part) and
        // stays so during `f`: the memory cannot shrink, and Wasm code, the only
        // other accessor, is suspended while host code runs on this thread.
        let bytes = unsafe { std::slice::from_raw_parts_mut(self.base(), len) };
        f(bytes)
    }

    /// Maps `len` bytes of `file` from `file_offset` over the guest bytes at
    /// `offset`, private and copy-on-write: the guest sees the file's bytes,
    /// its writes go to anonymous pages, and the file is never written.
    /// Nothing is read until touched, unless `populate` (the pages are then
    /// mapped from the page cache at once, read-only first so that no page is
    /// copied, then made writable). The memory keeps its reservation,
    /// registry slot and protections; growing it later maps zero pages as usual.
    ///
    /// The file must not be truncated while the memory lives: touching a page
    /// past its end raises SIGBUS.
    ///
    /// # Errors
    /// A range outside the accessible memory, an offset or length that is not
    /// a multiple of the host page size, or a failed `mmap`/`mprotect` (the
    /// range is then zero-filled anonymous memory again, as before the call).
    pub fn map_file(
        &self,
        offset: u64,
        len: u64,
        file: &std::fs::File,
        file_offset: u64,
        populate: bool,
    ) -> Result<(), MemoryError> {
        use std::os::fd::AsRawFd;
        let page = host_page_size() as u64;
        let inside = offset
            .checked_add(len)
            .is_some_and(|end| end <= self.accessible.get());
        if !inside
            || !offset.is_multiple_of(page)
            || !len.is_multiple_of(page)
            || !file_offset.is_multiple_of(page)
        {
            return Err(MemoryError(format!(
                "cannot map {len} bytes at {offset:#x} (file offset {file_offset:#x}): outside the memory or not page-aligned"
            )));
        }
        let file_offset = libc::off_t::try_from(file_offset)
            .map_err(|_| MemoryError("file offset too large".into()))?;
        if len == 0 {
            return Ok(());
        }
        let len = len as usize;
        // SAFETY: inside the accessible part of our reservation (checked above).
        let addr = unsafe { self.base().add(offset as usize) } as *mut libc::c_void;
        if populate {
            // One large read-ahead instead of the fault path's small ones
            // (matters when the file is not in the page cache).
            // SAFETY: an advisory call on our own descriptor; no memory is passed.
            unsafe {
                libc::posix_fadvise(
                    file.as_raw_fd(),
                    file_offset,
                    len as libc::off_t,
                    libc::POSIX_FADV_WILLNEED,
                )
            };
        }
        let (prot, extra) = if populate {
            (libc::PROT_READ, libc::MAP_POPULATE)
        } else {
            (libc::PROT_READ | libc::PROT_WRITE, 0)
        };
        // SAFETY: MAP_FIXED replaces pages of our own reservation only (the
        // range is inside it); no host reference into guest memory is live
        // while a memory is being restored.
        let mapped = unsafe {
            libc::mmap(
                addr,
                len,
                prot,
                libc::MAP_PRIVATE | libc::MAP_FIXED | extra,
                file.as_raw_fd(),
                file_offset,
            )
        };
        let ok = mapped == addr
            && (!populate
                // SAFETY: the range was just mapped by us.
                || unsafe { libc::mprotect(addr, len, libc::PROT_READ | libc::PROT_WRITE) } == 0);
        if ok {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        // SAFETY: as above: put back zeroed anonymous read-write pages.
        unsafe {
            libc::mmap(
                addr,
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_FIXED | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        Err(MemoryError(format!("cannot map the snapshot file: {err}")))
    }

    /// Reads a little-endian `u32` at `offset`.
    ///
    /// # Errors
    /// [`OutOfBounds`] if the bytes are not inside the memory.
    pub fn read_u32(&self, offset: u64) -> Result<u32, OutOfBounds> {
        let mut b = [0u8; 4];
        self.read(offset, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// Reads a little-endian `u64` at `offset`.
    ///
    /// # Errors
    /// [`OutOfBounds`] if the bytes are not inside the memory.
    pub fn read_u64(&self, offset: u64) -> Result<u64, OutOfBounds> {
        let mut b = [0u8; 8];
        self.read(offset, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Reads `len` bytes at `offset` into a new vector.
    ///
    /// # Errors
    /// [`OutOfBounds`] if the bytes are not inside the memory.
    pub fn read_vec(&self, offset: u64, len: u64) -> Result<Vec<u8>, OutOfBounds> {
        self.check(offset, len)?;
        let mut v = vec![0u8; len as usize];
        self.read(offset, &mut v)?;
        Ok(v)
    }

    /// Atomically loads the aligned `u32` at `offset` (for `wait32`).
    ///
    /// # Errors
    /// [`OutOfBounds`] if the bytes are not inside the memory.
    pub fn load_u32_atomic(&self, offset: u64) -> Result<u32, OutOfBounds> {
        let start = self.check(offset, 4)?;
        if start % 4 != 0 {
            return Err(OutOfBounds);
        }
        // SAFETY: in bounds and aligned (checked); memory is shared only through atomics.
        let atomic = unsafe { &*(self.base().add(start) as *const std::sync::atomic::AtomicU32) };
        Ok(atomic.load(Ordering::SeqCst))
    }

    /// Atomically loads the aligned `u64` at `offset` (for `wait64`).
    ///
    /// # Errors
    /// [`OutOfBounds`] if the bytes are not inside the memory.
    pub fn load_u64_atomic(&self, offset: u64) -> Result<u64, OutOfBounds> {
        let start = self.check(offset, 8)?;
        if start % 8 != 0 {
            return Err(OutOfBounds);
        }
        // SAFETY: in bounds and aligned (checked).
        let atomic = unsafe { &*(self.base().add(start) as *const std::sync::atomic::AtomicU64) };
        Ok(atomic.load(Ordering::SeqCst))
    }
}

/// Runs `f` on the accessible bytes of every memory in `memories` at once
/// (shared: for writing a snapshot, which reads them all together).
///
/// # Panics
/// If a memory is larger than the host's address space (never on 64-bit hosts).
pub fn with_all_bytes<R>(memories: &[&Memory], f: impl FnOnce(&[&[u8]]) -> R) -> R {
    let slices: Vec<&[u8]> = memories
        .iter()
        .map(|m| {
            let len = usize::try_from(m.byte_len()).expect("memory fits the address space");
            // SAFETY: as in `with_bytes`: `[base, base + len)` is mapped and stays
            // so during `f`; Wasm code is suspended while host code runs, and the
            // slices are shared, so nothing writes through them.
            unsafe { std::slice::from_raw_parts(m.base() as *const u8, len) }
        })
        .collect();
    f(&slices)
}

impl Drop for Memory {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            unregister(slot);
        }
        // SAFETY: we own the reservation (the guard below the base and the
        // range from it); nothing references it any more.
        unsafe {
            libc::munmap(
                self.base().sub(self.guard_below) as *mut libc::c_void,
                self.guard_below + self.reservation,
            )
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(min: u64, max: Option<u64>) -> MemoryType {
        MemoryType {
            minimum: min,
            maximum: max,
            memory64: false,
            shared: false,
            page_size_log2: 16,
        }
    }

    fn readable(addr: *mut u8) -> bool {
        // mincore-free probe: ask the kernel whether the page is accessible by
        // writing it through /proc/self/mem would be heavy; use madvise-free check:
        // `msync` fails with ENOMEM only for unmapped pages, so use mprotect info
        // from /proc/self/maps instead.
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let a = addr as usize;
        maps.lines().any(|line| {
            let mut parts = line.split_whitespace();
            let range = parts.next().unwrap();
            let perms = parts.next().unwrap();
            let (s, e) = range.split_once('-').unwrap();
            let s = usize::from_str_radix(s, 16).unwrap();
            let e = usize::from_str_radix(e, 16).unwrap();
            a >= s && a < e && perms.starts_with("rw")
        })
    }

    #[test]
    fn reserve_and_grow_changes_protection_not_base() {
        let m = Memory::new(ty(1, Some(3))).unwrap();
        let base = m.base();
        assert_eq!(m.byte_len(), 65536);
        assert!(readable(base));
        assert!(!readable(base.wrapping_add(65536)));
        assert!(is_wasm_memory_address(base as usize + 65536));
        assert!(is_wasm_memory_address(base as usize + (8 << 30)));
        // The guard below the base is part of the reservation.
        assert!(is_wasm_memory_address(base as usize - 1));
        assert!(is_wasm_memory_address(base as usize - 65536));
        assert!(!readable(base.wrapping_sub(1)));
        assert_eq!(m.grow(1), Some(1));
        assert_eq!(m.base(), base);
        assert_eq!(m.byte_len(), 2 * 65536);
        assert!(readable(base.wrapping_add(65536)));
        assert_eq!(m.grow(2), None, "maximum is 3 pages");
        assert_eq!(m.grow(1), Some(2));
        assert_eq!(m.grow(0), Some(3));
        m.write(3 * 65536 - 4, &[1, 2, 3, 4]).unwrap();
        assert_eq!(m.read_u32(3 * 65536 - 4).unwrap(), 0x04030201);
        assert_eq!(m.write(3 * 65536 - 3, &[1, 2, 3, 4]), Err(OutOfBounds));
        assert_eq!(m.fill(3 * 65536, 0, 0), Ok(()));
        assert_eq!(m.fill(3 * 65536 + 1, 0, 0), Err(OutOfBounds));
        // Not checked after `drop(m)`: tests run in parallel, and another
        // test's memory may be mapped at the freed addresses at once (seen
        // in the full test run of 2026-12-02).
    }

    #[test]
    fn memory32_limit_is_four_gib() {
        let m = Memory::new(ty(0, None)).unwrap();
        assert_eq!(m.grow(65537), None);
        assert_eq!(m.grow(0), Some(0));
        assert!(Memory::new(ty(65537, None)).is_err());
    }

    #[test]
    fn memory64_respects_reservation() {
        let t = MemoryType {
            minimum: 1,
            maximum: Some(4),
            memory64: true,
            shared: false,
            page_size_log2: 16,
        };
        let m = Memory::new(t).unwrap();
        assert_eq!(m.grow(3), Some(1));
        assert_eq!(m.grow(1), None);
    }

    #[test]
    fn overlapping_copy() {
        let m = Memory::new(ty(1, None)).unwrap();
        m.write(0, &[1, 2, 3, 4, 5]).unwrap();
        Memory::copy(&m, 1, &m, 0, 4).unwrap();
        assert_eq!(m.read_vec(0, 5).unwrap(), vec![1, 1, 2, 3, 4]);
        Memory::copy(&m, 0, &m, 1, 4).unwrap();
        assert_eq!(m.read_vec(0, 5).unwrap(), vec![1, 2, 3, 4, 4]);
        assert_eq!(Memory::copy(&m, 65536, &m, 0, 1), Err(OutOfBounds));
        assert_eq!(Memory::copy(&m, 65536, &m, 0, 0), Ok(()));
        assert_eq!(
            m.with_bytes(|b| (b.len(), b[..3].to_vec())),
            (65536, vec![1, 2, 3])
        );
    }

    #[test]
    fn a_file_maps_copy_on_write_and_misaligned_ranges_are_refused() {
        let path = std::env::temp_dir().join(format!("tern-map-{}", std::process::id()));
        let mut data = vec![0u8; 3 * 65536];
        data.iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = (i % 251) as u8);
        std::fs::write(&path, &data).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        for populate in [false, true] {
            let m = Memory::new(ty(4, None)).unwrap();
            // File bytes [65536, 196608) become guest bytes [65536, 196608).
            m.map_file(65536, 2 * 65536, &file, 65536, populate)
                .unwrap();
            assert_eq!(m.read_vec(0, 16).unwrap(), vec![0u8; 16]);
            assert_eq!(m.read_vec(65536, 65536).unwrap(), &data[65536..131072]);
            m.write(70000, &[9, 9]).unwrap();
            assert_eq!(m.read_vec(70000, 2).unwrap(), vec![9, 9]);
            assert_eq!(m.grow(1), Some(4), "growing after a mapping still works");
            assert!(m.map_file(1, 65536, &file, 0, populate).is_err());
            assert!(m.map_file(0, 65536, &file, 1, populate).is_err());
            assert!(m
                .map_file(4 * 65536, 2 * 65536, &file, 0, populate)
                .is_err());
        }
        assert_eq!(
            std::fs::read(&path).unwrap(),
            data,
            "the file is never written"
        );
        std::fs::remove_file(&path).unwrap();
    }
}
