//! Reading the language-specific data area (LSDA, `.gcc_except_table`) that
//! LLVM emits for a function with landing pads: the call-site table that
//! maps a return address to its landing pad, and the action chain that says
//! whether that pad catches, cleans up, or both.
//!
//! Only what LLVM emits for tern's code is needed: a landing pad is a
//! `cleanup` (checkpoint capture), a `catch ptr null` (Wasm handlers), or
//! both. The type table is never read: any positive filter is "catches".

/// What the landing pad for one call site does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// The landing pad's address (0: none; the frame just unwinds).
    pub landing_pad: usize,
    /// The selector of a catch clause (positive), if the pad catches.
    pub catch_filter: Option<usize>,
    /// Whether the pad is (also) a cleanup.
    pub cleanup: bool,
}

const DW_EH_PE_OMIT: u8 = 0xff;

/// A cursor over LSDA bytes.
struct Reader {
    at: *const u8,
}

impl Reader {
    /// # Safety
    /// `at` must point into a well-formed LSDA.
    unsafe fn u8(&mut self) -> u8 {
        // SAFETY: the caller guarantees `at` is inside the LSDA.
        let b = unsafe { *self.at };
        // SAFETY: as above; the LSDA continues past every field we read.
        self.at = unsafe { self.at.add(1) };
        b
    }

    /// # Safety
    /// As [`Reader::u8`].
    unsafe fn uleb(&mut self) -> u64 {
        let (mut value, mut shift) = (0u64, 0u32);
        loop {
            // SAFETY: forwarded from the caller.
            let b = unsafe { self.u8() };
            if shift < 64 {
                value |= u64::from(b & 0x7f) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                return value;
            }
        }
    }

    /// # Safety
    /// As [`Reader::u8`].
    unsafe fn sleb(&mut self) -> i64 {
        let (mut value, mut shift) = (0i64, 0u32);
        loop {
            // SAFETY: forwarded from the caller.
            let b = unsafe { self.u8() };
            if shift < 64 {
                value |= i64::from(b & 0x7f) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return value;
            }
        }
    }

    /// Reads a value of DWARF pointer `encoding` (application, the high
    /// nibble, is only `pcrel` or absolute in LSDAs LLVM emits).
    ///
    /// # Safety
    /// As [`Reader::u8`].
    unsafe fn encoded(&mut self, encoding: u8) -> usize {
        let start = self.at as usize;
        // SAFETY (all reads): forwarded from the caller.
        let value = unsafe {
            match encoding & 0x0f {
                0x00 => self.fixed::<8>() as usize,
                0x01 => self.uleb() as usize,
                0x02 => self.fixed::<2>() as usize,
                0x03 => self.fixed::<4>() as usize,
                0x04 => self.fixed::<8>() as usize,
                0x09 => self.sleb() as usize,
                0x0a => self.fixed::<2>() as i16 as isize as usize,
                0x0b => self.fixed::<4>() as i32 as isize as usize,
                0x0c => self.fixed::<8>() as usize,
                _ => 0,
            }
        };
        if value != 0 && encoding & 0x70 == 0x10 {
            return value.wrapping_add(start);
        }
        value
    }

    /// # Safety
    /// As [`Reader::u8`].
    unsafe fn fixed<const N: usize>(&mut self) -> u64 {
        let mut bytes = [0u8; 8];
        for b in bytes.iter_mut().take(N) {
            // SAFETY: forwarded from the caller.
            *b = unsafe { self.u8() };
        }
        u64::from_le_bytes(bytes)
    }
}

/// Finds the action for return address `ip` (already adjusted to lie inside
/// the call instruction) in the function starting at `region_start`.
///
/// # Safety
/// `lsda` must be the LSDA the unwinder reported for that function.
pub unsafe fn find_action(lsda: *const u8, region_start: usize, ip: usize) -> Action {
    let none = Action {
        landing_pad: 0,
        catch_filter: None,
        cleanup: false,
    };
    if lsda.is_null() {
        return none;
    }
    let mut r = Reader { at: lsda };
    // SAFETY (every read below): `lsda` is a well-formed LSDA.
    unsafe {
        let lp_encoding = r.u8();
        let lp_start = if lp_encoding == DW_EH_PE_OMIT {
            region_start
        } else {
            r.encoded(lp_encoding)
        };
        let ttype_encoding = r.u8();
        if ttype_encoding != DW_EH_PE_OMIT {
            let _type_table_offset = r.uleb();
        }
        let site_encoding = r.u8();
        let table_length = r.uleb() as usize;
        let table_end = r.at.add(table_length);
        let actions = table_end;
        while r.at < table_end {
            let start = r.encoded(site_encoding);
            let length = r.encoded(site_encoding);
            let pad = r.encoded(site_encoding);
            let action = r.uleb() as usize;
            let begin = region_start.wrapping_add(start);
            if ip < begin {
                break;
            }
            if ip >= begin.wrapping_add(length) {
                continue;
            }
            if pad == 0 {
                return none;
            }
            let mut found = Action {
                landing_pad: lp_start.wrapping_add(pad),
                catch_filter: None,
                cleanup: action == 0,
            };
            if action == 0 {
                return found;
            }
            let mut record = actions.add(action - 1);
            loop {
                let mut a = Reader { at: record };
                let filter = a.sleb();
                let next_at = a.at;
                let next = a.sleb();
                match filter {
                    0 => found.cleanup = true,
                    f if f > 0 && found.catch_filter.is_none() => {
                        found.catch_filter = Some(f as usize)
                    }
                    _ => {}
                }
                if next == 0 {
                    break;
                }
                record = next_at.offset(next as isize);
            }
            return found;
        }
    }
    none
}
