//! The builtins compiled code calls (`tern_builtin_*`, listed once in
//! `tern_environ::builtins`) and the runtime's entry point `tern_runtime_main`.
//!
//! Rules every builtin follows:
//! * the exported symbol is a naked shim that records the Wasm caller's frame
//!   (for backtraces) and tail-jumps to the implementation here;
//! * an implementation reaches instance state only through the `vmctx` it is
//!   given, performs every bounds check the specification requires (a
//!   zero-length access past the end traps), and never panics across the
//!   `extern "C"` boundary: a panic becomes a `HostTrap`;
//! * a trap is raised only after everything the implementation owns has been
//!   dropped, because raising discards the frames without unwinding them.

pub mod entry;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use tern_environ::TrapCode;

use crate::instance::Instance;
use crate::memory::{Memory, Table};
use crate::traps::sys::builtin_shim;
use crate::traps::{self};
use crate::vmctx::instance_of;

/// Runs a builtin body; a `TrapCode` error or a panic raises the trap.
fn run<T>(vmctx: *mut u8, f: impl FnOnce(&Instance) -> Result<T, TrapCode>) -> T {
    // SAFETY: builtins are only called by compiled code with its own live context.
    let instance = unsafe { instance_of(vmctx) };
    let code = match catch_unwind(AssertUnwindSafe(|| f(instance))) {
        Ok(Ok(value)) => return value,
        Ok(Err(code)) => code,
        Err(payload) => {
            drop(payload);
            TrapCode::HostTrap
        }
    };
    traps::raise_from_builtin(code)
}

fn memory(instance: &Instance, index: i32) -> Result<&Memory, TrapCode> {
    instance
        .memory(index as u32)
        .map(|m| &**m)
        .ok_or(TrapCode::HostTrap)
}

fn table(instance: &Instance, index: i32) -> Result<&Table, TrapCode> {
    instance
        .table(index as u32)
        .map(|t| &**t)
        .ok_or(TrapCode::HostTrap)
}

const MOOB: TrapCode = TrapCode::MemoryOutOfBounds;
const TOOB: TrapCode = TrapCode::TableOutOfBounds;

extern "C" fn trap_impl(_vmctx: *mut u8, code: i32) -> ! {
    traps::raise_from_builtin(TrapCode::from_u32(code as u32).unwrap_or(TrapCode::HostTrap))
}

extern "C" fn memory_grow_impl(vmctx: *mut u8, mem: i32, delta: i64) -> i64 {
    run(vmctx, |i| {
        Ok(memory(i, mem)?
            .grow(delta as u64)
            .map_or(-1, |old| old as i64))
    })
}

extern "C" fn memory_fill_impl(vmctx: *mut u8, mem: i32, dst: i64, value: i32, len: i64) {
    run(vmctx, |i| {
        memory(i, mem)?
            .fill(dst as u64, value as u8, len as u64)
            .map_err(|_| MOOB)
    })
}

extern "C" fn memory_copy_impl(
    vmctx: *mut u8,
    dst_mem: i32,
    src_mem: i32,
    dst: i64,
    src: i64,
    len: i64,
) {
    run(vmctx, |i| {
        Memory::copy(
            memory(i, dst_mem)?,
            dst as u64,
            memory(i, src_mem)?,
            src as u64,
            len as u64,
        )
        .map_err(|_| MOOB)
    })
}

extern "C" fn memory_init_impl(vmctx: *mut u8, mem: i32, data: i32, dst: i64, src: i32, len: i32) {
    run(vmctx, |i| {
        let bytes = i.data(data as u32).ok_or(TrapCode::HostTrap)?;
        let (src, len) = (src as u32 as usize, len as u32 as usize);
        let end = src
            .checked_add(len)
            .filter(|e| *e <= bytes.len())
            .ok_or(MOOB)?;
        memory(i, mem)?
            .write(dst as u64, &bytes[src..end])
            .map_err(|_| MOOB)
    })
}

extern "C" fn data_drop_impl(vmctx: *mut u8, data: i32) {
    run(vmctx, |i| {
        i.drop_data(data as u32);
        Ok(())
    })
}

extern "C" fn table_grow_impl(vmctx: *mut u8, index: i32, init: *mut u8, delta: i64) -> i64 {
    run(vmctx, |i| {
        Ok(table(i, index)?
            .grow(delta as u64, init as usize)
            .map_or(-1, |old| old as i64))
    })
}

extern "C" fn table_fill_impl(vmctx: *mut u8, index: i32, dst: i64, value: *mut u8, len: i64) {
    run(vmctx, |i| {
        table(i, index)?
            .fill(dst as u64, value as usize, len as u64)
            .map_err(|_| TOOB)
    })
}

extern "C" fn table_copy_impl(
    vmctx: *mut u8,
    dst_t: i32,
    src_t: i32,
    dst: i64,
    src: i64,
    len: i64,
) {
    run(vmctx, |i| {
        Table::copy(
            table(i, dst_t)?,
            dst as u64,
            table(i, src_t)?,
            src as u64,
            len as u64,
        )
        .map_err(|_| TOOB)
    })
}

extern "C" fn table_init_impl(vmctx: *mut u8, index: i32, elem: i32, dst: i64, src: i32, len: i32) {
    run(vmctx, |i| {
        let items = i.element(elem as u32).ok_or(TrapCode::HostTrap)?;
        let (src, len) = (src as u32 as usize, len as u32 as usize);
        let end = src
            .checked_add(len)
            .filter(|e| *e <= items.len())
            .ok_or(TOOB)?;
        table(i, index)?
            .init(dst as u64, &items[src..end])
            .map_err(|_| TOOB)
    })
}

extern "C" fn elem_drop_impl(vmctx: *mut u8, elem: i32) {
    run(vmctx, |i| {
        i.drop_element(elem as u32);
        Ok(())
    })
}

/// Alignment, then bounds, of an atomic access of `size` bytes.
fn check_atomic(m: &Memory, addr: i64, size: u64) -> Result<(), TrapCode> {
    let addr = addr as u64;
    if !addr.is_multiple_of(size) {
        return Err(TrapCode::UnalignedAtomic);
    }
    match addr.checked_add(size) {
        Some(end) if end <= m.byte_len() => Ok(()),
        _ => Err(MOOB),
    }
}

extern "C" fn memory_atomic_notify_impl(vmctx: *mut u8, mem: i32, addr: i64, _count: i32) -> i32 {
    // A single-threaded program has no waiters.
    run(vmctx, |i| {
        check_atomic(memory(i, mem)?, addr, 4).map(|()| 0)
    })
}

/// `memory.atomic.wait*` on one thread: nobody can notify, so a matching
/// value waits out the timeout and returns 2 ("timed out"); a wait without a
/// timeout (negative) could never end and traps instead of hanging.
fn wait(current: u64, expected: u64, timeout: i64) -> Result<i32, TrapCode> {
    if current != expected {
        return Ok(1);
    }
    if timeout < 0 {
        return Err(TrapCode::WaitDeadlock);
    }
    if timeout > 0 {
        std::thread::sleep(Duration::from_nanos(timeout as u64));
    }
    Ok(2)
}

/// `memory.atomic.wait*` on a non-shared memory traps, after the alignment
/// and bounds checks (the reference interpreter's order, and Wasmtime's).
fn shared(m: &Memory) -> Result<&Memory, TrapCode> {
    if m.ty().shared {
        Ok(m)
    } else {
        Err(TrapCode::ExpectedSharedMemory)
    }
}

extern "C" fn memory_atomic_wait32_impl(
    vmctx: *mut u8,
    mem: i32,
    addr: i64,
    expected: i32,
    timeout: i64,
) -> i32 {
    run(vmctx, |i| {
        let m = memory(i, mem)?;
        check_atomic(m, addr, 4)?;
        let m = shared(m)?;
        let current = m.load_u32_atomic(addr as u64).map_err(|_| MOOB)?;
        wait(current as u64, expected as u32 as u64, timeout)
    })
}

extern "C" fn memory_atomic_wait64_impl(
    vmctx: *mut u8,
    mem: i32,
    addr: i64,
    expected: i64,
    timeout: i64,
) -> i32 {
    run(vmctx, |i| {
        let m = memory(i, mem)?;
        check_atomic(m, addr, 8)?;
        let m = shared(m)?;
        let current = m.load_u64_atomic(addr as u64).map_err(|_| MOOB)?;
        wait(current, expected as u64, timeout)
    })
}

extern "C" fn poll_impl(_vmctx: *mut u8) {
    // Checkpoint requests are not implemented yet.
}

builtin_shim! {
    /// `trap(code) -> !`: raises trap `code`.
    fn tern_builtin_trap(vmctx: *mut u8, code: i32) -> ! => trap_impl
}
builtin_shim! {
    /// `memory_grow(mem, delta) -> old pages or -1`.
    fn tern_builtin_memory_grow(vmctx: *mut u8, mem: i32, delta: i64) -> i64 => memory_grow_impl
}
builtin_shim! {
    /// `memory_fill(mem, dst, value, len)`.
    fn tern_builtin_memory_fill(vmctx: *mut u8, mem: i32, dst: i64, value: i32, len: i64) => memory_fill_impl
}
builtin_shim! {
    /// `memory_copy(dst_mem, src_mem, dst, src, len)`.
    fn tern_builtin_memory_copy(vmctx: *mut u8, dst_mem: i32, src_mem: i32, dst: i64, src: i64, len: i64) => memory_copy_impl
}
builtin_shim! {
    /// `memory_init(mem, data, dst, src, len)`.
    fn tern_builtin_memory_init(vmctx: *mut u8, mem: i32, data: i32, dst: i64, src: i32, len: i32) => memory_init_impl
}
builtin_shim! {
    /// `data_drop(data)`.
    fn tern_builtin_data_drop(vmctx: *mut u8, data: i32) => data_drop_impl
}
builtin_shim! {
    /// `table_grow(table, init, delta) -> old size or -1`.
    fn tern_builtin_table_grow(vmctx: *mut u8, table: i32, init: *mut u8, delta: i64) -> i64 => table_grow_impl
}
builtin_shim! {
    /// `table_fill(table, dst, value, len)`.
    fn tern_builtin_table_fill(vmctx: *mut u8, table: i32, dst: i64, value: *mut u8, len: i64) => table_fill_impl
}
builtin_shim! {
    /// `table_copy(dst_table, src_table, dst, src, len)`.
    fn tern_builtin_table_copy(vmctx: *mut u8, dst_table: i32, src_table: i32, dst: i64, src: i64, len: i64) => table_copy_impl
}
builtin_shim! {
    /// `table_init(table, elem, dst, src, len)`.
    fn tern_builtin_table_init(vmctx: *mut u8, table: i32, elem: i32, dst: i64, src: i32, len: i32) => table_init_impl
}
builtin_shim! {
    /// `elem_drop(elem)`.
    fn tern_builtin_elem_drop(vmctx: *mut u8, elem: i32) => elem_drop_impl
}
builtin_shim! {
    /// `memory_atomic_notify(mem, addr, count) -> woken`.
    fn tern_builtin_memory_atomic_notify(vmctx: *mut u8, mem: i32, addr: i64, count: i32) -> i32 => memory_atomic_notify_impl
}
builtin_shim! {
    /// `memory_atomic_wait32(mem, addr, expected, timeout) -> 0 ok, 1 not-equal, 2 timed out`.
    fn tern_builtin_memory_atomic_wait32(vmctx: *mut u8, mem: i32, addr: i64, expected: i32, timeout: i64) -> i32 => memory_atomic_wait32_impl
}
builtin_shim! {
    /// `memory_atomic_wait64(mem, addr, expected, timeout) -> 0 ok, 1 not-equal, 2 timed out`.
    fn tern_builtin_memory_atomic_wait64(vmctx: *mut u8, mem: i32, addr: i64, expected: i64, timeout: i64) -> i32 => memory_atomic_wait64_impl
}
builtin_shim! {
    /// `poll()`: checkpoint requests (a no-op for now).
    fn tern_builtin_poll(vmctx: *mut u8) => poll_impl
}
