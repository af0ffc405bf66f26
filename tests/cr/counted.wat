;; Counted loops outside any other loop, strip-mined under --cr
;; (crates/compiler/src/translate/checkpoint/strip_mining.rs): each polls once
;; per 65536 rounds. One export per shape of back edge; each runs its loop and
;; returns the counter's final value and the number of rounds, which the test
;; computes independently. The edge cases: counters near the end of their range
;; (the chunk's end saturates), a counter that wraps through zero, `ne` tests
;; counting up and down, step locals of either sign.
(module
  ;; i = -100000; do { r++ } while ((i += 3) <s 200000)
  (func (export "lt_s_up") (result i32 i64)
    (local $i i32) (local $r i64)
    (local.set $i (i32.const -100000))
    (loop $l
      (local.set $r (i64.add (local.get $r) (i64.const 1)))
      (br_if $l (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 3))) (i32.const 200000))))
    (local.get $i) (local.get $r))

  ;; Near the top of the signed range: i = INT_MAX - 200000, step 1, `i <s n`
  ;; with n = INT_MAX (the chunk's end saturates for the last chunks).
  (func (export "lt_s_near_max") (param $n i32) (result i32 i64)
    (local $i i32) (local $r i64)
    (local.set $i (i32.const 2147283647))
    (loop $l
      (local.set $r (i64.add (local.get $r) (i64.const 1)))
      (br_if $l (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $i) (local.get $r))

  ;; Counting down by 16 while `i >u 16` (memcpy's shape), the bound first.
  (func (export "gt_u_down") (result i32 i64)
    (local $i i32) (local $r i64)
    (local.set $i (i32.const 3000017))
    (loop $l
      (local.set $r (i64.add (local.get $r) (i64.const 1)))
      (br_if $l (i32.lt_u (i32.const 16) (local.tee $i (i32.sub (local.get $i) (i32.const 16))))))
    (local.get $i) (local.get $r))

  ;; `i != n` counting up by 7 from 5 to 5 + 7 * 150000.
  (func (export "ne_up") (result i32 i64)
    (local $i i32) (local $r i64)
    (local.set $i (i32.const 5))
    (loop $l
      (local.set $r (i64.add (local.get $r) (i64.const 1)))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 7))) (i32.const 1050005))))
    (local.get $i) (local.get $r))

  ;; `br_if (local.tee i (i - 1))`: counting down to zero.
  (func (export "ne_down_to_zero") (param $n i32) (result i32 i64)
    (local $r i64)
    (loop $l
      (local.set $r (i64.add (local.get $r) (i64.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $n) (local.get $r))

  ;; `i != 100` from 0xffff0000 by 1: wraps through zero on the way.
  (func (export "ne_wraps") (result i32 i64)
    (local $i i32) (local $r i64)
    (local.set $i (i32.const 0xffff0000))
    (loop $l
      (local.set $r (i64.add (local.get $r) (i64.const 1)))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 100))))
    (local.get $i) (local.get $r))

  ;; A step local, `i <=u n`.
  (func (export "le_u_step_local") (param $step i32) (param $n i32) (result i32 i64)
    (local $i i32) (local $r i64)
    (loop $l
      (local.set $r (i64.add (local.get $r) (i64.const 1)))
      (br_if $l (i32.le_u (local.tee $i (i32.add (local.get $i) (local.get $step))) (local.get $n))))
    (local.get $i) (local.get $r))

  ;; A negative step local, `i >=s n`, counting down from 400000.
  (func (export "ge_s_negative_step") (param $step i32) (param $n i32) (result i32 i64)
    (local $i i32) (local $r i64)
    (local.set $i (i32.const 400000))
    (loop $l
      (local.set $r (i64.add (local.get $r) (i64.const 1)))
      (br_if $l (i32.ge_s (local.tee $i (i32.add (local.get $i) (local.get $step))) (local.get $n))))
    (local.get $i) (local.get $r))

  ;; A checksum loop over memory (crc32's shape), called with a large count:
  ;; the export the test checkpoints inside, across ISAs.
  (memory 16)
  (func (export "checksum") (param $n i32) (result i32 i64)
    (local $i i32) (local $c i32) (local $r i64)
    (local.set $c (i32.const -1))
    (loop $l
      (local.set $c
        (i32.xor
          (i32.mul (local.get $c) (i32.const 16777619))
          (i32.load8_u (i32.and (local.get $i) (i32.const 0xfffff)))))
      (i32.store8 (i32.and (local.get $i) (i32.const 0xfffff)) (local.get $c))
      (local.set $r (i64.add (local.get $r) (i64.const 1)))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $c) (local.get $r)))
