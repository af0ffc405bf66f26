//! The stackmap records of capture statepoints, and reading a frame's saved
//! values through them.
//!
//! Every `--cr` object carries LLVM's stackmap records (format version 3,
//! <https://llvm.org/docs/StackMaps.html>) in `.llvm_stackmaps`, and its
//! module descriptor reaches them (`VMModuleDescriptor::stackmaps`), which
//! `libcalls::entry` hands to [`register`]. A capture's record lists, after
//! LLVM's three statepoint constants, one location per saved value in the
//! compact layout (saved locals, then the operand stack). The index from
//! return address to record is built at the first capture, so a program that
//! never checkpoints never reads the records.
//!
//! The records are compiler output, not input: a malformed one is a tern bug,
//! and it fails the capture with a message rather than a crash.

use std::collections::HashMap;
use std::sync::Mutex;

use tern_environ::migration::STATEPOINT_HEADER_LOCATIONS;

use super::capture;
use super::frame_registers::Registers;

/// The record sets handed over by module descriptors (their addresses).
static SECTIONS: Mutex<Vec<usize>> = Mutex::new(Vec::new());
/// The records of every registered set, by absolute return address.
static INDEX: Mutex<Option<Index>> = Mutex::new(None);

/// Registers the stackmap records at `start` of a loaded module (null for a
/// module without captures).
pub fn register(start: *const u8) {
    if start.is_null() {
        return;
    }
    let mut sections = SECTIONS.lock().unwrap_or_else(|e| e.into_inner());
    if !sections.contains(&(start as usize)) {
        sections.push(start as usize);
    }
}

/// One stackmap record: its locations and the constants of its section.
#[derive(Clone, Copy)]
struct Record {
    locations: &'static [u8],
    constants: &'static [u8],
}

struct Index {
    sections: usize,
    records: HashMap<usize, Record>,
}

const LOCATION_SIZE: usize = 12;
const REGISTER: u8 = 1;
const DIRECT: u8 = 2;
const INDIRECT: u8 = 3;
const CONSTANT: u8 = 4;
const CONSTANT_INDEX: u8 = 5;

/// A little-endian cursor over one section.
struct Reader {
    data: &'static [u8],
    at: usize,
}

impl Reader {
    fn take(&mut self, n: usize) -> Result<&'static [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or("stackmap section is truncated")?;
        let bytes = &self.data[self.at..end];
        self.at = end;
        Ok(bytes)
    }
    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn align8(&mut self) -> Result<(), String> {
        let pad = self.at.next_multiple_of(8) - self.at;
        self.take(pad).map(|_| ())
    }
}

/// The length of the record set at `start`, from its counts.
///
/// # Safety
/// `start` must be the `__LLVM_StackMaps` label of a loaded object.
unsafe fn record_set_len(start: usize) -> usize {
    // SAFETY (all reads): within the record set, per the contract.
    let read = |at: usize, n: usize| -> u64 {
        let mut bytes = [0u8; 8];
        unsafe { std::ptr::copy_nonoverlapping((start + at) as *const u8, bytes.as_mut_ptr(), n) };
        u64::from_le_bytes(bytes)
    };
    let functions = read(4, 4) as usize;
    let constants = read(8, 4) as usize;
    let records = read(12, 4) as usize;
    let mut at = 16 + functions * 24 + constants * 8;
    for _ in 0..records {
        let locations = read(at + 14, 2) as usize;
        at = (at + 16 + locations * LOCATION_SIZE).next_multiple_of(8);
        let live_outs = read(at + 2, 2) as usize;
        at = (at + 4 + live_outs * 4).next_multiple_of(8);
    }
    at
}

/// Adds the records of one object's record set to `records`.
fn index_record_set(
    data: &'static [u8],
    records: &mut HashMap<usize, Record>,
) -> Result<(), String> {
    let mut r = Reader { data, at: 0 };
    let version = r.take(4)?[0];
    if version != 3 {
        return Err(format!("stackmap version {version}, expected 3"));
    }
    let functions = r.u32()? as usize;
    let constants = r.u32()? as usize;
    let num_records = r.u32()? as usize;
    let mut owners = Vec::with_capacity(functions.min(data.len() / 24));
    for _ in 0..functions {
        let address = r.u64()? as usize;
        let _stack_size = r.u64()?;
        let count = r.u64()? as usize;
        owners.push((address, count));
    }
    let constants = r.take(constants.checked_mul(8).ok_or("stackmap constants")?)?;
    let mut owner = owners.iter().flat_map(|&(a, n)| std::iter::repeat_n(a, n));
    for _ in 0..num_records {
        let _id = r.u64()?;
        let offset = r.u32()? as usize;
        let _flags = r.u16()?;
        let num_locations = r.u16()? as usize;
        let locations = r.take(num_locations * LOCATION_SIZE)?;
        r.align8()?;
        let _padding = r.u16()?;
        let live_outs = r.u16()? as usize;
        r.take(live_outs * 4)?;
        r.align8()?;
        let function = owner.next().ok_or("stackmap record without a function")?;
        records.insert(
            function.wrapping_add(offset),
            Record {
                locations,
                constants,
            },
        );
    }
    Ok(())
}

/// The record of the statepoint returning to `return_address`.
fn record_at(return_address: usize) -> Result<Record, String> {
    let sections = SECTIONS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut index = INDEX.lock().unwrap_or_else(|e| e.into_inner());
    let index = index.get_or_insert_with(|| Index {
        sections: 0,
        records: HashMap::new(),
    });
    for &start in &sections[index.sections..] {
        // SAFETY: registered addresses are record sets of loaded objects,
        // which stay mapped for the life of the process.
        let data = unsafe {
            let len = record_set_len(start);
            std::slice::from_raw_parts(start as *const u8, len)
        };
        index_record_set(data, &mut index.records)?;
    }
    index.sections = sections.len();
    index
        .records
        .get(&return_address)
        .copied()
        .ok_or_else(|| format!("no stackmap record at return address {return_address:#x}"))
}

/// The value of one location, as a raw slot.
fn read_location(location: &[u8], constants: &[u8], regs: &Registers) -> Result<u128, String> {
    let kind = location[0];
    let size = u16::from_le_bytes([location[2], location[3]]) as usize;
    let reg = u16::from_le_bytes([location[4], location[5]]);
    let offset = i32::from_le_bytes(location[8..12].try_into().expect("4 bytes"));
    let register = || -> Result<u128, String> {
        regs.get(reg)
            .ok_or_else(|| format!("stackmap names register {reg}, which the stub does not save"))
    };
    let address =
        || -> Result<u64, String> { Ok((register()? as u64).wrapping_add(offset as i64 as u64)) };
    match kind {
        REGISTER if size <= 16 => {
            let mask = match size {
                16 => u128::MAX,
                n => (1u128 << (n * 8)) - 1,
            };
            Ok(register()? & mask)
        }
        DIRECT => Ok(u128::from(address()?)),
        INDIRECT if size <= 16 => {
            let address = address()? as usize;
            let mut bytes = [0u8; 16];
            // SAFETY: an indirect location is a slot of the capturing frame,
            // which is live while its statepoint's call runs.
            unsafe {
                std::ptr::copy_nonoverlapping(address as *const u8, bytes.as_mut_ptr(), size)
            };
            Ok(u128::from_le_bytes(bytes))
        }
        CONSTANT => Ok(u128::from(offset as i64 as u64)),
        CONSTANT_INDEX => {
            let at = (offset as u32 as usize) * 8;
            let bytes = constants
                .get(at..at + 8)
                .ok_or("stackmap constant index out of range")?;
            Ok(u128::from(u64::from_le_bytes(
                bytes.try_into().expect("8 bytes"),
            )))
        }
        _ => Err(format!("stackmap location kind {kind} of size {size}")),
    }
}

/// Fills `slots` (the compact layout) from a capture statepoint's `record`.
fn fill_slots(record: Record, regs: &Registers, slots: &mut [u128]) -> Result<(), String> {
    let locations: Vec<&[u8]> = record.locations.chunks_exact(LOCATION_SIZE).collect();
    let values = locations
        .get(STATEPOINT_HEADER_LOCATIONS..)
        .ok_or("stackmap record is not a statepoint's")?;
    if values.len() != slots.len() {
        return Err(format!(
            "stackmap record holds {} values for {} slots",
            values.len(),
            slots.len()
        ));
    }
    for (slot, location) in slots.iter_mut().zip(values) {
        *slot = read_location(location, record.constants, regs)?;
    }
    Ok(())
}

/// Called by `tern_builtin_cr_capture_frame` with the registers it saved:
/// records the frame at `position` from the capture statepoint returning to
/// `return_address`.
///
/// # Safety
/// `regs` must point at the stub's filled [`Registers`], and the frame the
/// record describes must be live (its statepoint's call is running).
pub unsafe extern "C" fn capture_frame(
    _vmctx: *mut u8,
    position: i32,
    regs: *const Registers,
    return_address: usize,
) {
    // SAFETY: per the contract.
    let regs = unsafe { &*regs };
    capture::save_frame(position as u32, |slots| {
        fill_slots(record_at(return_address)?, regs, slots)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record set with one function at 0x1000 and one capture record at
    /// offset 0x20 holding `values` (kind, size, register, offset), after
    /// the three statepoint constants.
    fn record_set(values: &[(u8, u16, u16, i32)], constant: u64) -> &'static [u8] {
        let mut b = vec![3u8, 0, 0, 0];
        b.extend(1u32.to_le_bytes()); // functions
        b.extend(1u32.to_le_bytes()); // constants
        b.extend(1u32.to_le_bytes()); // records
        b.extend(0x1000u64.to_le_bytes());
        b.extend(0u64.to_le_bytes());
        b.extend(1u64.to_le_bytes());
        b.extend(constant.to_le_bytes());
        b.extend(7u64.to_le_bytes()); // id
        b.extend(0x20u32.to_le_bytes());
        b.extend(0u16.to_le_bytes());
        let header = [(CONSTANT, 8, 0, 0); STATEPOINT_HEADER_LOCATIONS];
        let all: Vec<_> = header.iter().chain(values).collect();
        b.extend((all.len() as u16).to_le_bytes());
        for &&(kind, size, reg, offset) in &all {
            b.extend([kind, 0]);
            b.extend(size.to_le_bytes());
            b.extend(reg.to_le_bytes());
            b.extend(0u16.to_le_bytes());
            b.extend(offset.to_le_bytes());
        }
        b.resize(b.len().next_multiple_of(8), 0);
        b.extend([0u8; 4]); // padding, no live-outs
        b.resize(b.len().next_multiple_of(8), 0);
        Box::leak(b.into_boxed_slice())
    }

    fn record(data: &'static [u8]) -> Record {
        let mut records = HashMap::new();
        index_record_set(data, &mut records).expect("well-formed");
        assert_eq!(records.len(), 1);
        // SAFETY: `data` is a complete record set.
        assert_eq!(
            unsafe { record_set_len(data.as_ptr() as usize) },
            data.len()
        );
        records[&0x1020]
    }

    #[test]
    fn every_location_kind_is_read_into_its_slot() {
        let frame_slot: [u32; 4] = [0, 0, 0xdead_beef, 0];
        // A general register, the stack pointer and a vector register (the
        // second: xmm1, v1).
        let (callee_saved, sp, vector) = if cfg!(target_arch = "x86_64") {
            (3, 7, 18)
        } else {
            (19, 31, 65)
        };
        let data = record_set(
            &[
                (REGISTER, 8, callee_saved, 0),
                (INDIRECT, 4, sp, 8),
                (CONSTANT, 4, 0, -5),
                (CONSTANT_INDEX, 8, 0, 0),
                (DIRECT, 8, sp, 4),
                (REGISTER, 16, vector, 0),
                (REGISTER, 4, vector, 0),
            ],
            0x1122_3344_5566_7788,
        );
        let mut regs = Registers::zeroed();
        regs.gpr[callee_saved as usize] = 0x0123_4567_89ab_cdef;
        regs.gpr[sp as usize] = frame_slot.as_ptr() as u64;
        regs.vector[1] = 0xfedc_ba98_7654_3210_0011_2233_4455_6677;
        let mut slots = [0u128; 7];
        fill_slots(record(data), &regs, &mut slots).expect("readable");
        assert_eq!(slots[0], 0x0123_4567_89ab_cdef);
        assert_eq!(slots[1], 0xdead_beef);
        assert_eq!(slots[2] as u32, -5i32 as u32);
        assert_eq!(slots[3], 0x1122_3344_5566_7788);
        assert_eq!(slots[4], frame_slot.as_ptr() as u128 + 4);
        assert_eq!(slots[5], 0xfedc_ba98_7654_3210_0011_2233_4455_6677);
        assert_eq!(slots[6], 0x4455_6677);
    }

    #[test]
    fn an_unsaved_register_or_a_count_mismatch_fails_the_frame() {
        let regs = Registers::zeroed();
        // DWARF 16 is the return-address column on x86-64, 33 is no
        // register on AArch64: nothing the stub saves.
        let reg = if cfg!(target_arch = "x86_64") { 16 } else { 33 };
        let unsaved = record(record_set(&[(REGISTER, 8, reg, 0)], 0));
        let err = fill_slots(unsaved, &regs, &mut [0u128; 1]).unwrap_err();
        assert!(err.contains("does not save"), "{err}");
        let one = record(record_set(&[(CONSTANT, 4, 0, 1)], 0));
        let err = fill_slots(one, &regs, &mut [0u128; 2]).unwrap_err();
        assert!(err.contains("1 values for 2 slots"), "{err}");
    }

    #[test]
    fn a_record_set_of_another_version_is_rejected() {
        let mut data = record_set(&[], 0).to_vec();
        data[0] = 2;
        let err = index_record_set(Box::leak(data.into_boxed_slice()), &mut HashMap::new());
        assert!(err.unwrap_err().contains("version 2"));
    }
}
