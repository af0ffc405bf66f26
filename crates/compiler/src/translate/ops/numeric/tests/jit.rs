//! Test stand-in for the function translator: lowers straight-line exported
//! functions (`local.get`, `drop`, `nop`, numeric operators, `return`,
//! `end`) through [`translate_numeric`] into LLVM IR and runs them with
//! LLVM's JIT.
//!
//! Every test function gets the native signature
//! `u64 f(u32 *trap, u64 a0, u64 a1, u64 a2)`: Wasm values travel as raw bits
//! in `u64`s, and a trap stores its code in `*trap` and returns 0.

use super::super::translate_numeric;
use crate::error::{CompileError, Result};
use crate::translate::ops::LoweringCx;
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::execution_engine::ExecutionEngine;
use inkwell::intrinsics::Intrinsic;
use inkwell::module::Module;
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{CodeModel, InitializationConfig, RelocMode, Target, TargetMachine};
use inkwell::types::BasicTypeEnum;
use inkwell::values::{BasicValueEnum, FunctionValue, InstructionValue, IntValue, PointerValue};
use inkwell::OptimizationLevel;
use tern_environ::TrapCode;
use wasmparser::{FunctionBody, MemArg, Operator, Parser, Payload, ValType};

/// Native signature of every test function.
type Entry = unsafe extern "C" fn(*mut u32, u64, u64, u64) -> u64;

/// The most parameters a test function may have.
const MAX_PARAMS: usize = 3;

/// An exported function of a parsed module.
pub(super) struct WasmFunc<'a> {
    /// Export name.
    pub name: String,
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
    /// The body.
    pub body: FunctionBody<'a>,
}

/// The exported functions of `bytes` (a module without imported functions).
pub(super) fn parse_functions(bytes: &[u8]) -> Vec<WasmFunc<'_>> {
    let (mut types, mut func_types, mut exports, mut bodies) = (vec![], vec![], vec![], vec![]);
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.expect("module parses") {
            Payload::TypeSection(reader) => {
                for group in reader {
                    for sub in group.expect("type").into_types() {
                        let f = sub.unwrap_func();
                        types.push((f.params().to_vec(), f.results().to_vec()));
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                func_types.extend(reader.into_iter().map(|t| t.expect("func")))
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.expect("export");
                    if export.kind == wasmparser::ExternalKind::Func {
                        exports.push((export.name.to_string(), export.index as usize));
                    }
                }
            }
            Payload::CodeSectionEntry(body) => bodies.push(body),
            _ => {}
        }
    }
    exports
        .into_iter()
        .filter_map(|(name, index)| {
            let (params, results) = types.get(*func_types.get(index)? as usize)?.clone();
            Some(WasmFunc {
                name,
                params,
                results,
                body: bodies.get(index)?.clone(),
            })
        })
        .collect()
}

/// Where `local.get` takes parameter values from.
#[derive(Clone, Copy)]
pub(super) enum Args<'v> {
    /// The native function's parameters (values unknown to LLVM).
    Runtime,
    /// These raw bits, as constants (LLVM can fold everything).
    Const(&'v [u64]),
}

/// The [`LoweringCx`] of the harness.
struct JitCx<'a, 'ctx> {
    ctx: &'ctx Context,
    module: &'a Module<'ctx>,
    builder: &'a Builder<'ctx>,
    function: FunctionValue<'ctx>,
    stack: Vec<BasicValueEnum<'ctx>>,
}

impl<'ctx> LoweringCx<'ctx> for JitCx<'_, 'ctx> {
    fn context(&self) -> &'ctx Context {
        self.ctx
    }
    fn builder(&self) -> &Builder<'ctx> {
        self.builder
    }
    fn module(&self) -> &Module<'ctx> {
        self.module
    }
    fn pop(&mut self) -> BasicValueEnum<'ctx> {
        self.stack.pop().expect("validated code never underflows")
    }
    fn push(&mut self, value: BasicValueEnum<'ctx>) {
        self.stack.push(value);
    }
    fn trap_if(&mut self, cond: IntValue<'ctx>, code: TrapCode) -> Result<()> {
        let trap = self.ctx.append_basic_block(self.function, "trap");
        let cont = self.ctx.append_basic_block(self.function, "cont");
        self.builder.build_conditional_branch(cond, trap, cont)?;
        self.builder.position_at_end(trap);
        let out = self
            .function
            .get_nth_param(0)
            .expect("trap pointer")
            .into_pointer_value();
        self.builder
            .build_store(out, self.ctx.i32_type().const_int(code as u64, false))?;
        self.builder
            .build_return(Some(&self.ctx.i64_type().const_zero()))?;
        self.builder.position_at_end(cont);
        Ok(())
    }
    fn memory_address(
        &mut self,
        _: &MemArg,
        _: IntValue<'ctx>,
        _: u32,
    ) -> Result<PointerValue<'ctx>> {
        Err(CompileError::Unsupported {
            feature: "memory in the numeric test harness".into(),
        })
    }
    fn intrinsic(&self, name: &str, types: &[BasicTypeEnum<'ctx>]) -> FunctionValue<'ctx> {
        Intrinsic::find(name)
            .and_then(|i| i.get_declaration(self.module, types))
            .unwrap_or_else(|| panic!("unknown intrinsic {name}"))
    }
    fn memory_access(&self, _access: InstructionValue<'ctx>) {}
}

/// The LLVM type of a Wasm value type (numbers only).
fn llvm_type<'ctx>(ctx: &'ctx Context, ty: ValType) -> BasicTypeEnum<'ctx> {
    match ty {
        ValType::I32 => ctx.i32_type().into(),
        ValType::I64 => ctx.i64_type().into(),
        ValType::F32 => ctx.f32_type().into(),
        ValType::F64 => ctx.f64_type().into(),
        other => panic!("unsupported type {other:?}"),
    }
}

/// Converts raw bits in an `i64` to a value of `ty`.
fn from_bits<'ctx>(
    cx: &JitCx<'_, 'ctx>,
    bits: IntValue<'ctx>,
    ty: ValType,
) -> Result<BasicValueEnum<'ctx>> {
    let b = cx.builder;
    let narrow = if matches!(ty, ValType::I32 | ValType::F32) {
        b.build_int_truncate(bits, cx.ctx.i32_type(), "")?
    } else {
        bits
    };
    Ok(b.build_bit_cast(narrow, llvm_type(cx.ctx, ty), "")?)
}

/// Converts a value of `ty` to raw bits in an `i64`.
fn to_bits<'ctx>(
    cx: &JitCx<'_, 'ctx>,
    value: BasicValueEnum<'ctx>,
    ty: ValType,
) -> Result<IntValue<'ctx>> {
    let b = cx.builder;
    let int_type = if matches!(ty, ValType::I32 | ValType::F32) {
        cx.ctx.i32_type()
    } else {
        cx.ctx.i64_type()
    };
    let bits = b.build_bit_cast(value, int_type, "")?.into_int_value();
    Ok(b.build_int_z_extend_or_bit_cast(bits, cx.ctx.i64_type(), "")?)
}

/// Emits `func` as the native function `name`. Returns `Ok(false)` (leaving
/// a stub that must not be called) when `func` is not straight-line numeric
/// code with at most [`MAX_PARAMS`] parameters and one result.
pub(super) fn emit<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    name: &str,
    func: &WasmFunc<'_>,
    args: Args<'_>,
) -> Result<bool> {
    let i64t = ctx.i64_type();
    let ptr = ctx.ptr_type(Default::default());
    let fn_type = i64t.fn_type(&[ptr.into(), i64t.into(), i64t.into(), i64t.into()], false);
    let function = module.add_function(name, fn_type, None);
    let builder = ctx.create_builder();
    builder.position_at_end(ctx.append_basic_block(function, "entry"));
    let mut cx = JitCx {
        ctx,
        module,
        builder: &builder,
        function,
        stack: vec![],
    };
    let has_locals = func
        .body
        .get_locals_reader()
        .map(|r| r.get_count() != 0)
        .unwrap_or(true);
    if func.params.len() > MAX_PARAMS || func.results.len() != 1 || has_locals {
        builder.build_unreachable()?;
        return Ok(false);
    }
    let mut reader = func
        .body
        .get_operators_reader()
        .map_err(|e| CompileError::Codegen(e.to_string()))?;
    while !reader.eof() {
        let op = reader
            .read()
            .map_err(|e| CompileError::Codegen(e.to_string()))?;
        let supported = match op {
            Operator::LocalGet { local_index } => {
                let index = local_index as usize;
                let bits = match args {
                    Args::Runtime => function
                        .get_nth_param(local_index + 1)
                        .expect("param")
                        .into_int_value(),
                    Args::Const(values) => i64t.const_int(values[index], false),
                };
                let value = from_bits(&cx, bits, func.params[index])?;
                cx.push(value);
                true
            }
            Operator::Nop => true,
            Operator::Drop => {
                cx.pop();
                true
            }
            Operator::Return | Operator::End if reader.eof() || matches!(op, Operator::Return) => {
                let result = cx.pop();
                let bits = to_bits(&cx, result, func.results[0])?;
                builder.build_return(Some(&bits))?;
                return Ok(true);
            }
            ref op => translate_numeric(&mut cx, op)?,
        };
        if !supported {
            builder.build_unreachable()?;
            return Ok(false);
        }
    }
    Ok(true)
}

/// The host's target machine, for running the optimization pipeline.
pub(super) fn host_machine() -> TargetMachine {
    Target::initialize_native(&InitializationConfig::default()).expect("native target");
    let triple = TargetMachine::get_default_triple();
    Target::from_triple(&triple)
        .expect("host target")
        .create_target_machine(
            &triple,
            &TargetMachine::get_host_cpu_name().to_string(),
            &TargetMachine::get_host_cpu_features().to_string(),
            OptimizationLevel::Default,
            RelocMode::Default,
            CodeModel::JITDefault,
        )
        .expect("host target machine")
}

/// Verifies `module` and, with a target machine, runs the `default<O2>`
/// pipeline over it.
pub(super) fn verify_and_optimize(module: &Module<'_>, machine: Option<&TargetMachine>) {
    if let Err(message) = module.verify() {
        panic!(
            "invalid IR: {}\n{}",
            message.to_string(),
            module.print_to_string().to_string()
        );
    }
    if let Some(machine) = machine {
        module
            .run_passes("default<O2>", machine, PassBuilderOptions::create())
            .expect("O2 pipeline");
    }
}

/// JIT-compiles `module` for the host.
pub(super) fn jit<'ctx>(module: &Module<'ctx>) -> ExecutionEngine<'ctx> {
    module
        .create_jit_execution_engine(OptimizationLevel::Default)
        .expect("JIT")
}

/// The outcome of running a test function.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Returned these raw bits.
    Value(u64),
    /// Trapped.
    Trap(TrapCode),
}

/// Calls the native function `name` with raw-bit arguments.
pub(super) fn call(engine: &ExecutionEngine<'_>, name: &str, args: &[u64]) -> Outcome {
    let mut padded = [0u64; MAX_PARAMS];
    padded[..args.len()].copy_from_slice(args);
    let mut trap = 0u32;
    // SAFETY: `name` was emitted by `emit` with exactly the `Entry`
    // signature, and the JIT keeps its code alive as long as `engine`.
    let result = unsafe {
        let function = engine
            .get_function::<Entry>(name)
            .expect("emitted function");
        function.call(&mut trap, padded[0], padded[1], padded[2])
    };
    match TrapCode::from_u32(trap) {
        Some(code) => Outcome::Trap(code),
        None => Outcome::Value(result),
    }
}
