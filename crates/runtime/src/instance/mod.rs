//! Modules and instances: reading a compiled module's descriptor, allocating
//! an instance's context, memories, tables, globals and function references,
//! resolving and type-checking imports, applying segments, running the start
//! function, and calling exports.
//!
//! Instances are never freed while their store lives: function references and
//! shared entities may be held by other instances (even after a failed
//! instantiation), so everything handed out stays valid.

pub mod const_expr;
pub mod matching;
pub mod types;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use tern_environ::{
    DataMode, ElementMode, EntityType, ExportKind, GlobalType, Import, ModuleInfo, TableType,
    TrapCode, VmOffsets,
};

use crate::memory::{Memory, Table};
use crate::traps::backtrace::{register_code, ModuleNames};
use crate::traps::{self, Unwind};
use crate::values::Val;
use crate::vmctx::host::HostFunc;
use crate::vmctx::{FuncHandle, VMFuncRef, VMGlobal, VmCtx};
use crate::wasi::WasiCtx;

use const_expr::ConstContext;

/// A compiled module, ready to be instantiated.
#[derive(Debug)]
pub struct Module {
    /// The module's metadata.
    pub info: ModuleInfo,
    /// Native entry of each defined function.
    pub functions: Vec<usize>,
    /// Array-call trampoline of each type.
    pub trampolines: Vec<usize>,
    /// Canonical id of each type.
    pub type_ids: Vec<u32>,
    /// Context layout.
    pub offsets: VmOffsets,
}

impl Module {
    /// A module from its metadata and code addresses.
    ///
    /// # Errors
    /// If the code addresses do not fit the metadata.
    pub fn new(
        info: ModuleInfo,
        functions: Vec<usize>,
        trampolines: Vec<usize>,
    ) -> Result<Rc<Module>, String> {
        if functions.len() != info.num_defined_functions() as usize {
            return Err("descriptor function count does not match metadata".into());
        }
        if trampolines.len() != info.types.len() {
            return Err("descriptor type count does not match metadata".into());
        }
        let type_ids = types::canonicalize_module_types(&info.types, &info.rec_groups);
        let names = Arc::new(ModuleNames {
            module: info.name.clone(),
            funcs: (0..info.functions.len() as u32)
                .map(|f| info.func_display_name(f))
                .collect(),
        });
        let funcs: Vec<(u32, usize)> = functions
            .iter()
            .enumerate()
            .map(|(i, addr)| (i as u32 + info.num_imported_functions, *addr))
            .collect();
        register_code(names, &funcs, &trampolines);
        let offsets = VmOffsets::new(&info);
        Ok(Rc::new(Module {
            info,
            functions,
            trampolines,
            type_ids,
            offsets,
        }))
    }
}

/// Storage of one global.
#[derive(Debug)]
pub struct Global {
    storage: Box<VMGlobal>,
    ty: GlobalType,
}

impl Global {
    /// A global of (canonical) type `ty` holding `raw`.
    pub fn new(ty: GlobalType, raw: u128) -> Global {
        let storage = Box::<VMGlobal>::default();
        storage.set(raw);
        Global { storage, ty }
    }
    /// Its type.
    pub fn ty(&self) -> &GlobalType {
        &self.ty
    }
    /// Its raw value.
    pub fn get(&self) -> u128 {
        self.storage.get()
    }
    /// Its value.
    pub fn value(&self) -> Val {
        Val::from_raw(self.get(), self.ty.content)
    }
    /// Sets the raw value.
    pub fn set(&self, raw: u128) {
        self.storage.set(raw)
    }
    /// The storage compiled code reads.
    pub fn storage(&self) -> *const VMGlobal {
        &*self.storage
    }
}

/// An exception tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    /// Unique identity.
    pub identity: *const u8,
    /// Canonical id of the tag's function type.
    pub type_id: u32,
}

/// Something that can satisfy an import.
#[derive(Debug, Clone)]
pub enum Extern {
    /// An existing function.
    Func(FuncHandle),
    /// A host function, bound to the importing instance's context.
    Host(Rc<HostFunc>),
    /// A table.
    Table(Rc<Table>),
    /// A memory.
    Memory(Rc<Memory>),
    /// A global.
    Global(Rc<Global>),
    /// A tag.
    Tag(Tag),
}

/// Why instantiation failed before running any code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstantiationError {
    /// Unknown import or incompatible import type.
    Link(String),
    /// Resource or malformed-input errors.
    Other(String),
}

impl std::fmt::Display for InstantiationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InstantiationError::Link(m) | InstantiationError::Other(m) => f.write_str(m),
        }
    }
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// Wrong arguments.
    Args(String),
    /// A trap or exit unwound the call.
    Unwind(Unwind),
}

/// An instance of a module.
#[derive(Debug)]
pub struct Instance {
    module: Rc<Module>,
    vmctx: VmCtx,
    memories: Vec<Rc<Memory>>,
    tables: Vec<Rc<Table>>,
    globals: Vec<Rc<Global>>,
    funcs: Vec<FuncHandle>,
    _defined_funcrefs: Box<[VMFuncRef]>,
    #[allow(clippy::vec_box, reason = "compiled code holds their addresses")]
    _host_funcrefs: Vec<Box<VMFuncRef>>,
    tags: Vec<Tag>,
    #[allow(clippy::vec_box, reason = "the addresses are the tag identities")]
    _owned_tags: Vec<Box<u8>>,
    elements: RefCell<Vec<Option<Rc<[usize]>>>>,
    data_dropped: Vec<Cell<bool>>,
    wasi: Option<Rc<RefCell<WasiCtx>>>,
}

struct Cx<'a> {
    globals: &'a [Rc<Global>],
    funcs: &'a [FuncHandle],
}

impl ConstContext for Cx<'_> {
    fn global(&self, index: u32) -> Option<u128> {
        self.globals.get(index as usize).map(|g| g.get())
    }
    fn func_ref(&self, index: u32) -> Option<usize> {
        self.funcs.get(index as usize).map(|f| f.addr())
    }
}

fn import_name(import: &Import) -> String {
    format!("{}::{}", import.module, import.name)
}

fn incompatible(import: &Import, detail: &str) -> InstantiationError {
    InstantiationError::Link(format!(
        "incompatible import type for `{}`: {detail}",
        import_name(import)
    ))
}

impl Instance {
    /// Resolves imports through `resolve`, allocates everything and fills the
    /// context. Segments and the start function are applied by [`Instance::initialize`].
    ///
    /// # Errors
    /// Link errors (unknown import, type mismatch) and allocation failures.
    pub fn new(
        module: &Rc<Module>,
        resolve: &mut dyn FnMut(&Import) -> Option<Extern>,
        wasi: Option<Rc<RefCell<WasiCtx>>>,
    ) -> Result<Box<Instance>, InstantiationError> {
        let info = &module.info;
        let ids = &module.type_ids;
        let vmctx = VmCtx::new(module.offsets);
        let mut funcs = Vec::with_capacity(info.functions.len());
        let mut host_funcrefs = Vec::new();
        let mut tables = Vec::new();
        let mut memories = Vec::new();
        let mut globals = Vec::new();
        let mut tags = Vec::new();

        for import in &info.imports {
            let found = resolve(import).ok_or_else(|| {
                InstantiationError::Link(format!(
                    "unknown import: `{}` has not been defined",
                    import_name(import)
                ))
            })?;
            match (&import.ty, found) {
                (EntityType::Function(ti), Extern::Func(f)) => {
                    if f.get().type_id != ids[*ti as usize] as u64 {
                        return Err(incompatible(import, "function types differ"));
                    }
                    funcs.push(f);
                }
                (EntityType::Function(ti), Extern::Host(h)) => {
                    let id = types::intern(&h.ty);
                    if id != ids[*ti as usize] {
                        return Err(incompatible(import, "function types differ"));
                    }
                    let funcref = Box::new(VMFuncRef {
                        native: h.native as *const u8,
                        array_call: h.array_call as *const u8,
                        vmctx: vmctx.as_ptr(),
                        type_id: id as u64,
                    });
                    funcs.push(FuncHandle::from_ref(&funcref));
                    host_funcrefs.push(funcref);
                }
                (EntityType::Table(expected), Extern::Table(t)) => {
                    let expected = TableType {
                        element: types::canonical_ref(expected.element, ids),
                        ..*expected
                    };
                    if !matching::table_matches(&t.current_type(), &expected) {
                        return Err(incompatible(import, "table types differ"));
                    }
                    tables.push(t);
                }
                (EntityType::Memory(expected), Extern::Memory(m)) => {
                    if !matching::memory_matches(&m.current_type(), expected) {
                        return Err(incompatible(import, "memory types differ"));
                    }
                    memories.push(m);
                }
                (EntityType::Global(expected), Extern::Global(g)) => {
                    let expected = GlobalType {
                        content: types::canonical_val(expected.content, ids),
                        ..*expected
                    };
                    if !matching::global_matches(g.ty(), &expected) {
                        return Err(incompatible(import, "global types differ"));
                    }
                    globals.push(g);
                }
                (EntityType::Tag(ti), Extern::Tag(tag)) => {
                    if tag.type_id != ids[*ti as usize] {
                        return Err(incompatible(import, "tag types differ"));
                    }
                    tags.push(tag);
                }
                (_, other) => {
                    let kind = match other {
                        Extern::Func(_) | Extern::Host(_) => "function",
                        Extern::Table(_) => "table",
                        Extern::Memory(_) => "memory",
                        Extern::Global(_) => "global",
                        Extern::Tag(_) => "tag",
                    };
                    return Err(incompatible(import, &format!("found a {kind}")));
                }
            }
        }
        if funcs.len() != info.num_imported_functions as usize
            || tables.len() != info.num_imported_tables as usize
            || memories.len() != info.num_imported_memories as usize
            || globals.len() != info.num_imported_globals as usize
            || tags.len() != info.num_imported_tags as usize
        {
            return Err(InstantiationError::Other(
                "import counts do not match metadata".into(),
            ));
        }

        let defined_funcrefs: Box<[VMFuncRef]> = (0..info.num_defined_functions())
            .map(|i| {
                let ty = info.functions[(i + info.num_imported_functions) as usize] as usize;
                VMFuncRef {
                    native: module.functions[i as usize] as *const u8,
                    array_call: module.trampolines[ty] as *const u8,
                    vmctx: vmctx.as_ptr(),
                    type_id: ids[ty] as u64,
                }
            })
            .collect();
        funcs.extend(defined_funcrefs.iter().map(FuncHandle::from_ref));

        for (i, init) in info.global_inits.iter().enumerate() {
            let ty = info.globals[info.num_imported_globals as usize + i];
            let ty = GlobalType {
                content: types::canonical_val(ty.content, ids),
                ..ty
            };
            let value = const_expr::eval(
                init,
                &Cx {
                    globals: &globals,
                    funcs: &funcs,
                },
            )
            .map_err(InstantiationError::Other)?;
            globals.push(Rc::new(Global::new(ty, value)));
        }

        for table in &info.tables[info.num_imported_tables as usize..] {
            let ty = TableType {
                element: types::canonical_ref(table.ty.element, ids),
                ..table.ty
            };
            let init = match &table.init {
                Some(e) => const_expr::eval(
                    e,
                    &Cx {
                        globals: &globals,
                        funcs: &funcs,
                    },
                )
                .map_err(InstantiationError::Other)? as usize,
                None => 0,
            };
            tables.push(Rc::new(
                Table::new(ty, init).map_err(InstantiationError::Other)?,
            ));
        }

        for ty in &info.memories[info.num_imported_memories as usize..] {
            memories.push(Rc::new(
                Memory::new(*ty).map_err(|e| InstantiationError::Other(e.0))?,
            ));
        }

        let mut owned_tags = Vec::new();
        for ti in &info.tags[info.num_imported_tags as usize..] {
            let identity = Box::new(0u8);
            tags.push(Tag {
                identity: &*identity,
                type_id: ids[*ti as usize],
            });
            owned_tags.push(identity);
        }

        let mut elements = Vec::with_capacity(info.elements.len());
        for seg in &info.elements {
            if seg.mode == ElementMode::Declared {
                elements.push(None);
                continue;
            }
            let cx = Cx {
                globals: &globals,
                funcs: &funcs,
            };
            let items = seg
                .items
                .iter()
                .map(|e| const_expr::eval(e, &cx).map(|v| v as usize))
                .collect::<Result<Vec<_>, _>>()
                .map_err(InstantiationError::Other)?;
            elements.push(Some(Rc::from(items)));
        }

        let instance = Box::new(Instance {
            module: module.clone(),
            vmctx,
            memories,
            tables,
            globals,
            funcs,
            _defined_funcrefs: defined_funcrefs,
            _host_funcrefs: host_funcrefs,
            tags,
            _owned_tags: owned_tags,
            elements: RefCell::new(elements),
            data_dropped: info.data.iter().map(|_| Cell::new(false)).collect(),
            wasi,
        });
        instance.fill_context();
        Ok(instance)
    }

    fn fill_context(&self) {
        let ctx = &self.vmctx;
        ctx.set_runtime(self);
        ctx.set_stack_limit(traps::stack_limit());
        for (i, m) in self.memories.iter().enumerate() {
            ctx.set_memory(i as u32, m.base(), m.definition());
        }
        for (i, g) in self.globals.iter().enumerate() {
            ctx.set_global(i as u32, g.storage());
        }
        for (i, t) in self.tables.iter().enumerate() {
            ctx.set_table(i as u32, t.definition());
        }
        for (i, f) in self.funcs.iter().enumerate() {
            ctx.set_funcref(i as u32, f.as_ptr());
        }
        for (i, id) in self.module.type_ids.iter().enumerate() {
            ctx.set_type_id(i as u32, *id);
        }
        for (i, t) in self.tags.iter().enumerate() {
            ctx.set_tag(i as u32, t.identity);
        }
    }

    /// Applies active element and data segments in order (spec 2.0: a trap
    /// leaves earlier segments applied), drops them, and runs the start function.
    ///
    /// # Errors
    /// The trap (or exit) that stopped initialization.
    pub fn initialize(&self) -> Result<(), Unwind> {
        let info = &self.module.info;
        let cx = Cx {
            globals: &self.globals,
            funcs: &self.funcs,
        };
        let eval = |e| const_expr::eval(e, &cx).map_err(|_| Unwind::trap(TrapCode::HostTrap));
        for (i, seg) in info.elements.iter().enumerate() {
            if let ElementMode::Active { table, offset } = &seg.mode {
                let table = &self.tables[*table as usize];
                let offset = eval(offset)?;
                let offset = if table.ty().table64 {
                    offset as u64
                } else {
                    offset as u32 as u64
                };
                let items = self.elements.borrow()[i]
                    .clone()
                    .unwrap_or_else(|| Rc::from(Vec::new()));
                table
                    .init(offset, &items)
                    .map_err(|_| Unwind::trap(TrapCode::TableOutOfBounds))?;
                self.elements.borrow_mut()[i] = None;
            }
        }
        for (i, seg) in info.data.iter().enumerate() {
            if let DataMode::Active { memory, offset } = &seg.mode {
                let memory = &self.memories[*memory as usize];
                let offset = eval(offset)?;
                let offset = if memory.ty().memory64 {
                    offset as u64
                } else {
                    offset as u32 as u64
                };
                memory
                    .write(offset, &seg.bytes)
                    .map_err(|_| Unwind::trap(TrapCode::MemoryOutOfBounds))?;
                self.data_dropped[i].set(true);
            }
        }
        if let Some(start) = info.start {
            match call(self.funcs[start as usize], &[]) {
                Ok(_) => {}
                Err(CallError::Unwind(u)) => return Err(u),
                Err(CallError::Args(_)) => return Err(Unwind::trap(TrapCode::HostTrap)),
            }
        }
        Ok(())
    }

    /// The module this is an instance of.
    pub fn module(&self) -> &Rc<Module> {
        &self.module
    }

    /// The context pointer.
    pub fn vmctx(&self) -> *mut u8 {
        self.vmctx.as_ptr()
    }

    /// Memory `index` (imported or defined).
    pub fn memory(&self, index: u32) -> Option<&Rc<Memory>> {
        self.memories.get(index as usize)
    }

    /// Table `index` (imported or defined).
    pub fn table(&self, index: u32) -> Option<&Rc<Table>> {
        self.tables.get(index as usize)
    }

    /// Global `index`.
    pub fn global(&self, index: u32) -> Option<&Rc<Global>> {
        self.globals.get(index as usize)
    }

    /// Tag `index` (imported or defined).
    pub fn tag(&self, index: u32) -> Option<Tag> {
        self.tags.get(index as usize).copied()
    }

    /// Function `index`.
    pub fn func(&self, index: u32) -> Option<FuncHandle> {
        self.funcs.get(index as usize).copied()
    }

    /// The WASI state this instance's host functions use.
    pub fn wasi(&self) -> Option<&Rc<RefCell<WasiCtx>>> {
        self.wasi.as_ref()
    }

    /// Bytes of data segment `index`, or empty once dropped.
    pub fn data(&self, index: u32) -> Option<&[u8]> {
        let seg = self.module.info.data.get(index as usize)?;
        Some(if self.data_dropped[index as usize].get() {
            &[]
        } else {
            &seg.bytes
        })
    }

    /// Drops data segment `index`.
    pub fn drop_data(&self, index: u32) {
        if let Some(d) = self.data_dropped.get(index as usize) {
            d.set(true);
        }
    }

    /// Items of element segment `index`, or empty once dropped.
    pub fn element(&self, index: u32) -> Option<Rc<[usize]>> {
        let elements = self.elements.borrow();
        let seg = elements.get(index as usize)?;
        Some(seg.clone().unwrap_or_else(|| Rc::from(Vec::new())))
    }

    /// Indices of the dropped data segments (checkpoints record them).
    pub fn dropped_data(&self) -> Vec<u32> {
        (0..self.data_dropped.len() as u32)
            .filter(|i| self.data_dropped[*i as usize].get())
            .collect()
    }

    /// Indices of the dropped (or already applied) element segments.
    pub fn dropped_elements(&self) -> Vec<u32> {
        let elements = self.elements.borrow();
        (0..elements.len() as u32)
            .filter(|i| elements[*i as usize].is_none())
            .collect()
    }

    /// Drops element segment `index`.
    pub fn drop_element(&self, index: u32) {
        if let Some(seg) = self.elements.borrow_mut().get_mut(index as usize) {
            *seg = None;
        }
    }

    /// The export called `name`.
    pub fn export(&self, name: &str) -> Option<Extern> {
        let export = self.module.info.exports.iter().find(|e| e.name == name)?;
        let i = export.index as usize;
        Some(match export.kind {
            ExportKind::Function => Extern::Func(*self.funcs.get(i)?),
            ExportKind::Table => Extern::Table(self.tables.get(i)?.clone()),
            ExportKind::Memory => Extern::Memory(self.memories.get(i)?.clone()),
            ExportKind::Global => Extern::Global(self.globals.get(i)?.clone()),
            ExportKind::Tag => Extern::Tag(*self.tags.get(i)?),
        })
    }
}

/// Calls `func` with `args`, checking them against its signature.
///
/// # Errors
/// Wrong arguments, or the trap/exit that unwound the call.
pub fn call(func: FuncHandle, args: &[Val]) -> Result<Vec<Val>, CallError> {
    let funcref = func.get();
    let ty = types::lookup(funcref.type_id as u32)
        .ok_or_else(|| CallError::Args("unknown signature".into()))?;
    if args.len() != ty.params.len() {
        return Err(CallError::Args(format!(
            "expected {} arguments, got {}",
            ty.params.len(),
            args.len()
        )));
    }
    for (i, (arg, pty)) in args.iter().zip(&ty.params).enumerate() {
        if !arg.matches(*pty) {
            return Err(CallError::Args(format!(
                "argument {i} has the wrong type (expected {pty:?})"
            )));
        }
    }
    let needed = ty.params.len().max(ty.results.len());
    let mut values = vec![[0u8; 16]; needed.max(1)];
    for (slot, arg) in values.iter_mut().zip(args) {
        *slot = arg.to_raw().to_le_bytes();
    }
    traps::call(funcref, &mut values, needed).map_err(CallError::Unwind)?;
    Ok(ty
        .results
        .iter()
        .zip(&values)
        .map(|(t, slot)| Val::from_raw(u128::from_le_bytes(*slot), *t))
        .collect())
}

/// The signature of `func`.
pub fn func_type(func: FuncHandle) -> Option<tern_environ::FuncType> {
    types::lookup(func.get().type_id as u32)
}
