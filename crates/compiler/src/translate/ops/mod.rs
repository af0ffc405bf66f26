//! Lowering of operators that only compute: they pop operands, push results,
//! and at most trap. Control flow, calls, locals, globals, tables and memory
//! addressing belong to the function translator; the operators here reach it
//! only through [`LoweringCx`].
//!
//! * [`numeric`]: scalar integer and float arithmetic, comparisons, conversions;
//! * [`simd`]: 128-bit SIMD.
//!
//! Representation of Wasm values as LLVM values (fixed for the whole compiler):
//! `i32`→`i32`, `i64`→`i64`, `f32`→`float`, `f64`→`double`,
//! `v128`→`<4 x i32>` (the canonical vector type; lowering bitcasts to the lane
//! shape it needs and back), references→`ptr`.

pub mod numeric;
pub mod simd;

use crate::error::Result;
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::module::Module;
use inkwell::types::BasicTypeEnum;
use inkwell::values::{BasicValueEnum, FunctionValue, InstructionValue, IntValue, PointerValue};
use tern_environ::TrapCode;
use wasmparser::MemArg;

/// What operator lowering needs from the function translator.
pub trait LoweringCx<'ctx> {
    /// The LLVM context.
    fn context(&self) -> &'ctx Context;
    /// The builder, positioned where the operator's code goes.
    fn builder(&self) -> &Builder<'ctx>;
    /// The module being built (to declare intrinsics).
    fn module(&self) -> &Module<'ctx>;
    /// Pops the top operand.
    fn pop(&mut self) -> BasicValueEnum<'ctx>;
    /// Pushes a result.
    fn push(&mut self, value: BasicValueEnum<'ctx>);
    /// Emits "if `cond` then trap with `code`"; afterwards the builder is
    /// positioned on the not-trapping path.
    ///
    /// # Errors
    /// Propagates LLVM builder errors.
    fn trap_if(&mut self, cond: IntValue<'ctx>, code: TrapCode) -> Result<()>;
    /// The address of an access of `access_size` bytes at `index` (an `i32`
    /// or, for memory64, `i64` operand already popped) plus `memarg.offset` in
    /// memory `memarg.memory`, with whatever bounds checking the memory needs.
    ///
    /// # Errors
    /// Propagates LLVM builder errors.
    fn memory_address(
        &mut self,
        memarg: &MemArg,
        index: IntValue<'ctx>,
        access_size: u32,
    ) -> Result<PointerValue<'ctx>>;
    /// The LLVM intrinsic `name` overloaded on `types`, declared on first use.
    fn intrinsic(&self, name: &str, types: &[BasicTypeEnum<'ctx>]) -> FunctionValue<'ctx>;
    /// Marks `access` (a load or store at an address from
    /// [`LoweringCx::memory_address`]) as a linear-memory access, for alias
    /// analysis and for keeping out-of-bounds loads trapping.
    fn memory_access(&self, access: InstructionValue<'ctx>);
}
