//! Options shared by `compile` and `run`.

use anyhow::{Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use tern_compiler::{CompileOptions, Target, WasmFeatures};

/// Code generation options.
#[derive(Args, Clone, Debug)]
pub struct CodegenOptions {
    /// Target: x86_64-linux-gnu or aarch64-linux-gnu (default: the host).
    #[arg(long, value_parser = parse_target)]
    pub target: Option<Target>,
    /// LLVM optimization level.
    #[arg(short = 'O', default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=3))]
    pub opt_level: u8,
    /// Instrument for checkpoint/restore: the program can be checkpointed
    /// (SIGUSR1, SIGUSR2, --checkpoint-interval) and resumed with --restore.
    #[arg(long)]
    pub cr: bool,
    /// The WebAssembly version modules are validated against: 3 (default:
    /// Wasm 3.0 as tern implements it, see the README) or 2 (Wasm 2.0 only,
    /// e.g. a second memory or a memory64 limit is an error).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(2..=3))]
    pub wasm_version: u8,
}

fn parse_target(s: &str) -> Result<Target, String> {
    s.parse()
        .map_err(|e: tern_compiler::CompileError| e.to_string())
}

impl CodegenOptions {
    /// The features `--wasm-version` enables.
    pub fn wasm_features(&self) -> WasmFeatures {
        match self.wasm_version {
            2 => WasmFeatures::WASM2,
            _ => tern_compiler::parse::SUPPORTED,
        }
    }

    /// The chosen target.
    pub fn target(&self) -> Target {
        self.target.unwrap_or_else(Target::host)
    }

    /// The compiler options for a program's only module.
    pub fn compile_options(&self) -> CompileOptions {
        CompileOptions {
            target: self.target(),
            opt_level: self.opt_level,
            symbol_prefix: "tern_m0_".to_string(),
            checkpoint: self.cr,
            wasm_features: self.wasm_features(),
        }
    }
}

/// Reads a module file (`.wasm` or `.wat`) and returns its binary form.
pub fn read_module(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    tern_compiler::wasm_bytes(&bytes).with_context(|| format!("cannot compile {}", path.display()))
}

/// Compiles `wasm` into the executable `out`.
pub fn build_executable(wasm: &[u8], codegen: &CodegenOptions, out: &Path) -> Result<()> {
    let target = codegen.target();
    let options = codegen.compile_options();
    let compiled = tern_compiler::compile_module(wasm, &options)?;
    let bundle = tern_compiler::emit_bundle(std::slice::from_ref(&options.symbol_prefix), target)?;
    // An existing special file (`-o /dev/null`, a FIFO) is written into, never
    // renamed over: a rename would replace the device node with the executable.
    let special = std::fs::metadata(out).is_ok_and(|m| !m.is_file() && !m.is_dir());
    let dir = if special {
        tempdir_beside(&std::env::temp_dir().join("out"))?
    } else {
        tempdir_beside(out)?
    };
    let module_obj = dir.join("module.o");
    let bundle_obj = dir.join("bundle.o");
    std::fs::write(&module_obj, &compiled.object)?;
    std::fs::write(&bundle_obj, &bundle)?;
    let tmp_out = dir.join("a.out");
    let linked = tern_compiler::link::link_executable(&[module_obj, bundle_obj], target, &tmp_out);
    let result = linked.map_err(anyhow::Error::from).and_then(|()| {
        if special {
            let bytes = std::fs::read(&tmp_out)?;
            std::fs::write(out, bytes)
        } else {
            std::fs::rename(&tmp_out, out)
        }
        .with_context(|| format!("cannot write {}", out.display()))
    });
    // Debugging aid: `TERN_KEEP_OBJECTS=1` keeps the module and bundle objects,
    // so that edited IR (`--emit llvm-ir`, `llc-22`) can be linked the same way.
    if std::env::var_os("TERN_KEEP_OBJECTS").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        eprintln!("kept {}", dir.display());
    }
    result
}

/// A fresh private folder next to `out` (same file system, so the final rename is atomic).
fn tempdir_beside(out: &Path) -> Result<PathBuf> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    for attempt in 0..100u32 {
        let dir = parent.join(format!(".tern-build-{}-{attempt}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot create a folder in {}", parent.display()))
            }
        }
    }
    anyhow::bail!("cannot create a temporary folder in {}", parent.display())
}
