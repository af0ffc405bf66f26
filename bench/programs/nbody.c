// Float: the n-body simulation (5 bodies), double precision.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#define N 5
typedef struct { double x, y, z, vx, vy, vz, m; } body;
static body b[N] = {
  {0, 0, 0, 0, 0, 0, 39.47841760435743},
  {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01, 6.06326392995832e-01, 2.81198684491626e+00, -2.52183616598876e-02, 3.7693674870389486e-02},
  {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01, -1.01077434617730e+00, 1.82566237123041e+00, 8.41576137658415e-03, 1.1286326131968767e-02},
  {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01, 1.08279100644154e+00, 8.68713018169608e-01, -1.01086932174480e-02, 1.7237240570597112e-03},
  {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01, 9.79090732243898e-01, 5.94698998647676e-01, -3.47559555040781e-02, 2.0336868699246304e-03}};
static double energy(void) {
  double e = 0;
  for (int i = 0; i < N; i++) {
    e += 0.5 * b[i].m * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
    for (int j = i + 1; j < N; j++) {
      double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
      e -= b[i].m * b[j].m / sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 5000000;
  printf("%.9f\n", energy());
  for (int s = 0; s < n; s++) {
    for (int i = 0; i < N; i++)
      for (int j = i + 1; j < N; j++) {
        double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
        double d2 = dx * dx + dy * dy + dz * dz;
        double mag = 0.01 / (d2 * sqrt(d2));
        b[i].vx -= dx * b[j].m * mag; b[i].vy -= dy * b[j].m * mag; b[i].vz -= dz * b[j].m * mag;
        b[j].vx += dx * b[i].m * mag; b[j].vy += dy * b[i].m * mag; b[j].vz += dz * b[i].m * mag;
      }
    for (int i = 0; i < N; i++) { b[i].x += 0.01 * b[i].vx; b[i].y += 0.01 * b[i].vy; b[i].z += 0.01 * b[i].vz; }
  }
  printf("%.9f\n", energy());
  return 0;
}
