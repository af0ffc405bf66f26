//! The spec interpreter's `spectest` module: `print*` functions that print
//! nothing, four globals, a table, a memory and a shared memory.

use std::collections::HashMap;
use std::rc::Rc;

use tern_environ::{GlobalType, MemoryType, RefType, TableType, ValType};

use crate::instance::{Extern, Global};
use crate::memory::{Memory, Table};
use crate::vmctx::host::IntoHostFunc;

extern "C-unwind" fn print(_: *mut u8) {}
extern "C-unwind" fn print_i32(_: *mut u8, _: i32) {}
extern "C-unwind" fn print_i64(_: *mut u8, _: i64) {}
extern "C-unwind" fn print_f32(_: *mut u8, _: f32) {}
extern "C-unwind" fn print_f64(_: *mut u8, _: f64) {}
extern "C-unwind" fn print_i32_f32(_: *mut u8, _: i32, _: f32) {}
extern "C-unwind" fn print_f64_f64(_: *mut u8, _: f64, _: f64) {}

/// The exports of a fresh `spectest` instance.
///
/// # Errors
/// If the memory cannot be reserved.
pub fn exports() -> Result<HashMap<String, Extern>, String> {
    let mut m = HashMap::new();
    let mut func = |name: &str, f: crate::vmctx::host::HostFunc| {
        m.insert(name.to_string(), Extern::Host(Rc::new(f)));
    };
    func(
        "print",
        (print as extern "C-unwind" fn(*mut u8)).host_func(),
    );
    func(
        "print_i32",
        (print_i32 as extern "C-unwind" fn(*mut u8, i32)).host_func(),
    );
    func(
        "print_i64",
        (print_i64 as extern "C-unwind" fn(*mut u8, i64)).host_func(),
    );
    func(
        "print_f32",
        (print_f32 as extern "C-unwind" fn(*mut u8, f32)).host_func(),
    );
    func(
        "print_f64",
        (print_f64 as extern "C-unwind" fn(*mut u8, f64)).host_func(),
    );
    func(
        "print_i32_f32",
        (print_i32_f32 as extern "C-unwind" fn(*mut u8, i32, f32)).host_func(),
    );
    func(
        "print_f64_f64",
        (print_f64_f64 as extern "C-unwind" fn(*mut u8, f64, f64)).host_func(),
    );
    let global = |content, raw: u128| {
        Extern::Global(Rc::new(Global::new(
            GlobalType {
                content,
                mutable: false,
            },
            raw,
        )))
    };
    m.insert("global_i32".into(), global(ValType::I32, 666));
    m.insert("global_i64".into(), global(ValType::I64, 666));
    m.insert(
        "global_f32".into(),
        global(ValType::F32, 666.6f32.to_bits() as u128),
    );
    m.insert(
        "global_f64".into(),
        global(ValType::F64, 666.6f64.to_bits() as u128),
    );
    let table = Table::new(
        TableType {
            element: RefType::FUNCREF,
            minimum: 10,
            maximum: Some(20),
            table64: false,
        },
        0,
    )?;
    m.insert("table".into(), Extern::Table(Rc::new(table)));
    let memory = Memory::new(MemoryType {
        minimum: 1,
        maximum: Some(2),
        memory64: false,
        shared: false,
        page_size_log2: 16,
    })
    .map_err(|e| e.0)?;
    m.insert("memory".into(), Extern::Memory(Rc::new(memory)));
    let shared_memory = Memory::new(MemoryType {
        minimum: 1,
        maximum: Some(2),
        memory64: false,
        shared: true,
        page_size_log2: 16,
    })
    .map_err(|e| e.0)?;
    m.insert(
        "shared_memory".into(),
        Extern::Memory(Rc::new(shared_memory)),
    );
    Ok(m)
}
