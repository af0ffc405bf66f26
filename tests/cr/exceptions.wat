;; Checkpoints with live exceptions (driven through --invoke by
;; crates/cli/tests/checkpoint.rs): an exnref in a local, exnrefs on the
;; operand stack (one the payload of the other), and the caught exception
;; of a legacy handler before its `rethrow` (and, earlier, the legacy `try`
;; body, whose `catch_all` must not stop the checkpoint). `$work` loops, so
;; every call of it reaches many migration points; each export folds
;; everything it got back into one number.
(module
  (tag $e (param i32 f64 v128))
  (tag $wrap (param exnref))

  (func $work (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.and (i32.lt_u (local.get $i) (local.get $n))
                         (i32.ne (local.get $acc) (i32.const 7)))))
    (local.get $acc))

  (func $throw (param $k i32)
    (throw $e (local.get $k) (f64.const 2.5) (v128.const i32x4 10 20 30 40)))

  ;; The values of an exception of tag $e, folded.
  (func $fold (param i32 f64 v128) (result i32)
    (i32.add (i32.mul (local.get 0) (i32.const 1000))
      (i32.add (i32.trunc_f64_s (f64.mul (local.get 1) (f64.const 2)))
        (i32x4.extract_lane 2 (local.get 2)))))

  ;; An exnref in a local across many points, then thrown and caught.
  (func (export "local") (result i32)
    (local $x exnref) (local $sum i32) (local $k i32)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (call $throw (i32.const 7)))
      (unreachable))
    (local.set $x)
    (loop $l
      (local.set $sum (i32.add (local.get $sum) (call $work (i32.const 300))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $k) (i32.const 10))))
    (block $c (result i32 f64 v128)
      (try_table (catch $e $c) (throw_ref (local.get $x)))
      (unreachable))
    (call $fold)
    (i32.xor (local.get $sum)))

  ;; Two exnrefs on the operand stack across points; the second holds the
  ;; first as its payload.
  (func (export "stack") (result i32)
    (local $s i32) (local $o exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (call $throw (i32.const 3)))
      (unreachable))
    (local.set $s (call $work (i32.const 2000)))
    (block $w (param exnref) (result exnref exnref)
      (try_table (param exnref) (catch_ref $wrap $w) (throw $wrap))
      (unreachable))
    (local.set $s (i32.add (local.get $s) (call $work (i32.const 2000))))
    ;; [payload of $wrap, the $wrap exception]: rethrow the outer one, catch
    ;; it again, and throw what it holds.
    (local.set $o)
    (drop)
    (block $c (result i32 f64 v128)
      (try_table (catch $e $c)
        (block $w2 (result exnref)
          (try_table (catch $wrap $w2) (throw_ref (local.get $o)))
          (unreachable))
        (throw_ref))
      (unreachable))
    (call $fold)
    (i32.xor (local.get $s)))

  ;; A legacy handler holds its caught exception (and the payload on the
  ;; stack) across points, then rethrows it to the outer try.
  (func (export "legacy") (result i32)
    (local $s i32)
    try (result i32)
      try (result i32)
        (local.set $s (call $work (i32.const 2000)))
        (call $throw (i32.const 5))
        (i32.const -1)
      catch $e
        (local.set $s (i32.add (local.get $s) (call $work (i32.const 2000))))
        (drop) (drop) (drop)
        (local.set $s (i32.add (local.get $s) (call $work (i32.const 500))))
        rethrow 0
      end
    catch $e
      (call $fold)
    catch_all
      ;; Never runs: a checkpoint's forced unwind is not an exception.
      (i32.const -9)
    end
    (i32.xor (local.get $s)))
)
