;; An atomic access that is both unaligned and out of bounds traps as
;; unaligned, on 32-bit memories (bounds by guard pages) and on 64-bit
;; memories (an explicit bounds check) alike, as in Wasmtime.
(module
  (memory 1 1 shared)
  (func (export "load32") (param i32) (result i32)
    (i32.atomic.load (local.get 0)))
  (func (export "rmw32") (param i32) (result i64)
    (i64.atomic.rmw.add offset=3 (local.get 0) (i64.const 1))))

(assert_trap (invoke "load32" (i32.const 65537)) "unaligned atomic")
(assert_trap (invoke "load32" (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke "rmw32" (i32.const 70000)) "unaligned atomic")
(assert_trap (invoke "rmw32" (i32.const 69997)) "out of bounds memory access")
(assert_return (invoke "rmw32" (i32.const 5)) (i64.const 0))

(module
  (memory i64 1 1)
  (func (export "load64") (param i64) (result i32)
    (i32.atomic.load (local.get 0)))
  (func (export "store64") (param i64)
    (i64.atomic.store16 offset=1 (local.get 0) (i64.const 1)))
  (func (export "cmpxchg64") (param i64) (result i64)
    (i64.atomic.rmw.cmpxchg (local.get 0) (i64.const 0) (i64.const 1))))

(assert_trap (invoke "load64" (i64.const 65537)) "unaligned atomic")
(assert_trap (invoke "load64" (i64.const 0x1_0000_0001)) "unaligned atomic")
(assert_trap (invoke "load64" (i64.const -1)) "unaligned atomic")
(assert_trap (invoke "load64" (i64.const 65536)) "out of bounds memory access")
(assert_trap (invoke "store64" (i64.const 65536)) "unaligned atomic")
(assert_trap (invoke "store64" (i64.const 65537)) "out of bounds memory access")
(assert_trap (invoke "cmpxchg64" (i64.const -4)) "unaligned atomic")
(assert_trap (invoke "cmpxchg64" (i64.const -8)) "out of bounds memory access")
(assert_return (invoke "cmpxchg64" (i64.const 8)) (i64.const 0))
(assert_return (invoke "cmpxchg64" (i64.const 8)) (i64.const 1))
