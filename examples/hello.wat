;; A tiny WASI program: prints a greeting and the 30th Fibonacci number,
;; computed in a loop, through fd_write.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "hello from tern: fib(30) = ")
  (func $fib (param $n i32) (result i32)
    (local $a i32) (local $b i32) (local $t i32)
    (local.set $b (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $t (i32.add (local.get $a) (local.get $b)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $a))
  ;; Writes the decimal digits of $v followed by a newline at 128; returns the length.
  (func $itoa (param $v i32) (result i32)
    (local $len i32) (local $i i32) (local $tmp i32)
    (loop $digits
      (i32.store8 (i32.add (i32.const 200) (local.get $len))
        (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $len (i32.add (local.get $len) (i32.const 1)))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $digits (local.get $v)))
    (loop $reverse
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (i32.const 127) (local.get $i))
        (i32.load8_u (i32.sub (i32.add (i32.const 200) (local.get $len)) (local.get $i))))
      (br_if $reverse (i32.lt_u (local.get $i) (local.get $len))))
    (i32.store8 (i32.add (i32.const 128) (local.get $len)) (i32.const 10))
    (i32.add (local.get $len) (i32.const 1)))
  (func (export "_start")
    ;; iovec[0] = the greeting, iovec[1] = the number
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 27))
    (i32.store (i32.const 8) (i32.const 128))
    (i32.store (i32.const 12) (call $itoa (call $fib (i32.const 30))))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 16)))))
