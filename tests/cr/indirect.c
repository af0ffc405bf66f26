// Calls through a function table (call_indirect) with a checkpoint inside the callee.
#include <stdio.h>

typedef unsigned (*op_t)(unsigned, unsigned);
static unsigned add(unsigned a, unsigned b) { return a + b; }
static unsigned mix(unsigned a, unsigned b) {
  for (int i = 0; i < 16; i++) a = (a * 2654435761u) ^ (b + i);
  return a;
}
static unsigned rot(unsigned a, unsigned b) { return (a << (b & 31)) | (a >> ((32 - b) & 31)); }
static op_t table[3] = {add, mix, rot};
// Leaves of a type no checkpointable function has: tern makes these calls no
// migration points (closed table, `translate/checkpoint/scan.rs`), so the
// checkpoint is taken at the loop around them.
typedef long long (*leaf_t)(int, int, int, int);
static long long fold(int a, int b, int c, int d) { return (long long)a * b + c - d; }
static long long spread(int a, int b, int c, int d) {
  return (long long)(((unsigned long long)(unsigned)a << 20) ^ (unsigned)b) ^ ((long long)c * d);
}
static leaf_t leaves[2] = {fold, spread};

int main(int argc, char **argv) {
  (void)argv;
  unsigned h = 17;
  for (unsigned i = 0; i < 3000; i++) {
    h = table[(h ^ i) % 3](h, i);
    h += (unsigned)leaves[h & 1]((int)h, (int)i, 7, (int)(h >> 3));
    if (i % 500 == 0) printf("%u: %08x\n", i, h);
  }
  printf("hash %08x args %d\n", h, argc);
  return 0;
}
