// Indirect calls + memory: libc qsort with a comparator over pseudo-random ints.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
static int cmp(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3000000;
  int32_t *v = malloc(sizeof(int32_t) * n);
  uint32_t s = 1;
  for (int i = 0; i < n; i++) { s ^= s << 13; s ^= s >> 17; s ^= s << 5; v[i] = (int32_t)s; }
  qsort(v, n, sizeof(int32_t), cmp);
  long long acc = 0;
  for (int i = 0; i < n; i += n / 16) acc += v[i];
  printf("sorted, sample sum %lld, min %d, max %d\n", acc, v[0], v[n - 1]);
  return 0;
}
