;; Checkpoint/restore inside a try_table: `$x` is read only by the handler
;; (the normal path after the call never reads it), so it must be saved at
;; the call's migration point because the catch label is a successor of the
;; call. `$work` loops (polling) and then throws; the handler prints `$x`.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (tag $e (param i32))
  (func $work (param $n i32)
    (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.and (i32.lt_u (local.get $i) (local.get $n))
                         (i32.ne (local.get $acc) (i32.const 7)))))
    (throw $e (i32.and (local.get $acc) (i32.const 7))))
  (func $print (param $digit i32)
    (i32.store8 (i32.const 16) (i32.add (i32.const 48) (local.get $digit)))
    (i32.store8 (i32.const 17) (i32.const 10))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 2))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (local $x i32) (local $round i32)
    (loop $rounds
      (local.set $x (i32.add (local.get $round) (i32.const 2)))
      (block $h (result i32)
        (try_table (catch $e $h)
          (call $work (i32.const 20000))
          (local.set $x (i32.const 0)))
        (unreachable))
      ;; handler path: the payload, then $x
      (call $print)
      (call $print (local.get $x))
      (local.set $round (i32.add (local.get $round) (i32.const 1)))
      (br_if $rounds (i32.lt_u (local.get $round) (i32.const 6)))))
)
