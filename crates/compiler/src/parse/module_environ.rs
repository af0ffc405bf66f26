//! Sections → [`ModuleInfo`], validating every payload with wasmparser's
//! [`Validator`] on the way. Function bodies are not translated here: they are
//! handed out with their [`FuncToValidate`] so the translator validates each
//! operator as it lowers it.

use super::{convert, features, invalid, malformed};
use crate::error::{CompileError, Result};
use sha2::{Digest, Sha256};
use tern_environ::{
    ConstExpr, ConstOp, DataMode, DataSegment, ElementMode, ElementSegment, EntityType, Export,
    ExportKind, Import, ModuleInfo, RefType, TableInfo,
};
use wasmparser::{
    FuncToValidate, FunctionBody, KnownCustom, Name, Parser, Payload, ValidPayload, Validator,
    ValidatorResources, WasmFeatures,
};

/// One defined function's body, still to be validated and translated.
pub struct FunctionInput<'a> {
    /// The body's bytes (locals and operators).
    pub body: FunctionBody<'a>,
    /// The validator for this body.
    pub validator: FuncToValidate<ValidatorResources>,
}

/// A parsed, validated (except for function bodies) module.
pub struct ParsedModule<'a> {
    /// Everything but the bodies.
    pub info: ModuleInfo,
    /// Defined function bodies, by defined function index.
    pub functions: Vec<FunctionInput<'a>>,
    /// The features the module was validated with.
    pub features: WasmFeatures,
}

/// Parses and validates `wasm` (a binary module) with `enabled` features
/// (a subset of [`features::SUPPORTED`]; more are ignored).
///
/// # Errors
/// `Malformed`/`Invalid` with the byte offset, or `Unsupported` when the
/// module needs a proposal tern does not implement or `enabled` leaves out.
pub fn parse_module(wasm: &[u8], enabled: WasmFeatures) -> Result<ParsedModule<'_>> {
    let enabled = enabled & features::SUPPORTED;
    parse_inner(wasm, enabled).map_err(|err| features::classify_failure(wasm, err, enabled))
}

fn parse_inner(wasm: &[u8], enabled: WasmFeatures) -> Result<ParsedModule<'_>> {
    let mut validator = Validator::new_with_features(enabled);
    let mut info = ModuleInfo {
        module_hash: Sha256::digest(wasm).into(),
        ..Default::default()
    };
    let mut functions = Vec::new();
    let mut unsupported = None;
    let mut parser = Parser::new(0);
    // Decode with the supported features too: e.g. memory limits are u32
    // LEBs without memory64, and an overlong one is malformed.
    parser.set_features(enabled);
    for payload in parser.parse_all(wasm) {
        let payload = payload.map_err(malformed)?;
        // Read the section ourselves first so that undecodable bytes are
        // reported as malformed, then let the validator judge it. A use of
        // an unsupported feature is reported only once the module is known
        // to be valid (an invalid module is invalid whatever it uses).
        match read_payload(&mut info, &payload) {
            Ok(()) => {}
            Err(err @ CompileError::Unsupported { .. }) => {
                unsupported.get_or_insert(err);
            }
            Err(err) => return Err(err),
        }
        match validator.payload(&payload).map_err(invalid)? {
            ValidPayload::Func(validator, body) => {
                functions.push(FunctionInput { body, validator })
            }
            ValidPayload::End(_) => break,
            ValidPayload::Ok | ValidPayload::Parser(_) => {}
        }
    }
    if let Some(err) = unsupported {
        return Err(err);
    }
    info.func_names.resize(info.functions.len(), None);
    Ok(ParsedModule {
        info,
        functions,
        features: enabled,
    })
}

/// Records what `payload` contributes to `info`.
fn read_payload(info: &mut ModuleInfo, payload: &Payload<'_>) -> Result<()> {
    match payload {
        Payload::TypeSection(reader) => {
            for group in reader.clone() {
                let types = super::gc::rec_group_func_types(&group.map_err(malformed)?)?;
                info.rec_groups.push(types.len() as u32);
                info.types.extend(types);
            }
        }
        Payload::ImportSection(reader) => {
            for import in reader.clone().into_imports() {
                read_import(info, import.map_err(malformed)?)?;
            }
        }
        Payload::FunctionSection(reader) => {
            for ty in reader.clone() {
                info.functions.push(ty.map_err(malformed)?);
            }
        }
        Payload::TableSection(reader) => {
            for table in reader.clone() {
                let table = table.map_err(malformed)?;
                let init = match &table.init {
                    wasmparser::TableInit::RefNull => None,
                    wasmparser::TableInit::Expr(expr) => Some(convert::const_expr(expr)?),
                };
                info.tables.push(TableInfo {
                    ty: convert::table_type(&table.ty)?,
                    init,
                });
            }
        }
        Payload::MemorySection(reader) => {
            for memory in reader.clone() {
                info.memories
                    .push(convert::memory_type(&memory.map_err(malformed)?));
            }
        }
        Payload::TagSection(reader) => {
            for tag in reader.clone() {
                info.tags.push(tag.map_err(malformed)?.func_type_idx);
            }
        }
        Payload::GlobalSection(reader) => {
            for global in reader.clone() {
                let global = global.map_err(malformed)?;
                info.globals.push(convert::global_type(&global.ty)?);
                info.global_inits
                    .push(convert::const_expr(&global.init_expr)?);
            }
        }
        Payload::ExportSection(reader) => {
            for export in reader.clone() {
                let export = export.map_err(malformed)?;
                let kind = match export.kind {
                    wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact => {
                        ExportKind::Function
                    }
                    wasmparser::ExternalKind::Table => ExportKind::Table,
                    wasmparser::ExternalKind::Memory => ExportKind::Memory,
                    wasmparser::ExternalKind::Global => ExportKind::Global,
                    wasmparser::ExternalKind::Tag => ExportKind::Tag,
                };
                info.exports.push(Export {
                    name: export.name.to_string(),
                    kind,
                    index: export.index,
                });
            }
        }
        Payload::StartSection { func, .. } => info.start = Some(*func),
        Payload::ElementSection(reader) => {
            for element in reader.clone() {
                info.elements
                    .push(read_element(element.map_err(malformed)?)?);
            }
        }
        Payload::DataSection(reader) => {
            for data in reader.clone() {
                let data = data.map_err(malformed)?;
                let mode = match &data.kind {
                    wasmparser::DataKind::Passive => DataMode::Passive,
                    wasmparser::DataKind::Active {
                        memory_index,
                        offset_expr,
                    } => DataMode::Active {
                        memory: *memory_index,
                        offset: convert::const_expr(offset_expr)?,
                    },
                };
                info.data.push(DataSegment {
                    mode,
                    bytes: data.data.to_vec(),
                });
            }
        }
        Payload::CustomSection(section) => {
            if let KnownCustom::Name(names) = section.as_known() {
                read_names(info, names);
            }
        }
        _ => {}
    }
    Ok(())
}

fn read_import(info: &mut ModuleInfo, import: wasmparser::Import<'_>) -> Result<()> {
    let ty = match import.ty {
        wasmparser::TypeRef::Func(ty) | wasmparser::TypeRef::FuncExact(ty) => {
            info.functions.push(ty);
            info.num_imported_functions += 1;
            EntityType::Function(ty)
        }
        wasmparser::TypeRef::Table(table) => {
            let ty = convert::table_type(&table)?;
            info.tables.push(TableInfo { ty, init: None });
            info.num_imported_tables += 1;
            EntityType::Table(ty)
        }
        wasmparser::TypeRef::Memory(memory) => {
            let ty = convert::memory_type(&memory);
            info.memories.push(ty);
            info.num_imported_memories += 1;
            EntityType::Memory(ty)
        }
        wasmparser::TypeRef::Global(global) => {
            let ty = convert::global_type(&global)?;
            info.globals.push(ty);
            info.num_imported_globals += 1;
            EntityType::Global(ty)
        }
        wasmparser::TypeRef::Tag(tag) => {
            info.tags.push(tag.func_type_idx);
            info.num_imported_tags += 1;
            EntityType::Tag(tag.func_type_idx)
        }
    };
    info.imports.push(Import {
        module: import.module.to_string(),
        name: import.name.to_string(),
        ty,
    });
    Ok(())
}

fn read_element(element: wasmparser::Element<'_>) -> Result<ElementSegment> {
    let mode = match &element.kind {
        wasmparser::ElementKind::Passive => ElementMode::Passive,
        wasmparser::ElementKind::Declared => ElementMode::Declared,
        wasmparser::ElementKind::Active {
            table_index,
            offset_expr,
        } => ElementMode::Active {
            table: table_index.unwrap_or(0),
            offset: convert::const_expr(offset_expr)?,
        },
    };
    let (ty, items) = match element.items {
        wasmparser::ElementItems::Functions(reader) => {
            let items = reader
                .into_iter()
                .map(|f| Ok(ConstExpr(vec![ConstOp::RefFunc(f.map_err(malformed)?)])))
                .collect::<Result<_>>()?;
            (RefType::FUNCREF, items)
        }
        wasmparser::ElementItems::Expressions(ty, reader) => {
            let items = reader
                .into_iter()
                .map(|e| convert::const_expr(&e.map_err(malformed)?))
                .collect::<Result<_>>()?;
            (convert::ref_type(ty)?, items)
        }
    };
    Ok(ElementSegment { mode, ty, items })
}

/// Reads module and function names. A broken name section is not an error
/// (the spec makes custom sections non-semantic); whatever decodes is kept.
fn read_names(info: &mut ModuleInfo, names: wasmparser::NameSectionReader<'_>) {
    for name in names.into_iter().map_while(|n| n.ok()) {
        match name {
            Name::Module { name, .. } => info.name = Some(name.to_string()),
            Name::Function(map) => {
                for naming in map.into_iter().map_while(|n| n.ok()) {
                    let index = naming.index as usize;
                    // Bound by the function count: the index comes from the file.
                    if index < info.functions.len() {
                        info.func_names.resize(info.functions.len(), None);
                        info.func_names[index] = Some(naming.name.to_string());
                    }
                }
            }
            _ => {}
        }
    }
}
