;; A checkpoint while a caught exception (exnref) is held in a local: the
;; snapshot holds it (docs/snapshot-format.md, "Exceptions"); the program
;; prints five lines and then rethrows it (uncaught).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi\n")
  (tag $e)
  (func $print (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (local $x exnref) (local $i i32)
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 3))
    (block $h (result exnref) (try_table (catch_all_ref $h) (throw $e)) (unreachable))
    (local.set $x)
    (loop $l (call $print) (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 5))))
    (throw_ref (local.get $x))))
