;; `memory.atomic.wait32/64` check alignment, then bounds, then that the
;; memory is shared (the reference interpreter's order, and Wasmtime's).
(module
  (memory 1 1)
  (func (export "wait32") (param i32) (result i32)
    (memory.atomic.wait32 (local.get 0) (i32.const 0) (i64.const 0)))
  (func (export "wait64") (param i32) (result i32)
    (memory.atomic.wait64 (local.get 0) (i64.const 0) (i64.const 0)))
  (func (export "notify") (param i32) (result i32)
    (memory.atomic.notify (local.get 0) (i32.const 1))))

(assert_trap (invoke "wait32" (i32.const 65537)) "unaligned atomic")
(assert_trap (invoke "wait32" (i32.const 1)) "unaligned atomic")
(assert_trap (invoke "wait32" (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke "wait32" (i32.const 0)) "expected shared memory")
(assert_trap (invoke "wait64" (i32.const 4)) "unaligned atomic")
(assert_trap (invoke "wait64" (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke "wait64" (i32.const 8)) "expected shared memory")
(assert_trap (invoke "notify" (i32.const 65537)) "unaligned atomic")
(assert_trap (invoke "notify" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "notify" (i32.const 0)) (i32.const 0))
