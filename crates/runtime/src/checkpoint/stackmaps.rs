//! The stackmap records of capture statepoints, and reading a frame's saved
//! values through them.
//!
//! Every `--cr` object carries LLVM's stackmap records (format version 3,
//! <https://llvm.org/docs/StackMaps.html>) in `.llvm_stackmaps`, and its
//! module descriptor reaches them (`VMModuleDescriptor::stackmaps`), which
//! `libcalls::entry` hands to [`register`]. A capture's record lists, after
//! LLVM's three statepoint constants, one location per saved value in the
//! compact layout (saved locals, then the operand stack). The index from
//! return address to record is built at the first capture (or before, by
//! [`prepare`], in a run that expects checkpoints), so a program that never
//! checkpoints never reads the records.
//!
//! The records are compiler output, not input: a malformed one is a tern bug,
//! and it fails the capture with a message rather than a crash.

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

/// One stackmap record: its ID (a capture's position), its locations and
/// the constants of its section.
#[derive(Clone, Copy)]
struct Record {
    id: u64,
    locations: &'static [u8],
    constants: &'static [u8],
}

/// The records of one function.
struct FunctionRecords {
    address: usize,
    /// Its records, back to back.
    records: &'static [u8],
    /// The constants of its record set.
    constants: &'static [u8],
}

/// Every registered function with records, by address. Building it reads
/// only each record's two counts, so a capture pays one pass over the
/// record headers (CPython: 88556 records, 8 MB) and then searches only the
/// records of each captured frame's function.
struct Index {
    sections: usize,
    functions: Vec<FunctionRecords>,
}

const LOCATION_SIZE: usize = 12;
const REGISTER: u8 = 1;
const DIRECT: u8 = 2;
const INDIRECT: u8 = 3;
const CONSTANT: u8 = 4;
const CONSTANT_INDEX: u8 = 5;

/// Reads `n` (at most 8) little-endian bytes at `at` of `data` as an integer.
fn read_le(data: &[u8], at: usize, n: usize) -> Result<u64, String> {
    let bytes = data
        .get(at..at + n)
        .ok_or("stackmap record set is truncated")?;
    let mut word = [0u8; 8];
    word[..n].copy_from_slice(bytes);
    Ok(u64::from_le_bytes(word))
}

/// The length of the record at `at` (16 bytes of header, the locations, the
/// live-outs, each part padded to 8 bytes) and its location count, reading
/// integers with `read(at, n)`.
fn record_len(
    read: &impl Fn(usize, usize) -> Result<u64, String>,
    at: usize,
) -> Result<(usize, usize), String> {
    let locations = read(at + 14, 2)? as usize;
    let live_outs_at = (at + 16 + locations * LOCATION_SIZE).next_multiple_of(8);
    let live_outs = read(live_outs_at + 2, 2)? as usize;
    let end = (live_outs_at + 4 + live_outs * 4).next_multiple_of(8);
    Ok((end - at, locations))
}

/// One record set's functions, as (address, start, end) byte ranges of
/// their records, its constants' range and its length, reading integers
/// with `read(at, n)`.
type SetLayout = (Vec<(usize, usize, usize)>, (usize, usize), usize);

fn record_set_layout(
    read: &impl Fn(usize, usize) -> Result<u64, String>,
) -> Result<SetLayout, String> {
    let version = read(0, 1)?;
    if version != 3 {
        return Err(format!("stackmap version {version}, expected 3"));
    }
    let num_functions = read(4, 4)? as usize;
    let num_constants = read(8, 4)? as usize;
    let num_records = read(12, 4)? as usize;
    let constants_at = 16 + num_functions * 24;
    let records_at = constants_at + num_constants * 8;
    let mut at = records_at;
    let mut seen = 0;
    let mut functions = Vec::with_capacity(num_functions);
    for f in 0..num_functions {
        let address = read(16 + f * 24, 8)? as usize;
        let count = read(16 + f * 24 + 16, 8)? as usize;
        let start = at;
        for _ in 0..count {
            at += record_len(read, at)?.0;
        }
        seen += count;
        functions.push((address, start, at));
    }
    if seen != num_records {
        return Err(format!(
            "stackmap record set lists {num_records} records, its functions {seen}"
        ));
    }
    Ok((functions, (constants_at, records_at), at))
}

/// Adds the functions of the record set `data` to `functions` (the tests'
/// entry: loaded sets are walked in place by [`record_set`]).
#[cfg(test)]
fn index_record_set(
    data: &'static [u8],
    functions: &mut Vec<FunctionRecords>,
) -> Result<(), String> {
    let layout = record_set_layout(&|at, n| read_le(data, at, n))?;
    index_layout(data, layout, functions)
}

/// Adds the functions of `layout`, the layout of the record set `data`, to
/// `functions`.
fn index_layout(
    data: &'static [u8],
    (layout, (constants_at, records_at), len): SetLayout,
    functions: &mut Vec<FunctionRecords>,
) -> Result<(), String> {
    if len != data.len() {
        return Err(format!(
            "stackmap record set is {len} bytes, not {}",
            data.len()
        ));
    }
    let constants = &data[constants_at..records_at];
    functions.extend(
        layout
            .into_iter()
            .map(|(address, start, end)| FunctionRecords {
                address,
                records: &data[start..end],
                constants,
            }),
    );
    Ok(())
}

/// The record set at `start`, as a slice, with its layout (one walk over
/// the record headers).
///
/// # Safety
/// `start` must be the `__LLVM_StackMaps` label of a loaded object, which
/// stays mapped for the life of the process.
unsafe fn record_set(start: usize) -> Result<(&'static [u8], SetLayout), String> {
    let read = |at: usize, n: usize| -> Result<u64, String> {
        let mut word = [0u8; 8];
        // SAFETY: per the contract, the walk reads only inside the set,
        // whose own counts say where it ends.
        unsafe { std::ptr::copy_nonoverlapping((start + at) as *const u8, word.as_mut_ptr(), n) };
        Ok(u64::from_le_bytes(word))
    };
    let layout = record_set_layout(&read)?;
    // SAFETY: the set is `layout.2` bytes of a mapped object, per the contract.
    let data = unsafe { std::slice::from_raw_parts(start as *const u8, layout.2) };
    Ok((data, layout))
}

/// Runs `f` on the index of every registered record set, indexing the sets
/// registered since the last call first.
fn with_index<R>(f: impl FnOnce(&Index) -> R) -> Result<R, String> {
    let sections = SECTIONS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut index = INDEX.lock().unwrap_or_else(|e| e.into_inner());
    let index = index.get_or_insert_with(|| Index {
        sections: 0,
        functions: Vec::new(),
    });
    if index.sections < sections.len() {
        for &start in &sections[index.sections..] {
            // SAFETY: registered addresses are record sets of loaded objects.
            let (data, layout) = unsafe { record_set(start)? };
            index_layout(data, layout, &mut index.functions)?;
        }
        index.functions.sort_unstable_by_key(|f| f.address);
        index.sections = sections.len();
    }
    Ok(f(index))
}

/// Indexes the registered records now rather than at the first capture
/// (whose latency would include it).
///
/// # Errors
/// A message if a record set is malformed (a tern bug).
pub fn prepare() -> Result<(), String> {
    with_index(|_| ())
}

/// The record of the statepoint returning to `return_address`.
fn record_at(return_address: usize) -> Result<Record, String> {
    with_index(|index| find_record(&index.functions, return_address))?
        .ok_or_else(|| format!("no stackmap record at return address {return_address:#x}"))
}

/// The position of the statepoint returning to `return_address` (its ID).
pub fn position_at(return_address: usize) -> Result<u32, String> {
    let record = record_at(return_address)?;
    u32::try_from(record.id)
        .map_err(|_| format!("stackmap record ID {} is not a position", record.id))
}

/// The record at `return_address` among `functions` (sorted by address).
fn find_record(functions: &[FunctionRecords], return_address: usize) -> Option<Record> {
    // A capture never returns, so its call may be a function's last
    // instruction: the return address is then the next function's start.
    let owner = functions.partition_point(|f| f.address < return_address);
    let function = &functions[owner.checked_sub(1)?];
    let records = function.records;
    let read = |at: usize, n: usize| read_le(records, at, n);
    let mut at = 0;
    while at < records.len() {
        let (len, locations) = record_len(&read, at).ok()?;
        let offset = read(at + 8, 4).ok()? as usize;
        if function.address.wrapping_add(offset) == return_address {
            return Some(Record {
                id: read(at, 8).ok()?,
                locations: records.get(at + 16..at + 16 + locations * LOCATION_SIZE)?,
                constants: function.constants,
            });
        }
        at += len;
    }
    None
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

/// Called by the capture stubs (`frame_registers.rs`) with the registers
/// they saved: records the frame of the capture statepoint returning to
/// `return_address`, at the position that is the statepoint's ID, and
/// answers the checkpoint's exception object for the stub to resume with.
///
/// # Safety
/// `regs` must point at the stub's filled [`Registers`], and the frame the
/// record describes must be live (its statepoint's call is running).
pub unsafe extern "C" fn capture_frame(regs: *const Registers, return_address: usize) -> *mut u8 {
    // SAFETY: per the contract.
    let regs = unsafe { &*regs };
    match record_at(return_address) {
        Ok(record) => match u32::try_from(record.id) {
            Ok(position) => capture::save_frame(position, |slots| fill_slots(record, regs, slots)),
            Err(_) => capture::save_unreadable(format!(
                "stackmap record ID {} is not a position",
                record.id
            )),
        },
        Err(e) => capture::save_unreadable(e),
    }
    capture::exception_object()
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

    #[test]
    fn a_capture_ending_its_function_is_found_at_the_next_function_start() {
        // Function 0x1000 ends with the capture (its record at offset 0x20);
        // function 0x1020 starts right after and has no records.
        let mut b = record_set(&[], 0).to_vec();
        b[4..8].copy_from_slice(&2u32.to_le_bytes()); // functions
        let next = [
            0x1020u64.to_le_bytes(),
            0u64.to_le_bytes(),
            0u64.to_le_bytes(),
        ]
        .concat();
        b.splice(40..40, next);
        let data: &'static [u8] = Box::leak(b.into_boxed_slice());
        let mut functions = Vec::new();
        index_record_set(data, &mut functions).expect("well-formed");
        functions.sort_unstable_by_key(|f| f.address);
        let found = find_record(&functions, 0x1020).expect("the first function's record");
        assert_eq!(found.id, 7);
        assert!(find_record(&functions, 0x1021).is_none());
    }

    fn record(data: &'static [u8]) -> Record {
        let mut functions = Vec::new();
        index_record_set(data, &mut functions).expect("well-formed");
        // SAFETY: `data` is a complete record set, leaked.
        assert_eq!(
            unsafe { super::record_set(data.as_ptr() as usize) }
                .unwrap()
                .0
                .len(),
            data.len()
        );
        assert_eq!(functions.len(), 1);
        assert!(find_record(&functions, 0x1024).is_none());
        assert!(find_record(&functions, 0x0fff).is_none());
        let found = find_record(&functions, 0x1020).expect("the record at 0x1020");
        assert_eq!(found.id, 7);
        found
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
        let err = index_record_set(Box::leak(data.into_boxed_slice()), &mut Vec::new());
        assert!(err.unwrap_err().contains("version 2"));
    }
}
