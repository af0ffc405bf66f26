// Tail-call-heavy: a bytecode interpreter whose handlers dispatch to the
// next one with guaranteed tail calls (`musttail`: return_call_indirect
// through the handler table in Wasm), the way functional-language back ends
// and fast interpreters are written, plus direct mutual recursion
// (return_call) that would need ~10^8 frames without tail calls.
// BENCH_WASM_FLAGS: -mtail-call
// BENCH_FEATURE_CASE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct Vm Vm;
typedef uint64_t (*Handler)(Vm *vm, const uint8_t *pc, uint64_t acc, uint64_t n);
struct Vm {
  Handler table[8];
  uint64_t reg;
};

enum { OP_ADD, OP_MUL, OP_XOR, OP_ROT, OP_DEC, OP_JNZ, OP_HALT };

#define NEXT(pc, acc, n) __attribute__((musttail)) return vm->table[*(pc)](vm, (pc), (acc), (n))

static uint64_t op_add(Vm *vm, const uint8_t *pc, uint64_t acc, uint64_t n) { acc += n ^ vm->reg; NEXT(pc + 1, acc, n); }
static uint64_t op_mul(Vm *vm, const uint8_t *pc, uint64_t acc, uint64_t n) { acc *= 0x9E3779B97F4A7C15ull; NEXT(pc + 1, acc, n); }
static uint64_t op_xor(Vm *vm, const uint8_t *pc, uint64_t acc, uint64_t n) { vm->reg ^= acc >> 17; NEXT(pc + 1, acc, n); }
static uint64_t op_rot(Vm *vm, const uint8_t *pc, uint64_t acc, uint64_t n) { acc = (acc << 13) | (acc >> 51); NEXT(pc + 1, acc, n); }
static uint64_t op_dec(Vm *vm, const uint8_t *pc, uint64_t acc, uint64_t n) { NEXT(pc + 1, acc, n - 1); }
static uint64_t op_jnz(Vm *vm, const uint8_t *pc, uint64_t acc, uint64_t n) {
  if (n != 0) { NEXT(pc - pc[1], acc, n); }
  NEXT(pc + 2, acc, n);
}
static uint64_t op_halt(Vm *vm, const uint8_t *pc, uint64_t acc, uint64_t n) { (void)pc; (void)n; return acc ^ vm->reg; }

// Collatz-style walk by mutual recursion: every step is a tail call.
static uint64_t walk_odd(uint64_t x, uint64_t steps, uint64_t sum);
static uint64_t walk_even(uint64_t x, uint64_t steps, uint64_t sum) {
  if (steps == 0) return sum;
  x >>= 1;
  if (x & 1) { __attribute__((musttail)) return walk_odd(x, steps - 1, sum + x); }
  __attribute__((musttail)) return walk_even(x | 0x100, steps - 1, sum + x);
}
static uint64_t walk_odd(uint64_t x, uint64_t steps, uint64_t sum) {
  if (steps == 0) return sum;
  x = 3 * x + 1;
  if (x & 1) { __attribute__((musttail)) return walk_odd(x ^ 0x2, steps - 1, sum ^ x); }
  __attribute__((musttail)) return walk_even(x, steps - 1, sum ^ x);
}

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? strtoull(argv[1], 0, 10) : 40000000;
  Vm vm = {{op_add, op_mul, op_xor, op_rot, op_dec, op_jnz, op_halt}, 7};
  // loop: add mul xor rot dec jnz(back 5) halt
  static const uint8_t code[] = {OP_ADD, OP_MUL, OP_XOR, OP_ROT, OP_DEC, OP_JNZ, 5, OP_HALT};
  uint64_t a = vm.table[code[0]](&vm, code, 1, n);
  uint64_t b = walk_even(27, n * 3, 0);
  printf("interp %llu walk %llu\n", (unsigned long long)a, (unsigned long long)b);
  return 0;
}
