//! Helpers shared by the compiler's IR tests (each test file uses some).
#![allow(dead_code, reason = "each test file uses some of these helpers")]

use tern_compiler::{compile_module_text, CompileOptions, Target, TextOutput};

/// `wat` compiled for x86-64 at `-O2` (with `--cr` when `checkpoint`), as `what`.
pub fn x86_ir(wat: &str, checkpoint: bool, what: TextOutput) -> String {
    let options = CompileOptions {
        target: Target::X86_64,
        opt_level: 2,
        symbol_prefix: "tern_m0_".into(),
        checkpoint,
        ..Default::default()
    };
    compile_module_text(wat.as_bytes(), &options, what).expect("compiles")
}

/// The text of the definition of function `name` in `ir`, from its `define`
/// line to its closing brace.
pub fn function_ir<'a>(ir: &'a str, name: &str) -> &'a str {
    let header = format!("@{name}(");
    let start = ir
        .match_indices("define ")
        .map(|(i, _)| i)
        .find(|&i| ir[i..].lines().next().is_some_and(|l| l.contains(&header)))
        .unwrap_or_else(|| panic!("no definition of {name}"));
    let end = ir[start..].find("\n}\n").map_or(ir.len(), |e| start + e);
    &ir[start..end]
}

/// The definition of defined function `index` (`tern_m0_func_{index}`).
pub fn wasm_function(ir: &str, index: usize) -> &str {
    function_ir(ir, &format!("tern_m0_func_{index}"))
}
