;; Project-written cases for the legacy exception-handling form (try /
;; catch / catch_all / delegate / rethrow), run by the spec target
;; (TERN_SPEC_SUITES=tests/eh): clause order, payloads of every value type,
;; rethrow from nested handlers, delegate to an outer try, to the caller and
;; past handlers, exceptions crossing frames, throws from handlers, mixing
;; with try_table/throw_ref, traps never caught, and validation.

(module $legacy-thrower
  (tag $shared (export "shared") (param i32))
  (func (export "throw-shared") (param i32) (throw $shared (local.get 0)))
)
(register "legacy-thrower" $legacy-thrower)

(module
  (tag $shared (import "legacy-thrower" "shared") (param i32))
  (func $throw-shared (import "legacy-thrower" "throw-shared") (param i32))
  (tag $e0)
  (tag $e1 (param i32))
  (tag $e2 (param i64))
  (tag $all (param i32 i64 f32 f64 v128 externref))
  (tag $exn (param exnref))
  (global $count (mut i32) (i32.const 0))

  (func $throw-if (param i32)
    (if (i32.eq (local.get 0) (i32.const 0)) (then (throw $e0)))
    (if (i32.eq (local.get 0) (i32.const 1)) (then (throw $e1 (i32.const 11))))
    (if (i32.eq (local.get 0) (i32.const 2)) (then (throw $e2 (i64.const 22)))))

  ;; Clauses are tried in order; catch_all takes the rest.
  (func (export "catch-order") (param i32) (result i32)
    try (result i32)
      (call $throw-if (local.get 0))
      (i32.const 100)
    catch $e1
      (i32.add (i32.const 1000))
    catch $e0
      (i32.const 1)
    catch_all
      (i32.const 2)
    end)

  ;; Two clauses for one tag: the first wins.
  (func (export "first-clause-wins") (result i32)
    try (result i32)
      (throw $e1 (i32.const 5))
    catch $e1
      (i32.const 10) (i32.add)
    catch $e1
      (i32.const 20) (i32.add)
    end)

  ;; No matching clause and no catch_all: the exception goes on.
  (func (export "no-match") (result i32)
    try (result i32)
      try (result i32)
        (call $throw-if (i32.const 2))
        (i32.const 0)
      catch $e0
        (i32.const 1)
      catch $e1
        (drop) (i32.const 2)
      end
    catch $e2
      (i32.wrap_i64)
    end)

  ;; Every payload type comes back intact.
  (func $throw-all (param externref)
    (throw $all (i32.const -7) (i64.const 0x123456789abcdef0) (f32.const 1.5)
      (f64.const -2.25) (v128.const i32x4 1 2 3 4) (local.get 0)))
  (func (export "payload") (param externref)
    (result i32 i64 f32 f64 i32 externref)
    (local $v v128) (local $r externref)
    try (result i32 i64 f32 f64 v128 externref)
      (call $throw-all (local.get 0))
      (unreachable)
    catch $all
    end
    (local.set $r)
    (local.set $v)
    (i32x4.extract_lane 2 (local.get $v))
    (local.get $r))

  ;; Values below the try survive into the handler.
  (func (export "stack-below") (param i32) (result i32)
    (local.get 0)
    (i32.const 3)
    try (param i32) (result i32)
      (call $throw-if (i32.const 1))
    catch $e1
    end
    (i32.add))

  ;; rethrow 0 keeps the exception (tag and payload).
  (func (export "rethrow-0") (result i32)
    try (result i32)
      try (result i32)
        (throw $e1 (i32.const 42))
      catch_all
        (global.set $count (i32.add (global.get $count) (i32.const 1)))
        rethrow 0
      end
    catch $e1
    end)

  ;; rethrow N>0 from a handler nested in another handler.
  (func (export "rethrow-nested") (result i32)
    try (result i32)
      try (result i32)
        (throw $e1 (i32.const 7))
      catch $e1
        (drop)
        try (result i32)
          (throw $e0)
        catch $e0
          ;; label 0: this handler ($e0), label 1: the $e1 handler
          rethrow 1
        end
      end
    catch $e1
      (i32.add (i32.const 100))
    catch $e0
      (i32.const -1)
    end)

  ;; rethrow 2 from a block inside a try body inside a handler.
  (func (export "rethrow-through-body") (result i32)
    try (result i32)
      try (result i32)
        (throw $e1 (i32.const 9))
      catch_all
        try (result i32)
          block
            rethrow 2
          end
          (i32.const -1)
        catch $e0
          (i32.const -2)
        end
      end
    catch $e1
    end)

  ;; delegate 0 to the enclosing try.
  (func (export "delegate-outer") (result i32)
    try (result i32)
      try
        (throw $e1 (i32.const 4))
      delegate 0
      (i32.const -1)
    catch $e1
    end)

  ;; delegate past a handler: the middle catch_all never runs.
  (func (export "delegate-skip") (result i32)
    try $outer (result i32)
      try (result i32)
        try
          (call $throw-if (i32.const 0))
        delegate $outer
        (i32.const -1)
      catch_all
        (i32.const -2)
      end
    catch $e0
      (i32.const 3)
    end)

  ;; delegate to a block label: the handlers enclosing the block catch.
  (func (export "delegate-block") (result i32)
    try (result i32)
      block $b
        try (result i32)
          try
            (throw $e0)
          delegate $b
          (i32.const -1)
        catch_all
          (i32.const -2)
        end
        (br 1)
      end
      (i32.const -3)
    catch $e0
      (i32.const 6)
    end)

  ;; delegate to the function label: on to the caller, past the catch_all.
  (func $delegate-to-caller
    try
      try
        (throw $e1 (i32.const 8))
      delegate 1
    catch_all
    end)
  (func (export "delegate-caller") (result i32)
    try (result i32)
      (call $delegate-to-caller)
      (i32.const 0)
    catch $e1
    end)

  ;; delegate from inside the handler of an outer try: that try does not
  ;; catch it (its other clause would), the next one out does.
  (func (export "delegate-from-handler") (result i32)
    try (result i32)
      try (result i32)
        (throw $e0)
      catch $e0
        try
          (throw $e1 (i32.const 12))
        delegate 0
        (i32.const -1)
      catch $e1
        (i32.const -2) (i32.add)
      end
    catch $e1
    end)

  ;; A throw from a handler is not caught by a sibling clause.
  (func (export "throw-in-handler") (result i32)
    try (result i32)
      try (result i32)
        (throw $e0)
      catch $e0
        (throw $e1 (i32.const 13))
      catch $e1
        (i32.const -1) (i32.add)
      end
    catch $e1
    end)

  ;; Exceptions cross frames: thrown three calls down, through a frame whose
  ;; clause does not match and a cleanup (catch_all + rethrow).
  (func $deep3 (param i32) (call $throw-if (local.get 0)))
  (func $deep2 (param i32)
    try
      (call $deep3 (local.get 0))
    catch $e2
      (drop)
    end)
  (func $deep1 (param i32)
    try
      (call $deep2 (local.get 0))
    catch_all
      (global.set $count (i32.add (global.get $count) (i32.const 10)))
      rethrow 0
    end)
  (func (export "deep") (param i32) (result i32)
    (global.set $count (i32.const 0))
    try (result i32)
      (call $deep1 (local.get 0))
      (i32.const 0)
    catch $e1
    catch $e0
      (i32.const 1)
    end
    (global.get $count)
    (i32.add))
  (func (export "count") (result i32) (global.get $count))

  ;; An imported tag, thrown by another module.
  (func (export "cross-module") (param i32) (result i32)
    try (result i32)
      (call $throw-shared (local.get 0))
      (i32.const -1)
    catch $shared
    end)

  ;; Mixing: a legacy handler inside a try_table, a try_table inside a
  ;; legacy try, throw_ref into a legacy catch, rethrow into catch_ref.
  (func (export "legacy-in-try-table") (result i32)
    (block $h (result i32)
      (try_table (catch $e1 $h)
        try
          (throw $e1 (i32.const 14))
        catch_all
          rethrow 0
        end)
      (i32.const -1)))
  (func (export "try-table-in-legacy") (result i32)
    try (result i32)
      (block $h (result exnref)
        (try_table (catch_all_ref $h) (call $throw-if (i32.const 1)))
        (unreachable))
      (throw_ref)
    catch $e1
      (i32.const 1) (i32.add)
    end)
  (func (export "rethrow-into-catch-ref") (result i32)
    (local $x exnref)
    (block $h (result i32 exnref)
      (try_table (catch_ref $e1 $h)
        try
          (throw $e1 (i32.const 16))
        catch $e1
          (drop)
          rethrow 0
        end)
      (unreachable))
    (local.set $x)
    (drop)
    try (result i32)
      (throw_ref (local.get $x))
    catch $e1
    end)

  ;; An exnref as a payload survives a legacy catch.
  (func (export "exnref-payload") (result i32)
    (local $x exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (throw $e1 (i32.const 17)))
      (unreachable))
    (local.set $x)
    try (result i32)
      try (result i32)
        (throw $exn (local.get $x))
      catch $exn
        (throw_ref)
      end
    catch $e1
    end)

  ;; Traps are not exceptions.
  (func $trap (unreachable))
  (func (export "trap-not-caught") (result i32)
    try
      (call $trap)
    catch_all
    end
    (i32.const 1))
  (func (export "div-trap-not-caught") (param i32) (result i32)
    try (result i32)
      (i32.div_u (i32.const 1) (local.get 0))
    catch_all
      (i32.const -1)
    end)

  ;; Many exceptions in a loop (handlers that do not rethrow free them).
  (func (export "loop") (param i32) (result i32)
    (local $sum i32)
    (loop $l
      try
        (throw $e1 (local.get 0))
      catch $e1
        (local.set $sum (i32.add (local.get $sum)))
      end
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get $sum))

  ;; A branch out of a handler and a try with no clause at all.
  (func (export "br-out-of-handler") (result i32)
    (block $out (result i32)
      try
        (throw $e1 (i32.const 18))
      catch $e1
        (br $out)
      end
      (i32.const -1)))
  (func (export "no-clauses") (result i32)
    try (result i32)
      try
        (throw $e0)
      end
      (i32.const -1)
    catch $e0
      (i32.const 19)
    end)

  (func (export "uncaught") try (throw $e0) catch $e1 (drop) end)
  (func (export "delegate-uncaught") try (throw $e0) delegate 0)
)

(assert_return (invoke "catch-order" (i32.const 0)) (i32.const 1))
(assert_return (invoke "catch-order" (i32.const 1)) (i32.const 1011))
(assert_return (invoke "catch-order" (i32.const 2)) (i32.const 2))
(assert_return (invoke "catch-order" (i32.const 3)) (i32.const 100))
(assert_return (invoke "first-clause-wins") (i32.const 15))
(assert_return (invoke "no-match") (i32.const 22))
(assert_return (invoke "payload" (ref.extern 9))
  (i32.const -7) (i64.const 0x123456789abcdef0) (f32.const 1.5) (f64.const -2.25)
  (i32.const 3) (ref.extern 9))
(assert_return (invoke "stack-below" (i32.const 2)) (i32.const 13))
(assert_return (invoke "rethrow-0") (i32.const 42))
(assert_return (invoke "count") (i32.const 1))
(assert_return (invoke "rethrow-nested") (i32.const 107))
(assert_return (invoke "rethrow-through-body") (i32.const 9))
(assert_return (invoke "delegate-outer") (i32.const 4))
(assert_return (invoke "delegate-skip") (i32.const 3))
(assert_return (invoke "delegate-block") (i32.const 6))
(assert_return (invoke "delegate-caller") (i32.const 8))
(assert_return (invoke "delegate-from-handler") (i32.const 12))
(assert_return (invoke "throw-in-handler") (i32.const 13))
(assert_return (invoke "deep" (i32.const 1)) (i32.const 21))
(assert_return (invoke "deep" (i32.const 0)) (i32.const 11))
(assert_return (invoke "deep" (i32.const 2)) (i32.const 0))
(assert_return (invoke "deep" (i32.const 3)) (i32.const 0))
(assert_return (invoke "cross-module" (i32.const 23)) (i32.const 23))
(assert_return (invoke "legacy-in-try-table") (i32.const 14))
(assert_return (invoke "try-table-in-legacy") (i32.const 12))
(assert_return (invoke "rethrow-into-catch-ref") (i32.const 16))
(assert_return (invoke "exnref-payload") (i32.const 17))
(assert_trap (invoke "trap-not-caught") "unreachable")
(assert_trap (invoke "div-trap-not-caught" (i32.const 0)) "integer divide by zero")
(assert_return (invoke "div-trap-not-caught" (i32.const 1)) (i32.const 1))
(assert_return (invoke "loop" (i32.const 1000)) (i32.const 500500))
(assert_return (invoke "br-out-of-handler") (i32.const 18))
(assert_return (invoke "no-clauses") (i32.const 19))
(assert_exception (invoke "uncaught"))
(assert_exception (invoke "delegate-uncaught"))

;; rethrow must name a catch or catch_all label.
(assert_invalid
  (module (func try rethrow 0 catch_all end))
  "invalid rethrow label")
(assert_invalid
  (module (func block rethrow 0 end))
  "invalid rethrow label")
(assert_invalid
  (module (tag $e) (func try nop catch $e block rethrow 0 end end))
  "invalid rethrow label")
(assert_invalid
  (module (func rethrow 0))
  "invalid rethrow label")
;; delegate's label must exist.
(assert_invalid
  (module (func try delegate 1))
  "unknown label")
(assert_invalid
  (module (func block try delegate 2 end))
  "unknown label")
