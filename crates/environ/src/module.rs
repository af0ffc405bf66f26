//! [`ModuleInfo`]: everything about a module except its function bodies.
//!
//! The compiler fills it while parsing, serializes it with `postcard` into the
//! object it emits, and the runtime deserializes it to instantiate the module
//! (allocate memories, tables and globals, resolve imports, apply segments).

use crate::types::*;
use serde::{Deserialize, Serialize};

/// An index into the function index space (imports first).
pub type FuncIndex = u32;
/// An index into the type section.
pub type TypeIndex = u32;

/// A constant expression (global initializers, segment offsets, element items),
/// as a little stack program evaluated by the runtime at instantiation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConstExpr(pub Vec<ConstOp>);

/// One instruction of a [`ConstExpr`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum ConstOp {
    /// Push an `i32`.
    I32Const(i32),
    /// Push an `i64`.
    I64Const(i64),
    /// Push an `f32` (bits).
    F32Const(u32),
    /// Push an `f64` (bits).
    F64Const(u64),
    /// Push a `v128`.
    V128Const(u128),
    /// Push the value of a global (imported, or defined earlier).
    GlobalGet(u32),
    /// Push a null reference.
    RefNull(HeapType),
    /// Push a reference to a function.
    RefFunc(FuncIndex),
    /// Extended constant expressions: `i32.add`.
    I32Add,
    /// `i32.sub`.
    I32Sub,
    /// `i32.mul`.
    I32Mul,
    /// `i64.add`.
    I64Add,
    /// `i64.sub`.
    I64Sub,
    /// `i64.mul`.
    I64Mul,
}

/// What an import brings in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum EntityType {
    /// A function of the given type index.
    Function(TypeIndex),
    /// A table.
    Table(TableType),
    /// A linear memory.
    Memory(MemoryType),
    /// A global.
    Global(GlobalType),
    /// An exception tag of the given (function) type index.
    Tag(TypeIndex),
}

/// One import.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Import {
    /// Module name.
    pub module: String,
    /// Field name.
    pub name: String,
    /// What is imported.
    pub ty: EntityType,
}

/// What kind of entity an export names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportKind {
    /// A function.
    Function,
    /// A table.
    Table,
    /// A memory.
    Memory,
    /// A global.
    Global,
    /// A tag.
    Tag,
}

/// One export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Export {
    /// Export name.
    pub name: String,
    /// Kind of the exported entity.
    pub kind: ExportKind,
    /// Index in the kind's index space.
    pub index: u32,
}

/// How an element segment is used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ElementMode {
    /// Available to `table.init`.
    Passive,
    /// Only declares functions referenceable by `ref.func`; dropped at instantiation.
    Declared,
    /// Copied into a table at instantiation.
    Active {
        /// Target table.
        table: u32,
        /// Offset expression.
        offset: ConstExpr,
    },
}

/// An element segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ElementSegment {
    /// Mode.
    pub mode: ElementMode,
    /// Element type.
    pub ty: RefType,
    /// Items, each a constant expression producing a reference.
    pub items: Vec<ConstExpr>,
}

/// How a data segment is used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum DataMode {
    /// Available to `memory.init`.
    Passive,
    /// Copied into a memory at instantiation.
    Active {
        /// Target memory.
        memory: u32,
        /// Offset expression.
        offset: ConstExpr,
    },
}

/// A data segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSegment {
    /// Mode.
    pub mode: DataMode,
    /// Bytes.
    pub bytes: Vec<u8>,
}

/// A defined table: its type and initializer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableInfo {
    /// The table's type.
    pub ty: TableType,
    /// Initial value of every element (null if absent).
    pub init: Option<ConstExpr>,
}

/// Everything about a module the runtime needs, and everything tools such as
/// `tern snapshot inspect` want to show. Index spaces include imports first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModuleInfo {
    /// SHA-256 of the module's binary bytes (identity for caches and snapshots).
    pub module_hash: [u8; 32],
    /// Module name from the name section.
    pub name: Option<String>,
    /// The type section's function types, by type index.
    pub types: Vec<FuncType>,
    /// The size of each rec group of the type section, in order (a type
    /// outside an explicit `rec` is a group of one): type identity is
    /// per group (iso-recursive canonicalisation).
    pub rec_groups: Vec<u32>,
    /// Imports in order.
    pub imports: Vec<Import>,
    /// Type index of every function (imported first).
    pub functions: Vec<TypeIndex>,
    /// Number of imported functions.
    pub num_imported_functions: u32,
    /// Every table (imported first); the `init` of imported ones is `None`.
    pub tables: Vec<TableInfo>,
    /// Number of imported tables.
    pub num_imported_tables: u32,
    /// Every memory (imported first).
    pub memories: Vec<MemoryType>,
    /// Number of imported memories.
    pub num_imported_memories: u32,
    /// Every global's type (imported first).
    pub globals: Vec<GlobalType>,
    /// Initializers of the defined globals (index = global index - imported count).
    pub global_inits: Vec<ConstExpr>,
    /// Number of imported globals.
    pub num_imported_globals: u32,
    /// Every tag's type index (imported first).
    pub tags: Vec<TypeIndex>,
    /// Number of imported tags.
    pub num_imported_tags: u32,
    /// Exports.
    pub exports: Vec<Export>,
    /// The start function.
    pub start: Option<FuncIndex>,
    /// Element segments.
    pub elements: Vec<ElementSegment>,
    /// Data segments.
    pub data: Vec<DataSegment>,
    /// Function names from the name section, by function index.
    pub func_names: Vec<Option<String>>,
    /// Migration points, when compiled for checkpoint/restore (`--cr`),
    /// decoded on demand.
    pub migration: Option<crate::migration::EncodedMigration>,
}

impl ModuleInfo {
    /// The signature of function `func`.
    pub fn func_type(&self, func: FuncIndex) -> &FuncType {
        &self.types[self.functions[func as usize] as usize]
    }

    /// Number of functions defined (not imported) by the module.
    pub fn num_defined_functions(&self) -> u32 {
        self.functions.len() as u32 - self.num_imported_functions
    }

    /// A printable name for function `func`: the name section's, or `func[N]`.
    pub fn func_display_name(&self, func: FuncIndex) -> String {
        match self.func_names.get(func as usize) {
            Some(Some(name)) => name.clone(),
            _ => format!("func[{func}]"),
        }
    }

    /// Serializes for embedding in a compiled object.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("ModuleInfo serializes to a Vec")
    }

    /// Reads back what [`ModuleInfo::to_bytes`] wrote.
    ///
    /// # Errors
    /// Fails if the bytes are not a serialized `ModuleInfo` of this version.
    pub fn from_bytes(bytes: &[u8]) -> Result<ModuleInfo, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}
