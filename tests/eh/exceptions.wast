;; Project-written exception-handling cases (run by the spec target:
;; TERN_SPEC_SUITES=tests/eh). Payloads of every value type, exnref values in
;; locals, globals and tables, rethrow with identity kept, traps that a
;; catch_all must not catch, and exceptions crossing module boundaries.

(module $thrower
  (tag $shared (export "shared") (param i32))
  (func (export "throw-shared") (param i32) (throw $shared (local.get 0)))
)
(register "thrower" $thrower)

(module
  (tag $shared (import "thrower" "shared") (param i32))
  (func $throw-shared (import "thrower" "throw-shared") (param i32))
  (tag $all (param i32 i64 f32 f64 v128 externref))
  (tag $empty)
  (tag $other (param i32))
  (global $saved (mut exnref) (ref.null exn))
  (table $exns 2 exnref)

  (func $throw-all (param externref)
    (throw $all (i32.const -7) (i64.const 0x123456789abcdef0) (f32.const 1.5)
      (f64.const -2.25) (v128.const i32x4 1 2 3 4) (local.get 0)))

  ;; Every payload type comes back intact.
  (func (export "payload") (param externref)
    (result i32 i64 f32 f64 i32 externref)
    (local $v v128) (local $r externref)
    (block $h (result i32 i64 f32 f64 v128 externref)
      (try_table (catch $all $h) (call $throw-all (local.get 0)))
      (unreachable))
    (local.set $r)
    (local.set $v)
    (i32x4.extract_lane 3 (local.get $v))
    (local.get $r))

  (func (export "payload-lanes") (result i32)
    (local $lane i32)
    (block $h (result i32 i64 f32 f64 v128 externref)
      (try_table (catch $all $h) (call $throw-all (ref.null extern)))
      (unreachable))
    (drop)
    (local.set $lane (i32x4.extract_lane 1))
    (drop) (drop) (drop) (drop)
    (local.get $lane))

  ;; Imported tag and a throw from another module.
  (func (export "cross-module") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $shared $h) (call $throw-shared (local.get 0)))
      (i32.const -1)))

  ;; A tag of the same type is still a different tag.
  (func (export "other-tag-not-caught") (result i32)
    (block $h (result i32)
      (try_table (catch $other $h) (call $throw-shared (i32.const 5)))
      (i32.const -1)))

  ;; catch_ref keeps the exception; throw_ref rethrows the same one (its
  ;; values and tag survive a trip through a global and a table).
  (func $keep (result exnref)
    (block $h (result i32 exnref)
      (try_table (catch_ref $other $h) (throw $other (i32.const 41)))
      (unreachable))
    (global.set $saved)
    (drop)
    (global.get $saved))
  (func (export "rethrow-kept") (result i32)
    (table.set $exns (i32.const 1) (call $keep))
    (block $h (result i32)
      (try_table (catch $other $h) (throw_ref (table.get $exns (i32.const 1))))
      (unreachable))
    (i32.const 1)
    (i32.add))
  (func (export "saved-is-null") (result i32) (ref.is_null (global.get $saved)))
  (func (export "table-null") (result i32) (ref.is_null (table.get $exns (i32.const 0))))

  ;; The first matching clause wins; catch_all catches other tags.
  (func (export "clause-order") (param i32) (result i32)
    (block $all
      (block $e (result i32)
        (try_table (catch $other $e) (catch_all $all)
          (if (local.get 0) (then (throw $other (i32.const 10))) (else (throw $empty))))
        (unreachable))
      (return))
    (i32.const 20))

  ;; Rethrown from an inner handler to an outer one in another function.
  (func $inner (result i32)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (call $throw-shared (i32.const 3)))
      (unreachable))
    (throw_ref))
  (func (export "nested") (result i32)
    (block $h (result i32)
      (try_table (catch $shared $h) (drop (call $inner)))
      (i32.const -1)))

  ;; Traps are not exceptions: catch_all does not see them.
  (func $trap (unreachable))
  (func (export "trap-not-caught") (result i32)
    (block $h (try_table (catch_all $h) (call $trap)))
    (i32.const 1))
  (func (export "div-trap-not-caught") (param i32) (result i32)
    (block $h
      (try_table (catch_all $h) (return (i32.div_u (i32.const 1) (local.get 0)))))
    (i32.const -1))

  ;; Many exceptions in a loop (caught ones are freed).
  (func (export "loop") (param i32) (result i32)
    (local $sum i32)
    (loop $l
      (block $h (result i32)
        (try_table (catch $other $h) (throw $other (local.get 0)))
        (unreachable))
      (local.set $sum (i32.add (local.get $sum)))
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get $sum))

  ;; A catch label that is a loop: the handler branches back to its header.
  (func (export "catch-to-loop") (result i32)
    (local $n i32)
    (loop $again (result i32)
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (block $h
        (try_table (catch_all $again)
          (br_if $h (i32.ge_u (local.get $n) (i32.const 5)))
          (throw $empty)))
      (local.get $n)))

  (func (export "uncaught") (throw $empty))
  (func (export "throw-ref-null") (throw_ref (ref.null exn)))
)

(assert_return (invoke "payload" (ref.extern 9))
  (i32.const -7) (i64.const 0x123456789abcdef0) (f32.const 1.5) (f64.const -2.25)
  (i32.const 4) (ref.extern 9))
(assert_return (invoke "payload-lanes") (i32.const 2))
(assert_return (invoke "cross-module" (i32.const 17)) (i32.const 17))
(assert_exception (invoke "other-tag-not-caught"))
(assert_return (invoke "saved-is-null") (i32.const 1))
(assert_return (invoke "rethrow-kept") (i32.const 42))
(assert_return (invoke "saved-is-null") (i32.const 0))
(assert_return (invoke "table-null") (i32.const 1))
(assert_return (invoke "clause-order" (i32.const 1)) (i32.const 10))
(assert_return (invoke "clause-order" (i32.const 0)) (i32.const 20))
(assert_return (invoke "nested") (i32.const 3))
(assert_trap (invoke "trap-not-caught") "unreachable")
(assert_trap (invoke "div-trap-not-caught" (i32.const 0)) "integer divide by zero")
(assert_return (invoke "div-trap-not-caught" (i32.const 1)) (i32.const 1))
(assert_return (invoke "loop" (i32.const 100000)) (i32.const 705082704))
(assert_return (invoke "catch-to-loop") (i32.const 5))
(assert_exception (invoke "uncaught"))
(assert_trap (invoke "throw-ref-null") "null exception reference")
