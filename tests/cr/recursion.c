// Deep recursion with values live across every call: a checkpoint deep in the
// stack must bring back every frame.
#include <stdio.h>

static long depth_sum(int n, long acc) {
  if (n == 0) return acc;
  long r = depth_sum(n - 1, acc + n) ;
  return r + (n & 1);
}

static int ackermann(int m, int n) {
  if (m == 0) return n + 1;
  if (n == 0) return ackermann(m - 1, 1);
  return ackermann(m - 1, ackermann(m, n - 1));
}

int main(void) {
  long total = 0;
  for (int round = 0; round < 6; round++) {
    total += depth_sum(3000 + round * 500, round);
    total += ackermann(2, 3 + round);
    printf("round %d total %ld\n", round, total);
  }
  return (int)(total % 7);
}
