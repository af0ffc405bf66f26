//! `proc_exit`, `proc_raise`, `sched_yield`.

use crate::errno::Errno;
use crate::types::signal;
use crate::{ProcExit, Raise, WasiCtx};

impl WasiCtx {
    /// `proc_exit(code)`: returns the exit request; the embedder unwinds the guest.
    pub fn proc_exit(&mut self, code: u32) -> ProcExit {
        ProcExit(code)
    }

    /// `proc_raise(sig)`: signals whose default action is "ignore" (and 0) do nothing;
    /// the others ask the embedder to terminate the guest.
    ///
    /// # Errors
    /// `EINVAL` for a number that is not a WASI signal.
    pub fn proc_raise(&mut self, sig: u32) -> Result<Raise, Errno> {
        let s = u8::try_from(sig).map_err(|_| Errno::Inval)?;
        match s {
            signal::NONE | signal::CHLD | signal::CONT | signal::URG | signal::WINCH => {
                Ok(Raise::Ignored)
            }
            s if s <= signal::MAX => Ok(Raise::Terminate(s)),
            _ => Err(Errno::Inval),
        }
    }

    /// `sched_yield()`.
    ///
    /// # Errors
    /// Never in practice.
    pub fn sched_yield(&mut self) -> Result<(), Errno> {
        // SAFETY: no arguments.
        unsafe { libc::sched_yield() };
        Ok(())
    }
}
