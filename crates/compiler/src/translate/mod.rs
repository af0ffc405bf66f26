//! Translation of function bodies to LLVM IR.
//!
//! [`translate_module`] declares every defined function ([`ModuleEnv`]) and
//! translates each body with a [`func_translator::FuncTranslator`]. Operator
//! lowering is split by family; the purely computational operators live in
//! [`ops`] behind the [`ops::LoweringCx`] trait.

mod address_facts;
mod address_lookback;
mod address_recurrences;
mod address_split;
mod atomics;
mod call_graph;
mod calls;
pub mod checkpoint;
mod control;
mod cross_instance;
mod env;
mod exceptions;
mod frame_bound;
mod func_env;
mod func_translator;
pub mod legacy;
mod memory;
mod operator_classes;
pub mod ops;
mod pointer_bases;
mod tables;
mod tbaa;
pub mod trapping_loads;
pub mod types;
mod variables;
mod visit;

pub use env::{enum_attribute, ModuleEnv, PRESERVE_ALL_CALL_CONV};
pub use func_translator::{translate_function, FuncTranslator};
pub use trapping_loads::keep_trapping_loads;

use crate::error::Result;
use crate::parse::ParsedModule;
use tern_environ::migration::{MigrationInfo, MIGRATION_SCHEME};

/// Translates every function body of `parsed` into `env`'s module. With
/// `--cr` (`env.cr`), returns the module's migration points.
///
/// # Errors
/// As [`translate_function`]; validation failures are classified (see
/// [`crate::parse::classify_failure`]) against `wasm`.
pub fn translate_module(
    env: &ModuleEnv<'_, '_>,
    parsed: ParsedModule<'_>,
    wasm: &[u8],
) -> Result<Option<MigrationInfo>> {
    let mut functions = Vec::new();
    let enabled = parsed.features;
    for (index, input) in parsed.functions.into_iter().enumerate() {
        let points = translate_function(env, index as u32, input)
            .map_err(|err| crate::parse::classify_failure(wasm, err, enabled))?;
        functions.push(points.unwrap_or_default());
    }
    Ok(env.cr.as_ref().map(|_| MigrationInfo {
        scheme: MIGRATION_SCHEME,
        functions,
    }))
}
