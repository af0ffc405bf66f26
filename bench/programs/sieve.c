// Integer + memory: sieve of Eratosthenes over a byte array, repeated.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 20000000, reps = 6;
  unsigned char *composite = malloc(n + 1);
  long count = 0;
  for (int r = 0; r < reps; r++) {
    memset(composite, 0, n + 1);
    count = 0;
    for (long i = 2; i <= n; i++) {
      if (composite[i]) continue;
      count++;
      // i * i overflows a 32-bit long (wasm32) for i > 46340: no multiples left to mark.
      if (i > n / i) continue;
      for (long j = i * i; j <= n; j += i) composite[j] = 1;
    }
  }
  printf("primes below %d: %ld\n", n, count);
  free(composite);
  return 0;
}
