//! Front end: text or binary input → validated module metadata plus function
//! bodies. Nothing here touches LLVM.

mod convert;
mod features;
pub(crate) mod gc;
mod module_environ;

pub(crate) use convert::val_type;
pub use features::{classify_failure, SUPPORTED};
pub use module_environ::{parse_module, FunctionInput, ParsedModule};

use crate::error::{CompileError, Result};

/// Returns the binary form of `input`: `.wat` text is assembled, a binary
/// module (starting with `\0asm`) is returned unchanged.
///
/// # Errors
/// `Malformed` when the text does not parse (the message carries the line
/// and column; the offset is 0 because the `wat` crate does not expose it).
pub fn wasm_bytes(input: &[u8]) -> Result<Vec<u8>> {
    if input.starts_with(b"\0asm") {
        return Ok(input.to_vec());
    }
    wat::parse_bytes(input)
        .map(|bytes| bytes.into_owned())
        .map_err(|err| CompileError::Malformed {
            offset: 0,
            message: err.to_string(),
        })
}

/// A reader error as `Malformed`.
pub(crate) fn malformed(err: wasmparser::BinaryReaderError) -> CompileError {
    CompileError::Malformed {
        offset: err.offset() as usize,
        message: err.message().to_string(),
    }
}

/// A validator error as `Invalid`.
pub(crate) fn invalid(err: wasmparser::BinaryReaderError) -> CompileError {
    CompileError::Invalid {
        offset: err.offset() as usize,
        message: err.message().to_string(),
    }
}
