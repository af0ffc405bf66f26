//! `poll_oneoff`: clock and fd-readiness subscriptions, waiting in `ppoll(2)` together
//! with the interrupt eventfd.
//!
//! Deadlines are kept as absolute host-monotonic nanoseconds; an interrupted poll keeps
//! them in the context so the re-issued call resumes with the remaining timeout.

use crate::ctx::LivePendingPoll;
use crate::errno::Errno;
use crate::memory::{self, read_u16, read_u32, read_u64, write_u32};
use crate::sys::{self, cvt};
use crate::types::{clockid, eventrwflags, eventtype, filetype, layout, rights, subclockflags};
use crate::{Completion, WasiCtx};
use std::os::fd::AsRawFd;

/// One subscription, parsed.
#[derive(Debug, Clone, Copy)]
enum Sub {
    /// Fires at this absolute host-monotonic time.
    Clock { deadline: u64 },
    /// Waits for readiness of a host fd (`POLLIN`/`POLLOUT`).
    Fd { raw: i32, events: i16 },
    /// Ready at once with this event (regular files, errors).
    Ready { error: Errno, nbytes: u64 },
}

/// One event to write.
#[derive(Debug, Clone, Copy)]
struct Event {
    index: usize,
    error: Errno,
    nbytes: u64,
    flags: u16,
}

fn readable_bytes(fd: i32) -> u64 {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through a valid pointer.
    if unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) } < 0 {
        return 0;
    }
    n.max(0) as u64
}

impl WasiCtx {
    /// Parses subscription `i` (at `base`) into a [`Sub`].
    fn parse_sub(&self, mem: &[u8], base: u32, now: u64) -> Result<Sub, Errno> {
        let tag = memory::read_u8(mem, base + 8)?;
        match tag {
            eventtype::CLOCK => {
                let id = read_u32(mem, base + 16)?;
                let timeout = read_u64(mem, base + 24)?;
                let flags = read_u16(mem, base + 40)?;
                let abs = flags & subclockflags::ABSTIME != 0;
                let deadline = match id {
                    clockid::MONOTONIC if abs => {
                        // Guest time = host time + offset; no wrap for huge deadlines.
                        let host = i128::from(timeout) - i128::from(self.clocks.monotonic);
                        host.clamp(0, i128::from(u64::MAX)) as u64
                    }
                    clockid::REALTIME if abs => {
                        let real = sys::clock_ns(libc::CLOCK_REALTIME)?;
                        now.saturating_add(timeout.saturating_sub(real))
                    }
                    clockid::MONOTONIC | clockid::REALTIME => now.saturating_add(timeout),
                    clockid::PROCESS_CPUTIME_ID | clockid::THREAD_CPUTIME_ID => {
                        return Ok(Sub::Ready {
                            error: Errno::Notsup,
                            nbytes: 0,
                        })
                    }
                    // Wasmtime fails the whole call here (not just the event).
                    _ => return Err(Errno::Inval),
                };
                Ok(Sub::Clock { deadline })
            }
            eventtype::FD_READ | eventtype::FD_WRITE => {
                let fd = read_u32(mem, base + 16)?;
                // An fd that is not open fails the whole call (as Wasmtime does).
                let e = self.fds.get(fd)?;
                if e.require(rights::POLL_FD_READWRITE).is_err() {
                    return Ok(Sub::Ready {
                        error: Errno::Notcapable,
                        nbytes: 0,
                    });
                }
                let read = tag == eventtype::FD_READ;
                if e.filetype == filetype::REGULAR_FILE || e.filetype == filetype::DIRECTORY {
                    let mut nbytes = 0;
                    if read && e.filetype == filetype::REGULAR_FILE {
                        let st = crate::funcs::fd::fstat_raw(e.raw())?;
                        // SAFETY: lseek on an owned fd.
                        let pos = unsafe { libc::lseek(e.raw(), 0, libc::SEEK_CUR) }.max(0);
                        nbytes = (st.st_size - pos).max(0) as u64;
                    }
                    return Ok(Sub::Ready {
                        error: Errno::Success,
                        nbytes,
                    });
                }
                Ok(Sub::Fd {
                    raw: e.raw(),
                    events: if read { libc::POLLIN } else { libc::POLLOUT },
                })
            }
            _ => Err(Errno::Inval),
        }
    }

    /// `poll_oneoff(in, out, nsubscriptions, nevents_ptr)`.
    ///
    /// Clock subscriptions on `REALTIME`/`MONOTONIC` (relative or `ABSTIME`) and
    /// `FD_READ`/`FD_WRITE` subscriptions are supported; CPU-time clocks produce an event
    /// with `ENOTSUP`, an fd without `POLL_FD_READWRITE` an event with `ENOTCAPABLE`.
    /// Regular files and directories are always ready. Returns
    /// [`Completion::Interrupted`] (nothing written) when an interrupt is requested
    /// before any subscription is ready; re-issuing the identical call resumes the
    /// remaining timeouts.
    ///
    /// # Errors
    /// `EINVAL` (no subscriptions, unknown tag or clock), `EBADF` (a subscribed fd is
    /// not open), `EFAULT`.
    pub fn poll_oneoff(
        &mut self,
        mem: &mut [u8],
        in_ptr: u32,
        out: u32,
        nsubs: u32,
        nevents: u32,
    ) -> Result<Completion, Errno> {
        if nsubs == 0 {
            return Err(Errno::Inval);
        }
        let in_bytes = nsubs
            .checked_mul(layout::SUBSCRIPTION_SIZE)
            .ok_or(Errno::Fault)?;
        let subs_bytes = memory::slice(mem, in_ptr, in_bytes)?.to_vec();
        memory::range(
            mem,
            out,
            nsubs.checked_mul(layout::EVENT_SIZE).ok_or(Errno::Fault)?,
        )?;
        memory::range(mem, nevents, 4)?;
        let now = sys::clock_ns(libc::CLOCK_MONOTONIC)?;
        let resumed = match self.pending_poll.take() {
            Some(p) if p.in_ptr == in_ptr && p.subscriptions == subs_bytes => Some(p.deadlines),
            _ => None,
        };
        let mut subs = Vec::with_capacity(nsubs as usize);
        for i in 0..nsubs {
            let mut s = self.parse_sub(mem, in_ptr + i * layout::SUBSCRIPTION_SIZE, now)?;
            if let (Sub::Clock { deadline }, Some(r)) = (&mut s, &resumed) {
                if let Some(&(_, d)) = r.iter().find(|(j, _)| *j == i) {
                    *deadline = d;
                }
            }
            subs.push(s);
        }
        let events = loop {
            let now = sys::clock_ns(libc::CLOCK_MONOTONIC)?;
            let mut events: Vec<Event> = Vec::new();
            let mut pfds: Vec<libc::pollfd> = Vec::new();
            let mut pidx: Vec<usize> = Vec::new();
            let mut next: Option<u64> = None;
            for (i, s) in subs.iter().enumerate() {
                match *s {
                    Sub::Ready { error, nbytes } => events.push(Event {
                        index: i,
                        error,
                        nbytes,
                        flags: 0,
                    }),
                    Sub::Clock { deadline } if deadline <= now => events.push(Event {
                        index: i,
                        error: Errno::Success,
                        nbytes: 0,
                        flags: 0,
                    }),
                    Sub::Clock { deadline } => {
                        next = Some(next.map_or(deadline, |n| n.min(deadline)))
                    }
                    Sub::Fd { raw, events } => {
                        pfds.push(libc::pollfd {
                            fd: raw,
                            events,
                            revents: 0,
                        });
                        pidx.push(i);
                    }
                }
            }
            let block = events.is_empty();
            if block && self.interrupt.is_requested() {
                self.save_pending(in_ptr, subs_bytes, &subs);
                return Ok(Completion::Interrupted);
            }
            pfds.push(libc::pollfd {
                fd: self.interrupt.wakeup_fd().as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
            let ts = match (block, next) {
                (false, _) => Some(libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                }),
                (true, Some(d)) => {
                    let left = d - now;
                    Some(libc::timespec {
                        tv_sec: (left / 1_000_000_000) as libc::time_t,
                        tv_nsec: (left % 1_000_000_000) as libc::c_long,
                    })
                }
                (true, None) => None,
            };
            let tsp = ts
                .as_ref()
                .map_or(std::ptr::null(), |t| t as *const libc::timespec);
            // SAFETY: `pfds` is a valid array; `tsp` is null or points at a live timespec.
            match cvt(unsafe {
                libc::ppoll(
                    pfds.as_mut_ptr(),
                    pfds.len() as libc::nfds_t,
                    tsp,
                    std::ptr::null(),
                )
            }) {
                Err(Errno::Intr) => continue,
                Err(e) => return Err(e),
                Ok(_) => {}
            }
            for (k, &i) in pidx.iter().enumerate() {
                let p = pfds[k];
                if p.revents == 0 {
                    continue;
                }
                let (error, flags) = if p.revents & libc::POLLNVAL != 0 {
                    (Errno::Badf, 0)
                } else if p.revents & libc::POLLHUP != 0 {
                    (Errno::Success, eventrwflags::HANGUP)
                } else if p.revents & libc::POLLERR != 0 {
                    (Errno::Io, 0)
                } else {
                    (Errno::Success, 0)
                };
                let nbytes = if p.events == libc::POLLIN {
                    readable_bytes(p.fd)
                } else {
                    0
                };
                events.push(Event {
                    index: i,
                    error,
                    nbytes,
                    flags,
                });
            }
            if !events.is_empty() {
                break events;
            }
            if pfds.last().is_some_and(|p| p.revents != 0) && !self.interrupt.is_requested() {
                self.interrupt.clear();
            }
        };
        let mut events = events;
        events.sort_by_key(|e| e.index);
        events.dedup_by_key(|e| e.index);
        for (k, ev) in events.iter().enumerate() {
            let sub = in_ptr + ev.index as u32 * layout::SUBSCRIPTION_SIZE;
            let userdata = u64::from_le_bytes(
                subs_bytes[(sub - in_ptr) as usize..][..8]
                    .try_into()
                    .expect("8 bytes"),
            );
            let tag = subs_bytes[(sub - in_ptr) as usize + 8];
            let base = out + k as u32 * layout::EVENT_SIZE;
            memory::slice_mut(mem, base, layout::EVENT_SIZE)?.fill(0);
            memory::write_u64(mem, base, userdata)?;
            memory::write_u16(mem, base + 8, ev.error.raw())?;
            memory::write_u8(mem, base + 10, tag)?;
            if tag != eventtype::CLOCK {
                memory::write_u64(mem, base + 16, ev.nbytes)?;
                memory::write_u16(mem, base + 24, ev.flags)?;
            }
        }
        write_u32(mem, nevents, events.len() as u32)?;
        Ok(Completion::Done)
    }

    fn save_pending(&mut self, in_ptr: u32, subscriptions: Vec<u8>, subs: &[Sub]) {
        let deadlines = subs
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                Sub::Clock { deadline } => Some((i as u32, *deadline)),
                _ => None,
            })
            .collect();
        self.pending_poll = Some(LivePendingPoll {
            in_ptr,
            subscriptions,
            deadlines,
        });
    }
}
