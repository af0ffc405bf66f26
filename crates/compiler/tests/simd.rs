//! SIMD lowering tests.
//!
//! Every 128-bit SIMD operator of Wasm 2.0 is lowered through a minimal
//! [`LoweringCx`] (parameters in, results out, memory at a pointer), the IR is
//! verified, optimized and compiled for x86-64 (`x86-64-v2`) and AArch64; a
//! few operators are checked to select the instruction they exist for, and
//! every operator is run on both (AArch64 under qemu, with a C driver) and
//! must compute the same. A SIMD program also goes through `compile_module`.
//! The spec testsuite's `simd_*.wast` check the semantics end to end.

use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::intrinsics::Intrinsic;
use inkwell::memory_buffer::MemoryBuffer;
use inkwell::module::Module;
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{
    CodeModel, FileType, InitializationConfig, RelocMode, Target, TargetMachine, TargetTriple,
};
use inkwell::types::{BasicType, BasicTypeEnum};
use inkwell::values::{
    BasicValue, BasicValueEnum, FunctionValue, InstructionValue, IntValue, PointerValue,
};
use inkwell::OptimizationLevel;
use tern_compiler::translate::ops::simd::translate_simd;
use tern_compiler::translate::ops::LoweringCx;
use tern_compiler::Result;
use tern_environ::TrapCode;
use wasmparser::{MemArg, Operator, Payload, ValType};

/// A [`LoweringCx`] over an operand stack, with linear memory at `memory`.
struct Cx<'a, 'ctx> {
    context: &'ctx Context,
    module: &'a Module<'ctx>,
    builder: &'a Builder<'ctx>,
    stack: Vec<BasicValueEnum<'ctx>>,
    memory: PointerValue<'ctx>,
}

impl<'ctx> LoweringCx<'ctx> for Cx<'_, 'ctx> {
    fn context(&self) -> &'ctx Context {
        self.context
    }
    fn builder(&self) -> &Builder<'ctx> {
        self.builder
    }
    fn module(&self) -> &Module<'ctx> {
        self.module
    }
    fn pop(&mut self) -> BasicValueEnum<'ctx> {
        self.stack.pop().expect("operand stack underflow")
    }
    fn push(&mut self, value: BasicValueEnum<'ctx>) {
        self.stack.push(value);
    }
    fn trap_if(&mut self, _cond: IntValue<'ctx>, _code: TrapCode) -> Result<()> {
        Ok(())
    }
    fn memory_address(
        &mut self,
        memarg: &MemArg,
        index: IntValue<'ctx>,
        _size: u32,
    ) -> Result<PointerValue<'ctx>> {
        let i64_type = self.context.i64_type();
        let index = self.builder.build_int_z_extend(index, i64_type, "")?;
        // Memory is `MEMORY_SIZE` bytes (plus slack for offsets); addresses wrap.
        let mask = i64_type.const_int(MEMORY_SIZE - 1, false);
        let index = self.builder.build_and(index, mask, "")?;
        let offset =
            self.builder
                .build_int_add(index, i64_type.const_int(memarg.offset, false), "")?;
        let base = self.builder.build_ptr_to_int(self.memory, i64_type, "")?;
        let address = self.builder.build_int_add(base, offset, "")?;
        Ok(self
            .builder
            .build_int_to_ptr(address, self.memory.get_type(), "")?)
    }
    fn intrinsic(&self, name: &str, types: &[BasicTypeEnum<'ctx>]) -> FunctionValue<'ctx> {
        Intrinsic::find(name)
            .and_then(|i| i.get_declaration(self.module, types))
            .unwrap_or_else(|| panic!("no intrinsic {name}"))
    }
    fn memory_access(&self, _access: InstructionValue<'ctx>) {}
}

/// The size of the test memory: addresses are taken modulo this.
const MEMORY_SIZE: u64 = 4096;

/// The LLVM type of a Wasm value type.
fn llvm_type<'ctx>(context: &'ctx Context, ty: ValType) -> BasicTypeEnum<'ctx> {
    match ty {
        ValType::I32 => context.i32_type().into(),
        ValType::I64 => context.i64_type().into(),
        ValType::F32 => context.f32_type().into(),
        ValType::F64 => context.f64_type().into(),
        ValType::V128 => context.i32_type().vec_type(4).into(),
        ValType::Ref(_) => panic!("no references here"),
    }
}

/// Lowers every function of `wat` into `module` as `name_<index>`, with the
/// Wasm parameters and result plus a last parameter, the memory base. Bodies
/// are `local.get`s and SIMD operators.
fn lower<'ctx>(context: &'ctx Context, module: &Module<'ctx>, name: &str, wat: &str) {
    let wasm = wat::parse_str(wat).unwrap_or_else(|e| panic!("{wat}: {e}"));
    let mut types = Vec::new();
    let mut funcs = Vec::new();
    let mut bodies = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
        match payload.expect("valid module") {
            Payload::TypeSection(r) => {
                types.extend(r.into_iter_err_on_gc_types().map(|t| t.expect("func type")));
            }
            Payload::FunctionSection(r) => funcs.extend(r.into_iter().map(|f| f.expect("func"))),
            Payload::CodeSectionEntry(body) => bodies.push(body),
            _ => {}
        }
    }
    let ptr = context.ptr_type(Default::default());
    let builder = context.create_builder();
    for (i, body) in bodies.into_iter().enumerate() {
        let ty = &types[funcs[i] as usize];
        let mut params = ty
            .params()
            .iter()
            .map(|t| llvm_type(context, *t).into())
            .collect::<Vec<_>>();
        params.push(ptr.into());
        let fn_type = match ty.results() {
            [] => context.void_type().fn_type(&params, false),
            [result] => llvm_type(context, *result).fn_type(&params, false),
            _ => panic!("{wat}: at most one result"),
        };
        let f = module.add_function(&format!("{name}_{i}"), fn_type, None);
        builder.position_at_end(context.append_basic_block(f, "entry"));
        let memory = f.get_last_param().expect("memory").into_pointer_value();
        let mut cx = Cx {
            context,
            module,
            builder: &builder,
            stack: Vec::new(),
            memory,
        };
        let mut ops = body.get_operators_reader().expect("operators");
        while !ops.eof() {
            let op = ops.read().expect("operator");
            match op {
                Operator::LocalGet { local_index } => {
                    cx.stack
                        .push(f.get_nth_param(local_index).expect("parameter"));
                }
                Operator::End => {}
                op => assert!(
                    translate_simd(&mut cx, &op).expect("lowering"),
                    "{op:?} is not SIMD"
                ),
            }
        }
        match cx.stack.as_slice() {
            [] => builder.build_return(None),
            [value] => {
                assert_eq!(
                    value.get_type(),
                    llvm_type(context, ty.results()[0]),
                    "{wat}: result type"
                );
                builder.build_return(Some(value))
            }
            _ => panic!("{wat}: operands left"),
        }
        .expect("return");
    }
}

/// The operators of each signature, by their text names.
const BINARY: &str = "i8x16.swizzle i8x16.eq i8x16.ne i8x16.lt_s i8x16.lt_u i8x16.gt_s i8x16.gt_u i8x16.le_s \
    i8x16.le_u i8x16.ge_s i8x16.ge_u i16x8.eq i16x8.ne i16x8.lt_s i16x8.lt_u i16x8.gt_s i16x8.gt_u i16x8.le_s \
    i16x8.le_u i16x8.ge_s i16x8.ge_u i32x4.eq i32x4.ne i32x4.lt_s i32x4.lt_u i32x4.gt_s i32x4.gt_u i32x4.le_s \
    i32x4.le_u i32x4.ge_s i32x4.ge_u i64x2.eq i64x2.ne i64x2.lt_s i64x2.gt_s i64x2.le_s i64x2.ge_s f32x4.eq \
    f32x4.ne f32x4.lt f32x4.gt f32x4.le f32x4.ge f64x2.eq f64x2.ne f64x2.lt f64x2.gt f64x2.le f64x2.ge v128.and \
    v128.andnot v128.or v128.xor i8x16.narrow_i16x8_s i8x16.narrow_i16x8_u i8x16.add i8x16.add_sat_s \
    i8x16.add_sat_u i8x16.sub i8x16.sub_sat_s i8x16.sub_sat_u i8x16.min_s i8x16.min_u i8x16.max_s i8x16.max_u \
    i8x16.avgr_u i16x8.q15mulr_sat_s i16x8.narrow_i32x4_s i16x8.narrow_i32x4_u i16x8.add i16x8.add_sat_s \
    i16x8.add_sat_u i16x8.sub i16x8.sub_sat_s i16x8.sub_sat_u i16x8.mul i16x8.min_s i16x8.min_u i16x8.max_s \
    i16x8.max_u i16x8.avgr_u i16x8.extmul_low_i8x16_s i16x8.extmul_high_i8x16_s i16x8.extmul_low_i8x16_u \
    i16x8.extmul_high_i8x16_u i32x4.add i32x4.sub i32x4.mul i32x4.min_s i32x4.min_u i32x4.max_s i32x4.max_u \
    i32x4.dot_i16x8_s i32x4.extmul_low_i16x8_s i32x4.extmul_high_i16x8_s i32x4.extmul_low_i16x8_u \
    i32x4.extmul_high_i16x8_u i64x2.add i64x2.sub i64x2.mul i64x2.extmul_low_i32x4_s i64x2.extmul_high_i32x4_s \
    i64x2.extmul_low_i32x4_u i64x2.extmul_high_i32x4_u f32x4.add f32x4.sub f32x4.mul f32x4.div f32x4.min \
    f32x4.max f32x4.pmin f32x4.pmax f64x2.add f64x2.sub f64x2.mul f64x2.div f64x2.min f64x2.max f64x2.pmin \
    f64x2.pmax";
const UNARY: &str = "v128.not i8x16.abs i8x16.neg i8x16.popcnt i16x8.extadd_pairwise_i8x16_s \
    i16x8.extadd_pairwise_i8x16_u i16x8.abs i16x8.neg i16x8.extend_low_i8x16_s i16x8.extend_high_i8x16_s \
    i16x8.extend_low_i8x16_u i16x8.extend_high_i8x16_u i32x4.extadd_pairwise_i16x8_s \
    i32x4.extadd_pairwise_i16x8_u i32x4.abs i32x4.neg i32x4.extend_low_i16x8_s i32x4.extend_high_i16x8_s \
    i32x4.extend_low_i16x8_u i32x4.extend_high_i16x8_u i64x2.abs i64x2.neg i64x2.extend_low_i32x4_s \
    i64x2.extend_high_i32x4_s i64x2.extend_low_i32x4_u i64x2.extend_high_i32x4_u f32x4.ceil f32x4.floor \
    f32x4.trunc f32x4.nearest f32x4.abs f32x4.neg f32x4.sqrt f64x2.ceil f64x2.floor f64x2.trunc f64x2.nearest \
    f64x2.abs f64x2.neg f64x2.sqrt i32x4.trunc_sat_f32x4_s i32x4.trunc_sat_f32x4_u f32x4.convert_i32x4_s \
    f32x4.convert_i32x4_u i32x4.trunc_sat_f64x2_s_zero i32x4.trunc_sat_f64x2_u_zero f64x2.convert_low_i32x4_s \
    f64x2.convert_low_i32x4_u f32x4.demote_f64x2_zero f64x2.promote_low_f32x4";
const TESTS: &str =
    "v128.any_true i8x16.all_true i8x16.bitmask i16x8.all_true i16x8.bitmask i32x4.all_true \
    i32x4.bitmask i64x2.all_true i64x2.bitmask";
const SHIFTS: &str =
    "i8x16.shl i8x16.shr_s i8x16.shr_u i16x8.shl i16x8.shr_s i16x8.shr_u i32x4.shl i32x4.shr_s \
    i32x4.shr_u i64x2.shl i64x2.shr_s i64x2.shr_u";
const LOADS: &str = "v128.load v128.load8x8_s v128.load8x8_u v128.load16x4_s v128.load16x4_u v128.load32x2_s \
    v128.load32x2_u v128.load8_splat v128.load16_splat v128.load32_splat v128.load64_splat v128.load32_zero \
    v128.load64_zero";
const SHAPES: [&str; 6] = ["i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2"];

/// The scalar type of a shape's lanes as a Wasm operand.
fn scalar(shape: &str) -> &'static str {
    match shape {
        "i64x2" => "i64",
        "f32x4" => "f32",
        "f64x2" => "f64",
        _ => "i32",
    }
}

/// One function per SIMD operator (all 236), as `(name, function text)`.
fn every_operator() -> Vec<(String, String)> {
    let func = |params: &str, results: &str, body: String| {
        format!("(func (param {params}) (result {results}) {body})").replace("(result )", "")
    };
    let gets = |n: usize| {
        (0..n)
            .map(|i| format!("local.get {i} "))
            .collect::<String>()
    };
    let mut all = Vec::new();
    let mut add = |op: &str, text: String| all.push((op.to_string(), text));
    for op in BINARY.split_whitespace() {
        add(op, func("v128 v128", "v128", format!("{}{op}", gets(2))));
    }
    for op in UNARY.split_whitespace() {
        add(op, func("v128", "v128", format!("{}{op}", gets(1))));
    }
    for op in TESTS.split_whitespace() {
        add(op, func("v128", "i32", format!("{}{op}", gets(1))));
    }
    for op in SHIFTS.split_whitespace() {
        add(op, func("v128 i32", "v128", format!("{}{op}", gets(2))));
    }
    for op in LOADS.split_whitespace() {
        add(op, func("i32", "v128", format!("{}{op} offset=3", gets(1))));
    }
    add(
        "v128.store",
        func("i32 v128", "", format!("{}v128.store offset=3", gets(2))),
    );
    for bits in [8, 16, 32, 64] {
        for kind in ["load", "store"] {
            let op = format!("v128.{kind}{bits}_lane");
            let results = if kind == "load" { "v128" } else { "" };
            add(
                &op,
                func("i32 v128", results, format!("{}{op} offset=5 1", gets(2))),
            );
        }
    }
    for shape in SHAPES {
        let t = scalar(shape);
        add(
            &format!("{shape}.splat"),
            func(t, "v128", format!("{}{shape}.splat", gets(1))),
        );
        let replace = format!("{shape}.replace_lane");
        add(
            &replace,
            func(
                &format!("v128 {t}"),
                "v128",
                format!("{}{replace} 1", gets(2)),
            ),
        );
        let extracts: &[&str] = if shape.starts_with("i8") || shape.starts_with("i16") {
            &["_s", "_u"]
        } else {
            &[""]
        };
        for sign in extracts {
            let op = format!("{shape}.extract_lane{sign}");
            add(&op, func("v128", t, format!("{}{op} 1", gets(1))));
        }
    }
    add(
        "v128.bitselect",
        func(
            "v128 v128 v128",
            "v128",
            format!("{}v128.bitselect", gets(3)),
        ),
    );
    add(
        "v128.const",
        func("", "v128", "v128.const i32x4 1 -2 0x80000000 4".into()),
    );
    let lanes = "0 17 2 19 4 21 6 23 31 30 29 28 27 26 25 24";
    add(
        "i8x16.shuffle",
        func(
            "v128 v128",
            "v128",
            format!("{}i8x16.shuffle {lanes}", gets(2)),
        ),
    );
    all
}

/// A target machine for `triple`/`cpu`.
fn machine(triple: &str, cpu: &str) -> TargetMachine {
    Target::initialize_all(&InitializationConfig::default());
    let triple = TargetTriple::create(triple);
    Target::from_triple(&triple)
        .expect("target")
        .create_target_machine(
            &triple,
            cpu,
            "",
            OptimizationLevel::Default,
            RelocMode::PIC,
            CodeModel::Default,
        )
        .expect("target machine")
}

/// Lowers `funcs` into `module` and checks the IR is valid.
fn lower_checked<'ctx>(context: &'ctx Context, module: &Module<'ctx>, funcs: &[(String, String)]) {
    for (i, (_, func)) in funcs.iter().enumerate() {
        let wat = format!("(module (memory 1) {func})");
        lower(context, module, &format!("op{i}"), &wat);
    }
    module
        .verify()
        .unwrap_or_else(|e| panic!("{}\n{e}", module.print_to_string()));
    // The verifier misses some invalid casts; the IR parser does not.
    let text = module.print_to_string();
    let buffer = MemoryBuffer::create_from_memory_range_copy(text.to_bytes(), "simd.ll");
    context
        .create_module_from_ir(buffer)
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The optimized assembly of each function of `funcs` for `triple`/`cpu`, by name.
fn assemble(triple: &str, cpu: &str, funcs: &[(String, String)]) -> Vec<(String, String)> {
    let context = Context::create();
    let module = context.create_module("simd");
    let machine = machine(triple, cpu);
    module.set_triple(&machine.get_triple());
    module.set_data_layout(&machine.get_target_data().get_data_layout());
    lower_checked(&context, &module, funcs);
    module
        .run_passes("default<O2>", &machine, PassBuilderOptions::create())
        .expect("optimize");
    if let Some(dir) = std::env::var_os("SIMD_DUMP") {
        let path = std::path::Path::new(&dir).join(format!("{triple}.ll"));
        module.print_to_file(path).expect("dump");
    }
    machine
        .write_to_memory_buffer(&module, FileType::Object)
        .expect("object");
    let asm = machine
        .write_to_memory_buffer(&module, FileType::Assembly)
        .expect("assembly");
    let asm = String::from_utf8_lossy(asm.as_slice()).into_owned();
    funcs
        .iter()
        .enumerate()
        .map(|(i, (op, _))| {
            let start = asm
                .find(&format!("\nop{i}_0:"))
                .expect("function in assembly");
            let end = asm[start..]
                .find(".Lfunc_end")
                .map_or(asm.len(), |e| start + e);
            (op.clone(), instructions(&asm[start..end]))
        })
        .collect()
}

/// The instruction lines of an assembly listing (no labels, directives or comments).
fn instructions(asm: &str) -> String {
    asm.lines()
        .map(|l| l.split(['#', '/']).next().unwrap_or("").trim())
        .filter(|l| !l.is_empty() && !l.ends_with(':') && !l.starts_with('.'))
        .collect::<Vec<_>>()
        .join("\n")
}

const X86: (&str, &str) = ("x86_64-unknown-linux-gnu", "x86-64-v2");
const AARCH64: (&str, &str) = ("aarch64-unknown-linux-gnu", "generic");

/// Every operator lowers to valid IR and compiles on both targets, with no
/// library calls.
#[test]
fn every_operator_compiles_for_both_targets() {
    let funcs = every_operator();
    assert_eq!(funcs.len(), 236, "Wasm 2.0 has 236 SIMD operators");
    // Without a target triple the lowering takes its generic forms.
    let context = Context::create();
    lower_checked(&context, &context.create_module("generic"), &funcs);
    for (triple, cpu) in [X86, AARCH64] {
        for (op, asm) in assemble(triple, cpu, &funcs) {
            assert!(
                !asm.contains("call") && !asm.lines().any(|l| l.starts_with("bl\t")),
                "{triple} {op} calls out:\n{asm}"
            );
        }
    }
}

/// The operators that have one instruction for them select it.
#[test]
fn operators_select_their_instructions() {
    let expect: &[(&str, &str, &str)] = &[
        ("i8x16.swizzle", "pshufb", "tbl"),
        ("i16x8.q15mulr_sat_s", "pmulhrsw", "sqrdmulh"),
        ("i8x16.narrow_i16x8_s", "packsswb", "sqxtn"),
        ("i8x16.narrow_i16x8_u", "packuswb", "sqxtun"),
        ("i16x8.narrow_i32x4_u", "packusdw", "sqxtun"),
        ("i32x4.dot_i16x8_s", "pmaddwd", "smull"),
        ("i8x16.avgr_u", "pavgb", "urhadd"),
        ("i16x8.avgr_u", "pavgw", "urhadd"),
        ("i8x16.bitmask", "pmovmskb", "addv"),
        ("v128.any_true", "ptest", "umaxv"),
        ("f32x4.nearest", "roundps", "frintn"),
        ("f64x2.floor", "roundpd", "frintm"),
        ("i8x16.add_sat_s", "paddsb", "sqadd"),
        ("i16x8.sub_sat_u", "psubusw", "uqsub"),
        ("i32x4.min_u", "pminud", "umin"),
        ("i16x8.extend_low_i8x16_s", "pmovsxbw", "sshll"),
        ("i32x4.extmul_high_i16x8_u", "pmulld", "umull2"),
        ("i32x4.trunc_sat_f32x4_s", "cvttps2dq", "fcvtzs"),
        ("i32x4.trunc_sat_f64x2_s_zero", "cvttpd2dq", "sqxtn"),
        ("i32x4.trunc_sat_f64x2_u_zero", "roundpd", "uqxtn"),
        ("i32x4.trunc_sat_f32x4_u", "cvttps2dq", "fcvtzu"),
        ("f64x2.convert_low_i32x4_s", "cvtdq2pd", "scvtf"),
        ("f32x4.demote_f64x2_zero", "cvtpd2ps", "fcvtn"),
        ("f64x2.promote_low_f32x4", "cvtps2pd", "fcvtl"),
        ("f32x4.pmin", "minps", "fcmgt"),
        ("v128.bitselect", "andnps", "bi"),
    ];
    let funcs = every_operator();
    let funcs = expect
        .iter()
        .map(|(op, _, _)| {
            funcs
                .iter()
                .find(|(o, _)| o == op)
                .expect("known operator")
                .clone()
        })
        .collect::<Vec<_>>();
    let x86 = assemble(X86.0, X86.1, &funcs);
    let aarch64 = assemble(AARCH64.0, AARCH64.1, &funcs);
    for (((op, x86_insn, a64_insn), (_, x86_asm)), (_, a64_asm)) in
        expect.iter().zip(&x86).zip(&aarch64)
    {
        assert!(
            x86_asm.contains(x86_insn),
            "x86-64 {op} has no {x86_insn}:\n{x86_asm}"
        );
        assert!(
            a64_asm.contains(a64_insn),
            "AArch64 {op} has no {a64_insn}:\n{a64_asm}"
        );
    }
}

/// The unoptimized IR of the functions of `funcs` for `triple`.
fn ir(triple: &str, funcs: &str) -> String {
    let context = Context::create();
    let module = context.create_module("simd");
    module.set_triple(&TargetTriple::create(triple));
    lower(
        &context,
        &module,
        "f",
        &format!("(module (memory 1) {funcs})"),
    );
    module.print_to_string().to_string()
}

/// Results LLVM could fold to a signalling-NaN operand are quieted: min/max
/// where the target's lowering does not (x86 gets its own sequence), and
/// arithmetic with a constant identity operand (`x * 1.0`).
#[test]
fn nan_results_are_quieted_where_llvm_could_pass_them_through() {
    let min = "(func (param v128 v128) (result v128) local.get 0 local.get 1 f32x4.min)";
    assert!(ir("", min).contains("llvm.canonicalize"));
    assert!(ir(X86.0, min).contains("llvm.x86.sse.min.ps"));
    assert!(!ir(AARCH64.0, min).contains("llvm.canonicalize"));
    let times_one = "(func (param v128) (result v128) local.get 0 v128.const f64x2 1 2 f64x2.mul)";
    assert!(ir(AARCH64.0, times_one).contains("llvm.canonicalize"));
    let times_three =
        "(func (param v128) (result v128) local.get 0 v128.const f64x2 3 2 f64x2.mul)";
    assert!(!ir(AARCH64.0, times_three).contains("llvm.canonicalize"));
}

/// A module using SIMD across the whole translator: `v128` locals, globals,
/// parameters, results, calls, `select`, loops over memory.
const PROGRAM: &str = r#"(module
  (memory (export "memory") 1)
  (global $bias (mut v128) (v128.const i32x4 1 2 3 4))
  (func $dot (param $a v128) (param $b v128) (result v128)
    (i32x4.dot_i16x8_s (local.get $a) (local.get $b)))
  (func (export "sum") (param $n i32) (result i32)
    (local $i i32) (local $acc v128)
    (local.set $acc (global.get $bias))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32x4.add (local.get $acc)
          (call $dot (v128.load (local.get $i)) (v128.load offset=16 (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (global.set $bias (local.get $acc))
    (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc))))
  (func (export "pick") (param $c i32) (param $x v128) (param $y v128) (result v128)
    (select (i8x16.swizzle (local.get $x) (local.get $y)) (local.get $y) (local.get $c))))"#;

/// [`PROGRAM`] compiles through the whole pipeline for both targets, and its
/// vector arithmetic stays vector code.
#[test]
fn program_compiles_for_both_targets() {
    use tern_compiler::{compile_module, compile_module_text, CompileOptions, TextOutput};
    let wasm = wat::parse_str(PROGRAM).expect("valid program");
    // The swizzle checks that the module's triple reaches the lowering.
    for (target, wanted) in [
        (
            tern_compiler::Target::X86_64,
            ["paddd", "pmaddwd", "pshufb"],
        ),
        (tern_compiler::Target::Aarch64, ["add\tv", "smull", "tbl"]),
    ] {
        let opts = CompileOptions {
            target,
            ..CompileOptions::default()
        };
        compile_module(&wasm, &opts).unwrap_or_else(|e| panic!("{target:?}: {e}"));
        let asm = compile_module_text(&wasm, &opts, TextOutput::Assembly).expect("assembly");
        for insn in wanted {
            assert!(asm.contains(insn), "{target:?} has no {insn}:\n{asm}");
        }
    }
}

/// Prints the code of every operator on both targets (`cargo test -p
/// tern-compiler --test simd -- --ignored --nocapture`), for review.
#[test]
#[ignore = "prints code for review"]
fn print_code() {
    let funcs = every_operator();
    let x86 = assemble(X86.0, X86.1, &funcs);
    let aarch64 = assemble(AARCH64.0, AARCH64.1, &funcs);
    for ((op, x86_asm), (_, a64_asm)) in x86.iter().zip(&aarch64) {
        let (x, a) = (x86_asm.lines().count(), a64_asm.lines().count());
        println!("{op:32} x86-64 {x:3}  aarch64 {a:3}");
        if std::env::var_os("SIMD_ASM").is_some() {
            println!("{x86_asm}\n--\n{a64_asm}\n");
        }
    }
}

/// An object for `triple`/`cpu` in which function `w<i>` runs operator `i`
/// of [`every_operator`] as `void w<i>(const u8 *params, u8 *result, u8
/// *memory)`: parameters and the result are 16-byte slots.
fn wrappers(triple: &str, cpu: &str) -> Vec<u8> {
    let context = Context::create();
    let module = context.create_module("simd");
    let machine = machine(triple, cpu);
    module.set_triple(&machine.get_triple());
    module.set_data_layout(&machine.get_target_data().get_data_layout());
    let ptr = context.ptr_type(Default::default());
    let builder = context.create_builder();
    for (i, (_, func)) in every_operator().iter().enumerate() {
        lower(
            &context,
            &module,
            &format!("op{i}"),
            &format!("(module (memory 1) {func})"),
        );
        let op = module.get_function(&format!("op{i}_0")).expect("lowered");
        op.set_linkage(inkwell::module::Linkage::Internal);
        let fn_type = context.void_type().fn_type(&[ptr.into(); 3], false);
        let w = module.add_function(&format!("w{i}"), fn_type, None);
        builder.position_at_end(context.append_basic_block(w, "entry"));
        let param = |n: u32| w.get_nth_param(n).expect("parameter").into_pointer_value();
        let slot = |base, n: u32| {
            let offset = context.i64_type().const_int(16 * u64::from(n), false);
            let base_int = builder
                .build_ptr_to_int(base, offset.get_type(), "")
                .expect("int");
            let at = builder.build_int_add(base_int, offset, "").expect("add");
            builder.build_int_to_ptr(at, ptr, "").expect("pointer")
        };
        let mut args = (0..op.count_params() - 1)
            .map(|n| {
                let ty = op.get_nth_param(n).expect("parameter").get_type();
                let value = builder.build_load(ty, slot(param(0), n), "").expect("load");
                let load = value.as_instruction_value().expect("load instruction");
                load.set_alignment(1).expect("alignment");
                value.into()
            })
            .collect::<Vec<_>>();
        args.push(param(2).into());
        let call = builder.build_call(op, &args, "").expect("call");
        if let Some(result) = call.try_as_basic_value().basic() {
            let store = builder
                .build_store(slot(param(1), 0), result)
                .expect("store");
            store.set_alignment(1).expect("alignment");
        }
        builder.build_return(None).expect("return");
    }
    module.verify().unwrap_or_else(|e| panic!("{e}"));
    module
        .run_passes("default<O2>", &machine, PassBuilderOptions::create())
        .expect("optimize");
    let object = machine
        .write_to_memory_buffer(&module, FileType::Object)
        .expect("object");
    object.as_slice().to_vec()
}

/// Runs every `w<i>` of [`wrappers`] on pseudo-random and special inputs
/// (NaNs, infinities, bounds, small shift counts), printing one line per call:
/// operator, inputs, result and a hash of memory.
const DRIVER: &str = r#"
#include <stdio.h>
#include <stdint.h>
#include <string.h>
typedef void (*op_fn)(const uint8_t *, uint8_t *, uint8_t *);
extern op_fn OPS[];
extern const unsigned NOPS;
static uint64_t state = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }
static const uint32_t W32[] = {0, 0x80000000u, 0x3f800000u, 0xbf800000u, 0x7fc00000u, 0xffc00000u,
  0x7fa00000u, 0xffa00000u, 0x7f800000u, 0xff800000u, 0x4f000000u, 0xcf000000u, 0x4f800000u,
  0x4effffffu, 0x7f7fffffu, 1, 0x00800000u, 0x3f000000u, 0xbf000000u, 0x3fc00000u, 0x40200000u,
  0xc0200000u, 0x7fffffffu, 0xffffffffu, 0x80008000u, 0x7fff7fffu, 0x80808080u, 0x7f7f7f7fu,
  0x00ff00ffu, 16, 15, 17, 31, 32, 33, 63, 64, 0x0f101112u};
static const uint64_t W64[] = {0, 0x8000000000000000ull, 0x3ff0000000000000ull,
  0x7ff8000000000000ull, 0xfff8000000000000ull, 0x7ff4000000000000ull, 0xfff4000000000000ull,
  0x7ff0000000000000ull, 0xfff0000000000000ull, 0x41e0000000000000ull, 0xc1e0000000000000ull,
  0x41efffffffe00000ull, 0x41dfffffffc00000ull, 0xc1e0000000200000ull, 0x41f0000000000000ull,
  0x41efffffffffffffull, 0x3fe0000000000000ull, 0x400c000000000000ull, 0x7fefffffffffffffull,
  1, 0x7fffffffffffffffull, 0xffffffffffffffffull, 0x4330000000000000ull};
#define LEN(a) (sizeof(a) / sizeof((a)[0]))
static uint8_t memory[MEMORY_SIZE + 64];
int main(void) {
  for (unsigned op = 0; op < NOPS; op++) {
    for (int run = 0; run < RUNS; run++) {
      uint8_t in[64], out[16];
      for (int k = 0; k < 8; k++) {
        uint64_t r = next(), v;
        switch (r % 5) {
          case 0: v = next(); break;
          case 1: v = W64[(r >> 8) % LEN(W64)]; break;
          case 2: v = W32[(r >> 8) % LEN(W32)] | (uint64_t)W32[(r >> 20) % LEN(W32)] << 32; break;
          case 3: v = next() & 0x8f8f8f8f8f8f8f8full; break;
          default: v = next() % 40 | (uint64_t)W32[(r >> 8) % LEN(W32)] << 32; break;
        }
        memcpy(in + 8 * k, &v, 8);
      }
      for (unsigned j = 0; j < sizeof memory; j++) memory[j] = (uint8_t)(j * 131 + op * 7 + run);
      memset(out, 0, sizeof out);
      OPS[op](in, out, memory);
      uint64_t hash = 1469598103934665603ull;
      for (unsigned j = 0; j < sizeof memory; j++) hash = (hash ^ memory[j]) * 1099511628211ull;
      printf("%u ", op);
      for (int j = 0; j < 48; j++) printf("%02x", in[j]);
      printf(" ");
      for (int j = 0; j < 16; j++) printf("%02x", out[j]);
      printf(" %016llx\n", (unsigned long long)hash);
    }
  }
  return 0;
}
"#;

/// Whether `command --version` runs.
fn have(command: &str) -> bool {
    std::process::Command::new(command)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Links `object` with [`DRIVER`] using `cc` and runs it, under `runner` if given.
fn run_driver(
    dir: &std::path::Path,
    name: &str,
    object: &[u8],
    cc: &str,
    runner: Option<&str>,
) -> String {
    let count = every_operator().len();
    let table = (0..count)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let declarations = (0..count)
        .map(|i| format!("void w{i}(const uint8_t *, uint8_t *, uint8_t *);\n"))
        .collect::<String>();
    let source = format!(
        "#define MEMORY_SIZE {MEMORY_SIZE}\n#define RUNS 150\n{DRIVER}\n{declarations}\
         op_fn OPS[] = {{{table}}};\nconst unsigned NOPS = {count};\n"
    );
    let c = dir.join(format!("{name}.c"));
    let o = dir.join(format!("{name}.o"));
    let exe = dir.join(name);
    std::fs::write(&c, source).expect("write driver");
    std::fs::write(&o, object).expect("write object");
    let status = std::process::Command::new(cc)
        .args(["-O1", "-static", "-o"])
        .arg(&exe)
        .arg(&c)
        .arg(&o)
        .status();
    assert!(status.is_ok_and(|s| s.success()), "{cc} failed");
    let output = match runner {
        Some(runner) => std::process::Command::new(runner).arg(&exe).output(),
        None => std::process::Command::new(&exe).output(),
    }
    .expect("run driver");
    assert!(
        output.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("text")
}

/// Whether two results of `op` agree: equal, or lane by lane equal or both
/// NaN where `op` computes floats (Wasm leaves NaN payloads and signs to the
/// hardware).
fn results_agree(op: &str, x: &[u8], y: &[u8]) -> bool {
    let float_result = ["f32x4.", "f64x2."].iter().any(|p| op.starts_with(p))
        && !["eq", "ne", "lt", "gt", "le", "ge", "_lane", "splat"]
            .iter()
            .any(|suffix| op.ends_with(suffix));
    let width = if op.starts_with("f32x4.") { 4 } else { 8 };
    let is_nan = |lane: &[u8]| match <[u8; 4]>::try_from(lane) {
        Ok(bytes) => f32::from_le_bytes(bytes).is_nan(),
        Err(_) => <[u8; 8]>::try_from(lane).is_ok_and(|b| f64::from_le_bytes(b).is_nan()),
    };
    x == y
        || float_result
            && x.chunks(width)
                .zip(y.chunks(width))
                .all(|(a, b)| a == b || is_nan(a) && is_nan(b))
}

/// Every operator computes the same on AArch64 (under qemu) as on x86-64
/// for 150 inputs each (special values included); the spec testsuite pins
/// down x86-64.
#[test]
fn aarch64_agrees_with_x86_64() {
    let tools = ["cc", "aarch64-linux-gnu-gcc", "qemu-aarch64"];
    if cfg!(not(target_arch = "x86_64")) || !tools.iter().all(|t| have(t)) {
        eprintln!("skipped: needs an x86-64 host and {}", tools.join(", "));
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("simd-agree");
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let x86 = run_driver(&dir, "x86_64", &wrappers(X86.0, X86.1), "cc", None);
    let a64 = wrappers(AARCH64.0, AARCH64.1);
    let aarch64 = run_driver(&dir, "aarch64", &a64, tools[1], Some(tools[2]));
    assert_eq!(
        x86.lines().count(),
        aarch64.lines().count(),
        "both ran every call"
    );
    let ops = every_operator();
    let bytes = |hex: &str| {
        (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
            .collect::<Vec<_>>()
    };
    let disagreements = x86
        .lines()
        .zip(aarch64.lines())
        .filter(|(x, a)| {
            let (x, a) = (
                x.split(' ').collect::<Vec<_>>(),
                a.split(' ').collect::<Vec<_>>(),
            );
            let op = &ops[x[0].parse::<usize>().expect("operator index")].0;
            x[3] != a[3] || !results_agree(op, &bytes(x[2]), &bytes(a[2]))
        })
        .map(|(x, a)| format!("x86-64  {x}\naarch64 {a}"))
        .collect::<Vec<_>>();
    assert!(
        disagreements.is_empty(),
        "{} disagreements (operator index, inputs, result, memory hash):\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
