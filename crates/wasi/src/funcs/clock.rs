//! `clock_res_get`, `clock_time_get` and `random_get`.

use crate::errno::Errno;
use crate::memory::{slice_mut, write_u64};
use crate::sys;
use crate::types::clockid;
use crate::WasiCtx;

/// Host clock for a WASI clock id.
pub(crate) fn host_clock(id: u32) -> Result<libc::clockid_t, Errno> {
    match id {
        clockid::REALTIME => Ok(libc::CLOCK_REALTIME),
        clockid::MONOTONIC => Ok(libc::CLOCK_MONOTONIC),
        clockid::PROCESS_CPUTIME_ID => Ok(libc::CLOCK_PROCESS_CPUTIME_ID),
        clockid::THREAD_CPUTIME_ID => Ok(libc::CLOCK_THREAD_CPUTIME_ID),
        _ => Err(Errno::Inval),
    }
}

impl WasiCtx {
    /// `clock_res_get(id, resolution_ptr)`.
    ///
    /// # Errors
    /// `EINVAL` for an unknown clock, `EFAULT`.
    pub fn clock_res_get(&mut self, mem: &mut [u8], id: u32, res: u32) -> Result<(), Errno> {
        let r = sys::clock_res_ns(host_clock(id)?)?;
        write_u64(mem, res, r.max(1))
    }

    /// `clock_time_get(id, precision, time_ptr)`. Monotonic and CPU-time clocks continue
    /// across snapshot/restore (offsets are kept in the state); `precision` is ignored.
    ///
    /// # Errors
    /// `EINVAL` for an unknown clock, `EFAULT`.
    pub fn clock_time_get(
        &mut self,
        mem: &mut [u8],
        id: u32,
        _precision: u64,
        time: u32,
    ) -> Result<(), Errno> {
        let t = self.guest_clock(host_clock(id)?)?;
        write_u64(mem, time, t)
    }

    /// `random_get(buf, len)`: fills the buffer from the kernel's `getrandom(2)`.
    ///
    /// # Errors
    /// `EFAULT`, or the host error.
    pub fn random_get(&mut self, mem: &mut [u8], buf: u32, len: u32) -> Result<(), Errno> {
        let dst = slice_mut(mem, buf, len)?;
        let mut done = 0;
        while done < dst.len() {
            let rest = &mut dst[done..];
            // SAFETY: `rest` is writable for `rest.len()` bytes.
            let n = sys::cvt_retry(|| unsafe {
                libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0)
            })?;
            done += n as usize;
        }
        Ok(())
    }
}
