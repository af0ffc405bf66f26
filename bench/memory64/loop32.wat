(module
  (memory  16 16)
  (func (export "run") (result i64)
    (local $r i32) (local $i i32) (local $s i64)
    (loop $outer
      (local.set $i (i32.const 0))
      (loop $inner
        ;; a[i] = a[i] * 3 + r ; s += a[i]
        (i32.store (local.get $i)
          (i32.add (i32.mul (i32.load (local.get $i)) (i32.const 3)) (i32.const 1)))
        (local.set $s (i64.add (local.get $s) (i64.load32_u offset=4 (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br_if $inner (i32.lt_u (local.get $i) (i32.const 1048000))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $r) (i32.const 5000))))
    (local.get $s)))
