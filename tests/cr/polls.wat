;; Loops that poll (neither counted nor memory walks, no calls), whose own
;; code polls on every back edge and not on the first entry
;; (crates/compiler/src/translate/checkpoint/back_edge_polls.rs): a run of R
;; rounds reaches exactly R points, the function's entry and R - 1 back edges.
;; Each export returns its result and its rounds, which the test computes
;; independently.
(module
  ;; Collatz steps from n: the two arms of the parity test are two back edges.
  (func (export "collatz") (param $n i32) (result i32 i64)
    (local $r i64)
    (loop $l
      (local.set $r (i64.add (local.get $r) (i64.const 1)))
      (if (i32.ne (local.get $n) (i32.const 1))
        (then
          (if (i32.and (local.get $n) (i32.const 1))
            (then
              (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 3)) (i32.const 1)))
              (br $l))
            (else
              (local.set $n (i32.shr_u (local.get $n) (i32.const 1)))
              (br $l))))))
    (local.get $n) (local.get $r))

  ;; A state machine whose state is the loop's parameter, on the operand
  ;; stack: s = (5 s + 3) mod 1000 each round, for k rounds, the back edges
  ;; being two cases of a br_table (k odd, k even) that carry the new state.
  (func (export "machine") (param $k i32) (result i32 i64)
    (local $r i64)
    (block $done (result i32)
      (i32.const 7)
      (loop $l (param i32) (result i32)
        local.get $r
        i64.const 1
        i64.add
        local.set $r
        i32.const 5
        i32.mul
        i32.const 3
        i32.add
        i32.const 1000
        i32.rem_u
        local.get $k
        i32.const 1
        i32.sub
        local.set $k
        i32.const 2
        local.get $k
        i32.const 1
        i32.and
        local.get $k
        i32.eqz
        select
        br_table $l $l $done))
    (local.get $r))
)
