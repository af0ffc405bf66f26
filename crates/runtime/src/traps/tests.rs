//! In-process end-to-end tests of entering Wasm, traps, faults, exits and
//! instantiation, with hand-written stand-ins for compiled code: Rust
//! `extern "C"` functions following the native convention, Rust array-call
//! trampolines, and an x86-64 `tern_catch_traps` in assembly.

use std::ptr;
use std::rc::Rc;

use tern_environ::{
    ConstExpr, ConstOp, DataMode, DataSegment, ElementMode, ElementSegment, EntityType, Export,
    ExportKind, FuncType, Import, MemoryType, ModuleInfo, RefType, TableInfo, TableType, TrapCode,
    ValType, VmOffsets,
};

use crate::instance::{self, CallError, Extern, Instance, InstantiationError, Module};
use crate::traps::Unwind;
use crate::values::Val;
use crate::vmctx::VMFuncRef;

extern "C" {
    fn _setjmp(env: *mut libc::c_void) -> libc::c_int;
}

/// The bundle's `tern_catch_traps`, as the compiler is specified to emit it.
#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
unsafe extern "C" fn test_catch_traps(
    _tramp: tern_environ::descriptor::ArrayCallTrampoline,
    _callee: *const u8,
    _vmctx: *mut u8,
    _values: *mut u8,
    _slot: *mut *mut u8,
) -> i32 {
    core::arch::naked_asm!(
        "push rbp",
        "mov rbp, rsp",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "sub rsp, 520",
        "mov rbx, rdi",
        "mov r12, rsi",
        "mov r13, rdx",
        "mov r14, rcx",
        "mov r15, r8",
        "mov rax, [r15]",
        "mov [rsp + 512], rax",
        "mov rdi, rsp",
        "call {setjmp}",
        "test eax, eax",
        "jnz 2f",
        "mov [r15], rsp",
        "mov rdi, r12",
        "mov rsi, r13",
        "mov rdx, r14",
        "call rbx",
        "xor eax, eax",
        "2:",
        "mov rcx, [rsp + 512]",
        "mov [r15], rcx",
        "add rsp, 520",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
        setjmp = sym _setjmp,
    )
}

/// The bundle's `tern_catch_traps` for AArch64.
#[cfg(target_arch = "aarch64")]
#[unsafe(naked)]
unsafe extern "C" fn test_catch_traps(
    _tramp: tern_environ::descriptor::ArrayCallTrampoline,
    _callee: *const u8,
    _vmctx: *mut u8,
    _values: *mut u8,
    _slot: *mut *mut u8,
) -> i32 {
    core::arch::naked_asm!(
        "stp x29, x30, [sp, #-64]!",
        "mov x29, sp",
        "stp x19, x20, [sp, #16]",
        "stp x21, x22, [sp, #32]",
        "str x23, [sp, #48]",
        "sub sp, sp, #528",
        "mov x19, x0",
        "mov x20, x1",
        "mov x21, x2",
        "mov x22, x3",
        "mov x23, x4",
        "ldr x9, [x23]",
        "str x9, [sp, #512]",
        "mov x0, sp",
        "bl {setjmp}",
        "cbnz w0, 2f",
        "mov x9, sp",
        "str x9, [x23]",
        "mov x0, x20",
        "mov x1, x21",
        "mov x2, x22",
        "blr x19",
        "mov w0, #0",
        "2:",
        "ldr x9, [sp, #512]",
        "str x9, [x23]",
        "add sp, sp, #528",
        "ldr x23, [sp, #48]",
        "ldp x21, x22, [sp, #32]",
        "ldp x19, x20, [sp, #16]",
        "ldp x29, x30, [sp], #64",
        "ret",
        setjmp = sym _setjmp,
    )
}

fn setup() {
    super::set_catch_traps(test_catch_traps);
}

fn offsets_of(vmctx: *mut u8) -> VmOffsets {
    // SAFETY: test code: contexts come from live instances.
    let instance = unsafe { crate::vmctx::instance_of(vmctx) };
    instance.module().offsets
}

fn read_word(vmctx: *mut u8, offset: u32) -> usize {
    // SAFETY: test code: `offset` comes from the context's own layout.
    unsafe { ptr::read(vmctx.add(offset as usize) as *const usize) }
}

// ---- stand-ins for compiled functions -------------------------------------

extern "C" fn add_one(_vmctx: *mut u8, x: i32) -> i32 {
    x.wrapping_add(1)
}

extern "C" fn do_trap(vmctx: *mut u8, code: i32) -> i32 {
    // SAFETY: test code calls the builtin like compiled code would.
    unsafe { crate::libcalls::tern_builtin_trap(vmctx, code) }
}

extern "C" fn load_at(vmctx: *mut u8, addr: i32) -> i32 {
    let base = read_word(vmctx, offsets_of(vmctx).memory_base(0)) as *const u8;
    // SAFETY: like compiled code: no bounds check, the guard region faults.
    unsafe {
        ptr::read_unaligned(std::hint::black_box(base.add(addr as u32 as usize)) as *const i32)
    }
}

extern "C" fn grow(vmctx: *mut u8, delta: i32) -> i32 {
    // SAFETY: test code calls the builtin like compiled code would.
    unsafe { crate::libcalls::tern_builtin_memory_grow(vmctx, 0, delta as u32 as i64) as i32 }
}

extern "C" fn call_import0(vmctx: *mut u8, x: i32) -> i32 {
    let funcref = read_word(vmctx, offsets_of(vmctx).funcref(0)) as *const VMFuncRef;
    // SAFETY: function 0 is an import of type (i32) -> i32 / (i32) -> ().
    unsafe {
        let f: extern "C" fn(*mut u8, i32) -> i32 = std::mem::transmute((*funcref).native);
        f((*funcref).vmctx, x)
    }
}

/// Array-call trampoline for `(i32) -> i32`.
unsafe extern "C" fn tramp_i32_i32(callee: *const u8, vmctx: *mut u8, values: *mut u8) {
    // SAFETY: the runtime passes a callee of this type and two-slot-or-more values.
    unsafe {
        let f: extern "C" fn(*mut u8, i32) -> i32 = std::mem::transmute(callee);
        let r = f(vmctx, ptr::read(values as *const i32));
        ptr::write(values as *mut i32, r);
    }
}

// ---- module construction ---------------------------------------------------

fn i32_i32() -> FuncType {
    FuncType {
        params: vec![ValType::I32],
        results: vec![ValType::I32],
    }
}

fn export_func(name: &str, index: u32) -> Export {
    Export {
        name: name.into(),
        kind: ExportKind::Function,
        index,
    }
}

fn module(mut info: ModuleInfo, funcs: &[extern "C" fn(*mut u8, i32) -> i32]) -> Rc<Module> {
    if info.types.is_empty() {
        info.types = vec![i32_i32()];
    }
    info.functions.extend(funcs.iter().map(|_| 0));
    let tramps = info
        .types
        .iter()
        .map(|_| tramp_i32_i32 as *const () as usize)
        .collect();
    Module::new(info, funcs.iter().map(|f| *f as usize).collect(), tramps).unwrap()
}

fn mem_type(min: u64, max: Option<u64>) -> MemoryType {
    MemoryType {
        minimum: min,
        maximum: max,
        memory64: false,
        shared: false,
        page_size_log2: 16,
    }
}

fn instantiate(m: &Rc<Module>) -> Box<Instance> {
    let i = Instance::new(m, &mut |_| None, None).unwrap();
    i.initialize().unwrap();
    i
}

fn invoke(i: &Instance, name: &str, arg: i32) -> Result<Vec<Val>, CallError> {
    let Some(Extern::Func(f)) = i.export(name) else {
        panic!("no export {name}")
    };
    instance::call(f, &[Val::I32(arg)])
}

fn trap_code(r: Result<Vec<Val>, CallError>) -> TrapCode {
    match r {
        Err(CallError::Unwind(Unwind::Trap { code, .. })) => code,
        other => panic!("expected a trap, got {other:?}"),
    }
}

// ---- tests -----------------------------------------------------------------

#[test]
fn call_returns_results() {
    setup();
    let m = module(
        ModuleInfo {
            exports: vec![export_func("f", 0)],
            ..Default::default()
        },
        &[add_one],
    );
    let i = instantiate(&m);
    assert_eq!(invoke(&i, "f", 41).unwrap(), vec![Val::I32(42)]);
    assert!(matches!(
        instance::call(
            match i.export("f") {
                Some(Extern::Func(f)) => f,
                _ => unreachable!(),
            },
            &[]
        ),
        Err(CallError::Args(_))
    ));
}

#[test]
fn builtin_trap_unwinds_and_later_calls_work() {
    setup();
    let m = module(
        ModuleInfo {
            exports: vec![export_func("trap", 0), export_func("ok", 1)],
            ..Default::default()
        },
        &[do_trap, add_one],
    );
    let i = instantiate(&m);
    assert_eq!(
        trap_code(invoke(&i, "trap", TrapCode::IntegerDivisionByZero as i32)),
        TrapCode::IntegerDivisionByZero
    );
    assert_eq!(trap_code(invoke(&i, "trap", 999)), TrapCode::HostTrap);
    assert_eq!(invoke(&i, "ok", 1).unwrap(), vec![Val::I32(2)]);
    assert!(!super::in_wasm());
}

#[test]
fn out_of_bounds_load_faults_into_a_trap() {
    setup();
    let m = module(
        ModuleInfo {
            memories: vec![mem_type(1, Some(2))],
            exports: vec![export_func("load", 0), export_func("grow", 1)],
            data: vec![DataSegment {
                mode: DataMode::Active {
                    memory: 0,
                    offset: ConstExpr(vec![ConstOp::I32Const(65532)]),
                },
                bytes: vec![1, 2, 3, 4],
            }],
            ..Default::default()
        },
        &[load_at, grow],
    );
    let i = instantiate(&m);
    assert_eq!(
        invoke(&i, "load", 65532).unwrap(),
        vec![Val::I32(0x04030201)]
    );
    assert_eq!(
        trap_code(invoke(&i, "load", 65533)),
        TrapCode::MemoryOutOfBounds
    );
    assert_eq!(
        trap_code(invoke(&i, "load", -4)),
        TrapCode::MemoryOutOfBounds
    );
    assert_eq!(invoke(&i, "grow", 1).unwrap(), vec![Val::I32(1)]);
    assert_eq!(invoke(&i, "load", 65533).unwrap(), vec![Val::I32(0x040302)]);
    assert_eq!(invoke(&i, "grow", 1).unwrap(), vec![Val::I32(-1)]);
    assert_eq!(
        trap_code(invoke(&i, "load", 2 * 65536)),
        TrapCode::MemoryOutOfBounds
    );
}

#[test]
fn fault_outside_wasm_memory_is_a_real_crash() {
    setup();
    super::install_signal_handlers();
    // SAFETY: fork in a test; the child only faults or exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: deliberately fault on an address no reservation covers.
        unsafe { ptr::read_volatile(16 as *const u8) };
        // SAFETY: not reached; exit without running the parent's test machinery.
        unsafe { libc::_exit(0) };
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(libc::WIFSIGNALED(status));
    assert_eq!(libc::WTERMSIG(status), libc::SIGSEGV);
}

#[test]
fn proc_exit_unwinds_with_status() {
    setup();
    let info = ModuleInfo {
        types: vec![
            i32_i32(),
            FuncType {
                params: vec![ValType::I32],
                results: vec![],
            },
        ],
        imports: vec![Import {
            module: "wasi_snapshot_preview1".into(),
            name: "proc_exit".into(),
            ty: EntityType::Function(1),
        }],
        functions: vec![1],
        num_imported_functions: 1,
        exports: vec![export_func("exit", 1)],
        ..Default::default()
    };
    let m = module(info, &[call_import0]);
    let cx = crate::wasi::build(&["p".into()], &[], &[]).unwrap();
    let mut resolve = |imp: &Import| crate::wasi::resolve(&imp.name).map(Extern::Host);
    let i = Instance::new(&m, &mut resolve, Some(Rc::new(std::cell::RefCell::new(cx)))).unwrap();
    i.initialize().unwrap();
    assert_eq!(
        invoke(&i, "exit", 7),
        Err(CallError::Unwind(Unwind::Exit(7)))
    );
}

#[test]
fn link_errors_name_the_import() {
    setup();
    let imports = |ty| ModuleInfo {
        imports: vec![Import {
            module: "spectest".into(),
            name: "memory".into(),
            ty,
        }],
        num_imported_memories: 1,
        memories: vec![mem_type(1, None)],
        ..Default::default()
    };
    let m = module(imports(EntityType::Memory(mem_type(1, None))), &[]);
    let err = Instance::new(&m, &mut |_| None, None).unwrap_err();
    assert!(
        matches!(&err, InstantiationError::Link(msg) if msg.contains("unknown import") && msg.contains("spectest::memory"))
    );
    let spectest = crate::spectest::exports().unwrap();
    let mut resolve = |imp: &Import| spectest.get(&imp.name).cloned();
    assert!(Instance::new(&m, &mut resolve, None).is_ok());
    let m = module(imports(EntityType::Memory(mem_type(2, None))), &[]);
    let err = Instance::new(&m, &mut resolve, None).unwrap_err();
    assert!(
        matches!(&err, InstantiationError::Link(msg) if msg.contains("incompatible import type"))
    );
}

#[test]
fn segments_apply_in_order_and_stop_at_the_first_trap() {
    setup();
    let table = TableInfo {
        ty: TableType {
            element: RefType::FUNCREF,
            minimum: 2,
            maximum: None,
            table64: false,
        },
        init: None,
    };
    let elem = |offset| ElementSegment {
        mode: ElementMode::Active {
            table: 0,
            offset: ConstExpr(vec![ConstOp::I32Const(offset)]),
        },
        ty: RefType::FUNCREF,
        items: vec![ConstExpr(vec![ConstOp::RefFunc(0)])],
    };
    let m = module(
        ModuleInfo {
            tables: vec![table],
            elements: vec![elem(0), elem(5), elem(1)],
            exports: vec![Export {
                name: "t".into(),
                kind: ExportKind::Table,
                index: 0,
            }],
            ..Default::default()
        },
        &[add_one],
    );
    let i = Instance::new(&m, &mut |_| None, None).unwrap();
    assert_eq!(
        i.initialize(),
        Err(Unwind::trap(TrapCode::TableOutOfBounds))
    );
    let Some(Extern::Table(t)) = i.export("t") else {
        panic!()
    };
    assert_eq!(t.get(0).unwrap(), i.func(0).unwrap().addr());
    assert_eq!(t.get(1).unwrap(), 0, "later segments are not applied");
}

#[test]
fn script_shares_memory_across_registered_instances() {
    setup();
    let exporter = module(
        ModuleInfo {
            memories: vec![mem_type(1, None)],
            exports: vec![
                Export {
                    name: "mem".into(),
                    kind: ExportKind::Memory,
                    index: 0,
                },
                Export {
                    name: "g".into(),
                    kind: ExportKind::Global,
                    index: 0,
                },
                export_func("load", 0),
            ],
            globals: vec![tern_environ::GlobalType {
                content: ValType::I32,
                mutable: false,
            }],
            global_inits: vec![ConstExpr(vec![ConstOp::I32Const(-7)])],
            ..Default::default()
        },
        &[load_at],
    );
    let importer = module(
        ModuleInfo {
            imports: vec![
                Import {
                    module: "m".into(),
                    name: "mem".into(),
                    ty: EntityType::Memory(mem_type(1, None)),
                },
                Import {
                    module: "spectest".into(),
                    name: "print_i32".into(),
                    ty: EntityType::Function(1),
                },
            ],
            types: vec![
                i32_i32(),
                FuncType {
                    params: vec![ValType::I32],
                    results: vec![],
                },
            ],
            functions: vec![1],
            num_imported_functions: 1,
            memories: vec![mem_type(1, None)],
            num_imported_memories: 1,
            data: vec![DataSegment {
                mode: DataMode::Active {
                    memory: 0,
                    offset: ConstExpr(vec![ConstOp::I32Const(8)]),
                },
                bytes: vec![42, 0, 0, 0],
            }],
            ..Default::default()
        },
        &[],
    );
    let mut s = crate::script::Script::new(vec![exporter, importer]).unwrap();
    assert_eq!(
        s.command("instantiate 1 i0"),
        "error link unknown import: `m::mem` has not been defined"
    );
    assert_eq!(s.command("instantiate 0 i0"), "ok");
    assert_eq!(s.command("register 6d i0"), "ok");
    assert_eq!(s.command("instantiate 1 i1"), "ok");
    assert_eq!(s.command("invoke i0 6c6f6164 i32:8"), "ok i32:2a");
    assert_eq!(
        s.command("invoke i0 6c6f6164 i32:fffffffc"),
        "trap out of bounds memory access"
    );
    assert_eq!(
        s.command("invoke i0 6c6f6164"),
        "error expected 1 arguments, got 0"
    );
    assert_eq!(s.command("get i0 67"), "ok i32:fffffff9");
}

#[test]
fn runs_on_a_new_stack_with_its_own_limit() {
    setup();
    let (sp, limit, code) = super::run_on_new_stack(8 << 20, 1 << 20, || {
        let marker = 0u8;
        let sp = std::ptr::addr_of!(marker) as usize;
        let m = module(
            ModuleInfo {
                exports: vec![export_func("trap", 0)],
                ..Default::default()
            },
            &[do_trap],
        );
        let i = instantiate(&m);
        (
            sp,
            super::stack_limit(),
            trap_code(invoke(&i, "trap", TrapCode::Unreachable as i32)),
        )
    })
    .unwrap();
    assert!(
        sp > limit && sp - limit <= 1 << 20,
        "Wasm gets at most the requested stack"
    );
    assert_eq!(code, TrapCode::Unreachable);
}
