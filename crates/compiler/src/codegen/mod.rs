//! Back end: target machines, the optimization pipeline, object emission,
//! and the data compiled code needs around the functions (metadata,
//! descriptor, array-call trampolines, the bundle object).

mod bundle;
mod descriptor;
mod optimize;
mod stackmaps;
mod target;
mod trampolines;
mod workarounds;

pub use bundle::emit_bundle;

use crate::error::Result;
use crate::parse;
use crate::target::Target;
use crate::translate::checkpoint::checkpointable_functions;
use crate::translate::{translate_module, ModuleEnv};
use inkwell::context::Context;
use inkwell::targets::FileType;
use tern_environ::ModuleInfo;

/// How to compile a module.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    /// The target.
    pub target: Target,
    /// LLVM optimization level, 0..=3 (higher values mean 3).
    pub opt_level: u8,
    /// Prefix of every symbol the module's object defines (e.g. `tern_m0_`).
    pub symbol_prefix: String,
    /// Instrument for checkpoint/restore (`--cr`): migration points at
    /// function entries, loop headers and calls.
    pub checkpoint: bool,
    /// The WebAssembly features a module may use ([`parse::SUPPORTED`] by
    /// default; [`wasmparser::WasmFeatures::WASM2`] validates as Wasm 2.0).
    pub wasm_features: wasmparser::WasmFeatures,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            target: Target::host(),
            opt_level: 2,
            symbol_prefix: "tern_m0_".into(),
            checkpoint: false,
            wasm_features: parse::SUPPORTED,
        }
    }
}

/// A compiled module: its object file and metadata.
#[derive(Clone, Debug)]
pub struct CompiledModule {
    /// The ELF relocatable object.
    pub object: Vec<u8>,
    /// The module's metadata (also embedded in the object).
    pub info: ModuleInfo,
}

/// What [`compile_module_text`] prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextOutput {
    /// LLVM IR after optimization.
    OptimizedIr,
    /// LLVM IR before optimization.
    UnoptimizedIr,
    /// Target assembly.
    Assembly,
}

enum Output {
    Object,
    Text(TextOutput),
}

/// Compiles a module (binary, or `.wat` text) to an object file.
///
/// # Errors
/// `Malformed`/`Invalid`/`Unsupported` for the input, `Codegen` for LLVM.
pub fn compile_module(wasm: &[u8], opts: &CompileOptions) -> Result<CompiledModule> {
    let (object, info) = build(wasm, opts, Output::Object)?;
    Ok(CompiledModule { object, info })
}

/// Compiles a module and returns IR or assembly text (for tests and tools).
///
/// # Errors
/// As [`compile_module`].
pub fn compile_module_text(wasm: &[u8], opts: &CompileOptions, what: TextOutput) -> Result<String> {
    let (bytes, _) = build(wasm, opts, Output::Text(what))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn build(input: &[u8], opts: &CompileOptions, output: Output) -> Result<(Vec<u8>, ModuleInfo)> {
    let wasm = parse::wasm_bytes(input)?;
    let parsed = parse::parse_module(&wasm, opts.wasm_features)?;
    let base_info = parsed.info.clone();
    let context = Context::create();
    let module = context.create_module(base_info.name.as_deref().unwrap_or("wasm"));
    let machine = target::target_machine(opts.target, opts.opt_level)?;
    module.set_triple(&machine.get_triple());
    module.set_data_layout(&machine.get_target_data().get_data_layout());

    let checkpointable = if opts.checkpoint {
        // Resume versions double the code LLVM optimizes (CPython at -O1:
        // about 11 minutes and 10 GB instead of half that), so `-O1`, the
        // fast-compile level, translates each function once.
        let make_resume_versions = opts.opt_level >= 2;
        Some(checkpointable_functions(
            &parsed.functions,
            &base_info,
            make_resume_versions,
        )?)
    } else {
        None
    };
    let env = ModuleEnv::new(
        &context,
        &module,
        &base_info,
        &opts.symbol_prefix,
        opts.target,
        checkpointable,
    );
    let mut info = base_info.clone();
    info.migration = translate_module(&env, parsed, &wasm)?
        .as_ref()
        .map(tern_environ::migration::EncodedMigration::encode);
    let trampolines =
        trampolines::emit_trampolines(&context, &module, &info.types, &opts.symbol_prefix)?;
    descriptor::emit_descriptor(
        &context,
        &module,
        &info,
        &env.functions,
        &trampolines,
        &opts.symbol_prefix,
    );
    if let Output::Text(TextOutput::UnoptimizedIr) = output {
        return Ok((module.print_to_string().to_bytes().to_vec(), info));
    }
    optimize::verify(&module)?;
    crate::translate::keep_trapping_loads(&module, &machine, &env.tbaa)?;
    // Debugging aid: `TERN_DUMP_IR=DIR` writes the IR before and after optimization.
    let dump = std::env::var_os("TERN_DUMP_IR").map(std::path::PathBuf::from);
    if let Some(dir) = &dump {
        let _ = std::fs::write(dir.join("before.ll"), module.print_to_string().to_bytes());
    }
    optimize::optimize(&module, &machine, opts.opt_level)?;
    workarounds::legalize_vector_canonicalize(&module)?;
    stackmaps::link_stackmaps(&module, &opts.symbol_prefix);
    stackmaps::demote_invoked_statepoints(&module);
    if let Some(dir) = &dump {
        let _ = std::fs::write(dir.join("after.ll"), module.print_to_string().to_bytes());
    }
    let bytes = match output {
        Output::Object => stackmaps::make_stackmaps_writable(optimize::emit(
            &module,
            &machine,
            FileType::Object,
        )?)?,
        Output::Text(TextOutput::Assembly) => {
            optimize::emit(&module, &machine, FileType::Assembly)?
        }
        Output::Text(_) => module.print_to_string().to_bytes().to_vec(),
    };
    Ok((bytes, info))
}
