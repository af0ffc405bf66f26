//! Module-wide translation state: the LLVM module, the declared functions,
//! and declarations of builtins and intrinsics. Per-function state lives in
//! [`super::func_translator`].

use super::checkpoint::{Checkpointable, CrModule};
use super::tbaa::Tbaa;
use super::types;
use crate::target::Target;
use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::builder::BuilderError;
use inkwell::context::Context;
use inkwell::intrinsics::Intrinsic;
use inkwell::module::{Linkage, Module};
use inkwell::types::{BasicMetadataTypeEnum, BasicType, BasicTypeEnum, FunctionType};
use inkwell::values::{BasicMetadataValueEnum, FunctionValue};
use inkwell::AddressSpace;
use tern_environ::builtins::{Builtin, BuiltinType};
use tern_environ::migration::{
    CAPTURE_AND_RESUME_SYMBOL, CAPTURE_AND_UNWIND_SYMBOL, ENTER_AT_SYMBOL,
};
use tern_environ::{FuncIndex, ModuleInfo, ValType, VmOffsets};

/// What every function translation of one module shares.
pub struct ModuleEnv<'m, 'ctx> {
    /// The LLVM context.
    pub context: &'ctx Context,
    /// The module receiving the code.
    pub module: &'m Module<'ctx>,
    /// The Wasm module's metadata.
    pub info: &'m ModuleInfo,
    /// Its `VMContext` layout.
    pub offsets: VmOffsets,
    /// The LLVM function of each defined function, by defined index.
    pub functions: Vec<FunctionValue<'ctx>>,
    /// With `--cr`, by defined index: the *resume version* of each
    /// checkpointable function (the same body with the restore paths, which
    /// the function's own code leaves out; `checkpoint/mod.rs`).
    pub resume_functions: Vec<Option<FunctionValue<'ctx>>>,
    /// Alias analysis tags.
    pub tbaa: Tbaa<'ctx>,
    /// Checkpoint/restore instrumentation, when compiling with `--cr`.
    pub cr: Option<CrModule<'ctx>>,
    /// `tern_eh_personality`, the personality of every function with a
    /// landing pad (exception handlers and checkpoint captures).
    pub personality: FunctionValue<'ctx>,
    /// The target the module is compiled for.
    pub target: Target,
}

impl<'m, 'ctx> ModuleEnv<'m, 'ctx> {
    /// Declares every defined function as `prefix` + `func_N` (local symbols).
    /// `checkpointable` (with `--cr`) says which functions get migration
    /// points: those may unwind (a checkpoint) and get a personality.
    pub fn new(
        context: &'ctx Context,
        module: &'m Module<'ctx>,
        info: &'m ModuleInfo,
        prefix: &str,
        target: Target,
        checkpointable: Option<Checkpointable>,
    ) -> Self {
        let personality = module.add_function(
            tern_environ::descriptor::EH_PERSONALITY_SYMBOL,
            context.i32_type().fn_type(&[], true),
            Some(Linkage::External),
        );
        let cr = checkpointable.map(|found| CrModule {
            checkpointable: found.functions,
            leaf_indirect_calls: found.leaf_indirect_calls,
            resume_versions: found.resume_versions,
            personality,
        });
        // Unwind tables everywhere in a `--cr` module: a checkpoint unwinds
        // through every Wasm frame.
        let uwtable =
            context.create_enum_attribute(Attribute::get_named_enum_kind_id("uwtable"), 2);
        // No frame pointers (as in native code): backtraces use the unwind
        // tables (`tern_runtime::traps::walk`), and the register is free.
        let frame_pointer = context.create_string_attribute("frame-pointer", "none");
        // No function is `nounwind`: a Wasm exception may unwind through any
        // of them (also through functions of modules without tags, when an
        // imported function throws), so all of them get unwind tables.
        // Tail calls (and tail recursion elimination) would turn unbounded
        // Wasm recursion into a loop that never reaches the stack limit, and
        // drop frames from backtraces.
        let no_tail_calls = context.create_string_attribute("disable-tail-calls", "true");
        let swiftself = types::swiftself(context);
        let zero_extended = types::zero_extended_range(context);
        let declare = |name: &str, index: u32| {
            let ty = types::native_fn_type(context, info.func_type(index));
            let function = module.add_function(name, ty, Some(Linkage::Internal));
            function.add_attribute(AttributeLoc::Function, frame_pointer);
            function.add_attribute(AttributeLoc::Function, no_tail_calls);
            function.add_attribute(AttributeLoc::Param(0), swiftself);
            for (i, param) in info.func_type(index).params.iter().enumerate() {
                if *param == ValType::I32 {
                    let at = AttributeLoc::Param(i as u32 + types::WASM_PARAMS);
                    function.add_attribute(at, zero_extended);
                }
            }
            function.add_attribute(AttributeLoc::Function, uwtable);
            function
        };
        let mut functions = Vec::new();
        let mut resume_functions = Vec::new();
        for index in info.num_imported_functions..info.functions.len() as u32 {
            let function = declare(&format!("{prefix}func_{index}"), index);
            // A checkpointable function's resume version comes right after
            // it, so that backtraces (which attribute a program counter to
            // the function starting below it) name the function for both.
            let resume = match &cr {
                Some(cr) if cr.checkpointable[index as usize] => {
                    function.set_personality_function(cr.personality);
                    // The function's own code `musttail`-calls its resume
                    // version, which needs its results in registers.
                    let results = &info.func_type(index).results;
                    let resume_version = cr.resume_versions[index as usize]
                        && types::results_in_registers(target, results);
                    resume_version.then(|| {
                        let resume = declare(&format!("{prefix}func_{index}_resume"), index);
                        resume.set_personality_function(cr.personality);
                        resume
                    })
                }
                _ => None,
            };
            functions.push(function);
            resume_functions.push(resume);
        }
        ModuleEnv {
            context,
            module,
            info,
            offsets: VmOffsets::new(info),
            functions,
            resume_functions,
            tbaa: Tbaa::new(context),
            cr,
            personality,
            target,
        }
    }

    /// The LLVM function of defined function `index` (function index space),
    /// or `None` for an import.
    pub fn defined_function(&self, index: FuncIndex) -> Option<FunctionValue<'ctx>> {
        let defined = index.checked_sub(self.info.num_imported_functions)?;
        self.functions.get(defined as usize).copied()
    }

    /// The LLVM type of a Wasm value type.
    pub fn llvm_type(&self, ty: ValType) -> BasicTypeEnum<'ctx> {
        types::llvm_type(self.context, ty)
    }

    /// The native signature of type `index`.
    pub fn native_fn_type(&self, index: u32) -> FunctionType<'ctx> {
        types::native_fn_type(self.context, &self.info.types[index as usize])
    }

    /// The declaration of a capture statepoints' target, added on first use:
    /// `tern_environ::migration::CAPTURE_AND_RESUME_SYMBOL` for a landing
    /// pad (`resume`), else `CAPTURE_AND_UNWIND_SYMBOL`. `void ()`, cold,
    /// never returning and unwinding, with the convention the statepoints
    /// call it with (`translate/checkpoint/frames.rs`).
    pub fn capture_target(&self, resume: bool) -> FunctionValue<'ctx> {
        let symbol = if resume {
            CAPTURE_AND_RESUME_SYMBOL
        } else {
            CAPTURE_AND_UNWIND_SYMBOL
        };
        let ty = self.context.void_type().fn_type(&[], false);
        self.statepoint_target(symbol, ty, &["cold", "noreturn"])
    }

    /// The declaration of the entry statepoints' target
    /// (`tern_environ::migration::ENTER_AT_SYMBOL`), added on first use:
    /// `i64 ()`, cold, with the `preserve_allcc` convention; it may unwind
    /// (when it captures), so it is not `nounwind`.
    pub fn entry_target(&self) -> FunctionValue<'ctx> {
        let ty = self.context.i64_type().fn_type(&[], false);
        self.statepoint_target(ENTER_AT_SYMBOL, ty, &["cold"])
    }

    /// The external runtime stub `symbol` of type `ty`, called through
    /// statepoints with `preserve_allcc`, declared on first use with the
    /// function `attributes`.
    fn statepoint_target(
        &self,
        symbol: &str,
        ty: FunctionType<'ctx>,
        attributes: &[&str],
    ) -> FunctionValue<'ctx> {
        if let Some(function) = self.module.get_function(symbol) {
            return function;
        }
        let function = self
            .module
            .add_function(symbol, ty, Some(Linkage::External));
        function.set_call_conventions(PRESERVE_ALL_CALL_CONV);
        for attribute in attributes {
            function.add_attribute(
                AttributeLoc::Function,
                enum_attribute(self.context, attribute),
            );
        }
        function
    }

    /// The declaration of `builtin`, added on first use.
    pub fn builtin(&self, builtin: Builtin) -> FunctionValue<'ctx> {
        let symbol = builtin.symbol();
        if let Some(function) = self.module.get_function(&symbol) {
            return function;
        }
        let sig = builtin.signature();
        let ptr = self.context.ptr_type(AddressSpace::default());
        let lower = |t: BuiltinType| -> BasicTypeEnum<'ctx> {
            match t {
                BuiltinType::Pointer => ptr.into(),
                BuiltinType::I32 => self.context.i32_type().into(),
                BuiltinType::I64 => self.context.i64_type().into(),
            }
        };
        let mut params: Vec<BasicMetadataTypeEnum<'ctx>> = vec![ptr.into()];
        params.extend(
            sig.params
                .iter()
                .map(|t| BasicMetadataTypeEnum::from(lower(*t))),
        );
        let ty = match sig.result {
            Some(result) => lower(result).fn_type(&params, false),
            None => self.context.void_type().fn_type(&params, false),
        };
        let function = self
            .module
            .add_function(&symbol, ty, Some(Linkage::External));
        if matches!(
            builtin,
            Builtin::CrPoll
                | Builtin::CrUnwind
                | Builtin::CrRestoreValues
                | Builtin::CrRestoreCallee
                | Builtin::CrTailBuffer
        ) {
            // Checkpoint slow paths: keep them out of the hot code's layout.
            function.add_attribute(AttributeLoc::Function, enum_attribute(self.context, "cold"));
        }
        if !matches!(builtin, Builtin::CrUnwind | Builtin::ExnThrow) {
            // Only `cr_unwind` (to take a checkpoint) and `exn_throw` unwind.
            function.add_attribute(
                AttributeLoc::Function,
                enum_attribute(self.context, "nounwind"),
            );
        }
        if sig.noreturn {
            function.add_attribute(
                AttributeLoc::Function,
                enum_attribute(self.context, "noreturn"),
            );
            function.add_attribute(AttributeLoc::Function, enum_attribute(self.context, "cold"));
        }
        function
    }

    /// `cr_poll` behind a `preserve_allcc` wrapper (defined on first use):
    /// a loop-header poll's slow path then clobbers no register, so values
    /// carried around the loop (floating-point ones above all) stay in
    /// registers instead of being spilled around the never-taken call.
    /// LLVM writes the save/restore of everything the C call may clobber into
    /// the wrapper.
    pub fn cr_poll_preserving(&self) -> Result<FunctionValue<'ctx>, BuilderError> {
        self.preserving(Builtin::CrPoll, "tern_cr_poll_preserving")
    }

    /// `cr_restore_values` behind a `preserve_allcc` wrapper: restore blocks
    /// then clobber no register that values they carry into the normal
    /// code (or the normal code itself) keep.
    pub fn cr_restore_values_preserving(&self) -> Result<FunctionValue<'ctx>, BuilderError> {
        self.preserving(
            Builtin::CrRestoreValues,
            "tern_cr_restore_values_preserving",
        )
    }

    /// `cr_tail_buffer` behind a `preserve_allcc` wrapper (the tail-resume
    /// path, `translate/checkpoint/tail.rs`).
    pub fn cr_tail_buffer_preserving(&self) -> Result<FunctionValue<'ctx>, BuilderError> {
        self.preserving(Builtin::CrTailBuffer, "tern_cr_tail_buffer_preserving")
    }

    /// A module-local `preserve_allcc` wrapper `name` around `builtin`, which
    /// must return a value and never unwind. The context parameter is
    /// `swiftself`, as in Wasm functions.
    fn preserving(
        &self,
        builtin: Builtin,
        name: &str,
    ) -> Result<FunctionValue<'ctx>, BuilderError> {
        if let Some(function) = self.module.get_function(name) {
            return Ok(function);
        }
        let inner = self.builtin(builtin);
        let function = self
            .module
            .add_function(name, inner.get_type(), Some(Linkage::Internal));
        function.set_call_conventions(PRESERVE_ALL_CALL_CONV);
        function.add_attribute(AttributeLoc::Param(0), types::swiftself(self.context));
        for attribute in ["noinline", "cold", "nounwind"] {
            function.add_attribute(
                AttributeLoc::Function,
                enum_attribute(self.context, attribute),
            );
        }
        let builder = self.context.create_builder();
        builder.position_at_end(self.context.append_basic_block(function, "entry"));
        let args: Vec<BasicMetadataValueEnum<'ctx>> =
            function.get_param_iter().map(Into::into).collect();
        let result = builder
            .build_call(inner, &args, "result")?
            .try_as_basic_value()
            .basic()
            .expect("a preserved builtin returns a value");
        builder.build_return(Some(&result))?;
        Ok(function)
    }

    /// Reads the stack pointer at `builder`'s position (`llvm.read_register`),
    /// for the stack checks.
    pub fn read_stack_pointer(
        &self,
        builder: &inkwell::builder::Builder<'ctx>,
    ) -> Result<inkwell::values::IntValue<'ctx>, BuilderError> {
        let i64_ty = self.context.i64_type();
        let read_register = self.intrinsic("llvm.read_register", &[i64_ty.into()]);
        let name = self
            .context
            .metadata_string(self.target.stack_pointer_register());
        let node = self.context.metadata_node(&[name.into()]);
        Ok(builder
            .build_call(read_register, &[node.into()], "sp")?
            .try_as_basic_value()
            .basic()
            .expect("llvm.read_register returns a value")
            .into_int_value())
    }

    /// The LLVM intrinsic `name` overloaded on `types`, declared on first use.
    ///
    /// # Panics
    /// If `name` is not an LLVM intrinsic or the overload is wrong: both are
    /// bugs in the caller, never caused by the input module.
    pub fn intrinsic(&self, name: &str, types: &[BasicTypeEnum<'ctx>]) -> FunctionValue<'ctx> {
        Intrinsic::find(name)
            .unwrap_or_else(|| panic!("{name} is an LLVM intrinsic"))
            .get_declaration(self.module, types)
            .unwrap_or_else(|| panic!("{name} accepts the overload {types:?}"))
    }
}

/// LLVM's `preserve_allcc` calling convention number.
pub const PRESERVE_ALL_CALL_CONV: u32 = 15;

/// The enum attribute `name` (without a value).
pub fn enum_attribute(context: &Context, name: &str) -> Attribute {
    context.create_enum_attribute(Attribute::get_named_enum_kind_id(name), 0)
}
