//! Translation of function bodies to LLVM IR.

pub mod ops;
