//! Fuzz target: `tern_compiler::compile_module` must return `Ok` or `Err`,
//! never panic, both on raw input bytes and on a generated module (Wasm 2.0 and the memory proposals) that
//! wasm-smith builds from them. A valid generated module must compile.

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use tern_compiler::{CompileOptions, Target};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let target = if selector & 1 == 0 {
        Target::X86_64
    } else {
        Target::Aarch64
    };
    let options = CompileOptions {
        target,
        opt_level: (selector >> 1) % 4,
        symbol_prefix: "tern_m0_".to_string(),
        checkpoint: selector & 0x10 != 0,
    };

    if selector & 0x80 != 0 {
        // The raw bytes as a module: exercises the error paths.
        let _ = tern_compiler::compile_module(rest, &options);
        return;
    }

    let mut config = wasm_smith::Config {
        exceptions_enabled: false,
        gc_enabled: false,
        custom_page_sizes_enabled: false,
        memory64_enabled: true,
        relaxed_simd_enabled: false,
        shared_everything_threads_enabled: false,
        tail_call_enabled: false,
        threads_enabled: true,
        wide_arithmetic_enabled: false,
        extended_const_enabled: true,
        compact_imports_enabled: false,
        max_memories: 3,
        ..Default::default()
    };
    config.max_funcs = config.max_funcs.min(50);
    let mut u = Unstructured::new(rest);
    let Ok(module) = wasm_smith::Module::new(config, &mut u) else {
        return;
    };
    let wasm = module.to_bytes();
    let valid = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::WASM2)
        .validate_all(&wasm)
        .is_ok();
    if let Err(err) = tern_compiler::compile_module(&wasm, &options) {
        assert!(!valid, "a valid generated module was refused: {err}");
    }
});
