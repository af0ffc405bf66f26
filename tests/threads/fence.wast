;; `atomic.fence` compiles (it once failed LLVM's verifier: a named fence)
;; and orders nothing away: a store before it is seen after it.
(module
  (memory 1 1 shared)
  (func (export "fence_then_load") (param i32) (result i32)
    (i32.store (i32.const 8) (local.get 0))
    (atomic.fence)
    (i32.atomic.load (i32.const 8)))
  (func (export "fences") (result i32)
    (atomic.fence)
    (atomic.fence)
    (i32.const 1)))

(assert_return (invoke "fence_then_load" (i32.const 7)) (i32.const 7))
(assert_return (invoke "fence_then_load" (i32.const -1)) (i32.const -1))
(assert_return (invoke "fences") (i32.const 1))
