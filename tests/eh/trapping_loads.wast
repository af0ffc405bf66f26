;; Out-of-bounds loads whose results are unused still trap when they sit
;; next to a call inside `try_table` (an LLVM `invoke`): the analysis that
;; keeps such loads (translate/trapping_loads) once saw no code after an
;; invoke, so a dead load there was deleted (Wasmtime differential test,
;; seed 32384), and it must not count a use in a handler as certain, since
;; the handler goes once the callee is found unable to throw.

(module
  (memory 0 1)
  (tag $e)
  (func $nop)
  (func $throws (throw $e))

  (func (export "dead_load_after_call") (result i32)
    (block $h
      (try_table (catch_all $h)
        (call $nop)
        (drop (i32.load (i32.const 0)))
        (call $nop)))
    (i32.const 7))

  (func (export "dead_v128_load_after_call") (result i32)
    (block $h
      (try_table (catch_all $h)
        (call $nop)
        (drop (v128.load16x4_u (i32.const 4095)))))
    (i32.const 7))

  (func (export "load_used_only_in_handler") (result i32)
    (local i32)
    (local.set 0 (i32.load (i32.const 16)))
    (block $h
      (try_table (catch_all $h) (call $nop))
      (return (i32.const 1)))
    (local.get 0))

  (func (export "load_after_caught_throw") (result i32)
    (block $h
      (try_table (catch_all $h) (call $throws)))
    (drop (i64.load (i32.const 8)))
    (i32.const 7))

  ;; With one page the same code runs to the end.
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
)

(assert_trap (invoke "dead_load_after_call") "out of bounds memory access")
(assert_trap (invoke "dead_v128_load_after_call") "out of bounds memory access")
(assert_trap (invoke "load_used_only_in_handler") "out of bounds memory access")
(assert_trap (invoke "load_after_caught_throw") "out of bounds memory access")
(assert_return (invoke "grow") (i32.const 0))
(assert_return (invoke "dead_load_after_call") (i32.const 7))
(assert_return (invoke "dead_v128_load_after_call") (i32.const 7))
(assert_return (invoke "load_used_only_in_handler") (i32.const 1))
(assert_return (invoke "load_after_caught_throw") (i32.const 7))
