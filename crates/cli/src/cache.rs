//! The compilation cache of `tern run`.
//!
//! An executable is stored under `$TERN_CACHE_DIR` (default
//! `$XDG_CACHE_HOME/tern` or `~/.cache/tern`), named by a SHA-256 over the module
//! bytes, the target, the optimization level, `--cr`, the compiler version and
//! build, and the runtime archive's bytes, so any change to any of them recompiles.

use crate::options::{build_executable, CodegenOptions};
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// The cache folder.
pub fn dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TERN_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("tern");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".cache").join("tern")
}

/// The cached executable for `wasm` with `codegen`, compiling it on a miss.
pub fn executable(wasm: &[u8], codegen: &CodegenOptions) -> Result<PathBuf> {
    let target = codegen.target();
    let runtime = tern_compiler::link::runtime_archive(target)?;
    let runtime_bytes =
        std::fs::read(&runtime).with_context(|| format!("cannot read {}", runtime.display()))?;
    let mut hasher = Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update(target.triple().as_bytes());
    hasher.update([
        codegen.opt_level,
        u8::from(codegen.cr),
        codegen.wasm_version,
    ]);
    // The compiler itself: a rebuilt `tern` must not reuse old executables.
    if let Some(meta) = std::env::current_exe()
        .ok()
        .and_then(|e| std::fs::metadata(e).ok())
    {
        hasher.update(meta.len().to_le_bytes());
        if let Ok(modified) = meta.modified() {
            hasher.update(format!("{modified:?}").as_bytes());
        }
    }
    hasher.update((wasm.len() as u64).to_le_bytes());
    hasher.update(wasm);
    hasher.update(&runtime_bytes);
    let key: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let dir = dir();
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create cache folder {}", dir.display()))?;
    let exe = dir.join(format!("{key}.{}", target.name()));
    if !exe.is_file() {
        build_executable(wasm, codegen, &exe)?;
    }
    Ok(exe)
}
