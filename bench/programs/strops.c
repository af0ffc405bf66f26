// Byte/string processing: a hash table of generated words with string
// compares and copies. The string functions and the entry allocator are in
// the program, so native and Wasm run the same code.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#define BUCKETS 65536
typedef struct entry { char word[16]; int count; struct entry *next; } entry;
static int str_eq(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}
static void str_copy(char *d, const char *s) { while ((*d++ = *s++)); }
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000000;
  entry **table = calloc(BUCKETS, sizeof(entry *));
  entry *pool = calloc(n, sizeof(entry));
  uint32_t s = 7;
  int distinct = 0;
  char w[16];
  for (int i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    int len = 3 + (s >> 28) % 6;
    uint32_t t = s;
    for (int k = 0; k < len; k++) { w[k] = 'a' + (t % 7); t = t * 31 + 17; }
    w[len] = 0;
    uint32_t h = 2166136261u;
    for (int k = 0; k < len; k++) h = (h ^ (uint8_t)w[k]) * 16777619u;
    entry **slot = &table[h % BUCKETS];
    entry *e = *slot;
    while (e && !str_eq(e->word, w)) e = e->next;
    if (!e) { e = &pool[distinct++]; str_copy(e->word, w); e->next = *slot; *slot = e; }
    e->count++;
  }
  printf("distinct %d\n", distinct);
  return 0;
}
