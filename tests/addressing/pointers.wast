;; Accesses at `l` and `l + c` in leaf loops that step `l` by a constant,
;; which tern computes from a 64-bit pointer shadow (crates/compiler/src/
;; translate/address_recurrences.rs, "Pointer shadows"): indices that wrap
;; on entry, indices past 2^32 - 64 KiB (the shadow is then below the memory
;; base), and loops that run off the end.
(module
  (memory 1)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10")
  (data (i32.const 65528) "\11\12\13\14\15\16\17\18")

  ;; crc32's shape: bytes l + 1 and l, then l += 2 (n iterations).
  (func (export "pairs") (param $l i32) (param $n i32) (result i32)
    (local $s i32)
    (loop $top
      (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (local.get $l) (i32.const 1)))))
      (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 3)) (i32.load8_u (local.get $l))))
      (local.set $l (i32.add (local.get $l) (i32.const 2)))
      (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))

  ;; 4-byte loads at l + 4 and l, l += 8.
  (func (export "words") (param $l i32) (param $n i32) (result i32)
    (local $s i32)
    (loop $top
      (local.set $s
        (i32.xor
          (i32.xor (i32.rotl (local.get $s) (i32.const 5))
            (i32.load (i32.add (local.get $l) (i32.const 4))))
          (i32.load (local.get $l))))
      (local.set $l (i32.add (local.get $l) (i32.const 8)))
      (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))

  ;; Bytes at l + 3, l += 4.
  (func (export "third") (param $l i32) (param $n i32) (result i32)
    (local $s i32)
    (loop $top
      (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (local.get $l) (i32.const 3)))))
      (local.set $l (i32.add (local.get $l) (i32.const 4)))
      (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))

  ;; Stores 0x41 + v at l + 1, then 0x40 + v at l; l += 2, v += 2.
  (func (export "fill") (param $l i32) (param $n i32)
    (local $v i32)
    (loop $top
      (i32.store8 (i32.add (local.get $l) (i32.const 1)) (i32.add (local.get $v) (i32.const 0x41)))
      (i32.store8 (local.get $l) (i32.add (local.get $v) (i32.const 0x40)))
      (local.set $l (i32.add (local.get $l) (i32.const 2)))
      (local.set $v (i32.add (local.get $v) (i32.const 2)))
      (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))

  (func (export "byte") (param $p i32) (result i32)
    (i32.load8_u (local.get $p)))
)

;; 3 * (0 + 2) + 1 = 7, then 3 * (7 + 4) + 3 = 36.
(assert_return (invoke "pairs" (i32.const 0) (i32.const 2)) (i32.const 36))
;; l = 2^32 - 1: l + 1 wraps to 0 (valid), then l itself is past the end.
(assert_trap (invoke "pairs" (i32.const -1) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "pairs" (i32.const -2) (i32.const 1)) "out of bounds memory access")
;; The largest memory's end, and above it (the shadow starts below the base).
(assert_trap (invoke "pairs" (i32.const 0xffff0000) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "pairs" (i32.const 0xffff0001) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "pairs" (i32.const 0xfffeffff) (i32.const 1)) "out of bounds memory access")
;; The last two bytes of the page, then off its end.
(assert_return (invoke "pairs" (i32.const 65534) (i32.const 1)) (i32.const 0x5f))
(assert_trap (invoke "pairs" (i32.const 65534) (i32.const 2)) "out of bounds memory access")

(assert_return (invoke "words" (i32.const 0) (i32.const 1)) (i32.const 0x0c040404))
(assert_return (invoke "words" (i32.const 65528) (i32.const 1)) (i32.const 0x0c040404))
(assert_trap (invoke "words" (i32.const 65528) (i32.const 2)) "out of bounds memory access")
;; l + 4 wraps (valid), then l = 2^32 - 2 does not: trap (the shadow address
;; straddles the base).
(assert_trap (invoke "words" (i32.const -2) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "words" (i32.const -4) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "words" (i32.const -8) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "words" (i32.const 0xfffefffc) (i32.const 1)) "out of bounds memory access")

;; l = 2^32 - 3: l + 3 wraps to 0, then 4, 8, 12.
(assert_return (invoke "third" (i32.const -3) (i32.const 4)) (i32.const 28))
(assert_return (invoke "third" (i32.const 1) (i32.const 4)) (i32.const 27))
(assert_trap (invoke "third" (i32.const -4) (i32.const 4)) "out of bounds memory access")
(assert_trap (invoke "third" (i32.const 65524) (i32.const 4)) "out of bounds memory access")

(invoke "fill" (i32.const 32) (i32.const 4))
(assert_return (invoke "byte" (i32.const 32)) (i32.const 0x40))
(assert_return (invoke "byte" (i32.const 39)) (i32.const 0x47))
;; The first store wraps to 0 (done), the second (at 2^32 - 1) traps.
(assert_trap (invoke "fill" (i32.const -1) (i32.const 4)) "out of bounds memory access")
(assert_return (invoke "byte" (i32.const 0)) (i32.const 0x41))
(assert_return (invoke "byte" (i32.const 1)) (i32.const 2))
;; Stores up to the end of the page, then trap before writing past it.
(assert_trap (invoke "fill" (i32.const 65532) (i32.const 3)) "out of bounds memory access")
(assert_return (invoke "byte" (i32.const 65535)) (i32.const 0x43))
(assert_return (invoke "byte" (i32.const 65532)) (i32.const 0x40))
