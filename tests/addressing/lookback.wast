;; A load at `x + c` followed by an access at `x` is addressed as
;; `base + zext(x) + c` (crates/compiler/src/translate/address_lookback.rs):
;; when `x + c` wraps, the access at `x` traps anyway, so the first load may
;; trap instead, but only with nothing observable between the two.
(module
  (memory 1)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08")
  (data (i32.const 65528) "\11\12\13\14\15\16\17\18")

  ;; crc32's shape: bytes x + 1, then x.
  (func (export "pair") (param $x i32) (result i32)
    (i32.add
      (i32.mul (i32.load8_u (i32.add (local.get $x) (i32.const 1))) (i32.const 256))
      (i32.load8_u (local.get $x))))

  ;; A 4-byte load at x + 2 with offset 4, then one at x.
  (func (export "offset") (param $x i32) (result i32)
    (i32.xor
      (i32.load offset=4 (i32.add (local.get $x) (i32.const 2)))
      (i32.load (local.get $x))))

  ;; The byte at x + 1 is stored at 100 before the access at x.
  (func (export "store_between") (param $x i32) (result i32)
    (local $v i32)
    (local.set $v (i32.load8_u (i32.add (local.get $x) (i32.const 1))))
    (i32.store8 (i32.const 100) (local.get $v))
    (i32.load8_u (local.get $x)))

  ;; A division by z between the two.
  (func (export "divide_between") (param $x i32) (param $z i32) (result i32)
    (local $v i32)
    (local.set $v (i32.div_u (i32.load8_u (i32.add (local.get $x) (i32.const 1))) (local.get $z)))
    (i32.add (local.get $v) (i32.load8_u (local.get $x))))

  ;; The access at x is a store (of the byte at x + 1).
  (func (export "store_at") (param $x i32)
    (i32.store8 (local.get $x) (i32.load8_u (i32.add (local.get $x) (i32.const 1)))))

  ;; x is reassigned between: the second access is at another address.
  (func (export "reassigned") (param $x i32) (result i32)
    (local $v i32)
    (local.set $v (i32.load8_u (i32.add (local.get $x) (i32.const 1))))
    (local.set $x (i32.const 7))
    (i32.add (local.get $v) (i32.load8_u (local.get $x))))

  (func (export "byte") (param $p i32) (result i32)
    (i32.load8_u (local.get $p)))
)

(assert_return (invoke "pair" (i32.const 0)) (i32.const 0x0201))
(assert_return (invoke "pair" (i32.const 65534)) (i32.const 0x1817))
(assert_trap (invoke "pair" (i32.const 65535)) "out of bounds memory access")
;; x + 1 wraps to 0 (a valid load), then x = 2^32 - 1 traps.
(assert_trap (invoke "pair" (i32.const -1)) "out of bounds memory access")
(assert_trap (invoke "pair" (i32.const 0xffff0000)) "out of bounds memory access")

(assert_return (invoke "offset" (i32.const 0)) (i32.const 0x04030a06))
;; (x + 2) + 4 = 4 after the wrap, then x = 2^32 - 2 traps.
(assert_trap (invoke "offset" (i32.const -2)) "out of bounds memory access")

;; The store happens before the trap at x: memory shows it.
(assert_trap (invoke "store_between" (i32.const -1)) "out of bounds memory access")
(assert_return (invoke "byte" (i32.const 100)) (i32.const 1))

;; The division traps first, with its own trap.
(assert_trap (invoke "divide_between" (i32.const -1) (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "divide_between" (i32.const -1) (i32.const 1)) "out of bounds memory access")
(assert_return (invoke "divide_between" (i32.const 2) (i32.const 2)) (i32.const 5))

(invoke "store_at" (i32.const 8))
(assert_return (invoke "byte" (i32.const 8)) (i32.const 0))
(invoke "store_at" (i32.const 2))
(assert_return (invoke "byte" (i32.const 2)) (i32.const 4))
(assert_trap (invoke "store_at" (i32.const -1)) "out of bounds memory access")

;; x + 1 wraps to 0; the second load is at 7, not at x: no trap.
(assert_return (invoke "reassigned" (i32.const -1)) (i32.const 9))
