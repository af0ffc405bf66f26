// Nested loops with floating-point state (doubles, floats, a small matrix).
#include <stdio.h>

static double m[8][8];

int main(void) {
  float f = 1.0f;
  double energy = 0.0;
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 8; j++) m[i][j] = 1.0 / (1 + i + j);
  for (int step = 0; step < 40; step++) {
    for (int i = 0; i < 8; i++) {
      double row = 0;
      for (int j = 0; j < 8; j++) {
        row += m[i][j] * (step + 1) * 0.125;
        m[i][j] = m[i][j] * 0.999 + 0.0001 * j;
      }
      energy += row / (i + 1);
      f = f * 1.0001f + (float)row * 1e-6f;
    }
    if (step % 8 == 0) printf("step %d energy %.9f f %.6f\n", step, energy, f);
  }
  printf("final %.12e %.7f\n", energy, f);
  return 0;
}
