//! Executes compiled code (x86-64 hosts only) through the stand-in runtime
//! in `exec/`, at -O0 and -O2, checking Wasm semantics of control flow,
//! calls, memory, globals, tables and traps.

mod exec;

fn check(wat: &str, calls: &[(&str, &[u64])], expected: &[&str]) {
    if !cfg!(target_arch = "x86_64") {
        return;
    }
    for opt_level in [0, 2] {
        let lines = exec::run(wat, opt_level, calls);
        assert_eq!(lines, expected, "at -O{opt_level}");
    }
}

#[test]
fn control_flow() {
    let wat = r#"(module
      (func $fib (export "fib") (param i32) (result i32)
        (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
          (then (local.get 0))
          (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                         (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
      (func (export "swap") (param i32 i64) (result i64 i32)
        (local.get 1) (local.get 0))
      (func (export "br_table") (param i32) (result i32)
        (block (result i32) (block (result i32) (block (result i32)
          (i32.const 100) (local.get 0) (br_table 0 1 2 1)) (i32.const 1) (i32.add))
          (i32.const 10) (i32.add)))
      (func (export "loop_params") (param i32) (result i32)
        (i32.const 0) (local.get 0)
        (loop (param i32 i32) (result i32)
          (local.set 0)                       ;; counter
          (i32.add (local.get 0))             ;; acc += counter
          (local.get 0) (i32.const 1) (i32.sub) (local.tee 0)
          (local.get 0)
          (br_if 0)
          (drop)))
      (func (export "if_params") (param i32) (result i32)
        (i32.const 5)
        (if (param i32) (result i32) (local.get 0)
          (then (i32.const 2) (i32.mul))
          (else (i32.const 3) (i32.add))))
      (func (export "early") (param i32) (result i32)
        (block (br_if 0 (local.get 0)) (return (i32.const 7)) (unreachable))
        (i32.const 8))
      (func (export "dead_else") (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (return (i32.const 1)) (i32.const 99))
          (else (i32.const 2))))
      (func (export "select") (param i32) (result i64)
        (select (i64.const 11) (i64.const 22) (local.get 0)))
      (func $deep (export "deep") (param i32) (result i32)
        (call $deep (i32.add (local.get 0) (i32.const 1))))
      (func (export "unreachable") (unreachable))
      (func $ping (export "ping") (param i64) (result i64) (call $pong (local.get 0)))
      (func $pong (param i64) (result i64) (call $ping (i64.add (local.get 0) (i64.const 1))))
    )"#;
    check(
        wat,
        &[
            ("fib", &[20]),
            ("swap", &[1, 2]),
            ("br_table", &[0]),
            ("br_table", &[1]),
            ("br_table", &[2]),
            ("br_table", &[9]),
            ("loop_params", &[4]),
            ("if_params", &[1]),
            ("if_params", &[0]),
            ("early", &[0]),
            ("early", &[1]),
            ("dead_else", &[1]),
            ("dead_else", &[0]),
            ("select", &[1]),
            ("select", &[0]),
            ("deep", &[0]),
            ("unreachable", &[]),
            ("ping", &[0]),
        ],
        &[
            "1a6d", "2 1", "6f", "6e", "64", "6e", "a", "a", "8", "7", "8", "1", "2", "b", "16",
            "trap 10", "trap 1", "trap 10",
        ],
    );
}

#[test]
fn memory_and_globals() {
    let wat = r#"(module
      (memory 1 3)
      (global $g (mut i64) (i64.const 5))
      (global $c i32 (i32.const 42))
      (func (export "rw") (param i32 i32) (result i32)
        (i32.store offset=4 (local.get 0) (local.get 1))
        (i32.load offset=4 (local.get 0)))
      (func (export "ext") (result i64 i64 i32 i32)
        (i32.store (i32.const 0) (i32.const 0x8081))
        (i64.load8_s (i32.const 0)) (i64.load16_u (i32.const 0))
        (i32.load8_u (i32.const 1)) (i32.load16_s (i32.const 0)))
      (func (export "oob") (param i32) (result i32)
        (i32.load (local.get 0)))
      (func (export "grow") (param i32) (result i32 i32)
        (memory.grow (local.get 0)) (memory.size))
      (func (export "globals") (result i64 i32)
        (global.set $g (i64.add (global.get $g) (i64.const 1)))
        (global.get $g) (global.get $c))
      (func (export "fill") (result i32)
        (memory.fill (i32.const 100) (i32.const 0xab) (i32.const 8))
        (memory.copy (i32.const 200) (i32.const 100) (i32.const 8))
        (i32.load (i32.const 204)))
      (func (export "fill_oob")
        (memory.fill (i32.const 65530) (i32.const 0) (i32.const 8)))
      (func (export "iota") (param $p i32) (param $n i32) (local $i i32)
        (block $done (loop $l
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (i32.store (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))) (local.get $i))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l))))
      (func (export "sum") (param $p i32) (param $n i32) (result i32) (local $s i32)
        (block $done (loop $l
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $l)))
        (local.get $s))
    )"#;
    check(
        wat,
        &[
            ("rw", &[8, 0xdeadbeef]),
            ("ext", &[]),
            ("oob", &[65532]),
            ("oob", &[65533]),
            ("oob", &[0xffff_fffc]),
            ("fill_oob", &[]),
            ("grow", &[1]),
            ("grow", &[0]),
            ("oob", &[65536 + 100]),
            ("globals", &[]),
            ("globals", &[]),
            ("fill", &[]),
            ("iota", &[2000, 100]),
            ("sum", &[2000, 100]),
            ("sum", &[100, 2]),
        ],
        &[
            "deadbeef",
            "ffffffffffffff81 8081 80 ffff8081",
            "0",
            "trap 2",
            "trap 2",
            "trap 2",
            "1 2",
            "2 2",
            "0",
            "6 2a",
            "7 2a",
            "abababab",
            "",
            "1356",
            "57575756",
        ],
    );
}

#[test]
fn tables_and_indirect_calls() {
    let wat = r#"(module
      (type $i2i (func (param i32) (result i32)))
      (type $v2i (func (result i32)))
      (table 4 funcref)
      (func $inc (type $i2i) (i32.add (local.get 0) (i32.const 1)))
      (func $dbl (type $i2i) (i32.mul (local.get 0) (i32.const 2)))
      (func $k (type $v2i) (i32.const 9))
      (elem (i32.const 0) $inc $dbl $k)
      (func (export "call") (param i32 i32) (result i32)
        (call_indirect (type $i2i) (local.get 1) (local.get 0)))
      (func (export "set_get") (result i32 i32)
        (table.set (i32.const 3) (ref.func $dbl))
        (ref.is_null (table.get (i32.const 3)))
        (call_indirect (type $i2i) (i32.const 21) (i32.const 3)))
      (func (export "size_grow") (result i32 i32 i32)
        (table.size) (table.grow (ref.null func) (i32.const 2)) (table.size))
      (func (export "get_oob") (result i32)
        (ref.is_null (table.get (i32.const 100))))
    )"#;
    check(
        wat,
        &[
            ("call", &[0, 5]),
            ("call", &[1, 5]),
            ("call", &[2, 5]),
            ("call", &[3, 5]),
            ("call", &[4, 5]),
            ("set_get", &[]),
            ("size_grow", &[]),
            ("get_oob", &[]),
        ],
        &[
            "6", "a", "trap 6", "trap 5", "trap 4", "0 2a", "4 4 6", "trap 3",
        ],
    );
}
