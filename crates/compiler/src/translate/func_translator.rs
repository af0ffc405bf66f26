//! The driver of one function's translation: sets up the LLVM function
//! (parameters and locals as entry-block allocas, the stack-limit check),
//! then reads, validates and lowers the body one operator at a time.
//!
//! The translator keeps Wasm's value stack as a stack of LLVM values and the
//! control stack as [`ControlFrame`]s; the lowering of each operator family
//! lives in sibling files (`control`, `calls`, `memory`, `tables`,
//! `variables`), vmctx access in `func_env`, and the dispatch in `visit`.

use super::checkpoint::{CrFunc, CrVersion};
use super::control::ControlFrame;
use super::env::ModuleEnv;
use super::ops::LoweringCx;
use crate::error::{CompileError, Result};
use crate::parse::{invalid, malformed, FunctionInput};
use inkwell::basic_block::BasicBlock;
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::module::Module;
use inkwell::types::BasicTypeEnum;
use inkwell::values::{BasicValueEnum, FunctionValue, InstructionValue, IntValue, PointerValue};
use inkwell::IntPredicate;
use std::collections::HashMap;
use tern_environ::builtins::Builtin;
use tern_environ::migration::FuncMigration;
use tern_environ::vmctx::{VMCTX_LEAF_STACK_LIMIT, VMCTX_STACK_LIMIT};
use tern_environ::{TrapCode, ValType};
use wasmparser::{FuncToValidate, MemArg, OperatorsReader};

/// One local variable: its stack slot and LLVM type.
#[derive(Clone, Copy)]
pub(super) struct Local<'ctx> {
    /// The entry-block alloca (promoted to SSA by `mem2reg`/`SROA`).
    pub slot: PointerValue<'ctx>,
    /// The value type.
    pub ty: BasicTypeEnum<'ctx>,
}

/// The state of one function's translation.
pub struct FuncTranslator<'a, 'm, 'ctx> {
    /// Module-wide state.
    pub(super) env: &'a ModuleEnv<'m, 'ctx>,
    /// The builder, positioned where the next operator's code goes.
    pub(super) builder: Builder<'ctx>,
    /// A builder positioned before the entry block's terminator, for the
    /// slots of locals.
    pub(super) entry_builder: Builder<'ctx>,
    /// Where hoisted, invariant vmctx loads go: with `entry_builder` at
    /// first; in a function's own code beside its resume version, after the
    /// entry check (see `translate_cr_entry`).
    pub(super) field_builder: Builder<'ctx>,
    /// The function being built.
    pub(super) function: FunctionValue<'ctx>,
    /// Its `vmctx` parameter.
    pub(super) vmctx: PointerValue<'ctx>,
    /// Parameters and declared locals.
    pub(super) locals: Vec<Local<'ctx>>,
    /// Wasm's operand stack.
    pub(super) stack: Vec<BasicValueEnum<'ctx>>,
    /// Wasm's control stack; the bottom frame is the function body.
    pub(super) control: Vec<ControlFrame<'ctx>>,
    /// Whether the current position is reachable.
    pub(super) reachable: bool,
    /// While unreachable: how many blocks were opened since (skipped).
    pub(super) dead_depth: u32,
    /// The shared trap block of each trap code used so far.
    trap_blocks: HashMap<TrapCode, BasicBlock<'ctx>>,
    /// Entry-block loads from vmctx, by what they load.
    pub(super) vmctx_cache: HashMap<(&'static str, u32), BasicValueEnum<'ctx>>,
    /// Byte offset of the operator being translated.
    pub(super) position: u32,
    /// Checkpoint/restore instrumentation, for checkpointable functions of a
    /// `--cr` module.
    pub(super) cr: Option<CrFunc<'ctx>>,
    /// With `--cr`: the validator's operand types after the current `loop` or
    /// call, bottom first (the types of the values a migration point saves).
    pub(super) stack_types: Vec<ValType>,
    /// Which `i32` values are proven memory addresses (for `add nuw`).
    pub(super) address_facts: super::address_facts::AddressFacts,
    /// The open `try_table`s, innermost last.
    pub(super) handlers: Vec<super::exceptions::Handler<'ctx>>,
    /// The hidden local holding the caught exception of each legacy `try`
    /// (by byte offset) whose handlers a `rethrow` refers to.
    pub(super) legacy_caught: HashMap<u32, u32>,
    /// Which local each address in a leaf loop derives from.
    pub(super) pointer_bases: super::pointer_bases::PointerBases<'ctx>,
    /// Accesses at `invariant + small` to split (`address_split.rs`).
    pub(super) address_split: super::address_split::AddressSplit<'ctx>,
    /// Loads at `x + c` waiting for an access at `x` (`address_lookback.rs`).
    pub(super) address_lookback: super::address_lookback::AddressLookback<'ctx>,
    /// 64-bit shadows of `a + l` in leaf loops (`address_recurrences.rs`).
    pub(super) address_recurrences: super::address_recurrences::AddressRecurrences<'ctx>,
}

/// Translates defined function `defined_index` into its declared LLVM function.
/// Returns its migration points when the module is compiled with `--cr` and
/// the function is checkpointable; such a function is translated twice, once
/// without restore paths and once as its resume version (`checkpoint/mod.rs`).
///
/// # Errors
/// `Malformed`/`Invalid` (with offsets) from reading and validating the body,
/// `Unsupported` for operators tern does not implement, `Codegen` for LLVM.
pub fn translate_function(
    env: &ModuleEnv<'_, '_>,
    defined_index: u32,
    input: FunctionInput<'_>,
) -> Result<Option<FuncMigration>> {
    let function = *env
        .functions
        .get(defined_index as usize)
        .ok_or_else(|| CompileError::Codegen(format!("no declaration for {defined_index}")))?;
    let resume = env
        .resume_functions
        .get(defined_index as usize)
        .copied()
        .flatten();
    let Some(resume) = resume else {
        let func_index = defined_index + env.info.num_imported_functions;
        let checkpointable = env
            .cr
            .as_ref()
            .is_some_and(|cr| cr.checkpointable[func_index as usize]);
        let version = checkpointable.then_some(CrVersion::Single);
        return translate_version(env, defined_index, input, function, version);
    };
    let FunctionInput { body, validator } = input;
    let again = FunctionInput {
        body: body.clone(),
        validator: FuncToValidate {
            resources: validator.resources.clone(),
            index: validator.index,
            ty: validator.ty,
            features: validator.features,
        },
    };
    let own = FunctionInput { body, validator };
    let hot = translate_version(env, defined_index, own, function, Some(CrVersion::Own))?;
    let resumed = translate_version(env, defined_index, again, resume, Some(CrVersion::Resume))?;
    if hot != resumed {
        return Err(CompileError::Codegen(format!(
            "function {defined_index}: its two versions disagree on the migration points"
        )));
    }
    Ok(resumed)
}

/// Translates one version of defined function `defined_index` into
/// `function`: with `cr` (checkpointable functions of a `--cr` module),
/// instrumented as that version.
fn translate_version<'ctx>(
    env: &ModuleEnv<'_, 'ctx>,
    defined_index: u32,
    input: FunctionInput<'_>,
    function: FunctionValue<'ctx>,
    cr: Option<CrVersion>,
) -> Result<Option<FuncMigration>> {
    let func_index = defined_index + env.info.num_imported_functions;
    let body_position = input.body.range().start as u32;
    let mut validator = input.validator.into_validator(Default::default());
    let mut reader = input.body.get_binary_reader();
    validator.read_locals(&mut reader).map_err(invalid)?;
    reader.set_features(*validator.features());

    let context = env.context;
    let builder = context.create_builder();
    let entry_builder = context.create_builder();
    let field_builder = context.create_builder();
    let entry = context.append_basic_block(function, "entry");
    let body = context.append_basic_block(function, "body");
    builder.position_at_end(entry);
    let terminator = builder.build_unconditional_branch(body)?;
    entry_builder.position_before(&terminator);
    field_builder.position_before(&terminator);
    builder.position_at_end(body);

    let vmctx = function
        .get_nth_param(0)
        .ok_or_else(|| CompileError::Codegen("function without vmctx".into()))?
        .into_pointer_value();
    let mut this = FuncTranslator {
        env,
        builder,
        entry_builder,
        field_builder,
        function,
        vmctx,
        locals: Vec::new(),
        stack: Vec::new(),
        control: Vec::new(),
        reachable: true,
        dead_depth: 0,
        trap_blocks: HashMap::new(),
        vmctx_cache: HashMap::new(),
        position: body_position,
        cr: None,
        stack_types: Vec::new(),
        address_facts: Default::default(),
        handlers: Vec::new(),
        legacy_caught: HashMap::new(),
        pointer_bases: super::pointer_bases::PointerBases::new(&input.body)?,
        address_split: super::address_split::AddressSplit::new(&input.body)?,
        address_lookback: Default::default(),
        address_recurrences: super::address_recurrences::AddressRecurrences::new(
            super::pointer_bases::leaf_loops(&input.body)?,
        ),
    };
    // Hidden locals (after the Wasm locals) for caught exceptions that a
    // `rethrow` raises again.
    let wasm_locals = validator.len_locals();
    for (k, offset) in super::legacy::rethrow_targets(&input.body)?
        .into_iter()
        .enumerate()
    {
        this.legacy_caught.insert(offset, wasm_locals + k as u32);
    }
    let hidden = this.legacy_caught.len() as u32;
    if let Some(version) = cr {
        let liveness = super::checkpoint::analyze_liveness(
            &input.body,
            wasm_locals + hidden,
            &this.legacy_caught,
            &loop_module_facts(env),
        )?;
        let body_bytes = input.body.range().end - input.body.range().start;
        this.cr = Some(CrFunc::new(func_index, liveness, version, body_bytes));
    }
    this.declare_locals(&validator)?;
    this.declare_hidden_locals(hidden)?;
    let musttail = |t: u32| this.is_musttail(t);
    if this.cr.is_some() || super::frame_bound::needs_stack_check(env.info, &input.body, &musttail)?
    {
        this.translate_stack_check(body_position)?;
    }
    let sig = env
        .info
        .func_type(defined_index + env.info.num_imported_functions)
        .clone();
    this.push_function_frame(&sig.results)?;

    let mut ops = OperatorsReader::new(reader);
    while !ops.eof() {
        let offset = ops.original_position();
        let op = ops.read().map_err(malformed)?;
        validator.op(offset, &op).map_err(invalid)?;
        if this.cr.is_some()
            && matches!(
                op,
                wasmparser::Operator::Loop { .. }
                    | wasmparser::Operator::Call { .. }
                    | wasmparser::Operator::CallIndirect { .. }
                    | wasmparser::Operator::CallRef { .. }
            )
        {
            this.stack_types = operand_types(&validator)?;
        }
        this.translate_operator(&op, offset as usize)?;
    }
    ops.finish().map_err(malformed)?;
    let mut locals = (0..validator.len_locals())
        .map(|i| {
            validator
                .get_local_type(i)
                .ok_or_else(|| CompileError::Codegen(format!("no type for local {i}")))
                .and_then(crate::parse::val_type)
        })
        .collect::<Result<Vec<_>>>()?;
    locals.extend((0..hidden).map(|_| ValType::Ref(tern_environ::RefType::EXNREF)));
    this.finish_migration(locals)
}

/// The validator's operand stack types, bottom first.
/// What the checkpoint loop tests need to know about the module (`--cr`).
fn loop_module_facts<'a, 'ctx>(
    env: &'a ModuleEnv<'_, 'ctx>,
) -> super::checkpoint::ModuleFacts<'a, 'ctx> {
    super::checkpoint::ModuleFacts {
        memory32: env.info.memories.iter().map(|m| !m.memory64).collect(),
        num_imported_functions: env.info.num_imported_functions,
        cr: env
            .cr
            .as_ref()
            .expect("checkpoint instrumentation is active"),
    }
}

fn operand_types(
    validator: &wasmparser::FuncValidator<wasmparser::ValidatorResources>,
) -> Result<Vec<ValType>> {
    let height = validator.operand_stack_height() as usize;
    (0..height)
        .rev()
        .map(|depth| match validator.get_operand_type(depth) {
            Some(Some(t)) => crate::parse::val_type(t),
            // Unknown types only occur in unreachable code, which is never instrumented.
            _ => Ok(ValType::I32),
        })
        .collect()
}

impl<'ctx> FuncTranslator<'_, '_, 'ctx> {
    /// Creates a zero-initialized entry-block slot for each parameter and
    /// local, storing the incoming parameters.
    fn declare_locals(
        &mut self,
        validator: &wasmparser::FuncValidator<wasmparser::ValidatorResources>,
    ) -> Result<()> {
        let params = self.function.count_params() - super::types::WASM_PARAMS;
        for index in 0..validator.len_locals() {
            let ty = validator
                .get_local_type(index)
                .ok_or_else(|| CompileError::Codegen(format!("no type for local {index}")))?;
            let ty = self.env.llvm_type(crate::parse::val_type(ty)?);
            let slot = self.entry_builder.build_alloca(ty, "local")?;
            let init = if index < params {
                let param = self
                    .function
                    .get_nth_param(index + super::types::WASM_PARAMS)
                    .unwrap_or_else(|| ty.const_zero());
                // An `i32` parameter arrives zero-extended (`types::native_param_type`).
                match (param, ty) {
                    (BasicValueEnum::IntValue(wide), BasicTypeEnum::IntType(narrow))
                        if wide.get_type() != narrow =>
                    {
                        self.entry_builder
                            .build_int_truncate(wide, narrow, "param")?
                            .into()
                    }
                    _ => param,
                }
            } else {
                ty.const_zero()
            };
            self.entry_builder.build_store(slot, init)?;
            self.locals.push(Local { slot, ty });
        }
        Ok(())
    }

    /// Adds `count` null-initialized `exnref` locals after the Wasm locals
    /// (the caught exceptions of legacy handlers that `rethrow`).
    fn declare_hidden_locals(&mut self, count: u32) -> Result<()> {
        let ty: BasicTypeEnum<'ctx> = self
            .context()
            .ptr_type(inkwell::AddressSpace::default())
            .into();
        for _ in 0..count {
            let slot = self.entry_builder.build_alloca(ty, "caught")?;
            self.entry_builder.build_store(slot, ty.const_zero())?;
            self.locals.push(Local { slot, ty });
        }
        Ok(())
    }

    /// Traps with `StackOverflow` when the frame is below `vmctx->stack_limit`
    /// (with `--cr`, the slow path also serves checkpoints and restores). A
    /// leaf of a `--cr` module compares with `vmctx->leaf_stack_limit`,
    /// which a checkpoint request leaves alone, so its check is the plain
    /// build's: a slow path that could return would make every small helper
    /// look costlier to LLVM's inliner (CPython's `Py_IS_TYPE`: cost 245
    /// against 130, over the threshold of 225, so 30 call sites in the
    /// interpreter loop stayed calls).
    fn translate_stack_check(&mut self, body_position: u32) -> Result<()> {
        let i64_ty = self.context().i64_type();
        let sp = self.env.read_stack_pointer(&self.builder)?;
        let leaf_in_cr_module = self.cr.is_none() && self.env.cr.is_some();
        let field = if leaf_in_cr_module {
            VMCTX_LEAF_STACK_LIMIT
        } else {
            VMCTX_STACK_LIMIT
        };
        let limit_ptr = self.vmctx_field(field)?;
        let limit = self.builder.build_load(i64_ty, limit_ptr, "stack_limit")?;
        self.tag(limit, super::func_env::Region::Vm);
        let limit = limit.into_int_value();
        let below = self
            .builder
            .build_int_compare(IntPredicate::ULT, sp, limit, "overflow")?;
        if self.cr.is_some() {
            return self.translate_cr_entry(below, body_position);
        }
        self.trap_if(below, TrapCode::StackOverflow)
    }

    /// The shared, cold block that raises `code`.
    pub(super) fn trap_block(&mut self, code: TrapCode) -> Result<BasicBlock<'ctx>> {
        if let Some(block) = self.trap_blocks.get(&code) {
            return Ok(*block);
        }
        let block = self.context().append_basic_block(self.function, "trap");
        let builder = self.context().create_builder();
        builder.position_at_end(block);
        let trap = self.env.builtin(Builtin::Trap);
        let code_value = self.context().i32_type().const_int(code as u64, false);
        builder.build_call(trap, &[self.vmctx.into(), code_value.into()], "")?;
        builder.build_unreachable()?;
        self.trap_blocks.insert(code, block);
        Ok(block)
    }

    /// Ends the current block with a trap; the position becomes unreachable.
    pub(super) fn translate_trap(&mut self, code: TrapCode) -> Result<()> {
        let block = self.trap_block(code)?;
        self.builder.build_unconditional_branch(block)?;
        self.reachable = false;
        Ok(())
    }

    /// A new block in this function.
    pub(super) fn new_block(&self, name: &str) -> BasicBlock<'ctx> {
        self.context().append_basic_block(self.function, name)
    }

    /// Pops `n` operands, in stack order (deepest first).
    pub(super) fn pop_n(&mut self, n: usize) -> Vec<BasicValueEnum<'ctx>> {
        let at = self
            .stack
            .len()
            .checked_sub(n)
            .expect("validated operand count");
        self.stack.split_off(at)
    }

    /// The top `n` operands, in stack order, left on the stack.
    pub(super) fn peek_n(&self, n: usize) -> Vec<BasicValueEnum<'ctx>> {
        let at = self
            .stack
            .len()
            .checked_sub(n)
            .expect("validated operand count");
        self.stack[at..].to_vec()
    }

    /// Pops an integer operand.
    pub(super) fn pop_int(&mut self) -> IntValue<'ctx> {
        self.pop().into_int_value()
    }

    /// Pops an `i32` condition and compares it with zero.
    pub(super) fn pop_condition(&mut self) -> Result<IntValue<'ctx>> {
        let value = self.pop_int();
        let zero = value.get_type().const_zero();
        Ok(self
            .builder
            .build_int_compare(IntPredicate::NE, value, zero, "cond")?)
    }

    /// Zero-extends an `i32` operand to `i64` (an `i64` stays as is).
    pub(super) fn to_i64(&self, value: IntValue<'ctx>) -> Result<IntValue<'ctx>> {
        let i64_ty = self.context().i64_type();
        if value.get_type().get_bit_width() == 64 {
            return Ok(value);
        }
        Ok(self.builder.build_int_z_extend(value, i64_ty, "zext")?)
    }

    /// The LLVM type of a Wasm value type.
    pub(super) fn llvm_type(&self, ty: ValType) -> BasicTypeEnum<'ctx> {
        self.env.llvm_type(ty)
    }
}

impl<'ctx> LoweringCx<'ctx> for FuncTranslator<'_, '_, 'ctx> {
    fn context(&self) -> &'ctx Context {
        self.env.context
    }

    fn builder(&self) -> &Builder<'ctx> {
        &self.builder
    }

    fn module(&self) -> &Module<'ctx> {
        self.env.module
    }

    fn pop(&mut self) -> BasicValueEnum<'ctx> {
        self.stack
            .pop()
            .expect("the validator checked the operand count")
    }

    fn push(&mut self, value: BasicValueEnum<'ctx>) {
        self.stack.push(value);
    }

    fn trap_if(&mut self, cond: IntValue<'ctx>, code: TrapCode) -> Result<()> {
        let trap = self.trap_block(code)?;
        let cont = self.new_block("cont");
        self.builder.build_conditional_branch(cond, trap, cont)?;
        self.builder.position_at_end(cont);
        Ok(())
    }

    fn memory_address(
        &mut self,
        memarg: &MemArg,
        index: IntValue<'ctx>,
        access_size: u32,
    ) -> Result<PointerValue<'ctx>> {
        self.translate_memory_address(memarg, index, access_size)
    }

    fn intrinsic(&self, name: &str, types: &[BasicTypeEnum<'ctx>]) -> FunctionValue<'ctx> {
        self.env.intrinsic(name, types)
    }

    fn memory_access(&self, access: InstructionValue<'ctx>) {
        self.tag(access, super::func_env::Region::Memory);
    }
}
