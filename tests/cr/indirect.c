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

int main(int argc, char **argv) {
  (void)argv;
  unsigned h = 17;
  for (unsigned i = 0; i < 3000; i++) {
    h = table[(h ^ i) % 3](h, i);
    if (i % 500 == 0) printf("%u: %08x\n", i, h);
  }
  printf("hash %08x args %d\n", h, argc);
  return 0;
}
