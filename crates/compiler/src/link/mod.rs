//! Linking: compiled objects + the runtime archive → a standalone executable.
//!
//! The runtime is a Rust static library built once per target
//! (`scripts/build-runtimes.sh`); libc and friends are linked dynamically.
//! x86-64 links with `clang-22 -fuse-ld=lld` (falling back to `cc`), AArch64
//! with `aarch64-linux-gnu-gcc`, the cross toolchain Debian ships.

use crate::error::{CompileError, Result};
use crate::target::Target;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Environment variable naming a folder with `<triple>/libtern_runtime.a`.
pub const RUNTIME_DIR_ENV: &str = "TERN_RUNTIME_DIR";

/// Finds the runtime archive for `target`.
///
/// Looks in `$TERN_RUNTIME_DIR/<triple>/`, then in `tern-runtime/<triple>/` beside
/// the folder of the running executable (the layout `scripts/build-runtimes.sh`
/// makes under `target/`), then under this workspace's `target/tern-runtime`.
///
/// # Errors
/// Fails with instructions when no archive exists.
pub fn runtime_archive(target: Target) -> Result<PathBuf> {
    let file = Path::new(target.triple()).join("libtern_runtime.a");
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os(RUNTIME_DIR_ENV) {
        candidates.push(PathBuf::from(dir).join(&file));
    }
    if let Ok(exe) = std::env::current_exe() {
        for ancestor in exe.ancestors().skip(1).take(3) {
            candidates.push(ancestor.join("tern-runtime").join(&file));
        }
    }
    candidates.push(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/tern-runtime")
            .join(&file),
    );
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        CompileError::Link(format!(
            "no tern runtime for {target}: looked for {} (run scripts/build-runtimes.sh, or set {RUNTIME_DIR_ENV})",
            candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ))
    })
}

/// The linker driver command for `target`.
fn linker(target: Target) -> Command {
    match target {
        Target::X86_64 if Path::new("/usr/bin/clang-22").exists() => {
            let mut cmd = Command::new("/usr/bin/clang-22");
            cmd.args(["--target=x86_64-linux-gnu", "-fuse-ld=lld"]);
            cmd
        }
        Target::X86_64 => Command::new("cc"),
        Target::Aarch64 => Command::new("aarch64-linux-gnu-gcc"),
    }
}

/// Links `objects` with the runtime archive into the executable `out`.
///
/// # Errors
/// Fails when the runtime archive is missing or the linker fails; the
/// linker's own message is included.
pub fn link_executable(objects: &[PathBuf], target: Target, out: &Path) -> Result<()> {
    let runtime = runtime_archive(target)?;
    let mut cmd = linker(target);
    cmd.args(objects)
        .arg(&runtime)
        .args(["-lpthread", "-ldl", "-lm", "-lgcc_s", "-lc", "-o"])
        .arg(out);
    let output = cmd.output().map_err(|e| {
        CompileError::Link(format!(
            "cannot run the linker {:?}: {e}",
            cmd.get_program()
        ))
    })?;
    if !output.status.success() {
        return Err(CompileError::Link(format!(
            "{:?} failed: {}",
            cmd.get_program(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}
