// Indirect calls + memory: a quicksort (median of three, insertion sort for
// short runs) that compares through a function pointer, over pseudo-random
// ints. The sort is in the program, so native and Wasm run the same code
// (libc's qsort differs between glibc and wasi-libc).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
typedef int (*cmp_fn)(const void *, const void *);
static int cmp(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}
static void swap(int32_t *a, int32_t *b) { int32_t t = *a; *a = *b; *b = t; }
static void sort(int32_t *v, long n, cmp_fn less) {
  while (n > 16) {
    long m = n / 2;
    if (less(&v[m], &v[0]) < 0) swap(&v[m], &v[0]);
    if (less(&v[n - 1], &v[m]) < 0) swap(&v[n - 1], &v[m]);
    if (less(&v[m], &v[0]) < 0) swap(&v[m], &v[0]);
    int32_t pivot = v[m];
    long i = 0, j = n - 1;
    for (;;) {
      while (less(&v[i], &pivot) < 0) i++;
      while (less(&pivot, &v[j]) < 0) j--;
      if (i >= j) break;
      swap(&v[i], &v[j]);
      i++, j--;
    }
    // Recurse into the smaller part, loop on the larger.
    if (j + 1 < n - j - 1) { sort(v, j + 1, less); v += j + 1; n -= j + 1; }
    else { sort(v + j + 1, n - j - 1, less); n = j + 1; }
  }
  for (long i = 1; i < n; i++)
    for (long k = i; k > 0 && less(&v[k], &v[k - 1]) < 0; k--) swap(&v[k], &v[k - 1]);
}
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3000000;
  int32_t *v = malloc(sizeof(int32_t) * n);
  uint32_t s = 1;
  long long acc = 0;
  for (int rep = 0; rep < 2; rep++) {
    for (int i = 0; i < n; i++) { s ^= s << 13; s ^= s >> 17; s ^= s << 5; v[i] = (int32_t)s; }
    sort(v, n, cmp);
    for (int i = 1; i < n; i++)
      if (v[i - 1] > v[i]) { printf("not sorted at %d\n", i); return 1; }
    for (int i = 0; i < n; i += n / 16) acc += v[i];
  }
  printf("sorted, sample sum %lld, min %d, max %d\n", acc, v[0], v[n - 1]);
  return 0;
}
