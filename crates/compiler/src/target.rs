//! The targets tern compiles for.

use crate::error::CompileError;
use std::str::FromStr;

/// A compilation target: always Linux with glibc, little-endian, 64-bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// `x86_64-linux-gnu`.
    X86_64,
    /// `aarch64-linux-gnu`.
    Aarch64,
}

impl Target {
    /// Every supported target.
    pub const ALL: [Target; 2] = [Target::X86_64, Target::Aarch64];

    /// The name `llvm.read_register` knows the stack pointer by.
    pub fn stack_pointer_register(self) -> &'static str {
        match self {
            Target::X86_64 => "rsp",
            Target::Aarch64 => "sp",
        }
    }

    /// The LLVM target triple.
    pub fn triple(self) -> &'static str {
        match self {
            Target::X86_64 => "x86_64-unknown-linux-gnu",
            Target::Aarch64 => "aarch64-unknown-linux-gnu",
        }
    }

    /// The short name users type (`--target`).
    pub fn name(self) -> &'static str {
        match self {
            Target::X86_64 => "x86_64-linux-gnu",
            Target::Aarch64 => "aarch64-linux-gnu",
        }
    }

    /// The machine this compiler runs on.
    pub fn host() -> Target {
        if cfg!(target_arch = "aarch64") {
            Target::Aarch64
        } else {
            Target::X86_64
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Target {
    type Err = CompileError;

    fn from_str(s: &str) -> Result<Target, CompileError> {
        match s {
            "x86_64-linux-gnu" | "x86_64-unknown-linux-gnu" | "x86_64" | "x86-64" => {
                Ok(Target::X86_64)
            }
            "aarch64-linux-gnu" | "aarch64-unknown-linux-gnu" | "aarch64" | "arm64" => {
                Ok(Target::Aarch64)
            }
            other => Err(CompileError::Unsupported {
                feature: format!(
                    "target `{other}` (supported: x86_64-linux-gnu, aarch64-linux-gnu)"
                ),
            }),
        }
    }
}
