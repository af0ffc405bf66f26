// Allocation-heavy: binary trees built and freed many times, through a
// size-class free-list allocator in the program (so native and Wasm run the
// same allocator; glibc's malloc and wasi-libc's dlmalloc differ).
#include <stdio.h>
#include <stdlib.h>
typedef struct node { struct node *l, *r; } node;
// Blocks carved from 1 MiB chunks; freed blocks go on a list, reused first.
static char *chunk, *chunk_end;
static node *free_list;
static node *alloc_node(void) {
  node *n = free_list;
  if (n) { free_list = n->l; return n; }
  if (chunk == chunk_end) {
    chunk = malloc(1 << 20);
    if (!chunk) abort();
    chunk_end = chunk + (1 << 20);
  }
  n = (node *)chunk;
  chunk += sizeof(node);
  return n;
}
static void free_node(node *n) { n->l = free_list; free_list = n; }
static node *make(int d) {
  node *n = alloc_node();
  if (d > 0) { n->l = make(d - 1); n->r = make(d - 1); } else { n->l = n->r = 0; }
  return n;
}
static long check(node *n) { return 1 + (n->l ? check(n->l) + check(n->r) : 0); }
static void release(node *n) { if (n->l) { release(n->l); release(n->r); } free_node(n); }
int main(int argc, char **argv) {
  int max = argc > 1 ? atoi(argv[1]) : 18;
  node *longlived = make(max);
  long total = 0;
  for (int d = 4; d <= max; d += 2) {
    int iters = 1 << (max - d + 4);
    long c = 0;
    for (int i = 0; i < iters; i++) { node *t = make(d); c += check(t); release(t); }
    printf("%d trees of depth %d check %ld\n", iters, d, c);
    total += c;
  }
  printf("long lived check %ld, total %ld\n", check(longlived), total);
  release(longlived);
  return 0;
}
