// Memory-bound: STREAM-like triad over arrays larger than the caches.
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 4000000;
  double *a = malloc(sizeof(double) * n), *b = malloc(sizeof(double) * n), *c = malloc(sizeof(double) * n);
  for (int i = 0; i < n; i++) { a[i] = 1.0; b[i] = 2.0; c[i] = 0.5 * i; }
  for (int rep = 0; rep < 40; rep++) {
    for (int i = 0; i < n; i++) a[i] = b[i] + 3.0 * c[i];
    for (int i = 0; i < n; i++) c[i] = a[i] * 0.5;
    for (int i = 0; i < n; i++) b[i] = a[i] + c[i] * 1e-9;
  }
  double s = 0;
  for (int i = 0; i < n; i += 1000) s += a[i] + b[i] + c[i];
  printf("%.6e\n", s);
  return 0;
}
