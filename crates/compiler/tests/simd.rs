//! SIMD lowering tests.
//!
//! Every 128-bit SIMD operator of Wasm 2.0 is lowered through a minimal
//! [`LoweringCx`] (parameters in, results out, memory at a pointer), the IR is
//! verified, optimized and compiled for x86-64 (`x86-64-v2`) and AArch64; a
//! few operators are checked to select the instruction they exist for.

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
use inkwell::values::{BasicValueEnum, FunctionValue, IntValue, PointerValue};
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
}

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

/// The optimized assembly of each function of `funcs` for `triple`/`cpu`, by name.
fn assemble(triple: &str, cpu: &str, funcs: &[(String, String)]) -> Vec<(String, String)> {
    let context = Context::create();
    let module = context.create_module("simd");
    let machine = machine(triple, cpu);
    module.set_triple(&machine.get_triple());
    module.set_data_layout(&machine.get_target_data().get_data_layout());
    for (i, (_, func)) in funcs.iter().enumerate() {
        lower(
            &context,
            &module,
            &format!("op{i}"),
            &format!("(module (memory 1) {func})"),
        );
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
        ("f32x4.pmin", "cmpltps", "fcmgt"),
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

/// Results LLVM could fold to a signalling-NaN operand are quieted: x86
/// min/max, and arithmetic with a constant identity operand (`x * 1.0`).
#[test]
fn nan_results_are_quieted_where_llvm_could_pass_them_through() {
    let min = "(func (param v128 v128) (result v128) local.get 0 local.get 1 f32x4.min)";
    assert!(ir(X86.0, min).contains("llvm.canonicalize"));
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
