;; Accesses at `invariant + small` inside a loop, which tern computes as
;; `base + f(t) + b` (crates/compiler/src/translate/address_split.rs): the
;; sum may wrap, and a sum that does not wrap past the end of memory (or past
;; 2^32 - 64 KiB, where the address lies below the memory base) must trap.
(module
  (memory 1)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08")
  (data (i32.const 65528) "\10\20\30\40\50\60\70\80")

  ;; Sum of the bytes at t + ((i & 3) | 4) for i in [0, n).
  (func (export "sum8") (param $t i32) (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s
          (i32.add (local.get $s)
            (i32.load8_u
              (i32.add (local.get $t)
                (i32.or (i32.and (local.get $i) (i32.const 3)) (i32.const 4))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $s))

  ;; The same with 4-byte loads at t + (((i & 1) << 2) | 8).
  (func (export "sum32") (param $t i32) (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s
          (i32.add (local.get $s)
            (i32.load
              (i32.add (local.get $t)
                (i32.or
                  (i32.shl (i32.and (local.get $i) (i32.const 1)) (i32.const 2))
                  (i32.const 8))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $s))

  ;; Stores byte i at t + ((i & 3) | 4), for i in [0, n).
  (func (export "fill") (param $t i32) (param $n i32)
    (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8
          (i32.add (local.get $t)
            (i32.or (i32.and (local.get $i) (i32.const 3)) (i32.const 4)))
          (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))

  (func (export "byte") (param $p i32) (result i32)
    (i32.load8_u (local.get $p)))
)

;; No wrap, in bounds.
(assert_return (invoke "sum8" (i32.const 0) (i32.const 4)) (i32.const 26))
(assert_return (invoke "sum8" (i32.const 65524) (i32.const 4)) (i32.const 0xa0))
;; t = 2^32 - 4: every sum wraps to 0..3.
(assert_return (invoke "sum8" (i32.const -4) (i32.const 4)) (i32.const 10))
(assert_return (invoke "sum8" (i32.const -4) (i32.const 9)) (i32.const 21))
;; t = 2^32 - 5: the first sum is 2^32 - 1, which does not wrap: past the end.
(assert_trap (invoke "sum8" (i32.const -5) (i32.const 1)) "out of bounds memory access")
;; t = 2^32 - 64 KiB (the largest memory's end) and just above it.
(assert_trap (invoke "sum8" (i32.const 0xffff0000) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "sum8" (i32.const 0xffff0001) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "sum8" (i32.const 0xfffffff0) (i32.const 1)) "out of bounds memory access")
;; Past the end of the one page, without wrapping.
(assert_trap (invoke "sum8" (i32.const 65532) (i32.const 1)) "out of bounds memory access")
(assert_return (invoke "sum8" (i32.const 65524) (i32.const 0)) (i32.const 0))

;; 4-byte loads.
(assert_return (invoke "sum32" (i32.const 0) (i32.const 2)) (i32.const 0))
(assert_return (invoke "sum32" (i32.const -8) (i32.const 2)) (i32.const 0x0c0a0806))
(assert_return (invoke "sum32" (i32.const -6) (i32.const 1)) (i32.const 0x06050403))
;; t = 2^32 - 10: the sum is 2^32 - 2 (no wrap). The split address starts two
;; bytes below the memory base and ends inside the memory: it must trap.
(assert_trap (invoke "sum32" (i32.const -10) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "sum32" (i32.const -12) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "sum32" (i32.const -11) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "sum32" (i32.const 65528) (i32.const 1)) "out of bounds memory access")

;; Stores through wrapped sums land at the wrapped address.
(invoke "fill" (i32.const -4) (i32.const 8))
(assert_return (invoke "byte" (i32.const 0)) (i32.const 4))
(assert_return (invoke "byte" (i32.const 3)) (i32.const 7))
(assert_return (invoke "byte" (i32.const 4)) (i32.const 5))
;; The first store's sum does not wrap (2^32 - 1): it traps, nothing is written.
(assert_trap (invoke "fill" (i32.const -5) (i32.const 1)) "out of bounds memory access")
(assert_return (invoke "byte" (i32.const 0)) (i32.const 4))
(assert_trap (invoke "fill" (i32.const 0xffff8000) (i32.const 1)) "out of bounds memory access")
(assert_return (invoke "byte" (i32.const 0)) (i32.const 4))
