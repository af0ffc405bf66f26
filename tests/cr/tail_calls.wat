;; Deep mutual recursion through tail calls (tests: crates/cli/tests/tail_calls.rs
;; and checkpoint.rs). Every step folds its argument into the global $acc, so
;; a run that loses or repeats a step (say, after a restore) ends differently.
;;
;; even/odd three ways: `return_call`, `return_call_indirect` through a table,
;; `return_call_ref` through typed function references; and a chain whose
;; functions have different signatures ($down1 takes one i64, $down2 two).
;; `deep_call` is the same recursion with ordinary calls: it must exhaust the
;; stack at depths the tail-call versions run in constant stack.
(module
  (type $step (func (param i64) (result i32)))
  (global $acc (mut i64) (i64.const 0))
  (table $tab 2 funcref)
  (elem (table $tab) (i32.const 0) func $even_i $odd_i)
  (elem declare func $even_r $odd_r)

  (func $mix (param $n i64)
    (global.set $acc
      (i64.add (i64.mul (global.get $acc) (i64.const 31)) (local.get $n))))

  (func $even (type $step)
    (call $mix (local.get 0))
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (return_call $odd (i64.sub (local.get 0) (i64.const 1))))))
  (func $odd (type $step)
    (call $mix (local.get 0))
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 0))
      (else (return_call $even (i64.sub (local.get 0) (i64.const 1))))))

  (func $even_i (type $step)
    (call $mix (local.get 0))
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (return_call_indirect $tab (type $step)
              (i64.sub (local.get 0) (i64.const 1)) (i32.const 1)))))
  (func $odd_i (type $step)
    (call $mix (local.get 0))
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 0))
      (else (return_call_indirect $tab (type $step)
              (i64.sub (local.get 0) (i64.const 1)) (i32.const 0)))))

  (func $even_r (type $step)
    (call $mix (local.get 0))
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (return_call_ref $step
              (i64.sub (local.get 0) (i64.const 1)) (ref.func $odd_r)))))
  (func $odd_r (type $step)
    (call $mix (local.get 0))
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 0))
      (else (return_call_ref $step
              (i64.sub (local.get 0) (i64.const 1)) (ref.func $even_r)))))

  ;; Different signatures: a `tail` call, not a `musttail` one.
  (func $down1 (param $n i64) (result i64)
    (call $mix (local.get $n))
    (if (result i64) (i64.eqz (local.get $n)) (then (global.get $acc))
      (else (return_call $down2 (local.get $n) (i64.const 3)))))
  (func $down2 (param $n i64) (param $k i64) (result i64)
    (return_call $down1 (i64.sub (local.get $n) (local.get $k))))

  (func $deep (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (call $deep (i64.sub (local.get 0) (i64.const 1))))))

  (func (export "even") (param i64) (result i32) (call $even (local.get 0)))
  (func (export "even_indirect") (param i64) (result i32) (call $even_i (local.get 0)))
  (func (export "even_ref") (param i64) (result i32) (call $even_r (local.get 0)))
  (func (export "down") (param i64) (result i64) (call $down1 (local.get 0)))
  (func (export "deep_call") (param i64) (result i32) (call $deep (local.get 0)))
  (func (export "acc") (result i64) (global.get $acc))

  ;; All of it, for checkpoint/restore: 3 x 10^6 + 1 tail calls.
  (func (export "run") (result i64)
    (global.set $acc (i64.const 0))
    (drop (call $even (i64.const 1000001)))
    (drop (call $even_i (i64.const 1000000)))
    (drop (call $even_r (i64.const 1000003)))
    (drop (call $down1 (i64.const 300000)))
    (global.get $acc))
)
