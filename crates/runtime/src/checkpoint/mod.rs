//! Checkpoint/restore at the WebAssembly level (modules compiled with `--cr`).
//!
//! * [`request`]: what asks for a checkpoint (SIGUSR1/SIGUSR2, an interval
//!   timer, the deterministic test trigger) and how compiled code notices
//!   (`vmctx->stack_limit` raised so the next function entry takes the slow
//!   path, `vmctx->interrupt` set so the next loop header polls, blocked WASI
//!   calls woken).
//! * [`capture`]: the checkpoint itself, a forced unwind of every Wasm frame
//!   whose landing pads save their locals and operand stacks through
//!   statepoints ([`stackmaps`], [`frame_registers`]: the capture stubs).
//! * [`restore`]: re-entering the saved frames bottom first, guided by
//!   `cr_enter_at`/`cr_poll` answers, until the innermost frame resumes.
//! * [`image`]: converting between a live instance and a
//!   [`tern_snapshot::Snapshot`], with every check a hostile snapshot needs.
//! * [`builtins`]: the `tern_builtin_cr_*` functions compiled code calls.
//!
//! `docs/checkpoint-restore.md` describes the design; `docs/snapshot-format.md`
//! the file format.

pub mod builtins;
pub mod capture;
pub mod frame_registers;
pub mod image;
pub mod request;
pub mod restore;
pub mod stackmaps;

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use tern_environ::migration::{
    EncodedMigration, FuncMigration, MigrationInfo, MigrationPoint, PointKind,
};

use crate::instance::Module;

/// Exit status of a program stopped by a checkpoint (EX_TEMPFAIL: resume it
/// later with `--restore`).
pub const CHECKPOINT_EXIT: i32 = 75;

/// Pays a checkpoint's one-time costs now, for a run that expects
/// checkpoints, so that the first one's latency holds only its own work:
/// decoding and hashing the point table (CPython: about 30 ms), indexing
/// the stackmap records, the unwinder's and the encoder's first runs
/// (together about 150 us of a small program's first checkpoint, measured
/// on fib, 2026-12-07).
pub fn prepare_for_checkpoints(index: &PointIndex, encode: tern_snapshot::memory::EncodeOptions) {
    index.prepare();
    // A malformed record set (a tern bug) fails the capture that needs it,
    // with its message; nothing to say before that.
    let _ = stackmaps::prepare();
    capture::warm_up();
    tern_snapshot::memory::warm_up(encode);
}

/// Where each migration point of the running module is. Built on first
/// use (a checkpoint or a restore): a run that is never checkpointed does
/// not decode the module's migration table.
pub struct PointIndex {
    module: Rc<Module>,
    built: OnceCell<Decoded>,
    /// The numbering's fingerprint, computed once (it hashes the whole
    /// encoded table: milliseconds for a large program).
    fingerprint: OnceCell<u64>,
}

/// The decoded table and its index by position.
struct Decoded {
    migration: MigrationInfo,
    by_position: HashMap<u32, (u32, usize)>,
}

impl PointIndex {
    /// Indexes `module`'s points; `None` if it was not compiled with `--cr`.
    pub fn new(module: &Rc<Module>) -> Option<PointIndex> {
        module.info.migration.as_ref()?;
        Some(PointIndex {
            module: module.clone(),
            built: OnceCell::new(),
            fingerprint: OnceCell::new(),
        })
    }

    fn encoded(&self) -> &EncodedMigration {
        self.module
            .info
            .migration
            .as_ref()
            .expect("a PointIndex is made only for a --cr module")
    }

    fn decoded(&self) -> &Decoded {
        self.built.get_or_init(|| {
            let migration = self.encoded().decode().unwrap_or_else(|e| {
                // The compiler wrote these bytes into this executable.
                eprintln!("tern: the program's migration table is damaged: {e}");
                std::process::exit(1)
            });
            let imports = self.module.info.num_imported_functions;
            let mut by_position = HashMap::new();
            for (defined, f) in migration.functions.iter().enumerate() {
                for (i, p) in f.points.iter().enumerate() {
                    by_position.insert(p.position, (defined as u32 + imports, i));
                }
            }
            Decoded {
                migration,
                by_position,
            }
        })
    }

    /// Decodes the table and computes its fingerprint now (otherwise done
    /// on first use).
    pub fn prepare(&self) {
        self.decoded();
        self.fingerprint();
    }

    /// The module's migration table.
    pub fn migration(&self) -> &MigrationInfo {
        &self.decoded().migration
    }

    /// The numbering's fingerprint (`EncodedMigration::fingerprint`).
    pub fn fingerprint(&self) -> u64 {
        *self
            .fingerprint
            .get_or_init(|| self.encoded().fingerprint())
    }

    /// How many of the point's last slots a host call's arguments fill
    /// (the host function hands them to the capture, so the frame's
    /// record leaves them out): its callee's parameter count at a
    /// `HostCall` point, 0 at any other.
    pub fn host_argument_slots(&self, point: &MigrationPoint) -> usize {
        match point.kind {
            PointKind::HostCall { callee } => self.module.info.func_type(callee).params.len(),
            _ => 0,
        }
    }

    /// The function owning the point at `position`, and the point.
    pub fn point(&self, position: u32) -> Option<(u32, &MigrationPoint)> {
        let (func, i) = *self.decoded().by_position.get(&position)?;
        Some((func, &self.function(func)?.points[i]))
    }

    /// The migration table of function `func` (index space), if defined.
    pub fn function(&self, func: u32) -> Option<&FuncMigration> {
        let defined = func.checked_sub(self.module.info.num_imported_functions)?;
        self.migration().functions.get(defined as usize)
    }

    /// The module.
    pub fn module(&self) -> &Rc<Module> {
        &self.module
    }
}

/// How many `cr_poll`/`cr_enter_at` answers a restore of a frame at `point`
/// takes before the frame runs normally: one per enclosing polling loop,
/// plus the point's own header for a loop point.
pub fn route_steps(point: &MigrationPoint) -> usize {
    point.route.len() + usize::from(point.kind == PointKind::Loop)
}

/// Bytes of memory below which chunks are encoded and decoded on the calling
/// thread (more threads would cost more to start than they save).
const PARALLEL_MIN_BYTES: u64 = 4 << 20;

/// Threads to encode or decode `bytes` of memory chunks on: the calling
/// thread for small memories; otherwise up to 4 cores, or
/// `TERN_CHECKPOINT_THREADS=N`. Under qemu-user (its process name, in
/// `/proc/self/status`, is `qemu-*`), always 1: qemu 7.2 with Debian's cross
/// glibc hangs in `pthread_create`.
pub fn worker_threads(bytes: u64) -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    if bytes < PARALLEL_MIN_BYTES {
        return 1;
    }
    *THREADS.get_or_init(|| {
        if let Some(n) = std::env::var("TERN_CHECKPOINT_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
        {
            return n.clamp(1, 64);
        }
        let emulated = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
            s.lines()
                .next()
                .is_some_and(|l| l.trim_start_matches("Name:").trim().starts_with("qemu-"))
        });
        if emulated {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
        }
    })
}

thread_local! {
    /// The point index of the module running on this thread with `--cr`.
    static ACTIVE: RefCell<Option<Rc<PointIndex>>> = const { RefCell::new(None) };
}

/// Makes `index` the running module's points (or clears them).
pub fn set_active(index: Option<Rc<PointIndex>>) {
    ACTIVE.with(|a| *a.borrow_mut() = index);
}

/// The running module's points.
pub fn active() -> Option<Rc<PointIndex>> {
    ACTIVE.with(|a| a.borrow().clone())
}
