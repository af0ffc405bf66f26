;; An atomic read-modify-write that changes nothing (`or 0`, `add 0`,
;; `and -1`, `xor 0`) with its result dropped still accesses memory, so it
;; traps out of bounds (the x86-64 back end once turned it into a fence on
;; the stack).
(module
  (memory 1 1 shared)
  (func (export "or0") (param i32)
    (drop (i32.atomic.rmw16.or_u (local.get 0) (i32.const 0))))
  (func (export "add0") (param i32)
    (drop (i32.atomic.rmw.add (local.get 0) (i32.const 0))))
  (func (export "and_all") (param i32)
    (drop (i64.atomic.rmw.and (local.get 0) (i64.const -1))))
  (func (export "xor0") (param i32)
    (drop (i64.atomic.rmw8.xor_u (local.get 0) (i64.const 0))))
  (func (export "or0_used") (param i32) (result i32)
    (i32.atomic.rmw.or (local.get 0) (i32.const 0))))

(assert_trap (invoke "or0" (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke "add0" (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke "and_all" (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke "xor0" (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke "or0_used" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "or0" (i32.const 65534)))
(assert_return (invoke "or0_used" (i32.const 0)) (i32.const 0))
