// Byte/string processing: a simple hash table of words with string compares.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define BUCKETS 65536
typedef struct entry { char word[16]; int count; struct entry *next; } entry;
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3000000;
  entry **table = calloc(BUCKETS, sizeof(entry *));
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
    while (e && strcmp(e->word, w)) e = e->next;
    if (!e) { e = calloc(1, sizeof(entry)); strcpy(e->word, w); e->next = *slot; *slot = e; distinct++; }
    e->count++;
  }
  printf("distinct %d\n", distinct);
  return 0;
}
