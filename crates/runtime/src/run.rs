//! Normal mode: instantiate module 0 with WASI, run `_start` or `--invoke`
//! (or resume a snapshot with `--restore`), take checkpoints when asked, and
//! turn the outcome into an exit status.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use tern_snapshot::file::SnapshotFile;
use tern_snapshot::memory::{Codec, EncodeOptions};
use tern_snapshot::{Entry, Snapshot};

use crate::checkpoint::{self, capture, image, request, restore, PointIndex, CHECKPOINT_EXIT};
use crate::instance::{self, CallError, Extern, Instance, InstantiationError, Module};
use crate::options::Options;
use crate::trap_stubs;
use crate::traps::{backtrace, Unwind};
use crate::values::Val;
use crate::vmctx::FuncHandle;
use crate::wasi;

/// Exit status after a trap.
pub const TRAP_EXIT: i32 = 134;

/// Prints a trap report and returns the exit status for `unwind`.
pub fn report(unwind: &Unwind) -> i32 {
    match unwind {
        Unwind::Exit(code) => *code,
        Unwind::Checkpoint => {
            eprintln!("tern: checkpoint unwind reached the top level");
            1
        }
        Unwind::Trap { code, frames } => {
            let _ = std::io::stdout().flush();
            eprint!(
                "wasm trap: {}\n{}",
                code.message(),
                backtrace::format(frames)
            );
            TRAP_EXIT
        }
    }
}

/// The exported function `name` and its arguments parsed from `args`.
fn prepare_call(
    instance: &Instance,
    name: &str,
    args: &[String],
) -> Result<(FuncHandle, Vec<Val>), i32> {
    let Some(Extern::Func(f)) = instance.export(name) else {
        eprintln!("tern: no exported function `{name}`");
        return Err(1);
    };
    let ty = instance::func_type(f).ok_or(1)?;
    if ty.params.len() != args.len() {
        eprintln!(
            "tern: `{name}` expects {} arguments, got {}",
            ty.params.len(),
            args.len()
        );
        return Err(1);
    }
    let mut vals = Vec::new();
    for (a, t) in args.iter().zip(&ty.params) {
        match Val::parse_cli(a, *t) {
            Ok(v) => vals.push(v),
            Err(e) => {
                eprintln!("tern: {e}");
                return Err(1);
            }
        }
    }
    Ok((f, vals))
}

/// Zero arguments for `f` (a restore overwrites them with the saved locals).
fn zero_args(f: FuncHandle) -> Vec<Val> {
    instance::func_type(f)
        .map(|ty| ty.params.iter().map(|t| Val::from_raw(0, *t)).collect())
        .unwrap_or_default()
}

/// Checkpointing state of a run.
struct Checkpointing {
    index: Rc<PointIndex>,
    path: String,
    sequence: u32,
    encode: EncodeOptions,
}

/// Whether `TERN_CHECKPOINT_REPORT` asks for latency reports.
fn report_enabled() -> bool {
    std::env::var_os("TERN_CHECKPOINT_REPORT").is_some()
}

/// Microseconds between two CLOCK_MONOTONIC readings.
fn us(from: u64, to: u64) -> u64 {
    to.saturating_sub(from) / 1000
}

/// `TERN_CHECKPOINT_REPORT`: latency (request to durable file) and where it went.
fn report_checkpoint(snapshot: &Snapshot, written: &image::Written, captured_at: u64) {
    let now = request::now_ns();
    let (requested, reached) = (request::requested_at(), request::reached_at());
    let memory: u64 = snapshot.memories.iter().map(|m| m.pages * 65536).sum();
    let c = written.chunks;
    eprintln!(
        "tern: checkpoint latency {} us, snapshot {} bytes, memory {memory} bytes, {} frames",
        us(requested, now),
        written.file.bytes,
        snapshot.frames.len()
    );
    eprintln!(
        "tern: checkpoint phases: reach point {} us, capture {} us, encode {} us, write {} us, fsync {} us; chunks: {} zero, {} raw, {} compressed",
        us(requested, reached.max(requested)),
        us(reached.max(requested), captured_at),
        written.encode_ns / 1000,
        written.file.write_ns / 1000,
        written.file.sync_ns / 1000,
        c.zero,
        c.raw,
        c.compressed
    );
}

/// The writer's encoding: LZ4, or `TERN_CHECKPOINT_CODEC=none|lz4|zstd`
/// (for measurements); the threads are chosen per checkpoint.
fn encode_options() -> EncodeOptions {
    let mut options = EncodeOptions {
        codec: Codec::Lz4,
        threads: 1,
    };
    if let Some(codec) = std::env::var("TERN_CHECKPOINT_CODEC")
        .ok()
        .and_then(|c| Codec::parse(&c))
    {
        options.codec = codec;
    }
    options
}

impl Checkpointing {
    fn next_path(&mut self) -> String {
        self.sequence += 1;
        self.path.replace("%n", &self.sequence.to_string())
    }
}

/// Calls `f` until it returns, traps or exits, writing a snapshot at every
/// checkpoint; a checkpoint-and-continue, or any checkpoint whose snapshot
/// could not be written, restores the captured frames and goes on. Returns
/// the results, or the exit status to stop with.
fn call_with_checkpoints(
    instance: &Instance,
    f: FuncHandle,
    args: Vec<Val>,
    entry: &Entry,
    cr: &mut Option<Checkpointing>,
) -> Result<Vec<Val>, i32> {
    let mut args = args;
    loop {
        match instance::call(f, &args) {
            Ok(results) => return Ok(results),
            Err(CallError::Args(m)) => {
                eprintln!("tern: {m}");
                return Err(1);
            }
            Err(CallError::Unwind(Unwind::Checkpoint)) => {
                let Some(cr) = cr.as_mut() else {
                    eprintln!("tern: checkpoint in a module compiled without --cr");
                    return Err(1);
                };
                let Some(captured) = capture::take() else {
                    eprintln!("tern: checkpoint without captured frames");
                    return Err(1);
                };
                let captured_at = request::now_ns();
                let (mut snapshot, exceptions) =
                    match image::capture(instance, &cr.index, &captured.frames, entry.clone()) {
                        Ok(s) => s,
                        Err(e) => {
                            eprintln!("tern: checkpoint failed: {e}");
                            return Err(1);
                        }
                    };
                let path = cr.next_path();
                match image::write(
                    instance,
                    &mut snapshot,
                    std::path::Path::new(&path),
                    cr.encode,
                ) {
                    Ok(written) => {
                        if report_enabled() {
                            report_checkpoint(&snapshot, &written, captured_at);
                        }
                        if captured.mode == request::Mode::Exit {
                            let _ = std::io::stdout().flush();
                            eprintln!("tern: checkpoint written to {path}");
                            return Err(CHECKPOINT_EXIT);
                        }
                    }
                    // Stopping now would lose the program's work, and the
                    // frames are still in hand: go on as after a
                    // checkpoint-and-continue (memory was never touched).
                    Err(e) => eprintln!(
                        "tern: cannot write the checkpoint: {e}; the program goes on without it"
                    ),
                }
                let frames = match image::check_frames(&snapshot, instance, &cr.index, &exceptions)
                {
                    Ok(frames) => frames,
                    Err(e) => {
                        eprintln!("tern: cannot continue after the checkpoint: {e}");
                        return Err(1);
                    }
                };
                restore::start(frames);
                request::raise_flags();
                args = zero_args(f);
            }
            Err(CallError::Unwind(u)) => return Err(report(&u)),
        }
    }
}

/// Opens and checks `--restore`'s snapshot (all but the memory data).
fn read_snapshot(path: &str) -> Result<SnapshotFile, i32> {
    tern_snapshot::file::open(std::path::Path::new(path)).map_err(|e| {
        eprintln!("tern: cannot restore {path}: {e}");
        1
    })
}

/// Runs module 0 of `modules`; returns the exit status.
pub fn run(opts: Options, modules: &[Rc<Module>], program: &str) -> i32 {
    let Some(module) = modules.first() else {
        eprintln!("tern: the bundle holds no module");
        return 1;
    };
    // First of all (an executable's `tern_runtime_main` has already done
    // it; other entries have not): until the module is known to be
    // checkpointable, a checkpoint signal is only recorded, and it never
    // kills the program.
    request::install_handlers();
    let read_from = request::now_ns();
    let snapshot = match &opts.restore {
        Some(path) => match read_snapshot(path) {
            Ok(s) => Some(s),
            Err(code) => return code,
        },
        None => None,
    };
    let read_ns = request::now_ns().saturating_sub(read_from);
    let index = PointIndex::new(module).map(Rc::new);
    if index.is_none() {
        request::install_handlers_without_cr();
        for name in request::TEST_TRIGGERS {
            if std::env::var_os(name).is_some() {
                eprintln!("tern: {name} ignored: this program was compiled without --cr");
            }
        }
    }
    let asks_for_cr =
        snapshot.is_some() || opts.checkpoint_interval.is_some() || opts.checkpoint_to.is_some();
    if index.is_none() && asks_for_cr {
        eprintln!(
            "tern: this program was compiled without --cr: it cannot be checkpointed or restored"
        );
        return 1;
    }
    // The compiler records no file name, so the default `argv[0]` is the
    // executable's own file name.
    let argv0 = opts.argv0.clone().unwrap_or_else(|| {
        std::path::Path::new(program)
            .file_name()
            .map_or(program.to_string(), |n| n.to_string_lossy().into_owned())
    });
    let mut args = vec![argv0];
    if opts.invoke.is_none() {
        args.extend(opts.guest_args.iter().cloned());
    }
    let built = match snapshot.as_ref().and_then(|s| s.snapshot.wasi.clone()) {
        Some(state) => wasi::restore_context(state, &opts),
        None => wasi::from_options(&args, &opts),
    };
    let cx = match built {
        Ok(cx) => Rc::new(RefCell::new(cx)),
        Err(e) => {
            eprintln!("tern: {e}");
            return 1;
        }
    };
    let interrupt = cx.borrow().interrupt().clone();
    let mut resolve = |imp: &tern_environ::Import| {
        let found = if imp.module == wasi::MODULE {
            wasi::resolve(&imp.name).map(Extern::Host)
        } else {
            None
        };
        match (found, &imp.ty) {
            (None, tern_environ::EntityType::Function(ti)) if opts.trap_unknown_imports => {
                let ty = module.info.types.get(*ti as usize)?;
                Some(Extern::Host(Rc::new(trap_stubs::stub(
                    &imp.module,
                    &imp.name,
                    ty,
                ))))
            }
            (found, _) => found,
        }
    };
    let instance = match Instance::new(module, &mut resolve, Some(cx)) {
        Ok(i) => i,
        Err(InstantiationError::Link(m)) => {
            eprintln!("tern: link error: {m}");
            return 1;
        }
        Err(InstantiationError::Other(m)) => {
            eprintln!("tern: instantiation failed: {m}");
            return 1;
        }
    };
    let mut cr = index.clone().map(|index| Checkpointing {
        index,
        path: opts
            .checkpoint_to
            .clone()
            .unwrap_or_else(|| "checkpoint.tsnap".into()),
        sequence: 0,
        encode: encode_options(),
    });
    let status = match snapshot {
        Some(snapshot) => resume(&instance, &snapshot, &mut cr, interrupt, &opts, read_ns),
        None => start(&instance, &opts, &mut cr, interrupt),
    };
    let _ = std::io::stdout().flush();
    if std::env::var_os("TERN_STATE_DIGEST").is_some() {
        match image::digest(&instance) {
            Ok(digest) => eprintln!("tern: state digest: {digest}"),
            Err(e) => eprintln!("tern: state digest: {e}"),
        }
    }
    if report_enabled() {
        eprintln!(
            "tern: reached {} migration points",
            request::points_reached()
        );
        if restore::resumed_at() != 0 {
            eprintln!(
                "tern: restore latency {} us (process start to the innermost frame resumed)",
                restore::resumed_at().saturating_sub(crate::libcalls::entry::started_at()) / 1000
            );
        }
    }
    request::disarm();
    checkpoint::set_active(None);
    // The instance is intentionally leaked: host state it references stays valid
    // until the process exits.
    std::mem::forget(instance);
    status
}

fn arm(
    instance: &Instance,
    cr: &Option<Checkpointing>,
    interrupt: tern_wasi::Interrupt,
    opts: &Options,
) {
    if let Some(cr) = cr {
        checkpoint::set_active(Some(cr.index.clone()));
        request::arm(instance.vmctx(), Some(interrupt));
        if let Some(seconds) = opts.checkpoint_interval {
            request::start_interval(seconds);
        }
        // A run told where checkpoints go, or to take them periodically,
        // expects them: pay a checkpoint's one-time costs now rather than
        // inside the first one's latency. Other runs pay them only if a
        // signal asks for a checkpoint, and so does a restore (its decoded
        // point table aside): its own latency, the migration's downtime,
        // comes first.
        let expects_checkpoints =
            opts.checkpoint_to.is_some() || opts.checkpoint_interval.is_some();
        if expects_checkpoints && opts.restore.is_none() {
            checkpoint::prepare_for_checkpoints(&cr.index, cr.encode);
        }
    }
}

fn finish(results: Result<Vec<Val>, i32>, print: bool) -> i32 {
    match results {
        Ok(results) => {
            if print {
                let mut out = std::io::stdout().lock();
                for r in results {
                    let _ = writeln!(out, "{}", r.format_cli());
                }
                let _ = out.flush();
            }
            0
        }
        Err(code) => code,
    }
}

fn start(
    instance: &Instance,
    opts: &Options,
    cr: &mut Option<Checkpointing>,
    interrupt: tern_wasi::Interrupt,
) -> i32 {
    if let Err(u) = instance.initialize() {
        return report(&u);
    }
    arm(instance, cr, interrupt, opts);
    match &opts.invoke {
        Some(name) => {
            if name != "_initialize"
                && matches!(instance.export("_initialize"), Some(Extern::Func(_)))
            {
                let entry = Entry {
                    export: "_initialize".into(),
                    print_results: false,
                };
                let init = prepare_call(instance, "_initialize", &[])
                    .and_then(|(f, a)| call_with_checkpoints(instance, f, a, &entry, cr));
                if let Err(code) = init {
                    return code;
                }
            }
            let entry = Entry {
                export: name.clone(),
                print_results: true,
            };
            let results = prepare_call(instance, name, &opts.guest_args)
                .and_then(|(f, a)| call_with_checkpoints(instance, f, a, &entry, cr));
            finish(results, true)
        }
        None if matches!(instance.export("_start"), Some(Extern::Func(_))) => {
            let entry = Entry {
                export: "_start".into(),
                print_results: false,
            };
            let results = prepare_call(instance, "_start", &[])
                .and_then(|(f, a)| call_with_checkpoints(instance, f, a, &entry, cr));
            finish(results, false)
        }
        None => 0,
    }
}

fn resume(
    instance: &Instance,
    file: &SnapshotFile,
    cr: &mut Option<Checkpointing>,
    interrupt: tern_wasi::Interrupt,
    opts: &Options,
    read_ns: u64,
) -> i32 {
    let Some(index) = cr.as_ref().map(|c| c.index.clone()) else {
        return 1;
    };
    let snapshot = &file.snapshot;
    let checked_from = request::now_ns();
    let restored = image::restore_exceptions(snapshot, instance).and_then(|exceptions| {
        let frames = image::check_frames(snapshot, instance, &index, &exceptions)?;
        let applied = image::apply_state(file, instance, &exceptions, opts.restore_memory)?;
        Ok((frames, applied))
    });
    let (frames, applied) = match restored {
        Ok(done) => done,
        Err(e) => {
            eprintln!("tern: cannot restore: {e}");
            return 1;
        }
    };
    if report_enabled() {
        let state_ns = request::now_ns().saturating_sub(checked_from);
        let c = applied.chunks;
        eprintln!(
            "tern: restore phases: read {} us, check and apply state {} us, memory {} us ({}: {} raw chunks mapped, {} raw chunks read and checked, {} left unread, {} decompressed)",
            read_ns / 1000,
            state_ns.saturating_sub(applied.memory_ns) / 1000,
            applied.memory_ns / 1000,
            opts.restore_memory.name(),
            applied.mapped,
            c.raw_read,
            c.raw_lazy,
            c.decompressed
        );
    }
    // The snapshot decides what runs; a different `--invoke` is a mistake
    // worth saying, not a reason to refuse the resume.
    if let Some(name) = opts.invoke.as_deref() {
        if name != snapshot.entry.export {
            eprintln!(
                "tern: --invoke {name} ignored: the snapshot resumes `{}`",
                snapshot.entry.export
            );
        }
    }
    let Some(Extern::Func(f)) = instance.export(&snapshot.entry.export) else {
        eprintln!(
            "tern: cannot restore: the module has no exported function `{}`",
            snapshot.entry.export
        );
        return 1;
    };
    arm(instance, cr, interrupt, opts);
    restore::start(frames);
    request::raise_flags();
    let results = call_with_checkpoints(instance, f, zero_args(f), &snapshot.entry, cr);
    finish(results, snapshot.entry.print_results)
}
