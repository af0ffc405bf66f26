;; Three memories across a checkpoint: memory 0 (32-bit, the fast path),
;; memory 1 (32-bit, shared, used through atomics) and memory 2 (64-bit,
;; grown during the run). `run` loops, writing into
;; all three, copying between them, and returns a checksum of everything.
(module
  (memory $m0 1 4)
  (memory $m1 1 1 shared)
  (memory $m2 i64 1 16)
  (data (memory $m1) (i32.const 64) "\01\02\03\04")
  ;; extended-const: offsets and globals computed with add/sub/mul
  (data (memory $m2) (i64.sub (i64.mul (i64.const 26) (i64.const 4)) (i64.const 4)) "memory64")
  (global $base i64 (i64.add (i64.mul (i64.const 20) (i64.const 2)) (i64.const 2)))
  (func (export "run") (result i64)
    (local $i i32) (local $sum i64) (local $a64 i64)
    (loop $l
      ;; memory 0: a running value at i*8 mod 64 KiB
      (i64.store $m0 (i32.and (i32.mul (local.get $i) (i32.const 8)) (i32.const 0xfff8))
        (i64.add (local.get $sum) (i64.extend_i32_u (local.get $i))))
      ;; memory 1: atomic counter and cmpxchg
      (drop (i32.atomic.rmw.add $m1 (i32.const 0) (local.get $i)))
      (drop (i64.atomic.rmw.cmpxchg $m1 (i32.const 8)
        (i64.atomic.load $m1 (i32.const 8))
        (i64.extend_i32_u (local.get $i))))
      ;; memory 2: grow every 4096 iterations, write near its end
      (if (i32.eqz (i32.and (local.get $i) (i32.const 4095)))
        (then (drop (memory.grow $m2 (i64.const 1)))))
      (local.set $a64 (i64.sub (i64.mul (memory.size $m2) (i64.const 65536))
                               (i64.add (i64.const 16) (i64.extend_i32_u (i32.and (local.get $i) (i32.const 255))))))
      (i64.store $m2 (local.get $a64)
        (i64.xor (i64.load $m2 (local.get $a64)) (i64.extend_i32_u (local.get $i))))
      ;; copy 16 bytes from memory 2 to memory 0 and from memory 1 to memory 2
      (if (i32.eqz (i32.and (local.get $i) (i32.const 63)))
        (then
          (memory.copy $m0 $m2 (i32.const 0x8000) (local.get $a64) (i32.const 16))
          (memory.copy $m2 $m1 (i64.const 200) (i32.const 0) (i32.const 16))))
      (local.set $sum
        (i64.add
          (i64.rotl (local.get $sum) (i64.const 5))
          (i64.add
            (i64.load $m0 (i32.const 0x8000))
            (i64.add (i64.load32_u $m1 (i32.const 0))
                     (i64.load $m2 (i64.const 200))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 40000))))
    (i64.add (local.get $sum)
      (i64.add (memory.size $m2)
        (i64.add (i64.load $m2 (global.get $base))
                 (i64.load $m2 (i64.const 100)))))))
