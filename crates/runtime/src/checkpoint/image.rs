//! Converting between a live instance and a [`Snapshot`].
//!
//! Capturing turns raw frame slots into typed values (function references
//! become function indices, exception references indices into the
//! snapshot's exception table, each exception object once). Restoring
//! checks everything against the module first — identity, numbering, every
//! frame's function, position, value count and types, every function index,
//! every exception's tag and values, table and memory size — so that a
//! truncated, corrupted, mismatched or hostile snapshot is refused with a
//! message before any of it is applied.

use std::collections::HashMap;

use tern_environ::migration::{restore_offsets, restore_slot_size, PointKind, RESTORE_BIAS};
use tern_environ::{ExportKind, HeapType, ValType};
use tern_snapshot::digest::StateDigest;
use tern_snapshot::file::{SnapshotFile, WriteReport};
use tern_snapshot::memory::{
    ApplyStats, EncodeOptions, EncodeStats, MemoryImage, MemorySource, RawChunks, WASM_PAGE,
};
use tern_snapshot::{Entry, Exception, Frame, ModuleIdentity, Snapshot, TableState, Value};

use super::capture::CapturedFrame;
use super::restore::RestoreFrame;
use super::PointIndex;
use crate::instance::Instance;
use crate::options::RestoreMemory;

/// Function reference addresses of `instance`'s functions, by address.
fn funcref_indices(instance: &Instance) -> HashMap<usize, u32> {
    let n = instance.module().info.functions.len() as u32;
    (0..n)
        .filter_map(|i| instance.func(i).map(|f| (f.addr(), i)))
        .collect()
}

fn is_extern(ty: ValType) -> bool {
    matches!(
        ty,
        ValType::Ref(r) if matches!(r.heap, HeapType::Extern | HeapType::NoExtern)
    )
}

fn is_exn(ty: ValType) -> bool {
    matches!(
        ty,
        ValType::Ref(r) if matches!(r.heap, HeapType::Exn | HeapType::NoExn)
    )
}

/// Turns raw slots into snapshot values, collecting the exceptions they
/// refer to (each once, those an exception holds before it).
struct Capturer<'a> {
    instance: &'a Instance,
    funcs: HashMap<usize, u32>,
    /// Exceptions already in `exceptions`, by address.
    seen: HashMap<usize, u32>,
    exceptions: Vec<Exception>,
    /// Their addresses, in the same order.
    addresses: Vec<*mut u8>,
}

impl<'a> Capturer<'a> {
    fn new(instance: &'a Instance) -> Capturer<'a> {
        Capturer {
            instance,
            funcs: funcref_indices(instance),
            seen: HashMap::new(),
            exceptions: Vec::new(),
            addresses: Vec::new(),
        }
    }

    /// A raw slot of type `ty` as a snapshot value.
    fn value(&mut self, raw: u128, ty: ValType) -> Result<Value, String> {
        Ok(match ty {
            ValType::I32 => Value::I32(raw as u32),
            ValType::I64 => Value::I64(raw as u64),
            ValType::F32 => Value::F32(raw as u32),
            ValType::F64 => Value::F64(raw as u64),
            ValType::V128 => Value::V128(raw),
            ty if is_extern(ty) => Value::ExternRef((raw != 0).then_some(raw as u64)),
            ty if is_exn(ty) => match raw as u64 as usize {
                0 => Value::ExnRef(None),
                addr => Value::ExnRef(Some(self.exception(addr)?)),
            },
            ValType::Ref(_) => {
                let addr = raw as u64 as usize;
                if addr == 0 {
                    Value::FuncRef(None)
                } else {
                    let index = self
                        .funcs
                        .get(&addr)
                        .ok_or("a function reference to another instance cannot be checkpointed")?;
                    Value::FuncRef(Some(*index))
                }
            }
        })
    }

    /// Every global's value and every table's elements.
    fn globals_and_tables(&mut self) -> Result<(Vec<Value>, Vec<TableState>), String> {
        let instance = self.instance;
        let info = &instance.module().info;
        let globals = (0..info.globals.len() as u32)
            .map(|i| {
                let g = instance.global(i).ok_or("missing global")?;
                self.value(g.get(), g.ty().content)
            })
            .collect::<Result<Vec<_>, String>>()?;
        let tables = (0..info.tables.len() as u32)
            .map(|i| {
                let t = instance.table(i).ok_or("missing table")?;
                let ty = ValType::Ref(t.ty().element);
                let elements = (0..t.len())
                    .map(|e| self.value(t.get(e).unwrap_or(0) as u128, ty))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(TableState { elements })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok((globals, tables))
    }

    /// The snapshot index of the live exception at `addr`.
    fn exception(&mut self, addr: usize) -> Result<u32, String> {
        if let Some(index) = self.seen.get(&addr) {
            return Ok(*index);
        }
        // SAFETY: `addr` is a non-null exnref of this instance's state (a
        // frame slot, global or table element of exnref type, or a value
        // of such an exception): a live exception object.
        let (identity, raw) = unsafe { crate::exceptions::parts(addr as *const u8) };
        let info = &self.instance.module().info;
        let tag = (0..info.tags.len() as u32)
            .find(|&t| self.instance.tag(t).is_some_and(|t| t.identity == identity))
            .ok_or("an exception of a tag this module neither defines nor imports cannot be checkpointed")?;
        let params = info.types[info.tags[tag as usize] as usize].params.clone();
        if params.len() != raw.len() {
            return Err(format!(
                "an exception of tag {tag} has the wrong number of values"
            ));
        }
        let values = params
            .iter()
            .zip(raw)
            .map(|(ty, raw)| self.value(raw, *ty))
            .collect::<Result<Vec<_>, _>>()?;
        let index = self.exceptions.len() as u32;
        self.exceptions.push(Exception { tag, values });
        self.addresses.push(addr as *mut u8);
        self.seen.insert(addr, index);
        Ok(index)
    }
}

/// A snapshot value as a raw slot of type `ty`, checked; `exceptions` are
/// the exception objects an `exnref` may refer to.
fn from_value(
    value: Value,
    ty: ValType,
    instance: &Instance,
    exceptions: &[*mut u8],
) -> Result<u128, String> {
    Ok(match (value, ty) {
        (Value::I32(v), ValType::I32) => u128::from(v),
        (Value::I64(v), ValType::I64) => u128::from(v),
        (Value::F32(v), ValType::F32) => u128::from(v),
        (Value::F64(v), ValType::F64) => u128::from(v),
        (Value::V128(v), ValType::V128) => v,
        (Value::ExternRef(h), t) if is_extern(t) => u128::from(h.unwrap_or(0)),
        (Value::ExnRef(None), ValType::Ref(r)) if r.nullable && is_exn(ty) => 0,
        (Value::ExnRef(Some(i)), ValType::Ref(r)) if r.heap == HeapType::Exn => {
            let e = exceptions
                .get(i as usize)
                .ok_or_else(|| format!("exception index {i} is out of range"))?;
            *e as usize as u128
        }
        (Value::FuncRef(None), ValType::Ref(r)) if r.nullable && r.is_func() => 0,
        (Value::FuncRef(Some(i)), ValType::Ref(r)) if r.is_func() => {
            let f = instance
                .func(i)
                .ok_or_else(|| format!("function index {i} is out of range"))?;
            f.addr() as u128
        }
        (v, t) => return Err(format!("value {v:?} does not have type {t:?}")),
    })
}

/// Allocates the snapshot's exceptions again, in order, after checking each
/// against the module: its tag exists, and its values have the tag's
/// parameter types (an `exnref` value refers to an earlier exception).
///
/// # Errors
/// A message naming the first exception that does not fit.
pub fn restore_exceptions(
    snapshot: &Snapshot,
    instance: &Instance,
) -> Result<Vec<*mut u8>, String> {
    let info = &instance.module().info;
    let mut out: Vec<*mut u8> = Vec::with_capacity(snapshot.exceptions.len());
    for (i, e) in snapshot.exceptions.iter().enumerate() {
        let tag = instance
            .tag(e.tag)
            .filter(|_| (e.tag as usize) < info.tags.len())
            .ok_or_else(|| {
                format!(
                    "exception {i}: tag {} is out of range (the module has {} tags)",
                    e.tag,
                    info.tags.len()
                )
            })?;
        let params = &info.types[info.tags[e.tag as usize] as usize].params;
        if e.values.len() != params.len() {
            return Err(format!(
                "exception {i}: {} values where tag {} has {} parameters",
                e.values.len(),
                e.tag,
                params.len()
            ));
        }
        let raw = e
            .values
            .iter()
            .zip(params)
            .enumerate()
            .map(|(j, (v, ty))| {
                from_value(*v, *ty, instance, &out)
                    .map_err(|err| format!("exception {i}, value {j}: {err}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push(crate::exceptions::new_exposed(tag.identity, &raw));
    }
    Ok(out)
}

/// Builds the snapshot of `instance` stopped with `frames` (innermost first);
/// also returns the live exception objects in the order of the snapshot's
/// exceptions (a checkpoint-and-continue goes on with the same objects).
///
/// # Errors
/// A frame at an unknown point, or state that cannot be expressed at the Wasm
/// level (a reference into another instance, an exception of a tag the
/// module does not see).
pub fn capture(
    instance: &Instance,
    index: &PointIndex,
    frames: &[CapturedFrame],
    entry: Entry,
) -> Result<(Snapshot, Vec<*mut u8>), String> {
    let info = &instance.module().info;
    let migration = index.migration();
    let mut cx = Capturer::new(instance);
    let mut out_frames = Vec::with_capacity(frames.len());
    for frame in frames.iter().rev() {
        if let Some(error) = &frame.error {
            return Err(format!(
                "frame at position {:#x} could not be read: {error}",
                frame.position
            ));
        }
        let (func, point) = index
            .point(frame.position)
            .ok_or_else(|| format!("no migration point at {:#x}", frame.position))?;
        let fm = index
            .function(func)
            .ok_or("frame of an imported function")?;
        let mut slots = frame.slots.iter().copied();
        let mut locals = Vec::with_capacity(point.locals.len());
        for &l in &point.locals {
            let ty = fm.locals[l as usize];
            locals.push((l, cx.value(slots.next().unwrap_or(0), ty)?));
        }
        let stack = point
            .stack
            .iter()
            .map(|ty| cx.value(slots.next().unwrap_or(0), *ty))
            .collect::<Result<Vec<_>, _>>()?;
        out_frames.push(Frame {
            func,
            position: frame.position,
            locals,
            stack,
        });
    }
    let (globals, tables) = cx.globals_and_tables()?;
    // Sizes only: [`write`] encodes the bytes straight into the file.
    let memories = (0..info.memories.len() as u32)
        .map(|i| {
            let m = instance.memory(i).ok_or("missing memory")?;
            if m.ty().page_size() != WASM_PAGE {
                return Err(format!(
                    "unsupported feature: checkpoint of memory {i} with a custom page size"
                ));
            }
            Ok(MemoryImage {
                pages: m.pages(),
                chunks: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let wasi = instance.wasi().map(|w| w.borrow().snapshot());
    let mut names: Vec<(u32, String)> = out_frames
        .iter()
        .map(|f| (f.func, info.func_display_name(f.func)))
        .collect();
    names.sort();
    names.dedup();
    Ok((
        Snapshot {
            identity: ModuleIdentity {
                module_hash: info.module_hash,
                scheme: migration.scheme,
                points_fingerprint: index.fingerprint(),
                name: info.name.clone(),
            },
            writer_isa: std::env::consts::ARCH.to_string(),
            entry,
            frames: out_frames,
            globals,
            tables,
            memories,
            dropped_data: instance.dropped_data(),
            dropped_elements: instance.dropped_elements(),
            wasi,
            names,
            exceptions: cx.exceptions,
        },
        cx.addresses,
    ))
}

/// The [`StateDigest`] of `instance`: globals, tables and memories as a
/// snapshot would hold them. Needs no `--cr` build, so a plain run can be
/// the reference a restored one is compared with.
///
/// # Errors
/// State that cannot be expressed at the Wasm level, as for [`capture`].
pub fn digest(instance: &Instance) -> Result<StateDigest, String> {
    let mut cx = Capturer::new(instance);
    let (globals, tables) = cx.globals_and_tables()?;
    let memories: Vec<&[u8]> = (0..instance.module().info.memories.len() as u32)
        .map(|i| {
            let m = instance.memory(i).ok_or("missing memory")?;
            if m.byte_len() == 0 {
                return Ok(&[][..]);
            }
            // SAFETY: the first `byte_len` bytes from `base` are the memory's
            // accessible contents, and no Wasm code runs while they are read.
            Ok(unsafe { std::slice::from_raw_parts(m.base(), m.byte_len() as usize) })
        })
        .collect::<Result<_, String>>()?;
    Ok(StateDigest::new(
        &globals,
        &tables,
        &cx.exceptions,
        &memories,
    ))
}

/// What writing a snapshot did, for `TERN_CHECKPOINT_REPORT`.
#[derive(Debug, Clone, Copy)]
pub struct Written {
    /// Zero scan and compression (nanoseconds).
    pub encode_ns: u64,
    /// Chunks elided, raw and compressed.
    pub chunks: EncodeStats,
    /// Size and write/sync times of the file.
    pub file: WriteReport,
}

/// Encodes `instance`'s memories into `snapshot` (captured by [`capture`])
/// and writes it atomically to `path`: the chunks go from linear memory to
/// the file without an intermediate copy.
///
/// # Errors
/// A message if the file cannot be written.
pub fn write(
    instance: &Instance,
    snapshot: &mut Snapshot,
    path: &std::path::Path,
    options: EncodeOptions,
) -> Result<Written, String> {
    let memories: Vec<_> = (0..snapshot.memories.len() as u32)
        .map(|i| instance.memory(i).cloned().ok_or("missing memory"))
        .collect::<Result<_, _>>()?;
    let refs: Vec<&crate::memory::Memory> = memories.iter().map(|m| &**m).collect();
    crate::memory::with_all_bytes(&refs, |slices| {
        let sources: Vec<MemorySource<'_>> = slices
            .iter()
            .zip(&memories)
            .map(|(bytes, m)| MemorySource {
                pages: m.pages(),
                bytes,
            })
            .collect();
        let total: u64 = slices.iter().map(|b| b.len() as u64).sum();
        let options = EncodeOptions {
            threads: super::worker_threads(total),
            ..options
        };
        let t = super::request::now_ns();
        let encoded = tern_snapshot::memory::encode(&sources, options);
        let encode_ns = super::request::now_ns().saturating_sub(t);
        snapshot.memories = encoded.images;
        let file = tern_snapshot::file::write_atomic(path, snapshot, &encoded.data)
            .map_err(|e| e.to_string())?;
        Ok(Written {
            encode_ns,
            chunks: encoded.stats,
            file,
        })
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether defined function `callee` can have replaced `caller`'s frame by
/// a chain of tail calls: only the results must be the same.
fn can_stand_for(info: &tern_environ::ModuleInfo, callee: u32, caller: u32) -> bool {
    let results = |f: u32| {
        info.functions
            .get(f as usize)
            .map(|t| &info.types[*t as usize].results)
    };
    callee >= info.num_imported_functions
        && results(callee).is_some()
        && results(callee) == results(caller)
}

/// The bottom frame belongs to the snapshot's entry function, or to a
/// function with the same results that the entry tail-called (the entry
/// then calls it itself on restore, through its tail-resume path).
fn check_bottom_frame(
    snapshot: &Snapshot,
    instance: &Instance,
    index: &PointIndex,
) -> Result<(), String> {
    let info = &instance.module().info;
    let name = &snapshot.entry.export;
    let entry = info
        .exports
        .iter()
        .find(|e| &e.name == name && e.kind == ExportKind::Function)
        .map(|e| e.index)
        .ok_or_else(|| format!("the module has no exported function `{name}`"))?;
    let bottom = snapshot.frames[0].func;
    if bottom == entry {
        return Ok(());
    }
    let tail_called = index.function(entry).is_some_and(|f| f.makes_tail_calls())
        && can_stand_for(info, bottom, entry);
    if tail_called {
        Ok(())
    } else {
        Err(format!(
            "the bottom frame is function {bottom}, not the entry function `{name}` (function {entry}) or one it can tail-call"
        ))
    }
}

/// Checks that `snapshot` belongs to this module and is consistent, and
/// converts its frames into restore frames (bottom first); `exceptions` are
/// the objects of the snapshot's exceptions ([`restore_exceptions`]).
///
/// # Errors
/// A message naming the first problem.
pub fn check_frames(
    snapshot: &Snapshot,
    instance: &Instance,
    index: &PointIndex,
    exceptions: &[*mut u8],
) -> Result<Vec<RestoreFrame>, String> {
    let info = &instance.module().info;
    let migration = index.migration();
    let id = &snapshot.identity;
    if id.module_hash != info.module_hash {
        return Err(format!(
            "the snapshot belongs to another module (module hash {}, this module is {})",
            hex(&id.module_hash),
            hex(&info.module_hash)
        ));
    }
    if id.scheme != migration.scheme || id.points_fingerprint != index.fingerprint() {
        return Err("the snapshot was taken with a different migration-point numbering (another tern version)".into());
    }
    if snapshot.frames.is_empty() {
        return Err("the snapshot has no frames".into());
    }
    let last = snapshot.frames.len() - 1;
    let mut out = Vec::with_capacity(snapshot.frames.len());
    for (i, frame) in snapshot.frames.iter().enumerate() {
        let (func, point) = index.point(frame.position).ok_or_else(|| {
            format!(
                "frame {i}: position {:#x} is not a migration point",
                frame.position
            )
        })?;
        if func != frame.func {
            return Err(format!(
                "frame {i}: position {:#x} is in function {func}, not {}",
                frame.position, frame.func
            ));
        }
        let inner = i < last;
        if inner != point.kind.calls_wasm() {
            return Err(format!(
                "frame {i}: a {:?} point cannot be {} frame",
                point.kind,
                if inner { "an outer" } else { "the innermost" }
            ));
        }
        if let Some(next) = snapshot.frames.get(i + 1) {
            match point.kind {
                // A tail call may have replaced the callee's frame.
                PointKind::Call { callee }
                    if callee != next.func
                        && !index.function(callee).is_some_and(|f| f.makes_tail_calls()) =>
                {
                    return Err(format!(
                        "frame {i} calls function {callee}, but frame {} is function {}",
                        i + 1,
                        next.func
                    ));
                }
                PointKind::CallIndirect { type_index } => {
                    let want = &info.types[type_index as usize];
                    let got = info
                        .functions
                        .get(next.func as usize)
                        .map(|t| &info.types[*t as usize]);
                    // After tail calls, only the results are the same.
                    let tail_called = migration.functions.iter().any(|f| f.makes_tail_calls())
                        && got.is_some_and(|g| g.results == want.results);
                    if (got != Some(want) && !tail_called)
                        || next.func < info.num_imported_functions
                    {
                        return Err(format!(
                            "frame {i}: indirect call target function {} has the wrong type",
                            next.func
                        ));
                    }
                }
                PointKind::TailResume if !can_stand_for(info, next.func, frame.func) => {
                    return Err(format!(
                        "frame {i}: tail-called function {} has the wrong results",
                        next.func
                    ));
                }
                _ => {}
            }
        }
        let fm = index
            .function(func)
            .ok_or("frame of an imported function")?;
        if frame.locals.len() != point.locals.len() || frame.stack.len() != point.stack.len() {
            return Err(format!(
                "frame {i}: wrong number of locals or operand-stack values"
            ));
        }
        // The restore layout: every local of the function by index (dead
        // ones zero), then the operand stack.
        let v128 = |t: &ValType| *t == ValType::V128;
        let (offsets, size) = restore_offsets(fm.locals.iter().chain(&point.stack).map(v128));
        let mut slots = vec![0u8; size.max(RESTORE_BIAS)];
        let mut put = |slot: usize, ty: ValType, raw: u128| {
            let at = offsets[slot];
            let width = restore_slot_size(v128(&ty));
            slots[at..at + width].copy_from_slice(&raw.to_le_bytes()[..width]);
        };
        for ((l, v), want) in frame.locals.iter().zip(&point.locals) {
            if l != want {
                return Err(format!(
                    "frame {i}: local {l} where local {want} was expected"
                ));
            }
            let ty = *fm
                .locals
                .get(*l as usize)
                .ok_or_else(|| format!("frame {i}: no local {l}"))?;
            let raw = from_value(*v, ty, instance, exceptions)
                .map_err(|e| format!("frame {i}, local {l}: {e}"))?;
            put(*l as usize, ty, raw);
        }
        for (j, (v, ty)) in frame.stack.iter().zip(&point.stack).enumerate() {
            let raw = from_value(*v, *ty, instance, exceptions)
                .map_err(|e| format!("frame {i}, stack value {j}: {e}"))?;
            put(fm.locals.len() + j, *ty, raw);
        }
        out.push(RestoreFrame {
            func,
            position: frame.position,
            slots: slots.into_boxed_slice(),
        });
    }
    // After the frames: a bad frame gets its own, more precise message.
    check_bottom_frame(snapshot, instance, index)?;
    Ok(out)
}

/// What restoring the memories did, for `TERN_CHECKPOINT_REPORT`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Applied {
    /// Mapping, checking and decoding every memory (nanoseconds).
    pub memory_ns: u64,
    /// Chunks read, mapped and decoded (summed over the memories).
    pub chunks: ApplyStats,
    /// Raw chunks mapped from the file (the others were read).
    pub mapped: u64,
}

/// Brings memory `i` in from `file` as `mode` says: raw chunks mapped from
/// the file (falling back to reading them if the file cannot be mapped),
/// compressed ones decoded.
fn apply_memory(
    file: &SnapshotFile,
    i: usize,
    memory: &crate::memory::Memory,
    mode: RestoreMemory,
    applied: &mut Applied,
) -> Result<(), String> {
    let mut raw = RawChunks::Copy;
    if let (Some(f), RestoreMemory::Verify | RestoreMemory::Lazy) = (file.file(), mode) {
        let runs = file.raw_runs(i);
        let populate = mode == RestoreMemory::Verify;
        let mapped = runs
            .iter()
            .try_for_each(|r| memory.map_file(r.memory_offset, r.len, f, r.file_offset, populate));
        // Not mappable (e.g. a file system without mmap): the raw chunks are
        // read instead (over the runs mapped before the failure, too).
        if mapped.is_ok() {
            applied.mapped +=
                runs.iter().map(|r| r.len).sum::<u64>() / tern_snapshot::memory::CHUNK as u64;
            raw = if populate {
                RawChunks::VerifyInPlace
            } else {
                RawChunks::Trust
            };
        }
    }
    let stats = memory
        .with_bytes(|bytes| {
            let threads = super::worker_threads(bytes.len() as u64);
            file.apply_memory(i, bytes, raw, threads)
        })
        .map_err(|e| match e {
            tern_snapshot::file::SnapshotError::Memory { source, .. } => source.to_string(),
            e => e.to_string(),
        })?;
    applied.chunks.raw_read += stats.raw_read;
    applied.chunks.raw_lazy += stats.raw_lazy;
    applied.chunks.decompressed += stats.decompressed;
    Ok(())
}

/// Applies globals, tables, memories and dropped segments of a checked
/// snapshot to a fresh (uninitialized) instance; `exceptions` as for
/// [`check_frames`], memories as `mode` says.
///
/// # Errors
/// A message naming the first value that does not fit the module.
pub fn apply_state(
    file: &SnapshotFile,
    instance: &Instance,
    exceptions: &[*mut u8],
    mode: RestoreMemory,
) -> Result<Applied, String> {
    let snapshot = &file.snapshot;
    let info = &instance.module().info;
    if snapshot.globals.len() != info.globals.len()
        || snapshot.tables.len() != info.tables.len()
        || snapshot.memories.len() != info.memories.len()
    {
        return Err("the snapshot's globals, tables or memories do not match the module".into());
    }
    for (i, v) in snapshot.globals.iter().enumerate() {
        let g = instance.global(i as u32).ok_or("missing global")?;
        let raw = from_value(*v, g.ty().content, instance, exceptions)
            .map_err(|e| format!("global {i}: {e}"))?;
        g.set(raw);
    }
    for (i, t) in snapshot.tables.iter().enumerate() {
        let table = instance.table(i as u32).ok_or("missing table")?;
        let want = t.elements.len() as u64;
        let max = table.ty().maximum.unwrap_or(u64::from(u32::MAX));
        if want < table.len() || want > max {
            return Err(format!("table {i}: {want} elements do not fit its limits"));
        }
        if want > table.len() && table.grow(want - table.len(), 0).is_none() {
            return Err(format!("table {i}: cannot grow to {want} elements"));
        }
        let ty = ValType::Ref(table.ty().element);
        for (e, v) in t.elements.iter().enumerate() {
            let raw = from_value(*v, ty, instance, exceptions)
                .map_err(|err| format!("table {i}[{e}]: {err}"))?;
            table
                .set(e as u64, raw as usize)
                .map_err(|_| format!("table {i}[{e}] is out of range"))?;
        }
    }
    for (i, image) in snapshot.memories.iter().enumerate() {
        let memory = instance.memory(i as u32).ok_or("missing memory")?;
        // A 32-bit memory has at most 2^16 pages, a 64-bit one 2^48 (the
        // reservation limits it further: `grow` below fails beyond it).
        let limit = if memory.ty().memory64 {
            1 << 48
        } else {
            1 << 16
        };
        let max = memory.ty().maximum.unwrap_or(limit).min(limit);
        if image.pages < memory.pages() || image.pages > max {
            return Err(format!(
                "memory {i}: {} pages do not fit its limits",
                image.pages
            ));
        }
        if memory.ty().page_size() != WASM_PAGE {
            return Err(format!("memory {i}: custom page sizes cannot be restored"));
        }
        image
            .validate(file.data_len())
            .map_err(|e| format!("memory {i}: {e}"))?;
        if image.pages > memory.pages() && memory.grow(image.pages - memory.pages()).is_none() {
            return Err(format!("memory {i}: cannot grow to {} pages", image.pages));
        }
        debug_assert_eq!(memory.byte_len(), image.pages * WASM_PAGE);
    }
    let t = super::request::now_ns();
    let mut applied = Applied::default();
    for i in 0..snapshot.memories.len() {
        let memory = instance.memory(i as u32).ok_or("missing memory")?;
        apply_memory(file, i, memory, mode, &mut applied)
            .map_err(|e| format!("memory {i}: {e}"))?;
    }
    applied.memory_ns = super::request::now_ns().saturating_sub(t);
    for d in &snapshot.dropped_data {
        if *d as usize >= info.data.len() {
            return Err(format!("dropped data segment {d} does not exist"));
        }
        instance.drop_data(*d);
    }
    for e in &snapshot.dropped_elements {
        if *e as usize >= info.elements.len() {
            return Err(format!("dropped element segment {e} does not exist"));
        }
        instance.drop_element(*e);
    }
    Ok(applied)
}
