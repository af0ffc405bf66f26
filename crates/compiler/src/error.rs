//! Errors the compiler reports.

use thiserror::Error;

/// Why a module could not be compiled.
#[derive(Debug, Error)]
pub enum CompileError {
    /// The bytes are not a well-formed module (or the text does not parse).
    #[error("malformed module at byte offset {offset:#x}: {message}")]
    Malformed {
        /// Byte offset in the module binary.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// The module is well-formed but does not validate.
    #[error("invalid module at byte offset {offset:#x}: {message}")]
    Invalid {
        /// Byte offset in the module binary.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// The module uses a feature tern does not implement.
    #[error("unsupported feature: {feature}")]
    Unsupported {
        /// The feature, e.g. `gc`.
        feature: String,
    },
    /// LLVM failed (a bug in tern, or an environment problem).
    #[error("code generation failed: {0}")]
    Codegen(String),
    /// Linking the executable failed.
    #[error("link failed: {0}")]
    Link(String),
}

impl From<inkwell::builder::BuilderError> for CompileError {
    fn from(err: inkwell::builder::BuilderError) -> Self {
        CompileError::Codegen(err.to_string())
    }
}

/// Result type of the compiler.
pub type Result<T, E = CompileError> = std::result::Result<T, E>;
