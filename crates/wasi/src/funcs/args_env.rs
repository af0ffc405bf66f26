//! `args_get`, `args_sizes_get`, `environ_get`, `environ_sizes_get`.

use crate::errno::Errno;
use crate::memory::{slice_mut, write_u32};
use crate::WasiCtx;

/// Writes NUL-terminated `items` into `buf` and their addresses into `ptrs`.
fn write_strings(mem: &mut [u8], items: &[String], ptrs: u32, buf: u32) -> Result<(), Errno> {
    let mut p = buf;
    for (i, s) in items.iter().enumerate() {
        let len = u32::try_from(s.len() + 1).map_err(|_| Errno::Overflow)?;
        let dst = slice_mut(mem, p, len)?;
        dst[..s.len()].copy_from_slice(s.as_bytes());
        dst[s.len()] = 0;
        let slot = u32::try_from(i)
            .ok()
            .and_then(|i| i.checked_mul(4))
            .and_then(|o| ptrs.checked_add(o))
            .ok_or(Errno::Fault)?;
        write_u32(mem, slot, p)?;
        p = p.checked_add(len).ok_or(Errno::Fault)?;
    }
    Ok(())
}

fn write_sizes(mem: &mut [u8], items: &[String], count: u32, size: u32) -> Result<(), Errno> {
    let total: usize = items.iter().map(|s| s.len() + 1).sum();
    write_u32(
        mem,
        count,
        u32::try_from(items.len()).map_err(|_| Errno::Overflow)?,
    )?;
    write_u32(
        mem,
        size,
        u32::try_from(total).map_err(|_| Errno::Overflow)?,
    )
}

impl WasiCtx {
    /// `args_get(argv, argv_buf)`.
    ///
    /// # Errors
    /// `EFAULT` when the buffers do not fit in guest memory.
    pub fn args_get(&mut self, mem: &mut [u8], argv: u32, argv_buf: u32) -> Result<(), Errno> {
        write_strings(mem, &self.args, argv, argv_buf)
    }

    /// `args_sizes_get(argc_ptr, argv_buf_size_ptr)`.
    ///
    /// # Errors
    /// `EFAULT`.
    pub fn args_sizes_get(&mut self, mem: &mut [u8], argc: u32, size: u32) -> Result<(), Errno> {
        write_sizes(mem, &self.args, argc, size)
    }

    /// `environ_get(environ, environ_buf)`.
    ///
    /// # Errors
    /// `EFAULT`.
    pub fn environ_get(&mut self, mem: &mut [u8], env: u32, env_buf: u32) -> Result<(), Errno> {
        write_strings(mem, &self.env, env, env_buf)
    }

    /// `environ_sizes_get(count_ptr, buf_size_ptr)`.
    ///
    /// # Errors
    /// `EFAULT`.
    pub fn environ_sizes_get(
        &mut self,
        mem: &mut [u8],
        count: u32,
        size: u32,
    ) -> Result<(), Errno> {
        write_sizes(mem, &self.env, count, size)
    }
}
