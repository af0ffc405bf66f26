;; Tail calls between instances. A tail call to a function of another
;; instance is an ordinary call in tern (the context register must come back
;; as the caller passed it; docs/architecture.md, "Tail calls and function
;; references"), so mutual tail recursion across instances grows the stack.
;; Neither function below makes an ordinary call, so neither has the entry
;; stack check (translate/frame_bound.rs): the check before the
;; cross-instance call is what turns deep recursion into a trap instead of a
;; crash on the guard page. (Wasmtime tail-calls across instances and
;; returns 7 for the deep case too.)

(module $A
  (type $t (func (param i64) (result i64)))
  (table (export "tab") 2 2 funcref)
  (func $a (export "a") (type $t)
    (if (i64.eqz (local.get 0)) (then (return (i64.const 7))))
    (return_call_indirect (type $t) (i64.sub (local.get 0) (i64.const 1)) (i32.const 1)))
  (elem (i32.const 0) $a))
(register "A" $A)

(module $B
  (type $t (func (param i64) (result i64)))
  (import "A" "tab" (table 2 2 funcref))
  (import "A" "a" (func $a (type $t)))
  (func $b (type $t)
    (return_call_indirect (type $t) (local.get 0) (i32.const 0)))
  (elem (i32.const 1) $b)
  (func (export "run") (param i64) (result i64) (call $a (local.get 0))))

(assert_return (invoke $B "run" (i64.const 1000)) (i64.const 7))
(assert_exhaustion (invoke $B "run" (i64.const 100000000)) "call stack exhausted")
(assert_return (invoke $B "run" (i64.const 1001)) (i64.const 7))
