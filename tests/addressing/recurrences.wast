;; Accesses at `a + l` in leaf loops, which tern computes from a 64-bit shadow
;; of the sum carried by the loop (crates/compiler/src/translate/
;; address_recurrences.rs): sums that wrap, sums that run off the end, and
;; loops whose steps cannot be proven (the shadow is then recomputed).
(module
  (memory 1)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10")
  (data (i32.const 65528) "\11\12\13\14\15\16\17\18")

  ;; Sum of the bytes at a + l for l = l0, l0 + 4, ... (n of them).
  (func (export "stride4") (param $a i32) (param $l i32) (param $n i32) (result i32)
    (local $s i32)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $top
        (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (local.get $a) (local.get $l)))))
        (local.set $l (i32.add (local.get $l) (i32.const 4)))
        (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
    (local.get $s))

  ;; stream's shape: the sums go through temporaries, with `+ 1` neighbours.
  (func (export "pairs") (param $a i32) (param $b i32) (param $l i32) (param $n i32) (result i32)
    (local $p i32) (local $q i32) (local $s i32)
    (loop $top
      (local.set $p (i32.add (local.get $a) (local.get $l)))
      (local.set $q (i32.add (local.get $l) (local.get $b)))
      (i32.store8 (local.get $q) (i32.load8_u (local.get $p)))
      (i32.store8 (i32.add (local.get $q) (i32.const 1)) (i32.load8_u (i32.add (local.get $p) (i32.const 1))))
      (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $q))))
      (local.set $l (i32.add (local.get $l) (i32.const 2)))
      (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))

  ;; The access only happens in some iterations (inside an `if`): a back
  ;; edge is not proven, so the sum is recomputed and may wrap mid-loop.
  (func (export "sometimes") (param $a i32) (param $n i32) (result i32)
    (local $l i32) (local $s i32)
    (loop $top
      (if (i32.ge_u (local.get $l) (i32.const 16))
        (then
          (local.set $s (i32.add (local.get $s)
            (i32.load8_u (i32.add (local.get $a) (local.get $l)))))))
      (local.set $l (i32.add (local.get $l) (i32.const 8)))
      (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))

  ;; Two steps of l per iteration, and a back edge through br_table.
  (func (export "twice") (param $a i32) (param $n i32) (result i32)
    (local $l i32) (local $s i32)
    (block $done
      (loop $top
        (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (local.get $a) (local.get $l)))))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br_table $top $done (i32.eqz (local.get $n)))))
    (local.get $s))

  ;; A `br_table` that lists the loop twice: two edges from one block, which
  ;; must give the shadow's phi one value (resvg failed to compile before).
  (func (export "twin_edges") (param $a i32) (param $n i32) (result i32)
    (local $l i32) (local $s i32)
    (block $done
      (loop $top
        (if (i32.and (local.get $n) (i32.const 1))
          (then (local.set $s (i32.add (local.get $s)
            (i32.load8_u (i32.add (local.get $a) (local.get $l)))))))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br_table $top $top $done
          (select (i32.const 2) (i32.and (local.get $n) (i32.const 1))
            (i32.eqz (local.get $n))))))
    (local.get $s))

  ;; A negative step (l - 1): wraps by design.
  (func (export "down") (param $a i32) (param $l i32) (param $n i32) (result i32)
    (local $s i32)
    (loop $top
      (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (local.get $a) (local.get $l)))))
      (local.set $l (i32.add (local.get $l) (i32.const -1)))
      (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))

  (func (export "byte") (param $p i32) (result i32)
    (i32.load8_u (local.get $p)))
)

;; Stepped by 4 from l0.
(assert_return (invoke "stride4" (i32.const 0) (i32.const 0) (i32.const 4)) (i32.const 28))
;; a + l wraps on entry (2^32 - 16 + 16 = 0), then steps.
(assert_return (invoke "stride4" (i32.const -16) (i32.const 16) (i32.const 4)) (i32.const 28))
(assert_return (invoke "stride4" (i32.const 16) (i32.const -16) (i32.const 4)) (i32.const 28))
;; The first sum, 2^32 - 8, does not wrap: past the end.
(assert_trap (invoke "stride4" (i32.const -16) (i32.const 8) (i32.const 4)) "out of bounds memory access")
;; Runs off the end of the page on the third access.
(assert_return (invoke "stride4" (i32.const 65528) (i32.const 0) (i32.const 2)) (i32.const 0x26))
(assert_trap (invoke "stride4" (i32.const 65528) (i32.const 0) (i32.const 3)) "out of bounds memory access")
(assert_trap (invoke "stride4" (i32.const 0xffff0000) (i32.const 0) (i32.const 1)) "out of bounds memory access")

;; l = 0, 8 (skipped), 16, 24, 32: a + l wraps to 0, 8, 16 once l >= 16.
(assert_return (invoke "sometimes" (i32.const -16) (i32.const 5)) (i32.const 10))
(assert_trap (invoke "sometimes" (i32.const -17) (i32.const 3)) "out of bounds memory access")

(assert_return (invoke "twice" (i32.const 0) (i32.const 4)) (i32.const 16))
(assert_trap (invoke "twice" (i32.const -4) (i32.const 4)) "out of bounds memory access")
(assert_return (invoke "twice" (i32.const 65530) (i32.const 3)) (i32.const 0x3f))
(assert_trap (invoke "twice" (i32.const 65530) (i32.const 4)) "out of bounds memory access")

(assert_return (invoke "twin_edges" (i32.const 0) (i32.const 4)) (i32.const 6))
(assert_return (invoke "twin_edges" (i32.const 65533) (i32.const 3)) (i32.const 0x2e))
(assert_trap (invoke "twin_edges" (i32.const 65533) (i32.const 5)) "out of bounds memory access")

(assert_return (invoke "down" (i32.const 0) (i32.const 3) (i32.const 4)) (i32.const 10))
(assert_trap (invoke "down" (i32.const 0) (i32.const 3) (i32.const 5)) "out of bounds memory access")
(assert_return (invoke "down" (i32.const 2) (i32.const 0) (i32.const 3)) (i32.const 6))

;; Copies bytes l, l + 1 of a to b for l = l0, l0 + 2, ...
(assert_return (invoke "pairs" (i32.const 0) (i32.const 32) (i32.const 0) (i32.const 4)) (i32.const 16))
(assert_return (invoke "byte" (i32.const 39)) (i32.const 8))
;; The destination sums wrap on entry (2^32 - 16 + 16 = 0).
(assert_return (invoke "pairs" (i32.const 65512) (i32.const -16) (i32.const 16) (i32.const 4)) (i32.const 0x50))
(assert_return (invoke "byte" (i32.const 0)) (i32.const 0x11))
(assert_return (invoke "byte" (i32.const 7)) (i32.const 0x18))
(assert_return (invoke "byte" (i32.const 8)) (i32.const 9))
;; The fourth iteration's first load is past the end: the three before stored.
(assert_trap (invoke "pairs" (i32.const 65530) (i32.const 100) (i32.const 0) (i32.const 4)) "out of bounds memory access")
(assert_return (invoke "byte" (i32.const 100)) (i32.const 0x13))
(assert_return (invoke "byte" (i32.const 105)) (i32.const 0x18))
(assert_return (invoke "byte" (i32.const 106)) (i32.const 0))
