//! Checkpoint requests: signals, the interval timer, the test trigger.
//!
//! A request is a process-wide atomic plus two writes into the running
//! instance's context, both async-signal-safe: `stack_limit` is raised to
//! `usize::MAX` (every function entry takes its slow path, `cr_enter_at`) and
//! `interrupt` is set (every loop header calls `cr_poll`). A blocked WASI call
//! is woken through the WASI context's `Interrupt`.
//!
//! | trigger | mode |
//! |---|---|
//! | `SIGUSR1` | checkpoint, then exit with [`super::CHECKPOINT_EXIT`] |
//! | `SIGUSR2`, `--checkpoint-interval S` (SIGALRM) | checkpoint and keep running |
//! | `TERN_CHECKPOINT_AT=N` | checkpoint-and-exit at the Nth migration point reached |
//! | `TERN_CHECKPOINT_EVERY=N` | checkpoint-and-continue at every Nth point |
//!
//! `TERN_CHECKPOINT_REPORT=1` prints the number of points reached at exit
//! (with a counting trigger set, every point is counted), and, for each
//! checkpoint, the time from the request to reaching a point ([`reached_at`]).

use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, Ordering};

use tern_environ::vmctx::{VMCTX_INTERRUPT, VMCTX_STACK_LIMIT};

/// What to do after a checkpoint is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Stop the program.
    Exit,
    /// Go on running (periodic snapshots, live migration).
    Continue,
}

const NONE: u8 = 0;
const EXIT: u8 = 1;
const CONTINUE: u8 = 2;

static REQUEST: AtomicU8 = AtomicU8::new(NONE);
static VMCTX: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static INTERRUPT: AtomicPtr<tern_wasi::Interrupt> = AtomicPtr::new(std::ptr::null_mut());
static COUNT: AtomicU64 = AtomicU64::new(0);
static AT: AtomicU64 = AtomicU64::new(0);
static REQUESTED_AT: AtomicU64 = AtomicU64::new(0);
static REACHED_AT: AtomicU64 = AtomicU64::new(0);

/// CLOCK_MONOTONIC in nanoseconds (async-signal-safe).
pub fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec we pass; it is async-signal-safe.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// When the checkpoint being taken was requested (for latency reports).
pub fn requested_at() -> u64 {
    REQUESTED_AT.load(Ordering::SeqCst)
}

/// When the checkpoint being taken reached its migration point (the
/// request was consumed and the capture began), CLOCK_MONOTONIC ns.
pub fn reached_at() -> u64 {
    REACHED_AT.load(Ordering::SeqCst)
}
static EVERY: AtomicU64 = AtomicU64::new(0);

/// Writes `value` into the context field at `offset`.
fn poke(offset: u32, value: usize) {
    let vmctx = VMCTX.load(Ordering::SeqCst);
    if !vmctx.is_null() {
        // SAFETY: `VMCTX` is the live context of the running instance (set by
        // `arm` and cleared before the instance goes away); both fields are
        // aligned words of its header. Volatile: compiled code reads them.
        unsafe { std::ptr::write_volatile(vmctx.add(offset as usize) as *mut usize, value) }
    }
}

/// Makes compiled code take its slow paths at the next point. Leaves
/// (functions without points) compare with `leaf_stack_limit`, which stays
/// real: they leave a checkpoint to their caller's next point, and a restore
/// never enters one (the frames it re-enters are named by the snapshot, and
/// a leaf has no point a frame could be at).
pub fn raise_flags() {
    poke(VMCTX_STACK_LIMIT, usize::MAX);
    poke(VMCTX_INTERRUPT, 1);
}

/// Restores the fast paths (no request pending).
pub fn lower_flags() {
    poke(VMCTX_STACK_LIMIT, crate::traps::stack_limit());
    poke(VMCTX_INTERRUPT, 0);
}

/// Whether a counting test trigger is configured (compiled code must then
/// take the slow path at every point).
fn counting() -> bool {
    AT.load(Ordering::SeqCst) != 0 || EVERY.load(Ordering::SeqCst) != 0
}

/// Lowers the flags unless a request or a counting trigger needs them.
pub fn settle_flags() {
    if REQUEST.load(Ordering::SeqCst) != NONE || counting() {
        raise_flags();
    } else {
        lower_flags();
    }
}

/// Asks for a checkpoint (async-signal-safe).
pub fn request(mode: Mode) {
    let want = if mode == Mode::Exit { EXIT } else { CONTINUE };
    REQUESTED_AT.store(now_ns(), Ordering::SeqCst);
    // Exit wins over continue.
    let _ = REQUEST.fetch_max(want, Ordering::SeqCst);
    raise_flags();
    let interrupt = INTERRUPT.load(Ordering::SeqCst);
    if !interrupt.is_null() {
        // SAFETY: set by `arm` from a leaked box, never freed; `request` is an
        // atomic store plus write(2), async-signal-safe.
        unsafe { (*interrupt).request() };
    }
}

/// Called at every migration point on the slow path: the mode of a
/// checkpoint to take now, if any (consumes the request).
pub fn take_at_point() -> Option<Mode> {
    let mode = take_at_point_counted();
    if mode.is_some() {
        REACHED_AT.store(now_ns(), Ordering::SeqCst);
    }
    mode
}

fn take_at_point_counted() -> Option<Mode> {
    let n = COUNT.fetch_add(1, Ordering::SeqCst) + 1;
    let at = AT.load(Ordering::SeqCst);
    if at != 0 && n == at {
        AT.store(0, Ordering::SeqCst);
        REQUESTED_AT.store(now_ns(), Ordering::SeqCst);
        return Some(Mode::Exit);
    }
    let every = EVERY.load(Ordering::SeqCst);
    if every != 0 && n.is_multiple_of(every) {
        REQUESTED_AT.store(now_ns(), Ordering::SeqCst);
        return Some(Mode::Continue);
    }
    take_request()
}

/// How many migration points the slow path has seen (every point while a
/// counting trigger is set); `TERN_CHECKPOINT_REPORT=1` prints it at exit.
pub fn points_reached() -> u64 {
    COUNT.load(Ordering::SeqCst)
}

/// Consumes a pending request (signal or timer).
pub fn take_request() -> Option<Mode> {
    let mode = match REQUEST.swap(NONE, Ordering::SeqCst) {
        EXIT => Some(Mode::Exit),
        CONTINUE => Some(Mode::Continue),
        _ => None,
    };
    if mode.is_some() {
        REACHED_AT.store(now_ns(), Ordering::SeqCst);
    }
    mode
}

/// Whether a request (not a counting trigger) is pending.
pub fn pending() -> bool {
    REQUEST.load(Ordering::SeqCst) != NONE
}

/// Connects requests to the running instance: its context, the interrupt
/// that wakes its blocked WASI calls, and the triggers from the environment.
pub fn arm(vmctx: *mut u8, interrupt: Option<tern_wasi::Interrupt>) {
    VMCTX.store(vmctx, Ordering::SeqCst);
    let leaked = interrupt.map_or(std::ptr::null_mut(), |i| Box::into_raw(Box::new(i)));
    INTERRUPT.store(leaked, Ordering::SeqCst);
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let [at, every] = TEST_TRIGGERS;
    AT.store(env(at), Ordering::SeqCst);
    EVERY.store(env(every), Ordering::SeqCst);
    install_handlers();
    settle_flags();
}

/// The test-only triggers read by [`arm`]: checkpoint-and-exit at the Nth
/// point, checkpoint-and-continue at every Nth.
pub const TEST_TRIGGERS: [&str; 2] = ["TERN_CHECKPOINT_AT", "TERN_CHECKPOINT_EVERY"];

/// Disconnects (the instance is finishing).
pub fn disarm() {
    VMCTX.store(std::ptr::null_mut(), Ordering::SeqCst);
}

extern "C" fn on_signal(sig: libc::c_int) {
    let mode = if sig == libc::SIGUSR1 {
        Mode::Exit
    } else {
        Mode::Continue
    };
    request(mode);
}

/// Installs the SIGUSR1/SIGUSR2/SIGALRM handlers (idempotent). A request
/// that arrives before [`arm`] is remembered and honoured once armed.
pub fn install_handlers() {
    set_handler(&[libc::SIGUSR1, libc::SIGUSR2, libc::SIGALRM], on_signal);
}

/// Makes `handler` (which must do only async-signal-safe work: atomics,
/// volatile stores, write(2)) handle each of `signals`, restarting
/// interrupted system calls.
fn set_handler(signals: &[libc::c_int], handler: extern "C" fn(libc::c_int)) {
    for &sig in signals {
        // SAFETY: a zeroed sigaction with such a handler.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as *const () as usize;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

/// What a program compiled without `--cr` says when a checkpoint signal
/// arrives.
const NO_CR_MESSAGE: &[u8] =
    b"tern: checkpoint signal ignored: this program was compiled without --cr\n";

extern "C" fn on_signal_without_cr(_sig: libc::c_int) {
    // SAFETY: write(2) is async-signal-safe; the buffer is static.
    unsafe {
        libc::write(2, NO_CR_MESSAGE.as_ptr().cast(), NO_CR_MESSAGE.len());
    }
}

/// For a program compiled without `--cr`: SIGUSR1 and SIGUSR2 print that
/// no checkpoint can be taken and the program runs on, instead of the
/// signals' default action killing it and losing its work. A request
/// recorded before (by [`install_handlers`]' handler) is reported and
/// dropped the same way.
pub fn install_handlers_without_cr() {
    set_handler(&[libc::SIGUSR1, libc::SIGUSR2], on_signal_without_cr);
    if take_request().is_some() {
        on_signal_without_cr(0);
    }
}

/// Starts `--checkpoint-interval`: SIGALRM every `seconds`.
pub fn start_interval(seconds: f64) {
    let usec = (seconds * 1e6).max(1.0) as i64;
    let tv = libc::timeval {
        tv_sec: usec / 1_000_000,
        tv_usec: usec % 1_000_000,
    };
    let timer = libc::itimerval {
        it_interval: tv,
        it_value: tv,
    };
    // SAFETY: plain syscall with a valid itimerval.
    unsafe { libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut()) };
}
