// Loops that have no poll of their own under --cr
// (crates/compiler/src/translate/checkpoint/loop_shapes.rs), checkpointed while
// they run:
// * call-anchored loops: clang turns fib's second recursive call into a loop
//   whose every iteration starts with the first call; `chain` computes each
//   call's argument from locals the loop updates. A checkpoint in the callee
//   saves the loop's frame as it was at the header, and a restore runs the
//   start of the iteration again.
// * memory walks: `find_first_at_least` and `length` step a pointer and load
//   through it, with no counter and no bound.
// * call-dominated loops: clang turns `weigh`'s second recursive call into a
//   loop `for (; t; t = t->right) w += weigh(t->left)` whose every iteration
//   calls, but loads from memory first; its header routes restores by a flag.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

__attribute__((noinline)) static uint32_t mix(uint32_t x, int depth) {
  return depth == 0 ? x * 2654435761u : mix(x ^ (x >> 7), depth - 1) + (x & 3);
}

// acc and i change every iteration; the call's argument depends on both.
__attribute__((noinline)) static uint32_t chain(int n) {
  uint32_t acc = 1;
  for (int i = 0; i < n; i++) acc = acc * 31 + mix((uint32_t)i * 7u + acc, 12);
  return acc;
}

__attribute__((noinline)) static long find_first_at_least(const int32_t *v, int32_t pivot) {
  long i = 0;
  while (v[i] < pivot) i++;
  return i;
}

__attribute__((noinline)) static size_t length(const char *s) {
  const char *p = s;
  while (*p) p++;
  return (size_t)(p - s);
}

struct tree {
  struct tree *left, *right;
  uint32_t weight;
};

__attribute__((noinline)) static struct tree *grow(int depth, uint32_t *seed) {
  struct tree *t = malloc(sizeof *t);
  *seed = *seed * 1103515245u + 12345u;
  t->weight = *seed >> 16;
  t->left = depth > 0 ? grow(depth - 1, seed) : NULL;
  t->right = depth > 0 ? grow(depth - 1, seed) : NULL;
  return t;
}

__attribute__((noinline)) static uint64_t weigh(const struct tree *t) {
  return t ? t->weight + 3 * weigh(t->left) + weigh(t->right) : 0;
}

int main(void) {
  enum { N = 200000 };
  int32_t *v = malloc(sizeof(int32_t) * (N + 1));
  char *text = malloc(N + 1);
  uint32_t s = 7;
  for (int i = 0; i < N; i++) {
    s ^= s << 13, s ^= s >> 17, s ^= s << 5;
    v[i] = (int32_t)(s % 1000000);
    text[i] = (char)('a' + s % 26);
  }
  v[N] = INT32_MAX;
  text[N] = 0;
  uint64_t total = 0;
  for (int round = 0; round < 6; round++) {
    total += (uint64_t)fib(18 + round);
    total = total * 3 + chain(300 + round * 50);
    total += (uint64_t)find_first_at_least(v, 999000 + round * 150);
    text[N - 1 - round * 1000] = 0;
    total += length(text + round);
    uint32_t seed = (uint32_t)round;
    total += weigh(grow(10 + round, &seed));
    printf("round %d total %llu\n", round, (unsigned long long)total);
  }
  free(text);
  free(v);
  return (int)(total % 5);
}
