//! Runs compiled code without the real runtime: the module's object is
//! linked with `harness.c` (a tiny stand-in runtime) and a generated
//! `config.h` describing the vmctx layout and the calls to make. Host
//! (x86-64) only; modules must not import anything.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use tern_compiler::{compile_module, CompileOptions, Target};
use tern_environ::{ConstOp, ElementMode, ModuleInfo, ValType, VmOffsets};

/// Compiles `wat` at `opt_level`, calls each `(export, args)` and returns
/// one output line per call: results in hex, or `trap N`.
pub fn run(wat: &str, opt_level: u8, calls: &[(&str, &[u64])]) -> Vec<String> {
    let opts = CompileOptions {
        target: Target::X86_64,
        opt_level,
        symbol_prefix: "tern_m0_".into(),
        checkpoint: false,
        ..Default::default()
    };
    let compiled = compile_module(wat.as_bytes(), &opts).unwrap_or_else(|e| panic!("{e}"));
    let info = &compiled.info;
    assert!(info.imports.is_empty(), "the harness supports no imports");

    let dir = scratch_dir();
    std::fs::write(dir.join("module.o"), &compiled.object).expect("write object");
    std::fs::write(dir.join("config.h"), config(info, calls)).expect("write config");
    let harness = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/exec/harness.c");
    let exe = dir.join("run");
    let status = Command::new("cc")
        .args(["-O1", "-w", "-o"])
        .arg(&exe)
        .arg("-I")
        .arg(&dir)
        .arg(&harness)
        .arg(dir.join("module.o"))
        .status()
        .expect("run cc");
    assert!(status.success(), "linking the harness failed");
    let output = Command::new("timeout")
        .arg("30")
        .arg(&exe)
        .output()
        .expect("run harness");
    assert!(output.status.success(), "harness crashed: {output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn scratch_dir() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("exec-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn const_value(ops: &[ConstOp]) -> u64 {
    match ops {
        [ConstOp::I32Const(v)] => *v as u32 as u64,
        [ConstOp::I64Const(v)] => *v as u64,
        [ConstOp::F32Const(v)] => u64::from(*v),
        [ConstOp::F64Const(v)] => *v,
        _ => 0,
    }
}

fn config(info: &ModuleInfo, calls: &[(&str, &[u64])]) -> String {
    let offsets = VmOffsets::new(info);
    let mut h = String::new();
    let mut define = |name: &str, value: u64| writeln!(h, "#define {name} {value}ull").unwrap();
    define("VMCTX_SIZE", u64::from(offsets.size()));
    define("NUM_FUNCS", info.functions.len() as u64);
    define("NUM_GLOBALS", info.globals.len() as u64);
    define("NUM_TYPES", info.types.len() as u64);
    define("GLOBALS_BEGIN", u64::from(offsets.globals_begin()));
    define("TABLES_BEGIN", u64::from(offsets.tables_begin()));
    define("FUNCREFS_BEGIN", u64::from(offsets.funcrefs_begin()));
    define("TYPE_IDS_BEGIN", u64::from(offsets.type_ids_begin()));
    define("MEMORY_BASE", u64::from(offsets.memory_base(0)));
    define("MEMORY_DEFINITION", u64::from(offsets.memory_definition(0)));
    define("HAS_MEMORY", u64::from(!info.memories.is_empty()));
    define(
        "MEMORY_PAGES",
        info.memories.first().map_or(0, |m| m.minimum),
    );
    define("HAS_TABLE", u64::from(!info.tables.is_empty()));
    define(
        "TABLE_SIZE",
        info.tables.first().map_or(0, |t| t.ty.minimum),
    );
    define("STACK_BUDGET", 256 << 10);

    let list = |items: Vec<String>| {
        format!(
            "{{{}0}}",
            items.iter().map(|i| format!("{i},")).collect::<String>()
        )
    };
    let canonical: Vec<String> = info
        .types
        .iter()
        .map(|t| {
            info.types
                .iter()
                .position(|u| u == t)
                .unwrap_or(0)
                .to_string()
        })
        .collect();
    writeln!(
        h,
        "static const uint32_t canonical_types[] = {};",
        list(canonical)
    )
    .unwrap();
    let func_types: Vec<String> = info.functions.iter().map(|t| t.to_string()).collect();
    writeln!(
        h,
        "static const uint32_t func_types[] = {};",
        list(func_types)
    )
    .unwrap();
    let inits: Vec<String> = info
        .global_inits
        .iter()
        .map(|e| format!("{}ull", const_value(&e.0)))
        .collect();
    writeln!(h, "static const uint64_t global_inits[] = {};", list(inits)).unwrap();

    let mut elems = Vec::new();
    for segment in &info.elements {
        if let ElementMode::Active { offset, .. } = &segment.mode {
            let base = const_value(&offset.0);
            for (i, item) in segment.items.iter().enumerate() {
                if let [ConstOp::RefFunc(f)] = item.0.as_slice() {
                    elems.push(format!("{{{}, {f}}}", base + i as u64));
                }
            }
        }
    }
    writeln!(h, "#define NUM_ELEMS {}", elems.len()).unwrap();
    writeln!(
        h,
        "static const struct {{ int at; int func; }} elems[] = {{{}{{0,0}}}};",
        elems.iter().map(|e| format!("{e},")).collect::<String>()
    )
    .unwrap();

    writeln!(h, "static const struct call calls[] = {{").unwrap();
    for (name, args) in calls {
        let func = info
            .exports
            .iter()
            .find(|e| e.name == *name)
            .unwrap_or_else(|| panic!("no export {name}"))
            .index;
        let ty = info.func_type(func);
        assert_eq!(ty.params.len(), args.len(), "{name}: argument count");
        let sizes: Vec<String> = ty
            .results
            .iter()
            .map(|r| match r {
                ValType::I32 | ValType::F32 => "4".to_string(),
                _ => "8".to_string(),
            })
            .collect();
        let args: Vec<String> = args.iter().map(|a| format!("{a}ull")).collect();
        writeln!(
            h,
            "  {{{func}, {}, {{{}0}}, {}, {{{}0}}}},",
            args.len(),
            args.iter().map(|a| format!("{a},")).collect::<String>(),
            sizes.len(),
            sizes.iter().map(|s| format!("{s},")).collect::<String>(),
        )
        .unwrap();
    }
    writeln!(h, "}};").unwrap();
    h
}
