// Float, branchy: Mandelbrot set escape counts.
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  int size = argc > 1 ? atoi(argv[1]) : 1200, maxit = 200;
  long total = 0;
  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++) {
      double cr = 2.0 * x / size - 1.5, ci = 2.0 * y / size - 1.0, zr = 0, zi = 0;
      int it = 0;
      while (it < maxit && zr * zr + zi * zi < 4.0) { double t = zr * zr - zi * zi + cr; zi = 2 * zr * zi + ci; zr = t; it++; }
      total += it;
    }
  printf("iterations %ld\n", total);
  return 0;
}
